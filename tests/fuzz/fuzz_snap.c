/*
 * fuzz_snap.c: the snapshot reader.  The frontend reads the snapshot on
 * every request; a damaged file (or one written by another version) must
 * yield an error, never a crash, and so must speedy-admin's reading of it.
 *
 * The input is written as a snapshot file (mode 0644) and read both ways:
 * the frontend's lean path (snap_open, then snap_apply with pread) and
 * speedy-admin's (snap_load, the snap_sect_* accessors as speedy-admin
 * uses them before checking anything, snap_verify, snap_apply).  Both
 * must agree: a file snap_load takes, snap_open takes too, and for every
 * test path snap_apply must give the same result (or fail) on both.  A
 * snapshot that snap_verify accepts must apply to every path.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "opt.h"
#include "snap.h"
#include "util.h"

#define MAX_PATHS	16

static const char *fixed_paths[] = {
	"/", "/var/www/shop/cgi-bin/cart.pl", "/var/www/shop/admin/a/b.pl",
	"/usr/lib/cgi-bin/x.pl", "/a/b"
};
#define NFIXED	(int)(sizeof(fixed_paths) / sizeof(fixed_paths[0]))

static char snapfile[PATH_MAX];
static char paths[MAX_PATHS][PATH_MAX];
static struct snap_result lean[MAX_PATHS], loaded;
static int lean_rc[MAX_PATHS];

/*
 * Reads what speedy-admin reads of a loaded snapshot before (or without)
 * snap_verify, and the patterns as paths to try.  Returns the number of
 * paths.
 */
static int
read_sections(const struct snap *s)
{
	const char *v;
	int i, k, id, n = NFIXED;

	for (i = 0; i < snap_nsect(s); i++) {
		(void)strlen(snap_sect_name(s, i));
		(void)strlen(snap_sect_file(s, i));
		(void)snap_sect_line(s, i);
		for (id = 0; id < OPT__COUNT; id++) {
			(void)snap_opt_line(s, i, id);
			if ((v = snap_sect_str(s, i, id)) != NULL)
				(void)strlen(v);
		}
		for (k = 0; k < snap_sect_npat(s, i); k++) {
			v = snap_sect_pat(s, i, k);
			if (n < MAX_PATHS)
				fuzz_pattern_path(v, paths[n++],
				    sizeof(paths[0]));
		}
	}
	return n;
}

/* The frontend's path; returns snap_open's result. */
static int
read_lean(int npaths)
{
	struct snap s;
	char err[512];
	int i, r;

	memset(err, 'X', sizeof(err));
	if ((r = snap_open(&s, snapfile, err, sizeof(err))) == -1) {
		fuzz_check_err(err, sizeof(err), "snap_open");
		return r;
	}
	if (r != 0)
		fuzz_fail("snap_open: %d for a file that is there", r);
	for (i = 0; i < npaths; i++) {
		memset(err, 'X', sizeof(err));
		lean_rc[i] = snap_apply(&s, paths[i], &lean[i], err,
		    sizeof(err));
		if (lean_rc[i] == -1)
			fuzz_check_err(err, sizeof(err), "snap_apply");
	}
	snap_close(&s);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap s;
	char err[512];
	int before, i, n, verified, r;

	if (snapfile[0] == '\0')
		fuzz_path(snapfile, sizeof(snapfile), "snapshot");
	before = fuzz_nfds();
	fuzz_write_file(snapfile, data, size, 0644);
	for (i = 0; i < NFIXED; i++)
		(void)util_strlcpy(paths[i], fixed_paths[i], sizeof(paths[i]));
	memset(err, 'X', sizeof(err));
	if ((r = snap_load(&s, snapfile, err, sizeof(err))) == -1) {
		fuzz_check_err(err, sizeof(err), "snap_load");
		(void)read_lean(NFIXED);
		goto done;
	}
	if (r != 0)
		fuzz_fail("snap_load: %d for a file that is there", r);
	n = read_sections(&s);
	verified = snap_verify(&s, err, sizeof(err)) == 0;
	if (read_lean(n) == -1)
		fuzz_fail("snap_load took a file snap_open refused");
	for (i = 0; i < n; i++) {
		r = snap_apply(&s, paths[i], &loaded, err, sizeof(err));
		if (r == -1 && verified)
			fuzz_fail("snap_apply %s failed on a verified snapshot: "
			    "%s", paths[i], err);
		if (r != lean_rc[i])
			fuzz_fail("snap_apply %s: %d loaded, %d lean", paths[i],
			    r, lean_rc[i]);
		if (r == 0) {
			fuzz_same_result(&lean[i], &loaded, paths[i],
			    "lean and loaded");
			fuzz_check_resolve(&loaded);
		}
	}
	snap_close(&s);
done:
	if (fuzz_nfds() != before)
		fuzz_fail("descriptor leak: %d open before, %d after", before,
		    fuzz_nfds());
	return 0;
}
