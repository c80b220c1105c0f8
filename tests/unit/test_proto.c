/*
 * test_proto.c: unit tests for src/common/proto.c over real socketpairs.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "util.h"
#include "unit.h"

static char tmpdir[] = "/tmp/speedy-unit-proto.XXXXXX";
static char err[1024];
static int files[PROTO_NFDS];	/* the four descriptors a request carries */
static char paths[2][128];


static int
same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static void
mkpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		perror("socketpair");
		exit(2);
	}
}

static void
closepair(int sv[2])
{
	(void)close(sv[0]);
	(void)close(sv[1]);
}

/* Sends raw bytes with nfds descriptors attached in one sendmsg. */
static int
send_raw(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	return proto_sendmsg_fds(sock, buf, len, fds, nfds, MSG_NOSIGNAL) ==
	    (ssize_t)len ? 0 : -1;
}

/* A header plus body in one buffer. */
static size_t
mkmsg(char *buf, uint32_t magic, uint16_t version, uint16_t type,
    uint32_t len, uint32_t a, uint32_t b, const void *body, size_t bodylen)
{
	struct proto_hdr h;

	memset(&h, 0, sizeof(h));
	h.magic = magic;
	h.version = version;
	h.type = type;
	h.len = len;
	h.a = a;
	h.b = b;
	memcpy(buf, &h, sizeof(h));
	if (bodylen > 0)
		memcpy(buf + sizeof(h), body, bodylen);
	return sizeof(h) + bodylen;
}

