#!/usr/bin/perl -w
# search.pl: a catalogue search that configures CGI.pm on its "use CGI"
# line: fields are not sticky (the form always comes back empty), the
# markup is HTML 4 rather than XHTML, parameters arrive decoded from
# UTF-8, generated links use "&" between parameters, valueless
# parameters are dropped, fields get tab indexes and a second header()
# call prints nothing.

use strict;
use CGI qw(:standard -nosticky -no_xhtml -utf8 -oldstyle_urls
    -private_tempfiles -no_undef_params -tabindex -unique_headers);

binmode STDOUT, ':encoding(UTF-8)';

my @BOOKS = (
    ['Programming Perl', 'Wall', 'en', 1991],
    ['Learning Perl', 'Schwartz', 'en', 1993],
    ['Perl Kochbuch', 'Christiansen', 'de', 1999],
    ["Perl pour l'impatient", 'Dupont', 'fr', 2004],
    ['Größere Perl-Programme', 'Müller', 'de', 2010],
    ['Mastering Regular Expressions', 'Friedl', 'en', 1997],
);

my $term = param('q');
my $lang = param('lang');
my @fields = param();

print header(-type => 'text/html', -charset => 'utf-8');
# A second header, from code that does not know the first was sent:
# -unique_headers makes it print nothing.
print header(-type => 'text/plain');
print start_html(-title => 'Catalogue search', -lang => 'en'),
    h1('Search'),
    start_form(-method => 'GET'),
    textfield(-name => 'q', -default => 'title or author'),
    popup_menu(-name => 'lang', -values => ['', qw(en de fr)],
        -labels => { '' => 'any language' }),
    checkbox(-name => 'newest', -label => 'newest first'),
    submit(-value => 'Find'),
    end_form;

print p('parameters: ', join(', ', map { escapeHTML($_) } @fields));
if (defined $term && length $term) {
    my $re = quotemeta $term;
    my @hits = grep { $_->[0] =~ /$re/i || $_->[1] =~ /$re/i } @BOOKS;
    @hits = grep { $_->[2] eq $lang } @hits if $lang;
    @hits = sort { $b->[3] <=> $a->[3] } @hits if param('newest');
    printf "<p>%d results for \x{201c}%s\x{201d} (%d characters)</p>\n",
        scalar @hits, escapeHTML($term), length $term;
    print ul(li([map { escapeHTML("$_->[0] ($_->[1], $_->[3])") } @hits]))
        if @hits;
    param(-name => 'page', -value => 2);
    print p(a({ -href => self_url() }, 'next page'));
    print p(a({ -href => url(-relative => 1, -query => 1) }, 'this search'));
}
print end_html, "\n";
