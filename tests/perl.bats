#!/usr/bin/env bats
# The script's view of perl: exit and die (status, messages, the
# interpreter surviving), compilation errors, and the perl switches -w,
# -T, -I and -M.  Where the requirement is "as under plain perl", the
# same script is run under plain perl and everything must match.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	use_script status.pl
}

teardown() {
	lib_teardown
	speedy_teardown
}

@test "exit N ends the request with status N, as plain perl; the interpreter survives" {
	runf timeout 20 "$W/status.pl"
	[ "$status" -eq 0 ]
	pid=$(backend_pids)
	for n in 0 1 3 42 255 256 257; do
		compare_perl status.pl exit "$n"
		assert_eq "$SP_OUT" "start exit"
	done
	assert_eq "$SP_RC" 1 "exit 257"
	compare_perl status.pl exit 42
	assert_eq "$SP_RC" 42
	assert_eq "$(backend_pids)" "$pid" "the same backend after every exit"
}

@test "exit inside eval {}, eval '' and a sub ends the request, not just the eval" {
	for how in eval-exit string-eval-exit sub-exit; do
		compare_perl status.pl "$how" 7
		assert_eq "$SP_OUT" "start $how"
		assert_eq "$SP_RC" 7
	done
	assert_eq "$(backend_pids | wc -l)" 1
}

@test "falling off the end: status 0" {
	compare_perl status.pl none
	assert_eq "$SP_OUT" "start none
end none"
	assert_eq "$SP_RC" 0
}

@test "die prints to STDERR and exits 255 as plain perl; the interpreter survives" {
	runf timeout 20 "$W/status.pl"
	pid=$(backend_pids)
	compare_perl status.pl die
	assert_eq "$SP_OUT" "start die"
	assert_eq "$SP_ERR" "boom"
	assert_eq "$SP_RC" 255
	runf timeout 20 "$W/status.pl" exit 5
	[ "$status" -eq 5 ]
	assert_eq "$(backend_pids)" "$pid"
}

@test "die's status comes from \$! or \$? first, as in plain perl" {
	compare_perl status.pl die-errno 5
	assert_eq "$SP_RC" 5
	assert_eq "$SP_ERR" "errno"
	compare_perl status.pl die-child 9
	assert_eq "$SP_RC" 9
	compare_perl status.pl die
	assert_eq "$SP_RC" 255
	# $! left by a failed open (ENOENT).
	compare_perl status.pl die-after-open
	assert_eq "$SP_RC" 2
	compare_perl status.pl die
	assert_eq "$SP_RC" 255
}

@test "die and warn messages name the real script file and line" {
	compare_perl status.pl die-line
	assert_eq "$SP_ERR" "boom at $W/status.pl line 11."
	compare_perl status.pl nested-die
	assert_eq "$SP_ERR" "deep at $W/status.pl line 15."
	compare_perl status.pl warn
	assert_eq "$SP_ERR" "careful at $W/status.pl line 16."
	assert_eq "$SP_RC" 0
}

@test "die caught by eval: the request goes on" {
	compare_perl status.pl eval-die
	assert_eq "$SP_OUT" "start eval-die
got caught
end eval-die"
	assert_eq "$SP_RC" 0
}

# compile_error NAME: the script fails to compile as under plain perl:
# nothing on stdout, the same exit status, the same messages at the same
# places ("at FILE line N"); perl's wording after the place ("near ...")
# and the list of @INC directories (libperl's may differ from
# /usr/bin/perl's) are not compared.  The failure is the same on the next
# request.
compile_error() {
	local run sp_locs pl_locs
	use_script "$1"
	for run in 1 2; do
		compare_perl "$1" || true
		assert_eq "$(cat "$W/.sp.out")" "" stdout
		pl_rc=0
		plain_perl "$1" >/dev/null 2>&1 || pl_rc=$?
		assert_eq "$SP_RC" "$pl_rc" "exit status (plain perl's: $pl_rc)"
		sp_locs=$(grep -o 'at /[^ ]* line [0-9]*' "$W/.sp.err" || true)
		pl_locs=$(grep -o 'at /[^ ]* line [0-9]*' "$W/.pl.err" || true)
		assert_eq "$sp_locs" "$pl_locs" "places named in the messages"
		assert_eq "$(sed -n '1{s/ (@INC contains: .*//; s/ at \/.*//; p}' "$W/.sp.err")" \
		    "$(sed -n '1{s/ (@INC contains: .*//; s/ at \/.*//; p}' "$W/.pl.err")" \
		    "first message"
		assert_eq "$(wc -l <"$W/.sp.err")" "$(wc -l <"$W/.pl.err")" \
		    "number of message lines"
	done
}

