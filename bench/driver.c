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
 * of that command only.
 *
 * Every round runs each command weight times, in an order shuffled per
 * round (seeded, so reproducible), so the commands are interleaved and
 * machine noise hits them all alike.  A sample is the wall time from just
 * before the command is spawned until its exit status is collected AND its
 * standard output (a pipe the driver reads and discards, as a web server
 * would) has reached end-of-file: that is when a CGI response is complete.
 * Standard input is /dev/null.  Commands are run with posix_spawn, never
 * through a shell.
 *
 * Each run must exit 0 and (if expected-bytes >= 0) write exactly that many
 * bytes; otherwise the driver says why and exits 1.
 *
 * Output, one line per command, tab separated, times in microseconds:
 *
 *	name  n  median  p90  min  max  mean
 */
#define _GNU_SOURCE
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

extern char **environ;

struct cmd {
	char	*name;
	int	 weight;
	long long expect;
	char	*argv[MAXARGS + 1];
	char	*touch;		/* file to give a new mtime before each run */
	char   **envp;		/* its environment; NULL: ours */
	double	*us;		/* samples, microseconds */
	size_t	 n, cap;
};

static struct cmd cmds[MAXCMDS];
static int ncmds;
static const char *errpath = "/dev/null";
static char buf[READBUF];

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

/* Runs c once; returns its wall time in microseconds. */
static double
run_once(struct cmd *c)
{
	posix_spawn_file_actions_t fa;
	struct pollfd pfd;
	long long total = 0;
	double t0, t1;
	pid_t pid;
	ssize_t n;
	int p[2], status, r;

	if (c->touch != NULL)
		touch(c->touch);
	if (pipe2(p, O_CLOEXEC) == -1) {
		perror("driver: pipe");
		exit(1);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
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
	pfd.fd = p[0];
	pfd.events = POLLIN;
	for (;;) {
		r = poll(&pfd, 1, EOF_TIMEOUT_MS);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == 0) {
			fprintf(stderr, "driver: %s: no end-of-file on its "
			    "output after %d s\n", c->name,
			    EOF_TIMEOUT_MS / 1000);
			exit(1);
		}
		n = read(p[0], buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += n;
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			perror("driver: waitpid");
			exit(1);
		}
	t1 = now_us();
	close(p[0]);
	posix_spawn_file_actions_destroy(&fa);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "driver: %s: exited with %s %d (see %s)\n",
		    c->name, WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		    errpath);
		exit(1);
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

int
main(int argc, char **argv)
{
	const char *samples = NULL;
	int rounds = 100, warm = 1, opt, i, j, round, njobs = 0;
	int jobs[MAXCMDS * 64];
	unsigned long long seed = 1;
	FILE *sf = NULL;

	/*
	 * A shell runs us in the background with SIGINT and SIGQUIT ignored;
	 * the commands we run should not inherit that.
	 */
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGQUIT, SIG_DFL);
	while ((opt = getopt(argc, argv, "r:w:s:o:e:")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'o': samples = optarg; break;
		case 'e': errpath = optarg; break;
		default:
			fprintf(stderr, "usage: driver [-r rounds] [-w warmup] "
			    "[-s seed] [-o samples] [-e stderr] specfile\n");
			return 2;
		}
	}
	if (optind != argc - 1 || rounds < 1) {
		fprintf(stderr, "driver: need one specfile and rounds >= 1\n");
		return 2;
	}
	read_spec(argv[optind]);
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
		/* Fisher-Yates shuffle of this round's jobs. */
		for (i = njobs - 1; i > 0; i--) {
			int k = (int)(rnd() % (uint64_t)(i + 1)), t = jobs[i];

			jobs[i] = jobs[k];
			jobs[k] = t;
		}
		for (i = 0; i < njobs; i++) {
			struct cmd *c = &cmds[jobs[i]];
			double us = run_once(c);

			c->us[c->n++] = us;
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
		printf("%s\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\n", c->name, c->n,
		    median(c->us, c->n), pct(c->us, c->n, 0.9), c->us[0],
		    c->us[c->n - 1], sum / (double)c->n);
	}
	return 0;
}
