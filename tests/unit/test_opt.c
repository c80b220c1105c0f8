/*
 * test_opt.c: unit tests for src/common/opt.c (and util.c, which it uses).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"
#include "util.h"
#include "unit.h"

#define WORKLEN	128

/* A mutable argv built from string literals (strdup'd). */
struct av {
	char	*v[WORKLEN + 2];
	int	 n;
};

static void
av_make(struct av *a, ...)
{
	va_list ap;
	const char *s;

	a->n = 0;
	va_start(ap, a);
	while ((s = va_arg(ap, const char *)) != NULL && a->n < WORKLEN + 1)
		a->v[a->n++] = strdup(s);
	va_end(ap);
	a->v[a->n] = NULL;
}

static void
av_free(struct av *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static char *work[WORKLEN];
static char err[512];

/*
 * Parses a as the frontend does (splitting the kernel's #! argument;
 * need_script adds OPT_NEED_SCRIPT) and returns opt_parse_cmdline's result.
 */
static int
parse(struct opt_cmdline *cl, struct av *a, int need_script)
{
	err[0] = '\0';
	return opt_parse_cmdline(cl, a->n, a->v, work, WORKLEN,
	    OPT_SPLIT | (need_script ? OPT_NEED_SCRIPT : 0), err, sizeof(err));
}

static int
nisset(const struct opt_set *s)
{
	int i, n = 0;

	for (i = 0; i < OPT__COUNT; i++)
		n += s->isset[i] != 0;
	return n;
}

static void
test_table(void)
{
	static const struct { int id; const char *name; char letter; } t[] = {
		{ OPT_BACKENDPROG, "BackendProg", 'p' },
		{ OPT_BUFSIZGET, "BufsizGet", 'B' },
		{ OPT_BUFSIZPOST, "BufsizPost", 'b' },
		{ OPT_GROUP, "Group", 'g' },
		{ OPT_MAXBACKENDS, "MaxBackends", 'M' },
		{ OPT_MAXRUNS, "MaxRuns", 'r' },
		{ OPT_PERLARGS, "PerlArgs", 0 },
		{ OPT_TIMEOUT, "Timeout", 't' },
		{ OPT_TMPBASE, "TmpBase", 'T' },
		{ OPT_VERSION, "Version", 'v' },
	};
	size_t k;
	int i, j, dup = 0, badidx = 0, baddef = 0;
	struct opt_set s;

	for (k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		CHECK_STR(opt_table[t[k].id].name, t[k].name, "table: name of "
		    "option %d is %s", t[k].id, t[k].name);
		CHECK_INT(opt_table[t[k].id].letter, t[k].letter,
		    "table: %s has SpeedyCGI 2.22 letter '%c'", t[k].name,
		    t[k].letter ? t[k].letter : '0');
	}
	for (i = 0; i < OPT__COUNT; i++) {
		if (opt_lookup(opt_table[i].name) != i)
			badidx++;
		for (j = i + 1; j < OPT__COUNT; j++)
			if (opt_table[i].letter != 0 &&
			    opt_table[i].letter == opt_table[j].letter)
				dup++;
		if (opt_table[i].type == OPT_T_INT && (opt_table[i].defval ==
		    NULL || opt_set_value(&s, i, opt_table[i].defval, err,
		    sizeof(err)) == -1))
			baddef++;
	}
	CHECK_INT(badidx, 0, "table: entries are in enum order");
	CHECK_INT(dup, 0, "table: no two options share a letter");
	CHECK_INT(baddef, 0, "table: numeric defaults are within range");
	CHECK(opt_table[OPT_PERLARGS].ctx == (OPT_CTX_ENV | OPT_CTX_CONF),
	    "table: PerlArgs is settable from the environment and config only");
	CHECK(!(opt_table[OPT_VERSION].ctx & OPT_CTX_ENV),
	    "table: Version is not an environment option");
}

static void
test_defaults(void)
{
	struct opt_set s;
	char buf[64];

	memset(&s, 0xa5, sizeof(s));
	opt_defaults(&s, "/usr/lib/speedy_backend");
	CHECK_INT(s.num[OPT_TIMEOUT], 3600, "defaults: Timeout 3600");
	CHECK_INT(s.num[OPT_MAXRUNS], 500, "defaults: MaxRuns 500");
	CHECK_INT(s.num[OPT_MAXBACKENDS], 0, "defaults: MaxBackends 0");
	CHECK_INT(s.num[OPT_BUFSIZGET], 131072, "defaults: BufsizGet 131072");
	CHECK_INT(s.num[OPT_BUFSIZPOST], 131072,
	    "defaults: BufsizPost 131072");
	CHECK_STR(s.str[OPT_GROUP], "none", "defaults: Group none");
	CHECK_STR(s.str[OPT_TMPBASE], "/tmp/speedy",
	    "defaults: TmpBase /tmp/speedy");
	CHECK_STR(s.str[OPT_PERLARGS], "", "defaults: PerlArgs empty");
	CHECK_STR(s.str[OPT_BACKENDPROG], "/usr/lib/speedy_backend",
	    "defaults: BackendProg is the caller's");
	CHECK_INT(s.num[OPT_VERSION], 0, "defaults: Version is 0 (table "
	    "default \"0\")");
	CHECK_STR(opt_format(&s, OPT_VERSION, buf, sizeof(buf)), "0",
	    "defaults: opt_format(Version) is \"0\"");
	CHECK_INT(nisset(&s), 0, "defaults: nothing is marked isset");
}

static void
test_lookup(void)
{
	CHECK_INT(opt_lookup("Timeout"), OPT_TIMEOUT, "lookup: Timeout");
	CHECK_INT(opt_lookup("timeout"), OPT_TIMEOUT, "lookup: timeout");
	CHECK_INT(opt_lookup("TIMEOUT"), OPT_TIMEOUT, "lookup: TIMEOUT");
	CHECK_INT(opt_lookup("maxRUNS"), OPT_MAXRUNS, "lookup: maxRUNS");
	CHECK_INT(opt_lookup("tmpbase"), OPT_TMPBASE, "lookup: tmpbase");
	CHECK_INT(opt_lookup("Time"), -1, "lookup: prefix Time is unknown");
	CHECK_INT(opt_lookup("TimeoutX"), -1, "lookup: TimeoutX is unknown");
	CHECK_INT(opt_lookup(""), -1, "lookup: empty name is unknown");
	CHECK_INT(opt_lookup("confdir"), -1, "lookup: confdir is unknown");
}

static void
test_set_value(void)
{
	struct opt_set s;
	char big[300];

	opt_defaults(&s, "be");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "300", err, sizeof(err)), 0,
	    "set: Timeout 300");
	CHECK_INT(s.num[OPT_TIMEOUT], 300, "set: Timeout is 300");
	CHECK(s.isset[OPT_TIMEOUT], "set: Timeout marked isset");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "0", err, sizeof(err)), 0,
	    "set: Timeout 0 (never) accepted");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "2147483", err, sizeof(err)),
	    0, "set: Timeout INT_MAX/1000 accepted");

	opt_defaults(&s, "be");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "abc", err, sizeof(err)), -1,
	    "set: Timeout abc refused");
	CHECK_HAS(err, "Timeout", "set: error names the option");
	CHECK_HAS(err, "'abc'", "set: error quotes the value");
	CHECK_INT(s.num[OPT_TIMEOUT], 3600, "set: failed set keeps the value");
	CHECK(!s.isset[OPT_TIMEOUT], "set: failed set does not mark isset");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "2147484", err, sizeof(err)),
	    -1, "set: Timeout above INT_MAX/1000 refused (ms overflow)");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "-1", err, sizeof(err)), -1,
	    "set: Timeout -1 refused");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "300x", err, sizeof(err)), -1,
	    "set: trailing garbage refused");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "300 ", err, sizeof(err)), -1,
	    "set: trailing blank refused");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, " 300", err, sizeof(err)), -1,
	    "set: leading blank refused");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "+300", err, sizeof(err)), -1,
	    "set: leading + refused");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "", err, sizeof(err)), -1,
	    "set: empty number refused");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "0x10", err, sizeof(err)), -1,
	    "set: hex refused");
	CHECK_INT(opt_set_value(&s, OPT_MAXRUNS,
	    "99999999999999999999999", err, sizeof(err)), -1,
	    "set: overflowing number refused");
	CHECK_INT(opt_set_value(&s, OPT_MAXRUNS, "2147483648", err,
	    sizeof(err)), -1, "set: MaxRuns above INT_MAX refused");
	CHECK_INT(opt_set_value(&s, OPT_MAXBACKENDS, "100001", err,
	    sizeof(err)), -1, "set: MaxBackends above 100000 refused");
	CHECK_INT(opt_set_value(&s, OPT_BUFSIZGET, "1073741825", err,
	    sizeof(err)), -1, "set: BufsizGet above 1 GiB refused");
	CHECK_INT(s.num[OPT_TIMEOUT], 3600,
	    "set: value unchanged after all the refusals");
	CHECK_INT(s.num[OPT_MAXRUNS], 500, "set: MaxRuns unchanged");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "\n300", err, sizeof(err)),
	    -1, "set: leading newline refused like a leading blank");
	CHECK_INT(opt_set_value(&s, OPT_TIMEOUT, "\r300", err, sizeof(err)),
	    -1, "set: leading CR refused like a leading blank");

	/* Strings. */
	CHECK_INT(opt_set_value(&s, OPT_TMPBASE, "", err, sizeof(err)), -1,
	    "set: empty TmpBase refused");
	CHECK_HAS(err, "TmpBase", "set: string error names the option");
	memset(big, 'x', sizeof(big));
	big[0] = '/';
	big[80] = '\0';
	CHECK_INT(opt_set_value(&s, OPT_TMPBASE, big, err, sizeof(err)), 0,
	    "set: 80-byte TmpBase accepted");
	big[80] = 'x';
	big[81] = '\0';
	CHECK_INT(opt_set_value(&s, OPT_TMPBASE, big, err, sizeof(err)), -1,
	    "set: 81-byte TmpBase refused");
	memset(big, 'x', sizeof(big));
	big[256] = '\0';
	CHECK_INT(opt_set_value(&s, OPT_GROUP, big, err, sizeof(err)), -1,
	    "set: 256-byte Group refused");
	CHECK_INT(opt_set_value(&s, OPT_GROUP, "web", err, sizeof(err)), 0,
	    "set: Group web accepted");
	CHECK_STR(s.str[OPT_GROUP], "web", "set: Group is web");
	CHECK_INT(opt_set_value(&s, OPT_VERSION, "", err, sizeof(err)), 0,
	    "set: Version flag");
	CHECK_INT(s.num[OPT_VERSION], 1, "set: Version is 1");
}

