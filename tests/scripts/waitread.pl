#!/usr/bin/perl
# Waits (at most 20 s) for the file $ARGV[0], then reads STDIN and
# prints how many bytes it got.
for (1 .. 200) { last if -e $ARGV[0]; select undef, undef, undef, 0.1 }
print -e $ARGV[0] ? "marker\n" : "no marker\n";
binmode STDIN;
local $/;
my $d = <STDIN>;
print length($d), "\n";
