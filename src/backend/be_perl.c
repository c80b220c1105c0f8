/*
 * be_perl.c: the embedded perl interpreter.  This is the only file that
 * includes perl.h; see be.h for the interface.
 *
 * A script is compiled once into an anonymous sub (in package main for the
 * group "none") and called for every request.  exit() in perl unwinds with
 * JMPENV_JUMP(2) to the innermost JMPENV; we run every call into perl
 * under our own JMPENV, so exit (also inside eval) and an uncaught die end
 * the request with perl's own exit status instead of the interpreter.
 */
#include <EXTERN.h>
#include <perl.h>
#include <XSUB.h>
#include <perliol.h>

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be.h"
#include "util.h"
#include "speedy_pm.h"
#include "glue_pl.h"

#ifndef SPEEDY_PERL
#define SPEEDY_PERL "/usr/bin/perl"
#endif

EXTERN_C void boot_DynaLoader(pTHX_ CV *cv);

static PerlInterpreter	*my_perl;
static pid_t		 be_pid;	/* to tell a fork()ed child apart */
/*
 * The scripts this interpreter has compiled.  In the group "none" there is
 * one, in package main; in a named group every script of the group gets
 * its own package, so that several share one interpreter.  A script is
 * known by device and inode; a new mtime compiles it again.
 */
struct compiled {
	struct queue_key key;
	SV		*cv;		/* reference to the script's sub */
	SV		*data;		/* text after __END__, or NULL */
	char		 pkg[128];	/* package that owns DATA */
};
static struct compiled	*scripts;
static int		 nscripts;
static struct compiled	*cur;		/* the current request's */
static int		 named_group;	/* not "none" */

static XS(xs_getopt);
static XS(xs_setopt);
static XS(xs_shutdown_next_time);
static XS(xs_shutdown_now);

static void
xs_init(pTHX)
{
	/* DynaLoader lets scripts load XS modules: POSIX, Storable, ... */
	newXS("DynaLoader::boot_DynaLoader", boot_DynaLoader, __FILE__);
	newXS("CGI::SpeedyCGI::_getopt", xs_getopt, __FILE__);
	newXS("CGI::SpeedyCGI::_setopt", xs_setopt, __FILE__);
	newXS("CGI::SpeedyCGI::_shutdown_next_time", xs_shutdown_next_time,
	    __FILE__);
	newXS("CGI::SpeedyCGI::_shutdown_now", xs_shutdown_now, __FILE__);
}

static XS(xs_getopt)
{
	dXSARGS;
	char buf[OPT_STR_MAX + 1];

	if (items != 1)
		croak_xs_usage(cv, "name");
	if (be_getopt(SvPV_nolen(ST(0)), buf, sizeof(buf)) == -1)
		XSRETURN_UNDEF;
	ST(0) = sv_2mortal(newSVpv(buf, 0));
	XSRETURN(1);
}

static XS(xs_setopt)
{
	dXSARGS;
	char old[OPT_STR_MAX + 1], err[256];

	if (items != 2)
		croak_xs_usage(cv, "name, value");
	if (be_setopt(SvPV_nolen(ST(0)), SvPV_nolen(ST(1)), old, sizeof(old),
	    err, sizeof(err)) == -1)
		croak("CGI::SpeedyCGI::setopt: %s", err);
	ST(0) = sv_2mortal(newSVpv(old, 0));
	XSRETURN(1);
}

static XS(xs_shutdown_next_time)
{
	dXSARGS;

	PERL_UNUSED_VAR(items);
	be_shutdown_next_time();
	XSRETURN_EMPTY;
}

/* Ends the request as exit(0) would; the backend then exits. */
static XS(xs_shutdown_now)
{
	dXSARGS;

	PERL_UNUSED_VAR(items);
	be_shutdown_next_time();
	my_exit(0);
	XSRETURN_EMPTY;
}

