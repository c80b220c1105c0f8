#!/usr/bin/perl
# Writes $ARGV[0] bytes to STDOUT, then creates the file $ARGV[1].
binmode STDOUT;
print "x" x $ARGV[0];
open my $f, '>', $ARGV[1] or die "$ARGV[1]: $!\n";
close $f;
