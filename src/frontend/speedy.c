/*
 * speedy: the frontend.  A web server runs it for every request of a
 * script whose "#!" line names it; it resolves the options, finds (or
 * starts) a persistent backend holding the compiled script, passes it the
 * request with its own stdin, stdout and stderr, and exits with the
 * script's status.  This is the hot path: no libperl, no config parsing,
 * few system calls.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fe.h"
#include "snap.h"
#include "util.h"

#ifndef SPEEDY_BACKENDPROG
#define SPEEDY_BACKENDPROG "/usr/bin/speedy_backend"
#endif
#ifndef SPEEDY_VERSION
#define SPEEDY_VERSION "0"
#endif
#ifndef SPEEDY_SNAPSHOT
#define SPEEDY_SNAPSHOT "/var/lib/speedy/snapshot"
#endif

#define SHEBANG_MAX	1024	/* bytes of the first line we look at */
#define MAX_WORDS	4096	/* arguments after splitting */

extern char **environ;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: speedy [perl-switches] [-- [-B bytes] "
	    "[-b bytes] [-g[name]] [-M number]\n"
	    "              [-m megabytes] [-p path] [-R seconds] "
	    "[-r number] [-T path]\n"
	    "              [-t seconds] [-v]] script [argument ...]\n");
	exit(FE_EXIT_USAGE);
}

/* Makes sure descriptors 0-2 exist, so nothing we open lands on them. */
static void
ensure_stdio(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) == -1 &&
		    open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) == -1)
			err(FE_EXIT_FAIL, "/dev/null");
}

/*
 * Reads the script's first line into line and its identity into key.
 * Missing or unreadable scripts fail here, before any backend is involved.
 */
static void
read_script(const char *path, char *line, size_t linelen,
    struct queue_key *key)
{
	struct stat st;
	ssize_t n;
	char *nl;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		err(FE_EXIT_FAIL, "%s", path);
	if (fstat(fd, &st) == -1)
		err(FE_EXIT_FAIL, "%s", path);
	if (!S_ISREG(st.st_mode))
		errx(FE_EXIT_FAIL, "%s: not a regular file", path);
	do
		n = read(fd, line, linelen - 1);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		err(FE_EXIT_FAIL, "%s", path);
	(void)close(fd);
	line[n] = '\0';
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	key->dev = (uint64_t)st.st_dev;
	key->ino = (uint64_t)st.st_ino;
	key->mtime_sec = (int64_t)st.st_mtim.tv_sec;
	key->mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
}

/* Makes path absolute against the current directory (util_abspath). */
static void
absolute_path(const char *path, char *out, size_t outlen)
{
	if (util_abspath(path, out, outlen) == -1) {
		if (errno == ENAMETOOLONG)
			errx(FE_EXIT_FAIL, "%s: path too long", path);
		err(FE_EXIT_FAIL, "cannot find the current directory");
	}
}

/* Appends src's switches to dst. */
static void
add_switches(struct opt_perlsw *dst, const struct opt_perlsw *src)
{
	int i;

	for (i = 0; i < src->n; i++) {
		if (dst->n == OPT_MAX_PERLSW)
			errx(FE_EXIT_USAGE, "too many perl switches");
		dst->sw[dst->n++] = src->sw[i];
	}
}

/*
 * True if the command line is the kernel's copy of the script's #! line
 * options: run as "#!/usr/bin/speedy -w -- -t30", argv[1] is everything
 * after the interpreter on that line.  Those options are then taken once,
 * from the file.  rest is the line after the interpreter; orig1 is argv[1]
 * before splitting.
 */
static int
is_kernel_shebang(const struct opt_cmdline *cl, int argc, char **argv,
    const char *orig1, char *rest)
{
	size_t n;

	if (rest == NULL || argc < 3 || cl->argv[cl->script_ix] != argv[2])
		return 0;
	/* The kernel drops trailing blanks; so must we. */
	n = strlen(rest);
	while (n > 0 && (rest[n - 1] == ' ' || rest[n - 1] == '\t'))
		rest[--n] = '\0';
	return strcmp(orig1, rest) == 0;
}

/*
 * The options of this request: built-in defaults < the configuration
 * snapshot (global values, then the sites whose patterns match) <
 * SPEEDY_* environment < #! line < command line, and the configuration's
 * locked values over all of them.  The snapshot is mapped, not parsed.
 */
