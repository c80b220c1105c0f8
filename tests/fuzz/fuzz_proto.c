/*
 * fuzz_proto.c: the wire protocol decoder, proto_recv (what a backend
 * reads from a frontend) and proto_recv_reply (what a frontend reads from
 * a backend), reading the input from one end of a socketpair.
 *
 * The input is written to the other end before anything is read, without
 * blocking and at most PROTO_FUZZ_MAX bytes of it (far less than a socket
 * buffer holds), and that end is closed: the reader sees the input and
 * then end of file, so no thread or process is needed and nothing hangs.
 *
 * Built with FUZZ_WITH_FDS (the proto_fds target), the first four bytes
 * of the input say how to send the rest:
 *   byte 0  descriptors to attach with SCM_RIGHTS (0 to 7; more than the
 *           PROTO_NFDS a request carries makes the receiver's control
 *           buffer overflow)
 *   byte 1  bit 0: attach them to the second write instead of the first;
 *           bit 1: read the stream with proto_recv_reply instead
 *   byte 2, 3  bytes in the first write (little-endian; 0: all of them)
 * Every descriptor received must be closed again, except those of a well
 * formed request until proto_request_free: the target counts the
 * process's descriptors before and after each input.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "proto.h"

#define PROTO_FUZZ_MAX	(64 * 1024)
#define MAX_SEND_FDS	7
_Static_assert(MAX_SEND_FDS <= PROTO_SENDMAX_FDS, "proto_sendmsg_fds sends them");
/* Messages read from one connection: a backend reads one, we try more. */
#define MAX_MESSAGES	4

/* What is passed: a file, both ends of a pipe, a directory. */
static int passfds[4] = { -1, -1, -1, -1 };

