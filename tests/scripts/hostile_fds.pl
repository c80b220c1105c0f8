#!/usr/bin/perl
# hostile_fds.pl [N]: opens N (default 40) files with lexical handles, a
# file with a global bareword handle, a directory handle and a pipe, and
# closes none of them; prints "pid=PID opened=N".  Plain perl closes them
# all at exit; a backend must, after each request, be left with as many
# descriptors as before it.
use strict;
my $n = $ARGV[0] || 40;
my @fh;
for my $i (1 .. $n) {
	open $fh[$i], '<', $0 or die "open $i: $!\n";
}
open KEEP, '<', $0 or die "open KEEP: $!\n";
opendir my $d, '.' or die "opendir: $!\n";
pipe my $r, my $w or die "pipe: $!\n";
print "pid=$$ opened=", $n + 3, "\n";
