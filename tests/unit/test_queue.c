/*
 * test_queue.c: unit tests for src/common/queue.c in a mkdtemp directory.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "util.h"
#include "unit.h"

#define QSIZE	QUEUE_FILE_SIZE

static char top[] = "/tmp/speedy-unit-queue.XXXXXX";
static char err[1024];
static uid_t me;


/* "<top>/<name>" */
static const char *
tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", top, name);
	return buf;
}

/* "<top>/<name>.<uid>" -- the directory queue_open makes for base name. */
static const char *
qdir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.%u", top, name, (unsigned)me);
	return buf;
}

static const char *
qfile(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s.%u/queue.%d", top, name, (unsigned)me,
	    QUEUE_VERSION);
	return buf;
}

/* True if the mapped header is one queue_lock would accept. */
static int
hdr_ok(const struct queue *q)
{
	const struct queue_header *h = q->hdr;

	return h != NULL && memcmp(h->magic, "SPEEDYQ", 8) == 0 &&
	    h->version == QUEUE_VERSION &&
	    h->hdrsize == sizeof(struct queue_header) &&
	    h->slotsize == sizeof(struct queue_slot) &&
	    h->nslots == QUEUE_NSLOTS && h->nused <= QUEUE_NSLOTS &&
	    h->nwaiters <= QUEUE_NWAITERS &&
	    q->slots == (struct queue_slot *)(h + 1);
}

static off_t
fsize(const char *path)
{
	struct stat st;

	return stat(path, &st) == -1 ? -1 : st.st_size;
}

/* Tries a non-blocking OFD write lock on path from a new open file. */
static int
probe_lock(const char *path)
{
	struct flock fl;
	int fd, r;

	if ((fd = open(path, O_RDWR)) == -1)
		return -2;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	r = fcntl(fd, F_OFD_SETLK, &fl);
	(void)close(fd);	/* drops the probe's lock, if it got one */
	return r == -1 ? -1 : 0;
}

static void
test_create(void)
{
	struct queue q, q2;
	struct stat st;
	char d[256], f[256], b[256];
	time_t now = time(NULL);
	int base = unit_count_fds();
	mode_t mask;

	qdir(d, sizeof(d), "sp");
	qfile(f, sizeof(f), "sp");
	mask = umask(0);	/* the modes must not depend on the umask */
	tpath(b, sizeof(b), "sp");
	if (!CHECK_INT(queue_open(&q, b, me, err, sizeof(err)), 0,
	    "create: queue_open"))
		exit(1);
	umask(mask);
	CHECK_STR(q.dir, d, "create: dir is <tmpbase>.<uid>");
	CHECK(lstat(d, &st) == 0 && S_ISDIR(st.st_mode), "create: directory "
	    "exists");
	CHECK_INT(st.st_mode & 07777, 0700, "create: directory mode 0700");
	CHECK_INT(st.st_uid, me, "create: directory owned by the user");
	CHECK(lstat(f, &st) == 0 && S_ISREG(st.st_mode), "create: queue.%d "
	    "is a regular file", QUEUE_VERSION);
	CHECK_INT(st.st_mode & 07777, 0600, "create: file mode 0600");
	CHECK_INT(st.st_uid, me, "create: file owned by the user");
	CHECK_INT(st.st_nlink, 1, "create: file has one link");
	CHECK(q.fd >= 0 && q.dirfd >= 0, "create: descriptors open");
	CHECK((fcntl(q.fd, F_GETFD) & FD_CLOEXEC) &&
	    (fcntl(q.dirfd, F_GETFD) & FD_CLOEXEC), "create: close-on-exec");
	CHECK(q.hdr == NULL, "create: not mapped before the first lock");
	CHECK_INT(unit_count_fds(), base + 2, "create: two descriptors");

	if (CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "lock: first lock")) {
		CHECK_INT(fsize(f), QSIZE, "lock: file sized to header + "
		    "%d slots", QUEUE_NSLOTS);
		CHECK(hdr_ok(&q), "lock: fresh header valid");
		CHECK_INT(q.hdr->nused, 0, "lock: no slots used");
		CHECK_INT(q.hdr->nrebuilt, 0, "lock: a new file is not counted "
		    "as rebuilt");
		CHECK(q.hdr->created >= now - 1 && q.hdr->created <= now + 5,
		    "lock: created is now");
		queue_unlock(&q);
	}

	/* A second open of the existing directory and file. */
	CHECK_INT(queue_open(&q2, b, me, err, sizeof(err)), 0,
	    "create: reopen existing");
	CHECK_INT(queue_lock(&q2, err, sizeof(err)), 0, "create: lock reopened");
	CHECK(hdr_ok(&q2) && q2.hdr->nrebuilt == 0, "create: valid file kept");
	queue_unlock(&q2);
	queue_close(&q2);
	queue_close(&q);
	CHECK(q.fd == -1 && q.dirfd == -1 && q.hdr == NULL, "close: resets");
	queue_close(&q);
	CHECK_INT(unit_count_fds(), base, "close: descriptors released");
}

static void
test_lock(void)
{
	struct queue q, q2;
	struct pollfd pfd;
	char f[256], b[256], c;
	int p[2], fd, st;
	pid_t pid;

	qfile(f, sizeof(f), "sp");
	tpath(b, sizeof(b), "sp");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1 ||
	    queue_open(&q2, b, me, err, sizeof(err)) == -1) {
		CHECK(0, "lock: open");
		return;
	}
	CHECK_INT(probe_lock(f), 0, "lock: free before queue_lock");
	CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "lock: take");
	CHECK_INT(probe_lock(f), -1, "lock: another open file cannot lock");
	/* OFD locks: closing another descriptor of the file keeps ours. */
	fd = open(f, O_RDONLY);
	(void)close(fd);
	CHECK_INT(probe_lock(f), -1, "lock: survives close of another fd "
	    "on the file");

	/*
	 * A child blocked in queue_lock on its own open file gets the lock
	 * only after our unlock, and exits without unlocking.
	 */
	if (pipe(p) == -1)
		exit(2);
	if ((pid = fork()) == 0) {
		struct queue qc;

		(void)close(p[0]);
		if (queue_open(&qc, b, me, err, sizeof(err)) == 0 &&
		    queue_lock(&qc, err, sizeof(err)) == 0)
			(void)!write(p[1], "L", 1);
		_exit(0);
	}
	(void)close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	CHECK_INT(poll(&pfd, 1, 300), 0, "lock: waiter blocks while held");
	queue_unlock(&q);
	CHECK_INT(poll(&pfd, 1, 10000), 1, "lock: waiter gets it after unlock");
	CHECK(read(p[0], &c, 1) == 1 && c == 'L', "lock: waiter locked");
	CHECK(waitpid(pid, &st, 0) == pid, "lock: waiter exited");
	(void)close(p[0]);
	/* The child died holding the lock: the kernel dropped it. */
	CHECK_INT(probe_lock(f), 0, "lock: dropped when its holder dies");

	CHECK_INT(queue_lock(&q2, err, sizeof(err)), 0, "lock: second queue");
	queue_unlock(&q2);
	CHECK_INT(probe_lock(f), 0, "lock: free after unlock");
	queue_close(&q2);
	queue_close(&q);
}

