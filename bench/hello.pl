#!/usr/bin/perl
# hello.pl: the hello-world case.  The same response as bench/trivial.c.
print "Content-Type: text/plain\n\nhello, world\n";
