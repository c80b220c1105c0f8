/*
 * sf.h: speedy-fcgi, the FastCGI server.  A master process listens and
 * keeps -n worker processes; each worker accepts connections and relays
 * one request at a time between the web server and an ordinary speedy
 * backend, which it gets from the pool exactly as the speedy frontend
 * does (src/frontend/fe_*.c).  So the backends are the same processes, in
 * the same queue file, under the same options, and speedy-admin sees and
 * drains them.
 *
 * Why a relay and not perl speaking FastCGI itself (as FCGI.pm does):
 * the script keeps real pipes on descriptors 0-2, so everything the core
 * does for CGI (exit, die, DATA, system() and exec'd helpers writing into
 * the response, per-request limits) applies unchanged, and the backend
 * needs no second request path.  The price is one copy of the output
 * through the worker, measured in bench/fcgi.
 */
#ifndef SPEEDY_SF_H
#define SPEEDY_SF_H

#include <sys/types.h>

#include <limits.h>
#include <signal.h>

#include "fe.h"
#include "opt.h"

#define SF_EXIT_FAIL	1
#define SF_EXIT_USAGE	2

/* What the command line (or a site's pool) asks for. */
struct sf_config {
	const char	*listen;	/* address; NULL: inherited socket */
	int		 nproc;		/* worker processes */
	int		 daemonize;
	const char	*pidfile;
	const char	*user, *group;	/* Unix socket owner, or NULL */
	long		 mode;		/* Unix socket mode, -1 default */
	const char	*root;		/* dispatcher mode: scripts under it */
	char		 rootabs[PATH_MAX];	/* absolute, as written */
	char		 rootreal[PATH_MAX];	/* symbolic links resolved */
	const char	*script;	/* single mode: the one script */
	struct opt_cmdline cl;		/* perl switches, speedy options */
};

/* The listening socket. */
struct sf_listener {
	int		 fd;
	int		 unix_path;	/* 1 if path is ours to unlink */
	char		 path[108];
};

/*
 * Opens the listening socket of cfg (or takes over the inherited one).
 * Returns 0, or -1 with a message.
 */
int	sf_listen(const struct sf_config *cfg, struct sf_listener *l,
	    char *msg, size_t msglen);

/* Removes the socket file, if we made it. */
void	sf_unlisten(struct sf_listener *l);

/* Set by the signal handlers; the loops look at them. */
extern volatile sig_atomic_t sf_got_hup, sf_got_term;

/* Logs one line, to stderr or (daemonized) to syslog. */
void	sf_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A worker's life: serves connections on lfd until told to stop, then
 * drains the backends it used and exits.
 */
void	sf_worker(const struct sf_config *cfg, int lfd)
	    __attribute__((noreturn));

/*
 * The script a request runs, with its options resolved: in single mode
 * cfg->script, in dispatcher mode the request's SCRIPT_FILENAME, which
 * must be a regular file under cfg->rootreal.  Returns 0 with *req ready
 * (valid until the next call), or an HTTP status (403, 404, 500) with the
 * reason in msg.  env is the request's environment.
 */
int	sf_script(const struct sf_config *cfg, char *const *env,
	    struct fe_request **req, char *msg, size_t msglen);

#endif
