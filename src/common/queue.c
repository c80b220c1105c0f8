/*
 * queue.c: see queue.h.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/futex.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "opt.h"
#include "queue.h"
#include "util.h"

#define QUEUE_MAGIC	"SPEEDYQ"
#define QUEUE_SIZE	QUEUE_FILE_SIZE

/* The layout is part of the version: a change here must bump it. */
_Static_assert(sizeof(struct queue_header) == 128, "header layout");
_Static_assert(sizeof(struct queue_slot) == 256, "slot layout");
_Static_assert(sizeof(struct queue_waiter) == 96, "waiter layout");
_Static_assert(sizeof(struct queue_group) == 40, "group layout");
_Static_assert(sizeof(struct queue_script) == 208, "script layout");

static const char *state_names[QS__COUNT] = {
	"free", "starting", "idle", "busy", "draining", "parent", "spawning"
};

const char *
queue_state_name(int state)
{
	return (state >= 0 && state < QS__COUNT) ? state_names[state] : "?";
}

/*
 * Checks that st describes something we created: owner, type and mode.
 * A refusal sets errno to EPERM, so callers can tell it from a file that
 * is not there.
 */
static int
check_owned(const struct stat *st, uid_t uid, mode_t type, const char *what,
    const char *path, char *err, size_t errlen)
{
	errno = EPERM;
	if ((st->st_mode & S_IFMT) != type) {
		util_fmt(err, errlen, "%s %s is not a %s; refusing to use it",
		    what, path, type == S_IFDIR ? "directory" : "regular file");
		return -1;
	}
	if (st->st_uid != uid) {
		util_fmt(err, errlen, "%s %s is owned by uid %u, not %u; "
		    "refusing to use it", what, path, (unsigned)st->st_uid,
		    (unsigned)uid);
		return -1;
	}
	if (st->st_mode & 077) {
		util_fmt(err, errlen, "%s %s has mode %04o, group or others "
		    "can access it; refusing to use it", what, path,
		    (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* Creates or opens the per-user directory safely. */
static int
open_dir(struct queue *q, uid_t uid, int create, char *err, size_t errlen)
{
	struct stat st;

	/* Open first: the directory exists on every request but the first. */
	q->dirfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (q->dirfd == -1 && errno == ENOENT && create) {
		if (mkdir(q->dir, 0700) == -1 && errno != EEXIST) {
			util_fmt(err, errlen, "cannot create directory %s: %s",
			    q->dir, strerror(errno));
			return -1;
		}
		q->dirfd = open(q->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (q->dirfd == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			util_fmt(err, errlen, "%s is not a directory (a "
			    "symlink or a file?); refusing to use it", q->dir);
		else
			util_fmt(err, errlen, "cannot open directory %s: %s",
			    q->dir, strerror(errno));
		return -1;
	}
	if (fstat(q->dirfd, &st) == -1) {
		util_fmt(err, errlen, "%s: %s", q->dir, strerror(errno));
		return -1;
	}
	return check_owned(&st, uid, S_IFDIR, "directory", q->dir, err, errlen);
}

static int
open_file(struct queue *q, uid_t uid, int create, char *err, size_t errlen)
{
	char name[32], path[160];
	struct stat st;

	(void)util_fmt(name, sizeof(name), "queue.%d", QUEUE_VERSION);
	(void)util_fmt(path, sizeof(path), "%s/%s", q->dir, name);
	/* O_NONBLOCK: a FIFO planted here must not hang us in open(). */
	q->fd = openat(q->dirfd, name, O_RDWR | (create ? O_CREAT : 0) |
	    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (q->fd == -1) {
		util_fmt(err, errlen, "cannot open queue file %s: %s", path,
		    errno == ELOOP ? "it is a symlink" : strerror(errno));
		return -1;
	}
	if (fstat(q->fd, &st) == -1) {
		util_fmt(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (check_owned(&st, uid, S_IFREG, "queue file", path, err,
	    errlen) == -1)
		return -1;
	if (st.st_nlink != 1) {
		util_fmt(err, errlen, "queue file %s has %lu links; refusing "
		    "to use it", path, (unsigned long)st.st_nlink);
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int
open_queue(struct queue *q, const char *tmpbase, uid_t uid, int create,
    char *err, size_t errlen)
{
	memset(q, 0, sizeof(*q));
	q->dirfd = q->fd = -1;
	if (util_fmt(q->dir, sizeof(q->dir), "%s.%u", tmpbase,
	    (unsigned)uid) == -1) {
		util_fmt(err, errlen, "TmpBase %s is too long", tmpbase);
		errno = ENAMETOOLONG;
		return -1;
	}
	if (open_dir(q, uid, create, err, errlen) == -1 ||
	    open_file(q, uid, create, err, errlen) == -1) {
		int e = errno;

		queue_close(q);
		errno = e;
		return -1;
	}
	return 0;
}

int
queue_open(struct queue *q, const char *tmpbase, uid_t uid, char *err,
    size_t errlen)
{
	return open_queue(q, tmpbase, uid, 1, err, errlen);
}

int
queue_attach(struct queue *q, const char *tmpbase, uid_t uid, char *err,
    size_t errlen)
{
	if (open_queue(q, tmpbase, uid, 0, err, errlen) == -1)
		return -1;
	q->lockwait_ms = QUEUE_ATTACH_WAIT_MS;
	return 0;
}

void
queue_close(struct queue *q)
{
	if (q->hdr != NULL)
		(void)munmap(q->hdr, QUEUE_SIZE);
	if (q->fd != -1)
		(void)close(q->fd);
	if (q->dirfd != -1)
		(void)close(q->dirfd);
	q->hdr = NULL;
	q->slots = NULL;
	q->fd = q->dirfd = -1;
}

static void
init_header(struct queue_header *h, uint64_t nrebuilt)
{
	memset(h, 0, QUEUE_SIZE);
	memcpy(h->magic, QUEUE_MAGIC, sizeof(QUEUE_MAGIC));
	h->version = QUEUE_VERSION;
	h->hdrsize = sizeof(struct queue_header);
	h->slotsize = sizeof(struct queue_slot);
	h->nslots = QUEUE_NSLOTS;
	h->created = (int64_t)time(NULL);
	h->nrebuilt = nrebuilt;
}

/* True if the mapped header and every slot state can be trusted. */
static int
header_valid(const struct queue *q)
{
	const struct queue_header *h = q->hdr;
	uint32_t i;

	if (memcmp(h->magic, QUEUE_MAGIC, sizeof(QUEUE_MAGIC)) != 0 ||
	    h->version != QUEUE_VERSION ||
	    h->hdrsize != sizeof(struct queue_header) ||
	    h->slotsize != sizeof(struct queue_slot) ||
	    h->nslots != QUEUE_NSLOTS || h->nused > QUEUE_NSLOTS ||
	    h->nwaiters > QUEUE_NWAITERS)
		return 0;
	for (i = 0; i < h->nused; i++)
		if (q->slots[i].state >= QS__COUNT ||
		    (q->slots[i].state != QS_FREE && q->slots[i].pid <= 0))
			return 0;
	return 1;
}

/*
 * Takes or drops the lock.  With waitms > 0 a lock held by someone else
 * is retried for that long and then fails with ETIMEDOUT: speedy-admin,
 * run by root over every user's files, must not hang on a user process
 * that holds its own lock forever.
 */
static int
lock_op(int fd, short type, int waitms)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	struct flock fl;
	int waited = 0;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	/*
	 * Open file description locks belong to the open file, not to the
	 * process, so a library that opens and closes the same file elsewhere
	 * in the process cannot drop ours; they still vanish with the process.
	 */
	while (fcntl(fd, type == F_UNLCK || waitms > 0 ? F_OFD_SETLK :
	    F_OFD_SETLKW, &fl) == -1) {
		if (errno == EINTR)
			continue;
		if (type == F_UNLCK || waitms <= 0 ||
		    (errno != EAGAIN && errno != EACCES))
			return -1;
		if (waited >= waitms) {
			errno = ETIMEDOUT;
			return -1;
		}
		(void)nanosleep(&pause, NULL);
		waited += 10;
	}
	return 0;
}

int
queue_lock(struct queue *q, char *err, size_t errlen)
{
	struct stat st;
	void *p;
	int fresh = 0, e;

	if (lock_op(q->fd, F_WRLCK, q->lockwait_ms) == -1) {
		util_fmt(err, errlen, "cannot lock queue file in %s: %s",
		    q->dir, strerror(errno));
		return -1;
	}
	if (fstat(q->fd, &st) == -1)
		goto fail;
	if (st.st_size != (off_t)QUEUE_SIZE) {
		/*
		 * New (empty), or truncated or grown: rebuild at the right
		 * size, every block allocated now.  A page of a sparse file
		 * that a full disk (tmpfs) cannot back kills whoever touches
		 * it first with SIGBUS, a backend as well.  A file that cannot
		 * be allocated is left empty, so that the next try starts over.
		 */
		if (ftruncate(q->fd, 0) == -1)
			goto fail;
		if ((e = posix_fallocate(q->fd, 0, (off_t)QUEUE_SIZE)) != 0) {
			/* Best effort: an empty file is rebuilt next time too. */
			if (ftruncate(q->fd, 0) == -1)
				e = e != 0 ? e : errno;
			errno = e;
			goto fail;
		}
		fresh = st.st_size == 0 ? 1 : 2;
	}
	if (q->hdr == NULL) {
		p = mmap(NULL, QUEUE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		    q->fd, 0);
		if (p == MAP_FAILED)
			goto fail;
		q->hdr = p;
		q->slots = (struct queue_slot *)(q->hdr + 1);
		q->waiters = (struct queue_waiter *)(q->slots + QUEUE_NSLOTS);
		q->groups = (struct queue_group *)(q->waiters + QUEUE_NWAITERS);
		q->scripts = (struct queue_script *)(q->groups + QUEUE_NGROUPS);
	}
	if (fresh)
		init_header(q->hdr, fresh == 2);
	else if (!header_valid(q))
		init_header(q->hdr, 1);
	return 0;
fail:
	util_fmt(err, errlen, "queue file in %s: %s", q->dir, strerror(errno));
	(void)lock_op(q->fd, F_UNLCK, 0);
	return -1;
}

void
queue_unlock(struct queue *q)
{
	(void)lock_op(q->fd, F_UNLCK, 0);
}

struct queue_slot *
queue_slot_alloc(struct queue *q, pid_t pid)
{
	struct queue_slot *s;
	uint32_t i;

	for (i = 0; i < QUEUE_NSLOTS; i++) {
		s = &q->slots[i];
		if (i < q->hdr->nused && s->state != QS_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		s->pid = (int32_t)pid;
		s->state = QS_STARTING;
		s->started = (int64_t)time(NULL);
		if (i >= q->hdr->nused)
			q->hdr->nused = i + 1;
		return s;
	}
	return NULL;
}

void
queue_slot_free(struct queue *q, struct queue_slot *s)
{
	memset(s, 0, sizeof(*s));
	while (q->hdr->nused > 0 &&
	    q->slots[q->hdr->nused - 1].state == QS_FREE)
		q->hdr->nused--;
}

struct queue_slot *
queue_slot_find(struct queue *q, pid_t pid)
{
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++)
		if (q->slots[i].state != QS_FREE && q->slots[i].pid == pid)
			return &q->slots[i];
	return NULL;
}

int
queue_pid_gone(pid_t pid)
{
	return pid <= 0 || (kill(pid, 0) == -1 && errno == ESRCH);
}

static void
unlink_sock(struct queue *q, pid_t pid)
{
	char name[32];

	(void)util_fmt(name, sizeof(name), "%ld.sock", (long)pid);
	(void)unlinkat(q->dirfd, name, 0);
}

/* Removes sockets of dead processes that no slot names. */
static int
sweep_sockets(struct queue *q)
{
	struct dirent *de;
	DIR *d;
	long pid;
	char *dot;
	int fd, n = 0;

	if ((fd = openat(q->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if ((dot = strstr(de->d_name, ".sock")) == NULL || dot[5] != '\0')
			continue;
		*dot = '\0';
		if (util_parse_long(de->d_name, 1, 0x7fffffff, &pid) == -1 ||
		    queue_slot_find(q, (pid_t)pid) != NULL || !queue_pid_gone((pid_t)pid))
			continue;
		unlink_sock(q, (pid_t)pid);
		n++;
	}
	(void)closedir(d);
	return n;
}

void
queue_slot_reclaim(struct queue *q, struct queue_slot *s)
{
	struct queue_waiter *w;
	struct queue_key key = s->key;
	int backend = s->state != QS_PARENT && s->state != QS_SPAWNING;

	unlink_sock(q, s->pid);
	queue_slot_free(q, s);
	q->hdr->nreclaimed++;
	/* A backend place freed: the first waiter may start one. */
	if (backend && (w = queue_waiter_first(q, &key)) != NULL)
		queue_waiter_wake(w, QW_RETRY);
}

int
queue_reclaim(struct queue *q, int sweep_dir)
{
	struct queue_slot *s;
	uint32_t i;
	int n = 0;

	for (i = 0; i < q->hdr->nwaiters; i++)
		if (q->waiters[i].pid != 0 && queue_pid_gone(q->waiters[i].pid)) {
			queue_waiter_free(q, &q->waiters[i]);
			n++;
		}
	for (i = 0; i < q->hdr->nused; i++) {
		s = &q->slots[i];
		if (s->state == QS_FREE || !queue_pid_gone(s->pid))
			continue;
		queue_slot_reclaim(q, s);
		n++;
	}
	if (sweep_dir)
		n += sweep_sockets(q);
	return n;
}

int
queue_sockpath(const struct queue *q, pid_t pid, char *buf, size_t len)
{
	return util_fmt(buf, len, "%s/%ld.sock", q->dir, (long)pid);
}

static int
same_group(const struct queue_key *a, const struct queue_key *b)
{
	return strncmp(a->group, b->group, QUEUE_GROUPLEN) == 0;
}

static int
is_none(const struct queue_key *k)
{
	return strncmp(k->group, QUEUE_GROUP_NONE, QUEUE_GROUPLEN) == 0;
}

int
queue_key_same_script(const struct queue_key *a, const struct queue_key *b)
{
	return same_group(a, b) && (!is_none(a) || a->pathhash == b->pathhash);
}

int
queue_key_match(const struct queue_key *a, const struct queue_key *b)
{
	return same_group(a, b) && (!is_none(a) ||
	    (a->dev == b->dev && a->ino == b->ino &&
	    a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec));
}

struct queue_group *
queue_group(struct queue *q, const char *name)
{
	struct queue_group *g, *free = NULL;
	int i;

	for (i = 0; i < QUEUE_NGROUPS; i++) {
		g = &q->groups[i];
		if (g->name[0] == '\0') {
			if (free == NULL)
				free = g;
		} else if (strncmp(g->name, name, OPT_GROUP_SIG) == 0)
			return g;
	}
	if (free != NULL) {
		memset(free, 0, sizeof(*free));
		(void)util_strlcpy(free->name, name, OPT_GROUP_SIG + 1);
	}
	return free;
}

struct queue_script *
queue_script(struct queue *q, uint64_t dev, uint64_t ino, const char *group,
    const char *path)
{
	struct queue_script *sc, *lru = &q->scripts[0];
	int i;

	for (i = 0; i < QUEUE_NSCRIPTS; i++) {
		sc = &q->scripts[i];
		if (sc->ino == ino && sc->dev == dev && ino != 0 &&
		    strncmp(sc->group, group, OPT_GROUP_SIG) == 0)
			return sc;
		if (sc->ino == 0 || (lru->ino != 0 && sc->last_end < lru->last_end))
			lru = sc;
	}
	memset(lru, 0, sizeof(*lru));
	lru->dev = dev;
	lru->ino = ino;
	(void)util_strlcpy(lru->group, group, OPT_GROUP_SIG + 1);
	(void)util_strlcpy(lru->path, path, sizeof(lru->path));
	return lru;
}

struct queue_waiter *
queue_waiter_add(struct queue *q, pid_t pid, const struct queue_key *key)
{
	struct queue_waiter *w;
	uint32_t i;

	for (i = 0; i < QUEUE_NWAITERS; i++) {
		w = &q->waiters[i];
		if (i < q->hdr->nwaiters && w->pid != 0)
			continue;
		memset(w, 0, sizeof(*w));
		w->pid = (int32_t)pid;
		w->seq = ++q->hdr->seq;
		w->key = *key;
		w->since = (int64_t)time(NULL);
		if (i >= q->hdr->nwaiters)
			q->hdr->nwaiters = i + 1;
		return w;
	}
	return NULL;
}

void
queue_waiter_free(struct queue *q, struct queue_waiter *w)
{
	memset(w, 0, sizeof(*w));
	while (q->hdr->nwaiters > 0 &&
	    q->waiters[q->hdr->nwaiters - 1].pid == 0)
		q->hdr->nwaiters--;
}

struct queue_waiter *
queue_waiter_first(struct queue *q, const struct queue_key *a)
{
	struct queue_waiter *w, *best = NULL;
	uint32_t i;

	for (i = 0; i < q->hdr->nwaiters; i++) {
		w = &q->waiters[i];
		if (w->pid == 0 || w->futex != QW_WAITING ||
		    !queue_key_match(a, &w->key))
			continue;
		if (best == NULL || w->seq < best->seq)
			best = w;
	}
	return best;
}

void
queue_waiter_wake(struct queue_waiter *w, uint32_t how)
{
	__atomic_store_n(&w->futex, how, __ATOMIC_SEQ_CST);
	(void)syscall(SYS_futex, &w->futex, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void
queue_waiter_sleep(struct queue_waiter *w, int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	/* Shared (not private) futex: the word lives in a shared mapping. */
	(void)syscall(SYS_futex, &w->futex, FUTEX_WAIT, QW_WAITING, &ts,
	    NULL, 0);
}
