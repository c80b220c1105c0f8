#!/usr/bin/perl
# Ends a request in the way $ARGV[0] says, with $ARGV[1] as a value.
my ($how, $arg) = @ARGV;
$how = 'none' unless defined $how;
print "start $how\n";
if ($how eq 'exit') { exit $arg }
elsif ($how eq 'eval-exit') { eval { exit $arg }; print "after eval\n" }
elsif ($how eq 'string-eval-exit') { eval "exit $arg"; print "after eval\n" }
elsif ($how eq 'sub-exit') { leave($arg) }
elsif ($how eq 'die') { die "boom\n" }
elsif ($how eq 'die-line') { die "boom" }
elsif ($how eq 'die-errno') { $! = $arg; die "errno\n" }
elsif ($how eq 'die-child') { $! = 0; $? = $arg << 8; die "child\n" }
elsif ($how eq 'eval-die') { eval { die "caught\n" }; print "got $@" }
elsif ($how eq 'nested-die') { sub inner { die "deep" } sub outer { inner() } outer() }
elsif ($how eq 'warn') { warn "careful" }
elsif ($how eq 'kill') { kill 'KILL', $$ }
elsif ($how eq 'die-after-open') { open my $f, '<', '/nonexistent/file'; die "after open\n" }
print "end $how\n";
sub leave { exit $_[0] }
