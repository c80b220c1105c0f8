/*
 * conf.c: the configuration compiler (see conf.h).
 *
 * Each file is read whole, its comments are blanked out (scan_text says
 * why) and libconfuse parses it from memory.  Values are checked as
 * libconfuse meets them (value_cb), while it knows their line; the
 * sections are assembled from the parsed tree afterwards, in file order.
 */
#include <sys/stat.h>

#include <confuse.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#define KEY_MAX		32	/* bytes of a key, with its NUL */
#define MSG_MAX		1024	/* bytes of a message */

/* Where each option of one libconfuse section was set. */
struct seclines {
	cfg_t	*sec;
	int	 line[OPT__COUNT];
};

/* The compile in progress. */
struct compile {
	struct conf	*c;
	void		(*errfn)(void *, const char *);
	void		*arg;
	int		 nerr;
	int		 oom;		/* "out of memory" reported */
	/* The file being read. */
	const char	*file;		/* as opened; kept in c */
	int		 global;	/* speedy.conf: values on top */
	cfg_t		*root;
	int		*siteline;	/* line of each "site" keyword */
	int		 nsiteline, sitelinecap;
	struct seclines	*sl;
	int		 nsl, slcap;
};

/* The comment scanner's view of the top level of one file. */
struct scan {
	int	line;
	int	depth;		/* braces and parentheses open */
	int	openline;	/* where the outermost one was opened */
	char	open;		/* and which it is */
	int	after_eq;	/* a value comes next */
	int	after_site;	/* a section title comes next */
};

/*
 * libconfuse's callbacks take no argument of ours: they find the compile
 * here.  conf_compile() sets it and clears it before returning.
 */
static struct compile *cur;

/* The configuration key of each option ("" for those not allowed). */
static char keys[OPT__COUNT][KEY_MAX];

/*
 * Hands one error to the caller as "FILE:LINE: message", or "FILE:
 * message" when line is 0, and counts it.
 */
static void __attribute__((format(printf, 4, 5)))
report(struct compile *cc, const char *file, int line, const char *fmt, ...)
{
	char msg[MSG_MAX], out[PATH_MAX + MSG_MAX + 16], *p;
	va_list ap;

	/*
	 * Our messages fit: they quote values cut to 200 bytes, and opt's
	 * come in buffers of half this size.  Only a libconfuse message
	 * quoting a huge token is cut.
	 */
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (file != NULL && line > 0)
		(void)snprintf(out, sizeof(out), "%s:%d: %s", file, line, msg);
	else if (file != NULL)
		(void)snprintf(out, sizeof(out), "%s: %s", file, msg);
	else
		(void)snprintf(out, sizeof(out), "%s", msg);
	/*
	 * A message is one line that is safe to print: a quoted value or a
	 * file name may hold a newline or a terminal escape sequence.
	 */
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	cc->nerr++;
	cc->errfn(cc->arg, out);
}

/* Reports running out of memory, once: one line says all there is. */
static void
nomem(struct compile *cc)
{
	if (!cc->oom)
		report(cc, NULL, 0, "out of memory");
	cc->oom = 1;
}

/*
 * Returns arr with room for element n, *cap elements of size bytes
 * allocated, or NULL (arr unchanged) if memory ran out.
 */
static void *
grow(void *arr, int n, int *cap, size_t size)
{
	void *np;
	int ncap;

	if (n < *cap)
		return arr;
	ncap = *cap > 0 ? *cap * 2 : 16;
	if ((np = reallocarray(arr, (size_t)ncap, size)) == NULL)
		return NULL;
	*cap = ncap;
	return np;
}

/* Hands p to c, which frees it in conf_free(); NULL if p is NULL. */
static void *
keep(struct compile *cc, void *p)
{
	struct conf *c = cc->c;
	void **nm;
	size_t ncap;

	if (p == NULL) {
		nomem(cc);
		return NULL;
	}
	if (c->nmem == c->memcap) {
		ncap = c->memcap > 0 ? c->memcap * 2 : 64;
		if ((nm = reallocarray(c->mem, ncap, sizeof(*nm))) == NULL) {
			free(p);
			nomem(cc);
			return NULL;
		}
		c->mem = nm;
		c->memcap = ncap;
	}
	c->mem[c->nmem++] = p;
	return p;
}

static char *
keep_str(struct compile *cc, const char *s)
{
	return keep(cc, strdup(s));
}

