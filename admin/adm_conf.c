/*
 * adm_conf.c: speedy-admin check, reload and config: the configuration
 * compiled into the snapshot the frontend maps, and what that snapshot
 * gives one script.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adm.h"
#include "conf.h"
#include "opt.h"
#include "snap.h"
#include "util.h"

#ifndef SPEEDY_BACKENDPROG
#define SPEEDY_BACKENDPROG	"/usr/bin/speedy_backend"
#endif

#define SHEBANG_MAX	1024	/* first-line bytes, as the frontend */
#define SOURCE_MAX	(PATH_MAX + 2 * OPT_STR_MAX)
#define MSG_LEN		(2 * PATH_MAX + 256)	/* snap's messages name paths */

extern char **environ;

/* conf_compile's error callback: one line on stderr each. */
static void
print_error(void *arg, const char *line)
{
	(void)arg;
	warnx("%s", line);
}

/* Commands without arguments refuse any. */
static void
no_args(int argc, char **argv)
{
	if (argc > 1) {
		warnx("%s: unexpected argument '%s'", argv[0], argv[1]);
		adm_usage();
	}
}

/*
 * Compiles the configuration into c (which the caller frees); returns 0,
 * or -1 after printing every error.
 */
static int
compile(struct conf *c)
{
	return conf_compile(adm_confdir(), c, print_error, NULL) == 0 ? 0 : -1;
}

/*
 * Checks the snapshot in place, if there is one; returns 0, or -1 after
 * printing what is wrong with it.
 */
static int
check_snapshot(void)
{
	struct snap s;
	char msg[MSG_LEN];
	int r;

	if ((r = snap_load(&s, adm_snapshot(), msg, sizeof(msg))) == 1)
		return 0;
	if (r == -1)
		warnx("%s", msg);
	else if ((r = snap_verify(&s, msg, sizeof(msg))) == -1)
		warnx("%s: %s", adm_snapshot(), msg);
	snap_close(&s);
	return r;
}

int
cmd_check(int argc, char **argv)
{
	struct conf c;
	char msg[MSG_LEN];
	int rc = ADM_EXIT_OK, n;

	no_args(argc, argv);
	if (compile(&c) == -1)
		rc = ADM_EXIT_FAIL;
	else if (snap_write(NULL, c.sects, c.nsects, msg, sizeof(msg)) == -1) {
		/* A limit of the snapshot format: reload would fail on it. */
		warnx("%s", msg);
		rc = ADM_EXIT_FAIL;
	} else {
		n = c.nsects - 1;
		printf("configuration ok: %d site%s in %s\n", n, n == 1 ? "" :
		    "s", adm_confdir());
	}
	conf_free(&c);
	if (check_snapshot() == -1)
		rc = ADM_EXIT_FAIL;
	return rc;
}

int
cmd_reload(int argc, char **argv)
{
	struct conf c;
	char msg[MSG_LEN];
	int rc = ADM_EXIT_OK;

	no_args(argc, argv);
	if (compile(&c) == -1) {
		warnx("%s left unchanged", adm_snapshot());
		rc = ADM_EXIT_FAIL;
	} else if (snap_write(adm_snapshot(), c.sects, c.nsects, msg,
	    sizeof(msg)) == -1) {
		warnx("%s", msg);
		rc = ADM_EXIT_FAIL;
	}
	conf_free(&c);
	return rc;
}

/*
 * Makes path absolute against the current directory, without resolving
 * symlinks, as the frontend does: the patterns match the path the web
 * server runs.  Returns 0 or -1 after printing why not.
 */
static int
absolute_path(const char *path, char *out, size_t outlen)
{
	if (util_abspath(path, out, outlen) == 0)
		return 0;
	if (errno == ENAMETOOLONG)
		warnx("%s: path too long", path);
	else
		warn("cannot find the current directory");
	return -1;
}

/*
 * Reads the script's first line (at most SHEBANG_MAX - 1 bytes, as the
 * frontend reads it) into line.  Returns 0 or -1 after printing why not.
 */
