#!/usr/bin/perl
# bugs.pl: a small bug tracker in CGI.pm's object-oriented style.  Bugs
# are saved one per file with CGI's own save() and read back with
# CGI->new(FILEHANDLE).  New bugs are POSTed and answered with a redirect
# (post/redirect/get); lists can be filtered, sorted and paged.  Like most
# scripts of its kind it keeps the query object in a file-scoped lexical
# that its subroutines use.

use strict;
use warnings;
use CGI;
use FindBin;
use lib "$FindBin::Bin/lib";
use Fidelity::Template;

my $q = CGI->new;
my $dir = "$ENV{FIDELITY_DATA}/bugs";
my $per_page = $ENV{BUGS_PER_PAGE} || 3;
my @SEVERITIES = qw(blocker major minor trivial);
my %LABEL = (blocker => 'Blocker', major => 'Major', minor => 'Minor',
    trivial => 'Trivial');
my $tmpl = Fidelity::Template->new;
my $action = $q->url_param('action') || $q->param('action') || 'list';

mkdir $dir unless -d $dir;

if ($action eq 'new' && $q->request_method eq 'POST') {
    create_bug();
} elsif ($action eq 'new') {
    bug_form();
} elsif ($action eq 'show') {
    show_bug($q->param('id'));
} elsif ($action eq 'comment' && $q->request_method eq 'POST') {
    add_comment($q->url_param('id'));
} elsif ($action eq 'vars') {
    my $vars = $q->Vars;
    print $q->header(-type => 'text/plain', -charset => 'utf-8');
    for my $k (sort keys %$vars) {
        my @v = split /\0/, $vars->{$k}, -1;
        print "$k = ", join(' | ', @v), "\n";
    }
    print 'url_param: ', join(',', sort $q->url_param), "\n";
    print 'keywords: ', join(',', $q->keywords), "\n";
} else {
    list_bugs();
}
exit 0;

sub page {
    my ($title, @body) = @_;
    print $q->header(-type => 'text/html', -charset => 'utf-8'),
        $q->start_html(-title => "Bugs: $title", -encoding => 'utf-8'),
        $q->h1($q->escapeHTML($title)), @body,
        $tmpl->render('footer', { who => $q->remote_user,
            version => $Fidelity::Template::VERSION }),
        "\n";
}

sub bug_files {
    opendir my $dh, $dir or return;
    my @f = sort { $a <=> $b } grep { /^\d+$/ } readdir $dh;
    closedir $dh;
    return @f;
}

sub load_bug {
    my ($id) = @_;
    return unless defined $id && $id =~ /^\d+$/ && -f "$dir/$id";
    open my $fh, '<', "$dir/$id" or return;
    my $bug = CGI->new($fh);
    close $fh;
    return $bug;
}

sub bug_form {
    my @errors = @_;
    page('Report a bug',
        (@errors ? $q->ul({ -class => 'errors' }, $q->li(\@errors)) : ()),
        $q->start_form(-method => 'POST',
            -action => $q->url(-relative => 1) . '?action=new'),
        $q->p('Summary: ', $q->textfield(-name => 'summary', -size => 60)),
        $q->p('Severity: ', $q->popup_menu(-name => 'severity',
            -values => \@SEVERITIES, -labels => \%LABEL,
            -default => 'minor')),
        $q->p('Affects: ', $q->scrolling_list(-name => 'versions',
            -values => [qw(1.0 1.1 2.0 trunk)], -size => 4,
            -multiple => 1)),
        $q->p('Labels: ', $q->checkbox_group(-name => 'labels',
            -values => [qw(ui backend docs security)])),
        $q->p($q->textarea(-name => 'text', -rows => 6, -columns => 60)),
        $q->submit('Report'),
        $q->end_form);
}

sub create_bug {
    my @errors;
    my $summary = $q->param('summary');
    push @errors, 'A summary is required.'
        unless defined $summary && $summary =~ /\S/;
    push @errors, 'Unknown severity.'
        unless grep { $_ eq ($q->param('severity') || '') } @SEVERITIES;
    return bug_form(@errors) if @errors;
    my @files = bug_files();
    my $id = @files ? $files[-1] + 1 : 1;
    # The stored copy holds the form fields and a few of our own.
    my $bug = CGI->new($q);
    $bug->delete('action', '.cgifields');
    $bug->param(-name => 'id', -value => $id);
    $bug->param(-name => 'reporter',
        -value => $q->remote_user || $q->remote_addr);
    $bug->append(-name => 'history', -values => ['opened']);
    open my $fh, '>', "$dir/$id" or die "cannot save bug $id: $!\n";
    $bug->save($fh);
    close $fh or die "cannot save bug $id: $!\n";
    print $q->redirect(-uri => $q->url(-relative => 1) . "?action=show;id=$id",
        -status => '303 See Other');
}

