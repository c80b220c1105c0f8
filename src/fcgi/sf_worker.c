/*
 * sf_worker.c: a speedy-fcgi worker.  It accepts FastCGI connections and
 * runs one request at a time: the request's script gets an ordinary
 * speedy backend (fe_backend_get, as the frontend gets one) with three
 * pipes as its stdin, stdout and stderr; the worker feeds FCGI_STDIN into
 * the first, turns the other two into FCGI_STDOUT and FCGI_STDERR
 * records, and ends the request with the script's exit status.
 *
 * A worker keeps several connections (a web server's keep-alive
 * connections stay open between requests), but reads only the connection
 * of its running request until that request ends, and accepts only when
 * idle: so a new connection goes to an idle worker, and a keep-alive
 * connection that wakes up on a busy worker waits for one request at most.
 * Every buffer is bounded; a full one stops the reading that fills it, so
 * a slow web server slows the script down instead of filling memory.
 */
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi.h"
#include "proto.h"
#include "sf.h"
#include "util.h"

#define MAXCONN		16		/* connections per worker */
#define INCAP		65536		/* bytes read from a connection */
#define OUTCAP		(4 * 65536)	/* records waiting to be written */
#define READMAX		65528		/* pipe bytes per record (8 | it) */
#define MAXSERVED	32		/* pools remembered for draining */
#define ANSWERMAX	4096		/* room for our own answers */
#define RELAY_MS	2		/* see relaying() */
#define LINGER_S	2		/* see linger() */

struct conn {
	int		  fd;
	struct fcgi_conn *fc;
	uint8_t		  in[INCAP];
	size_t		  inlen, inoff;	/* read, and consumed */
	uint8_t		  out[OUTCAP];
	size_t		  outlen, outoff;	/* encoded, and written */
	int		  closing;	/* close once out is written */
	int		  body_open;	/* its request's STDIN may follow */
	time_t		  linger;	/* draining the rest until then */
	time_t		  last;		/* when it last sent us something */
};

/* The running request. */
struct request {
	struct conn	   *c;		/* NULL once answered (aborted) */
	uint16_t	    id;
	int		    keep;	/* FCGI_KEEP_CONN */
	struct fe_request  *fe;
	int		    ctl;	/* control socket of the backend */
	int		    in, out, err;	/* our ends of its pipes */
	const uint8_t	   *pend;	/* body bytes not yet in the pipe */
	size_t		    pendlen;
	int		    kind, code;	/* how the script ended */
	int		    status;	/* 1 once the reply came */
	int		    sent_out;	/* STDOUT records were sent */
	int		    sent_err;	/* STDERR records were sent */
	char		    fail[PROTO_MAXERR + 128];	/* our error */
	struct timespec	    deadline;	/* RequestTimeout, or 0 */
	struct timespec	    relay_at;	/* see relaying() */
};

static const struct sf_config *cfg;
static struct conn *conns[MAXCONN];
static int nconns, lfd = -1;
static int lwait = -1;	/* lfd for poll: see exclusive_listen() */
static struct request rq;
static int busy;
static sigset_t unblocked;	/* the signal mask while we wait */

/* The pools this worker used: drained on SIGHUP and at the end. */
static struct {
	char		 tmpbase[OPT_STR_MAX + 1];
	struct queue_key key;
} served[MAXSERVED];
static int nserved;

static void
remember(const struct fe_request *fe)
{
	int i;

	for (i = 0; i < nserved; i++)
		if (strcmp(served[i].tmpbase, fe->opts.str[OPT_TMPBASE]) == 0 &&
		    queue_key_same_script(&served[i].key, &fe->key))
			return;
	if (nserved == MAXSERVED)
		i = nserved - 1;	/* the last one gives way */
	else
		i = nserved++;
	(void)util_strlcpy(served[i].tmpbase, fe->opts.str[OPT_TMPBASE],
	    sizeof(served[i].tmpbase));
	served[i].key = fe->key;
}

