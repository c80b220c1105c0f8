/*
 * sf_listen.c: speedy-fcgi's listening socket: a Unix socket path, a TCP
 * host:port, or one handed over by whoever started us (a web server puts
 * it on descriptor 0, FCGI_LISTENSOCK_FILENO; systemd's socket activation
 * on descriptor 3).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sf.h"
#include "util.h"

#define BACKLOG		1024
#define DEFAULT_MODE	0660

/* True if fd is a listening stream socket. */
static int
is_listening(int fd)
{
	int on = 0, type = 0;
	socklen_t len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1)
		return 0;
	len = sizeof(type);
	return on && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_STREAM;
}

/*
 * The socket we were started with: systemd's (LISTEN_PID is us and
 * LISTEN_FDS at least 1: descriptor 3), or descriptor 0.  Moved to a
 * descriptor above 2 so that 0 can become /dev/null.
 */
static int
inherited(struct sf_listener *l, char *msg, size_t msglen)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	long v;
	int fd = 0;

	if (pid != NULL && n != NULL &&
	    util_parse_long(pid, 1, INT32_MAX, &v) == 0 && v == getpid() &&
	    util_parse_long(n, 1, 1024, &v) == 0)
		fd = 3;
	if (!is_listening(fd)) {
		(void)util_fmt(msg, msglen, "no address to listen on: give "
		    "-l, or start me with a listening socket on descriptor 0");
		return -1;
	}
	if ((l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		(void)util_fmt(msg, msglen, "descriptor %d: %s", fd,
		    strerror(errno));
		return -1;
	}
	if (fd == 0) {
		(void)close(0);
		if (open("/dev/null", O_RDONLY) != 0)
			return -1;
	} else
		(void)close(fd);
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	return 0;
}

/*
 * Makes room for a Unix socket at path: nothing there is fine; a socket
 * nobody listens on (left by a crash) is removed; a live one or anything
 * that is not a socket (a symbolic link included) is refused.
 */