/*
 * queue_attach: opens what exists and creates nothing; its lock gives up
 * on a holder that never lets go.
 */
static void
test_attach(void)
{
	struct queue q, a;
	struct stat st;
	char b[256], d[256];
	int base = unit_count_fds();

	tpath(b, sizeof(b), "att");
	qdir(d, sizeof(d), "att");
	errno = 0;
	CHECK_INT(queue_attach(&a, b, me, err, sizeof(err)), -1,
	    "attach: no directory yet fails");
	CHECK_INT(errno, ENOENT, "attach: ... with ENOENT");
	CHECK(lstat(d, &st) == -1 && errno == ENOENT,
	    "attach: created no directory");
	CHECK_INT(mkdir(d, 0700), 0, "attach: directory made");
	CHECK_INT(queue_attach(&a, b, me, err, sizeof(err)), -1,
	    "attach: no file yet fails");
	CHECK_INT(errno, ENOENT, "attach: ... with ENOENT");
	CHECK_INT(chmod(d, 0755), 0, "attach: loosen the directory");
	CHECK_INT(queue_attach(&a, b, me, err, sizeof(err)), -1,
	    "attach: a loose directory is refused");
	CHECK_INT(errno, EPERM, "attach: ... with EPERM");
	CHECK_INT(chmod(d, 0700), 0, "attach: tighten the directory");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1 ||
	    queue_lock(&q, err, sizeof(err)) == -1) {
		CHECK(0, "attach: create with queue_open");
		return;
	}
	if (!CHECK_INT(queue_attach(&a, b, me, err, sizeof(err)), 0,
	    "attach: existing file")) {
		queue_unlock(&q);
		queue_close(&q);
		return;
	}
	CHECK_INT(a.lockwait_ms, QUEUE_ATTACH_WAIT_MS, "attach: bounded wait");
	a.lockwait_ms = 50;
	errno = 0;
	CHECK_INT(queue_lock(&a, err, sizeof(err)), -1,
	    "attach: lock held by another gives up");
	CHECK_INT(errno, ETIMEDOUT, "attach: ... with ETIMEDOUT");
	queue_unlock(&q);
	CHECK_INT(queue_lock(&a, err, sizeof(err)), 0,
	    "attach: lock once it is free");
	queue_unlock(&a);
	queue_close(&a);
	queue_close(&q);
	CHECK_INT(unit_count_fds(), base, "attach: descriptors released");
}

/* Fills the file with len bytes from gen (0: zeros, 1: random). */
static void
fill(const char *path, size_t len, int random_bytes)
{
	char *buf = malloc(len + 1);
	size_t i;
	int fd;

	if (buf == NULL)
		exit(2);
	for (i = 0; i < len; i++)
		buf[i] = random_bytes ? (char)(rand() & 0xff) : 0;
	if ((fd = open(path, O_WRONLY | O_TRUNC)) == -1 ||
	    util_write_all(fd, buf, len) == -1)
		exit(2);
	(void)close(fd);
	free(buf);
}

/* Opens, locks and checks the queue; returns nrebuilt or -1. */
static long
relock(const char *what)
{
	struct queue q;
	char b[256], f[256];
	long r = -1;

	tpath(b, sizeof(b), "sp");
	qfile(f, sizeof(f), "sp");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1) {
		CHECK(0, "%s: open", what);
		return -1;
	}
	if (CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "%s: lock",
	    what)) {
		CHECK(hdr_ok(&q), "%s: header valid after", what);
		CHECK_INT(fsize(f), QSIZE, "%s: size right after", what);
		r = (long)q.hdr->nrebuilt;
		queue_unlock(&q);
	}
	queue_close(&q);
	return r;
}

/* Rewrites part of a valid file in place. */
static void
poke(size_t off, const void *data, size_t len)
{
	char f[256];
	int fd;

	qfile(f, sizeof(f), "sp");
	if ((fd = open(f, O_RDWR)) == -1 ||
	    pwrite(fd, data, len, (off_t)off) != (ssize_t)len)
		exit(2);
	(void)close(fd);
}

