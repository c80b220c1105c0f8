#!/usr/bin/perl
# Reads one line of STDIN and leaves the rest.
my $l = <STDIN>;
print defined $l ? "got $l" : "got nothing\n";
