/*
 * conf.c: the configuration compiler (see conf.h).
 *
 * Each file is read whole, its comments are blanked out (scan_text says
 * why) and libconfuse parses it from memory.  Values are checked as
 * libconfuse meets them (value_cb), while it knows their line; the
 * sections are assembled from the parsed tree afterwards, in file order.
 * A site's FastCGI pool is checked the same way (pool_cb), and once its
 * section is complete, against its site and the pools before it
 * (collect_pool).
 */
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <confuse.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
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

/* The keys of a fastcgi section, in the order of pool_keys. */
enum {
	PK_LISTEN, PK_PROCESSES, PK_USER, PK_GROUP, PK_MODE, PK_SCRIPT,
	PK_ROOT, PK__COUNT
};
static const char *const pool_keys[PK__COUNT] = {
	"listen", "processes", "listen_user", "listen_group", "listen_mode",
	"script", "root"
};

_Static_assert(CONF_LISTEN_MAX == sizeof(((struct sockaddr_un *)0)->sun_path),
    "CONF_LISTEN_MAX is the room for a Unix socket path");

/* Where each option (or pool key) of one libconfuse section was set. */
struct seclines {
	cfg_t	*sec;
	int	 line[OPT__COUNT];
	int	 pline[PK__COUNT];
};

/* A keyword's line in the file being read: of a site's fastcgi section. */
struct kwline {
	int	site;		/* which site of the file, from 0 */
	int	line;
};

/* An error held back by conf_fcgi_pool() until it knows its pool's file. */
struct held {
	char	*file;		/* as passed to report(), copied; or NULL */
	char	*text;
};

/* A listen address, parsed to tell two that cannot both be bound. */
struct laddr {
	int		family;		/* AF_UNIX, AF_INET or AF_INET6 */
	int		any;		/* TCP on every address */
	unsigned char	addr[16];
	long		port;
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
	struct kwline	*fcgiline;	/* line of each "fastcgi" keyword */
	int		 nfcgiline, fcgilinecap;
	struct seclines	*sl;
	int		 nsl, slcap;
	/* conf_fcgi_pool(): errors are held, not passed to errfn. */
	int		 hold;
	struct held	*held;
	int		 nheld, heldcap;
	int		 heldlost;	/* memory ran out holding one */
};

/* The comment scanner's view of the top level of one file. */
struct scan {
	int	line;
	int	depth;		/* braces and parentheses open */
	int	openline;	/* where the outermost one was opened */
	char	open;		/* and which it is */
	int	after_eq;	/* a value comes next */
	int	after_site;	/* a section title comes next */
	int	body_next;	/* a site's opening brace comes next */
	int	in_site;	/* the outermost brace is a site's */
};

/*
 * libconfuse's callbacks take no argument of ours: they find the compile
 * here.  conf_compile() sets it and clears it before returning.
 */
static struct compile *cur;

/* The configuration key of each option ("" for those not allowed). */
static char keys[OPT__COUNT][KEY_MAX];

static void *grow(void *, int, int *, size_t);

/* Keeps an error for conf_fcgi_pool(), with the file it is about. */
static void
hold(struct compile *cc, const char *file, const char *text)
{
	struct held *p;
	char *f = NULL, *t;

	if ((p = grow(cc->held, cc->nheld, &cc->heldcap, sizeof(*p))) ==
	    NULL) {
		cc->heldlost = 1;
		return;
	}
	cc->held = p;
	if ((file != NULL && (f = strdup(file)) == NULL) ||
	    (t = strdup(text)) == NULL) {
		free(f);
		cc->heldlost = 1;
		return;
	}
	p[cc->nheld].file = f;
	p[cc->nheld++].text = t;
}

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
	if (cc->hold)
		hold(cc, file, out);
	else
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
 * "site" keyword on the top level and of each "fastcgi" keyword in a
 * site's body: libconfuse only knows where a section ends.
 */

/* True for the characters of an unquoted word in libconfuse's lexer. */
static int
is_wordch(char ch)
{
	return ch != '\0' && strchr(" \t\r\n#=+,\"'{}()*", ch) == NULL;
}

/* Notes the "fastcgi" keyword of a section inside the current site. */
static void
scan_fastcgi(struct compile *cc, const struct scan *s)
{
	struct kwline *p;

	if ((p = grow(cc->fcgiline, cc->nfcgiline, &cc->fcgilinecap,
	    sizeof(*p))) == NULL) {
		nomem(cc);
		return;
	}
	cc->fcgiline = p;
	p[cc->nfcgiline].site = cc->nsiteline - 1;
	p[cc->nfcgiline++].line = s->line;
}

