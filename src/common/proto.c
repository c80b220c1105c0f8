/*
 * proto.c: see proto.h.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "util.h"

static void
hdr_init(struct proto_hdr *h, int type, size_t len, uint32_t a, uint32_t b)
{
	memset(h, 0, sizeof(*h));
	h->magic = PROTO_MAGIC;
	h->version = PROTO_VERSION;
	h->type = (uint16_t)type;
	h->len = (uint32_t)len;
	h->a = a;
	h->b = b;
}

ssize_t
proto_sendmsg_fds(int sock, const void *buf, size_t len, const int *fds,
    int nfds, int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * PROTO_SENDMAX_FDS)];
	} cmsg;
	struct msghdr msg;
	struct iovec iov;
	ssize_t n;

	if (nfds < 0 || nfds > PROTO_SENDMAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (nfds > 0) {
		memset(&cmsg, 0, sizeof(cmsg));
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cmsg.hdr.cmsg_level = SOL_SOCKET;
		cmsg.hdr.cmsg_type = SCM_RIGHTS;
		cmsg.hdr.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(&cmsg.hdr), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(sock, &msg, flags);
	while (n == -1 && errno == EINTR);
	return n;
}

/* Sends all of buf; the first sendmsg carries the descriptors, if any. */
static int
send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds)
{
	ssize_t n;

	/* MSG_NOSIGNAL: a peer that went away is an error, not a SIGPIPE. */
	if ((n = proto_sendmsg_fds(sock, buf, len, fds, nfds,
	    MSG_NOSIGNAL)) == -1)
		return -1;
	while ((size_t)n < len) {
		ssize_t m = send(sock, (const char *)buf + n, len - (size_t)n,
		    MSG_NOSIGNAL);

		if (m == -1 && errno == EINTR)
			continue;
		if (m == -1)
			return -1;
		n += m;
	}
	return 0;
}

/* Adds the length of a NULL-terminated vector's strings to *total. */
static int
vec_len(char *const *v, size_t *total, uint32_t *count)
{
	for (*count = 0; v != NULL && v[*count] != NULL; (*count)++) {
		*total += strlen(v[*count]) + 1;
		if (*total > PROTO_MAXBODY)
			return -1;
	}
	return 0;
}

static char *
vec_copy(char *p, char *const *v, uint32_t n)
{
	size_t l;
	uint32_t i;

	for (i = 0; i < n; i++) {
		l = strlen(v[i]) + 1;
		memcpy(p, v[i], l);
		p += l;
	}
	return p;
}

int
proto_send_request(int sock, const int fds[PROTO_NFDS], const char *script,
    const char *argv0, char *const *args, char *const *env)
{
	struct proto_hdr *h;
	size_t body = strlen(script) + strlen(argv0) + 2;
	uint32_t nargs, nenv;
	char *buf, *p;
	int rc, save;

	if (vec_len(args, &body, &nargs) == -1 ||
	    vec_len(env, &body, &nenv) == -1 || body > PROTO_MAXBODY) {
		errno = EMSGSIZE;
		return -1;
	}
	if ((buf = malloc(sizeof(*h) + body)) == NULL)
		return -1;
	h = (struct proto_hdr *)buf;
	hdr_init(h, PROTO_REQUEST, body, nargs, nenv);
	p = buf + sizeof(*h);
	memcpy(p, script, strlen(script) + 1);
	p += strlen(script) + 1;
	memcpy(p, argv0, strlen(argv0) + 1);
	p += strlen(argv0) + 1;
	p = vec_copy(p, args, nargs);
	(void)vec_copy(p, env, nenv);
	rc = send_with_fds(sock, buf, sizeof(*h) + body, fds, PROTO_NFDS);
	save = errno;
	free(buf);
	errno = save;
	return rc;
}

static int
send_simple(int sock, int type, const void *body, size_t len, uint32_t a,
    uint32_t b)
{
	char buf[sizeof(struct proto_hdr) + PROTO_MAXERR];
	struct proto_hdr h;

	if (len > PROTO_MAXERR)
		len = PROTO_MAXERR;
	hdr_init(&h, type, len, a, b);
	memcpy(buf, &h, sizeof(h));
	if (len > 0)
		memcpy(buf + sizeof(h), body, len);
	return send_with_fds(sock, buf, sizeof(h) + len, NULL, 0);
}

int
proto_send_status(int sock, int kind, int code)
{
	return send_simple(sock, PROTO_STATUS, NULL, 0, (uint32_t)kind,
	    (uint32_t)code);
}

int
proto_send_error(int sock, const char *msg)
{
	return send_simple(sock, PROTO_ERROR, msg, strlen(msg), 0, 0);
}

int
proto_send_quit(int sock)
{
	return send_simple(sock, PROTO_QUIT, NULL, 0, 0, 0);
}

/* Closes every descriptor in a control message. */
static void
close_cmsg_fds(struct msghdr *msg)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			(void)close(fd);
		}
	}
}

/*
 * Receives the header and any descriptors.  Returns 1 with *nfds set, 0 at
 * EOF, -1 on error.
 */
