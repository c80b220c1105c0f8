/*
 * speedy-fcgi: serves speedy scripts over FastCGI (nginx, Apache's
 * mod_proxy_fcgi, lighttpd).  The master opens the socket, starts -n
 * workers (sf_worker.c), restarts any that dies, and turns signals into
 * actions: SIGHUP drains the scripts' backends so the next requests
 * compile afresh, SIGTERM stops after the running requests.  The Perl
 * runs in ordinary speedy backends; see sf.h for why.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "proto.h"
#include "sf.h"
#include "util.h"

#ifndef SPEEDY_VERSION
#define SPEEDY_VERSION "0"
#endif
#ifndef SPEEDY_CONFDIR
#define SPEEDY_CONFDIR "/etc/speedy"
#endif

#define MAXPROC		1024
#define DEFAULT_NPROC	4

volatile sig_atomic_t sf_got_hup, sf_got_term;
static volatile sig_atomic_t sf_got_chld;	/* the master's only */

static int use_syslog;
static struct sf_config cfg;
static struct sf_listener lsock;
static pid_t workers[MAXPROC];
static time_t started[MAXPROC];
static char pidfile_real[PATH_MAX];
static const char *site;		/* --site: the pool's configuration */
static struct conf_fcgi pool;
static int nproc_given;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: speedy-fcgi [-d] [-l address] [-n nproc] "
	    "[-p pidfile] [--user user]\n"
	    "                   [--group group] [--mode mode] "
	    "[--root dir | --site name]\n"
	    "                   [perl-switches] [-- speedy-options] "
	    "[script]\n");
	exit(SF_EXIT_USAGE);
}

void
sf_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (use_syslog)
		syslog(LOG_ERR, "%s", line);
	else
		fprintf(stderr, "speedy-fcgi: %s\n", line);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		sf_got_hup = 1;
	else if (sig == SIGCHLD)
		sf_got_chld = 1;
	else
		sf_got_term++;
}

/* The value of an option: "-lVALUE", "-l VALUE", "--user=U", "--user U". */
static const char *
optval(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (n == 2 && a[2] != '\0')
		return a + 2;
	if (n > 2 && a[n] == '=')
		return a + n + 1;
	if (*i + 1 >= argc)
		errx(SF_EXIT_USAGE, "option %s needs a value", name);
	return argv[++*i];
}

/* True if argv[i] is option name (alone, or with its value attached). */
static int
is_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n) != 0)
		return 0;
	return n == 2 ? 1 : a[n] == '\0' || a[n] == '=';
}

static long
number(const char *opt, const char *s, long min, long max)
{
	long v;

	if (util_parse_long(s, min, max, &v) == -1)
		errx(SF_EXIT_USAGE, "%s %s: not a number from %ld to %ld", opt,
		    s, min, max);
	return v;
}

static long
octal(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 8);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 || v > 0777)
		errx(SF_EXIT_USAGE, "--mode %s: not an octal mode from 0 to "
		    "0777", s);
	return v;
}

/* Our own options; returns the index of the first that is not ours. */
static int
own_options(int argc, char **argv)
{
	int i;

	cfg.nproc = DEFAULT_NPROC;
	cfg.mode = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-d") == 0)
			cfg.daemonize = 1;
		else if (is_opt(a, "-l"))
			cfg.listen = optval(argc, argv, &i, "-l");
		else if (is_opt(a, "-n")) {
			cfg.nproc = (int)number("-n", optval(argc, argv, &i,
			    "-n"), 1, MAXPROC);
			nproc_given = 1;
		}
		else if (is_opt(a, "-p"))
			cfg.pidfile = optval(argc, argv, &i, "-p");
		else if (is_opt(a, "--user"))
			cfg.user = optval(argc, argv, &i, "--user");
		else if (is_opt(a, "--group"))
			cfg.group = optval(argc, argv, &i, "--group");
		else if (is_opt(a, "--mode"))
			cfg.mode = octal(optval(argc, argv, &i, "--mode"));
		else if (is_opt(a, "--root"))
			cfg.root = optval(argc, argv, &i, "--root");
		else if (is_opt(a, "--site"))
			site = optval(argc, argv, &i, "--site");
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			usage();
		else if (strcmp(a, "--version") == 0) {
			printf("speedy-cgi %s\n", SPEEDY_VERSION);
			exit(0);
		} else if (strncmp(a, "--", 2) == 0 && a[2] != '\0')
			errx(SF_EXIT_USAGE, "unknown option %s", a);
		else
			break;	/* perl switches, "--", or the script */
	}
	return i;
}

static void
conf_error(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "speedy-fcgi: %s\n", line);
}

/*
 * --site: the pool declared in the site's "fastcgi" section supplies
 * what the command line did not (-l, -n, --user, --group, --mode), and
 * the script or the root, which the command line then must not give.
 */
