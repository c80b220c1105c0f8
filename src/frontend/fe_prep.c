/*
 * fe_prep.c: what the frontend learns before it looks for a backend: the
 * script's identity and first line, and the request's options.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fe.h"
#include "snap.h"
#include "util.h"

#ifndef SPEEDY_BACKENDPROG
#define SPEEDY_BACKENDPROG "/usr/bin/speedy_backend"
#endif
#ifndef SPEEDY_SNAPSHOT
#define SPEEDY_SNAPSHOT "/var/lib/speedy/snapshot"
#endif

const char *
fe_snapshot_path(void)
{
	const char *path;

	if ((path = getenv("SPEEDY_SNAPSHOT")) == NULL || *path == '\0')
		path = SPEEDY_SNAPSHOT;
	return path;
}

/* A failure with errno's reason: "WHAT: reason". */
static int
fail_errno(char *msg, size_t msglen, const char *what)
{
	(void)util_fmt(msg, msglen, "%s: %s", what, strerror(errno));
	return FE_EXIT_FAIL;
}

int
fe_read_script(struct fe_request *req, char *line, size_t linelen,
    char *msg, size_t msglen)
{
	struct stat st;
	ssize_t n;
	char *nl;
	int fd;

	if ((fd = open(req->script, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return fail_errno(msg, msglen, req->script);
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		(void)util_fmt(msg, msglen, "%s: not a regular file",
		    req->script);
		(void)close(fd);
		return FE_EXIT_FAIL;
	}
	do
		n = read(fd, line, linelen - 1);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		goto fail;
	(void)close(fd);
	line[n] = '\0';
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	req->key.dev = (uint64_t)st.st_dev;
	req->key.ino = (uint64_t)st.st_ino;
	req->key.mtime_sec = (int64_t)st.st_mtim.tv_sec;
	req->key.mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
	return 0;
fail:
	/* The message first: close could change errno. */
	(void)fail_errno(msg, msglen, req->script);
	(void)close(fd);
	return FE_EXIT_FAIL;
}

/* Appends src's switches to dst; -1 if there are too many. */
static int
add_switches(struct opt_perlsw *dst, const struct opt_perlsw *src)
{
	int i;

	if (src == NULL)
		return 0;
	for (i = 0; i < src->n; i++) {
		if (dst->n == OPT_MAX_PERLSW)
			return -1;
		dst->sw[dst->n++] = src->sw[i];
	}
	return 0;
}

/*
 * The perl switches: PerlArgs first, then the #! line's, then the command
 * line's.  PerlArgs is split in a copy that lives as long as the request
 * (its words are pointed to).
 */
static int
perl_switches(struct fe_request *req, char *pa, size_t palen,
    const struct opt_perlsw *shebang_perl,
    const struct opt_perlsw *cmdline_perl, char *msg, size_t msglen)
{
	struct opt_perlsw perlargs = { 0, { 0 } };
	char why[256];

	if (util_strlcpy(pa, req->opts.str[OPT_PERLARGS], palen) == -1 ||
	    opt_split_perlargs(&perlargs, pa, why, sizeof(why)) == -1) {
		(void)util_fmt(msg, msglen, "PerlArgs: %s", why);
		return FE_EXIT_USAGE;
	}
	memset(&req->perl, 0, sizeof(req->perl));
	if (add_switches(&req->perl, &perlargs) == -1 ||
	    add_switches(&req->perl, shebang_perl) == -1 ||
	    add_switches(&req->perl, cmdline_perl) == -1) {
		(void)util_fmt(msg, msglen, "too many perl switches");
		return FE_EXIT_USAGE;
	}
	return 0;
}

int
fe_resolve(struct fe_request *req, char *const *env,
    const struct opt_set *shebang, const struct opt_perlsw *shebang_perl,
    const struct opt_set *cmdline, const struct opt_perlsw *cmdline_perl,
    char *msg, size_t msglen)
{
	static struct snap snap;
	static struct snap_result conf;
	static char pa[OPT_STR_MAX + 1];
	struct opt_set envopts;
	const struct opt_set *layers[3];
	const char *path;
	int n = 0;

	memset(&envopts, 0, sizeof(envopts));
	if (opt_parse_env(&envopts, (char **)env, msg, msglen) == -1)
		return FE_EXIT_USAGE;
	path = fe_snapshot_path();
	/* A damaged snapshot stops us: its locks may matter. */
	if (snap_open(&snap, path, msg, msglen) == -1)
		return FE_EXIT_FAIL;
	if (snap_apply(&snap, req->script, &conf, msg, msglen) == -1) {
		snap_close(&snap);
		return FE_EXIT_FAIL;
	}
	snap_close(&snap);
	layers[n++] = &envopts;
	if (shebang != NULL)
		layers[n++] = shebang;
	if (cmdline != NULL)
		layers[n++] = cmdline;
	opt_defaults(&req->opts, SPEEDY_BACKENDPROG);
	snap_resolve(&req->opts, &conf, layers, n, NULL);
	(void)util_strlcpy(req->key.group, req->opts.str[OPT_GROUP],
	    OPT_GROUP_SIG + 1);
	req->key.pathhash = util_hash(req->script);
	return perl_switches(req, pa, sizeof(pa), shebang_perl, cmdline_perl,
	    msg, msglen);
}
