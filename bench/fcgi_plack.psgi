# fcgi_plack.psgi: the Plack application of bench/fcgi's Plack server.
#
#   BENCH_FCGI_SCRIPT=SCRIPT plackup -s FCGI -E deployment --nproc N \
#       --listen SOCKET fcgi_plack.psgi
#
# Runs the CGI script named by BENCH_FCGI_SCRIPT as a PSGI application
# through Plack::App::WrapCGI with execute => 0: CGI::Compile compiles the
# script once into a subroutine, and CGI::Emulate::PSGI runs it per request
# with %ENV, STDIN and STDOUT set up as for a CGI run.  plackup loads this
# file in its manager, before FCGI::ProcManager forks the N workers, so the
# script is compiled once and shared, as speedy-fcgi's backends share their
# parent's compiled script.  "-E deployment" keeps plackup from adding its
# development middleware (access log, lint, stack traces), which a
# production site does not run.
use strict;
use warnings;
use Plack::App::WrapCGI;

my $script = $ENV{BENCH_FCGI_SCRIPT}
    or die "fcgi_plack.psgi: BENCH_FCGI_SCRIPT is not set\n";
Plack::App::WrapCGI->new(script => $script, execute => 0)->to_app;
