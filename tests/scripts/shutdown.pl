#!/usr/bin/perl
# shutdown_next_time: this backend exits after the request.
use CGI::SpeedyCGI;
our $n;
$n++;
CGI::SpeedyCGI->new->shutdown_next_time if @ARGV;
print "n=$n pid=$$\n";
