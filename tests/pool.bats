#!/usr/bin/env bats
# The backend pool (issue "Backend pool"): a parent holding the compiled
# script forks the backends; concurrency and MaxBackends; named groups;
# lifecycle and shutdown handlers; recovery from killed processes;
# BufsizGet; the queue file's directory and damaged files.
#
# Most tests run tests/scripts/pool_gate.pl, which logs "start ID pid=PID"
# to $T_LOG, waits for the file $W/go.ID (open_gate ID), then logs
# "end ID pid=PID": the test decides when each request ends.  No test
# asserts a duration; every command that could hang runs under timeout.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	export T_LOG="$W/log" T_GATE="$W/go" T_BEGIN="$W/begin" T_SHUT="$W/shut"
	FE=()		# FE[ID]: the background request ID (its timeout's pid)
}

teardown() {
	lib_teardown
	speedy_teardown
}

# count_started: how many requests have started.
count_started() {
	local n
	n=$(grep -c '^start ' "$W/log" 2>/dev/null) || true
	echo "${n:-0}"
}

# n_started N: at least N requests have started (for wait_for).
n_started() {
	[ "$(count_started)" -ge "$1" ]
}

# started_ids: the ids of the started requests, in the order they started.
started_ids() {
	sed -n 's/^start \([^ ]*\) .*/\1/p' "$W/log" | tr '\n' ' ' |
	    sed 's/ $//'
}

# pid_of ID: the backend that runs (or ran) request ID.
pid_of() {
	sed -n "s/^start $1 pid=//p" "$W/log"
}

# word KEY TEXT: the value of the first "KEY=value" word in TEXT.
word() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# count TEXT: the number of non-empty lines in TEXT.
count() {
	printf '%s\n' "$1" | grep -c . || true
}

# not CMD...: fails if CMD succeeds.
not() {
	if "$@"; then
		echo "unexpectedly true: $*"
		return 1
	fi
}

# bump FILE: gives FILE another modification time.
bump() {
	touch -m -d "@$(($(stat -c %Y "$1") - 100))" "$1"
}

# all_gone PID...: every PID has exited (for wait_for).
all_gone() {
	local p
	for p in "$@"; do
		gone "$p" || return 1
	done
}

# live_parents, live_backends: like parent_pids and backend_pids, but a
# process that has exited and not yet been reaped does not count.
live_parents() {
	local p
	for p in $(pids_in "$SPEEDY_DIR"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = speedy_parent ] &&
		    echo "$p"
	done
	return 0
}
live_backends() {
	backends_in "$SPEEDY_DIR"
}

# no_pids: no backend or parent of this test is alive (for wait_for).
no_pids() {
	[ -z "$(pids_in "$SPEEDY_DIR")" ]
}

# life NAME [SHEBANG-OPTIONS]: installs pool_life.pl as $W/NAME.
life() {
	tail -n +2 "$SCRIPTS/pool_life.pl" | mkscript "$1" "${2:-}"
}

# ---------------------------------------------------------------- pool

@test "concurrent requests get one backend each, all forked from the one parent that compiled the script" {
	use_script pool_gate.pl
	open_gate 0
	runf timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -eq 0 ]
	first=$(word pid "$output")
	parent=$(live_parents)
	assert_eq "$(count "$parent")" 1 "number of parents"
	assert_eq "$(cat "/proc/$parent/comm")" speedy_parent "parent's comm"
	assert_eq "$output" "id=0 pid=$first ppid=$parent"

	# Three requests at once: three backends, one of them the idle one.
	start_req 1
	start_req 2
	start_req 3
	wait_for n_started 4
	pids=$(for i in 1 2 3; do pid_of $i; done | sort -u)
	assert_eq "$(count "$pids")" 3 "backends serving 3 concurrent requests"
	assert_eq "$(live_backends | sort)" "$pids" "live backends"
	printf '%s\n' "$pids" | grep -qx "$first"
	for p in $pids; do
		assert_eq "$(ppid_of "$p")" "$parent" "parent process of backend $p"
	done
	assert_eq "$(live_parents)" "$parent" "parents"
	open_gate 1 2 3
	for i in 1 2 3; do
		wait_req $i
		assert_eq "$(cat "$W/out.$i")" "id=$i pid=$(pid_of $i) ppid=$parent"
	done
	assert_eq "$(cat "$W/begin")" "compiled $parent" "compilations"

	# Idle backends are reused: no new process for sequential requests.
	for i in 4 5 6 7; do
		open_gate $i
		runf timeout 20 "$W/pool_gate.pl" $i
		[ "$status" -eq 0 ]
		printf '%s\n' "$pids" | grep -qx "$(word pid "$output")"
	done
	assert_eq "$(live_backends | sort)" "$pids" "backends after reuse"
	assert_eq "$(count "$(cat "$W/begin")")" 1 "compilations"
}