static void
resolve(struct fe_request *req, const struct opt_set *shebang,
    const struct opt_set *cmdline)
{
	static struct snap snap;
	static struct snap_result conf;
	struct opt_set env;
	const struct opt_set *layers[3];
	const char *path;
	char msg[512];

	memset(&env, 0, sizeof(env));
	if (opt_parse_env(&env, environ, msg, sizeof(msg)) == -1)
		errx(FE_EXIT_USAGE, "%s", msg);
	if ((path = getenv("SPEEDY_SNAPSHOT")) == NULL || *path == '\0')
		path = SPEEDY_SNAPSHOT;
	/* A damaged snapshot stops us: its locks may matter. */
	if (snap_open(&snap, path, msg, sizeof(msg)) == -1 ||
	    snap_apply(&snap, req->script, &conf, msg, sizeof(msg)) == -1)
		errx(FE_EXIT_FAIL, "%s", msg);
	snap_close(&snap);
	layers[0] = &env;
	layers[1] = shebang;
	layers[2] = cmdline;
	opt_defaults(&req->opts, SPEEDY_BACKENDPROG);
	snap_resolve(&req->opts, &conf, layers, 3, NULL);
}

int
main(int argc, char **argv)
{
	static char *fixed[MAX_WORDS], line[SHEBANG_MAX], orig1[SHEBANG_MAX];
	char **words = fixed;
	int nwords = MAX_WORDS;
	static struct fe_request req;
	struct opt_cmdline cl, sh;
	struct opt_perlsw perlargs = { 0, { 0 } };
	char msg[512], *rest;
	static char pa[OPT_STR_MAX + 1];

	ensure_stdio();
	/* Keep the kernel's argv[1] before splitting changes it. */
	if (argc > 1)
		(void)util_strlcpy(orig1, argv[1], sizeof(orig1));
	/* A bad option gets one line naming it; no script gets the usage. */
	if (argc < 2)
		usage();
	/*
	 * A web server passes the words of an ISINDEX query as arguments,
	 * as many as execve allows: room for all of them and for the words
	 * of a split #! line.
	 */
	if (argc > MAX_WORDS / 2) {
		nwords = argc + MAX_WORDS / 2;
		if ((words = calloc((size_t)nwords, sizeof(*words))) == NULL)
			err(FE_EXIT_FAIL, "too many arguments");
	}
	if (opt_parse_cmdline(&cl, argc, argv, words, nwords,
	    OPT_NEED_SCRIPT | OPT_SPLIT, msg, sizeof(msg)) == -1) {
		if (cl.script_ix == -1 && strcmp(msg, "no script given") == 0)
			usage();
		errx(FE_EXIT_USAGE, "%s", msg);
	}
	if (cl.opts.num[OPT_VERSION]) {
		printf("speedy-cgi %s\n", SPEEDY_VERSION);
		return 0;
	}
	req.argv0 = cl.argv[cl.script_ix];
	req.args = &cl.argv[cl.script_ix + 1];
	req.env = environ;
	absolute_path(req.argv0, req.script, sizeof(req.script));
	read_script(req.script, line, sizeof(line), &req.key);
	rest = strncmp(line, "#!", 2) == 0 ? strpbrk(line + 2, " \t") : NULL;
	if (rest != NULL)
		rest += strspn(rest, " \t");
	if (is_kernel_shebang(&cl, argc, argv, orig1, rest))
		memset(&cl.perl, 0, sizeof(cl.perl));
	if (opt_parse_shebang(&sh, line, msg, sizeof(msg)) == -1)
		errx(FE_EXIT_USAGE, "%s: %s", req.script, msg);

	resolve(&req, &sh.opts, &cl.opts);
	if (util_strlcpy(pa, req.opts.str[OPT_PERLARGS], sizeof(pa)) == -1 ||
	    opt_split_perlargs(&perlargs, pa, msg, sizeof(msg)) == -1)
		errx(FE_EXIT_USAGE, "PerlArgs: %s", msg);
	add_switches(&req.perl, &perlargs);
	add_switches(&req.perl, &sh.perl);
	add_switches(&req.perl, &cl.perl);
	return fe_run(&req);
}