static void
test_cmdline_basic(void)
{
	struct opt_cmdline cl;
	struct av a;

	av_make(&a, "speedy", "/s/script.pl", "a", "-t", "x", NULL);
	CHECK_INT(parse(&cl, &a, 1), 0, "cmdline: bare script");
	CHECK_INT(cl.script_ix, 0, "cmdline: script is the first word");
	CHECK_INT(cl.argc, 4, "cmdline: argc excludes argv[0]");
	CHECK_STR(cl.argv[cl.script_ix], "/s/script.pl", "cmdline: script");
	CHECK_STR(cl.argv[2], "-t", "cmdline: script args not parsed");
	CHECK_INT(cl.perl.n, 0, "cmdline: no perl switches");
	CHECK_INT(nisset(&cl.opts), 0, "cmdline: no speedy options");
	av_free(&a);

	av_make(&a, "speedy", "-w", "-T", "-Ilib", "-I", "/opt/dir",
	    "-MPOSIX", "-MPOSIX=floor", "-wT", "-mstrict", "-X", "-W", "-U",
	    "-CSD", "-t", "s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "cmdline: perl switches accepted")) {
		CHECK_INT(cl.perl.n, 14, "cmdline: 14 perl words");
		CHECK_STR(cl.perl.sw[0], "-w", "cmdline: -w");
		CHECK_STR(cl.perl.sw[2], "-Ilib", "cmdline: -Ilib");
		CHECK_STR(cl.perl.sw[3], "-I", "cmdline: -I dir kept as -I");
		CHECK_STR(cl.perl.sw[4], "/opt/dir", "cmdline: ... and dir");
		CHECK_STR(cl.perl.sw[6], "-MPOSIX=floor", "cmdline: -MPOSIX=floor");
		CHECK_STR(cl.perl.sw[7], "-wT", "cmdline: -wT");
		CHECK_STR(cl.argv[cl.script_ix], "s.pl", "cmdline: script after "
		    "switches");
	}
	av_free(&a);
}

