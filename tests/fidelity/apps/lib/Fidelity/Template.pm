package Fidelity::Template;

# A minimal template engine with its stock templates after __DATA__.
# The templates are read from DATA the first time one is needed, not
# when the module is loaded: under plain perl every run reads them anew.
#
#     my $t = Fidelity::Template->new;
#     print $t->render('footer', { year => 2024 });
#
# Placeholders are [% name %] (HTML-escaped), [% name | raw %] and
# [% IF name %]...[% END %]; an application may add templates of its own
# with add().

use strict;
use warnings;

our $VERSION = '0.3';
my %stock;		# name => text, filled from DATA on first use
my $loaded = 0;

sub new {
    my ($class, %args) = @_;
    my $self = bless { extra => {}, escape => 1, %args }, $class;
    return $self;
}

sub _load_stock {
    return if $loaded++;
    my $name;
    while (my $line = <DATA>) {
        if ($line =~ /^\@\@\s*(\S+)/) {
            $name = $1;
            $stock{$name} = '';
            next;
        }
        $stock{$name} .= $line if defined $name;
    }
    return;
}

sub add {
    my ($self, $name, $text) = @_;
    $self->{extra}{$name} = $text;
    return $self;
}

sub names {
    my ($self) = @_;
    _load_stock();
    my %all = (%stock, %{ $self->{extra} });
    return sort keys %all;
}

sub escape {
    my ($s) = @_;
    $s = '' unless defined $s;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    return $s;
}

sub render {
    my ($self, $name, $vars) = @_;
    _load_stock();
    my $text = exists $self->{extra}{$name} ? $self->{extra}{$name}
        : $stock{$name};
    die "no template named '$name'\n" unless defined $text;
    $vars ||= {};
    $text =~ s{\[%\s*IF\s+(\w+)\s*%\](.*?)\[%\s*END\s*%\]}
              {$vars->{$1} ? $2 : ''}gse;
    $text =~ s{\[%\s*(\w+)\s*(\|\s*raw\s*)?%\]}
              {$2 ? (defined $vars->{$1} ? $vars->{$1} : '')
                  : escape($vars->{$1})}ge;
    return $text;
}

1;
__DATA__
@@ header
<!DOCTYPE html>
<html><head><title>[% title %]</title></head>
<body>
@@ footer
<hr><address>[% IF who %]Served for [% who %] by [% END %]Fidelity::Template [% version %]</address>
</body></html>
@@ error
<div class="error">[% message %]</div>
