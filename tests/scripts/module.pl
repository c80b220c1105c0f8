#!/usr/bin/perl
# CGI::SpeedyCGI's view of where it runs, also at compile time.
our $in_begin;
BEGIN {
    require CGI::SpeedyCGI;
    $in_begin = (CGI::SpeedyCGI->i_am_speedy ? 1 : 0)
        . ($CGI::SpeedyCGI::i_am_speedy ? 1 : 0);
}
use CGI::SpeedyCGI;
my $sp = CGI::SpeedyCGI->new;
print "ref=", ref($sp), "\n";
print "begin=$in_begin\n";
print "method=", ($sp->i_am_speedy ? 1 : 0), "\n";
print "class=", (CGI::SpeedyCGI->i_am_speedy ? 1 : 0), "\n";
print "var=", ($CGI::SpeedyCGI::i_am_speedy ? 1 : 0), "\n";
