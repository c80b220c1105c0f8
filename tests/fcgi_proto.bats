#!/usr/bin/env bats
# speedy-fcgi at the protocol level: requests sent by tests/fcgi/client
# (a FastCGI client that can also misbehave: split records, one-byte
# bodies, ABORT_REQUEST, hanging up, a second BEGIN_REQUEST, unknown
# roles and types, raw bytes) to a speedy-fcgi on a Unix socket of the
# test's own, running tests/scripts/fcgiproto_app.pl; and speedy-fcgi's
# command line: usage, errors, the socket file, the pidfile, SIGTERM.
#
# FCGI_PROTO_SERVER=fcgiwrap runs the protocol tests against Debian's
# fcgiwrap instead, which checks the client and the tests themselves
# against a FastCGI server written by others; what fcgiwrap does not do
# (GET_VALUES outside a request, appStatus, ABORT_REQUEST, a pool of
# backends, speedy-fcgi's command line) is skipped there.
#
# Every server runs with STRESS_MARK set to a value of the test's own,
# which its workers and backends inherit: teardown stops whatever carries
# it, and tests count those processes to see that nothing strays.  Every
# client exits within its -t (20 s by default), exit 124 otherwise; no
# test asserts a duration.

load helpers
load lib

# FCGI_CLIENT: another build of the client (with sanitizers, say).
CLIENT=${FCGI_CLIENT:-$TOP/tests/fcgi/client}
SERVER=${FCGI_PROTO_SERVER:-speedy-fcgi}

# Against the installed programs (autopkgtest, CI after the package
# build cleaned the tree) the client is compiled here from the source.
setup_file() {
	if [ ! -x "$CLIENT" ] && [ -n "${SPEEDY_INSTALLED:-}" ] &&
	    command -v cc >/dev/null 2>&1; then
		cc -I"$TOP/src/common" -o "$BATS_FILE_TMPDIR/client" \
		    "$TOP/tests/fcgi/client.c" "$TOP/src/common/fcgi.c" ||
		    return 1
	fi
}

setup() {
	speedy_setup
	lib_setup
	if [ ! -x "$CLIENT" ] && [ -x "$BATS_FILE_TMPDIR/client" ]; then
		CLIENT=$BATS_FILE_TMPDIR/client
	fi
	if [ ! -x "$CLIENT" ]; then
		echo "$CLIENT is not built (make tests/fcgi/client)" >&2
		return 1
	fi
	SOCK="$BATS_TEST_TMPDIR/s.sock"
	ADDR=$SOCK
	MARK="fcgiproto-$$-$BATS_TEST_NUMBER-$RANDOM"
	SRV_PIDS=()
	# fcgiwrap runs the script as a CGI program: it must be executable.
	APP="$W/app.pl"
	cp "$SCRIPTS/fcgiproto_app.pl" "$APP"
	chmod 755 "$APP"
	FCGI_SCRIPT=$APP
	# The client sends its standard input as the body: never a terminal
	# that bats was started from.
	exec </dev/null
}

teardown() {
	stop_pids "${SRV_PIDS[@]}"
	# shellcheck disable=SC2046
	stop_pids $(marked_pids "$MARK")
	lib_teardown
	speedy_teardown
}

# speedy_only REASON: skips the test when it runs against fcgiwrap.
speedy_only() {
	[ "$SERVER" != fcgiwrap ] || skip "fcgiwrap: $1"
}

