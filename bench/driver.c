/*
 * driver: the benchmark's timing driver (compiled by bench/run).
 *
 *	driver [-r rounds] [-w warmup-rounds] [-s seed] [-o samples.tsv]
 *	    [-e stderr-file] specfile
 *
 * specfile has one command per line, fields separated by tabs:
 *
 *	name  weight  expected-bytes  program  [argument ...]
 *
 * A line "+touch<TAB>path" applies to the command on the line before it:
 * before every run of that command (untimed), the driver sets path's
 * modification time to a new value, later than any it set before, as if
 * the file had just been edited.  (It makes speedy see a new version of a
 * script, so that every such run compiles it afresh.)  A line
 * "+env<TAB>NAME=value" adds (or replaces) a variable in the environment
 * of that command only.  A line "+body<TAB>bytes" makes the command's
 * standard input a pipe into which the driver writes that many bytes (a
 * request body, as a web server passes a POST to a CGI program) while it
 * reads the output; the command must read them all.  After it, a line
 * "+pipesize<TAB>bytes" gives that pipe this capacity (F_SETPIPE_SZ)
 * instead of the system's default.
 *
 * Every round runs each command weight times, in an order shuffled per
 * round (seeded, so reproducible), so the commands are interleaved and
 * machine noise hits them all alike.  A sample is the wall time from just
 * before the command is spawned until its exit status is collected AND its
 * standard output (a pipe the driver reads and discards, as a web server
 * would) has reached end-of-file: that is when a CGI response is complete.
 * Standard input is /dev/null unless the command has a body.  Commands are
 * run with posix_spawn, never through a shell.
 *
 * Each run must exit 0 and (if expected-bytes >= 0) write exactly that many
 * bytes; otherwise the driver says why and exits 1.
 *
 * Output, one line per command, tab separated, times in microseconds:
 *
 *	name  n  median  p90  min  max  mean  cpu
 *
 * where cpu is the mean CPU time (user and system, from wait4) of the
 * process the driver spawned, not of the processes it hands work to.
 *
 * Throughput mode, -c levels (a comma-separated list of client counts,
 * such as 1,2,4,16), measures runs per second instead.  A burst is one
 * command run by that many client processes at once, each in a loop (one
 * run after the other, exactly as above) until the burst's time, -d
 * milliseconds, is up; the burst ends when the last client's last run has
 * completed, and its throughput is all clients' runs over that time.  Every
 * round runs one burst of each command at each level, in an order shuffled
 * per round (a spec line's weight is ignored here).  Output, one line per
 * command and level, tab separated:
 *
 *	name  clients  bursts  median  p90  min  max  runs  lat-median  lat-p90
 *
 * where median, p90, min and max are runs per second over the bursts (the
 * p90 is the rate that 90% of the bursts reached, i.e. the 90th percentile
 * of the time per run, so that it is on the slow side as with latencies)
 * and lat-median and lat-p90 are the single runs' times under that load,
 * in microseconds.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXCMDS		32
#define MAXARGS		32
#define READBUF		(256 * 1024)
#define EOF_TIMEOUT_MS	60000	/* a response that stalls this long fails */
/*
 * Bytes of a request body per write: a web server's buffer size (Apache and
 * nginx use 8 to 16 KiB).  It must stay below a pipe's default capacity
 * (64 KiB): writes that fill the whole pipe make writer and reader take
 * strict turns, and a plain perl reading such a pipe then took either
 * about 15 or about 40 ms for 50 MiB on our 2-core machine, depending on
 * how the two happened to be scheduled.
 */
#define BODYBUF		16384
#define MAXLEVELS	8	/* client counts in throughput mode */
#define MAXCLIENTS	64	/* clients of one burst */
#define LATCAP		65536	/* run times kept per client and burst */

extern char **environ;

struct cmd {
	char	*name;
	int	 weight;
	long long expect;
	char	*argv[MAXARGS + 1];
	char	*touch;		/* file to give a new mtime before each run */
	char   **envp;		/* its environment; NULL: ours */
	long long body;		/* bytes to write to its stdin; 0: none */
	int	 pipesize;	/* F_SETPIPE_SZ of that pipe; 0: default */
	double	*us;		/* samples, microseconds */
	size_t	 n, cap;
	double	 cpu;		/* the spawned processes' CPU, microseconds */
};

