/*
 * test_conf.c: unit tests for admin/conf.c, the configuration compiler,
 * on configuration directories written in a mkdtemp directory.  Every
 * error is checked as the whole line "FILE:LINE: message", so a wrong
 * line number fails.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "opt.h"
#include "snap.h"
#include "util.h"
#include "unit.h"

#define MAXERR	64

static char top[] = "/tmp/speedy-unit-conf.XXXXXX";
static char dir[PATH_MAX];		/* the configuration under test */
static char errs[MAXERR][2048];		/* its errors, in order */
static int nerrs;
static char alltext[MAXERR * 128];	/* the errors, for failure notes */
static char shipped[PATH_MAX];		/* the source tree's etc/speedy */
static struct conf c;

/* conf_compile's error callback: keeps each line. */
static void
collect(void *arg, const char *line)
{
	(void)arg;
	if (nerrs < MAXERR)
		(void)util_strlcpy(errs[nerrs], line, sizeof(errs[0]));
	nerrs++;
	(void)strncat(alltext, line, sizeof(alltext) - strlen(alltext) - 2);
	(void)strcat(alltext, "|");
}

/* Makes top/name the configuration directory under test. */
static void
newdir(const char *name)
{
	(void)util_fmt(dir, sizeof(dir), "%s/%s", top, name);
	if (mkdir(dir, 0755) == -1) {
		perror(dir);
		exit(2);
	}
}

/* Writes text to dir/rel, creating sites.d if rel is in it. */
static void
put(const char *rel, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	if (strncmp(rel, "sites.d/", 8) == 0) {
		(void)util_fmt(path, sizeof(path), "%s/sites.d", dir);
		(void)mkdir(path, 0755);
	}
	(void)util_fmt(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF) {
		perror(path);
		exit(2);
	}
}

/* Compiles dir into c; returns the number of errors. */
static int
compile(void)
{
	int n;

	conf_free(&c);
	nerrs = 0;
	alltext[0] = '\0';
	n = conf_compile(dir, &c, collect, NULL);
	if (n != nerrs)
		unit_diag("conf_compile returned %d, reported %d", n, nerrs);
	return n;
}

/* True if some error is exactly the line fmt gives. */
static int __attribute__((format(printf, 1, 2)))
has_error(const char *fmt, ...)
{
	char want[2048];
	va_list ap;
	int i;

	va_start(ap, fmt);
	(void)vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	for (i = 0; i < nerrs && i < MAXERR; i++)
		if (strcmp(errs[i], want) == 0)
			return 1;
	unit_diag("no error line '%s'", want);
	return 0;
}

/* The section called name, or NULL. */
static const struct snap_build *
sect(const char *name)
{
	int i;

	for (i = 0; i < c.nsects; i++)
		if (strcmp(c.sects[i].name, name) == 0)
			return &c.sects[i];
	return NULL;
}

/* The number of options a section sets. */
static int
nset(const struct snap_build *b)
{
	int id, n = 0;

	for (id = 0; id < OPT__COUNT; id++)
		n += b->opts.isset[id] + b->locked[id];
	return n;
}

static void
test_missing(void)
{
	char path[PATH_MAX];

	(void)util_fmt(dir, sizeof(dir), "%s/nonexistent", top);
	CHECK_INT(compile(), 1, "missing confdir: one error");
	CHECK(has_error("%s: No such file or directory", dir),
	    "missing confdir: named");

	newdir("empty");
	CHECK_INT(compile(), 0, "empty confdir: no error");
	CHECK_INT(c.nsects, 1, "empty confdir: the global section only");
	CHECK_INT(nset(&c.sects[0]), 0, "empty confdir: nothing set");
	(void)util_fmt(path, sizeof(path), "%s/speedy.conf", dir);
	CHECK_STR(c.sects[0].file, path, "global section: file is speedy.conf");
	CHECK_STR(c.sects[0].name, "", "global section: no name");
	CHECK_INT(c.sects[0].npatterns, 0, "global section: no patterns");

	/* A confdir named with a trailing slash names its files the same. */
	(void)strcat(dir, "/");
	CHECK_INT(compile(), 0, "confdir/: no error");
	CHECK_STR(c.sects[0].file, path, "confdir/: same file name");

	newdir("notdir");
	put("file", "");
	(void)strcat(dir, "/file");
	CHECK_INT(compile(), 1, "confdir a file: one error");
	CHECK(has_error("%s: not a directory", dir), "confdir a file: named");
}