@test "requests arriving while the script compiles: it is compiled once, by one parent" {
	use_script pool_gate.pl
	export T_BEGIN_GATE="$W/compiled"
	open_gate 1 2 3
	start_req 1
	# Request 1's backend is compiling (held in a BEGIN block) ...
	wait_for test -s "$W/begin"
	# ... when two more requests arrive.
	start_req 2
	start_req 3
	sleep 1		# lets them reach the pool; no timing is asserted
	: >"$T_BEGIN_GATE"
	for i in 1 2 3; do
		wait_req $i
	done
	assert_eq "$(count "$(cat "$W/begin")")" 1 "compilations"
	assert_eq "$(count "$(live_parents)")" 1 "parents"
	parent=$(live_parents)
	for i in 1 2 3; do
		assert_eq "$(word ppid "$(cat "$W/out.$i")")" "$parent" \
		    "parent process of request $i's backend"
	done
}

@test "MaxBackends 2: six concurrent requests never have more than two backends and are served in arrival order" {
	use_script pool_gate.pl "-- -M2"
	start_req 1
	wait_for has_started 1
	start_req 2
	wait_for has_started 2
	for i in 3 4 5 6; do
		start_req $i
		# Arrival order is made certain: each waits before the next.
		wait_for nwaiting $((i - 2))
		assert_eq "$(count "$(live_backends)")" 2 "backends with $i requests"
	done
	assert_eq "$(started_ids)" "1 2"
	# Backends are freed in another order than the requests came; the
	# frontend that has waited longest gets the backend each time.
	expect="1 2"
	for step in "2 3" "1 4" "4 5" "3 6"; do
		read -r free next <<<"$step"
		n=$(($(count_started) + 1))
		open_gate "$free"
		wait_for n_started "$n"
		expect="$expect $next"
		assert_eq "$(started_ids)" "$expect" "order in which requests started"
		[ "$(count "$(live_backends)")" -le 2 ]
	done
	open_gate 5 6
	for i in 1 2 3 4 5 6; do
		wait_req $i
	done
	# Never more than two requests running, on two backends.
	max=$(awk '/^start/ { if (++c > m) m = c } /^end/ { c-- } END { print m }' "$W/log")
	assert_eq "$max" 2 "most requests running at once"
	assert_eq "$(for i in 1 2 3 4 5 6; do pid_of $i; done | sort -u)" \
	    "$(live_backends | sort)" "backends that served"
	assert_eq "$(count "$(live_backends)")" 2 "backends"
	assert_eq "$(queue_waiters)" "" "frontends still waiting"
}

@test "MaxBackends: a waiting frontend killed with SIGKILL leaves no trace" {
	use_script pool_gate.pl "-- -M1"
	start_req 1
	wait_for has_started 1
	start_req 2
	wait_for nwaiting 1
	start_req 3
	wait_for nwaiting 2
	waiting=($(queue_waiters))
	# The first waiter is request 2's frontend (its timeout's child).
	assert_eq "$(ppid_of "${waiting[0]}")" "${FE[2]}" "first waiter's parent"
	kill -KILL "${waiting[0]}"
	rc=0
	wait "${FE[2]}" || rc=$?
	assert_eq "$rc" 137 "status of the killed request"
	open_gate 1 2 3
	wait_req 1
	wait_req 3
	not has_started 2
	assert_eq "$(pid_of 3)" "$(pid_of 1)" "backend of request 3"
	assert_eq "$(queue_waiters)" "" "frontends still waiting"
	# Later requests are served at once, by the one backend.
	for i in 4 5 6; do
		open_gate $i
		runf timeout 20 "$W/pool_gate.pl" $i
		[ "$status" -eq 0 ]
		assert_eq "$(word pid "$output")" "$(pid_of 1)" "backend of request $i"
	done
	assert_eq "$(live_backends)" "$(pid_of 1)" "backends"
	assert_eq "$(queue_waiters)" "" "frontends still waiting"
}

