/*
 * fe_backend.c: find or start a backend, hand it the request, wait.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fe.h"
#include "proto.h"
#include "util.h"

#define FE_MAX_ARGS	(OPT_MAX_PERLSW + 24)

/*
 * Why the request could not get a backend, for fe_backend_get's caller.
 * The functions below return -2 after setting it (-1 means only "not this
 * backend, look again").
 */
static char fe_err[PROTO_MAXERR];

static int
fail(const char *what, int with_errno)
{
	if (with_errno)
		(void)util_fmt(fe_err, sizeof(fe_err), "%s: %s", what,
		    strerror(errno));
	else
		(void)util_strlcpy(fe_err, what, sizeof(fe_err));
	return -2;
}

/*
 * Connects to the socket of the backend in slot s.  Returns the socket, -1
 * if the backend is gone (its slot is then freed), or -2 if we cannot
 * make a socket.  Called under the
 * queue lock; the connect cannot block because the socket is non-blocking
 * and a listening Unix socket with room in its backlog accepts at once.
 */
static int
connect_slot(struct queue *q, struct queue_slot *s)
{
	struct sockaddr_un sun;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (queue_sockpath(q, s->pid, sun.sun_path, sizeof(sun.sun_path)) == -1)
		return -1;
	/*
	 * Our own failure (out of descriptors): waiting for the backend
	 * would not help, and the callers cannot tell it from a busy one.
	 */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return fail("cannot connect to a backend", 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		(void)close(fd);
		/*
		 * A full backlog (a parent still compiling) is worth waiting
		 * for.  Anything else (no socket, nobody listening, not a
		 * socket) means the slot names no usable backend: reclaim its
		 * slot and socket, so that nobody waits for it.
		 */
		if (errno != EAGAIN && errno != EINTR)
			queue_slot_reclaim(q, s);
		return -1;
	}
	/*
	 * Only the backend the slot names, of our own uid, may get our
	 * stdio.  A socket answered by another process is no backend of
	 * ours either: its slot goes too.
	 */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != getuid() || cred.pid != s->pid) {
		(void)close(fd);
		queue_slot_reclaim(q, s);
		return -1;
	}
	if (fcntl(fd, F_SETFL, 0) == -1) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Asks an idle backend or a parent of an outdated script version to exit. */
static void
retire_slot(struct queue *q, struct queue_slot *s)
{
	int fd;

	s->state = QS_DRAINING;
	if ((fd = connect_slot(q, s)) != -1) {
		(void)proto_send_quit(fd);
		(void)close(fd);
	}
}

/*
 * Under the lock: takes an idle backend of this script version (marking it
 * busy for us) and retires backends of older versions.  Returns a connected
 * socket, -1 if there is none, or -2.
 */
static int
take_idle(struct queue *q, const struct queue_key *key)
{
	struct queue_slot *s;
	uint32_t i;
	int fd = -1;

	for (i = 0; i < q->hdr->nused; i++) {
		s = &q->slots[i];
		if (s->state == QS_FREE || s->state == QS_DRAINING ||
		    !queue_key_same_script(&s->key, key))
			continue;
		if (!queue_key_match(&s->key, key)) {
			if (s->state == QS_IDLE || s->state == QS_PARENT)
				retire_slot(q, s);
			else if (s->state == QS_BUSY)
				s->state = QS_DRAINING;
			continue;
		}
		if (fd != -1 || s->state != QS_IDLE)
			continue;
		if ((fd = connect_slot(q, s)) == -2)
			return -2;
		if (fd == -1)
			continue;
		s->state = QS_BUSY;
		s->fe_pid = (int32_t)getpid();
		s->last_start = (int64_t)time(NULL);
	}
	return fd;
}

/* The numeric options a backend is started with. */
static const int pass[] = { OPT_TIMEOUT, OPT_MAXRUNS, OPT_MAXBACKENDS,
    OPT_BUFSIZGET, OPT_BUFSIZPOST, OPT_MAXRSS, OPT_REQUESTTIMEOUT,
    OPT_CHECKMODULES };
