#!/usr/bin/perl
# Backend lifecycle.  The first run in an interpreter adds a shutdown
# handler that appends "shutdown PID" to the file $ENV{T_SHUT} named then.
# $ARGV[0] says what else to do: timeout/maxruns (setopt, printing the old
# value), now (shutdown_now), eval-now (shutdown_now inside eval),
# next (shutdown_next_time).  Prints "n=RUNS pid=PID" at the end.
use CGI::SpeedyCGI;
my $sp = CGI::SpeedyCGI->new;
our ($n, $added);
$n++;
unless ($added++) {
    my $file = $ENV{T_SHUT};
    $sp->add_shutdown_handler(sub {
        open my $f, '>>', $file or die "$file: $!\n";
        print $f "shutdown $$\n";
        close $f;
    });
}
$| = 1;
my $how = shift;
$how = 'none' unless defined $how;
if ($how eq 'timeout') { print "old=", $sp->setopt('timeout', 1), "\n" }
elsif ($how eq 'maxruns') { print "old=", $sp->setopt('maxruns', 2), "\n" }
elsif ($how eq 'now') { print "before pid=$$\n"; $sp->shutdown_now; print "after\n" }
elsif ($how eq 'eval-now') {
    print "before pid=$$\n";
    eval { $sp->shutdown_now };
    print "after eval\n";
}
elsif ($how eq 'next') { $sp->shutdown_next_time }
print "n=$n pid=$$\n";