static void
test_rebuild(void)
{
	static const size_t sizes[] = { 1, 7, 127, 128, 129, 4096, QSIZE - 1,
	    QSIZE + 1, 2 * QSIZE };
	struct queue q;
	struct queue_slot *s;
	struct queue_header h;
	char f[256], b[256], name[64];
	uint32_t v;
	uint8_t bad;
	size_t k;
	int i;

	srand(12345);
	qfile(f, sizeof(f), "sp");
	tpath(b, sizeof(b), "sp");

	/* Contents survive unlock, close and reopen. */
	if (queue_open(&q, b, me, err, sizeof(err)) == 0 &&
	    queue_lock(&q, err, sizeof(err)) == 0) {
		s = queue_slot_alloc(&q, 4242);
		if (s != NULL)
			util_strlcpy(s->script, "/kept.pl", sizeof(s->script));
		queue_unlock(&q);
	}
	queue_close(&q);
	if (queue_open(&q, b, me, err, sizeof(err)) == 0 &&
	    CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "persist: lock")) {
		s = queue_slot_find(&q, 4242);
		CHECK(s != NULL && strcmp(s->script, "/kept.pl") == 0,
		    "persist: slot kept across close and reopen");
		CHECK_INT(q.hdr->nrebuilt, 0, "persist: not rebuilt");
		if (s != NULL)
			queue_slot_free(&q, s);
		queue_unlock(&q);
	}
	queue_close(&q);

	/* Truncated, grown, zeroed, random. */
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		fill(f, sizes[k], 1);
		snprintf(name, sizeof(name), "rebuild: %zu random bytes",
		    sizes[k]);
		(void)relock(name);
	}
	(void)relock("rebuild: restore");
	if (truncate(f, 100) == -1)
		exit(2);
	CHECK(relock("rebuild: truncated to 100 bytes") >= 1,
	    "rebuild: truncated file counted in nrebuilt");
	if (truncate(f, 0) == -1)
		exit(2);
	CHECK_INT(relock("rebuild: empty"), 0, "rebuild: empty file is new, "
	    "not counted");
	fill(f, QSIZE, 0);
	CHECK_INT(relock("rebuild: zero-filled"), 1, "rebuild: zero-filled "
	    "counted");
	for (i = 0; i < 5; i++) {
		fill(f, QSIZE, 1);
		snprintf(name, sizeof(name), "rebuild: random full-size #%d", i);
		CHECK_INT(relock(name), 1, "%s counted", name);
	}
	/* Random bytes behind a valid header. */
	(void)relock("rebuild: restore");
	{
		struct queue_header vh;
		char *junk = malloc(QSIZE);
		int fd;

		if (junk == NULL || (fd = open(f, O_RDWR)) == -1 ||
		    pread(fd, &vh, sizeof(vh), 0) != sizeof(vh))
			exit(2);
		for (k = 0; k < QSIZE; k++)
			junk[k] = (char)(rand() & 0xff);
		vh.nused = QUEUE_NSLOTS;
		memcpy(junk, &vh, sizeof(vh));
		if (pwrite(fd, junk, QSIZE, 0) != (ssize_t)QSIZE)
			exit(2);
		(void)close(fd);
		free(junk);
		CHECK_INT(relock("rebuild: valid header, random slots"), 1,
		    "rebuild: random slots counted");
	}

	/* One field wrong at a time in an otherwise valid file. */
	(void)relock("rebuild: restore");
	v = QUEUE_VERSION + 1;
	poke(offsetof(struct queue_header, version), &v, sizeof(v));
	CHECK_INT(relock("rebuild: wrong version"), 1, "rebuild: wrong version "
	    "counted");
	poke(0, "SPEEDYX", 8);
	CHECK_INT(relock("rebuild: wrong magic"), 1, "rebuild: wrong magic");
	v = 64;
	poke(offsetof(struct queue_header, slotsize), &v, sizeof(v));
	CHECK_INT(relock("rebuild: wrong slotsize"), 1, "rebuild: slotsize");
	v = QUEUE_NSLOTS + 1;
	poke(offsetof(struct queue_header, nused), &v, sizeof(v));
	CHECK_INT(relock("rebuild: nused > nslots"), 1, "rebuild: nused");
	v = 1;
	poke(offsetof(struct queue_header, nused), &v, sizeof(v));
	bad = QS__COUNT;
	poke(sizeof(struct queue_header) + offsetof(struct queue_slot, state),
	    &bad, 1);
	CHECK_INT(relock("rebuild: bad slot state"), 1, "rebuild: state");
	v = 1;
	poke(offsetof(struct queue_header, nused), &v, sizeof(v));
	bad = QS_IDLE;	/* in use, but pid 0 */
	poke(sizeof(struct queue_header) + offsetof(struct queue_slot, state),
	    &bad, 1);
	CHECK_INT(relock("rebuild: used slot with pid 0"), 1, "rebuild: pid 0");

	/* Corrupted by someone else while we keep it mapped. */
	if (queue_open(&q, b, me, err, sizeof(err)) == 0 &&
	    queue_lock(&q, err, sizeof(err)) == 0) {
		(void)queue_slot_alloc(&q, 777);
		queue_unlock(&q);
		memset(&h, 0, sizeof(h));
		poke(0, &h, sizeof(h));
		CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "rebuild: "
		    "relock a mapped queue");
		CHECK(hdr_ok(&q), "rebuild: mapped header rebuilt");
		CHECK(queue_slot_find(&q, 777) == NULL, "rebuild: old slots "
		    "dropped");
		queue_unlock(&q);
		if (truncate(f, 10) == -1)
			exit(2);
		CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "rebuild: relock "
		    "a mapped queue truncated under us");
		CHECK(hdr_ok(&q) && fsize(f) == (off_t)QSIZE,
		    "rebuild: mapped truncated file rebuilt");
		queue_unlock(&q);
	}
	queue_close(&q);
}

