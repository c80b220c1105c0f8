/*
 * optdoc: prints the option table as documentation, so that the README
 * and the man pages are generated from (and tested against) the same table
 * the parsers use.
 *
 *     optdoc markdown    the README's options table
 *     optdoc mdoc        the .Bl list of speedy(1)'s OPTIONS section
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "opt.h"

static const char *
defval(int i)
{
	if (i == OPT_BACKENDPROG)
		return "$(bindir)/speedy_backend";
	if (opt_table[i].type == OPT_T_FLAG)
		return "";
	return opt_table[i].defval[0] != '\0' ? opt_table[i].defval : "(empty)";
}

static void
markdown(void)
{
	char env[64];
	int i;

	printf("| Option | Letter | Environment | Default | Meaning |\n");
	printf("|---|---|---|---|---|\n");
	for (i = 0; i < OPT__COUNT; i++) {
		printf("| %s | %s%c%s | %s | %s | %s |\n", opt_table[i].name,
		    opt_table[i].letter ? "`-" : "", opt_table[i].letter ?
		    opt_table[i].letter : ' ', opt_table[i].letter ? "`" : "",
		    (opt_table[i].ctx & OPT_CTX_ENV) ?
		    opt_envname(i, env, sizeof(env)) : "",
		    defval(i), opt_table[i].help);
	}
}

static void
mdoc(void)
{
	char env[64];
	int i;

	printf(".Bl -tag -width Ds\n");
	for (i = 0; i < OPT__COUNT; i++) {
		if (opt_table[i].letter)
			printf(".It Fl %c%s%s\n", opt_table[i].letter,
			    opt_table[i].argname ? " Ar " : "",
			    opt_table[i].argname ? opt_table[i].argname : "");
		else
			printf(".It Ev %s\n", opt_envname(i, env, sizeof(env)));
		printf("%s\n", opt_table[i].help);
		printf("Option name %s", opt_table[i].name);
		if (opt_table[i].ctx & OPT_CTX_ENV)
			printf(", environment\n.Ev %s", opt_envname(i, env,
			    sizeof(env)));
		if (opt_table[i].type != OPT_T_FLAG)
			printf(", default\n.Ql %s", defval(i));
		printf(".\n");
	}
	printf(".El\n");
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		errx(2, "usage: optdoc markdown | mdoc");
	if (strcmp(argv[1], "markdown") == 0)
		markdown();
	else if (strcmp(argv[1], "mdoc") == 0)
		mdoc();
	else
		errx(2, "usage: optdoc markdown | mdoc");
	return 0;
}
