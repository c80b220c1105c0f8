/*
 * fuzz_util.c: see fuzz.h.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "opt.h"
#include "snap.h"
#include "util.h"

static char tmpdir[512];

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	(void)fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
	abort();
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

/* Runs at exit: a target that ends normally leaves nothing behind. */
static void
rm_tmpdir(void)
{
	(void)nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
fuzz_tmpdir(void)
{
	const char *base;
	int n;

	if (tmpdir[0] != '\0')
		return tmpdir;
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(tmpdir, sizeof(tmpdir), "%s/speedy-fuzz.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(tmpdir))
		fuzz_fail("TMPDIR %s is too long", base);
	if (mkdtemp(tmpdir) == NULL)
		fuzz_fail("mkdtemp %s: %s", tmpdir, strerror(errno));
	if (atexit(rm_tmpdir) != 0)
		fuzz_fail("atexit failed");
	return tmpdir;
}

void
fuzz_path(char *buf, size_t len, const char *name)
{
	int n;

	n = snprintf(buf, len, "%s/%s", fuzz_tmpdir(), name);
	if (n < 0 || (size_t)n >= len)
		fuzz_fail("path %s/%s is too long", fuzz_tmpdir(), name);
}

void
fuzz_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		fuzz_fail("mkdir %s: %s", path, strerror(errno));
	/* The mode must not depend on the umask: the code under test checks it. */
	if (chmod(path, mode) == -1)
		fuzz_fail("chmod %s: %s", path, strerror(errno));
}

void
fuzz_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		fuzz_fail("open %s: %s", path, strerror(errno));
	if (fchmod(fd, mode) == -1)
		fuzz_fail("fchmod %s: %s", path, strerror(errno));
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			fuzz_fail("write %s: %s", path, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) == -1)
		fuzz_fail("close %s: %s", path, strerror(errno));
}

int
fuzz_nfds(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		fuzz_fail("opendir /proc/self/fd: %s", strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n;
}

char *
fuzz_strndup(const uint8_t *data, size_t len)
{
	char *s;

	if ((s = malloc(len + 1)) == NULL)
		fuzz_fail("out of memory");
	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

int
fuzz_split(char *buf, size_t len, char **words, int max)
{
	size_t i = 0;
	int n = 0;

	while (i < len && n < max - 1) {
		words[n++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	words[n] = NULL;
	return n;
}

void
fuzz_check_opts(const struct opt_set *set)
{
	const struct opt_def *d;
	char buf[OPT_STR_MAX + 32];
	long v;
	size_t len;
	int id;

	for (id = 0; id < OPT__COUNT; id++) {
		if (!set->isset[id])
			continue;
		d = &opt_table[id];
		switch (d->type) {
		case OPT_T_INT:
			if (set->num[id] < d->min || set->num[id] > d->max)
				fuzz_fail("%s = %ld is out of range", d->name,
				    set->num[id]);
			/* What opt_format prints must read back the same. */
			(void)opt_format(set, id, buf, sizeof(buf));
			if (util_parse_long(buf, d->min, d->max, &v) == -1 ||
			    v != set->num[id])
				fuzz_fail("%s: '%s' does not read back", d->name,
				    buf);
			break;
		case OPT_T_STR:
			if (set->str[id] == NULL)
				fuzz_fail("%s is set to NULL", d->name);
			len = strlen(set->str[id]);
			if ((long)len < d->min || (long)len > d->max)
				fuzz_fail("%s: %zu bytes accepted", d->name, len);
			if (strcmp(opt_format(set, id, buf, sizeof(buf)),
			    set->str[id]) != 0)
				fuzz_fail("%s: opt_format changed the value",
				    d->name);
			break;
		case OPT_T_FLAG:
			if (set->num[id] != 0 && set->num[id] != 1)
				fuzz_fail("%s = %ld", d->name, set->num[id]);
			break;
		}
	}
}

void
fuzz_check_err(const char *err, size_t errlen, const char *what)
{
	if (memchr(err, '\0', errlen) == NULL)
		fuzz_fail("%s: the message is not terminated", what);
	if (err[0] == '\0')
		fuzz_fail("%s failed without a message", what);
}

void
fuzz_same_result(const struct snap_result *a, const struct snap_result *b,
    const char *path, const char *what)
{
	int id;

	for (id = 0; id < OPT__COUNT; id++) {
		if (a->opts.isset[id] != b->opts.isset[id] ||
		    a->locked[id] != b->locked[id] ||
		    (a->opts.isset[id] && a->from[id] != b->from[id]))
			fuzz_fail("%s: %s of %s: set %d/%d, locked %d/%d, "
			    "section %d/%d", what, opt_table[id].name, path,
			    a->opts.isset[id], b->opts.isset[id],
			    a->locked[id], b->locked[id], a->from[id],
			    b->from[id]);
		if (!a->opts.isset[id])
			continue;
		if (opt_table[id].type == OPT_T_STR ?
		    strcmp(a->opts.str[id], b->opts.str[id]) != 0 :
		    a->opts.num[id] != b->opts.num[id])
			fuzz_fail("%s: %s of %s differs", what,
			    opt_table[id].name, path);
	}
}

void
fuzz_pattern_path(const char *pattern, char *buf, size_t len)
{
	size_t i, n = 0, plen = strlen(pattern);

	if (plen >= 3 && strcmp(pattern + plen - 3, "/**") == 0)
		plen -= 3;
	for (i = 0; i < plen && n + 2 < len; i++) {
		if (pattern[i] == '*')
			buf[n++] = 'x';
		else if (pattern[i] == '?')
			buf[n++] = 'y';
		else
			buf[n++] = pattern[i];
	}
	buf[n] = '\0';
	if (plen < strlen(pattern))
		(void)util_fmt(buf + n, len - n, "/x/y.pl");
}

/* True if option id has the same value in a and b. */
static int
same_value(const struct opt_set *a, const struct opt_set *b, int id)
{
	if (opt_table[id].type != OPT_T_STR)
		return a->num[id] == b->num[id];
	if (a->str[id] == NULL || b->str[id] == NULL)
		return a->str[id] == b->str[id];
	return strcmp(a->str[id], b->str[id]) == 0;
}

void
fuzz_check_resolve(const struct snap_result *r)
{
	static struct opt_set layer;
	static const char *text[] = { "7", "/layer" };
	const struct opt_set *layers[1] = { &layer };
	const struct opt_set *want;
	struct opt_set def, conf, out;
	char err[256];
	int src[OPT__COUNT], id, wsrc;

	/* A layer that sets every option (as a command line could). */
	if (!layer.isset[0])
		for (id = 0; id < OPT__COUNT; id++)
			if (opt_set_value(&layer, id, text[opt_table[id].type ==
			    OPT_T_STR], err, sizeof(err)) == -1)
				fuzz_fail("the test layer: %s", err);
	opt_defaults(&def, "/usr/bin/speedy_backend");
	conf = def;
	opt_merge(&conf, &r->opts);
	out = def;
	snap_resolve(&out, r, layers, 1, src);
	for (id = 0; id < OPT__COUNT; id++) {
		want = r->locked[id] ? &conf : &layer;
		wsrc = !r->locked[id] ? 0 : r->opts.isset[id] ?
		    SNAP_SRC_CONF : SNAP_SRC_DEFAULT;
		if (!same_value(&out, want, id) || src[id] != wsrc)
			fuzz_fail("snap_resolve: %s (locked %d) from %d, not %d",
			    opt_table[id].name, r->locked[id], src[id], wsrc);
	}
}