# start_fcgi [SPEEDY-FCGI OPTIONS...] SCRIPT: starts the server under test
# listening on $ADDR (the script last), stdout and stderr to $W/srv.out
# and $W/srv.err, and waits until it serves.  fcgiwrap gets -c for -n.
start_fcgi() {
	local n=2 prev= a i
	FCGI_SCRIPT=${!#}
	if [ "$SERVER" = fcgiwrap ]; then
		for a in "$@"; do
			[ "$prev" = -n ] && n=$a
			prev=$a
		done
		STRESS_MARK=$MARK fcgiwrap -f -c "$n" -s "unix:$ADDR" \
		    >"$W/srv.out" 2>"$W/srv.err" 3>&- &
	else
		STRESS_MARK=$MARK "$FCGI" -l "$ADDR" "$@" \
		    >"$W/srv.out" 2>"$W/srv.err" 3>&- &
	fi
	SRV_PID=$!
	SRV_PIDS+=("$SRV_PID")
	for i in $(seq 1 100); do
		if gone "$SRV_PID"; then
			echo "the server exited; its stderr:"
			cat "$W/srv.err"
			return 1
		fi
		serving && return 0
		sleep 0.1
	done
	echo "the server does not serve on $ADDR; its stderr:"
	cat "$W/srv.err"
	return 1
}

# serving: a connection to $ADDR is accepted, and closed by the server
# when the client closes its side without sending anything.
serving() {
	"$CLIENT" -t 5 -N -E "$ADDR" >/dev/null 2>&1
}

# fc [CLIENT OPTIONS...] [-- NAME=VALUE...]: one request (or -r several)
# to the server under test, SCRIPT_FILENAME set as nginx sets it.
fc() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	"$CLIENT" "${opts[@]}" "$ADDR" SCRIPT_FILENAME="$FCGI_SCRIPT" "$@"
}

# strip_header: copies stdin to stdout without the CGI header (fcgiwrap
# ends its lines with CR LF, speedy-fcgi passes the script's LF).
strip_header() {
	perl -0777 -pe 's/\A.*?\r?\n\r?\n//s'
}

# req [CLIENT OPTIONS...] [-- NAME=VALUE...]: fc through runs3 ($status,
# $output, $stderr), $body being the output after the CGI header.
req() {
	runs3 fc "$@"
	body=$(strip_header <<<"$output")
}

# req_ok ARGS...: req, and fails unless the request succeeded and its
# output starts with the script's CGI header.
req_ok() {
	req "$@"
	if [ "$status" -ne 0 ] || [ "$(head -n 1 <<<"$output" | tr -d '\r')" \
	    != "Content-Type: text/plain" ]; then
		printf 'request %s: status %s\nstdout:\n%s\nstderr:\n%s\n' \
		    "$*" "$status" "$output" "$stderr"
		printf 'server stderr:\n%s\n' "$(cat "$W/srv.err")"
		return 1
	fi
}

# server_alive: the server we started is still running.
server_alive() {
	if gone "$SRV_PID"; then
		printf 'the server died; its stderr:\n%s\n' "$(cat "$W/srv.err")"
		return 1
	fi
}

# nprocs: how many processes carry the test's mark (the server, its
# workers, their backends).
nprocs() {
	marked_pids "$MARK" | grep -c . || true
}

# no_busy: no backend of the test's TmpBase is busy with a request.
no_busy() {
	! queue_dump 2>/dev/null | awk '$1 == "slot" && $3 == "busy"' |
	    grep -q .
}

# not_client_error: $status is not one of the client's own (120-124):
# the request ended with an END_REQUEST.
not_client_error() {
	if [ "$status" -ge 120 ] && [ "$status" -le 124 ]; then
		printf 'client exit %s:\n%s\n' "$status" "$stderr"
		return 1
	fi
}

# hex STRING: STRING's bytes in hexadecimal, for the client's -x.
hex() {
	perl -e 'print unpack("H*", $ARGV[0])' "$1"
}

# ------------------------------------------------------------ the protocol

@test "GET_VALUES: FCGI_MAX_REQS is nproc, FCGI_MAX_CONNS at least that, FCGI_MPXS_CONNS 0, unknown names left out" {
	speedy_only "libfcgi answers GET_VALUES only within a request"
	start_fcgi -n 2 "$APP"
	runs3 "$CLIENT" -g FCGI_MAX_CONNS,FCGI_MAX_REQS,FCGI_MPXS_CONNS "$ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	# A worker keeps several idle keep-alive connections while it runs
	# one request: more connections than requests.
	assert_match "$(sort <<<"$output")" "^FCGI_MAX_CONNS=[0-9]+
FCGI_MAX_REQS=2
FCGI_MPXS_CONNS=0\$"
	[ "$(field FCGI_MAX_CONNS "$output")" -ge 2 ]
	runs3 "$CLIENT" -g NO_SUCH_VARIABLE,FCGI_MPXS_CONNS "$ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	assert_eq "$output" "FCGI_MPXS_CONNS=0"
	# Nothing asked, nothing answered (an empty GET_VALUES_RESULT).
	runs3 "$CLIENT" -g NO_SUCH_VARIABLE "$ADDR"
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	assert_eq "$output" ""
	req_ok -- QUERY_STRING=pid
}