#define NPASS	(sizeof(pass) / sizeof(pass[0]))

/* Builds the backend's command line: the same syntax as speedy's. */
static void
backend_argv(const struct fe_request *req, char **av, char bufs[][32])
{
	static char group[2 + OPT_STR_MAX], tmpbase[2 + OPT_STR_MAX];
	size_t k;
	int i, n = 0;

	av[n++] = (char *)req->opts.str[OPT_BACKENDPROG];
	for (i = 0; i < req->perl.n; i++)
		av[n++] = (char *)req->perl.sw[i];
	av[n++] = "--";
	for (k = 0; k < NPASS; k++) {
		(void)util_fmt(bufs[k], 32, "-%c%ld", opt_table[pass[k]].letter,
		    req->opts.num[pass[k]]);
		av[n++] = bufs[k];
	}
	(void)util_fmt(group, sizeof(group), "-g%s", req->key.group);
	(void)util_fmt(tmpbase, sizeof(tmpbase), "-T%s",
	    req->opts.str[OPT_TMPBASE]);
	av[n++] = group;
	av[n++] = tmpbase;
	av[n++] = "--";
	av[n++] = (char *)req->script;
	av[n] = NULL;
}

/*
 * In the grandchild: becomes the backend.  Its standard input is the
 * control socket; stdout and stderr go to /dev/null so that the web server
 * never waits on a backend for end-of-file; nothing else stays open.
 */
static void __attribute__((noreturn))
exec_backend(char **av, int sock)
{
	char msg[PROTO_MAXERR];
	sigset_t none;
	int null, sig;

	(void)setsid();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);
	if ((null = open("/dev/null", O_RDWR)) == -1 ||
	    dup2(sock, 0) == -1 || dup2(null, 1) == -1 || dup2(null, 2) == -1)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	execv(av[0], av);
	(void)util_fmt(msg, sizeof(msg), "cannot execute backend %s: %s",
	    av[0], strerror(errno));
	(void)proto_send_error(0, msg);
	_exit(127);
}

/*
 * Starts a new backend, detached (double fork, own session) so that it
 * outlives us and is never our zombie.  Returns our end of its control
 * socket, or -2.
 */
static int
spawn_backend(const struct fe_request *req)
{
	char *av[FE_MAX_ARGS], bufs[NPASS][32];
	pid_t pid;
	int sv[2], status;

	if (access(req->opts.str[OPT_BACKENDPROG], X_OK) == -1) {
		(void)util_fmt(fe_err, sizeof(fe_err),
		    "cannot execute backend %s: %s",
		    req->opts.str[OPT_BACKENDPROG], strerror(errno));
		return -2;
	}
	backend_argv(req, av, bufs);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return fail("socketpair", 1);
	if ((pid = fork()) == -1) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		return fail("fork", 1);
	}
	if (pid == 0) {
		(void)close(sv[0]);
		if ((pid = fork()) != 0)
			_exit(pid == -1 ? 1 : 0);
		exec_backend(av, sv[1]);
	}
	(void)close(sv[1]);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			(void)close(sv[0]);
			return fail("waitpid", 1);
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)close(sv[0]);
		return fail("cannot start a backend (fork failed)", 0);
	}
	return sv[0];
}

void
fe_grow_pipes(const struct opt_set *o, int in, int out)
{
	if (o->num[OPT_BUFSIZGET] > 65536)
		(void)fcntl(out, F_SETPIPE_SZ, (int)o->num[OPT_BUFSIZGET]);
	if (o->num[OPT_BUFSIZPOST] > 65536)
		(void)fcntl(in, F_SETPIPE_SZ, (int)o->num[OPT_BUFSIZPOST]);
}

