/*
 * speedy-admin: the operator's tool.  It compiles /etc/speedy into the
 * snapshot the frontend maps (check, reload, config) and shows and steers
 * the running interpreters through the queue files (list, status, drain,
 * kill).  It is the only program that links libconfuse.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adm.h"
#include "opt.h"
#include "snap.h"
#include "util.h"

#ifndef SPEEDY_CONFDIR
#define SPEEDY_CONFDIR	"/etc/speedy"
#endif
#ifndef SPEEDY_SNAPSHOT
#define SPEEDY_SNAPSHOT	"/var/lib/speedy/snapshot"
#endif
#ifndef SPEEDY_VERSION
#define SPEEDY_VERSION	"0"
#endif

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
} commands[] = {
	{ "check", cmd_check },
	{ "reload", cmd_reload },
	{ "config", cmd_config },
	{ "list", cmd_list },
	{ "status", cmd_status },
	{ "drain", cmd_drain },
	{ "kill", cmd_kill },
};

void
adm_usage(void)
{
	fprintf(stderr,
	    "usage: speedy-admin check\n"
	    "       speedy-admin reload\n"
	    "       speedy-admin config script\n"
	    "       speedy-admin list [--json] [selector ...]\n"
	    "       speedy-admin status [--json | --openmetrics] "
	    "[--tmpbase prefix]\n"
	    "       speedy-admin drain selector ... [--wait[=seconds]]\n"
	    "       speedy-admin kill selector ... [--signal sig] "
	    "[--grace seconds]\n"
	    "       speedy-admin --version\n");
	exit(ADM_EXIT_USAGE);
}

/* An environment variable if set and not empty, else the default. */
static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

const char *
adm_confdir(void)
{
	return env_or("SPEEDY_CONFDIR", SPEEDY_CONFDIR);
}

const char *
adm_snapshot(void)
{
	return env_or("SPEEDY_SNAPSHOT", SPEEDY_SNAPSHOT);
}

const char *
adm_tmpbase(void)
{
	static char tb[OPT_STR_MAX + 1];
	struct snap s;
	char msg[512];
	int sect;

	if (tb[0] != '\0')
		return tb;
	(void)util_strlcpy(tb, env_or("SPEEDY_TMPBASE",
	    opt_table[OPT_TMPBASE].defval), sizeof(tb));
	/* The global TmpBase of the configuration wins over the default. */
	if (snap_load(&s, adm_snapshot(), msg, sizeof(msg)) == 0) {
		sect = 0;
		if (snap_nsect(&s) > 0 && getenv("SPEEDY_TMPBASE") == NULL) {
			struct snap_result r;

			if (snap_apply(&s, "/", &r, msg, sizeof(msg)) == 0 &&
			    r.opts.isset[OPT_TMPBASE] && r.from[OPT_TMPBASE] ==
			    sect)
				(void)util_strlcpy(tb, r.opts.str[OPT_TMPBASE],
				    sizeof(tb));
		}
		snap_close(&s);
	}
	return tb;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2)
		adm_usage();
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("speedy-admin (speedy-cgi) %s\n", SPEEDY_VERSION);
		return ADM_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		adm_usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	warnx("unknown command '%s'", argv[1]);
	adm_usage();
}
