/*
 * test_snap.c: unit tests for src/common/snap.c, the configuration
 * snapshot, in a mkdtemp directory: the round trip, pattern matching, the
 * precedence rule, and damaged or hostile files, each of which must be
 * refused with a message and never crash the reader.
 *
 * The damage tests patch the file's header and sections at the offsets of
 * layout version 2 (the structures are private to snap.c) and recompute
 * the FNV-1a checksum where the damage must get past snap_verify's first
 * check.  A new layout means a new SNAP_VERSION, and these offsets follow.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "snap.h"
#include "util.h"
#include "unit.h"

/*
 * Layout version 2: the header and one section, as snap.c writes them;
 * options in fixed slots (snap.c's slot_of), 32 of them.
 */
#define H_VERSION	8
#define H_NOPT		12
#define H_SIZE		16
#define H_NSECT		20
#define H_NPAT		24
#define H_STRSIZE	28
#define H_SECTOFF	32
#define H_PATOFF	36
#define H_STROFF	40
#define H_CHECKSUM	44
#define H_LEN		64
#define S_NAME		0
#define S_FILE		4
#define S_FIRSTPAT	20
#define S_NPAT		24
#define S_NUM		32
#define S_NSLOT		32
#define S_STR		(S_NUM + 8 * S_NSLOT)
#define S_LEN		(S_STR + 8 * S_NSLOT)
#define SLOT_GROUP	3
#define SLOT_MAXRUNS	6
#define P_STR		0
#define P_LEN		16

static char top[] = "/tmp/speedy-unit-snap.XXXXXX";
static char path[256];		/* the snapshot under test */
static char err[512];
static unsigned char orig[65536];	/* a good snapshot, as written */
static size_t origlen;

static const char *const shop_pats[] = { "/var/www/shop/cgi-bin/*.pl",
    "/var/www/shop/admin/**" };
static const char *const api_pats[] = { "/var/www/shop/cgi-bin/api?.pl" };

/* Three sections: global values, site shop, site api (which overrides). */
static void
build(struct snap_build *b)
{
	char e[64];

	memset(b, 0, 3 * sizeof(*b));
	b[0].name = "";
	b[0].file = "/etc/speedy/speedy.conf";
	(void)opt_set_value(&b[0].opts, OPT_MAXRUNS, "100", e, sizeof(e));
	b[0].optline[OPT_MAXRUNS] = 7;
	(void)opt_set_value(&b[0].opts, OPT_TIMEOUT, "300", e, sizeof(e));
	b[0].optline[OPT_TIMEOUT] = 8;
	b[0].locked[OPT_TMPBASE] = 1;

	b[1].name = "shop";
	b[1].file = "/etc/speedy/sites.d/shop.conf";
	b[1].line = 3;
	(void)opt_set_value(&b[1].opts, OPT_GROUP, "shop", e, sizeof(e));
	b[1].optline[OPT_GROUP] = 5;
	(void)opt_set_value(&b[1].opts, OPT_MAXRUNS, "50", e, sizeof(e));
	b[1].optline[OPT_MAXRUNS] = 6;
	(void)opt_set_value(&b[1].opts, OPT_PERLARGS, "", e, sizeof(e));
	b[1].optline[OPT_PERLARGS] = 9;
	b[1].locked[OPT_MAXRUNS] = 1;
	b[1].patterns = shop_pats;
	b[1].npatterns = 2;

	b[2].name = "api";
	b[2].file = "/etc/speedy/sites.d/shop.conf";
	b[2].line = 12;
	(void)opt_set_value(&b[2].opts, OPT_MAXRUNS, "5", e, sizeof(e));
	b[2].optline[OPT_MAXRUNS] = 13;
	(void)opt_set_value(&b[2].opts, OPT_MAXBACKENDS, "2", e, sizeof(e));
	b[2].optline[OPT_MAXBACKENDS] = 14;
	b[2].patterns = api_pats;
	b[2].npatterns = 1;
}

