#!/usr/bin/env bats
# Per-request limits beyond SpeedyCGI 2.22 (issue "Configuration ... and
# speedy-admin"): RequestTimeout ends a request that runs too long and
# replaces its backend; MaxRSS retires a backend that grew too big.  No
# test asserts a duration: timeouts are seconds long and the checks are
# about what happened, not when.

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

# A script that prints its pid, then sleeps QUERY_STRING seconds.
slow_script() {
	mkscript slow.pl "${1:-}" <<'PERL'
$| = 1;
print "pid=$$\n";
sleep($ENV{QUERY_STRING} || 0);
print "done\n";
PERL
}

@test "RequestTimeout: a request running longer is ended, exit 1 with a message" {
	slow_script "-- -R1"
	QUERY_STRING=0 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 0 ]
	first=${lines[0]#pid=}
	QUERY_STRING=30 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 1 ]
	assert_match "$output" "pid=$first"
	assert_match "$output" "speedy: $W/slow.pl: request timed out after 1 s; its backend \\(pid $first\\) was killed"
	[[ $output != *done* ]]
	wait_for gone "$first"
}

@test "RequestTimeout: the next request gets a fresh backend and the slot is freed" {
	slow_script "-- -R1"
	QUERY_STRING=0 run timeout 20 "$W/slow.pl"
	first=${lines[0]#pid=}
	QUERY_STRING=30 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 1 ]
	QUERY_STRING=0 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 0 ]
	second=${lines[0]#pid=}
	[ "$second" != "$first" ]
	[ "${lines[1]}" = done ]
	# The queue file no longer names the killed backend.
	[ -z "$(slot_state "$first")" ]
}

@test "RequestTimeout: also the first request, while the script is compiled" {
	slow_script "-- -R1"
	QUERY_STRING=30 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 1 ]
	assert_match "$output" "request timed out after 1 s"
	QUERY_STRING=0 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = done ]
}

@test "RequestTimeout: from SPEEDY_REQUESTTIMEOUT; 0 means no limit" {
	slow_script
	SPEEDY_REQUESTTIMEOUT=1 QUERY_STRING=30 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 1 ]
	assert_match "$output" "timed out after 1 s"
	SPEEDY_REQUESTTIMEOUT=0 QUERY_STRING=2 run timeout 20 "$W/slow.pl"
	[ "$status" -eq 0 ]
	[ "${lines[1]}" = done ]
}

@test "RequestTimeout: a bad value is a usage error, nothing started" {
	slow_script
	run "$SPEEDY" -- -R-1 "$W/slow.pl"
	[ "$status" -eq 2 ]
	assert_match "$output" "^speedy: option -R: RequestTimeout: '-1' is not a number"
	SPEEDY_REQUESTTIMEOUT=abc run "$SPEEDY" "$W/slow.pl"
	[ "$status" -eq 2 ]
	assert_match "$output" "^speedy: SPEEDY_REQUESTTIMEOUT: RequestTimeout: 'abc'"
	[ -z "$(all_pids)" ]
}

@test "RequestTimeout: cannot be changed by setopt (the frontend enforces it)" {
	mkscript so.pl <<'PERL'
eval { CGI::SpeedyCGI->setopt("RequestTimeout", 5) };
print $@ =~ /RequestTimeout cannot be changed/ ? "refused\n" : "accepted: $@\n";
print CGI::SpeedyCGI->getopt("RequestTimeout"), "\n";
PERL
	run timeout 20 "$SPEEDY" -- -R7 "$W/so.pl"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = refused ]
	[ "${lines[1]}" = 7 ]
}

# A script that keeps QUERY_STRING megabytes alive and prints its pid.
fat_script() {
	mkscript fat.pl "${1:-}" <<'PERL'
our $keep = 'x' x (($ENV{QUERY_STRING} || 0) * 1048576);
print "$$\n";
PERL
}

@test "MaxRSS: a backend under the limit keeps serving" {
	fat_script "-- -m200"
	QUERY_STRING=1 run timeout 20 "$W/fat.pl"
	a=$output
	QUERY_STRING=1 run timeout 20 "$W/fat.pl"
	[ "$output" = "$a" ]
}

@test "MaxRSS: a backend that grew past the limit retires after its request" {
	fat_script "-- -m40"
	QUERY_STRING=0 run timeout 20 "$W/fat.pl"
	a=$output
	QUERY_STRING=80 run timeout 20 "$W/fat.pl"
	[ "$status" -eq 0 ]
	[ "$output" = "$a" ]		# served completely by the same backend
	wait_for gone "$a"
	QUERY_STRING=0 run timeout 20 "$W/fat.pl"
	[ "$output" != "$a" ]
}

@test "MaxRSS: setopt changes it for the running backend; getopt reads it" {
	mkscript so.pl <<'PERL'
my $old = CGI::SpeedyCGI->setopt("MaxRSS", 1);
print "$old ", CGI::SpeedyCGI->getopt("maxrss"), " $$\n";
PERL
	run timeout 20 "$W/so.pl"
	[ "$status" -eq 0 ]
	set -- $output
	[ "$1" = 0 ] && [ "$2" = 1 ]
	# 1 MB is below any perl's size: the backend retired.
	wait_for gone "$3"
}
