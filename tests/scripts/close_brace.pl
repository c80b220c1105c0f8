#!/usr/bin/perl
print "a\n";
}
print "b\n";
