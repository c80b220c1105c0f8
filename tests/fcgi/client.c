/*
 * client.c: a FastCGI 1.0 client for the protocol tests of speedy-fcgi
 * (tests/fcgi_proto.bats).
 *
 *	client [options] ADDRESS [NAME=VALUE ...]
 *
 * ADDRESS is a Unix socket path (it holds a '/') or host:port, [v6]:port.
 * The client sends one responder request (or several on one connection)
 * the way a web server does: BEGIN_REQUEST, the NAME=VALUE pairs as
 * PARAMS, its own standard input as STDIN.  FCGI_STDOUT goes to standard
 * output, FCGI_STDERR to standard error, and the exit status is the
 * END_REQUEST's appStatus.  Options make it misbehave as web servers and
 * hostile peers do (see usage()).  It checks what the server sends back:
 * records it did not ask for, a stream going on after its end, data
 * after the last END_REQUEST all count as the server breaking the
 * protocol.
 *
 * Exit statuses of its own, chosen above what the test scripts exit with:
 *	120	the connection ended before the (last) END_REQUEST
 *	121	the server broke the protocol
 *	122	END_REQUEST's protocolStatus was not REQUEST_COMPLETE
 *	123	usage, connection or local error
 *	124	the overall timeout (-t) expired
 *
 * Every wait is bounded by the overall timeout, enforced with alarm():
 * whatever blocks (the server, a pipe on standard output), the client
 * exits 124 and never hangs a test.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi.h"

#define EX_CLOSED	120
#define EX_PROTO	121
#define EX_PSTATUS	122
#define EX_LOCAL	123
#define EX_TIMEOUT	124

/* How many bytes may wait for the socket before stdin is read further. */
#define OUT_HIGH	(256 * 1024)
/* The most PARAMS record sizes -s takes. */
#define MAX_SPLITS	32

/* A growable byte buffer; bytes before off are consumed. */
struct buf {
	uint8_t		*p;
	size_t		 len;
	size_t		 off;
	size_t		 cap;
};

/* The command line. */
static struct {
	const char	*address;
	int		 keep;		/* -k: FCGI_KEEP_CONN on the last too */
	long		 repeat;	/* -r */
	long		 id;		/* -i */
	long		 role;		/* -R */
	size_t		 splits[MAX_SPLITS];	/* -s: PARAMS record sizes */
	size_t		 nsplits;
	long		 recsize;	/* -b: STDIN record size */
	long		 onebyte;	/* -B: body bytes sent one per record */
	long		 slow_ms;	/* -w: pause between STDIN records */
	long		 abort_ms;	/* -a */
	int		 abort_first;	/* -A */
	long		 close_after;	/* -c / -C: STDOUT bytes, or -1 */
	int		 close_rst;	/* -C */
	const char	*get_values;	/* -g */
	int		 hold;		/* -H: never end the body */
	int		 second_begin;	/* -2 */
	long		 unknown_type;	/* -u, or -1 */
	int		 no_request;	/* -N */
	int		 shut_wr;	/* -E */
	int		 dump;		/* -D */
	int		 status;	/* -S */
	int		 verbose;	/* -v */
	long		 timeout;	/* -t */
	long		 fill;		/* -m: extra pairs */
} o;

static struct buf out;		/* bytes queued for the socket */
static struct buf body;		/* the request body read so far */
static struct buf params;	/* the encoded PARAMS stream */
static int body_eof;		/* standard input is at its end */
static int sock = -1;
static int write_dead;		/* the server stopped reading */

/* The request being run. */
static struct {
	long		 n;		/* 1 for the first */
	uint16_t	 id;
	size_t		 body_pos;	/* body bytes sent */
	int		 body_done;	/* STDIN's end sent (or never will be) */
	int		 aborted;	/* ABORT_REQUEST sent */
	int		 out_eos, err_eos;
	long		 out_bytes;	/* STDOUT content received */
	int		 mpx_pending;	/* -2: waiting for the refusal */
	long long	 started;	/* ms, for -a */
	long long	 next_record;	/* ms, for -w */
} req;

/* After the last END_REQUEST: waiting for the server to close. */
static int waiting_eof;
static uint32_t last_app;
static int last_pstatus;
static int got_values;

