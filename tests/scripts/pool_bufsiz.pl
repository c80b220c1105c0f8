#!/usr/bin/perl
# Prints "pid=PID" on STDERR, then $ARGV[0] KB (default 1) on STDOUT in
# lines of 1024 bytes.
my $kb = shift || 1;
print STDERR "pid=$$\n";
my $line = ('x' x 1023) . "\n";
print $line for 1 .. $kb;