/*
 * Notes a word or string of the text: is it a "site" keyword, or a
 * "fastcgi" keyword in the body of a site?
 */
static void
scan_token(struct compile *cc, struct scan *s, const char *tok, size_t n)
{
	int *p, kw;

	if (s->depth == 1 && s->in_site) {
		kw = !s->after_eq && n == 7 && memcmp(tok, "fastcgi", 7) == 0;
		s->after_eq = 0;
		if (kw && cc->nsiteline > 0)
			scan_fastcgi(cc, s);
		return;
	}
	if (s->depth > 0)
		return;
	kw = !s->after_eq && !s->after_site && n == 4 &&
	    memcmp(tok, "site", 4) == 0;
	s->body_next = s->after_site;	/* this was the title */
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
			s->in_site = ch == '{' && s->body_next;
		}
		s->after_eq = s->after_site = s->body_next = 0;
		break;
	case '}':
	case ')':
		if (s->depth > 0 && --s->depth == 0)
			s->in_site = 0;
		s->after_eq = s->after_site = s->body_next = 0;
		break;
	case '=':
	case '+':
	case ',':
		if (s->depth <= 1)
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
	struct scan s = { 1, 0, 0, 0, 0, 0, 0, 0 };
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
 * The checks of a fastcgi section's values.  Each returns 0, or -1 with
 * the reason in err; pool_cb reports it with the value's line, and
 * collect_pool asks again, silently, which values to keep.  A listen
 * address has the forms of speedy-fcgi -l with a numeric host: a name
 * would have to be looked up, so check could wait for a name server and
 * still not know what the pool binds to when it starts.
 */

/*
 * True for an absolute path without empty, "." or ".." components: the
 * path speedy-fcgi runs is then the one the site's patterns were
 * checked against.
 */
static int
clean_path(const char *path)
{
	const char *p;
	size_t n;

	if (path[0] != '/')
		return 0;
	if (path[1] == '\0')
		return 1;
	for (p = path + 1;; p += n + 1) {
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		if (p[n] == '\0')
			return 1;
	}
}

/* Parses a TCP address "HOST:PORT", "[V6]:PORT" or ":PORT" into a. */
static int
parse_tcp(const char *v, struct laddr *a, char *err, size_t errlen)
{
	static const unsigned char zero[sizeof(a->addr)];
	const char *colon = strrchr(v, ':');
	char host[CONF_LISTEN_MAX];
	size_t n;
	int ok;

	if (colon == NULL ||
	    (v[0] == '[' && (colon == v || colon[-1] != ']'))) {
		(void)util_fmt(err, errlen, "fastcgi: listen: '%.200s' is "
		    "neither an absolute socket path nor HOST:PORT, "
		    "[IPV6]:PORT or :PORT", v);
		return -1;
	}
	if (util_parse_long(colon + 1, 1, 65535, &a->port) == -1) {
		(void)util_fmt(err, errlen, "fastcgi: listen: '%.200s': port "
		    "'%.20s' is not a number from 1 to 65535", v, colon + 1);
		return -1;
	}
	n = (size_t)(colon - v);
	memcpy(host, v, n);
	host[n] = '\0';
	a->family = AF_INET;
	if (n == 0)
		ok = 1;
	else if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
		host[n - 1] = '\0';
		a->family = AF_INET6;
		ok = inet_pton(AF_INET6, host + 1, a->addr) == 1;
		host[n - 1] = ']';
	} else
		ok = inet_pton(AF_INET, host, a->addr) == 1;
	if (!ok) {
		(void)util_fmt(err, errlen, "fastcgi: listen: '%.200s': "
		    "'%.100s' is not an IPv4 address or an IPv6 address in "
		    "brackets (host names are not resolved)", v, host);
		return -1;
	}
	/* An empty host, 0.0.0.0 and [::] are every address. */
	a->any = memcmp(a->addr, zero, sizeof(zero)) == 0;
	return 0;
}

/* Checks a listen address and parses it into a. */
static int
parse_listen(const char *v, struct laddr *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (strlen(v) >= CONF_LISTEN_MAX) {
		(void)util_fmt(err, errlen, "fastcgi: listen: an address is "
		    "longer than %d bytes", CONF_LISTEN_MAX - 1);
		return -1;
	}
	if (strchr(v, '/') == NULL)
		return parse_tcp(v, a, err, errlen);
	a->family = AF_UNIX;
	if (!clean_path(v) || v[1] == '\0') {
		(void)util_fmt(err, errlen, "fastcgi: listen: '%.200s': a Unix "
		    "socket must be an absolute path to a file, without empty, "
		    "'.' or '..' components", v);
		return -1;
	}
	return 0;
}