static void
setup(void)
{
	int fd;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(paths[0], sizeof(paths[0]), "%s/in", tmpdir);
	snprintf(paths[1], sizeof(paths[1]), "%s/out", tmpdir);
	files[0] = open(paths[0], O_RDWR | O_CREAT | O_TRUNC, 0600);
	files[1] = open(paths[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	files[2] = open("/dev/null", O_WRONLY);
	files[3] = open(tmpdir, O_RDONLY | O_DIRECTORY);
	for (fd = 0; fd < PROTO_NFDS; fd++)
		if (files[fd] == -1) {
			perror("open");
			exit(2);
		}
}

static void
cleanup(void)
{
	int i;

	for (i = 0; i < PROTO_NFDS; i++)
		(void)close(files[i]);
	(void)unlink(paths[0]);
	(void)unlink(paths[1]);
	(void)rmdir(tmpdir);
}

static void
test_roundtrip(void)
{
	char *args[] = { "first", "", "third arg", NULL };
	char *env[] = { "PATH=/bin:/usr/bin", "", "EMPTY=", "X=1", NULL };
	struct proto_request req;
	int sv[2], base, i, r, ok;

	mkpair(sv);
	base = unit_count_fds();
	CHECK_INT(proto_send_request(sv[0], files, "/srv/www/s.pl", "s.pl",
	    args, env), 0, "roundtrip: send request");
	r = proto_recv(sv[1], &req, err, sizeof(err));
	if (!CHECK_INT(r, PROTO_REQUEST, "roundtrip: receive request")) {
		closepair(sv);
		return;
	}
	CHECK_INT(unit_count_fds(), base + PROTO_NFDS, "roundtrip: four new "
	    "descriptors");
	for (i = 0, ok = 1; i < PROTO_NFDS; i++)
		ok &= req.fds[i] >= 0 && req.fds[i] != files[i] &&
		    same_file(req.fds[i], files[i]);
	CHECK(ok, "roundtrip: received fds are the same files (dev/ino)");
	CHECK(!same_file(req.fds[0], req.fds[1]), "roundtrip: fd order kept");
	for (i = 0, ok = 1; i < PROTO_NFDS; i++)
		ok &= (fcntl(req.fds[i], F_GETFD) & FD_CLOEXEC) != 0;
	CHECK(ok, "roundtrip: received fds are close-on-exec");
	CHECK_STR(req.script, "/srv/www/s.pl", "roundtrip: script");
	CHECK_STR(req.argv0, "s.pl", "roundtrip: argv0");
	CHECK_INT(req.nargs, 3, "roundtrip: nargs");
	CHECK_STR(req.args[0], "first", "roundtrip: args[0]");
	CHECK_STR(req.args[1], "", "roundtrip: empty args[1]");
	CHECK_STR(req.args[2], "third arg", "roundtrip: args[2]");
	CHECK(req.args[3] == NULL, "roundtrip: args NULL-terminated");
	CHECK_INT(req.nenv, 4, "roundtrip: nenv");
	CHECK_STR(req.env[0], "PATH=/bin:/usr/bin", "roundtrip: env[0]");
	CHECK_STR(req.env[1], "", "roundtrip: empty env[1]");
	CHECK_STR(req.env[2], "EMPTY=", "roundtrip: env[2]");
	CHECK(req.env[4] == NULL, "roundtrip: env NULL-terminated");

	/* The descriptors really work: write through the received stdout. */
	CHECK_INT(write(req.fds[1], "hello", 5), 5, "roundtrip: write to "
	    "received stdout");
	CHECK_INT(lseek(files[1], 0, SEEK_END), 5, "roundtrip: data reached "
	    "the original file");

	proto_request_free(&req);
	CHECK_INT(unit_count_fds(), base, "roundtrip: free closes the fds");
	CHECK(req.fds[0] == -1 && req.fds[3] == -1 && req.body == NULL,
	    "roundtrip: free resets the request");
	proto_request_free(&req);
	CHECK_INT(unit_count_fds(), base, "roundtrip: second free is harmless");

	/* NULL vectors are empty ones. */
	CHECK_INT(proto_send_request(sv[0], files, "/s", "", NULL, NULL), 0,
	    "roundtrip: send with no args or env");
	if (CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), PROTO_REQUEST,
	    "roundtrip: receive with no args or env")) {
		CHECK_INT(req.nargs, 0, "roundtrip: nargs 0");
		CHECK_INT(req.nenv, 0, "roundtrip: nenv 0");
		CHECK(req.args != NULL && req.args[0] == NULL &&
		    req.env != NULL && req.env[0] == NULL,
		    "roundtrip: empty vectors are NULL-terminated");
		CHECK_STR(req.argv0, "", "roundtrip: empty argv0");
		proto_request_free(&req);
	}

	/* Two requests back to back on one connection stay separate. */
	CHECK_INT(proto_send_request(sv[0], files, "/a", "a", NULL, NULL), 0,
	    "roundtrip: first of two");
	CHECK_INT(proto_send_request(sv[0], files, "/b", "b", args, NULL), 0,
	    "roundtrip: second of two");
	if (CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), PROTO_REQUEST,
	    "roundtrip: receive first of two")) {
		CHECK_STR(req.script, "/a", "roundtrip: first script");
		proto_request_free(&req);
	}
	if (CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), PROTO_REQUEST,
	    "roundtrip: receive second of two")) {
		CHECK_STR(req.script, "/b", "roundtrip: second script");
		CHECK_INT(req.nargs, 3, "roundtrip: second nargs");
		proto_request_free(&req);
	}
	CHECK_INT(unit_count_fds(), base, "roundtrip: no descriptor leaked");
	closepair(sv);
}

/* Forks a child that sends one request, so big bodies cannot deadlock. */
static pid_t
send_in_child(int sock, int other, const char *script, char *const *args,
    char *const *env)
{
	pid_t pid = fork();

	if (pid == 0) {
		(void)close(other);
		_exit(proto_send_request(sock, files, script, "x", args,
		    env) == 0 ? 0 : 1);
	}
	return pid;
}

