#!/usr/bin/perl
# File-scoped "my" variables: reinitialised on every run; a named sub
# that uses one keeps the one of the first run (as under SpeedyCGI and
# mod_perl's Registry); "our" variables persist.
my $x = $ARGV[0];
my $count = 0;
my $fresh;
our $total;
$count++;
$fresh++;
$total++;
sub show { print "inner=$x\n" }
print "outer=$x count=$count fresh=$fresh total=$total\n";
show();
