/*
 * fuzz_opt.c: speedy's command line, the SPEEDY_* environment, perl
 * switches and single option values through the parsers of opt.c.  The
 * web server's request decides much of the environment and the command
 * line, so none of them may crash the frontend or the backend.
 *
 * The first byte picks the parser, the rest is its input:
 *   0  the frontend's argv (OPT_SPLIT | OPT_NEED_SCRIPT), split on NULs
 *   1  the backend's argv (OPT_NEED_SCRIPT), split on NULs
 *   2  environment entries, split on NULs
 *   3  perl switches, split on NULs, and the first of them as PerlArgs
 *   4  one value: the next byte picks the option, the rest is the text
 *   5  as 0, but with room for only 1 to 64 words (the next byte says),
 *      so that splitting reaches the end of the word array
 *   6  the script path, made absolute by util_abspath as the frontend
 *      makes it (the next byte picks the size of the buffer)
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "opt.h"
#include "util.h"

/* As in src/frontend/speedy.c and src/backend/speedy_backend.c. */
#define FE_MAX_WORDS	4096
#define BE_MAX_WORDS	(OPT_MAX_PERLSW * 2 + 64)

static char *words[FE_MAX_WORDS];

/* Fails unless p points into the len + 1 bytes of buf. */
static void
check_inside(const char *p, const char *buf, size_t len, const char *what)
{
	if (p == NULL || p < buf || p > buf + len)
		fuzz_fail("%s points outside the input", what);
}

static void
check_cmdline(const struct opt_cmdline *cl, int worklen, int need_script,
    const char *buf, size_t len)
{
	int i;

	if (cl->argv != words || cl->argc < 0 || cl->argc > worklen)
		fuzz_fail("argv %p, argc %d", (void *)cl->argv, cl->argc);
	for (i = 0; i < cl->argc; i++)
		check_inside(cl->argv[i], buf, len, "a word");
	if (cl->script_ix < -1 || cl->script_ix >= cl->argc)
		fuzz_fail("script index %d of %d words", cl->script_ix,
		    cl->argc);
	if (need_script && cl->script_ix == -1 && !cl->opts.num[OPT_VERSION])
		fuzz_fail("no script, and no error");
	if (cl->perl.n < 0 || cl->perl.n > OPT_MAX_PERLSW)
		fuzz_fail("%d perl switches", cl->perl.n);
	for (i = 0; i < cl->perl.n; i++)
		check_inside(cl->perl.sw[i], buf, len, "a perl switch");
	fuzz_check_opts(&cl->opts);
}

/*
 * Parses the words of buf as a command line: the frontend's (splitting
 * words, with room for worklen words) or the backend's.
 */
static void
fuzz_cmdline(char *buf, size_t len, int frontend, int worklen)
{
	static char *argv[FE_MAX_WORDS + 2];
	static char prog[] = "speedy";
	struct opt_cmdline cl;
	char err[512];
	int argc, flags = OPT_NEED_SCRIPT | (frontend ? OPT_SPLIT : 0);

	argv[0] = prog;
	argc = 1 + fuzz_split(buf, len, argv + 1, FE_MAX_WORDS + 1);
	memset(err, 'X', sizeof(err));
	if (opt_parse_cmdline(&cl, argc, argv, words, worklen, flags, err,
	    sizeof(err)) == 0)
		check_cmdline(&cl, worklen, 1, buf, len);
	else
		fuzz_check_err(err, sizeof(err), "opt_parse_cmdline");
}

static void
fuzz_env(char *buf, size_t len)
{
	struct opt_set set;
	char err[512];

	(void)fuzz_split(buf, len, words, FE_MAX_WORDS);
	memset(&set, 0, sizeof(set));
	memset(err, 'X', sizeof(err));
	if (opt_parse_env(&set, words, err, sizeof(err)) == 0)
		fuzz_check_opts(&set);
	else {
		fuzz_check_err(err, sizeof(err), "opt_parse_env");
		if (strncmp(err, "SPEEDY_", 7) != 0)
			fuzz_fail("the message does not name the variable: %s",
			    err);
	}
}

