/*
 * snap.h: the compiled configuration snapshot, the one module that knows
 * its layout.
 *
 * speedy-admin reads /etc/speedy (libconfuse) and writes what it found as
 * a small binary file; the frontend reads the few parts of it it needs on
 * every request and looks the script up without parsing anything.  The
 * file holds sections (section 0 is speedy.conf's global values, then one
 * per site, in the order they apply), each with the options it sets, the
 * options it locks and where each value was written, plus the sites' path
 * patterns and one string table.  Every offset and every value is checked
 * before use, so a damaged or hostile file yields an error, never a crash;
 * writing it is atomic (a new file renamed over the old one), so readers
 * never see a half-written snapshot and a failed compile leaves the old
 * one serving.
 */
#ifndef SPEEDY_SNAP_H
#define SPEEDY_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "opt.h"

#define SNAP_VERSION	2
#define SNAP_MAXSIZE	(16u << 20)	/* bytes; far above any real config */
#define SNAP_MAXSECT	65536
#define SNAP_MAXPAT	(1u << 20)

/* The start of the file; the rest of the layout is snap.c's business. */
#define SNAP_MAGIC	"SPDYSNP"

struct snap_header {
	char		magic[8];
	uint32_t	version;
	uint32_t	nopt;		/* option slots the writer knew */
	uint32_t	size;		/* of the whole file */
	uint32_t	nsect, npat, strsize;
	uint32_t	sectoff, patoff, stroff;
	uint32_t	checksum;	/* of everything after the header */
	int64_t		created;
	char		reserved[8];
};

/* What one section of the configuration says, as speedy-admin builds it. */
struct snap_build {
	const char		 *name;		/* site name; "" for speedy.conf */
	const char		 *file;		/* the file it came from */
	int			  line;		/* where the section starts */
	struct opt_set		  opts;		/* isset[]: set in this section */
	int			  optline[OPT__COUNT];
	unsigned char		  locked[OPT__COUNT];
	const char *const	 *patterns;	/* absolute path globs */
	int			  npatterns;
};

/*
 * An open snapshot.  snap_open keeps the file open and reads only what a
 * lookup needs, with pread: no mapping, no page faults, which in the
 * frontend cost more than the reads.  snap_load reads the whole file, for
 * speedy-admin's listing and checking functions.
 */
struct snap {
	int			 fd;		/* -1 once loaded or closed */
	int			 present;	/* 0: no snapshot, nothing applies */
	unsigned char		*base;		/* snap_load: the whole file */
	size_t			 size;
	uint32_t		 nsect, npat, strsize;
	uint32_t		 sectoff, patoff, stroff, checksum;
	uint32_t		 nslot;		/* option slots the writer knew */
};

/* The longest pattern, with its NUL. */
#define SNAP_PATMAX	1024
/* Room for the string values of one result, with their NULs. */
#define SNAP_ARENA	4096

/* The configuration that applies to one script. */
struct snap_result {
	struct opt_set	opts;			/* isset[]: configured */
	unsigned char	locked[OPT__COUNT];
	int		from[OPT__COUNT];	/* section of each value, -1 */
	uint32_t	stroff[OPT__COUNT];	/* where string values are */
	char		arena[SNAP_ARENA];	/* and what they are */
};

/*
 * Writes sections (sects[0] holds the global values and no patterns)
 * to path atomically: a new file in the same directory, synced, renamed
 * over the old one.  Returns 0, or -1 with err set (the old file stays).
 * With path NULL it only encodes, to check the format's limits.
 */
int	snap_write(const char *path, const struct snap_build *sects,
	    int nsects, char *err, size_t errlen);

/*
 * Opens the snapshot at path after checking that it is a regular file
 * owned by root or by us and not writable by anyone else, and that its
 * header and tables lie inside it.  Returns 0; 1 if there is no snapshot
 * (then every lookup yields nothing); or -1 with err set.  snap_load
 * also reads the whole file, which the snap_sect_* functions and
 * snap_verify need.
 */
int	snap_open(struct snap *s, const char *path, char *err, size_t errlen);
int	snap_load(struct snap *s, const char *path, char *err, size_t errlen);
void	snap_close(struct snap *s);

/*
 * Checks everything snap_open does not: the checksum, every section's
 * values and every pattern, of a loaded snapshot.  For speedy-admin; the
 * frontend checks what it uses as it uses it.  Returns 0 or -1 with err
 * set.
 */
int	snap_verify(const struct snap *s, char *err, size_t errlen);

/*
 * Applies the global section and then every site whose patterns match the
 * absolute script path, in order (a later site overrides an earlier one),
 * into r.  Returns 0, or -1 with err set if a value used is damaged.
 */
int	snap_apply(const struct snap *s, const char *path,
	    struct snap_result *r, char *err, size_t errlen);

/*
 * Where a resolved value came from: the built-in default, the
 * configuration (then r->from[] names the section), or one of the layers
 * given to snap_resolve (0, 1, ... in the order given).
 */
#define SNAP_SRC_DEFAULT	(-2)
#define SNAP_SRC_CONF		(-1)

/*
 * The one precedence rule, shared by the frontend and speedy-admin
 * config: out (holding the built-in defaults) gets the configuration r,
 * then each layer in turn (environment, #! line, command line), then the
 * configuration's locked values again, which nothing overrides.  src (may
 * be NULL) records where each value came from.
 */
void	snap_resolve(struct opt_set *out, const struct snap_result *r,
	    const struct opt_set *const *layers, int nlayers,
	    int src[OPT__COUNT]);

/*
 * Describing the sections of a loaded snapshot, for speedy-admin; index 0
 * is the global one.
 */
int		 snap_nsect(const struct snap *s);
const char	*snap_sect_name(const struct snap *s, int i);
const char	*snap_sect_file(const struct snap *s, int i);
int		 snap_sect_line(const struct snap *s, int i);
int		 snap_opt_line(const struct snap *s, int i, int id);
int		 snap_sect_npat(const struct snap *s, int i);
const char	*snap_sect_pat(const struct snap *s, int i, int k);

/*
 * The value section i sets for the string option id (a TmpBase, for
 * speedy-admin to find every queue file), or NULL if the section does not
 * set it or the value is damaged.
 */
const char	*snap_sect_str(const struct snap *s, int i, int id);

/*
 * Matches an absolute path against one pattern as written in a site's
 * "scripts": shell glob where "*" does not cross "/", and a pattern that
 * ends in a slash and "**" for everything below a directory.
 */
int	snap_match(const char *pattern, const char *path);

#endif
