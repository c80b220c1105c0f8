#!/usr/bin/perl
# Prints a non-ASCII character and a newline through the layer given
# (if any); layers must not carry over into the next request.
binmode STDOUT, $ARGV[0] if @ARGV;
print "caf\x{e9}\n";
