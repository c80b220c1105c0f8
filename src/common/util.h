/*
 * util.h: small helpers every program uses: bounded formatting and copying,
 * checked number parsing, full reads and writes.  No printing, no exits.
 */
#ifndef SPEEDY_UTIL_H
#define SPEEDY_UTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * snprintf into buf; returns 0, or -1 if the result was truncated (buf then
 * holds the truncated text).
 */
int	util_fmt(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Copies src into dst of size len; returns 0, or -1 on truncation. */
int	util_strlcpy(char *dst, const char *src, size_t len);

/*
 * Parses all of s as a decimal long between min and max.  Returns 0 and
 * stores the value, or -1 (errno EINVAL or ERANGE).
 */
int	util_parse_long(const char *s, long min, long max, long *out);

/* write() all of buf, retrying on EINTR; returns 0 or -1. */
int	util_write_all(int fd, const void *buf, size_t len);

/*
 * Reads up to len - 1 bytes of a small file (in /proc, say) into buf and
 * terminates them with a NUL.  Returns the number read, or -1.
 */
ssize_t	util_read_file(const char *path, char *buf, size_t len);

/* read() exactly len bytes; returns 0, 1 at EOF before any byte, or -1. */
int	util_read_all(int fd, void *buf, size_t len);

/*
 * Makes path absolute against the current directory, removing "."
 * components and repeated slashes (not "..", and no symlinks resolved:
 * the path stays the one the user gave, and is the one the frontend, the
 * configuration's patterns and speedy-admin all see).  Returns 0, or -1
 * with errno set (ENAMETOOLONG, or getcwd's reason).
 */
int	util_abspath(const char *path, char *out, size_t outlen);

struct timespec;

/*
 * Milliseconds from now until end (CLOCK_MONOTONIC), rounded up so that a
 * poll with it never wakes before end; at least 0, at most INT_MAX.  The
 * frontend's RequestTimeout and speedy-fcgi's waits use it.
 */
int	util_ms_until(const struct timespec *end);

/* Sets *end to ms milliseconds from now (CLOCK_MONOTONIC), for the above. */
void	util_deadline(struct timespec *end, long ms);

/* 64-bit FNV-1a hash of a string, used to match script paths quickly. */
unsigned long long util_hash(const char *s);

#endif
