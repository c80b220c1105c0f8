# lib.bash: helpers the suites share, on top of helpers.bash.  A suite does
#
#	load helpers
#	load lib
#	setup() { speedy_setup; lib_setup; }
#	teardown() { lib_teardown; speedy_teardown; }
#
# Scripts in tests/scripts/ start with "#!/usr/bin/perl [switches]" so that
# plain perl can run them as they are; use_script installs a copy whose #!
# line names the frontend under test (keeping the switches) and a plain
# copy for comparisons with perl.

# lib_setup: per-test state of these helpers.
lib_setup() {
	mkdir -p "$W/plain"
	EXTRA_DIRS=()	# other TmpBase directories (<TmpBase>.<uid>) to clean
	BG_PIDS=()	# background frontends started by the test
	EXTRA_PIDS=()	# backends outside the test's directories to stop
	ROOT_TMP=	# a world-readable scratch directory (see world_dir)
	# The backend program under test, also when the frontend finds it
	# by its built-in default (installed programs).
	REAL_BACKEND=${SPEEDY_BACKENDPROG:-$(dirname "$(command -v "$SPEEDY")")/speedy_backend}
}

# lib_teardown: stops what the test started outside $SPEEDY_DIR.
lib_teardown() {
	local p d
	for p in "${BG_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	# This test's own backends too: speedy_teardown then finds none left
	# (it would wait for them to be reaped).
	for d in "$SPEEDY_DIR" "${EXTRA_DIRS[@]}"; do
		stop_pids $(pids_in "$d")
	done
	stop_pids "${EXTRA_PIDS[@]}"
	if [ -n "$ROOT_TMP" ]; then
		rm -rf "$ROOT_TMP"
	fi
	return 0
}

# pids_in DIR: live backends and parents that have a socket in DIR (a
# <TmpBase>.<uid>).
pids_in() {
	local s p
	for s in "$1"/*.sock; do
		[ -e "$s" ] || continue
		p=$(basename "$s" .sock)
		gone "$p" || echo "$p"
	done
	return 0
}

# backends_in DIR: the backends among pids_in DIR (not the parents).
backends_in() {
	local p
	for p in $(pids_in "$1"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = speedy_parent ] || echo "$p"
	done
	return 0
}

# stop_pids PID...: TERM, then KILL what is left after 5 s.
stop_pids() {
	local p i left
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || true
	for i in $(seq 1 50); do
		left=
		for p in "$@"; do
			gone "$p" || left=1
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	kill -KILL "$@" 2>/dev/null || true
}

# use_script NAME [SHEBANG-OPTIONS]: installs tests/scripts/NAME as $W/NAME,
# its #! line naming the frontend (followed by SHEBANG-OPTIONS if given,
# else by the switches of the original #! line), and as $W/plain/NAME
# unchanged, for plain perl.  Line numbers stay those of the original.
use_script() {
	local name=$1 src="$SCRIPTS/$1" first opts
	[ -f "$src" ] || { echo "no such test script: $src" >&2; return 1; }
	first=$(head -n 1 "$src")
	case $first in
	'#!'*perl*) ;;
	*) echo "$src: first line must be #!/usr/bin/perl" >&2; return 1 ;;
	esac
	if [ $# -ge 2 ]; then
		opts=$2
	else
		opts=$(printf '%s\n' "$first" | sed -e 's/^#![^ ]*//' -e 's/^ *//')
	fi
	tail -n +2 "$src" | mkscript "$name" "$opts"
	cp "$src" "$W/plain/$name"
}

# plain_perl NAME [ARGS...]: runs $W/plain/NAME under plain perl (adding -T
# when its #! line has it, as perl requires), within 20 s.
plain_perl() {
	local name=$1 t=
	shift
	if head -n 1 "$W/plain/$name" | grep -q -- ' -[a-zA-Z]*T'; then
		t=-T
	fi
	timeout 20 perl $t "$W/plain/$name" "$@"
}

# compare_perl NAME [ARGS...]: runs $W/NAME under speedy (through the
# kernel's #!) and $W/plain/NAME under plain perl, both with standard
# input from $IN (default /dev/null) in the current directory, and fails
# unless standard output, standard error and the exit status are the
# same.  "$W/plain/" in perl's output reads as "$W/".  Leaves speedy's
# results in $SP_OUT, $SP_ERR and $SP_RC.
compare_perl() {
	local name=$1 in=${IN:-/dev/null} pl_rc
	shift
	SP_RC=0
	timeout 20 "$W/$name" "$@" <"$in" >"$W/.sp.out" 2>"$W/.sp.err" || SP_RC=$?
	pl_rc=0
	plain_perl "$name" "$@" <"$in" >"$W/.pl.out" 2>"$W/.pl.err" || pl_rc=$?
	sed -i "s#$W/plain/#$W/#g" "$W/.pl.out" "$W/.pl.err"
	SP_OUT=$(cat "$W/.sp.out")
	SP_ERR=$(cat "$W/.sp.err")
	if ! cmp -s "$W/.sp.out" "$W/.pl.out"; then
		echo "stdout differs from plain perl (< speedy, > perl):"
		diff "$W/.sp.out" "$W/.pl.out" | cat -A | head -40
		return 1
	fi
	if ! cmp -s "$W/.sp.err" "$W/.pl.err"; then
		echo "stderr differs from plain perl (< speedy, > perl):"
		diff "$W/.sp.err" "$W/.pl.err" | head -40
		return 1
	fi
	if [ "$SP_RC" != "$pl_rc" ]; then
		echo "exit status: speedy $SP_RC, plain perl $pl_rc"
		return 1
	fi
}

