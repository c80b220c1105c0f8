#!/usr/bin/env bats
# speedy, the frontend: how it is run, its options and their precedence,
# the #! line, and its error paths.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	# Only the variables the helpers set: a stray SPEEDY_TIMEOUT in the
	# caller's environment must not change the defaults tested here.
	local v
	for v in $(env | sed -n 's/^\(SPEEDY_[A-Z]*\)=.*/\1/p'); do
		case $v in
		SPEEDY_TMPBASE | SPEEDY_BACKENDPROG | SPEEDY_BIN | SPEEDY_INSTALLED) ;;
		*) unset "$v" ;;
		esac
	done
}

teardown() {
	lib_teardown
	speedy_teardown
}

# The version configure.ac gives the package.
package_version() {
	sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$TOP/configure.ac"
}

@test "speedy -- -v prints the version and starts nothing" {
	runs3 timeout 20 "$SPEEDY" -- -v
	[ "$status" -eq 0 ]
	assert_eq "$output" "speedy-cgi $(package_version)"
	assert_eq "$stderr" ""
	assert_no_backends
}

@test "runs a script as its #! interpreter, persistently" {
	use_script counter.pl
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	pid=${output##*pid=}
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "n=2 compiled=1 pid=$pid"
	assert_eq "$(backend_pids)" "$pid"
}

@test "runs as: speedy [perl switches] [-- speedy options] script [args]" {
	use_script opts.pl ""
	use_script request.pl ""
	runf timeout 20 "$SPEEDY" -w -- -t 301 -r51 "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Timeout "$output")" 301 Timeout
	assert_eq "$(field MaxRuns "$output")" 51 MaxRuns
	assert_eq "$(field w "$output")" 1 '$^W'
	runf timeout 20 "$SPEEDY" -- -t 9 -- "$W/request.pl" one -t "two words"
	[ "$status" -eq 0 ]
	assert_eq "$(field argv "$output")" "[one][-t][two words]" '@ARGV'
	assert_eq "$(field 0 "$output")" "$W/request.pl" '$0'
}

@test "#! line: perl switches and speedy options after the interpreter (one kernel argument)" {
	use_script opts.pl "-w -- -t300 -r50"
	runf timeout 20 "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Timeout "$output")" 300 Timeout
	assert_eq "$(field MaxRuns "$output")" 50 MaxRuns
	assert_eq "$(field w "$output")" 1 '$^W'
}

@test "#! line: speedy options only, and perl switches only" {
	use_script opts.pl "-- -t 42 -M 3"
	runf timeout 20 "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Timeout "$output")" 42 Timeout
	assert_eq "$(field MaxBackends "$output")" 3 MaxBackends
	assert_eq "$(field w "$output")" 0 '$^W'
	cp "$W/opts.pl" "$W/opts2.pl"
	sed -i "1s|.*|#!$SPEEDY -w|" "$W/opts2.pl"
	runf timeout 20 "$W/opts2.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field w "$output")" 1 '$^W'
	assert_eq "$(field Timeout "$output")" 3600 Timeout
}

@test "speedy script.pl honours the options on the script's own #! line" {
	use_script opts.pl "-w -- -t302 -r52"
	# The #! line names an interpreter that need not exist: speedy reads it.
	sed -i '1s|^#![^ ]*|#!/usr/bin/speedy|' "$W/opts.pl"
	chmod -x "$W/opts.pl"
	runf timeout 20 "$SPEEDY" "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Timeout "$output")" 302 Timeout
	assert_eq "$(field MaxRuns "$output")" 52 MaxRuns
	assert_eq "$(field w "$output")" 1 '$^W'
}

@test "speedy script.pl honours perl switches on a #!/usr/bin/perl line" {
	use_script warnings.pl
	cp "$W/plain/warnings.pl" "$W/w.pl"
	runf timeout 20 "$SPEEDY" "$W/w.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field w "$output")" 1 '$^W'
}

@test "#! -I switch given once through the kernel is applied once" {
	mkdir "$W/lib"
	printf 'package SpeedyTestMod;\nsub hello { "hello from lib" }\n1;\n' \
	    >"$W/lib/SpeedyTestMod.pm"
	tail -n +2 "$SCRIPTS/inc.pl" | mkscript inc.pl "-I$W/lib"
	T_LIB="$W/lib" runf timeout 20 "$W/inc.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hello from lib
floor=none
inc=1"
}

@test "defaults: Timeout 3600, MaxRuns 500, MaxBackends 0, Group none, BufsizGet/BufsizPost 131072" {
	use_script opts.pl ""
	runf timeout 20 "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Timeout "$output")" 3600 Timeout
	assert_eq "$(field MaxRuns "$output")" 500 MaxRuns
	assert_eq "$(field MaxBackends "$output")" 0 MaxBackends
	assert_eq "$(field Group "$output")" none Group
	assert_eq "$(field BufsizGet "$output")" 131072 BufsizGet
	assert_eq "$(field BufsizPost "$output")" 131072 BufsizPost
	assert_eq "$(field TmpBase "$output")" "$SPEEDY_TMPBASE" TmpBase
}

@test "default TmpBase is /tmp/speedy" {
	use_script opts.pl ""
	dir=/tmp/speedy.$(id -u)
	existed=
	[ -e "$dir" ] && existed=1
	# MaxRuns 1: the backend goes away by itself after this request, and
	# Timeout 1 takes its parent (which forked it) soon after.
	runf env -u SPEEDY_TMPBASE T_PPID=1 timeout 20 "$SPEEDY" -- -r1 -t1 \
	    "$W/opts.pl"
	[ "$status" -eq 0 ]
	pid=$(field pid "$output")
	ppid=$(field ppid "$output")
	EXTRA_PIDS+=("$pid" "$ppid")
	assert_eq "$(field TmpBase "$output")" /tmp/speedy TmpBase
	[ -d "$dir" ]
	wait_for gone "$pid"
	wait_for gone "$ppid"
	[ ! -e "$SPEEDY_DIR" ]
	# Leave /tmp as it was if nobody else uses the directory.
	if [ -z "$existed" ] && ! ls "$dir" | grep -q '\.sock$'; then
		rm -rf "$dir"
	fi
}

@test "default BackendProg is the installed speedy_backend" {
	use_script counter.pl
	if [ -n "${SPEEDY_INSTALLED:-}" ]; then
		bindir=$(dirname "$(command -v "$SPEEDY")")
	else
		bindir=$(make -s -C "$TOP" --no-print-directory \
		    --eval 'print-bindir: ; @echo $(bindir)' print-bindir)
	fi
	prog=$bindir/speedy_backend
	runs3 env -u SPEEDY_BACKENDPROG timeout 20 "$W/counter.pl"
	if [ -x "$prog" ]; then
		[ "$status" -eq 0 ]
		assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	else
		[ "$status" -ne 0 ]
		assert_eq "$stderr" "speedy: cannot execute backend $prog: No such file or directory"
	fi
}

@test "every option by its letter: -t -r -M -g -T -B -b" {
	use_script opts.pl ""
	runf timeout 20 "$SPEEDY" -- -t 5 -r6 -M 7 -gmygroup -T "$W/tb" -B 65536 -b32768 "$W/opts.pl"
	EXTRA_DIRS+=("$W/tb.$(id -u)")
	[ "$status" -eq 0 ]
	assert_eq "$output" "Timeout=5
MaxRuns=6
MaxBackends=7
Group=mygroup
TmpBase=$W/tb
BufsizGet=65536
BufsizPost=32768
w=0
pid=$(field pid "$output")"
	# The backend lives in the TmpBase given, not in the default one.
	[ -S "$W/tb.$(id -u)/$(field pid "$output").sock" ]
	assert_no_backends
}

@test "every option by its SPEEDY_ environment variable" {
	use_script opts.pl ""
	SPEEDY_TIMEOUT=5 SPEEDY_MAXRUNS=6 SPEEDY_MAXBACKENDS=7 SPEEDY_GROUP=envgroup \
	    SPEEDY_TMPBASE="$W/etb" SPEEDY_BUFSIZGET=65536 SPEEDY_BUFSIZPOST=32768 \
	    runf timeout 20 "$W/opts.pl"
	EXTRA_DIRS+=("$W/etb.$(id -u)")
	[ "$status" -eq 0 ]
	assert_eq "$output" "Timeout=5
MaxRuns=6
MaxBackends=7
Group=envgroup
TmpBase=$W/etb
BufsizGet=65536
BufsizPost=32768
w=0
pid=$(field pid "$output")"
	[ -S "$W/etb.$(id -u)/$(field pid "$output").sock" ]
	assert_no_backends
}

# A BackendProg that records that it was used, then runs the real backend.
make_wrapper() {
	cat >"$W/wrapper" <<EOF
#!/bin/sh
echo used >>"$W/wrapper.log"
exec "$REAL_BACKEND" "\$@"
EOF
	chmod +x "$W/wrapper"
}

@test "BackendProg by -p and by SPEEDY_BACKENDPROG" {
	use_script counter.pl
	make_wrapper
	SPEEDY_BACKENDPROG="$W/wrapper" runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	assert_eq "$(cat "$W/wrapper.log")" used
	speedy_teardown
	rm "$W/wrapper.log"
	# -p wins over the environment.
	SPEEDY_BACKENDPROG=/nonexistent/backend runf timeout 20 "$SPEEDY" -- -p "$W/wrapper" "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	assert_eq "$(cat "$W/wrapper.log")" used
}

@test "-g alone means the group 'default'" {
	use_script opts.pl ""
	runf timeout 20 "$SPEEDY" -- -g "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Group "$output")" default Group
}

@test "only the first 12 characters of a group name are significant" {
	use_script opts.pl ""
	runf timeout 20 "$SPEEDY" -- -gabcdefghijklFIRST "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field Group "$output")" abcdefghijkl Group
	pid=$(field pid "$output")
	runf timeout 20 "$SPEEDY" -- -gabcdefghijklSECOND "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field pid "$output")" "$pid" "backend of the same group"
	runf timeout 20 "$SPEEDY" -- -gabcdefghijkX "$W/opts.pl"
	[ "$status" -eq 0 ]
	[ "$(field pid "$output")" != "$pid" ]
	assert_eq "$(field Group "$output")" abcdefghijkX Group
}

@test "precedence: defaults < environment < #! line < command line" {
	use_script opts.pl ""
	for s in def env shebang cmd; do
		cp "$W/opts.pl" "$W/$s.pl"
	done
	sed -i "1s|.*|#!$SPEEDY -- -t22 -r220|" "$W/shebang.pl" "$W/cmd.pl"
	runf timeout 20 "$W/def.pl"
	assert_eq "$(field Timeout "$output") $(field MaxRuns "$output")" "3600 500" default
	SPEEDY_TIMEOUT=11 runf timeout 20 "$W/env.pl"
	assert_eq "$(field Timeout "$output") $(field MaxRuns "$output")" "11 500" environment
	SPEEDY_TIMEOUT=11 SPEEDY_MAXRUNS=110 runf timeout 20 "$W/shebang.pl"
	assert_eq "$(field Timeout "$output") $(field MaxRuns "$output")" "22 220" "#! line"
	SPEEDY_TIMEOUT=11 SPEEDY_MAXRUNS=110 runf timeout 20 "$SPEEDY" -- -t33 "$W/cmd.pl"
	assert_eq "$(field Timeout "$output") $(field MaxRuns "$output")" "33 220" "command line"
}

@test "perl switches from the #! line and the command line add up" {
	mkdir "$W/lib"
	printf 'package SpeedyTestMod;\nsub hello { "hello" }\n1;\n' >"$W/lib/SpeedyTestMod.pm"
	tail -n +2 "$SCRIPTS/inc.pl" | mkscript inc.pl "-MPOSIX=floor"
	T_LIB="$W/lib" runf timeout 20 "$SPEEDY" -I "$W/lib" "$W/inc.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" "hello
floor=2
inc=1"
}

# bad_option WHAT CMD...: CMD must fail at once with one line on stderr
# naming WHAT, print nothing on stdout, run no script, start no backend.
# Counts a failure in $fails and says why, so that a test checks all of
# its cases before it fails.
bad_option() {
	local what=$1 bad=
	shift
	runs3 timeout 20 "$@"
	if [ "$status" -eq 0 ] || [ "$status" -ge 124 ]; then
		echo "exit status $status, expected a failure"
		bad=1
	fi
	assert_eq "$output" "" stdout || bad=1
	assert_one_line "$stderr" stderr || bad=1
	assert_match "$stderr" "$what" stderr || bad=1
	if [ -e "$W/mark" ]; then
		echo "the script ran"
		bad=1
		rm -f "$W/mark"
	fi
	assert_no_backends || bad=1
	if [ -n "$bad" ]; then
		echo "^^^ in: $*"
		echo
		fails=$((fails + 1))
	fi
	return 0
}

@test "bad option values on the command line: one line naming them, nothing started" {
	use_script opts.pl ""
	export T_MARK="$W/mark"
	fails=0
	bad_option "-t.*abc|Timeout.*abc" "$SPEEDY" -- -t abc "$W/opts.pl"
	bad_option "-r.*-1|MaxRuns.*-1" "$SPEEDY" -- -r -1 "$W/opts.pl"
	bad_option "-B.*12x|BufsizGet.*12x" "$SPEEDY" -- -B 12x "$W/opts.pl"
	bad_option "-b.*huge|BufsizPost.*huge" "$SPEEDY" -- -bhuge "$W/opts.pl"
	bad_option "-M.*many|MaxBackends.*many" "$SPEEDY" -- -M many "$W/opts.pl"
	bad_option "-t.*99999999999|Timeout.*99999999999" "$SPEEDY" -- -t 99999999999 "$W/opts.pl"
	[ "$fails" -eq 0 ]
}

@test "unknown options and options without their value: one line naming them" {
	use_script opts.pl ""
	export T_MARK="$W/mark"
	fails=0
	bad_option "-q" "$SPEEDY" -- -q "$W/opts.pl"
	bad_option "-v" "$SPEEDY" -- -vx "$W/opts.pl"
	bad_option "-r" "$SPEEDY" -- -r
	[ "$fails" -eq 0 ]
}

@test "bad SPEEDY_ environment values: one line naming the variable, nothing started" {
	use_script opts.pl ""
	export T_MARK="$W/mark"
	fails=0
	SPEEDY_TIMEOUT=soon bad_option "SPEEDY_TIMEOUT" "$W/opts.pl"
	SPEEDY_MAXRUNS=-3 bad_option "SPEEDY_MAXRUNS" "$W/opts.pl"
	SPEEDY_BUFSIZGET=lots bad_option "SPEEDY_BUFSIZGET" "$W/opts.pl"
	SPEEDY_MAXBACKENDS=1e3 bad_option "SPEEDY_MAXBACKENDS" "$SPEEDY" "$W/opts.pl"
	[ "$fails" -eq 0 ]
}

@test "bad options on the #! line: one line naming them, nothing started" {
	use_script opts.pl "-- -t soon"
	export T_MARK="$W/mark"
	fails=0
	bad_option "-t.*soon|Timeout.*soon" "$W/opts.pl"
	bad_option "-t.*soon|Timeout.*soon" "$SPEEDY" "$W/opts.pl"
	use_script opts.pl "-- -Z 1"
	bad_option "-Z" "$W/opts.pl"
	[ "$fails" -eq 0 ]
}

@test "no script given: a message and a non-zero exit" {
	runs3 timeout 20 "$SPEEDY"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_eq "$output" ""
	assert_match "$stderr" "script"
	runs3 timeout 20 "$SPEEDY" -w -- -t5
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_match "$stderr" "script"
	assert_no_backends
}

@test "script missing: says so and exits non-zero" {
	runs3 timeout 20 "$SPEEDY" "$W/missing.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_eq "$output" ""
	assert_eq "$stderr" "speedy: $W/missing.pl: No such file or directory"
	assert_no_backends
}

@test "script is a directory: says so and exits non-zero" {
	mkdir "$W/dir.pl"
	runs3 timeout 20 "$SPEEDY" "$W/dir.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_one_line "$stderr"
	assert_match "$stderr" "$W/dir.pl"
	assert_no_backends
}

@test "script unreadable: says so and exits non-zero (as an unprivileged user)" {
	# Running as another user (setpriv, chown) needs root.
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as nobody"
	world_dir
	use_script counter.pl
	cp "$W/counter.pl" "$ROOT_TMP/ok.pl"
	cp "$W/counter.pl" "$ROOT_TMP/secret.pl"
	chmod 755 "$ROOT_TMP/ok.pl"
	chmod 311 "$ROOT_TMP/secret.pl"	# executable, not readable
	mkdir "$ROOT_TMP/tb"
	chown nobody:nogroup "$ROOT_TMP/tb"
	nobody_dir="$ROOT_TMP/tb/sp.$(id -u nobody)"
	EXTRA_DIRS+=("$nobody_dir")
	# The setup works for a readable script...
	runs3 as_nobody env SPEEDY_TMPBASE="$ROOT_TMP/tb/sp" timeout 20 "$SPEEDY" "$ROOT_TMP/ok.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	# ...and fails for the unreadable one, run both ways.
	runs3 as_nobody env SPEEDY_TMPBASE="$ROOT_TMP/tb/sp" timeout 20 "$SPEEDY" "$ROOT_TMP/secret.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_eq "$output" ""
	assert_eq "$stderr" "speedy: $ROOT_TMP/secret.pl: Permission denied"
	runs3 as_nobody env SPEEDY_TMPBASE="$ROOT_TMP/tb/sp" timeout 20 "$ROOT_TMP/secret.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "secret.pl.*Permission denied"
	# Only the readable script got a backend.
	assert_eq "$(backends_in "$nobody_dir" | wc -l)" 1
}

@test "BackendProg missing: says so and exits non-zero" {
	use_script counter.pl
	runs3 timeout 20 "$SPEEDY" -- -p "$W/no-such-backend" "$W/counter.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "$W/no-such-backend"
	SPEEDY_BACKENDPROG="$W/no-such-backend" runs3 timeout 20 "$W/counter.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_one_line "$stderr"
	assert_match "$stderr" "$W/no-such-backend"
	assert_no_backends
}

@test "BackendProg not executable: says so and exits non-zero" {
	use_script counter.pl
	printf '#!/bin/sh\nexit 0\n' >"$W/noexec"
	chmod 644 "$W/noexec"
	runs3 timeout 20 "$SPEEDY" -- -p "$W/noexec" "$W/counter.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_eq "$output" ""
	assert_one_line "$stderr"
	assert_match "$stderr" "$W/noexec"
	# A directory is not a program either.
	runs3 timeout 20 "$SPEEDY" -- -p "$W" "$W/counter.pl"
	[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
	assert_one_line "$stderr"
	assert_match "$stderr" "$W"
	assert_no_backends
}

@test "BackendProg that exits at once or is not a backend: fails with a message, never hangs" {
	use_script counter.pl
	for prog in /bin/true /bin/false "$W/garbage"; do
		printf '#!/bin/sh\necho not a backend\nexit 3\n' >"$W/garbage"
		chmod +x "$W/garbage"
		runs3 timeout 20 "$SPEEDY" -- -p "$prog" "$W/counter.pl"
		[ "$status" -ne 0 ] && [ "$status" -lt 124 ]
		assert_eq "$output" ""
		assert_one_line "$stderr"
		assert_match "$stderr" "^speedy: "
	done
	assert_no_backends
}

@test "BufsizGet: the backend leaves that much output without waiting for the reader" {
	use_script fill.pl
	# The reader only starts reading once the script has written all of
	# its output and ended; a pipe that small would block the script.
	runf timeout 20 bash -c '
		"$1" -- -B 262144 "$2" 200000 "$3" | {
		for i in $(seq 1 100); do [ -e "$3" ] && break; sleep 0.1; done
		[ -e "$3" ] && echo marker || echo "no marker"
		wc -c; }' _ "$SPEEDY" "$W/fill.pl" "$W/marker"
	[ "$status" -eq 0 ]
	assert_eq "$(echo $output)" "marker 200000"
}

@test "BufsizPost: the client can write that much request body before the script reads" {
	use_script waitread.pl
	runf timeout 20 bash -c '
		{ head -c 200000 /dev/zero; touch "$3"; } |
		"$1" -- -b 262144 "$2" "$3"' _ "$SPEEDY" "$W/waitread.pl" "$W/marker"
	[ "$status" -eq 0 ]
	assert_eq "$output" "marker
200000"
}
