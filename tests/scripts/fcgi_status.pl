#!/usr/bin/perl
# Answers with the status and headers that the query parameter "do" asks
# for (CGI.pm builds the headers), so that the tests can check what the web
# server makes of them; "die" and "warn" write to STDERR, which the web
# server logs.
use strict;
use warnings;
use CGI ();

my $q = CGI->new;
my $do = $q->param('do') || 'ok';
my $tag = $q->param('tag') || 'none';
if ($do eq 'notfound') {
	print $q->header(-status => '404 Not Found', -type => 'text/plain',
	    -X_Speedy_Test => 'notfound');
	print "no such thing\n";
} elsif ($do eq 'created') {
	print $q->header(-status => '201 Created', -type => 'text/plain',
	    -Location => 'http://example.invalid/new/1');
	print "made it\n";
} elsif ($do eq 'redirect') {
	print $q->redirect(-uri => 'http://example.invalid/target?x=1',
	    -status => '302 Found');
} elsif ($do eq 'custom') {
	print $q->header(-type => 'text/x-speedy', -X_Speedy_Test => 'custom',
	    -cookie => ['a=1; path=/', 'b=2; path=/']);
	print "custom\n";
} elsif ($do eq 'warn') {
	warn "fcgi_status warning tag=$tag\n";
	print $q->header(-type => 'text/plain');
	print "warned\n";
} elsif ($do eq 'die') {
	die "fcgi_status died tag=$tag\n";
} else {
	print $q->header(-type => 'text/plain');
	print "ok\n";
}
