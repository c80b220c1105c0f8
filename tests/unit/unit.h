/*
 * unit.h: a tiny TAP producer for the C unit tests.
 *
 *     CHECK(cond, "name %d", n);        ok N - name / not ok N - name
 *     CHECK_INT(got, want, "name");     also prints both values on failure
 *     CHECK_STR(got, want, "name");     strcmp; NULL is "(null)"
 *     CHECK_HAS(got, needle, "name");   strstr
 *     return unit_done();               prints 1..N; non-zero on failure
 *
 * Point unit_note at the test's error buffer to have it printed with
 * every failure.
 *
 * Every failure is followed by a "# at file:line" diagnostic.  Output is
 * flushed after each line so that forked children never repeat it.
 * unit_watchdog(secs) turns a hang into a TAP "Bail out!".
 */
#ifndef SPEEDY_UNIT_H
#define SPEEDY_UNIT_H

#include <signal.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNIT_UNUSED	__attribute__((unused))

static int unit_n UNIT_UNUSED, unit_nfailed UNIT_UNUSED;
/* If set, a failed check also prints this buffer (an error message). */
static const char *unit_note UNIT_UNUSED;

static void UNIT_UNUSED __attribute__((format(printf, 4, 0)))
unit_vreport(int ok, const char *file, int line, const char *fmt, va_list ap)
{
	unit_n++;
	if (!ok)
		unit_nfailed++;
	printf("%sok %d - ", ok ? "" : "not ", unit_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!ok) {
		printf("#   Failed test %d at %s:%d\n", unit_n, file, line);
		if (unit_note != NULL && unit_note[0] != '\0')
			printf("#   last error message: %s\n", unit_note);
	}
	fflush(stdout);
}

/* Records one check; returns ok so callers can skip dependent checks. */
static int UNIT_UNUSED __attribute__((format(printf, 4, 5)))
unit_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	unit_vreport(ok, file, line, fmt, ap);
	va_end(ap);
	return ok;
}

static int UNIT_UNUSED __attribute__((format(printf, 5, 6)))
unit_check_int(long long got, long long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int ok = got == want;

	va_start(ap, fmt);
	unit_vreport(ok, file, line, fmt, ap);
	va_end(ap);
	if (!ok) {
		printf("#          got: %lld\n#     expected: %lld\n", got, want);
		fflush(stdout);
	}
	return ok;
}

static int UNIT_UNUSED __attribute__((format(printf, 5, 6)))
unit_check_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int ok = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);

	va_start(ap, fmt);
	unit_vreport(ok, file, line, fmt, ap);
	va_end(ap);
	if (!ok) {
		printf("#          got: '%s'\n#     expected: '%s'\n",
		    got != NULL ? got : "(null)", want != NULL ? want : "(null)");
		fflush(stdout);
	}
	return ok;
}

static int UNIT_UNUSED __attribute__((format(printf, 5, 6)))
unit_check_has(const char *got, const char *needle, const char *file,
    int line, const char *fmt, ...)
{
	va_list ap;
	int ok = got != NULL && strstr(got, needle) != NULL;

	va_start(ap, fmt);
	unit_vreport(ok, file, line, fmt, ap);
	va_end(ap);
	if (!ok) {
		printf("#          got: '%s'\n#     expected to contain: '%s'\n",
		    got != NULL ? got : "(null)", needle);
		fflush(stdout);
	}
	return ok;
}

#define CHECK(cond, ...) \
	unit_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_INT(got, want, ...) \
	unit_check_int((long long)(got), (long long)(want), __FILE__, \
	    __LINE__, __VA_ARGS__)
#define CHECK_STR(got, want, ...) \
	unit_check_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_HAS(got, needle, ...) \
	unit_check_has((got), (needle), __FILE__, __LINE__, __VA_ARGS__)

/* Prints a diagnostic line (not a test). */
static void UNIT_UNUSED __attribute__((format(printf, 1, 2)))
unit_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The number of open descriptors, to check that nothing leaks. */
static int UNIT_UNUSED
unit_count_fds(void)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* opendir's own */
}

static void UNIT_UNUSED
unit_alarm(int sig)
{
	static const char msg[] = "Bail out! test timed out (hang?)\n";

	(void)sig;
	(void)!write(1, msg, sizeof(msg) - 1);
	_exit(2);
}

/* Arms (secs > 0) or disarms (0) a timer that aborts a hung test. */
static void UNIT_UNUSED
unit_watchdog(unsigned secs)
{
	signal(SIGALRM, unit_alarm);
	alarm(secs);
}

/* Prints the plan; returns the exit status for main. */
static int UNIT_UNUSED
unit_done(void)
{
	printf("1..%d\n", unit_n);
	if (unit_nfailed > 0)
		printf("# %d of %d checks failed\n", unit_nfailed, unit_n);
	fflush(stdout);
	return unit_nfailed > 0 ? 1 : 0;
}

#endif
