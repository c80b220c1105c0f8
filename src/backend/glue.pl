# glue.pl: the backend's Perl side of a request, compiled into
# speedy_backend at build time and run once at startup.  C calls these
# subs through call_sv (see be_perl.c); they are kept tiny because they
# run on every request.
package CGI::SpeedyCGI::_Backend;

use strict;

my %sig_base;			# %SIG as the compiled script left it
my $unicode = ${^UNICODE};	# -C: layers for the standard handles
our ($piped, $finishing);	# see sigpipe()
our $unflushed;			# see finish()

sub init {
    $^X = $_[0];		# system($^X, ...) must run perl, not us
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
    ($/, $\, $,, $") = ("\n", undef, undef, ' ');
    return;
}

# Compiles source handed over by C as if perl read it from a file, one
# line at a time through an @INC hook: perl's messages then read as they do
# for a script file ("near ..." shows the line, not the rest of a string).
sub compile {
    my @lines = split /^/, $_[0];
    my $name = 'speedy_backend/script.pl';
    my $hook = sub {
        return unless $_[1] eq $name;
        my $i = 0;
        return sub { return 0 if $i >= @lines; $_ = $lines[$i++]; return 1 };
    };
    # Not "local @INC": what the script's "use lib" adds must stay for
    # its run-time requires, as under plain perl.  Only the hook goes.
    unshift @INC, $hook;
    do $name;
    @INC = grep { !ref $_ || $_ != $hook } @INC;
    delete $INC{$name};
    return;
}

# Makes DATA read from the start again.
sub data {
    my ($pkg, $ref) = @_;
    no strict 'refs';
    close *{"${pkg}::DATA"};
    open *{"${pkg}::DATA"}, '<', $ref;
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

# Remembers %SIG after compilation: handlers installed at compile time
# (by CGI::Carp, say) belong to the script and stay.
sub snapshot_sig {
    $SIG{PIPE} = \&sigpipe
        if !defined $SIG{PIPE} || $SIG{PIPE} eq 'DEFAULT';
    %sig_base = %SIG;
    return;
}

# The register_cleanup handlers, in order; an error in one does not stop
# the others.
sub cleanup {
    my @c = @CGI::SpeedyCGI::_cleanup;
    @CGI::SpeedyCGI::_cleanup = ();
    for my $code (@c) {
        eval { $code->(); 1 } or print STDERR $@;
    }
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
