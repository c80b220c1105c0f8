#!/usr/bin/perl -w
# Under -w, perl warns about the undefined value on line 6.
print "w=", ($^W ? 1 : 0), "\n";
my $u;
my $s = "x"
    . $u;
print "done\n";
