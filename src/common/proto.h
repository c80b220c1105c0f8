/*
 * proto.h: the wire protocol between speedy and speedy_backend.
 *
 * A frontend connects to a backend's Unix stream socket (or, for a backend
 * it has just started, uses the socketpair the backend got as its standard
 * input) and sends one REQUEST: a header, then a body of NUL-terminated
 * strings (script path, $0, the script's arguments, the environment), with
 * its stdin, stdout, stderr and a descriptor of its working directory
 * attached as SCM_RIGHTS.  The script's output goes straight to the passed
 * descriptors; the connection only carries the final STATUS (exit code or
 * signal) or an ERROR line.  QUIT asks an idle backend to exit.  Every
 * length read from the socket is bounded before use.
 */
#ifndef SPEEDY_PROTO_H
#define SPEEDY_PROTO_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define PROTO_MAGIC	0x59445053u	/* "SPDY" little-endian */
#define PROTO_VERSION	1
#define PROTO_NFDS	4		/* stdin, stdout, stderr, cwd */
#define PROTO_MAXBODY	(8u << 20)	/* argv + environment, bytes */
#define PROTO_MAXSTR	(PROTO_MAXBODY / 2)	/* strings in one body */
#define PROTO_MAXERR	512		/* an ERROR message */

enum proto_type {
	PROTO_REQUEST = 1,
	PROTO_QUIT,
	PROTO_STATUS,
	PROTO_ERROR
};

enum proto_status {
	PROTO_EXITED = 0,	/* code is the exit status */
	PROTO_KILLED = 1	/* code is the signal number */
};

struct proto_hdr {
	uint32_t	magic;
	uint16_t	version;
	uint16_t	type;
	uint32_t	len;	/* body bytes that follow */
	uint32_t	a, b;	/* REQUEST: nargs, nenv; STATUS: kind, code */
};

/* A received request; all strings point into body. */
struct proto_request {
	int		  fds[PROTO_NFDS];
	char		 *body;
	const char	 *script;	/* absolute path of the script */
	const char	 *argv0;	/* $0 as the user gave it */
	char		**args;		/* nargs + 1, NULL-terminated */
	int		  nargs;
	char		**env;		/* nenv + 1, NULL-terminated */
	int		  nenv;
};

/*
 * Sends a request on sock with fds attached.  args and env are
 * NULL-terminated.  Returns 0, or -1 with errno set (EMSGSIZE when the
 * strings exceed PROTO_MAXBODY).
 */
int	proto_send_request(int sock, const int fds[PROTO_NFDS],
	    const char *script, const char *argv0, char *const *args,
	    char *const *env);

/*
 * Receives one message on sock.  Returns the message type (PROTO_REQUEST
 * fills req; the caller releases it with proto_request_free), 0 if the
 * peer closed without sending anything, or -1 with a reason in err.
 * Descriptors received with anything but a well-formed request are closed.
 */
int	proto_recv(int sock, struct proto_request *req, char *err,
	    size_t errlen);

/* Closes the request's descriptors that are still open and frees it. */
void	proto_request_free(struct proto_request *req);

/* Sends STATUS, ERROR or QUIT.  Return 0 or -1 with errno set. */
int	proto_send_status(int sock, int kind, int code);
int	proto_send_error(int sock, const char *msg);
int	proto_send_quit(int sock);

/*
 * One sendmsg of buf with nfds descriptors (at most PROTO_SENDMAX_FDS,
 * more than a request carries so that tests can send too many) attached
 * as SCM_RIGHTS, retried on EINTR, with flags (MSG_NOSIGNAL and the
 * like).  Returns the bytes sent, or -1 with errno set.  The senders
 * above use it; so do the tests that send malformed messages.
 */
#define PROTO_SENDMAX_FDS	8
ssize_t	proto_sendmsg_fds(int sock, const void *buf, size_t len,
	    const int *fds, int nfds, int flags);

/*
 * Reads the reply to a request: returns PROTO_STATUS with *kind and *code
 * set, PROTO_ERROR with the message in msg, 0 if the peer closed first, or
 * -1 on a read error or a malformed reply (msg says which).
 */
int	proto_recv_reply(int sock, int *kind, int *code, char *msg,
	    size_t msglen);

#endif
