#!/usr/bin/perl
# File-scoped "my" variables: reinitialised on every run, and a named sub
# that uses one sees this run's, as under plain perl (SpeedyCGI and
# mod_perl's Registry kept the first run's); "our" variables persist.
use warnings;
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