/*
 * Runs fn(arg) under our own JMPENV.  Returns 0 if it returned, or 1 if
 * perl called exit (or died with nothing to catch it), with perl's exit
 * status in *status.  The unwinding mirrors the case-2 branch of
 * perl_run(); END blocks are left for perl_destruct.
 */
static int
run_protected(void (*fn)(void *), void *arg, int *status)
{
	dJMPENV;
	volatile I32 oldscope = PL_scopestack_ix;
	int ret;

	JMPENV_PUSH(ret);
	if (ret == 0) {
		fn(arg);
		JMPENV_POP;
		return 0;
	}
	JMPENV_POP;
	while (PL_scopestack_ix > oldscope)
		LEAVE;
	FREETMPS;
	PL_curstash = PL_defstash;
	/* 3 is a die that bypassed die_unwind; perl_run reports it as 1. */
	*status = ret == 2 ? (int)(STATUS_EXIT & 0xff) : 255;
	return 1;
}

static void
do_call(void *sv)
{
	(void)call_sv((SV *)sv, G_VOID | G_DISCARD);
}

static void
do_call_noargs(void *sv)
{
	(void)call_sv((SV *)sv, G_VOID | G_DISCARD | G_NOARGS);
}

/* Calls sv with the arguments already pushed after PUSHMARK. */
static int
call_protected(SV *sv, int *status)
{
	return run_protected(do_call, sv, status);
}

struct eval_args {
	SV	*code;
	int	 err;	/* errno when the eval failed, 0 if it did not */
};

static void
do_eval(void *p)
{
	struct eval_args *a = p;
	dSP;

	PUSHMARK(SP);
	XPUSHs(a->code);
	PUTBACK;
	sv_setpvs(ERRSV, "");
	(void)call_pv("CGI::SpeedyCGI::_Backend::compile", G_VOID | G_DISCARD);
	a->err = SvTRUE(ERRSV) ? (errno != 0 ? errno : -1) : 0;
}

/*
 * Evaluates code; BEGIN blocks may exit, so this is protected too.
 * Returns 1 if perl exited (status set), else 0 with *err as do_eval's.
 */
static int
eval_protected(SV *code, int *err, int *status)
{
	struct eval_args a = { code, 0 };
	int r;

	r = run_protected(do_eval, &a, status);
	*err = a.err;
	return r;
}

/* Calls a glue sub with string arguments. */
static int
call_glue(const char *name, int *status, int nargs, ...)
{
	dSP;
	va_list ap;
	int i;

	ENTER;
	SAVETMPS;
	PUSHMARK(SP);
	va_start(ap, nargs);
	for (i = 0; i < nargs; i++)
		XPUSHs(sv_2mortal(newSVpv(va_arg(ap, const char *), 0)));
	va_end(ap);
	PUTBACK;
	i = call_protected(sv_2mortal(newSVpv(name, 0)), status);
	FREETMPS;
	LEAVE;
	return i;
}

/* Compiles one embedded source text (the module or the glue). */
static int
eval_embedded(const char *src, const char *file, const char *inc)
{
	SV *code = newSVpvf("#line 1 \"%s\"\n%s", file, src);

	(void)eval_sv(sv_2mortal(code), G_DISCARD | G_VOID);
	if (SvTRUE(ERRSV)) {
		PerlIO_printf(PerlIO_stderr(), "speedy_backend: %s: %s", file,
		    SvPV_nolen(ERRSV));
		return -1;
	}
	if (inc != NULL)
		(void)hv_store(GvHVn(PL_incgv), inc, (I32)strlen(inc),
		    newSVpv(file, 0), 0);
	return 0;
}

void
be_perl_sysinit(int *argc, char ***argv, char ***env)
{
	PERL_SYS_INIT3(argc, argv, env);
}