static void
test_cmdline_refused(void)
{
	static const char *bad[] = { "-e", "-n", "-p", "-i", "-i.bak", "-x",
	    "-l", "-0", "-0777", "-a", "-F:", "-s", "-c", "-d", "-E", "-we",
	    "-Tn", "-S", "-v" };
	struct opt_cmdline cl;
	struct av a;
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		av_make(&a, "speedy", bad[k], "s.pl", NULL);
		CHECK_INT(parse(&cl, &a, 1), -1, "cmdline: perl switch %s "
		    "refused", bad[k]);
		CHECK(err[0] != '\0', "cmdline: %s refusal has a message",
		    bad[k]);
		av_free(&a);
	}
	av_make(&a, "speedy", "-e", "s.pl", NULL);
	(void)parse(&cl, &a, 1);
	CHECK_HAS(err, "-e", "cmdline: -e refusal names the switch");
	av_free(&a);
	av_make(&a, "speedy", "-I", NULL);
	CHECK_INT(parse(&cl, &a, 0), -1, "cmdline: -I without a directory");
	av_free(&a);
	av_make(&a, "speedy", "-M", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "cmdline: -M without a module");
	av_free(&a);
	av_make(&a, "speedy", "-wI", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "cmdline: -wI without a directory");
	av_free(&a);
}

