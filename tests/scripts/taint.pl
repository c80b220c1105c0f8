#!/usr/bin/perl -T
# Under -T, data from outside may not reach open() for writing.
print "taint=${^TAINT}\n";
my $ok = eval { open my $f, '>', $ENV{T_FILE} or die "open: $!\n"; 1 };
print $ok ? "opened\n" : "error: $@";
my $arg = $ARGV[0];
$ok = eval { kill 0, $arg; 1 };
print $ok ? "kill ok\n" : "error: $@";