# ------------------------------------------------------------- groups

@test "a named group runs its scripts in one interpreter, each in its own package" {
	use_script pool_group_a.pl "-w -- -gshop"
	use_script pool_group_b.pl "-w -- -gshop"
	runs3 timeout 20 "$W/pool_group_a.pl"
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	pid=$(word pid "$output")
	pkg_a=$(word pkg "$output")
	assert_eq "$(word who "$output")" a
	runs3 timeout 20 "$W/pool_group_b.pl"
	[ "$status" -eq 0 ]
	assert_eq "$stderr" "" "stderr of b (same-named subs must not collide)"
	assert_eq "$(word pid "$output")" "$pid" "process running b"
	pkg_b=$(word pkg "$output")
	assert_eq "$(word who "$output")" b "b's who()"
	assert_eq "$(word runs "$output")" 1 "b's own globals"
	[ "$pkg_a" != "$pkg_b" ]
	[ "$pkg_a" != main ]
	[ "$pkg_b" != main ]
	runs3 timeout 20 "$W/pool_group_a.pl"
	assert_eq "$stderr" ""
	assert_eq "$(head -n 1 <<<"$output")" "script=a who=a pkg=$pkg_a pid=$pid runs=2"
	runs3 timeout 20 "$W/pool_group_b.pl"
	assert_eq "$(head -n 1 <<<"$output")" "script=b who=b pkg=$pkg_b pid=$pid runs=2"
	assert_eq "$(live_backends)" "$pid" "backends"
}

@test "only the first 12 characters of a group name count" {
	use_script pool_group_a.pl "-- -gabcdefghijklmX"
	use_script pool_group_b.pl "-- -gabcdefghijklmY"
	runf timeout 20 "$W/pool_group_a.pl"
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	runf timeout 20 "$W/pool_group_b.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(word pid "$output")" "$pid" "process running b"
	# Names that differ within the first 12 characters do not share.
	use_script pool_group_a.pl "-- -gabcdefghijkX"
	use_script pool_group_b.pl "-- -gabcdefghijkY"
	runf timeout 20 "$W/pool_group_a.pl"
	pa=$(word pid "$output")
	runf timeout 20 "$W/pool_group_b.pl"
	pb=$(word pid "$output")
	[ -n "$pa" ]
	[ "$pa" != "$pb" ]
}

@test "shift and pop at file level work on @ARGV, in a named group and in group none" {
	for g in shop none; do
		use_script pool_group_a.pl "-- -g$g"
		use_script pool_group_b.pl "-- -g$g"
		for i in 1 2; do
			runf timeout 20 "$W/pool_group_a.pl" one two three four
			[ "$status" -eq 0 ]
			assert_eq "$(sed -n 2p <<<"$output")" "first=one last=four rest=two three" "group $g, run $i of a"
			runf timeout 20 "$W/pool_group_b.pl" x
			assert_eq "$(sed -n 2p <<<"$output")" "first=x last=undef rest=" "group $g, run $i of b"
			runf timeout 20 "$W/pool_group_b.pl"
			assert_eq "$(sed -n 2p <<<"$output")" "first=undef last=undef rest=" "group $g, run $i of b"
		done
	done
}

@test "exit in a grouped script ends only the request" {
	use_script pool_group_a.pl "-- -gshop"
	use_script pool_group_b.pl "-- -gshop"
	runf timeout 20 "$W/pool_group_a.pl"
	pid=$(word pid "$output")
	T_EXIT=3 runs3 timeout 20 "$W/pool_group_b.pl"
	assert_eq "$status" 3 "exit status"
	assert_eq "$(word pid "$output")" "$pid" "process running b"
	assert_eq "$(tail -n 1 <<<"$output")" "data=data of b|second line of b|"
	T_EXIT=0 runf timeout 20 "$W/pool_group_a.pl"
	assert_eq "$status" 0
	runf timeout 20 "$W/pool_group_a.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(head -n 1 <<<"$output")" "script=a who=a pkg=$(word pkg "$output") pid=$pid runs=3"
	assert_eq "$(tail -n 1 <<<"$output")" "end a"
	runf timeout 20 "$W/pool_group_b.pl"
	assert_eq "$(tail -n 1 <<<"$output")" "end b"
	assert_eq "$(word runs "$output")" 2
	assert_eq "$(live_backends)" "$pid" "backends"
}

