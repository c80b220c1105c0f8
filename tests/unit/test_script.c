/*
 * test_script.c: unit tests for src/backend/be_script.c: finding the end
 * of the code (__END__/__DATA__ outside POD and here-documents) and
 * loading a script from disk.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "be.h"
#include "util.h"
#include "unit.h"

static char tmpdir[] = "/tmp/speedy-unit-script.XXXXXX";
static char err[1024];


/*
 * Splits code followed by tail.  If tail is "", no end marker may be found:
 * the code is everything.  Otherwise tail is the marker line followed by
 * data, the code must end where tail starts and data must be what follows
 * the marker line.
 */
static void
split(const char *name, const char *code, const char *tail, const char *data,
    int inpod)
{
	size_t len = strlen(code) + strlen(tail), c, d = 12345;
	char *text = malloc(len + 1);
	int pod = -1;

	if (text == NULL)
		exit(2);
	memcpy(text, code, strlen(code));
	memcpy(text + strlen(code), tail, strlen(tail) + 1);
	c = be_script_split(text, len, &d, &pod);
	if (*tail == '\0') {
		CHECK_INT(c, len, "split: %s: no end marker, code is all %zu "
		    "bytes", name, len);
		CHECK_INT(d, len, "split: %s: data offset is len", name);
	} else {
		CHECK_INT(c, strlen(code), "split: %s: code ends at the marker",
		    name);
		CHECK_STR(d <= len ? text + d : "(out of range)", data,
		    "split: %s: data after the marker line", name);
	}
	CHECK_INT(pod, inpod, "split: %s: inpod %d", name, inpod);
	free(text);
}

static void
test_split_markers(void)
{
	split("__END__", "#!/usr/bin/perl\nprint 1;\n", "__END__\ndata\n",
	    "data\n", 0);
	split("__DATA__", "print 1;\n", "__DATA__\nline 1\nline 2\n",
	    "line 1\nline 2\n", 0);
	split("first marker wins", "print 1;\n",
	    "__DATA__\nx\n__END__\ny\n", "x\n__END__\ny\n", 0);
	split("__END__ # comment", "print 1;\n", "__END__ # the end\nD",
	    "D", 0);
	split("__END__#comment", "print 1;\n", "__END__#x\nD", "D", 0);
	split("__END__ with trailing blanks", "print 1;\n",
	    "__END__  \t\nD", "D", 0);
	split("__DATA__ with a tab", "1;\n", "__DATA__\tjunk\nD", "D", 0);
	split("__END__ on the first line", "", "__END__\nall data\n",
	    "all data\n", 0);
	split("__END__ as the last line, no newline", "print 1;\n", "__END__",
	    "", 0);
	split("__END__ and an empty data section", "print 1;\n", "__END__\n",
	    "", 0);
	split("no marker", "print 1;\nprint 2;\n", "", NULL, 0);
	split("empty text", "", "", NULL, 0);
	split("__END__x is not a marker", "print 1;\n__END__x\n__ENDING__\n"
	    "__DATA\n__END\n", "", NULL, 0);
	split("marker inside a line", "print '__END__';\nprint 1; # __END__\n",
	    "", NULL, 0);
	/* perl ends the program at an indented __END__ too. */
	split("indented __END__", "print 1;\n", "  __END__\nD", "D", 0);
}

static void
test_split_pod(void)
{
	split("__END__ inside =pod ignored",
	    "print 1;\n=pod\n\n__END__\n\n=cut\nprint 2;\n", "__END__\nD\n",
	    "D\n", 0);
	split("__DATA__ inside =head1 ignored",
	    "=head1 NAME\n\n__DATA__\n\n=cut\n", "__DATA__\nD", "D", 0);
	split("=begin/=end until =cut", "=begin comment\n__END__\n"
	    "=end comment\n__END__\n=cut\n", "__END__\nD", "D", 0);
	split("POD never closed", "print 1;\n=pod\n\n__END__\nmore\n", "",
	    NULL, 1);
	split("POD to the end of file without newline", "print 1;\n=head2 x",
	    "", NULL, 1);
	split("closed POD", "print 1;\n=pod\ntext\n=cut\nprint 2;\n", "",
	    NULL, 0);
	split("=cut outside POD is code", "=cut\nprint 1;\n", "__END__\nD",
	    "D", 0);
	split("=cut ends POD only as a command", "=pod\n=cutting\n__END__\n"
	    "=cut\nprint 1;\n", "", NULL, 0);
	split("= not followed by a letter is not POD", "my $x\n= 1;\n==\n=1\n",
	    "__END__\nD", "D", 0);
	split("__END__ after POD closed clears inpod", "=pod\n=cut\n",
	    "__END__\n=pod\nD", "=pod\nD", 0);
	split("POD ends before a marker", "print 1;\n=pod\n", "", NULL, 1);
}

