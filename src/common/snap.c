/*
 * snap.c: see snap.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opt.h"
#include "snap.h"
#include "util.h"

/*
 * Where each option lives in a section: a slot that never changes once
 * given, so that a snapshot stays readable across an upgrade that adds
 * options (between unpacking the new programs and the package's reload,
 * the new speedy reads the old snapshot; the option ids, alphabetical,
 * move).  A new option takes the next free slot.  Slots a file's writer
 * did not know (header nopt) are unset; slots it knew and we do not are
 * ignored.
 */
#define SNAP_NSLOT	32
static const uint8_t slot_of[OPT__COUNT] = {
	[OPT_BACKENDPROG] = 0,
	[OPT_BUFSIZGET] = 1,
	[OPT_BUFSIZPOST] = 2,
	[OPT_GROUP] = 3,
	[OPT_MAXBACKENDS] = 4,
	[OPT_MAXRSS] = 5,
	[OPT_MAXRUNS] = 6,
	[OPT_PERLARGS] = 7,
	[OPT_REQUESTTIMEOUT] = 8,
	[OPT_TIMEOUT] = 9,
	[OPT_TMPBASE] = 10,
	[OPT_VERSION] = 11,
	[OPT_CHECKMODULES] = 12,
};
_Static_assert(OPT__COUNT == 13, "a new option needs its slot in slot_of");

struct snap_sect {
	uint32_t	name, file;	/* string offsets */
	uint32_t	line;
	uint32_t	isset, locked;	/* one bit per slot */
	uint32_t	firstpat, npat;
	uint32_t	pad;
	int64_t		num[SNAP_NSLOT];
	uint32_t	str[SNAP_NSLOT];	/* string offsets */
	uint32_t	optline[SNAP_NSLOT];
};

/*
 * Patterns are stored in the order of their sections, each with the hash
 * of its literal prefix (the bytes before the first wildcard): a lookup
 * hashes every prefix of the script path once and rejects nearly every
 * pattern with one comparison, reading only this table.
 */
struct snap_pat {
	uint32_t	str;		/* the pattern as written */
	uint32_t	sect;		/* its section */
	uint32_t	prefix;		/* bytes before the first wildcard */
	uint32_t	hash;		/* fnv() of those bytes */
};

/*
 * Prefixes shorter than this are rejected by hash, longer ones (rare) by
 * comparing the bytes.  Small, so that the table of the path's prefix
 * hashes costs the frontend no fresh stack pages.
 */
#define SNAP_HASHED	256
/* Patterns read per pread while a lookup scans them. */
#define SNAP_PATCHUNK	128

_Static_assert(SNAP_NSLOT <= 32, "slot bits fit a uint32_t");
_Static_assert(sizeof(struct snap_header) == 64, "header layout");

#define FNV_BASIS	2166136261u
#define FNV_PRIME	16777619u

/* FNV-1a, 32 bits: the checksum of the file and the prefix hashes. */
static uint32_t
fnv(const unsigned char *p, size_t n)
{
	uint32_t h = FNV_BASIS;

	while (n-- > 0)
		h = (h ^ *p++) * FNV_PRIME;
	return h;
}

/* Bytes of a glob before its first special character. */
static size_t
literal_prefix(const char *pat)
{
	return strcspn(pat, "*?[\\");
}

/* True if pat ends in a slash and "**": a whole tree. */
static int
is_tree(const char *pat, size_t len)
{
	return len >= 3 && strcmp(pat + len - 3, "/**") == 0;
}

/*
 * Matches path against pattern, a directory glob followed by a slash and
 * "**": true if one of path's leading directories matches the glob.  The
 * first head tried is the empty one before the leading slash, so that a
 * slash and "**" alone covers every path.  A function of its own, so
 * that its buffers take stack space only for such patterns (in the
 * frontend, fresh stack pages cost page faults).
 */
static int
match_tree(const char *pattern, size_t len, const char *path)
{
	char dir[SNAP_PATMAX], head[PATH_MAX];
	const char *p;
	size_t n;

	if (len - 3 >= sizeof(dir))
		return 0;
	memcpy(dir, pattern, len - 3);
	dir[len - 3] = '\0';
	for (p = strchr(path, '/'); p != NULL; p = strchr(p + 1, '/')) {
		n = (size_t)(p - path);
		if (n >= sizeof(head))
			return 0;
		memcpy(head, path, n);
		head[n] = '\0';
		if (fnmatch(dir, head, FNM_PATHNAME) == 0)
			return 1;
	}
	return 0;
}

