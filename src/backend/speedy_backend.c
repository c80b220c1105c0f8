/*
 * speedy_backend: persistent perl interpreters for one script.
 *
 * speedy starts it with the control socket of a first request as standard
 * input and /dev/null as standard output and error.  The process started
 * so becomes the script's *parent*: it compiles the script while that
 * request's descriptors are its own (so compile errors reach the client),
 * forks a child to run the request, and from then on only forks: every
 * further backend the script needs is a copy-on-write child of a process
 * that already holds the compiled code, not a new compilation.
 *
 * A child is a *backend*: it serves requests one at a time on its socket
 * "<TmpBase>.<uid>/<pid>.sock", registered in the queue file as idle
 * between them.  It exits after Timeout idle seconds, after MaxRuns
 * requests, when asked to (QUIT, a newer script version, SIGTERM) or when
 * the script asks for it.  The parent exits when it has been idle for
 * Timeout seconds and has no children left, when a newer version of the
 * script appears, or on SIGTERM; its children live on.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "be.h"
#include "snap.h"
#include "util.h"

#ifndef SPEEDY_SNAPSHOT
#define SPEEDY_SNAPSHOT "/var/lib/speedy/snapshot"
#endif

/*
 * A backend has one connection at a time; a parent that is still
 * compiling collects every request that arrives meanwhile.
 */
#define LISTEN_BACKLOG	128

extern char **environ;

static volatile sig_atomic_t got_term, got_chld;

static struct opt_set	 opts;		/* this backend's options */
static struct opt_perlsw perlsw;
static struct be_script	 script;	/* path and key; the text is perl's */
static struct queue	 q;
static char		 sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int		 listenfd = -1, devnull = -1, selfpipe[2] = { -1, -1 };
static int		 shutdown_next, startup = 1;
static int		 ctlfd = 0;	/* the first request's control socket */
static int		 cur_conn = -1;	/* the connection being served */
static int		 own_fork;	/* 1 while we fork a backend */
static int		 nchildren;	/* the parent's live children */
static int		 redundant;	/* another parent holds our version */
static pid_t		 mypid;
static time_t		 idle_since;
static struct timespec	 compile_start;	/* the parent's, for CheckModules */
static const char	*cur_script;	/* the request's, while it runs */

#define RECHECK_MS	2000	/* idle poll: reservations by dead frontends */
#define PARENT_CHECK_MS	10000	/* parent: is our slot still there? */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: speedy_backend [perl-switches] [-- "
	    "speedy-options] script\n");
	exit(2);
}

/*
 * A failure before our first request was answered: tell the waiting
 * frontend (ctlfd), which prints it, or else whoever reads stderr.  Not
 * both: our stderr may be that frontend's own (the first request's, while
 * the parent forks its first backend), and one failure is one line.
 */
static void __attribute__((noreturn))
fatal(const char *msg)
{
	char line[PROTO_MAXERR];

	(void)util_fmt(line, sizeof(line), "speedy_backend: %s", msg);
	if (!startup || proto_send_error(ctlfd, line) == -1)
		warnx("%s", msg);
	exit(1);
}

static void
on_signal(int sig)
{
	int save = errno;
	ssize_t r;

	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
	/* A full pipe already holds a wake-up; nothing is lost. */
	r = write(selfpipe[1], "", 1);
	(void)r;
	errno = save;
}

/*
 * In the child of a fork the script makes (perl's fork without exec, or
 * the fork before an exec): the backend's descriptors are not its
 * business.  Kept open, the child's copy of the listening socket would
 * take connections nobody accepts once the backend is gone, its copy of
 * the request's connection would keep the frontend of a killed backend
 * waiting for as long as the child lives, and its copy of the queue file
 * would keep the lock of a backend killed while holding it.  Our
 * TERM/INT/HUP handler goes too: the child ends on them as a forked plain
 * perl does (unless the script installed its own).
 */