static void
test_split_heredoc(void)
{
	split("<<EOT", "print <<EOT;\n__END__\nEOT\nprint 2;\n",
	    "__END__\nD\n", "D\n", 0);
	split("<<\"EOT\"", "print <<\"EOT\";\n__END__\n$x\nEOT\n",
	    "__END__\nD\n", "D\n", 0);
	split("<<'EOT'", "my $s = <<'EOT';\n__DATA__\nEOT\n",
	    "__DATA__\nD\n", "D\n", 0);
	split("<<~EOT with indented terminator",
	    "if (1) {\n\tprint <<~EOT;\n\t__END__\n\t  EOT\n}\n",
	    "__END__\nD\n", "D\n", 0);
	split("<<~EOT with unindented terminator",
	    "print <<~EOT;\n  __END__\nEOT\n", "__END__\nD", "D", 0);
	split("<<EOT: an indented EOT does not end it",
	    "print <<EOT;\n  EOT\n__END__\nEOT\n", "__END__\nD", "D", 0);
	split("<<EOT: EOT; does not end it",
	    "print <<EOT;\nEOT;\n__END__\nEOT\n", "__END__\nD", "D", 0);
	split("heredoc with a comment after it",
	    "print <<EOT; # comment\n__END__\nEOT\n", "__END__\nD", "D", 0);
	split("heredoc tag with underscore and digits",
	    "print <<END_2;\n__END__\nEND_2\n", "__END__\nD", "D", 0);
	split("heredoc never closed", "print <<EOT;\n__END__\nD\n", "", NULL,
	    0);
	split("=pod inside a heredoc is text",
	    "print <<EOT;\n=pod\nEOT\n", "__END__\nD", "D", 0);
	split("<< in a comment is not a heredoc",
	    "# see <<EOT\n", "__END__\nD", "D", 0);
	split("<< followed by a blank is a shift", "my $x = 1 << 2;\n",
	    "__END__\nD", "D", 0);
	split("1<<8 is a shift, not a heredoc tagged 8",
	    "my $mask = 1<<8;\nprint $mask;\n", "__END__\nD", "D", 0);
	split("$x<<$y is a shift", "my $z = $x<<$y;\n", "__END__\nD", "D", 0);
}

static void
test_split_crlf(void)
{
	split("CRLF __END__", "print 1;\r\n", "__END__\r\ndata\r\n",
	    "data\r\n", 0);
	split("CRLF __DATA__ # comment", "print 1;\r\n",
	    "__DATA__ # c\r\nD\r\n", "D\r\n", 0);
	split("CRLF POD", "=pod\r\n__END__\r\n=cut\r\nprint 1;\r\n",
	    "__END__\r\nD", "D", 0);
	split("CRLF heredoc", "print <<EOT;\r\n__END__\r\nEOT\r\n",
	    "__END__\r\nD", "D", 0);
	split("CRLF <<~ heredoc", "print <<~EOT;\r\n  __END__\r\n  EOT\r\n",
	    "__END__\r\nD", "D", 0);
	split("CRLF open POD", "=head1 X\r\n__END__\r\n", "", NULL, 1);
}

static void
test_split_len(void)
{
	const char text[] = "print 1;\n__END__\nD\n";
	size_t d = 99, c;
	int pod = -1;

	c = be_script_split(text, 9, &d, &pod);
	CHECK_INT(c, 9, "split: len stops before the marker");
	CHECK_INT(d, 9, "split: data offset is the short len");
	c = be_script_split(text, 16, &d, &pod);
	CHECK_INT(c, 9, "split: marker without its newline within len");
	CHECK_INT(d, 16, "split: data offset clamped to len");
	c = be_script_split("a\0b\n__END__\nD", 13, &d, &pod);
	CHECK_INT(c, 4, "split: NUL bytes in the code do not stop the scan");
	CHECK_INT(d, 12, "split: data after a NUL-containing code");
}

static const char *
mkfile(char *path, size_t len, const char *name, const char *content)
{
	int fd;

	snprintf(path, len, "%s/%s", tmpdir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    util_write_all(fd, content, strlen(content)) == -1)
		exit(2);
	(void)close(fd);
	return path;
}

static void
load_fails(const char *what, const char *path, const char *errpart)
{
	struct be_script s;
	int n = unit_count_fds();

	err[0] = '\0';
	CHECK_INT(be_script_load(&s, path, err, sizeof(err)), -1,
	    "load: %s refused", what);
	CHECK_HAS(err, path, "load: %s: message names the path", what);
	if (errpart != NULL)
		CHECK_HAS(err, errpart, "load: %s: message", what);
	CHECK(s.path == NULL && s.text == NULL, "load: %s: nothing kept",
	    what);
	CHECK_INT(unit_count_fds(), n, "load: %s: no descriptor leaked", what);
	be_script_free(&s);
}