@test "params reach the script's %ENV, split across records anywhere; 4-byte lengths; nothing leaks into the next request" {
	start_fcgi -n 1 "$APP"
	names=QUERY_STRING,REQUEST_METHOD,HTTP_X_CUSTOM,HTTP_X_EMPTY,CONTENT_LENGTH
	long=$(printf 'v%.0s' $(seq 1 300))
	lname=HTTP_X_$(printf 'N%.0s' $(seq 1 200))
	for split in 65535 1 3,7,1,64 2,5; do
		req_ok -s "$split" -- QUERY_STRING="env=$names,$lname" \
		    REQUEST_METHOD=GET "HTTP_X_CUSTOM=a b=c; é" HTTP_X_EMPTY= \
		    "$lname=$long" </dev/null
		assert_eq "$body" "QUERY_STRING=env=$names,$lname
REQUEST_METHOD=GET
HTTP_X_CUSTOM=a b=c; é
HTTP_X_EMPTY=
CONTENT_LENGTH unset
$lname=$long" "params split by -s $split"
	done
	# The same (only) backend serves the next request: the previous
	# request's params are gone, PATH is there (speedy-fcgi's own when
	# the params have none).
	req_ok -- QUERY_STRING=env=HTTP_X_CUSTOM,REQUEST_METHOD,PATH
	assert_match "$body" "^HTTP_X_CUSTOM unset
REQUEST_METHOD unset
PATH=/"
	# The script runs in its directory, as itself, without arguments.
	req_ok -- QUERY_STRING=where
	assert_eq "$body" "cwd=$W
0=$APP
args=0"
}

@test "STDIN: every byte value, empty, 5 MB with its first 100 KB in one-byte records, slow, left unread" {
	start_fcgi -n 2 "$APP"
	perl -e 'print map { chr } 0 .. 255 for 1 .. 4' >"$W/bin"
	fc -- QUERY_STRING=echo REQUEST_METHOD=POST CONTENT_LENGTH=1024 \
	    <"$W/bin" >"$W/echo.out" 2>"$W/echo.err" || {
		echo "status $?: $(cat "$W/echo.err")"
		false
	}
	strip_header <"$W/echo.out" >"$W/echo.body"
	cmp "$W/bin" "$W/echo.body"
	# The same, one byte per record.
	fc -b 1 -- QUERY_STRING=echo <"$W/bin" | strip_header >"$W/echo.body"
	cmp "$W/bin" "$W/echo.body"

	req_ok -- QUERY_STRING=cat </dev/null
	assert_eq "$body" "len=0
md5=d41d8cd98f00b204e9800998ecf8427e"

	head -c 5242880 /dev/urandom >"$W/big"
	md5=$(md5sum <"$W/big" | cut -d ' ' -f 1)
	req_ok -B 102400 -- QUERY_STRING=cat REQUEST_METHOD=POST \
	    CONTENT_LENGTH=5242880 <"$W/big"
	assert_eq "$body" "len=5242880
md5=$md5"

	# Slowly: a record every 50 ms.
	printf 'slow body' >"$W/slow"
	req_ok -b 2 -w 50 -- QUERY_STRING=cat <"$W/slow"
	assert_eq "$body" "len=9
md5=$(md5sum <"$W/slow" | cut -d ' ' -f 1)"

	# A script that never reads its 1 MB body; the next request on the
	# same connection is served all the same.  (fcgiwrap answers 502 and
	# closes the connection.)
	[ "$SERVER" != fcgiwrap ] || return 0
	head -c 1048576 /dev/urandom >"$W/unread"
	req_ok -S -r 2 -- QUERY_STRING=pid <"$W/unread"
	[ "$(grep -c '^pid=' <<<"$output")" -eq 2 ]
	[ "$(grep -c 'protocolStatus=COMPLETE$' <<<"$stderr")" -eq 2 ]
}