/* Under the lock: the backends (not parents) of key's pool. */
static int
count_pool(struct queue *q, const struct queue_key *key)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < q->hdr->nused; i++)
		if (q->slots[i].state != QS_FREE &&
		    q->slots[i].state != QS_PARENT &&
		    q->slots[i].state != QS_SPAWNING &&
		    queue_key_same_script(&q->slots[i].key, key))
			n++;
	return n;
}

/* Under the lock: the parent holding this script version, if any. */
static struct queue_slot *
find_parent(struct queue *q, const struct queue_key *key)
{
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++)
		if (q->slots[i].state == QS_PARENT &&
		    queue_key_match(&q->slots[i].key, key))
			return &q->slots[i];
	return NULL;
}

/* True if an older live waiter of the same pool is ahead of w. */
static int
someone_ahead(struct queue *q, const struct queue_waiter *w)
{
	const struct queue_waiter *o;
	uint32_t i;

	/* Dead waiters are gone already: choose() reclaims first. */
	for (i = 0; i < q->hdr->nwaiters; i++) {
		o = &q->waiters[i];
		if (o != w && o->pid != 0 && o->seq < w->seq &&
		    queue_key_same_script(&o->key, &w->key))
			return 1;
	}
	return 0;
}

/* Takes the queue lock; -2 (with the reason in fe_err) if we cannot. */
static int
lock(struct queue *q)
{
	return queue_lock(q, fe_err, sizeof(fe_err)) == -1 ? -2 : 0;
}

/* Under the lock: a frontend is already starting this key's parent. */
static int
parent_spawning(struct queue *q, const struct queue_key *key)
{
	struct queue_slot *s;
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++) {
		s = &q->slots[i];
		if (s->state == QS_SPAWNING && queue_key_match(&s->key, key))
			return 1;
	}
	return 0;
}

/*
 * The queue file of the last TmpBase used, kept open and mapped: a
 * speedy-fcgi worker uses it for every request (as a backend keeps its
 * own), and opening, mapping and unmapping it each time cost a sixth of
 * the worker's time.  The file is rebuilt in place, never replaced, so
 * the mapping stays the one everybody uses.  Returns it, or NULL with a
 * message.
 */
static struct queue *
queue_for(const char *tmpbase, char *msg, size_t msglen)
{
	static struct queue q;
	static char open_tb[OPT_STR_MAX + 1];
	static int isopen;

	if (isopen && strcmp(open_tb, tmpbase) == 0)
		return &q;
	if (isopen)
		queue_close(&q);
	isopen = 0;
	if (queue_open(&q, tmpbase, getuid(), msg, msglen) == -1)
		return NULL;
	(void)util_strlcpy(open_tb, tmpbase, sizeof(open_tb));
	isopen = 1;
	return &q;
}

/*
 * The TmpBase of our reservations, once we made one (see reserve); a
 * copy, since a long-lived caller's requests come and go.
 */
static char reserved_in[OPT_STR_MAX + 1];
/* Set when we reserve or wait: then only is there anything to free. */
static int to_release;

/*
 * Frees the reservations no process took over (a backend takes its slot
 * by writing its own pid) and our place among the waiters.  Without this,
 * a frontend that failed after reserving (the backend program missing,
 * say) would leave them for as long as its pid exists, and a zombie's pid
 * exists until the web server reaps it: the frontends waiting for that
 * parent would wait too.  speedy-fcgi's workers live on, so they call it
 * after every request.
 */
void
fe_backend_release(void)
{
	struct queue_slot *s;
	struct queue *q;
	char msg[512];
	int32_t me = (int32_t)getpid();
	uint32_t i;

	if (!to_release || reserved_in[0] == '\0' ||
	    (q = queue_for(reserved_in, msg, sizeof(msg))) == NULL)
		return;
	to_release = 0;
	if (queue_lock(q, msg, sizeof(msg)) == 0) {
		for (i = 0; i < q->hdr->nused; i++) {
			s = &q->slots[i];
			if (s->pid == me && (s->state == QS_STARTING ||
			    s->state == QS_SPAWNING))
				queue_slot_reclaim(q, s);
		}
		for (i = 0; i < q->hdr->nwaiters; i++)
			if (q->waiters[i].pid == me)
				queue_waiter_free(q, &q->waiters[i]);
		queue_unlock(q);
	}
}

