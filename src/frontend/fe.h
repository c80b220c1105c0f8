/*
 * fe.h: the frontend's request path.  speedy runs it once per process;
 * speedy-fcgi's workers run it for every FastCGI request, so nothing here
 * prints or exits: each function returns an error with a one-line message
 * and the program decides.  speedy.c and fe_run() are the only callers
 * that exit.
 */
#ifndef SPEEDY_FE_H
#define SPEEDY_FE_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>

#include "opt.h"
#include "queue.h"

/* Exit statuses of speedy's own failures (the script's status otherwise). */
#define FE_EXIT_USAGE	2	/* bad option or value: nothing was started */
#define FE_EXIT_FAIL	1	/* no backend could run the script */

#define FE_SHEBANG_MAX	1024	/* bytes of a script's first line we look at */

/* Everything the frontend resolved before looking for a backend. */
struct fe_request {
	struct opt_set		 opts;		/* final option values */
	struct opt_perlsw	 perl;		/* perl switches, in order */
	char			 script[PATH_MAX];	/* absolute path */
	const char		*argv0;		/* script as given ($0) */
	char		       **args;		/* the script's arguments */
	char		       **env;
	struct queue_key	 key;
};

/*
 * Opens the script at the absolute path req->script, reads its first line
 * into line (NUL-terminated, without the newline) and its identity into
 * req->key.  Missing or unreadable scripts fail here, before any backend
 * is involved.  Returns 0, or FE_EXIT_FAIL with a message in msg.
 */
int	fe_read_script(struct fe_request *req, char *line, size_t linelen,
	    char *msg, size_t msglen);

/*
 * The options of this request: built-in defaults < the configuration
 * snapshot (global values, then the sites whose patterns match
 * req->script) < SPEEDY_* in env < shebang < cmdline, the
 * configuration's locked values over all of them; then PerlArgs and the
 * perl switches of shebang_perl and cmdline_perl (either may be NULL) in
 * req->perl, and the group and path hash of req->key.  String values may
 * point into static storage that the next call reuses.  Returns 0, or
 * FE_EXIT_USAGE / FE_EXIT_FAIL with a message.
 */
int	fe_resolve(struct fe_request *req, char *const *env,
	    const struct opt_set *shebang, const struct opt_perlsw *shebang_perl,
	    const struct opt_set *cmdline, const struct opt_perlsw *cmdline_perl,
	    char *msg, size_t msglen);

/* The configuration snapshot: $SPEEDY_SNAPSHOT or the built-in path. */
const char *fe_snapshot_path(void);

/*
 * Finds an idle backend, or the parent that forks one, or starts a new
 * parent (waiting while MaxBackends are busy); returns the control socket
 * to send the request on, or -1 with a message.
 */
int	fe_backend_get(struct fe_request *req, char *msg, size_t msglen);

/*
 * Frees what this process reserved in req's queue file and no process
 * took over (slots for a backend being started, a place among the waiting
 * frontends).  speedy does this at exit; a long-lived caller after each
 * request, or a failed parent start would keep other requests waiting.
 */
void	fe_backend_release(void);

/*
 * RequestTimeout passed: kills the process running this process's request
 * (the parent reaps it; the next request gets a fresh backend) and frees
 * its slot.  Returns its pid, or 0 if none was found.
 */
pid_t	fe_backend_kill(const struct fe_request *req);

/*
 * Drains the backends and parents of the pools of keys (nkeys of them) in
 * tmpbase's queue file, as speedy-admin drain does: idle ones and parents
 * are asked to exit now, busy ones after their request.  New requests get
 * fresh backends that compile the scripts again.  Returns how many were
 * drained.
 */
int	fe_backend_drain(const char *tmpbase, const struct queue_key *keys,
	    int nkeys);

/*
 * Lets a backend leave up to BufsizGet bytes of output (BufsizPost of
 * request body) in the pipes out and in without blocking, so a slow client
 * does not keep an interpreter busy.  Pipes only; anything else is left
 * alone.
 */
void	fe_grow_pipes(const struct opt_set *o, int in, int out);

/*
 * Finds or starts a backend for req, hands it the request on descriptors
 * 0-2 and waits for the end.  Returns the status speedy should exit with;
 * kills the process with the script's signal if the script died of one.
 * Prints its errors and exits on them: speedy's path only.
 */
int	fe_run(struct fe_request *req);

#endif
