/*
 * sf_script.c: which script a FastCGI request runs, and with what options.
 *
 * The options are resolved as the speedy frontend resolves them (the
 * configuration snapshot, speedy-fcgi's own SPEEDY_* environment, the
 * script's #! line, speedy-fcgi's command line); the request's parameters
 * never set options, since they come from the network.  Resolving reads
 * the script and maps the snapshot, so the last result is kept and used
 * again while the script (device, inode, modification time) and the
 * snapshot file are unchanged: two stat calls per request.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sf.h"
#include "util.h"

extern char **environ;

static struct fe_request req;
static char line[FE_SHEBANG_MAX];
static struct opt_cmdline sh;
static char *noargs[1];
static struct stat snap_st;	/* the snapshot when req was resolved */
static int valid;

/* The value of name in env, or NULL. */
static const char *
env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* True if path lies under dir as written, with no ".." on the way. */
static int
lexically_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		n = 0;
	return strncmp(path, dir, n) == 0 && path[n] == '/' &&
	    strstr(path + n, "/../") == NULL &&
	    (strlen(path) < 3 || strcmp(path + strlen(path) - 3, "/..") != 0);
}

/*
 * Dispatcher mode: the request's SCRIPT_FILENAME, which must lie under
 * the root once symbolic links are resolved, so that a link under the
 * root that points out of it is refused.  The path returned is the root
 * as written followed by the rest of the canonical path: the one the
 * configuration's patterns (written against the root as the operator
 * knows it) and speedy-admin see, whatever links lead there.
 */
static int
under_root(const struct sf_config *cfg, char *const *env, char *out,
    char *msg, size_t msglen)
{
	const char *want = env_get(env, "SCRIPT_FILENAME");
	char path[PATH_MAX];
	size_t rl;
	int e;

	if (want == NULL || *want == '\0') {
		(void)util_fmt(msg, msglen, "no SCRIPT_FILENAME in the request");
		return 404;
	}
	if (realpath(want, path) == NULL) {
		e = errno;
		(void)util_fmt(msg, msglen, "%s: %s", want, strerror(e));
		/*
		 * Only a path that names the root lexically may learn that a
		 * file is missing: elsewhere 404 and 403 would tell which
		 * files exist outside it.
		 */
		return (e == ENOENT || e == ENOTDIR) &&
		    (lexically_under(want, cfg->rootabs) ||
		    lexically_under(want, cfg->rootreal)) ? 404 : 403;
	}
	/* A canonical path has no "..": the same test is a prefix test. */
	if (!lexically_under(path, cfg->rootreal)) {
		(void)util_fmt(msg, msglen, "%s: outside %s", want, cfg->root);
		return 403;
	}
	rl = strcmp(cfg->rootreal, "/") == 0 ? 0 : strlen(cfg->rootreal);
	if (util_fmt(out, PATH_MAX, "%s%s", strcmp(cfg->rootabs, "/") == 0 ?
	    "" : cfg->rootabs, path + rl) == -1) {
		(void)util_fmt(msg, msglen, "%s: path too long", want);
		return 404;
	}
	return 0;
}

/* True if the snapshot file changed since st (or came or went). */
static int
snapshot_changed(struct stat *st)
{
	struct stat now;

	if (stat(fe_snapshot_path(), &now) == -1)
		memset(&now, 0, sizeof(now));
	if (now.st_dev == st->st_dev && now.st_ino == st->st_ino &&
	    now.st_mtim.tv_sec == st->st_mtim.tv_sec &&
	    now.st_mtim.tv_nsec == st->st_mtim.tv_nsec)
		return 0;
	*st = now;
	return 1;
}

/* Reads the script at path and resolves its options into req. */
static int
resolve(const struct sf_config *cfg, const char *path, char *msg,
    size_t msglen)
{
	char why[256];

	valid = 0;
	memset(&req, 0, sizeof(req));
	if (util_strlcpy(req.script, path, sizeof(req.script)) == -1) {
		(void)util_fmt(msg, msglen, "%s: path too long", path);
		return 404;
	}
	if (fe_read_script(&req, line, sizeof(line), msg, msglen) != 0)
		return 403;
	if (opt_parse_shebang(&sh, line, why, sizeof(why)) == -1) {
		(void)util_fmt(msg, msglen, "%s: %s", req.script, why);
		return 500;
	}
	if (fe_resolve(&req, environ, &sh.opts, &sh.perl, &cfg->cl.opts,
	    &cfg->cl.perl, msg, msglen) != 0)
		return 500;
	req.argv0 = req.script;
	req.args = noargs;
	valid = 1;
	return 0;
}

int
sf_script(const struct sf_config *cfg, char *const *env,
    struct fe_request **reqp, char *msg, size_t msglen)
{
	char path[PATH_MAX];
	struct stat st;
	int r, snap;

	if (cfg->root != NULL) {
		if ((r = under_root(cfg, env, path, msg, msglen)) != 0)
			return r;
	} else if (util_strlcpy(path, cfg->script, sizeof(path)) == -1) {
		(void)util_fmt(msg, msglen, "%s: path too long", cfg->script);
		return 500;
	}
	if (stat(path, &st) == -1) {
		(void)util_fmt(msg, msglen, "%s: %s", path, strerror(errno));
		return errno == ENOENT || errno == ENOTDIR ? 404 : 403;
	}
	/* As under CGI, only an executable file is a script. */
	if (!S_ISREG(st.st_mode) || access(path, X_OK) == -1) {
		(void)util_fmt(msg, msglen, "%s: not an executable file", path);
		return 403;
	}
	snap = snapshot_changed(&snap_st);
	if (!valid || snap || strcmp(req.script, path) != 0 ||
	    req.key.dev != (uint64_t)st.st_dev ||
	    req.key.ino != (uint64_t)st.st_ino ||
	    req.key.mtime_sec != (int64_t)st.st_mtim.tv_sec ||
	    req.key.mtime_nsec != (int64_t)st.st_mtim.tv_nsec) {
		if ((r = resolve(cfg, path, msg, msglen)) != 0)
			return r;
	}
	req.env = (char **)env;
	*reqp = &req;
	return 0;
}