@test "compile error (syntax): same message and status as plain perl" {
	compile_error syntax.pl
	assert_match "$SP_ERR" "^syntax error at $W/syntax.pl line 3, "
	assert_match "$SP_ERR" "Execution of $W/syntax.pl aborted due to compilation errors.\$"
	assert_eq "$SP_RC" 255
}

@test "compile error (use strict): same message and status as plain perl" {
	compile_error strict.pl
	assert_match "$SP_ERR" "^Global symbol \"\\\$undeclared\" requires explicit package name .* at $W/strict.pl line 4\\."
}

@test "compile error (die in BEGIN): same message and status as plain perl" {
	compile_error begin_die.pl
	assert_eq "$SP_ERR" "no good
BEGIN failed--compilation aborted at $W/begin_die.pl line 3."
}

@test "compile error (missing module): same message and status as plain perl" {
	compile_error use_missing.pl
	assert_match "$SP_ERR" "^Can't locate Speedy/No/Such/Module.pm in @INC"
}

@test "compile error (missing right curly): same message, file and line as plain perl" {
	compile_error open_brace.pl
	assert_match "$SP_ERR" "^Missing right curly or square bracket at $W/open_brace.pl line 4, at end of line"
}

@test "compile error (unmatched right curly): same message, file and line as plain perl" {
	compile_error close_brace.pl
	assert_match "$SP_ERR" "^Unmatched right curly bracket at $W/close_brace.pl line 3, at end of line"
}

@test "a fixed script compiles and runs after a compile error" {
	use_script syntax.pl
	runs3 timeout 20 "$W/syntax.pl"
	[ "$status" -eq 255 ]
	wait_for assert_no_backends
	sed -i 's/^my \$x = ;/my $x = 1;/' "$W/syntax.pl"
	touch -m -d "@$(($(stat -c %Y "$W/syntax.pl") - 100))" "$W/syntax.pl"
	runf timeout 20 "$W/syntax.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "never printed
after"
}

@test "-w on the #! line: \$^W set and warnings as plain perl" {
	use_script warnings.pl
	compare_perl warnings.pl
	assert_eq "$SP_OUT" "w=1
done"
	assert_eq "$SP_ERR" "Use of uninitialized value \$u in concatenation (.) or string at $W/warnings.pl line 5."
	# And on the second run of the compiled script.
	compare_perl warnings.pl
}

@test "-w on the speedy command line" {
	use_script warnings.pl ""
	runs3 timeout 20 "$SPEEDY" "$W/warnings.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "w=0
done"
	assert_eq "$stderr" ""
	use_script warnings.pl ""
	cp "$W/warnings.pl" "$W/w2.pl"
	runs3 timeout 20 "$SPEEDY" -w "$W/w2.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "w=1
done"
	assert_eq "$stderr" "Use of uninitialized value \$u in concatenation (.) or string at $W/w2.pl line 5."
}

@test "-T: taint mode as plain perl -T" {
	use_script taint.pl
	T_FILE="$W/tainted.out" compare_perl taint.pl 1
	assert_eq "$SP_OUT" "taint=1
error: Insecure dependency in open while running with -T switch at $W/taint.pl line 4.
error: Insecure dependency in kill while running with -T switch at $W/taint.pl line 7."
	[ ! -e "$W/tainted.out" ]
	# Still tainted on the next request.
	T_FILE="$W/tainted.out" compare_perl taint.pl 1
	[ ! -e "$W/tainted.out" ]
}

