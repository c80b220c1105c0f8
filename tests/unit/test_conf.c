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

/* conf_fcgi_pool() of site in dir into p; its errors are collected. */
static int
pool(const char *site, struct conf_fcgi *p)
{
	nerrs = 0;
	alltext[0] = '\0';
	return conf_fcgi_pool(dir, site, p, collect, NULL);
}

/* Checks the fields of pool p one by one, so that a failure says which. */
static void
check_pool(const struct conf_fcgi *p, const struct conf_fcgi *want,
    const char *what)
{
	CHECK_STR(p->site, want->site, "%s: site", what);
	CHECK_STR(p->file, want->file, "%s: file", what);
	CHECK_INT(p->line, want->line, "%s: line of its fastcgi keyword",
	    what);
	CHECK_STR(p->listen, want->listen, "%s: listen", what);
	CHECK_INT(p->processes, want->processes, "%s: processes", what);
	CHECK_STR(p->user, want->user, "%s: listen_user", what);
	CHECK_STR(p->group, want->group, "%s: listen_group", what);
	CHECK_INT(p->mode, want->mode, "%s: listen_mode", what);
	CHECK_STR(p->script, want->script, "%s: script", what);
	CHECK_STR(p->root, want->root, "%s: root", what);
}

/* Fills a pool to compare with; "" or -1 for the values not given. */
static void
want_pool(struct conf_fcgi *w, const char *site, const char *file,
    int line, const char *listen, int processes, const char *user,
    const char *group, int mode, const char *script, const char *root)
{
	memset(w, 0, sizeof(*w));
	(void)util_strlcpy(w->site, site, sizeof(w->site));
	(void)util_fmt(w->file, sizeof(w->file), "%s/%s", dir, file);
	w->line = line;
	(void)util_strlcpy(w->listen, listen, sizeof(w->listen));
	w->processes = processes;
	(void)util_strlcpy(w->user, user, sizeof(w->user));
	(void)util_strlcpy(w->group, group, sizeof(w->group));
	w->mode = mode;
	(void)util_strlcpy(w->script, script, sizeof(w->script));
	(void)util_strlcpy(w->root, root, sizeof(w->root));
}

/*
 * Pools as written: every key, the defaults, a Unix socket and TCP.  The
 * word "fastcgi" also appears where it is no section (a comment, a
 * value, a string), which must not shift the line of the real one.
 */