int
snap_match(const char *pattern, const char *path)
{
	size_t len = strlen(pattern);

	if (is_tree(pattern, len))
		return match_tree(pattern, len, path);
	return fnmatch(pattern, path, FNM_PATHNAME) == 0;
}

/* The builder: one buffer, grown as sections and strings are added. */
struct buf {
	unsigned char	*p;
	size_t		 len, cap;
	int		 failed;
};

static uint32_t
buf_add(struct buf *b, const void *data, size_t n)
{
	size_t off = b->len;
	unsigned char *np;

	if (b->failed || b->len + n > SNAP_MAXSIZE) {
		b->failed = 1;
		return 0;
	}
	if (n == 0)
		return (uint32_t)off;	/* data may be NULL: no memcpy */
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if ((np = realloc(b->p, b->cap)) == NULL) {
			b->failed = 1;
			return 0;
		}
		b->p = np;
	}
	memcpy(b->p + off, data, n);
	b->len += n;
	return (uint32_t)off;
}

static uint32_t
str_add(struct buf *strs, const char *s)
{
	return buf_add(strs, s != NULL ? s : "", strlen(s != NULL ? s : "") + 1);
}

/* Encodes one section (and its patterns) into the tables. */
static void
encode_sect(const struct snap_build *in, int index, struct snap_sect *out,
    struct buf *pats, struct buf *strs)
{
	struct snap_pat p;
	int id, k;

	memset(out, 0, sizeof(*out));
	out->name = str_add(strs, in->name);
	out->file = str_add(strs, in->file);
	out->line = (uint32_t)in->line;
	out->firstpat = (uint32_t)(pats->len / sizeof(struct snap_pat));
	out->npat = (uint32_t)in->npatterns;
	for (id = 0; id < OPT__COUNT; id++) {
		k = slot_of[id];
		if (in->locked[id])
			out->locked |= 1u << k;
		if (!in->opts.isset[id])
			continue;
		out->isset |= 1u << k;
		out->optline[k] = (uint32_t)in->optline[id];
		if (opt_table[id].type == OPT_T_STR)
			out->str[k] = str_add(strs, in->opts.str[id]);
		else
			out->num[k] = in->opts.num[id];
	}
	for (k = 0; k < in->npatterns; k++) {
		memset(&p, 0, sizeof(p));
		if (strlen(in->patterns[k]) >= SNAP_PATMAX)
			pats->failed = 1;
		p.str = str_add(strs, in->patterns[k]);
		p.sect = (uint32_t)index;
		p.prefix = (uint32_t)literal_prefix(in->patterns[k]);
		p.hash = fnv((const unsigned char *)in->patterns[k], p.prefix);
		(void)buf_add(pats, &p, sizeof(p));
	}
}