static void
test_slots(void)
{
	struct queue q;
	struct queue_slot *s0, *s1, *s2, *s;
	char b[256];
	time_t now = time(NULL);
	int i, n, ok;

	tpath(b, sizeof(b), "slots");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1 ||
	    queue_lock(&q, err, sizeof(err)) == -1) {
		CHECK(0, "slots: open");
		return;
	}
	CHECK(queue_slot_find(&q, 0) == NULL, "slots: find 0 in empty table");
	s0 = queue_slot_alloc(&q, 100);
	s1 = queue_slot_alloc(&q, 101);
	s2 = queue_slot_alloc(&q, 102);
	CHECK(s0 == &q.slots[0] && s1 == &q.slots[1] && s2 == &q.slots[2],
	    "slots: allocated in order");
	if (s0 == NULL || s1 == NULL || s2 == NULL) {
		queue_unlock(&q);
		queue_close(&q);
		return;
	}
	CHECK_INT(s0->state, QS_STARTING, "slots: new slot is STARTING");
	CHECK_INT(s0->pid, 100, "slots: pid stored");
	CHECK(s0->started >= now - 1 && s0->started <= now + 5,
	    "slots: started is now");
	CHECK_INT(q.hdr->nused, 3, "slots: nused 3");
	CHECK(queue_slot_find(&q, 101) == s1, "slots: find 101");
	CHECK(queue_slot_find(&q, 999) == NULL, "slots: find unknown pid");

	s1->runs = 55;
	util_strlcpy(s1->script, "/old.pl", sizeof(s1->script));
	queue_slot_free(&q, s1);
	CHECK_INT(s1->state, QS_FREE, "slots: freed slot is FREE");
	CHECK_INT(q.hdr->nused, 3, "slots: freeing a middle slot keeps nused");
	CHECK(queue_slot_find(&q, 101) == NULL, "slots: freed pid not found");
	s = queue_slot_alloc(&q, 103);
	CHECK(s == s1, "slots: hole reused");
	CHECK(s != NULL && s->runs == 0 && s->script[0] == '\0',
	    "slots: reused slot cleared");
	CHECK_INT(q.hdr->nused, 3, "slots: nused still 3");

	queue_slot_free(&q, s1);
	queue_slot_free(&q, s2);
	CHECK_INT(q.hdr->nused, 1, "slots: freeing the last trims past holes");
	queue_slot_free(&q, s0);
	CHECK_INT(q.hdr->nused, 0, "slots: all free, nused 0");

	/* A slot beyond nused is free even if stale bytes say otherwise. */
	q.slots[0].state = QS_IDLE;
	q.slots[0].pid = 555;
	CHECK(queue_slot_find(&q, 555) == NULL, "slots: find ignores slots "
	    "beyond nused");
	CHECK(queue_slot_alloc(&q, 556) == &q.slots[0], "slots: alloc takes "
	    "slots beyond nused");
	queue_slot_free(&q, &q.slots[0]);

	/* Fill the table. */
	for (i = 0, n = 0; i < QUEUE_NSLOTS; i++)
		n += queue_slot_alloc(&q, 1000 + i) != NULL;
	CHECK_INT(n, QUEUE_NSLOTS, "slots: all %d slots allocated",
	    QUEUE_NSLOTS);
	CHECK_INT(q.hdr->nused, QUEUE_NSLOTS, "slots: nused full");
	CHECK(queue_slot_alloc(&q, 5000) == NULL, "slots: full table gives "
	    "NULL");
	CHECK(queue_slot_find(&q, 1000 + QUEUE_NSLOTS - 1) ==
	    &q.slots[QUEUE_NSLOTS - 1], "slots: find the last slot");
	queue_slot_free(&q, &q.slots[500]);
	CHECK(queue_slot_alloc(&q, 5001) == &q.slots[500], "slots: freed "
	    "slot of a full table reused");
	CHECK(queue_slot_alloc(&q, 5002) == NULL, "slots: full again");
	for (i = QUEUE_NSLOTS - 1, ok = 1; i >= 0; i--)
		queue_slot_free(&q, &q.slots[i]);
	CHECK_INT(q.hdr->nused, 0, "slots: emptied");
	for (i = 0; i < QUEUE_NSLOTS; i++)
		ok &= q.slots[i].state == QS_FREE;
	CHECK(ok, "slots: every slot FREE");
	queue_unlock(&q);

	/* Slot changes are in the file (shared mapping). */
	CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "slots: relock");
	s = queue_slot_alloc(&q, 31337);
	queue_unlock(&q);
	{
		struct queue_slot fs;
		int fd;

		qfile(b, sizeof(b), "slots");
		fd = open(b, O_RDONLY);
		CHECK(fd != -1 && pread(fd, &fs, sizeof(fs),
		    sizeof(struct queue_header)) == sizeof(fs) &&
		    fs.pid == 31337 && fs.state == QS_STARTING,
		    "slots: slot visible in the file");
		if (fd != -1)
			(void)close(fd);
	}
	(void)s;
	queue_close(&q);
}

static void
test_keys(void)
{
	struct queue_key a, b;
	char sockbuf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char buf[300], want[300];
	struct queue q;

	memset(&a, 0, sizeof(a));
	util_strlcpy(a.group, "none", sizeof(a.group));
	a.dev = 8;
	a.ino = 1234;
	a.mtime_sec = 1700000000;
	a.mtime_nsec = 5;
	a.pathhash = util_hash("/srv/a.pl");
	b = a;
	CHECK_INT(queue_key_match(&a, &b), 1, "key: identical keys match");
	CHECK_INT(queue_key_same_script(&a, &b), 1, "key: identical same "
	    "script");
	b.mtime_nsec = 6;
	CHECK_INT(queue_key_match(&a, &b), 0, "key: mtime_nsec differs");
	CHECK_INT(queue_key_same_script(&a, &b), 1, "key: new version of "
	    "the same script");
	b = a;
	b.mtime_sec++;
	CHECK_INT(queue_key_match(&a, &b), 0, "key: mtime_sec differs");
	b = a;
	b.ino++;
	CHECK_INT(queue_key_match(&a, &b), 0, "key: ino differs");
	b = a;
	b.dev++;
	CHECK_INT(queue_key_match(&a, &b), 0, "key: dev differs");
	b = a;
	util_strlcpy(b.group, "web", sizeof(b.group));
	CHECK_INT(queue_key_match(&a, &b), 0, "key: group differs");
	CHECK_INT(queue_key_same_script(&a, &b), 0, "key: same script in "
	    "another group");
	b = a;
	b.pathhash++;
	CHECK_INT(queue_key_same_script(&a, &b), 0, "key: other path");
	CHECK_INT(queue_key_match(&a, &b), 1, "key: match is by file identity");
	memset(a.group, 'g', sizeof(a.group));	/* no terminating NUL */
	b = a;
	CHECK_INT(queue_key_match(&a, &b), 1, "key: full-length groups match");
	b.group[QUEUE_GROUPLEN - 1] = 'h';
	CHECK_INT(queue_key_match(&a, &b), 0, "key: last group byte counts");

	CHECK_STR(queue_state_name(QS_FREE), "free", "state: free");
	CHECK_STR(queue_state_name(QS_STARTING), "starting", "state: starting");
	CHECK_STR(queue_state_name(QS_IDLE), "idle", "state: idle");
	CHECK_STR(queue_state_name(QS_BUSY), "busy", "state: busy");
	CHECK_STR(queue_state_name(QS_DRAINING), "draining", "state: draining");
	CHECK_STR(queue_state_name(QS__COUNT), "?", "state: out of range");
	CHECK_STR(queue_state_name(-1), "?", "state: negative");

	memset(&q, 0, sizeof(q));
	util_strlcpy(q.dir, "/tmp/speedy.1000", sizeof(q.dir));
	CHECK_INT(queue_sockpath(&q, 4321, buf, sizeof(buf)), 0, "sockpath: ok");
	CHECK_STR(buf, "/tmp/speedy.1000/4321.sock", "sockpath: text");
	CHECK_INT(queue_sockpath(&q, 4321, buf, strlen(buf) + 1), 0,
	    "sockpath: exact fit");
	CHECK_INT(queue_sockpath(&q, 4321, buf, strlen(buf)), -1,
	    "sockpath: one byte short is refused");
	CHECK_INT(queue_sockpath(&q, 4321, buf, 5), -1, "sockpath: tiny buf");
	CHECK_STR(buf, "/tmp", "sockpath: truncated text terminated");
	/* The longest TmpBase, uid and pid still fit in sun_path. */
	memset(want, 'T', 80);
	want[0] = '/';
	snprintf(want + 80, sizeof(want) - 80, ".%u", 4294967294u);
	util_strlcpy(q.dir, want, sizeof(q.dir));
	CHECK_INT(queue_sockpath(&q, 4194304, sockbuf, sizeof(sockbuf)), 0,
	    "sockpath: 80-byte TmpBase, 10-digit uid, 7-digit pid fit in "
	    "sun_path (%zu)", sizeof(sockbuf));
}