static void
test_global(void)
{
	const struct snap_build *g;

	newdir("global");
	put("speedy.conf",
	    "# Comments of every kind, which libconfuse 3.3 miscounts.\n"
	    "// a C++ comment\n"
	    "/* a block\n"
	    "   comment */\n"
	    "maxruns = 100\n"			/* 5 */
	    "timeout = \"300\"   # quoted, and a trailing comment\n"
	    "\n"
	    "perlargs = \"-w # not a comment\"\n"
	    "group = a//b\n"
	    "tmpbase = '/var/tmp/sp'\n"		/* 10 */
	    "maxbackends =\n"
	    "    8\n"
	    "lock = {\"MaxBackends\", \"GROUP\",\n"
	    "        \"maxrss\"}\n"
	    "bufsizget = 1 bufsizget = 2\n");	/* 15 */
	CHECK_INT(compile(), 0, "global values: no error");
	unit_note = alltext;
	g = &c.sects[0];
	CHECK_INT(c.nsects, 1, "global values: no site");
	CHECK(g->opts.isset[OPT_MAXRUNS] && g->opts.num[OPT_MAXRUNS] == 100,
	    "unquoted number");
	CHECK_INT(g->optline[OPT_MAXRUNS], 5, "line after three kinds of "
	    "comments");
	CHECK(g->opts.isset[OPT_TIMEOUT] && g->opts.num[OPT_TIMEOUT] == 300,
	    "quoted number");
	CHECK_INT(g->optline[OPT_TIMEOUT], 6, "line of a value with a trailing "
	    "comment");
	CHECK_STR(g->opts.str[OPT_PERLARGS], "-w # not a comment", "a # in a "
	    "string is no comment");
	CHECK_INT(g->optline[OPT_PERLARGS], 8, "line after an empty line");
	CHECK_STR(g->opts.str[OPT_GROUP], "a//b", "a // inside a word is no "
	    "comment");
	CHECK_STR(g->opts.str[OPT_TMPBASE], "/var/tmp/sp", "single quotes");
	CHECK_INT(g->opts.num[OPT_MAXBACKENDS], 8, "value on the next line");
	CHECK_INT(g->optline[OPT_MAXBACKENDS], 12, "line of the value itself");
	CHECK_INT(g->opts.num[OPT_BUFSIZGET], 2, "a repeated key: the last "
	    "value");
	CHECK(g->locked[OPT_MAXBACKENDS] && g->locked[OPT_GROUP] &&
	    g->locked[OPT_MAXRSS], "locks, names case-insensitive");
	CHECK(!g->locked[OPT_MAXRUNS] && !g->opts.isset[OPT_BUFSIZPOST],
	    "nothing else locked or set");
	unit_note = NULL;

	newdir("emptystr");
	put("speedy.conf", "perlargs = \"\"\n");
	CHECK_INT(compile(), 0, "empty string: no error");
	CHECK(c.sects[0].opts.isset[OPT_PERLARGS] &&
	    strcmp(c.sects[0].opts.str[OPT_PERLARGS], "") == 0,
	    "empty string: set, empty");
}

