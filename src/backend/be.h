/*
 * be.h: the backend's internal interfaces.  be_perl.c is the only file
 * that includes perl.h; the rest of the backend sees this small API.
 */
#ifndef SPEEDY_BE_H
#define SPEEDY_BE_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "opt.h"
#include "proto.h"
#include "queue.h"

/* A script as read from disk, split at __END__/__DATA__. */
struct be_script {
	char		*path;		/* absolute path */
	char		*text;		/* the whole file, NUL-terminated */
	size_t		 codelen;	/* bytes before the __END__ line */
	const char	*data;		/* text after that line, or NULL */
	size_t		 datalen;
	int		 inpod;		/* the code ends inside POD */
	struct queue_key key;		/* identity at the time it was read */
};

/* How a request ended. */
struct be_status {
	int	kind;		/* PROTO_EXITED or PROTO_KILLED */
	int	code;		/* exit status or signal */
	int	retire;		/* the backend must exit afterwards */
	unsigned long long dev, ino;	/* the script run, 0 if none */
};

/*
 * Reads path into s.  Returns 0, or -1 with err set.  be_script_split is
 * the __END__ finder on its own, for the unit tests: it returns the offset
 * of the line that ends the code (or len), sets *data to the offset
 * after that line (or len) and *inpod if the code ends inside POD.
 */
int	be_script_load(struct be_script *s, const char *path, char *err,
	    size_t errlen);
void	be_script_free(struct be_script *s);
size_t	be_script_split(const char *text, size_t len, size_t *data,
	    int *inpod);

/* PERL_SYS_INIT3, called first thing in main. */
void	be_perl_sysinit(int *argc, char ***argv, char ***env);

/*
 * Starts the interpreter with the perl switches sw (errors go to the
 * current stderr, the first request's); named_group makes every script
 * compile into a package of its own.  Returns 0, or perl's non-zero
 * exit status if perl_parse failed.
 */
int	be_perl_init(const struct opt_perlsw *sw, int named_group);

/*
 * A request, in three steps.  be_perl_begin sets up %ENV, @ARGV, $0 and
 * the standard handles (the request's descriptors are already on 0, 1 and
 * 2 and its directory is current) and compiles the request's script if
 * this interpreter has not (or if it changed on disk since);
 * it returns -1 with st filled if the request cannot run.  be_perl_run
 * runs the script and the cleanup handlers.  be_perl_finish flushes and
 * closes the handles (the client sees end-of-file), clears alarms and
 * restores %SIG, and completes st.  A parent process begins (compiles) a
 * first request, and its forked child runs and finishes it.
 */
int	be_perl_begin(const struct proto_request *req, struct be_status *st);
void	be_perl_run(struct be_status *st);
void	be_perl_finish(struct be_status *st);

/*
 * True if a file perl loaded (an absolute path among the values of %INC)
 * changed status (ctime) after since: an edit, a copy over it, a rename
 * into place.  Other entries (an @INC hook's, a relative path) and files
 * that cannot be stat'ed are skipped.
 */
int	be_perl_inc_changed(const struct timespec *since);

/* Before fork(): flushes perl's buffers.  In the child: new identity. */
void	be_perl_flush(void);
void	be_perl_forked(void);

/* The last compilation error as printed (or a generic line), for others. */
const char *be_perl_error(void);

/* Runs the shutdown handlers, END blocks and destructors before exit. */
void	be_perl_shutdown(void);

/* Provided by speedy_backend.c for CGI::SpeedyCGI. */
int	be_getopt(const char *name, char *buf, size_t len);
int	be_setopt(const char *name, const char *value, char *old,
	    size_t oldlen, char *err, size_t errlen);
void	be_shutdown_next_time(void);

#endif
