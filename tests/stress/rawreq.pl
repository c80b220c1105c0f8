#!/usr/bin/perl
# rawreq.pl SOCKET SCRIPT [ARG ...]: a client of a backend's socket that
# does none of the frontend's checks, for tests of what a backend accepts.
#
# Connects to the Unix socket SOCKET (a <TmpBase>.<uid>/<pid>.sock) and
# sends one REQUEST of the wire protocol (src/common/proto.h) for SCRIPT
# (an absolute path) with ARGs, this process's environment, and its own
# stdin, stdout, stderr and working directory attached (SCM_RIGHTS), as
# speedy does.  Then waits (at most RAWREQ_WAIT seconds, default 10) for
# the reply and prints one line on stderr:
#	connect: MESSAGE	the connection failed (exit 3)
#	send: MESSAGE		sending failed (exit 4)
#	eof			the backend closed without replying (exit 5)
#	status KIND CODE	a STATUS reply (exit 0)
#	error MESSAGE		an ERROR reply (exit 0)
#	timeout			no reply in time (exit 6)
#	bad reply		anything else (exit 7)
# RAWREQ_BADLEN=N makes the header claim a body of N bytes (the real body
# follows all the same), RAWREQ_BADMAGIC=1 spoils the header's magic: a
# request the backend must refuse.  Perl has no sendmsg(2): it is called
# through syscall(2), with the structures of a 64-bit Linux (exit 2
# elsewhere).
use strict;
use warnings;
use Config;
use Fcntl qw(O_RDONLY O_DIRECTORY);
use Socket qw(AF_UNIX SOCK_STREAM pack_sockaddr_un);

my ($sockpath, $script, @args) = @ARGV;
die "usage: rawreq.pl SOCKET SCRIPT [ARG ...]\n" unless defined $script;
unless ($Config{ptrsize} == 8 && $^O eq 'linux' &&
    eval { require 'syscall.ph'; 1 }) {
	print STDERR "rawreq.pl: needs a 64-bit Linux perl with syscall.ph\n";
	exit 2;
}

sub done { print STDERR "$_[1]\n"; exit $_[0] }

socket(my $s, AF_UNIX, SOCK_STREAM, 0) or done(3, "connect: socket: $!");
connect($s, pack_sockaddr_un($sockpath)) or done(3, "connect: $!");
sysopen(my $cwd, '.', O_RDONLY | O_DIRECTORY) or done(4, "send: .: $!");

# struct proto_hdr { u32 magic; u16 version, type; u32 len, a, b; }, then
# the NUL-terminated strings.
my @env = map { "$_=$ENV{$_}" } sort keys %ENV;
my $body = join '', map { "$_\0" } $script, $script, @args, @env;
my $msg = pack('L S S L L L', $ENV{RAWREQ_BADMAGIC} ? 0x12345678 : 0x59445053,
    1, 1, $ENV{RAWREQ_BADLEN} // length($body), scalar(@args),
    scalar(@env)) . $body;
# struct iovec, struct cmsghdr with 4 descriptors, struct msghdr.
my $iov = pack('p J', $msg, length($msg));
my $cmsg = pack('J i i i4', 16 + 4 * 4, 1, 1, 0, 1, 2, fileno($cwd));
my $hdr = pack('J L x4 p J p J i x4', 0, 0, $iov, 1, $cmsg,
    length($cmsg), 0);
my $sent = syscall(&SYS_sendmsg, fileno($s), $hdr, 0x4000);	# MSG_NOSIGNAL
done(4, "send: $!") if $sent == -1;
while ($sent < length($msg)) {
	my $n = syswrite($s, $msg, length($msg) - $sent, $sent);
	done(4, "send: $!") unless defined $n;
	$sent += $n;
}

my $wait = $ENV{RAWREQ_WAIT} || 10;
my $reply = '';
local $SIG{ALRM} = sub { done(6, 'timeout') };
alarm $wait;
while (1) {
	my $n = sysread($s, $reply, 4096, length $reply);
	last if !$n;
	if (length($reply) >= 20) {
		my ($magic, $ver, $type, $len, $a, $b) =
		    unpack('L S S L L L', $reply);
		last if $type == 3 || length($reply) >= 20 + $len;
	}
}
alarm 0;
done(5, 'eof') if $reply eq '';
done(7, 'bad reply') if length($reply) < 20;
my ($magic, $ver, $type, $len, $a, $b) = unpack('L S S L L L', $reply);
done(7, 'bad reply') unless $magic == 0x59445053 && $ver == 1;
done(0, "status $a $b") if $type == 3;
done(0, 'error ' . substr($reply, 20, $len)) if $type == 4;
done(7, 'bad reply');