static void
drain_served(void)
{
	int i;

	for (i = 0; i < nserved; i++)
		(void)fe_backend_drain(served[i].tmpbase, &served[i].key, 1);
}

/* Appends a record to c's output; 0 if it does not fit. */
static int
put_end(struct conn *c, uint16_t id, uint32_t status, int pstatus)
{
	size_t n = fcgi_put_end_request(c->out + c->outlen,
	    OUTCAP - c->outlen, id, status, pstatus);

	c->outlen += n;
	return n != 0;
}

/* Appends stream bytes, all of them (the caller made room). */
static void
put_stream(struct conn *c, int type, uint16_t id, const char *p, size_t n)
{
	size_t used;

	while (n > 0) {
		c->outlen += fcgi_put_data(c->out + c->outlen,
		    OUTCAP - c->outlen, type, id, p, n, &used);
		if (used == 0)
			break;		/* no room: cut short, never overrun */
		p += used;
		n -= used;
	}
}

/*
 * Our own CGI response with status (the script could not run, or failed
 * before it printed anything), and the reason for the web server's error
 * log.  Without it, nginx and lighttpd answer an empty response with an
 * error, but Apache with an empty 200.
 */
static void
put_error(struct conn *c, uint16_t id, int status, const char *why)
{
	char body[256], line[PROTO_MAXERR + 160];
	const char *text = status == 404 ? "Not Found" :
	    status == 403 ? "Forbidden" : status == 502 ? "Bad Gateway" :
	    "Internal Server Error";

	(void)util_fmt(line, sizeof(line), "speedy-fcgi: %s\n", why);
	put_stream(c, FCGI_STDERR, id, line, strlen(line));
	(void)util_fmt(body, sizeof(body), "Status: %d %s\r\n"
	    "Content-Type: text/plain\r\n\r\n%s\n", status, text, text);
	put_stream(c, FCGI_STDOUT, id, body, strlen(body));
}

/* A request we answer ourselves, at once: the script cannot run. */
static void
answer_error(struct conn *c, uint16_t id, int status, const char *why)
{
	put_error(c, id, status, why);
	c->outlen += fcgi_put_eos(c->out + c->outlen, OUTCAP - c->outlen,
	    FCGI_STDOUT, id);
	c->outlen += fcgi_put_eos(c->out + c->outlen, OUTCAP - c->outlen,
	    FCGI_STDERR, id);
	(void)put_end(c, id, 0, FCGI_REQUEST_COMPLETE);
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

extern char **environ;

/* Our own "PATH=..." string, or NULL. */
static char *
own_path(void)
{
	char **e;

	for (e = environ; *e != NULL; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e;
	return NULL;
}

/* The request's environment: the parameters, and our PATH if they lack one. */
static char **
request_env(char *const *env, size_t nenv)
{
	static char **v;
	static size_t cap;
	char **nv, *path = own_path();
	size_t i, n = 0;
	int has_path = 0;

	if (nenv + 2 > cap) {
		if ((nv = realloc(v, (nenv + 2) * sizeof(*v))) == NULL)
			return NULL;
		v = nv;
		cap = nenv + 2;
	}
	for (i = 0; i < nenv; i++) {
		if (strncmp(env[i], "PATH=", 5) == 0)
			has_path = 1;
		v[n++] = env[i];
	}
	if (!has_path && path != NULL)
		v[n++] = path;
	v[n] = NULL;
	return v;
}

/* Makes the three pipes and hands the request to a backend. */
static int
start(struct fe_request *fe, char **env)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int fds[PROTO_NFDS] = { -1, -1, -1, -1 }, r = -1;
	char dir[PATH_MAX], *slash, why[PROTO_MAXERR];

	(void)util_strlcpy(dir, fe->script, sizeof(dir));
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir] = '\0';
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(err, O_CLOEXEC) == -1 ||
	    (fds[3] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: %s", fe->script,
		    strerror(errno));
		goto out;
	}
	fe_grow_pipes(&fe->opts, in[1], out[1]);
	if ((rq.ctl = fe_backend_get(fe, why, sizeof(why))) == -1) {
		/* Name the script: the web server's log mixes them all. */
		(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: %s", fe->script,
		    why);
		(void)close(fds[3]);
		goto out;
	}
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = err[1];
	/* A backend that is gone shows up as a missing reply. */
	if (proto_send_request(rq.ctl, fds, fe->script, fe->argv0, fe->args,
	    env) == -1 && errno != EPIPE && errno != ECONNRESET)
		(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: cannot send "
		    "the request: %s", fe->script, strerror(errno));
	else
		r = 0;
	(void)close(fds[3]);