static int
child_ok(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

static void
test_big(void)
{
	enum { N = 20000 };
	static char *args[N + 1], *env[N + 1];
	static char store[N][16];
	struct proto_request req;
	char *big, *one[2];
	size_t biglen;
	int sv[2], i, ok, base;
	pid_t pid;

	for (i = 0; i < N; i++) {
		snprintf(store[i], sizeof(store[i]), "V%d=%d", i, i * 7);
		args[i] = env[i] = store[i];
	}
	args[N] = env[N] = NULL;
	args[N / 2] = "";
	mkpair(sv);
	base = unit_count_fds();
	pid = send_in_child(sv[0], sv[1], "/many", args, env);
	if (CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), PROTO_REQUEST,
	    "big: %d args and %d env entries", N, N)) {
		CHECK_INT(req.nargs, N, "big: nargs");
		CHECK_INT(req.nenv, N, "big: nenv");
		for (i = 0, ok = 1; i < N; i++)
			ok &= strcmp(req.env[i], store[i]) == 0 &&
			    strcmp(req.args[i], i == N / 2 ? "" : store[i]) == 0;
		CHECK(ok, "big: every entry intact");
		CHECK(req.args[N] == NULL && req.env[N] == NULL,
		    "big: vectors terminated");
		proto_request_free(&req);
	} else
		(void)kill(pid, SIGKILL);	/* it may be stuck writing */
	CHECK(child_ok(pid), "big: sender succeeded");

	/* A body of exactly PROTO_MAXBODY bytes: "/s\0" "x\0" arg\0. */
	biglen = PROTO_MAXBODY - 3 - 2 - 1;
	if ((big = malloc(biglen + 1)) == NULL)
		exit(2);
	memset(big, 'b', biglen);
	big[biglen] = '\0';
	one[0] = big;
	one[1] = NULL;
	pid = send_in_child(sv[0], sv[1], "/s", one, NULL);
	if (CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), PROTO_REQUEST,
	    "big: body of exactly PROTO_MAXBODY bytes")) {
		CHECK_INT(strlen(req.args[0]), biglen, "big: long arg intact");
		proto_request_free(&req);
	} else
		(void)kill(pid, SIGKILL);
	CHECK(child_ok(pid), "big: limit sender succeeded");

	/* One byte more is refused before anything is sent. */
	memset(big, 'b', biglen);
	big[biglen] = 'b';
	if ((big = realloc(big, biglen + 2)) == NULL)
		exit(2);
	big[biglen + 1] = '\0';
	one[0] = big;
	errno = 0;
	CHECK_INT(proto_send_request(sv[0], files, "/s", "x", one, NULL), -1,
	    "big: PROTO_MAXBODY + 1 refused");
	CHECK_INT(errno, EMSGSIZE, "big: errno EMSGSIZE");
	CHECK_INT(recv(sv[1], err, 1, MSG_DONTWAIT), -1, "big: nothing was "
	    "sent");
	free(big);

	/* Too big through many environment entries. */
	{
		static char *huge[PROTO_MAXBODY / 16 + 2];
		static char entry[64];

		memset(entry, 'e', sizeof(entry) - 1);
		for (i = 0; i < (int)(PROTO_MAXBODY / 16 + 1); i++)
			huge[i] = entry;
		errno = 0;
		CHECK_INT(proto_send_request(sv[0], files, "/s", "x", NULL,
		    huge), -1, "big: oversized environment refused");
		CHECK_INT(errno, EMSGSIZE, "big: env errno EMSGSIZE");
	}
	CHECK_INT(unit_count_fds(), base, "big: no descriptor leaked");
	closepair(sv);
}

/*
 * Sends one malformed message with nfds of our files attached and checks
 * that proto_recv refuses it and closes whatever it received.
 */
static void
refuse(const char *name, const void *msg, size_t len, int nfds,
    int shut, const char *errpart)
{
	int fds[8], sv[2], base, r, i;
	struct proto_request req;

	for (i = 0; i < 8; i++)
		fds[i] = files[i % PROTO_NFDS];
	mkpair(sv);
	base = unit_count_fds();
	if (send_raw(sv[0], msg, len, fds, nfds) == -1) {
		CHECK(0, "%s: could not send (%s)", name, strerror(errno));
		closepair(sv);
		return;
	}
	if (shut)
		(void)shutdown(sv[0], SHUT_WR);
	err[0] = '\0';
	r = proto_recv(sv[1], &req, err, sizeof(err));
	CHECK_INT(r, -1, "%s: refused", name);
	if (errpart != NULL)
		CHECK_HAS(err, errpart, "%s: message", name);
	CHECK_INT(unit_count_fds(), base, "%s: received descriptors closed", name);
	closepair(sv);
}

