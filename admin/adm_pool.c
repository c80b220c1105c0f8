/*
 * adm_pool.c: speedy-admin list, status, drain and kill.
 *
 * The pool is what the queue files say: one per user and TmpBase, at
 * <TmpBase>.<uid>/queue.3.  Root looks at every user's file, others only at
 * their own.  A file is read under its lock after the entries of dead
 * processes are reclaimed, so what is shown was alive; the lock is held to
 * copy or to mark slots, never while printing or waiting.  Backends are
 * drained the way a frontend retires them (fe_backend.c): marked draining,
 * and an idle one (or a parent) told to QUIT on its socket.  kill signals
 * through pidfds opened under the lock, so a pid reused while we wait for
 * the grace period is never hit.  What list and status copy is printed by
 * adm_out.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "adm.h"
#include "adm_out.h"
#include "opt.h"
#include "proto.h"
#include "queue.h"
#include "snap.h"
#include "util.h"

#define SEL_MAX		32	/* values one selector may be given */
#define POLL_MS		50	/* how often waiting commands look again */
#define WAIT_DEFAULT	60	/* drain --wait without a value, seconds */
#define GRACE_DEFAULT	5	/* kill --grace, seconds */
#define SECS_MAX	86400	/* longest --wait or --grace */
#define KILL_WAIT	10	/* seconds a SIGKILLed process has to go */

/* The commands, as option table bits. */
#define C_LIST		0x01
#define C_STATUS	0x02
#define C_DRAIN		0x04
#define C_KILL		0x08
#define C_SELECT	(C_LIST | C_DRAIN | C_KILL)

enum {
	O_ALL = 256, O_PID, O_GROUP, O_SCRIPT, O_USER, O_TMPBASE, O_JSON,
	O_OPENMETRICS, O_WAIT, O_SIGNAL, O_GRACE
};

/* Every option of these commands, and which commands take it. */
static const struct {
	const char	*name;
	int		 has_arg;
	int		 val;
	unsigned	 cmds;
} adm_opts[] = {
	{ "all",	 no_argument,		O_ALL,		C_SELECT },
	{ "pid",	 required_argument,	O_PID,		C_SELECT },
	{ "group",	 required_argument,	O_GROUP,	C_SELECT },
	{ "script",	 required_argument,	O_SCRIPT,	C_SELECT },
	{ "user",	 required_argument,	O_USER,		C_SELECT },
	{ "tmpbase",	 required_argument,	O_TMPBASE,	C_SELECT | C_STATUS },
	{ "json",	 no_argument,		O_JSON,		C_LIST | C_STATUS },
	{ "openmetrics", no_argument,		O_OPENMETRICS,	C_STATUS },
	{ "wait",	 optional_argument,	O_WAIT,		C_DRAIN },
	{ "signal",	 required_argument,	O_SIGNAL,	C_KILL },
	{ "grace",	 required_argument,	O_GRACE,	C_KILL },
};
#define NOPTS	(sizeof(adm_opts) / sizeof(adm_opts[0]))

/* Signals kill takes by name, with or without "SIG". */
static const struct {
	const char	*name;
	int		 sig;
} signames[] = {
	{ "TERM", SIGTERM }, { "KILL", SIGKILL }, { "HUP", SIGHUP },
	{ "INT", SIGINT }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
};

/*
 * Which slots a command acts on.  Values of one selector are alternatives;
 * different selectors must all match.
 */
struct sel {
	int		 given;		/* any selector, --all included */
	pid_t		 pids[SEL_MAX];
	int		 npids;
	char		 groups[SEL_MAX][OPT_GROUP_SIG + 1];
	int		 ngroups;
	char		*scripts[SEL_MAX];	/* absolute, as the frontend has it */
	int		 nscripts;
	uid_t		 uids[SEL_MAX];
	int		 nuids;
	const char	*tmpbases[SEL_MAX];
	int		 ntmpbases;
};

struct args {
	struct sel	 sel;
	int		 json, openmetrics;
	long		 wait;		/* drain: seconds, -1 for no --wait */
	int		 sig;
	long		 grace;
};

/* A queue file to look at. */
struct src {
	char		*tmpbase;
	uid_t		 uid;
	int		 touched;	/* kill: we signalled one of its processes */
};

struct srcs {
	struct src	*v;
	size_t		 n, cap;
	int		 fail;		/* a file could not be trusted or read */
};