out:
	close_fd(&in[0]);
	close_fd(&out[1]);
	close_fd(&err[1]);
	rq.in = in[1];
	rq.out = out[0];
	rq.err = err[0];
	if (r == -1) {
		close_fd(&rq.in);
		close_fd(&rq.out);
		close_fd(&rq.err);
		close_fd(&rq.ctl);
		return -1;
	}
	(void)fcntl(rq.in, F_SETFL, O_NONBLOCK);
	(void)fcntl(rq.out, F_SETFL, O_NONBLOCK);
	(void)fcntl(rq.err, F_SETFL, O_NONBLOCK);
	util_deadline(&rq.relay_at, RELAY_MS);
	return 0;
}

/*
 * Whether to move the script's output now.  Most scripts are done within
 * a pipe's worth of output and a few milliseconds: then we wait for the
 * reply alone and read the pipes once, instead of waking up for every
 * write of the script (each wake-up is a context switch, the largest
 * cost of the relay).  A script still running after RELAY_MS, or one
 * whose output fills the pipe (it then waits at most that long), is
 * relayed as it writes.
 */
static int
relaying(void)
{
	return rq.status || rq.relay_at.tv_sec == 0 ||
	    util_ms_until(&rq.relay_at) == 0;
}

/* The request was answered without a backend: the worker is free. */
static void
answered(struct conn *c)
{
	fcgi_conn_end(c->fc);
	if (!rq.keep)
		c->closing = 1;
	rq.c = NULL;
	busy = 0;
}

/* The parameters are in: find the script and a backend for it. */
static void
begin(struct conn *c, const struct fcgi_event *ev)
{
	char why[PROTO_MAXERR + 64];
	char **env;
	int status;

	if ((env = request_env(ev->env, ev->nenv)) == NULL) {
		answer_error(c, rq.id, 500, "out of memory");
		answered(c);
		return;
	}
	if ((status = sf_script(cfg, env, &rq.fe, why, sizeof(why))) != 0) {
		answer_error(c, rq.id, status, why);
		answered(c);
		return;
	}
	remember(rq.fe);
	if (rq.fe->opts.num[OPT_REQUESTTIMEOUT] > 0)
		util_deadline(&rq.deadline,
		    rq.fe->opts.num[OPT_REQUESTTIMEOUT] * 1000);
	if (start(rq.fe, env) == -1) {
		/* Nothing runs: the request ends at once with our reason. */
		rq.status = 1;
		rq.kind = PROTO_EXITED;
		rq.code = 1;
	}
}

/* Writes what it can of the pending body into the script's stdin. */
static void
feed_stdin(void)
{
	ssize_t n;

	while (rq.pendlen > 0 && rq.in != -1) {
		n = write(rq.in, rq.pend, rq.pendlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1) {
			/* The script stopped reading: the rest is dropped. */
			close_fd(&rq.in);
			break;
		}
		rq.pend += n;
		rq.pendlen -= (size_t)n;
	}
	rq.pendlen = 0;
}

/*
 * Stops the running request on the web server's side (gone, or ABORT).
 * The script sees end-of-file on stdin and a broken pipe on its output,
 * as a CGI script whose client left does; the worker waits for its end
 * (bounded by RequestTimeout) and stays busy meanwhile, so no more
 * scripts run at once than there are workers.  One that never began ends
 * now.
 */