static void
site_pool(void)
{
	const char *dir = getenv("SPEEDY_CONFDIR");

	if (site == NULL)
		return;
	if (cfg.root != NULL)
		errx(SF_EXIT_USAGE, "give --root or --site, not both");
	if (dir == NULL || *dir == '\0')
		dir = SPEEDY_CONFDIR;
	if (conf_fcgi_pool(dir, site, &pool, conf_error, NULL) == -1)
		exit(SF_EXIT_FAIL);
	if (cfg.listen == NULL)
		cfg.listen = pool.listen;
	if (!nproc_given)
		cfg.nproc = pool.processes;
	if (cfg.user == NULL && pool.user[0] != '\0')
		cfg.user = pool.user;
	if (cfg.group == NULL && pool.group[0] != '\0')
		cfg.group = pool.group;
	if (cfg.mode == -1)
		cfg.mode = pool.mode;
	if (pool.root[0] != '\0')
		cfg.root = pool.root;
}

/* The one script, made absolute (check_script reads it). */
static void
set_script(const char *path)
{
	static char script[PATH_MAX];

	if (util_abspath(path, script, sizeof(script)) == -1)
		err(SF_EXIT_FAIL, "%s", path);
	cfg.script = script;
}

/*
 * The rest of the command line is speedy's: perl switches, "--" and
 * speedy options, and the script (none with --root or --site).
 */
static void
speedy_options(int argc, char **argv, int first)
{
	static char *words[MAXPROC];
	char msg[512];
	char **rest = argv + first - 1;	/* rest[0] stands for argv[0] */
	int n = argc - first + 1, given = cfg.root != NULL || site != NULL;

	rest[0] = argv[0];
	if (n > MAXPROC / 2)
		errx(SF_EXIT_USAGE, "too many arguments");
	if (opt_parse_cmdline(&cfg.cl, n, rest, words, MAXPROC,
	    given ? 0 : OPT_NEED_SCRIPT, msg, sizeof(msg)) == -1) {
		if (strcmp(msg, "no script given") == 0)
			usage();
		errx(SF_EXIT_USAGE, "%s", msg);
	}
	if (cfg.cl.opts.num[OPT_VERSION]) {
		printf("speedy-cgi %s\n", SPEEDY_VERSION);
		exit(0);
	}
	if (cfg.cl.script_ix == -1) {
		if (pool.script[0] != '\0')
			set_script(pool.script);
		return;
	}
	if (given)
		errx(SF_EXIT_USAGE, "give a script, --root or --site, not two");
	if (cfg.cl.script_ix + 1 < cfg.cl.argc)
		errx(SF_EXIT_USAGE, "%s: a FastCGI script takes no arguments",
		    cfg.cl.argv[cfg.cl.script_ix + 1]);
	set_script(cfg.cl.argv[cfg.cl.script_ix]);
}

/*
 * The one script must be servable now: there, readable, executable, and
 * with a #! line whose options are valid; otherwise every request would
 * fail.  This is the first request's own resolution (sf_script), which
 * the workers then find cached.
 */
static void
check_script(void)
{
	static char *noenv[1];
	struct fe_request *fe;
	char msg[PROTO_MAXERR + 64];

	if (cfg.script != NULL && sf_script(&cfg, noenv, &fe, msg,
	    sizeof(msg)) != 0)
		errx(SF_EXIT_FAIL, "%s", msg);
}

/*
 * The socket and pid file paths are made absolute before we leave the
 * current directory (-d): both are removed at the end.
 */
static void
absolute_paths(void)
{
	static char sock[PATH_MAX];

	if (cfg.pidfile != NULL && util_abspath(cfg.pidfile, pidfile_real,
	    sizeof(pidfile_real)) == -1)
		err(SF_EXIT_FAIL, "%s", cfg.pidfile);
	if (cfg.listen != NULL && strchr(cfg.listen, '/') != NULL) {
		if (util_abspath(cfg.listen, sock, sizeof(sock)) == -1)
			err(SF_EXIT_FAIL, "%s", cfg.listen);
		cfg.listen = sock;
	}
}

static void
check_root(void)
{
	struct stat st;

	if (cfg.root == NULL)
		return;
	if (realpath(cfg.root, cfg.rootreal) == NULL)
		err(SF_EXIT_FAIL, "--root %s", cfg.root);
	if (util_abspath(cfg.root, cfg.rootabs, sizeof(cfg.rootabs)) == -1)
		err(SF_EXIT_FAIL, "--root %s", cfg.root);
	if (stat(cfg.rootreal, &st) == -1 || !S_ISDIR(st.st_mode))
		errx(SF_EXIT_FAIL, "--root %s: not a directory", cfg.root);
}

