#!/usr/bin/perl
# getopt/setopt: names are case-insensitive, setopt returns the old value.
use CGI::SpeedyCGI;
my $sp = CGI::SpeedyCGI->new;
sub show { defined $_[0] ? $_[0] : 'undef' }
print "get=", join(',', map { show($sp->getopt($_)) }
    qw(timeout TIMEOUT Timeout tImEoUt)), "\n";
print "old=", show($sp->setopt('maxruns', 7)), "\n";
print "now=", show($sp->getopt('MAXRUNS')), "\n";
print "old2=", show($sp->setopt('MaxRuns', 9)), "\n";
print "now2=", show($sp->getopt('maxRuns')), "\n";
print "unknown=", show($sp->getopt('NoSuchOption')), "\n";
my $ok = eval { $sp->setopt('Timeout', 'soon'); 1 };
print "bad=", ($ok ? 'accepted' : 'died'), "\n";
print "after=", show($sp->getopt('timeout')), "\n";
