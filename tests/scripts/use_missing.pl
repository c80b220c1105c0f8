#!/usr/bin/perl
print "never printed\n";
use Speedy::No::Such::Module;
