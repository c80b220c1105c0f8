/*
 * gen_seeds.c: writes the seed inputs that are made rather than written
 * by hand, with the functions that make the real thing, so that they
 * follow the formats: messages from proto_send_*, snapshots from
 * conf_compile and snap_write, queue-file inputs from queue_lock and the
 * allocators, and copies of the shipped configuration files.
 *
 *	gen_seeds CORPUSDIR	(run from the top of the tree: make fuzz-seeds)
 *
 * It is a maintainer's tool, built with the gcc build's objects.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "proto.h"
#include "queue.h"
#include "snap.h"
#include "util.h"

/* As in fuzz_queue.c. */
#define FUZZ_NSLOTS	8
#define FUZZ_NWAITERS	8
#define FUZZ_NGROUPS	8
#define FUZZ_NSCRIPTS	4
/* What the seeds say for every time(): 2026-01-01. */
#define SEED_TIME	1767225600
/* Where the configurations are compiled, relative to the tree's top. */
#define GEN_CONFDIR	"tests/fuzz/build/gen-conf"

static const char *corpus;
static char tmp[] = "/tmp/speedy-gen.XXXXXX";

static void
write_seed(const char *target, const char *name, const void *data,
    size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	if (util_fmt(path, sizeof(path), "%s/%s", corpus, target) == -1 ||
	    (mkdir(path, 0755) == -1 && errno != EEXIST))
		err(1, "%s", path);
	(void)util_fmt(path, sizeof(path), "%s/%s/%s", corpus, target, name);
	if ((fp = fopen(path, "w")) == NULL ||
	    (len > 0 && fwrite(data, len, 1, fp) != 1) || fclose(fp) == EOF)
		err(1, "%s", path);
}

/* Reads all of a file into a new buffer. */
static char *
slurp(const char *path, size_t *len)
{
	char *buf;
	FILE *fp;
	long n;

	if ((fp = fopen(path, "r")) == NULL || fseek(fp, 0, SEEK_END) == -1 ||
	    (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) == -1)
		err(1, "%s", path);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		err(1, NULL);
	if (n > 0 && fread(buf, (size_t)n, 1, fp) != 1)
		err(1, "%s", path);
	(void)fclose(fp);
	*len = (size_t)n;
	return buf;
}

/*
 * Captures what one of the senders writes: calls send on one end of a
 * socketpair and returns what the other end reads (descriptors dropped).
 */
static size_t
capture(int (*send)(int, void *), void *arg, char *buf, size_t len)
{
	ssize_t n;
	size_t got = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		err(1, "socketpair");
	if (send(sv[1], arg) == -1)
		err(1, "send");
	(void)close(sv[1]);
	while ((n = read(sv[0], buf + got, len - got)) > 0)
		got += (size_t)n;
	(void)close(sv[0]);
	return got;
}

struct req {
	const char	*script, *argv0;
	char *const	*args, *const *env;
};

static int
send_req(int sock, void *arg)
{
	const struct req *r = arg;
	int fds[PROTO_NFDS], i, rc;

	for (i = 0; i < PROTO_NFDS; i++)
		if ((fds[i] = open("/dev/null", O_RDONLY)) == -1)
			err(1, "/dev/null");
	rc = proto_send_request(sock, fds, r->script, r->argv0, r->args,
	    r->env);
	for (i = 0; i < PROTO_NFDS; i++)
		(void)close(fds[i]);
	return rc;
}

static int
send_exited(int sock, void *arg)
{
	(void)arg;
	return proto_send_status(sock, PROTO_EXITED, 3);
}

static int
send_killed(int sock, void *arg)
{
	(void)arg;
	return proto_send_status(sock, PROTO_KILLED, 9);
}

static int
send_error(int sock, void *arg)
{
	return proto_send_error(sock, arg);
}

static int
send_quit(int sock, void *arg)
{
	(void)arg;
	return proto_send_quit(sock);
}

/*
 * One seed for proto_fds, with its four control bytes, and unless
 * fds_only (the control bytes make the difference) for proto.
 */
static void
proto_seed(const char *name, const unsigned char ctl[4], int fds_only,
    int (*send)(int, void *), void *arg)
{
	static char buf[1 << 16];
	size_t n;

	n = capture(send, arg, buf + 4, sizeof(buf) - 4);
	if (!fds_only)
		write_seed("proto", name, buf + 4, n);
	memcpy(buf, ctl, 4);
	write_seed("proto_fds", name, buf, n + 4);
}

