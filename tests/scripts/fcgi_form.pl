#!/usr/bin/perl
# A CGI form handler (CGI.pm) for the web server tests: prints the request
# method, every form parameter, every uploaded file (name, size, MD5), the
# CGI variables the web server passed, and what the script itself sees
# ($0, the working directory), one "key=value" line each.
use strict;
use warnings;
use CGI ();
use Cwd ();
use Digest::MD5 ();

my $q = CGI->new;
print $q->header(-type => 'text/plain', -charset => 'utf-8');
print "method=", $q->request_method, "\n";
for my $name (sort $q->param) {
	my @values = $q->multi_param($name);
	for my $v (@values) {
		if (my $fh = $q->upload($name)) {
			binmode $fh;
			local $/;
			my $data = <$fh>;
			$data = '' unless defined $data;
			print "upload $name=$v size=", length($data), " md5=",
			    Digest::MD5::md5_hex($data), "\n";
		} else {
			print "param $name=$v\n";
		}
	}
}
for my $var (qw(GATEWAY_INTERFACE SERVER_SOFTWARE REQUEST_METHOD
    SCRIPT_NAME PATH_INFO QUERY_STRING CONTENT_TYPE CONTENT_LENGTH)) {
	print "$var=", (defined $ENV{$var} ? $ENV{$var} : '(unset)'), "\n";
}
print "cookie_len=", length($ENV{HTTP_COOKIE} || ''), "\n";
print "0=$0\n";
print "cwd=", Cwd::getcwd(), "\n";
print "pid=$$\n";
