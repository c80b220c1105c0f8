#!/usr/bin/perl -w
# orders.pl: order entry for a small shop, written the way CGI::Carp's
# manual recommends: fatal errors become an error page for the browser,
# warnings are gathered and shown as HTML comments, and the warnings
# that do not reach the page go to a log file (carpout, from a BEGIN
# block so that compile-time warnings are logged too).

use strict;
use CGI qw(:standard);
use CGI::Carp qw(fatalsToBrowser warningsToBrowser set_message carpout);

BEGIN {
    my $log = "$ENV{FIDELITY_DATA}/orders.log";
    open(LOG, '>>', $log) or die "cannot append to $log: $!\n";
    carpout(\*LOG);
}

my %CATALOG = (
    A100 => ['Widget', 250],
    B200 => ['Gadget', 1999],
    C300 => ['Gizmo', 75],
);

set_message(\&custom_error) if param('custom');

my $action = param('action') || 'form';
print header(-type => 'text/html', -charset => 'utf-8')
    unless $action eq 'explode-early';
warningsToBrowser(1) if param('show_warnings');

if ($action eq 'order') {
    place_order();
} elsif ($action eq 'explode-early') {
    # Dies before any header was printed.
    Shop::Pricing::price_of('NOPE', 1);
} elsif ($action eq 'undef-method') {
    my $obj;
    print p('about to fail');
    $obj->total;
} elsif ($action eq 'trapped') {
    my $ok = eval { Shop::Pricing::price_of('ZZZZ', 1); 1 };
    my $err = $@;
    print p('trapped: ', escapeHTML($err)) unless $ok;
    warn "after the trapped error\n";
} elsif ($action eq 'cluck') {
    Shop::Pricing::audit('cluck');
} elsif ($action eq 'confess') {
    Shop::Pricing::audit('confess');
} else {
    print start_html('Order form'), h1('Order'),
        start_form, popup_menu(-name => 'sku', -values => [sort keys %CATALOG]),
        textfield(-name => 'qty', -default => 1), hidden('action', 'order'),
        submit('Order'), end_form;
}
print end_html, "\n" unless $action =~ /^(?:undef-method|explode-early)$/;
warningsToBrowser(1);
exit 0;

sub place_order {
    my $sku = param('sku');
    my $qty = param('qty');
    warn "order without a quantity\n" unless defined $qty && length $qty;
    $qty = 1 unless defined $qty && $qty =~ /^\d+$/;
    my $cents = Shop::Pricing::price_of($sku, $qty);
    my $unused;
    my $note = "note: " . $unused if param('sloppy');   # an undef warning
    print start_html("Order for $sku"), h1('Thank you'),
        p(sprintf 'You ordered %d x %s for $%.2f.', $qty, $CATALOG{$sku}[0],
            $cents / 100);
    carp "big order: $qty x $sku" if $qty > 100;
}

sub custom_error {
    my ($msg) = @_;
    print h1('Sorry'), p('The shop is having trouble: ', tt($msg));
}

package Shop::Pricing;

use Carp qw(croak cluck confess);

sub price_of {
    my ($sku, $qty) = @_;
    croak "unknown article '$sku'" unless exists $CATALOG{$sku};
    return $CATALOG{$sku}[1] * $qty;
}

sub audit {
    my ($how) = @_;
    return inner($how);
}

sub inner {
    my ($how) = @_;
    cluck "audit trail requested" if $how eq 'cluck';
    confess "audit failed" if $how eq 'confess';
}
