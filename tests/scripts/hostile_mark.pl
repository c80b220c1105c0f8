#!/usr/bin/perl
# hostile_mark.pl: appends "ran PID ARGS" to the file $T_MARK (set by the
# test that starts the backend), prints "pid=PID" and exits 3: a request
# that reached the script leaves a trace.
use strict;
open my $fh, '>>', $ENV{T_MARK} or die "$ENV{T_MARK}: $!\n";
print $fh "ran $$ @ARGV\n";
close $fh or die "$ENV{T_MARK}: $!\n";
print "pid=$$\n";
exit 3;