sub show_bug {
    my ($id) = @_;
    my $bug = load_bug($id);
    unless ($bug) {
        print $q->header(-status => '404 Not Found', -type => 'text/plain');
        print "No bug ", (defined $id ? $id : '(none)'), ".\n";
        return;
    }
    my @comments = $bug->param('comment');
    page("Bug $id: " . $bug->param('summary'),
        $q->table(
            $q->Tr($q->th('Severity'), $q->td($LABEL{ $bug->param('severity') })),
            $q->Tr($q->th('Versions'),
                $q->td(join(', ', $bug->param('versions')) || 'unknown')),
            $q->Tr($q->th('Labels'),
                $q->td(join(', ', $bug->param('labels')) || 'none')),
            $q->Tr($q->th('Reporter'), $q->td($bug->param('reporter'))),
            $q->Tr($q->th('History'),
                $q->td(join(' &rarr; ', $bug->param('history')))),
        ),
        $q->pre($q->escapeHTML(scalar $bug->param('text') // '')),
        $q->h2(scalar(@comments) . ' comments'),
        (map { $q->blockquote($q->escapeHTML($_)) } @comments),
        $q->start_form(-method => 'POST',
            -action => $q->url(-relative => 1) . "?action=comment;id=$id"),
        $q->textarea(-name => 'comment', -default => '', -override => 1),
        $q->submit('Comment'), $q->end_form);
}

sub add_comment {
    my ($id) = @_;
    my $bug = load_bug($id);
    return show_bug($id) unless $bug;
    my $c = $q->param('comment');
    if (defined $c && $c =~ /\S/) {
        $bug->append(-name => 'comment', -values => [$c]);
        $bug->append(-name => 'history', -values => ['commented']);
        open my $fh, '>', "$dir/$id" or die "cannot save bug $id: $!\n";
        $bug->save($fh);
        close $fh;
    }
    print $q->redirect(-uri => $q->url(-full => 1) . "?action=show;id=$id");
}

sub list_bugs {
    my $sev = $q->param('severity');
    my $sort = $q->param('sort') || 'id';
    my $page = $q->param('page') || 1;
    $page = 1 unless $page =~ /^\d+$/ && $page > 0;
    my @bugs = grep { defined } map { load_bug($_) } bug_files();
    @bugs = grep { $_->param('severity') eq $sev } @bugs if $sev;
    my %rank;
    @rank{@SEVERITIES} = (0 .. $#SEVERITIES);
    if ($sort eq 'severity') {
        @bugs = sort { $rank{ $a->param('severity') } <=>
            $rank{ $b->param('severity') } || $a->param('id') <=>
            $b->param('id') } @bugs;
    } elsif ($sort eq 'summary') {
        @bugs = sort { lc $a->param('summary') cmp lc $b->param('summary') }
            @bugs;
    }
    my $pages = int((@bugs + $per_page - 1) / $per_page) || 1;
    my @shown = splice @bugs, ($page - 1) * $per_page, $per_page;
    my @nav;
    for my $p (1 .. $pages) {
        # A copy of the query with another page number: the link keeps
        # the filter and the order.
        my $link = CGI->new($q);
        $link->param(-name => 'page', -value => $p);
        push @nav, $p == $page ? $q->strong($p)
            : $q->a({ -href => $link->self_url }, $p);
    }
    page('All bugs',
        $q->p('Filter: ', join(' ', map {
            $q->a({ -href => $q->url(-relative => 1) . "?severity=$_" },
                $LABEL{$_}) } @SEVERITIES)),
        (@shown
            ? $q->table({ -border => 1 },
                $q->Tr($q->th([qw(Id Severity Summary)])),
                map { $q->Tr($q->td([$_->param('id'),
                    $LABEL{ $_->param('severity') },
                    $q->a({ -href => "?action=show;id=" . $_->param('id') },
                        $q->escapeHTML(scalar $_->param('summary')))])) }
                @shown)
            : $q->p('No bugs. Yet.')),
        $q->p('Pages: ', join(' ', @nav)),
        $q->p($q->a({ -href => '?action=new' }, 'Report a bug')));
}
