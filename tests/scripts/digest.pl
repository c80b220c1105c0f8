#!/usr/bin/perl
# Reads all of STDIN and prints its length and MD5.
use Digest::MD5 ();
binmode STDIN;
local $/;
my $d = <STDIN>;
$d = '' unless defined $d;
print length($d), " ", Digest::MD5::md5_hex($d), "\n";
