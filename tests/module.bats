#!/usr/bin/env bats
# CGI::SpeedyCGI: new, i_am_speedy (also in BEGIN blocks),
# $CGI::SpeedyCGI::i_am_speedy, getopt/setopt, register_cleanup,
# shutdown_next_time; and the same module under plain perl.

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

@test "new and i_am_speedy: true under speedy, also inside BEGIN blocks" {
	use_script module.pl
	for i in 1 2; do
		runf timeout 20 "$W/module.pl"
		[ "$status" -eq 0 ]
		assert_eq "$output" "ref=CGI::SpeedyCGI
begin=11
method=1
class=1
var=1"
	done
}

@test "under plain perl the module loads and says it is not speedy" {
	use_script module.pl
	runf timeout 20 perl "$W/plain/module.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "ref=CGI::SpeedyCGI
begin=00
method=0
class=0
var=0"
	runf timeout 20 perl -MCGI::SpeedyCGI -e \
	    'my $sp = CGI::SpeedyCGI->new; print defined $sp->getopt("Timeout") ? "def" : "undef", " ", defined $sp->setopt("MaxRuns", 3) ? "def" : "undef", "\n"; $sp->shutdown_next_time; print "ok\n"'
	[ "$status" -eq 0 ]
	assert_eq "$output" "undef undef
ok"
}

@test "getopt/setopt: names are case-insensitive, setopt returns the old value" {
	use_script getset.pl
	runf timeout 20 "$SPEEDY" -- -t 77 "$W/getset.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "get=77,77,77,77
old=500
now=7
old2=7
now2=9
unknown=undef
bad=died
after=77"
}

@test "getopt reads the options the backend was started with" {
	use_script opts.pl "-- -t 12 -r 34 -M 5 -B 70000 -b 80000"
	runf timeout 20 "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Timeout "$output") $(field MaxRuns "$output") $(field MaxBackends "$output") $(field BufsizGet "$output") $(field BufsizPost "$output")" \
	    "12 34 5 70000 80000"
}

@test "register_cleanup: runs after the script, in order; its output reaches the client" {
	use_script cleanup.pl
	for i in 1 2 3; do
		runs3 timeout 20 "$W/cleanup.pl"
		[ "$status" -eq 0 ]
		assert_eq "$output" "body
end
cleanup one
cleanup two" "run $i"
		assert_eq "$stderr" "cleanup err"
	done
	# Through a pipe too.
	runf timeout 20 bash -c '"$1" 2>/dev/null | cat' _ "$W/cleanup.pl"
	assert_eq "$output" "body
end
cleanup one
cleanup two"
	assert_eq "$(backend_pids | wc -l)" 1
}

@test "register_cleanup: the handlers also run after exit, which keeps its status" {
	use_script cleanup.pl
	runs3 timeout 20 "$W/cleanup.pl" 3
	[ "$status" -eq 3 ]
	assert_eq "$output" "body
cleanup one
cleanup two"
	assert_eq "$stderr" "cleanup err"
}

@test "register_cleanup: same output as under plain perl" {
	use_script cleanup.pl
	compare_perl cleanup.pl
	compare_perl cleanup.pl 4
	assert_eq "$SP_RC" 4
}

@test "shutdown_next_time: the backend exits after the current request" {
	use_script shutdown.pl
	runf timeout 20 "$W/shutdown.pl"
	p1=${output##*pid=}
	assert_eq "$output" "n=1 pid=$p1"
	runf timeout 20 "$W/shutdown.pl" now
	assert_eq "$output" "n=2 pid=$p1"
	wait_for gone "$p1"
	runf timeout 20 "$W/shutdown.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 pid=[0-9]+$'
	[ "${output##*pid=}" != "$p1" ]
}