static void
test_cmdline_speedy(void)
{
	struct opt_cmdline cl;
	struct av a;

	av_make(&a, "speedy", "-w", "--", "-t300", "-r", "10", "-M5", "-g",
	    "-T/tmp/x", "-p", "/bin/be", "-B", "1000", "-b2000", "s.pl", "arg",
	    NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "speedy opts: all letters")) {
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 300, "speedy opts: -t300");
		CHECK_INT(cl.opts.num[OPT_MAXRUNS], 10, "speedy opts: -r 10");
		CHECK_INT(cl.opts.num[OPT_MAXBACKENDS], 5, "speedy opts: -M5");
		CHECK_STR(cl.opts.str[OPT_GROUP], "default",
		    "speedy opts: -g alone is \"default\"");
		CHECK_STR(cl.opts.str[OPT_TMPBASE], "/tmp/x",
		    "speedy opts: -T/tmp/x");
		CHECK_STR(cl.opts.str[OPT_BACKENDPROG], "/bin/be",
		    "speedy opts: -p /bin/be");
		CHECK_INT(cl.opts.num[OPT_BUFSIZGET], 1000,
		    "speedy opts: -B 1000");
		CHECK_INT(cl.opts.num[OPT_BUFSIZPOST], 2000,
		    "speedy opts: -b2000");
		CHECK_INT(nisset(&cl.opts), 8, "speedy opts: 8 options isset");
		CHECK(!cl.opts.isset[OPT_VERSION], "speedy opts: Version unset");
		CHECK_STR(cl.argv[cl.script_ix], "s.pl", "speedy opts: script");
		CHECK_INT(cl.perl.n, 1, "speedy opts: -w before -- is perl's");
	}
	av_free(&a);

	av_make(&a, "speedy", "--", "-t", "300", "-gweb", "s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "speedy opts: -t 300")) {
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 300, "speedy opts: "
		    "separate value");
		CHECK_STR(cl.opts.str[OPT_GROUP], "web", "speedy opts: -gweb");
		CHECK_STR(cl.argv[cl.script_ix], "s.pl", "speedy opts: value "
		    "word is not the script");
	}
	av_free(&a);

	av_make(&a, "speedy", "--", "-g", "s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "speedy opts: -g then script"))
		CHECK_STR(cl.argv[cl.script_ix], "s.pl", "speedy opts: -g does "
		    "not take the next word");
	av_free(&a);

	av_make(&a, "speedy", "--", "-z", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: unknown -z");
	CHECK_HAS(err, "-z", "speedy opts: unknown option named");
	av_free(&a);

	av_make(&a, "speedy", "--", "-w", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: perl's -w after -- is "
	    "unknown");
	av_free(&a);

	av_make(&a, "speedy", "--", "-t", NULL);
	CHECK_INT(parse(&cl, &a, 0), -1, "speedy opts: -t without value");
	CHECK_HAS(err, "needs a value", "speedy opts: missing value message");
	av_free(&a);

	av_make(&a, "speedy", "--", "-tabc", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: -tabc");
	CHECK_HAS(err, "Timeout", "speedy opts: bad value names Timeout");
	av_free(&a);

	av_make(&a, "speedy", "--", "-t300s", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: -t300s garbage");
	av_free(&a);

	av_make(&a, "speedy", "--", "-t", "99999999999999999999", "s.pl",
	    NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: -t overflow");
	av_free(&a);

	av_make(&a, "speedy", "--", "-M", "-1", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: -M -1 out of range");
	av_free(&a);

	av_make(&a, "speedy", "--", "-T", "", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: -T '' too short");
	av_free(&a);

	av_make(&a, "speedy", "--", "-v", NULL);
	CHECK_INT(parse(&cl, &a, 1), 0, "speedy opts: -v needs no script");
	CHECK_INT(cl.opts.num[OPT_VERSION], 1, "speedy opts: -v sets Version");
	CHECK_INT(cl.script_ix, -1, "speedy opts: -v, no script");
	av_free(&a);

	av_make(&a, "speedy", "--", "-vx", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "speedy opts: -vx refused");
	av_free(&a);

	av_make(&a, "speedy", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "cmdline: no script is an error");
	CHECK_HAS(err, "no script", "cmdline: no script message");
	CHECK_INT(parse(&cl, &a, 0), 0, "cmdline: no script allowed when "
	    "not needed");
	CHECK_INT(cl.script_ix, -1, "cmdline: script_ix -1");
	av_free(&a);

	av_make(&a, "speedy", "-w", "--", "-t5", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "cmdline: options but no script");
	av_free(&a);
}

static void
test_cmdline_dashdash(void)
{
	struct opt_cmdline cl;
	struct av a;

	av_make(&a, "speedy", "--", "-t5", "--", "-odd-name", "-t9", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "--: second -- ends options")) {
		CHECK_STR(cl.argv[cl.script_ix], "-odd-name",
		    "--: word after second -- is the script");
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 5, "--: -t9 after script "
		    "ignored");
	}
	av_free(&a);

	av_make(&a, "speedy", "-w", "--", "s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "--: empty speedy section"))
		CHECK_STR(cl.argv[cl.script_ix], "s.pl", "--: script");
	av_free(&a);

	av_make(&a, "speedy", "--", "--", "s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "--: -- -- script"))
		CHECK_STR(cl.argv[cl.script_ix], "s.pl", "--: script after -- --");
	av_free(&a);

	av_make(&a, "speedy", "-", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "--: lone - is the script"))
		CHECK_INT(cl.script_ix, 0, "--: script_ix 0");
	av_free(&a);
}

static void
test_cmdline_split(void)
{
	struct opt_cmdline cl;
	struct av a;
	char *small[3];
	int i, r;

	/* What the kernel passes for "#!/usr/bin/speedy -w -- -t300". */
	av_make(&a, "speedy", "-w -- -t300", "/w/s.pl", "arg one", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "split: '-w -- -t300'")) {
		CHECK_INT(cl.argc, 5, "split: three words replace one");
		CHECK_INT(cl.script_ix, 3, "split: script index shifted");
		CHECK_STR(cl.argv[cl.script_ix], "/w/s.pl", "split: script");
		CHECK_STR(cl.argv[4], "arg one", "split: script args kept whole");
		CHECK_INT(cl.perl.n, 1, "split: one perl switch");
		CHECK_STR(cl.perl.sw[0], "-w", "split: -w");
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 300, "split: -t300");
		CHECK(cl.argv == work, "split: argv points to the work array");
	}
	av_free(&a);

	av_make(&a, "speedy", "-w\t-T  -- -t 300 -g", "/w/s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "split: tabs, double blanks, "
	    "separate value")) {
		CHECK_INT(cl.perl.n, 2, "split: -w -T");
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 300, "split: -t 300");
		CHECK_STR(cl.opts.str[OPT_GROUP], "default", "split: -g");
		CHECK_STR(cl.argv[cl.script_ix], "/w/s.pl", "split: script");
	}
	av_free(&a);

	av_make(&a, "speedy", "-I /opt/lib -w", "/w/s.pl", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "split: '-I /opt/lib -w'")) {
		CHECK_INT(cl.perl.n, 3, "split: -I dir -w is 3 words");
		CHECK_STR(cl.perl.sw[1], "/opt/lib", "split: -I's dir");
	}
	av_free(&a);

	av_make(&a, "speedy", "-w -e", "/w/s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), -1, "split: refused switch inside the "
	    "single #! argument");
	av_free(&a);

	av_make(&a, "speedy", "/w/s.pl", "-a b", NULL);
	if (CHECK_INT(parse(&cl, &a, 1), 0, "split: args after the script"))
		CHECK_STR(cl.argv[1], "-a b", "split: not applied after the "
		    "script");
	av_free(&a);

	/* The work array is too small for the split words. */
	av_make(&a, "speedy", "-w -T -X", "s", NULL);
	r = opt_parse_cmdline(&cl, a.n, a.v, small, 3,
	    OPT_NEED_SCRIPT | OPT_SPLIT, err, sizeof(err));
	CHECK_INT(r, -1, "split: too many words for the work array");
	CHECK_HAS(err, "too many", "split: message says too many");
	av_free(&a);

	av_make(&a, "speedy", "-w", "-T", "s", NULL);
	r = opt_parse_cmdline(&cl, a.n, a.v, small, 2,
	    OPT_NEED_SCRIPT | OPT_SPLIT, err, sizeof(err));
	CHECK_INT(r, -1, "cmdline: more arguments than worklen");
	av_free(&a);

	/* OPT_MAX_PERLSW switches fit, one more does not. */
	a.n = 0;
	a.v[a.n++] = strdup("speedy");
	for (i = 0; i < OPT_MAX_PERLSW; i++)
		a.v[a.n++] = strdup("-w");
	a.v[a.n++] = strdup("s.pl");
	a.v[a.n] = NULL;
	CHECK_INT(parse(&cl, &a, 1), 0, "cmdline: %d perl switches",
	    OPT_MAX_PERLSW);
	free(a.v[a.n - 1]);
	a.v[a.n - 1] = strdup("-w");
	a.v[a.n++] = strdup("s.pl");
	a.v[a.n] = NULL;
	CHECK_INT(parse(&cl, &a, 1), -1, "cmdline: %d perl switches refused",
	    OPT_MAX_PERLSW + 1);
	CHECK_HAS(err, "too many", "cmdline: too many perl switches message");
	av_free(&a);
}

