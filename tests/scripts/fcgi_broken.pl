#!/usr/bin/perl
# Does not compile: the request must fail with a server error, and perl's
# message must reach the web server's error log.
use strict;
print "Content-Type: text/plain\r\n\r\n";
print "never\n";
$undeclared_fcgi_variable = 1;
