package Fidelity::Store;

# A tiny flat-file record store shared by the corpus applications, in the
# way many CGI programs keep their data: one directory (named by the
# FIDELITY_DATA environment variable, as a web server's SetEnv would),
# one file per table, one tab-separated record per line, flock for
# writers.

use strict;
use warnings;
use Fcntl qw(:flock O_WRONLY O_APPEND O_CREAT);

our $VERSION = '1.0';

sub new {
    my ($class, $table) = @_;
    my $dir = $ENV{FIDELITY_DATA}
        or die "FIDELITY_DATA is not set; the store has nowhere to live\n";
    die "bad table name '$table'\n" unless $table =~ /^\w+$/;
    return bless { file => "$dir/$table.tsv", table => $table }, $class;
}

sub table { return $_[0]{table} }

# Appends a record (a list of fields) and returns its number, counted
# from 1.
sub add {
    my ($self, @fields) = @_;
    for (@fields) {
        $_ = '' unless defined;
        s/[\t\n\r]/ /g;
    }
    sysopen my $fh, $self->{file}, O_WRONLY | O_APPEND | O_CREAT, 0644
        or die "cannot open $self->{file}: $!\n";
    flock $fh, LOCK_EX or die "cannot lock $self->{file}: $!\n";
    my $n = $self->count + 1;
    print $fh join("\t", $n, @fields), "\n";
    close $fh or die "cannot write $self->{file}: $!\n";
    return $n;
}

# All records, each an array reference whose first element is its number.
sub all {
    my ($self) = @_;
    open my $fh, '<', $self->{file} or return;
    my @rows;
    while (my $line = <$fh>) {
        chomp $line;
        push @rows, [split /\t/, $line, -1];
    }
    close $fh;
    return @rows;
}

sub count {
    my ($self) = @_;
    my @all = $self->all;
    return scalar @all;
}

sub find {
    my ($self, $n) = @_;
    for my $row ($self->all) {
        return $row if $row->[0] == $n;
    }
    return;
}

1;