static void
test_load(void)
{
	struct be_script s;
	struct stat st;
	char p[256];
	int n = unit_count_fds();

	snprintf(p, sizeof(p), "%s/missing.pl", tmpdir);
	load_fails("missing file", p, "No such file");
	load_fails("directory", tmpdir, "not a regular file");
	snprintf(p, sizeof(p), "%s/fifo", tmpdir);
	if (mkfifo(p, 0600) == -1)
		exit(2);
	unit_watchdog(10);
	load_fails("FIFO (no hang)", p, "not a regular file");
	unit_watchdog(0);
	load_fails("/dev/null", "/dev/null", "not a regular file");

	mkfile(p, sizeof(p), "empty.pl", "");
	err[0] = '\0';
	if (CHECK_INT(be_script_load(&s, p, err, sizeof(err)), 0,
	    "load: empty file")) {
		CHECK(s.text != NULL && s.text[0] == '\0', "load: empty text");
		CHECK_INT(s.codelen, 0, "load: empty codelen 0");
		CHECK(s.data == NULL && s.datalen == 0, "load: empty: no data");
		CHECK_INT(s.inpod, 0, "load: empty: not in POD");
		CHECK_STR(s.path, p, "load: path copied");
		CHECK(s.path != p, "load: path is a copy");
		be_script_free(&s);
		CHECK(s.path == NULL && s.text == NULL, "load: free resets");
		be_script_free(&s);
		CHECK(1, "load: second free is harmless");
	}

	mkfile(p, sizeof(p), "data.pl", "#!/usr/bin/speedy\nprint <DATA>;\n"
	    "__DATA__\nhello\nworld\n");
	if (CHECK_INT(be_script_load(&s, p, err, sizeof(err)), 0,
	    "load: script with __DATA__")) {
		CHECK_INT(s.codelen, 32, "load: codelen before __DATA__");
		CHECK(s.data != NULL && s.data == s.text + 41,
		    "load: data points into text after the marker line");
		CHECK_INT(s.datalen, 12, "load: datalen");
		CHECK(s.data != NULL && memcmp(s.data, "hello\nworld\n", 12) ==
		    0, "load: data text");
		CHECK_INT(strlen(s.text), 53, "load: text NUL-terminated");
		CHECK(stat(p, &st) == 0 && s.key.dev == (uint64_t)st.st_dev &&
		    s.key.ino == (uint64_t)st.st_ino, "load: key dev/ino");
		CHECK(s.key.mtime_sec == (int64_t)st.st_mtim.tv_sec &&
		    s.key.mtime_nsec == (int64_t)st.st_mtim.tv_nsec,
		    "load: key mtime");
		CHECK(s.key.pathhash == util_hash(p), "load: key pathhash");
		be_script_free(&s);
	}

	mkfile(p, sizeof(p), "plain.pl", "print 1;\n");
	if (CHECK_INT(be_script_load(&s, p, err, sizeof(err)), 0,
	    "load: script without a marker")) {
		CHECK_INT(s.codelen, 9, "load: code is the whole file");
		CHECK(s.data == NULL && s.datalen == 0, "load: no data");
		be_script_free(&s);
	}

	mkfile(p, sizeof(p), "end.pl", "print 1;\n__END__");
	if (CHECK_INT(be_script_load(&s, p, err, sizeof(err)), 0,
	    "load: __END__ without newline")) {
		CHECK_INT(s.codelen, 9, "load: codelen");
		CHECK(s.data != NULL && s.datalen == 0,
		    "load: empty data section exists");
		be_script_free(&s);
	}

	mkfile(p, sizeof(p), "pod.pl", "print 1;\n=head1 NAME\n\nx\n");
	if (CHECK_INT(be_script_load(&s, p, err, sizeof(err)), 0,
	    "load: script ending in POD")) {
		CHECK_INT(s.inpod, 1, "load: inpod set");
		be_script_free(&s);
	}
	CHECK_INT(unit_count_fds(), n, "load: no descriptor leaked");
}

static void
cleanup(void)
{
	static const char *names[] = { "fifo", "empty.pl", "data.pl",
	    "plain.pl", "end.pl", "pod.pl" };
	char p[256];
	size_t k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, names[k]);
		(void)unlink(p);
	}
	CHECK_INT(rmdir(tmpdir), 0, "cleanup: removed %s", tmpdir);
}

int
main(void)
{
	unit_note = err;
	unit_watchdog(60);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_split_markers();
	test_split_pod();
	test_split_heredoc();
	test_split_crlf();
	test_split_len();
	test_load();
	cleanup();
	return unit_done();
}
