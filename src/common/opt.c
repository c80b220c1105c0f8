/*
 * opt.c: the option table and its parsers (see opt.h).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opt.h"
#include "util.h"

#define CTX_ALL		(OPT_CTX_ARGV | OPT_CTX_ENV | OPT_CTX_SETOPT | \
			    OPT_CTX_CONF)
#define CTX_START	(OPT_CTX_ARGV | OPT_CTX_ENV | OPT_CTX_CONF)

/*
 * The table.  Order is the enum's order (alphabetical, as SpeedyCGI 2.22
 * documents them).  Defaults and letters are SpeedyCGI 2.22's.
 */
const struct opt_def opt_table[OPT__COUNT] = {
	[OPT_BACKENDPROG] = { "BackendProg", 'p', OPT_T_STR, NULL, 0, 1023,
	    CTX_START, "path",
	    "Path of the backend program that runs the perl interpreter." },
	[OPT_BUFSIZGET] = { "BufsizGet", 'B', OPT_T_INT, "131072", 0, 1L << 30,
	    CTX_ALL, "bytes",
	    "Output the backend may leave in the pipe to the web server "
	    "without waiting for it to be read." },
	[OPT_BUFSIZPOST] = { "BufsizPost", 'b', OPT_T_INT, "131072", 0, 1L << 30,
	    CTX_ALL, "bytes",
	    "Request body the web server may write ahead of the script "
	    "reading it." },
	[OPT_CHECKMODULES] = { "CheckModules", 'c', OPT_T_INT, "0", 0,
	    INT_MAX / 1000, CTX_ALL, "seconds",
	    "Check at most this often whether a file in %INC changed on disk; "
	    "a backend that finds one finishes its request and retires, and "
	    "so do its parent and the idle backends of its script, so that "
	    "the next request compiles afresh; 0 for never." },
	[OPT_GROUP] = { "Group", 'g', OPT_T_STR, "none", 0, 255,
	    CTX_START, "name",
	    "Scripts of the same named group share interpreters, each script "
	    "compiled into its own package; \"none\" gives every script its "
	    "own; -g alone means \"default\"; only the first 12 characters "
	    "count." },
	[OPT_MAXBACKENDS] = { "MaxBackends", 'M', OPT_T_INT, "0", 0, 100000,
	    CTX_ALL, "number",
	    "Most backends to run at once for a script (for a named group: "
	    "for the group), 0 for no limit; further requests wait and are "
	    "served in arrival order." },
	[OPT_MAXRSS] = { "MaxRSS", 'm', OPT_T_INT, "0", 0, 1L << 30,
	    CTX_ALL, "megabytes",
	    "A backend whose resident size exceeds this many megabytes after "
	    "a request is replaced by a fresh one, 0 for no limit." },
	[OPT_MAXRUNS] = { "MaxRuns", 'r', OPT_T_INT, "500", 0, INT_MAX,
	    CTX_ALL, "number",
	    "Requests a backend serves before it is replaced by a fresh one, "
	    "0 for no limit." },
	[OPT_PERLARGS] = { "PerlArgs", 0, OPT_T_STR, "", 0, 1023,
	    OPT_CTX_ENV | OPT_CTX_CONF, "switches",
	    "Perl switches added to those on the command line and the "
	    "#! line." },
	[OPT_REQUESTTIMEOUT] = { "RequestTimeout", 'R', OPT_T_INT, "0", 0,
	    INT_MAX / 1000, CTX_START, "seconds",
	    "Seconds a request may run; a request running longer is ended, "
	    "its backend replaced, and speedy exits with status 1; 0 for no "
	    "limit." },
	[OPT_TIMEOUT] = { "Timeout", 't', OPT_T_INT, "3600", 0, INT_MAX / 1000,
	    CTX_ALL, "seconds",
	    "Seconds an idle backend waits for a request before it exits, "
	    "0 for never." },
	[OPT_TMPBASE] = { "TmpBase", 'T', OPT_T_STR, "/tmp/speedy", 1, 80,
	    CTX_START, "path",
	    "Prefix of the per-user directory that holds the queue file and "
	    "the backends' sockets." },
	[OPT_VERSION] = { "Version", 'v', OPT_T_FLAG, "0", 0, 1,
	    OPT_CTX_ARGV, NULL,
	    "Print the version and exit." },
};