@test "STDOUT and STDERR: each stream in order, a child's output in its place, both before END_REQUEST" {
	start_fcgi -n 2 "$APP"
	req_ok -- QUERY_STRING=streams=300
	assert_eq "$body" "$(for i in $(seq 1 300); do echo "out $i"; done; echo done)"
	assert_eq "$stderr" "$(for i in $(seq 1 300); do echo "err $i"; done)"

	# Record by record: the client itself fails (121) on stream data
	# after the stream's end, or END_REQUEST before the end of STDOUT;
	# here END_REQUEST must also be the last record.
	runs3 fc -D -- QUERY_STRING=streams=50
	[ "$status" -eq 0 ] || { echo "$stderr"; false; }
	assert_eq "$(tail -n 2 <<<"$output")" "END_REQUEST id=1 appStatus=0 protocolStatus=COMPLETE
EOF"
	[ "$(grep -c '^STDOUT id=1 len=0$' <<<"$output")" -eq 1 ]
	[ "$(grep -c '^STDERR id=1 len=[1-9]' <<<"$output")" -ge 1 ]

	# Real pipes: what a child of the script writes lands in order.
	req_ok -- QUERY_STRING=system
	assert_eq "$body" "before
from child
after"
	assert_eq "$stderr" "stderr before
stderr from child"
}

@test "the exit status is END_REQUEST's appStatus: 0, exit 3, die 255; a backend killed: 1 and one line, as speedy says" {
	speedy_only "fcgiwrap always says appStatus 0"
	start_fcgi -n 2 "$APP"
	req -S -- QUERY_STRING=exit=3
	[ "$status" -eq 3 ] || { echo "status $status: $stderr"; false; }
	assert_eq "$body" "exiting 3"
	assert_match "$stderr" "END_REQUEST id=1 appStatus=3 protocolStatus=COMPLETE"
	req -S -- QUERY_STRING=die
	[ "$status" -eq 255 ] || { echo "status $status: $stderr"; false; }
	assert_eq "$body" "dying"
	assert_match "$stderr" "boom"
	# The script kills its backend: the request fails as under the
	# speedy frontend (tests/backend.bats), with appStatus 1 and one
	# line on STDERR, after what the script wrote.
	req -S -- QUERY_STRING=kill=9
	[ "$status" -eq 1 ] || { echo "status $status: $stderr"; false; }
	assert_eq "$body" "killing myself"
	assert_match "$stderr" "^speedy-fcgi: $APP: [^
]+
fcgi: END_REQUEST id=1 appStatus=1 protocolStatus=COMPLETE
fcgi: EOF\$"
	req_ok -S -- QUERY_STRING=exit=0
	assert_eq "$body" "exiting 0"
	# A killed backend does not take the server with it.
	server_alive
}

