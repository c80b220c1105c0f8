#!/usr/bin/perl
# Prints forever, like yes(1): only the reader going away stops it.
print "y\n" while 1;
