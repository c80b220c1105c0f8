#!/usr/bin/perl
# hostile_forkterm.pl: forks a child that sleeps, sends it SIGTERM and
# prints how it ended: as under plain perl, killed by the signal.
use strict;
my $pid = fork;
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
	close STDOUT;
	sleep 20;
	exit 0;
}
kill 'TERM', $pid or die "kill: $!\n";
waitpid($pid, 0) == $pid or die "waitpid: $!\n";
print 'signal=', $? & 127, ' exit=', $? >> 8, "\n";
