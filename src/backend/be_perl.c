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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "be.h"
#include "util.h"
#include "speedy_pm.h"
#include "glue_pl.h"
#include "perl_inc.h"

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
	SV		*data;		/* the script's text if it has __END__ */
	size_t		 dataoff;	/* where DATA starts in it */
	char		 pkg[128];	/* package that owns DATA */
	struct capture	*caps;		/* see find_captures() */
	int		 ncaps;
	int		 keep[3];	/* see keep_redirects(), or -1 */
	int		 alias[3];
	int		 replay;	/* it warned while compiling */
};
static struct compiled	*scripts;
static int		 nscripts;
static struct compiled	*cur;		/* the current request's */
static int		 named_group;	/* not "none" */

/*
 * A file-scoped lexical of a script that a named sub of the script uses:
 * slot in of sub cv's pads shares the SV in slot out of parent's first
 * pad.  Under plain perl the main program runs once and they stay shared;
 * our script is a sub that runs again and again, and perl gives it a new
 * SV for every such variable when it returns (the "will not stay shared"
 * problem), so they are joined again after every request.  The padlists
 * are remembered to notice a sub redefined since.
 */
struct capture {
	CV		*cv;
	CV		*parent;
	PADLIST		*pl, *parent_pl;
	PADOFFSET	 in, out;
};

/* The identity of a descriptor: what a dup of it shares. */
struct fd_id {
	dev_t	dev;
	ino_t	ino;
	int	open;
	int	stream;		/* a pipe or a socket */
};
static struct fd_id	req_fds[3];	/* the request's 0, 1 and 2 */
static int		devnull_fd = -1;
static mode_t		start_umask;
static GV		*std_gv[3];	/* STDIN, STDOUT, STDERR */
static int		 just_compiled;	/* by this request */
static int		 state_of = -1;	/* script whose module state is set */
static Perl_ppaddr_t	real_pp_caller;

static XS(xs_getopt);
static XS(xs_setopt);
static XS(xs_shutdown_next_time);
static XS(xs_shutdown_now);
static XS(xs_unique);

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
	newXS("CGI::SpeedyCGI::_Backend::unique", xs_unique, __FILE__);
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
 * Called from a BEGIN block at the start of the script's sub while perl
 * compiles it: the sub is marked as one that runs once, like a main
 * program, so that perl does not warn that the file-scoped lexicals the
 * script's named subs use "will not stay shared" (find_captures() and
 * join_captures() make them stay shared).  compile_script() takes the
 * mark off again.
 */
static XS(xs_unique)
{
	dXSARGS;

	PERL_UNUSED_VAR(items);
	if (PL_compcv != NULL && SvTYPE((SV *)PL_compcv) == SVt_PVCV)
		CvUNIQUE_on(PL_compcv);
	XSRETURN_EMPTY;
}

/*
 * The context of the current script's sub, if it is running: the first
 * sub frame on the main stack (*sip).
 */
static PERL_CONTEXT *
script_frame(PERL_SI **sip)
{
	PERL_SI *si = PL_curstackinfo;
	PERL_CONTEXT *cx;
	I32 i;

	if (cur == NULL)
		return NULL;
	while (si->si_prev != NULL)
		si = si->si_prev;
	*sip = si;
	for (i = 0; i <= si->si_cxix; i++) {
		cx = &si->si_cxstack[i];
		if (CxTYPE(cx) == CXt_SUB)
			return cx->blk_sub.cv == (CV *)SvRV(cur->cv) ? cx : NULL;
	}
	return NULL;
}

/*
 * caller() as plain perl answers it: at the top level of a script there
 * is no caller ("main() unless caller" runs main), and stack traces end
 * at the script's top level.  The script's own sub frame is hidden from
 * the real pp_caller by making it look like a bare block while it runs.
 */
