#!/usr/bin/perl
# hostile_env.pl [--child] [ARG ...]: what a script sees of an untrusted
# environment and argument list, as digests (the values may be megabytes):
#	nenv=N env=MD5		%ENV: every name and value, with lengths
#	nargs=N args=MD5	@ARGV, with lengths
#	qs=LENGTH		of $ENV{QUERY_STRING} (or "undef")
#	child=MD5		(with --child) the environment a child
#				process gets: its NAME=value entries, sorted
#	child_other=N		(with --child) and how many other entries
#				(no "=", an empty name) it gets
use strict;
use Digest::MD5 ();

my $child = @ARGV && $ARGV[0] eq '--child' ? shift : 0;
my $e = Digest::MD5->new;
for my $k (sort keys %ENV) {
	$e->add(length($k), ':', $k, '=', length($ENV{$k}), ':', $ENV{$k}, "\n");
}
my $a = Digest::MD5->new;
$a->add(length($_), ':', $_, "\n") for @ARGV;
my $q = $ENV{QUERY_STRING};
print 'nenv=', scalar(keys %ENV), ' env=', $e->hexdigest, "\n";
print 'nargs=', scalar(@ARGV), ' args=', $a->hexdigest, "\n";
print 'qs=', defined $q ? length($q) : 'undef', "\n";
if ($child) {
	my $env = `env -0`;
	die "env: status $?\n" if $?;
	my @all = split /\0/, $env;
	my @good = grep { /^[^=]/ && /=/ } @all;
	print 'child=', Digest::MD5::md5_hex(join "\0", sort @good), "\n";
	print 'child_other=', @all - @good, "\n";
}
