#!/usr/bin/perl
# Names itself, so that a test of a dispatcher can tell which script ran,
# and leaves a mark beside itself ("ran.NAME"), so that a test can tell that
# a script that must be refused never ran at all.
use strict;
use warnings;
use File::Basename ();

my $name = File::Basename::basename($0);
my $dir = File::Basename::dirname($0);
if (open my $f, '>>', "$dir/ran.$name") {
	print $f "$$\n";
	close $f;
}
print "Content-Type: text/plain\r\n\r\n";
print "script=$name\n";
print "0=$0\n";
print "SCRIPT_FILENAME=", (defined $ENV{SCRIPT_FILENAME} ? $ENV{SCRIPT_FILENAME} : '(unset)'), "\n";
