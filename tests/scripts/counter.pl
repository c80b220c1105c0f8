#!/usr/bin/perl
# Globals persist between requests; BEGIN runs once, when compiled.
our ($n, $compiled);
BEGIN { $compiled++ }
$n++;
print "n=$n compiled=$compiled pid=$$\n";