/* FNV-1a, 32 bits, as snap.c sums everything after the header. */
static uint32_t
fnv(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static uint32_t
get32(const unsigned char *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static void
put32(unsigned char *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, sizeof(v));
}

/* Writes len bytes of buf as the snapshot, mode 0644 (resum: new sum). */
static void
install(const unsigned char *buf, size_t len, int resum)
{
	unsigned char copy[sizeof(orig)];
	int fd;

	memcpy(copy, buf, len);
	if (resum && len >= H_LEN)
		put32(copy, H_CHECKSUM, fnv(copy + H_LEN, len - H_LEN));
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1 ||
	    fchmod(fd, 0644) == -1 || util_write_all(fd, copy, len) == -1 ||
	    close(fd) == -1) {
		perror(path);
		exit(2);
	}
}

/* Reads the snapshot at path into orig. */
static void
load(void)
{
	int fd;
	ssize_t n;

	if ((fd = open(path, O_RDONLY)) == -1 ||
	    (n = read(fd, orig, sizeof(orig))) <= 0) {
		perror(path);
		exit(2);
	}
	origlen = (size_t)n;
	(void)close(fd);
}

/*
 * Opens, verifies and applies the snapshot as both readers do.  Returns
 * -2 if snap_open refused it, -1 if snap_load or snap_verify did, else
 * snap_apply's
 * result for a shop script.
 */
static int
read_all(void)
{
	const struct opt_set *none[1];
	struct snap_result r;
	struct opt_set out;
	struct snap s;
	int rc, i;

	err[0] = '\0';
	if (snap_open(&s, path, err, sizeof(err)) != 0)
		return -2;
	/* The frontend applies without verifying: that must hold too. */
	(void)snap_apply(&s, "/var/www/shop/cgi-bin/api1.pl", &r, err,
	    sizeof(err));
	snap_close(&s);
	/* speedy-admin loads the whole file, then verifies. */
	if (snap_load(&s, path, err, sizeof(err)) != 0)
		return -1;
	(void)snap_apply(&s, "/var/www/shop/cgi-bin/api1.pl", &r, err,
	    sizeof(err));
	for (i = 0; i < snap_nsect(&s); i++)
		(void)snap_sect_npat(&s, i);
	rc = snap_verify(&s, err, sizeof(err));
	if (rc == 0) {
		rc = snap_apply(&s, "/var/www/shop/cgi-bin/api1.pl", &r, err,
		    sizeof(err));
		opt_defaults(&out, "be");
		snap_resolve(&out, &r, none, 0, NULL);
	} else
		rc = -1;
	snap_close(&s);
	return rc;
}

static void
test_roundtrip(void)
{
	struct snap_build b[3];
	struct snap s;
	struct stat st;
	mode_t mask;
	DIR *d;
	struct dirent *e;
	int n;

	build(b);
	mask = umask(077);	/* the mode must not depend on the umask */
	CHECK_INT(snap_write(path, b, 3, err, sizeof(err)), 0, "write");
	(void)umask(mask);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644,
	    "write: mode 0644 whatever the umask");
	n = 0;
	if ((d = opendir(top)) != NULL) {
		while ((e = readdir(d)) != NULL)
			n += e->d_name[0] != '.';
		(void)closedir(d);
	}
	CHECK_INT(n, 1, "write: no temporary file left");
	load();
	if (!CHECK_INT(snap_load(&s, path, err, sizeof(err)), 0, "load"))
		return;
	CHECK_INT(snap_verify(&s, err, sizeof(err)), 0, "verify");
	CHECK_INT(snap_nsect(&s), 3, "three sections");
	CHECK_STR(snap_sect_name(&s, 0), "", "section 0: no name");
	CHECK_STR(snap_sect_file(&s, 0), "/etc/speedy/speedy.conf",
	    "section 0: file");
	CHECK_INT(snap_opt_line(&s, 0, OPT_TIMEOUT), 8, "section 0: line of "
	    "a value");
	CHECK_STR(snap_sect_name(&s, 1), "shop", "section 1: name");
	CHECK_STR(snap_sect_file(&s, 1), "/etc/speedy/sites.d/shop.conf",
	    "section 1: file");
	CHECK_INT(snap_sect_line(&s, 1), 3, "section 1: line");
	CHECK_INT(snap_opt_line(&s, 1, OPT_GROUP), 5, "section 1: line of "
	    "a value");
	CHECK_INT(snap_sect_npat(&s, 1), 2, "section 1: two patterns");
	CHECK_STR(snap_sect_pat(&s, 1, 1), "/var/www/shop/admin/**",
	    "section 1: second pattern");
	CHECK_INT(snap_sect_npat(&s, 0), 0, "section 0: no patterns");
	CHECK_INT(snap_sect_line(&s, 2), 12, "section 2: line");
	snap_close(&s);
	CHECK(s.base == NULL && snap_nsect(&s) == 0, "close: empty");

	CHECK_INT(snap_write(path, b, 0, err, sizeof(err)), -1, "write: no "
	    "section refused");
	CHECK_HAS(err, "sections", "write: no section: message");
}