@test "__END__: each script of a group reads its own DATA, from the start every time" {
	use_script pool_group_a.pl "-- -gshop"
	use_script pool_group_b.pl "-- -gshop"
	for i in 1 2 3; do
		for s in a b; do
			runf timeout 20 "$W/pool_group_$s.pl"
			[ "$status" -eq 0 ]
			assert_eq "$(sed -n 3p <<<"$output")" "data=data of $s|second line of $s|" "DATA of $s, run $i"
		done
	done
	assert_eq "$(count "$(live_backends)")" 1 "backends"
}

@test "group none: each script has its own parent and backends, in package main" {
	use_script pool_group_a.pl
	use_script pool_group_b.pl
	runf timeout 20 "$W/pool_group_a.pl"
	pa=$(word pid "$output")
	assert_eq "$(word pkg "$output")" main
	runf timeout 20 "$W/pool_group_b.pl"
	pb=$(word pid "$output")
	assert_eq "$(word pkg "$output")" main
	[ -n "$pa" ]
	[ "$pa" != "$pb" ]
	[ "$(ppid_of "$pa")" != "$(ppid_of "$pb")" ]
	assert_eq "$(count "$(live_parents)")" 2 "parents"
	runf timeout 20 "$W/pool_group_a.pl"
	assert_eq "$(word pid "$output")" "$pa"
	assert_eq "$(word runs "$output")" 2
}

# ---------------------------------------------------------- lifecycle

@test "setopt('timeout', 1) takes effect at run time; the shutdown handler runs" {
	use_script pool_life.pl
	runf timeout 20 "$W/pool_life.pl" timeout
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	assert_eq "$output" "old=3600
n=1 pid=$pid"
	wait_for gone "$pid"
	assert_eq "$(cat "$T_SHUT")" "shutdown $pid"
}

@test "setopt('maxruns', 2) takes effect at run time; the shutdown handler runs" {
	use_script pool_life.pl
	runf timeout 20 "$W/pool_life.pl" maxruns
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	assert_eq "$output" "old=500
n=1 pid=$pid"
	runf timeout 20 "$W/pool_life.pl"
	assert_eq "$output" "n=2 pid=$pid"
	wait_for gone "$pid"
	assert_eq "$(cat "$T_SHUT")" "shutdown $pid"
	runf timeout 20 "$W/pool_life.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 pid=[0-9]+$'
	[ "$(word pid "$output")" != "$pid" ]
}

# one_family: exactly one parent and one backend are running.
one_family() {
	[ "$(parent_pids | wc -l)" -eq 1 ] && [ "$(backend_pids | wc -l)" -eq 1 ]
}

@test "the script changes while its parent starts, and a second frontend starts another: the redundant parent serves its request and leaves" {
	use_script pool_life.pl
	local real=${SPEEDY_BACKENDPROG:-/usr/bin/speedy_backend} a b
	# Every parent starts two seconds late: the first reserves its start
	# for the version its frontend saw, then reads the script after the
	# change; the second frontend sees the new version, which nobody is
	# starting yet, and starts a second parent for it.
	printf '#!/bin/sh\nsleep 2\nexec %s "$@"\n' "$real" >"$W/slow_backend"
	chmod +x "$W/slow_backend"
	export SPEEDY_BACKENDPROG="$W/slow_backend"
	timeout 20 "$W/pool_life.pl" >"$W/out.a" 2>&1 &
	a=$!
	sleep 0.5
	touch "$W/pool_life.pl"
	timeout 20 "$W/pool_life.pl" >"$W/out.b" 2>&1 &
	b=$!
	wait "$a"
	wait "$b"
	assert_match "$(cat "$W/out.a")" '^n=1 pid=[0-9]+$'
	assert_match "$(cat "$W/out.b")" '^n=1 pid=[0-9]+$'
	wait_for one_family
	# The one left serves the next request.
	runf timeout 20 "$W/pool_life.pl"
	assert_match "$output" '^n=2 pid=[0-9]+$'
	one_family
}