# assert_eq ACTUAL EXPECTED [WHAT]
assert_eq() {
	if [ "$1" != "$2" ]; then
		printf '%s differs\n--- expected:\n%s\n--- actual:\n%s\n---\n' \
		    "${3:-value}" "$2" "$1"
		return 1
	fi
}

# assert_match ACTUAL REGEX [WHAT]: extended regex
assert_match() {
	if ! [[ $1 =~ $2 ]]; then
		printf '%s does not match /%s/:\n%s\n' "${3:-value}" "$2" "$1"
		return 1
	fi
}

# assert_one_line TEXT [WHAT]: TEXT is exactly one non-empty line.
assert_one_line() {
	local n
	n=$(printf '%s\n' "$1" | wc -l)
	if [ -z "$1" ] || [ "$n" -ne 1 ]; then
		printf '%s: expected exactly one line, got %s:\n%s\n' \
		    "${2:-message}" "$n" "$1"
		return 1
	fi
}

# assert_no_backends: no backend of this test's TmpBase is alive.
assert_no_backends() {
	local p
	p=$(backend_pids)
	if [ -n "$p" ]; then
		echo "backends running: $p"
		return 1
	fi
}

# runf CMD...: like bats' run ($status, $output with stdout and stderr,
# $lines), but through a file instead of a pipe: a backend that goes on
# running (holding the request's descriptors) after CMD was timed out
# cannot keep the test waiting for end-of-file.
runf() {
	local f="$BATS_TEST_TMPDIR/.runf.out"
	status=0
	"$@" >"$f" 2>&1 || status=$?
	output=$(cat "$f")
	mapfile -t lines <"$f"
}

# runs3 CMD...: like runf, but keeps stdout and stderr apart: $status,
# $output (stdout) and $stderr.
runs3() {
	local f="$BATS_TEST_TMPDIR/.runs3"
	status=0
	"$@" >"$f.out" 2>"$f.err" || status=$?
	output=$(cat "$f.out")
	stderr=$(cat "$f.err")
}

# field KEY TEXT: the value of the first "KEY=value" line in TEXT.
field() {
	printf '%s\n' "$2" | sed -n "s/^$1=//p" | head -n 1
}

# stale_socket PATH: a Unix socket file at PATH that nobody listens on
# (its process made it and exited), as a crashed server leaves behind.
stale_socket() {
	perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Local => $ARGV[0],
	    Listen => 1) or die "$ARGV[0]: $!\n"' "$1"
	[ -S "$1" ]
}

# gone PID: true once the process has exited (a zombie has: the backends
# are reparented to an init that may reap them late).
gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 1)
	[ -z "$st" ] || [ "$st" = Z ]
}

# world_dir: creates $ROOT_TMP, a scratch directory that an unprivileged
# user can reach (the bats temporary directories are private to root).
world_dir() {
	ROOT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/speedy-bats.XXXXXX")
	chmod 755 "$ROOT_TMP"
}

# as_nobody CMD...: runs CMD as the unprivileged user nobody.
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}

