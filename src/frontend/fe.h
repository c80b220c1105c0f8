/*
 * fe.h: the frontend's request path, shared by speedy.c and fe_backend.c.
 */
#ifndef SPEEDY_FE_H
#define SPEEDY_FE_H

#include <limits.h>

#include "opt.h"
#include "queue.h"

/* Exit statuses of speedy's own failures (the script's status otherwise). */
#define FE_EXIT_USAGE	2	/* bad option or value: nothing was started */
#define FE_EXIT_FAIL	1	/* no backend could run the script */

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
 * Finds or starts a backend for req, hands it the request and waits for
 * the end.  Returns the status speedy should exit with; kills the process
 * with the script's signal if the script died of one.  Prints its own
 * errors.
 */
int	fe_run(struct fe_request *req);

#endif