static void
release_at_exit(void)
{
	fe_backend_release();
}

/*
 * Under the lock: reserves a slot for what we are about to start (a
 * backend the parent forks for us, or the parent we spawn), so that other
 * frontends count it.  Its pid is ours until the process takes it over; if
 * we exit first, fe_backend_release() frees it, and if we are killed,
 * queue_reclaim().
 */
static void
reserve(struct queue *q, const struct fe_request *req, int state)
{
	struct queue_slot *s;
	uint32_t i;

	if (reserved_in[0] == '\0')
		(void)atexit(release_at_exit);
	(void)util_strlcpy(reserved_in, req->opts.str[OPT_TMPBASE],
	    sizeof(reserved_in));
	to_release = 1;

	for (i = 0; i < q->hdr->nused; i++)
		if (q->slots[i].state == state &&
		    q->slots[i].fe_pid == (int32_t)getpid())
			return;		/* reserved on an earlier round */
	if ((s = queue_slot_alloc(q, getpid())) == NULL)
		return;
	s->state = (uint8_t)state;
	s->key = req->key;
	s->fe_pid = (int32_t)getpid();
	(void)util_strlcpy(s->script, req->script, sizeof(s->script));
}

/* Counts a start of a backend (spawn) or a wait for MaxBackends. */
static void
count(struct queue *q, const struct fe_request *req, int spawn)
{
	struct queue_group *g = queue_group(q, req->key.group);

	if (spawn) {
		q->hdr->nspawned++;
		if (g != NULL)
			g->nspawned++;
	} else {
		q->hdr->nmaxhit++;
		if (g != NULL)
			g->nmaxhit++;
	}
}

/* Under the lock: our place in the line of waiting frontends, or NULL. */
static struct queue_waiter *
add_waiter(struct queue *q, const struct fe_request *req)
{
	struct queue_waiter *w;

	if ((w = queue_waiter_add(q, getpid(), &req->key)) == NULL)
		(void)fail("too many requests waiting for a backend", 0);
	return w;	/* choose() frees it, and so does an error path */
}

/*
 * Under the lock, as waiter w: sleeps until woken (a backend that became
 * idle took us, a backend exited, a parent registered) or a second passed.
 * Returns the socket of the backend that took us, -1 to look again, or -2
 * (*locked then says whether we hold the lock).  *w is re-created if the
 * file was rebuilt meanwhile.
 */
static int
sleep_turn(struct queue *q, const struct fe_request *req,
    struct queue_waiter **w, int *locked)
{
	struct queue_slot *s;
	pid_t me = getpid();
	int fd;

	queue_unlock(q);
	/* The timeout only guards against a lost wake-up or a dead peer. */
	queue_waiter_sleep(*w, 1000);
	if (lock(q) == -2) {
		*locked = 0;
		return -2;
	}
	if ((*w)->pid != me && (*w = add_waiter(q, req)) == NULL)
		return -2;
	if ((*w)->futex == QW_ASSIGNED) {
		/* Keep our place in line in case that backend is gone. */
		s = queue_slot_find(q, (*w)->assigned);
		(*w)->assigned = 0;
		if (s != NULL && s->fe_pid == me && (fd = connect_slot(q, s)) != -1)
			return fd;
	}
	(*w)->futex = QW_WAITING;
	return -1;
}

/*
 * Decides, under the lock, how this request gets a backend: an idle one;
 * a fork from the script's parent; a wait (MaxBackends reached, or another
 * frontend is starting the parent right now, or earlier requests are still
 * waiting); or starting the parent ourselves (returns -1 with *spawn set).
 * Otherwise returns the socket to send the request on, or -2 (*locked says
 * whether we still hold the lock).
 */
