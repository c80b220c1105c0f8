/*
 * opt.h: the one option table and the parsers that read it.
 *
 * Every place that names a speedy option (the command line, the script's
 * "#!" line, SPEEDY_* environment variables, CGI::SpeedyCGI's getopt and
 * setopt, the man page and the README table) goes through opt_table[], so
 * they cannot disagree.  This module never prints and never exits: parsers
 * fill a caller-supplied error buffer and return -1.
 */
#ifndef SPEEDY_OPT_H
#define SPEEDY_OPT_H

#include <stddef.h>

enum opt_id {
	OPT_BACKENDPROG,
	OPT_BUFSIZGET,
	OPT_BUFSIZPOST,
	OPT_CHECKMODULES,
	OPT_GROUP,
	OPT_MAXBACKENDS,
	OPT_MAXRSS,
	OPT_MAXRUNS,
	OPT_PERLARGS,
	OPT_REQUESTTIMEOUT,
	OPT_TIMEOUT,
	OPT_TMPBASE,
	OPT_VERSION,
	OPT__COUNT
};

enum opt_type {
	OPT_T_INT,	/* a decimal number between min and max */
	OPT_T_STR,	/* a string of at most max bytes */
	OPT_T_FLAG	/* takes no value (Version) */
};

/* Where an option may be set. */
#define OPT_CTX_ARGV	0x01	/* speedy's command line and the #! line */
#define OPT_CTX_ENV	0x02	/* SPEEDY_<NAME> */
#define OPT_CTX_SETOPT	0x04	/* CGI::SpeedyCGI->setopt in a running script */
#define OPT_CTX_CONF	0x08	/* /etc/speedy: speedy.conf and sites.d */

/* Longest value accepted for a string option. */
#define OPT_STR_MAX	1024
/* Group names: only this many leading characters are significant. */
#define OPT_GROUP_SIG	12

struct opt_def {
	const char	*name;		/* canonical name, e.g. "Timeout" */
	char		 letter;	/* command-line letter, 0 if none */
	enum opt_type	 type;
	const char	*defval;	/* default as text ("" for none) */
	long		 min, max;	/* OPT_T_INT range; OPT_T_STR max length */
	unsigned	 ctx;		/* OPT_CTX_* */
	const char	*argname;	/* placeholder in usage and man page */
	const char	*help;		/* one sentence for the man page */
};

extern const struct opt_def opt_table[OPT__COUNT];

/*
 * A set of option values.  Strings point into memory the caller keeps alive
 * (argv, environ, a script's first-line buffer, or static defaults);
 * opt_set_str() in the backend duplicates them instead.  isset[] records
 * which values this set supplies when it is merged over another.
 */
struct opt_set {
	long		 num[OPT__COUNT];
	const char	*str[OPT__COUNT];
	unsigned char	 isset[OPT__COUNT];
};

/* Perl switches collected from the #! line and the command line. */
#define OPT_MAX_PERLSW	64
struct opt_perlsw {
	int		 n;
	const char	*sw[OPT_MAX_PERLSW];
};

/*
 * The result of parsing a speedy-style command line:
 *     [perl switches] [-- speedy options] script [args...]
 */
struct opt_cmdline {
	struct opt_set		opts;	/* only the isset[] values */
	struct opt_perlsw	perl;
	int			script_ix;	/* index of the script in argv, -1 if none */
	char		      **argv;		/* the (possibly re-split) arguments */
	int			argc;
};

/* Fills set with the built-in defaults; backendprog is the BackendProg default. */
void	opt_defaults(struct opt_set *set, const char *backendprog);

/* Looks an option up by name, case-insensitively; returns -1 if unknown. */
int	opt_lookup(const char *name);

/*
 * The option's key in the configuration files: its name in lower case
 * ("maxruns"), the same name getopt/setopt and SPEEDY_* use.
 */
const char *opt_confname(int id, char *buf, size_t buflen);

/*
 * Parses and range-checks text as the value of option id and stores it in
 * set.  Returns 0, or -1 with a message in err naming the problem.
 */
int	opt_set_value(struct opt_set *set, int id, const char *text,
	    char *err, size_t errlen);

/* Copies every value src supplies (isset) into dst. */
void	opt_merge(struct opt_set *dst, const struct opt_set *src);

/*
 * Reads SPEEDY_<NAME> variables from envp into set.  Returns 0 or -1 with
 * err naming the variable.
 */
int	opt_parse_env(struct opt_set *set, char *const *envp,
	    char *err, size_t errlen);

/*
 * Parses argv (argv[0] is the program name) as
 *     [perl switches] [-- speedy options] script [args...]
 * With OPT_SPLIT in flags, an argument before the script that starts with
 * '-' and holds white space is split on white space first, because the
 * kernel passes everything after the interpreter on a "#!" line as one
 * argument (the frontend wants this; the backend, whose arguments come
 * from the frontend one value each, must not).  Split words are written
 * into work, an array of at least worklen pointers, and cl->argv points to
 * it; the words point into strings that are modified in place.
 * OPT_NEED_SCRIPT makes a missing script an error.
 * Returns 0, or -1 with a message in err.
 */
#define OPT_NEED_SCRIPT	0x01
#define OPT_SPLIT	0x02
int	opt_parse_cmdline(struct opt_cmdline *cl, int argc, char **argv,
	    char **work, int worklen, int flags, char *err, size_t errlen);

/*
 * Parses the text after "#!interpreter" on a script's first line (line
 * holds the whole line without its newline, and is modified in place) into
 * perl switches and speedy options.  A line whose interpreter is not
 * speedy-like ("perl" or "speedy" in its name) yields nothing.  Returns 0, or
 * -1 with a message in err.
 */
int	opt_parse_shebang(struct opt_cmdline *cl, char *line, char *err,
	    size_t errlen);

/*
 * Checks one perl switch ("-w", "-Ilib", "-MPOSIX=floor", ...).  Switches
 * that change how perl reads or loops over the main program (-e, -n, -p,
 * -i, -x, ...) mean nothing for a script compiled once and are refused.
 * Returns 0 or -1 with err set.
 */
int	opt_check_perlsw(const char *sw, char *err, size_t errlen);

/* Formats the value of option id in set as text into buf. */
const char *opt_format(const struct opt_set *set, int id, char *buf,
	    size_t buflen);

/* Returns the environment variable name for id ("SPEEDY_TIMEOUT"). */
const char *opt_envname(int id, char *buf, size_t buflen);

/* Splits a PerlArgs value in place on white space, appending to perl. */
int	opt_split_perlargs(struct opt_perlsw *perl, char *text, char *err,
	    size_t errlen);

#endif
