/*
 * fuzz_conf.c: the configuration compiler.  conf_compile reads what an
 * administrator wrote in /etc/speedy; it must report every mistake as
 * a line and never crash speedy-admin, and what it accepts must make a
 * snapshot that reads back as it was written.
 *
 * The input is written as CONFDIR/speedy.conf or, built with
 * FUZZ_SITESD (the conf_sitesd target), as CONFDIR/sites.d/fuzz.conf
 * next to a fixed speedy.conf.  sites.d also holds files that must not
 * be read (so that for conf, it has none to read).  conf_compile must return the number of
 * errors it reported.  If there are none, the sections are checked,
 * written with snap_write and read back with snap_load, snap_verify and
 * the snap_sect_* accessors; snap_apply, on the loaded and on the lean
 * (snap_open) snapshot, must then give every test path exactly what the
 * sections say when applied in order with snap_match.
 *
 * conf_compile keeps the compile in progress in a file-static pointer (it
 * is not reentrant), which is fine: libFuzzer runs one input at a time.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "opt.h"
#include "snap.h"
#include "util.h"

/* Test paths: a few fixed ones, then one per pattern. */
#define MAX_PATHS	24

static const char *fixed_paths[] = {
	"/", "/var/www/shop/cgi-bin/cart.pl", "/var/www/shop/admin/a/b.pl",
	"/usr/lib/cgi-bin/x.pl", "/a", "/a/b"
};
#define NFIXED	(int)(sizeof(fixed_paths) / sizeof(fixed_paths[0]))

static char confdir[PATH_MAX], input[PATH_MAX], snapfile[PATH_MAX];
static char paths[MAX_PATHS][PATH_MAX];
static struct snap_result want, got;

/*
 * conf_compile's error function: counts the lines, each of which must
 * name the file (under confdir) or say that memory ran out.
 */
static void
count_error(void *arg, const char *line)
{
	if (line == NULL || line[0] == '\0')
		fuzz_fail("conf_compile reported an empty error");
	if (strncmp(line, confdir, strlen(confdir)) != 0 &&
	    strcmp(line, "out of memory") != 0)
		fuzz_fail("an error names no file: %s", line);
	(*(int *)arg)++;
}

static void
init_dirs(void)
{
	static const char *ignored[] = { "README", ".hidden.conf",
	    "x.conf.bak" };
	static const char bad[] = "this is no configuration {";
#ifdef FUZZ_SITESD
	static const char conf[] = "maxruns = 10\n"
	    "site \"base\" {\n\tscripts = {\"/var/www/**\"}\n\ttimeout = 5\n"
	    "\tlock = {\"timeout\"}\n}\n";
#endif
	char sd[PATH_MAX], path[PATH_MAX];
	size_t i;

	if (confdir[0] != '\0')
		return;
	fuzz_path(confdir, sizeof(confdir), "conf");
	fuzz_mkdir(confdir, 0755);
	fuzz_path(snapfile, sizeof(snapfile), "snapshot");
	fuzz_path(sd, sizeof(sd), "conf/sites.d");
	fuzz_mkdir(sd, 0755);
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		(void)util_fmt(path, sizeof(path), "%s/%s", sd, ignored[i]);
		fuzz_write_file(path, bad, sizeof(bad) - 1, 0644);
	}
#ifdef FUZZ_SITESD
	(void)util_fmt(input, sizeof(input), "%s/speedy.conf", confdir);
	fuzz_write_file(input, conf, sizeof(conf) - 1, 0644);
	(void)util_fmt(input, sizeof(input), "%s/fuzz.conf", sd);
#else
	(void)util_fmt(input, sizeof(input), "%s/speedy.conf", confdir);
#endif
}

/* True for a usable site name, as conf.c defines one. */
static int
good_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= CONF_NAME_MAX && strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

/* What conf.h promises of a configuration compiled without errors. */
static void
check_conf(const struct conf *c)
{
	const struct snap_build *b;
	int i, k, id;

	if (c->nsects < 1 || c->sects == NULL || c->sects[0].name == NULL ||
	    c->sects[0].name[0] != '\0' || c->sects[0].npatterns != 0)
		fuzz_fail("no global section");
	for (i = 0; i < c->nsects; i++) {
		b = &c->sects[i];
		if (b->name == NULL || b->file == NULL)
			fuzz_fail("section %d: no name or file", i);
		if (i > 0 && (!good_name(b->name) || b->npatterns < 1))
			fuzz_fail("site \"%s\" accepted", b->name);
		for (k = 0; k < i; k++)
			if (k > 0 && strcmp(c->sects[k].name, b->name) == 0)
				fuzz_fail("site \"%s\" accepted twice", b->name);
		for (k = 0; k < b->npatterns; k++)
			if (b->patterns[k] == NULL || b->patterns[k][0] != '/')
				fuzz_fail("site \"%s\": pattern %d accepted",
				    b->name, k);
		for (id = 0; id < OPT__COUNT; id++)
			if ((b->opts.isset[id] || b->locked[id]) &&
			    !(opt_table[id].ctx & OPT_CTX_CONF))
				fuzz_fail("%s accepted in a file",
				    opt_table[id].name);
		fuzz_check_opts(&b->opts);
	}
}

