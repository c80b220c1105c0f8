#!/usr/bin/perl
# modules.pl: the module-heavy case.  Loading these modules is most of what
# a plain perl run of this script costs; a persistent backend loads them
# once.  Each is then used for a little real work per request.  The output
# is deterministic so that bench/run can check speedy's against perl's.
use strict;
use warnings;
use POSIX ();
use Data::Dumper ();
use Storable ();
use Encode ();
use JSON::PP ();
use Getopt::Long ();

my %data = (name => 'speedy', list => [1 .. 5], nested => { a => 1, b => [qw(x y)] });

# POSIX: math and time formatting.
my $n = POSIX::floor(7.9) + POSIX::ceil(0.1) + POSIX::fmod(10, 3);
my $date = POSIX::strftime('%Y-%m-%d %H:%M:%S', gmtime(86400 * 365));

# Data::Dumper: a stable one-line dump.
my $dump = Data::Dumper->new([\%data])->Sortkeys(1)->Indent(0)->Terse(1)->Dump;

# Storable: a deep copy through freeze/thaw.
my $clone = Storable::thaw(Storable::freeze(\%data));
push @{ $clone->{list} }, 6;

# Encode: UTF-8 round trip.
my $bytes = Encode::encode('UTF-8', "caf\x{e9} \x{263a}");
my $chars = Encode::decode('UTF-8', $bytes);

# JSON::PP: canonical encode and decode.
my $json = JSON::PP->new->canonical(1)->encode($clone);
my $back = JSON::PP::decode_json($json);

# Getopt::Long: parse a fixed argument list.
my @args = ('--name', 'world', '--count=3', '--verbose', 'rest');
my %o = (verbose => 0);
Getopt::Long::GetOptionsFromArray(\@args, \%o, 'name=s', 'count=i',
    'verbose!') or die "bad options\n";

print "Content-Type: text/plain\n\n";
print "posix: $n $date\n";
print "dumper: $dump\n";
print "storable: ", scalar @{ $clone->{list} }, " vs ", scalar @{ $data{list} }, "\n";
print "encode: ", length($bytes), " bytes, ", length($chars), " chars\n";
print "json: $json (", scalar @{ $back->{list} }, " items)\n";
print "getopt: name=$o{name} count=$o{count} verbose=$o{verbose} rest=@args\n";