/* queue_open must fail, say why, and leak nothing. */
static void
refuse(const char *what, const char *base, uid_t uid, const char *errpart)
{
	struct queue q;
	int n = unit_count_fds();

	err[0] = '\0';
	CHECK_INT(queue_open(&q, base, uid, err, sizeof(err)), -1,
	    "refuse: %s", what);
	if (errpart != NULL)
		CHECK_HAS(err, errpart, "refuse: %s: message", what);
	CHECK(q.fd == -1 && q.dirfd == -1 && q.hdr == NULL,
	    "refuse: %s: queue left closed", what);
	CHECK_INT(unit_count_fds(), n, "refuse: %s: no descriptor leaked", what);
	queue_close(&q);
	CHECK_INT(queue_lock(&q, err, sizeof(err)), -1, "refuse: %s: "
	    "lock of the failed queue fails", what);
}

static void
test_refuse(void)
{
	char b[256], d[256], f[512], t[256], longbase[200];
	struct stat st;
	struct queue q;

	/* The directory is a symlink to a good-looking directory. */
	tpath(t, sizeof(t), "real");
	mkdir(t, 0700);
	qdir(d, sizeof(d), "link");
	if (symlink(t, d) == -1)
		exit(2);
	refuse("symlinked directory", tpath(b, sizeof(b), "link"), me,
	    "not a directory");
	snprintf(f, sizeof(f), "%s/queue.%d", t, QUEUE_VERSION);
	CHECK(lstat(f, &st) == -1, "refuse: nothing created through the "
	    "symlink");
	/* A symlink to a directory we do not own. */
	qdir(d, sizeof(d), "link2");
	if (symlink("/", d) == -1)
		perror("symlink");
	refuse("symlink to /", tpath(b, sizeof(b), "link2"), me,
	    "not a directory");

	qdir(d, sizeof(d), "loose");
	mkdir(d, 0700);
	chmod(d, 0755);
	refuse("directory mode 0755", tpath(b, sizeof(b), "loose"), me,
	    "mode 0755");
	chmod(d, 0701);
	refuse("directory mode 0701", b, me, "mode");
	chmod(d, 0710);
	refuse("directory mode 0710", b, me, "mode");
	chmod(d, 01700);
	CHECK_INT(queue_open(&q, b, me, err, sizeof(err)), 0,
	    "refuse: sticky bit alone is fine");
	queue_close(&q);

	qdir(d, sizeof(d), "foreign");
	mkdir(d, 0700);
	if (me == 0) {
		if (chown(d, 65534, 65534) == -1)
			exit(2);
		refuse("directory owned by uid 65534", tpath(b, sizeof(b),
		    "foreign"), me, "owned by uid 65534");
	} else
		printf("ok %d - refuse: foreign directory # SKIP not root\n",
		    ++unit_n);
	/* The uid argument decides: our directory is foreign to uid 65534. */
	snprintf(d, sizeof(d), "%s/mine.%u", top, 65534u);
	mkdir(d, 0700);
	if (me != 65534)
		refuse("directory not owned by the uid asked for",
		    tpath(b, sizeof(b), "mine"), 65534, "owned by uid");

	qdir(d, sizeof(d), "isfile");
	close(open(d, O_WRONLY | O_CREAT, 0600));
	refuse("regular file in place of the directory", tpath(b, sizeof(b),
	    "isfile"), me, "not a directory");

	refuse("missing parent directory", tpath(b, sizeof(b),
	    "nosuch/dir/sp"), me, "cannot create");
	memset(longbase, 'x', sizeof(longbase) - 1);
	longbase[0] = '/';
	longbase[sizeof(longbase) - 1] = '\0';
	refuse("TmpBase too long for the directory name", longbase, me,
	    "too long");

	/* The queue file itself. */
	qdir(d, sizeof(d), "qlink");
	mkdir(d, 0700);
	tpath(t, sizeof(t), "target");
	close(open(t, O_WRONLY | O_CREAT, 0600));
	qfile(f, sizeof(f), "qlink");
	if (symlink(t, f) == -1)
		perror("symlink");
	refuse("queue file is a symlink", tpath(b, sizeof(b), "qlink"), me,
	    "symlink");
	CHECK_INT(fsize(t), 0, "refuse: symlink target untouched");

	qdir(d, sizeof(d), "qdangle");
	mkdir(d, 0700);
	tpath(t, sizeof(t), "created-through-link");
	qfile(f, sizeof(f), "qdangle");
	if (symlink(t, f) == -1)
		perror("symlink");
	refuse("queue file is a dangling symlink", tpath(b, sizeof(b),
	    "qdangle"), me, "symlink");
	CHECK(lstat(t, &st) == -1, "refuse: dangling symlink target not "
	    "created");

	qdir(d, sizeof(d), "qfifo");
	mkdir(d, 0700);
	qfile(f, sizeof(f), "qfifo");
	if (mkfifo(f, 0600) == -1)
		exit(2);
	unit_watchdog(10);
	refuse("queue file is a FIFO (no hang)", tpath(b, sizeof(b), "qfifo"),
	    me, "not a regular file");
	unit_watchdog(0);

	qdir(d, sizeof(d), "qdir");
	mkdir(d, 0700);
	qfile(f, sizeof(f), "qdir");
	mkdir(f, 0700);
	refuse("queue file is a directory", tpath(b, sizeof(b), "qdir"), me,
	    "queue file");

	qdir(d, sizeof(d), "qsock");
	mkdir(d, 0700);
	qfile(f, sizeof(f), "qsock");
	{
		struct sockaddr_un sun;
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		util_strlcpy(sun.sun_path, f, sizeof(sun.sun_path));
		if (s == -1 || bind(s, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1)
			exit(2);
		(void)close(s);
	}
	refuse("queue file is a socket", tpath(b, sizeof(b), "qsock"), me,
	    "queue file");

	qdir(d, sizeof(d), "qlinks");
	mkdir(d, 0700);
	qfile(f, sizeof(f), "qlinks");
	close(open(f, O_WRONLY | O_CREAT, 0600));
	tpath(t, sizeof(t), "hardlink");
	if (link(f, t) == -1)
		exit(2);
	refuse("queue file with 2 hard links", tpath(b, sizeof(b), "qlinks"),
	    me, "2 links");
	unlink(t);
	CHECK_INT(queue_open(&q, b, me, err, sizeof(err)), 0,
	    "refuse: same file with one link is fine");
	queue_close(&q);

	qdir(d, sizeof(d), "qmode");
	mkdir(d, 0700);
	qfile(f, sizeof(f), "qmode");
	close(open(f, O_WRONLY | O_CREAT, 0600));
	chmod(f, 0644);
	refuse("queue file mode 0644", tpath(b, sizeof(b), "qmode"), me,
	    "mode 0644");
	chmod(f, 0606);
	refuse("queue file mode 0606", b, me, "mode");

	qdir(d, sizeof(d), "qowner");
	mkdir(d, 0700);
	qfile(f, sizeof(f), "qowner");
	close(open(f, O_WRONLY | O_CREAT, 0600));
	if (me == 0) {
		if (chown(f, 65534, 65534) == -1)
			exit(2);
		refuse("queue file owned by uid 65534", tpath(b, sizeof(b),
		    "qowner"), me, "owned by uid 65534");
	} else
		printf("ok %d - refuse: foreign queue file # SKIP not root\n",
		    ++unit_n);
}

/* A key for the waiter and group tests. */
static struct queue_key
mkkey(const char *group, uint64_t ino, int64_t mtime)
{
	struct queue_key k;

	memset(&k, 0, sizeof(k));
	util_strlcpy(k.group, group, sizeof(k.group));
	k.dev = 8;
	k.ino = ino;
	k.mtime_sec = mtime;
	k.pathhash = util_hash("/srv/x.pl") + ino;
	return k;
}

static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (long)(t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Sleeping on a waiter's futex word, and waking it from another process. */
static void
test_waiter_sleep(void)
{
	struct queue q, qc;
	struct queue_waiter *w;
	struct queue_key a = mkkey("none", 1, 100);
	struct timespec t0;
	char b[256], c;
	long ms, idx, rep[2];
	int ready[2], res[2], st;
	pid_t pid;

	tpath(b, sizeof(b), "waiters");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1 ||
	    queue_lock(&q, err, sizeof(err)) == -1) {
		CHECK(0, "sleep: open");
		return;
	}
	w = queue_waiter_add(&q, 300, &a);
	queue_unlock(&q);
	if (!CHECK(w != NULL, "sleep: waiter added")) {
		queue_close(&q);
		return;
	}
	idx = (long)(w - q.waiters);

	/* A word already changed: the sleep returns at once. */
	w->futex = QW_RETRY;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	queue_waiter_sleep(w, 8000);
	ms = elapsed_ms(&t0);
	CHECK(ms < 4000, "sleep: returns at once on a word already woken "
	    "(%ld ms)", ms);
	/* Nobody wakes it: the sleep ends after its timeout. */
	w->futex = QW_WAITING;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	queue_waiter_sleep(w, 100);
	ms = elapsed_ms(&t0);
	CHECK(ms >= 50 && ms < 8000, "sleep: times out (%ld ms for 100)", ms);
	CHECK_INT(w->futex, QW_WAITING, "sleep: a timeout leaves the word");

	/*
	 * Another process, with its own mapping of the file, sleeps on the
	 * word; we wake it.  It must be woken, not time out.
	 */
	if (pipe(ready) == -1 || pipe(res) == -1)
		exit(2);
	if ((pid = fork()) == 0) {
		(void)close(ready[0]);
		(void)close(res[0]);
		if (queue_open(&qc, b, me, err, sizeof(err)) == -1 ||
		    queue_lock(&qc, err, sizeof(err)) == -1)
			_exit(3);
		queue_unlock(&qc);
		(void)!write(ready[1], "r", 1);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		queue_waiter_sleep(&qc.waiters[idx], 20000);
		rep[0] = (long)__atomic_load_n(&qc.waiters[idx].futex,
		    __ATOMIC_SEQ_CST);
		rep[1] = elapsed_ms(&t0);
		(void)!write(res[1], rep, sizeof(rep));
		_exit(0);
	}
	(void)close(ready[1]);
	(void)close(res[1]);
	CHECK(read(ready[0], &c, 1) == 1, "wake: sleeper ready");
	(void)usleep(200000);	/* most likely asleep by now; either is fine */
	queue_waiter_wake(w, QW_ASSIGNED);
	CHECK_INT(w->futex, QW_ASSIGNED, "wake: sets the futex word");
	if (CHECK(read(res[0], rep, sizeof(rep)) == sizeof(rep),
	    "wake: sleeper reported")) {
		CHECK_INT(rep[0], QW_ASSIGNED, "wake: the other process sees "
		    "QW_ASSIGNED");
		CHECK(rep[1] < 10000, "wake: the other process was woken, not "
		    "timed out (%ld ms of 20000)", rep[1]);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "wake: sleeper exited");
	(void)close(ready[0]);
	(void)close(res[0]);

	CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "sleep: relock");
	queue_waiter_free(&q, w);
	CHECK_INT(q.hdr->nwaiters, 0, "sleep: freed");
	queue_unlock(&q);
	queue_close(&q);
}