/* Applies one section over r, as snap_apply should. */
static void
apply_build(const struct snap_build *b, int i, struct snap_result *r)
{
	int id;

	for (id = 0; id < OPT__COUNT; id++) {
		if (b->locked[id])
			r->locked[id] = 1;
		if (!b->opts.isset[id])
			continue;
		r->opts.isset[id] = 1;
		r->opts.num[id] = b->opts.num[id];
		r->opts.str[id] = b->opts.str[id];
		r->from[id] = i;
	}
}

/* The global section, then every site with a pattern matching path. */
static void
expect(const struct conf *c, const char *path, struct snap_result *r)
{
	int i, k, id;

	memset(r, 0, sizeof(*r));
	for (id = 0; id < OPT__COUNT; id++)
		r->from[id] = -1;
	apply_build(&c->sects[0], 0, r);
	for (i = 1; i < c->nsects; i++)
		for (k = 0; k < c->sects[i].npatterns; k++)
			if (snap_match(c->sects[i].patterns[k], path)) {
				apply_build(&c->sects[i], i, r);
				break;
			}
}

/* The test paths; returns their number. */
static int
make_paths(const struct conf *c)
{
	int i, k, n;

	for (n = 0; n < NFIXED; n++)
		(void)util_strlcpy(paths[n], fixed_paths[n], sizeof(paths[n]));
	for (i = 1; i < c->nsects; i++)
		for (k = 0; k < c->sects[i].npatterns && n < MAX_PATHS; k++)
			fuzz_pattern_path(c->sects[i].patterns[k], paths[n++],
			    sizeof(paths[0]));
	return n;
}

/* The sections as the loaded snapshot describes them. */
static void
check_sections(const struct snap *s, const struct conf *c)
{
	const struct snap_build *b;
	const char *v;
	int i, k, id, set;

	if (snap_nsect(s) != c->nsects)
		fuzz_fail("%d sections written, %d read", c->nsects,
		    snap_nsect(s));
	for (i = 0; i < c->nsects; i++) {
		b = &c->sects[i];
		if (strcmp(snap_sect_name(s, i), b->name) != 0 ||
		    strcmp(snap_sect_file(s, i), b->file) != 0 ||
		    snap_sect_line(s, i) != b->line ||
		    snap_sect_npat(s, i) != b->npatterns)
			fuzz_fail("section %d does not read back", i);
		for (k = 0; k < b->npatterns; k++)
			if (strcmp(snap_sect_pat(s, i, k), b->patterns[k]) != 0)
				fuzz_fail("section %d: pattern %d does not "
				    "read back", i, k);
		for (id = 0; id < OPT__COUNT; id++) {
			if (b->opts.isset[id] &&
			    snap_opt_line(s, i, id) != b->optline[id])
				fuzz_fail("section %d: line of %s", i,
				    opt_table[id].name);
			/* Only the string values have a string. */
			v = snap_sect_str(s, i, id);
			set = opt_table[id].type == OPT_T_STR &&
			    b->opts.isset[id];
			if (set ? v == NULL || strcmp(v, b->opts.str[id]) != 0 :
			    v != NULL)
				fuzz_fail("section %d: %s does not read back",
				    i, opt_table[id].name);
		}
	}
}

/* True if snap_write may refuse c: a pattern too long for a snapshot. */
static int
too_large(const struct conf *c)
{
	int i, k;

	for (i = 1; i < c->nsects; i++)
		for (k = 0; k < c->sects[i].npatterns; k++)
			if (strlen(c->sects[i].patterns[k]) >= SNAP_PATMAX)
				return 1;
	return 0;
}

static void
round_trip(const struct conf *c)
{
	struct snap s;
	char err[512];
	int i, n;

	if (snap_write(snapfile, c->sects, c->nsects, err, sizeof(err)) ==
	    -1) {
		if (too_large(c))
			return;
		fuzz_fail("snap_write: %s", err);
	}
	if (snap_load(&s, snapfile, err, sizeof(err)) != 0)
		fuzz_fail("snap_load: %s", err);
	if (snap_verify(&s, err, sizeof(err)) == -1)
		fuzz_fail("snap_verify: %s", err);
	check_sections(&s, c);
	n = make_paths(c);
	for (i = 0; i < n; i++) {
		expect(c, paths[i], &want);
		if (snap_apply(&s, paths[i], &got, err, sizeof(err)) == -1)
			fuzz_fail("snap_apply %s: %s", paths[i], err);
		fuzz_same_result(&want, &got, paths[i], "loaded snapshot");
		fuzz_check_resolve(&got);
	}
	snap_close(&s);
	if (snap_open(&s, snapfile, err, sizeof(err)) != 0)
		fuzz_fail("snap_open: %s", err);
	for (i = 0; i < n; i++) {
		expect(c, paths[i], &want);
		if (snap_apply(&s, paths[i], &got, err, sizeof(err)) == -1)
			fuzz_fail("snap_apply %s: %s", paths[i], err);
		fuzz_same_result(&want, &got, paths[i], "snap_open");
	}
	snap_close(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	int before, nerr = 0, r;

	init_dirs();
	before = fuzz_nfds();
	fuzz_write_file(input, data, size, 0644);
	r = conf_compile(confdir, &c, count_error, &nerr);
	if (r != nerr)
		fuzz_fail("conf_compile returned %d after reporting %d errors",
		    r, nerr);
	if (r == 0) {
		check_conf(&c);
		round_trip(&c);
	}
	conf_free(&c);
	if (fuzz_nfds() != before)
		fuzz_fail("descriptor leak: %d open before, %d after", before,
		    fuzz_nfds());
	return 0;
}