/* A process drain or kill waits for. */
struct proc {
	pid_t		 pid;
	int		 fd;		/* its pidfd, or -1 if the kernel gave none */
};

struct procs {
	struct proc	*v;
	size_t		 n, cap;
};

/* What a visit to one queue file gets, under its lock. */
struct visit {
	const struct args *args;
	struct srcs	*srcs;
	size_t		 src;		/* index of the file in srcs */
	size_t		 matched;
	int		 fail;
	struct procs	 procs;
	struct rows	 rows;
	struct gstats	 gstats;
};

typedef void	visit_fn(struct queue *, struct visit *);
/* What drain and kill do to one of their targets, of the file's uid. */
typedef void	target_fn(struct queue *, struct queue_slot *, uid_t,
		    struct visit *);

/* Grows a vector of n elements of size sz to hold one more. */
static void *
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return v;
	*cap = *cap == 0 ? 16 : *cap * 2;
	if ((v = reallocarray(v, *cap, sz)) == NULL)
		err(ADM_EXIT_FAIL, NULL);
	return v;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap);
	va_end(ap);
	adm_usage();
}

/* ---------------------------------------------------------- arguments */

/* A signal by name (TERM, SIGterm) or number; -1 if unknown. */
static int
parse_signal(const char *s)
{
	size_t i;
	long n;

	if (util_parse_long(s, 1, 64, &n) == 0)
		return (int)n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].sig;
	return -1;
}

/* A script path made absolute against the current directory. */
static char *
abs_script(const char *path)
{
	char buf[PATH_MAX], *out;

	if (util_abspath(path, buf, sizeof(buf)) == -1) {
		if (errno == ENAMETOOLONG)
			errx(ADM_EXIT_FAIL, "%s: path too long", path);
		err(ADM_EXIT_FAIL, "cannot find the current directory");
	}
	if ((out = strdup(buf)) == NULL)
		err(ADM_EXIT_FAIL, NULL);
	return out;
}

