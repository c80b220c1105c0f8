#!/usr/bin/perl -w
# feed.pl: an Atom feed of the latest news, run as an NPH script (it
# sends the status line itself) with ";"-separated links and CGI.pm's
# offline debugging switched off, all chosen on the "use CGI" line.

use strict;
use CGI qw(-nph -newstyle_urls -no_debug -xhtml);

my @NEWS = (
    ['2024-05-01', 'Release 2.0', 'Faster than ever.'],
    ['2024-03-12', 'Security fix', 'Please upgrade.'],
    ['2023-12-24', 'Holiday hours', 'We are closed & happy.'],
    ['2023-10-01', 'Welcome', 'The new <site> is up.'],
);

my $q = CGI->new;
my $max = $q->param('max');
$max = 2 unless defined $max && $max =~ /^\d+$/ && $max > 0;
my $fmt = $q->param('format') || 'atom';

if ($fmt eq 'atom') {
    print $q->header(-type => 'application/atom+xml', -charset => 'utf-8');
    my $self = $q->url(-query => 1);
    print qq{<?xml version="1.0" encoding="utf-8"?>\n},
        qq{<feed xmlns="http://www.w3.org/2005/Atom">\n},
        qq{<title>News</title>\n<link rel="self" href="},
        $q->escapeHTML($self), qq{"/>\n};
    for my $n (@NEWS[0 .. ($max > @NEWS ? $#NEWS : $max - 1)]) {
        my $link = CGI->new({ item => $n->[0], format => 'html' });
        print "<entry><updated>$n->[0]T00:00:00Z</updated>",
            '<title>', $q->escapeHTML($n->[1]), '</title>',
            '<link href="', $q->escapeHTML($q->url . '?' . $link->query_string),
            '"/><summary>', $q->escapeHTML($n->[2]), "</summary></entry>\n";
    }
    print "</feed>\n";
} else {
    my $item = $q->param('item') || '';
    my ($n) = grep { $_->[0] eq $item } @NEWS;
    print $q->header(-status => $n ? '200 OK' : '404 Not Found'),
        $q->start_html('News'),
        ($n ? ($q->h1($q->escapeHTML($n->[1])), $q->p($q->escapeHTML($n->[2])))
            : $q->p('No such item.')),
        $q->end_html, "\n";
}
