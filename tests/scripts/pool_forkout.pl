#!/usr/bin/perl
# Forks a child that keeps STDOUT open: it prints "child output" after
# 3 seconds.  The script itself prints "child=PID" and ends at once.
$| = 1;
my $pid = fork;
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
    sleep 3;
    print "child output\n";
    exit 0;
}
print "child=$pid\n";