# queue_dump [DIR]: the queue file of DIR (a <TmpBase>.<uid>, default
# $SPEEDY_DIR) as text, read without the lock (for polling):
#	header nused=N nwaiters=N nrebuilt=N nreclaimed=N nmaxhit=N
#	slot PID STATE FE_PID RUNS	(every slot in use)
#	waiter PID SEQ FUTEX		(every waiting frontend, by arrival)
# It knows layout version 3 (src/common/queue.h) and fails on another.
queue_dump() {
	local f="${1:-$SPEEDY_DIR}/queue.3"
	[ -f "$f" ] || { echo "queue_dump: no $f" >&2; return 1; }
	perl -e '
	use strict;
	open my $fh, "<", $ARGV[0] or die "queue_dump: $ARGV[0]: $!\n";
	binmode $fh;
	local $/;
	my $buf = <$fh>;
	my ($magic, $ver, $hs, $ss, $ns, $nused, $nw) =
	    unpack "a8 L L L L L L", $buf;
	die "queue_dump: $ARGV[0] is not a version 3 queue file\n"
	    unless $magic eq "SPEEDYQ\0" && $ver == 3 && $hs == 128 &&
	    $ss == 256 && $ns == 1024 && length($buf) >= 128 + 1024 * 352;
	my ($rebuilt, $reclaimed, $maxhit) = (unpack("Q6",
	    substr($buf, 40, 48)))[3, 2, 5];
	print "header nused=$nused nwaiters=$nw nrebuilt=$rebuilt ",
	    "nreclaimed=$reclaimed nmaxhit=$maxhit\n";
	my @names = qw(free starting idle busy draining parent spawning);
	for my $i (0 .. $nused - 1) {
		my $s = substr($buf, 128 + 256 * $i, 256);
		my ($pid, $st) = unpack "l C", $s;
		next unless $st;
		my ($runs, $fe) = unpack "L l", substr($s, 64, 8);
		print "slot $pid ", $names[$st] // $st, " $fe $runs\n";
	}
	my @w;
	for my $i (0 .. $nw - 1) {
		my ($pid, $futex, $seq) =
		    unpack "l L Q", substr($buf, 128 + 256 * 1024 + 96 * $i, 16);
		push @w, [$pid, $seq, $futex] if $pid;
	}
	print "waiter @$_\n" for sort { $a->[1] <=> $b->[1] } @w;
	' "$f"
}

# queue_waiters [DIR]: the pids of the frontends waiting for MaxBackends,
# in arrival order.
queue_waiters() {
	queue_dump "$@" | awk '$1 == "waiter" { print $2 }'
}

# nwaiting N: true if exactly N frontends are waiting (for wait_for).
nwaiting() {
	[ "$(queue_waiters | grep -c .)" -eq "$1" ]
}

# slot_state PID [DIR]: the state of PID's slot in the queue file
# (idle, busy, parent, ...), nothing if it has none.
slot_state() {
	queue_dump "${2:-$SPEEDY_DIR}" | awk -v p="$1" \
	    '$1 == "slot" && $2 == p { print $3 }'
}

# is_idle PID: true once PID's slot says idle (for wait_for).
is_idle() {
	[ "$(slot_state "$1")" = idle ]
}

# ppid_of PID: the parent process id of PID.
ppid_of() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d ' ' -f 2
}

# marked_pids VALUE: the live processes (other than this shell) whose
# environment holds STRESS_MARK=VALUE.  tests/stress/chaos.sh exports it
# to everything it starts; backends and parents inherit the environment
# of the frontend that started them, so this finds them too.
marked_pids() {
	live_pids_of $(grep -lsFxz -e "STRESS_MARK=$1" /proc/[0-9]*/environ)
}

# live_pids_of /proc/PID/FILE...: the PIDs of those files that are alive
# and not this shell (a grep of /proc finds the shell that runs it too).
live_pids_of() {
	local f p
	for f in "$@"; do
		p=${f#/proc/}
		p=${p%%/*}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] || gone "$p" ||
		    echo "$p"
	done
	return 0
}

# ------------------------------------------------------------ gated requests
# Suites that run tests/scripts/pool_gate.pl (use_script pool_gate.pl) set
# T_LOG="$W/log" and T_GATE="$W/go" and FE=() in setup: the script logs
# "start ID pid=PID", waits for the file $W/go.ID (open_gate ID), then logs
# "end ID pid=PID", so the test decides when each request ends.

# start_req ID: runs pool_gate.pl ID in the background within 20 s,
# stdout to $W/out.ID, stderr to $W/err.ID.
start_req() {
	timeout 20 "$W/pool_gate.pl" "$1" >"$W/out.$1" 2>"$W/err.$1" 3>&- &
	FE[$1]=$!
	BG_PIDS+=($!)
}

# req_wait ID: waits for the background request ID; its status in $RC.
req_wait() {
	RC=0
	wait "${FE[$1]}" || RC=$?
}

# wait_req ID: waits for the background request ID; fails unless it
# exited 0.
wait_req() {
	req_wait "$1"
	if [ "$RC" -ne 0 ]; then
		echo "request $1 exited $RC: $(cat "$W/err.$1")"
		return 1
	fi
}

# open_gate ID...: lets the requests ID... end.
open_gate() {
	local id
	for id in "$@"; do
		: >"$W/go.$id"
	done
}

# has_started ID, has_ended ID: the request has logged start / end.
has_started() {
	grep -q "^start $1 " "$W/log" 2>/dev/null
}
has_ended() {
	grep -q "^end $1 " "$W/log" 2>/dev/null
}

# pid_of ID: the backend running (or that ran) request ID.
pid_of() {
	sed -n "s/^start $1 pid=//p" "$W/log"
}