static struct cmd cmds[MAXCMDS];
static int ncmds;
static const char *errpath = "/dev/null";
static char buf[READBUF];
static char body[BODYBUF];	/* a request body: zeros, as good as any */
static double last_cpu;		/* the last run's CPU time, microseconds */

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* xorshift64*: small, portable, reproducible. */
static uint64_t rng;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

/* Fisher-Yates shuffle of a round's jobs. */
static void
shuffle(int *jobs, int n)
{
	int i, k, t;

	for (i = n - 1; i > 0; i--) {
		k = (int)(rnd() % (uint64_t)(i + 1));
		t = jobs[i];
		jobs[i] = jobs[k];
		jobs[k] = t;
	}
}

/* Adds NAME=value to c's environment (a copy of ours), replacing NAME. */
static void
add_env(struct cmd *c, const char *var)
{
	size_t n = 0, i, len = strcspn(var, "=") + 1;

	if (c->envp == NULL) {
		while (environ[n] != NULL)
			n++;
		if ((c->envp = calloc(n + 2, sizeof(*c->envp))) == NULL) {
			perror("driver");
			exit(1);
		}
		memcpy(c->envp, environ, n * sizeof(*c->envp));
	}
	for (i = 0; c->envp[i] != NULL; i++)
		if (strncmp(c->envp[i], var, len) == 0)
			break;
	if (c->envp[i] == NULL) {
		char **np = realloc(c->envp, (i + 2) * sizeof(*np));

		if (np == NULL) {
			perror("driver");
			exit(1);
		}
		c->envp = np;
		c->envp[i + 1] = NULL;
	}
	c->envp[i] = strdup(var);
}

static void
read_spec(const char *path)
{
	FILE *f;
	char line[4096], *p, *tok;
	int field;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct cmd *c;
		int na = 0;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (line[0] == '+') {
			if (ncmds == 0) {
				fprintf(stderr, "driver: %s before any command\n",
				    line);
				exit(1);
			}
			if (strncmp(line, "+touch\t", 7) == 0 && line[7] != '\0')
				cmds[ncmds - 1].touch = strdup(line + 7);
			else if (strncmp(line, "+env\t", 5) == 0 &&
			    strchr(line + 5, '=') != NULL)
				add_env(&cmds[ncmds - 1], line + 5);
			else if (strncmp(line, "+body\t", 6) == 0 &&
			    atoll(line + 6) > 0)
				cmds[ncmds - 1].body = atoll(line + 6);
			else if (strncmp(line, "+pipesize\t", 10) == 0 &&
			    atoi(line + 10) > 0)
				cmds[ncmds - 1].pipesize = atoi(line + 10);
			else {
				fprintf(stderr, "driver: bad line: %s\n", line);
				exit(1);
			}
			continue;
		}
		if (ncmds == MAXCMDS) {
			fprintf(stderr, "driver: too many commands\n");
			exit(1);
		}
		c = &cmds[ncmds++];
		p = line;
		for (field = 0; (tok = strsep(&p, "\t")) != NULL; field++) {
			if (field == 0)
				c->name = strdup(tok);
			else if (field == 1)
				c->weight = atoi(tok);
			else if (field == 2)
				c->expect = atoll(tok);
			else if (na < MAXARGS)
				c->argv[na++] = strdup(tok);
		}
		c->argv[na] = NULL;
		if (na == 0 || c->weight < 1) {
			fprintf(stderr, "driver: bad spec line for %s\n",
			    c->name ? c->name : "?");
			exit(1);
		}
	}
	fclose(f);
	if (ncmds == 0) {
		fprintf(stderr, "driver: no commands in %s\n", path);
		exit(1);
	}
}

/*
 * Gives path a modification time later than its current one and than any
 * set before: now, or 1 ns past the last value if the clock has not moved
 * on (file times may be coarser than the clock).
 */
