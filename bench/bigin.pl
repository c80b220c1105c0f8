#!/usr/bin/perl
# bigin.pl: the request-body case.  Reads standard input (the body of a
# POST, 50 MiB in the benchmark) to end-of-file in 64 KiB reads, counts
# and discards it, and prints a short response with the count.  sysread,
# not PerlIO's read, so that the time is the transport's, not the copies
# through perl's buffers.
use strict;
use warnings;

my ($n, $got, $buf) = (0);
binmode STDIN;
$n += $got while ($got = sysread(STDIN, $buf, 65536));
defined $got or die "bigin.pl: read: $!\n";
print "Content-Type: text/plain\n\n$n\n";