@test "a backend that exits does what perl does at exit: END blocks, buffered output written, DESTROY" {
	use_script exit_order.pl "-- -r2"
	runf timeout 20 perl "$W/plain/exit_order.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(cat "$T_SHUT")" "run
end
destroy"
	rm -f "$T_SHUT"
	runf timeout 20 "$W/exit_order.pl"
	[ "$status" -eq 0 ]
	pid=${output#pid=}
	runf timeout 20 "$W/exit_order.pl"
	assert_eq "$output" "pid=$pid"
	wait_for gone "$pid"
	# The two runs' lines stayed in the handle's buffer until the exit.
	assert_eq "$(cat "$T_SHUT")" "run
run
end
destroy"
}

@test "SIGTERM to an idle backend: it exits cleanly, running the shutdown handlers" {
	use_script pool_life.pl
	runf timeout 20 "$W/pool_life.pl"
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	[ ! -e "$T_SHUT" ]
	kill -TERM "$pid"
	wait_for gone "$pid"
	assert_eq "$(cat "$T_SHUT")" "shutdown $pid"
	[ ! -e "$SPEEDY_DIR/$pid.sock" ]
	assert_eq "$(slot_state "$pid")" "" "queue slot of the exited backend"
	# The parent forks a fresh backend for the next request.
	runf timeout 20 "$W/pool_life.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 pid=[0-9]+$'
	[ "$(word pid "$output")" != "$pid" ]
}

@test "shutdown handlers run on Timeout, MaxRuns and shutdown_next_time" {
	life t1.pl "-- -t1"
	life r1.pl "-- -r1"
	life next.pl
	runf timeout 20 "$W/t1.pl"
	[ "$status" -eq 0 ]
	p1=$(word pid "$output")
	runf timeout 20 "$W/r1.pl"
	[ "$status" -eq 0 ]
	p2=$(word pid "$output")
	runf timeout 20 "$W/next.pl" next
	[ "$status" -eq 0 ]
	p3=$(word pid "$output")
	assert_eq "$output" "n=1 pid=$p3"
	wait_for all_gone "$p1" "$p2" "$p3"
	assert_eq "$(sort "$T_SHUT")" "$(printf 'shutdown %s\n' "$p1" "$p2" "$p3" | sort)"
}

@test "shutdown_now does not return, the status is 0 and the shutdown handlers run" {
	use_script pool_life.pl
	runs3 timeout 20 "$W/pool_life.pl" now
	assert_eq "$status" 0 "exit status"
	assert_eq "$stderr" ""
	assert_match "$output" '^before pid=[0-9]+$'
	p1=$(word pid "$output")
	# Not even eval stops it.
	runs3 timeout 20 "$W/pool_life.pl" eval-now
	assert_eq "$status" 0 "exit status"
	assert_eq "$stderr" ""
	assert_match "$output" '^before pid=[0-9]+$'
	p2=$(word pid "$output")
	wait_for all_gone "$p1" "$p2"
	assert_eq "$(cat "$T_SHUT")" "shutdown $p1
shutdown $p2"
}

@test "set_shutdown_handler returns the previous handler; only the last one set runs" {
	use_script pool_sethandler.pl "-- -r1"
	runf timeout 20 "$W/pool_sethandler.pl"
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	assert_eq "$output" "first=undef
second=h1
pid=$pid"
	wait_for gone "$pid"
	assert_eq "$(cat "$T_SHUT")" "h2 $pid"
}

@test "an idle backend marked draining whose QUIT never came exits by itself" {
	use_script pool_life.pl
	runf timeout 20 "$W/pool_life.pl"
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	wait_for is_idle "$pid"
	# What a drain whose QUIT was lost leaves: the state alone.
	perl -e '
	open my $fh, "+<", $ARGV[0] or die "$ARGV[0]: $!\n";
	binmode $fh;
	for my $i (0 .. 1023) {
		seek $fh, 128 + 256 * $i, 0 or die;
		read $fh, my $s, 5;
		my ($p) = unpack "l", $s;
		next unless $p == $ARGV[1];
		seek $fh, 128 + 256 * $i + 4, 0 or die;
		print $fh pack("C", 4) or die;	# QS_DRAINING
		exit 0;
	}
	die "no slot for $ARGV[1]\n";' "$SPEEDY_DIR/queue.3" "$pid"
	assert_eq "$(slot_state "$pid")" draining
	wait_for gone "$pid"
	assert_eq "$(cat "$T_SHUT")" "shutdown $pid"
	runf timeout 20 "$W/pool_life.pl"
	[ "$status" -eq 0 ]
	[ "$(word pid "$output")" != "$pid" ]
}

@test "the parent exits after Timeout once it has no children" {
	use_script pool_gate.pl "-- -t1"
	open_gate 0
	runf timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -eq 0 ]
	pid=$(word pid "$output")
	parent=$(word ppid "$output")
	assert_eq "$(live_parents)" "$parent" "parents"
	wait_for all_gone "$pid" "$parent"
	assert_eq "$(pids_in "$SPEEDY_DIR")" "" "live backends and parents"
	assert_eq "$(ls "$SPEEDY_DIR" | grep '\.sock$' || true)" "" "sockets left"
}

