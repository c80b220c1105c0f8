#!/usr/bin/perl
# A fork in a BEGIN block while the script compiles: under plain perl
# the child goes on to compile and run the script too, and so it must
# under speedy (for the request that compiled it).
BEGIN {
    my $pid = fork // die "fork: $!";
    if ($pid) {
        waitpid($pid, 0);
        print "child exited ", $? >> 8, "\n";
    } else {
        $main::child = 1;
    }
}
my $who = $main::child ? 'child' : 'parent';
print "$who ran with @ARGV\n";
print STDERR "$who to stderr\n";
exit($main::child ? 7 : 0);
