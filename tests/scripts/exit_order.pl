#!/usr/bin/perl
# What a process does at exit, under speedy when its backend exits: END
# blocks run, output still buffered in a handle nobody closed is written,
# and global objects are destroyed.  Every run appends "run" to the file
# $ENV{T_SHUT} through a handle opened on the first run and never flushed
# or closed; the END block appends "end" through it too; DESTROY appends
# "destroy" through a handle of its own (at global destruction the order
# in which perl frees the other handle is not defined).
package Guard;
sub new { bless {}, shift }
sub DESTROY {
    open my $f, '>>', $ENV{T_SHUT} or die "$ENV{T_SHUT}: $!\n";
    print $f "destroy\n";
    close $f;
}
package main;
our ($log, $guard);
unless ($log) {
    open $log, '>>', $ENV{T_SHUT} or die "$ENV{T_SHUT}: $!\n";
    $guard = Guard->new;
}
print $log "run\n";
END { print $log "end\n" if $log }
print "pid=$$\n";
