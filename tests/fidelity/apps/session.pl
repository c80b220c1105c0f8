#!/usr/bin/perl -w
# session.pl: log in, keep a session in a cookie, remember preferences in
# a second cookie, log out.  Every state change answers with a redirect
# that sets or expires cookies, as login pages do; pages that need a
# session send the visitor to the login page with a "next" parameter.

use strict;
use CGI qw(:standard);
use CGI::Cookie;
use Digest::MD5 qw(md5_hex);

my %USERS = (
    alice => 'wonderland',
    bob   => 'builder',
    carol => 'x' x 3,
);
my $SECRET = $ENV{SESSION_SECRET} || 'not so secret';
my $sessions = "$ENV{FIDELITY_DATA}/sessions";
mkdir $sessions unless -d $sessions;

my %cookies = CGI::Cookie->fetch;
my $user = current_user();
my $page = path_info() || '/';
$page =~ s{/+$}{};
$page = '/home' if $page eq '';

if ($page eq '/login') {
    login();
} elsif ($page eq '/logout') {
    logout();
} elsif ($page eq '/prefs') {
    prefs();
} elsif ($page eq '/cookies') {
    print header(-type => 'text/plain', -expires => 'now',
        -cache_control => 'no-store');
    print "raw: ", (raw_cookie() || '(none)'), "\n";
    for my $name (sort keys %cookies) {
        my $c = $cookies{$name};
        print "$name: ", join(',', $c->value), "\n";
    }
    my %p = cookie('prefs');
    print "prefs: ", join(',', map { "$_=$p{$_}" } sort keys %p), "\n";
} elsif (!$user) {
    my $next = url(-absolute => 1, -path_info => 1, -query => 1);
    print redirect(-uri => url(-base => 1) . url(-absolute => 1) .
        '/login?next=' . CGI::escape($next));
} else {
    home();
}
exit 0;

sub session_id {
    my ($name) = @_;
    return md5_hex("$name:$SECRET");
}

sub current_user {
    my $c = $cookies{sid} or return;
    my $sid = $c->value;
    return unless $sid =~ /^[0-9a-f]{32}$/ && -f "$sessions/$sid";
    open my $fh, '<', "$sessions/$sid" or return;
    chomp(my $name = <$fh> || '');
    close $fh;
    return $name if exists $USERS{$name} && session_id($name) eq $sid;
    return;
}

# The preferences travel as name&value pairs, in a fixed order.
sub prefs_cookie {
    my (%prefs) = @_;
    return cookie(-name => 'prefs',
        -value => [map { ($_, $prefs{$_}) } sort keys %prefs], -path => '/',
        -expires => '+1y');
}

sub login {
    my $next = param('next') || url(-absolute => 1) . '/home';
    $next = '/' if $next =~ m{^[a-z]+:|//};	# only local redirects
    if (request_method() eq 'POST') {
        my ($name, $pass) = (param('user'), param('password'));
        if (defined $name && exists $USERS{$name}
            && defined $pass && $pass eq $USERS{$name}) {
            my $sid = session_id($name);
            open my $fh, '>', "$sessions/$sid" or die "session: $!\n";
            print $fh "$name\n";
            close $fh;
            my @c = (cookie(-name => 'sid', -value => $sid, -path => '/',
                -httponly => 1,
                (param('remember') ? (-expires => '+30d') : ())));
            push @c, prefs_cookie(theme => 'light', lang => 'en')
                unless $cookies{prefs};
            print redirect(-uri => $next, -cookie => \@c, -status => 302);
            return;
        }
        print header(-status => '403 Forbidden', -expires => '-1d');
        print start_html('Login failed'),
            p('Wrong user name or password.'), login_form($next), end_html;
        return;
    }
    print header(-cache_control => 'no-cache'),
        start_html(-title => 'Login'), login_form($next), end_html;
}

sub login_form {
    my ($next) = @_;
    return start_form(-method => 'POST',
            -action => url(-absolute => 1) . '/login'),
        p('User: ', textfield('user')),
        p('Password: ', password_field(-name => 'password', -value => '',
            -override => 1)),
        p(checkbox(-name => 'remember', -label => 'Remember me')),
        hidden(-name => 'next', -default => $next),
        submit('Log in'), end_form;
}

sub logout {
    if ($user) {
        unlink "$sessions/" . session_id($user);
    }
    my $gone = cookie(-name => 'sid', -value => '', -path => '/',
        -expires => '-1d');
    print redirect(-uri => url(-absolute => 1) . '/login',
        -cookie => $gone, -status => '303 See Other');
}

sub prefs {
    unless ($user) {
        print redirect(url(-absolute => 1) . '/login?next=/prefs');
        return;
    }
    my %p = cookie('prefs');
    for my $k (qw(theme lang)) {
        my $v = param($k);
        $p{$k} = $v if defined $v && $v =~ /^\w{1,10}$/;
    }
    print header(-cookie => [prefs_cookie(%p)], -charset => 'utf-8'),
        start_html('Preferences'),
        p("Saved for $user: ", join(', ', map { "$_=$p{$_}" } sort keys %p)),
        end_html;
}

sub home {
    my %p = cookie('prefs');
    my $theme = $p{theme} || 'default';
    print header(-expires => '+10m'),
        start_html(-title => "Welcome $user",
            -class => "theme-$theme", -lang => $p{lang} || 'en'),
        h1("Hello, \u$user"),
        p("Your session: ", tt(substr(session_id($user), 0, 8))),
        p(a({ -href => url(-absolute => 1) . '/prefs?theme=dark' },
            'Dark theme'), ' | ',
          a({ -href => url(-absolute => 1) . '/logout' }, 'Log out')),
        end_html;
}