static void
test_pool_good(void)
{
	struct conf_fcgi p, w[3];
	const struct snap_build *s;
	int i;

	newdir("pools");
	put("speedy.conf",
	    "lock = {\"maxruns\"}\n"
	    "# fastcgi { in a comment\n"
	    "site \"main\" {\n"
	    "\tscripts = {\"/srv/main/*.pl\"}\t/* fastcgi */\n"
	    "\tgroup = fastcgi\n"				/* 5 */
	    "\tperlargs = \"fastcgi\"\n"
	    "\tfastcgi\n"
	    "\t{\n"
	    "\t\tlisten = \"/run/speedy/main/fcgi.sock\"\n"
	    "\t\tprocesses = 16\n"			/* 10 */
	    "\t\tlisten_user = root\n"
	    "\t\tlisten_group = \"www-data\"\n"
	    "\t\tlisten_mode = 0660\n"
	    "\t\tscript = \"/srv/main/app.pl\"\n"
	    "\t}\n"					/* 15 */
	    "\tmaxbackends = 8\n"
	    "}\n");
	put("sites.d/api.conf",
	    "site api {\n"
	    "\tscripts = \"/srv/api/**\"\n"
	    "\tfastcgi { listen = \"127.0.0.1:9000\"\n"
	    "\t\troot = \"/srv/api/cgi\" }\n"
	    "}\n"						/* 5 */
	    "site plain { scripts = \"/srv/plain/*\" }\n"
	    "site v6 { scripts = \"/srv/v6/*.pl\" fastcgi {\n"
	    "  listen = \"[::1]:9000\"\n"
	    "  root = /srv/v6 } }\n");
	unit_note = alltext;
	CHECK_INT(compile(), 0, "pools: no error");
	CHECK_INT(c.nsects, 5, "pools: the sites are sections, the pools not");
	want_pool(&w[0], "main", "speedy.conf", 7, "/run/speedy/main/fcgi.sock",
	    16, "root", "www-data", 0660, "/srv/main/app.pl", "");
	want_pool(&w[1], "api", "sites.d/api.conf", 3, "127.0.0.1:9000",
	    CONF_FCGI_PROCESSES, "", "", -1, "", "/srv/api/cgi");
	want_pool(&w[2], "v6", "sites.d/api.conf", 7, "[::1]:9000",
	    CONF_FCGI_PROCESSES, "", "", -1, "", "/srv/v6");
	if (CHECK_INT(c.npools, 3, "pools: three, in order"))
		for (i = 0; i < 3; i++)
			check_pool(&c.pools[i], &w[i], w[i].site);
	s = sect("main");
	if (CHECK(s != NULL, "pools: site main")) {
		CHECK_STR(s->opts.str[OPT_GROUP], "fastcgi", "pools: the "
		    "site's group is its own");
		CHECK_INT(s->optline[OPT_GROUP], 5, "pools: its line");
		CHECK_INT(s->opts.num[OPT_MAXBACKENDS], 8, "pools: a site "
		    "value after the fastcgi section");
		CHECK_INT(s->optline[OPT_MAXBACKENDS], 16, "pools: its line");
	}
	for (i = 0; i < 3; i++) {
		memset(&p, 0x5a, sizeof(p));
		if (CHECK_INT(pool(w[i].site, &p), 0, "conf_fcgi_pool %s",
		    w[i].site))
			check_pool(&p, &w[i], "conf_fcgi_pool");
		CHECK_INT(nerrs, 0, "conf_fcgi_pool %s: no error", w[i].site);
	}
	unit_note = NULL;
}