static void
test_match(void)
{
	static const struct {
		const char	*pat, *path;
		int		 want;
	} t[] = {
		{ "/a/*.pl", "/a/x.pl", 1 },
		{ "/a/*.pl", "/a/b/x.pl", 0 },	/* "*" stops at "/" */
		{ "/a/*.pl", "/a/x.pm", 0 },
		{ "/a/*", "/a/.hidden", 1 },
		{ "/a/?.pl", "/a/x.pl", 1 },
		{ "/a/?.pl", "/a/xy.pl", 0 },
		{ "/a/[xy].pl", "/a/y.pl", 1 },
		{ "/a/x.pl", "/a/x.pl", 1 },
		{ "/a/x.pl", "/a/x.pl2", 0 },
		{ "/a/**", "/a/x", 1 },
		{ "/a/**", "/a/b/c/d.pl", 1 },
		{ "/a/**", "/a", 0 },
		{ "/a/**", "/ab/x", 0 },
		{ "/a/**", "/b/a/x", 0 },
		{ "/*/cgi/**", "/x/cgi/a/b.pl", 1 },
		{ "/*/cgi/**", "/x/y/cgi/a.pl", 0 },
		{ "/**", "/x.pl", 1 },
		{ "/**", "/a/b/c.pl", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		CHECK_INT(snap_match(t[i].pat, t[i].path), t[i].want,
		    "match: %s %s %s", t[i].pat, t[i].want ? "matches" :
		    "does not match", t[i].path);
}

/*
 * Applies the good snapshot to one script path.  The result's strings
 * point into the mapping, which stays until the next call.
 */
static struct snap applied;

static int
apply(const char *script, struct snap_result *r)
{
	snap_close(&applied);
	install(orig, origlen, 0);
	if (snap_open(&applied, path, err, sizeof(err)) != 0)
		return -2;
	return snap_apply(&applied, script, r, err, sizeof(err));
}

static void
test_apply(void)
{
	struct snap_result r;

	if (!CHECK_INT(apply("/var/www/shop/cgi-bin/api1.pl", &r), 0,
	    "apply: api script"))
		return;
	CHECK_INT(r.opts.num[OPT_MAXRUNS], 5, "apply: the later site wins");
	CHECK_INT(r.from[OPT_MAXRUNS], 2, "apply: from section 2");
	CHECK_STR(r.opts.str[OPT_GROUP], "shop", "apply: the earlier site's "
	    "value stays");
	CHECK_INT(r.opts.num[OPT_TIMEOUT], 300, "apply: global value");
	CHECK_INT(r.from[OPT_TIMEOUT], 0, "apply: from section 0");
	CHECK(r.locked[OPT_MAXRUNS] && r.locked[OPT_TMPBASE], "apply: locks "
	    "of every matching section");
	CHECK(r.opts.isset[OPT_PERLARGS] && strcmp(r.opts.str[OPT_PERLARGS],
	    "") == 0, "apply: an empty string is a value");
	CHECK(!r.opts.isset[OPT_BUFSIZGET] && r.from[OPT_BUFSIZGET] == -1,
	    "apply: unset stays unset");

	CHECK_INT(apply("/var/www/shop/cgi-bin/cart.pl", &r), 0, "apply: shop "
	    "script");
	CHECK(r.opts.num[OPT_MAXRUNS] == 50 && !r.opts.isset[OPT_MAXBACKENDS],
	    "apply: only site shop");
	CHECK_INT(apply("/var/www/shop/admin/x/y/z.pl", &r), 0, "apply: tree");
	CHECK_INT(r.from[OPT_GROUP], 1, "apply: tree matches deep paths");
	CHECK_INT(apply("/var/www/shop/cgi-bin/sub/cart.pl", &r), 0,
	    "apply: below cgi-bin");
	CHECK(!r.opts.isset[OPT_GROUP] && r.opts.num[OPT_MAXRUNS] == 100,
	    "apply: '*' does not cross '/': global values only");
	CHECK_INT(apply("/var/www/other/x.pl", &r), 0, "apply: elsewhere");
	CHECK(r.opts.num[OPT_MAXRUNS] == 100 && !r.locked[OPT_MAXRUNS] &&
	    r.locked[OPT_TMPBASE], "apply: elsewhere: global values and locks");
}

static void
test_resolve(void)
{
	const struct opt_set *layers[3];
	struct opt_set env, sh, argv, out;
	struct snap_result r;
	char e[64];
	int src[OPT__COUNT];

	if (!CHECK_INT(apply("/var/www/shop/cgi-bin/api1.pl", &r), 0,
	    "resolve: applied"))
		return;
	memset(&env, 0, sizeof(env));
	memset(&sh, 0, sizeof(sh));
	memset(&argv, 0, sizeof(argv));
	(void)opt_set_value(&env, OPT_TIMEOUT, "10", e, sizeof(e));
	(void)opt_set_value(&env, OPT_MAXBACKENDS, "3", e, sizeof(e));
	(void)opt_set_value(&env, OPT_BUFSIZPOST, "1", e, sizeof(e));
	(void)opt_set_value(&sh, OPT_TIMEOUT, "20", e, sizeof(e));
	(void)opt_set_value(&sh, OPT_MAXRUNS, "7", e, sizeof(e));
	(void)opt_set_value(&sh, OPT_BUFSIZGET, "2", e, sizeof(e));
	(void)opt_set_value(&argv, OPT_BUFSIZGET, "4", e, sizeof(e));
	(void)opt_set_value(&argv, OPT_TMPBASE, "/elsewhere", e, sizeof(e));
	layers[0] = &env;
	layers[1] = &sh;
	layers[2] = &argv;
	opt_defaults(&out, "be");
	snap_resolve(&out, &r, layers, 3, src);
	CHECK_STR(out.str[OPT_GROUP], "shop", "resolve: a configured string");
	CHECK(out.num[OPT_TIMEOUT] == 20 && src[OPT_TIMEOUT] == 1,
	    "resolve: #! line over environment over configuration");
	CHECK(out.num[OPT_MAXBACKENDS] == 3 && src[OPT_MAXBACKENDS] == 0,
	    "resolve: environment over configuration");
	CHECK(out.num[OPT_BUFSIZGET] == 4 && src[OPT_BUFSIZGET] == 2,
	    "resolve: command line over #! line");
	CHECK(out.num[OPT_BUFSIZPOST] == 1 && src[OPT_BUFSIZPOST] == 0,
	    "resolve: environment over default");
	CHECK(out.num[OPT_MAXRUNS] == 5 && src[OPT_MAXRUNS] == SNAP_SRC_CONF,
	    "resolve: a locked option keeps the configured value");
	CHECK(strcmp(out.str[OPT_TMPBASE], "/tmp/speedy") == 0 &&
	    src[OPT_TMPBASE] == SNAP_SRC_DEFAULT, "resolve: a locked option "
	    "the configuration does not set keeps the default");
	CHECK(out.num[OPT_MAXRSS] == 0 && src[OPT_MAXRSS] == SNAP_SRC_DEFAULT,
	    "resolve: default");
	CHECK(strcmp(out.str[OPT_BACKENDPROG], "be") == 0, "resolve: "
	    "BackendProg default given by the caller");
}

static void
test_missing(void)
{
	struct snap_result r;
	struct snap s;

	(void)unlink(path);
	CHECK_INT(snap_open(&s, path, err, sizeof(err)), 1, "missing: 1");
	CHECK_INT(snap_nsect(&s), 0, "missing: no sections");
	CHECK_INT(snap_apply(&s, "/x.pl", &r, err, sizeof(err)), 0,
	    "missing: apply yields nothing");
	CHECK(!r.opts.isset[OPT_MAXRUNS] && !r.locked[OPT_MAXRUNS] &&
	    r.from[OPT_MAXRUNS] == -1, "missing: nothing set");
	CHECK_INT(snap_verify(&s, err, sizeof(err)), 0, "missing: verify");
	snap_close(&s);
}

/* Installs buf (resummed or not) and expects a refusal naming why. */
static void
expect_bad(const unsigned char *buf, size_t len, int resum, int want,
    const char *msg, const char *what)
{
	install(buf, len, resum);
	CHECK_INT(read_all(), want, "damaged: %s: refused by %s", what,
	    want == -2 ? "snap_open" : "snap_load or snap_verify");
	CHECK_HAS(err, msg, "damaged: %s: message", what);
}

static void
test_damaged(void)
{
	unsigned char b[sizeof(orig)];
	uint32_t sect1, pat0;
	size_t off;

	install(orig, origlen, 0);
	CHECK_INT(read_all(), 0, "damaged: the original reads");
	install(orig, 0, 0);
	CHECK_INT(read_all(), -2, "damaged: empty file refused");
	CHECK_HAS(err, "is empty", "damaged: empty: message");
	expect_bad(orig, 10, 0, -2, "is truncated", "truncated in the header");
	expect_bad(orig, H_LEN, 0, -2, "is damaged", "header only");
	expect_bad(orig, origlen - 1, 0, -2, "is damaged", "one byte short");

	memcpy(b, orig, origlen);
	b[0] = 'X';
	expect_bad(b, origlen, 0, -2, "not a speedy configuration snapshot",
	    "wrong magic");
	memcpy(b, orig, origlen);
	put32(b, H_VERSION, 99);
	expect_bad(b, origlen, 0, -2, "another version", "other version");
	memcpy(b, orig, origlen);
	put32(b, H_NOPT, S_NSLOT + 1);
	expect_bad(b, origlen, 0, -2, "another version", "more option slots "
	    "than the layout has");
	memcpy(b, orig, origlen);
	put32(b, H_NOPT, 0);
	expect_bad(b, origlen, 0, -2, "another version", "no option slots");

	memcpy(b, orig, origlen);
	put32(b, H_SECTOFF, (uint32_t)origlen);
	expect_bad(b, origlen, 0, -2, "is damaged", "sections beyond the end");
	memcpy(b, orig, origlen);
	put32(b, H_SECTOFF, H_LEN + 4);
	expect_bad(b, origlen, 0, -2, "is damaged", "sections misaligned");
	memcpy(b, orig, origlen);
	put32(b, H_NSECT, 0xffffffffu);
	expect_bad(b, origlen, 0, -2, "is damaged", "huge section count");
	memcpy(b, orig, origlen);
	put32(b, H_NSECT, 0);
	expect_bad(b, origlen, 0, -2, "is damaged", "no section");
	memcpy(b, orig, origlen);
	put32(b, H_PATOFF, 0xfffffff0u);
	expect_bad(b, origlen, 0, -2, "is damaged", "patterns beyond the end");
	memcpy(b, orig, origlen);
	put32(b, H_NPAT, 1000);
	expect_bad(b, origlen, 0, -2, "is damaged", "too many patterns");
	memcpy(b, orig, origlen);
	put32(b, H_STROFF, (uint32_t)origlen);
	expect_bad(b, origlen, 0, -2, "is damaged", "strings beyond the end");
	memcpy(b, orig, origlen);
	put32(b, H_STRSIZE, 0);
	expect_bad(b, origlen, 0, -2, "is damaged", "no string table");
	memcpy(b, orig, origlen);
	b[origlen - 1] = 'x';
	/* snap_open reads strings one by one; snap_load checks the table. */
	expect_bad(b, origlen, 1, -1, "is damaged", "last string not "
	    "terminated");
	memcpy(b, orig, origlen);
	put32(b, H_SIZE, (uint32_t)origlen + 8);
	expect_bad(b, origlen, 0, -2, "is damaged", "size field differs");

	/* Damage only the checksum finds. */
	memcpy(b, orig, origlen);
	b[origlen - 3] ^= 0x01;
	expect_bad(b, origlen, 0, -1, "checksum", "a flipped byte");
	memcpy(b, orig, origlen);
	b[H_LEN + 40] ^= 0x80;
	expect_bad(b, origlen, 0, -1, "checksum", "a flipped bit in a section");

	/* Damage behind a good checksum: snap_verify's other checks. */
	sect1 = get32(orig, H_SECTOFF) + S_LEN;
	memcpy(b, orig, origlen);
	put32(b, sect1 + S_STR + 4 * SLOT_GROUP, 0x7fffffffu);
	expect_bad(b, origlen, 1, -1, "Group of section 1 is damaged",
	    "a string offset out of range");
	memcpy(b, orig, origlen);
	put32(b, sect1 + S_NAME, get32(orig, H_STRSIZE));
	expect_bad(b, origlen, 1, -1, "section 1 is damaged", "a name offset "
	    "out of range");
	memcpy(b, orig, origlen);
	off = sect1 + S_NUM + 8 * SLOT_MAXRUNS;
	memcpy(b + off, &(int64_t){ -5 }, 8);
	expect_bad(b, origlen, 1, -1, "MaxRuns of section 1 is damaged",
	    "a value out of range");
	memcpy(b, orig, origlen);
	put32(b, sect1 + S_FIRSTPAT, 2);
	expect_bad(b, origlen, 1, -1, "section 1 is damaged", "patterns "
	    "outside the table");
	memcpy(b, orig, origlen);
	put32(b, get32(orig, H_SECTOFF) + S_NPAT, 1);
	expect_bad(b, origlen, 1, -1, "section 0 is damaged", "patterns for "
	    "the global section");
	pat0 = get32(orig, H_PATOFF);
	memcpy(b, orig, origlen);
	put32(b, pat0 + P_STR, 0xffffff00u);
	expect_bad(b, origlen, 1, -1, "pattern 0 is damaged", "a pattern "
	    "offset out of range");
}

/*
 * Every option the configuration may set, each with its own value: they
 * must all come back, which no two options sharing a slot would allow.
 * Then the same file as an older writer (fewer slots: the later options
 * are unset) and a newer one (more slots: ours read as before) made it.
 */
static void
test_slots(void)
{
	char e[64], val[OPT__COUNT][16];
	unsigned char b[sizeof(orig)];
	struct snap_build one;
	struct snap_result r;
	struct snap s;
	ssize_t len;
	int id, n = 0, fd;

	memset(&one, 0, sizeof(one));
	one.name = "";
	one.file = "/etc/speedy/speedy.conf";
	for (id = 0; id < OPT__COUNT; id++) {
		if (!(opt_table[id].ctx & OPT_CTX_CONF))
			continue;
		(void)snprintf(val[id], sizeof(val[id]), "%d", 10 + id);
		if (opt_set_value(&one.opts, id, val[id], e, sizeof(e)) == -1)
			(void)fprintf(stderr, "# %s\n", e);
		one.optline[id] = 100 + id;
	}
	if (!CHECK_INT(snap_write(path, &one, 1, err, sizeof(err)), 0,
	    "slots: written"))
		return;
	CHECK_INT(snap_open(&s, path, err, sizeof(err)), 0, "slots: opened");
	CHECK_INT(snap_apply(&s, "/x.pl", &r, err, sizeof(err)), 0,
	    "slots: applied");
	for (id = 0; id < OPT__COUNT; id++) {
		if (!(opt_table[id].ctx & OPT_CTX_CONF))
			continue;
		n++;
		if (opt_table[id].type == OPT_T_STR)
			CHECK_STR(r.opts.str[id], val[id], "slots: %s",
			    opt_table[id].name);
		else
			CHECK_INT(r.opts.num[id], 10 + id, "slots: %s",
			    opt_table[id].name);
	}
	snap_close(&s);
	CHECK(n > 10, "slots: %d options checked", n);

	/* Written before CheckModules (slot 12) existed. */
	if ((fd = open(path, O_RDONLY)) == -1 ||
	    (len = read(fd, b, sizeof(b))) <= 0) {
		perror(path);
		exit(2);
	}
	(void)close(fd);
	put32(b, H_NOPT, 12);
	install(b, (size_t)len, 0);
	CHECK_INT(snap_open(&s, path, err, sizeof(err)), 0, "slots: an older "
	    "writer's file opens");
	CHECK_INT(snap_apply(&s, "/x.pl", &r, err, sizeof(err)), 0,
	    "slots: and applies");
	CHECK(!r.opts.isset[OPT_CHECKMODULES] && r.opts.num[OPT_MAXRUNS] ==
	    10 + OPT_MAXRUNS, "slots: an option its writer did not know is "
	    "unset, the others read");
	snap_close(&s);
	/* Written by a later version, with options we do not know. */
	put32(b, H_NOPT, 20);
	install(b, (size_t)len, 0);
	CHECK_INT(snap_open(&s, path, err, sizeof(err)), 0, "slots: a newer "
	    "writer's file opens");
	CHECK_INT(snap_apply(&s, "/x.pl", &r, err, sizeof(err)), 0,
	    "slots: and applies");
	CHECK_INT(r.opts.num[OPT_CHECKMODULES], 10 + OPT_CHECKMODULES,
	    "slots: our options read as before");
	snap_close(&s);
	(void)unlink(path);
}

/*
 * Every byte of the file set to a few values, checksum fixed: whatever
 * the readers make of it, they must not crash or read outside it.
 */
static void
test_fuzz(void)
{
	static const unsigned char vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
	unsigned char b[sizeof(orig)];
	size_t i, k;
	int ok = 0, refused = 0, r;

	for (i = 0; i < origlen; i++)
		for (k = 0; k < sizeof(vals); k++) {
			memcpy(b, orig, origlen);
			b[i] = vals[k];
			install(b, origlen, 1);
			r = read_all();
			if (r == 0)
				ok++;
			else if (err[0] != '\0')
				refused++;
			else
				CHECK(0, "fuzz: byte %zu = %#x refused without "
				    "a message", i, vals[k]);
		}
	CHECK(ok + refused == (int)(origlen * sizeof(vals)), "fuzz: %zu "
	    "variants read (%d accepted, %d refused) without a crash",
	    origlen * sizeof(vals), ok, refused);
}

static void
test_files(void)
{
	char other[300], dir[300];
	struct snap_build g;
	struct snap s;

	install(orig, origlen, 0);
	(void)util_fmt(other, sizeof(other), "%s/link", top);
	(void)unlink(other);
	if (symlink(path, other) == -1)
		perror(other);
	CHECK_INT(snap_open(&s, other, err, sizeof(err)), -1, "a symlink is "
	    "refused");
	CHECK_HAS(err, "symlink", "a symlink: message");
	(void)unlink(other);

	(void)chmod(path, 0664);
	CHECK_INT(snap_open(&s, path, err, sizeof(err)), -1, "a group-"
	    "writable file is refused");
	CHECK_HAS(err, "refusing", "group-writable: message");
	(void)chmod(path, 0646);
	CHECK_INT(snap_open(&s, path, err, sizeof(err)), -1, "a world-"
	    "writable file is refused");
	(void)chmod(path, 0644);
	if (geteuid() == 0) {
		/* Owned by neither root nor us (we are root): nobody. */
		if (chown(path, 65534, 65534) == -1)
			perror(path);
		CHECK_INT(snap_open(&s, path, err, sizeof(err)), -1, "a file "
		    "of another user is refused");
		if (chown(path, 0, 0) == -1)
			perror(path);
	} else
		CHECK(1, "a file of another user # SKIP not root");

	(void)util_fmt(dir, sizeof(dir), "%s/dir", top);
	(void)mkdir(dir, 0755);
	CHECK_INT(snap_open(&s, dir, err, sizeof(err)), -1, "a directory is "
	    "refused");
	(void)rmdir(dir);

	(void)util_fmt(other, sizeof(other), "%s/nodir/snapshot", top);
	memset(&g, 0, sizeof(g));
	CHECK_INT(snap_write(other, &g, 1, err, sizeof(err)), -1, "write into "
	    "a missing directory fails");
	CHECK_HAS(err, "No such file or directory", "missing directory: "
	    "message");
}

int
main(void)
{
	int base;

	unit_note = err;
	unit_watchdog(120);
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	(void)util_fmt(path, sizeof(path), "%s/snapshot", top);
	base = unit_count_fds();
	test_roundtrip();
	test_match();
	test_apply();
	test_resolve();
	snap_close(&applied);
	test_missing();
	test_damaged();
	test_slots();
	test_fuzz();
	test_files();
	CHECK_INT(unit_count_fds(), base, "snap: no descriptor leaked");
	(void)unlink(path);
	CHECK_INT(rmdir(top), 0, "snap: cleaned up %s", top);
	return unit_done();
}