static void
touch(const char *path)
{
	static struct timespec last;
	struct timespec ts[2];
	struct stat st;

	clock_gettime(CLOCK_REALTIME, &ts[1]);
	if (stat(path, &st) == 0 && (st.st_mtim.tv_sec > last.tv_sec ||
	    (st.st_mtim.tv_sec == last.tv_sec &&
	    st.st_mtim.tv_nsec > last.tv_nsec)))
		last = st.st_mtim;
	if (ts[1].tv_sec < last.tv_sec || (ts[1].tv_sec == last.tv_sec &&
	    ts[1].tv_nsec <= last.tv_nsec)) {
		ts[1] = last;
		if (++ts[1].tv_nsec == 1000000000) {
			ts[1].tv_sec++;
			ts[1].tv_nsec = 0;
		}
	}
	ts[0] = ts[1];
	if (utimensat(AT_FDCWD, path, ts, 0) == -1) {
		fprintf(stderr, "driver: cannot touch %s: %s\n", path,
		    strerror(errno));
		exit(1);
	}
	last = ts[1];
}

/* Stops the driver: something about a run of c is wrong. */
static void __attribute__((noreturn))
fail_run(const struct cmd *c, const char *what)
{
	fprintf(stderr, "driver: %s: %s\n", c->name, what);
	exit(1);
}

/*
 * Runs c once; returns its wall time in microseconds.  If c has a body,
 * its standard input is a pipe that we fill while reading its output, as
 * a web server does with a POST: writing all of the body first could
 * deadlock with a program that answers while it reads.
 */
static double
run_once(struct cmd *c)
{
	posix_spawn_file_actions_t fa;
	struct pollfd pfd[2];
	long long total = 0, left = c->body;
	double t0, t1;
	pid_t pid;
	ssize_t n;
	int p[2], in[2] = { -1, -1 }, status, r, werr = 0;
	struct rusage ru;
	char msg[160];

	if (c->touch != NULL)
		touch(c->touch);
	if (pipe2(p, O_CLOEXEC) == -1) {
		perror("driver: pipe");
		exit(1);
	}
	posix_spawn_file_actions_init(&fa);
	if (left > 0) {
		/*
		 * Only our end is non-blocking (the two ends of a pipe are
		 * separate open files), so the command reads as usual.
		 */
		if (pipe2(in, O_CLOEXEC) == -1 ||
		    fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
		    (c->pipesize > 0 &&
		    fcntl(in[1], F_SETPIPE_SZ, c->pipesize) == -1)) {
			perror("driver: stdin pipe");
			exit(1);
		}
		posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	} else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, errpath,
	    O_WRONLY | O_CREAT | O_APPEND, 0644);

	t0 = now_us();
	r = posix_spawn(&pid, c->argv[0], &fa, NULL, c->argv,
	    c->envp != NULL ? c->envp : environ);
	if (r != 0) {
		fprintf(stderr, "driver: %s: cannot run %s: %s\n", c->name,
		    c->argv[0], strerror(r));
		exit(1);
	}
	close(p[1]);
	/*
	 * A command that stops reading its body would kill us with SIGPIPE;
	 * we want EPIPE and a message instead.  It is ignored only after the
	 * spawn so that the command itself starts with the default action.
	 */
	if (in[0] != -1) {
		close(in[0]);
		(void)signal(SIGPIPE, SIG_IGN);
	}
	pfd[0].fd = p[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = in[1];
	pfd[1].events = POLLOUT;
	for (;;) {
		r = poll(pfd, 2, EOF_TIMEOUT_MS);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0) {
			snprintf(msg, sizeof(msg), "no end-of-file on its "
			    "output after %d s", EOF_TIMEOUT_MS / 1000);
			fail_run(c, msg);
		}
		if (pfd[1].fd != -1 && pfd[1].revents != 0) {
			n = write(in[1], body, left < BODYBUF ?
			    (size_t)left : BODYBUF);
			/*
			 * On EPIPE the rest of the body stays unwritten and
			 * the run fails, but only after it has finished, so
			 * that a failed command is reported as such.
			 */
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				werr = errno;
			else if (n > 0)
				left -= n;
			if (left == 0 || werr != 0) {
				close(in[1]);
				pfd[1].fd = in[1] = -1;
			}
		}
		if (pfd[0].revents == 0)
			continue;
		n = read(p[0], buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	/* Its output is complete; a body not written by now never will be. */
	if (in[1] != -1)
		close(in[1]);
	while (wait4(pid, &status, 0, &ru) == -1)
		if (errno != EINTR) {
			perror("driver: wait4");
			exit(1);
		}
	t1 = now_us();
	last_cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	close(p[0]);
	posix_spawn_file_actions_destroy(&fa);
	if (c->body > 0)
		(void)signal(SIGPIPE, SIG_DFL);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "driver: %s: exited with %s %d (see %s)\n",
		    c->name, WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    errpath);
		exit(1);
	}
	if (left > 0) {
		snprintf(msg, sizeof(msg), "finished with %lld of its %lld "
		    "bytes of standard input unwritten (%s)", left, c->body,
		    werr != 0 ? strerror(werr) : "it closed its output first");
		fail_run(c, msg);
	}
	if (c->expect >= 0 && total != c->expect) {
		fprintf(stderr, "driver: %s: wrote %lld bytes, expected %lld\n",
		    c->name, total, c->expect);
		exit(1);
	}
	return t1 - t0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (mean of the middle two for even n) of sorted v. */