static void
fuzz_perlsw(char *buf, size_t len)
{
	struct opt_perlsw perl;
	char err[512];
	int i, n;

	n = fuzz_split(buf, len, words, FE_MAX_WORDS);
	for (i = 0; i < n; i++) {
		memset(err, 'X', sizeof(err));
		if (opt_check_perlsw(words[i], err, sizeof(err)) == 0) {
			if (words[i][0] != '-' || words[i][1] == '\0')
				fuzz_fail("'%s' accepted as a perl switch",
				    words[i]);
		} else
			fuzz_check_err(err, sizeof(err), "opt_check_perlsw");
	}
	if (n == 0)
		return;
	memset(&perl, 0, sizeof(perl));
	memset(err, 'X', sizeof(err));
	if (opt_split_perlargs(&perl, words[0], err, sizeof(err)) == -1) {
		fuzz_check_err(err, sizeof(err), "opt_split_perlargs");
		return;
	}
	if (perl.n < 0 || perl.n > OPT_MAX_PERLSW)
		fuzz_fail("%d perl switches", perl.n);
	for (i = 0; i < perl.n; i++)
		if (opt_check_perlsw(perl.sw[i], err, sizeof(err)) == -1)
			fuzz_fail("PerlArgs took '%s': %s", perl.sw[i], err);
}

static void
fuzz_value(char *buf, size_t len)
{
	struct opt_set set;
	char err[512], name[64];
	int id, found;

	if (len == 0)
		return;
	id = (unsigned char)buf[0] % OPT__COUNT;
	memset(&set, 0, sizeof(set));
	memset(err, 'X', sizeof(err));
	if (opt_set_value(&set, id, buf + 1, err, sizeof(err)) == 0) {
		if (!set.isset[id])
			fuzz_fail("%s accepted but not set", opt_table[id].name);
		if (opt_table[id].type == OPT_T_STR && set.str[id] != buf + 1)
			fuzz_fail("%s: not the text given", opt_table[id].name);
		fuzz_check_opts(&set);
	} else
		fuzz_check_err(err, sizeof(err), "opt_set_value");
	/* The text as an option name, as getopt, setopt and the files use. */
	if ((found = opt_lookup(buf + 1)) != -1 &&
	    (found >= OPT__COUNT || strcasecmp(buf + 1,
	    opt_table[found].name) != 0))
		fuzz_fail("opt_lookup(%s) = %d", buf + 1, found);
	(void)opt_confname(id, name, sizeof(name));
	(void)opt_envname(id, name, sizeof(name));
}

/*
 * A relative path comes back absolute, without "." components or doubled
 * slashes; an absolute one comes back as it was.
 */
static void
fuzz_abspath(char *buf, size_t len)
{
	char *out;
	size_t outlen;

	if (len == 0)
		return;
	outlen = 1 + (unsigned char)buf[0] * 16;
	if ((out = malloc(outlen)) == NULL)
		fuzz_fail("out of memory");
	if (util_abspath(buf + 1, out, outlen) == -1) {
		if (errno != ENAMETOOLONG)
			fuzz_fail("util_abspath: %s", strerror(errno));
	} else if (buf[1] == '/') {
		if (strcmp(out, buf + 1) != 0)
			fuzz_fail("util_abspath changed %s", buf + 1);
	} else if (out[0] != '/' || strstr(out, "//") != NULL ||
	    strstr(out, "/./") != NULL || (strlen(out) >= 2 &&
	    strcmp(out + strlen(out) - 2, "/.") == 0))
		fuzz_fail("util_abspath(%s) = %s", buf + 1, out);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf;

	if (size == 0)
		return 0;
	buf = fuzz_strndup(data + 1, size - 1);
	switch (data[0] % 7) {
	case 0:
		fuzz_cmdline(buf, size - 1, 1, FE_MAX_WORDS);
		break;
	case 1:
		fuzz_cmdline(buf, size - 1, 0, BE_MAX_WORDS);
		break;
	case 2:
		fuzz_env(buf, size - 1);
		break;
	case 3:
		fuzz_perlsw(buf, size - 1);
		break;
	case 4:
		fuzz_value(buf, size - 1);
		break;
	case 5:
		if (size > 1)
			fuzz_cmdline(buf + 1, size - 2, 1,
			    1 + (unsigned char)buf[0] % 64);
		break;
	case 6:
		fuzz_abspath(buf, size - 1);
		break;
	}
	free(buf);
	return 0;
}
