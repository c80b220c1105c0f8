#!/usr/bin/perl
# Copies STDIN to STDOUT in binary mode, in odd-sized pieces.
binmode STDIN;
binmode STDOUT;
my $buf;
while (my $n = sysread(STDIN, $buf, 4093)) {
    print $buf;
}
