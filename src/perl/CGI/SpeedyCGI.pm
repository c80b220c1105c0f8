package CGI::SpeedyCGI;

# The same file serves two worlds.  Under plain perl it loads, reports
# that it is not running under speedy, and runs cleanup handlers at END
# time so scripts behave the same either way.  speedy_backend compiles
# this very text into itself at startup, after setting $i_am_speedy and
# defining the _getopt/_setopt/_shutdown_next_time functions in C, so the
# module a script sees always matches the backend running it.  A script
# that requires this file at run time under speedy loads it over the
# built-in copy: the same code, hence no warnings about redefining it.
# (The built-in copy is compiled without the next three lines, which
# would put strict.pm and warnings.pm into every script's %INC.)

use strict;
use warnings;
no warnings 'redefine';

our $VERSION = '2.22';
our $i_am_speedy;
$i_am_speedy = 0 unless defined $i_am_speedy;

# Filled by register_cleanup and add_shutdown_handler; the backend runs
# and empties @_cleanup after every request, and runs @_shutdown when it
# exits.
our (@_cleanup, @_shutdown);

sub new {
    my $class = shift;
    return bless {}, ref($class) || $class;
}

sub i_am_speedy { return $i_am_speedy }

sub register_cleanup {
    my ($self, $code) = @_;
    _need_code($code, 'register_cleanup');
    push @_cleanup, $code;
    return;
}

sub add_shutdown_handler {
    my ($self, $code) = @_;
    _need_code($code, 'add_shutdown_handler');
    push @_shutdown, $code;
    return;
}

sub set_shutdown_handler {
    my ($self, $code) = @_;
    _need_code($code, 'set_shutdown_handler');
    my $old = $_shutdown[-1];
    @_shutdown = ($code);
    return $old;
}

sub shutdown_next_time {
    _shutdown_next_time() if $i_am_speedy;
    return;
}

sub shutdown_now {
    _shutdown_now() if $i_am_speedy;
    exit 0;
}

sub getopt {
    my ($self, $name) = @_;
    return $i_am_speedy ? _getopt($name) : undef;
}

sub setopt {
    my ($self, $name, $value) = @_;
    return $i_am_speedy ? _setopt($name, $value) : undef;
}

sub _need_code {
    my ($code, $what) = @_;
    require Carp;
    Carp::croak("CGI::SpeedyCGI::$what: not a code reference")
        unless ref($code) eq 'CODE';
}

# Under plain perl there is one "request": the whole run.
END {
    return if $i_am_speedy;
    for my $code (@_cleanup, @_shutdown) {
        eval { $code->(); 1 } or warn $@;
    }
}

1;

__END__

=head1 NAME

CGI::SpeedyCGI - talk to the speedy backend running your script

=head1 SYNOPSIS

    use CGI::SpeedyCGI;
    my $sp = CGI::SpeedyCGI->new;

    print "persistent\n" if $sp->i_am_speedy;
    print "also persistent\n" if $CGI::SpeedyCGI::i_am_speedy;

    $sp->register_cleanup(sub { $dbh->rollback });
    $sp->add_shutdown_handler(sub { $dbh->disconnect });

    my $old = $sp->setopt('MaxRuns', 100);
    my $timeout = $sp->getopt('timeout');
    $sp->shutdown_next_time if $memory_is_tight;

=head1 DESCRIPTION

Scripts run by L<speedy(1)> are compiled once and then run many times by
a persistent perl interpreter.  This module lets such a script find out
that it runs persistently and adjust the interpreter it runs in.  Under
plain perl the module loads too, and every function behaves as documented
for that case, so a script can use it unconditionally.

=over 4

=item CGI::SpeedyCGI->new

Returns an object on which the functions below can be called.  They can
also be called as class methods.

=item $sp->i_am_speedy, $CGI::SpeedyCGI::i_am_speedy

True when running under speedy, false under plain perl.  Both are already
set while the script is being compiled, so they can be used in BEGIN
blocks.

=item $sp->register_cleanup(CODE)

Calls CODE after the script finishes the current request (also after exit
or die), in the order registered.  Output the handler prints still reaches
the client.  Under plain perl the handlers run at END time.

=item $sp->add_shutdown_handler(CODE), $sp->set_shutdown_handler(CODE)

Calls CODE when the interpreter exits (idle timeout, MaxRuns, a signal).
set_shutdown_handler replaces all handlers added before and returns the
last of them (undef if there was none).  Under plain perl they run at END
time.

=item $sp->shutdown_now

Ends the current request at once, as C<exit 0> would (cleanup handlers
still run), and makes the interpreter exit, running the shutdown handlers.
It does not return.  Under plain perl it is C<exit 0>.

=item $sp->shutdown_next_time

Makes the interpreter exit after the current request.

=item $sp->getopt(NAME), $sp->setopt(NAME, VALUE)

Read and change a speedy option of the running interpreter.  Names are
case-insensitive (C<Timeout>, C<MAXRUNS>).  setopt returns the old value
and dies if the value is not valid, if the option cannot be changed at run
time (BackendProg, Group, TmpBase, PerlArgs, and RequestTimeout, which the
frontend enforces with the value it resolved before the request began), or
if the site configuration locks it (see L<speedy.conf(5)>).  Timeout,
MaxRuns and MaxRSS take effect at once for this interpreter.  Under plain
perl both return undef.

=back

=head1 SEE ALSO

L<speedy(1)>, L<speedy_backend(1)>, L<speedy.conf(5)>, L<speedy-admin(8)>

=cut