static double
median(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest-rank percentile (0 < q <= 1) of sorted v. */
static double
pct(const double *v, size_t n, double q)
{
	size_t k = (size_t)(q * (double)n);

	if ((double)k < q * (double)n)
		k++;
	if (k < 1)
		k = 1;
	return v[(k > n ? n : k) - 1];
}

/*
 * Throughput mode.  The clients of a burst are forked from us and share
 * this with us (an anonymous shared mapping): we set the start time just
 * before letting them go, and each records how many runs it made, their
 * times (the first LATCAP of them) and when its last run completed.
 */
struct client {
	double	end;
	long	runs;
	double	lat[LATCAP];
};

struct shared {
	double	t0;		/* the burst's start; 0: do not run */
	struct client cl[MAXCLIENTS];
};

/* The results of one command at one level. */
struct tres {
	double	*rps;		/* runs per second, one per burst */
	size_t	 n;
	double	*lat;		/* times of single runs, microseconds */
	size_t	 nlat, latcap;
	long long runs;
};

static struct shared *sh;

/* A client: waits for the start, then runs c until the burst is over. */
static void __attribute__((noreturn))
client(struct cmd *c, int i, int go[2], double dur_us)
{
	struct client *me = &sh->cl[i];
	double deadline, us;
	char b;

	close(go[1]);
	/* The start is end-of-file on go: the driver closes its end. */
	while (read(go[0], &b, 1) == -1 && errno == EINTR)
		;
	close(go[0]);
	/* A driver that died before the start leaves t0 unset. */
	if (sh->t0 == 0)
		_exit(1);
	deadline = sh->t0 + dur_us;
	while (now_us() < deadline) {
		us = run_once(c);
		if (me->runs < LATCAP)
			me->lat[me->runs] = us;
		me->runs++;
		me->end = now_us();
	}
	_exit(0);
}

/*
 * Runs one burst of c with nclients clients for dur_us microseconds and
 * returns its runs per second; *runs and *elapsed get its number of runs
 * and its length, and r (unless NULL) the times of the single runs.
 */
static double
burst(struct cmd *c, int nclients, double dur_us, struct tres *r,
    long long *runs, double *elapsed)
{
	pid_t pids[MAXCLIENTS];
	double end = 0;
	int go[2], i, j, status;

	if (pipe2(go, O_CLOEXEC) == -1) {
		perror("driver: pipe");
		exit(1);
	}
	sh->t0 = 0;
	/*
	 * A client that fails calls exit(), which would write out again
	 * whatever our stdio buffers held when it was forked.
	 */
	fflush(NULL);
	for (i = 0; i < nclients; i++) {
		sh->cl[i].runs = 0;
		sh->cl[i].end = 0;
		if ((pids[i] = fork()) == -1) {
			perror("driver: fork");
			exit(1);
		}
		if (pids[i] == 0)
			client(c, i, go, dur_us);
	}
	close(go[0]);
	sh->t0 = now_us();
	close(go[1]);
	for (i = 0; i < nclients; i++) {
		while (waitpid(pids[i], &status, 0) == -1)
			if (errno != EINTR) {
				perror("driver: waitpid");
				exit(1);
			}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		/* It said why; the others would go on until the deadline. */
		fprintf(stderr, "driver: %s: a client of a burst of %d "
		    "failed\n", c->name, nclients);
		for (j = i + 1; j < nclients; j++)
			(void)kill(pids[j], SIGTERM);
		exit(1);
	}
	*runs = 0;
	for (i = 0; i < nclients; i++) {
		struct client *cl = &sh->cl[i];
		size_t k, nl = cl->runs < LATCAP ? (size_t)cl->runs : LATCAP;

		*runs += cl->runs;
		if (cl->end > end)
			end = cl->end;
		if (r == NULL)
			continue;
		if (r->nlat + nl > r->latcap) {
			double *nv;

			r->latcap = (r->nlat + nl) * 2;
			if ((nv = realloc(r->lat, r->latcap *
			    sizeof(*nv))) == NULL) {
				perror("driver: realloc");
				exit(1);
			}
			r->lat = nv;
		}
		for (k = 0; k < nl; k++)
			r->lat[r->nlat++] = cl->lat[k];
	}
	*elapsed = end - sh->t0;
	if (*runs == 0 || *elapsed <= 0) {
		fprintf(stderr, "driver: %s: a burst of %d clients made no "
		    "run\n", c->name, nclients);
		exit(1);
	}
	return (double)*runs / (*elapsed / 1e6);
}

/* Parses a comma-separated list of client counts into levels. */
static int
parse_levels(const char *arg, int *levels)
{
	char *copy, *p, *tok;
	int n = 0;

	if ((copy = strdup(arg)) == NULL)
		return -1;
	p = copy;
	while ((tok = strsep(&p, ",")) != NULL) {
		int v = atoi(tok);

		if (n == MAXLEVELS || v < 1 || v > MAXCLIENTS) {
			free(copy);
			return -1;
		}
		levels[n++] = v;
	}
	free(copy);
	return n;
}

/*
 * The throughput mode's main loop: warm-up bursts, then rounds of one
 * burst of every command at every level, shuffled; prints the summary.
 */
static void
throughput(int rounds, int warm, const int *levels, int nlevels,
    double dur_us, FILE *sf)
{
	struct tres *res;
	int jobs[MAXCMDS * MAXLEVELS], njobs = ncmds * nlevels, i, round;
	long long runs;
	double elapsed, rps;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("driver: mmap");
		exit(1);
	}
	if ((res = calloc((size_t)njobs, sizeof(*res))) == NULL) {
		perror("driver: calloc");
		exit(1);
	}
	for (i = 0; i < njobs; i++) {
		jobs[i] = i;
		if ((res[i].rps = malloc((size_t)rounds * sizeof(double))) ==
		    NULL) {
			perror("driver: malloc");
			exit(1);
		}
	}
	if (sf != NULL)
		fprintf(sf, "round\tname\tclients\truns\tmicroseconds\t"
		    "runs_per_s\n");

	/*
	 * Untimed warm-up, most clients first: a persistent server starts
	 * the workers a level needs during its first burst, not in a
	 * measured one.
	 */
	for (round = 0; round < warm; round++)
		for (i = njobs - 1; i >= 0; i--)
			(void)burst(&cmds[i / nlevels], levels[i % nlevels],
			    dur_us, NULL, &runs, &elapsed);

	for (round = 0; round < rounds; round++) {
		shuffle(jobs, njobs);
		for (i = 0; i < njobs; i++) {
			int j = jobs[i];
			struct cmd *c = &cmds[j / nlevels];

			rps = burst(c, levels[j % nlevels], dur_us, &res[j],
			    &runs, &elapsed);
			res[j].rps[res[j].n++] = rps;
			res[j].runs += runs;
			if (sf != NULL)
				fprintf(sf, "%d\t%s\t%d\t%lld\t%.1f\t%.1f\n",
				    round, c->name, levels[j % nlevels], runs,
				    elapsed, rps);
		}
	}

	for (i = 0; i < njobs; i++) {
		struct tres *r = &res[i];

		qsort(r->rps, r->n, sizeof(double), cmp_double);
		qsort(r->lat, r->nlat, sizeof(double), cmp_double);
		printf("%s\t%d\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\t%lld\t%.1f\t"
		    "%.1f\n", cmds[i / nlevels].name, levels[i % nlevels],
		    r->n, median(r->rps, r->n), pct(r->rps, r->n, 0.1),
		    r->rps[0], r->rps[r->n - 1], r->runs,
		    median(r->lat, r->nlat), pct(r->lat, r->nlat, 0.9));
	}
}

