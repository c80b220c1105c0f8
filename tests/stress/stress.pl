#!/usr/bin/perl
# stress.pl SEED [SLEEP_MS]: the script tests/stress/chaos.sh runs under
# speedy (and once per seed under plain perl, for the expected output).
#
# Sleeps SLEEP_MS milliseconds (half before reading the request body, half
# halfway through the output), reads all of STDIN, then prints one line
#	seed=SEED out=N in=LENGTH inmd5=MD5-OF-STDIN
# and N pseudo-random bytes (0 to 1 MB), N and the bytes depending on SEED
# only, in 4 KB prints (so that a kill can land in the middle).  Each 4 KB
# chunk starts with the seed and its own number: output of another request,
# or a chunk out of place, cannot look right.
use strict;
use Digest::MD5 ();

my ($seed, $ms) = @ARGV;
die "usage: stress.pl SEED [SLEEP_MS]\n" unless defined $seed && $seed =~ /^\d+$/;
$ms ||= 0;
binmode STDIN;
binmode STDOUT;
select(undef, undef, undef, $ms / 2000) if $ms;
my $in = do { local $/; <STDIN> };
$in = '' unless defined $in;

srand($seed);
my $n = $seed % 16 == 0 ? 0 : $seed % 16 == 1 ? 1048576 :
    int(2 ** (rand() * 20));
my $block = pack 'N*', map { int(rand(4294967296)) } 1 .. 1024;
print "seed=$seed out=$n in=", length($in), " inmd5=",
    Digest::MD5::md5_hex($in), "\n";
my ($done, $k, $slept) = (0, 0, 0);
while ($done < $n) {
	if (!$slept && $ms && $done >= $n / 2) {
		select(undef, undef, undef, $ms / 2000);
		$slept = 1;
	}
	my $r = ($k * 13) % 4096;
	my $chunk = sprintf('<%u:%u>', $seed, $k) .
	    substr($block . $block, $r, 4096);
	$chunk = substr($chunk, 0, 4096);
	$chunk = substr($chunk, 0, $n - $done) if $n - $done < 4096;
	print $chunk;
	$done += length $chunk;
	$k++;
}
