#!/usr/bin/perl
print "never printed\n";
BEGIN { die "no good\n" }