int
be_perl_init(const struct opt_perlsw *sw, int named)
{
	/*
	 * Writable copies: perl writes into argv[0] when the script sets $0
	 * (and we set $0 for every request).
	 */
	static char arg0[64] = "speedy_backend", e0[] = "-e0";
	static char *args[OPT_MAX_PERLSW + 4];
	int n = 0, i, rc, status;

	be_pid = getpid();
	named_group = named;
	args[n++] = arg0;
	for (i = 0; i < sw->n; i++)
		args[n++] = (char *)sw->sw[i];
	args[n++] = e0;
	args[n] = NULL;
	if ((my_perl = perl_alloc()) == NULL)
		return 1;
	perl_construct(my_perl);
	/*
	 * We own the process environment like perl's own main() does: perl
	 * then edits environ with memory it frees again, instead of libc's
	 * setenv(), whose copies are never freed.  Rebuilding %ENV for every
	 * request must not grow the process.
	 */
	PL_use_safe_putenv = FALSE;
	/* END blocks run when the backend exits, not after each request. */
	PL_exit_flags |= PERL_EXIT_DESTRUCT_END;
	if ((rc = perl_parse(my_perl, xs_init, n, args, NULL)) != 0)
		return rc;
	if ((rc = perl_run(my_perl)) != 0)
		return rc;
	sv_setiv(get_sv("CGI::SpeedyCGI::i_am_speedy", GV_ADD), 1);
	if (eval_embedded(speedy_pm, "CGI/SpeedyCGI.pm (built in)",
	    "CGI/SpeedyCGI.pm") == -1 ||
	    eval_embedded(glue_pl, "speedy_backend glue", NULL) == -1)
		return 255;
	if (call_glue("CGI::SpeedyCGI::_Backend::init", &status, 1,
	    SPEEDY_PERL))
		return status;
	return 0;
}

/* Makes a string SV, tainted under -T like everything from outside. */
static SV *
outside_sv(const char *p, STRLEN len)
{
	SV *sv = newSVpvn(p, len);

	if (TAINTING_get)
		SvTAINTED_on(sv);
	return sv_2mortal(sv);
}

/* True if env entry e ("NAME=value") names key. */
static int
env_has(const struct proto_request *req, const char *key, STRLEN klen)
{
	int i;

	for (i = 0; i < req->nenv; i++)
		if (strncmp(req->env[i], key, klen) == 0 &&
		    req->env[i][klen] == '=')
			return 1;
	return 0;
}

/* Deletes the %ENV entries the request does not have. */
static void
env_delete_extra(HV *env, const struct proto_request *req)
{
	AV *gone = newAV();
	HE *he;
	STRLEN klen;
	SSize_t i;
	char *k;

	sv_2mortal((SV *)gone);
	(void)hv_iterinit(env);
	while ((he = hv_iternext(env)) != NULL) {
		k = HePV(he, klen);
		if (!env_has(req, k, klen))
			av_push(gone, newSVpvn(k, klen));
	}
	for (i = 0; i <= av_len(gone); i++) {
		k = SvPV(*av_fetch(gone, i, 0), klen);
		(void)hv_delete(env, k, (I32)klen, G_DISCARD);
	}
}

/*
 * Makes %ENV (and through its magic the C environment that system() and
 * exec pass on) equal to the request's environment.  Only the entries that
 * differ from the previous request are written: most of a web server's
 * CGI variables repeat, and each write costs perl a setenv.  As in perl's
 * own start-up, entries that are not NAME=value or have an empty name are
 * skipped, and of a name given twice the first value counts (hence the
 * walk from the end: the first is written last).
 */
static void
set_env(const struct proto_request *req)
{
	HV *env = GvHVn(PL_envgv);
	const char *e, *eq;
	STRLEN vlen;
	SV **svp;
	int i, n = 0;

	for (i = req->nenv - 1; i >= 0; i--) {
		e = req->env[i];
		if ((eq = strchr(e, '=')) == NULL || eq == e)
			continue;
		n++;
		vlen = strlen(eq + 1);
		svp = hv_fetch(env, e, (I32)(eq - e), 0);
		if (svp != NULL && SvPOK(*svp) && SvCUR(*svp) == vlen &&
		    memcmp(SvPVX(*svp), eq + 1, vlen) == 0 &&
		    (!TAINTING_get || SvTAINTED(*svp)))
			continue;
		svp = hv_fetch(env, e, (I32)(eq - e), 1);
		sv_setpvn(*svp, eq + 1, vlen);
		if (TAINTING_get)
			SvTAINTED_on(*svp);
		SvSETMAGIC(*svp);
	}
	if ((int)HvUSEDKEYS(env) != n)
		env_delete_extra(env, req);
}

