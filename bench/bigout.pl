#!/usr/bin/perl
# bigout.pl: the bulk-output case.  A short header, then 50 MiB
# (800 chunks of 64 KiB = 52428800 bytes) of body to standard output.
use strict;
use warnings;

my $chunk = '0123456789abcdef' x 4096;	# 65536 bytes
print "Content-Type: application/octet-stream\n\n";
print $chunk for 1 .. 800;