static void
test_shipped(void)
{
	char path[PATH_MAX], text[16384], want[256], key[32];
	const char *def;
	size_t n;
	FILE *f;
	int id;

	(void)util_strlcpy(dir, shipped, sizeof(dir));
	(void)util_fmt(path, sizeof(path), "%s/speedy.conf", dir);
	if (access(path, R_OK) == -1) {
		CHECK(0, "shipped speedy.conf: %s readable", path);
		return;
	}
	unit_note = alltext;
	CHECK_INT(compile(), 0, "shipped speedy.conf: no error");
	CHECK_INT(c.nsects, 1, "shipped speedy.conf: no site");
	CHECK_INT(nset(&c.sects[0]), 0, "shipped speedy.conf: sets and locks "
	    "nothing");
	unit_note = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		CHECK(0, "shipped speedy.conf: open");
		return;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	(void)fclose(f);
	/* Every key, commented out, with its default (Debian's bindir). */
	for (id = 0; id < OPT__COUNT; id++) {
		if (!(opt_table[id].ctx & OPT_CTX_CONF))
			continue;
		def = id == OPT_BACKENDPROG ? "/usr/bin/speedy_backend" :
		    opt_table[id].defval[0] == '\0' ? "\"\"" :
		    opt_table[id].defval;
		(void)util_fmt(want, sizeof(want), "\n#%s = %s\n",
		    opt_confname(id, key, sizeof(key)), def);
		CHECK_HAS(text, want, "shipped speedy.conf: lists %s with its "
		    "default", opt_table[id].name);
	}
	CHECK_HAS(text, "\n#lock = {", "shipped speedy.conf: lock example");
}

static void
test_sites(void)
{
	const struct snap_build *s;
	char path[PATH_MAX];

	newdir("sites");
	put("speedy.conf",
	    "maxruns = 10\n"
	    "# main\n"
	    "site \"main\" {\n"			/* 3 */
	    "\t/* inside */\n"
	    "\tscripts = {\"/var/www/main/*.pl\"}\n"
	    "\tmaxruns = 20\n"			/* 6 */
	    "}\n");
	put("sites.d/shop.conf",
	    "# The shop.\n"
	    "\n"
	    "site shop\n"			/* 3 */
	    "{\n"
	    "\t# cgi-bin and all of admin\n"
	    "\tscripts = {\"/var/www/shop/cgi-bin/*.pl\",\n"
	    "\t           \"/var/www/shop/admin/**\"}\n"
	    "\tgroup = shop\n"			/* 8 */
	    "\tlock = {\"maxruns\"}\n"
	    "}\n"
	    "site \"shop.api\" { scripts = \"/**\" }\n");	/* 11 */
	unit_note = alltext;
	CHECK_INT(compile(), 0, "sites: no error");
	CHECK_INT(c.nsects, 4, "sites: global and three sites");
	CHECK_STR(c.sects[1].name, "main", "sites: speedy.conf's site first");
	s = sect("main");
	(void)util_fmt(path, sizeof(path), "%s/speedy.conf", dir);
	if (CHECK(s != NULL, "site main")) {
		CHECK_STR(s->file, path, "site main: file");
		CHECK_INT(s->line, 3, "site main: line of its keyword");
		CHECK_INT(s->opts.num[OPT_MAXRUNS], 20, "site main: value");
		CHECK_INT(s->optline[OPT_MAXRUNS], 6, "site main: its line");
		CHECK_INT(s->npatterns, 1, "site main: one pattern");
		CHECK_STR(s->patterns[0], "/var/www/main/*.pl", "site main: "
		    "pattern");
	}
	s = sect("shop");
	(void)util_fmt(path, sizeof(path), "%s/sites.d/shop.conf", dir);
	if (CHECK(s != NULL, "site shop")) {
		CHECK_STR(s->file, path, "site shop: file as opened");
		CHECK_INT(s->line, 3, "site shop: line of its keyword (brace "
		    "on the next line)");
		CHECK_STR(s->opts.str[OPT_GROUP], "shop", "site shop: group");
		CHECK_INT(s->optline[OPT_GROUP], 8, "site shop: line of group");
		CHECK(s->locked[OPT_MAXRUNS] && !s->opts.isset[OPT_MAXRUNS],
		    "site shop: locks a value it does not set");
		CHECK_INT(s->npatterns, 2, "site shop: two patterns");
		CHECK_STR(s->patterns[1], "/var/www/shop/admin/**",
		    "site shop: tree pattern");
		CHECK_INT(c.sects[0].opts.num[OPT_MAXRUNS], 10, "global value "
		    "beside the sites");
	}
	s = sect("shop.api");
	if (CHECK(s != NULL, "site shop.api")) {
		CHECK_INT(s->line, 11, "site shop.api: line");
		CHECK_INT(s->npatterns, 1, "site shop.api: a scalar scripts "
		    "is a list of one");
	}
	unit_note = NULL;

	newdir("onlysites");
	put("sites.d/a.conf", "site a { scripts = \"/a/*\" }\n");
	CHECK_INT(compile(), 0, "no speedy.conf: allowed");
	CHECK_INT(c.nsects, 2, "no speedy.conf: the site is read");
}

