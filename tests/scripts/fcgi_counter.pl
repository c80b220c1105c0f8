#!/usr/bin/perl
# Identifies the process and the compilation that serve each request:
# "id=ID pid=PID n=N gen=GEN", where N counts the requests this process has
# served and GEN is fixed when the script is compiled (a restart that
# compiles afresh shows another GEN).  With gate=G the request first
# writes its pid to started.G beside the script and waits (up to 60 s) for
# the file go.G there, so that a test can hold it busy; sleep=S makes it
# take S seconds.
use strict;
use warnings;
use File::Basename ();
use Time::HiRes ();

our ($n, $gen);
BEGIN { $gen = sprintf '%d-%.6f', $$, Time::HiRes::time() }
$n++;
my %q = map { split /=/, $_, 2 } grep /=/, split /&/, $ENV{QUERY_STRING} || '';
my $dir = File::Basename::dirname($0);
if (defined $q{gate} && $q{gate} =~ /^(\w+)$/) {
	my $g = $1;
	open my $f, '>', "$dir/started.$g.tmp" or die "started.$g: $!\n";
	print $f "$$\n";
	close $f or die "started.$g: $!\n";
	rename "$dir/started.$g.tmp", "$dir/started.$g" or die "started.$g: $!\n";
	for (1 .. 600) {
		last if -e "$dir/go.$g";
		Time::HiRes::sleep(0.1);
	}
}
Time::HiRes::sleep($q{sleep}) if defined $q{sleep} && $q{sleep} =~ /^[\d.]+$/;
print "Content-Type: text/plain\r\n\r\n";
print "id=", (defined $q{id} ? $q{id} : ''), " pid=$$ n=$n gen=$gen\n";