/* Parses a shebang line held in a writable copy. */
static int
shebang(struct opt_cmdline *cl, const char *text, char *copy, size_t len)
{
	util_strlcpy(copy, text, len);
	err[0] = '\0';
	return opt_parse_shebang(cl, copy, err, sizeof(err));
}

static void
test_shebang(void)
{
	struct opt_cmdline cl;
	char line[2048];
	int i;

	if (CHECK_INT(shebang(&cl, "#!/usr/bin/perl -w", line, sizeof(line)),
	    0, "shebang: perl -w")) {
		CHECK_INT(cl.perl.n, 1, "shebang: one switch");
		CHECK_STR(cl.perl.sw[0], "-w", "shebang: -w");
	}
	if (CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -wT -- -t300 -g -r 7",
	    line, sizeof(line)), 0, "shebang: speedy with options")) {
		CHECK_INT(cl.perl.n, 1, "shebang: -wT");
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 300, "shebang: -t300");
		CHECK_INT(cl.opts.num[OPT_MAXRUNS], 7, "shebang: -r 7");
		CHECK_STR(cl.opts.str[OPT_GROUP], "default", "shebang: -g");
		CHECK_INT(cl.script_ix, -1, "shebang: no script");
	}
	if (CHECK_INT(shebang(&cl, "#! /usr/local/bin/speedy -- -t60 --",
	    line, sizeof(line)), 0, "shebang: blank after #!, trailing --"))
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 60, "shebang: -t60");
	if (CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -w -- -t300\r", line,
	    sizeof(line)), 0, "shebang: CRLF line"))
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 300, "shebang: CR dropped");
	if (CHECK_INT(shebang(&cl, "#!/usr/bin/env speedy -w -- -t 60", line,
	    sizeof(line)), 0, "shebang: /usr/bin/env speedy")) {
		CHECK_INT(cl.perl.n, 1, "shebang: env: -w");
		CHECK_INT(cl.opts.num[OPT_TIMEOUT], 60, "shebang: env: -t 60");
	}
	CHECK_INT(shebang(&cl, "#!/usr/bin/speedy", line, sizeof(line)), 0,
	    "shebang: no options");
	CHECK_INT(cl.perl.n + nisset(&cl.opts), 0, "shebang: nothing set");

	/* Not ours: ignored entirely, even switches we would refuse. */
	CHECK_INT(shebang(&cl, "#!/bin/sh -e -x", line, sizeof(line)), 0,
	    "shebang: /bin/sh ignored");
	CHECK_INT(cl.perl.n + nisset(&cl.opts), 0, "shebang: sh: nothing set");
	CHECK_INT(shebang(&cl, "#!/usr/bin/python3 -- -t5", line, sizeof(line)),
	    0, "shebang: python ignored");
	CHECK_INT(cl.perl.n + nisset(&cl.opts), 0, "shebang: python: nothing");
	CHECK_INT(shebang(&cl, "#!/usr/bin/env python3 -e", line,
	    sizeof(line)), 0, "shebang: env python ignored");
	CHECK_INT(cl.perl.n + nisset(&cl.opts), 0, "shebang: env python: "
	    "nothing");
	CHECK_INT(shebang(&cl, "#!/usr/bin/env", line, sizeof(line)), 0,
	    "shebang: bare env");
	CHECK_INT(shebang(&cl, "#!", line, sizeof(line)), 0, "shebang: bare #!");
	CHECK_INT(shebang(&cl, "", line, sizeof(line)), 0, "shebang: empty "
	    "line");
	CHECK_INT(shebang(&cl, "use strict; # -e", line, sizeof(line)), 0,
	    "shebang: no #! line");
	CHECK_INT(cl.perl.n + nisset(&cl.opts), 0, "shebang: no #!: nothing");

	/* Errors. */
	CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -w foo", line, sizeof(line)),
	    -1, "shebang: garbage word refused");
	CHECK_HAS(err, "foo", "shebang: message quotes the word");
	CHECK_HAS(err, "#! line", "shebang: message says #! line");
	CHECK_INT(shebang(&cl, "#!/usr/bin/perl -w -- -t5 -- extra", line,
	    sizeof(line)), -1, "shebang: word after closing -- refused");
	CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -e", line, sizeof(line)),
	    -1, "shebang: -e refused");
	CHECK_HAS(err, "#! line", "shebang: -e message says #! line");
	CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -- -t", line, sizeof(line)),
	    -1, "shebang: missing value");
	CHECK_HAS(err, "needs a value", "shebang: missing value message");
	CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -- -q", line, sizeof(line)),
	    -1, "shebang: unknown option");
	CHECK_INT(shebang(&cl, "#!/usr/bin/speedy -- -tfast", line,
	    sizeof(line)), -1, "shebang: bad number");

	/* Word limits. */
	strcpy(line, "#!/usr/bin/speedy");
	for (i = 0; i < OPT_MAX_PERLSW; i++)
		strcat(line, " -w");
	err[0] = '\0';
	CHECK_INT(opt_parse_shebang(&cl, line, err, sizeof(err)), 0,
	    "shebang: %d switches accepted", OPT_MAX_PERLSW);
	strcpy(line, "#!/usr/bin/speedy");
	for (i = 0; i < OPT_MAX_PERLSW + 10; i++)
		strcat(line, " -w");
	CHECK_INT(opt_parse_shebang(&cl, line, err, sizeof(err)), -1,
	    "shebang: too many words refused");
	CHECK_HAS(err, "too many", "shebang: too many message");
}