@test "a changed script gets a new parent; the old parent and backend go away" {
	use_script pool_gate.pl
	open_gate 0 1
	runf timeout 20 "$W/pool_gate.pl" 0
	old=$(word pid "$output")
	oldparent=$(word ppid "$output")
	assert_eq "$(live_parents)" "$oldparent"
	bump "$W/pool_gate.pl"
	runf timeout 20 "$W/pool_gate.pl" 1
	[ "$status" -eq 0 ]
	new=$(word pid "$output")
	newparent=$(word ppid "$output")
	[ "$new" != "$old" ]
	[ "$newparent" != "$oldparent" ]
	wait_for all_gone "$old" "$oldparent"
	assert_eq "$(live_parents)" "$newparent" "parents"
	assert_eq "$(live_backends)" "$new" "backends"
	assert_eq "$(cat "/proc/$newparent/comm")" speedy_parent
	assert_eq "$(count "$(cat "$W/begin")")" 2 "compilations"
}

# ----------------------------------------------------------- recovery

@test "a frontend that fails after reserving (backend program missing) frees its reservations, even as a zombie" {
	use_script pool_life.pl
	# perl forks the frontend and reaps it only after 30 s (or when
	# told): meanwhile its pid exists, as a zombie.
	perl -e '
	my $file = shift;
	my $pid = fork // die;
	if (!$pid) { exec @ARGV or exit 127 }
	$SIG{USR1} = sub { waitpid($pid, 0); exit 0 };
	open my $fh, ">", $file or die; print $fh "$pid\n"; close $fh;
	sleep 30; waitpid($pid, 0);' "$W/fe.pid" \
	    "$SPEEDY" -- -p/nonexistent/backend "$W/pool_life.pl" 2>"$W/err" &
	reaper=$!
	BG_PIDS+=($reaper)
	wait_for test -s "$W/fe.pid"
	fe=$(cat "$W/fe.pid")
	wait_for grep -q 'cannot execute backend' "$W/err"
	wait_for eval '[ "$(ps -o stat= -p '"$fe"')" = Z ]'
	# Its reservations are gone although the pid still exists...
	assert_eq "$(slot_state "$fe")" "" "slots of the failed frontend"
	# ...so the next request starts a parent at once.
	runf timeout 20 "$W/pool_life.pl"
	[ "$status" -eq 0 ]
	kill -USR1 "$reaper"
}

