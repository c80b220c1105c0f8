#!/usr/bin/perl
# Reads STDIN to its end and shows what perl says about it.
my @lines = <STDIN>;
print scalar(@lines), " lines\n";
print map("[$_]", @lines), "\n";
print "eof=", (eof(STDIN) ? 1 : 0), "\n";
my $more = <STDIN>;
print "more=", (defined $more ? "def" : "undef"), "\n";
my $n = read(STDIN, my $buf, 10);
print "read=$n\n";
