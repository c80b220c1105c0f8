/*
 * speedy_backend: a persistent perl interpreter for one script.
 *
 * speedy starts it with the control socket of the first request as
 * standard input and /dev/null as standard output and error.  It compiles
 * the script while serving that request, then waits on its own socket
 * "<TmpBase>.<uid>/<pid>.sock" for further requests, registered in the
 * queue file as idle.  It exits after Timeout idle seconds, after MaxRuns
 * requests, when asked to (QUIT, a newer script version, SIGTERM) or when
 * the script asks for it (shutdown_next_time).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

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

#include "be.h"
#include "util.h"

#define LISTEN_BACKLOG	16

extern char **environ;

static volatile sig_atomic_t got_term;

static struct opt_set	 opts;		/* this backend's options */
static struct opt_perlsw perlsw;
static struct be_script	 script;
static struct queue	 q;
static char		 sockpath[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int		 listenfd = -1, devnull = -1, selfpipe[2] = { -1, -1 };
static int		 perl_started, shutdown_next, startup = 1;
static int		 ctlfd = 0;	/* the first request's control socket */
static pid_t		 mypid;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: speedy_backend [perl-switches] [-- "
	    "speedy-options] script\n");
	exit(2);
}

/*
 * A failure before the first request was answered: tell the waiting
 * frontend (our stdin is its control socket) and whoever reads stderr.
 */
static void __attribute__((noreturn))
fatal(const char *msg)
{
	char line[PROTO_MAXERR];

	(void)util_fmt(line, sizeof(line), "speedy_backend: %s", msg);
	if (startup)
		(void)proto_send_error(ctlfd, line);
	warnx("%s", msg);
	exit(1);
}