static void
test_env(void)
{
	struct opt_set s;
	char *env1[] = { "PATH=/bin", "SPEEDY_TIMEOUT=60", "SPEEDY_MAXRUNS=7",
	    "SPEEDY_GROUP=web", "SPEEDY_TMPBASE=/var/tmp/sp",
	    "SPEEDY_PERLARGS=-w -T", "SPEEDY_BACKENDPROG=/x/be",
	    "SPEEDY_BUFSIZGET=4096", "SPEEDY_BUFSIZPOST=8192",
	    "SPEEDY_MAXBACKENDS=3", NULL };
	char *env2[] = { "SPEEDY_TIMEOUT=abc", NULL };
	char *env3[] = { "SPEEDY_FOO=bar", "SPEEDY_CONFDIR=/etc", "SPEEDY_=1",
	    "SPEEDY_TIMEOUT", "SPEEDY_VERSION=1", "XSPEEDY_TIMEOUT=1",
	    "SPEEDY_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=1",
	    NULL };
	char *env4[] = { "SPEEDY_MAXRUNS=10", "SPEEDY_MAXBACKENDS=", NULL };
	char *env5[] = { "SPEEDY_TMPBASE=", NULL };
	char *env0[] = { NULL };

	opt_defaults(&s, "be");
	if (CHECK_INT(opt_parse_env(&s, env1, err, sizeof(err)), 0,
	    "env: all variables")) {
		CHECK_INT(s.num[OPT_TIMEOUT], 60, "env: SPEEDY_TIMEOUT");
		CHECK_INT(s.num[OPT_MAXRUNS], 7, "env: SPEEDY_MAXRUNS");
		CHECK_INT(s.num[OPT_MAXBACKENDS], 3, "env: SPEEDY_MAXBACKENDS");
		CHECK_INT(s.num[OPT_BUFSIZGET], 4096, "env: SPEEDY_BUFSIZGET");
		CHECK_INT(s.num[OPT_BUFSIZPOST], 8192, "env: SPEEDY_BUFSIZPOST");
		CHECK_STR(s.str[OPT_GROUP], "web", "env: SPEEDY_GROUP");
		CHECK_STR(s.str[OPT_TMPBASE], "/var/tmp/sp", "env: "
		    "SPEEDY_TMPBASE");
		CHECK_STR(s.str[OPT_PERLARGS], "-w -T", "env: SPEEDY_PERLARGS");
		CHECK_STR(s.str[OPT_BACKENDPROG], "/x/be", "env: "
		    "SPEEDY_BACKENDPROG");
		CHECK_INT(nisset(&s), 9, "env: 9 options isset");
	}

	opt_defaults(&s, "be");
	CHECK_INT(opt_parse_env(&s, env2, err, sizeof(err)), -1,
	    "env: SPEEDY_TIMEOUT=abc refused");
	CHECK_HAS(err, "SPEEDY_TIMEOUT", "env: message names the variable");
	CHECK_HAS(err, "abc", "env: message quotes the value");

	opt_defaults(&s, "be");
	CHECK_INT(opt_parse_env(&s, env3, err, sizeof(err)), 0,
	    "env: unknown and malformed SPEEDY_ variables ignored");
	CHECK_INT(nisset(&s), 0, "env: ... and set nothing");
	CHECK(!s.isset[OPT_VERSION], "env: SPEEDY_VERSION is not read");

	opt_defaults(&s, "be");
	CHECK_INT(opt_parse_env(&s, env4, err, sizeof(err)), -1,
	    "env: empty SPEEDY_MAXBACKENDS refused");
	CHECK_HAS(err, "SPEEDY_MAXBACKENDS", "env: names SPEEDY_MAXBACKENDS");
	opt_defaults(&s, "be");
	CHECK_INT(opt_parse_env(&s, env5, err, sizeof(err)), -1,
	    "env: empty SPEEDY_TMPBASE refused");
	CHECK_HAS(err, "SPEEDY_TMPBASE", "env: names SPEEDY_TMPBASE");
	CHECK_INT(opt_parse_env(&s, env0, err, sizeof(err)), 0,
	    "env: empty environment");
}