/*
 * Perl makes its STDERR unbuffered at the PerlIO level (with $| still 0);
 * the handle begin() reopens for every request must be the same.
 */
static void
stderr_unbuffered(void)
{
	IO *io = PL_stderrgv != NULL ? GvIO(PL_stderrgv) : NULL;

	if (io != NULL && IoOFP(io) != NULL)
		PerlIOBase(IoOFP(io))->flags |= PERLIO_F_UNBUF;
}

/* Sets up %ENV, @ARGV, $0 and the standard handles for a request. */
static int
begin_request(const struct proto_request *req, int *status)
{
	dSP;
	int i, r;

	set_env(req);
	ENTER;
	SAVETMPS;
	PUSHMARK(SP);
	EXTEND(SP, 1 + req->nargs);
	PUSHs(sv_2mortal(newSVpv(req->argv0, 0)));
	for (i = 0; i < req->nargs; i++)
		PUSHs(outside_sv(req->args[i], strlen(req->args[i])));
	PUTBACK;
	r = call_protected(sv_2mortal(newSVpvs("CGI::SpeedyCGI::_Backend::begin")),
	    status);
	FREETMPS;
	LEAVE;
	stderr_unbuffered();
	return r;
}

/*
 * %SIG as the compiled script left it is restored after every request.
 * Perl keeps each handler in PL_psig_ptr[signal] (__WARN__ and __DIE__ in
 * PL_warnhook and PL_diehook); comparing those with copies taken after
 * compilation finds the changed entries without walking %SIG in perl,
 * which would cost every request some 70 magic fetches.
 */
static SV	*sig_base[SIG_SIZE + 2];

static SV *
sig_now(int i)
{
	if (i == SIG_SIZE)
		return PL_warnhook;
	if (i == SIG_SIZE + 1)
		return PL_diehook;
	return PL_psig_ptr[i];
}

static void
sig_remember(void)
{
	SV *sv;
	int i;

	for (i = 1; i < SIG_SIZE + 2; i++) {
		if (sig_base[i] != NULL)
			SvREFCNT_dec(sig_base[i]);
		sv = sig_now(i);
		sig_base[i] = sv != NULL && SvOK(sv) ? newSVsv(sv) : NULL;
	}
}

/* True if two handler values are the same: the same sub, or equal text. */
static int
sig_same(SV *a, SV *b)
{
	int oka = a != NULL && SvOK(a), okb = b != NULL && SvOK(b);

	if (!oka || !okb)
		return oka == okb;
	if (SvROK(a) || SvROK(b))
		return SvROK(a) && SvROK(b) && SvRV(a) == SvRV(b);
	return sv_eq(a, b);
}

static int
sig_changed(void)
{
	int i;

	for (i = 1; i < SIG_SIZE + 2; i++)
		if (!sig_same(sig_base[i], sig_now(i)))
			return 1;
	return 0;
}

/*
 * Prints a compilation error as perl does for a script file (eval leaves
 * out the last line perl adds after syntax errors) and returns the exit
 * status perl's die would give: errno if set, else 255.
 */
static char	compile_msg[4096];	/* the last one, for be_perl_error */

static int
compile_error(const char *path, int err)
{
	const char *msg = SvPV_nolen(ERRSV);
	size_t n;

	(void)util_strlcpy(compile_msg, msg, sizeof(compile_msg));
	if (strstr(msg, "compilation aborted") == NULL) {
		n = strlen(compile_msg);
		(void)util_fmt(compile_msg + n, sizeof(compile_msg) - n,
		    "Execution of %s aborted due to compilation errors.\n", path);
	}
	PerlIO_printf(PerlIO_stderr(), "%s", compile_msg);
	return (err > 0 && (err & 255) != 0) ? (err & 255) : 255;
}

