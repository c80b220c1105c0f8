/*
 * optdoc: prints the option table as documentation, so that the README
 * and the man pages are generated from (and tested against) the same table
 * the parsers use.
 *
 *     optdoc markdown    the README's options table
 *     optdoc mdoc        the .Bl list of speedy(1)'s OPTIONS section
 *     optdoc confkeys    the .It items of speedy.conf(5)'s keys
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
	char env[64], key[64];
	int i;

	printf("| Option | Letter | Environment | Config key | Default | "
	    "Meaning |\n");
	printf("|---|---|---|---|---|---|\n");
	for (i = 0; i < OPT__COUNT; i++) {
		printf("| %s | %s%c%s | %s | %s | %s | %s |\n",
		    opt_table[i].name,
		    opt_table[i].letter ? "`-" : "", opt_table[i].letter ?
		    opt_table[i].letter : ' ', opt_table[i].letter ? "`" : "",
		    (opt_table[i].ctx & OPT_CTX_ENV) ?
		    opt_envname(i, env, sizeof(env)) : "",
		    (opt_table[i].ctx & OPT_CTX_CONF) ?
		    opt_confname(i, key, sizeof(key)) : "",
		    defval(i), opt_table[i].help);
	}
}

/*
 * Prints text as mdoc input lines: one sentence per line (the table's help
 * texts separate sentences with two spaces), wrapped at 72 columns, with
 * backslashes escaped and a line that would start with a control
 * character protected, so that "mandoc -Tlint" has nothing to say.
 */
static void
mdoc_text(const char *s)
{
	const char *w, *end;
	size_t col = 0, len;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		for (end = s; *end != '\0' && *end != ' '; end++)
			;
		len = (size_t)(end - s);
		if (col > 0 && col + 1 + len > 72) {
			putchar('\n');
			col = 0;
		}
		if (col > 0) {
			putchar(' ');
			col++;
		} else if (*s == '.' || *s == '\'') {
			fputs("\\&", stdout);
		}
		for (w = s; w < end; w++) {
			if (*w == '\\')
				fputs("\\e", stdout);
			else
				putchar(*w);
		}
		col += len;
		/* A period and two spaces end a sentence: new line. */
		if (end > s && end[-1] == '.' && end[0] == ' ' && end[1] == ' ') {
			putchar('\n');
			col = 0;
		}
		s = end;
	}
	if (col > 0)
		putchar('\n');
}

static void
mdoc(void)
{
	char env[64], key[64];
	int i;

	printf(".Bl -tag -width Ds\n");
	for (i = 0; i < OPT__COUNT; i++) {
		if (!opt_table[i].letter)
			printf(".It Ev %s\n", opt_envname(i, env, sizeof(env)));
		else if (!opt_table[i].argname)
			printf(".It Fl %c\n", opt_table[i].letter);
		else if (i == OPT_GROUP)	/* the name is optional: -g[name] */
			printf(".It Fl %c Ns Op Ar %s\n", opt_table[i].letter,
			    opt_table[i].argname);
		else
			printf(".It Fl %c Ar %s\n", opt_table[i].letter,
			    opt_table[i].argname);
		mdoc_text(opt_table[i].help);
		printf("Option name\n.Ar %s", opt_table[i].name);
		if (opt_table[i].ctx & OPT_CTX_ENV)
			printf(" ,\nenvironment\n.Ev %s", opt_envname(i, env,
			    sizeof(env)));
		if (opt_table[i].ctx & OPT_CTX_CONF)
			printf(" ,\nconfiguration key\n.Ic %s", opt_confname(i,
			    key, sizeof(key)));
		/* Punctuation after a macro needs a blank, in text none. */
		if (opt_table[i].type == OPT_T_FLAG)
			printf(" .\n");
		else if (i != OPT_BACKENDPROG && opt_table[i].defval[0] == '\0')
			printf(" ,\ndefault empty.\n");
		else
			printf(" ,\ndefault\n.Ql %s .\n", defval(i));
	}
	printf(".El\n");
}

/* The configuration keys, as items of speedy.conf(5)'s key list. */
static void
confkeys(void)
{
	char key[64];
	int i;

	for (i = 0; i < OPT__COUNT; i++) {
		if (!(opt_table[i].ctx & OPT_CTX_CONF))
			continue;
		printf(".It Ic %s Ar %s\n", opt_confname(i, key, sizeof(key)),
		    opt_table[i].argname);
		mdoc_text(opt_table[i].help);
		printf("Option\n.Ar %s", opt_table[i].name);
		if (i != OPT_BACKENDPROG && opt_table[i].defval[0] == '\0')
			printf(" ,\ndefault empty.\n");
		else
			printf(" ,\ndefault\n.Ql %s .\n", defval(i));
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2)
		errx(2, "usage: optdoc markdown | mdoc | confkeys");
	if (strcmp(argv[1], "markdown") == 0)
		markdown();
	else if (strcmp(argv[1], "mdoc") == 0)
		mdoc();
	else if (strcmp(argv[1], "confkeys") == 0)
		confkeys();
	else
		errx(2, "usage: optdoc markdown | mdoc | confkeys");
	return 0;
}