static void
test_malformed(void)
{
	char buf[512];
	static const char body[] = "/s\0x\0a\0E=1";	/* 2 args, 1 env */
	size_t n;

	n = mkmsg(buf, PROTO_MAGIC ^ 1, PROTO_VERSION, PROTO_REQUEST,
	    sizeof(body), 1, 1, body, sizeof(body));
	refuse("bad magic", buf, n, 4, 0, "bad header");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION + 1, PROTO_REQUEST,
	    sizeof(body), 1, 1, body, sizeof(body));
	refuse("bad version", buf, n, 4, 0, "bad header");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_STATUS, 0, 0, 0,
	    NULL, 0);
	refuse("STATUS type with fds", buf, n, 4, 0, "malformed");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, 77, sizeof(body), 1, 1,
	    body, sizeof(body));
	refuse("unknown type 77", buf, n, 4, 0, "type 77");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_QUIT, 0, 0, 0, NULL, 0);
	refuse("QUIT with fds", buf, n, 4, 0, "malformed");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    1, 1, body, sizeof(body));
	refuse("3 fds", buf, n, 3, 0, "3 descriptors");
	refuse("1 fd", buf, n, 1, 0, "1 descriptors");
	refuse("no fds", buf, n, 0, 0, "0 descriptors");
	refuse("5 fds", buf, n, 5, 0, "bad descriptors");
	refuse("8 fds", buf, n, 8, 0, "bad descriptors");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST,
	    PROTO_MAXBODY + 1, 1, 1, body, sizeof(body));
	refuse("body length over PROTO_MAXBODY", buf, n, 4, 0, "bytes");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, 0xffffffffu,
	    1, 1, body, sizeof(body));
	refuse("body length 0xffffffff", buf, n, 4, 0, NULL);
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, 100, 1, 1,
	    body, sizeof(body));
	refuse("truncated body", buf, n, 4, 1, "read request body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, 100, 1, 1,
	    NULL, 0);
	refuse("header only, then EOF", buf, n, 4, 1, "read request body");
	refuse("short header", buf, 10, 4, 1, "bad header");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    5, 1, body, sizeof(body));
	refuse("more args than strings", buf, n, 4, 0, "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    0, 1, body, sizeof(body));
	refuse("strings left over", buf, n, 4, 0, "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST,
	    sizeof(body) - 1, 1, 1, body, sizeof(body) - 1);
	refuse("last string not terminated", buf, n, 4, 0, "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, 10, 1, 1,
	    "s\0x\0a\0E=1", 10);	/* well formed but for the path */
	refuse("relative script path", buf, n, 4, 0, "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    PROTO_MAXSTR + 1, 0, body, sizeof(body));
	refuse("nargs over PROTO_MAXSTR", buf, n, 4, 0, "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    1, 0xffffffffu, body, sizeof(body));
	refuse("nenv 0xffffffff", buf, n, 4, 0, "bad body");
	/* Counts the body cannot hold are refused before any allocation
	 * (the proto fuzz targets run with a malloc limit to catch that). */
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    PROTO_MAXSTR, PROTO_MAXSTR, body, sizeof(body));
	refuse("nargs and nenv PROTO_MAXSTR, 10-byte body", buf, n, 4, 0,
	    "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, sizeof(body),
	    2, 1, body, sizeof(body));
	refuse("one string more than the body holds", buf, n, 4, 0, "bad body");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_REQUEST, 0, 0, 0, NULL,
	    0);
	refuse("empty body", buf, n, 4, 0, "bad body");
}