static void	usage(void) __attribute__((noreturn));
static void	die(int, const char *, ...)
		    __attribute__((noreturn, format(printf, 2, 3)));

static void
usage(void)
{
	fprintf(stderr,
"usage: client [-DEHNSAkv2] [-a ms] [-B n] [-b size] [-c n | -C n]\n"
"              [-F name=file] [-g names] [-i id] [-m n] [-R role] [-r n]\n"
"              [-s size[,size...]] [-t secs] [-u type] [-w ms] [-x hex]\n"
"              address [name=value ...]\n"
"  -k        FCGI_KEEP_CONN on the last request too (the client closes)\n"
"  -r n      n requests on one connection (all but the last keep it)\n"
"  -i id     requestId (default 1)\n"
"  -R role   role in BEGIN_REQUEST (default 1, responder)\n"
"  -s sizes  PARAMS record sizes, used in turn (default 65535)\n"
"  -F n=file a parameter whose value is the file's content\n"
"  -m n      n more parameters FILL<i>=1\n"
"  -b size   STDIN record size (default 16384)\n"
"  -B n      the first n body bytes one byte per record\n"
"  -w ms     pause between STDIN records\n"
"  -H        never end the body (no STDIN end, stdin not read)\n"
"  -a ms     ABORT_REQUEST ms after the first request began\n"
"  -A        ABORT_REQUEST at the first request's first STDOUT byte\n"
"  -c n      close the connection after n bytes of STDOUT\n"
"  -C n      the same with a reset (SO_LINGER 0)\n"
"  -2        a second BEGIN_REQUEST (id + 1) while the first runs;\n"
"            the body is held until it is refused\n"
"  -u type   first a management record of this type (expects UNKNOWN_TYPE)\n"
"  -g names  only GET_VALUES for the comma-separated names; prints\n"
"            NAME=VALUE lines\n"
"  -x hex    raw bytes to send first (repeatable)\n"
"  -N        no request: only -x / -u bytes; dumps what comes back\n"
"  -E        shut the writing side down once all is sent\n"
"  -D        dump every record received as a line on stdout\n"
"  -S        END_REQUEST, UNKNOWN_TYPE and EOF lines on stderr\n"
"  -v        trace records on stderr\n"
"  -t secs   overall timeout (default 20), exit 124\n"
"exit: appStatus; 120 closed early, 121 protocol broken, 122 protocolStatus\n"
"not COMPLETE, 123 local error, 124 timeout\n");
	exit(EX_LOCAL);
}

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("fcgi-client: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* SIGALRM: the overall timeout.  Only async-signal-safe calls. */
static void
on_alarm(int sig)
{
	static const char msg[] = "fcgi-client: timed out\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(EX_TIMEOUT);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die(EX_LOCAL, "%s: bad number '%s' (%ld..%ld)", what, s, min,
		    max);
	return v;
}

static void
buf_reserve(struct buf *b, size_t n)
{
	size_t cap;

	if (b->off > 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->cap - b->len >= n)
		return;
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->cap - b->len >= n)
			return;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	if ((b->p = realloc(b->p, cap)) == NULL)
		die(EX_LOCAL, "out of memory");
	b->cap = cap;
}

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static size_t
buf_pending(const struct buf *b)
{
	return b->len - b->off;
}

/* Queues one record for the socket. */
static void
put(int type, uint16_t id, const void *content, size_t len)
{
	size_t n;

	buf_reserve(&out, FCGI_MAXRECORD);
	n = fcgi_put_record(out.p + out.len, out.cap - out.len, type, id,
	    content, len);
	if (n == 0)
		die(EX_LOCAL, "record of %zu bytes does not fit", len);
	out.len += n;
	if (o.verbose)
		fprintf(stderr, "fcgi-client: sent type=%d id=%u len=%zu\n",
		    type, id, len);
}