static void
test_waiters(void)
{
	struct queue q;
	struct queue_waiter *w0, *w1, *w2, *w;
	struct queue_key a = mkkey("none", 1, 100), a2 = mkkey("none", 1, 101),
	    o = mkkey("none", 9, 100), g = mkkey("shop", 2, 100),
	    g2 = mkkey("shop", 3, 200);
	char b[256];
	uint64_t seq0;
	time_t now = time(NULL);
	int i, n;

	tpath(b, sizeof(b), "waiters");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1 ||
	    queue_lock(&q, err, sizeof(err)) == -1) {
		CHECK(0, "waiters: open");
		return;
	}
	CHECK_INT(q.hdr->nwaiters, 0, "waiters: none in a new file");
	CHECK(q.waiters == (struct queue_waiter *)(q.slots + QUEUE_NSLOTS),
	    "waiters: table after the slots");
	CHECK(queue_waiter_first(&q, &a) == NULL, "waiters: first of none");
	seq0 = q.hdr->seq;
	w0 = queue_waiter_add(&q, 200, &a);
	w1 = queue_waiter_add(&q, 201, &a);
	w2 = queue_waiter_add(&q, 202, &g);
	if (!CHECK(w0 == &q.waiters[0] && w1 == &q.waiters[1] &&
	    w2 == &q.waiters[2], "waiters: added in table order")) {
		queue_unlock(&q);
		queue_close(&q);
		return;
	}
	CHECK_INT(q.hdr->nwaiters, 3, "waiters: nwaiters 3");
	CHECK_INT(w0->pid, 200, "waiters: pid stored");
	CHECK_INT(w0->futex, QW_WAITING, "waiters: new waiter is waiting");
	CHECK_INT(w0->assigned, 0, "waiters: nothing assigned yet");
	CHECK(memcmp(&w0->key, &a, sizeof(a)) == 0, "waiters: key stored");
	CHECK(w0->since >= now - 1 && w0->since <= now + 5,
	    "waiters: since is now");
	CHECK_INT(w0->seq, seq0 + 1, "waiters: seq of the first");
	CHECK_INT(w1->seq, seq0 + 2, "waiters: seq of the second");
	CHECK_INT(w2->seq, seq0 + 3, "waiters: seq of the third");
	CHECK_INT(q.hdr->seq, seq0 + 3, "waiters: header keeps the last seq");

	CHECK(queue_waiter_first(&q, &a) == w0, "first: the earliest of the "
	    "script");
	CHECK(queue_waiter_first(&q, &g) == w2, "first: of the named group");
	CHECK(queue_waiter_first(&q, &g2) == w2, "first: another script of "
	    "the same named group is served too");
	CHECK(queue_waiter_first(&q, &a2) == NULL, "first: a backend of "
	    "another version of the script serves none");
	CHECK(queue_waiter_first(&q, &o) == NULL, "first: a backend of "
	    "another script in group none serves none");

	/* Arrival order is by seq, not by position in the table. */
	queue_waiter_free(&q, w0);
	CHECK_INT(w0->pid, 0, "free: waiter cleared");
	CHECK_INT(q.hdr->nwaiters, 3, "free: a hole keeps nwaiters");
	CHECK(queue_waiter_first(&q, &a) == w1, "first: the next after the "
	    "earliest left");
	w = queue_waiter_add(&q, 203, &a);
	CHECK(w == w0, "add: a hole is reused");
	CHECK_INT(w0->seq, seq0 + 4, "add: the reused waiter gets the next seq");
	CHECK_INT(q.hdr->nwaiters, 3, "add: nwaiters still 3");
	CHECK(queue_waiter_first(&q, &a) == w1, "first: by arrival, not by "
	    "position (slot 0 arrived last)");

	/* Woken waiters are no longer candidates. */
	queue_waiter_wake(w1, QW_ASSIGNED);
	CHECK_INT(w1->futex, QW_ASSIGNED, "wake: QW_ASSIGNED set");
	CHECK(queue_waiter_first(&q, &a) == w0, "first: skips a waiter "
	    "already woken");
	queue_waiter_wake(w0, QW_RETRY);
	CHECK_INT(w0->futex, QW_RETRY, "wake: QW_RETRY set");
	CHECK(queue_waiter_first(&q, &a) == NULL, "first: none left waiting");
	CHECK_INT(q.hdr->nwaiters, 3, "wake: waiters stay until freed");

	/* Trimming nwaiters. */
	queue_waiter_free(&q, w2);
	CHECK_INT(q.hdr->nwaiters, 2, "free: the last one trims nwaiters");
	queue_waiter_free(&q, w0);
	CHECK_INT(q.hdr->nwaiters, 2, "free: the first one does not");
	queue_waiter_free(&q, w1);
	CHECK_INT(q.hdr->nwaiters, 0, "free: the last one trims past holes");

	/* Stale bytes beyond nwaiters are free space. */
	q.waiters[0].pid = 999;
	q.waiters[0].key = a;
	q.waiters[0].futex = QW_WAITING;
	q.waiters[0].seq = 1;
	CHECK(queue_waiter_first(&q, &a) == NULL, "first: ignores waiters "
	    "beyond nwaiters");
	w = queue_waiter_add(&q, 204, &a);
	CHECK(w == &q.waiters[0], "add: takes waiters beyond nwaiters");
	CHECK(w != NULL && w->pid == 204 && w->futex == QW_WAITING &&
	    w->seq == seq0 + 5, "add: stale bytes replaced");
	queue_waiter_free(&q, &q.waiters[0]);

	/* A full table. */
	for (i = 0, n = 0; i < QUEUE_NWAITERS; i++)
		n += queue_waiter_add(&q, 1000 + i, i % 2 ? &a : &g) != NULL;
	CHECK_INT(n, QUEUE_NWAITERS, "full: %d waiters added", QUEUE_NWAITERS);
	CHECK_INT(q.hdr->nwaiters, QUEUE_NWAITERS, "full: nwaiters");
	CHECK(queue_waiter_add(&q, 5000, &a) == NULL, "full: add gives NULL");
	CHECK(queue_waiter_first(&q, &g) == &q.waiters[0], "full: first of g");
	CHECK(queue_waiter_first(&q, &a) == &q.waiters[1], "full: first of a");
	queue_waiter_free(&q, &q.waiters[QUEUE_NWAITERS - 1]);
	CHECK_INT(q.hdr->nwaiters, QUEUE_NWAITERS - 1, "full: trimmed by one");
	w = queue_waiter_add(&q, 5001, &a);
	CHECK(w == &q.waiters[QUEUE_NWAITERS - 1], "full: last place reused");
	for (i = QUEUE_NWAITERS - 1; i >= 0; i--)
		queue_waiter_free(&q, &q.waiters[i]);
	CHECK_INT(q.hdr->nwaiters, 0, "full: emptied");
	queue_unlock(&q);

	/* Waiters are in the file: another open sees them. */
	CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "waiters: relock");
	(void)queue_waiter_add(&q, 4242, &g);
	queue_unlock(&q);
	queue_close(&q);
	if (queue_open(&q, b, me, err, sizeof(err)) == 0 &&
	    CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "waiters: reopen")) {
		w = queue_waiter_first(&q, &g);
		CHECK(w != NULL && w->pid == 4242, "waiters: kept in the file");
		CHECK_INT(q.hdr->nrebuilt, 0, "waiters: file not rebuilt");
		if (w != NULL)
			queue_waiter_free(&q, w);
		CHECK_INT(q.hdr->nwaiters, 0, "waiters: none left");
		queue_unlock(&q);
	}
	queue_close(&q);
}