/* A user name or number; -1 if there is no such user. */
static int
parse_user(const char *s, uid_t *uid)
{
	struct passwd *pw;
	long n;

	if (util_parse_long(s, 0, INT_MAX, &n) == 0) {
		*uid = (uid_t)n;
		return 0;
	}
	if ((pw = getpwnam(s)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	return 0;
}

/* Refuses one more value for a selector that has n already. */
static void
room(int n, const char *name)
{
	if (n == SEL_MAX)
		usage_error("too many --%s options", name);
}

/* Parses the value of option c into a. */
static void
parse_value(int c, const char *name, const char *v, struct args *a,
    const char **users, int *nusers)
{
	struct sel *sel = &a->sel;
	long n;

	switch (c) {
	case O_PID:
		room(sel->npids, name);
		if (util_parse_long(v, 1, INT32_MAX, &n) == -1)
			usage_error("--pid: bad process id '%s'", v);
		sel->pids[sel->npids++] = (pid_t)n;
		break;
	case O_GROUP:
		room(sel->ngroups, name);
		if (*v == '\0')
			usage_error("--group: empty group name");
		/* Only the first OPT_GROUP_SIG characters count: cut. */
		(void)util_strlcpy(sel->groups[sel->ngroups++], v,
		    sizeof(sel->groups[0]));
		break;
	case O_SCRIPT:
		room(sel->nscripts, name);
		if (*v == '\0')
			usage_error("--script: empty path");
		sel->scripts[sel->nscripts++] = abs_script(v);
		break;
	case O_USER:
		room(*nusers, name);
		users[(*nusers)++] = v;
		break;
	case O_TMPBASE:
		room(sel->ntmpbases, name);
		if (*v == '\0' || strlen(v) > OPT_STR_MAX)
			usage_error("--tmpbase: bad prefix '%s'", v);
		sel->tmpbases[sel->ntmpbases++] = v;
		break;
	case O_WAIT:
		if (v == NULL)
			a->wait = WAIT_DEFAULT;
		else if (util_parse_long(v, 0, SECS_MAX, &a->wait) == -1)
			usage_error("--wait: bad number of seconds '%s' (0 to "
			    "%d)", v, SECS_MAX);
		break;
	case O_GRACE:
		if (util_parse_long(v, 0, SECS_MAX, &a->grace) == -1)
			usage_error("--grace: bad number of seconds '%s' (0 "
			    "to %d)", v, SECS_MAX);
		break;
	case O_SIGNAL:
		if ((a->sig = parse_signal(v)) == -1)
			usage_error("--signal: unknown signal '%s'", v);
		break;
	}
}

/* The user names of --user, once every option has been checked. */
static void
resolve_users(struct sel *sel, const char **users, int nusers)
{
	int i;

	for (i = 0; i < nusers; i++) {
		if (parse_user(users[i], &sel->uids[i]) == -1)
			errx(ADM_EXIT_FAIL, "unknown user '%s'", users[i]);
		if (getuid() != 0 && sel->uids[i] != getuid())
			errx(ADM_EXIT_FAIL, "only root can see other users' "
			    "backends");
	}
	sel->nuids = nusers;
}

/* Reports what getopt_long refused, then the usage. */
static void __attribute__((noreturn))
bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		usage_error("option '%s' needs a value", arg);
	if (optopt >= O_ALL)
		usage_error("option '%s' takes no value", arg);
	if (optopt != 0)
		usage_error("unknown option '-%c'", optopt);
	usage_error("unknown option '%s'", arg);
}

/* Parses a command's arguments (argv[0] is the command) into a. */
static void
parse_args(int argc, char **argv, unsigned cmd, struct args *a)
{
	struct option lo[NOPTS + 1];
	const char *users[SEL_MAX];
	const char *name;
	size_t i, n = 0;
	int c, nusers = 0;

	memset(lo, 0, sizeof(lo));
	for (i = 0; i < NOPTS; i++)
		if (adm_opts[i].cmds & cmd) {
			lo[n].name = adm_opts[i].name;
			lo[n].has_arg = adm_opts[i].has_arg;
			lo[n++].val = adm_opts[i].val;
		}
	memset(a, 0, sizeof(*a));
	a->wait = -1;
	a->sig = SIGTERM;
	a->grace = GRACE_DEFAULT;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", lo, NULL)) != -1) {
		if (c == ':' || c == '?')
			bad_option(c, argv);
		for (name = "", i = 0; i < NOPTS; i++)
			if (adm_opts[i].val == c)
				name = adm_opts[i].name;
		if (c == O_JSON)
			a->json = 1;
		else if (c == O_OPENMETRICS)
			a->openmetrics = 1;
		else
			parse_value(c, name, optarg, a, users, &nusers);
		if (c <= O_TMPBASE)	/* O_ALL to O_TMPBASE select */
			a->sel.given = 1;
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (a->json && a->openmetrics)
		usage_error("--json and --openmetrics exclude each other");
	if ((cmd & (C_DRAIN | C_KILL)) && !a->sel.given)
		usage_error("%s needs a selector (--all for every backend)",
		    argv[0]);
	resolve_users(&a->sel, users, nusers);
}

static void
free_args(struct args *a)
{
	int i;

	for (i = 0; i < a->sel.nscripts; i++)
		free(a->sel.scripts[i]);
}

/* ---------------------------------------------------------- queue files */

static void
src_add(struct srcs *ss, const char *tmpbase, uid_t uid)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (ss->v[i].uid == uid && strcmp(ss->v[i].tmpbase, tmpbase) == 0)
			return;
	ss->v = grow(ss->v, ss->n, &ss->cap, sizeof(*ss->v));
	memset(&ss->v[ss->n], 0, sizeof(ss->v[0]));
	if ((ss->v[ss->n].tmpbase = strdup(tmpbase)) == NULL)
		err(ADM_EXIT_FAIL, NULL);
	ss->v[ss->n++].uid = uid;
}

static int
uid_selected(const struct sel *sel, uid_t uid)
{
	int i;

	for (i = 0; i < sel->nuids; i++)
		if (sel->uids[i] == uid)
			return 1;
	return sel->nuids == 0;
}

/*
 * If name is "<base>.<uid>" with uid written as queue_open writes it,
 * stores the uid and returns 0.
 */
static int
entry_uid(const char *name, const char *base, uid_t *uid)
{
	size_t len = strlen(base);
	char again[32];
	long n;

	if (strncmp(name, base, len) != 0 || name[len] != '.' ||
	    util_parse_long(name + len + 1, 0, INT_MAX, &n) == -1)
		return -1;
	if (util_fmt(again, sizeof(again), "%ld", n) == -1 ||
	    strcmp(again, name + len + 1) != 0)
		return -1;
	*uid = (uid_t)n;
	return 0;
}