int
main(int argc, char **argv)
{
	const char *samples = NULL;
	int rounds = 100, warm = 1, opt, i, j, round, njobs = 0;
	int levels[MAXLEVELS], nlevels = 0, dur_ms = 250;
	int jobs[MAXCMDS * 64];
	unsigned long long seed = 1;
	FILE *sf = NULL;

	/*
	 * A shell runs us in the background with SIGINT and SIGQUIT ignored;
	 * the commands we run should not inherit that.
	 */
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGQUIT, SIG_DFL);
	while ((opt = getopt(argc, argv, "c:d:r:w:s:o:e:")) != -1) {
		switch (opt) {
		case 'c':
			if ((nlevels = parse_levels(optarg, levels)) < 1) {
				fprintf(stderr, "driver: -c wants 1 to %d "
				    "client counts of 1 to %d\n", MAXLEVELS,
				    MAXCLIENTS);
				return 2;
			}
			break;
		case 'd': dur_ms = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'o': samples = optarg; break;
		case 'e': errpath = optarg; break;
		default:
			fprintf(stderr, "usage: driver [-c clients,... [-d ms]] "
			    "[-r rounds] [-w warmup] [-s seed] [-o samples] "
			    "[-e stderr] specfile\n");
			return 2;
		}
	}
	if (optind != argc - 1 || rounds < 1 || dur_ms < 1) {
		fprintf(stderr, "driver: need one specfile, rounds >= 1 and "
		    "ms >= 1\n");
		return 2;
	}
	read_spec(argv[optind]);
	if (nlevels > 0) {
		if (samples != NULL && (sf = fopen(samples, "w")) == NULL) {
			perror(samples);
			return 1;
		}
		rng = seed * 0x9E3779B97F4A7C15ULL + 1;
		throughput(rounds, warm, levels, nlevels, dur_ms * 1000.0, sf);
		if (sf != NULL)
			fclose(sf);
		return 0;
	}
	for (i = 0; i < ncmds; i++)
		for (j = 0; j < cmds[i].weight && njobs < (int)(sizeof(jobs) /
		    sizeof(jobs[0])); j++)
			jobs[njobs++] = i;
	for (i = 0; i < ncmds; i++) {
		cmds[i].cap = (size_t)rounds * (size_t)cmds[i].weight;
		if ((cmds[i].us = malloc(cmds[i].cap * sizeof(double))) == NULL) {
			perror("driver: malloc");
			return 1;
		}
	}
	if (samples != NULL && (sf = fopen(samples, "w")) == NULL) {
		perror(samples);
		return 1;
	}
	if (sf != NULL)
		fprintf(sf, "round\tname\tmicroseconds\n");

	/* Untimed warm-up rounds: page cache, backends, branch predictors. */
	for (round = 0; round < warm; round++)
		for (i = 0; i < ncmds; i++)
			(void)run_once(&cmds[i]);

	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (round = 0; round < rounds; round++) {
		shuffle(jobs, njobs);
		for (i = 0; i < njobs; i++) {
			struct cmd *c = &cmds[jobs[i]];
			double us = run_once(c);

			c->us[c->n++] = us;
			c->cpu += last_cpu;
			if (sf != NULL)
				fprintf(sf, "%d\t%s\t%.1f\n", round, c->name,
				    us);
		}
	}
	if (sf != NULL)
		fclose(sf);

	for (i = 0; i < ncmds; i++) {
		struct cmd *c = &cmds[i];
		double sum = 0;
		size_t k;

		qsort(c->us, c->n, sizeof(double), cmp_double);
		for (k = 0; k < c->n; k++)
			sum += c->us[k];
		printf("%s\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n", c->name,
		    c->n, median(c->us, c->n), pct(c->us, c->n, 0.9), c->us[0],
		    c->us[c->n - 1], sum / (double)c->n, c->cpu / (double)c->n);
	}
	return 0;
}