static void
test_order(void)
{
	static const char *names[] = { "10.conf", "9.conf", "B.conf",
	    "a.conf", "b.conf" };
	char path[PATH_MAX], text[256];
	size_t i;

	newdir("order");
	put("speedy.conf", "site zz { scripts = \"/zz\" }\n");
	/* Written out of order; C-locale order is 10, 9, B, a, b. */
	for (i = sizeof(names) / sizeof(names[0]); i-- > 0;) {
		(void)util_fmt(text, sizeof(text), "site \"s%zu\" { scripts = "
		    "\"/%zu\" }\n", i, i);
		(void)util_fmt(path, sizeof(path), "sites.d/%s", names[i]);
		put(path, text);
	}
	/* Not configuration files. */
	put("sites.d/.hidden.conf", "bogus\n");
	put("sites.d/c.conf~", "bogus\n");
	put("sites.d/c.conf.dpkg-old", "bogus\n");
	put("sites.d/README", "bogus\n");
	put("sites.d/.conf", "bogus\n");
	unit_note = alltext;
	CHECK_INT(compile(), 0, "order: other names ignored");
	if (CHECK_INT(c.nsects, 7, "order: six sites")) {
		CHECK_STR(c.sects[1].name, "zz", "order: speedy.conf first");
		for (i = 0; i < 5; i++) {
			(void)util_fmt(text, sizeof(text), "s%zu", i);
			CHECK_STR(c.sects[2 + i].name, text, "order: "
			    "sites.d/%s is number %zu", names[i], i + 1);
		}
	}
	unit_note = NULL;
}

