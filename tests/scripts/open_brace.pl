#!/usr/bin/perl
print "a\n";
if (1) {
    print "b\n";