/*
 * True if two pools cannot both listen on a and b: the same socket file,
 * or the same port on the same address or on every address.
 */
static int
same_listen(const char *va, const char *vb)
{
	struct laddr a, b;
	char err[MSG_MAX / 2];

	if (parse_listen(va, &a, err, sizeof(err)) == -1 ||
	    parse_listen(vb, &b, err, sizeof(err)) == -1)
		return 0;
	if (a.family == AF_UNIX || b.family == AF_UNIX)
		return a.family == b.family && strcmp(va, vb) == 0;
	if (a.port != b.port)
		return 0;
	return a.any || b.any || (a.family == b.family &&
	    memcmp(a.addr, b.addr, sizeof(a.addr)) == 0);
}

/* True for a user or group name useradd and groupadd would take. */
static int
valid_user(const char *name)
{
	size_t n = strlen(name), ok;

	ok = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._-");
	if (ok + 1 == n && name[n - 1] == '$')
		ok++;	/* a Samba machine account */
	return n > 0 && n < CONF_USER_MAX && ok == n && name[0] != '-';
}

/* Checks value v of pool key k. */
static int
check_pool_value(int k, const char *v, char *err, size_t errlen)
{
	struct laddr a;
	long num;

	switch (k) {
	case PK_LISTEN:
		return parse_listen(v, &a, err, errlen);
	case PK_PROCESSES:
		if (util_parse_long(v, 1, CONF_FCGI_PROCESSES_MAX, &num) == 0)
			return 0;
		(void)util_fmt(err, errlen, "fastcgi: processes: '%.200s' is "
		    "not a number from 1 to %d", v, CONF_FCGI_PROCESSES_MAX);
		return -1;
	case PK_USER:
	case PK_GROUP:
		if (valid_user(v))
			return 0;
		(void)util_fmt(err, errlen, "fastcgi: %s: '%.200s' is not a "
		    "%s name", pool_keys[k], v, k == PK_USER ? "user" :
		    "group");
		return -1;
	case PK_MODE:
		if (v[0] != '\0' && strlen(v) <= 4 &&
		    strspn(v, "01234567") == strlen(v) &&
		    strtol(v, NULL, 8) <= 0777)
			return 0;
		(void)util_fmt(err, errlen, "fastcgi: listen_mode: '%.200s' is "
		    "not an octal mode from 0 to 0777", v);
		return -1;
	default:	/* script, root */
		if (strlen(v) >= PATH_MAX) {
			(void)util_fmt(err, errlen, "fastcgi: %s: a path is "
			    "longer than %d bytes", pool_keys[k], PATH_MAX - 1);
			return -1;
		}
		if (clean_path(v))
			return 0;
		(void)util_fmt(err, errlen, "fastcgi: %s: '%.200s' is not an "
		    "absolute path without empty, '.' or '..' components",
		    pool_keys[k], v);
		return -1;
	}
}

/* The pool key called name, or -1. */
static int
pool_key(const char *name)
{
	int k;

	for (k = 0; k < PK__COUNT; k++)
		if (strcmp(name, pool_keys[k]) == 0)
			return k;
	return -1;
}

/*
 * libconfuse's value callback for a fastcgi section, as value_cb: the
 * keys "user" and "group" of a pool are not those of a site.
 */