const char *
be_perl_error(void)
{
	return compile_msg[0] != '\0' ? compile_msg :
	    "speedy_backend: the script could not be started\n";
}

/* The line number of the last line of the first len bytes of text. */
static unsigned long
last_line(const char *text, size_t len)
{
	unsigned long n = 1;
	size_t i;

	for (i = 0; i < len; i++)
		if (text[i] == '\n' && i + 1 < len)
			n++;
	return n;
}

/*
 * A "}" too many in the script closes our wrapper sub early, and perl then
 * blames our closing brace.  Compiling the script once more on its own,
 * behind a "return" so that none of it runs, gets perl's own message.
 * BEGIN blocks run a second time, but only for a script that is broken.
 */
static void
diagnose_unmatched(struct be_script *s)
{
	SV *code;
	int err, status;

	code = sv_2mortal(newSVpvf("return;\n#line 1 \"%s\"\n", s->path));
	ENTER;
	SAVETMPS;
	sv_catpvn(code, s->text, strlen(s->text));
	(void)eval_protected(code, &err, &status);
	FREETMPS;
	LEAVE;
}

/*
 * Compiles s into a new entry of scripts[], made current.  Errors go to
 * the request's STDERR, as perl prints them.  Returns 0, or 1 with
 * *status set.
 */
static int
compile_script(struct be_script *s, int *status)
{
	struct compiled *c;
	char pkgname[128], subname[160];
	SV *code, *pkg;
	CV *cv;
	int r, err;

	if (strpbrk(s->path, "\"\n") != NULL) {
		PerlIO_printf(PerlIO_stderr(), "speedy_backend: %s: a script "
		    "path may not contain '\"' or a newline\n", s->path);
		*status = 255;
		return 1;
	}
	/*
	 * The script becomes the body of a named sub, as under SpeedyCGI: a
	 * named sub inside it sees the file-scoped lexicals of the first run
	 * (perl warns that they "will not stay shared").  The #line
	 * directives keep messages pointing into the real file, also for the
	 * closing brace, which sits on the script's last line.  Text after
	 * __END__ belongs to main::DATA; after __DATA__, to the package
	 * current at that point, which only a BEGIN block placed there can
	 * tell.
	 */
	if (named_group)
		(void)util_fmt(pkgname, sizeof(pkgname),
		    "CGI::SpeedyCGI::_script::D%llxI%llx",
		    (unsigned long long)s->key.dev,
		    (unsigned long long)s->key.ino);
	else
		(void)util_strlcpy(pkgname, "main", sizeof(pkgname));
	(void)util_fmt(subname, sizeof(subname),
	    "CGI::SpeedyCGI::_Backend::script%d", nscripts);
	code = newSVpvf("package %s; sub %s {\n#line 1 \"%s\"\n", pkgname,
	    subname, s->path);
	sv_2mortal(code);
	sv_catpvn(code, s->text, s->codelen);
	if (s->inpod)
		sv_catpvs(code, "\n\n=cut\n");
	if (s->data != NULL && strncmp(s->text + s->codelen +
	    strspn(s->text + s->codelen, " \t"), "__DATA__", 8) == 0)
		sv_catpvs(code, "\n;BEGIN { $CGI::SpeedyCGI::_Backend::pkg = "
		    "__PACKAGE__ }");
	sv_catpvf(code, "\n#line %lu \"%s\"\n;}", last_line(s->text,
	    s->codelen), s->path);
	/* __END__: main::DATA, as perl does for a top-level script. */
	sv_setpv(get_sv("CGI::SpeedyCGI::_Backend::pkg", GV_ADD), pkgname);
	ENTER;
	SAVETMPS;
	r = eval_protected(code, &err, status);
	FREETMPS;
	LEAVE;
	if (r)
		return 1;
	if (err != 0 || (cv = get_cv(subname, 0)) == NULL) {
		if (strstr(SvPV_nolen(ERRSV), "Unmatched right curly") != NULL)
			diagnose_unmatched(s);
		*status = compile_error(s->path, err);
		return 1;
	}
	if ((c = realloc(scripts, (size_t)(nscripts + 1) * sizeof(*c))) == NULL)
		croak("speedy_backend: out of memory");
	scripts = c;
	cur = c = &scripts[nscripts++];
	memset(c, 0, sizeof(*c));
	c->key = s->key;
	c->cv = newRV_inc((SV *)cv);
	pkg = get_sv("CGI::SpeedyCGI::_Backend::pkg", 0);
	(void)util_strlcpy(c->pkg, pkg != NULL && SvOK(pkg) ?
	    SvPV_nolen(pkg) : "main", sizeof(c->pkg));
	if (s->data != NULL)
		c->data = newSVpvn(s->data, s->datalen);
	/* Handlers set while compiling (CGI::Carp's) belong to the script. */
	if (call_glue("CGI::SpeedyCGI::_Backend::snapshot_sig", status, 0))
		return 1;
	sig_remember();
	return 0;
}

