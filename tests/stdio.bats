#!/usr/bin/env bats
# STDIN, STDOUT and STDERR behave exactly as under plain perl: end of
# file, empty input, binmode and layers, $|, large data both ways, and a
# reader that goes away.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
}

teardown() {
	lib_teardown
	speedy_teardown
}

@test "STDIN to its end: lines, eof, reading past the end (file, pipe, no final newline)" {
	use_script stdin.pl
	printf 'a\nb\n' >"$W/in"
	IN="$W/in" compare_perl stdin.pl
	assert_eq "$SP_OUT" "2 lines
[a
][b
]
eof=1
more=undef
read=0"
	printf 'one\ntwo' >"$W/in"
	IN="$W/in" compare_perl stdin.pl
	assert_eq "$(head -n 1 <<<"$SP_OUT")" "2 lines"
	# Through a pipe.
	runf timeout 20 bash -c 'printf "x\ny\nz\n" | "$1"' _ "$W/stdin.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "3 lines
[x
][y
][z
]
eof=1
more=undef
read=0"
}

@test "empty STDIN: /dev/null, an empty pipe, a closed descriptor" {
	use_script stdin.pl
	empty="0 lines

eof=1
more=undef
read=0"
	IN=/dev/null compare_perl stdin.pl
	assert_eq "$SP_OUT" "$empty"
	runf timeout 20 bash -c ': | "$1"' _ "$W/stdin.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$empty"
	runf timeout 20 bash -c '"$1" <&-' _ "$W/stdin.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$empty"
	# A request after those still reads its own input.
	runf timeout 20 bash -c 'echo data | "$1"' _ "$W/stdin.pl"
	assert_eq "$(head -n 1 <<<"$output")" "1 lines"
}

@test "input a request leaves unread does not reach the next request" {
	use_script readline.pl
	runf timeout 20 bash -c 'printf "first\nsecond\nthird\n" | "$1"' _ "$W/readline.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "got first"
	runf timeout 20 "$W/readline.pl" </dev/null
	[ "$status" -eq 0 ]
	assert_eq "$output" "got nothing"
	assert_eq "$(backend_pids | wc -l)" 1
}

@test "STDOUT and STDERR go to the client's own descriptors, separately" {
	use_script status.pl
	runs3 timeout 20 "$W/status.pl" die
	[ "$status" -eq 255 ]
	assert_eq "$output" "start die"
	assert_eq "$stderr" "boom"
	timeout 20 "$W/status.pl" warn >"$W/o" 2>"$W/e"
	assert_eq "$(cat "$W/o")" "start warn
end warn"
	assert_eq "$(cat "$W/e")" "careful at $W/status.pl line 16."
}

@test "binmode: binary data passes through unchanged" {
	use_script bincat.pl
	perl -e 'binmode STDOUT; print map(chr, 0..255), "\r\n\r\n\0\n", map(chr($_ % 256), 0..70000)' >"$W/bin"
	timeout 20 "$W/bincat.pl" <"$W/bin" >"$W/bin.out"
	cmp "$W/bin" "$W/bin.out"
	timeout 20 cat "$W/bin" | timeout 20 "$W/bincat.pl" >"$W/bin.out2"
	cmp "$W/bin" "$W/bin.out2"
}

@test "layers set with binmode do not carry over into the next request" {
	use_script layers.pl
	hex() { od -An -tx1 "$W/.sp.out" | tr -s ' \n' ' '; }
	compare_perl layers.pl
	assert_eq "$(hex)" " 63 61 66 e9 0a " "no layer"
	compare_perl layers.pl ':utf8'
	assert_eq "$(hex)" " 63 61 66 c3 a9 0a " ":utf8"
	compare_perl layers.pl
	assert_eq "$(hex)" " 63 61 66 e9 0a " "no layer after :utf8"
	compare_perl layers.pl ':crlf'
	assert_eq "$(hex)" " 63 61 66 e9 0d 0a " ":crlf"
	compare_perl layers.pl
	assert_eq "$(hex)" " 63 61 66 e9 0a " "no layer after :crlf"
}

@test "\$|: buffering as plain perl, and \$| starts at 0 in every request" {
	use_script autoflush.pl
	for arg in "" 1 "" 1 ""; do
		timeout 20 "$W/autoflush.pl" $arg >"$W/both" 2>&1
		perl "$W/plain/autoflush.pl" $arg >"$W/both.perl" 2>&1
		if [ -n "$arg" ]; then
			assert_eq "$(cat "$W/both")" "abc0" "with \$| = 1"
		else
			assert_eq "$(cat "$W/both")" "bac0" "buffered"
		fi
		cmp "$W/both" "$W/both.perl"
	done
	assert_eq "$(backend_pids | wc -l)" 1
}

@test "STDERR is unbuffered in every request, as in plain perl" {
	use_script autoflush.pl
	for i in 1 2 3; do
		timeout 20 "$W/autoflush.pl" >"$W/both" 2>&1
		assert_eq "$(cat "$W/both")" "bac0" "request $i"
	done
	assert_eq "$(backend_pids | wc -l)" 1
}

@test "large output (10 MB) through a pipe and into a file, as plain perl" {
	use_script bigout.pl
	expect=$(perl "$W/plain/bigout.pl" | md5sum)
	runf timeout 20 bash -c 'set -o pipefail; "$1" | md5sum' _ "$W/bigout.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$expect"
	timeout 20 "$W/bigout.pl" >"$W/big"
	assert_eq "$(stat -c %s "$W/big")" 10100000
	assert_eq "$(md5sum <"$W/big")" "$expect"
	# A slow reader: the output still arrives complete.
	runf timeout 20 bash -c 'set -o pipefail; "$1" 3000 | { sleep 1; md5sum; }' _ "$W/bigout.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$(perl "$W/plain/bigout.pl" 3000 | md5sum)"
}

@test "large input (5 MB) on STDIN, from a file and a pipe" {
	use_script digest.pl
	head -c 5000000 /dev/urandom >"$W/in"
	expect="5000000 $(md5sum <"$W/in" | cut -d ' ' -f 1)"
	IN="$W/in" compare_perl digest.pl
	assert_eq "$SP_OUT" "$expect"
	runf timeout 20 bash -c 'cat "$2" | "$1"' _ "$W/digest.pl" "$W/in"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$expect"
}

@test "the reader goes away: the script dies of SIGPIPE as under plain perl, nothing hangs" {
	use_script yes.pl
	runf timeout 20 bash -c 'set -o pipefail; perl "$1" | head -n 2' _ "$W/plain/yes.pl"
	pl_status=$status
	assert_eq "$pl_status" 141 "plain perl's status"
	# stderr into a file: a backend still running must not hold our pipe.
	runf timeout 20 bash -c 'set -o pipefail; "$1" 2>"$2" | head -n 2' _ "$W/yes.pl" "$W/err"
	assert_eq "$output" "y
y"
	assert_eq "$status" "$pl_status" "exit status"
	assert_eq "$(cat "$W/err")" "" stderr
	# Again: the first request's script is not still running somewhere.
	runf timeout 20 bash -c 'set -o pipefail; "$1" 2>"$2" | head -n 1' _ "$W/yes.pl" "$W/err"
	assert_eq "$output" "y"
	assert_eq "$status" "$pl_status" "exit status"
	[ "$(backend_pids | wc -l)" -le 1 ]
}