/* Appends an empty section to c; NULL if memory ran out. */
static struct snap_build *
new_sect(struct compile *cc)
{
	struct conf *c = cc->c;
	struct snap_build *p;

	if ((p = grow(c->sects, c->nsects, &c->sectcap, sizeof(*p))) == NULL) {
		nomem(cc);
		return NULL;
	}
	c->sects = p;
	p = &c->sects[c->nsects++];
	memset(p, 0, sizeof(*p));
	return p;
}

/*
 * The comment scanner.  libconfuse 3.3 (Debian 12) counts a "#" or "//"
 * comment as three lines and a block comment as one line more than it
 * has, so every line number after a comment would be wrong (in its
 * messages and in ours, taken from its count).  Without comments its count is right, so the comments are
 * replaced by blanks, newlines kept, before it sees the text.  The rules
 * are those of its lexer, found by trying it: "#" starts a comment
 * anywhere outside a string; "//" and "/" "*" only where a word could
 * start ("a//b" is one word); strings in double or single quotes take
 * backslash escapes.  While at it, the scanner notes the line of each
 * "site" keyword on the top level: libconfuse only knows where a section
 * ends.
 */

/* True for the characters of an unquoted word in libconfuse's lexer. */
static int
is_wordch(char ch)
{
	return ch != '\0' && strchr(" \t\r\n#=+,\"'{}()*", ch) == NULL;
}

/* Notes a word or string of the text: is it a "site" keyword? */
static void
scan_token(struct compile *cc, struct scan *s, const char *tok, size_t n)
{
	int *p, kw;

	if (s->depth > 0)
		return;
	kw = !s->after_eq && !s->after_site && n == 4 &&
	    memcmp(tok, "site", 4) == 0;
	s->after_eq = 0;
	s->after_site = kw;
	if (!kw)
		return;
	if ((p = grow(cc->siteline, cc->nsiteline, &cc->sitelinecap,
	    sizeof(*p))) == NULL) {
		nomem(cc);
		return;
	}
	cc->siteline = p;
	cc->siteline[cc->nsiteline++] = s->line;
}

/* Notes one character of punctuation or white space. */
static void
scan_punct(struct scan *s, char ch)
{
	switch (ch) {
	case '\n':
		s->line++;
		break;
	case '{':
	case '(':
		if (s->depth++ == 0) {
			s->openline = s->line;
			s->open = ch;
		}
		s->after_eq = s->after_site = 0;
		break;
	case '}':
	case ')':
		if (s->depth > 0)
			s->depth--;
		s->after_eq = s->after_site = 0;
		break;
	case '=':
	case '+':
	case ',':
		if (s->depth == 0)
			s->after_eq = 1;
		break;
	}
}

/*
 * Skips the string whose opening quote is at t[i]; returns the index of
 * its closing quote, or len if it has none (libconfuse reports that).
 */
static size_t
skip_string(const char *t, size_t len, size_t i, int *line)
{
	char q = t[i++];

	for (; i < len && t[i] != q; i++) {
		if (t[i] == '\\' && i + 1 < len)
			i++;
		if (t[i] == '\n')
			(*line)++;
	}
	return i;
}

/*
 * Blanks the comment starting at t[i] and returns the index after it, or
 * (size_t)-1 for a block comment without its end.
 */
static size_t
blank_comment(char *t, size_t len, size_t i, int *line)
{
	if (t[i] == '#' || t[i + 1] == '/') {
		while (i < len && t[i] != '\n')
			t[i++] = ' ';
		return i;
	}
	t[i++] = ' ';
	t[i++] = ' ';
	for (; i < len; i++) {
		if (t[i] == '*' && i + 1 < len && t[i + 1] == '/') {
			t[i] = t[i + 1] = ' ';
			return i + 2;
		}
		if (t[i] == '\n')
			(*line)++;
		else
			t[i] = ' ';
	}
	return (size_t)-1;
}

/*
 * Blanks the comments of t.  Returns 0, or -1 after reporting an error
 * that makes parsing the text pointless.
 */
