#!/usr/bin/perl -wT
# report.pl: an operator's status page that gathers its information by
# running programs, the way CGI scripts have always done it: reading a
# pipe from a command, system(), backticks, fork and exec, writing to a
# pipe, and handing the request body to an importer on standard input.
# The programs it runs are probes that show what they were given.  It
# runs in taint mode, as the perlsec manual asks of such scripts.

use strict;
use CGI qw(:standard);
use FindBin;

$ENV{PATH} = '/usr/bin:/bin';
delete @ENV{qw(IFS CDPATH ENV BASH_ENV)};
my ($bin) = $FindBin::Bin =~ m{^([\w./-]+)$}
    or die "report.pl: odd directory $FindBin::Bin\n";
my $probe = "$bin/bin/probe";
# The mode comes from the query string alone: an import's body is for
# the importer, and param() would read it.
my ($mode) = ($ENV{QUERY_STRING} || '') =~ /\bmode=([\w-]+)/;
$mode ||= 'summary';

if ($mode eq 'import') {
    # The body is the data: the importer reads it from our standard
    # input, so CGI.pm must not read it first (no param() for POST).
    $| = 1;
    print "Content-Type: text/plain\n\nImporting...\n";
    my ($len) = ($ENV{CONTENT_LENGTH} || 0) =~ /^(\d+)$/;
    my $rc = system $probe, 'import', '--stdin', '--quiet',
        '--exit=' . ($len && $len > 100 ? 3 : 0);
    print "importer exit status: ", $? >> 8, " (rc $rc)\n";
    exit 0;
}

# Only a plain word gets into the environment.
$ENV{REPORT_USER} = $1 if (param('user') || '') =~ /^(\w+)$/;
print header(-type => 'text/html', -charset => 'utf-8'),
    start_html('System report'), h1("Report: $mode");

if ($mode eq 'summary' || $mode eq 'pipe') {
    open my $ph, '-|', $probe, 'pipe-from', $mode
        or die "cannot run $probe: $!\n";
    my @lines = <$ph>;
    close $ph;
    print h2('From a pipe (' . scalar(@lines) . ' lines)'),
        pre(escapeHTML(join '', @lines)),
        p('exit status: ', $? >> 8);
}
if ($mode eq 'summary' || $mode eq 'system') {
    print h2('From system()'), "<pre>\n";
    # Our buffered output must reach the client before the probe's.
    my $rc = system $probe, 'system', '--exit=2';
    print "</pre>\n", p("system returned $rc, status ", $? >> 8);
    $rc = system "$probe shell-words 'a b' c | tr a-z A-Z";
    print p("a shell pipeline: $rc");
}
if ($mode eq 'summary' || $mode eq 'backticks') {
    my $out = `$probe backticks --stderr 2>&1`;
    my @env = `$probe env-only`;
    print h2('From backticks'), pre(escapeHTML($out)),
        p(scalar(grep { /^env / } @env), ' environment lines, status ',
            $? >> 8);
    my $missing = `/nonexistent/command 2>/dev/null`;
    print p('a missing command: status ', $? >> 8, ', output ',
        length($missing), ' bytes');
}
if ($mode eq 'fork') {
    print h2('fork and exec'), "<pre>\n";
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        exec $probe, 'forked', '--exit=5' or die "exec: $!\n";
    }
    waitpid $pid, 0;
    print "</pre>\n", p('child status ', $? >> 8);
    # A child that writes to our STDOUT through perl, then exits.
    $pid = fork;
    if (defined $pid && $pid == 0) {
        print p('written by the child');
        exit 0;
    }
    waitpid $pid, 0;
    print p('parent after child, status ', $?);
}
if ($mode eq 'pipe-to') {
    my ($n) = (param('n') || 3) =~ /^(\d{1,3})$/;
    print h2('Into a pipe'), "<pre>\n";
    open my $to, '|-', $probe, 'pipe-to', '--stdin', '--quiet'
        or die "cannot start probe: $!\n";
    print $to "line $_ for the probe\n" for 1 .. ($n || 3);
    close $to;
    print "</pre>\n", p('probe status ', $? >> 8);
}
if ($mode eq 'stderr') {
    # Everything the probe says goes to the page, errors included.
    open my $save, '>&', \*STDERR or die "dup: $!\n";
    open STDERR, '>&', \*STDOUT or die "dup: $!\n";
    print "<pre>\n";
    system $probe, 'merged', '--stderr', '--quiet';
    print "</pre>\n";
    open STDERR, '>&', $save or die "restore: $!\n";
    print STDERR "report.pl: stderr is back\n";
}
if ($mode eq 'env') {
    local $ENV{PATH} = '/bin';
    local $ENV{REPORT_LOCAL} = 'only for this probe';
    delete $ENV{HTTP_COOKIE};
    $ENV{REPORT_TZ} = 'UTC';
    print pre(escapeHTML(scalar `$probe env`));
}
if ($mode eq 'missing') {
    my $rc = system '/nonexistent/program', 'x';
    print p("system of a missing program: $rc, \$! = ", ($! + 0) ? 'set' : 'clear');
    warn "report.pl: could not run the missing program\n";
}
print end_html, "\n";
