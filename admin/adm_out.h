/*
 * adm_out.h: what speedy-admin list and status print, and the records they
 * print from.
 *
 * adm_pool.c copies the queue files under their locks into these records
 * and sorts them; adm_out.c writes them on stdout as a table, as JSON or
 * (status) as OpenMetrics text, escaping what came from the files: a
 * queue file is its user's to write, so a script path or group name may
 * hold any bytes.  The writers never fail; out_finish() tells whether the
 * output got out.
 */
#ifndef SPEEDY_ADM_OUT_H
#define SPEEDY_ADM_OUT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"

/* list: a slot as it was when copied. */
struct row {
	struct queue_slot slot;		/* strings NUL-terminated */
	uid_t		 uid;
	const char	*tmpbase;	/* of its queue file, borrowed */
};

struct rows {
	struct row	*v;
	size_t		 n, cap;
};

/* status: one user's group. */
enum {
	G_WAITING,	/* frontends waiting for MaxBackends */
	G_REQUESTS,	/* requests completed */
	G_MAXHIT,	/* times MaxBackends was reached */
	G_SPAWNED,	/* backends started */
	G__COUNT
};

struct gstat {
	uid_t		 uid;
	char		 group[QUEUE_GROUPLEN];
	unsigned	 nstate[QS__COUNT];
	uint64_t	 n[G__COUNT];
};

struct gstats {
	struct gstat	*v;
	size_t		 n, cap;
};

/*
 * list: the rows of rs in their order, as a table with a header line (for
 * a terminal: control characters and bytes that are not UTF-8 shown as
 * \ooo) or as one JSON object {"backends":[...]}.
 */
void	out_list_table(const struct rows *rs);
void	out_list_json(const struct rows *rs);

/*
 * status: the groups of gs in their order, as a table with a header line,
 * as one JSON object {"groups":[...]}, or as OpenMetrics text ending in
 * "# EOF".
 */
void	out_status_table(const struct gstats *gs);
void	out_status_json(const struct gstats *gs);
void	out_status_openmetrics(const struct gstats *gs);

/*
 * Flushes stdout.  Returns the exit status: ADM_EXIT_FAIL (after a
 * warning) if the output could not be written or if fail is set,
 * ADM_EXIT_OK otherwise.
 */
int	out_finish(int fail);

#endif