/* Writes the pid file (ours, after daemonizing). */
static void
write_pidfile(void)
{
	char buf[32];
	int fd;

	if (cfg.pidfile == NULL)
		return;
	if ((fd = open(pidfile_real, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0644)) == -1) {
		sf_log("%s: %s", cfg.pidfile, strerror(errno));
		sf_unlisten(&lsock);
		exit(SF_EXIT_FAIL);
	}
	(void)util_fmt(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (util_write_all(fd, buf, strlen(buf)) == -1 || close(fd) == -1) {
		sf_log("%s: %s", cfg.pidfile, strerror(errno));
		(void)unlink(pidfile_real);
		sf_unlisten(&lsock);
		exit(SF_EXIT_FAIL);
	}
}

/*
 * Becomes a daemon: the parent exits 0 once the child is ready (socket
 * listening, pid file written), so that a service manager or a test can
 * rely on both when the command returns.
 */
static void
daemonize(void)
{
	int p[2], null;
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		err(SF_EXIT_FAIL, "cannot daemonize");
	if (pid > 0) {
		(void)close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : SF_EXIT_FAIL);
	}
	(void)close(p[0]);
	(void)setsid();
	if (chdir("/") == -1 || (null = open("/dev/null", O_RDWR)) == -1)
		err(SF_EXIT_FAIL, "cannot daemonize");
	(void)dup2(null, 0);
	(void)dup2(null, 1);
	(void)dup2(null, 2);
	if (null > 2)
		(void)close(null);
	openlog("speedy-fcgi", LOG_PID, LOG_DAEMON);
	use_syslog = 1;
	write_pidfile();
	/* Ready: the parent may exit (it fails if this write does not come). */
	if (util_write_all(p[1], "", 1) == -1)
		sf_log("cannot tell the starting process: %s", strerror(errno));
	(void)close(p[1]);
}

static void
install_signals(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	/* The master waits in sigsuspend; in between, signals wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &block, NULL);
}

static void
start_worker(int i)
{
	pid_t pid;

	if ((pid = fork()) == -1) {
		sf_log("cannot start a worker: %s", strerror(errno));
		workers[i] = 0;
		return;
	}
	if (pid == 0) {
		sf_got_hup = sf_got_term = sf_got_chld = 0;
		sf_worker(&cfg, lsock.fd);
	}
	workers[i] = pid;
	started[i] = time(NULL);
}

/* Reaps workers; restarts those that died unless we are stopping. */
static int
reap(void)
{
	int i, status, alive = 0, quick = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < cfg.nproc; i++) {
			if (workers[i] != pid)
				continue;
			workers[i] = 0;
			if (sf_got_term)
				break;
			if (WIFSIGNALED(status))
				sf_log("worker %ld died of signal %d; "
				    "restarting it", (long)pid, WTERMSIG(status));
			else
				sf_log("worker %ld exited with status %d; "
				    "restarting it", (long)pid,
				    WEXITSTATUS(status));
			quick |= time(NULL) - started[i] < 1;
		}
	}
	/* A worker that dies at once would die again: not in a busy loop. */
	if (quick && !sf_got_term)
		(void)sleep(1);
	for (i = 0; i < cfg.nproc; i++) {
		if (workers[i] == 0 && !sf_got_term)
			start_worker(i);
		alive += workers[i] != 0;
	}
	return alive;
}

static void
signal_workers(int sig)
{
	int i;

	for (i = 0; i < cfg.nproc; i++)
		if (workers[i] != 0)
			(void)kill(workers[i], sig);
}

/*
 * The master's loop.  SIGTERM once: the workers finish their requests and
 * leave; twice: they are killed.
 */
static void __attribute__((noreturn))
master(void)
{
	sigset_t none;
	int i, terms = 0, alive = cfg.nproc;

	sigemptyset(&none);
	for (i = 0; i < cfg.nproc; i++)
		start_worker(i);
	for (;;) {
		if (sf_got_chld) {
			sf_got_chld = 0;
			alive = reap();
		}
		if (sf_got_hup) {
			sf_got_hup = 0;
			signal_workers(SIGHUP);
		}
		if (sf_got_term > terms) {
			terms = sf_got_term;
			signal_workers(terms == 1 ? SIGTERM : SIGKILL);
			/*
			 * Refuse new connections at once (the workers close
			 * theirs too): a web server then tries another server
			 * instead of waiting in a backlog that dies with us.
			 */
			sf_unlisten(&lsock);
		}
		if (sf_got_term && alive == 0)
			break;
		(void)sigsuspend(&none);
	}
	sf_unlisten(&lsock);
	if (pidfile_real[0] != '\0')
		(void)unlink(pidfile_real);
	exit(0);
}

int
main(int argc, char **argv)
{
	char msg[512];
	int first;

	if (argc < 2)
		usage();
	first = own_options(argc, argv);
	site_pool();
	speedy_options(argc, argv, first);
	check_root();
	check_script();
	absolute_paths();
	install_signals();
	if (sf_listen(&cfg, &lsock, msg, sizeof(msg)) == -1)
		errx(SF_EXIT_FAIL, "%s", msg);
	if (cfg.daemonize)
		daemonize();
	else
		write_pidfile();
	master();
}
