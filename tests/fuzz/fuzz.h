/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz share.
 *
 * A target that finds a broken contract (a wrong return value, a leaked
 * descriptor, an invalid header after validation) calls fuzz_fail(), which
 * aborts: libFuzzer takes the abort for a crash and saves the input, just
 * as it does for what ASan and UBSan find.  Scratch files live in one
 * private directory (mode 0700) under $TMPDIR or /tmp, made on first use
 * and removed at exit; tests/fuzz/run points TMPDIR at a directory of its
 * own, so that what a crashed target leaves behind is removed too.
 */
#ifndef SPEEDY_FUZZ_H
#define SPEEDY_FUZZ_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* The entry point libFuzzer calls with each input. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "fuzz: " and the message to stderr and aborts. */
void	fuzz_fail(const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 1, 2)));

/* The private scratch directory, made on the first call. */
const char *fuzz_tmpdir(void);

/* Formats "<scratch directory>/name" into buf; fails if it does not fit. */
void	fuzz_path(char *buf, size_t len, const char *name);

/* Makes directory path with mode unless it exists. */
void	fuzz_mkdir(const char *path, mode_t mode);

/* Writes len bytes to path (created or truncated), then sets its mode. */
void	fuzz_write_file(const char *path, const void *data, size_t len,
	    mode_t mode);

/* The number of descriptors this process has open. */
int	fuzz_nfds(void);

/*
 * A NUL-terminated copy of len bytes of data in a buffer of exactly len + 1
 * bytes, so that ASan catches a read past its end; the caller frees it.
 */
char	*fuzz_strndup(const uint8_t *data, size_t len);

/*
 * Splits buf (len bytes, followed by a NUL) on its NUL bytes into at most
 * max - 1 words and a terminating NULL; returns the number of words.
 */
int	fuzz_split(char *buf, size_t len, char **words, int max);

struct opt_set;

/*
 * Fails unless every value set in set is one the option table allows: a
 * number in range, a string of an allowed length, a flag of 0 or 1.
 */
void	fuzz_check_opts(const struct opt_set *set);

/* Fails unless err (of errlen bytes) holds a non-empty message. */
void	fuzz_check_err(const char *err, size_t errlen, const char *what);

struct snap_result;

/*
 * Fails unless a and b say the same: the same options set to the same
 * values from the same sections, and the same locks.  what names them.
 */
void	fuzz_same_result(const struct snap_result *a,
	    const struct snap_result *b, const char *path, const char *what);

/*
 * Checks snap_resolve, the one precedence rule, on r: over the built-in
 * defaults, a layer that sets every option must win, but a locked option
 * keeps the configuration's value (or the default).
 */
void	fuzz_check_resolve(const struct snap_result *r);

/*
 * Makes a script path that a site pattern should match: "*" becomes "x",
 * "?" becomes "y", and a final slash and "**" a file two directories
 * below.
 */
void	fuzz_pattern_path(const char *pattern, char *buf, size_t len);

#endif
