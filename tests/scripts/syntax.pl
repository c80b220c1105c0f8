#!/usr/bin/perl
print "never printed\n";
my $x = ;
print "after\n";