static void
on_term(int sig)
{
	int save = errno;

	(void)sig;
	got_term = 1;
	(void)write(selfpipe[1], "", 1);
	errno = save;
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
	sa.sa_handler = on_term;
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
	if ((copy = strdup(value)) == NULL) {
		util_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (opt_set_value(&tmp, id, copy, err, errlen) == -1) {
		free(copy);
		return -1;
	}
	(void)opt_format(&opts, id, old, oldlen);
	/* Option strings are few and small; an old copy is not freed. */
	opts = tmp;
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

/* Under the lock: leaves the queue and removes our socket. */
static void
unregister(void)
{
	struct queue_slot *s;

	if ((s = my_slot()) != NULL)
		queue_slot_free(&q, s);
	if (listenfd != -1) {
		(void)unlink(sockpath);
		(void)close(listenfd);
		listenfd = -1;
	}
}

static void __attribute__((noreturn))
leave(void)
{
	be_perl_shutdown();
	exit(0);
}

/* Creates our socket and slot; the first request makes us busy. */
static void
setup(void)
{
	struct sockaddr_un sun;
	struct queue_slot *s;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	char msg[256];
	mode_t mask;

	if (queue_open(&q, opts.str[OPT_TMPBASE], getuid(), msg,
	    sizeof(msg)) == -1)
		fatal(msg);
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
	lock_queue();
	if ((s = queue_slot_alloc(&q, mypid)) == NULL) {
		unregister();
		queue_unlock(&q);
		fatal("the queue file has no free slot");
	}
	s->key = script.key;
	(void)util_strlcpy(s->key.group, opts.str[OPT_GROUP], OPT_GROUP_SIG + 1);
	(void)util_strlcpy(s->script, script.path, sizeof(s->script));
	s->state = QS_BUSY;
	if (getsockopt(0, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
		s->fe_pid = cred.pid;
	s->last_start = (int64_t)time(NULL);
	queue_unlock(&q);
}

/*
 * After a request: counts it and decides whether we go back to idle or
 * exit.  Returns 1 to keep serving.
 */
static int
end_request(const struct be_status *st)
{
	struct queue_slot *s;
	int keep;

	lock_queue();
	q.hdr->nrequests++;
	keep = (s = my_slot()) != NULL && !st->retire && !shutdown_next &&
	    !got_term && s->state != QS_DRAINING;
	if (s != NULL) {
		s->runs++;
		s->last_end = (int64_t)time(NULL);
		s->fe_pid = 0;
		if (opts.num[OPT_MAXRUNS] > 0 &&
		    s->runs >= (uint32_t)opts.num[OPT_MAXRUNS])
			keep = 0;
	}
	if (keep)
		s->state = QS_IDLE;
	else
		unregister();
	queue_unlock(&q);
	return keep;
}

/* Puts the request's descriptors on 0, 1, 2 and enters its directory. */
static int
install_stdio(struct proto_request *req)
{
	int i;

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
	(void)chdir("/");
}

/* Serves one connection.  Returns 1 to keep serving, 0 to exit. */
static int
serve(int conn)
{
	struct proto_request req;
	struct be_status st = { PROTO_EXITED, 0, 0 };
	char msg[256];
	int r, keep;

	r = proto_recv(conn, &req, msg, sizeof(msg));
	if (r != PROTO_REQUEST) {
		/* QUIT, or a frontend that died before sending anything. */
		(void)close(conn);
		if (r == PROTO_QUIT || startup)
			return 0;
		st.retire = 0;
		return end_request(&st);
	}
	if (install_stdio(&req) == -1) {
		st.code = 255;
		st.retire = 1;
	} else if (!perl_started) {
		/* perl_parse's errors (-MNoSuchModule) reach the client. */
		if ((st.code = be_perl_init(&perlsw)) != 0)
			st.retire = 1;
		else
			perl_started = 1;
	}
	if (perl_started)
		be_perl_run(&script, &req, &st);
	release_stdio();
	install_signals();
	keep = end_request(&st);
	startup = 0;
	(void)proto_send_status(conn, st.kind, st.code);
	(void)close(conn);
	proto_request_free(&req);
	return keep;
}

/* Idle and told to stop, or timed out: exit unless a frontend took us. */
static int
may_exit_idle(void)
{
	struct queue_slot *s;
	int go;

	lock_queue();
	s = my_slot();
	go = s == NULL || s->state != QS_BUSY;
	if (go)
		unregister();
	queue_unlock(&q);
	return go;
}

/* Waits for connections until it is time to go. */
static void
serve_loop(void)
{
	struct pollfd pfd[2];
	struct ucred cred;
	socklen_t len;
	char buf[16];
	int n, conn;

	for (;;) {
		pfd[0].fd = listenfd;
		pfd[1].fd = selfpipe[0];
		pfd[0].events = pfd[1].events = POLLIN;
		n = poll(pfd, 2, opts.num[OPT_TIMEOUT] > 0 ?
		    (int)opts.num[OPT_TIMEOUT] * 1000 : -1);
		if (n == -1 && errno != EINTR)
			return;
		if (pfd[1].revents & POLLIN)
			while (read(selfpipe[0], buf, sizeof(buf)) > 0)
				;
		if ((got_term || n == 0) && may_exit_idle())
			return;
		if (n <= 0 || !(pfd[0].revents & POLLIN))
			continue;
		if ((conn = accept4(listenfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		len = sizeof(cred);
		if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
		    cred.uid != getuid()) {
			(void)close(conn);
			continue;
		}
		if (!serve(conn))
			return;
	}
}

int
main(int argc, char **argv)
{
	static char *words[OPT_MAX_PERLSW * 2 + 64];
	struct opt_cmdline cl;
	char msg[512];
	const char *path;
	int conn;

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
	if (be_script_load(&script, path, msg, sizeof(msg)) == -1)
		fatal(msg);
	setup();
	/* The first request arrives on stdin; free fd 0 for its stdin. */
	if ((conn = fcntl(0, F_DUPFD_CLOEXEC, 3)) == -1)
		fatal(strerror(errno));
	ctlfd = conn;
	(void)dup2(devnull, 0);
	if (serve(conn))
		serve_loop();
	lock_queue();
	unregister();
	queue_unlock(&q);
	leave();
}
