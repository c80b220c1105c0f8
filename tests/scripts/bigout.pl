#!/usr/bin/perl
# Prints $ARGV[0] lines of 101 bytes (default 100000: about 10 MB).
my $n = $ARGV[0] || 100000;
my $line = join('', map { chr(48 + $_ % 10) } 0 .. 99) . "\n";
print $line for 1 .. $n;