/* The override and lock rules, through a snapshot as the frontend reads. */
static void
test_override(void)
{
	struct snap_result r;
	struct opt_set out;
	struct snap s;
	char path[PATH_MAX], msg[256];
	int src[OPT__COUNT];

	newdir("override");
	put("speedy.conf",
	    "maxruns = 1\n"
	    "timeout = 2\n"
	    "site first {\n"
	    "  scripts = {\"/w/**\"}\n"
	    "  maxruns = 3\n"
	    "  lock = {\"timeout\"}\n"
	    "}\n");
	put("sites.d/b.conf",
	    "site third { scripts = \"/w/x/*.pl\"\n"
	    "  maxruns = 5 }\n");
	put("sites.d/a.conf",
	    "site second { scripts = {\"/w/x/*.pl\"}\n"
	    "  maxruns = 4\n"
	    "  timeout = 9\n"
	    "  group = g }\n");
	unit_note = alltext;
	if (!CHECK_INT(compile(), 0, "override: no error"))
		return;
	unit_note = msg;
	(void)util_fmt(path, sizeof(path), "%s/snapshot", dir);
	if (!CHECK_INT(snap_write(path, c.sects, c.nsects, msg, sizeof(msg)),
	    0, "override: snapshot written") ||
	    !CHECK_INT(snap_load(&s, path, msg, sizeof(msg)), 0,
	    "override: snapshot read"))
		return;
	CHECK_INT(snap_verify(&s, msg, sizeof(msg)), 0, "override: verified");
	if (CHECK_INT(snap_apply(&s, "/w/x/a.pl", &r, msg, sizeof(msg)), 0,
	    "override: applied")) {
		CHECK_INT(r.opts.num[OPT_MAXRUNS], 5, "override: the last "
		    "matching site wins (sites.d/b.conf after a.conf)");
		CHECK_STR(snap_sect_name(&s, r.from[OPT_MAXRUNS]), "third",
		    "override: from site third");
		CHECK_INT(r.opts.num[OPT_TIMEOUT], 9, "override: a later "
		    "site's value");
		CHECK(r.locked[OPT_TIMEOUT], "override: an earlier site's lock "
		    "holds");
		opt_defaults(&out, "be");
		snap_resolve(&out, &r, NULL, 0, src);
		CHECK_STR(out.str[OPT_GROUP], "g", "override: value of the "
		    "second site");
	}
	CHECK_INT(snap_apply(&s, "/w/y.pl", &r, msg, sizeof(msg)), 0,
	    "override: applied elsewhere");
	CHECK_INT(r.opts.num[OPT_MAXRUNS], 3, "override: only the matching "
	    "site");
	CHECK_INT(r.opts.num[OPT_TIMEOUT], 2, "override: global timeout");
	CHECK_INT(snap_apply(&s, "/elsewhere.pl", &r, msg, sizeof(msg)), 0,
	    "override: applied outside every site");
	CHECK(r.opts.num[OPT_MAXRUNS] == 1 && !r.locked[OPT_TIMEOUT],
	    "override: global values only outside every site");
	snap_close(&s);
	unit_note = NULL;
}

static void
test_value_errors(void)
{
	newdir("values");
	put("speedy.conf",
	    "# bad values: each is reported, the file is read on\n"
	    "maxruns = abc\n"
	    "\n"
	    "timeout = -1\n"
	    "tmpbase = \"\"\n"				/* 5 */
	    "lock = {\"nosuch\",\n"
	    "        \"version\", \"MAXRUNS\"}\n"
	    "site s {\n"
	    "  // and in a site\n"
	    "  scripts = {\"cgi-bin/*.pl\",\n"		/* 10 */
	    "             \"/a/**/b\", \"/a/**.pl\",\n"
	    "             \"/a/***\", \"/ok/**\", \"/**\"}\n"
	    "  maxbackends = 100001\n"
	    "}\n");
	CHECK_INT(compile(), 10, "bad values: all reported");
	unit_note = alltext;
	CHECK(has_error("%s/speedy.conf:2: MaxRuns: 'abc' is not a number "
	    "from 0 to 2147483647", dir), "bad number, with FILE:LINE");
	CHECK(has_error("%s/speedy.conf:4: Timeout: '-1' is not a number from "
	    "0 to 2147483", dir), "number out of range");
	CHECK(has_error("%s/speedy.conf:5: TmpBase: value must be 1 to 80 "
	    "bytes long", dir), "string too short");
	CHECK(has_error("%s/speedy.conf:6: lock: unknown option 'nosuch'",
	    dir), "lock: unknown option");
	CHECK(has_error("%s/speedy.conf:7: lock: Version cannot be set in the "
	    "configuration", dir), "lock: Version");
	CHECK(has_error("%s/speedy.conf:10: scripts: 'cgi-bin/*.pl' is not an "
	    "absolute path", dir), "relative pattern");
	CHECK(has_error("%s/speedy.conf:11: scripts: '/a/**/b': \"**\" is "
	    "allowed only as the whole last component, as in "
	    "/var/www/app/**", dir), "** in the middle");
	CHECK(has_error("%s/speedy.conf:11: scripts: '/a/**.pl': \"**\" is "
	    "allowed only as the whole last component, as in "
	    "/var/www/app/**", dir), "** in a component");
	CHECK(has_error("%s/speedy.conf:12: scripts: '/a/***': \"**\" is "
	    "allowed only as the whole last component, as in "
	    "/var/www/app/**", dir), "***");
	CHECK(has_error("%s/speedy.conf:13: MaxBackends: '100001' is not a "
	    "number from 0 to 100000", dir), "bad value in a site");
	unit_note = NULL;
}