static void
test_merge(void)
{
	struct opt_set final;
	struct opt_cmdline sh, cl;
	char *env[] = { "SPEEDY_TIMEOUT=60", "SPEEDY_MAXRUNS=7",
	    "SPEEDY_GROUP=envgrp", NULL };
	char line[128];
	struct av a;

	/* As speedy does it: defaults < environment < #! line < argv. */
	opt_defaults(&final, "be");
	CHECK_INT(opt_parse_env(&final, env, err, sizeof(err)), 0,
	    "merge: env parsed");
	util_strlcpy(line, "#!/usr/bin/speedy -- -t120 -gshe", sizeof(line));
	CHECK_INT(opt_parse_shebang(&sh, line, err, sizeof(err)), 0,
	    "merge: shebang parsed");
	av_make(&a, "speedy", "--", "-M3", "-gcli", "s.pl", NULL);
	CHECK_INT(parse(&cl, &a, 1), 0, "merge: cmdline parsed");
	opt_merge(&final, &sh.opts);
	opt_merge(&final, &cl.opts);
	CHECK_INT(final.num[OPT_TIMEOUT], 120, "merge: #! beats environment");
	CHECK_INT(final.num[OPT_MAXRUNS], 7, "merge: environment beats "
	    "default");
	CHECK_INT(final.num[OPT_MAXBACKENDS], 3, "merge: cmdline value");
	CHECK_STR(final.str[OPT_GROUP], "cli", "merge: cmdline beats #!");
	CHECK_INT(final.num[OPT_BUFSIZGET], 131072, "merge: unset keeps "
	    "default");
	CHECK_STR(final.str[OPT_TMPBASE], "/tmp/speedy", "merge: unset string "
	    "keeps default");
	CHECK_STR(final.str[OPT_BACKENDPROG], "be", "merge: BackendProg kept");
	CHECK(final.isset[OPT_TIMEOUT] && final.isset[OPT_MAXBACKENDS] &&
	    !final.isset[OPT_BUFSIZGET], "merge: isset follows the sources");
	av_free(&a);
}

static void
test_format(void)
{
	struct opt_set s;
	char buf[64], tiny[4];

	opt_defaults(&s, NULL);
	CHECK_STR(opt_format(&s, OPT_TIMEOUT, buf, sizeof(buf)), "3600",
	    "format: Timeout");
	CHECK_STR(opt_format(&s, OPT_GROUP, buf, sizeof(buf)), "none",
	    "format: Group");
	CHECK_STR(opt_format(&s, OPT_BACKENDPROG, buf, sizeof(buf)), "",
	    "format: NULL string is empty");
	CHECK_STR(opt_format(&s, OPT_BUFSIZPOST, buf, sizeof(buf)), "131072",
	    "format: BufsizPost");
	CHECK_STR(opt_format(&s, OPT_TIMEOUT, tiny, sizeof(tiny)), "360",
	    "format: truncated number stays terminated");
	CHECK_STR(opt_format(&s, OPT_TMPBASE, tiny, sizeof(tiny)), "/tm",
	    "format: truncated string stays terminated");
	CHECK(opt_format(&s, OPT_TIMEOUT, buf, sizeof(buf)) == buf,
	    "format: returns buf");

	CHECK_STR(opt_envname(OPT_TIMEOUT, buf, sizeof(buf)), "SPEEDY_TIMEOUT",
	    "envname: SPEEDY_TIMEOUT");
	CHECK_STR(opt_envname(OPT_BUFSIZGET, buf, sizeof(buf)),
	    "SPEEDY_BUFSIZGET", "envname: SPEEDY_BUFSIZGET");
	CHECK_STR(opt_envname(OPT_BACKENDPROG, tiny, sizeof(tiny)), "SPE",
	    "envname: truncated");
}

