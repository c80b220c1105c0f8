/*
 * adm.h: speedy-admin's commands and what they share.
 *
 * Each command is a function taking the arguments after the command name
 * (argv[0] is the command) and returning the exit status; commands print
 * their own results on stdout and their errors with warnx().
 */
#ifndef SPEEDY_ADM_H
#define SPEEDY_ADM_H

/* Exit statuses, documented in speedy-admin(8). */
#define ADM_EXIT_OK	0
#define ADM_EXIT_FAIL	1	/* invalid config, nothing matched, timeout */
#define ADM_EXIT_USAGE	2	/* unknown command or option, bad value */

/* Configuration: adm_conf.c. */
int	cmd_check(int argc, char **argv);
int	cmd_reload(int argc, char **argv);
int	cmd_config(int argc, char **argv);

/* The pool: adm_pool.c. */
int	cmd_list(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_drain(int argc, char **argv);
int	cmd_kill(int argc, char **argv);

/* The configuration directory: $SPEEDY_CONFDIR or the built-in default. */
const char *adm_confdir(void);

/* The snapshot file: $SPEEDY_SNAPSHOT or the built-in default. */
const char *adm_snapshot(void);

/*
 * The TmpBase to look at when none is given: the snapshot's global value,
 * then $SPEEDY_TMPBASE, then the built-in default.
 */
const char *adm_tmpbase(void);

/* Prints the usage message on stderr and exits with ADM_EXIT_USAGE. */
void	adm_usage(void) __attribute__((noreturn));

#endif