static int
scan_text(struct compile *cc, char *t, size_t len)
{
	struct scan s = { 1, 0, 0, 0, 0, 0 };
	size_t i = 0, start;
	int line;

	while (i < len) {
		if (t[i] == '\0') {
			report(cc, cc->file, s.line, "NUL byte in the file");
			return -1;
		}
		if (t[i] == '#' || (t[i] == '/' && i + 1 < len &&
		    (t[i + 1] == '/' || t[i + 1] == '*'))) {
			line = s.line;
			if ((i = blank_comment(t, len, i, &s.line)) ==
			    (size_t)-1) {
				report(cc, cc->file, line, "comment not closed "
				    "with */");
				return -1;
			}
		} else if (t[i] == '"' || t[i] == '\'') {
			start = i + 1;
			i = skip_string(t, len, i, &s.line);
			scan_token(cc, &s, t + start, i - start);
			if (i < len)
				i++;
		} else if (is_wordch(t[i])) {
			for (start = i; i < len && is_wordch(t[i]); i++)
				;
			scan_token(cc, &s, t + start, i - start);
		} else
			scan_punct(&s, t[i++]);
	}
	/* libconfuse 3.3 takes the end of the file for a closing brace. */
	if (s.depth > 0)
		report(cc, cc->file, s.openline, "'%c' is not closed", s.open);
	return 0;
}

/* The record of where the options of libconfuse section sec were set. */
static struct seclines *
lines_of(struct compile *cc, cfg_t *sec)
{
	struct seclines *p;
	int i;

	for (i = 0; i < cc->nsl; i++)
		if (cc->sl[i].sec == sec)
			return &cc->sl[i];
	if ((p = grow(cc->sl, cc->nsl, &cc->slcap, sizeof(*p))) == NULL) {
		nomem(cc);
		return NULL;
	}
	cc->sl = p;
	p = &cc->sl[cc->nsl++];
	memset(p, 0, sizeof(*p));
	p->sec = sec;
	return p;
}

/* Checks an option's value as every other source of values is checked. */
static void
check_value(struct compile *cc, cfg_t *sec, const char *key,
    const char *value)
{
	struct opt_set scratch;
	struct seclines *sl;
	char err[MSG_MAX / 2];
	int id;

	if ((id = opt_lookup(key)) == -1)
		return;		/* libconfuse knows only our keys */
	if (opt_set_value(&scratch, id, value, err, sizeof(err)) == -1)
		report(cc, cc->file, sec->line, "%s", err);
	if ((sl = lines_of(cc, sec)) != NULL)
		sl->line[id] = sec->line;
}

/* Checks one name of a "lock" list. */
static void
check_lock(struct compile *cc, const char *name, int line)
{
	int id;

	if ((id = opt_lookup(name)) == -1)
		report(cc, cc->file, line, "lock: unknown option '%.200s'",
		    name);
	else if (!(opt_table[id].ctx & OPT_CTX_CONF))
		report(cc, cc->file, line, "lock: %s cannot be set in the "
		    "configuration", opt_table[id].name);
}

/*
 * Checks one pattern of a site's "scripts": absolute, and "**" only as
 * the whole last component, the one form snap_match() gives a meaning.
 */
static void
check_pattern(struct compile *cc, const char *pat, int line)
{
	const char *st = strstr(pat, "**");
	size_t len = strlen(pat);

	if (pat[0] != '/')
		report(cc, cc->file, line, "scripts: '%.200s' is not an "
		    "absolute path", pat);
	else if (st != NULL && (st != pat + len - 2 || st[-1] != '/'))
		report(cc, cc->file, line, "scripts: '%.200s': \"**\" is "
		    "allowed only as the whole last component, as in "
		    "/var/www/app/**", pat);
	else if (len >= SNAP_PATMAX)
		report(cc, cc->file, line, "scripts: a pattern is longer than "
		    "%d bytes", SNAP_PATMAX - 1);
}

/*
 * libconfuse's value callback, called for each value as it is read, when
 * sec->line is the value's line.  It always accepts the value, so that
 * libconfuse goes on and every bad value of the file is reported.
 */
static int
value_cb(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	struct compile *cc = cur;
	const char *key = cfg_opt_name(opt);

	*(const char **)result = value;
	if (cc == NULL || key == NULL)
		return 0;
	if (strcmp(key, "lock") == 0)
		check_lock(cc, value, sec->line);
	else if (strcmp(key, "scripts") == 0)
		check_pattern(cc, value, sec->line);
	else
		check_value(cc, sec, key, value);
	return 0;
}

/* True if name is the key of an option allowed in the configuration. */
static int
is_key(const char *name)
{
	int id;

	for (id = 0; id < OPT__COUNT; id++)
		if (keys[id][0] != '\0' && strcmp(name, keys[id]) == 0)
			return 1;
	return 0;
}