/*
 * Adds the queue files of one TmpBase: every user's for root (the
 * directories <base>.<uid> next to it), our own for others.  A missing
 * directory means no backends.
 */
static void
scan_tmpbase(struct srcs *ss, const struct sel *sel, const char *tmpbase)
{
	char dir[OPT_STR_MAX + 2], *slash;
	const char *base;
	struct dirent *de;
	DIR *d;
	uid_t uid;

	if (getuid() != 0) {
		if (uid_selected(sel, getuid()))
			src_add(ss, tmpbase, getuid());
		return;
	}
	if (util_strlcpy(dir, tmpbase, sizeof(dir)) == -1) {
		warnx("TmpBase %s is too long", tmpbase);
		ss->fail = 1;
		return;
	}
	if ((slash = strrchr(dir, '/')) == NULL) {
		base = tmpbase;
		(void)util_strlcpy(dir, ".", sizeof(dir));
	} else {
		base = tmpbase + (slash - dir) + 1;
		slash[slash == dir ? 1 : 0] = '\0';
	}
	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT) {
			warn("%s", dir);
			ss->fail = 1;
		}
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (entry_uid(de->d_name, base, &uid) == 0 &&
		    uid_selected(sel, uid))
			src_add(ss, tmpbase, uid);
	(void)closedir(d);
}

/*
 * The TmpBases to look at when none is given: the default and every one
 * a section of the configuration sets (a site may give its scripts their
 * own).
 */
static void
default_tmpbases(struct srcs *ss, const struct sel *sel)
{
	struct snap s;
	const char *tb;
	char msg[512];
	int i, r;

	scan_tmpbase(ss, sel, adm_tmpbase());
	if ((r = snap_load(&s, adm_snapshot(), msg, sizeof(msg))) == -1) {
		warnx("%s", msg);
		ss->fail = 1;
		return;
	}
	if (r == 1)
		return;
	for (i = 0; i < snap_nsect(&s); i++)
		if ((tb = snap_sect_str(&s, i, OPT_TMPBASE)) != NULL &&
		    strcmp(tb, adm_tmpbase()) != 0)
			scan_tmpbase(ss, sel, tb);
	snap_close(&s);
}

static int
src_cmp(const void *a, const void *b)
{
	const struct src *x = a, *y = b;
	int c = strcmp(x->tmpbase, y->tmpbase);

	if (c != 0)
		return c;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static void
find_sources(struct srcs *ss, const struct sel *sel)
{
	int i;

	memset(ss, 0, sizeof(*ss));
	if (sel->ntmpbases == 0)
		default_tmpbases(ss, sel);
	for (i = 0; i < sel->ntmpbases; i++)
		scan_tmpbase(ss, sel, sel->tmpbases[i]);
	if (ss->n > 1)
		qsort(ss->v, ss->n, sizeof(ss->v[0]), src_cmp);
}

static void
free_sources(struct srcs *ss)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		free(ss->v[i].tmpbase);
	free(ss->v);
}

/*
 * True if pid is a zombie: dead, but not reaped yet (backends outlive the
 * frontend that started them and are reparented to an init that may reap
 * late, or never).  kill(pid, 0) still finds it, so queue_reclaim does not.
 */
static int
pid_zombie(pid_t pid)
{
	char path[64], buf[512], *p;

	if (pid <= 0 || util_fmt(path, sizeof(path), "/proc/%ld/stat",
	    (long)pid) == -1 || util_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* The command name may hold anything: the state follows the last ')'. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2] == 'Z';
}

/* Under the lock: also frees what zombies hold (see pid_zombie). */
static void
reclaim_zombies(struct queue *q)
{
	uint32_t i;

	for (i = 0; i < q->hdr->nwaiters; i++)
		if (q->waiters[i].pid != 0 && pid_zombie(q->waiters[i].pid))
			queue_waiter_free(q, &q->waiters[i]);
	for (i = 0; i < q->hdr->nused; i++)
		if (q->slots[i].state != QS_FREE && pid_zombie(q->slots[i].pid))
			queue_slot_reclaim(q, &q->slots[i]);
}

/*
 * Visits the queue file of every source (of those touched, if
 * only_touched): attached, locked, rid of the dead, then handed to fn.
 * A file that cannot be trusted is named in a warning and skipped.
 */
