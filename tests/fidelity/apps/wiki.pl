#!/usr/bin/perl
# wiki.pl: a tiny wiki whose page templates live after __DATA__ in the
# script itself.  The templates are parsed from DATA on each request;
# some requests stop reading early (a page needs only the first
# templates), some read DATA as a whole with $/ undefined, and the raw
# view shows where DATA started, as older scripts do to re-read
# themselves.

use strict;
use warnings;
use CGI ();
use FindBin;
use lib "$FindBin::Bin/lib";
use Fidelity::Template;
use Fidelity::Store;

my $q = CGI->new;
my $pages = Fidelity::Store->new('wiki');
my $view = $q->param('view') || 'page';
my $name = $q->param('page') || 'HomePage';
$name = 'HomePage' unless $name =~ /^[A-Z]\w+$/;
my $engine = Fidelity::Template->new;

if ($view eq 'raw') {
    # The whole template section, read in one go.
    local $/;
    my $start = tell DATA;
    my $all = <DATA>;
    print $q->header('text/plain'), "DATA starts at $start\n", $all;
    exit 0;
}
if ($view eq 'count') {
    # Paragraph mode: one template per record.
    local $/ = '';
    my $n = () = <DATA>;
    print $q->header('text/plain'), "$n paragraphs\n";
    exit 0;
}

# Read templates up to the one we need and stop: most pages never
# look at the later ones.
my $wanted = $view eq 'edit' ? 'edit' : 'page';
my (%t, $cur);
while (my $line = <DATA>) {
    if ($line =~ /^==\s*(\w+)\s*==$/) {
        last if $cur && $cur eq $wanted;
        $cur = $1;
        next;
    }
    $t{$cur} .= $line if $cur;
}
for my $k (keys %t) {
    $engine->add($k, $t{$k});
}

if ($view eq 'save' && $q->request_method eq 'POST') {
    my $text = $q->param('text');
    $text = '' unless defined $text;
    $pages->add($name, $text);
    print $q->redirect(-uri => "?page=$name", -status => 303);
    exit 0;
}

my $text;
for my $row ($pages->all) {
    $text = $row->[2] if $row->[1] eq $name;
}
my %vars = (
    title   => $name,
    name    => $name,
    text    => defined $text ? render_wiki($text) : '',
    missing => !defined $text,
    url     => $q->url(-relative => 1),
    who     => $ENV{REMOTE_USER},
    version => $Fidelity::Template::VERSION,
);
print $q->header(-type => 'text/html', -charset => 'utf-8'),
    $engine->render('header', \%vars),
    $engine->render($wanted, \%vars),
    $engine->render('footer', \%vars);
print "<!-- templates: ", join(',', $engine->names), " -->\n";

sub render_wiki {
    my ($src) = @_;
    my $html = Fidelity::Template::escape($src);
    $html =~ s{\b([A-Z][a-z]+[A-Z]\w*)\b}{<a href="?page=$1">$1</a>}g;
    $html =~ s{'''(.+?)'''}{<b>$1</b>}g;
    $html =~ s{''(.+?)''}{<i>$1</i>}g;
    return join "\n", map { "<p>$_</p>" } split /\s*\|\s*/, $html;
}

__DATA__
== page ==
<h1>[% title %]</h1>
[% IF missing %]<p>This page does not exist yet. <a href="[% url %]?view=edit;page=[% name %]">Create it</a>.</p>[% END %]
[% text | raw %]
<p><a href="[% url %]?view=edit;page=[% name %]">Edit</a></p>

== edit ==
<h1>Editing [% title %]</h1>
<form method="post" action="[% url %]?view=save;page=[% name %]">
<textarea name="text" rows="10" cols="60"></textarea>
<input type="submit" value="Save">
</form>

== unused ==
<p>This template is never needed.</p>