/*
 * The line where the k-th site section of the file being read starts;
 * fallback if the scanner did not see as many (it cannot for a file
 * libconfuse accepts).
 */
static int
site_line(const struct compile *cc, int k, int fallback)
{
	return k < cc->nsiteline ? cc->siteline[k] : fallback;
}

/* A site defined twice in one file: libconfuse stops there. */
static void
dup_in_file(struct compile *cc, const char *name, int line)
{
	cfg_t *sec = NULL;
	int k, n = (int)cfg_size(cc->root, "site");

	for (k = 0; k < n; k++) {
		sec = cfg_getnsec(cc->root, "site", (unsigned)k);
		if (sec != NULL && strcmp(cfg_title(sec), name) == 0)
			break;
	}
	if (k == n || sec == NULL) {
		report(cc, cc->file, line, "site \"%.100s\" is defined twice",
		    name);
		return;
	}
	report(cc, cc->file, site_line(cc, n, line), "site \"%.100s\" is "
	    "already defined at %s:%d", name, cc->file,
	    site_line(cc, k, sec->line));
}

/*
 * libconfuse's error function.  Two of its messages get our words: a
 * duplicate site names both places, and a value on the top level of a
 * sites.d file says where it belongs.  libconfuse passes untranslated
 * formats: speedy-admin never calls setlocale().
 */
static void
confuse_err(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct compile *cc = cur;
	const char *name = NULL;
	char msg[MSG_MAX];
	int line = cfg != NULL ? cfg->line : 0, dup, unknown;
	va_list aq;

	if (cc == NULL)
		return;
	dup = strcmp(fmt, "found duplicate title '%s'") == 0;
	unknown = strcmp(fmt, "no such option '%s'") == 0;
	if (dup || unknown) {
		va_copy(aq, ap);
		name = va_arg(aq, const char *);
		va_end(aq);
	}
	if (dup && name != NULL && cc->root != NULL) {
		dup_in_file(cc, name, line);
		return;
	}
	if (unknown && name != NULL && cfg == cc->root &&
	    strcmp(name, "scripts") == 0) {
		report(cc, cc->file, line, "scripts must be inside a site "
		    "section");
		return;
	}
	if (unknown && name != NULL && cfg == cc->root && !cc->global &&
	    (is_key(name) || strcmp(name, "lock") == 0)) {
		report(cc, cc->file, line, "%s must be inside a site section "
		    "(global values belong in speedy.conf)", name);
		return;
	}
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	report(cc, cc->file, line, "%s", msg);
}

/*
 * Fills the option tables libconfuse parses with: site sections (every
 * option, scripts, lock), speedy.conf (every option, lock, sites) and a
 * sites.d file (sites only).  Values are strings, so that "maxruns = 100"
 * and "maxruns = \"100\"" are the same; opt_set_value() reads them.
 */
static void
build_opts(cfg_opt_t *site, cfg_opt_t *global, cfg_opt_t *sitesd)
{
	int id, n = 0;

	for (id = 0; id < OPT__COUNT; id++) {
		keys[id][0] = '\0';
		if (!(opt_table[id].ctx & OPT_CTX_CONF))
			continue;
		(void)opt_confname(id, keys[id], sizeof(keys[id]));
		site[n] = (cfg_opt_t)CFG_STR_CB(keys[id], 0, CFGF_NODEFAULT,
		    value_cb);
		global[n] = site[n];
		n++;
	}
	site[n] = (cfg_opt_t)CFG_STR_LIST_CB("scripts", 0, CFGF_NODEFAULT,
	    value_cb);
	site[n + 1] = (cfg_opt_t)CFG_STR_LIST_CB("lock", 0, CFGF_NODEFAULT,
	    value_cb);
	site[n + 2] = (cfg_opt_t)CFG_END();
	global[n] = site[n + 1];
	global[n + 1] = (cfg_opt_t)CFG_SEC("site", site, CFGF_MULTI |
	    CFGF_TITLE | CFGF_NO_TITLE_DUPES);
	global[n + 2] = (cfg_opt_t)CFG_END();
	sitesd[0] = global[n + 1];
	sitesd[1] = (cfg_opt_t)CFG_END();
}

