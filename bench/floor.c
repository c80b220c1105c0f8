/*
 * floor: the least a frontend can do per request, for the hello-world
 * case's account of where speedy's time goes.
 *
 *	floor socket script
 *
 * It is told the socket of a warm backend, so it needs no queue file, no
 * lock, no options and no look at the script, and hands that backend the
 * request the way speedy does: one connect, one sendmsg with its standard
 * descriptors and its directory, one read of the status, which becomes its
 * exit status.  Its time over the trivial exec is what any frontend that
 * is exec'd per request and hands the request to a backend over a Unix
 * socket pays on this machine (the exec of a larger program, the hand-over
 * both ways, the backend's work); speedy's time over it is what speedy's
 * own frontend logic costs.  The Makefile links it as it links speedy.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "util.h"

extern char **environ;

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char *args[] = { NULL };
	char msg[PROTO_MAXERR];
	int fds[PROTO_NFDS] = { 0, 1, 2, -1 };
	int s, kind, code;

	if (argc != 3) {
		(void)fprintf(stderr, "usage: floor socket script\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (util_strlcpy(sun.sun_path, argv[1], sizeof(sun.sun_path)) == -1)
		errx(2, "%s: socket path too long", argv[1]);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "%s", argv[1]);
	if ((fds[3] = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, ".");
	if (proto_send_request(s, fds, argv[2], argv[2], args, environ) == -1)
		err(1, "sending the request");
	if (proto_recv_reply(s, &kind, &code, msg, sizeof(msg)) !=
	    PROTO_STATUS)
		errx(1, "no status from the backend%s%s", msg[0] ? ": " : "",
		    msg);
	return kind == PROTO_EXITED ? code : 128 + code;
}