static int
choose(struct queue *q, const struct fe_request *req, int *spawn,
    int *locked)
{
	struct queue_waiter *w = NULL;
	struct queue_slot *p;
	long max = req->opts.num[OPT_MAXBACKENDS];
	int fd, hit = 0;

	*spawn = 0;
	for (;;) {
		if ((fd = take_idle(q, &req->key)) != -1)
			break;
		(void)queue_reclaim(q, 0);
		if ((w != NULL && someone_ahead(q, w)) ||
		    (max > 0 && count_pool(q, &req->key) >= max)) {
			if (!hit++)
				count(q, req, 0);
		} else if ((p = find_parent(q, &req->key)) != NULL) {
			reserve(q, req, QS_STARTING);
			if ((fd = connect_slot(q, p)) == -2)
				break;
			if (fd != -1) {
				count(q, req, 1);
				break;
			}
			if (p->state != QS_PARENT)
				continue;	/* a dead parent, now reclaimed */
			/* Its backlog is full (it is still compiling): wait. */
		} else if (!parent_spawning(q, &req->key)) {
			reserve(q, req, QS_STARTING);
			reserve(q, req, QS_SPAWNING);
			count(q, req, 1);
			*spawn = 1;
			break;
		}
		if (w == NULL && (w = add_waiter(q, req)) == NULL) {
			fd = -2;
			break;
		}
		if ((fd = sleep_turn(q, req, &w, locked)) != -1)
			break;
	}
	if (w != NULL && *locked)
		queue_waiter_free(q, w);
	return fd;
}

int
fe_backend_get(struct fe_request *req, char *msg, size_t msglen)
{
	struct queue *q;
	int fd, spawn = 0, locked = 1;

	if ((q = queue_for(req->opts.str[OPT_TMPBASE], msg, msglen)) == NULL)
		return -1;
	if ((fd = lock(q)) == 0) {
		fd = choose(q, req, &spawn, &locked);
		if (locked)
			queue_unlock(q);
		else {
			/* Our place in line is still there: free it later. */
			(void)util_strlcpy(reserved_in,
			    req->opts.str[OPT_TMPBASE], sizeof(reserved_in));
			to_release = 1;
		}
	}
	if (spawn)
		fd = spawn_backend(req);
	if (fd < 0) {
		(void)util_strlcpy(msg, fe_err, msglen);
		return -1;
	}
	return fd;
}

/*
 * Under the lock: the process running our request.  A backend serving it
 * is marked busy (or draining) for us; during a script's first request
 * the parent that compiles it is marked with us until it forks.
 */
static struct queue_slot *
serving_slot(struct queue *q)
{
	struct queue_slot *parent = NULL;
	int32_t me = (int32_t)getpid();
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++) {
		if (q->slots[i].fe_pid != me)
			continue;
		if (q->slots[i].state == QS_BUSY ||
		    q->slots[i].state == QS_DRAINING)
			return &q->slots[i];
		if (q->slots[i].state == QS_PARENT)
			parent = &q->slots[i];
	}
	return parent;
}

int
fe_backend_drain(const char *tmpbase, const struct queue_key *keys, int nkeys)
{
	struct queue_slot *s;
	struct queue *q;
	char msg[512];
	uint32_t i;
	int k, n = 0;

	if ((q = queue_for(tmpbase, msg, sizeof(msg))) == NULL)
		return 0;
	if (queue_lock(q, msg, sizeof(msg)) == 0) {
		for (i = 0; i < q->hdr->nused; i++) {
			s = &q->slots[i];
			for (k = 0; k < nkeys; k++)
				if (queue_key_same_script(&s->key, &keys[k]))
					break;
			if (k == nkeys)
				continue;
			if (s->state == QS_IDLE || s->state == QS_PARENT) {
				retire_slot(q, s);
				n++;
			} else if (s->state == QS_BUSY) {
				s->state = QS_DRAINING;
				n++;
			}
		}
		queue_unlock(q);
	}
	return n;
}

