#!/usr/bin/env bats
# speedy_backend: compiled once, run per request with that request's
# state; DATA, signals and alarm; reloading a changed script; Timeout,
# MaxRuns; what happens when all backends are busy or one dies.

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

@test "compiled once: globals persist, BEGIN runs once, one backend serves" {
	use_script counter.pl
	for i in 1 2 3; do
		runf timeout 20 "$W/counter.pl"
		[ "$status" -eq 0 ]
		assert_match "$output" "^n=$i compiled=1 pid=[0-9]+\$"
		pid=${output##*pid=}
		[ "$i" -eq 1 ] && first=$pid
		assert_eq "$pid" "$first" "backend pid"
	done
	assert_eq "$(backend_pids)" "$first" "live backends"
}

@test "file-scoped my variables: fresh each run, and the named subs that use them see this run's (unlike SpeedyCGI)" {
	use_script lexicals.pl
	compare_perl lexicals.pl A
	assert_eq "$SP_OUT" "outer=A count=1 fresh=1 total=1
inner=A"
	# Plain perl would say "total=1": globals persist, by design.
	runs3 timeout 20 "$W/lexicals.pl" B
	[ "$status" -eq 0 ]
	assert_eq "$output" "outer=B count=1 fresh=1 total=2
inner=B"
	# And perl does not warn that the variable "will not stay shared".
	assert_eq "$stderr" ""
	runs3 timeout 20 "$W/lexicals.pl" C
	assert_eq "$output" "outer=C count=1 fresh=1 total=3
inner=C"
}

@test "each request has its own %ENV, @ARGV, \$0 and working directory" {
	use_script request.pl
	mkdir "$W/a" "$W/b"
	echo "in a" >"$W/a/here.txt"
	echo "in b" >"$W/b/here.txt"
	cd "$W/a"
	T_A=first T_X=x runf timeout 20 "$W/request.pl" one "two words" ""
	[ "$status" -eq 0 ]
	assert_eq "$output" "0=$W/request.pl
argv=[one][two words][]
env=T_A=first T_X=x
cwd=$W/a
child=first
here=in a"
	cd "$W/b"
	T_A=second runf timeout 20 ../request.pl
	[ "$status" -eq 0 ]
	assert_eq "$output" "0=../request.pl
argv=
env=T_A=second
cwd=$W/b
child=second
here=in b"
	cd "$W"
	runf timeout 20 env -u T_A "$SPEEDY" request.pl 3
	[ "$status" -eq 0 ]
	assert_eq "$output" "0=request.pl
argv=[3]
env=
cwd=$W
child="
}

@test "\$0, @ARGV, %ENV and the directory are those plain perl gives" {
	use_script request.pl
	cd "$W"
	echo "here" >here.txt
	T_A="x y" T_B= compare_perl request.pl "a b" c
	T_A=z compare_perl request.pl
}

@test "__END__: DATA reads from the start on every request" {
	use_script data_end.pl
	for i in 1 2 3; do
		compare_perl data_end.pl
		assert_eq "$SP_OUT" "first: line one
rest: line two
rest: line three
eof: 1"
		# A request that reads only part of DATA.
		compare_perl data_end.pl partial
		assert_eq "$SP_OUT" "first: line one
eof: 0"
	done
	assert_eq "$(backend_pids | wc -l)" 1
}

@test "__DATA__ in a package: that package's DATA, from the start every time" {
	use_script data_pkg.pl
	for i in 1 2 3; do
		compare_perl data_pkg.pl
		assert_eq "$SP_OUT" "Foo: alpha
Foo: beta
count: 2"
	done
}

@test "%SIG handlers, __WARN__/__DIE__ hooks and alarm do not survive into the next request" {
	use_script signals.pl
	fresh="USR1=undef
TERM=undef
ALRM=undef
INT=undef
__WARN__=undef
__DIE__=undef
pending=0"
	runf timeout 20 "$W/signals.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "$fresh" "first request"
	pid=$(backend_pids)
	runf timeout 20 "$W/signals.pl" set
	[ "$status" -eq 0 ]
	assert_eq "$output" "$fresh
set" "request that sets them"
	runs3 timeout 20 "$W/signals.pl" warn
	[ "$status" -eq 0 ]
	assert_eq "$output" "$fresh" "next request"
	assert_eq "$stderr" "to stderr" "a warning goes to STDERR again"
	assert_eq "$(backend_pids)" "$pid" "same backend"
}

@test "a request's ignored SIGTERM does not stop the backend from ending on SIGTERM" {
	use_script signals.pl
	runf timeout 20 "$W/signals.pl" set
	[ "$status" -eq 0 ]
	pid=$(backend_pids)
	[ -n "$pid" ]
	kill -TERM "$pid"
	wait_for gone "$pid"
}

@test "alarm and \$SIG{ALRM} work within a request" {
	use_script signals.pl
	compare_perl signals.pl alarm
	assert_match "$SP_OUT" "caught timeout"
	runf timeout 20 "$W/signals.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" "pending=0"
}

# bump FILE: gives FILE another modification time.
bump() {
	touch -m -d "@$(($(stat -c %Y "$1") - 100))" "$1"
}

@test "a script changed in place (mtime) is recompiled; the old backend goes away" {
	use_script counter.pl
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	old=${output##*pid=}
	runf timeout 20 "$W/counter.pl"
	assert_eq "$output" "n=2 compiled=1 pid=$old"
	sed -i 's/^\$n++;/$n += 10;/' "$W/counter.pl"
	bump "$W/counter.pl"
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=10 compiled=1 pid=[0-9]+$'
	new=${output##*pid=}
	[ "$new" != "$old" ]
	wait_for gone "$old"
	runf timeout 20 "$W/counter.pl"
	assert_eq "$output" "n=20 compiled=1 pid=$new"
	assert_eq "$(backend_pids)" "$new"
}

@test "a script replaced by another file (inode) is recompiled, even with the same mtime" {
	use_script counter.pl
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	old=${output##*pid=}
	sed 's/^\$n++;/$n += 10;/' "$W/counter.pl" >"$W/new.pl"
	chmod +x "$W/new.pl"
	touch -r "$W/counter.pl" "$W/new.pl"
	mv "$W/new.pl" "$W/counter.pl"
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=10 compiled=1 pid=[0-9]+$'
	[ "${output##*pid=}" != "$old" ]
	wait_for gone "$old"
}

@test "a busy backend of the old version finishes its request, then goes away" {
	use_script fifo.pl
	mkfifo "$W/fifo"
	# Request 1 holds its backend until the fifo is closed.
	timeout 20 "$W/fifo.pl" <"$W/fifo" >"$W/out1" 2>&1 3>&- &
	BG_PIDS+=($!)
	exec 9>"$W/fifo"
	wait_for grep -q '^v1 pid=' "$W/out1"
	old=$(sed -n 's/^v1 pid=//p' "$W/out1")
	sed -i "s/'v1'/'v2'/" "$W/fifo.pl"
	bump "$W/fifo.pl"
	runf timeout 20 "$W/fifo.pl" </dev/null
	[ "$status" -eq 0 ]
	assert_match "$output" '^v2 pid=[0-9]+'
	new=$(field "v2 pid" "$output")
	[ "$new" != "$old" ]
	exec 9>&-
	wait "${BG_PIDS[0]}"
	assert_eq "$(cat "$W/out1")" "v1 pid=$old
done v1"
	wait_for gone "$old"
	runf timeout 20 "$W/fifo.pl" </dev/null
	assert_eq "$output" "v2 pid=$new
done v2"
}

@test "all backends busy: another one is started for the next request" {
	use_script fifo.pl
	mkfifo "$W/fifo"
	timeout 20 "$W/fifo.pl" <"$W/fifo" >"$W/out1" 2>&1 3>&- &
	BG_PIDS+=($!)
	exec 9>"$W/fifo"
	wait_for grep -q '^v1 pid=' "$W/out1"
	busy=$(sed -n 's/^v1 pid=//p' "$W/out1")
	# Served at once by a second backend, not queued behind the first.
	runf timeout 20 "$W/fifo.pl" </dev/null
	[ "$status" -eq 0 ]
	second=$(field "v1 pid" "$output")
	[ -n "$second" ] && [ "$second" != "$busy" ]
	exec 9>&-
	wait "${BG_PIDS[0]}"
	# Both are idle now and kept; the next request reuses one of them.
	assert_eq "$(backend_pids | sort)" "$(printf '%s\n' "$busy" "$second" | sort)"
	runf timeout 20 "$W/fifo.pl" </dev/null
	pid=$(field "v1 pid" "$output")
	[ "$pid" = "$busy" ] || [ "$pid" = "$second" ]
}

@test "Timeout: an idle backend exits after that many seconds" {
	use_script counter.pl
	runf timeout 20 "$SPEEDY" -- -t1 "$W/counter.pl"
	[ "$status" -eq 0 ]
	pid=${output##*pid=}
	wait_for gone "$pid"
	assert_no_backends
	# The next request simply gets a fresh backend.
	runf timeout 20 "$SPEEDY" -- -t1 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
}

@test "Timeout from the #! line and from SPEEDY_TIMEOUT" {
	use_script counter.pl "-- -t 1"
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	pid=${output##*pid=}
	wait_for gone "$pid"
	use_script opts.pl ""
	SPEEDY_TIMEOUT=1 runf timeout 20 "$W/opts.pl"
	[ "$status" -eq 0 ]
	pid=$(field pid "$output")
	wait_for gone "$pid"
	assert_no_backends
}

@test "MaxRuns: after that many requests the backend is replaced by a fresh process" {
	use_script counter.pl "-- -r2"
	runf timeout 20 "$W/counter.pl"
	p1=${output##*pid=}
	assert_eq "$output" "n=1 compiled=1 pid=$p1"
	runf timeout 20 "$W/counter.pl"
	assert_eq "$output" "n=2 compiled=1 pid=$p1"
	wait_for gone "$p1"
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	p2=${output##*pid=}
	[ "$p2" != "$p1" ]
	runf timeout 20 "$W/counter.pl"
	assert_eq "$output" "n=2 compiled=1 pid=$p2"
}

@test "MaxRuns 1 by -r and by SPEEDY_MAXRUNS: a new process every request" {
	use_script counter.pl
	runf timeout 20 "$SPEEDY" -- -r 1 "$W/counter.pl"
	p1=${output##*pid=}
	assert_eq "$output" "n=1 compiled=1 pid=$p1"
	SPEEDY_MAXRUNS=1 runf timeout 20 "$W/counter.pl"
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	[ "${output##*pid=}" != "$p1" ]
	wait_for gone "$p1"
}

@test "a backend killed during a request: the frontend fails with one line, and the next request works" {
	use_script status.pl
	runs3 timeout 20 "$W/status.pl" kill
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_one_line "$stderr"
	runf timeout 20 "$W/status.pl" exit 4
	[ "$status" -eq 4 ]
	assert_eq "$output" "start exit"
}
