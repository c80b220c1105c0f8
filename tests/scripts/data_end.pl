#!/usr/bin/perl
# DATA after __END__ reads from the start on every request; with an
# argument only the first line is read.
my $first = <DATA>;
print "first: $first";
unless (@ARGV) { print "rest: $_" while <DATA> }
print "eof: ", (eof(DATA) ? 1 : 0), "\n";
__END__
line one
line two
line three