static void
walk(struct srcs *ss, int only_touched, visit_fn *fn, struct visit *v)
{
	struct queue q;
	char msg[512];
	size_t i;

	for (i = 0; i < ss->n; i++) {
		if (only_touched && !ss->v[i].touched)
			continue;
		/* Only ENOENT from queue_attach itself means "nothing". */
		errno = 0;
		if (queue_attach(&q, ss->v[i].tmpbase, ss->v[i].uid, msg,
		    sizeof(msg)) == -1) {
			if (errno != ENOENT) {
				warnx("%s", msg);
				ss->fail = 1;
			}
			continue;
		}
		/*
		 * A user's process that holds its lock for ever does not
		 * stall us: on an attached file queue_lock gives up after
		 * QUEUE_ATTACH_WAIT_MS, and that file is reported.
		 */
		if (queue_lock(&q, msg, sizeof(msg)) == -1) {
			warnx("%s", msg);
			ss->fail = 1;
			queue_close(&q);
			continue;
		}
		reclaim_zombies(&q);
		(void)queue_reclaim(&q, 1);
		v->src = i;
		if (fn != NULL)
			fn(&q, v);
		queue_unlock(&q);
		queue_close(&q);
	}
}

/* ---------------------------------------------------------- selection */

/*
 * True if the slot's script is path.  XXX The queue file keeps only
 * QUEUE_SCRIPTLEN - 1 bytes of a path; a longer one is matched on those.
 */
static int
script_match(const char *script, const char *path)
{
	size_t n = strnlen(script, QUEUE_SCRIPTLEN);

	if (n >= QUEUE_SCRIPTLEN - 1)
		return strncmp(script, path, QUEUE_SCRIPTLEN - 1) == 0;
	return strlen(path) == n && memcmp(script, path, n) == 0;
}

/* True if slot s (of a file the source selectors let through) matches. */
static int
sel_match(const struct sel *sel, const struct queue_slot *s)
{
	int i, ok;

	if (s->state == QS_FREE)
		return 0;
	for (ok = sel->npids == 0, i = 0; !ok && i < sel->npids; i++)
		ok = s->pid == sel->pids[i];
	if (!ok)
		return 0;
	for (ok = sel->ngroups == 0, i = 0; !ok && i < sel->ngroups; i++)
		ok = strncmp(s->key.group, sel->groups[i], OPT_GROUP_SIG) == 0;
	if (!ok)
		return 0;
	for (ok = sel->nscripts == 0, i = 0; !ok && i < sel->nscripts; i++)
		ok = script_match(s->script, sel->scripts[i]);
	return ok;
}

/*
 * True if drain and kill act on slot s: it matches, and holds a backend or
 * a parent, not a place that a frontend starting one has reserved (the pid
 * of a spawning slot is the frontend's own).
 */
static int
target(const struct sel *sel, const struct queue_slot *s)
{
	return sel_match(sel, s) && s->state != QS_STARTING &&
	    s->state != QS_SPAWNING;
}

/* Under the lock: hands fn every target in the file v visits. */
static void
each_target(struct queue *q, struct visit *v, target_fn *fn)
{
	uid_t uid = v->srcs->v[v->src].uid;
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++)
		if (target(&v->args->sel, &q->slots[i]))
			fn(q, &q->slots[i], uid, v);
}

/* ---------------------------------------------------------- processes */

/* The real uid of process pid, from /proc; -1 if it is gone. */
static int
proc_uid(pid_t pid, uid_t *uid)
{
	char path[64], buf[4096], *p, *end;
	long u;

	/* "Uid:" then the real, effective, saved and file system uids. */
	if (util_fmt(path, sizeof(path), "/proc/%ld/status", (long)pid) == -1 ||
	    util_read_file(path, buf, sizeof(buf)) <= 0 ||
	    (p = strstr(buf, "\nUid:\t")) == NULL)
		return -1;
	errno = 0;
	u = strtol(p + 6, &end, 10);
	if (end == p + 6 || *end != '\t' || errno != 0 || u < 0)
		return -1;
	*uid = (uid_t)u;
	return 0;
}

/* True once the process has exited (a zombie has). */
static int
proc_gone(const struct proc *p)
{
	struct pollfd pfd;

	if (p->fd != -1) {
		/* A pidfd polls readable once its process has exited. */
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		return poll(&pfd, 1, 0) > 0;
	}
	return queue_pid_gone(p->pid) || pid_zombie(p->pid);
}