/* The header's nwaiters is checked like nused. */
static void
test_waiter_header(void)
{
	uint32_t v;
	uint64_t z = 0;

	(void)relock("nwaiters: restore");
	v = QUEUE_NWAITERS + 1;
	poke(offsetof(struct queue_header, nwaiters), &v, sizeof(v));
	CHECK_INT(relock("nwaiters: > QUEUE_NWAITERS"), 1, "nwaiters: "
	    "%u > %d is rebuilt", v, QUEUE_NWAITERS);
	v = 0xffffffffu;
	poke(offsetof(struct queue_header, nwaiters), &v, sizeof(v));
	CHECK_INT(relock("nwaiters: 0xffffffff"), 1, "nwaiters: huge value "
	    "rebuilt");
	v = QUEUE_NWAITERS;
	poke(offsetof(struct queue_header, nwaiters), &v, sizeof(v));
	poke(offsetof(struct queue_header, nrebuilt), &z, sizeof(z));
	CHECK_INT(relock("nwaiters: == QUEUE_NWAITERS"), 0, "nwaiters: "
	    "%d (a full table) is accepted", QUEUE_NWAITERS);
	v = 0;
	poke(offsetof(struct queue_header, nwaiters), &v, sizeof(v));
}

static void
test_groups(void)
{
	struct queue q;
	struct queue_group *g, *h, *l1, *l2, *x;
	char b[256], name[32];
	int i, n, distinct;

	tpath(b, sizeof(b), "groups");
	if (queue_open(&q, b, me, err, sizeof(err)) == -1 ||
	    queue_lock(&q, err, sizeof(err)) == -1) {
		CHECK(0, "groups: open");
		return;
	}
	CHECK(q.groups == (struct queue_group *)(q.waiters + QUEUE_NWAITERS),
	    "groups: table after the waiters");
	g = queue_group(&q, "shop");
	if (!CHECK(g == &q.groups[0], "groups: created in the first entry")) {
		queue_unlock(&q);
		queue_close(&q);
		return;
	}
	CHECK_STR(g->name, "shop", "groups: name stored");
	CHECK(g->nrequests == 0 && g->nmaxhit == 0 && g->nspawned == 0,
	    "groups: counters start at 0");
	g->nrequests = 5;
	g->nmaxhit = 2;
	CHECK(queue_group(&q, "shop") == g, "groups: found again");
	CHECK_INT(g->nrequests, 5, "groups: finding keeps the counters");
	h = queue_group(&q, "none");
	CHECK(h == &q.groups[1], "groups: another name, another entry");
	CHECK(queue_group(&q, "sho") != g && queue_group(&q, "shopx") != g,
	    "groups: a prefix or extension is another group");

	/* Only the first 12 characters count. */
	l1 = queue_group(&q, "abcdefghijklmX");
	CHECK(l1 != NULL && strcmp(l1->name, "abcdefghijkl") == 0,
	    "groups: a long name is stored as its first 12 characters");
	CHECK(queue_group(&q, "abcdefghijkl") == l1, "groups: the 12-character "
	    "name finds it");
	l2 = queue_group(&q, "abcdefghijklmX");
	CHECK(l2 == l1, "groups: the same long name finds the same entry");
	l2 = queue_group(&q, "abcdefghijklmY");
	CHECK(l2 == l1, "groups: names equal in their first 12 characters "
	    "share an entry");
	CHECK(queue_group(&q, "abcdefghijkX") != l1, "groups: a difference "
	    "within 12 characters counts");

	/* A full table: NULL for a new name, existing names still found. */
	for (i = 0, n = 0; i < QUEUE_NGROUPS + 5; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		n += queue_group(&q, name) != NULL;
	}
	for (i = 0, distinct = 0; i < QUEUE_NGROUPS; i++)
		distinct += q.groups[i].name[0] != '\0';
	CHECK_INT(distinct, QUEUE_NGROUPS, "groups: table full");
	CHECK(queue_group(&q, "one-more") == NULL, "groups: full table gives "
	    "NULL for a new name");
	CHECK(queue_group(&q, "shop") == g, "groups: full table still finds "
	    "shop");
	snprintf(name, sizeof(name), "g%d", 0);
	x = queue_group(&q, name);
	CHECK(x != NULL && strcmp(x->name, "g0") == 0, "groups: full table "
	    "finds g0");
	/* A freed entry (empty name) is reused. */
	if (x != NULL) {
		memset(x, 0, sizeof(*x));
		CHECK(queue_group(&q, "late") == x, "groups: a free entry is "
		    "reused");
	}
	queue_unlock(&q);
	queue_close(&q);

	/* Counters are in the file. */
	if (queue_open(&q, b, me, err, sizeof(err)) == 0 &&
	    CHECK_INT(queue_lock(&q, err, sizeof(err)), 0, "groups: reopen")) {
		g = queue_group(&q, "shop");
		CHECK(g == &q.groups[0] && g->nrequests == 5 && g->nmaxhit == 2,
		    "groups: counters kept in the file");
		queue_unlock(&q);
	}
	queue_close(&q);
}

static int
rm_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[512];

	if (lstat(path, &st) == -1)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		if ((d = opendir(path)) != NULL) {
			while ((e = readdir(d)) != NULL) {
				if (strcmp(e->d_name, ".") == 0 ||
				    strcmp(e->d_name, "..") == 0)
					continue;
				snprintf(sub, sizeof(sub), "%s/%s", path,
				    e->d_name);
				(void)rm_tree(sub);
			}
			closedir(d);
		}
		return rmdir(path);
	}
	return unlink(path);
}

int
main(void)
{
	unit_note = err;
	int base;

	unit_watchdog(120);
	me = getuid();
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	base = unit_count_fds();
	test_create();
	test_lock();
	test_attach();
	test_rebuild();
	test_slots();
	test_keys();
	test_waiters();
	test_waiter_sleep();
	test_waiter_header();
	test_groups();
	test_refuse();
	unit_watchdog(120);
	CHECK_INT(unit_count_fds(), base, "queue: no descriptor leaked overall");
	CHECK_INT(rm_tree(top), 0, "queue: cleaned up %s", top);
	return unit_done();
}