@test "a frontend killed with SIGKILL mid-request does not lose the backend" {
	use_script pool_gate.pl
	# No timeout in between: $! is the frontend itself.
	"$W/pool_gate.pl" 1 >"$W/out.1" 2>&1 3>&- &
	fe=$!
	BG_PIDS+=($fe)
	wait_for has_started 1
	pid=$(pid_of 1)
	kill -KILL "$fe"
	rc=0
	wait "$fe" || rc=$?
	assert_eq "$rc" 137 "status of the killed frontend"
	not gone "$pid"
	open_gate 1 2
	wait_for has_ended 1
	wait_for is_idle "$pid"
	runf timeout 20 "$W/pool_gate.pl" 2
	[ "$status" -eq 0 ]
	assert_eq "$(word pid "$output")" "$pid" "backend of the next request"
	assert_eq "$(live_backends)" "$pid" "backends"
}

@test "a backend killed mid-request: the frontend exits non-zero with one line, and the next request works" {
	use_script pool_gate.pl
	start_req 1
	wait_for has_started 1
	pid=$(pid_of 1)
	kill -KILL "$pid"
	rc=0
	wait "${FE[1]}" || rc=$?
	[ "$rc" -ne 0 ]
	[ "$rc" -ne 124 ]	# not a hang ended by timeout
	[ "$rc" -lt 128 ]
	assert_one_line "$(cat "$W/err.1")" "frontend's stderr"
	assert_match "$(cat "$W/err.1")" '^speedy: '
	open_gate 2
	runf timeout 20 "$W/pool_gate.pl" 2
	[ "$status" -eq 0 ]
	assert_match "$output" '^id=2 pid=[0-9]+ ppid=[0-9]+$'
	[ "$(word pid "$output")" != "$pid" ]
}

@test "a script's child that keeps stdout open does not delay the frontend; its output still arrives" {
	use_script pool_forkout.pl
	timeout 20 "$W/pool_forkout.pl" >"$W/out" 2>"$W/err" 3>&- &
	fe=$!
	BG_PIDS+=($fe)
	rc=0
	wait "$fe" || rc=$?
	assert_eq "$rc" 0 "frontend's status"
	child=$(sed -n 's/^child=//p' "$W/out")
	[ -n "$child" ]
	# The frontend is done while the child still runs (it sleeps 3 s).
	not gone "$child"
	wait_for gone "$child"
	assert_eq "$(cat "$W/out")" "child=$child
child output"
	assert_eq "$(cat "$W/err")" ""
}

@test "a child forked by a script never acts as a backend" {
	use_script pool_forkchild.pl
	first=
	for how in end exit die; do
		runs3 timeout 20 "$W/pool_forkchild.pl" "$how"
		assert_eq "$status" 0 "status ($how)"
		child=$(word child "$output")
		pid=$(word pid "$output")
		case $how in
		end) want=0 ;;
		exit) want=7 ;;
		die) want=255
			assert_eq "$stderr" "child dies" ;;
		esac
		assert_eq "$(word status "$output")" "$want" "child's status ($how)"
		if [ -z "$first" ]; then
			first=$pid
		fi
		assert_eq "$pid" "$first" "backend ($how)"
		wait_for gone "$child"
		assert_eq "$(live_backends)" "$first" "backends after the child ($how)"
		assert_eq "$(slot_state "$child")" "" "queue slot of the child"
		[ ! -e "$SPEEDY_DIR/$child.sock" ]
	done
	use_script pool_gate.pl
	open_gate 9
	runf timeout 20 "$W/pool_gate.pl" 9
	[ "$status" -eq 0 ]
}

# ------------------------------------------------------------ BufsizGet

@test "BufsizGet: output that fits frees the backend while the reader is stalled" {
	use_script pool_bufsiz.pl
	mkfifo "$W/fifo"
	# A reader that reads nothing yet.
	exec {rw}<>"$W/fifo"
	status=0
	timeout 20 "$W/pool_bufsiz.pl" 100 >"$W/fifo" 2>"$W/err1" 3>&- ||
	    status=$?
	assert_eq "$status" 0 "status of the 100 KB request"
	pid=$(field pid "$(cat "$W/err1")")
	[ -n "$pid" ]
	runs3 timeout 20 "$W/pool_bufsiz.pl" 1
	[ "$status" -eq 0 ]
	assert_eq "$(field pid "$stderr")" "$pid" "backend of the second request"
	# Everything is still there for the reader.
	timeout 20 head -c 102400 <&$rw >"$W/got"
	exec {rw}<&-
	perl -e 'print(("x" x 1023) . "\n") for 1 .. 100' >"$W/want"
	cmp "$W/got" "$W/want"
}