static void
proc_close(struct proc *p)
{
	if (p->fd != -1)
		(void)close(p->fd);
	p->fd = -1;
}

/*
 * Opens a handle on pid, which must be a process of uid: a queue file is
 * its user's to write, and must not make root signal anyone else.  Returns
 * 0; 1 if the process is gone; -1 if it belongs to another user.  Without
 * a pidfd (an old kernel, no descriptors left) the handle is the pid.
 */
static int
proc_open(struct proc *p, pid_t pid, uid_t uid)
{
	uid_t owner;

	p->pid = pid;
	p->fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->fd == -1 && errno == ESRCH)
		return 1;
	/* Read with the pidfd held: if the process still lives, it is pid. */
	if (proc_uid(pid, &owner) == -1 || proc_gone(p)) {
		proc_close(p);
		return 1;
	}
	if (owner != uid) {
		proc_close(p);
		return -1;
	}
	return 0;
}

static int
proc_signal(const struct proc *p, int sig)
{
	if (p->fd != -1)
		return (int)syscall(SYS_pidfd_send_signal, p->fd, sig, NULL, 0);
	return kill(p->pid, sig);
}

static void
procs_add(struct procs *ps, const struct proc *p)
{
	ps->v = grow(ps->v, ps->n, &ps->cap, sizeof(*ps->v));
	ps->v[ps->n++] = *p;
}

static void
procs_free(struct procs *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		proc_close(&ps->v[i]);
	free(ps->v);
}

static size_t
procs_left(const struct procs *ps)
{
	size_t i, n = 0;

	for (i = 0; i < ps->n; i++)
		if (!proc_gone(&ps->v[i]))
			n++;
	return n;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits up to secs seconds for every process of ps to exit; returns how
 * many have not.
 */
static size_t
wait_gone(const struct procs *ps, long secs)
{
	int64_t end = now_ms() + (int64_t)secs * 1000;
	size_t left;

	while ((left = procs_left(ps)) > 0 && now_ms() < end)
		(void)poll(NULL, 0, POLL_MS);
	return left;
}

/* ---------------------------------------------------------- commands */

/*
 * What every command starts with: its arguments (argv[0] is the command)
 * parsed into a, the queue files they select found into ss, and each of
 * them visited by fn into v, which starts empty.  drain and kill, which
 * act on backends, say so when none matched (a file that could not be
 * read has been named: that explains enough).  end() releases it all.
 */
static void
begin(int argc, char **argv, unsigned cmd, visit_fn *fn, struct args *a,
    struct srcs *ss, struct visit *v)
{
	parse_args(argc, argv, cmd, a);
	find_sources(ss, &a->sel);
	memset(v, 0, sizeof(*v));
	v->args = a;
	v->srcs = ss;
	walk(ss, 0, fn, v);
	if ((cmd & (C_DRAIN | C_KILL)) && v->matched == 0 && !v->fail &&
	    !ss->fail)
		warnx("no backend matches");
}

/* Frees what begin() and the visits allocated; ss->fail stays. */
static void
end(struct args *a, struct srcs *ss, struct visit *v)
{
	free(v->rows.v);
	free(v->gstats.v);
	procs_free(&v->procs);
	free_sources(ss);
	free_args(a);
}

/* The exit status of drain and kill, once they are done. */
static int
acted(const struct visit *v)
{
	return v->matched == 0 || v->fail || v->srcs->fail ? ADM_EXIT_FAIL :
	    ADM_EXIT_OK;
}

/* ---------------------------------------------------------- list */

static void
rows_visit(struct queue *q, struct visit *v)
{
	struct row *r;
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++) {
		if (!sel_match(&v->args->sel, &q->slots[i]))
			continue;
		v->rows.v = grow(v->rows.v, v->rows.n, &v->rows.cap,
		    sizeof(*v->rows.v));
		r = &v->rows.v[v->rows.n++];
		r->slot = q->slots[i];
		r->slot.key.group[QUEUE_GROUPLEN - 1] = '\0';
		r->slot.script[QUEUE_SCRIPTLEN - 1] = '\0';
		r->uid = v->srcs->v[v->src].uid;
		r->tmpbase = v->srcs->v[v->src].tmpbase;
	}
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	if ((c = strcmp(x->slot.key.group, y->slot.key.group)) != 0 ||
	    (c = strcmp(x->slot.script, y->slot.script)) != 0)
		return c;
	return x->slot.pid < y->slot.pid ? -1 : x->slot.pid > y->slot.pid;
}