static void
abandon(void)
{
	rq.c = NULL;
	rq.pendlen = 0;
	close_fd(&rq.in);
	close_fd(&rq.out);
	close_fd(&rq.err);
	if (rq.ctl == -1)
		rq.status = 1;
}

/* Handles one event of connection c.  Returns 0, or -1 to stop feeding. */
static int
event(struct conn *c, const struct fcgi_event *ev)
{
	struct fcgi_values v = { MAXCONN, 1, 0 };

	switch (ev->type) {
	case FCGI_EV_BEGIN:
		c->body_open = 1;
		memset(&rq, 0, sizeof(rq));
		rq.c = c;
		rq.id = ev->id;
		rq.keep = ev->keep_conn;
		rq.ctl = rq.in = rq.out = rq.err = -1;
		busy = 1;
		return 0;
	case FCGI_EV_PARAMS:
		begin(c, ev);
		return 0;
	case FCGI_EV_STDIN:
		if (rq.c != c || rq.in == -1)
			return 0;
		rq.pend = ev->data;
		rq.pendlen = ev->len;
		feed_stdin();
		return rq.pendlen > 0 ? -1 : 0;
	case FCGI_EV_STDIN_END:
		c->body_open = 0;
		if (rq.c == c)
			close_fd(&rq.in);
		return 0;
	case FCGI_EV_ABORT:
		if (rq.c == c) {
			abandon();
			(void)put_end(c, rq.id, 1, FCGI_REQUEST_COMPLETE);
			fcgi_conn_end(c->fc);
			if (!rq.keep)
				c->closing = 1;
		}
		return 0;
	case FCGI_EV_UNKNOWN_ROLE:
		(void)put_end(c, ev->id, 0, FCGI_UNKNOWN_ROLE);
		if (!ev->keep_conn) {
			c->closing = 1;
			c->body_open = 1;
		}
		return 0;
	case FCGI_EV_CANT_MPX:
		(void)put_end(c, ev->id, 0, FCGI_CANT_MPX_CONN);
		return 0;
	case FCGI_EV_GET_VALUES:
		v.max_reqs = (unsigned)cfg->nproc;
		v.max_conns = (unsigned)(cfg->nproc * MAXCONN);
		c->outlen += fcgi_put_values(c->out + c->outlen,
		    OUTCAP - c->outlen, ev->values, &v);
		return 0;
	case FCGI_EV_UNKNOWN_TYPE:
		c->outlen += fcgi_put_unknown_type(c->out + c->outlen,
		    OUTCAP - c->outlen, ev->rtype);
		return 0;
	}
	return 0;
}

/*
 * Closed connections are kept for the next ones: a web server without
 * keep-alive opens one per request, and allocating (and clearing) the
 * buffers each time cost more than the rest of the relay.
 */
static struct conn *spare[MAXCONN];
static int nspare;

static void
conn_close(struct conn *c)
{
	int i;

	if (rq.c == c)
		abandon();
	(void)close(c->fd);
	for (i = 0; i < nconns; i++)
		if (conns[i] == c) {
			conns[i] = conns[--nconns];
			break;
		}
	fcgi_conn_reset(c->fc);
	spare[nspare++] = c;	/* never more than MAXCONN exist */
}

/* A connection's state, from the spares or new. */
static struct conn *
conn_get(void)
{
	struct conn *c;

	if (nspare > 0)
		c = spare[--nspare];
	else if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	else if ((c->fc = fcgi_conn_new()) == NULL) {
		free(c);
		return NULL;
	}
	c->inlen = c->inoff = c->outlen = c->outoff = 0;
	c->closing = c->body_open = 0;
	c->linger = 0;
	return c;
}

/*
 * Whose input we read: the running request's connection; when idle,
 * every connection, unless we are stopping (no new request starts).
 */
static int
reading(const struct conn *c)
{
	return busy ? rq.c == c : !sf_got_term;
}