static void
test_quit_eof(void)
{
	struct proto_request req;
	char buf[64];
	int sv[2], fd, base;
	size_t n;

	mkpair(sv);
	base = unit_count_fds();
	CHECK_INT(proto_send_quit(sv[0]), 0, "quit: send");
	CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), PROTO_QUIT,
	    "quit: received as PROTO_QUIT");
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_QUIT, 3, 0, 0, "abc",
	    3);
	CHECK_INT(send_raw(sv[0], buf, n, NULL, 0), 0, "quit: send QUIT "
	    "with a body");
	CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), -1,
	    "quit: QUIT with a body refused");
	CHECK_INT(unit_count_fds(), base, "quit: no descriptor leaked");
	closepair(sv);

	mkpair(sv);
	(void)close(sv[0]);
	CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), 0,
	    "eof: peer closed without sending: 0");
	CHECK(req.fds[0] == -1 && req.body == NULL, "eof: request empty");
	(void)close(sv[1]);

	/*
	 * After a refused header the caller's request must not name closed
	 * descriptors: proto_request_free on it would close whatever file
	 * reused those numbers.
	 */
	mkpair(sv);
	n = mkmsg(buf, PROTO_MAGIC ^ 1, PROTO_VERSION, PROTO_REQUEST, 0, 0, 0,
	    NULL, 0);
	(void)send_raw(sv[0], buf, n, files, PROTO_NFDS);
	CHECK_INT(proto_recv(sv[1], &req, err, sizeof(err)), -1,
	    "stale: bad header refused");
	fd = open("/dev/null", O_RDONLY);
	proto_request_free(&req);
	CHECK(is_open(fd), "stale: proto_request_free after a refused header "
	    "leaves unrelated fd %d open", fd);
	(void)close(fd);
	closepair(sv);
}