static void
test_perlargs(void)
{
	struct opt_perlsw p;
	char text[64];

	memset(&p, 0, sizeof(p));
	util_strlcpy(text, "  -w\t-T   -Ilib ", sizeof(text));
	CHECK_INT(opt_split_perlargs(&p, text, err, sizeof(err)), 0,
	    "perlargs: split");
	CHECK_INT(p.n, 3, "perlargs: three switches");
	CHECK_STR(p.sw[2], "-Ilib", "perlargs: -Ilib");
	util_strlcpy(text, "-w -n", sizeof(text));
	CHECK_INT(opt_split_perlargs(&p, text, err, sizeof(err)), -1,
	    "perlargs: -n refused");
	util_strlcpy(text, "", sizeof(text));
	memset(&p, 0, sizeof(p));
	CHECK_INT(opt_split_perlargs(&p, text, err, sizeof(err)), 0,
	    "perlargs: empty");
	CHECK_INT(p.n, 0, "perlargs: empty gives none");
	CHECK_INT(opt_check_perlsw("w", err, sizeof(err)), -1,
	    "perlsw: word without - refused");
	CHECK_INT(opt_check_perlsw("-", err, sizeof(err)), -1,
	    "perlsw: lone - refused");
	CHECK_INT(opt_check_perlsw("-C", err, sizeof(err)), 0, "perlsw: -C");
	CHECK_INT(opt_check_perlsw("-Mstrict=refs", err, sizeof(err)), 0,
	    "perlsw: -Mstrict=refs");
}

static void
test_util(void)
{
	char buf[8];
	long v = 42;

	CHECK_INT(util_fmt(buf, sizeof(buf), "%s", "1234567"), 0,
	    "util_fmt: exact fit");
	CHECK_INT(util_fmt(buf, sizeof(buf), "%s", "12345678"), -1,
	    "util_fmt: truncation reported");
	CHECK_STR(buf, "1234567", "util_fmt: truncated text terminated");
	CHECK_INT(util_fmt(buf, 0, "x"), -1, "util_fmt: zero length");
	CHECK_INT(util_strlcpy(buf, "abc", sizeof(buf)), 0, "strlcpy: fits");
	CHECK_STR(buf, "abc", "strlcpy: copied");
	CHECK_INT(util_strlcpy(buf, "abcdefghij", sizeof(buf)), -1,
	    "strlcpy: truncation reported");
	CHECK_STR(buf, "abcdefg", "strlcpy: truncated text terminated");
	CHECK_INT(util_strlcpy(buf, "x", 0), -1, "strlcpy: zero length");

	CHECK_INT(util_parse_long("-5", -10, 10, &v), 0, "parse_long: -5");
	CHECK_INT(v, -5, "parse_long: value -5");
	v = 42;
	CHECK_INT(util_parse_long("11", -10, 10, &v), -1,
	    "parse_long: above max");
	CHECK_INT(errno, ERANGE, "parse_long: ERANGE");
	CHECK_INT(v, 42, "parse_long: output untouched on error");
	CHECK_INT(util_parse_long("1x", 0, 10, &v), -1, "parse_long: garbage");
	CHECK_INT(errno, EINVAL, "parse_long: EINVAL");
	CHECK_INT(util_parse_long("9223372036854775808", LONG_MIN, LONG_MAX,
	    &v), -1, "parse_long: LONG_MAX + 1");
	CHECK_INT(errno, ERANGE, "parse_long: overflow is ERANGE");
	CHECK_INT(util_parse_long("9223372036854775807", LONG_MIN, LONG_MAX,
	    &v), 0, "parse_long: LONG_MAX");
	CHECK_INT(util_parse_long("-", 0, 10, &v), -1, "parse_long: lone -");
	CHECK_INT(util_parse_long("\t1", 0, 10, &v), -1, "parse_long: tab");
	CHECK_INT(util_parse_long("\r1", 0, 10, &v), -1, "parse_long: CR");

	/* The published FNV-1a 64 test vectors. */
	if (!CHECK(util_hash("") == 0xcbf29ce484222325ULL,
	    "hash: FNV-1a of \"\" is the offset basis"))
		unit_diag("got %#llx, expected 0xcbf29ce484222325",
		    util_hash(""));
	if (!CHECK(util_hash("a") == 0xaf63dc4c8601ec8cULL,
	    "hash: FNV-1a of \"a\""))
		unit_diag("got %#llx, expected 0xaf63dc4c8601ec8c",
		    util_hash("a"));
	CHECK(util_hash("/a/b") != util_hash("/a/c"), "hash: differs");
}

/* The backend's arguments come one value each: nothing is split. */
static void
test_nosplit(void)
{
	struct opt_cmdline cl;
	struct av a;
	int r;

	av_make(&a, "speedy_backend", "-I/a dir", "--", "-gmy group",
	    "-T/tmp/x y", "--", "/s.pl", NULL);
	r = opt_parse_cmdline(&cl, a.n, a.v, work, WORKLEN, OPT_NEED_SCRIPT,
	    err, sizeof(err));
	CHECK_INT(r, 0, "nosplit: parses");
	CHECK_INT(cl.perl.n, 1, "nosplit: one perl switch");
	CHECK_STR(cl.perl.sw[0], "-I/a dir", "nosplit: -I keeps its blank");
	CHECK_STR(cl.opts.str[OPT_GROUP], "my group", "nosplit: group keeps its blank");
	CHECK_STR(cl.opts.str[OPT_TMPBASE], "/tmp/x y", "nosplit: TmpBase keeps its blank");
	CHECK_STR(cl.argv[cl.script_ix], "/s.pl", "nosplit: script found");
	av_free(&a);
}

int
main(void)
{
	unit_note = err;
	test_table();
	test_defaults();
	test_lookup();
	test_set_value();
	test_cmdline_basic();
	test_cmdline_refused();
	test_cmdline_speedy();
	test_cmdline_dashdash();
	test_cmdline_split();
	test_shebang();
	test_env();
	test_merge();
	test_format();
	test_perlargs();
	test_util();
	test_nosplit();
	return unit_done();
}
