/*
 * snap.c: see snap.h.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opt.h"
#include "snap.h"
#include "util.h"

#define SNAP_MAGIC	"SPDYSNP"

struct snap_header {
	char		magic[8];
	uint32_t	version;
	uint32_t	nopt;		/* OPT__COUNT of the writer */
	uint32_t	size;		/* of the whole file */
	uint32_t	nsect, npat, strsize;
	uint32_t	sectoff, patoff, stroff;
	uint32_t	checksum;	/* of everything after the header */
	int64_t		created;
	char		reserved[8];
};

struct snap_sect {
	uint32_t	name, file;	/* string offsets */
	uint32_t	line;
	uint32_t	isset, locked;	/* one bit per option */
	uint32_t	firstpat, npat;
	uint32_t	pad;
	int64_t		num[OPT__COUNT];
	uint32_t	str[OPT__COUNT];	/* string offsets */
	uint32_t	optline[OPT__COUNT];
};

struct snap_pat {
	uint32_t	str;		/* the pattern as written */
	uint32_t	prefix;		/* bytes before the first wildcard */
	uint32_t	flags;		/* SNAP_PAT_* */
	uint32_t	pad;
};

_Static_assert(OPT__COUNT <= 32, "option bits fit a uint32_t");
_Static_assert(sizeof(struct snap_header) == 64, "header layout");

