/*
 * fuzz_queue.c: the queue-file validator.  The queue file sits in a
 * directory of the user's own, but any process of the user (a script
 * gone wrong) can write it, so queue_lock must rebuild whatever it cannot
 * trust, and nothing must crash on what it keeps.
 *
 * The input is written as the queue file, queue.3, of a private TmpBase
 * directory (mode 0700, the file 0600); queue_open and queue_lock then
 * validate or rebuild it, and queue_reclaim, queue_slot_find,
 * queue_waiter_first, queue_group, queue_script and the slot and waiter
 * allocators run on whatever survived.  A real file has QUEUE_FILE_SIZE
 * bytes (416384), too many for a fuzzer to mutate, so the first byte of
 * the input says how the rest becomes the file:
 *   bit 0  the rest is the whole file as it is (its size is wrong unless
 *          it is QUEUE_FILE_SIZE bytes long: the rebuild path);
 *   else   the file has QUEUE_FILE_SIZE bytes, zero but for: the header
 *          (128 bytes), then FUZZ_NSLOTS slots, FUZZ_NWAITERS waiters,
 *          FUZZ_NGROUPS groups and FUZZ_NSCRIPTS scripts, taken from the
 *          rest in that order, at the start of their tables, or with
 *          bit 1 at their end;
 *   bit 2  queue_reclaim also sweeps the directory, in which a few
 *          "<pid>.sock" files are made first;
 *   bit 3  the file is opened with queue_attach, as speedy-admin (run by
 *          root over every user's files) opens it, not queue_open.
 * The last FUZZ_KEYLEN bytes of the input also serve as the key, group
 * name and script path looked up.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "queue.h"

#define FUZZ_NSLOTS	8
#define FUZZ_NWAITERS	8
#define FUZZ_NGROUPS	8
#define FUZZ_NSCRIPTS	4
#define FUZZ_KEYLEN	sizeof(struct queue_key)

#define F_RAW		0x01
#define F_AT_END	0x02
#define F_SWEEP		0x04
#define F_ATTACH	0x08

/* Where each table starts in the file. */
#define OFF_SLOTS	sizeof(struct queue_header)
#define OFF_WAITERS	(OFF_SLOTS + QUEUE_NSLOTS * sizeof(struct queue_slot))
#define OFF_GROUPS	(OFF_WAITERS + \
			    QUEUE_NWAITERS * sizeof(struct queue_waiter))
#define OFF_SCRIPTS	(OFF_GROUPS + QUEUE_NGROUPS * sizeof(struct queue_group))

static char base[512], dir[600], file[640];

static void
init_paths(void)
{
	if (base[0] != '\0')
		return;
	fuzz_path(base, sizeof(base), "q");
	(void)snprintf(dir, sizeof(dir), "%s.%u", base, (unsigned)getuid());
	(void)snprintf(file, sizeof(file), "%s/queue.%d", dir, QUEUE_VERSION);
}

/* The file being made: zero but for what the input puts in it. */
static unsigned char image[QUEUE_FILE_SIZE];

/*
 * Copies the next part of the input, at most max bytes, into the table at
 * off whose nent entries have entsize bytes: to its start, or at_end to
 * its end.
 */
static void
put_table(const uint8_t **data, size_t *size, size_t max, size_t off,
    size_t nent, size_t entsize, int at_end)
{
	size_t n = *size < max ? *size : max;

	if (at_end)
		off += nent * entsize - max;
	memcpy(image + off, *data, n);
	*data += n;
	*size -= n;
}

/*
 * Writes the queue file as the flags say.  A full-size file is written
 * over the old one, not truncated first: on a disk-backed /tmp, freeing
 * and allocating its blocks for every input costs more than the rest.
 */
static void
write_queue(int flags, const uint8_t *data, size_t size)
{
	int fd, end = (flags & F_AT_END) != 0;
	size_t n;

	fuzz_mkdir(dir, 0700);
	if (flags & F_RAW) {
		fuzz_write_file(file, data, size, 0600);
		return;
	}
	memset(image, 0, sizeof(image));
	n = size < sizeof(struct queue_header) ? size :
	    sizeof(struct queue_header);
	memcpy(image, data, n);
	data += n;
	size -= n;
	put_table(&data, &size, FUZZ_NSLOTS * sizeof(struct queue_slot),
	    OFF_SLOTS, QUEUE_NSLOTS, sizeof(struct queue_slot), end);
	put_table(&data, &size, FUZZ_NWAITERS * sizeof(struct queue_waiter),
	    OFF_WAITERS, QUEUE_NWAITERS, sizeof(struct queue_waiter), end);
	put_table(&data, &size, FUZZ_NGROUPS * sizeof(struct queue_group),
	    OFF_GROUPS, QUEUE_NGROUPS, sizeof(struct queue_group), end);
	put_table(&data, &size, FUZZ_NSCRIPTS * sizeof(struct queue_script),
	    OFF_SCRIPTS, QUEUE_NSCRIPTS, sizeof(struct queue_script), end);
	fd = open(file, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || fchmod(fd, 0600) == -1 ||
	    pwrite(fd, image, sizeof(image), 0) != (ssize_t)sizeof(image) ||
	    ftruncate(fd, (off_t)sizeof(image)) == -1)
		fuzz_fail("%s: %s", file, strerror(errno));
	if (close(fd) == -1)
		fuzz_fail("close %s: %s", file, strerror(errno));
}

/* Sockets of live and dead processes, and names that are not sockets'. */
static void
make_sockets(void)
{
	static const char *names[] = {
		"1.sock", "2147483646.sock", "0.sock", "-5.sock", "x.sock",
		"7.sock.sock", ".sock"
	};
	char path[700];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fuzz_write_file(path, "", 0, 0600);
	}
}

