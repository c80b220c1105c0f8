#!/usr/bin/perl
# With stdout and stderr on one file, the order shows buffering: STDOUT
# is buffered unless $| is set, STDERR never is.
my $was = $|;
$| = 1 if @ARGV;
print "a";
print STDERR "b";
print "c$was\n";