/* Every check of a pool, each error as FILE:LINE. */
static void
test_pool_errors(void)
{
	char path[PATH_MAX], *text;
	size_t len = 2 * PATH_MAX;

	newdir("poolerrs");
	put("sites.d/bad.conf",
	    "site a {\n"
	    "\tscripts = {\"/srv/a/*.pl\"}\n"
	    "\tfastcgi {\n"
	    "\t\tlisten = \"run/a.sock\"\n"
	    "\t\tprocesses = 0\n"			/* 5 */
	    "\t\tlisten_user = \"-x\"\n"
	    "\t\tlisten_group = \"a b\"\n"
	    "\t\tlisten_mode = 0800\n"
	    "\t\tscript = \"/srv/a/../b.pl\"\n"
	    "\t}\n"					/* 10 */
	    "}\n"
	    "site b {\n"
	    "\tscripts = \"/srv/b/*.pl\"\n"
	    "\tfastcgi {\n"
	    "\t\tprocesses = 1025\n"			/* 15 */
	    "\t}\n"
	    "\tfastcgi { listen = \":1\" }\n"
	    "}\n"
	    "site c {\n"
	    "\tscripts = \"/srv/c/*.pl\"\n"		/* 20 */
	    "\tfastcgi {\n"
	    "\t\tlisten = \"127.0.0.1:9000\"\n"
	    "\t\tlisten_mode = 0666\n"
	    "\t\tscript = \"/srv/c/x.pl\"\n"
	    "\t\troot = \"/srv/c\"\n"			/* 25 */
	    "\t}\n"
	    "}\n"
	    "site d {\n"
	    "\tscripts = \"/srv/d/*.pl\"\n"
	    "\tfastcgi {\n"				/* 30 */
	    "\t\tlisten = \"localhost:9000\"\n"
	    "\t\troot = \"/srv/elsewhere\"\n"
	    "\t}\n"
	    "}\n"
	    "site e {\n"					/* 35 */
	    "\tscripts = \"/srv/e/*.pl\"\n"
	    "\tfastcgi { listen = \"[::1]:0\" script = \"/srv/f/x.pl\" }\n"
	    "}\n"
	    "site f {\n"
	    "\tscripts = \"/srv/f/*.pl\"\n"		/* 40 */
	    "\tfastcgi {\n"
	    "\t}\n"
	    "}\n"
	    "site g { scripts = \"/srv/g/**\"\n"
	    "\tfastcgi { listen = \":9000\" root = \"/srv/g/cgi/\" } }\n"
	    "site h { scripts = \"/srv/h/*\" fastcgi { listen = \"x9000\"\n"
	    "  root = \"/srv/h\" } }\n"
	    "site i { scripts = \"/srv/i/*\" fastcgi {\n"
	    "  listen = \"/run/speedy/i.sock\" root = \"/srv/i\" } }\n");
	/* Each site in a line, its pool on the next. */
	put("sites.d/dup.conf",
	    "site j { scripts = \"/j/*\"\n"
	    "\tfastcgi { listen = \"/run/speedy/i.sock\" script = /j/a } }\n"
	    "site k { scripts = \"/k/*\"\n"
	    "\tfastcgi { listen = \"[::]:8000\" script = \"/k/a\" } }\n"
	    "site l { scripts = \"/l/*\"\n"			/* 5 */
	    "\tfastcgi { listen = \"127.0.0.1:8000\" script = \"/l/a\" } }\n"
	    "site m { scripts = \"/m/*\"\n"
	    "\tfastcgi { listen = \"[::1]:8001\" script = \"/m/a\" } }\n"
	    "site n { scripts = \"/n/*\"\n"
	    "\tfastcgi { listen = \"[0::1]:8001\" script = \"/n/a\" } }\n"
	    "site o { scripts = \"/o/*\"\n"
	    "\tfastcgi { listen = \"[::1]:8002\" script = \"/o/a\" } }\n"
	    "site p { scripts = \"/p/*\"\n"
	    "\tfastcgi { listen = \"127.0.0.1:8002\" script = \"/p/a\" } }\n");
	if ((text = malloc(len)) == NULL) {
		perror("malloc");
		exit(2);
	}
	(void)util_fmt(text, len, "site long { scripts = \"/**\" fastcgi {\n"
	    "  listen = \"/%0*d\"\n  script = \"/%0*d\" } }\n",
	    CONF_LISTEN_MAX - 1, 0, PATH_MAX - 1, 0);
	put("sites.d/long.conf", text);
	free(text);
	put("sites.d/top.conf", "\nfastcgi { listen = \":1\" }\n");
	put("sites.d/user.conf", "site u { scripts = \"/u\" fastcgi {\n"
	    "  listen = \"/run/u.sock\" script = \"/u\"\n"
	    "  group = www-data } }\n");
	put("sites.d/value.conf", "site v { scripts = \"/v\" fastcgi {\n"
	    "  listen = \"/run/v.sock\" script = \"/v\"\n"
	    "  maxruns = 5 } }\n");
	/*
	 * bad.conf: 19, dup.conf: 3 (not sites o and p: one address of
	 * each family), long.conf: 2, one each in the files that stop.
	 */
	CHECK_INT(compile(), 27, "pool errors: each one reported");
	unit_note = alltext;
	(void)util_fmt(path, sizeof(path), "%s/sites.d/bad.conf", dir);
	CHECK(has_error("%s:4: fastcgi: listen: 'run/a.sock': a Unix socket "
	    "must be an absolute path to a file, without empty, '.' or '..' "
	    "components", path), "relative socket path");
	CHECK(has_error("%s:5: fastcgi: processes: '0' is not a number from 1 "
	    "to %d", path, CONF_FCGI_PROCESSES_MAX), "processes 0");
	CHECK(has_error("%s:6: fastcgi: listen_user: '-x' is not a user name",
	    path), "bad user name");
	CHECK(has_error("%s:7: fastcgi: listen_group: 'a b' is not a group "
	    "name", path), "bad group name");
	CHECK(has_error("%s:8: fastcgi: listen_mode: '0800' is not an octal "
	    "mode from 0 to 0777", path), "bad mode");
	CHECK(has_error("%s:9: fastcgi: script: '/srv/a/../b.pl' is not an "
	    "absolute path without empty, '.' or '..' components", path),
	    "script with ..");
	CHECK(has_error("%s:15: fastcgi: processes: '1025' is not a number "
	    "from 1 to %d", path, CONF_FCGI_PROCESSES_MAX), "processes 1025");
	CHECK(has_error("%s:17: site \"b\" has a second fastcgi section (the "
	    "first is at line 14)", path), "two fastcgi sections");
	CHECK(has_error("%s:23: fastcgi: listen_mode applies to a Unix socket, "
	    "not to TCP address '127.0.0.1:9000'", path), "mode with TCP");
	CHECK(has_error("%s:25: fastcgi: script and root exclude each other",
	    path), "script and root");
	CHECK(has_error("%s:31: fastcgi: listen: 'localhost:9000': "
	    "'localhost' is not an IPv4 address or an IPv6 address in brackets "
	    "(host names are not resolved)", path), "a host name");
	CHECK(has_error("%s:32: fastcgi: root '/srv/elsewhere': no pattern in "
	    "the scripts of site \"d\" applies to the files in it", path),
	    "root outside the site");
	CHECK(has_error("%s:37: fastcgi: listen: '[::1]:0': port '0' is not a "
	    "number from 1 to 65535", path), "port 0");
	CHECK(has_error("%s:37: fastcgi: script '/srv/f/x.pl' is not among the "
	    "scripts of site \"e\"", path), "script outside the site");
	CHECK(has_error("%s:41: fastcgi: listen is required", path),
	    "no listen");
	CHECK(has_error("%s:41: fastcgi: script or root is required", path),
	    "neither script nor root");
	CHECK(has_error("%s:45: fastcgi: root: '/srv/g/cgi/' is not an "
	    "absolute path without empty, '.' or '..' components", path),
	    "root with a trailing slash");
	CHECK(has_error("%s:45: fastcgi: listen address ':9000' is also that "
	    "of site \"c\" at %s:21", path, path), "every address and one "
	    "address on the same port");
	CHECK(has_error("%s:46: fastcgi: listen: 'x9000' is neither an "
	    "absolute socket path nor HOST:PORT, [IPV6]:PORT or :PORT", path),
	    "no colon");
	(void)util_fmt(path, sizeof(path), "%s/sites.d/dup.conf", dir);
	CHECK(has_error("%s:2: fastcgi: listen address '/run/speedy/i.sock' is "
	    "also that of site \"i\" at %s/sites.d/bad.conf:48", path, dir),
	    "one socket for two pools, in two files");
	CHECK(has_error("%s:6: fastcgi: listen address '127.0.0.1:8000' is "
	    "also that of site \"k\" at %s:4", path, path), "[::] is every "
	    "address");
	CHECK(has_error("%s:10: fastcgi: listen address '[0::1]:8001' is also "
	    "that of site \"m\" at %s:8", path, path), "one IPv6 address "
	    "written two ways");
	(void)util_fmt(path, sizeof(path), "%s/sites.d/long.conf", dir);
	CHECK(has_error("%s:2: fastcgi: listen: an address is longer than %d "
	    "bytes", path, CONF_LISTEN_MAX - 1), "listen too long");
	CHECK(has_error("%s:3: fastcgi: script: a path is longer than %d bytes",
	    path, PATH_MAX - 1), "script too long");
	CHECK(has_error("%s/sites.d/top.conf:2: fastcgi must be inside a site "
	    "section", dir), "fastcgi on the top level");
	CHECK(has_error("%s/sites.d/user.conf:3: fastcgi: no such option "
	    "'group' (the socket's owner, group and mode are listen_user, "
	    "listen_group and listen_mode)", dir), "group in a pool");
	CHECK(has_error("%s/sites.d/value.conf:3: fastcgi: no such option "
	    "'maxruns' (it belongs in the site, outside its fastcgi section)",
	    dir), "a site value in a pool");
	unit_note = NULL;
}

