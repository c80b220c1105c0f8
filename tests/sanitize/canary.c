/*
 * canary.c: one deliberate error of each kind the runners must report, so
 * that tests/sanitize/asan and tests/sanitize/valgrind show their checks
 * can fail (a run that finds nothing proves nothing otherwise).  Built
 * twice: with ASan and UBSan (canary) and plain, for valgrind
 * (canary-plain).
 *
 *	canary heap	a write past a heap block (ASan, valgrind)
 *	canary ub	a shift past the width of int (UBSan)
 *	canary leak	a lost allocation (LeakSanitizer, valgrind)
 *	canary fd	a descriptor left open at exit (valgrind --track-fds)
 *	canary child	a write past a heap block in a forked child that
 *			leaves by _exit (valgrind follows forks)
 *	canary ok	no error: exits 0
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *volatile canary_sink;

static void
overflow(int n)
{
	char *p;

	p = malloc(4);
	canary_sink = p;
	p[n + 2] = 1;
	free(p);
}

int
main(int argc, char **argv)
{
	volatile int shift;
	pid_t pid;

	if (argc != 2)
		return 2;
	if (strcmp(argv[1], "heap") == 0)
		overflow(argc);
	else if (strcmp(argv[1], "ub") == 0) {
		shift = 31 + argc;
		return 1 << shift;
	} else if (strcmp(argv[1], "leak") == 0) {
		canary_sink = malloc(64);
		canary_sink = NULL;
	} else if (strcmp(argv[1], "fd") == 0) {
		if (open("/dev/null", O_RDONLY) == -1)
			return 1;
	} else if (strcmp(argv[1], "child") == 0) {
		if ((pid = fork()) == -1)
			return 1;
		if (pid == 0) {
			overflow(argc);
			_exit(0);
		}
		if (waitpid(pid, NULL, 0) == -1)
			return 1;
	} else if (strcmp(argv[1], "ok") != 0)
		return 2;
	return 0;
}