/*
 * Makes the script at path current, compiling it if this interpreter has
 * not, or if it changed on disk since.  Returns 0, or 1 with *status set
 * (and the message on the request's STDERR).
 */
static int
find_script(const char *path, int *status)
{
	struct be_script s;
	struct stat st;
	char err[512];
	int i, r;

	if (stat(path, &st) == 0)
		for (i = 0; i < nscripts; i++)
			if (scripts[i].key.dev == (uint64_t)st.st_dev &&
			    scripts[i].key.ino == (uint64_t)st.st_ino &&
			    scripts[i].key.mtime_sec ==
			    (int64_t)st.st_mtim.tv_sec &&
			    scripts[i].key.mtime_nsec ==
			    (int64_t)st.st_mtim.tv_nsec) {
				cur = &scripts[i];
				return 0;
			}
	if (be_script_load(&s, path, err, sizeof(err)) == -1) {
		/* As perl says it: "Can't open perl script ...". */
		PerlIO_printf(PerlIO_stderr(), "Can't open perl script \"%s\": "
		    "%s\n", path, strerror(errno != 0 ? errno : ENOENT));
		*status = 2;
		return 1;
	}
	r = compile_script(&s, status);
	be_script_free(&s);
	return r;
}

/* Reopens DATA on the text after __END__, from its start. */
static int
reset_data(int *status)
{
	dSP;
	int r;

	ENTER;
	SAVETMPS;
	PUSHMARK(SP);
	XPUSHs(sv_2mortal(newSVpv(cur->pkg, 0)));
	XPUSHs(sv_2mortal(newRV_inc(cur->data)));
	PUTBACK;
	r = call_protected(sv_2mortal(newSVpvs("CGI::SpeedyCGI::_Backend::data")),
	    status);
	FREETMPS;
	LEAVE;
	return r;
}

/* Runs the compiled script; returns its exit status. */
static int
run_script(void)
{
	int status = 0, r;
	AV *saved;
	dSP;

	ENTER;
	SAVETMPS;
	PUSHMARK(SP);
	PUTBACK;
	/* A script starts with $! and $? clear, as under plain perl. */
	errno = 0;
	STATUS_ALL_SUCCESS;
	/*
	 * At a file's top level a bare shift or pop works on @ARGV.  The
	 * script is a sub, so it is called without arguments of its own
	 * (G_NOARGS) while @_ is @ARGV.
	 */
	saved = GvAV(PL_defgv);
	GvAV(PL_defgv) = (AV *)SvREFCNT_inc_simple_NN((SV *)GvAVn(PL_argvgv));
	r = run_protected(do_call_noargs, cur->cv, &status);
	SvREFCNT_dec((SV *)GvAV(PL_defgv));
	GvAV(PL_defgv) = saved;
	FREETMPS;
	LEAVE;
	return r ? status : 0;
}

