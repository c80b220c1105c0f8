#!/usr/bin/perl
# embed.pl NAME FILE: prints a C header defining "static const char NAME[]"
# holding FILE's text, so the backend carries its Perl code inside itself.
use strict;
use warnings;

my ($name, $file) = @ARGV;
die "usage: embed.pl name file\n" unless defined $file;
open my $fh, '<', $file or die "embed.pl: $file: $!\n";
local $/;
my $text = <$fh>;
close $fh;
print "/* Generated from $file by tools/embed.pl; do not edit. */\n";
print "static const char ${name}[] =\n";
for my $line (split /(?<=\n)/, $text) {
    $line =~ s/([\\"])/\\$1/g;
    $line =~ s/\n/\\n/g;
    $line =~ s/\t/\\t/g;
    $line =~ s/([^\x20-\x7e])/sprintf("\\%03o", ord $1)/ge;
    print "    \"$line\"\n";
}
print "    \"\";\n";