/* Copies the options and locks set in libconfuse section sec into b. */
static void
collect_values(struct compile *cc, cfg_t *sec, struct snap_build *b)
{
	struct seclines *sl = lines_of(cc, sec);
	char err[MSG_MAX / 2];
	const char *v;
	unsigned k, n;
	int id;

	for (id = 0; id < OPT__COUNT; id++) {
		/* Only our keys: cfg_size() reports an unknown one. */
		if (keys[id][0] == '\0' || cfg_size(sec, keys[id]) == 0 ||
		    (v = cfg_getstr(sec, keys[id])) == NULL)
			continue;
		if ((v = keep_str(cc, v)) == NULL)
			return;
		/* A bad value was reported as it was read. */
		if (opt_set_value(&b->opts, id, v, err, sizeof(err)) == 0)
			b->optline[id] = sl != NULL ? sl->line[id] : 0;
	}
	n = cfg_size(sec, "lock");
	for (k = 0; k < n; k++)
		if ((v = cfg_getnstr(sec, "lock", k)) != NULL &&
		    (id = opt_lookup(v)) != -1 &&
		    (opt_table[id].ctx & OPT_CTX_CONF))
			b->locked[id] = 1;
}

/* True for a usable site name: it appears in messages and output. */
static int
valid_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= CONF_NAME_MAX && strspn(name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-") == n;
}

/* The site called name compiled so far, or NULL. */
static const struct snap_build *
find_site(const struct conf *c, const char *name)
{
	int i;

	for (i = 1; i < c->nsects; i++)
		if (strcmp(c->sects[i].name, name) == 0)
			return &c->sects[i];
	return NULL;
}

/* Adds the k-th site section of the file being read. */
static void
collect_site(struct compile *cc, cfg_t *sec, int k)
{
	const struct snap_build *prev;
	struct snap_build *b;
	const char *name = cfg_title(sec) != NULL ? cfg_title(sec) : "", **pats;
	int line = site_line(cc, k, sec->line);
	unsigned j, n;

	if (!valid_name(name))
		report(cc, cc->file, line, "site name \"%.100s\" must be 1 to "
		    "%d letters, digits, '.', '_' or '-'", name, CONF_NAME_MAX);
	if ((prev = find_site(cc->c, name)) != NULL) {
		report(cc, cc->file, line, "site \"%.100s\" is already defined "
		    "at %s:%d", name, prev->file, prev->line);
		return;
	}
	if ((n = cfg_size(sec, "scripts")) == 0)
		report(cc, cc->file, line, "site \"%.100s\" has no scripts "
		    "(a list of absolute path patterns)", name);
	if ((b = new_sect(cc)) == NULL || (b->name = keep_str(cc, name)) ==
	    NULL || (pats = keep(cc, calloc(n + 1, sizeof(*pats)))) == NULL)
		return;
	b->file = cc->file;
	b->line = line;
	for (j = 0; j < n; j++)
		if ((pats[j] = keep_str(cc, cfg_getnstr(sec, "scripts", j))) ==
		    NULL)
			return;
	b->patterns = pats;
	b->npatterns = (int)n;
	collect_values(cc, sec, b);
}

/*
 * Reads path whole, NUL-terminated, into a new buffer.  Returns NULL after
 * reporting an error, or without one if the file does not exist and
 * may_miss is set.
 */
static char *
read_file(struct compile *cc, const char *path, int may_miss, size_t *lenp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		if (errno != ENOENT || !may_miss)
			report(cc, path, 0, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		report(cc, path, 0, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		report(cc, path, 0, "not a regular file");
		goto fail;
	}
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		nomem(cc);
		goto fail;
	}
	/* One byte more than allowed tells a file that is too large. */
	while (len <= CONF_FILE_MAX) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			report(cc, path, 0, "%s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONF_FILE_MAX) {
		report(cc, path, 0, "larger than %d bytes", CONF_FILE_MAX);
		goto fail;
	}
	(void)close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	free(buf);
	(void)close(fd);
	return NULL;
}

/* Parses text (len bytes) with opts; returns libconfuse's result. */
static int
parse_text(struct compile *cc, cfg_t *cfg, char *text, size_t len)
{
	FILE *fp;
	int rc;

	if (len == 0)
		return CFG_SUCCESS;	/* fmemopen() refuses size 0 */
	if ((fp = fmemopen(text, len, "r")) == NULL) {
		nomem(cc);
		return CFG_PARSE_ERROR;
	}
	rc = cfg_parse_fp(cfg, fp);
	(void)fclose(fp);
	return rc;
}

