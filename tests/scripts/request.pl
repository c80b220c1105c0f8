#!/usr/bin/perl
# Prints what a request sees of its own: $0, @ARGV, %ENV (T_*), the
# working directory, and the environment a child process gets.  Then
# changes all of them, which must not leak into the next request.
use Cwd ();
print "0=$0\n";
print "argv=", join('', map "[$_]", @ARGV), "\n";
print "env=", join(' ', map "$_=$ENV{$_}", sort grep /^T_/, keys %ENV), "\n";
print "cwd=", Cwd::getcwd(), "\n";
my $child = `sh -c 'echo "\$T_A"'`;
print "child=$child";
my $f;
print "here=", scalar <$f> if open $f, '<', 'here.txt';
$ENV{T_LEAK} = 'leaked';
delete $ENV{T_A};
@ARGV = ('leaked');
$0 = 'leaked';
chdir '/';