void
opt_defaults(struct opt_set *set, const char *backendprog)
{
	char err[8];
	int i;

	memset(set, 0, sizeof(*set));
	for (i = 0; i < OPT__COUNT; i++) {
		if (opt_table[i].defval == NULL)
			continue;
		/* The table's defaults are valid by construction. */
		(void)opt_set_value(set, i, opt_table[i].defval, err, sizeof(err));
	}
	set->str[OPT_BACKENDPROG] = backendprog;
	memset(set->isset, 0, sizeof(set->isset));
}

int
opt_lookup(const char *name)
{
	int i;

	for (i = 0; i < OPT__COUNT; i++)
		if (strcasecmp(name, opt_table[i].name) == 0)
			return i;
	return -1;
}

int
opt_set_value(struct opt_set *set, int id, const char *text, char *err,
    size_t errlen)
{
	const struct opt_def *d = &opt_table[id];
	long v;

	switch (d->type) {
	case OPT_T_INT:
		if (util_parse_long(text, d->min, d->max, &v) == -1) {
			util_fmt(err, errlen, "%s: '%s' is not a number from "
			    "%ld to %ld", d->name, text, d->min, d->max);
			return -1;
		}
		set->num[id] = v;
		break;
	case OPT_T_STR:
		if ((long)strlen(text) > d->max || (long)strlen(text) < d->min) {
			util_fmt(err, errlen, "%s: value must be %ld to %ld "
			    "bytes long", d->name, d->min, d->max);
			return -1;
		}
		set->str[id] = text;
		break;
	case OPT_T_FLAG:
		/* "0" is the table's default; given on a command line it is "". */
		set->num[id] = strcmp(text, "0") != 0;
		break;
	}
	set->isset[id] = 1;
	return 0;
}

void
opt_merge(struct opt_set *dst, const struct opt_set *src)
{
	int i;

	for (i = 0; i < OPT__COUNT; i++) {
		if (!src->isset[i])
			continue;
		dst->num[i] = src->num[i];
		dst->str[i] = src->str[i];
		dst->isset[i] = 1;
	}
}

const char *
opt_confname(int id, char *buf, size_t buflen)
{
	size_t i;

	(void)util_strlcpy(buf, opt_table[id].name, buflen);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return buf;
}

