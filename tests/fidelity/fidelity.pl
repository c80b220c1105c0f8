#!/usr/bin/perl
# fidelity.pl: runs the corpus of CGI applications in tests/fidelity/apps
# through speedy and through plain perl, request by request, and compares
# what comes out byte for byte.
#
#	fidelity.pl --speedy PATH --work DIR [--requests N] [--seed N]
#	    [--only APP,...] [--max-diffs N] [--verbose]
#	fidelity.pl --speedy PATH --work DIR --bench N [--only APP,...]
#
# Every application gets a plan of --requests requests (query strings,
# GET and POST, url-encoded and multipart bodies, cookies, path info,
# arguments, extra environment); the plans are interleaved in an order
# drawn from --seed, as requests reach a web server.  Each request runs
# twice with the same CGI environment, standard input and directory: as
# "perl SCRIPT" and as "speedy SCRIPT" (with the application's files put
# back in between; speedy's run is the one the next request continues
# from, since its backends may hold those files open).  Standard output,
# standard error,
# the exit status and what the request did to the application's files
# (and to TMPDIR) must be the same.  Only what carries the current time
# is masked: the Date and Expires headers, cookie expiry dates and
# CGI::Carp's time stamps.  A response that sets cookies or redirects is
# followed as a browser would (cookie jar, Location), so a run is a
# conversation, not a list of unrelated hits.
#
# With --bench N it instead times N runs of each application's typical
# request each way (after one warm-up run) and prints the speed-up.
#
# Exit status: 0 if everything matched, 1 on any difference, 2 on a usage
# error, another one if the harness itself failed.

use strict;
use warnings;
use Cwd qw(abs_path);
use Digest::MD5 qw(md5_hex);
use Errno qw(EAGAIN EINTR);
use File::Basename qw(dirname);
use File::Find ();
use File::Path qw(make_path remove_tree);
use File::Spec;
use Getopt::Long qw(GetOptions);
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time);

my %opt = (requests => 40, seed => 1, 'max-diffs' => 8, bench => 0);
GetOptions(\%opt, 'speedy=s', 'work=s', 'requests=i', 'seed=i', 'only=s',
    'max-diffs=i', 'verbose', 'bench=i')
    && defined $opt{speedy} && defined $opt{work}
    or do {
        print STDERR "usage: fidelity.pl --speedy PATH --work DIR "
            . "[--requests N] [--seed N] [--only APP,...] [--max-diffs N] "
            . "[--verbose] [--bench N]\n";
        exit 2;
    };

# Descriptors inherited from the caller (bats keeps its own open) must
# not reach the programs we start: plain perl would pass them on to its
# children, the backend would not.
close_inherited();
$SIG{PIPE} = 'IGNORE';

my $SRC = dirname(abs_path($0)) . '/apps';
$opt{speedy} = File::Spec->rel2abs($opt{speedy}) if $opt{speedy} =~ m{/};
my $WORK = $opt{work};
remove_tree($WORK);
make_path("$WORK/data", "$WORK/tmp");
system('cp', '-R', $SRC, "$WORK/apps") == 0 or die "cannot copy $SRC\n";
$WORK = abs_path($WORK);
my $APPS = "$WORK/apps";
my $DATA = "$WORK/data";
my $TMP = "$WORK/tmp";
my $PERL = $^X;