static int
read_first_line(const char *path, char *line, size_t linelen)
{
	struct stat st;
	ssize_t n;
	char *nl;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		warn("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail_errno;
	if (!S_ISREG(st.st_mode)) {
		warnx("%s: not a regular file", path);
		goto fail;
	}
	do
		n = read(fd, line, linelen - 1);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		goto fail_errno;
	(void)close(fd);
	line[n] = '\0';
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	return 0;
fail_errno:
	warn("%s", path);
fail:
	(void)close(fd);
	return -1;
}

/*
 * The name of a layer of cmd_config's snap_resolve (0: the environment,
 * 1: the #! line), with option id's variable if var is set.
 */
static const char *
layer_name(int id, int layer, int var, char *buf, size_t len)
{
	char env[64];

	if (layer == 1)
		return "#! line";
	if (!var)
		return "environment";
	(void)util_fmt(buf, len, "environment (%s)", opt_envname(id, env,
	    sizeof(env)));
	return buf;
}

/* Formats a value for the table: an empty string shows as "". */
static const char *
show_value(const struct opt_set *set, int id, char *buf, size_t len)
{
	(void)opt_format(set, id, buf, len);
	if (buf[0] == '\0')
		(void)util_strlcpy(buf, "\"\"", len);
	return buf;
}

/*
 * Describes where option id's value came from: "default", "speedy.conf:7",
 * "site shop (/etc/speedy/sites.d/shop.conf:4)", "environment
 * (SPEEDY_MAXRUNS)" or "#! line", then ", locked" for a locked option,
 * naming the layer whose value the lock overrode.
 */
static void
describe(const struct snap *s, const struct snap_result *r,
    const struct opt_set *out, const struct opt_set *const *layers,
    int src, int id, char *buf, size_t len)
{
	char name[128], want[OPT_STR_MAX + 3], have[OPT_STR_MAX + 3];
	int sect = r->from[id], i, asked = -1;

	if (src == SNAP_SRC_DEFAULT)
		(void)util_strlcpy(buf, "default", len);
	else if (src == SNAP_SRC_CONF && sect == 0)
		(void)util_fmt(buf, len, "speedy.conf:%d", snap_opt_line(s, 0,
		    id));
	else if (src == SNAP_SRC_CONF)
		(void)util_fmt(buf, len, "site %s (%s:%d)", snap_sect_name(s,
		    sect), snap_sect_file(s, sect), snap_opt_line(s, sect, id));
	else
		(void)util_strlcpy(buf, layer_name(id, src, 1, name,
		    sizeof(name)), len);
	if (!r->locked[id])
		return;
	(void)show_value(out, id, have, sizeof(have));
	for (i = 0; i < 2; i++)
		if (layers[i]->isset[id] && strcmp(show_value(layers[i], id,
		    want, sizeof(want)), have) != 0)
			asked = i;
	if (asked == -1) {
		(void)util_fmt(buf + strlen(buf), len - strlen(buf),
		    ", locked");
		return;
	}
	(void)show_value(layers[asked], id, want, sizeof(want));
	(void)util_fmt(buf + strlen(buf), len - strlen(buf), ", locked (%s "
	    "asked for %s)", layer_name(id, asked, 0, name, sizeof(name)),
	    want);
}

/* Prints one aligned line per option but Version. */
static void
print_config(const struct snap *s, const struct snap_result *r,
    const struct opt_set *out, const struct opt_set *const *layers,
    const int *src)
{
	char val[OPT_STR_MAX + 3], from[SOURCE_MAX];
	int id, wname = 0, wval = 0, n;

	for (id = 0; id < OPT__COUNT; id++) {
		if (id == OPT_VERSION)
			continue;
		if ((n = (int)strlen(opt_table[id].name)) > wname)
			wname = n;
		if ((n = (int)strlen(show_value(out, id, val, sizeof(val)))) >
		    wval)
			wval = n;
	}
	for (id = 0; id < OPT__COUNT; id++) {
		if (id == OPT_VERSION)
			continue;
		describe(s, r, out, layers, src[id], id, from, sizeof(from));
		printf("%-*s  %-*s  %s\n", wname, opt_table[id].name, wval,
		    show_value(out, id, val, sizeof(val)), from);
	}
}

/*
 * speedy-admin config SCRIPT: the options SCRIPT runs with and where each
 * comes from, resolved by the frontend's own rule (snap_resolve) from the
 * snapshot, the SPEEDY_* environment and the script's #! line.
 */
int
cmd_config(int argc, char **argv)
{
	static char path[PATH_MAX], line[SHEBANG_MAX];
	const struct opt_set *layers[2];
	struct opt_cmdline sh;
	struct opt_set env, out;
	struct snap_result r;
	struct snap s;
	static char msg[MSG_LEN];
	int src[OPT__COUNT], rc = ADM_EXIT_FAIL, found;

	if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
		if (argc > 1 && argv[1][0] == '-')
			warnx("config: unknown option '%s'", argv[1]);
		else
			warnx("config: give one script");
		adm_usage();
	}
	if (absolute_path(argv[1], path, sizeof(path)) == -1 ||
	    read_first_line(path, line, sizeof(line)) == -1)
		return ADM_EXIT_FAIL;
	memset(&env, 0, sizeof(env));
	if (opt_parse_shebang(&sh, line, msg, sizeof(msg)) == -1) {
		warnx("%s: %s", path, msg);
		return ADM_EXIT_FAIL;
	}
	if (opt_parse_env(&env, environ, msg, sizeof(msg)) == -1 ||
	    (found = snap_load(&s, adm_snapshot(), msg, sizeof(msg))) == -1) {
		warnx("%s", msg);
		return ADM_EXIT_FAIL;
	}
	if (found == 1)
		warnx("no configuration snapshot at %s: built-in defaults "
		    "apply", adm_snapshot());
	if (snap_apply(&s, path, &r, msg, sizeof(msg)) == -1)
		warnx("%s", msg);
	else {
		opt_defaults(&out, SPEEDY_BACKENDPROG);
		layers[0] = &env;
		layers[1] = &sh.opts;
		snap_resolve(&out, &r, layers, 2, src);
		print_config(&s, &r, &out, layers, src);
		rc = ADM_EXIT_OK;
	}
	snap_close(&s);
	return rc;
}
