#!/usr/bin/perl
# Loads SpeedyTestMod (found through -I) and calls floor (imported by
# -MPOSIX=floor when given).
use SpeedyTestMod;
print SpeedyTestMod::hello(), "\n";
print "floor=", (defined &main::floor ? floor(2.7) : 'none'), "\n";
my $n = grep { $_ eq $ENV{T_LIB} } @INC;
print "inc=$n\n";
