#!/usr/bin/env bats
# bench/floor (bench/floor.c), what the benchmark's hello-world case
# measures speedy against as the least a frontend can do: it must hand a
# request over as speedy does (output, environment, directory, exit status,
# the same warm backend) and fail with one clear line when it cannot.
# make check builds it; the installed programs have no bench/floor.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	[ -z "${SPEEDY_INSTALLED:-}" ] || skip "bench/floor is not installed"
	FLOOR=$TOP/bench/floor
}

teardown() {
	lib_teardown
	speedy_teardown
}

@test "bench/floor hands the request to the warm backend: output, environment, directory, exit status" {
	mkscript floor.pl <<'EOF'
use Cwd ();
print "Content-Type: text/plain\n\npid=$$ mark=", $ENV{FLOOR_MARK} // '-',
    " dir=", Cwd::getcwd(), "\n";
exit 3;
EOF
	runf timeout 20 "$SPEEDY" -- -r0 "$W/floor.pl"
	[ "$status" -eq 3 ]
	pid=$(backend_pids)
	assert_match "$pid" '^[0-9]+$' "the one backend"
	mkdir -p "$W/sub"
	cd "$W/sub"
	FLOOR_MARK=x runs3 timeout 20 "$FLOOR" "$SPEEDY_DIR/$pid.sock" "$W/floor.pl"
	[ "$status" -eq 3 ]
	assert_eq "$stderr" ""
	assert_eq "$(field pid "$output")" "$pid mark=x dir=$W/sub" "the request"
	assert_eq "$(backend_pids)" "$pid" "backends after the request"
}

@test "bench/floor: wrong arguments exit 2, a socket it cannot use exits 1, each with one line" {
	runs3 "$FLOOR"
	[ "$status" -eq 2 ]
	assert_eq "$stderr" "usage: floor socket script"
	runs3 "$FLOOR" "$BATS_TEST_TMPDIR/none.sock" "$W/x.pl"
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "floor: $BATS_TEST_TMPDIR/none.sock: No such file or directory"
	long=/tmp/$(printf '%0120d' 0)
	runs3 "$FLOOR" "$long" "$W/x.pl"
	[ "$status" -eq 2 ]
	assert_eq "$stderr" "floor: $long: socket path too long"
	# A socket file nobody listens on any more (its backend is gone).
	stale_socket "$BATS_TEST_TMPDIR/dead.sock"
	runs3 timeout 20 "$FLOOR" "$BATS_TEST_TMPDIR/dead.sock" "$W/x.pl"
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "floor: $BATS_TEST_TMPDIR/dead.sock: Connection refused"
}