static void
script_forked(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	int *fds[] = { &listenfd, &cur_conn, &q.fd, &q.dirfd, &selfpipe[0],
	    &selfpipe[1] };
	struct sigaction sa;
	size_t i;

	if (own_fork)
		return;
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] > 2) {
			(void)close(*fds[i]);
			*fds[i] = -1;
		}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &sa) == 0 &&
		    sa.sa_handler == on_signal)
			(void)signal(sigs[i], SIG_DFL);
}

/*
 * Forks a backend of ours (not a child of the script's): perl's buffers
 * are flushed first, as perl's own fork does, and script_forked leaves
 * the child's descriptors alone.
 */
static pid_t
fork_backend_process(void)
{
	pid_t pid;

	be_perl_flush();
	own_fork = 1;
	pid = fork();
	own_fork = 0;
	return pid;
}

/*
 * Our handlers: TERM/INT/HUP end the backend gracefully (after the current
 * request).  Installed again after every request, because the script may
 * have changed them.  SIGPIPE is perl's (see glue.pl); our own socket
 * writes use MSG_NOSIGNAL so that none is ever raised outside a request.
 */
static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

int
be_getopt(const char *name, char *buf, size_t len)
{
	int id;

	if ((id = opt_lookup(name)) == -1)
		return -1;
	(void)opt_format(&opts, id, buf, len);
	return 0;
}

/*
 * True (with err set) if the configuration locks option id for the script
 * being run, or if the snapshot that would say so cannot be read.  Only
 * setopt asks, so the snapshot is read then, not on every request.
 */
static int
locked(int id, char *err, size_t errlen)
{
	struct snap snap;
	struct snap_result r;
	const char *path = getenv("SPEEDY_SNAPSHOT");
	char msg[512];
	int rc;

	if (path == NULL || *path == '\0')
		path = SPEEDY_SNAPSHOT;
	if ((rc = snap_open(&snap, path, msg, sizeof(msg))) == 1)
		return 0;
	if (rc == -1 || snap_apply(&snap, cur_script != NULL ? cur_script :
	    script.path, &r, msg, sizeof(msg)) == -1) {
		snap_close(&snap);
		util_fmt(err, errlen, "%s", msg);
		return 1;
	}
	snap_close(&snap);
	if (!r.locked[id])
		return 0;
	util_fmt(err, errlen, "%s is locked by the configuration",
	    opt_table[id].name);
	return 1;
}

/* True if MaxRSS is set and our resident size exceeds it. */
static int
too_big(void)
{
	char buf[128], *sp;
	long pages, rss;

	if (opts.num[OPT_MAXRSS] <= 0 ||
	    util_read_file("/proc/self/statm", buf, sizeof(buf)) <= 0)
		return 0;
	/* statm: total program size, then resident pages. */
	if ((sp = strchr(buf, ' ')) == NULL ||
	    (pages = strtol(sp + 1, NULL, 10)) <= 0)
		return 0;
	rss = pages * (sysconf(_SC_PAGESIZE) / 1024);
	return rss > opts.num[OPT_MAXRSS] * 1024;
}

