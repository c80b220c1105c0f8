/*
 * fuzz_shebang.c: a script's first line through opt_parse_shebang, as
 * the frontend and speedy-admin config read it: at most SHEBANG_MAX - 1
 * bytes, cut at the first newline.  The script is anyone's file; its "#!"
 * line must never crash speedy.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "opt.h"

/* As in src/frontend/speedy.c and admin/adm.h. */
#define SHEBANG_MAX	1024

/* Fails unless p points into the n + 1 bytes of line. */
static void
check_inside(const char *p, const char *line, size_t n, const char *what)
{
	if (p < line || p > line + n)
		fuzz_fail("%s points outside the line", what);
}

static void
check_result(const struct opt_cmdline *cl, const char *line, size_t n)
{
	int i;

	if (cl->script_ix != -1)
		fuzz_fail("a #! line yielded a script (word %d)",
		    cl->script_ix);
	if (cl->perl.n < 0 || cl->perl.n > OPT_MAX_PERLSW)
		fuzz_fail("%d perl switches", cl->perl.n);
	for (i = 0; i < cl->perl.n; i++) {
		if (cl->perl.sw[i] == NULL)
			fuzz_fail("perl switch %d is NULL", i);
		check_inside(cl->perl.sw[i], line, n, "a perl switch");
		(void)strlen(cl->perl.sw[i]);
	}
	fuzz_check_opts(&cl->opts);
	/* "-g" alone sets the group "default", the one string not in line. */
	for (i = 0; i < OPT__COUNT; i++)
		if (cl->opts.isset[i] && opt_table[i].type == OPT_T_STR &&
		    strcmp(cl->opts.str[i], "default") != 0)
			check_inside(cl->opts.str[i], line, n, "a value");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct opt_cmdline cl;
	char err[512], *line, *nl;
	size_t n = size < SHEBANG_MAX - 1 ? size : SHEBANG_MAX - 1;

	line = fuzz_strndup(data, n);
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	n = strlen(line);
	memset(err, 'X', sizeof(err));
	if (opt_parse_shebang(&cl, line, err, sizeof(err)) == 0)
		check_result(&cl, line, n);
	else
		fuzz_check_err(err, sizeof(err), "opt_parse_shebang");
	free(line);
	return 0;
}
