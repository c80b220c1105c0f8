/*
 * conf.h: the configuration compiler, speedy-admin's reader of /etc/speedy
 * (and speedy-fcgi's, for its pool).
 *
 * CONFDIR/speedy.conf holds global values, global locks and sites;
 * CONFDIR/sites.d/NAME.conf (in C-locale order) holds only sites.  A site
 * names the scripts it applies to with absolute path patterns and sets
 * and locks options for them.  conf_compile() reads all of it with
 * libconfuse, checks every value with the option table's validator
 * (opt_set_value, as the command line and the environment are checked)
 * and yields the sections of a snapshot, ready for snap_write().  Like
 * every library module it never prints and never exits: each problem is
 * handed to the caller as one line "FILE:LINE: message" (or "FILE:
 * message" when no line applies), FILE being the path as opened.
 *
 * A site may also declare a FastCGI pool, a "fastcgi" section inside it:
 * the address speedy-fcgi listens on, its number of processes, the
 * socket's owner, group and mode, and the one script it serves or the
 * directory it dispatches in.  conf_compile() checks pools with
 * everything else; the snapshot does not hold them: speedy-fcgi reads its
 * pool with conf_fcgi_pool() when it starts.
 */
#ifndef SPEEDY_CONF_H
#define SPEEDY_CONF_H

#include <limits.h>
#include <stddef.h>

#include "snap.h"

/* Longest site name; names are letters, digits, '.', '_' and '-'. */
#define CONF_NAME_MAX	64
/* Largest configuration file read, in bytes. */
#define CONF_FILE_MAX	(1 << 20)
/* Longest listen address, with its NUL: sizeof(sun_path) on Linux. */
#define CONF_LISTEN_MAX	108
/* Longest user or group name of a socket, with its NUL (useradd's 32). */
#define CONF_USER_MAX	33
/* A pool's processes: the default and the largest number. */
#define CONF_FCGI_PROCESSES	4
#define CONF_FCGI_PROCESSES_MAX	1024

/*
 * A site's FastCGI pool: what speedy-fcgi --site NAME runs as if given
 * -l listen -n processes [--user user] [--group group] [--mode mode] and
 * either script or --root root.  listen is an absolute Unix socket path
 * or HOST:PORT, [IPV6]:PORT or :PORT with a numeric host; user, group
 * and mode are given only with a Unix socket.  script and root are
 * absolute paths without ".", ".." or empty components, and exactly one
 * is set.  The strings are copies, so that a pool outlives the compile
 * it came from; "" is a value not set.
 */
struct conf_fcgi {
	char	site[CONF_NAME_MAX + 1];
	char	file[PATH_MAX];		/* where the fastcgi section is */
	int	line;
	char	listen[CONF_LISTEN_MAX];
	int	processes;		/* 1 to CONF_FCGI_PROCESSES_MAX */
	char	user[CONF_USER_MAX];	/* the socket's owner, or "" */
	char	group[CONF_USER_MAX];	/* its group, or "" */
	int	mode;			/* its mode (0 to 0777), or -1 */
	char	script[PATH_MAX];
	char	root[PATH_MAX];
};

/* A compiled configuration. */
struct conf {
	struct snap_build	*sects;	/* [0]: speedy.conf's globals */
	int			 nsects;	/* 1 + the number of sites */
	struct conf_fcgi	*pools;		/* the sites' pools, in order */
	int			 npools;
	/* Private: room for sections, every allocation they point into. */
	int			 sectcap, poolcap;
	void			**mem;
	size_t			 nmem, memcap;
};

/*
 * Reads the configuration in confdir into c, which the caller must
 * release with conf_free() whatever the result.  Each error is passed to
 * errfn (with arg) as one line without a newline; every file is read and
 * every error reported, except that a syntax error ends the reading of
 * its file (libconfuse stops there).  Returns the number of errors: 0
 * means c->sects holds c->nsects sections for snap_write() and c->pools
 * the sites' c->npools pools; otherwise c is incomplete and must not be
 * written.  A missing speedy.conf or sites.d is no error; a missing
 * confdir is.
 *
 * Not reentrant: libconfuse's callbacks take no argument of ours, so the
 * compile in progress is kept in a file-static pointer.
 */
int	conf_compile(const char *confdir, struct conf *c,
	    void (*errfn)(void *arg, const char *line), void *arg);

/* Frees what conf_compile() allocated; c is then empty. */
void	conf_free(struct conf *c);

/*
 * Reads the FastCGI pool of site from the configuration in confdir into
 * out, for speedy-fcgi --site.  Returns 0; or -1 after passing each
 * reason to errfn (as conf_compile() does): no such site, a site without
 * a fastcgi section, or errors in the file that defines the site.  Errors
 * in other files are not reported and do not matter: one site's mistake
 * must not keep the pools of the others from starting (speedy-admin check
 * reports them all).  When the site is not found, every error is
 * reported, since one of them may be why.  Not reentrant either.
 */
int	conf_fcgi_pool(const char *confdir, const char *site,
	    struct conf_fcgi *out, void (*errfn)(void *arg, const char *line),
	    void *arg);

#endif
