#!/usr/bin/env bats
# Fault and load tests (issue 7): tests/stress/chaos.sh, which runs real
# clients, frontends and backends in its own TmpBase and prints its
# tallies as KEY=value lines (see the top of tests/stress/chaos.sh).  Each
# test is bounded: every request by a 30 s timeout, chaos.sh by a deadline
# for new requests, the whole run by a timeout here; on this 2-core
# machine the chaos test takes about 25 s, the MaxBackends test about
# 10 s (30 s more each when something is left over after Timeout).
# STRESS_REQUESTS (default 200) sets the requests per client of the chaos
# test.  tests/stress/replace.sh replaces the script under load (about
# 10 s).  No duration is asserted.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	ST="$BATS_TEST_TMPDIR/stress"
	EXTRA_DIRS+=("$ST/sp.$(id -u)")
}

teardown() {
	# chaos.sh kills what it started and removes its directory, also when
	# it fails; this is for a chaos.sh that was itself timed out.
	stop_pids $(marked_pids "$ST")
	lib_teardown
	speedy_teardown
	rm -rf "$ST"
}

# stress MODE BOUND: runs chaos.sh MODE within BOUND seconds; its report
# (printed, so it shows when the test fails) in $output, its status in
# $status.
stress() {
	runf timeout -k 10 "$2" env STRESS_DIR="$ST" \
	    bash "$TOP/tests/stress/chaos.sh" "$1" 3>&-
	printf '%s\n' "$output"
}

# replace BOUND: runs replace.sh within BOUND seconds, like stress.
replace() {
	runf timeout -k 10 "$1" env STRESS_DIR="$ST" \
	    bash "$TOP/tests/stress/replace.sh" 3>&-
	printf '%s\n' "$output"
}

# at_most A B WHAT: A <= B
at_most() {
	if ! [ "$1" -le "$2" ]; then
		echo "$3: $1, more than $2"
		return 1
	fi
}

@test "chaos: 16 clients while backends and frontends are SIGKILLed and backends SIGSTOPped: every request completes exactly or fails with a message, none hangs; nothing is left behind" {
	stress chaos 240
	assert_eq "$(field hung "$output")" 0 "hung requests"
	assert_eq "$(field corrupted "$output")" 0 "corrupted requests"
	assert_eq "$(field unclean "$output")" 0 \
	    "requests failed without a speedy: message"
	assert_eq "$(field not_run "$output")" 0 "requests not run by the deadline"
	total=$(field requests "$output")
	assert_eq "$total" $((${STRESS_CLIENTS:-16} * ${STRESS_REQUESTS:-200})) \
	    "requests"
	completed=$(field completed "$output")
	if [ $((2 * completed)) -le "$total" ]; then
		echo "only $completed of $total requests completed"
		return 1
	fi
	# The chaos did happen; and a request killed by SIGKILL is one whose
	# frontend the chaos loop killed.
	at_most 1 "$(field chaos_kill-backend "$output")" "backends killed"
	at_most "$(field killed "$output")" \
	    "$(field chaos_kill-frontend "$output")" "requests ended by SIGKILL"
	# The aftermath: the queue file validates, only live processes have
	# slots, and after Timeout no backend, parent, socket or slot is left.
	[ -n "$(field stale_slots "$output")" ]
	assert_eq "$(field stale_slots "$output")" 0 "slots of dead processes"
	assert_eq "$(field leftover "$output")" 0 "leftovers after Timeout"
	assert_eq "$(field result "$output")" PASS "result"
	assert_eq "$status" 0 "status of chaos.sh"
	# chaos.sh left nothing running and removed its directory.
	assert_eq "$(marked_pids "$ST")" "" "processes left running"
	[ ! -e "$ST" ]
}

@test "MaxBackends pressure: 50 clients against MaxBackends 2: all served exactly, never more than 2 backends; nothing is left behind" {
	stress maxbackends 120
	total=$(field requests "$output")
	[ "$total" -gt 0 ]
	assert_eq "$(field completed "$output")" "$total" "completed requests"
	assert_eq "$(field hung "$output")" 0 "hung requests"
	assert_eq "$(field corrupted "$output")" 0 "corrupted requests"
	assert_eq "$(field unclean "$output")" 0 \
	    "requests failed without a speedy: message"
	# Sampled all along; frontends did wait for a backend.
	at_most 1 "$(field samples "$output")" "samples"
	at_most "$(field max_backends "$output")" 2 "backends at once"
	at_most 1 "$(field nmaxhit "$output")" "waits for MaxBackends"
	[ -n "$(field stale_slots "$output")" ]
	assert_eq "$(field stale_slots "$output")" 0 "slots of dead processes"
	assert_eq "$(field leftover "$output")" 0 "leftovers after Timeout"
	assert_eq "$(field result "$output")" PASS "result"
	assert_eq "$status" 0 "status of chaos.sh"
	assert_eq "$(marked_pids "$ST")" "" "processes left running"
	[ ! -e "$ST" ]
}

@test "script replaced under load (rename, touch, rewrite in place): every response is one version's, new versions are served, old backends retire" {
	replace 120
	[ -n "$(field requests "$output")" ]
	[ "$(field requests "$output")" -gt 0 ]
	assert_eq "$(field mixed "$output")" 0 "responses mixing two versions"
	assert_eq "$(field incomplete "$output")" 0 "incomplete responses"
	assert_eq "$(field error "$output")" 0 "requests failed with a message"
	assert_eq "$(field hung "$output")" 0 "hung requests"
	assert_eq "$(field unclean "$output")" 0 "requests failed otherwise"
	# "busy": the kernel's ETXTBSY for a script open for writing.
	assert_eq "$(($(field ok "$output") + $(field busy "$output")))" \
	    "$(field requests "$output")" "complete responses"
	# Every kind of change happened, and several versions were served.
	for k in rename touch inplace; do
		at_most 1 "$(field "$k" "$output")" "changes by $k"
	done
	at_most 3 "$(field versions_seen "$output")" "versions served"
	# After the last change: its version only, and only live processes
	# listed.
	final=$(field final_tag "$output")
	for i in 1 2 3; do
		assert_match "$(field "final_request_$i" "$output")" "^0 ok $final " \
		    "request $i after the last change"
	done
	assert_eq "$(field old_left "$output")" 0 "old processes left"
	assert_eq "$(field listed "$output")" "$(field live "$output")" \
	    "processes speedy-admin lists"
	assert_eq "$(field stale_slots "$output")" 0 "slots of dead processes"
	assert_eq "$(field result "$output")" PASS "result"
	assert_eq "$status" 0 "status of replace.sh"
	assert_eq "$(marked_pids "$ST")" "" "processes left running"
	[ ! -e "$ST" ]
}
