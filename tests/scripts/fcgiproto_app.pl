#!/usr/bin/perl
# The application of the FastCGI protocol tests (tests/fcgi_proto.bats).
# The request's QUERY_STRING, "ACTION" or "ACTION=ARG", chooses what it
# does, so that one speedy-fcgi (or fcgiwrap, which runs it as a CGI
# script) serves every kind of request a test sends.  It always starts
# with a CGI header and a blank line (fcgiwrap refuses output without),
# so the tests look at what follows them.
use strict;
use warnings;
use Digest::MD5;

my ($action, $arg) = split /=/, ($ENV{QUERY_STRING} // ''), 2;
$action //= '';
$arg //= '';
binmode STDIN;
binmode STDOUT;
print "Content-Type: text/plain\n\n";

# The whole body: its length and digest.
sub body_digest {
	my $ctx = Digest::MD5->new;
	my ($n, $buf) = (0, '');
	while (my $r = sysread STDIN, $buf, 65536) {
		$n += $r;
		$ctx->add($buf);
	}
	return "len=$n\nmd5=" . $ctx->hexdigest . "\n";
}

if ($action eq 'env') {
	# The variables named by ARG (comma-separated), set or not.
	for my $name (split /,/, $arg) {
		print defined $ENV{$name} ? "$name=$ENV{$name}\n" : "$name unset\n";
	}
} elsif ($action eq 'envlen') {
	print "$arg length=", length($ENV{$arg} // ''), "\n";
} elsif ($action eq 'where') {
	require Cwd;
	print "cwd=", Cwd::getcwd(), "\n0=$0\nargs=", scalar(@ARGV), "\n";
} elsif ($action eq 'cat') {
	print body_digest();
} elsif ($action eq 'echo') {
	my $buf;
	print $buf while sysread STDIN, $buf, 4093;
} elsif ($action eq 'pid') {
	print "pid=$$\n";
} elsif ($action eq 'exit') {
	print "exiting $arg\n";
	exit $arg;
} elsif ($action eq 'die') {
	# With $! and $? zero, as perl says, die exits 255.
	print "dying\n";
	($!, $?) = (0, 0);
	die "boom\n";
} elsif ($action eq 'kill') {
	$| = 1;
	print "killing myself\n";
	kill $arg, $$;
	sleep 5;
	print "still alive\n";
} elsif ($action eq 'streams') {
	# ARG lines to each stream, alternately, unbuffered.
	select STDERR; $| = 1;
	select STDOUT; $| = 1;
	for my $i (1 .. $arg) {
		print STDOUT "out $i\n";
		print STDERR "err $i\n";
	}
	print "done\n";
} elsif ($action eq 'system') {
	# A child writes into the response between the script's own lines.
	$| = 1;
	print "before\n";
	system 'echo', 'from child';
	print STDERR "stderr before\n";
	system 'sh', '-c', 'echo stderr from child >&2';
	print "after\n";
} elsif ($action eq 'yes') {
	# Forever: only the reader going away ends it.
	my $line = 'y' x 99 . "\n";
	print $line while 1;
} elsif ($action eq 'trickle') {
	# A line every 50 ms for 40 s, longer than any client waits: a
	# request that ends sooner was ended from outside.  The first line
	# goes out with the header (setting $| flushes), so that a client
	# aborting at the first byte has seen the script run.
	for my $i (1 .. 800) {
		print "tick $i\n";
		$| = 1;
		select undef, undef, undef, 0.05;
	}
	print "finished\n";
} elsif ($action eq 'waitbody') {
	# Says it is ready (with the header, in one write), then reads the
	# body to its end.
	print "ready\n";
	$| = 1;
	print body_digest();
} elsif ($action eq 'mark') {
	# Leaves a file behind, to show the request ran.
	open my $fh, '>', $ENV{HTTP_X_MARK} or die "$ENV{HTTP_X_MARK}: $!\n";
	close $fh;
	print "marked\n";
} else {
	print "unknown action '$action'\n";
	exit 99;
}
