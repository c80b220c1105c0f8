#!/usr/bin/perl
# set_shutdown_handler returns the handler it replaces; only the last one
# set runs (it appends "NAME PID" to $ENV{T_SHUT}).
use CGI::SpeedyCGI;
my $sp = CGI::SpeedyCGI->new;
my $file = $ENV{T_SHUT};
sub handler {
    my $name = shift;
    return sub {
        open my $f, '>>', $file or die "$file: $!\n";
        print $f "$name $$\n";
        close $f;
    };
}
my ($h1, $h2) = (handler('h1'), handler('h2'));
my $old1 = $sp->set_shutdown_handler($h1);
my $old2 = $sp->set_shutdown_handler($h2);
print "first=", (defined $old1 ? 'defined' : 'undef'), "\n";
print "second=", (!defined $old2 ? 'undef' : $old2 == $h1 ? 'h1'
    : $old2 == $h2 ? 'h2' : 'other'), "\n";
print "pid=$$\n";
