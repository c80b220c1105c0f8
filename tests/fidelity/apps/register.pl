#!/usr/bin/perl -w
# register.pl: registration for a small conference, written in CGI.pm's
# function-oriented style.  Three steps (form, preview, confirm) carry the
# visitor's answers in sticky form fields and hidden fields; a form with
# mistakes comes back with the values as typed and the errors marked.
# The organisers' view (step=list) shows what has been registered.

use strict;
use CGI qw(:standard);
use FindBin;
use lib "$FindBin::Bin/lib";
use Fidelity::Store;

use vars qw($VERSION %TRACKS @WORKSHOPS %PRICE);
$VERSION = '2.3';

%TRACKS = (
    web  => 'Web development',
    ops  => 'Operations',
    perl => 'Perl internals',
    sec  => 'Security',
);
@WORKSHOPS = qw(cgi-tuning mod_perl testing regex-golf);
%PRICE = (student => 50, regular => 200, sponsor => 1000);

my $store = Fidelity::Store->new('registrations');
my $step = param('step') || 'form';
$step = 'form' unless $step =~ /^(?:form|preview|confirm|list|debug)$/;

# Old code that builds a hash straight from param() calls: CGI.pm warns
# (once) that param is called in list context.
my %reg = (
    name     => param('name'),
    email    => param('email'),
    track    => param('track'),
);
$reg{$_} = '' for grep { !defined $reg{$_} } keys %reg;
my @picked = param('workshops');
my $ticket = param('ticket') || 'regular';

if ($step eq 'preview' || $step eq 'confirm') {
    my @errors = check(\%reg, $ticket);
    if (@errors) {
        show_form(@errors);
    } elsif ($step eq 'preview') {
        preview();
    } else {
        confirm();
    }
} elsif ($step eq 'list') {
    list_registrations();
} elsif ($step eq 'debug') {
    print header('text/plain');
    print "params: ", join(',', param()), "\n";
    print "url: ", url(), "\n";
    print "relative: ", url(-relative => 1), "\n";
    print "absolute: ", url(-absolute => 1), "\n";
    print "with path: ", url(-path_info => 1), "\n";
    print "with query: ", url(-query => 1), "\n";
    print "self_url: ", self_url(), "\n";
    print "query_string: ", query_string(), "\n";
    print "path_info: ", path_info(), "\n";
    print "method: ", request_method(), "\n";
    print "server: ", server_name(), ':', server_port(), "\n";
    print "vhost: ", virtual_host(), "\n";
    print "agent: ", (user_agent() || ''), "\n";
    print "referer: ", (referer() || '(none)'), "\n";
    print "remote: ", remote_host(), "\n";
    print "https: ", (https() ? 'on' : 'off'), "\n";
    print Dump();
} else {
    show_form();
}
exit 0;

sub check {
    my ($r, $ticket) = @_;
    my @e;
    push @e, 'Please tell us your name.' unless length $r->{name};
    push @e, 'That does not look like an e-mail address.'
        unless $r->{email} =~ /^[^@\s]+@[^@\s]+\.\w+$/;
    push @e, 'Pick a track.' unless exists $TRACKS{ $r->{track} };
    push @e, 'Unknown ticket type.' unless exists $PRICE{$ticket};
    push @e, 'At most three workshops, please.' if @picked > 3;
    return @e;
}

sub page_start {
    my ($title) = @_;
    return header(-type => 'text/html', -charset => 'utf-8'),
        start_html(-title => "PerlConf: $title",
            -meta => { generator => "register.pl $VERSION" },
            -style => { -code => 'body { font-family: sans-serif }' }),
        h1($title);
}

