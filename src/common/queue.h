/*
 * queue.h: the per-user queue file, the one module that knows its layout.
 *
 * Each user and TmpBase has a directory <TmpBase>.<uid>/ (mode 0700, owned
 * by the user, never a symlink) holding the queue file "queue.<version>"
 * and one socket per backend, "<pid>.sock".  The file is a header and a
 * fixed array of backend slots, mapped shared and changed only under an
 * open-file-description fcntl lock, which the kernel drops when a process
 * dies, so a crash can never wedge the pool.  The layout version is part of
 * the file name, so programs of two versions never share (and never
 * corrupt) one file; a file of the right name that is truncated, zeroed or
 * otherwise corrupt is rebuilt under the lock, never trusted.
 */
#ifndef SPEEDY_QUEUE_H
#define SPEEDY_QUEUE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#define QUEUE_VERSION	3
#define QUEUE_NSLOTS	1024	/* backends and parents */
#define QUEUE_NWAITERS	1024	/* frontends waiting for MaxBackends */
#define QUEUE_NGROUPS	64	/* per-group counters */
#define QUEUE_NSCRIPTS	256	/* per-script counters */
#define QUEUE_GROUPLEN	16	/* holds the 12 significant characters */
#define QUEUE_SCRIPTLEN	160	/* script path as shown by speedy-admin */

enum queue_state {
	QS_FREE = 0,
	QS_STARTING,	/* reserved by a frontend that is starting it */
	QS_IDLE,	/* waiting in accept() for a frontend */
	QS_BUSY,	/* running a request for fe_pid */
	QS_DRAINING,	/* finish the current request, then exit */
	QS_PARENT,	/* holds the compiled script; forks new backends */
	QS_SPAWNING,	/* frontend fe_pid (= pid) is starting the parent */
	QS__COUNT
};

/* The "none" group: every script has its own backends. */
#define QUEUE_GROUP_NONE	"none"

/*
 * What a backend runs: a group and, for group "none", one script version
 * (a backend of a named group runs any script of the group; the script
 * fields then describe the request, for matching by the backend itself).
 */
struct queue_key {
	char		group[QUEUE_GROUPLEN];
	uint64_t	dev, ino;
	int64_t		mtime_sec, mtime_nsec;
	uint64_t	pathhash;	/* of the absolute script path */
};

struct queue_slot {
	int32_t		pid;
	uint8_t		state;
	uint8_t		pad[3];
	struct queue_key key;
	uint32_t	runs;		/* requests served */
	int32_t		fe_pid;		/* frontend being served */
	int64_t		started;	/* time(), backend start */
	int64_t		last_start;	/* time(), last request start */
	int64_t		last_end;	/* time(), last request end */
	char		script[QUEUE_SCRIPTLEN];
};

/*
 * A frontend waiting because MaxBackends backends are busy.  It sleeps on
 * the futex word; a backend that becomes idle assigns itself (assigned,
 * futex = QW_ASSIGNED), one that exits leaves room (futex = QW_RETRY).
 */
struct queue_waiter {
	int32_t		pid;		/* 0: free */
	uint32_t	futex;		/* QW_* */
	uint64_t	seq;		/* arrival order */
	struct queue_key key;
	int32_t		assigned;	/* pid of the backend now ours */
	int32_t		pad;
	int64_t		since;		/* time(), start of the wait */
	char		reserved[8];
};

#define QW_WAITING	0
#define QW_ASSIGNED	1
#define QW_RETRY	2

/* Counters an operator wants per group. */
struct queue_group {
	char		name[QUEUE_GROUPLEN];	/* "" : free */
	uint64_t	nrequests;	/* requests completed */
	uint64_t	nmaxhit;	/* times a frontend waited for MaxBackends */
	uint64_t	nspawned;	/* backends started or forked */
};

/* Counters per script: a script is its device, inode and group. */
struct queue_script {
	uint64_t	dev, ino;	/* ino 0: free */
	char		group[QUEUE_GROUPLEN];
	uint64_t	nrequests;	/* requests completed */
	int64_t		last_end;	/* time(), end of the last one */
	char		path[QUEUE_SCRIPTLEN];
};

struct queue_header {
	char		magic[8];
	uint32_t	version;
	uint32_t	hdrsize;
	uint32_t	slotsize;
	uint32_t	nslots;
	uint32_t	nused;		/* slots [0, nused) may be in use */
	uint32_t	nwaiters;	/* waiters [0, nwaiters) may be in use */
	int64_t		created;
	uint64_t	nspawned;	/* backends started */
	uint64_t	nrequests;	/* requests completed */
	uint64_t	nreclaimed;	/* slots of dead backends reclaimed */
	uint64_t	nrebuilt;	/* times the file was found corrupt */
	uint64_t	seq;		/* last waiter sequence number */
	uint64_t	nmaxhit;	/* times a frontend waited for MaxBackends */
	int64_t		last_sweep;	/* time(), last periodic queue_reclaim */
	char		reserved[32];
};