/*
 * Feeds c's unread input to the codec while there is room to answer.
 * Returns -1 if c was closed.
 */
static int
feed(struct conn *c)
{
	struct fcgi_event ev;
	char why[256];
	size_t used;
	int r;

	while (c->inoff < c->inlen && !c->closing && !c->linger &&
	    OUTCAP - c->outlen >= ANSWERMAX && reading(c)) {
		if (busy && rq.c == c && rq.pendlen > 0)
			return 0;	/* the script's stdin is full */
		r = fcgi_conn_feed(c->fc, c->in + c->inoff,
		    c->inlen - c->inoff, &used, &ev, why, sizeof(why));
		c->inoff += used;
		if (r == -1) {
			sf_log("connection closed: %s", why);
			conn_close(c);
			return -1;
		}
		if (r == 1 && event(c, &ev) == -1)
			return 0;
	}
	return 0;
}

/* Reads from c and feeds it.  Returns -1 if c was closed. */
static int
conn_read(struct conn *c)
{
	char why[256];
	ssize_t n;

	if (c->inoff < c->inlen && !c->linger)
		return feed(c);
	n = read(c->fd, c->in, INCAP);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (c->linger && n > 0)
		return 0;	/* the rest of a body nobody reads */
	if (n <= 0) {
		if (n == 0 && fcgi_conn_eof(c->fc, why, sizeof(why)) == -1 &&
		    rq.c != c)
			sf_log("%s", why);
		conn_close(c);
		return -1;
	}
	c->inlen = (size_t)n;
	c->inoff = 0;
	c->last = time(NULL);
	return feed(c);
}

/*
 * The answer is out, but the web server may still be sending the end of
 * the request (Apache writes the empty STDIN record after the rest, and
 * a script may end without reading its body).  Closing now would reset
 * the connection under its write, and the web server would report a
 * failed request.  So our side is shut and the rest read and dropped
 * until it closes, for LINGER_S at most, as php-fpm does.
 */
static void
linger(struct conn *c)
{
	c->closing = 0;
	c->linger = time(NULL) + LINGER_S;
	c->inlen = c->inoff = 0;
	(void)shutdown(c->fd, SHUT_WR);
}

/* Writes what c has to say.  Returns -1 if c was closed. */
static int
conn_write(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n == -1) {
			conn_close(c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->closing && rq.c != c && c->body_open) {
			linger(c);
			return 0;
		}
		if (c->closing && rq.c != c) {
			conn_close(c);
			return -1;
		}
	} else if (c->outoff > OUTCAP / 2) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	return 0;
}

/* True if the request's connection has room for a record of the pipes. */
static int
out_room(void)
{
	return rq.c != NULL &&
	    OUTCAP - rq.c->outlen >= fcgi_record_size(READMAX);
}

/* Moves script output from pipe *fd into records of type. */
static void
relay(int *fd, int type)
{
	static char buf[READMAX];
	struct conn *c = rq.c;
	ssize_t n;

	if (!out_room()) {
		if (c == NULL)
			close_fd(fd);
		return;
	}
	n = read(*fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close_fd(fd);
		return;
	}
	put_stream(c, type, rq.id, buf, (size_t)n);
	if (type == FCGI_STDERR)
		rq.sent_err = 1;
	else
		rq.sent_out = 1;
}

/*
 * Reads the pipes once each without waiting; returns 1 if that moved
 * bytes or met an end-of-file (which closes the pipe), 0 if both are
 * empty for now (left to poll: a child of the script may hold them) or
 * the connection has no room for another record.
 */
static int
drain_pipes(void)
{
	size_t before = rq.c->outlen;
	int open = (rq.out != -1) + (rq.err != -1);

	if (rq.out != -1)
		relay(&rq.out, FCGI_STDOUT);
	if (rq.err != -1)
		relay(&rq.err, FCGI_STDERR);
	return rq.c->outlen != before ||
	    (rq.out != -1) + (rq.err != -1) != open;
}

