#!/usr/bin/perl
# Shows the signal state a request starts with; "set" installs handlers,
# a __WARN__ hook and an alarm, and leaves them behind.
my $mode = $ARGV[0] || '';
sub show { my $v = $SIG{$_[0]}; defined $v ? (ref $v ? 'CODE' : $v) : 'undef' }
print "$_=", show($_), "\n" for qw(USR1 TERM ALRM INT __WARN__ __DIE__);
print "pending=", alarm(0), "\n";
if ($mode eq 'set') {
    $SIG{USR1} = sub { print "usr1\n" };
    $SIG{TERM} = 'IGNORE';
    $SIG{INT} = 'IGNORE';
    $SIG{ALRM} = sub { print "alarm\n" };
    $SIG{__WARN__} = sub { print "captured: $_[0]" };
    $SIG{__DIE__} = sub { print "die hook: $_[0]" };
    alarm 100;
    print "set\n";
} elsif ($mode eq 'warn') {
    warn "to stderr\n";
} elsif ($mode eq 'alarm') {
    my $r = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 1;
        sleep 15;
        alarm 0;
        1;
    };
    print $r ? "no alarm\n" : "caught $@";
}
