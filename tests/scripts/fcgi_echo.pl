#!/usr/bin/perl
# Reads the request body (exactly CONTENT_LENGTH bytes, as a CGI script
# must) and sends it back unchanged, with its length and MD5 in headers.
use strict;
use warnings;
use Digest::MD5 ();

binmode STDIN;
binmode STDOUT;
my $want = $ENV{CONTENT_LENGTH} || 0;
my $body = '';
while (length($body) < $want) {
	my $n = read STDIN, $body, $want - length($body), length($body);
	die "fcgi_echo: read: $!\n" unless defined $n;
	last if $n == 0;
}
print "Content-Type: application/octet-stream\r\n";
print "Content-Length: ", length($body), "\r\n";
print "X-Body-Length: ", length($body), "\r\n";
print "X-Body-MD5: ", Digest::MD5::md5_hex($body), "\r\n\r\n";
print $body;
