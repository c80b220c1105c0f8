#!/usr/bin/perl
# Prints its version and pid, then waits for end-of-file on STDIN, so a
# test decides when the request ends.
$| = 1;
our $version = 'v1';
print "$version pid=$$\n";
1 while <STDIN>;
print "done $version\n";