sub show_form {
    my @errors = @_;
    print page_start('Registration');
    if (@errors) {
        print div({ -class => 'errors' },
            p('Please correct the following:'), ul(li(\@errors)));
    }
    print start_form(-method => 'POST', -action => url(-relative => 1)),
        table(
            Tr(td('Name'), td(textfield(-name => 'name', -size => 40,
                -maxlength => 80))),
            Tr(td('E-mail'), td(textfield(-name => 'email', -size => 40))),
            Tr(td('Track'), td(popup_menu(-name => 'track',
                -values => [sort keys %TRACKS], -labels => \%TRACKS,
                -default => 'web'))),
            Tr(td('Workshops'), td(checkbox_group(-name => 'workshops',
                -values => \@WORKSHOPS, -columns => 2))),
            Tr(td('Ticket'), td(radio_group(-name => 'ticket',
                -values => [qw(student regular sponsor)],
                -default => 'regular',
                -labels => { map { $_ => "$_ (\$$PRICE{$_})" } keys %PRICE }))),
            Tr(td(''), td(checkbox(-name => 'newsletter',
                -label => 'Send me the newsletter'))),
            Tr(td('Comments'), td(textarea(-name => 'comments', -rows => 4,
                -columns => 50))),
        ),
        hidden(-name => 'step', -default => 'preview', -override => 1),
        submit(-name => 'go', -value => 'Preview'), ' ', reset('Clear'),
        end_form;
    print p(a({ -href => url(-relative => 1) . '?step=list' },
        'Who is coming?'));
    print end_html, "\n";
}

sub preview {
    my $price = $PRICE{$ticket} + 25 * @picked;
    print page_start('Please check your registration');
    print table({ -border => 1 },
        Tr(th('Name'), td(escapeHTML($reg{name}))),
        Tr(th('E-mail'), td(escapeHTML($reg{email}))),
        Tr(th('Track'), td($TRACKS{ $reg{track} })),
        Tr(th('Workshops'), td(@picked ? join(', ', @picked) : 'none')),
        Tr(th('Ticket'), td($ticket)),
        Tr(th('Newsletter'), td(param('newsletter') ? 'yes' : 'no')),
        Tr(th('Total'), td("\$$price")),
    );
    # The hidden fields are sticky: they carry what was typed.
    print start_form(-method => 'POST'),
        hidden('name'), hidden('email'), hidden('track'),
        hidden('workshops'), hidden('ticket'), hidden('newsletter'),
        hidden('comments'),
        hidden(-name => 'step', -default => 'confirm', -override => 1),
        submit(-name => 'go', -value => 'Confirm'),
        end_form;
    # Going back to the form keeps everything in the query string.
    param(-name => 'step', -value => 'form');
    print p(a({ -href => self_url() }, 'Change something'));
    print end_html, "\n";
}

sub confirm {
    my $n = $store->add($reg{name}, $reg{email}, $reg{track},
        join(' ', @picked), $ticket, param('comments'));
    print page_start('Thank you');
    print p("You are attendee number $n."),
        p('A confirmation was sent to ', tt(escapeHTML($reg{email})), '.');
    Delete('name');
    print p('Register someone else:'),
        start_form(-method => 'POST'),
        textfield(-name => 'name'),
        hidden(-name => 'step', -default => 'preview', -override => 1),
        submit('Next'), end_form;
    print end_html, "\n";
}

sub list_registrations {
    my @rows = $store->all;
    my $track = param('track');
    @rows = grep { $_->[3] eq $track } @rows if $track;
    print page_start('Who is coming');
    unless (@rows) {
        print p('Nobody yet.'), end_html, "\n";
        return;
    }
    my %per;
    $per{ $_->[3] }++ for @rows;
    print table({ -border => 1 },
        Tr(th([qw(# Name Track Workshops Ticket)])),
        map { Tr(td([$_->[0], escapeHTML($_->[1]), $TRACKS{ $_->[3] } || '?',
            $_->[4] || '-', $_->[5]])) } @rows);
    print p(join '; ', map { "$TRACKS{$_}: $per{$_}" } sort keys %per);
    print p(a({ -href => url(-relative => 1, -query => 1) }, 'Reload'));
    print end_html, "\n";
}