static OP *
pp_caller_hidden(pTHX)
{
	PERL_SI *si;
	PERL_CONTEXT *cx = script_frame(&si);
	I32 subix;
	U8 type;
	OP *next;

	if (cx == NULL)
		return real_pp_caller(aTHX);
	/* Perl finds the innermost sub frame through si_cxsubix first. */
	type = cx->cx_type;
	subix = si->si_cxsubix;
	cx->cx_type = (type & ~CXTYPEMASK) | CXt_BLOCK;
	if (subix == cx - si->si_cxstack)
		si->si_cxsubix = cx->blk_sub.old_cxsubix;
	next = real_pp_caller(aTHX);
	cx->cx_type = type;
	si->si_cxsubix = subix;
	return next;
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

/*
 * The glue subs run for every request, looked up once (see glue_init):
 * calling a sub by its name costs a walk through four stashes each time.
 */
static CV	*glue_begin, *glue_cleanup, *glue_finish;
static SV	*glue_unflushed, *glue_piped;

/* Calls a glue sub (a CV, or an SV naming it) with string arguments. */
static int
call_glue_sv(SV *sub, int *status, int nargs, ...)
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
	i = call_protected(sub, status);
	FREETMPS;
	LEAVE;
	return i;
}

#define call_glue(name, status, ...) \
	call_glue_sv(sv_2mortal(newSVpvs(name)), status, __VA_ARGS__)

/* Looks up the per-request glue; 0, or -1 if the glue lacks one. */
static int
glue_init(void)
{
	glue_begin = get_cv("CGI::SpeedyCGI::_Backend::begin", 0);
	glue_cleanup = get_cv("CGI::SpeedyCGI::_Backend::cleanup", 0);
	glue_finish = get_cv("CGI::SpeedyCGI::_Backend::finish", 0);
	glue_unflushed = get_sv("CGI::SpeedyCGI::_Backend::unflushed", GV_ADD);
	glue_piped = get_sv("CGI::SpeedyCGI::_Backend::piped", GV_ADD);
	return glue_begin != NULL && glue_cleanup != NULL &&
	    glue_finish != NULL ? 0 : -1;
}

