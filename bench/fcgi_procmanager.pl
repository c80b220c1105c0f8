#!/usr/bin/perl
# fcgi_procmanager.pl: the FCGI::ProcManager server of bench/fcgi.
#
#   perl fcgi_procmanager.pl SOCKET NPROC SCRIPT
#
# Serves the CGI script SCRIPT over FastCGI on the Unix socket SOCKET with
# NPROC worker processes, the way a Perl site deploys FCGI.pm with
# FCGI::ProcManager.  To be a fair opponent of speedy-fcgi, whose backends
# compile a script once and then run it per request, this server compiles
# SCRIPT once, in the manager before it forks (so the workers share the
# compiled code, as speedy's backends share their parent's), and each
# request just calls the compiled code.  It deliberately uses the leanest
# wrapper that still runs an unmodified CGI script correctly (the body as
# one subroutine, exit() ending the request and not the worker, $0 and
# CGI.pm's globals as a CGI run has them), and not CGI::Compile, whose
# per-request work (saving and restoring every %SIG entry, chdir there and
# back) bench/fcgi's Plack server pays instead: so the two Perl servers are
# a lean hand-written FastCGI server and the off-the-shelf one.
#
# FCGI::Request binds STDIN, STDOUT, STDERR and %ENV to the request, so the
# script reads its body from STDIN, prints its response to STDOUT and sees
# the FastCGI parameters in %ENV, as under CGI (and as under speedy-fcgi).
# CGI::Fast, the usual front end of FCGI.pm for CGI.pm users, does the same
# with a CGI object per request; the benchmark's scripts do not use CGI.pm,
# so creating one would only add work.
#
# SIGTERM (from bench/fcgi) makes the manager stop its workers and exit.
use strict;
use warnings;
use Cwd ();
use FCGI;
use FCGI::ProcManager;

# exit() inside the script must end the request, not the worker.  The
# override has to exist before the script is compiled, so that the
# script's calls bind to it.
our $IN_REQUEST = 0;
BEGIN {
	*CORE::GLOBAL::exit = sub (;$) {
		die bless [ $_[0] // 0 ], 'FCGIBench::Exit' if $IN_REQUEST;
		CORE::exit($_[0] // 0);
	};
}

@ARGV == 3 or die "usage: fcgi_procmanager.pl SOCKET NPROC SCRIPT\n";
my ($socket_path, $nproc, $script) = @ARGV;
$nproc =~ /^[1-9][0-9]*$/ or die "fcgi_procmanager.pl: bad process count '$nproc'\n";
my $path = Cwd::abs_path($script)
    // die "fcgi_procmanager.pl: $script: $!\n";

# compile_script PATH: the script's code as one subroutine in a package of
# its own.  Its file-scoped lexicals become the subroutine's, so each
# request starts with them fresh, as each CGI run does.
sub compile_script {
	my ($file) = @_;
	open my $fh, '<', $file or die "fcgi_procmanager.pl: $file: $!\n";
	my $code = do { local $/; <$fh> };
	close $fh or die "fcgi_procmanager.pl: $file: $!\n";
	# Everything after __END__ or __DATA__ is not code.
	$code =~ s/^__(?:END|DATA)__\r?\n.*//ms;
	my $sub = eval "package FCGIBench::Script; sub {\n#line 1 $file\n$code\n}";
	die "fcgi_procmanager.pl: cannot compile $file: $@" unless $sub;
	return $sub;
}
my $run = compile_script($path);

# The socket is mode 0666 so that the web server's workers, whoever they
# run as, can connect; the benchmark's temporary directory guards it.
my $old_umask = umask 0;
my $listen = FCGI::OpenSocket($socket_path, 128)
    or die "fcgi_procmanager.pl: cannot listen on $socket_path: $!\n";
umask $old_umask;

my $request = FCGI::Request(\*STDIN, \*STDOUT, \*STDERR, \%ENV, $listen,
    FCGI::FAIL_ACCEPT_ON_INTR());
my $pm = FCGI::ProcManager->new({ n_processes => $nproc });
$pm->pm_manage;
# A CGI run has $0 = the script.  It is the same script for every request,
# so the worker sets it once (after pm_manage, which names the workers).
$0 = $path;

# The worker's loop.  Accept finishes the previous request (flushing its
# output) and returns a negative value when the manager's SIGTERM
# interrupts it.
while ($request->Accept >= 0) {
	$pm->pm_pre_dispatch;
	CGI::initialize_globals() if defined &CGI::initialize_globals;
	{
		local $IN_REQUEST = 1;
		# A script's die() is its request's error (the web server's
		# log gets it, as a CGI's stderr), never the worker's end.
		eval { $run->(); 1 } or do {
			my $e = $@;
			print STDERR "fcgi_procmanager.pl: $path: $e"
			    unless ref $e eq 'FCGIBench::Exit';
		};
	}
	$request->Finish;
	$pm->pm_post_dispatch;
}
FCGI::CloseSocket($listen);
exit 0;