/* The backend's reply on the control socket. */
static void
reply(void)
{
	char msg[PROTO_MAXERR + 1];
	int r = proto_recv_reply(rq.ctl, &rq.kind, &rq.code, msg, sizeof(msg));

	close_fd(&rq.ctl);
	rq.status = 1;
	if (r == PROTO_STATUS)
		return;
	rq.kind = PROTO_EXITED;
	rq.code = 1;
	if (r == PROTO_ERROR)
		(void)util_strlcpy(rq.fail, msg, sizeof(rq.fail));
	else if (r == 0)
		(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: the backend "
		    "exited before the request finished", rq.fe->script);
	else
		(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: lost the "
		    "backend: %s", rq.fe->script, msg);
}

/* The request is over on every side: answer it and become idle. */
static void
finish(void)
{
	struct conn *c = rq.c;
	char line[sizeof(rq.fail) + 16];
	uint32_t app;

	close_fd(&rq.in);
	close_fd(&rq.out);
	close_fd(&rq.err);
	close_fd(&rq.ctl);
	fe_backend_release();
	busy = 0;
	if (c == NULL)
		return;		/* answered already (ABORT) or gone */
	/*
	 * No response at all (the script died or did not compile before it
	 * printed, or never ran) is a failure under CGI too: every web
	 * server gets the same 502.
	 */
	if (!rq.sent_out) {
		if (rq.fail[0] == '\0')
			(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: no "
			    "response (%s %d)", rq.fe->script,
			    rq.kind == PROTO_KILLED ? "signal" : "exit status",
			    rq.code);
		put_error(c, rq.id, 502, rq.fail);
		rq.sent_err = 1;
	} else if (rq.fail[0] != '\0') {
		(void)util_fmt(line, sizeof(line), "speedy-fcgi: %s\n", rq.fail);
		put_stream(c, FCGI_STDERR, rq.id, line, strlen(line));
		rq.sent_err = 1;
	}
	c->outlen += fcgi_put_eos(c->out + c->outlen, OUTCAP - c->outlen,
	    FCGI_STDOUT, rq.id);
	if (rq.sent_err)
		c->outlen += fcgi_put_eos(c->out + c->outlen,
		    OUTCAP - c->outlen, FCGI_STDERR, rq.id);
	app = rq.kind == PROTO_KILLED ? 128 + (uint32_t)rq.code :
	    (uint32_t)rq.code & 0xff;
	(void)put_end(c, rq.id, app, FCGI_REQUEST_COMPLETE);
	fcgi_conn_end(c->fc);
	if (!rq.keep)
		c->closing = 1;
	rq.c = NULL;
}

/* RequestTimeout passed: the backend is killed, the request fails. */
static void
timed_out(void)
{
	pid_t pid = fe_backend_kill(rq.fe);

	(void)util_fmt(rq.fail, sizeof(rq.fail), "%s: request timed out "
	    "after %ld s%s", rq.fe->script,
	    rq.fe->opts.num[OPT_REQUESTTIMEOUT],
	    pid != 0 ? "; its backend was killed" : "");
	rq.status = 1;
	rq.kind = PROTO_EXITED;
	rq.code = 1;
	close_fd(&rq.ctl);
	close_fd(&rq.out);
	close_fd(&rq.err);
}

/*
 * With every connection slot taken, the one idle longest (no request,
 * nothing half read or unwritten) makes room: a web server's forgotten
 * keep-alive connections must not lock new ones out.  Returns -1 if all
 * are in use.
 */
static int
evict_idle(void)
{
	struct conn *c, *old = NULL;
	char why[128];
	int i;

	for (i = 0; i < nconns; i++) {
		c = conns[i];
		if (c->linger == 0 && (c == rq.c || c->inoff < c->inlen ||
		    c->outlen > 0 || fcgi_conn_eof(c->fc, why, sizeof(why)) ==
		    -1))
			continue;
		if (old == NULL || c->last < old->last)
			old = c;
	}
	if (old == NULL)
		return -1;
	conn_close(old);
	return 0;
}