int
cmd_list(int argc, char **argv)
{
	struct visit v;
	struct args a;
	struct srcs ss;

	begin(argc, argv, C_LIST, rows_visit, &a, &ss, &v);
	if (v.rows.n > 1)
		qsort(v.rows.v, v.rows.n, sizeof(v.rows.v[0]), row_cmp);
	if (a.json)
		out_list_json(&v.rows);
	else
		out_list_table(&v.rows);
	end(&a, &ss, &v);
	return out_finish(ss.fail);
}

/* ---------------------------------------------------------- status */

/* The counters of uid's group (its first OPT_GROUP_SIG characters). */
static struct gstat *
gstat_get(struct gstats *gs, uid_t uid, const char *group)
{
	struct gstat *g;
	size_t i;

	for (i = 0; i < gs->n; i++)
		if (gs->v[i].uid == uid &&
		    strncmp(gs->v[i].group, group, OPT_GROUP_SIG) == 0)
			return &gs->v[i];
	gs->v = grow(gs->v, gs->n, &gs->cap, sizeof(*gs->v));
	g = &gs->v[gs->n++];
	memset(g, 0, sizeof(*g));
	g->uid = uid;
	memcpy(g->group, group, strnlen(group, OPT_GROUP_SIG));
	return g;
}

static void
status_visit(struct queue *q, struct visit *v)
{
	uid_t uid = v->srcs->v[v->src].uid;
	const struct queue_group *qg;
	struct gstat *g;
	uint32_t i;

	for (i = 0; i < q->hdr->nused; i++)
		if (q->slots[i].state != QS_FREE)
			gstat_get(&v->gstats, uid, q->slots[i].key.group)->
			    nstate[q->slots[i].state]++;
	for (i = 0; i < q->hdr->nwaiters; i++)
		if (q->waiters[i].pid != 0)
			gstat_get(&v->gstats, uid,
			    q->waiters[i].key.group)->n[G_WAITING]++;
	for (i = 0; i < QUEUE_NGROUPS; i++) {
		qg = &q->groups[i];
		if (qg->name[0] == '\0')
			continue;
		g = gstat_get(&v->gstats, uid, qg->name);
		g->n[G_REQUESTS] += qg->nrequests;
		g->n[G_MAXHIT] += qg->nmaxhit;
		g->n[G_SPAWNED] += qg->nspawned;
	}
}

static int
gstat_cmp(const void *a, const void *b)
{
	const struct gstat *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->group, y->group);
}

int
cmd_status(int argc, char **argv)
{
	struct visit v;
	struct args a;
	struct srcs ss;

	begin(argc, argv, C_STATUS, status_visit, &a, &ss, &v);
	if (v.gstats.n > 1)
		qsort(v.gstats.v, v.gstats.n, sizeof(v.gstats.v[0]),
		    gstat_cmp);
	if (a.json)
		out_status_json(&v.gstats);
	else if (a.openmetrics)
		out_status_openmetrics(&v.gstats);
	else
		out_status_table(&v.gstats);
	end(&a, &ss, &v);
	return out_finish(ss.fail);
}

/* ---------------------------------------------------------- drain */

/*
 * Connects to the socket of the process in slot s, which must be that
 * process, of the file's uid.  Returns the socket, or -1 with why set.
 * Under the lock; a listening Unix socket with room in its backlog
 * accepts at once, and the socket is non-blocking in case it has none.
 */