int
be_setopt(const char *name, const char *value, char *old, size_t oldlen,
    char *err, size_t errlen)
{
	struct opt_set tmp = opts;
	char *copy;
	int id;

	if ((id = opt_lookup(name)) == -1) {
		util_fmt(err, errlen, "unknown option '%s'", name);
		return -1;
	}
	if (!(opt_table[id].ctx & OPT_CTX_SETOPT)) {
		util_fmt(err, errlen, "%s cannot be changed in a running "
		    "backend", opt_table[id].name);
		return -1;
	}
	if (locked(id, err, errlen))
		return -1;
	if ((copy = strdup(value)) == NULL) {
		util_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (opt_set_value(&tmp, id, copy, err, errlen) == -1) {
		free(copy);
		return -1;
	}
	(void)opt_format(&opts, id, old, oldlen);
	opts = tmp;
	/*
	 * A number was parsed from the copy; a string keeps pointing at it
	 * (option strings are few and small: an old copy is not freed).
	 */
	if (opt_table[id].type != OPT_T_STR)
		free(copy);
	return 0;
}

void
be_shutdown_next_time(void)
{
	shutdown_next = 1;
}

/* Under the lock: our slot, or NULL if the file was rebuilt under us. */
static struct queue_slot *
my_slot(void)
{
	return queue_slot_find(&q, mypid);
}

static void
lock_queue(void)
{
	char msg[256];

	if (queue_lock(&q, msg, sizeof(msg)) == -1)
		fatal(msg);
}

/* Under the lock: the first waiting frontend we can serve, still alive. */
static struct queue_waiter *
live_waiter(const struct queue_key *key)
{
	struct queue_waiter *w;

	while ((w = queue_waiter_first(&q, key)) != NULL && queue_pid_gone(w->pid))
		queue_waiter_free(&q, w);
	return w;
}

/* Under the lock: wakes every frontend waiting for a backend of key. */
static void
wake_all(const struct queue_key *key)
{
	struct queue_waiter *w;
	uint32_t i;

	for (i = 0; i < q.hdr->nwaiters; i++) {
		w = &q.waiters[i];
		if (w->pid != 0 && w->futex == QW_WAITING &&
		    queue_key_match(key, &w->key))
			queue_waiter_wake(w, QW_RETRY);
	}
}

/*
 * Under the lock: leaves the queue and removes our socket.  A frontend
 * waiting for room in the pool may now start a backend: wake the first.
 */
static void
unregister_keep_socket(void)
{
	struct queue_slot *s;
	struct queue_waiter *w;
	struct queue_key key;
	int parent;

	if ((s = my_slot()) != NULL) {
		key = s->key;
		parent = s->state == QS_PARENT;
		queue_slot_free(&q, s);
		if (parent)
			wake_all(&key);	/* someone else must start one */
		else if ((w = live_waiter(&key)) != NULL)
			queue_waiter_wake(w, QW_RETRY);
	}
}

static void
unregister(void)
{
	unregister_keep_socket();
	/* On the way out, sweep: we may be the last process to see the file. */
	(void)queue_reclaim(&q, 1);
	if (listenfd != -1) {
		(void)unlink(sockpath);
		(void)close(listenfd);
		listenfd = -1;
	}
}

/* Under the lock: idle, or straight away busy for the first waiter. */
static void
go_idle(struct queue_slot *s)
{
	struct queue_waiter *w;

	s->fe_pid = 0;
	s->state = QS_IDLE;
	idle_since = time(NULL);
	if ((w = live_waiter(&s->key)) == NULL)
		return;
	s->state = QS_BUSY;
	s->fe_pid = w->pid;
	s->last_start = (int64_t)time(NULL);
	w->assigned = (int32_t)mypid;
	queue_waiter_wake(w, QW_ASSIGNED);
}

static void __attribute__((noreturn))
leave(void)
{
	be_perl_shutdown();
	exit(0);
}

/* Leaves the queue (if end_request has not) and exits. */
static void __attribute__((noreturn))
retire(void)
{
	lock_queue();
	unregister();
	queue_unlock(&q);
	leave();
}

/* Creates our socket (mode 0600 in the 0700 directory). */
static void
make_socket(void)
{
	struct sockaddr_un sun;
	char msg[256];
	mode_t mask;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (queue_sockpath(&q, mypid, sockpath, sizeof(sockpath)) == -1)
		fatal("socket path too long; use a shorter TmpBase");
	memcpy(sun.sun_path, sockpath, sizeof(sun.sun_path));
	if ((listenfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal(strerror(errno));
	(void)unlink(sockpath);		/* left by a dead process with our pid */
	mask = umask(077);
	if (bind(listenfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(listenfd, LISTEN_BACKLOG) == -1) {
		(void)umask(mask);
		(void)util_fmt(msg, sizeof(msg), "%s: %s", sockpath,
		    strerror(errno));
		fatal(msg);
	}
	(void)umask(mask);
}

/*
 * Under the lock: true if another parent already holds this version of
 * our script.  Two frontends can start one each when the script changes
 * on disk between them: the first reserved the start for the version it
 * saw, but its parent found the newer one, which the second frontend
 * then saw nobody starting.
 */
static int
parent_exists(const struct queue_key *key)
{
	uint32_t i;

	for (i = 0; i < q.hdr->nused; i++)
		if (q.slots[i].state == QS_PARENT &&
		    q.slots[i].pid != (int32_t)mypid &&
		    queue_key_match(&q.slots[i].key, key))
			return 1;
	return 0;
}

/*
 * Registers us in the queue file: as the parent (taking the place the
 * frontend that started us reserved, and waking the frontends that waited
 * for us to appear), or as a backend busy for frontend fe (taking the slot
 * that frontend reserved for us, if any).  A parent that finds its version
 * held by another is redundant: it and the backend it forks serve the
 * request that started them, marked draining so that nobody else uses
 * them, and leave.
 */
static void
register_slot(int state, pid_t fe)
{
	struct queue_slot *s = NULL;
	struct queue_key key = script.key;
	int want = state == QS_BUSY ? QS_STARTING : QS_SPAWNING;
	uint32_t i;

	(void)util_strlcpy(key.group, opts.str[OPT_GROUP], OPT_GROUP_SIG + 1);
	lock_queue();
	if (state == QS_PARENT && parent_exists(&key))
		redundant = 1;
	for (i = 0; i < q.hdr->nused; i++)
		if (q.slots[i].state == want && q.slots[i].fe_pid == fe) {
			s = &q.slots[i];
			break;
		}
	if (s == NULL && (s = queue_slot_alloc(&q, mypid)) == NULL) {
		unregister();
		queue_unlock(&q);
		fatal("the queue file has no free slot");
	}
	memset(s, 0, sizeof(*s));
	s->pid = (int32_t)mypid;
	s->started = (int64_t)time(NULL);
	s->key = key;
	(void)util_strlcpy(s->script, script.path, sizeof(s->script));
	s->state = (uint8_t)(redundant ? QS_DRAINING : state);
	/*
	 * A parent is marked with the frontend of the first request until it
	 * forks, so that RequestTimeout can find what runs that request.
	 */
	s->fe_pid = (int32_t)fe;
	s->last_start = (int64_t)time(NULL);
	if (state == QS_PARENT && !redundant)
		wake_all(&s->key);
	queue_unlock(&q);
}

/* The pid of the process at the other end of a Unix socket. */
static pid_t
peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return 0;
	return cred.pid;
}

/*
 * CheckModules: true if its interval has passed since our last check and
 * a file in %INC changed since our parent began compiling.  That instant,
 * not the time each module was loaded (which perl does not record), is
 * the baseline, which is why a change retires the parent too: its
 * successor starts after the change.
 */
static int
modules_changed(void)
{
	static time_t last;
	time_t now;

	if (opts.num[OPT_CHECKMODULES] <= 0)
		return 0;
	now = time(NULL);
	if (last != 0 && now - last < opts.num[OPT_CHECKMODULES])
		return 0;
	last = now;
	return be_perl_inc_changed(&compile_start);
}

/*
 * Under the lock: marks draining our parent and every backend of our
 * script version (in a named group: of the group), as the frontend does
 * for an outdated script.  The idle ones and the parent leave at their
 * next periodic check (see idle_check and parent_loop), the busy ones
 * after their request; frontends skip them from now on.
 */
static void
drain_version(const struct queue_slot *me)
{
	struct queue_slot *s;
	uint32_t i;

	for (i = 0; i < q.hdr->nused; i++) {
		s = &q.slots[i];
		if ((s->state == QS_IDLE || s->state == QS_BUSY ||
		    s->state == QS_PARENT) && s != me &&
		    queue_key_match(&s->key, &me->key))
			s->state = QS_DRAINING;
	}
}

/*
 * After a request: counts it and decides whether we go back to idle (or
 * on to a waiting frontend) or exit.  Returns 1 to keep serving.  A
 * backend that exits only leaves the queue here, so that nobody picks it
 * any more; the sweep and its socket wait until the frontend has its
 * answer (see retire).
 */
static int
end_request(const struct be_status *st, const char *path)
{
	struct queue_slot *s;
	struct queue_group *g;
	struct queue_script *sc;
	int keep, fat = too_big(), stale = modules_changed();

	lock_queue();
	q.hdr->nrequests++;
	if ((g = queue_group(&q, opts.str[OPT_GROUP])) != NULL)
		g->nrequests++;
	if (st->ino != 0 && path != NULL) {
		sc = queue_script(&q, st->dev, st->ino, opts.str[OPT_GROUP], path);
		sc->nrequests++;
		sc->last_end = (int64_t)time(NULL);
	}
	keep = (s = my_slot()) != NULL && !st->retire && !shutdown_next &&
	    !got_term && s->state != QS_DRAINING;
	if (s != NULL) {
		/* In a named group, the script last run. */
		if (path != NULL)
			(void)util_strlcpy(s->script, path, sizeof(s->script));
		s->runs++;
		s->last_end = (int64_t)time(NULL);
		if ((opts.num[OPT_MAXRUNS] > 0 &&
		    s->runs >= (uint32_t)opts.num[OPT_MAXRUNS]) || fat)
			keep = 0;
		if (stale) {
			keep = 0;
			drain_version(s);
		}
	}
	if (keep)
		go_idle(s);
	else
		unregister_keep_socket();
	queue_unlock(&q);
	return keep;
}

/* Puts the request's descriptors on 0, 1, 2 and enters its directory. */
static int
install_stdio(struct proto_request *req)
{
	int i;

	cur_script = req->script;
	for (i = 0; i < 3; i++)
		if (dup2(req->fds[i], i) == -1)
			return -1;
	if (fchdir(req->fds[3]) == -1)
		return -1;
	for (i = 0; i < PROTO_NFDS; i++) {
		(void)close(req->fds[i]);
		req->fds[i] = -1;
	}
	return 0;
}

/*
 * Puts /dev/null back on 0-2 (perl has closed its handles, so the client
 * sees end-of-file now) and leaves the client's directory.
 */
static void
release_stdio(void)
{
	int i;

	for (i = 0; i < 3; i++)
		(void)dup2(devnull, i);
	if (chdir("/") == -1)
		return;		/* stay in the client's directory; harmless */
}

/*
 * Completes a request whose script has been begun (st says how that
 * went): runs it, finishes it, answers the frontend.  Returns 1 to keep
 * serving.
 */
static int
complete(int conn, struct proto_request *req, struct be_status *st,
    int begun)
{
	int keep;

	if (begun)
		be_perl_run(st);
	be_perl_finish(st);
	/*
	 * The frontend waits for our answer, and the web server for the
	 * frontend: only the queue's say on who takes the next request comes
	 * first.  That request waits in our socket's backlog meanwhile.
	 */
	keep = end_request(st, req->script);
	startup = 0;
	(void)proto_send_status(conn, st->kind, st->code);
	(void)close(conn);
	cur_conn = -1;
	proto_request_free(req);
	/*
	 * Children the script forked and did not wait for would be reaped
	 * by init when a plain perl exits; a backend lives on, so it reaps
	 * those that have exited once the request is over.
	 */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	release_stdio();
	install_signals();
	return keep;
}

/* Serves one connection as a backend.  Returns 1 to keep serving. */
static int
serve(int conn)
{
	struct proto_request req;
	struct be_status st = { .kind = PROTO_EXITED };
	char msg[256];
	int r;

	cur_conn = conn;
	r = proto_recv(conn, &req, msg, sizeof(msg));
	if (r != PROTO_REQUEST) {
		/* QUIT, or a frontend that died before sending anything. */
		cur_conn = -1;
		(void)close(conn);
		if (r == PROTO_QUIT)
			return 0;
		return end_request(&st, NULL);
	}
	if (install_stdio(&req) == -1) {
		st.code = 255;
		st.retire = 1;
		return complete(conn, &req, &st, 0);
	}
	return complete(conn, &req, &st, be_perl_begin(&req, &st) == 0);
}

/*
 * Under the lock, idle: frees a reservation whose frontend died before
 * connecting, and says whether it is time to exit.
 */
static int
idle_check(void)
{
	struct queue_slot *s;
	time_t now = time(NULL);

	/*
	 * Idle, we look after the file: what the dead left behind goes.  One
	 * sweep per interval for the whole file, not one per idle backend.
	 */
	if (now - q.hdr->last_sweep >= RECHECK_MS / 1000) {
		q.hdr->last_sweep = (int64_t)now;
		(void)queue_reclaim(&q, 0);
	}
	if ((s = my_slot()) == NULL)
		return 1;
	if (s->state == QS_BUSY && queue_pid_gone(s->fe_pid))
		go_idle(s);
	/*
	 * Draining while no frontend is on its way to us (we were idle when
	 * it was marked, or that frontend died): nobody will send the QUIT
	 * that was meant for us, or it was lost.  Leave now.
	 */
	if (s->state == QS_DRAINING &&
	    (s->fe_pid == 0 || queue_pid_gone(s->fe_pid)))
		return 1;
	if (s->state != QS_IDLE)
		return 0;
	return got_term || (opts.num[OPT_TIMEOUT] > 0 &&
	    now - idle_since >= opts.num[OPT_TIMEOUT]);
}

/* Waits for events on fd and the self-pipe; returns poll's result. */
static int
wait_event(int fd, int ms, int *ready)
{
	struct pollfd pfd[2];
	char buf[16];
	int n;

	pfd[0].fd = fd;
	pfd[1].fd = selfpipe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	n = poll(pfd, 2, ms);
	if (n > 0 && (pfd[1].revents & POLLIN))
		while (read(selfpipe[0], buf, sizeof(buf)) > 0)
			;
	*ready = n > 0 && (pfd[0].revents & POLLIN);
	return n;
}

/* Accepts a connection from a process of our own uid, or returns -1. */
static int
accept_peer(void)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int conn;

	if ((conn = accept4(listenfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return -1;
	/* Root too: speedy-admin drains other users' backends with QUIT. */
	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    (cred.uid != getuid() && cred.uid != 0)) {
		(void)close(conn);
		return -1;
	}
	return conn;
}

/* A backend's life: requests until it is time to go. */
static void __attribute__((noreturn))
backend_loop(void)
{
	int conn, ready, done;

	for (;;) {
		(void)wait_event(listenfd, RECHECK_MS, &ready);
		if (!ready) {
			lock_queue();
			if ((done = idle_check()) != 0)
				unregister();
			queue_unlock(&q);
			if (done)
				leave();
			continue;
		}
		if ((conn = accept_peer()) != -1 && !serve(conn))
			retire();
	}
}

/*
 * In a child the parent just forked: a backend of its own, with its own
 * socket and self-pipe, registered busy for the frontend being served.
 */
static void
become_backend(int conn)
{
	struct sigaction sa;

	mypid = getpid();
	be_perl_forked();
	(void)prctl(PR_SET_NAME, "speedy_backend", 0, 0, 0);
	if (listenfd != -1)
		(void)close(listenfd);
	listenfd = -1;
	(void)close(selfpipe[0]);
	(void)close(selfpipe[1]);
	if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal(strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	got_term = got_chld = 0;
	nchildren = 0;
	make_socket();
	register_slot(QS_BUSY, peer_pid(conn));
}

/*
 * Parent: reaps children that exited, and frees what a child that was
 * killed left in the queue file (a backend that exits cleanly has already
 * left it).
 */
static void
reap(void)
{
	int n = 0;

	while (waitpid(-1, NULL, WNOHANG) > 0) {
		nchildren--;
		n++;
	}
	got_chld = 0;
	if (n > 0) {
		lock_queue();
		(void)queue_reclaim(&q, 1);
		queue_unlock(&q);
	}
}

/*
 * Parent: serves a fork request (a frontend that found no idle backend
 * connected to us).  The child handles the request; the parent goes on.
 * Returns 0 if the parent should exit (QUIT).
 */
static int
fork_backend(int conn)
{
	struct proto_request req;
	char msg[256];
	pid_t pid;
	int r;

	r = proto_recv(conn, &req, msg, sizeof(msg));
	if (r != PROTO_REQUEST) {
		(void)close(conn);
		return r != PROTO_QUIT;
	}
	pid = fork_backend_process();
	if (pid == -1) {
		(void)proto_send_error(conn, "cannot fork a backend");
		(void)close(conn);
		proto_request_free(&req);
		return 1;
	}
	if (pid == 0) {
		struct be_status st = { .kind = PROTO_EXITED };
		int begun;

		/* Until it is answered, a failure goes to this frontend. */
		ctlfd = cur_conn = conn;
		startup = 1;
		become_backend(conn);
		begun = install_stdio(&req) == 0 &&
		    be_perl_begin(&req, &st) == 0;
		if (!begun && st.code == 0) {
			st.code = 255;
			st.retire = 1;
		}
		if (complete(conn, &req, &st, begun))
			backend_loop();
		retire();
	}
	nchildren++;
	(void)close(conn);
	proto_request_free(&req);
	return 1;
}

/* The parent's life: fork backends until it is time to go. */
static void __attribute__((noreturn))
parent_loop(void)
{
	struct queue_slot *s;
	long timeout;
	int conn, ready, n, ms, lost;

	idle_since = time(NULL);
	for (;;) {
		/* It has served the request that started it (register_slot). */
		if (redundant)
			break;
		timeout = opts.num[OPT_TIMEOUT];
		ms = timeout > 0 && timeout * 1000 < PARENT_CHECK_MS ?
		    (int)timeout * 1000 : PARENT_CHECK_MS;
		n = wait_event(listenfd, ms, &ready);
		if (got_chld)
			reap();
		if (got_term)
			break;
		if (n == 0) {
			if (timeout > 0 && nchildren == 0 &&
			    time(NULL) - idle_since >= timeout)
				break;
			/*
			 * A rebuilt queue file lost us: nobody finds us now.
			 * Draining (a backend found an edited module): nobody
			 * will use us again.
			 */
			lock_queue();
			lost = (s = my_slot()) == NULL ||
			    s->state == QS_DRAINING;
			queue_unlock(&q);
			if (lost)
				break;
			continue;
		}
		if (!ready || (conn = accept_peer()) == -1)
			continue;
		idle_since = time(NULL);
		if (!fork_backend(conn))
			break;
	}
	lock_queue();
	unregister();
	queue_unlock(&q);
	/*
	 * The parent never ran a request: END blocks and shutdown handlers
	 * belong to the backends that did, so it leaves without them.
	 */
	_exit(0);
}

/*
 * The script did not compile: the requests that queued up on our socket
 * meanwhile get the same error on their stderr and the same status, and
 * we leave the queue.
 */
static void
refuse_waiting(int code)
{
	struct proto_request req;
	const char *why = be_perl_error();
	char msg[256];
	int conn;

	lock_queue();
	unregister_keep_socket();
	queue_unlock(&q);
	(void)fcntl(listenfd, F_SETFL, O_NONBLOCK);
	while ((conn = accept_peer()) != -1) {
		if (proto_recv(conn, &req, msg, sizeof(msg)) == PROTO_REQUEST) {
			(void)util_write_all(req.fds[2], why, strlen(why));
			(void)proto_send_status(conn, PROTO_EXITED, code);
			proto_request_free(&req);
		}
		(void)close(conn);
	}
	(void)unlink(sockpath);
}

/*
 * The first request: compile while its descriptors are ours, then hand
 * the request to a forked child and become the parent.  A script that
 * does not compile gets its error and status here, and we exit.
 */
static void __attribute__((noreturn))
first_request(int conn)
{
	struct proto_request req;
	struct be_status st = { .kind = PROTO_EXITED };
	struct queue_slot *s;
	char msg[256];
	pid_t pid;
	int r;

	cur_conn = conn;
	if ((r = proto_recv(conn, &req, msg, sizeof(msg))) != PROTO_REQUEST) {
		if (r == -1)
			fatal(msg);	/* out of descriptors, say */
		exit(0);
	}
	/*
	 * Registered before compiling: requests that arrive meanwhile wait
	 * in our socket's backlog instead of each starting a parent.
	 */
	make_socket();
	register_slot(QS_PARENT, peer_pid(conn));
	(void)clock_gettime(CLOCK_REALTIME, &compile_start);
	if (install_stdio(&req) == -1)
		fatal(strerror(errno));
	if ((st.code = be_perl_init(&perlsw, strcmp(opts.str[OPT_GROUP],
	    QUEUE_GROUP_NONE) != 0)) != 0 || be_perl_begin(&req, &st) == -1) {
		/* perl printed why on the client's stderr. */
		if (st.code == 0)
			st.code = 255;
		st.retire = 1;
		release_stdio();
		(void)proto_send_status(conn, st.kind, st.code);
		refuse_waiting(st.code);
		exit(0);
	}
	pid = fork_backend_process();
	if (pid == -1)
		fatal("cannot fork a backend");
	if (pid == 0) {
		become_backend(conn);
		if (complete(conn, &req, &st, 1))
			backend_loop();
		retire();
	}
	nchildren++;
	startup = 0;
	lock_queue();
	if ((s = my_slot()) != NULL)
		s->fe_pid = 0;
	queue_unlock(&q);
	/* ps and speedy-admin tell the parent from its backends by name. */
	(void)prctl(PR_SET_NAME, "speedy_parent", 0, 0, 0);
	(void)close(conn);
	cur_conn = -1;
	be_perl_finish(&st);	/* closes the handles; nothing is buffered */
	release_stdio();
	proto_request_free(&req);
	install_signals();
	parent_loop();
}

/*
 * Drops the entries of our environment that are not NAME=value (or have
 * an empty name).  %ENV never has them, so no request's %ENV could remove
 * them, and the child processes of every later request would inherit
 * what the request that started us had.  (Perl itself removes a name's
 * second entry.)
 */
static void
clean_environ(void)
{
	char **r, **w;

	if (environ == NULL)
		return;
	for (r = w = environ; *r != NULL; r++)
		if (**r != '=' && strchr(*r, '=') != NULL)
			*w++ = *r;
	*w = NULL;
}

/* The identity of the script we were started for, for the queue file. */
static int
script_key(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		util_fmt(err, errlen, "%s: %s", path, errno != 0 ?
		    strerror(errno) : "not a regular file");
		return -1;
	}
	if ((script.path = strdup(path)) == NULL) {
		util_fmt(err, errlen, "out of memory");
		return -1;
	}
	script.key.dev = (uint64_t)st.st_dev;
	script.key.ino = (uint64_t)st.st_ino;
	script.key.mtime_sec = (int64_t)st.st_mtim.tv_sec;
	script.key.mtime_nsec = (int64_t)st.st_mtim.tv_nsec;
	script.key.pathhash = util_hash(path);
	return 0;
}

int
main(int argc, char **argv)
{
	static char *words[OPT_MAX_PERLSW * 2 + 64];
	struct opt_cmdline cl;
	struct sigaction sa;
	char msg[512];
	const char *path;
	int conn;

	clean_environ();
	be_perl_sysinit(&argc, &argv, &environ);
	mypid = getpid();
	if (opt_parse_cmdline(&cl, argc, argv, words,
	    (int)(sizeof(words) / sizeof(words[0])), OPT_NEED_SCRIPT, msg,
	    sizeof(msg)) == -1) {
		warnx("%s", msg);
		if (proto_send_error(0, msg) == -1)
			usage();
		exit(2);
	}
	opt_defaults(&opts, "");
	opt_merge(&opts, &cl.opts);
	perlsw = cl.perl;
	path = cl.argv[cl.script_ix];
	if (path[0] != '/')
		fatal("the script path must be absolute");
	if (pipe2(selfpipe, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal(strerror(errno));
	install_signals();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGCHLD, &sa, NULL);
	if ((errno = pthread_atfork(NULL, NULL, script_forked)) != 0)
		fatal(strerror(errno));
	if (script_key(path, msg, sizeof(msg)) == -1)
		fatal(msg);
	if (queue_open(&q, opts.str[OPT_TMPBASE], getuid(), msg,
	    sizeof(msg)) == -1)
		fatal(msg);
	/* The first request arrives on stdin; free fd 0 for its stdin. */
	if ((conn = fcntl(0, F_DUPFD_CLOEXEC, 3)) == -1)
		fatal(strerror(errno));
	ctlfd = conn;
	(void)dup2(devnull, 0);
	first_request(conn);
}