static void
accept_conn(void)
{
	struct conn *c;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1)
		return;		/* another worker took it, or it is gone */
	if (nconns == MAXCONN && evict_idle() == -1) {
		(void)close(fd);
		return;
	}
	if ((c = conn_get()) == NULL) {
		sf_log("out of memory for a connection");
		(void)close(fd);
		return;
	}
	c->fd = fd;
	c->last = time(NULL);
	conns[nconns++] = c;
	/* The web server writes the request right after connecting. */
	(void)conn_read(c);
}

/* The smaller of two timeouts, -1 meaning none. */
static int
min_ms(int a, int b)
{
	return a == -1 ? b : b == -1 ? a : a < b ? a : b;
}

/*
 * How long poll may sleep: until the request's deadline or the start of
 * the relay, whichever comes first; -1 for no limit.
 */
static int
timeout_ms(void)
{
	int ms = -1, i;

	/* Lingering connections are looked at every second. */
	for (i = 0; i < nconns; i++)
		if (conns[i]->linger != 0)
			ms = 1000;
	if (!busy || rq.status)
		return ms;
	if (rq.deadline.tv_sec != 0)
		ms = min_ms(ms, util_ms_until(&rq.deadline));
	if (!relaying())
		ms = min_ms(ms, util_ms_until(&rq.relay_at));
	return ms;
}

/* Index of the request's descriptors in the poll set. */
enum { P_CTL, P_IN, P_OUT, P_ERR, P_LISTEN, P_CONN };

