#!/usr/bin/perl
# hostile_fork.pl [CHILD [SLEEP]]: forks a child that closes its standard
# handles and sleeps CHILD seconds (default 60), prints "pid=PID
# child=PID", then sleeps SLEEP seconds itself (default: as long as the
# child).  The test kills the backend meanwhile, or afterwards: the
# frontends must not wait for the child.
use strict;
my $c = $ARGV[0] || 60;
my $s = defined $ARGV[1] ? $ARGV[1] : $c;
$| = 1;
my $pid = fork;
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
	close STDIN;
	close STDOUT;
	close STDERR;
	sleep $c;
	exit 0;
}
print "pid=$$ child=$pid\n";
sleep $s;