@test "BufsizGet: output larger than the pipe keeps the backend busy; a parallel request gets another" {
	use_script pool_bufsiz.pl
	mkfifo "$W/fifo"
	exec {rw}<>"$W/fifo"
	timeout 20 "$W/pool_bufsiz.pl" 1024 >"$W/fifo" 2>"$W/err1" 3>&- &
	fe=$!
	BG_PIDS+=($fe)
	wait_for grep -q '^pid=' "$W/err1"
	pid=$(field pid "$(cat "$W/err1")")
	runs3 timeout 20 "$W/pool_bufsiz.pl" 1
	[ "$status" -eq 0 ]
	other=$(field pid "$stderr")
	[ -n "$other" ]
	[ "$other" != "$pid" ]
	not gone "$fe"
	timeout 20 head -c 1048576 <&$rw | wc -c >"$W/n"
	exec {rw}<&-
	rc=0
	wait "$fe" || rc=$?
	assert_eq "$rc" 0 "status of the 1 MB request"
	assert_eq "$(cat "$W/n")" 1048576 "bytes read"
}

# --------------------------------------------------------- queue file

@test "a truncated, zeroed or random queue file (no backend running) is rebuilt" {
	use_script pool_gate.pl
	open_gate 0
	for damage in truncate zeros random; do
		runf timeout 20 "$W/pool_gate.pl" 0
		[ "$status" -eq 0 ]
		stop_pids $(pids_in "$SPEEDY_DIR")
		wait_for no_pids
		f=$(ls -d "$SPEEDY_DIR"/queue.*)
		size=$(stat -c %s "$f")
		case $damage in
		truncate) truncate -s 10 "$f" ;;
		zeros) head -c "$size" /dev/zero >"$f" ;;
		random) head -c "$size" /dev/urandom >"$f" ;;
		esac
		runf timeout 20 "$W/pool_gate.pl" 0
		assert_eq "$status" 0 "status after $damage"
		assert_match "$output" '^id=0 pid=[0-9]+ ppid=[0-9]+$'
		assert_eq "$(stat -c %s "$f")" "$size" "size after $damage"
		assert_eq "$(head -c 7 "$f")" SPEEDYQ "magic after $damage"
		hdr=$(queue_dump | head -n 1)
		[ "$(word nrebuilt "$hdr")" -ge 1 ]
		assert_eq "$(slot_state "$(word pid "$output")")" idle "backend's slot after $damage"
	done
}

@test "hostile /tmp: the <TmpBase>.<uid> directory is a symlink: refused, naming it" {
	use_script pool_gate.pl
	open_gate 0
	mkdir -m 700 "$W/elsewhere"
	ln -s "$W/elsewhere" "$SPEEDY_DIR"
	runs3 timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy: .*$SPEEDY_DIR"
	assert_eq "$(ls -A "$W/elsewhere")" "" "files created through the symlink"
	[ ! -e "$W/log" ]
}

@test "hostile /tmp: a directory of mode 0755 is refused, naming it" {
	use_script pool_gate.pl
	open_gate 0
	mkdir -m 755 "$SPEEDY_DIR"
	runs3 timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy: .*$SPEEDY_DIR.*0755"
	assert_eq "$(ls -A "$SPEEDY_DIR")" "" "files created in the directory"
	[ ! -e "$W/log" ]
}

@test "hostile /tmp: a queue file replaced by a symlink or a FIFO is refused, without hanging" {
	use_script pool_gate.pl
	open_gate 0
	runf timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -eq 0 ]
	stop_pids $(pids_in "$SPEEDY_DIR")
	wait_for no_pids
	f=$(ls -d "$SPEEDY_DIR"/queue.*)
	mv "$f" "$W/target"
	cp "$W/target" "$W/target.orig"
	ln -s "$W/target" "$f"
	rm -f "$W/log"
	runs3 timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy: .*$f"
	cmp "$W/target" "$W/target.orig"
	rm "$f"
	mkfifo -m 600 "$f"
	runs3 timeout 20 "$W/pool_gate.pl" 0
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy: .*$f"
	[ ! -e "$W/log" ]
}