/* One round of poll over everything that can move now. */
static void
poll_once(void)
{
	struct pollfd p[P_CONN + MAXCONN];
	struct conn *c, *list[MAXCONN];
	struct timespec ts;
	int i, n = nconns, room, ms;

	memset(p, 0, sizeof(p));
	p[P_CTL].fd = busy && !rq.status ? rq.ctl : -1;
	p[P_IN].fd = busy && rq.pendlen > 0 ? rq.in : -1;
	room = out_room() && relaying();
	p[P_OUT].fd = busy && (room || rq.c == NULL) ? rq.out : -1;
	p[P_ERR].fd = busy && (room || rq.c == NULL) ? rq.err : -1;
	p[P_LISTEN].fd = !busy && !sf_got_term ? lwait : -1;
	p[P_CTL].events = p[P_OUT].events = p[P_ERR].events = POLLIN;
	p[P_LISTEN].events = POLLIN;
	p[P_IN].events = POLLOUT;
	for (i = 0; i < n; i++) {
		c = list[i] = conns[i];
		p[P_CONN + i].fd = c->fd;
		if (c->outoff < c->outlen)
			p[P_CONN + i].events |= POLLOUT;
		if (c->linger)
			p[P_CONN + i].events |= POLLIN;
		else if (!c->closing && reading(c) &&
		    OUTCAP - c->outlen >= ANSWERMAX &&
		    !(busy && rq.c == c && rq.pendlen > 0))
			p[P_CONN + i].events |= POLLIN;
	}
	ms = timeout_ms();
	if (ms >= 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	/* Signals are blocked but here, so none is missed before we sleep. */
	if (ppoll(p, (nfds_t)(P_CONN + n), ms >= 0 ? &ts : NULL,
	    &unblocked) == -1)
		return;
	if (p[P_IN].revents)
		feed_stdin();
	if (p[P_OUT].revents)
		relay(&rq.out, FCGI_STDOUT);
	if (p[P_ERR].revents)
		relay(&rq.err, FCGI_STDERR);
	if (p[P_CTL].revents)
		reply();
	/* Connections: list holds the ones polled; some may close now. */
	for (i = 0; i < n; i++) {
		if ((p[P_CONN + i].revents & POLLOUT) &&
		    conn_write(list[i]) == -1)
			continue;
		if (p[P_CONN + i].revents & (POLLIN | POLLHUP | POLLERR))
			(void)conn_read(list[i]);
	}
	if (p[P_LISTEN].revents & POLLIN)
		accept_conn();
}

/* After the output is read, the body fed, or a reply: move on. */
static void
progress(void)
{
	int i;

	if (busy && !rq.status && rq.deadline.tv_sec != 0 &&
	    util_ms_until(&rq.deadline) == 0)
		timed_out();
	/* The reply came: what is in the pipes now is all of the output. */
	while (busy && rq.status && rq.c != NULL && (rq.out != -1 ||
	    rq.err != -1) && drain_pipes())
		;
	if (busy && rq.status && rq.out == -1 && rq.err == -1 &&
	    (rq.c == NULL || OUTCAP - rq.c->outlen >= ANSWERMAX))
		finish();
	/* A body that fits in the pipe now lets its connection go on. */
	for (i = 0; i < nconns; i++)
		if (conns[i]->inoff < conns[i]->inlen &&
		    reading(conns[i]) && feed(conns[i]) == -1)
			i--;
	for (i = 0; i < nconns; i++)
		if (conns[i]->outoff < conns[i]->outlen &&
		    conn_write(conns[i]) == -1)
			i--;
	for (i = 0; i < nconns; i++)
		if (conns[i]->linger != 0 && time(NULL) >= conns[i]->linger) {
			conn_close(conns[i]);
			i--;
		}
}

/* True while some connection has records not yet written. */
static int
output_pending(void)
{
	int i;

	for (i = 0; i < nconns; i++)
		if (conns[i]->outoff < conns[i]->outlen)
			return 1;
	return 0;
}

/*
 * In single mode the script's pool is known before any request, so that
 * SIGHUP and the end drain it even if this worker never served it (its
 * backends may be older than we are).  Not while a request runs: it holds
 * the resolved request that this would refresh.
 */
static void
remember_script(void)
{
	static char *noenv[1];
	struct fe_request *fe;
	char why[PROTO_MAXERR + 64];

	if (cfg->script != NULL && !busy &&
	    sf_script(cfg, noenv, &fe, why, sizeof(why)) == 0)
		remember(fe);
}

/*
 * The end (SIGTERM): the running request is finished and its answer
 * written; idle keep-alive connections are closed; the backends of the
 * pools we used are drained, so that none outlives the server.
 */
static void __attribute__((noreturn))
stop(void)
{
	while (nconns > 0)
		conn_close(conns[0]);
	remember_script();
	drain_served();
	_exit(0);
}

/*
 * What poll waits on for new connections.  Every idle worker polling the
 * listening socket itself wakes up for each connection, and all but one
 * find accept() empty: with -n workers that is -n - 1 wasted context
 * switches per request.  An epoll instance holding the socket with
 * EPOLLEXCLUSIVE wakes one waiter; poll can wait on it like on any
 * descriptor.  Without it (an old kernel), the socket itself.
 */
static int
exclusive_listen(int fd)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE };
	int efd;

	if ((efd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return fd;
	ev.data.fd = fd;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		(void)close(efd);
		return fd;
	}
	return efd;
}

void
sf_worker(const struct sf_config *config, int listenfd)
{
	sigset_t block;

	cfg = config;
	lfd = listenfd;
	lwait = exclusive_listen(lfd);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	(void)sigprocmask(SIG_BLOCK, &block, &unblocked);
	/* The master blocks them too (it waits in sigsuspend): not here. */
	sigdelset(&unblocked, SIGHUP);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	/* The master's death ends us too: nobody else would stop us. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	(void)signal(SIGPIPE, SIG_IGN);
	remember_script();
	for (;;) {
		if (sf_got_hup && !busy) {
			sf_got_hup = 0;
			remember_script();
			drain_served();
		}
		/* New connections go to other servers from now on. */
		if (sf_got_term && lfd != -1) {
			if (lwait != lfd)
				(void)close(lwait);
			lwait = -1;
			close_fd(&lfd);
		}
		if (sf_got_term && !busy && !output_pending())
			stop();
		poll_once();
		progress();
	}
}