static void
proto_seeds(void)
{
	static char *args[] = { "a b", "-x", NULL }, *none[] = { NULL };
	static char *env[] = { "PATH=/usr/bin:/bin", "QUERY_STRING=a=1&b=2",
	    "REQUEST_METHOD=GET", "SPEEDY_TIMEOUT=60", NULL };
	static const unsigned char fds4[4] = { 4, 0, 0, 0 },
	    late[4] = { 4, 1, 20, 0 }, many[4] = { 6, 0, 0, 0 },
	    nofds[4] = { 0, 0, 0, 0 }, reply[4] = { 0, 2, 0, 0 };
	struct req full = { "/var/www/cgi-bin/env.pl", "env.pl", args, env },
	    empty = { "/s", "", none, none },
	    relative = { "s.pl", "s.pl", none, none };
	char msg[] = "speedy_backend: syntax error at /s line 3.";

	proto_seed("request", fds4, 0, send_req, &full);
	proto_seed("request-empty", fds4, 0, send_req, &empty);
	proto_seed("request-fds-late", late, 1, send_req, &full);
	proto_seed("request-too-many-fds", many, 1, send_req, &empty);
	proto_seed("request-no-fds", nofds, 1, send_req, &empty);
	proto_seed("request-relative", fds4, 0, send_req, &relative);
	proto_seed("status-exited", reply, 0, send_exited, NULL);
	proto_seed("status-killed", reply, 0, send_killed, NULL);
	proto_seed("error", reply, 0, send_error, msg);
	proto_seed("quit", nofds, 0, send_quit, NULL);
}

static void
print_error(void *arg, const char *line)
{
	(void)arg;
	warnx("%s", line);
}

