#!/usr/bin/perl
# Pool tests.  When compiled, appends "compiled PID" to $ENV{T_BEGIN} (so
# that file counts compilations), then waits until the file
# $ENV{T_BEGIN_GATE} exists, if that is set.  Each run appends
# "start ID pid=PID" to $ENV{T_LOG}, waits until the file "$ENV{T_GATE}.ID"
# exists (if T_GATE is set), appends "end ID pid=PID" and prints
# "id=ID pid=PID ppid=PPID".  No wait lasts more than 20 s.
BEGIN {
    if ($ENV{T_BEGIN}) {
        open my $f, '>>', $ENV{T_BEGIN} or die "$ENV{T_BEGIN}: $!\n";
        print $f "compiled $$\n";
        close $f;
    }
    if ($ENV{T_BEGIN_GATE}) {
        my $n = 0;
        select(undef, undef, undef, 0.05)
            until -e $ENV{T_BEGIN_GATE} || ++$n > 400;
    }
}
my $id = shift;
$id = 0 unless defined $id;
sub note {
    return unless $ENV{T_LOG};
    open my $f, '>>', $ENV{T_LOG} or die "$ENV{T_LOG}: $!\n";
    print $f "@_\n";
    close $f;
}
note("start $id pid=$$");
if ($ENV{T_GATE}) {
    my $n = 0;
    select(undef, undef, undef, 0.05)
        until -e "$ENV{T_GATE}.$id" || ++$n > 400;
}
note("end $id pid=$$");
print "id=$id pid=$$ ppid=", getppid(), "\n";