static void
test_replies(void)
{
	char msg[1024], small[8], buf[700], longmsg[1000];
	int sv[2], kind, code;
	size_t n;

	mkpair(sv);
	CHECK_INT(proto_send_status(sv[0], PROTO_EXITED, 3), 0,
	    "reply: send exit status");
	kind = code = -99;
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_STATUS, "reply: STATUS");
	CHECK_INT(kind, PROTO_EXITED, "reply: kind EXITED");
	CHECK_INT(code, 3, "reply: code 3");
	CHECK_INT(proto_send_status(sv[0], PROTO_KILLED, SIGKILL), 0,
	    "reply: send signal status");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_STATUS, "reply: STATUS killed");
	CHECK_INT(kind, PROTO_KILLED, "reply: kind KILLED");
	CHECK_INT(code, SIGKILL, "reply: signal 9");
	CHECK_INT(proto_send_status(sv[0], PROTO_EXITED, 255), 0,
	    "reply: send 255");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_STATUS, "reply: STATUS 255");
	CHECK_INT(code, 255, "reply: code 255");

	CHECK_INT(proto_send_error(sv[0], "cannot compile"), 0,
	    "reply: send error");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_ERROR, "reply: ERROR");
	CHECK_STR(msg, "cannot compile", "reply: error text");
	CHECK_INT(proto_send_error(sv[0], ""), 0, "reply: send empty error");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_ERROR, "reply: empty ERROR");
	CHECK_STR(msg, "", "reply: empty error text");

	memset(longmsg, 'L', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	CHECK_INT(proto_send_error(sv[0], longmsg), 0, "reply: send long "
	    "error");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_ERROR, "reply: long ERROR");
	CHECK_INT(strlen(msg), PROTO_MAXERR, "reply: cut to PROTO_MAXERR");
	CHECK_INT(proto_send_error(sv[0], "0123456789"), 0,
	    "reply: send error for a small buffer");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, small, sizeof(small)),
	    PROTO_ERROR, "reply: ERROR into a small buffer");
	CHECK_STR(small, "0123456", "reply: truncated and terminated");
	/* The stream is still in step after the long and small replies. */
	CHECK_INT(proto_send_status(sv[0], PROTO_EXITED, 0), 0,
	    "reply: send after long ones");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)),
	    PROTO_STATUS, "reply: stream in step");

	/* Malformed replies. */
	n = mkmsg(buf, PROTO_MAGIC ^ 0x100, PROTO_VERSION, PROTO_STATUS, 0, 0,
	    0, NULL, 0);
	(void)send_raw(sv[0], buf, n, NULL, 0);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: bad magic");
	CHECK_HAS(msg, "malformed", "reply: bad magic message");
	n = mkmsg(buf, PROTO_MAGIC, 9, PROTO_STATUS, 0, 0, 0, NULL, 0);
	(void)send_raw(sv[0], buf, n, NULL, 0);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: bad version");
	closepair(sv);

	mkpair(sv);
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_ERROR,
	    PROTO_MAXERR + 1, 0, 0, longmsg, PROTO_MAXERR + 1);
	(void)send_raw(sv[0], buf, n, NULL, 0);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: ERROR longer than PROTO_MAXERR");
	closepair(sv);

	mkpair(sv);
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_STATUS, 4, 0, 0,
	    "abcd", 4);
	(void)send_raw(sv[0], buf, n, NULL, 0);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: STATUS with a body");
	closepair(sv);

	mkpair(sv);
	CHECK_INT(proto_send_quit(sv[0]), 0, "reply: send QUIT as a reply");
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: QUIT is not a reply");
	closepair(sv);

	mkpair(sv);
	n = mkmsg(buf, PROTO_MAGIC, PROTO_VERSION, PROTO_ERROR, 50, 0, 0,
	    "partial", 7);
	(void)send_raw(sv[0], buf, n, NULL, 0);
	(void)shutdown(sv[0], SHUT_WR);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: truncated ERROR body");
	closepair(sv);

	mkpair(sv);
	(void)send_raw(sv[0], buf, 7, NULL, 0);
	(void)shutdown(sv[0], SHUT_WR);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), -1,
	    "reply: truncated header");
	CHECK(msg[0] != '\0', "reply: truncated header has a message");
	closepair(sv);

	mkpair(sv);
	(void)close(sv[0]);
	CHECK_INT(proto_recv_reply(sv[1], &kind, &code, msg, sizeof(msg)), 0,
	    "reply: EOF before a reply is 0");
	(void)close(sv[1]);

	/* Writing to a closed peer fails with EPIPE instead of killing us. */
	mkpair(sv);
	(void)close(sv[1]);
	errno = 0;
	CHECK_INT(proto_send_status(sv[0], 0, 0), -1, "send: status to a "
	    "closed peer fails");
	CHECK_INT(errno, EPIPE, "send: EPIPE, no SIGPIPE");
	errno = 0;
	CHECK_INT(proto_send_request(sv[0], files, "/s", "s", NULL, NULL), -1,
	    "send: request to a closed peer fails");
	CHECK_INT(errno, EPIPE, "send: request EPIPE");
	(void)close(sv[0]);
	errno = 0;
	CHECK_INT(proto_send_quit(-1), -1, "send: bad socket");
	CHECK_INT(errno, EBADF, "send: EBADF");
	CHECK_INT(proto_recv_reply(-1, &kind, &code, msg, sizeof(msg)), -1,
	    "recv_reply: bad socket");
	{
		struct proto_request req;

		CHECK_INT(proto_recv(-1, &req, err, sizeof(err)), -1,
		    "recv: bad socket");
		CHECK(err[0] != '\0', "recv: bad socket message");
	}
}

int
main(void)
{
	unit_note = err;
	int base;

	unit_watchdog(120);
	setup();
	base = unit_count_fds();
	test_roundtrip();
	test_big();
	test_malformed();
	test_quit_eof();
	test_replies();
	CHECK_INT(unit_count_fds(), base, "proto: no descriptor leaked overall");
	cleanup();
	return unit_done();
}
