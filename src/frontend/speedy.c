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
#include "util.h"

#ifndef SPEEDY_VERSION
#define SPEEDY_VERSION "0"
#endif

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

int
main(int argc, char **argv)
{
	static char *fixed[MAX_WORDS], line[FE_SHEBANG_MAX];
	static char orig1[FE_SHEBANG_MAX];
	char **words = fixed;
	int nwords = MAX_WORDS;
	static struct fe_request req;
	struct opt_cmdline cl, sh;
	char msg[512], *rest;
	int r;

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
	if (fe_read_script(&req, line, sizeof(line), msg, sizeof(msg)) != 0)
		errx(FE_EXIT_FAIL, "%s", msg);
	rest = strncmp(line, "#!", 2) == 0 ? strpbrk(line + 2, " \t") : NULL;
	if (rest != NULL)
		rest += strspn(rest, " \t");
	if (is_kernel_shebang(&cl, argc, argv, orig1, rest))
		memset(&cl.perl, 0, sizeof(cl.perl));
	if (opt_parse_shebang(&sh, line, msg, sizeof(msg)) == -1)
		errx(FE_EXIT_USAGE, "%s: %s", req.script, msg);
	if ((r = fe_resolve(&req, environ, &sh.opts, &sh.perl, &cl.opts,
	    &cl.perl, msg, sizeof(msg))) != 0)
		errx(r, "%s", msg);
	return fe_run(&req);
}
