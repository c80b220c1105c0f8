/*
 * be_script.c: reading a script and finding where its code ends.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be.h"
#include "util.h"

#define SCRIPT_MAX	(64L << 20)	/* refuse larger scripts */

/* True if the line is "=cut" as perl sees it: not "=cutting". */
static int
is_cut(const char *p, size_t n)
{
	return n >= 4 && memcmp(p, "=cut", 4) == 0 && (n == 4 ||
	    !((p[4] >= 'a' && p[4] <= 'z') || (p[4] >= 'A' && p[4] <= 'Z')));
}

/* Length of the line starting at p (without its newline). */
static size_t
line_len(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
}

/*
 * True if the line is "__END__" or "__DATA__" (perl takes them after
 * leading blanks too), optionally followed by blanks or a comment.
 */
static int
is_end_marker(const char *p, size_t n)
{
	size_t k;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	if (n >= 7 && memcmp(p, "__END__", 7) == 0)
		k = 7;
	else if (n >= 8 && memcmp(p, "__DATA__", 8) == 0)
		k = 8;
	else
		return 0;
	return k == n || p[k] == ' ' || p[k] == '\t' || p[k] == '\r' ||
	    p[k] == '#';
}

/*
 * Finds a here-document on a line ("<<EOT", "<<'EOT'", "<<\"EOT\"",
 * "<<~EOT") and copies its terminator into tag.  Returns 1 if found; *indent
 * says whether the terminator may be indented.
 */
static int
heredoc_tag(const char *p, size_t n, char *tag, size_t taglen, int *indent)
{
	const char *s, *end = p + n, *q;
	char quote;
	size_t k;

	for (s = p; s + 2 < end; s++) {
		if (*s == '#')
			return 0;	/* the rest is a comment, roughly */
		if (s[0] != '<' || s[1] != '<')
			continue;
		q = s + 2;
		quote = 0;
		*indent = (*q == '~');
		if (*indent)
			q++;
		if (q < end && (*q == '"' || *q == '\''))
			quote = *q++;
		/* Unquoted, the tag is an identifier: "1<<8" is a shift. */
		if (!quote && (q >= end || !(*q == '_' || (*q >= 'A' &&
		    *q <= 'Z') || (*q >= 'a' && *q <= 'z'))))
			continue;
		for (k = 0; q + k < end && (q[k] == '_' ||
		    (q[k] >= 'A' && q[k] <= 'Z') || (q[k] >= 'a' && q[k] <= 'z') ||
		    (q[k] >= '0' && q[k] <= '9')); k++)
			;
		if (k == 0 || k >= taglen || (quote && (q + k >= end ||
		    q[k] != quote)))
			continue;
		memcpy(tag, q, k);
		tag[k] = '\0';
		return 1;
	}
	return 0;
}

/* True if the line ends the here-document tagged tag. */
static int
ends_heredoc(const char *p, size_t n, const char *tag, int indent)
{
	size_t t = strlen(tag);

	if (indent)
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n == t && memcmp(p, tag, t) == 0;
}

/*
 * XXX This finds __END__ the way SpeedyCGI did, line by line, skipping POD
 * and here-documents, rather than with perl's own tokenizer, which cannot
 * be asked where the program text ends without running it.  A line
 * holding only __END__ inside a multi-line string or regex would be taken
 * for the end of the code.
 */
size_t
be_script_split(const char *text, size_t len, size_t *data, int *inpod)
{
	const char *p = text, *end = text + len;
	char tag[64];
	int pod = 0, inhere = 0, indent = 0;
	size_t n;

	for (; p < end; p += n + 1) {
		n = line_len(p, end);
		if (inhere) {
			inhere = !ends_heredoc(p, n, tag, indent);
			continue;
		}
		if (pod) {
			pod = !is_cut(p, n);
			continue;
		}
		if (n >= 2 && p[0] == '=' && ((p[1] >= 'a' && p[1] <= 'z') ||
		    (p[1] >= 'A' && p[1] <= 'Z'))) {
			pod = !is_cut(p, n);
			continue;
		}
		if (is_end_marker(p, n)) {
			*data = (p + n < end) ? (size_t)(p + n + 1 - text) : len;
			*inpod = 0;
			return (size_t)(p - text);
		}
		inhere = heredoc_tag(p, n, tag, sizeof(tag), &indent);
	}
	*data = len;
	*inpod = pod;
	return len;
}

int
be_script_load(struct be_script *s, const char *path, char *err,
    size_t errlen)
{
	struct stat st;
	size_t dataoff;
	int fd;

	memset(s, 0, sizeof(*s));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1 ||
	    fstat(fd, &st) == -1) {
		util_fmt(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SCRIPT_MAX) {
		util_fmt(err, errlen, "%s: not a regular file of at most %ld "
		    "bytes", path, SCRIPT_MAX);
		goto fail;
	}
	s->path = strdup(path);
	s->text = malloc((size_t)st.st_size + 1);
	if (s->path == NULL || s->text == NULL) {
		util_fmt(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (util_read_all(fd, s->text, (size_t)st.st_size) != 0) {
		util_fmt(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	s->text[st.st_size] = '\0';
	(void)close(fd);
	s->codelen = be_script_split(s->text, (size_t)st.st_size, &dataoff,
	    &s->inpod);
	if (s->codelen < (size_t)st.st_size) {
		s->data = s->text + dataoff;
		s->datalen = (size_t)st.st_size - dataoff;
	}
	s->key.dev = (uint64_t)st.st_dev;
	s->key.ino = (uint64_t)st.st_ino;
	s->key.mtime_sec = (int64_t)st.st_mtim.tv_sec;
	s->key.mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
	s->key.pathhash = util_hash(path);
	return 0;
fail:
	if (fd != -1)
		(void)close(fd);
	be_script_free(s);
	return -1;
}

void
be_script_free(struct be_script *s)
{
	free(s->path);
	free(s->text);
	s->path = s->text = NULL;
}
