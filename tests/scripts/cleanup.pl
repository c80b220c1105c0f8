#!/usr/bin/perl
# register_cleanup: handlers run after the script, in order, and what
# they print reaches the client.  An argument is the exit status.
use CGI::SpeedyCGI;
my $sp = CGI::SpeedyCGI->new;
$sp->register_cleanup(sub { print "cleanup one\n" });
$sp->register_cleanup(sub { print "cleanup two\n"; print STDERR "cleanup err\n" });
print "body\n";
exit $ARGV[0] if @ARGV;
print "end\n";
