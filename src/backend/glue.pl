# glue.pl: the backend's Perl side of a request, compiled into
# speedy_backend at build time and run once at startup.  C calls these
# subs through call_sv (see be_perl.c); they are kept tiny because they
# run on every request.
package CGI::SpeedyCGI::_Backend;

# No "use strict" or any other module here: what the backend loads shows
# in every script's %INC, and plain perl starts with an empty one.

my %sig_base;			# %SIG as the compiled script left it
my @state;			# per compiled script, see compiled()
my $unicode = ${^UNICODE};	# -C: layers for the standard handles
our ($piped, $finishing);	# see sigpipe()
our $unflushed;			# see finish()

our $module;			# CGI/SpeedyCGI.pm's text, set by C
our ($compiling, @warned);	# see compile_warning()
our $nwarned;			# how many, for C

sub init {
    $^X = $_[0];		# system($^X, ...) must run perl, not us
    inc_as_perl(split /\n/, $_[1]);
    builtin_module();
    return;
}

# Compiles the built-in CGI::SpeedyCGI.  Scripts may call it without
# loading it (as they always could under speedy), but %INC lists it only
# once a script loads it (see compile), as under plain perl; so it is
# compiled without its "use strict", "use warnings" and "no warnings"
# lines (blanked, line numbers stay), which would load those modules for
# every script.
sub builtin_module {
    my $src = $module;
    $src =~ s/^(?:use strict|use warnings|no warnings 'redefine');$//mg;
    eval qq{#line 1 "CGI/SpeedyCGI.pm (built in)"\n$src\n;1}
        or die "speedy_backend: CGI/SpeedyCGI.pm (built in): $@";
    return;
}

# Makes @INC what $^X has (@_, its @INC without PERL5LIB, recorded at
# build time): a distribution's perl may search directories that its
# libperl does not (Debian's perl-base).  The directories perl lists and
# we do not are added after the one that precedes them there; a script
# then loads its modules from the same files as under plain perl
# (messages and %INC name the same paths).
sub inc_as_perl {
    # Our own word: not tainted (under -T, a tainted @INC entry would make
    # every require from it fail).
    my @perl = map { /\A(.*)\z/s } @_;
    return unless @perl;
    my %have = map { $_ => 1 } grep { !ref } @INC;
    for my $i (0 .. $#perl) {
        next if $have{ $perl[$i] }++;
        my $at = 0;
        if ($i > 0) {
            for my $j (0 .. $#INC) {
                $at = $j + 1 if !ref $INC[$j] && $INC[$j] eq $perl[$i - 1];
            }
        }
        splice @INC, $at, 0, $perl[$i];
    }
    return;
}

# Called before each request with $0 and the arguments (C has set %ENV).
sub begin {
    ($piped, $finishing) = (0, 0);
    my $argv0 = shift;
    $0 = $argv0 if $0 ne $argv0;
    @ARGV = @_;
    # finish() closed the handles, so each request gets fresh ones (fresh
    # buffers, layers and EOF flags).  The first request finds perl's
    # own, already on the client's descriptors.
    open STDIN, '<&=', 0 unless defined fileno STDIN;
    open STDOUT, '>&=', 1 unless defined fileno STDOUT;
    open STDERR, '>&=', 2 unless defined fileno STDERR;
    if ($unicode) {
        binmode STDIN, ':utf8' if $unicode & 1;
        binmode STDOUT, ':utf8' if $unicode & 2;
        binmode STDERR, ':utf8' if $unicode & 4;
    }
    # $| lives in the handle's IO object, which survives the reopening.
    select STDERR;
    $| = 0;
    select STDOUT;
    $| = 0;
    ($/, $\, $,, $", $;) = ("\n", undef, undef, ' ', "\034");
    return;
}

# Compiles source handed over by C as if perl read it from a file, one
# line at a time through an @INC hook: perl's messages then read as they do
# for a script file ("near ..." shows the line, not the rest of a string).
# The same hook answers for the built-in CGI/SpeedyCGI.pm when the script
# loads it: %INC gets the name of the file plain perl would load (if there
# is one), and strict and warnings, which the module uses, are loaded.
sub compile {
    my @lines = split /^/, $_[0];
    my $name = 'speedy_backend/script.pl';
    my $hook = sub {
        my @src;
        if ($_[1] eq $name) {
            @src = @lines;
        } elsif ($_[1] eq 'CGI/SpeedyCGI.pm' && defined $module) {
            my ($dir) = grep { !ref && -f "$_/$_[1]" } @INC;
            my $path = defined $dir ? "$dir/$_[1]" : "$_[1] (built in)";
            $INC{ $_[1] } = $path;
            @src = ("#line 1 \"$path\"\n", "use strict;\n", "use warnings;\n",
                "1;\n");
        } else {
            return;
        }
        my $i = 0;
        return sub { return 0 if $i >= @src; $_ = $src[$i++]; return 1 };
    };
    # Not "local @INC": what the script's "use lib" adds must stay for
    # its run-time requires, as under plain perl.  Only the hook goes.
    unshift @INC, $hook;
    # Nor "local $SIG{__WARN__}": a handler the script installs (CGI::Carp
    # does) stays.
    my $had = $SIG{__WARN__};
    $SIG{__WARN__} = \&compile_warning unless defined $had;
    @warned = ();
    {
        local $compiling = 1;
        do $name;
    }
    $SIG{__WARN__} = $had
        if ref $SIG{__WARN__} && $SIG{__WARN__} == \&compile_warning;
    @INC = grep { !ref $_ || $_ != $hook } @INC;
    delete $INC{$name};
    return;
}

# While a script compiles, the warnings that go straight to STDERR (no
# handler of the script's has been installed yet) are printed and kept:
# plain perl compiles the script on every run and prints them every time,
# so every later request of the script prints them again first (replay).
sub compile_warning {
    push @warned, $_[0] if $compiling;
    print STDERR $_[0];
}

# Before a request of script $i that did not compile it.
sub replay {
    print STDERR @{ $state[$_[0]]{warned} };
    return;
}

# Reopens DATA on the script's text, just after its __END__ line.
sub data {
    my ($pkg, $ref, $off) = @_;
    close *{"${pkg}::DATA"};
    open *{"${pkg}::DATA"}, '<', $ref;
    seek *{"${pkg}::DATA"}, $off, 0;
    return;
}

# SIGPIPE: a script writing to a client that went away dies of it under
# plain perl, and must not spin in the backend either.  Unless the script
# installed its own handler, this one ends the request at the next safe
# point (C then reports it as killed by SIGPIPE).  While finish() flushes
# the last output the request is over anyway and the flag is enough.
sub sigpipe {
    $piped = 1;
    CORE::exit(0) unless $finishing;
}

# Modules that keep per-run state in package variables and were written
# for one run per process.  Their variables are set back after every
# request to what they were after compilation: under plain perl every run
# starts like that.  reset runs first and frees what a run made (CGI.pm's
# own initialize_globals, which mod_perl calls too, drops the default
# query object and its temporary files).
our %RESET = (
    'CGI' => {
        file  => 'CGI.pm',
        reset => sub { CGI::initialize_globals() if defined &CGI::initialize_globals },
    },
    'CGI::Carp' => {
        file  => 'CGI/Carp.pm',
        reset => sub { @CGI::Carp::WARNINGS = () },
    },
);

# Called once a script (number $i) has been compiled.  Handlers installed
# at compile time (by CGI::Carp, say) belong to the script and stay; so do
# $^W (-w), @INC and what its "use CGI" line made of CGI.pm: restore()
# puts them back after every request.
sub compiled {
    my ($i) = @_;
    $SIG{PIPE} = \&sigpipe
        if !defined $SIG{PIPE} || $SIG{PIPE} eq 'DEFAULT';
    %sig_base = %SIG;
    $state[$i] = { w => $^W, inc => [@INC], pkg => {}, warned => [@warned] };
    $nwarned = @warned;
    for my $p (keys %RESET) {
        $state[$i]{pkg}{$p} = pkg_state($p) if $INC{ $RESET{$p}{file} };
    }
    return;
}

# The scalars (and arrays) of package $p, as references and values.
sub pkg_state {
    my ($p) = @_;
    my $stash = \%{"${p}::"};
    my (@s, @a);
    for my $name (keys %$stash) {
        next if $name =~ /::$|^(?:ISA|EXPORT\w*|VERSION|AUTOLOAD|BEGIN|END)$/;
        my $glob = \$stash->{$name};
        next unless ref $glob eq 'GLOB';
        my $sv = *{$$glob}{SCALAR};
        push @s, [$sv, $$sv]
            if !Internals::SvREADONLY($$sv)
            && (defined $$sv || !defined *{$$glob}{CODE});
        my $av = *{$$glob}{ARRAY};
        push @a, [$av, [@$av]] if $av;
    }
    return [\@s, \@a];
}

# Puts back what compiled() saw for script $i.
sub restore {
    my $s = $state[$_[0]] or return;
    $^W = $s->{w};
    my $inc = $s->{inc};
    @INC = @$inc unless same(\@INC, $inc);
    for my $p (keys %RESET) {
        next unless $INC{ $RESET{$p}{file} };
        $RESET{$p}{reset}->();
        my $st = $s->{pkg}{$p};
        unless ($st) {
            # XXX Loaded by the script at run time (require CGI): what
            # it was before the first run changed it is unknown.  Its
            # state as reset now is taken instead; CGI.pm's warning
            # about param() in list context comes once per run again.
            $CGI::LIST_CONTEXT_WARN = 1 if $p eq 'CGI';
            $s->{pkg}{$p} = pkg_state($p);
            next;
        }
        ${ $_->[0] } = $_->[1] for @{ $st->[0] };
        for (@{ $st->[1] }) {
            @{ $_->[0] } = @{ $_->[1] } unless same(@$_);
        }
    }
    return;
}

# True if two arrays hold the same values (or references); cheaper than
# assigning, which would also invalidate caches (@INC's).
sub same {
    my ($x, $y) = @_;
    return 0 unless @$x == @$y;
    for my $i (0 .. $#$x) {
        my ($u, $v) = ($x->[$i], $y->[$i]);
        return 0 if defined $u != defined $v || (defined $u && $u ne $v);
    }
    return 1;
}

# Before a request of script $i when the last one ran another script (in
# a named group).
sub enter {
    restore($_[0]);
    return;
}

# The register_cleanup handlers, in order; an error in one does not stop
# the others.  Then everything is set back for the next run of script $i.
sub cleanup {
    my ($i) = @_;
    my @c = @CGI::SpeedyCGI::_cleanup;
    @CGI::SpeedyCGI::_cleanup = ();
    for my $code (@c) {
        eval { $code->(); 1 } or print STDERR $@;
    }
    restore($i);
    return;
}

# Ends the request: the client's descriptors are flushed and closed.
# Output that cannot be written (a full disk) is reported as perl does at
# exit, and C then makes a status of 0 into 1, as perl does; a client that
# went away is SIGPIPE's business (see sigpipe()).
sub finish {
    $finishing = 1;
    $unflushed = 0;
    if (defined fileno STDOUT && !close STDOUT && !$piped) {
        $unflushed = 1;
        print STDERR "Unable to flush stdout: $!\n";
    }
    close STDOUT;
    close STDERR;
    close STDIN;
    select STDOUT;
    return;
}

# Puts %SIG back as the compiled script left it; C calls this only when a
# handler changed (see be_perl.c).
sub restore_sig {
    for my $k (keys %SIG, '__WARN__', '__DIE__') {
        my ($now, $was) = ($SIG{$k}, $sig_base{$k});
        next if (defined $now ? "$now" : '') eq (defined $was ? "$was" : '');
        $SIG{$k} = $was;
    }
    return;
}

# At exit: the shutdown handlers, before END blocks and destruction.
sub shutdown {
    for my $code (@CGI::SpeedyCGI::_shutdown) {
        eval { $code->(); 1 };
    }
    return;
}

1;