const char *
opt_envname(int id, char *buf, size_t buflen)
{
	size_t i, n;

	n = (size_t)snprintf(buf, buflen, "SPEEDY_%s", opt_table[id].name);
	for (i = 0; i < n && i < buflen; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	return buf;
}

int
opt_parse_env(struct opt_set *set, char *const *envp, char *err,
    size_t errlen)
{
	char name[64], sub[256];
	const char *e, *eq;
	int id;

	/* One pass over the environment instead of a getenv per option. */
	for (; *envp != NULL; envp++) {
		e = *envp;
		if (strncmp(e, "SPEEDY_", 7) != 0 || (eq = strchr(e, '=')) == NULL)
			continue;
		if ((size_t)(eq - e - 7) >= sizeof(name))
			continue;
		memcpy(name, e + 7, (size_t)(eq - e - 7));
		name[eq - e - 7] = '\0';
		if ((id = opt_lookup(name)) == -1 ||
		    !(opt_table[id].ctx & OPT_CTX_ENV))
			continue;	/* SPEEDY_CONFDIR and the like */
		if (opt_set_value(set, id, eq + 1, sub, sizeof(sub)) == -1) {
			util_fmt(err, errlen, "%s: %s", opt_envname(id, name,
			    sizeof(name)), sub);
			return -1;
		}
	}
	return 0;
}

int
opt_check_perlsw(const char *sw, char *err, size_t errlen)
{
	const char *s;

	if (sw[0] != '-' || sw[1] == '\0') {
		util_fmt(err, errlen, "'%s' is not a perl switch", sw);
		return -1;
	}
	for (s = sw + 1; *s != '\0'; s++) {
		switch (*s) {
		case 'w': case 'W': case 'X': case 'T': case 't': case 'U':
			continue;
		case 'I': case 'M': case 'm':
			if (s[1] == '\0') {
				util_fmt(err, errlen, "perl switch -%c needs "
				    "an argument", *s);
				return -1;
			}
			return 0;	/* the rest is the argument */
		case 'C':
			return 0;	/* -C takes optional flags */
		default:
			util_fmt(err, errlen, "perl switch -%c is not "
			    "supported for persistent scripts", *s);
			return -1;
		}
	}
	return 0;
}

/* Stores one perl switch, joining "-I dir" into one word. */
static int
add_perlsw(struct opt_perlsw *perl, const char *sw, char *err, size_t errlen)
{
	if (opt_check_perlsw(sw, err, errlen) == -1)
		return -1;
	if (perl->n >= OPT_MAX_PERLSW) {
		util_fmt(err, errlen, "too many perl switches (at most %d)",
		    OPT_MAX_PERLSW);
		return -1;
	}
	perl->sw[perl->n++] = sw;
	return 0;
}

int
opt_split_perlargs(struct opt_perlsw *perl, char *text, char *err,
    size_t errlen)
{
	char *w, *save = NULL;

	for (w = strtok_r(text, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save))
		if (add_perlsw(perl, w, err, errlen) == -1)
			return -1;
	return 0;
}

/* Finds the table entry for a command-line letter. */
static int
lookup_letter(char c)
{
	int i;

	for (i = 0; i < OPT__COUNT; i++)
		if (opt_table[i].letter == c && (opt_table[i].ctx & OPT_CTX_ARGV))
			return i;
	return -1;
}

/*
 * Parses one speedy option at words[*i] ("-t300", "-t 300", "-g",
 * "-gname", "-v").  Advances *i past any separate value.
 */
static int
parse_speedy_opt(struct opt_set *set, char **words, int n, int *i, char *err,
    size_t errlen)
{
	char sub[256];
	const char *w = words[*i], *val;
	int id;

	if ((id = lookup_letter(w[1])) == -1) {
		util_fmt(err, errlen, "unknown option %s", w);
		return -1;
	}
	val = w + 2;
	if (opt_table[id].type == OPT_T_FLAG) {
		if (*val != '\0') {
			util_fmt(err, errlen, "option -%c takes no value", w[1]);
			return -1;
		}
	} else if (id == OPT_GROUP && *val == '\0') {
		/* SpeedyCGI: "-g" with no name means the group "default". */
		val = "default";
	} else if (*val == '\0') {
		if (*i + 1 >= n) {
			util_fmt(err, errlen, "option -%c needs a value", w[1]);
			return -1;
		}
		val = words[++*i];
	}
	if (opt_set_value(set, id, val, sub, sizeof(sub)) == -1) {
		util_fmt(err, errlen, "option -%c: %s", w[1], sub);
		return -1;
	}
	return 0;
}

/* True if a word is made of white-space separated parts. */
static int
has_space(const char *s)
{
	return strpbrk(s, " \t") != NULL;
}

/*
 * Replaces words[i] by its white-space separated parts, shifting the rest
 * of the n words right.  Returns the new count or -1 if cap is too small.
 */
static int
split_in_place(char **words, int n, int cap, int i)
{
	char *parts[OPT_MAX_PERLSW], *p, *save = NULL;
	int k, np = 0;

	for (p = strtok_r(words[i], " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if (np == OPT_MAX_PERLSW)
			return -1;
		parts[np++] = p;
	}
	if (n - 1 + np > cap)
		return -1;
	memmove(&words[i + np], &words[i + 1], (size_t)(n - i - 1) * sizeof(*words));
	for (k = 0; k < np; k++)
		words[i + k] = parts[k];
	return n - 1 + np;
}

/*
 * The shared engine: [perl switches] [-- speedy options [--]] [script ...].
 * Sets cl->script_ix to the first word that is not an option, or -1.
 */
static int
parse_words(struct opt_cmdline *cl, char **words, int n, int cap, int split,
    char *err, size_t errlen)
{
	int i = 0, speedy = 0;

	cl->script_ix = -1;
	while (i < n) {
		if (split && words[i][0] == '-' && has_space(words[i])) {
			if ((n = split_in_place(words, n, cap, i)) == -1) {
				util_fmt(err, errlen, "too many words in the "
				    "options");
				return -1;
			}
			if (i >= n)
				break;
			continue;
		}
		if (words[i][0] != '-' || words[i][1] == '\0')
			break;
		if (strcmp(words[i], "--") == 0) {
			if (speedy++) {
				i++;
				break;	/* "--" ends the speedy options */
			}
		} else if (speedy) {
			if (parse_speedy_opt(&cl->opts, words, n, &i, err,
			    errlen) == -1)
				return -1;
		} else if (strcmp(words[i], "-I") == 0 && i + 1 < n) {
			/* perl accepts "-I dir" as two words; keep them so. */
			if (cl->perl.n + 2 > OPT_MAX_PERLSW) {
				util_fmt(err, errlen, "too many perl switches");
				return -1;
			}
			cl->perl.sw[cl->perl.n++] = words[i++];
			cl->perl.sw[cl->perl.n++] = words[i];
		} else if (add_perlsw(&cl->perl, words[i], err, errlen) == -1)
			return -1;
		i++;
	}
	if (i < n)
		cl->script_ix = i;
	cl->argv = words;
	cl->argc = n;
	return 0;
}

int
opt_parse_cmdline(struct opt_cmdline *cl, int argc, char **argv, char **work,
    int worklen, int flags, char *err, size_t errlen)
{
	int n = argc - 1;

	memset(cl, 0, sizeof(*cl));
	if (n > worklen) {
		util_fmt(err, errlen, "too many arguments");
		return -1;
	}
	if (n > 0)
		memcpy(work, argv + 1, (size_t)n * sizeof(*work));
	if (parse_words(cl, work, n, worklen, (flags & OPT_SPLIT) != 0, err,
	    errlen) == -1)
		return -1;
	if ((flags & OPT_NEED_SCRIPT) && cl->script_ix == -1 &&
	    !cl->opts.num[OPT_VERSION]) {
		util_fmt(err, errlen, "no script given");
		return -1;
	}
	return 0;
}

/* True if the interpreter named by path is one whose switches we honour. */
static int
is_our_interpreter(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	return strstr(base, "speedy") != NULL || strstr(base, "perl") != NULL;
}

int
opt_parse_shebang(struct opt_cmdline *cl, char *line, char *err,
    size_t errlen)
{
	static char *words[OPT_MAX_PERLSW + 2];
	char *p, *save = NULL, *interp;
	int n = 0;

	memset(cl, 0, sizeof(*cl));
	cl->script_ix = -1;
	if (strncmp(line, "#!", 2) != 0)
		return 0;
	if ((interp = strtok_r(line + 2, " \t\r", &save)) == NULL)
		return 0;
	/* "#!/usr/bin/env speedy -w": the interpreter is env's argument. */
	if (strcmp(interp, "/usr/bin/env") == 0 || strcmp(interp, "/bin/env") == 0)
		if ((interp = strtok_r(NULL, " \t\r", &save)) == NULL)
			return 0;
	if (!is_our_interpreter(interp))
		return 0;
	while ((p = strtok_r(NULL, " \t\r", &save)) != NULL) {
		if (n == (int)(sizeof(words) / sizeof(words[0]))) {
			util_fmt(err, errlen, "#! line: too many words");
			return -1;
		}
		words[n++] = p;
	}
	if (parse_words(cl, words, n, n, 0, err, errlen) == -1) {
		char sub[256];

		util_strlcpy(sub, err, sizeof(sub));
		util_fmt(err, errlen, "#! line: %s", sub);
		return -1;
	}
	if (cl->script_ix != -1) {
		util_fmt(err, errlen, "#! line: unexpected '%s'",
		    words[cl->script_ix]);
		return -1;
	}
	return 0;
}

const char *
opt_format(const struct opt_set *set, int id, char *buf, size_t buflen)
{
	if (opt_table[id].type == OPT_T_STR)
		util_strlcpy(buf, set->str[id] != NULL ? set->str[id] : "",
		    buflen);
	else
		snprintf(buf, buflen, "%ld", set->num[id]);
	return buf;
}