/*
 * conf_fcgi_pool: a pool starts whatever errors other files have; errors
 * in its own file, no site, or a site without a pool keep it from it.
 */
static void
test_pool_lookup(void)
{
	struct conf_fcgi p;
	char path[PATH_MAX];

	newdir("lookup");
	put("speedy.conf",
	    "maxruns = x\n"
	    "site top { scripts = \"/top/*\"\n"
	    "  fastcgi { listen = \":8000\" script = \"/top/a\" } }\n");
	put("sites.d/a.conf",
	    "site a { scripts = \"/a/*\"\n"
	    "  fastcgi { listen = \":8001\" script = \"/a/x\" } }\n"
	    "site plain { scripts = \"/p/*\" }\n");
	put("sites.d/b.conf",
	    "site b { scripts = \"/b/*\"\n"
	    "  fastcgi { listen = \":8002\" script = \"/b/x\" } }\n"
	    "site b2 { scripts = \"/b2/*\" timeout = never }\n");
	put("sites.d/c.conf",
	    "site c { scripts = \"/c/*\"\n"
	    "  fastcgi { listen = \":8001\" script = \"/c/x\" } }\n");
	put("sites.d/d.conf",
	    "bogus = 1\n"
	    "site d { scripts = \"/d/*\"\n"
	    "  fastcgi { listen = \":8003\" script = \"/d/x\" } }\n");
	unit_note = alltext;
	CHECK_INT(compile(), 4, "lookup: four errors in four files");

	if (CHECK_INT(pool("a", &p), 0, "a pool whose file is right starts")) {
		CHECK_STR(p.listen, ":8001", "its listen");
		CHECK_STR(p.script, "/a/x", "its script");
	}
	CHECK_INT(nerrs, 0, "the errors of other files are not reported");

	CHECK_INT(pool("top", &p), -1, "an error in the pool's file");
	CHECK_INT(nerrs, 1, "only that file's error");
	CHECK(has_error("%s/speedy.conf:1: MaxRuns: 'x' is not a number from 0 "
	    "to 2147483647", dir), "speedy.conf's error");

	CHECK_INT(pool("b", &p), -1, "an error in another site of the file");
	CHECK_INT(nerrs, 1, "that error only");
	CHECK(has_error("%s/sites.d/b.conf:3: Timeout: 'never' is not a number "
	    "from 0 to 2147483", dir), "b.conf's error");

	CHECK_INT(pool("c", &p), -1, "the second pool on an address");
	CHECK_INT(nerrs, 1, "one error");
	CHECK(has_error("%s/sites.d/c.conf:2: fastcgi: listen address ':8001' "
	    "is also that of site \"a\" at %s/sites.d/a.conf:2", dir, dir),
	    "the first pool named");

	CHECK_INT(pool("plain", &p), -1, "a site without a pool");
	CHECK_INT(nerrs, 1, "one error");
	CHECK(has_error("%s/sites.d/a.conf:3: site \"plain\" has no fastcgi "
	    "section", dir), "site without a pool: named");

	CHECK_INT(pool("nosuch", &p), -1, "no such site");
	CHECK_INT(nerrs, 5, "every error, and no site");
	CHECK(has_error("%s/sites.d/d.conf:1: no such option 'bogus'", dir),
	    "no such site: the error that may be why");
	CHECK(has_error("%s: no site \"nosuch\" is defined", dir),
	    "no such site: named");

	CHECK_INT(pool("d", &p), -1, "a site after a syntax error");
	CHECK(has_error("%s: no site \"d\" is defined", dir), "it is not "
	    "defined");

	(void)util_strlcpy(path, dir, sizeof(path));
	(void)util_fmt(dir, sizeof(dir), "%s/nonexistent", top);
	CHECK_INT(pool("a", &p), -1, "no configuration directory");
	CHECK(has_error("%s: No such file or directory", dir), "the directory "
	    "named");
	(void)util_strlcpy(dir, path, sizeof(dir));
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
	test_pool_good();
	test_pool_errors();
	test_pool_lookup();
	conf_free(&c);
	CHECK_INT(unit_count_fds(), base, "conf: no descriptor leaked");
	CHECK_INT(rm_tree(top), 0, "conf: cleaned up %s", top);
	return unit_done();
}