/* The size of the queue file: every table at its fixed capacity. */
#define QUEUE_FILE_SIZE	(sizeof(struct queue_header) + \
			    QUEUE_NSLOTS * sizeof(struct queue_slot) + \
			    QUEUE_NWAITERS * sizeof(struct queue_waiter) + \
			    QUEUE_NGROUPS * sizeof(struct queue_group) + \
			    QUEUE_NSCRIPTS * sizeof(struct queue_script))

struct queue {
	int			 dirfd;
	int			 fd;
	struct queue_header	*hdr;
	struct queue_slot	*slots;
	struct queue_waiter	*waiters;
	struct queue_group	*groups;
	struct queue_script	*scripts;
	char			 dir[128];
	int			 lockwait_ms;	/* 0: wait for the lock */
};

/* How long queue_lock waits on a file opened by queue_attach. */
#define QUEUE_ATTACH_WAIT_MS	5000

/*
 * Opens (creating if needed) the directory <tmpbase>.<uid> and the queue
 * file in it, refusing symlinks, foreign owners, loose modes and non-regular
 * files.  Returns 0, or -1 with a one-line reason in err.
 */
int	queue_open(struct queue *q, const char *tmpbase, uid_t uid, char *err,
	    size_t errlen);

/*
 * Like queue_open, but never creates anything: for speedy-admin, which
 * looks at queue files without leaving any behind.  A missing directory
 * or file fails with errno ENOENT, one that is refused (owner, mode, type,
 * links) with EPERM.  queue_lock on it gives up after
 * QUEUE_ATTACH_WAIT_MS with ETIMEDOUT instead of waiting for ever.
 */
int	queue_attach(struct queue *q, const char *tmpbase, uid_t uid,
	    char *err, size_t errlen);

/* Unmaps and closes; safe on a queue that failed to open. */
void	queue_close(struct queue *q);

/*
 * Takes the exclusive lock, then makes sure the file has the right size and
 * a valid header (rebuilding it if not) and is mapped.  Returns 0, or -1
 * with err set (the lock is then not held).
 */
int	queue_lock(struct queue *q, char *err, size_t errlen);
void	queue_unlock(struct queue *q);

/* Under the lock: a free slot, marked QS_STARTING for pid, or NULL. */
struct queue_slot *queue_slot_alloc(struct queue *q, pid_t pid);

/* Under the lock: frees a slot (and trims nused). */
void	queue_slot_free(struct queue *q, struct queue_slot *s);

/* Under the lock: the slot of pid, or NULL. */
struct queue_slot *queue_slot_find(struct queue *q, pid_t pid);

/*
 * Under the lock: frees the slots and waiters of processes that are gone
 * (killed, crashed) and removes their sockets, waking a waiting frontend
 * for every backend place that frees.  With sweep_dir it also removes the
 * sockets no slot names whose process is gone (a backend killed between
 * creating its socket and registering).  Returns how many it reclaimed.
 */
int	queue_reclaim(struct queue *q, int sweep_dir);

/*
 * Under the lock: frees the slot of a process known to be gone, removes
 * its socket and, if it held a backend place, wakes the first waiter.
 */
void	queue_slot_reclaim(struct queue *q, struct queue_slot *s);

/* True if no process pid exists (pid <= 0 never names one). */
int	queue_pid_gone(pid_t pid);

/* Formats the socket path of backend pid into buf; returns 0 or -1. */
int	queue_sockpath(const struct queue *q, pid_t pid, char *buf, size_t len);

/*
 * Returns 1 if a backend of key a can serve a request of key b: the same
 * named group, or in group "none" the same script version.
 */
int	queue_key_match(const struct queue_key *a, const struct queue_key *b);

/*
 * Returns 1 if a and b share a pool (the same named group, or in group
 * "none" the same script path, any version): MaxBackends counts a pool.
 */
int	queue_key_same_script(const struct queue_key *a,
	    const struct queue_key *b);

/* Under the lock: the counters of a group, created if needed, or NULL. */
struct queue_group *queue_group(struct queue *q, const char *name);

/*
 * Under the lock: the counters of the script path with this device, inode
 * and group, created if needed (the least recently used entry makes room
 * when the table is full).
 */
struct queue_script *queue_script(struct queue *q, uint64_t dev,
	    uint64_t ino, const char *group, const char *path);

/* Under the lock: a new waiter for pid with the next sequence number. */
struct queue_waiter *queue_waiter_add(struct queue *q, pid_t pid,
	    const struct queue_key *key);
void	queue_waiter_free(struct queue *q, struct queue_waiter *w);

/* Under the lock: the earliest waiter whose key b matches key a. */
struct queue_waiter *queue_waiter_first(struct queue *q,
	    const struct queue_key *a);

/* Sets a waiter's futex word and wakes it. */
void	queue_waiter_wake(struct queue_waiter *w, uint32_t how);

/*
 * Sleeps (without the lock) until the waiter is woken or ms milliseconds
 * pass.
 */
void	queue_waiter_sleep(struct queue_waiter *w, int ms);

/* Human name of a state ("idle"). */
const char *queue_state_name(int state);

#endif
