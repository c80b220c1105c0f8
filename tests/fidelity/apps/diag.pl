#!/usr/bin/perl
# diag.pl: a diagnostics page of the kind many sites keep next to their
# CGI programs: it shows how the program was started (name, file, line,
# call stack, modules, library path, warnings), the interpreter's
# settings that scripts like to change (directory, umask, output
# buffering and layers, separators, the selected handle, formats), and
# the environment, configured by a file the environment names.  Some
# requests change those settings, as careless scripts do, and the next
# request shows whether anything stuck.  It is a "modulino": it runs
# main() only when started as a program.

use strict;
use Cwd ();
use Carp ();
use FindBin;
use Time::Local ();

# Library path set up at run time, as old scripts do.
push @INC, "$FindBin::Bin/lib";

my $conf_file = $ENV{DIAG_CONF} || 'diag.conf';
my $started = time;
our $VERSION = '1.4';

format STDOUT_TOP =
Name       Value
---------- ---------------------------------------------
.

our ($fname, $fvalue);
format STDOUT =
@<<<<<<<<< @<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<
$fname,    $fvalue
.

main() unless caller;

sub config {
    my %c;
    open my $fh, '<', $conf_file or return (title => "no $conf_file");
    while (<$fh>) {
        next if /^\s*(#|$)/;
        chomp;
        my ($k, $v) = split /\s*=\s*/, $_, 2;
        $c{$k} = $v;
    }
    close $fh;
    return %c;
}

sub row {
    ($fname, $fvalue) = @_;
    $fvalue = 'undef' unless defined $fvalue;
    write;
}

sub main {
    # What the previous request may have left behind comes first.
    my @state = (
        ['$_', defined $_ ? "'$_'" : 'undef'],
        ['$.', defined $. ? $. : 'undef'],
        ['$@', length $@ ? 'set' : 'empty'],
        ['$/', defined $/ ? join(',', map { ord } split //, $/) : 'undef'],
        ['$\\', defined $\ ? "'$\\'" : 'undef'],
        ['$,', defined $, ? "'$,'" : 'undef'],
        ['$"', "'$\"'"],
        ['$|', $|],
        ['$^W', $^W],
        ['selected', select],
        ['layers', join(',', PerlIO::get_layers(*STDOUT))],
        ['cwd', Cwd::getcwd()],
        ['umask', sprintf '%04o', umask],
        ['age', (time - $^T) < 30 ? 'fresh' : 'stale: ' . (time - $^T)],
        ['$0', $0],
        ['@ARGV', "@ARGV"],
        ['page', "$% lines left $-"],
        ['DIAG_SEEN', exists $ENV{DIAG_SEEN} ? 'yes' : 'no'],
        ['TZ', exists $ENV{TZ} ? $ENV{TZ} : 'unset'],
        ['UTC offset', (Time::Local::timegm(localtime 86400 * 180)
            - 86400 * 180) / 3600],
    );
    my %conf = config();
    my $mode = $ENV{DIAG_MODE} || 'plain';
    print "Content-Type: text/plain; charset=iso-8859-1\n\n";
    print "$conf{title} ($mode)\n";
    row(@$_) for @state;
    row('file', __FILE__);
    row('line', __LINE__);
    row('package', __PACKAGE__);
    my @c0 = caller(0);
    row('caller0', join ',', map { defined $_ ? $_ : 'undef' } @c0[0 .. 3]);
    row('caller1', defined caller(1) ? 'deeper' : 'none');
    print "trace:", Carp::longmess('here');
    row('INC', join ' ', sort grep { !m{^Fidelity/} } keys %INC);
    row('@INC', scalar(grep { $_ eq "$FindBin::Bin/lib" } @INC) . ' app lib');
    row('%SIG', join ' ', map { "$_=" . (defined $SIG{$_} ? ref $SIG{$_} || $SIG{$_} : 'undef') }
        qw(USR1 HUP TERM ALRM __WARN__ __DIE__));
    for my $k (split ' ', $conf{show_env} || '') {
        row("env $k", $ENV{$k});
    }
    print "\xe9t\xe9: caf\xe9\n";
    changes();
    exit($ENV{QUERY_STRING} =~ /exit=(\d+)/ ? $1 : 0);
}

# The careless part: each request may change one more thing and leave
# it changed.
sub changes {
    my $qs = $ENV{QUERY_STRING} || '';
    my %do = map { $_ => 1 } split /[&;]/, $qs;
    if ($do{chdir}) { chdir '/' or die "chdir: $!\n" }
    if ($do{umask}) { umask 077 }
    if ($do{flush}) { $| = 1 }
    if ($do{utf8}) { binmode STDOUT, ':utf8'; print "\x{263a} set utf8\n" }
    if ($do{crlf}) { binmode STDOUT, ':crlf' }
    if ($do{seps}) { $/ = ':'; $\ = "!\n"; $, = '-'; $" = '+'; print 'a', 'b' }
    if ($do{select}) { select STDERR; print "to stderr via select\n" }
    if ($do{warn}) { $^W = 1 }
    if ($do{env}) {
        $ENV{DIAG_SEEN} = 1;
        $ENV{TZ} = 'Asia/Tokyo';
        print 'offset in Tokyo: ', (Time::Local::timegm(localtime 0)) / 3600, "\n";
    }
    if ($do{underscore}) { $_ = 'left over'; open my $fh, '<', $conf_file; my @x = <$fh>; }
    if ($do{eval}) { eval { die "caught\n" } }
    if ($do{name}) { $0 = 'renamed' }
    if ($do{inc}) { push @INC, '/nonexistent/lib' }
    if ($do{sig}) { $SIG{USR1} = sub { }; $SIG{__WARN__} = sub { print STDERR "W: @_" } }
    if ($do{die}) { die "diag.pl: asked to die\n" }
    if ($do{big}) { printf "%05d %s\n", $_, 'x' x 70 for 1 .. 3000 }
    # A warning that only -w or $^W=1 makes visible.
    my $undef;
    my $sum = $undef + 1;
    print "done\n";
}