static void
init_passfds(void)
{
	int p[2];

	if (passfds[0] != -1)
		return;
	if ((passfds[0] = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1 ||
	    pipe2(p, O_CLOEXEC) == -1 ||
	    (passfds[3] = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fuzz_fail("cannot open the descriptors to pass: %s",
		    strerror(errno));
	passfds[1] = p[0];
	passfds[2] = p[1];
}

/*
 * Writes len bytes of data to sock without blocking, attaching nfds
 * descriptors to the first sendmsg.  Stops early if the buffer fills
 * (it never does at PROTO_FUZZ_MAX).
 */
static void
send_part(int sock, const uint8_t *data, size_t len, int nfds)
{
	int fds[MAX_SEND_FDS], i;
	ssize_t n;

	for (i = 0; i < nfds; i++)
		fds[i] = passfds[i % 4];
	while (len > 0) {
		n = proto_sendmsg_fds(sock, data, len, fds, nfds,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1)
			fuzz_fail("sendmsg: %s", strerror(errno));
		data += n;
		len -= (size_t)n;
		nfds = 0;
	}
}

/*
 * Makes a socketpair, writes the stream to one end in up to two parts
 * (the descriptors with the first or the second) and closes that end.
 * Returns the other end.
 */
static int
feed(const uint8_t *data, size_t len, size_t first, int nfds, int late)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		fuzz_fail("socketpair: %s", strerror(errno));
	if (len > PROTO_FUZZ_MAX)
		len = PROTO_FUZZ_MAX;
	if (first == 0 || first > len)
		first = len;
	/* Descriptors go with data: a stream drops them with an empty write. */
	if (late && first == len)
		late = 0;
	send_part(sv[1], data, first, late ? 0 : nfds);
	send_part(sv[1], data + first, len - first, late ? nfds : 0);
	if (close(sv[1]) == -1)
		fuzz_fail("close: %s", strerror(errno));
	return sv[0];
}

/*
 * Fails unless s is the string at *p, and moves *p past it: the strings
 * of a request lie back to back in its body.
 */
static void
check_next(const char **p, const char *s, const char *what)
{
	if (s != *p)
		fuzz_fail("request: %s is not where the body has it", what);
	*p += strlen(s) + 1;
}

static void
check_request(const struct proto_request *req)
{
	const char *p;
	int i;

	if (req->body == NULL || req->args == NULL || req->env == NULL ||
	    req->nargs < 0 || req->nenv < 0)
		fuzz_fail("request: incomplete");
	p = req->body;
	check_next(&p, req->script, "the script");
	check_next(&p, req->argv0, "$0");
	for (i = 0; i < req->nargs; i++)
		check_next(&p, req->args[i], "an argument");
	for (i = 0; i < req->nenv; i++)
		check_next(&p, req->env[i], "an environment entry");
	if (req->script[0] != '/')
		fuzz_fail("request: relative script path accepted");
	if (req->args[req->nargs] != NULL || req->env[req->nenv] != NULL)
		fuzz_fail("request: vectors not NULL-terminated");
	for (i = 0; i < PROTO_NFDS; i++)
		if (fcntl(req->fds[i], F_GETFD) != FD_CLOEXEC)
			fuzz_fail("request: descriptor %d is not open "
			    "close-on-exec", i);
}

static void
check_freed(const struct proto_request *req)
{
	int i;

	for (i = 0; i < PROTO_NFDS; i++)
		if (req->fds[i] != -1)
			fuzz_fail("descriptor %d not closed", i);
	if (req->body != NULL || req->args != NULL || req->env != NULL)
		fuzz_fail("request not freed");
}

/* Reads up to MAX_MESSAGES messages, as a backend reads its connection. */
static void
read_requests(int sock)
{
	struct proto_request req;
	char err[512];
	int i, r;

	for (i = 0; i < MAX_MESSAGES; i++) {
		memset(err, 'X', sizeof(err));
		r = proto_recv(sock, &req, err, sizeof(err));
		if (r == PROTO_REQUEST) {
			check_request(&req);
			proto_request_free(&req);
			check_freed(&req);
			continue;
		}
		if (r == -1)
			fuzz_check_err(err, sizeof(err), "proto_recv");
		else if (r != 0 && r != PROTO_QUIT)
			fuzz_fail("proto_recv returned %d", r);
		check_freed(&req);
		if (r <= 0)
			return;
	}
}

static void
read_reply(int sock)
{
	char msg[PROTO_MAXERR + 1];
	int kind = -1, code = -1, r;

	memset(msg, 'X', sizeof(msg));
	r = proto_recv_reply(sock, &kind, &code, msg, sizeof(msg));
	if (memchr(msg, '\0', sizeof(msg)) == NULL)
		fuzz_fail("proto_recv_reply: message not terminated");
	if (r == -1)
		fuzz_check_err(msg, sizeof(msg), "proto_recv_reply");
	else if (r != 0 && r != PROTO_STATUS && r != PROTO_ERROR)
		fuzz_fail("proto_recv_reply returned %d", r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t first = 0;
	int before, sock, nfds = 0, late = 0, reply = 0;

	init_passfds();
	before = fuzz_nfds();
#ifdef FUZZ_WITH_FDS
	if (size < 4)
		return 0;
	nfds = data[0] % (MAX_SEND_FDS + 1);
	late = data[1] & 1;
	reply = (data[1] & 2) != 0;
	first = (size_t)data[2] | (size_t)data[3] << 8;
	data += 4;
	size -= 4;
	sock = feed(data, size, first, nfds, late);
	if (reply)
		read_reply(sock);
	else
		read_requests(sock);
	(void)close(sock);
#else
	/* Both readers, each on its own connection. */
	sock = feed(data, size, first, nfds, late);
	read_requests(sock);
	(void)close(sock);
	sock = feed(data, size, first, nfds, late);
	read_reply(sock);
	(void)close(sock);
	(void)reply;
#endif
	if (fuzz_nfds() != before)
		fuzz_fail("descriptor leak: %d open before, %d after", before,
		    fuzz_nfds());
	return 0;
}
