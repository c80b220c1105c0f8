/*
 * conf.h: the configuration compiler, speedy-admin's reader of /etc/speedy.
 *
 * CONFDIR/speedy.conf holds global values, global locks and sites;
 * CONFDIR/sites.d/NAME.conf (in C-locale order) holds only sites.  A site
 * names the scripts it applies to with absolute path patterns and sets
 * and locks options for them.  conf_compile() reads all of it with
 * libconfuse, checks every value with the option table's validator
 * (opt_set_value, as the command line and the environment are checked)
 * and yields the sections of a snapshot, ready for snap_write().  Like
 * every library module it never prints and never exits: each problem is
 * handed to the caller as one line "FILE:LINE: message" (or "FILE:
 * message" when no line applies), FILE being the path as opened.
 */
#ifndef SPEEDY_CONF_H
#define SPEEDY_CONF_H

#include <stddef.h>

#include "snap.h"

/* Longest site name; names are letters, digits, '.', '_' and '-'. */
#define CONF_NAME_MAX	64
/* Largest configuration file read, in bytes. */
#define CONF_FILE_MAX	(1 << 20)

/* A compiled configuration. */
struct conf {
	struct snap_build	*sects;	/* [0]: speedy.conf's globals */
	int			 nsects;	/* 1 + the number of sites */
	/* Private: room for sections, every allocation they point into. */
	int			 sectcap;
	void			**mem;
	size_t			 nmem, memcap;
};

/*
 * Reads the configuration in confdir into c, which the caller must
 * release with conf_free() whatever the result.  Each error is passed to
 * errfn (with arg) as one line without a newline; every file is read and
 * every error reported, except that a syntax error ends the reading of
 * its file (libconfuse stops there).  Returns the number of errors: 0
 * means c->sects holds c->nsects sections for snap_write(); otherwise c
 * is incomplete and must not be written.  A missing speedy.conf or
 * sites.d is no error; a missing confdir is.
 *
 * Not reentrant: libconfuse's callbacks take no argument of ours, so the
 * compile in progress is kept in a file-static pointer.
 */
int	conf_compile(const char *confdir, struct conf *c,
	    void (*errfn)(void *arg, const char *line), void *arg);

/* Frees what conf_compile() allocated; c is then empty. */
void	conf_free(struct conf *c);

#endif