/* A name-value pair's length, 1 or 4 bytes (section 3.4). */
static void
pair_len_add(struct buf *b, size_t n)
{
	uint8_t l[4];

	if (n > 0x7fffffff)
		die(EX_LOCAL, "parameter too long");
	if (n < 128) {
		l[0] = (uint8_t)n;
		buf_add(b, l, 1);
		return;
	}
	l[0] = (uint8_t)(n >> 24 | 0x80);
	l[1] = (uint8_t)(n >> 16);
	l[2] = (uint8_t)(n >> 8);
	l[3] = (uint8_t)n;
	buf_add(b, l, 4);
}

static void
pair_add(const char *name, size_t nlen, const void *value, size_t vlen)
{
	pair_len_add(&params, nlen);
	pair_len_add(&params, vlen);
	buf_add(&params, name, nlen);
	buf_add(&params, value, vlen);
}

/* NAME=VALUE from the command line. */
static void
param_arg(const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (eq == NULL)
		die(EX_LOCAL, "parameter '%s' is not NAME=VALUE", arg);
	pair_add(arg, (size_t)(eq - arg), eq + 1, strlen(eq + 1));
}

/* -F NAME=FILE: the value is the file's content, however large. */
static void
param_file(const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct buf v = { 0 };
	ssize_t n;
	int fd;

	if (eq == NULL)
		die(EX_LOCAL, "-F '%s' is not NAME=FILE", arg);
	if ((fd = open(eq + 1, O_RDONLY | O_CLOEXEC)) == -1)
		die(EX_LOCAL, "%s: %s", eq + 1, strerror(errno));
	for (;;) {
		buf_reserve(&v, 65536);
		n = read(fd, v.p + v.len, v.cap - v.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die(EX_LOCAL, "%s: %s", eq + 1, strerror(errno));
		if (n == 0)
			break;
		v.len += (size_t)n;
	}
	close(fd);
	pair_add(arg, (size_t)(eq - arg), v.p, v.len);
	free(v.p);
}

/* -s 1,3,7 */
static void
parse_splits(const char *s)
{
	char *copy, *tok, *save;

	if ((copy = strdup(s)) == NULL)
		die(EX_LOCAL, "out of memory");
	o.nsplits = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (o.nsplits == MAX_SPLITS)
			die(EX_LOCAL, "-s: at most %d sizes", MAX_SPLITS);
		o.splits[o.nsplits++] = (size_t)num(tok, 1, FCGI_MAXCONTENT,
		    "-s");
	}
	free(copy);
	if (o.nsplits == 0)
		usage();
}

/* -x: hexadecimal digits, white space ignored. */
static void
raw_hex(const char *s)
{
	int hi = -1, d;
	uint8_t byte;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			die(EX_LOCAL, "-x: '%c' is not a hex digit", *s);
		if (hi == -1) {
			hi = d;
			continue;
		}
		byte = (uint8_t)(hi << 4 | d);
		buf_add(&out, &byte, 1);
		hi = -1;
	}
	if (hi != -1)
		die(EX_LOCAL, "-x: odd number of hex digits");
}

/* Connects to a Unix path or host:port, [v6]:port. */
static int
connect_to(const char *addr)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *res, *ai;
	char host[256];
	const char *port, *h;
	size_t hlen;
	int fd, e;

	if (strchr(addr, '/') != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(addr) >= sizeof(sun.sun_path))
			die(EX_LOCAL, "%s: path too long", addr);
		strcpy(sun.sun_path, addr);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			die(EX_LOCAL, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			die(EX_LOCAL, "connect %s: %s", addr, strerror(errno));
		return fd;
	}
	if ((port = strrchr(addr, ':')) == NULL)
		die(EX_LOCAL, "%s: neither a path nor host:port", addr);
	h = addr;
	hlen = (size_t)(port - addr);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		die(EX_LOCAL, "%s: host too long", addr);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(hlen ? host : NULL, port + 1, &hints, &res)) != 0)
		die(EX_LOCAL, "%s: %s", addr, gai_strerror(e));
	fd = -1;
	e = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		die(EX_LOCAL, "connect %s: %s", addr, strerror(e));
	return fd;
}

static const char *
type_name(int type)
{
	static const char *const names[] = {
		NULL, "BEGIN_REQUEST", "ABORT_REQUEST", "END_REQUEST",
		"PARAMS", "STDIN", "STDOUT", "STDERR", "DATA", "GET_VALUES",
		"GET_VALUES_RESULT", "UNKNOWN_TYPE"
	};

	if (type >= 1 && type <= 11)
		return names[type];
	return "TYPE";
}

