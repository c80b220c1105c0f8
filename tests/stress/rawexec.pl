#!/usr/bin/perl
# rawexec.pl ENVFILE PROGRAM [ARG ...]: execve(2)s PROGRAM with ARGs and
# exactly the environment entries in ENVFILE (separated by NUL bytes),
# which need not be NAME=value: entries without "=", with an empty name,
# names given twice, any bytes but NUL; what a web server could hand
# over, and what a shell cannot set.  Perl's own exec builds the
# environment from %ENV, so execve is called through syscall(2).  Exits
# 2 on a perl without syscall.ph, 127 if execve fails (with the reason).
use strict;
use warnings;

my ($envfile, $prog, @args) = @ARGV;
die "usage: rawexec.pl ENVFILE PROGRAM [ARG ...]\n" unless defined $prog;
unless (eval { require 'syscall.ph'; 1 }) {
	print STDERR "rawexec.pl: needs syscall.ph\n";
	exit 2;
}
open my $fh, '<', $envfile or die "rawexec.pl: $envfile: $!\n";
binmode $fh;
my @env = do { local $/ = "\0"; map { chomp; $_ } <$fh> };
close $fh;
my @argv = ($prog, @args);
# NULL-terminated arrays of pointers to the strings, which stay alive in
# @argv and @env until execve.
my $argvp = pack('p' x @argv, @argv) . pack('J', 0);
my $envp = pack('p' x @env, @env) . pack('J', 0);
syscall(&SYS_execve, $prog, $argvp, $envp);
print STDERR "rawexec.pl: $prog: $!\n";
exit 127;
