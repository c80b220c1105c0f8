#!/usr/bin/speedy -w -- -t60
# A CGI script that shows it runs persistently: the interpreter (its pid),
# the compile-once globals and the time of compilation survive between
# requests, while %ENV, @ARGV and STDIN/STDOUT are fresh for each.
use strict;
use CGI::SpeedyCGI;

our ($compiled, $count);
BEGIN { $compiled = time }
$count++;

my $sp = CGI::SpeedyCGI->new;
print "Content-Type: text/plain\r\n\r\n";
printf "request %d served by perl interpreter %d (%s), compiled %ds ago\n",
    $count, $$, $sp->i_am_speedy ? "persistent, speedy" : "plain perl",
    time - $compiled;
printf "QUERY_STRING=%s\n", $ENV{QUERY_STRING} // '';