static int
pool_cb(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
	struct compile *cc = cur;
	const char *key = cfg_opt_name(opt);
	struct seclines *sl;
	char err[MSG_MAX / 2];
	int k;

	*(const char **)result = value;
	if (cc == NULL || key == NULL || (k = pool_key(key)) == -1)
		return 0;
	if (check_pool_value(k, value, err, sizeof(err)) == -1)
		report(cc, cc->file, sec->line, "%s", err);
	if ((sl = lines_of(cc, sec)) != NULL)
		sl->pline[k] = sec->line;
	return 0;
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
 * Our words for an unknown key name in a fastcgi section; NULL to keep
 * libconfuse's.  A socket's owner, group and mode have keys of their own
 * because a pool's "group" would read as the site's interpreter group,
 * and "user" as the user the pool runs as (its systemd unit's).
 */
static const char *
pool_hint(const char *name)
{
	if (strcmp(name, "user") == 0 || strcmp(name, "group") == 0 ||
	    strcmp(name, "mode") == 0)
		return "the socket's owner, group and mode are listen_user, "
		    "listen_group and listen_mode";
	if (is_key(name) || strcmp(name, "lock") == 0 ||
	    strcmp(name, "scripts") == 0)
		return "it belongs in the site, outside its fastcgi section";
	return NULL;
}

/*
 * libconfuse's error function.  Some of its messages get our words: a
 * duplicate site names both places, a value on the top level of a
 * sites.d file says where it belongs, and so does a key that is not one
 * of a fastcgi section's.  libconfuse passes untranslated formats:
 * speedy-admin never calls setlocale().
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
	    (strcmp(name, "scripts") == 0 || strcmp(name, "fastcgi") == 0)) {
		report(cc, cc->file, line, "%s must be inside a site section",
		    name);
		return;
	}
	if (unknown && name != NULL && cfg != NULL && cfg->name != NULL &&
	    strcmp(cfg->name, "fastcgi") == 0 && pool_hint(name) != NULL) {
		report(cc, cc->file, line, "fastcgi: no such option '%.100s' "
		    "(%s)", name, pool_hint(name));
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
 * option, scripts, lock, fastcgi), fastcgi sections, speedy.conf (every
 * option, lock, sites) and a sites.d file (sites only).  Values are
 * strings, so that "maxruns = 100" and "maxruns = \"100\"" are the same;
 * opt_set_value() reads them.  fastcgi is a multiple section only so
 * that a second one is seen (libconfuse would merge it into the first).
 */
static void
build_opts(cfg_opt_t *site, cfg_opt_t *pool, cfg_opt_t *global,
    cfg_opt_t *sitesd)
{
	int id, k, n = 0;

	for (k = 0; k < PK__COUNT; k++)
		pool[k] = (cfg_opt_t)CFG_STR_CB(pool_keys[k], 0,
		    CFGF_NODEFAULT, pool_cb);
	pool[k] = (cfg_opt_t)CFG_END();

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
	site[n + 2] = (cfg_opt_t)CFG_SEC("fastcgi", pool, CFGF_MULTI);
	site[n + 3] = (cfg_opt_t)CFG_END();
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

/*
 * The line of the j-th fastcgi keyword in the k-th site of the file being
 * read; fallback if the scanner did not see it.
 */
static int
fcgi_line(const struct compile *cc, int k, int j, int fallback)
{
	int i;

	for (i = 0; i < cc->nfcgiline; i++)
		if (cc->fcgiline[i].site == k && j-- == 0)
			return cc->fcgiline[i].line;
	return fallback;
}

/*
 * True if one of site b's patterns matches script, or, for a root, files
 * directly in it: a site's values reach a pool's scripts only through
 * its patterns, as they reach any script.  A root is covered by a
 * pattern whose directory part matches it (the root, a slash and a file
 * glob) or by a tree that holds it (the root or a directory above it, a
 * slash and "**").
 */
static int
site_covers(const struct snap_build *b, const char *path, int isroot)
{
	char probe[PATH_MAX + 2], dir[SNAP_PATMAX];
	const char *pat, *slash;
	size_t n;
	int i;

	(void)util_fmt(probe, sizeof(probe), "%s/x", strcmp(path, "/") == 0 ?
	    "" : path);
	for (i = 0; i < b->npatterns; i++) {
		pat = b->patterns[i];
		n = strlen(pat);
		if (!isroot) {
			if (snap_match(pat, path))
				return 1;
		} else if (n >= 3 && strcmp(pat + n - 3, "/**") == 0) {
			if (snap_match(pat, probe))
				return 1;
		} else if ((slash = strrchr(pat, '/')) != NULL &&
		    (size_t)(slash - pat) < sizeof(dir)) {
			/* A pattern "/NAME" is for the files in "/". */
			n = slash > pat ? (size_t)(slash - pat) : 1;
			memcpy(dir, pat, n);
			dir[n] = '\0';
			if (fnmatch(dir, path, FNM_PATHNAME) == 0)
				return 1;
		}
	}
	return 0;
}

/* The checks of a complete pool p, of site b, against b and other pools. */
static void
check_pool(struct compile *cc, const struct conf_fcgi *p,
    const struct snap_build *b, const struct seclines *sl)
{
	const int *pl = sl->pline;
	const struct conf_fcgi *o;
	int k, tcp = p->listen[0] != '\0' && strchr(p->listen, '/') == NULL;

	if (pl[PK_LISTEN] == 0)
		report(cc, cc->file, p->line, "fastcgi: listen is required");
	if (pl[PK_SCRIPT] != 0 && pl[PK_ROOT] != 0)
		report(cc, cc->file, pl[PK_SCRIPT] > pl[PK_ROOT] ?
		    pl[PK_SCRIPT] : pl[PK_ROOT], "fastcgi: script and root "
		    "exclude each other");
	else if (pl[PK_SCRIPT] == 0 && pl[PK_ROOT] == 0)
		report(cc, cc->file, p->line, "fastcgi: script or root is "
		    "required");
	for (k = PK_USER; k <= PK_MODE && tcp; k++)
		if (pl[k] != 0)
			report(cc, cc->file, pl[k], "fastcgi: %s applies to a "
			    "Unix socket, not to TCP address '%s'",
			    pool_keys[k], p->listen);
	if (p->script[0] != '\0' && !site_covers(b, p->script, 0))
		report(cc, cc->file, pl[PK_SCRIPT], "fastcgi: script '%.200s' "
		    "is not among the scripts of site \"%s\"", p->script,
		    p->site);
	if (p->root[0] != '\0' && !site_covers(b, p->root, 1))
		report(cc, cc->file, pl[PK_ROOT], "fastcgi: root '%.200s': no "
		    "pattern in the scripts of site \"%s\" applies to the "
		    "files in it", p->root, p->site);
	if (p->listen[0] == '\0')
		return;
	for (k = 0; k < cc->c->npools; k++) {
		o = &cc->c->pools[k];
		if (same_listen(p->listen, o->listen)) {
			report(cc, cc->file, pl[PK_LISTEN], "fastcgi: listen "
			    "address '%s' is also that of site \"%s\" at "
			    "%s:%d", p->listen, o->site, o->file, o->line);
			break;
		}
	}
}

/*
 * Stores value v, checked, of pool key k in p; the checks bound every
 * length, so nothing is cut.
 */
static void
pool_set(struct conf_fcgi *p, int k, const char *v)
{
	switch (k) {
	case PK_LISTEN:
		(void)util_strlcpy(p->listen, v, sizeof(p->listen));
		break;
	case PK_PROCESSES:
		p->processes = (int)strtol(v, NULL, 10);
		break;
	case PK_USER:
		(void)util_strlcpy(p->user, v, sizeof(p->user));
		break;
	case PK_GROUP:
		(void)util_strlcpy(p->group, v, sizeof(p->group));
		break;
	case PK_MODE:
		p->mode = (int)strtol(v, NULL, 8);
		break;
	case PK_SCRIPT:
		(void)util_strlcpy(p->script, v, sizeof(p->script));
		break;
	case PK_ROOT:
		(void)util_strlcpy(p->root, v, sizeof(p->root));
		break;
	}
}

/*
 * Adds the pool of the k-th site section of the file being read, site b,
 * if it has one; sec is the site's libconfuse section.
 */
static void
collect_pool(struct compile *cc, cfg_t *sec, int k,
    const struct snap_build *b)
{
	struct conf_fcgi *p, pool;
	struct seclines *sl;
	cfg_t *fsec;
	char err[MSG_MAX / 2];
	const char *v;
	unsigned n = cfg_size(sec, "fastcgi");
	int i;

	if (n == 0 || (fsec = cfg_getnsec(sec, "fastcgi", 0)) == NULL)
		return;
	memset(&pool, 0, sizeof(pool));
	/* Only a name reported as too long is cut. */
	(void)util_strlcpy(pool.site, b->name, sizeof(pool.site));
	(void)util_strlcpy(pool.file, cc->file, sizeof(pool.file));
	pool.line = fcgi_line(cc, k, 0, fsec->line);
	if (n > 1) {
		report(cc, cc->file, fcgi_line(cc, k, 1, sec->line), "site "
		    "\"%s\" has a second fastcgi section (the first is at "
		    "line %d)", b->name, pool.line);
		return;
	}
	if ((sl = lines_of(cc, fsec)) == NULL)
		return;
	pool.processes = CONF_FCGI_PROCESSES;
	pool.mode = -1;
	/* A bad value was reported as it was read; it stays unset. */
	for (i = 0; i < PK__COUNT; i++)
		if (cfg_size(fsec, pool_keys[i]) > 0 &&
		    (v = cfg_getstr(fsec, pool_keys[i])) != NULL &&
		    check_pool_value(i, v, err, sizeof(err)) == 0)
			pool_set(&pool, i, v);
	check_pool(cc, &pool, b, sl);
	if ((p = grow(cc->c->pools, cc->c->npools, &cc->c->poolcap,
	    sizeof(*p))) == NULL) {
		nomem(cc);
		return;
	}
	cc->c->pools = p;
	p[cc->c->npools++] = pool;
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
	collect_pool(cc, sec, k, b);
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
	cc->nfcgiline = 0;
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

/*
 * Reads the configuration in confdir into cc->c, which it empties first;
 * cc is set up but for the compile's state.
 */
static void
compile_dir(struct compile *cc, const char *confdir)
{
	cfg_opt_t site[OPT__COUNT + 4], pool[PK__COUNT + 1];
	cfg_opt_t global[OPT__COUNT + 3], sitesd[2];
	struct snap_build *g;
	struct stat st;
	char dir[PATH_MAX], path[PATH_MAX];
	size_t n;

	memset(cc->c, 0, sizeof(*cc->c));
	cur = cc;
	build_opts(site, pool, global, sitesd);
	/* "/etc/speedy/" names its files as "/etc/speedy" does. */
	n = strlen(confdir);
	while (n > 1 && confdir[n - 1] == '/')
		n--;
	if (n >= sizeof(dir) || util_fmt(path, sizeof(path), "%.*s/speedy.conf",
	    (int)n, confdir) == -1) {
		report(cc, confdir, 0, "path too long");
		goto done;
	}
	memcpy(dir, confdir, n);
	dir[n] = '\0';
	if (stat(dir, &st) == -1)
		report(cc, dir, 0, "%s", strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		report(cc, dir, 0, "not a directory");
	else if ((g = new_sect(cc)) != NULL &&
	    (g->file = keep_str(cc, path)) != NULL) {
		g->name = "";
		compile_file(cc, path, 1, global);
		compile_sitesd(cc, dir, sitesd);
	}
done:
	free(cc->siteline);
	free(cc->fcgiline);
	free(cc->sl);
	cur = NULL;
}

int
conf_compile(const char *confdir, struct conf *c,
    void (*errfn)(void *arg, const char *line), void *arg)
{
	struct compile cc;

	memset(&cc, 0, sizeof(cc));
	cc.c = c;
	cc.errfn = errfn;
	cc.arg = arg;
	compile_dir(&cc, confdir);
	return cc.nerr;
}

/*
 * Passes on the held errors about file (every one if file is NULL), and
 * frees them all; returns the number passed on.
 */
static int
release_held(struct compile *cc, const char *file)
{
	int i, n = 0;

	cc->hold = 0;
	for (i = 0; i < cc->nheld; i++) {
		if (file == NULL || cc->held[i].file == NULL ||
		    strcmp(cc->held[i].file, file) == 0) {
			cc->errfn(cc->arg, cc->held[i].text);
			n++;
		}
		free(cc->held[i].file);
		free(cc->held[i].text);
	}
	free(cc->held);
	cc->held = NULL;
	cc->nheld = 0;
	if (cc->heldlost) {
		report(cc, NULL, 0, "out of memory");
		n++;
	}
	return n;
}

int
conf_fcgi_pool(const char *confdir, const char *site, struct conf_fcgi *out,
    void (*errfn)(void *arg, const char *line), void *arg)
{
	const struct snap_build *b;
	const struct conf_fcgi *p = NULL;
	struct compile cc;
	struct conf c;
	int i, rc = -1;

	memset(&cc, 0, sizeof(cc));
	cc.c = &c;
	cc.errfn = errfn;
	cc.arg = arg;
	cc.hold = 1;
	compile_dir(&cc, confdir);
	for (i = 0; i < c.npools && p == NULL; i++)
		if (strcmp(c.pools[i].site, site) == 0)
			p = &c.pools[i];
	if ((b = find_site(&c, site)) == NULL) {
		(void)release_held(&cc, NULL);
		report(&cc, confdir, 0, "no site \"%.100s\" is defined", site);
	} else if (release_held(&cc, b->file) == 0) {
		/* With errors in its file, the pool may not be as written. */
		if (p == NULL)
			report(&cc, b->file, b->line, "site \"%s\" has no "
			    "fastcgi section", b->name);
		else {
			*out = *p;
			rc = 0;
		}
	}
	conf_free(&c);
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nmem; i++)
		free(c->mem[i]);
	free(c->mem);
	free(c->sects);
	free(c->pools);
	memset(c, 0, sizeof(*c));
}