static void
test_syntax_errors(void)
{
	char big[CONF_NAME_MAX + 2], text[256];

	newdir("syntax");
	put("speedy.conf",
	    "# unknown keys stop the file\n"
	    "maxruns = 5\n"
	    "bogus = 1\n"
	    "timeout = x\n");
	put("sites.d/a.conf",
	    "site a {\n"
	    "  scripts = \"/a\"\n"
	    "  # comment\n"
	    "  nosuch = 2\n"
	    "}\n");
	put("sites.d/b.conf",
	    "\n"
	    "# a top-level value\n"
	    "maxruns = 5\n");
	put("sites.d/c.conf", "lock = {}\n");
	put("sites.d/d.conf",
	    "site d { scripts = \"/d\" }\n"
	    "/* comment */\n"
	    "site \"d\"\n"
	    "{ scripts = \"/e\" }\n");
	put("sites.d/0.conf", "site zero { scripts = \"/0\" }\n");
	put("sites.d/e.conf",
	    "site e { scripts = \"/e\" }\n"
	    "site zero { scripts = \"/z\" }\n");
	put("sites.d/f.conf", "site f {\n  scripts = \"/f\"\n");
	put("sites.d/g.conf", "site g { scripts = \"/g\" } /* open\n\n");
	put("sites.d/h.conf", "site h { }\n"
	    "site \"x y\" { scripts = \"/x\" }\n");
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("sites.d/i.conf", "scripts = \"/x\"\n");
	(void)util_fmt(text, sizeof(text), "site %s { scripts = \"/j\" }\n",
	    big);
	put("sites.d/j.conf", text);
	CHECK_INT(compile(), 12, "syntax errors: one per file, and the checks "
	    "of complete sections");
	unit_note = alltext;
	CHECK(has_error("%s/speedy.conf:3: no such option 'bogus'", dir),
	    "unknown key on the top level");
	CHECK(has_error("%s/sites.d/a.conf:4: no such option 'nosuch'", dir),
	    "unknown key in a site");
	CHECK(has_error("%s/sites.d/b.conf:3: maxruns must be inside a site "
	    "section (global values belong in speedy.conf)", dir),
	    "a value on the top level of sites.d");
	CHECK(has_error("%s/sites.d/c.conf:1: lock must be inside a site "
	    "section (global values belong in speedy.conf)", dir),
	    "a lock on the top level of sites.d");
	CHECK(has_error("%s/sites.d/d.conf:3: site \"d\" is already defined at "
	    "%s/sites.d/d.conf:1", dir, dir), "a site twice in one file");
	CHECK(has_error("%s/sites.d/e.conf:2: site \"zero\" is already defined "
	    "at %s/sites.d/0.conf:1", dir, dir), "a site twice in two files");
	CHECK(has_error("%s/sites.d/f.conf:1: '{' is not closed", dir),
	    "unclosed section");
	CHECK(has_error("%s/sites.d/g.conf:1: comment not closed with */",
	    dir), "unclosed comment");
	CHECK(has_error("%s/sites.d/h.conf:1: site \"h\" has no scripts (a "
	    "list of absolute path patterns)", dir), "a site without scripts");
	CHECK(has_error("%s/sites.d/h.conf:2: site name \"x y\" must be 1 to "
	    "%d letters, digits, '.', '_' or '-'", dir, CONF_NAME_MAX),
	    "a bad site name");
	CHECK(has_error("%s/sites.d/j.conf:1: site name \"%s\" must be 1 to "
	    "%d letters, digits, '.', '_' or '-'", dir, big, CONF_NAME_MAX),
	    "a site name too long");
	CHECK(has_error("%s/sites.d/i.conf:1: scripts must be inside a site "
	    "section", dir), "scripts on the top level");
	unit_note = NULL;
}