/* Writes all of buf to a new file next to path and renames it over path. */
static int
write_atomic(const char *path, const unsigned char *data, size_t len,
    char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	int fd;

	if (util_fmt(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid()) ==
	    -1) {
		util_fmt(err, errlen, "%s: path too long", path);
		return -1;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd == -1) {
		util_fmt(err, errlen, "cannot create %s: %s", tmp,
		    strerror(errno));
		return -1;
	}
	/* The mode must not depend on the caller's umask: readers check it. */
	if (fchmod(fd, 0644) == -1 || util_write_all(fd, data, len) == -1 ||
	    fsync(fd) == -1) {
		util_fmt(err, errlen, "cannot write %s: %s", tmp,
		    strerror(errno));
		(void)close(fd);
		(void)unlink(tmp);
		return -1;
	}
	(void)close(fd);
	if (rename(tmp, path) == -1) {
		util_fmt(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
snap_write(const char *path, const struct snap_build *sects, int nsects,
    char *err, size_t errlen)
{
	struct buf sb = { 0 }, pb = { 0 }, strs = { 0 }, out = { 0 };
	struct snap_header h;
	struct snap_sect sect;
	int i, r = -1;

	if (nsects < 1 || nsects > (int)SNAP_MAXSECT) {
		util_fmt(err, errlen, "%d sections: must be 1 to %u", nsects,
		    SNAP_MAXSECT);
		return -1;
	}
	(void)buf_add(&strs, "", 1);	/* offset 0 is the empty string */
	for (i = 0; i < nsects; i++) {
		encode_sect(&sects[i], i, &sect, &pb, &strs);
		(void)buf_add(&sb, &sect, sizeof(sect));
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SNAP_MAGIC, sizeof(SNAP_MAGIC));
	h.version = SNAP_VERSION;
	h.nopt = OPT__COUNT;
	h.nsect = (uint32_t)nsects;
	h.npat = (uint32_t)(pb.len / sizeof(struct snap_pat));
	h.strsize = (uint32_t)strs.len;
	h.sectoff = sizeof(h);
	h.patoff = h.sectoff + (uint32_t)sb.len;
	h.stroff = h.patoff + (uint32_t)pb.len;
	h.size = h.stroff + (uint32_t)strs.len;
	h.created = (int64_t)time(NULL);
	(void)buf_add(&out, &h, sizeof(h));
	(void)buf_add(&out, sb.p, sb.len);
	(void)buf_add(&out, pb.p, pb.len);
	(void)buf_add(&out, strs.p, strs.len);
	if (sb.failed || pb.failed || strs.failed || out.failed ||
	    h.npat > SNAP_MAXPAT) {
		util_fmt(err, errlen, "the configuration is too large for a "
		    "snapshot (at most %u bytes, patterns shorter than %d "
		    "bytes)", SNAP_MAXSIZE, SNAP_PATMAX);
		goto done;
	}
	((struct snap_header *)out.p)->checksum = fnv(out.p + sizeof(h),
	    out.len - sizeof(h));
	r = path == NULL ? 0 : write_atomic(path, out.p, out.len, err, errlen);
done:
	free(sb.p);
	free(pb.p);
	free(strs.p);
	free(out.p);
	return r;
}

/* True if [off, off + n*size) lies inside a file of len bytes. */
static int
inside(uint64_t off, uint64_t n, uint64_t size, uint64_t len)
{
	return off <= len && n * size <= len - off;
}

/*
 * Points at len bytes at offset off of the file: in the loaded copy, or
 * read into buf.  NULL if they are not all there.
 */
static const void *
fetch(const struct snap *s, uint64_t off, size_t len, void *buf)
{
	ssize_t n;

	if (!inside(off, 1, len, s->size))
		return NULL;
	if (s->base != NULL)
		return s->base + off;
	do
		n = pread(s->fd, buf, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)len ? buf : NULL;
}

/*
 * Copies the string at offset off of the string table into buf (of len
 * bytes).  Returns its length, or -1 if it does not end, within the table
 * and len, in a NUL.
 */
static ssize_t
fetch_str(const struct snap *s, uint32_t off, char *buf, size_t len)
{
	const char *p;
	size_t want;
	char *nul;

	if (off >= s->strsize)
		return -1;
	want = s->strsize - off < len ? s->strsize - off : len;
	if ((p = fetch(s, (uint64_t)s->stroff + off, want, buf)) == NULL ||
	    (nul = memchr(p, '\0', want)) == NULL)
		return -1;
	if (p != buf)
		memcpy(buf, p, (size_t)(nul - p) + 1);
	return nul - p;
}

/* Checks the header and that every table lies inside the file. */
static int
check_header(struct snap *s, const struct snap_header *h, const char *path,
    char *err, size_t errlen)
{
	if (memcmp(h->magic, SNAP_MAGIC, sizeof(SNAP_MAGIC)) != 0) {
		util_fmt(err, errlen, "%s is not a speedy configuration "
		    "snapshot", path);
		return -1;
	}
	if (h->version != SNAP_VERSION || h->nopt < 1 ||
	    h->nopt > SNAP_NSLOT) {
		util_fmt(err, errlen, "%s was written by another version of "
		    "speedy-admin; run speedy-admin reload", path);
		return -1;
	}
	if (h->size != s->size || h->nsect < 1 || h->nsect > SNAP_MAXSECT ||
	    h->npat > SNAP_MAXPAT || h->strsize < 1 ||
	    !inside(h->sectoff, h->nsect, sizeof(struct snap_sect), s->size) ||
	    !inside(h->patoff, h->npat, sizeof(struct snap_pat), s->size) ||
	    !inside(h->stroff, h->strsize, 1, s->size) ||
	    h->sectoff % 8 != 0 || h->patoff % 4 != 0) {
		util_fmt(err, errlen, "%s is damaged; run speedy-admin reload",
		    path);
		return -1;
	}
	s->nsect = h->nsect;
	s->npat = h->npat;
	s->nslot = h->nopt;
	s->strsize = h->strsize;
	s->sectoff = h->sectoff;
	s->patoff = h->patoff;
	s->stroff = h->stroff;
	s->checksum = h->checksum;
	return 0;
}

int
snap_open(struct snap *s, const char *path, char *err, size_t errlen)
{
	struct snap_header h;
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (s->fd == -1) {
		if (errno == ENOENT)
			return 1;
		util_fmt(err, errlen, "cannot open configuration snapshot %s: "
		    "%s", path, errno == ELOOP ? "it is a symlink" :
		    strerror(errno));
		return -1;
	}
	if (fstat(s->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0 || st.st_size > (off_t)SNAP_MAXSIZE) {
		util_fmt(err, errlen, "configuration snapshot %s is not a "
		    "regular file owned by root or uid %u and writable only by "
		    "its owner; refusing to use it", path, (unsigned)geteuid());
		goto fail;
	}
	s->size = (size_t)st.st_size;
	memset(&h, 0, sizeof(h));
	if (s->size == 0) {
		util_fmt(err, errlen, "%s is empty; run speedy-admin reload",
		    path);
		goto fail;
	}
	if (fetch(s, 0, s->size < sizeof(h) ? s->size : sizeof(h), &h) ==
	    NULL) {
		util_fmt(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	/* Too short for a header: a snapshot cut short, or something else. */
	if (s->size < sizeof(h)) {
		util_fmt(err, errlen, memcmp(h.magic, SNAP_MAGIC, s->size <
		    sizeof(h.magic) ? s->size : sizeof(h.magic)) == 0 ?
		    "%s is truncated; run speedy-admin reload" :
		    "%s is not a speedy configuration snapshot", path);
		goto fail;
	}
	if (check_header(s, &h, path, err, errlen) == -1)
		goto fail;
	s->present = 1;
	return 0;
fail:
	(void)close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	return -1;
}

int
snap_load(struct snap *s, const char *path, char *err, size_t errlen)
{
	unsigned char *p;
	int r;

	if ((r = snap_open(s, path, err, errlen)) != 0)
		return r;
	if ((p = malloc(s->size)) == NULL) {
		util_fmt(err, errlen, "out of memory");
		snap_close(s);
		return -1;
	}
	if (fetch(s, 0, s->size, p) == NULL) {
		util_fmt(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		free(p);
		snap_close(s);
		return -1;
	}
	(void)close(s->fd);
	s->fd = -1;
	s->base = p;
	/* From here on every string of the table ends inside it. */
	if (p[s->stroff + s->strsize - 1] != '\0') {
		util_fmt(err, errlen, "%s is damaged; run speedy-admin reload",
		    path);
		snap_close(s);
		return -1;
	}
	return 0;
}

/*
 * Closes what snap_open opened.  A struct snap that was never opened
 * (all zeros) names no descriptor: fd 0 is not ours to close.
 */
void
snap_close(struct snap *s)
{
	if (s->present && s->fd != -1)
		(void)close(s->fd);
	free(s->base);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

/* The loaded tables. */
static const struct snap_sect *
sect_at(const struct snap *s, int i)
{
	return (const struct snap_sect *)(s->base + s->sectoff) + i;
}

static const struct snap_pat *
pat_at(const struct snap *s, uint32_t k)
{
	return (const struct snap_pat *)(s->base + s->patoff) + k;
}

/* A string of the loaded table; offsets beyond it read as "". */
static const char *
str_at(const struct snap *s, uint32_t off)
{
	return off < s->strsize ? (const char *)s->base + s->stroff + off : "";
}

int
snap_nsect(const struct snap *s)
{
	return s->base != NULL ? (int)s->nsect : 0;
}

const char *
snap_sect_name(const struct snap *s, int i)
{
	return str_at(s, sect_at(s, i)->name);
}

const char *
snap_sect_file(const struct snap *s, int i)
{
	return str_at(s, sect_at(s, i)->file);
}

int
snap_sect_line(const struct snap *s, int i)
{
	return (int)sect_at(s, i)->line;
}

/* The slot of option id in s, or -1 if s's writer did not know it. */
static int
slot(const struct snap *s, int id)
{
	if (id < 0 || id >= OPT__COUNT || slot_of[id] >= s->nslot)
		return -1;
	return slot_of[id];
}

int
snap_opt_line(const struct snap *s, int i, int id)
{
	int k = slot(s, id);

	return k == -1 ? 0 : (int)sect_at(s, i)->optline[k];
}

/* True if the section's pattern range lies inside the pattern table. */
static int
pats_inside(const struct snap *s, const struct snap_sect *sc)
{
	return sc->firstpat <= s->npat && sc->npat <= s->npat - sc->firstpat;
}

int
snap_sect_npat(const struct snap *s, int i)
{
	return pats_inside(s, sect_at(s, i)) ? (int)sect_at(s, i)->npat : 0;
}

const char *
snap_sect_pat(const struct snap *s, int i, int k)
{
	return str_at(s, pat_at(s, sect_at(s, i)->firstpat + (uint32_t)k)->str);
}

const char *
snap_sect_str(const struct snap *s, int i, int id)
{
	const struct snap_sect *sc = sect_at(s, i);
	int k = slot(s, id);

	if (k == -1 || opt_table[id].type != OPT_T_STR ||
	    !(sc->isset & (1u << k)) || sc->str[k] >= s->strsize)
		return NULL;
	return str_at(s, sc->str[k]);
}

/*
 * True if one stored pattern matches path, whose prefix hashes are hp
 * (hp[n]: of its first n bytes).  Nearly every pattern fails on the hash
 * of its literal prefix, before its text is read or fnmatch called.
 */
static int
pat_matches(const struct snap *s, const struct snap_pat *p, const char *path,
    size_t pathlen, const uint32_t *hp)
{
	char pat[SNAP_PATMAX];
	ssize_t len;

	if (p->prefix > pathlen ||
	    (p->prefix < SNAP_HASHED && hp[p->prefix] != p->hash) ||
	    (len = fetch_str(s, p->str, pat, sizeof(pat))) == -1 ||
	    p->prefix > (size_t)len)
		return 0;
	return memcmp(pat, path, p->prefix) == 0 && snap_match(pat, path);
}

/*
 * Merges section i's values into r, checking each as the parsers do.
 * String values are only located here; snap_apply reads the ones that
 * win at the end.
 */
static int
apply_sect(const struct snap *s, uint32_t i, struct snap_result *r, char *err,
    size_t errlen)
{
	const struct opt_def *d;
	struct snap_sect buf;
	const struct snap_sect *sc;
	int id = 0, k;

	if ((sc = fetch(s, (uint64_t)s->sectoff + (uint64_t)i * sizeof(buf),
	    sizeof(buf), &buf)) == NULL)
		goto bad;
	for (id = 0; id < OPT__COUNT; id++) {
		d = &opt_table[id];
		if ((k = slot(s, id)) == -1)
			continue;
		if (sc->locked & (1u << k))
			r->locked[id] = 1;
		if (!(sc->isset & (1u << k)))
			continue;
		if (!(d->ctx & OPT_CTX_CONF))
			goto bad;
		if (d->type == OPT_T_STR)
			r->stroff[id] = sc->str[k];
		else if (sc->num[k] < d->min || sc->num[k] > d->max)
			goto bad;
		else
			r->opts.num[id] = (long)sc->num[k];
		r->opts.isset[id] = 1;
		r->from[id] = (int)i;
	}
	return 0;
bad:
	util_fmt(err, errlen, "configuration snapshot: %s of section %u is "
	    "damaged; run speedy-admin reload",
	    id < OPT__COUNT ? opt_table[id].name : "a value", i);
	return -1;
}

/* Reads the string values that won into r's arena, checking each. */
static int
fetch_values(const struct snap *s, struct snap_result *r, char *err,
    size_t errlen)
{
	char sub[256];
	size_t used = 0;
	ssize_t len;
	int id;

	for (id = 0; id < OPT__COUNT; id++) {
		if (!r->opts.isset[id] || opt_table[id].type != OPT_T_STR)
			continue;
		len = fetch_str(s, r->stroff[id], r->arena + used,
		    sizeof(r->arena) - used);
		if (len == -1 || opt_set_value(&r->opts, id, r->arena + used,
		    sub, sizeof(sub)) == -1) {
			util_fmt(err, errlen, "configuration snapshot: %s of "
			    "section %d is damaged; run speedy-admin reload",
			    opt_table[id].name, r->from[id]);
			return -1;
		}
		used += (size_t)len + 1;
	}
	return 0;
}

int
snap_apply(const struct snap *s, const char *path, struct snap_result *r,
    char *err, size_t errlen)
{
	struct snap_pat chunk[SNAP_PATCHUNK];
	const struct snap_pat *pats = NULL;
	uint32_t hp[SNAP_HASHED], k, last = 0, n;
	size_t pathlen = strlen(path), c;
	int id;

	memset(r, 0, offsetof(struct snap_result, arena));
	for (id = 0; id < OPT__COUNT; id++)
		r->from[id] = -1;
	if (!s->present)
		return 0;
	hp[0] = FNV_BASIS;
	for (c = 0; c < pathlen && c + 1 < SNAP_HASHED; c++)
		hp[c + 1] = (hp[c] ^ (unsigned char)path[c]) * FNV_PRIME;
	if (apply_sect(s, 0, r, err, errlen) == -1)
		return -1;
	/* Sections apply in order; the patterns are stored in that order. */
	for (k = 0; k < s->npat; k++) {
		if (k % SNAP_PATCHUNK == 0) {
			n = s->npat - k < SNAP_PATCHUNK ? s->npat - k :
			    SNAP_PATCHUNK;
			if ((pats = fetch(s, (uint64_t)s->patoff +
			    (uint64_t)k * sizeof(*pats), n * sizeof(*pats),
			    chunk)) == NULL) {
				util_fmt(err, errlen, "configuration snapshot: "
				    "cannot read its patterns");
				return -1;
			}
		}
		if (pats[k % SNAP_PATCHUNK].sect <= last ||
		    pats[k % SNAP_PATCHUNK].sect >= s->nsect ||
		    !pat_matches(s, &pats[k % SNAP_PATCHUNK], path, pathlen,
		    hp))
			continue;
		last = pats[k % SNAP_PATCHUNK].sect;
		if (apply_sect(s, last, r, err, errlen) == -1)
			return -1;
	}
	return fetch_values(s, r, err, errlen);
}

int
snap_verify(const struct snap *s, char *err, size_t errlen)
{
	struct snap_result r;
	const struct snap_sect *sc;
	const struct snap_pat *p;
	uint32_t i, k;

	if (!s->present)
		return 0;
	if (s->base == NULL) {
		util_fmt(err, errlen, "snap_verify: the snapshot is not loaded");
		return -1;
	}
	if (fnv(s->base + sizeof(struct snap_header),
	    s->size - sizeof(struct snap_header)) != s->checksum) {
		util_fmt(err, errlen, "configuration snapshot is damaged "
		    "(checksum); run speedy-admin reload");
		return -1;
	}
	for (i = 0; i < s->nsect; i++) {
		sc = sect_at(s, (int)i);
		memset(&r, 0, sizeof(r));
		if (!pats_inside(s, sc) || (i == 0 && sc->npat != 0) ||
		    sc->name >= s->strsize || sc->file >= s->strsize) {
			util_fmt(err, errlen, "configuration snapshot: section "
			    "%u is damaged; run speedy-admin reload", i);
			return -1;
		}
		if (apply_sect(s, i, &r, err, errlen) == -1 ||
		    fetch_values(s, &r, err, errlen) == -1)
			return -1;
	}
	for (k = 0; k < s->npat; k++) {
		p = pat_at(s, k);
		if (p->str >= s->strsize || p->sect == 0 ||
		    p->sect >= s->nsect ||
		    (k > 0 && p->sect < pat_at(s, k - 1)->sect) ||
		    p->prefix > strlen(str_at(s, p->str)) ||
		    strlen(str_at(s, p->str)) >= SNAP_PATMAX ||
		    fnv((const unsigned char *)str_at(s, p->str), p->prefix) !=
		    p->hash) {
			util_fmt(err, errlen, "configuration snapshot: pattern "
			    "%u is damaged; run speedy-admin reload", k);
			return -1;
		}
	}
	return 0;
}

void
snap_resolve(struct opt_set *out, const struct snap_result *r,
    const struct opt_set *const *layers, int nlayers, int src[OPT__COUNT])
{
	struct opt_set base = *out;
	int i, id;

	for (id = 0; id < OPT__COUNT && src != NULL; id++)
		src[id] = r->opts.isset[id] ? SNAP_SRC_CONF : SNAP_SRC_DEFAULT;
	opt_merge(out, &r->opts);
	opt_merge(&base, &r->opts);
	for (i = 0; i < nlayers; i++) {
		opt_merge(out, layers[i]);
		for (id = 0; id < OPT__COUNT && src != NULL; id++)
			if (layers[i]->isset[id])
				src[id] = i;
	}
	/* A locked value is the configuration's (or the default). */
	for (id = 0; id < OPT__COUNT; id++) {
		if (!r->locked[id])
			continue;
		out->num[id] = base.num[id];
		out->str[id] = base.str[id];
		if (src != NULL)
			src[id] = r->opts.isset[id] ? SNAP_SRC_CONF :
			    SNAP_SRC_DEFAULT;
	}
}
