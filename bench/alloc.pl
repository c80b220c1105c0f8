#!/usr/bin/perl
# alloc.pl: the allocate-and-free case of the backend RSS measurement.
# Every request builds a 1 MiB string and an array of 16384 64-byte
# strings (another 1 MiB of data), uses them, and lets them go when the
# request ends.  A backend that serves it many times should not grow.
use strict;
use warnings;

my $s = 'x' x (1024 * 1024);
my @a = map { sprintf('%064d', $_) } 1 .. 16384;
my %h = map { $_ => 1 } @a[0 .. 1023];
my $sum = length($s) + length(join('', @a)) + scalar(keys %h);

print "Content-Type: text/plain\n\nallocated and freed $sum bytes\n";
