#!/usr/bin/perl -w
# upload.pl: a document drop box.  Visitors upload one document and any
# number of attachments with a title and tags (multipart/form-data); the
# files are checked, fingerprinted and filed, and the box lists what it
# holds.  The operator limits it through the environment (UPLOAD_MAX,
# UPLOADS_DISABLED), read on every request as the web server passes it.

use strict;
use CGI qw(:standard);
use Digest::MD5;
use File::Basename qw(basename);

$CGI::POST_MAX = $ENV{UPLOAD_MAX} if $ENV{UPLOAD_MAX};
$CGI::DISABLE_UPLOADS = 1 if $ENV{UPLOADS_DISABLED};

my $box = "$ENV{FIDELITY_DATA}/box";
mkdir $box unless -d $box;
my %ALLOWED = map { $_ => 1 }
    qw(text/plain text/csv image/png application/octet-stream);

if (my $err = cgi_error()) {
    print header(-status => $err, -type => 'text/plain');
    print "Upload refused: $err\n";
    exit 0;
}

if (request_method() eq 'POST') {
    receive();
} elsif (param('get')) {
    send_file(param('get'));
} else {
    form();
}
exit 0;

sub form {
    print header, start_html('Drop box'), h1('Drop box'),
        start_multipart_form(-action => url(-relative => 1)),
        p('Title: ', textfield('title')),
        p('Tags: ', checkbox_group(-name => 'tags',
            -values => [qw(invoice report photo misc)])),
        p('Document: ', filefield(-name => 'doc')),
        p('Attachments: ', filefield(-name => 'extra'),
            filefield(-name => 'extra')),
        submit('Upload'), end_form;
    listing();
    print end_html;
}

sub listing {
    opendir my $dh, $box or return;
    my @files = sort grep { !/^\./ } readdir $dh;
    closedir $dh;
    print h2(scalar(@files) . ' files');
    print ul(li([map { "$_ (" . (-s "$box/$_") . ' bytes)' } @files]))
        if @files;
}

sub fingerprint {
    my ($fh) = @_;
    binmode $fh;
    my $md5 = Digest::MD5->new;
    my ($size, $lines, $buf) = (0, 0);
    while (my $n = read $fh, $buf, 4096) {
        $size += $n;
        $lines += ($buf =~ tr/\n//);
        $md5->add($buf);
    }
    return ($size, $lines, $md5->hexdigest);
}

sub receive {
    my $title = param('title');
    my @tags = param('tags');
    my @report;
    my @fields = grep { defined upload($_) } qw(doc extra);
    unless (@fields) {
        print header(-status => '400 Bad Request', -type => 'text/plain'),
            "Nothing uploaded (fields: ", join(',', param()), ").\n";
        return;
    }
    for my $field (@fields) {
        for my $fh (upload($field)) {
            my $name = basename("$fh");
            $name =~ s/[^\w.-]/_/g;
            my $info = uploadInfo($fh) || {};
            my $type = $info->{'Content-Type'} || 'application/octet-stream';
            unless ($ALLOWED{$type}) {
                push @report, "$field: $name refused ($type)";
                next;
            }
            my ($size, $lines, $md5) = fingerprint($fh);
            my $tmp = tmpFileName($fh);
            push @report, sprintf '%s: %s %s, %d bytes, %d lines, md5 %s%s',
                $field, $name, $type, $size, $lines, $md5,
                ($tmp && -f $tmp ? ', spooled' : '');
            seek $fh, 0, 0;
            open my $out, '>', "$box/$name" or die "cannot file $name: $!\n";
            binmode $out;
            print $out $_ while <$fh>;
            close $out;
        }
    }
    print header(-type => 'text/plain', -charset => 'us-ascii');
    print "Title: ", (defined $title ? $title : '(untitled)'), "\n";
    print "Tags: ", join(', ', @tags) || 'none', "\n";
    print "$_\n" for @report;
    print "POST_MAX=$CGI::POST_MAX DISABLE_UPLOADS=$CGI::DISABLE_UPLOADS\n";
}

sub send_file {
    my ($name) = @_;
    $name = basename($name);
    unless (-f "$box/$name") {
        print header(-status => 404, -type => 'text/plain'), "No $name\n";
        return;
    }
    open my $fh, '<', "$box/$name" or die "cannot read $name: $!\n";
    binmode $fh;
    binmode STDOUT;
    print header(-type => 'application/octet-stream',
        -attachment => $name, -Content_length => -s $fh);
    local $/ = \1024;
    print while <$fh>;
    close $fh;
}