static int
connect_slot(const struct queue *q, const struct queue_slot *s, uid_t uid,
    char *why, size_t len)
{
	struct sockaddr_un sun;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (queue_sockpath(q, s->pid, sun.sun_path, sizeof(sun.sun_path)) ==
	    -1) {
		(void)util_strlcpy(why, "socket path too long", len);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1 || connect(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		(void)util_fmt(why, len, "%s: %s", sun.sun_path,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    cred.uid != uid || cred.pid != s->pid) {
		(void)util_fmt(why, len, "%s is not the socket of process "
		    "%d of uid %u", sun.sun_path, (int)s->pid, (unsigned)uid);
		(void)close(fd);
		return -1;
	}
	return fd;
}

/*
 * Under the lock: asks an idle backend or a parent to exit: marked
 * draining, so that no frontend takes it, and sent QUIT.  If it cannot be
 * told, it is left as it was (a backend marked draining while idle would
 * never exit) and -1 is returned after a warning.
 */
static int
quit_slot(struct queue *q, struct queue_slot *s, uid_t uid)
{
	char why[256];
	int fd, r;

	if ((fd = connect_slot(q, s, uid, why, sizeof(why))) == -1) {
		warnx("cannot ask process %d to exit: %s", (int)s->pid, why);
		return -1;
	}
	r = proto_send_quit(fd);
	if (r == -1)
		warn("cannot ask process %d to exit", (int)s->pid);
	(void)close(fd);
	if (r == 0)
		s->state = QS_DRAINING;
	return r;
}

/* Remembers a process to wait for (or to signal), if it still runs. */
static int
track(struct visit *v, pid_t pid, uid_t uid, struct proc *p)
{
	int r;

	if ((r = proc_open(p, pid, uid)) == -1) {
		warnx("process %d in the queue file of uid %u belongs to "
		    "another user; leaving it alone", (int)pid, (unsigned)uid);
		v->fail = 1;
		return -1;
	}
	if (r == 0)
		procs_add(&v->procs, p);
	return r;
}

static void
drain_slot(struct queue *q, struct queue_slot *s, uid_t uid, struct visit *v)
{
	struct proc p;

	if (s->state == QS_IDLE || s->state == QS_PARENT) {
		if (quit_slot(q, s, uid) == -1) {
			v->fail = 1;
			return;
		}
	} else
		s->state = QS_DRAINING;	/* exits after its request */
	v->matched++;
	(void)track(v, s->pid, uid, &p);
}

static void
drain_visit(struct queue *q, struct visit *v)
{
	each_target(q, v, drain_slot);
}

int
cmd_drain(int argc, char **argv)
{
	struct visit v;
	struct args a;
	struct srcs ss;
	size_t left;

	begin(argc, argv, C_DRAIN, drain_visit, &a, &ss, &v);
	/* If nothing matched, v.procs is empty: no wait. */
	if (a.wait >= 0 && (left = wait_gone(&v.procs, a.wait)) > 0) {
		warnx("%zu of %zu drained processes still running after %ld "
		    "s", left, v.procs.n, a.wait);
		v.fail = 1;
	}
	end(&a, &ss, &v);
	return acted(&v);
}

/* ---------------------------------------------------------- kill */

/*
 * True for the signals a backend handles by exiting gracefully: once its
 * request is over, or at once if idle (speedy_backend.c, install_signals).
 */
static int
graceful(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
}

static void
kill_slot(struct queue *q, struct queue_slot *s, uid_t uid, struct visit *v)
{
	struct proc p;

	(void)q;
	v->matched++;
	v->srcs->v[v->src].touched = 1;
	if (track(v, s->pid, uid, &p) != 0)
		return;
	/*
	 * No frontend may take it while it dies.  But an idle backend marked
	 * draining ignores a graceful signal (it waits for QUIT): that one
	 * stays idle.
	 */
	if (s->state != QS_IDLE || !graceful(v->args->sig))
		s->state = QS_DRAINING;
	if (proc_signal(&p, v->args->sig) == -1 && errno != ESRCH) {
		warn("cannot signal process %d", (int)s->pid);
		v->fail = 1;
	}
}

static void
kill_visit(struct queue *q, struct visit *v)
{
	each_target(q, v, kill_slot);
}

/* SIGKILLs the processes of ps that are still there. */
static void
kill_rest(const struct procs *ps, struct visit *v)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!proc_gone(&ps->v[i]) &&
		    proc_signal(&ps->v[i], SIGKILL) == -1 && errno != ESRCH) {
			warn("cannot kill process %d", (int)ps->v[i].pid);
			v->fail = 1;
		}
}

int
cmd_kill(int argc, char **argv)
{
	struct visit v;
	struct args a;
	struct srcs ss;
	size_t left;

	begin(argc, argv, C_KILL, kill_visit, &a, &ss, &v);
	if (wait_gone(&v.procs, a.grace) > 0) {
		kill_rest(&v.procs, &v);
		if ((left = wait_gone(&v.procs, KILL_WAIT)) > 0) {
			warnx("%zu processes did not exit after SIGKILL",
			    left);
			v.fail = 1;
		}
	}
	/* What the killed left in the queue files goes now. */
	walk(&ss, 1, NULL, &v);
	end(&a, &ss, &v);
	return acted(&v);
}