/*
 * In a child the script fork()ed: it must never return into the backend's
 * loop.  It ends as a forked plain perl would, running END blocks.
 */
static void
leave_if_child(int status)
{
	if (getpid() == be_pid)
		return;
	(void)perl_destruct(my_perl);
	perl_free(my_perl);
	_exit(status);
}

int
be_perl_begin(const struct proto_request *req, struct be_status *st)
{
	st->kind = PROTO_EXITED;
	st->code = 0;
	st->retire = 0;
	st->dev = st->ino = 0;
	cur = NULL;
	if (begin_request(req, &st->code) ||
	    find_script(req->script, &st->code)) {
		leave_if_child(st->code);
		/* Nothing to run: in "none", a fresh backend tries next time. */
		st->retire = !named_group || cur == NULL;
		return -1;
	}
	if (getpid() != be_pid) {
		/*
		 * A child the script forked in a BEGIN block while compiling:
		 * as under plain perl it goes on to run the script itself for
		 * this request, and then ends (be_perl_run never returns).
		 */
		be_perl_run(st);
		leave_if_child(st->code);
	}
	st->dev = cur->key.dev;
	st->ino = cur->key.ino;
	return 0;
}

void
be_perl_run(struct be_status *st)
{
	int dummy;

	if (cur->data != NULL && reset_data(&st->code)) {
		st->retire = 1;
		return;
	}
	st->code = run_script();
	leave_if_child(st->code);
	(void)call_glue("CGI::SpeedyCGI::_Backend::cleanup", &dummy, 0);
	leave_if_child(st->code);
}

void
be_perl_finish(struct be_status *st)
{
	int dummy;

	(void)call_glue("CGI::SpeedyCGI::_Backend::finish", &dummy, 0);
	alarm(0);
	if (nscripts > 0 && sig_changed()) {
		(void)call_glue("CGI::SpeedyCGI::_Backend::restore_sig", &dummy,
		    0);
	}
	STATUS_ALL_SUCCESS;
	if (SvTRUE(get_sv("CGI::SpeedyCGI::_Backend::unflushed", GV_ADD)) &&
	    st->kind == PROTO_EXITED && st->code == 0)
		st->code = 1;
	if (SvTRUE(get_sv("CGI::SpeedyCGI::_Backend::piped", GV_ADD))) {
		/* Plain perl would have died of the SIGPIPE; say so. */
		st->kind = PROTO_KILLED;
		st->code = SIGPIPE;
	}
}

int
be_perl_inc_changed(const struct timespec *since)
{
	HV *inc = get_hv("INC", 0);
	struct stat st;
	const char *path;
	HE *he;
	SV *v;

	if (inc == NULL)
		return 0;
	(void)hv_iterinit(inc);
	while ((he = hv_iternext(inc)) != NULL) {
		v = hv_iterval(inc, he);
		if (SvROK(v) || !SvPOK(v))
			continue;
		path = SvPV_nolen(v);
		if (path[0] != '/' || stat(path, &st) == -1)
			continue;
		if (st.st_ctim.tv_sec > since->tv_sec ||
		    (st.st_ctim.tv_sec == since->tv_sec &&
		    st.st_ctim.tv_nsec > since->tv_nsec))
			return 1;	/* hv_iterinit resets the iterator */
	}
	return 0;
}

void
be_perl_flush(void)
{
	/* What perl's own fork does first: no buffered output twice. */
	PERL_FLUSHALL_FOR_CHILD;
}

void
be_perl_forked(void)
{
	be_pid = getpid();
	/* Children of one parent must not share a rand() sequence. */
	PL_srand_called = FALSE;
}

void
be_perl_shutdown(void)
{
	int status;

	if (my_perl == NULL)
		return;
	(void)call_glue("CGI::SpeedyCGI::_Backend::shutdown", &status, 0);
	(void)perl_destruct(my_perl);
	perl_free(my_perl);
	my_perl = NULL;
	PERL_SYS_TERM();
}