/* Compiles an embedded source text (the glue). */
static int
eval_embedded(const char *src, const char *file)
{
	SV *code = newSVpvf("#line 1 \"%s\"\n%s", file, src);

	(void)eval_sv(sv_2mortal(code), G_DISCARD | G_VOID);
	if (SvTRUE(ERRSV)) {
		PerlIO_printf(PerlIO_stderr(), "speedy_backend: %s: %s", file,
		    SvPV_nolen(ERRSV));
		return -1;
	}
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
	 * A threaded libperl sets up an embedded interpreter for a full
	 * teardown at perl_destruct: every op and every SV freed, one by one,
	 * which in a forked backend first copies nearly every page it shares
	 * with its parent.  Perl's own main() sets 0: END blocks and DESTROY
	 * still run, and the exit frees the rest.  So do we (see
	 * be_perl_shutdown).
	 */
	PL_perl_destruct_level = 0;
	/* Before anything is compiled: ops take their function when built. */
	if (real_pp_caller == NULL) {
		real_pp_caller = PL_ppaddr[OP_CALLER];
		PL_ppaddr[OP_CALLER] = pp_caller_hidden;
	}
	/* Every request starts with the umask the backend started with. */
	start_umask = umask(022);
	(void)umask(start_umask);
	if ((devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return 1;
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
	if (eval_embedded(glue_pl, "speedy_backend glue") == -1 ||
	    glue_init() == -1)
		return 255;
	/*
	 * CGI::SpeedyCGI is built in (compiled by init in glue.pl), but
	 * %INC lists it, and strict and warnings, which it uses, only once
	 * a script loads it, as under plain perl.
	 */
	sv_setpv(get_sv("CGI::SpeedyCGI::_Backend::module", GV_ADD), speedy_pm);
	if (call_glue("CGI::SpeedyCGI::_Backend::init", &status, 2,
	    SPEEDY_PERL, perl_inc))
		return status;
	std_gv[0] = gv_fetchpvs("STDIN", GV_ADD | GV_NOTQUAL, SVt_PVIO);
	std_gv[1] = gv_fetchpvs("STDOUT", GV_ADD | GV_NOTQUAL, SVt_PVIO);
	std_gv[2] = gv_fetchpvs("STDERR", GV_ADD | GV_NOTQUAL, SVt_PVIO);
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
	r = call_protected((SV *)glue_begin, status);
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

/* ------------------------------------------ the script's shared lexicals */

struct cvlist {
	CV	**v;
	size_t	  n, cap;
};

static void
cvlist_add(struct cvlist *l, CV *cv)
{
	CV **v;

	if (CvISXSUB(cv) || CvANON(cv) || CvPADLIST(cv) == NULL)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		if ((v = realloc(l->v, l->cap * sizeof(*v))) == NULL)
			croak("speedy_backend: out of memory");
		l->v = v;
	}
	l->v[l->n++] = cv;
}

/* Adds the named subs of stash and of the stashes below it to l. */
static void
collect_subs(HV *stash, struct cvlist *l, int depth)
{
	HE *he;
	SV *val;
	GV *gv;
	HV *sub;
	const char *key;
	STRLEN klen;

	(void)hv_iterinit(stash);
	while ((he = hv_iternext(stash)) != NULL) {
		val = HeVAL(he);
		if (SvROK(val) && SvTYPE(SvRV(val)) == SVt_PVCV) {
			cvlist_add(l, (CV *)SvRV(val));
			continue;
		}
		if (!isGV_with_GP(val))
			continue;
		gv = (GV *)val;
		if (GvCV(gv) != NULL && !GvCVGEN(gv))
			cvlist_add(l, GvCV(gv));
		key = HePV(he, klen);
		if (klen > 2 && key[klen - 2] == ':' && key[klen - 1] == ':' &&
		    (sub = GvHV(gv)) != NULL && HvNAME(sub) != NULL &&
		    sub != stash && sub != PL_defstash && depth < 100)
			collect_subs(sub, l, depth + 1);
	}
}

/* Records the lexicals that cv takes from parent (see struct capture). */
static void
add_captures(struct compiled *c, CV *cv, CV *parent)
{
	PADNAMELIST *names = PadlistNAMES(CvPADLIST(cv));
	PADNAMELIST *outer = PadlistNAMES(CvPADLIST(parent));
	PADNAME *pn, *on;
	PADOFFSET out;
	struct capture *caps;
	SSize_t i;

	for (i = 1; i <= PadnamelistMAX(names); i++) {
		pn = PadnamelistARRAY(names)[i];
		if (pn == NULL || !PadnameOUTER(pn) || PadnameIsOUR(pn) ||
		    PadnamePV(pn) == NULL || PadnamePV(pn)[0] == '&')
			continue;
		/* Only what perl says it took from that very slot. */
		out = PARENT_PAD_INDEX(pn);
		if (out == 0 || (SSize_t)out > PadnamelistMAX(outer) ||
		    (on = PadnamelistARRAY(outer)[out]) == NULL ||
		    PadnamePV(on) == NULL ||
		    strcmp(PadnamePV(on), PadnamePV(pn)) != 0)
			continue;
		caps = realloc(c->caps, (size_t)(c->ncaps + 1) * sizeof(*caps));
		if (caps == NULL)
			croak("speedy_backend: out of memory");
		c->caps = caps;
		caps[c->ncaps].cv = (CV *)SvREFCNT_inc_simple_NN((SV *)cv);
		caps[c->ncaps].parent =
		    (CV *)SvREFCNT_inc_simple_NN((SV *)parent);
		caps[c->ncaps].pl = CvPADLIST(cv);
		caps[c->ncaps].parent_pl = CvPADLIST(parent);
		caps[c->ncaps].in = (PADOFFSET)i;
		caps[c->ncaps].out = out;
		c->ncaps++;
	}
}

/*
 * Finds the named subs compiled inside the script (their CvOUTSIDE is the
 * script's sub, or one of them) and the lexicals they take from it.  Runs
 * once per compilation: it walks every stash.
 */
static void
find_captures(struct compiled *c)
{
	struct cvlist l = { NULL, 0, 0 };
	CV **inside;
	size_t i, j, nin = 1;
	int more = 1;

	collect_subs(PL_defstash, &l, 0);
	if ((inside = calloc(l.n + 1, sizeof(*inside))) == NULL)
		croak("speedy_backend: out of memory");
	inside[0] = (CV *)SvRV(c->cv);
	/* Parents before children, so that joining goes from the top. */
	while (more) {
		more = 0;
		for (i = 0; i < l.n; i++) {
			if (l.v[i] == NULL)
				continue;
			for (j = 0; j < nin; j++)
				if (CvOUTSIDE(l.v[i]) == inside[j])
					break;
			if (j == nin)
				continue;
			add_captures(c, l.v[i], inside[j]);
			inside[nin++] = l.v[i];
			l.v[i] = NULL;
			more = 1;
		}
	}
	free(inside);
	free(l.v);
}

/*
 * Makes the script's named subs share its file-scoped lexicals again, as
 * a fresh run of the program would have them; what the last request left
 * in the old values is freed now (DESTROY runs, as at the end of a plain
 * perl run).
 */
static void
join_captures(void *p)
{
	struct compiled *c = p;
	struct capture *k;
	PAD *from, *pad;
	SV *old;
	SSize_t d;
	int i;

	for (i = 0; i < c->ncaps; i++) {
		k = &c->caps[i];
		if (CvPADLIST(k->cv) != k->pl ||
		    CvPADLIST(k->parent) != k->parent_pl ||
		    PadlistMAX(CvPADLIST(k->parent)) < 1 ||
		    (from = PadlistARRAY(CvPADLIST(k->parent))[1]) == NULL ||
		    (SSize_t)k->out > PadMAX(from))
			continue;
		for (d = 1; d <= PadlistMAX(CvPADLIST(k->cv)); d++) {
			pad = PadlistARRAY(CvPADLIST(k->cv))[d];
			if (pad == NULL || (SSize_t)k->in > PadMAX(pad) ||
			    PadARRAY(pad)[k->in] == PadARRAY(from)[k->out])
				continue;
			old = PadARRAY(pad)[k->in];
			PadARRAY(pad)[k->in] =
			    SvREFCNT_inc(PadARRAY(from)[k->out]);
			SvREFCNT_dec(old);
		}
	}
}

/* ------------------------------------------------- the standard handles */

/* Fills id with what descriptor fd is open on. */
static void
fd_identify(int fd, struct fd_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (fstat(fd, &st) == -1)
		return;
	id->open = 1;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->stream = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

static int
fd_same(const struct fd_id *a, const struct fd_id *b)
{
	return a->open && b->open && a->dev == b->dev && a->ino == b->ino;
}

/*
 * A script that redirects STDIN, STDOUT or STDERR while it is compiled
 * (CGI::Carp's carpout in a BEGIN block, as its manual shows) has them
 * redirected on every run under plain perl.  Compilation happens once, so
 * the redirection is remembered here and done again for every later
 * request: a descriptor that now leads elsewhere is kept (a dup), one that
 * now leads to another of the request's descriptors (STDERR to STDOUT) is
 * remembered as such.
 */
static void
keep_redirects(struct compiled *c)
{
	struct fd_id now;
	int i, j;

	for (i = 0; i < 3; i++) {
		c->keep[i] = c->alias[i] = -1;
		fd_identify(i, &now);
		if (!now.open || fd_same(&now, &req_fds[i]))
			continue;
		for (j = 0; j < 3; j++)
			if (fd_same(&now, &req_fds[j]))
				break;
		if (j < 3)
			c->alias[i] = j;
		else
			c->keep[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
	}
}

static void
apply_redirects(const struct compiled *c)
{
	int i;

	for (i = 0; i < 3; i++)
		if (c->keep[i] != -1)
			(void)dup2(c->keep[i], i);
	for (i = 0; i < 3; i++)
		if (c->alias[i] != -1)
			(void)dup2(c->alias[i], i);
}

/* Points fd at /dev/null if it is a copy of one of the request's streams. */
static void
release_if_copy(int fd)
{
	struct fd_id id;
	int i, flags;

	if (fd == devnull_fd)
		return;
	fd_identify(fd, &id);
	for (i = 0; i < 3; i++)
		if (req_fds[i].stream && fd_same(&id, &req_fds[i]))
			break;
	if (i == 3 || (flags = fcntl(fd, F_GETFD)) == -1)
		return;
	if (dup2(devnull_fd, fd) != -1)
		(void)fcntl(fd, F_SETFD, flags);
}

#define PROBE_FDS	64

/*
 * Copies of the request's pipes and sockets that the script made and left
 * open (CGI::Carp's carpout keeps one of STDERR in a global handle) would
 * keep the client from seeing end-of-file until the backend exits; under
 * plain perl they close at exit.  They are pointed at /dev/null instead
 * of closed, so that the handles perl has on them stay valid.  One poll()
 * finds the open descriptors among the first PROBE_FDS after 2, cheaper
 * than reading /proc/self/fd, which is read only if the last of those is
 * open too.
 */
static void
release_client_copies(void)
{
	struct pollfd p[PROBE_FDS];
	struct dirent *de;
	DIR *d;
	char *end;
	long fd;
	int i;

	if (!req_fds[0].stream && !req_fds[1].stream && !req_fds[2].stream)
		return;
	for (i = 0; i < PROBE_FDS; i++) {
		p[i].fd = i + 3;
		p[i].events = 0;
		p[i].revents = 0;
	}
	if (poll(p, PROBE_FDS, 0) == -1)
		return;
	for (i = 0; i < PROBE_FDS; i++)
		if (!(p[i].revents & POLLNVAL))
			release_if_copy(p[i].fd);
	if (p[PROBE_FDS - 1].revents & POLLNVAL ||
	    (d = opendir("/proc/self/fd")) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		errno = 0;
		fd = strtol(de->d_name, &end, 10);
		if (*end == '\0' && errno == 0 && fd >= PROBE_FDS + 3 &&
		    fd <= INT_MAX && fd != dirfd(d))
			release_if_copy((int)fd);
	}
	(void)closedir(d);
}

/*
 * The format state that lives in the standard handles' IO objects, which
 * survive the reopening for every request: the page number ($%), lines
 * left on the page ($-, so the next write prints the top of form again),
 * page length ($=) and the format names ($~, $^).
 */
static void
reset_formats(void)
{
	IO *io;
	int i;

	for (i = 0; i < 3; i++) {
		if (std_gv[i] == NULL || (io = GvIO(std_gv[i])) == NULL)
			continue;
		IoPAGE(io) = 0;
		IoPAGE_LEN(io) = 60;
		IoLINES_LEFT(io) = 0;
		IoFLAGS(io) &= ~IOf_DIDTOP;
		Safefree(IoFMT_NAME(io));
		Safefree(IoTOP_NAME(io));
		IoFMT_NAME(io) = IoTOP_NAME(io) = NULL;
		IoFMT_GV(io) = IoTOP_GV(io) = NULL;
	}
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
	 * The script becomes the body of a named sub, as under SpeedyCGI.  A
	 * named sub inside it shares its file-scoped lexicals as in a main
	 * program (see xs_unique() and struct capture).  The #line
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
	code = newSVpvf("package %s; sub %s { BEGIN { "
	    "CGI::SpeedyCGI::_Backend::unique() }\n#line 1 \"%s\"\n", pkgname,
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
	/*
	 * DATA reads the file from after the __END__ line, as perl's own
	 * handle on the script does: tell(DATA) gives the offset in the
	 * file, and seek(DATA, 0, 0) rereads the script from its #! line.
	 */
	if (s->data != NULL) {
		c->dataoff = (size_t)(s->data - s->text);
		c->data = newSVpvn(s->text, c->dataoff + s->datalen);
	}
	CvUNIQUE_off(cv);
	find_captures(c);
	keep_redirects(c);
	just_compiled = 1;
	/*
	 * Handlers set while compiling (CGI::Carp's) belong to the script,
	 * and so does the state of CGI.pm that its "use CGI" line set up.
	 */
	(void)util_fmt(subname, sizeof(subname), "%d", nscripts - 1);
	if (call_glue("CGI::SpeedyCGI::_Backend::compiled", status, 1,
	    subname))
		return 1;
	c->replay = SvTRUE(get_sv("CGI::SpeedyCGI::_Backend::nwarned",
	    GV_ADD));
	state_of = nscripts - 1;
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

/* Reopens DATA on the script's text, just after its __END__ line. */
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
	XPUSHs(sv_2mortal(newSVuv((UV)cur->dataoff)));
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
	/*
	 * A script starts as under plain perl: $! and $? clear, $@ empty,
	 * $_ and $. undefined, $^T the time it started (-M and friends count
	 * from it), the umask the backend was started with.
	 */
	errno = 0;
	STATUS_ALL_SUCCESS;
	sv_setpvs(ERRSV, "");
	if (!SvREADONLY(DEFSV))
		sv_set_undef(DEFSV);
	PL_last_in_gv = NULL;
	PL_basetime = time(NULL);
	(void)umask(start_umask);
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
	_exit(status);
}

int
be_perl_begin(const struct proto_request *req, struct be_status *st)
{
	int i;

	st->kind = PROTO_EXITED;
	st->code = 0;
	st->retire = 0;
	st->dev = st->ino = 0;
	cur = NULL;
	just_compiled = 0;
	for (i = 0; i < 3; i++)
		fd_identify(i, &req_fds[i]);
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
		 * this request, and then ends here (be_perl_run ends it
		 * itself unless DATA could not be reset).
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
	char idx[16];
	int dummy;

	(void)util_fmt(idx, sizeof(idx), "%d", (int)(cur - scripts));
	if (!just_compiled) {
		apply_redirects(cur);
		if (cur->replay)
			(void)call_glue("CGI::SpeedyCGI::_Backend::replay", &dummy,
			    1, idx);
	}
	/* In a named group the last request may have run another script. */
	if (state_of != cur - scripts) {
		(void)call_glue("CGI::SpeedyCGI::_Backend::enter", &dummy, 1,
		    idx);
		state_of = (int)(cur - scripts);
	}
	if (cur->data != NULL && reset_data(&st->code)) {
		st->retire = 1;
		return;
	}
	st->code = run_script();
	leave_if_child(st->code);
	/*
	 * After the cleanup handlers, what the run left in the script's
	 * lexicals and in CGI.pm is freed, as at the end of a plain perl
	 * run, while the client's handles are still open.
	 */
	(void)call_glue_sv((SV *)glue_cleanup, &dummy, 1, idx);
	leave_if_child(st->code);
	if (cur->ncaps > 0)
		(void)run_protected(join_captures, cur, &dummy);
	leave_if_child(st->code);
}

void
be_perl_finish(struct be_status *st)
{
	int dummy;

	(void)call_glue_sv((SV *)glue_finish, &dummy, 0);
	release_client_copies();
	reset_formats();
	alarm(0);
	if (nscripts > 0 && sig_changed()) {
		(void)call_glue("CGI::SpeedyCGI::_Backend::restore_sig", &dummy,
		    0);
	}
	STATUS_ALL_SUCCESS;
	if (SvTRUE(glue_unflushed) &&
	    st->kind == PROTO_EXITED && st->code == 0)
		st->code = 1;
	if (SvTRUE(glue_piped)) {
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

/*
 * Runs the shutdown handlers, END blocks and destructors; the process
 * exits next.  The interpreter is not freed: at destruct level 0 that
 * would free only its own structure and leave the rest unreachable (a
 * leak to LeakSanitizer), while the exit frees everything at once.
 */
void
be_perl_shutdown(void)
{
	static int done;
	locale_t cur;
	int status;

	if (my_perl == NULL || done)
		return;
	done = 1;
	(void)call_glue("CGI::SpeedyCGI::_Backend::shutdown", &status, 0);
	(void)perl_destruct(my_perl);
	/*
	 * The locale object perl made this thread's (uselocale) is known to
	 * libc alone, and perl frees it only in a full teardown.
	 */
	cur = uselocale((locale_t)0);
	(void)uselocale(LC_GLOBAL_LOCALE);
	if (cur != (locale_t)0 && cur != LC_GLOBAL_LOCALE &&
	    cur != PL_C_locale_obj)
		freelocale(cur);
	/* Flushes what destructors printed (PerlIO's teardown), as perl's main. */
	PERL_SYS_TERM();
}
