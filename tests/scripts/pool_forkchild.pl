#!/usr/bin/perl
# Forks a child that ends as $ARGV[0] says: "end" (falls off the end of
# the script), "exit" (exit 7) or "die"; waits for it and prints
# "child=PID status=STATUS pid=PID".
$| = 1;
my $how = shift || 'end';
my $pid = fork;
die "fork: $!\n" unless defined $pid;
if ($pid == 0) {
    exit 7 if $how eq 'exit';
    die "child dies\n" if $how eq 'die';
} else {
    waitpid($pid, 0);
    print "child=$pid status=", $? >> 8, " pid=$$\n";
}