/* FNV-1a, 32 bits: enough to notice a damaged file. */
static uint32_t
checksum(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
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
 * Matches path against the directory glob dir and everything below it.
 * The first head tried is the empty one before the leading slash, so
 * that a slash and "**" alone (dir "") covers every path.
 */
static int
match_tree(const char *dir, const char *path)
{
	char head[PATH_MAX];
	size_t n;
	const char *p;

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
	char dir[PATH_MAX];
	size_t len = strlen(pattern);

	if (!is_tree(pattern, len))
		return fnmatch(pattern, path, FNM_PATHNAME) == 0;
	if (len - 3 >= sizeof(dir))
		return 0;
	memcpy(dir, pattern, len - 3);
	dir[len - 3] = '\0';
	return match_tree(dir, path);
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
encode_sect(const struct snap_build *in, struct snap_sect *out,
    struct buf *pats, struct buf *strs)
{
	struct snap_pat p;
	size_t len;
	int id, k;

	memset(out, 0, sizeof(*out));
	out->name = str_add(strs, in->name);
	out->file = str_add(strs, in->file);
	out->line = (uint32_t)in->line;
	out->firstpat = (uint32_t)(pats->len / sizeof(struct snap_pat));
	out->npat = (uint32_t)in->npatterns;
	for (id = 0; id < OPT__COUNT; id++) {
		if (in->locked[id])
			out->locked |= 1u << id;
		if (!in->opts.isset[id])
			continue;
		out->isset |= 1u << id;
		out->optline[id] = (uint32_t)in->optline[id];
		if (opt_table[id].type == OPT_T_STR)
			out->str[id] = str_add(strs, in->opts.str[id]);
		else
			out->num[id] = in->opts.num[id];
	}
	for (k = 0; k < in->npatterns; k++) {
		memset(&p, 0, sizeof(p));
		len = strlen(in->patterns[k]);
		if (is_tree(in->patterns[k], len))
			p.flags = SNAP_PAT_TREE;
		p.str = str_add(strs, in->patterns[k]);
		p.prefix = (uint32_t)literal_prefix(in->patterns[k]);
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
		encode_sect(&sects[i], &sect, &pb, &strs);
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
		    "snapshot (at most %u bytes)", SNAP_MAXSIZE);
		goto done;
	}
	((struct snap_header *)out.p)->checksum = checksum(out.p + sizeof(h),
	    out.len - sizeof(h));
	r = write_atomic(path, out.p, out.len, err, errlen);
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

/* Checks the header and that every table lies inside the file. */
static int
check_header(struct snap *s, const char *path, char *err, size_t errlen)
{
	const struct snap_header *h = (const void *)s->base;

	if (s->size < sizeof(*h) || memcmp(h->magic, SNAP_MAGIC,
	    sizeof(SNAP_MAGIC)) != 0) {
		util_fmt(err, errlen, "%s is not a speedy configuration "
		    "snapshot", path);
		return -1;
	}
	if (h->version != SNAP_VERSION || h->nopt != OPT__COUNT) {
		util_fmt(err, errlen, "%s was written by another version of "
		    "speedy-admin; run speedy-admin reload", path);
		return -1;
	}
	if (h->size != s->size || h->nsect < 1 || h->nsect > SNAP_MAXSECT ||
	    h->npat > SNAP_MAXPAT || h->strsize < 1 ||
	    !inside(h->sectoff, h->nsect, sizeof(struct snap_sect), s->size) ||
	    !inside(h->patoff, h->npat, sizeof(struct snap_pat), s->size) ||
	    !inside(h->stroff, h->strsize, 1, s->size) ||
	    h->sectoff % 8 != 0 || h->patoff % 4 != 0 ||
	    s->base[h->stroff + h->strsize - 1] != '\0') {
		util_fmt(err, errlen, "%s is damaged; run speedy-admin reload",
		    path);
		return -1;
	}
	s->hdr = h;
	s->sect = (const void *)(s->base + h->sectoff);
	s->pat = (const void *)(s->base + h->patoff);
	s->str = (const char *)(s->base + h->stroff);
	return 0;
}

int
snap_open(struct snap *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	void *p;
	int fd;

	memset(s, 0, sizeof(*s));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		util_fmt(err, errlen, "cannot open configuration snapshot %s: "
		    "%s", path, errno == ELOOP ? "it is a symlink" :
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0 || st.st_size > (off_t)SNAP_MAXSIZE) {
		util_fmt(err, errlen, "configuration snapshot %s is not a "
		    "regular file owned by root or uid %u and writable only by "
		    "its owner; refusing to use it", path, (unsigned)geteuid());
		(void)close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		(void)close(fd);
		util_fmt(err, errlen, "%s is empty; run speedy-admin reload",
		    path);
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	(void)close(fd);
	if (p == MAP_FAILED) {
		util_fmt(err, errlen, "cannot map %s: %s", path,
		    strerror(errno));
		return -1;
	}
	s->base = p;
	s->size = (size_t)st.st_size;
	if (check_header(s, path, err, errlen) == -1) {
		snap_close(s);
		return -1;
	}
	return 0;
}

void
snap_close(struct snap *s)
{
	if (s->base != NULL)
		(void)munmap((void *)s->base, s->size);
	memset(s, 0, sizeof(*s));
}

int
snap_nsect(const struct snap *s)
{
	return s->hdr != NULL ? (int)s->hdr->nsect : 0;
}

/* A string of the table; offsets beyond it read as "". */
static const char *
str_at(const struct snap *s, uint32_t off)
{
	return off < s->hdr->strsize ? s->str + off : "";
}

const char *
snap_sect_name(const struct snap *s, int i)
{
	return str_at(s, s->sect[i].name);
}

const char *
snap_sect_file(const struct snap *s, int i)
{
	return str_at(s, s->sect[i].file);
}

int
snap_sect_line(const struct snap *s, int i)
{
	return (int)s->sect[i].line;
}

int
snap_opt_line(const struct snap *s, int i, int id)
{
	return (int)s->sect[i].optline[id];
}

/* True if the section's pattern range lies inside the pattern table. */
static int
pats_inside(const struct snap *s, const struct snap_sect *sc)
{
	return sc->firstpat <= s->hdr->npat &&
	    sc->npat <= s->hdr->npat - sc->firstpat;
}

int
snap_sect_npat(const struct snap *s, int i)
{
	return pats_inside(s, &s->sect[i]) ? (int)s->sect[i].npat : 0;
}

const char *
snap_sect_pat(const struct snap *s, int i, int k)
{
	return str_at(s, s->pat[s->sect[i].firstpat + (uint32_t)k].str);
}

const char *
snap_sect_str(const struct snap *s, int i, int id)
{
	const struct snap_sect *sc = &s->sect[i];

	if (id < 0 || id >= OPT__COUNT || opt_table[id].type != OPT_T_STR ||
	    !(sc->isset & (1u << id)) || sc->str[id] >= s->hdr->strsize)
		return NULL;
	return s->str + sc->str[id];
}

/*
 * True if one stored pattern matches.  The literal prefix is compared
 * first: with many sites nearly every pattern fails there, without a
 * call to fnmatch.
 */
static int
pat_matches(const struct snap *s, const struct snap_pat *p, const char *path,
    size_t pathlen)
{
	const char *pat;

	if (p->str >= s->hdr->strsize)
		return 0;
	pat = s->str + p->str;
	if (p->prefix > pathlen || p->prefix > s->hdr->strsize - p->str ||
	    memcmp(pat, path, p->prefix) != 0)
		return 0;
	return snap_match(pat, path);
}

/* True if any of the section's patterns matches path. */
static int
sect_matches(const struct snap *s, const struct snap_sect *sc,
    const char *path, size_t pathlen)
{
	uint32_t k;

	if (!pats_inside(s, sc))
		return 0;
	for (k = 0; k < sc->npat; k++)
		if (pat_matches(s, &s->pat[sc->firstpat + k], path, pathlen))
			return 1;
	return 0;
}

/* Merges section i's values into r, checking each as the parsers do. */
static int
apply_sect(const struct snap *s, int i, struct snap_result *r, char *err,
    size_t errlen)
{
	const struct snap_sect *sc = &s->sect[i];
	char num[32], sub[256];
	const char *text;
	int id;

	for (id = 0; id < OPT__COUNT; id++) {
		if (sc->locked & (1u << id))
			r->locked[id] = 1;
		if (!(sc->isset & (1u << id)))
			continue;
		if (opt_table[id].type == OPT_T_STR) {
			if (sc->str[id] >= s->hdr->strsize)
				goto bad;
			text = s->str + sc->str[id];
		} else {
			(void)util_fmt(num, sizeof(num), "%lld",
			    (long long)sc->num[id]);
			text = num;
		}
		if (!(opt_table[id].ctx & OPT_CTX_CONF) ||
		    opt_set_value(&r->opts, id, text, sub, sizeof(sub)) == -1)
			goto bad;
		/* Numbers were copied; strings point into the mapping. */
		r->from[id] = i;
	}
	return 0;
bad:
	util_fmt(err, errlen, "configuration snapshot: %s of section %d is "
	    "damaged; run speedy-admin reload", opt_table[id].name, i);
	return -1;
}

int
snap_apply(const struct snap *s, const char *path, struct snap_result *r,
    char *err, size_t errlen)
{
	size_t pathlen = strlen(path);
	uint32_t i;
	int id;

	memset(r, 0, sizeof(*r));
	for (id = 0; id < OPT__COUNT; id++)
		r->from[id] = -1;
	if (s->hdr == NULL)
		return 0;
	for (i = 0; i < s->hdr->nsect; i++)
		if ((i == 0 || sect_matches(s, &s->sect[i], path, pathlen)) &&
		    apply_sect(s, (int)i, r, err, errlen) == -1)
			return -1;
	return 0;
}

int
snap_verify(const struct snap *s, char *err, size_t errlen)
{
	struct snap_result r;
	uint32_t i, k;

	if (s->hdr == NULL)
		return 0;
	if (checksum(s->base + sizeof(*s->hdr), s->size - sizeof(*s->hdr)) !=
	    s->hdr->checksum) {
		util_fmt(err, errlen, "configuration snapshot is damaged "
		    "(checksum); run speedy-admin reload");
		return -1;
	}
	for (i = 0; i < s->hdr->nsect; i++) {
		memset(&r, 0, sizeof(r));
		if (!pats_inside(s, &s->sect[i]) || (i == 0 &&
		    s->sect[i].npat != 0) || s->sect[i].name >=
		    s->hdr->strsize || s->sect[i].file >= s->hdr->strsize) {
			util_fmt(err, errlen, "configuration snapshot: section "
			    "%u is damaged; run speedy-admin reload", i);
			return -1;
		}
		if (apply_sect(s, (int)i, &r, err, errlen) == -1)
			return -1;
	}
	for (k = 0; k < s->hdr->npat; k++)
		if (s->pat[k].str >= s->hdr->strsize) {
			util_fmt(err, errlen, "configuration snapshot: pattern "
			    "%u is damaged; run speedy-admin reload", k);
			return -1;
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