static void
test_files(void)
{
	char path[PATH_MAX];

	newdir("files");
	put("speedy.conf", "maxruns = 5\n");
	put("sites.d/a.conf", "site a { scripts = \"/a\" }\n");
	(void)util_fmt(path, sizeof(path), "%s/sites.d/b.conf", dir);
	if (mkdir(path, 0755) == -1)
		perror(path);
	put("sites.d/c.conf", "site c { scripts = \"/c\" maxruns = x }\n");
	unit_note = alltext;
	CHECK_INT(compile(), 2, "a directory as a file: reported, the next "
	    "file read");
	CHECK(has_error("%s: not a regular file", path), "a directory as a "
	    "file: named");
	CHECK(has_error("%s/sites.d/c.conf:1: MaxRuns: 'x' is not a number "
	    "from 0 to 2147483647", dir), "the file after it is read");

	(void)util_fmt(path, sizeof(path), "%s/sites.d/b.conf", dir);
	(void)rmdir(path);
	if (geteuid() != 0) {
		/* Root reads a mode 000 file: tests/config.bats covers it. */
		put("sites.d/b.conf", "site b { scripts = \"/b\" }\n");
		(void)chmod(path, 0);
		CHECK_INT(compile(), 2, "unreadable file: reported");
		CHECK(has_error("%s: Permission denied", path), "unreadable "
		    "file: named");
		(void)chmod(path, 0644);
	} else
		CHECK(1, "unreadable file # SKIP as root");

	newdir("sitesfile");
	put("sites.d", "not a directory\n");
	CHECK_INT(compile(), 1, "sites.d a file: one error");
	CHECK(has_error("%s/sites.d: Not a directory", dir), "sites.d a file: "
	    "named");

	newdir("confdirfile");
	(void)util_fmt(path, sizeof(path), "%s/speedy.conf", dir);
	(void)mkdir(path, 0755);
	CHECK_INT(compile(), 1, "speedy.conf a directory: one error");
	CHECK(has_error("%s: not a regular file", path), "speedy.conf a "
	    "directory: named");

	newdir("nul");
	put("speedy.conf", "maxruns = 5\n");
	(void)util_fmt(path, sizeof(path), "%s/speedy.conf", dir);
	{
		int fd = open(path, O_WRONLY | O_APPEND);

		if (fd == -1 || write(fd, "\n\0x\n", 4) != 4 || close(fd) == -1)
			perror(path);
	}
	CHECK_INT(compile(), 1, "NUL byte: one error");
	CHECK(has_error("%s:3: NUL byte in the file", path), "NUL byte: line");
	unit_note = NULL;
}

/* Removes the tree at path (only what the tests made). */
static int
rm_tree(const char *path)
{
	char cmd[PATH_MAX + 32];

	(void)util_fmt(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

int
main(int argc, char **argv)
{
	char self[PATH_MAX];
	int base;

	(void)argc;
	unit_watchdog(60);
	/* The shipped etc/speedy, found from this program's place. */
	(void)util_strlcpy(self, argv[0], sizeof(self));
	(void)util_fmt(shipped, sizeof(shipped), "%s/../../etc/speedy",
	    dirname(self));
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	base = unit_count_fds();
	test_missing();
	test_global();
	test_shipped();
	test_sites();
	test_order();
	test_override();
	test_value_errors();
	test_syntax_errors();
	test_files();
	conf_free(&c);
	CHECK_INT(unit_count_fds(), base, "conf: no descriptor leaked");
	CHECK_INT(rm_tree(top), 0, "conf: cleaned up %s", top);
	return unit_done();
}