/* Reads one file: speedy.conf if global, else a file of sites.d. */
static void
compile_file(struct compile *cc, const char *path, int global,
    cfg_opt_t *opts)
{
	cfg_t *cfg;
	char *text;
	size_t len;
	unsigned k, n;

	if ((text = read_file(cc, path, global, &len)) == NULL)
		return;
	cc->global = global;
	cc->nsiteline = 0;
	cc->nsl = 0;
	if ((cc->file = keep_str(cc, path)) == NULL ||
	    scan_text(cc, text, len) == -1)
		goto done;
	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL) {
		nomem(cc);
		goto done;
	}
	(void)cfg_set_error_function(cfg, confuse_err);
	/* Its messages and ours name the file as opened. */
	free(cfg->filename);
	cfg->filename = strdup(path);
	cc->root = cfg;
	if (parse_text(cc, cfg, text, len) == CFG_SUCCESS) {
		if (global)
			collect_values(cc, cfg, &cc->c->sects[0]);
		n = cfg_size(cfg, "site");
		for (k = 0; k < n; k++)
			collect_site(cc, cfg_getnsec(cfg, "site", k), (int)k);
	}
	cc->root = NULL;
	(void)cfg_free(cfg);
done:
	free(text);
}

/* True for the names in sites.d that are read: "*.conf", no dot-files. */
static int
is_conf_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads sites.d's files in C-locale order; a missing sites.d is fine. */
static void
compile_sitesd(struct compile *cc, const char *dir, cfg_opt_t *opts)
{
	char sd[PATH_MAX], path[PATH_MAX], **names = NULL, **np;
	struct dirent *e;
	DIR *d;
	int i, n = 0, cap = 0;

	if (util_fmt(sd, sizeof(sd), "%s/sites.d", dir) == -1) {
		report(cc, dir, 0, "path too long");
		return;
	}
	if ((d = opendir(sd)) == NULL) {
		if (errno != ENOENT)
			report(cc, sd, 0, "%s", strerror(errno));
		return;
	}
	for (errno = 0; (e = readdir(d)) != NULL; errno = 0) {
		if (!is_conf_name(e->d_name))
			continue;
		if ((np = grow(names, n, &cap, sizeof(*names))) == NULL) {
			nomem(cc);
			break;
		}
		names = np;
		if ((names[n] = strdup(e->d_name)) == NULL) {
			nomem(cc);
			break;
		}
		n++;
	}
	if (e == NULL && errno != 0)
		report(cc, sd, 0, "%s", strerror(errno));
	(void)closedir(d);
	if (n > 1)	/* names is NULL when there are none */
		qsort(names, (size_t)n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if (util_fmt(path, sizeof(path), "%s/%s", sd, names[i]) == -1)
			report(cc, sd, 0, "%s: path too long", names[i]);
		else
			compile_file(cc, path, 0, opts);
		free(names[i]);
	}
	free(names);
}

int
conf_compile(const char *confdir, struct conf *c,
    void (*errfn)(void *arg, const char *line), void *arg)
{
	cfg_opt_t site[OPT__COUNT + 3], global[OPT__COUNT + 3], sitesd[2];
	struct snap_build *g;
	struct compile cc;
	struct stat st;
	char dir[PATH_MAX], path[PATH_MAX];
	size_t n;

	memset(c, 0, sizeof(*c));
	memset(&cc, 0, sizeof(cc));
	cc.c = c;
	cc.errfn = errfn;
	cc.arg = arg;
	cur = &cc;
	build_opts(site, global, sitesd);
	/* "/etc/speedy/" names its files as "/etc/speedy" does. */
	n = strlen(confdir);
	while (n > 1 && confdir[n - 1] == '/')
		n--;
	if (n >= sizeof(dir) || util_fmt(path, sizeof(path), "%.*s/speedy.conf",
	    (int)n, confdir) == -1) {
		report(&cc, confdir, 0, "path too long");
		goto done;
	}
	memcpy(dir, confdir, n);
	dir[n] = '\0';
	if (stat(dir, &st) == -1)
		report(&cc, dir, 0, "%s", strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		report(&cc, dir, 0, "not a directory");
	else if ((g = new_sect(&cc)) != NULL &&
	    (g->file = keep_str(&cc, path)) != NULL) {
		g->name = "";
		compile_file(&cc, path, 1, global);
		compile_sitesd(&cc, dir, sitesd);
	}
done:
	free(cc.siteline);
	free(cc.sl);
	cur = NULL;
	return cc.nerr;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nmem; i++)
		free(c->mem[i]);
	free(c->mem);
	free(c->sects);
	memset(c, 0, sizeof(*c));
}
