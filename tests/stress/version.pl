#!/usr/bin/perl
# version.pl [LINES]: the script tests/stress/replace.sh keeps replacing
# while clients run it.  Prints LINES (default 400) lines
#	V=TAG pid=PID ppid=PPID n=N
# for N = 1 .. LINES, pausing 5 ms halfway, so that a request is still
# running when the file changes under it.  TAG is the single character
# between the quotes below: replace.sh writes each version with another
# one, and appends padding of another length after __END__, so that no
# torn read of a file being rewritten in place can make a version that
# does not exist (only the tag byte and the padding differ).
use strict;
my $v = 'A';
my $lines = $ARGV[0] || 400;
my $ppid = getppid();
for my $n (1 .. $lines) {
	select(undef, undef, undef, 0.005) if $n == int($lines / 2);
	print "V=$v pid=$$ ppid=$ppid n=$n\n";
}
__END__