static const char *
pstatus_name(int p)
{
	static const char *const names[] = {
		"COMPLETE", "CANT_MPX_CONN", "OVERLOADED", "UNKNOWN_ROLE"
	};

	return p >= 0 && p <= 3 ? names[p] : "UNKNOWN";
}

/* Prints content as a C-style quoted string. */
static void
print_escaped(FILE *f, const uint8_t *p, size_t len)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		if (p[i] == '\n')
			fputs("\\n", f);
		else if (p[i] == '\r')
			fputs("\\r", f);
		else if (p[i] == '\t')
			fputs("\\t", f);
		else if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else if (p[i] < 0x20 || p[i] >= 0x7f)
			fprintf(f, "\\x%02x", p[i]);
		else
			fputc(p[i], f);
	}
	fputc('"', f);
}

/* An event line of -S (stderr) and -D (stdout). */
static void
event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
event(const char *fmt, ...)
{
	va_list ap;

	if (o.dump) {
		va_start(ap, fmt);
		vfprintf(stdout, fmt, ap);
		va_end(ap);
		fputc('\n', stdout);
		fflush(stdout);
	}
	if (o.status) {
		fputs("fcgi: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
}

static void
write_fd(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die(EX_LOCAL, "write to descriptor %d: %s", fd,
			    strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads one name-value length of a GET_VALUES_RESULT. */
static int
get_len(const uint8_t *p, size_t len, size_t *off, size_t *out_len)
{
	if (*off >= len)
		return -1;
	if (p[*off] < 0x80) {
		*out_len = p[(*off)++];
		return 0;
	}
	if (len - *off < 4)
		return -1;
	*out_len = (size_t)(p[*off] & 0x7f) << 24 |
	    (size_t)p[*off + 1] << 16 | (size_t)p[*off + 2] << 8 |
	    p[*off + 3];
	*off += 4;
	return 0;
}

static void
print_values(const struct fcgi_record *rec)
{
	size_t off = 0, nl, vl;

	if (o.dump)
		fputs("GET_VALUES_RESULT", stdout);
	while (off < rec->len) {
		if (get_len(rec->content, rec->len, &off, &nl) == -1 ||
		    get_len(rec->content, rec->len, &off, &vl) == -1 ||
		    nl > rec->len - off || vl > rec->len - off - nl)
			die(EX_PROTO, "malformed GET_VALUES_RESULT");
		printf(o.dump ? " %.*s=%.*s" : "%.*s=%.*s\n", (int)nl,
		    (const char *)rec->content + off, (int)vl,
		    (const char *)rec->content + off + nl);
		off += nl + vl;
	}
	if (o.dump)
		putchar('\n');
	fflush(stdout);
}

static void start_request(void);

/* Queues ABORT_REQUEST: the body stops, as nginx stops sending it. */
static void
send_abort(void)
{
	if (req.aborted)
		return;
	put(FCGI_ABORT_REQUEST, req.id, NULL, 0);
	req.aborted = 1;
	req.body_done = 1;
}

/* Closes the connection in the middle of the output (-c, -C). */
static void
close_now(void)
{
	struct linger l = { 1, 0 };

	if (o.close_rst && setsockopt(sock, SOL_SOCKET, SO_LINGER, &l,
	    sizeof(l)) == -1)
		die(EX_LOCAL, "SO_LINGER: %s", strerror(errno));
	if (close(sock) == -1)
		die(EX_LOCAL, "close: %s", strerror(errno));
	fflush(stdout);
	exit(0);
}

static void
stream_record(const struct fcgi_record *rec)
{
	int *eos = rec->type == FCGI_STDOUT ? &req.out_eos : &req.err_eos;
	size_t len = rec->len;

	if (rec->id != req.id)
		die(EX_PROTO, "%s for requestId %u, not %u",
		    type_name(rec->type), rec->id, req.id);
	if (*eos)
		die(EX_PROTO, "%s record after the end of the stream",
		    type_name(rec->type));
	if (o.dump) {
		printf("%s id=%u len=%zu", type_name(rec->type), rec->id,
		    rec->len);
		if (rec->len > 0) {
			putchar(' ');
			print_escaped(stdout, rec->content, rec->len);
		}
		putchar('\n');
		fflush(stdout);
	}
	if (len == 0) {
		*eos = 1;
		return;
	}
	if (rec->type == FCGI_STDERR) {
		if (!o.dump)
			write_fd(2, rec->content, len);
		return;
	}
	if (o.close_after >= 0 && req.out_bytes + (long)len >= o.close_after)
		len = (size_t)(o.close_after - req.out_bytes);
	if (!o.dump)
		write_fd(1, rec->content, len);
	req.out_bytes += (long)len;
	if (o.close_after >= 0 && req.out_bytes >= o.close_after)
		close_now();
	if (o.abort_first && req.n == 1)
		send_abort();
}

static void
end_record(const struct fcgi_record *rec)
{
	const uint8_t *c = rec->content;
	uint32_t app;
	int ps;

	if (rec->len != 8)
		die(EX_PROTO, "END_REQUEST with %zu bytes of content",
		    rec->len);
	app = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
	    (uint32_t)c[2] << 8 | c[3];
	ps = c[4];
	event("END_REQUEST id=%u appStatus=%u protocolStatus=%s", rec->id,
	    app, pstatus_name(ps));
	if (req.mpx_pending && rec->id == (uint16_t)(req.id + 1)) {
		/* The refusal of -2's second request: the first goes on. */
		req.mpx_pending = 0;
		return;
	}
	if (rec->id != req.id)
		die(EX_PROTO, "END_REQUEST for requestId %u, not %u", rec->id,
		    req.id);
	if (req.mpx_pending)
		die(EX_PROTO, "END_REQUEST for requestId %u before the "
		    "second BEGIN_REQUEST was answered", rec->id);
	last_app = app;
	last_pstatus = ps;
	if (ps == FCGI_REQUEST_COMPLETE && !req.aborted && !req.out_eos)
		die(EX_PROTO, "END_REQUEST before the end of STDOUT");
	if (req.n < o.repeat) {
		start_request();
		return;
	}
	if (o.keep) {
		/* The connection stays the client's; it is done with it. */
		fflush(stdout);
		exit(ps != FCGI_REQUEST_COMPLETE ? EX_PSTATUS :
		    app > 255 ? EX_PROTO : (int)app);
	}
	waiting_eof = 1;
}

static void
record(const struct fcgi_record *rec)
{
	if (o.verbose)
		fprintf(stderr, "fcgi-client: got type=%d id=%u len=%zu\n",
		    rec->type, rec->id, rec->len);
	if (o.no_request) {
		/* -N: whatever comes back is the result. */
		if (rec->type == FCGI_STDOUT || rec->type == FCGI_STDERR) {
			printf("%s id=%u len=%zu", type_name(rec->type),
			    rec->id, rec->len);
			if (rec->len > 0) {
				putchar(' ');
				print_escaped(stdout, rec->content, rec->len);
			}
			putchar('\n');
		} else if (rec->type == FCGI_END_REQUEST && rec->len == 8) {
			printf("END_REQUEST id=%u appStatus=%u "
			    "protocolStatus=%s\n", rec->id,
			    (unsigned)rec->content[0] << 24 |
			    (unsigned)rec->content[1] << 16 |
			    (unsigned)rec->content[2] << 8 | rec->content[3],
			    pstatus_name(rec->content[4]));
		} else if (rec->type == FCGI_UNKNOWN_TYPE && rec->len == 8) {
			printf("UNKNOWN_TYPE type=%u\n", rec->content[0]);
		} else if (rec->type == FCGI_GET_VALUES_RESULT) {
			o.dump = 1;
			print_values(rec);
		} else {
			printf("%s(%d) id=%u len=%zu\n", type_name(rec->type),
			    rec->type, rec->id, rec->len);
		}
		fflush(stdout);
		return;
	}
	if (waiting_eof)
		die(EX_PROTO, "%s record after the last END_REQUEST",
		    type_name(rec->type));
	switch (rec->type) {
	case FCGI_STDOUT:
	case FCGI_STDERR:
		stream_record(rec);
		return;
	case FCGI_END_REQUEST:
		end_record(rec);
		return;
	case FCGI_GET_VALUES_RESULT:
		if (rec->id != 0 || o.get_values == NULL)
			break;
		print_values(rec);
		got_values = 1;
		return;
	case FCGI_UNKNOWN_TYPE:
		if (rec->id != 0 || rec->len != 8 || o.unknown_type < 0)
			break;
		event("UNKNOWN_TYPE type=%u", rec->content[0]);
		return;
	}
	die(EX_PROTO, "unexpected %s record (type %d, requestId %u, %zu "
	    "bytes)", type_name(rec->type), rec->type, rec->id, rec->len);
}

/* Queues BEGIN_REQUEST and the PARAMS stream of the next request. */
static void
start_request(void)
{
	uint8_t begin[8] = { 0 };
	size_t off, n, k;
	int keep;

	req.n++;
	req.body_pos = 0;
	req.body_done = 0;
	req.aborted = 0;
	req.out_eos = req.err_eos = 0;
	req.out_bytes = 0;
	req.started = now_ms();
	req.next_record = 0;
	keep = req.n < o.repeat || o.keep;
	begin[0] = (uint8_t)(o.role >> 8);
	begin[1] = (uint8_t)o.role;
	begin[2] = keep ? FCGI_KEEP_CONN : 0;
	put(FCGI_BEGIN_REQUEST, req.id, begin, sizeof(begin));
	for (off = 0, k = 0; off < params.len; off += n, k++) {
		n = o.splits[k % o.nsplits];
		if (n > params.len - off)
			n = params.len - off;
		put(FCGI_PARAMS, req.id, params.p + off, n);
	}
	put(FCGI_PARAMS, req.id, NULL, 0);
	if (o.second_begin && req.n == 1) {
		/*
		 * Another request while this one runs: the body of this one
		 * is held back until the server refuses the second, so that
		 * the first cannot have ended yet.
		 */
		begin[0] = 0;
		begin[1] = FCGI_RESPONDER;
		begin[2] = FCGI_KEEP_CONN;
		put(FCGI_BEGIN_REQUEST, (uint16_t)(req.id + 1), begin,
		    sizeof(begin));
		put(FCGI_PARAMS, (uint16_t)(req.id + 1), NULL, 0);
		req.mpx_pending = 1;
	}
	if (o.hold)
		req.body_done = 1;
}

/*
 * Queues STDIN records while the socket's queue is short: from the body
 * read so far (kept, so that -r sends it again), reading standard input
 * when it has more.  Returns 1 if standard input must be polled.
 */
static int
feed_body(long long now)
{
	size_t have, n;

	while (!req.body_done && !req.mpx_pending && !write_dead &&
	    buf_pending(&out) < OUT_HIGH) {
		if (o.slow_ms > 0 && now < req.next_record)
			return 0;
		have = body.len - req.body_pos;
		if (have == 0 && !body_eof)
			return 1;
		if (have == 0) {
			put(FCGI_STDIN, req.id, NULL, 0);
			req.body_done = 1;
			return 0;
		}
		n = req.body_pos < (size_t)o.onebyte ? 1 : (size_t)o.recsize;
		if (n > have)
			n = have;
		put(FCGI_STDIN, req.id, body.p + req.body_pos, n);
		req.body_pos += n;
		if (o.slow_ms > 0)
			req.next_record = now + o.slow_ms;
	}
	return 0;
}

/* Standard input is readable: one read into the body. */
static void
read_stdin(void)
{
	ssize_t n;

	buf_reserve(&body, 65536);
	n = read(0, body.p + body.len, body.cap - body.len);
	if (n == -1 && errno == EINTR)
		return;
	if (n == -1)
		die(EX_LOCAL, "standard input: %s", strerror(errno));
	if (n == 0)
		body_eof = 1;
	body.len += (size_t)n;
}

/* Writes what the socket takes now. */
static void
flush_out(void)
{
	ssize_t n;

	while (buf_pending(&out) > 0) {
		n = send(sock, out.p + out.off, buf_pending(&out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
			/*
			 * The server closed the connection: what it sent
			 * before (an END_REQUEST, say) is still to be read.
			 */
			if (o.verbose)
				fprintf(stderr, "fcgi-client: send: %s\n",
				    strerror(errno));
			write_dead = 1;
			out.off = out.len = 0;
			return;
		}
		if (n == -1)
			die(EX_LOCAL, "send: %s", strerror(errno));
		out.off += (size_t)n;
	}
}

static int
all_sent(void)
{
	if (buf_pending(&out) > 0)
		return 0;
	if (o.no_request || o.get_values != NULL)
		return 1;
	return req.body_done;
}

/* The connection ended (EOF or reset). */
static void
connection_end(const struct fcgi_reader *r, const char *how)
{
	if (fcgi_reader_partial(r))
		die(EX_PROTO, "connection %s in the middle of a record", how);
	event("EOF");
	fflush(stdout);
	if (o.no_request)
		exit(0);
	if (waiting_eof)
		exit(last_pstatus != FCGI_REQUEST_COMPLETE ? EX_PSTATUS :
		    last_app > 255 ? EX_PROTO : (int)last_app);
	if (o.get_values != NULL && got_values)
		exit(0);
	die(EX_CLOSED, "connection %s before %s", how,
	    o.get_values != NULL ? "GET_VALUES_RESULT" : "END_REQUEST");
}

static void
run(void)
{
	static uint8_t in[65536];
	struct fcgi_reader rd;
	struct fcgi_record rec;
	struct pollfd pf[2];
	char err[256];
	size_t used, off, before;
	ssize_t n;
	long long now, wake;
	int want_stdin, timeout, shut = 0, r;

	fcgi_reader_init(&rd);
	for (;;) {
		now = now_ms();
		if (o.abort_ms >= 0 && req.n == 1 && !req.aborted &&
		    !o.no_request && o.get_values == NULL &&
		    now >= req.started + o.abort_ms)
			send_abort();
		/*
		 * Queue and send until the socket is full or the body has
		 * to wait (for standard input, -w, -2): stopping at the
		 * queue's high mark with an empty queue would wait forever.
		 */
		for (;;) {
			want_stdin = !o.no_request && o.get_values == NULL &&
			    feed_body(now);
			before = buf_pending(&out);
			flush_out();
			if (before == 0 || buf_pending(&out) == before)
				break;
		}
		if (o.shut_wr && !shut && !write_dead && all_sent()) {
			if (shutdown(sock, SHUT_WR) == -1)
				die(EX_LOCAL, "shutdown: %s", strerror(errno));
			shut = 1;
		}
		/* Wake for -a and -w. */
		wake = -1;
		if (o.abort_ms >= 0 && req.n == 1 && !req.aborted &&
		    !o.no_request && o.get_values == NULL)
			wake = req.started + o.abort_ms;
		if (o.slow_ms > 0 && !req.body_done && req.next_record > now &&
		    (wake == -1 || req.next_record < wake))
			wake = req.next_record;
		timeout = wake == -1 ? -1 : (int)(wake > now ? wake - now : 0);
		pf[0].fd = sock;
		pf[0].events = POLLIN | (buf_pending(&out) > 0 && !write_dead ?
		    POLLOUT : 0);
		pf[1].fd = want_stdin ? 0 : -1;
		pf[1].events = POLLIN;
		if (poll(pf, 2, timeout) == -1) {
			if (errno == EINTR)
				continue;
			die(EX_LOCAL, "poll: %s", strerror(errno));
		}
		if (pf[1].revents != 0)
			read_stdin();
		if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		n = recv(sock, in, sizeof(in), MSG_DONTWAIT);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == -1 && errno == ECONNRESET)
			connection_end(&rd, "reset");
		if (n == -1)
			die(EX_LOCAL, "recv: %s", strerror(errno));
		if (n == 0)
			connection_end(&rd, "closed");
		for (off = 0; off < (size_t)n; off += used) {
			r = fcgi_reader_feed(&rd, in + off, (size_t)n - off,
			    &used, &rec, err, sizeof(err));
			if (r == -1) {
				if (o.no_request) {
					printf("MALFORMED %s\n", err);
					fflush(stdout);
				}
				die(EX_PROTO, "from the server: %s", err);
			}
			if (r == 1) {
				record(&rec);
				if (o.get_values != NULL && got_values) {
					fflush(stdout);
					exit(0);
				}
			}
		}
	}
}

/* -g: GET_VALUES for the comma-separated names, empty values. */
static void
queue_get_values(void)
{
	struct buf c = { 0 };
	struct buf saved = params;
	char *copy, *tok, *save;

	memset(&params, 0, sizeof(params));
	if ((copy = strdup(o.get_values)) == NULL)
		die(EX_LOCAL, "out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		pair_add(tok, strlen(tok), "", 0);
	free(copy);
	c = params;
	params = saved;
	if (c.len > FCGI_MAXCONTENT)
		die(EX_LOCAL, "-g: too many names");
	put(FCGI_GET_VALUES, 0, c.p, c.len);
	free(c.p);
}

int
main(int argc, char **argv)
{
	char name[32];
	long i;
	int ch;

	o.repeat = 1;
	o.id = 1;
	o.role = FCGI_RESPONDER;
	o.splits[0] = FCGI_MAXCONTENT;
	o.nsplits = 1;
	o.recsize = 16384;
	o.abort_ms = -1;
	o.close_after = -1;
	o.unknown_type = -1;
	o.timeout = 20;
	while ((ch = getopt(argc, argv, "+2a:AB:b:c:C:DEF:g:Hi:km:NR:r:Ss:"
	    "t:u:vw:x:")) != -1) {
		switch (ch) {
		case '2':
			o.second_begin = 1;
			break;
		case 'a':
			o.abort_ms = num(optarg, 0, 3600000, "-a");
			break;
		case 'A':
			o.abort_first = 1;
			break;
		case 'B':
			o.onebyte = num(optarg, 0, 1L << 30, "-B");
			break;
		case 'b':
			o.recsize = num(optarg, 1, FCGI_MAXCONTENT, "-b");
			break;
		case 'C':
			o.close_rst = 1;
			/* FALLTHROUGH */
		case 'c':
			o.close_after = num(optarg, 1, 1L << 40, "-c");
			break;
		case 'D':
			o.dump = 1;
			break;
		case 'E':
			o.shut_wr = 1;
			break;
		case 'F':
			param_file(optarg);
			break;
		case 'g':
			o.get_values = optarg;
			break;
		case 'H':
			o.hold = 1;
			break;
		case 'i':
			o.id = num(optarg, 1, 65534, "-i");
			break;
		case 'k':
			o.keep = 1;
			break;
		case 'm':
			o.fill = num(optarg, 0, 1000000, "-m");
			break;
		case 'N':
			o.no_request = 1;
			break;
		case 'R':
			o.role = num(optarg, 0, 65535, "-R");
			break;
		case 'r':
			o.repeat = num(optarg, 1, 1000000, "-r");
			break;
		case 'S':
			o.status = 1;
			break;
		case 's':
			parse_splits(optarg);
			break;
		case 't':
			o.timeout = num(optarg, 1, 3600, "-t");
			break;
		case 'u':
			o.unknown_type = num(optarg, 0, 255, "-u");
			break;
		case 'v':
			o.verbose = 1;
			break;
		case 'w':
			o.slow_ms = num(optarg, 1, 60000, "-w");
			break;
		case 'x':
			raw_hex(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (o.no_request)
		o.dump = 1;
	o.address = argv[0];
	for (i = 1; i < argc; i++)
		param_arg(argv[i]);
	for (i = 0; i < o.fill; i++) {
		snprintf(name, sizeof(name), "FILL%ld", i);
		pair_add(name, strlen(name), "1", 1);
	}

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)o.timeout);
	sock = connect_to(o.address);
	req.id = (uint16_t)o.id;
	if (o.unknown_type >= 0)
		put((int)o.unknown_type, 0, NULL, 0);
	if (o.get_values != NULL)
		queue_get_values();
	else if (!o.no_request)
		start_request();
	run();
	return 0;
}