@test "keep-alive: 50 requests on one connection, one backend serves them all; the server closes after the last" {
	start_fcgi -n 2 "$APP"
	# The client exits 0 only once the server closed the connection
	# after the last request (which had no FCGI_KEEP_CONN).
	req_ok -S -r 50 -- QUERY_STRING=pid </dev/null
	[ "$(grep -c '^fcgi: END_REQUEST id=1 appStatus=0 protocolStatus=COMPLETE$' <<<"$stderr")" -eq 50 ]
	[ "$(grep -c '^pid=' <<<"$output")" -eq 50 ]
	if [ "$SERVER" != fcgiwrap ]; then
		pids=$(grep '^pid=' <<<"$output" | sort -u)
		[ "$(wc -l <<<"$pids")" -eq 1 ] || { echo "pids: $pids"; false; }
		pid=${pids#pid=}
		backend_pids | grep -qx "$pid"
	fi
	# With FCGI_KEEP_CONN on the last too, the client hangs up itself.
	req_ok -S -k -r 3 -- QUERY_STRING=pid </dev/null
	[ "$(grep -c '^pid=' <<<"$output")" -eq 3 ]
	req_ok -- QUERY_STRING=pid
	server_alive
}

@test "ABORT_REQUEST mid-output: END_REQUEST still comes, the script is stopped, the backend serves again with -n 1" {
	speedy_only "fcgiwrap lets the CGI script run to its end"
	start_fcgi -n 1 "$APP"
	# The script would tick for 40 s: the client's 15 s are up unless
	# the abort ends it.
	req -S -A -t 15 -- QUERY_STRING=trickle </dev/null
	not_client_error
	assert_match "$stderr" "fcgi: END_REQUEST id=1 appStatus=[0-9]+ protocolStatus=COMPLETE"
	assert_match "$body" "^tick 1"
	[[ $body != *finished* ]]
	# The only worker and the backend serve the next requests.
	wait_for no_busy
	req_ok -t 15 -- QUERY_STRING=pid
	req -S -A -t 15 -- QUERY_STRING=trickle </dev/null
	not_client_error
	req_ok -t 15 -- QUERY_STRING=pid
	wait_for no_busy
	[ "$(backend_pids | wc -l)" -le 1 ]
	server_alive
}

@test "ABORT_REQUEST while the script waits for its body: its body ends, END_REQUEST comes, -n 1 goes on" {
	start_fcgi -n 1 "$APP"
	# -H: the body never ends; -A aborts once the script said "ready"
	# (which fcgiwrap passes on only after the body).
	if [ "$SERVER" != fcgiwrap ]; then
		req -S -H -A -t 15 -- QUERY_STRING=waitbody
		not_client_error
		assert_match "$stderr" "fcgi: END_REQUEST id=1 appStatus=[0-9]+ protocolStatus=COMPLETE"
		assert_match "$body" "^ready"
	fi
	# Aborted whenever 200 ms have passed: before the script ran, or
	# while it waits; the outcome is the same.
	req -S -H -a 200 -t 15 -- QUERY_STRING=waitbody
	not_client_error
	assert_match "$stderr" "fcgi: END_REQUEST id=1 "
	req_ok -t 15 -- QUERY_STRING=pid
	server_alive
}

@test "the client hangs up in the middle of a big response: the script stops, nothing strays, the server serves on" {
	start_fcgi -n 2 "$APP"
	req_ok -- QUERY_STRING=pid
	before=$(nprocs)
	# A close, then a reset, each after 200000 bytes of an endless
	# response.
	fc -c 200000 -- QUERY_STRING=yes </dev/null >"$W/yes.out"
	[ "$(wc -c <"$W/yes.out")" -eq 200000 ]
	fc -C 200000 -- QUERY_STRING=yes </dev/null >"$W/yes.out"
	[ "$(wc -c <"$W/yes.out")" -eq 200000 ]
	req_ok -- QUERY_STRING=pid
	server_alive
	if [ "$SERVER" != fcgiwrap ]; then
		# The endless scripts ended: no busy backend, and no more
		# processes than before.
		wait_for no_busy || { queue_dump; false; }
	fi
	wait_for eval '[ "$(nprocs)" -le "$before" ]' || {
		echo "processes before: $before, now:"
		marked_pids "$MARK" | xargs -r ps -o pid,ppid,stat,args -p
		false
	}
	req_ok -- QUERY_STRING=pid
}

@test "a role other than responder: END_REQUEST UNKNOWN_ROLE, the script does not run, the server goes on" {
	speedy_only "libfcgi accepts every role and closes on an unknown one"
	start_fcgi -n 2 "$APP"
	for role in 2 3 0 99 65535; do
		req -S -R "$role" -- QUERY_STRING=mark HTTP_X_MARK="$W/ran.$role" </dev/null
		[ "$status" -eq 122 ] || { echo "role $role: status $status: $stderr"; false; }
		assert_match "$stderr" "^fcgi: END_REQUEST id=1 appStatus=[0-9]+ protocolStatus=UNKNOWN_ROLE" "role $role"
		[ -z "$output" ]
		[ ! -e "$W/ran.$role" ]
	done
	req_ok -- QUERY_STRING=mark HTTP_X_MARK="$W/ran.1"
	[ -e "$W/ran.1" ]
}

@test "a second BEGIN_REQUEST while one runs: END_REQUEST CANT_MPX_CONN for it, the first completes" {
	start_fcgi -n 2 "$APP"
	printf 'body of the first' >"$W/in"
	md5=$(md5sum <"$W/in" | cut -d ' ' -f 1)
	# The client holds the first request's body back until the second
	# is refused, so the first cannot have ended.
	req_ok -S -2 -- QUERY_STRING=cat <"$W/in"
	# (libfcgi loses the first request's body.)
	[ "$SERVER" = fcgiwrap ] || assert_eq "$body" "len=17
md5=$md5"
	assert_eq "$stderr" "fcgi: END_REQUEST id=2 appStatus=0 protocolStatus=CANT_MPX_CONN
fcgi: END_REQUEST id=1 appStatus=0 protocolStatus=COMPLETE
fcgi: EOF"
	# The connection goes on serving (requestId 1 again).
	req_ok -S -2 -r 2 -- QUERY_STRING=cat <"$W/in"
	[ "$(grep -c 'id=1 appStatus=0 protocolStatus=COMPLETE$' <<<"$stderr")" -eq 2 ]
	[ "$SERVER" = fcgiwrap ] || [ "$(grep -c "^md5=$md5\$" <<<"$output")" -eq 2 ]
}

@test "an unknown record type is answered UNKNOWN_TYPE, and the connection's request is served" {
	start_fcgi -n 2 "$APP"
	for t in 12 200 255; do
		req_ok -S -u "$t" -- QUERY_STRING=pid </dev/null
		assert_match "$stderr" "^fcgi: UNKNOWN_TYPE type=$t
fcgi: END_REQUEST id=1 appStatus=0 protocolStatus=COMPLETE"
	done
}

# hostile [-E] WHAT HEX: sends the bytes HEX alone on a connection (-E:
# then closes its side), and fails unless the server closes that
# connection without answering, stays up and serves a request.
hostile() {
	local e=
	if [ "$1" = -E ]; then
		e=-E
		shift
	fi
	runs3 "$CLIENT" -N $e -t 10 -x "$2" "$ADDR"
	if [ "$status" -ne 0 ] || [ "$output" != EOF ]; then
		printf 'hostile stream "%s": status %s\nreceived:\n%s\n%s\n' \
		    "$1" "$status" "$output" "$stderr"
		printf 'server stderr:\n%s\n' "$(cat "$W/srv.err")"
		return 1
	fi
	server_alive
	req_ok -- QUERY_STRING=pid
}

@test "garbage, a bad version, impossible lengths, records out of place: the connection is closed, the server serves on" {
	speedy_only "libfcgi takes some of these streams"
	start_fcgi -n 2 "$APP"
	begin='01 01 00 01 00 08 00 00 00 01 00 00 00 00 00 00'
	hostile "version 2" '02 01 00 01 00 08 00 00 00 01 00 00 00 00 00 00'
	hostile "an HTTP request" "$(hex $'GET / HTTP/1.0\r\nHost: x\r\n\r\n')"
	hostile "pair lengths of 2^31 - 1" "$begin
	    01 04 00 01 00 08 00 00 ff ff ff ff ff ff ff ff
	    01 04 00 01 00 00 00 00"
	hostile "a pair running past its stream" "$begin
	    01 04 00 01 00 04 04 00 05 05 41 42 00 00 00 00
	    01 04 00 01 00 00 00 00"
	hostile "a name with '='" "$begin
	    01 04 00 01 00 05 03 00 03 00 61 3d 62 00 00 00
	    01 04 00 01 00 00 00 00"
	hostile "STDIN before the end of PARAMS" "$begin
	    01 05 00 01 00 01 07 00 41 00 00 00 00 00 00 00"
	hostile "a record for a request never begun" '01 05 00 07 00 00 00 00'
	hostile "END_REQUEST from the web server" \
	    '01 03 00 01 00 08 00 00 00 00 00 00 00 00 00 00'
	hostile "STDOUT from the web server" "$begin 01 06 00 01 00 00 00 00"
	hostile "a BEGIN_REQUEST of 5 bytes" '01 01 00 01 00 05 03 00 00 01 00 00 00 00 00 00'
	hostile "BEGIN_REQUEST with requestId 0" '01 01 00 00 00 08 00 00 00 01 00 00 00 00 00 00'
	# Cut short by the end of the connection: a header, a record.
	hostile -E "half a header" '01 01 00'
	hostile -E "a record of 65535 bytes with 2 sent" '01 04 00 01 ff ff 00 00 41 42'
	hostile -E "params without their end" "$begin
	    01 04 00 01 00 04 04 00 01 01 41 42 00 00 00 00"
}

@test "a connection holding half a record does not keep the other worker from serving" {
	start_fcgi -n 2 "$APP"
	"$CLIENT" -N -t 15 -x '01 01 00 01 00 08' "$ADDR" >/dev/null 2>&1 3>&- &
	held=$!
	BG_PIDS+=("$held")
	req_ok -t 15 -- QUERY_STRING=pid
	kill "$held"
	wait "$held" || true
	req_ok -t 15 -- QUERY_STRING=pid
	req_ok -t 15 -- QUERY_STRING=pid
	server_alive
}

@test "params over 1 MiB or over 4096 pairs: the connection is refused, the server lives; just under is served" {
	speedy_only "fcgiwrap passes params to execve, which takes 128 KiB a string"
	start_fcgi -n 2 "$APP"
	head -c 1000000 /dev/zero | tr '\0' v >"$W/under"
	req_ok -F HTTP_X_BIG="$W/under" -- QUERY_STRING=envlen=HTTP_X_BIG
	assert_eq "$body" "HTTP_X_BIG length=1000000"
	head -c 1048576 /dev/zero | tr '\0' v >"$W/over"
	req -F HTTP_X_BIG="$W/over" -- QUERY_STRING=envlen=HTTP_X_BIG </dev/null
	[ "$status" -eq 120 ] || { echo "status $status: $stderr"; false; }
	[ -z "$output" ]
	server_alive
	req_ok -m 4000 -- QUERY_STRING=env=FILL3999
	assert_eq "$body" "FILL3999=1"
	req -m 4100 -- QUERY_STRING=env=FILL3999 </dev/null
	[ "$status" -eq 120 ] || { echo "status $status: $stderr"; false; }
	[ -z "$output" ]
	server_alive
	req_ok -- QUERY_STRING=pid
}

@test "50 concurrent connections with -n 2: every one is served" {
	start_fcgi -n 2 "$APP"
	pids=()
	for i in $(seq 1 50); do
		fc -t 60 -- QUERY_STRING=env=HTTP_X_ID HTTP_X_ID="$i" \
		    </dev/null >"$W/c.$i" 2>"$W/e.$i" 3>&- &
		pids[i]=$!
		BG_PIDS+=($!)
	done
	failed=
	for i in $(seq 1 50); do
		rc=0
		wait "${pids[i]}" || rc=$?
		if [ "$rc" -ne 0 ] || [ "$(strip_header <"$W/c.$i")" != "HTTP_X_ID=$i" ]; then
			echo "request $i: status $rc: $(cat "$W/c.$i" "$W/e.$i")"
			failed=1
		fi
	done
	if [ -n "$failed" ]; then
		marked_pids "$MARK" | xargs -r ps -o pid,ppid,stat,wchan:30,args -p
		queue_dump
		cat "$W/srv.err"
		false
	fi
	server_alive
}

@test "TCP: -l 127.0.0.1:PORT serves requests" {
	speedy_only "the other tests run fcgiwrap on a Unix socket"
	port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
	    LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport')
	ADDR="127.0.0.1:$port"
	start_fcgi -n 2 "$APP"
	req_ok -- QUERY_STRING=env=REQUEST_METHOD REQUEST_METHOD=HEAD
	assert_eq "$body" "REQUEST_METHOD=HEAD"
}

# ------------------------------------------------------ speedy-fcgi itself

@test "speedy-fcgi without arguments: usage on stderr, exit 2" {
	speedy_only "speedy-fcgi's command line"
	runs3 timeout 20 "$FCGI" </dev/null
	[ "$status" -eq 2 ] || { echo "status $status: $stderr"; false; }
	assert_match "$stderr" "^usage: speedy-fcgi "
	[ -z "$output" ]
}

@test "speedy-fcgi with an unknown option or a bad -n: one line naming it, exit 2, nothing listens" {
	speedy_only "speedy-fcgi's command line"
	runs3 timeout 20 "$FCGI" -l "$SOCK" --no-such-option "$APP"
	[ "$status" -eq 2 ] || { echo "status $status: $stderr"; false; }
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-fcgi: .*no-such-option"
	[ ! -e "$SOCK" ]
	for n in abc 0 -1 99999999999; do
		runs3 timeout 20 "$FCGI" -l "$SOCK" -n "$n" "$APP"
		[ "$status" -eq 2 ] || { echo "-n $n: status $status: $stderr"; false; }
		assert_one_line "$stderr" "-n $n"
		assert_match "$stderr" "^speedy-fcgi: .*$n"
		[ ! -e "$SOCK" ]
	done
	# An option without its value.
	runs3 timeout 20 "$FCGI" "$APP" -l
	[ "$status" -eq 2 ] || { echo "-l at the end: status $status: $stderr"; false; }
}

@test "speedy-fcgi with a missing script: one line, exit 1 or 2, nothing listens" {
	speedy_only "speedy-fcgi's command line"
	STRESS_MARK=$MARK runs3 timeout 20 "$FCGI" -l "$SOCK" -n 2 "$W/no-such-script.pl"
	[ "$status" -eq 1 ] || [ "$status" -eq 2 ] || { echo "status $status: $stderr"; false; }
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-fcgi: .*no-such-script.pl"
	[ ! -e "$SOCK" ]
}

@test "speedy-fcgi -l on a regular file: refused, the file untouched" {
	speedy_only "speedy-fcgi's command line"
	printf 'precious\n' >"$W/file"
	ino=$(stat -c %i "$W/file")
	STRESS_MARK=$MARK runs3 timeout 20 "$FCGI" -l "$W/file" -n 2 "$APP"
	[ "$status" -eq 1 ] || { echo "status $status: $stderr"; false; }
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-fcgi: .*$W/file"
	[ -f "$W/file" ]
	assert_eq "$(cat "$W/file")" "precious"
	assert_eq "$(stat -c %i "$W/file")" "$ino" "inode"
}

@test "speedy-fcgi -l on a socket another speedy-fcgi listens on: in use, exit 1, the other unaffected" {
	speedy_only "speedy-fcgi's command line"
	start_fcgi -n 2 "$APP"
	ino=$(stat -c %i "$SOCK")
	STRESS_MARK=$MARK runs3 timeout 20 "$FCGI" -l "$SOCK" -n 2 "$APP"
	[ "$status" -eq 1 ] || { echo "status $status: $stderr"; false; }
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-fcgi: .*in use"
	assert_eq "$(stat -c %i "$SOCK")" "$ino" "the socket's inode"
	server_alive
	req_ok -- QUERY_STRING=pid
}

@test "speedy-fcgi replaces a stale socket file nobody listens on" {
	speedy_only "speedy-fcgi's command line"
	stale_socket "$SOCK"
	start_fcgi -n 2 "$APP"
	req_ok -- QUERY_STRING=pid
}

@test "-p pidfile and SIGTERM: the pidfile names the master; SIGTERM lets a running request finish, exits 0, leaves no process, socket or pidfile" {
	speedy_only "speedy-fcgi's command line"
	start_fcgi -p "$W/pidfile" -n 2 "$APP"
	assert_eq "$(cat "$W/pidfile")" "$SRV_PID" "the pidfile"
	req_ok -- QUERY_STRING=pid
	[ "$(nprocs)" -ge 2 ]
	# A request in flight: its body trickles in (10 bytes, one every
	# 100 ms) while SIGTERM arrives.
	printf '0123456789' >"$W/in"
	fc -b 1 -w 100 -- QUERY_STRING=waitbody <"$W/in" >"$W/flight.out" \
	    2>"$W/flight.err" 3>&- &
	flight=$!
	BG_PIDS+=("$flight")
	wait_for grep -q '^ready' "$W/flight.out"
	kill -TERM "$SRV_PID"
	rc=0
	wait "$flight" || rc=$?
	[ "$rc" -eq 0 ] || { echo "request in flight: $rc: $(cat "$W/flight.err")"; false; }
	assert_eq "$(strip_header <"$W/flight.out" | sed 1d)" "len=10
md5=$(md5sum <"$W/in" | cut -d ' ' -f 1)"
	wait_for gone "$SRV_PID" || {
		echo "speedy-fcgi still runs 10 s after SIGTERM:"
		marked_pids "$MARK" | xargs -r ps -o pid,ppid,stat,wchan:30,args -p
		cat "$W/srv.err"
		false
	}
	rc=0
	wait "$SRV_PID" || rc=$?
	[ "$rc" -eq 0 ] || { echo "speedy-fcgi exited $rc: $(cat "$W/srv.err")"; false; }
	[ ! -e "$W/pidfile" ]
	[ ! -e "$SOCK" ]
	wait_for eval '[ "$(nprocs)" -eq 0 ]' || {
		marked_pids "$MARK" | xargs -r ps -o pid,ppid,stat,args -p
		false
	}
	assert_no_backends
}
