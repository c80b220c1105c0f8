#!/usr/bin/perl -w
# Named groups (see also pool_group_b.pl, identical but for its
# letter): which package and process run it, a sub whose name the other
# script uses too, shift and pop on @ARGV at file level, its own DATA,
# and exit $ENV{T_EXIT} if that is set.
use strict;
our $runs;
$runs++;
sub who { return 'a' }
my $first = shift;
my $last = pop;
my $data = join '', <DATA>;
$data =~ s/\n/|/g;
print "script=a who=", who(), " pkg=", __PACKAGE__, " pid=$$ runs=$runs\n";
print "first=", defined $first ? $first : 'undef',
    " last=", defined $last ? $last : 'undef', " rest=@ARGV\n";
print "data=$data\n";
exit $ENV{T_EXIT} if defined $ENV{T_EXIT};
print "end a\n";
__END__
data of a
second line of a
