#!/usr/bin/perl
# Prints the speedy options the running backend has (CGI::SpeedyCGI's
# getopt), whether -w is on, and the process id.
use CGI::SpeedyCGI;
my $sp = CGI::SpeedyCGI->new;
for my $o (qw(Timeout MaxRuns MaxBackends Group TmpBase BufsizGet BufsizPost)) {
    my $v = $sp->getopt($o);
    print "$o=", (defined $v ? $v : 'undef'), "\n";
}
print "w=", ($^W ? 1 : 0), "\n";
print "pid=$$\n";
print "ppid=", getppid(), "\n" if $ENV{T_PPID};
open my $f, '>>', $ENV{T_MARK} or die "$ENV{T_MARK}: $!\n" if $ENV{T_MARK};