static int
recv_hdr(int sock, struct proto_hdr *h, int *fds, int *nfds, char *err,
    size_t errlen)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * PROTO_NFDS)];
	} cmsg;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = h;
	iov.iov_len = sizeof(*h);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cmsg.buf;
	msg.msg_controllen = sizeof(cmsg.buf);
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n == -1 && errno == EINTR);
	*nfds = 0;
	if (n == 0)
		return 0;
	if (n == -1) {
		util_fmt(err, errlen, "read request: %s", strerror(errno));
		return -1;
	}
	c = CMSG_FIRSTHDR(&msg);
	if ((msg.msg_flags & MSG_CTRUNC) || (c != NULL &&
	    (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS))) {
		close_cmsg_fds(&msg);
		util_fmt(err, errlen, "malformed request: bad descriptors");
		return -1;
	}
	if (c != NULL) {
		*nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)*nfds);
	}
	if ((size_t)n != sizeof(*h) || h->magic != PROTO_MAGIC ||
	    h->version != PROTO_VERSION) {
		close_cmsg_fds(&msg);
		for (n = 0; n < *nfds; n++)
			fds[n] = -1;
		*nfds = 0;
		util_fmt(err, errlen, "malformed request: bad header");
		return -1;
	}
	return 1;
}

/* Points v[0..n-1] at consecutive strings from *p, not past end. */
static int
split_strings(char **p, char *end, char **v, uint32_t n)
{
	char *nul;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (*p >= end || (nul = memchr(*p, '\0', (size_t)(end - *p))) == NULL)
			return -1;
		v[i] = *p;
		*p = nul + 1;
	}
	v[n] = NULL;
	return 0;
}

static int
parse_request(struct proto_request *req, const struct proto_hdr *h,
    char *err, size_t errlen)
{
	char *p = req->body, *end = req->body + h->len, *two[3];

	/*
	 * Every string takes at least its NUL, so counts the body cannot
	 * hold are refused before they size an allocation: a 20-byte header
	 * must not make the backend allocate megabytes.
	 */
	if (h->a > PROTO_MAXSTR || h->b > PROTO_MAXSTR ||
	    (uint64_t)h->a + h->b + 2 > h->len)
		goto bad;
	req->args = calloc((size_t)h->a + 1, sizeof(char *));
	req->env = calloc((size_t)h->b + 1, sizeof(char *));
	if (req->args == NULL || req->env == NULL) {
		util_fmt(err, errlen, "out of memory");
		return -1;
	}
	if (split_strings(&p, end, two, 2) == -1 ||
	    split_strings(&p, end, req->args, h->a) == -1 ||
	    split_strings(&p, end, req->env, h->b) == -1 || p != end)
		goto bad;
	req->script = two[0];
	req->argv0 = two[1];
	req->nargs = (int)h->a;
	req->nenv = (int)h->b;
	if (req->script[0] != '/')
		goto bad;
	return 0;
bad:
	util_fmt(err, errlen, "malformed request: bad body");
	return -1;
}

int
proto_recv(int sock, struct proto_request *req, char *err, size_t errlen)
{
	struct proto_hdr h;
	int i, nfds, r;

	memset(req, 0, sizeof(*req));
	for (i = 0; i < PROTO_NFDS; i++)
		req->fds[i] = -1;
	if ((r = recv_hdr(sock, &h, req->fds, &nfds, err, errlen)) <= 0)
		return r;
	if (h.type == PROTO_QUIT && nfds == 0 && h.len == 0)
		return PROTO_QUIT;
	if (h.type != PROTO_REQUEST || nfds != PROTO_NFDS ||
	    h.len > PROTO_MAXBODY) {
		util_fmt(err, errlen, "malformed request: type %u, %d "
		    "descriptors, %u bytes", h.type, nfds, h.len);
		goto fail;
	}
	if ((req->body = malloc(h.len + 1)) == NULL) {
		util_fmt(err, errlen, "out of memory");
		goto fail;
	}
	if (util_read_all(sock, req->body, h.len) != 0) {
		util_fmt(err, errlen, "read request body: %s",
		    strerror(errno));
		goto fail;
	}
	req->body[h.len] = '\0';
	if (parse_request(req, &h, err, errlen) == -1)
		goto fail;
	return PROTO_REQUEST;
fail:
	proto_request_free(req);
	return -1;
}

void
proto_request_free(struct proto_request *req)
{
	int i;

	for (i = 0; i < PROTO_NFDS; i++)
		if (req->fds[i] != -1) {
			(void)close(req->fds[i]);
			req->fds[i] = -1;
		}
	free(req->body);
	free(req->args);
	free(req->env);
	req->body = NULL;
	req->args = req->env = NULL;
}

int
proto_recv_reply(int sock, int *kind, int *code, char *msg, size_t msglen)
{
	struct proto_hdr h;
	char buf[PROTO_MAXERR + 1];
	int r;

	msg[0] = '\0';
	if ((r = util_read_all(sock, &h, sizeof(h))) != 0) {
		if (r == -1)
			util_fmt(msg, msglen, "%s", strerror(errno));
		return r == 1 ? 0 : -1;
	}
	if (h.magic != PROTO_MAGIC || h.version != PROTO_VERSION ||
	    h.len > PROTO_MAXERR) {
		util_fmt(msg, msglen, "malformed reply");
		return -1;
	}
	if (h.type == PROTO_STATUS && h.len == 0) {
		*kind = (int)h.a;
		*code = (int)h.b;
		return PROTO_STATUS;
	}
	if (h.type != PROTO_ERROR || util_read_all(sock, buf, h.len) != 0) {
		util_fmt(msg, msglen, "malformed reply");
		return -1;
	}
	buf[h.len] = '\0';
	util_strlcpy(msg, buf, msglen);
	return PROTO_ERROR;
}
