#!/usr/bin/perl
# __DATA__ belongs to the package current where it appears.
package Foo;
my @lines = <DATA>;
print "Foo: $_" for @lines;
print "count: ", scalar(@lines), "\n";
__DATA__
alpha
beta