static int
clear_path(const struct sockaddr_un *sun, char *msg, size_t msglen)
{
	struct stat st;
	int fd, r;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		(void)util_fmt(msg, msglen, "%s: exists and is not a socket",
		    sun->sun_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	(void)close(fd);
	if (r == 0) {
		(void)util_fmt(msg, msglen, "%s: address in use (another "
		    "server listens there)", sun->sun_path);
		return -1;
	}
	if (errno != ECONNREFUSED)
		return -1;
	return unlink(sun->sun_path);
}

/* The owner and group asked for, as ids (-1: leave as is). */
static int
owner(const struct sf_config *cfg, uid_t *uid, gid_t *gid, char *msg,
    size_t msglen)
{
	struct passwd *pw;
	struct group *gr;

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (cfg->user != NULL) {
		if ((pw = getpwnam(cfg->user)) == NULL) {
			(void)util_fmt(msg, msglen, "--user %s: no such user",
			    cfg->user);
			return -1;
		}
		*uid = pw->pw_uid;
	}
	if (cfg->group != NULL) {
		if ((gr = getgrnam(cfg->group)) == NULL) {
			(void)util_fmt(msg, msglen, "--group %s: no such group",
			    cfg->group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

static int
listen_unix(const struct sf_config *cfg, struct sf_listener *l, char *msg,
    size_t msglen)
{
	struct sockaddr_un sun;
	mode_t mode = cfg->mode >= 0 ? (mode_t)cfg->mode : DEFAULT_MODE, old;
	uid_t uid;
	gid_t gid;
	int r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (util_strlcpy(sun.sun_path, cfg->listen, sizeof(sun.sun_path)) ==
	    -1) {
		(void)util_fmt(msg, msglen, "%s: socket path too long "
		    "(at most %zu bytes)", cfg->listen, sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (owner(cfg, &uid, &gid, msg, msglen) == -1)
		return -1;
	msg[0] = '\0';
	if (clear_path(&sun, msg, msglen) == -1)
		goto fail;
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	/* The socket is never accessible with more than mode, not even briefly. */
	old = umask(~mode & 0777);
	r = bind(l->fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
	if (r == -1)
		goto fail;
	(void)util_strlcpy(l->path, sun.sun_path, sizeof(l->path));
	l->unix_path = 1;
	if (chmod(l->path, mode) == -1 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    chown(l->path, uid, gid) == -1) || listen(l->fd, BACKLOG) == -1)
		goto fail;
	return 0;
fail:
	if (msg[0] == '\0')
		(void)util_fmt(msg, msglen, "%s: %s", cfg->listen,
		    strerror(errno));
	sf_unlisten(l);
	return -1;
}

/* Splits "host:port", "[v6]:port" or ":port" in buf. */
static int
split_hostport(char *buf, char **host, char **port)
{
	char *colon = strrchr(buf, ':');

	if (colon == NULL || colon[1] == '\0')
		return -1;
	*colon = '\0';
	*port = colon + 1;
	*host = buf;
	if (**host == '[') {
		if ((*host)[strlen(*host) - 1] != ']')
			return -1;
		(*host)[strlen(*host) - 1] = '\0';
		(*host)++;
	}
	if (**host == '\0')
		*host = NULL;	/* every address */
	return 0;
}

static int
listen_tcp(const struct sf_config *cfg, struct sf_listener *l, char *msg,
    size_t msglen)
{
	struct addrinfo hints, *res, *ai;
	char buf[256], *host, *port;
	long portnum;
	int on = 1, r;

	if (cfg->user != NULL || cfg->group != NULL || cfg->mode >= 0) {
		(void)util_fmt(msg, msglen, "--user, --group and --mode apply "
		    "to a Unix socket, not to %s", cfg->listen);
		return -1;
	}
	if (util_strlcpy(buf, cfg->listen, sizeof(buf)) == -1 ||
	    split_hostport(buf, &host, &port) == -1 ||
	    util_parse_long(port, 1, 65535, &portnum) == -1) {
		(void)util_fmt(msg, msglen, "%s: not a socket path, host:port "
		    "or :port", cfg->listen);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		(void)util_fmt(msg, msglen, "%s: %s", cfg->listen,
		    gai_strerror(r));
		return -1;
	}
	msg[0] = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((l->fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_CLOEXEC, ai->ai_protocol)) == -1)
			continue;
		(void)setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (bind(l->fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(l->fd, BACKLOG) == 0)
			break;
		(void)util_fmt(msg, msglen, "%s: %s", cfg->listen,
		    strerror(errno));
		(void)close(l->fd);
		l->fd = -1;
	}
	freeaddrinfo(res);
	if (l->fd == -1 && msg[0] == '\0')
		(void)util_fmt(msg, msglen, "%s: no usable address",
		    cfg->listen);
	return l->fd == -1 ? -1 : 0;
}

int
sf_listen(const struct sf_config *cfg, struct sf_listener *l, char *msg,
    size_t msglen)
{
	int r, fl;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (cfg->listen == NULL)
		r = inherited(l, msg, msglen);
	else if (strchr(cfg->listen, '/') != NULL)
		r = listen_unix(cfg, l, msg, msglen);
	else
		r = listen_tcp(cfg, l, msg, msglen);
	/*
	 * Every idle worker wakes up for a new connection and one wins: the
	 * others must find accept() empty, not sleep in it deaf to signals.
	 */
	if (r == 0 && ((fl = fcntl(l->fd, F_GETFL)) == -1 ||
	    fcntl(l->fd, F_SETFL, fl | O_NONBLOCK) == -1)) {
		(void)util_fmt(msg, msglen, "listening socket: %s",
		    strerror(errno));
		sf_unlisten(l);
		r = -1;
	}
	return r;
}

void
sf_unlisten(struct sf_listener *l)
{
	if (l->fd != -1)
		(void)close(l->fd);
	l->fd = -1;
	if (l->unix_path)
		(void)unlink(l->path);
	l->unix_path = 0;
}