# The applications and their plans.  A plan is a list of requests:
#	{ method, path, query, body, type, jar, env, argv, follow }
# (jar: send the cookies the application set; follow: a redirect to the
# same script is the application's next request).
my %PLAN = (
    'register.pl' => \&plan_register,
    'bugs.pl'     => \&plan_bugs,
    'session.pl'  => \&plan_session,
    'upload.pl'   => \&plan_upload,
    'report.pl'   => \&plan_report,
    'orders.pl'   => \&plan_orders,
    'wiki.pl'     => \&plan_wiki,
    'search.pl'   => \&plan_search,
    'feed.pl'     => \&plan_feed,
    'diag.pl'     => \&plan_diag,
);
my @apps = sort keys %PLAN;
if ($opt{only}) {
    my %want = map { $_ => 1 } split /,/, $opt{only};
    @apps = grep { $want{$_} || $want{ s/\.pl$//r } } @apps;
    die "fidelity.pl: no such application: $opt{only}\n" unless @apps;
}

my %queue;		# app => the requests still to run
my %jar;		# app => { cookie name => value }

# ------------------------------------------------------------------ plans

sub pick { return $_[int rand @_] }

sub urlencode {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return $s;
}

sub form {
    my @pairs = @_;
    my @out;
    while (my ($k, $v) = splice @pairs, 0, 2) {
        push @out, urlencode($k) . '=' . urlencode($v);
    }
    return join '&', @out;
}

sub post {
    my (%r) = @_;
    return { method => 'POST', type => 'application/x-www-form-urlencoded',
        %r };
}

# Multipart body from [name => value] and [name => {file, type, data}].
sub multipart {
    my @parts = @_;
    my $b = '----fidelity' . md5_hex(join ':', map { ref $_->[1]
        ? $_->[1]{file} : $_->[1] } @parts);
    my $body = '';
    for my $p (@parts) {
        my ($name, $v) = @$p;
        $body .= "--$b\r\n";
        if (ref $v) {
            $body .= qq{Content-Disposition: form-data; name="$name"; }
                . qq{filename="$v->{file}"\r\nContent-Type: $v->{type}\r\n\r\n}
                . $v->{data} . "\r\n";
        } else {
            $body .= qq{Content-Disposition: form-data; name="$name"\r\n\r\n}
                . "$v\r\n";
        }
    }
    $body .= "--$b--\r\n";
    return ($body, "multipart/form-data; boundary=$b");
}

sub bytes {
    my ($n, $seed) = @_;
    my $s = '';
    my $x = $seed;
    for (1 .. $n) {
        $x = ($x * 1103515245 + 12345) % 2147483648;
        $s .= chr(($x >> 16) & 255);
    }
    return $s;
}

# Draws n requests from the weighted generators (each returns a list).
sub draw {
    my ($n, @gen) = @_;
    my @out;
    while (@out < $n) {
        my $g = pick(@gen);
        push @out, $g->();
    }
    splice @out, $n;
    return @out;
}

my @PEOPLE = (
    ['Ada Lovelace', 'ada@example.org'],
    ['Linus <b>T</b>', 'linus@example.com'],
    ["Ren\xc3\xa9e O'Hara", 'renee@example.fr'],
    ['', 'nobody@example.org'],
    ['Bob & Alice', 'not-an-address'],
);

sub plan_register {
    my ($n) = @_;
    return draw($n,
        sub { { query => '' } },
        sub { { query => form(name => 'Pre Filled', track => 'ops',
            workshops => 'testing', workshops => 'mod_perl') } },
        sub {
            my $p = pick(@PEOPLE);
            post(body => form(name => $p->[0], email => $p->[1],
                track => pick(qw(web ops perl sec bogus)),
                (map { (workshops => $_) } grep { rand() < 0.5 }
                    qw(cgi-tuning mod_perl testing regex-golf)),
                ticket => pick(qw(student regular sponsor)),
                (rand() < 0.5 ? (newsletter => 'on') : ()),
                comments => "Looking forward\r\nto it!",
                step => pick(qw(preview preview confirm))));
        },
        sub { { query => 'step=list' . (rand() < 0.5 ? '&track=perl' : '') } },
        sub { { path => '/extra/path', query => 'step=debug&x=1&x=2&y=%C3%A9',
            env => { HTTP_REFERER => 'http://www.example.org/',
                HTTPS => pick('on', 'off') } } },
        sub { post(query => 'step=debug', body => form(a => 1, b => '')) },
    );
}

sub plan_bugs {
    my ($n) = @_;
    my @summaries = ('Crash on save', 'Typo in <title>', 'Slow search',
        "Unicode: na\xc3\xafve", 'Login loops', '');
    return draw($n,
        sub { { query => pick('', 'sort=severity', 'sort=summary',
            'severity=major', 'page=2', 'page=2&sort=severity',
            'page=x') , env => { BUGS_PER_PAGE => pick(2, 3, 10) } } },
        sub { post(query => 'action=new', follow => 1, body => form(
            summary => pick(@summaries),
            severity => pick(qw(blocker major minor trivial nope)),
            (map { (versions => $_) } grep { rand() < 0.4 }
                qw(1.0 1.1 2.0 trunk)),
            (map { (labels => $_) } grep { rand() < 0.3 }
                qw(ui backend docs security)),
            text => "Steps:\n1. open\n2. <click>\n")) },
        sub { { query => 'action=show&id=' . pick(1, 2, 3, 99, 'x') } },
        sub { post(query => 'action=comment;id=' . pick(1, 2), follow => 1,
            body => form(comment => pick('Me too', '', 'Fixed in <trunk>'))) },
        sub { { query => 'action=new' } },
        sub { { query => 'action=vars&a=1&a=2&b=', argv => [] } },
        sub { post(query => 'action=vars&from=query',
            body => form(a => 'x y', c => 3)) },
        sub { { query => 'hello+world', argv => [qw(hello world)] } },
    );
}

sub plan_session {
    my ($n) = @_;
    my $login = sub {
        my $u = pick(qw(alice bob carol mallory));
        my $pw = pick('right', 'right', 'wrong');
        my %pw = (alice => 'wonderland', bob => 'builder', carol => 'xxx');
        post(path => '/login', jar => 1, follow => 1,
            body => form(user => $u,
                password => $pw eq 'right' ? ($pw{$u} || '') : 'guess',
                (rand() < 0.5 ? (remember => 'on') : ()),
                next => pick('/cgi-bin/session.pl/home',
                    'http://evil.example/', '/cgi-bin/session.pl/prefs')));
    };
    return draw($n,
        sub { { path => pick('/home', '', '/'), jar => 1, follow => 1 } },
        sub { { path => '/login', query => 'next=%2Fcgi-bin%2Fsession.pl%2Fprefs',
            jar => 1 } },
        $login, $login,
        sub { { path => '/prefs', query => pick('theme=dark', 'lang=de',
            'theme=bad!value', ''), jar => 1, follow => 1 } },
        sub { { path => '/cookies', jar => 1 } },
        sub { { path => '/cookies',
            env => { HTTP_COOKIE => 'prefs=theme&blue&lang&fr; other=1' } } },
        sub { { path => '/logout', jar => 1, follow => 1 } },
    );
}

sub plan_upload {
    my ($n) = @_;
    my $text = join '', map { "line $_ of the report\n" } 1 .. 40;
    my $csv = "id,name\n1,alpha\n2,beta\n";
    my $png = "\x89PNG\r\n\x1a\n" . bytes(3000, 7);
    my $up = sub {
        my @parts = (['title', pick('Q1 report', "Re\xcc\x81sume\xcc\x81", '')]);
        push @parts, ['tags', $_] for grep { rand() < 0.4 }
            qw(invoice report photo misc);
        push @parts, ['doc', { file => pick('report.txt', 'C:\\docs\\r e.txt'),
            type => 'text/plain', data => $text }] if rand() < 0.8;
        push @parts, ['extra', { file => 'pic.png', type => 'image/png',
            data => $png }] if rand() < 0.6;
        push @parts, ['extra', { file => 'data.csv', type => 'text/csv',
            data => $csv }] if rand() < 0.5;
        push @parts, ['extra', { file => 'evil.html', type => 'text/html',
            data => '<script>' }] if rand() < 0.2;
        my ($body, $type) = multipart(@parts);
        my %env;
        $env{UPLOAD_MAX} = 2000 if rand() < 0.15;
        $env{UPLOADS_DISABLED} = 1 if rand() < 0.1;
        return { method => 'POST', body => $body, type => $type,
            env => \%env };
    };
    return draw($n,
        sub { { query => '' } },
        $up, $up, $up,
        sub { { query => 'get=' . pick('report.txt', 'pic.png', 'missing.txt',
            '../../etc/passwd') } },
    );
}

sub plan_report {
    my ($n) = @_;
    my $csv = join '', map { "$_,item $_\n" } 1 .. 20;
    return draw($n,
        sub { { query => 'mode=' . pick(qw(summary pipe system backticks fork
            stderr env missing)) . (rand() < 0.3 ? '&user=ops' : ''),
            env => { HTTP_COOKIE => 'k=v' } } },
        sub { { query => 'mode=pipe-to&n=' . pick(1, 4, 50) } },
        sub { { method => 'POST', query => 'mode=import', type => 'text/csv',
            body => pick($csv, "short\n", '') } },
    );
}

sub plan_orders {
    my ($n) = @_;
    return draw($n,
        sub { { query => '' } },
        sub { { query => form(action => 'order',
            sku => pick(qw(A100 B200 C300)), qty => pick(1, 2, 150, '', 'x'),
            (rand() < 0.3 ? (sloppy => 1) : ()),
            (rand() < 0.3 ? (show_warnings => 1) : ())) } },
        sub { { query => 'action=order&sku=ZZZ' .
            (rand() < 0.5 ? '&custom=1' : '') } },
        sub { { query => 'action=' . pick(qw(explode-early undef-method
            trapped cluck confess)) . (rand() < 0.3 ? '&show_warnings=1' : '') } },
    );
}

sub plan_wiki {
    my ($n) = @_;
    my @pages = qw(HomePage SandBox RecentChanges bad-name);
    return draw($n,
        sub { { query => 'page=' . pick(@pages) } },
        sub { { query => 'view=edit&page=' . pick(@pages) } },
        sub { post(query => 'view=save&page=' . pick(@pages), follow => 1,
            body => form(text => pick("Welcome to the ''wiki''. See SandBox. | "
                . "'''Bold''' claims & <tags>", 'Just text.', ''))) },
        sub { { query => 'view=' . pick(qw(raw count)) } },
    );
}

sub plan_search {
    my ($n) = @_;
    return draw($n,
        sub { { query => '' } },
        sub { { query => 'q=' . pick('perl', 'PERL', 'Gr%C3%B6%C3%9Fere',
            'M%C3%BCller', 'impatient', 'nothing', '%E2%98%BA') .
            (rand() < 0.5 ? '&lang=' . pick('', 'de', 'en') : '') .
            (rand() < 0.3 ? '&newest=on' : '') } },
        sub { { query => 'q&lang=&newest' } },
        sub { post(body => 'q=regular&lang=en') },
    );
}

sub plan_feed {
    my ($n) = @_;
    return draw($n,
        sub { { query => pick('', 'max=3', 'max=99', 'max=0', 'format=atom;max=1') } },
        sub { { query => 'format=html&item=' . pick('2024-05-01', '2023-10-01',
            '1999-01-01') } },
    );
}

sub plan_diag {
    my ($n) = @_;
    my @changes = qw(chdir umask flush utf8 crlf seps select warn env
        underscore eval name inc sig die exit=3 big);
    return draw($n,
        sub { { query => '' } },
        sub { { query => '' } },
        sub { { query => pick(@changes) } },
        sub { { query => join '&', map { pick(@changes) } 1 .. 3 } },
        sub { { query => '', env => { DIAG_MODE => 'verbose',
            DIAG_CONF => pick("$APPS/diag.conf", '/nonexistent.conf') } } },
        sub { { query => 'one+two', argv => [qw(one two)] } },
    );
}

# ---------------------------------------------------------------- running

# The CGI environment of a request, the same for both runs.
sub environment {
    my ($app, $req) = @_;
    my $path = $req->{path} // '';
    my $query = $req->{query} // '';
    my %env = (
        PATH => '/usr/local/bin:/usr/bin:/bin',
        GATEWAY_INTERFACE => 'CGI/1.1',
        SERVER_SOFTWARE => 'fidelity/1.0',
        SERVER_NAME => 'www.example.org',
        SERVER_PORT => 80,
        SERVER_ADDR => '192.0.2.1',
        SERVER_PROTOCOL => 'HTTP/1.1',
        REMOTE_ADDR => '198.51.100.7',
        REMOTE_PORT => 41234,
        HTTP_HOST => 'www.example.org',
        HTTP_USER_AGENT => 'Mozilla/5.0 (fidelity harness)',
        HTTP_ACCEPT => 'text/html,*/*;q=0.8',
        DOCUMENT_ROOT => $APPS,
        SCRIPT_NAME => "/cgi-bin/$app",
        SCRIPT_FILENAME => "$APPS/$app",
        REQUEST_METHOD => $req->{method} || 'GET',
        QUERY_STRING => $query,
        REQUEST_URI => "/cgi-bin/$app$path" . (length $query ? "?$query" : ''),
        FIDELITY_DATA => $DATA,
        TMPDIR => $TMP,
    );
    if (length $path) {
        $env{PATH_INFO} = $path;
        $env{PATH_TRANSLATED} = "$APPS$path";
    }
    if (defined $req->{body}) {
        $env{CONTENT_LENGTH} = length $req->{body};
        $env{CONTENT_TYPE} = $req->{type} if $req->{type};
    }
    if ($req->{jar} && %{ $jar{$app} || {} }) {
        my $j = $jar{$app};
        $env{HTTP_COOKIE} = join '; ', map { "$_=$j->{$_}" } sort keys %$j;
    }
    # What selects and finds the programs under test (and speedy's
    # options) reaches both runs.
    for my $k (grep { /^SPEEDY_/ || $_ eq 'PERL5LIB' } keys %ENV) {
        $env{$k} = $ENV{$k};
    }
    %env = (%env, %{ $req->{env} || {} });
    return \%env;
}

# Runs argv in dir with env, body on standard input.  Returns a hash:
# out, err, status ("exit N" or "signal N"), held (a complaint if the
# output descriptors stayed open after the program exited), secs.
sub run {
    my ($argv, $env, $dir, $body) = @_;
    pipe my $in_r, my $in_w or die "pipe: $!\n";
    pipe my $out_r, my $out_w or die "pipe: $!\n";
    pipe my $err_r, my $err_w or die "pipe: $!\n";
    my $t0 = time;
    my $pid = fork;
    die "fork: $!\n" unless defined $pid;
    if ($pid == 0) {
        $SIG{PIPE} = 'DEFAULT';
        chdir $dir or POSIX::_exit(126);
        open STDIN, '<&', $in_r or POSIX::_exit(126);
        open STDOUT, '>&', $out_w or POSIX::_exit(126);
        open STDERR, '>&', $err_w or POSIX::_exit(126);
        %ENV = %$env;
        exec { $argv->[0] } @$argv or POSIX::_exit(127);
    }
    close $_ for $in_r, $out_w, $err_w;
    $_->blocking(0) for $in_w, $out_r, $err_r;
    my %buf = (out => '', err => '');
    my %name = (fileno($out_r) => 'out', fileno($err_r) => 'err');
    my $rsel = IO::Select->new($out_r, $err_r);
    my $wsel = IO::Select->new;
    my $pending = $body // '';
    if (length $pending) { $wsel->add($in_w) } else { close $in_w }
    my ($status, $exited, $held);
    my $deadline = $t0 + 30;
    while ($rsel->count) {
        if (!defined $status && waitpid($pid, WNOHANG) == $pid) {
            $status = $?;
            $exited = time;
        }
        if (defined $exited && $wsel->count) {
            $wsel->remove($in_w);
            close $in_w;
        }
        if (defined $exited && time > $exited + 5) {
            $held = 'output still open 5 s after the program exited';
            last;
        }
        if (time > $deadline) {
            kill 'KILL', $pid;
            $held = 'no end within 30 s (killed)';
            last;
        }
        my ($r, $w) = IO::Select->select($rsel, $wsel, undef, 0.05);
        for my $fh (@{ $r || [] }) {
            my $got = sysread $fh, my $chunk, 65536;
            if (!defined $got) {
                next if $! == EAGAIN || $! == EINTR;
                $got = 0;
            }
            if ($got == 0) {
                $rsel->remove($fh);
                close $fh;
                next;
            }
            $buf{ $name{ fileno $fh } } .= $chunk;
        }
        for my $fh (@{ $w || [] }) {
            my $put = syswrite $fh, $pending, 65536;
            if (!defined $put) {
                next if $! == EAGAIN || $! == EINTR;
                $pending = '';
            } else {
                substr($pending, 0, $put) = '';
            }
            if ($pending eq '') {
                $wsel->remove($fh);
                close $fh;
            }
        }
    }
    if ($wsel->count) { close $in_w }
    waitpid $pid, 0 unless defined $status;
    $status = $? unless defined $status;
    return {
        out => $buf{out}, err => $buf{err}, held => $held,
        status => ($status & 127) ? 'signal ' . ($status & 127)
            : 'exit ' . ($status >> 8),
        secs => time - $t0,
    };
}

# Runs a request through plain perl, then (with the files put back as
# they were) through speedy.  Speedy runs last, and the next request goes
# on from what it left: its backends may hold files open that it created.
sub run_both {
    my ($app, $req) = @_;
    my $env = environment($app, $req);
    my @args = @{ $req->{argv} || [] };
    my $script = "$APPS/$app";
    save_state();
    my $pl = run([$PERL, taint($script), $script, @args], $env, $APPS,
        $req->{body});
    $pl->{state} = state_of();
    restore_state();
    my $sp = run([$opt{speedy}, $script, @args], $env, $APPS, $req->{body});
    $sp->{state} = state_of();
    return ($sp, $pl);
}

# The application files before a request: path => contents (undef for
# a directory).  They are put back in place, rewriting files rather than
# replacing them: a backend may hold one open (a log), as a long-running
# program would, and must go on writing into the same file.
my %before;

# Perl refuses a script whose #! line has -T unless its command line has
# it too (a web server runs the script by its #! line, which does).
sub taint {
    my ($script) = @_;
    open my $fh, '<', $script or die "$script: $!\n";
    my $first = <$fh>;
    close $fh;
    return $first =~ /^#!\S+\s+-\w*T/ ? ('-T') : ();
}

sub save_state {
    %before = ();
    File::Find::find({ no_chdir => 1, wanted => sub {
        return if $_ eq $DATA;
        if (-d $_) {
            $before{$_} = undef;
            return;
        }
        open my $fh, '<', $_ or die "$_: $!\n";
        binmode $fh;
        local $/;
        $before{$_} = <$fh> // '';
        close $fh;
    } }, $DATA);
}

sub restore_state {
    my @now;
    File::Find::find({ no_chdir => 1, wanted => sub {
        push @now, $_ unless $_ eq $DATA;
    } }, $DATA);
    for my $p (sort { length $b <=> length $a } @now) {
        # Still there and still a file (or a directory): kept.
        next if exists $before{$p} && (defined $before{$p} xor -d $p);
        if (-d $p) { remove_tree($p) } else { unlink $p }
    }
    for my $p (sort keys %before) {
        if (!defined $before{$p}) {
            make_path($p);
            next;
        }
        open my $fh, -e $p ? '+<' : '>', $p or die "$p: $!\n";
        binmode $fh;
        truncate $fh, 0;
        print $fh $before{$p};
        close $fh or die "$p: $!\n";
    }
    remove_tree($TMP);
    make_path($TMP);
}

# The application files and the temporary files as text: a line per
# file (the contents of small text files, a checksum of others).
# Temporary files are removed afterwards, as a new run would find none.
sub state_of {
    my @lines;
    for my $top ([data => $DATA], [tmp => $TMP]) {
        my ($label, $dir) = @$top;
        File::Find::find({ no_chdir => 1, wanted => sub {
            return if $_ eq $dir;
            my $rel = mask(substr $_, length($dir) + 1);
            if (-d $_) {
                push @lines, "$label/$rel/";
                return;
            }
            open my $fh, '<', $_ or return;
            binmode $fh;
            local $/;
            my $c = <$fh> // '';
            close $fh;
            $c = mask($c);
            push @lines, length $c < 2000 && $c !~ /[\0-\010\016-\037]/
                ? "$label/$rel:\n" . join('', map { "\t$_\n" } split /\n/, $c)
                : sprintf "$label/%s: %d bytes, md5 %s", $rel, length $c,
                    md5_hex($c);
        } }, $dir);
    }
    remove_tree($TMP);
    make_path($TMP);
    return join "\n", sort(@lines), '';
}

# Masks what carries the current time (and File::Temp's random names).
sub mask {
    my ($s) = @_;
    my $head = '';
    if ($s =~ /\A((?:[\w-]+: [^\n]*\n|HTTP\/[^\n]*\n)+\r?\n)/) {
        $head = $1;
        substr($s, 0, length $head) = '';
        $head =~ s/^(Date|Expires): [^\r\n]*/$1: <time>/mgi;
        $head =~ s/(;\s*expires=)[^;\r\n]*/$1<time>/gi;
    }
    $s = $head . $s;
    $s =~ s/\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]/[<time>]/g;
    $s =~ s/CGItemp\w+/CGItemp<random>/g;
    return $s;
}

sub compare {
    my ($sp, $pl) = @_;
    my @d;
    push @d, "  speedy: $sp->{held}\n" if $sp->{held};
    push @d, "  perl: $pl->{held}\n" if $pl->{held};
    push @d, "  exit status: speedy $sp->{status}, perl $pl->{status}\n"
        if $sp->{status} ne $pl->{status};
    for my $what (qw(out err state)) {
        my ($a, $b) = ($sp->{$what}, $pl->{$what});
        ($a, $b) = (mask($a), mask($b)) unless $what eq 'state';
        next if $a eq $b;
        my %label = (out => 'standard output', err => 'standard error',
            state => 'files left behind');
        push @d, "  $label{$what} differs (--- perl, +++ speedy):\n"
            . udiff($b, $a);
    }
    return @d;
}

# A unified diff of two texts, by diff(1), with unprintable characters
# shown as \xNN and line ends made visible where they matter.
sub udiff {
    my ($a, $b) = @_;
    my @f;
    for my $t ($a, $b) {
        my $f = "$WORK/diff." . scalar(@f);
        open my $fh, '>', $f or die "$f: $!\n";
        binmode $fh;
        (my $v = $t) =~ s/([^\n\t\x20-\x7e])/sprintf '\\x%02X', ord $1/ge;
        print $fh $v;
        print $fh "\n\\ (no newline at the end)\n" if length $t && $t !~ /\n\z/;
        close $fh;
        push @f, $f;
    }
    my $d = `diff -u --label perl --label speedy $f[0] $f[1]`;
    my @l = split /^/, $d;
    splice @l, 60, @l - 60, "    ... (" . (@l - 60) . " more lines)\n"
        if @l > 61;
    return join '', map { "    $_" } @l;
}

sub describe {
    my ($i, $app, $req) = @_;
    my $m = $req->{method} || 'GET';
    my $uri = "/cgi-bin/$app" . ($req->{path} // '') .
        (length($req->{query} // '') ? "?$req->{query}" : '');
    my $s = "request $i: $m $uri";
    $s .= sprintf ' (%d-byte %s body)', length $req->{body},
        ($req->{type} || 'untyped') =~ s/;.*//r if defined $req->{body};
    $s .= ' args: ' . join(' ', @{ $req->{argv} }) if $req->{argv}
        && @{ $req->{argv} };
    if (my $e = $req->{env}) {
        $s .= ' env: ' . join(' ', map { "$_=$e->{$_}" } sort keys %$e)
            if %$e;
    }
    $s .= ' cookies: ' . join('; ', map { "$_=$jar{$app}{$_}" }
        sort keys %{ $jar{$app} }) if $req->{jar} && %{ $jar{$app} || {} };
    return $s;
}

# The browser's part: keep the cookies a response sets (an empty value
# deletes one) and follow a redirect to the same script next.
sub learn {
    my ($app, $req, $res) = @_;
    my ($head) = $res->{out} =~ /\A(.*?)\r?\n\r?\n/s;
    return unless defined $head;
    if ($req->{jar}) {
        for my $line (split /\r?\n/, $head) {
            next unless $line =~ /^Set-Cookie: ([^=;]+)=([^;]*)/i;
            if ($2 eq '') { delete $jar{$app}{$1} }
            else { $jar{$app}{$1} = $2 }
        }
    }
    return unless $req->{follow} && $head =~ /^Location: (\S+)/mi;
    my $loc = $1;
    $loc =~ s{^https?://[^/]+}{};
    my ($path, $query) = split /\?/, $loc, 2;
    my $req2 = { jar => $req->{jar}, query => $query // '' };
    if ($path eq '') {
        # "?query": the same script.
    } elsif ($path =~ m{^/cgi-bin/\Q$app\E(/.*)?$}) {
        $req2->{path} = $1 if defined $1;
    } else {
        return;
    }
    unshift @{ $queue{$app} }, $req2;
}

# ----------------------------------------------------------------- bench

sub bench {
    my %typical = (
        'register.pl' => { query => 'name=Ann&track=perl&step=form' },
        'bugs.pl'     => { query => 'sort=severity' },
        'session.pl'  => { path => '/login' },
        'upload.pl'   => { query => '' },
        'report.pl'   => { query => 'mode=pipe' },
        'orders.pl'   => { query => 'action=order&sku=A100&qty=2' },
        'wiki.pl'     => { query => 'page=HomePage' },
        'search.pl'   => { query => 'q=perl&lang=en' },
        'feed.pl'     => { query => 'max=3' },
        'diag.pl'     => { query => '' },
    );
    printf "%-12s %10s %10s %8s\n", 'application', 'perl ms', 'speedy ms',
        'speed-up';
    my ($tp, $ts) = (0, 0);
    for my $app (@apps) {
        my $req = $typical{$app};
        my $env = environment($app, $req);
        my %t;
        for my $how ([speedy => $opt{speedy}], [perl => $PERL]) {
            my ($name, $prog) = @$how;
            my @argv = ($prog, $name eq 'perl' ? taint("$APPS/$app") : (),
                "$APPS/$app");
            my $res = run(\@argv, $env, $APPS, $req->{body});
            die "$app under $name: $res->{status}\n$res->{err}"
                if $res->{status} ne 'exit 0';
            my $t0 = time;
            run(\@argv, $env, $APPS, $req->{body}) for 1 .. $opt{bench};
            $t{$name} = (time - $t0) / $opt{bench} * 1000;
        }
        $tp += $t{perl};
        $ts += $t{speedy};
        printf "%-12s %10.2f %10.2f %7.1fx\n", $app, $t{perl}, $t{speedy},
            $t{perl} / $t{speedy};
    }
    printf "%-12s %10.2f %10.2f %7.1fx\n", 'all', $tp / @apps, $ts / @apps,
        $tp / $ts;
    return 0;
}

# ----------------------------------------------------------------- setup

sub close_inherited {
    opendir my $dh, '/proc/self/fd' or return;
    my @fds = grep { /^\d+$/ && $_ > 2 && $_ != fileno $dh } readdir $dh;
    closedir $dh;
    POSIX::close($_) for @fds;
}

# ------------------------------------------------------------------ main

sub main {
    srand $opt{seed};
    %queue = map { $_ => [ $PLAN{$_}->($opt{requests}) ] } @apps;
    my (%count, %bad);
    my ($n, $ndiff) = (0, 0);
    my @report;

    while (my @left = grep { @{ $queue{$_} } } @apps) {
        my $app = $left[int rand @left];
        my $req = shift @{ $queue{$app} };
        $n++;
        $count{$app}++;
        my ($sp, $pl) = run_both($app, $req);
        my @diffs = compare($sp, $pl);
        if (@diffs) {
            $ndiff++;
            $bad{$app}++;
            push @report, describe($n, $app, $req) . "\n" . join '', @diffs
                if $ndiff <= $opt{'max-diffs'};
        } elsif ($opt{verbose}) {
            print "ok $n ", describe($n, $app, $req), "\n";
        }
        learn($app, $req, $sp);
    }

    print "# $n requests, seed $opt{seed}\n";
    for my $app (@apps) {
        printf "# %-12s %3d requests, %s\n", $app, $count{$app} || 0,
            $bad{$app} ? "$bad{$app} DIFFERENT" : 'all identical';
    }
    if ($ndiff) {
        print "\n", join("\n", @report);
        print "\n... and ", $ndiff - $opt{'max-diffs'}, " more\n"
            if $ndiff > $opt{'max-diffs'};
        return 1;
    }
    return 0;
}

exit($opt{bench} ? bench() : main());
