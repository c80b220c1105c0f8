#!/usr/bin/env bats
# Per-request limits beyond SpeedyCGI 2.22 (issue "Configuration ... and
# speedy-admin"): RequestTimeout ends a request that runs too long and
# replaces its backend; MaxRSS retires a backend that grew too big;
# CheckModules (issue "Real CGI applications ...") retires a backend, and
# its parent, once a module it loaded changed on disk.  No test asserts a
# duration: timeouts are seconds long and the checks are about what
# happened, not when.

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

# A library module (version $1) and a script that uses it at compile time
# and another at run time, printing both versions, its pid and its
# parent's; speedy options $2.
mod_setup() {
	mkdir -p "$W/lib"
	mod_version Early "$1"
	mod_version Late "$1"
	mkscript mod.pl "${2:-}" <<PERL
use lib "$W/lib";
use Early;
require Late;
print "early=\$Early::V late=\$Late::V pid=\$\$ ppid=", getppid(), "\n";
PERL
}

# mod_version NAME VERSION: (re)writes module NAME, as an editor does.
mod_version() {
	printf 'package %s;\nour $V = %s;\n1;\n' "$1" "$2" >"$W/lib/$1.pm.new"
	mv "$W/lib/$1.pm.new" "$W/lib/$1.pm"
}

# mod_get: runs mod.pl; sets V (early=N late=N), PID and PPID.
mod_get() {
	run timeout 20 "$W/mod.pl"
	[ "$status" -eq 0 ]
	V=${output% pid=*}
	PID=$(printf '%s\n' "$output" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
	PPID_=${output##*ppid=}
}

@test "CheckModules: an edited module is picked up; the backend that finds it finishes its request, it and its parent retire" {
	mod_setup 1 "-- -c1"
	mod_get
	assert_eq "$V" "early=1 late=1"
	pid=$PID parent=$PPID_
	mod_version Early 2
	sleep 1.2	# the check runs at most once a second
	# This request still ran the old code; its backend then retired.
	mod_get
	assert_eq "$V $PID" "early=1 late=1 $pid"
	wait_for gone "$pid"
	mod_get
	assert_eq "$V" "early=2 late=1"
	[ "$PPID_" != "$parent" ]
	# The old parent leaves at its next periodic check.
	wait_for gone "$parent" || wait_for gone "$parent" ||
	    wait_for gone "$parent"
	# A module loaded at run time counts too.
	mod_version Late 2
	sleep 1.2
	mod_get
	assert_eq "$V" "early=2 late=1"
	mod_get
	assert_eq "$V" "early=2 late=2"
}

@test "CheckModules: a module copied over with its old modification time is picked up (ctime)" {
	mod_setup 1 "-- -c1"
	mod_get
	pid=$PID
	printf 'package Early;\nour $V = 3;\n1;\n' >"$W/lib/Early.pm"
	touch -d '2001-01-01' "$W/lib/Early.pm"
	sleep 1.2
	mod_get
	wait_for gone "$pid"
	mod_get
	assert_eq "$V" "early=3 late=1"
}

@test "CheckModules 0 (the default): edited modules are not looked at" {
	mod_setup 1
	mod_get
	pid=$PID
	mod_version Early 2
	sleep 1.2
	mod_get
	mod_get
	assert_eq "$V $PID" "early=1 late=1 $pid"
}

@test "CheckModules: from the environment and the configuration; setopt and getopt" {
	mod_setup 1
	SPEEDY_CHECKMODULES=1 run timeout 20 "$W/mod.pl"
	[ "$status" -eq 0 ]
	mkscript so.pl <<'PERL'
my $old = CGI::SpeedyCGI->setopt("CheckModules", 5);
print "$old ", CGI::SpeedyCGI->getopt("checkmodules"), "\n";
PERL
	SPEEDY_CHECKMODULES=2 run timeout 20 "$W/so.pl"
	assert_eq "$output" "2 5"
	SPEEDY_CHECKMODULES=-1 run timeout 20 "$W/so.pl"
	[ "$status" -ne 0 ]
	assert_match "$output" "CheckModules: '-1' is not a number"
	mkdir -p "$SPEEDY_CONFDIR/sites.d"
	echo "checkmodules = 7" >"$SPEEDY_CONFDIR/speedy.conf"
	run "$ADMIN" reload
	[ "$status" -eq 0 ]
	# A script no backend runs yet: the value it starts with.
	cp "$W/so.pl" "$W/so2.pl"
	run "$ADMIN" config "$W/so2.pl"
	assert_eq "$(printf '%s\n' "$output" | awk '$1 == "CheckModules"' | tr -s ' ')" \
	    "CheckModules 7 speedy.conf:1"
	run timeout 20 "$W/so2.pl"
	assert_eq "$output" "7 5"
}