/* Compiles a configuration directory and writes its snapshot as a seed. */
static void
snap_seed(const char *confdir, const char *name)
{
	char path[PATH_MAX], msg[512], *buf;
	struct conf c;
	size_t len;

	if (conf_compile(confdir, &c, print_error, NULL) != 0)
		errx(1, "%s: the configuration has errors", confdir);
	(void)util_fmt(path, sizeof(path), "%s/snapshot", tmp);
	if (snap_write(path, c.sects, c.nsects, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	conf_free(&c);
	buf = slurp(path, &len);
	/* The checksum does not cover the header: a fixed time keeps seeds
	 * the same from one run of gen_seeds to the next. */
	((struct snap_header *)(void *)buf)->created = SEED_TIME;
	write_seed("snap", name, buf, len);
	if (strcmp(name, "shop") == 0) {
		/* Cut short, and with a byte changed under the checksum. */
		write_seed("snap", "shop-truncated", buf, len / 2);
		buf[len - 2] ^= 0x20;
		write_seed("snap", "shop-checksum", buf, len);
	}
	free(buf);
}

static void
put_file(const char *dir, const char *name, const char *text, size_t len)
{
	char path[PATH_MAX];
	FILE *fp;

	(void)util_fmt(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL ||
	    (len > 0 && fwrite(text, len, 1, fp) != 1) || fclose(fp) == EOF)
		err(1, "%s", path);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(path);
}

/* The shipped configuration files as seeds, and snapshots made of them. */
static void
conf_seeds(void)
{
	static const char many[] = "tmpbase = /tmp/sp\nlock = {\"group\"}\n"
	    "site \"a\" {\n\tscripts = {\"/a/*.pl\", \"/a/b/**\"}\n"
	    "\tmaxruns = 7\n\tperlargs = \"-w -T\"\n}\n"
	    "site \"b.c\" {\n\tscripts = {\"/**\"}\n\tgroup = bee\n"
	    "\tlock = {\"maxruns\"}\n}\n"
	    "site \"d_e-f\" {\n\tscripts = {\"/a/?.pl\", \"/x[0-9]/*\"}\n"
	    "\ttimeout = 0\n\tbackendprog = /usr/bin/speedy_backend\n}\n";
	char dir[PATH_MAX], sd[PATH_MAX], *text;
	size_t len;

	text = slurp("etc/speedy/speedy.conf", &len);
	write_seed("conf", "speedy.conf", text, len);
	/*
	 * A fixed relative path, not one in tmp: the snapshots record the
	 * file names, and the seeds must not change from one run to the
	 * next.
	 */
	(void)util_fmt(dir, sizeof(dir), "%s", GEN_CONFDIR);
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	(void)util_fmt(sd, sizeof(sd), "%s/sites.d", dir);
	if (mkdir(dir, 0755) == -1 || mkdir(sd, 0755) == -1)
		err(1, "%s", sd);
	put_file(dir, "speedy.conf", text, len);
	free(text);
	snap_seed(dir, "global");
	text = slurp("examples/sites/shop.conf", &len);
	write_seed("conf", "shop.conf", text, len);
	write_seed("conf_sitesd", "shop.conf", text, len);
	put_file(sd, "shop.conf", text, len);
	free(text);
	snap_seed(dir, "shop");
	write_seed("conf", "many.conf", many, sizeof(many) - 1);
	put_file(dir, "speedy.conf", many, sizeof(many) - 1);
	snap_seed(dir, "many");
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Writes the queue file's header and the leading entries of its tables
 * as fuzz_queue reads its input, after the flags byte.
 */
static void
queue_input(const struct queue *q, unsigned char flags, const char *name)
{
	static unsigned char buf[1 + sizeof(struct queue_header) +
	    FUZZ_NSLOTS * sizeof(struct queue_slot) +
	    FUZZ_NWAITERS * sizeof(struct queue_waiter) +
	    FUZZ_NGROUPS * sizeof(struct queue_group) +
	    FUZZ_NSCRIPTS * sizeof(struct queue_script)];
	unsigned char *p = buf;

	*p++ = flags;
	memcpy(p, q->hdr, sizeof(*q->hdr));
	p += sizeof(*q->hdr);
	memcpy(p, q->slots, FUZZ_NSLOTS * sizeof(*q->slots));
	p += FUZZ_NSLOTS * sizeof(*q->slots);
	memcpy(p, q->waiters, FUZZ_NWAITERS * sizeof(*q->waiters));
	p += FUZZ_NWAITERS * sizeof(*q->waiters);
	memcpy(p, q->groups, FUZZ_NGROUPS * sizeof(*q->groups));
	p += FUZZ_NGROUPS * sizeof(*q->groups);
	memcpy(p, q->scripts, FUZZ_NSCRIPTS * sizeof(*q->scripts));
	p += FUZZ_NSCRIPTS * sizeof(*q->scripts);
	write_seed("queue", name, buf, (size_t)(p - buf));
}

/* A slot of pid in state, running the script path of group. */
static void
add_slot(struct queue *q, pid_t pid, int state, const char *group,
    const char *path)
{
	struct queue_slot *s;

	if ((s = queue_slot_alloc(q, pid)) == NULL)
		errx(1, "queue_slot_alloc");
	s->state = (uint8_t)state;
	(void)util_strlcpy(s->key.group, group, sizeof(s->key.group));
	s->key.dev = 2049;
	s->key.ino = 1234;
	s->key.pathhash = util_hash(path);
	(void)util_strlcpy(s->script, path, sizeof(s->script));
	s->fe_pid = state == QS_BUSY ? 1 : 0;
}

/*
 * Puts a fixed time wherever the queue code stamped time(), so that the
 * seeds are the same from one run of gen_seeds to the next.
 */
static void
fix_times(struct queue *q)
{
	int i;

	q->hdr->created = SEED_TIME;
	q->hdr->last_sweep = SEED_TIME;
	for (i = 0; i < FUZZ_NSLOTS; i++) {
		q->slots[i].started = q->slots[i].pid ? SEED_TIME : 0;
		q->slots[i].last_start = q->slots[i].last_end = 0;
	}
	for (i = 0; i < FUZZ_NWAITERS; i++)
		q->waiters[i].since = q->waiters[i].pid ? SEED_TIME : 0;
	for (i = 0; i < FUZZ_NSCRIPTS; i++)
		q->scripts[i].last_end = 0;
}

/* Queue-file inputs: a pool in use, the same with a sweep, files cut. */
static void
queue_seeds(void)
{
	struct queue q;
	struct queue_key key;
	unsigned char raw[1 + sizeof(struct queue_header) +
	    2 * sizeof(struct queue_slot)];
	char base[PATH_MAX], msg[512];

	(void)util_fmt(base, sizeof(base), "%s/q", tmp);
	if (queue_open(&q, base, getuid(), msg, sizeof(msg)) == -1 ||
	    queue_lock(&q, msg, sizeof(msg)) == -1)
		errx(1, "%s", msg);
	/* Pid 1 is alive; 2147483646 is not. */
	add_slot(&q, 1, QS_PARENT, "none", "/var/www/cgi-bin/a.pl");
	add_slot(&q, 1, QS_IDLE, "none", "/var/www/cgi-bin/a.pl");
	add_slot(&q, 2147483646, QS_BUSY, "shop", "/var/www/shop/cart.pl");
	add_slot(&q, 2147483646, QS_DRAINING, "shop", "/var/www/shop/x.pl");
	memset(&key, 0, sizeof(key));
	(void)util_strlcpy(key.group, "shop", sizeof(key.group));
	if (queue_waiter_add(&q, 1, &key) == NULL ||
	    queue_waiter_add(&q, 2147483646, &key) == NULL ||
	    queue_group(&q, "shop") == NULL || queue_group(&q, "none") == NULL)
		errx(1, "queue: cannot add waiters and groups");
	(void)queue_script(&q, 2049, 1234, "none", "/var/www/cgi-bin/a.pl");
	(void)queue_script(&q, 2049, 1235, "shop", "/var/www/shop/cart.pl");
	fix_times(&q);
	queue_input(&q, 0, "pool");
	queue_input(&q, 4, "pool-sweep");
	queue_input(&q, 2, "pool-at-end");
	queue_input(&q, 8, "pool-attach");
	/* Raw files: the header and two slots only, and nothing at all. */
	raw[0] = 1;
	memcpy(raw + 1, q.hdr, sizeof(raw) - 1);
	write_seed("queue", "raw-truncated", raw, sizeof(raw));
	write_seed("queue", "raw-empty", raw, 1);
	queue_unlock(&q);
	queue_close(&q);
}


int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds corpusdir\n");
		return 2;
	}
	corpus = argv[1];
	if (mkdtemp(tmp) == NULL)
		err(1, "mkdtemp");
	proto_seeds();
	conf_seeds();
	queue_seeds();
	(void)nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
