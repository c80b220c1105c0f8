#!/usr/bin/perl
# hostile_full.pl FILE: writes 1 MB to FILE (on a full disk, in the test),
# saying what failed, removes it, and dies if anything failed.
use strict;
use warnings;
my $f = shift;
open my $fh, '>', $f or die "open $f: $!\n";
my $ok = 1;
for (1 .. 16) {
	next if print $fh 'x' x 65536;
	print "print: $!\n";
	$ok = 0;
	last;
}
if (!close $fh) {
	print "close: $!\n";
	$ok = 0;
}
unlink $f or die "unlink $f: $!\n";
die "cannot write $f\n" unless $ok;
print "written\n";