/* What header_valid() in queue.c promises once queue_lock has returned. */
static void
check_header(const struct queue *q, const char *when)
{
	const struct queue_header *h = q->hdr;
	uint32_t i;

	if (memcmp(h->magic, "SPEEDYQ", 8) != 0 ||
	    h->version != QUEUE_VERSION ||
	    h->hdrsize != sizeof(struct queue_header) ||
	    h->slotsize != sizeof(struct queue_slot) ||
	    h->nslots != QUEUE_NSLOTS || h->nused > QUEUE_NSLOTS ||
	    h->nwaiters > QUEUE_NWAITERS)
		fuzz_fail("%s: invalid header (nused %u, nwaiters %u)", when,
		    h->nused, h->nwaiters);
	for (i = 0; i < h->nused; i++)
		if (q->slots[i].state >= QS__COUNT ||
		    (q->slots[i].state != QS_FREE && q->slots[i].pid <= 0))
			fuzz_fail("%s: slot %u: state %u, pid %d", when, i,
			    q->slots[i].state, q->slots[i].pid);
}

/* Fails unless p is NULL or one of the n entries of size sz at base. */
static void
check_entry(const void *p, const void *tab, size_t n, size_t sz,
    const char *what)
{
	const char *c = p, *t = tab;

	if (p != NULL && (c < t || c >= t + n * sz || (size_t)(c - t) % sz))
		fuzz_fail("%s: not an entry of its table", what);
}

/* The lookups and updates the frontend and the backends make. */
static void
exercise(struct queue *q, int flags, const uint8_t *tail)
{
	struct queue_key key;
	struct queue_slot *s;
	struct queue_waiter *w;
	char name[QUEUE_GROUPLEN], path[FUZZ_KEYLEN + 1];
	uint32_t i;

	memcpy(&key, tail, sizeof(key));
	(void)queue_reclaim(q, (flags & F_SWEEP) != 0);
	check_header(q, "after queue_reclaim");
	for (i = 0; i < q->hdr->nused && i < FUZZ_NSLOTS; i++) {
		s = &q->slots[i];
		(void)queue_state_name(s->state);
		check_entry(queue_slot_find(q, s->pid), q->slots, QUEUE_NSLOTS,
		    sizeof(*s), "queue_slot_find");
		check_entry(queue_waiter_first(q, &s->key), q->waiters,
		    QUEUE_NWAITERS, sizeof(*w), "queue_waiter_first");
		(void)queue_key_match(&s->key, &key);
		(void)queue_key_same_script(&s->key, &key);
	}
	check_entry(queue_slot_find(q, getpid()), q->slots, QUEUE_NSLOTS,
	    sizeof(*s), "queue_slot_find");
	check_entry(queue_waiter_first(q, &key), q->waiters, QUEUE_NWAITERS,
	    sizeof(*w), "queue_waiter_first");
	/* Names as the frontend and backend pass them: NUL-terminated. */
	memcpy(name, key.group, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	memcpy(path, tail, FUZZ_KEYLEN);
	path[FUZZ_KEYLEN] = '\0';
	check_entry(queue_group(q, name), q->groups, QUEUE_NGROUPS,
	    sizeof(struct queue_group), "queue_group");
	check_entry(queue_group(q, QUEUE_GROUP_NONE), q->groups,
	    QUEUE_NGROUPS, sizeof(struct queue_group), "queue_group");
	check_entry(queue_script(q, key.dev, key.ino, name, path), q->scripts,
	    QUEUE_NSCRIPTS, sizeof(struct queue_script), "queue_script");
	if ((s = queue_slot_alloc(q, getpid())) != NULL) {
		check_entry(s, q->slots, QUEUE_NSLOTS, sizeof(*s),
		    "queue_slot_alloc");
		if (queue_slot_find(q, getpid()) == NULL)
			fuzz_fail("the slot allocated is not found");
		s->key = key;
		queue_slot_free(q, s);
	}
	if ((w = queue_waiter_add(q, getpid(), &key)) != NULL) {
		check_entry(w, q->waiters, QUEUE_NWAITERS, sizeof(*w),
		    "queue_waiter_add");
		if (queue_waiter_first(q, &key) == NULL)
			fuzz_fail("the waiter added is not found");
		queue_waiter_free(q, w);
	}
	check_header(q, "after the updates");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[FUZZ_KEYLEN];
	struct queue q;
	char err[512];
	int before, flags;

	if (size == 0)
		return 0;
	init_paths();
	before = fuzz_nfds();
	flags = data[0];
	write_queue(flags, data + 1, size - 1);
	if (flags & F_SWEEP)
		make_sockets();
	if ((flags & F_ATTACH ? queue_attach(&q, base, getuid(), err,
	    sizeof(err)) : queue_open(&q, base, getuid(), err,
	    sizeof(err))) == -1)
		fuzz_fail("queue_open: %s", err);
	if (queue_lock(&q, err, sizeof(err)) == -1)
		fuzz_fail("queue_lock: %s", err);
	check_header(&q, "after queue_lock");
	if ((flags & F_RAW) && size - 1 != QUEUE_FILE_SIZE &&
	    (q.hdr->nused != 0 || q.hdr->nwaiters != 0))
		fuzz_fail("a file of %zu bytes was not rebuilt", size - 1);
	exercise(&q, flags, size - 1 >= FUZZ_KEYLEN ?
	    data + size - FUZZ_KEYLEN : zero);
	queue_unlock(&q);
	queue_close(&q);
	if (fuzz_nfds() != before)
		fuzz_fail("descriptor leak: %d open before, %d after", before,
		    fuzz_nfds());
	return 0;
}