pid_t
fe_backend_kill(const struct fe_request *req)
{
	struct queue_slot *s;
	struct queue *q;
	char msg[512];
	pid_t pid = 0;

	if ((q = queue_for(req->opts.str[OPT_TMPBASE], msg, sizeof(msg))) ==
	    NULL)
		return 0;
	if (queue_lock(q, msg, sizeof(msg)) == 0) {
		if ((s = serving_slot(q)) != NULL) {
			pid = (pid_t)s->pid;
			(void)kill(pid, SIGKILL);
			queue_slot_reclaim(q, s);
		}
		queue_unlock(q);
	}
	return pid;
}

/* RequestTimeout passed: kills the request's backend and fails. */
static void __attribute__((noreturn))
timed_out(const struct fe_request *req)
{
	pid_t pid = fe_backend_kill(req);

	if (pid != 0)
		errx(FE_EXIT_FAIL, "%s: request timed out after %ld s; its "
		    "backend (pid %ld) was killed", req->script,
		    req->opts.num[OPT_REQUESTTIMEOUT], (long)pid);
	errx(FE_EXIT_FAIL, "%s: request timed out after %ld s", req->script,
	    req->opts.num[OPT_REQUESTTIMEOUT]);
}

/*
 * With a RequestTimeout, waits that long for the reply to begin; without
 * one, returns at once and the read blocks (no extra system call).
 */
static void
await_reply(int sock, const struct fe_request *req)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct timespec end;
	int n, ms;

	if (req->opts.num[OPT_REQUESTTIMEOUT] <= 0)
		return;
	util_deadline(&end, req->opts.num[OPT_REQUESTTIMEOUT] * 1000);
	while ((ms = util_ms_until(&end)) > 0) {
		if ((n = poll(&pfd, 1, ms)) > 0 || (n == -1 && errno != EINTR))
			return;	/* the reply (or an error) is there */
	}
	timed_out(req);
}

/* Exits the way the script ended. */
static int
finish(int kind, int code)
{
	if (kind == PROTO_KILLED && code > 0 && code < NSIG) {
		(void)signal(code, SIG_DFL);
		(void)raise(code);
		return 128 + code;
	}
	return code & 0xff;
}

int
fe_run(struct fe_request *req)
{
	char msg[PROTO_MAXERR + 1];
	int fds[PROTO_NFDS] = { 0, 1, 2, -1 };
	int sock, kind = 0, code = 0, r;

	fe_grow_pipes(&req->opts, 0, 1);
	if ((fds[3] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 &&
	    (fds[3] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(FE_EXIT_FAIL, "cannot open the current directory");
	if ((sock = fe_backend_get(req, msg, sizeof(msg))) == -1)
		errx(FE_EXIT_FAIL, "%s", msg);
	/*
	 * A backend that went away shows up again as a missing reply, with
	 * its reason; anything else is ours to report.  Closing the socket
	 * (by exiting) returns the backend to the pool.
	 */
	if (proto_send_request(sock, fds, req->script, req->argv0, req->args,
	    req->env) == -1 && errno != EPIPE && errno != ECONNRESET)
		err(FE_EXIT_FAIL, "%s: cannot send the request", req->script);
	await_reply(sock, req);
	r = proto_recv_reply(sock, &kind, &code, msg, sizeof(msg));
	switch (r) {
	case PROTO_STATUS:
		return finish(kind, code);
	case PROTO_ERROR:
		errx(FE_EXIT_FAIL, "%s", msg);
	case 0:
		errx(FE_EXIT_FAIL, "%s: the backend exited before the request "
		    "finished", req->script);
	default:
		errx(FE_EXIT_FAIL, "%s: lost the backend: %s", req->script,
		    msg);
	}
}