@test "without -T there is no taint mode" {
	use_script taint.pl ""
	cp "$W/taint.pl" "$W/plain/taint.pl"
	sed -i '1s/.*/#!\/usr\/bin\/perl/' "$W/plain/taint.pl"
	T_FILE="$W/untainted.out" compare_perl taint.pl $$
	assert_eq "$SP_OUT" "taint=0
opened
kill ok"
}

@test "-T before -- is perl's taint switch, -T after -- is TmpBase" {
	use_script taint.pl ""
	T_FILE="$W/tainted.out" runf timeout 20 "$SPEEDY" -T -- -T "$W/tb" "$W/taint.pl" 1
	EXTRA_DIRS+=("$W/tb.$(id -u)")
	[ "$status" -eq 0 ]
	assert_eq "$output" "taint=1
error: Insecure dependency in open while running with -T switch at $W/taint.pl line 4.
error: Insecure dependency in kill while running with -T switch at $W/taint.pl line 7."
	assert_eq "$(backends_in "$W/tb.$(id -u)" | wc -l)" 1
	assert_no_backends
}

@test "-I and -M on the #! line" {
	mkdir "$W/lib"
	printf 'package SpeedyTestMod;\nsub hello { "hello from lib" }\n1;\n' \
	    >"$W/lib/SpeedyTestMod.pm"
	tail -n +2 "$SCRIPTS/inc.pl" | mkscript inc.pl "-I$W/lib -MPOSIX=floor"
	T_LIB="$W/lib" runf timeout 20 "$W/inc.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hello from lib
floor=2
inc=1"
	T_LIB="$W/lib" runf timeout 20 "$W/inc.pl"
	assert_eq "$output" "hello from lib
floor=2
inc=1"
}

@test "-I and -M on the speedy command line" {
	mkdir "$W/lib"
	printf 'package SpeedyTestMod;\nsub hello { "hello from lib" }\n1;\n' \
	    >"$W/lib/SpeedyTestMod.pm"
	use_script inc.pl ""
	T_LIB="$W/lib" runf timeout 20 "$SPEEDY" -I"$W/lib" -MPOSIX=floor "$W/inc.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hello from lib
floor=2
inc=1"
	# Without -I the module is not found: a compile error, as in perl.
	use_script inc.pl ""
	cp "$W/inc.pl" "$W/inc2.pl"
	runs3 timeout 20 "$SPEEDY" "$W/inc2.pl"
	assert_eq "$status" 2 "exit status (perl's for a missing module)"
	assert_match "$stderr" "^Can't locate SpeedyTestMod.pm in @INC"
}

@test "-M with a missing module: perl's message and status" {
	use_script counter.pl ""
	runs3 timeout 20 "$SPEEDY" -MSpeedy::No::Such "$W/counter.pl"
	pl_rc=0
	perl -MSpeedy::No::Such -e 1 2>/dev/null || pl_rc=$?
	assert_eq "$status" "$pl_rc" "exit status"
	assert_eq "$output" ""
	assert_match "$stderr" "^Can't locate Speedy/No/Such.pm in @INC"
	wait_for assert_no_backends
}

@test "use lib: what it adds at compile time stays in @INC for run-time requires, request after request" {
	mkdir -p "$W/lib"
	printf 'package RunTimeMod;\nour $V = 42;\n1;\n' >"$W/lib/RunTimeMod.pm"
	mkscript uselib.pl <<PERL
use lib "$W/lib";
require RunTimeMod;
print "\$RunTimeMod::V \$INC[0]\n";
PERL
	for i in 1 2 3; do
		runs3 timeout 20 "$W/uselib.pl"
		assert_eq "$status" 0 "run $i: $stderr"
		assert_eq "$output" "42 $W/lib" "run $i"
	done
}
