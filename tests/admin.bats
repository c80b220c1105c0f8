#!/usr/bin/env bats
# speedy-admin list, status, drain and kill (issue "Configuration ... and
# speedy-admin"): what the queue files say about the running backends, and
# how an operator retires them.  No test asserts a duration; requests that
# must stay busy wait for a file the test creates (pool_gate.pl), and every
# command that could hang runs under timeout.  JSON is checked with perl's
# JSON::PP, which is part of perl.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	export T_LOG="$W/log" T_GATE="$W/go"
	FE=()		# FE[ID]: the background request ID (its timeout's pid)
}

teardown() {
	lib_teardown
	speedy_teardown
}

# adm ARGS...: speedy-admin within 30 s, $output/$stderr/$status apart.
adm() {
	runs3 timeout 30 "$ADMIN" "$@"
}

# not CMD...: fails if CMD succeeds.
not() {
	if "$@"; then
		echo "unexpectedly true: $*"
		return 1
	fi
}

# all_gone PID...: every PID has exited (for wait_for).
all_gone() {
	local p
	for p in "$@"; do
		gone "$p" || return 1
	done
}

# json_ok TEXT: TEXT is valid JSON (prints perl's complaint if not).
json_ok() {
	printf '%s' "$1" | perl -MJSON::PP -e \
	    'local $/; JSON::PP->new->utf8->decode(<STDIN>)'
}

# jq_perl TEXT EXPR: evaluates the perl expression EXPR with $j holding the
# decoded JSON TEXT and prints the result (lists one item per line).
jq_perl() {
	printf '%s' "$1" | perl -MJSON::PP -e '
		local $/;
		binmode STDOUT, ":utf8";
		my $j = JSON::PP->new->utf8->decode(<STDIN>);
		my @r = eval $ARGV[0];
		die $@ if $@;
		print map({ (defined $_ ? $_ : "null") . "\n" } @r);' "$2"
}

# item TEXT ARRAY KEY VALUE FIELD...: the FIELDs, one per line ("null" for
# null), of the first item of the JSON array ARRAY whose KEY is VALUE.
item() {
	printf '%s' "$1" | perl -MJSON::PP -e '
		local $/;
		binmode STDOUT, ":utf8";
		my ($arr, $key, $val, @f) = @ARGV;
		my $j = JSON::PP->new->utf8->decode(<STDIN>);
		my ($it) = grep { $_->{$key} eq $val } @{$j->{$arr}};
		die "no item with $key $val\n" unless $it;
		print map({ (defined $it->{$_} ? $it->{$_} : "null") . "\n" } @f);' \
	    "${@:2}"
}

# list_pids: the pids speedy-admin list shows, sorted.
list_pids() {
	"$ADMIN" list "$@" | awk 'NR > 1 { print $3 }' | sort -n
}

# row PID: the list row of PID.
row() {
	"$ADMIN" list | awk -v p="$1" 'NR > 1 && $3 == p'
}

# mod_script NAME VERSION: a script that prints the version of the module
# AdmMod in $W/lib (written as VERSION) and its pid.
mod_script() {
	mkdir -p "$W/lib"
	printf 'package AdmMod;\nsub v { "%s" }\n1;\n' "$2" >"$W/lib/AdmMod.pm"
	mkscript "$1" <<PERL
use lib '$W/lib';
use AdmMod;
print "v=", AdmMod::v(), " pid=\$\$\n";
PERL
}

# two_up: counter.pl served twice: one parent, one idle backend.
two_up() {
	use_script counter.pl
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	PARENT=$(parent_pids)
	BACKEND=$(backend_pids)
	[ -n "$PARENT" ] && [ -n "$BACKEND" ]
}

# usage_error ARGS...: speedy-admin ARGS exits 2 with one line naming the
# problem, then the usage.
usage_error() {
	adm "$@"
	if [ "$status" -ne 2 ]; then
		echo "speedy-admin $* exited $status, not 2: $stderr"
		return 1
	fi
	assert_eq "$output" "" "stdout of speedy-admin $*"
	assert_match "$(head -n 1 <<<"$stderr")" '^speedy-admin: .+' "first line"
	assert_match "$(sed -n 2p <<<"$stderr")" '^usage: speedy-admin' "second line"
}

# ------------------------------------------------------------- list

@test "list: a header and one row per parent and backend" {
	two_up
	adm list
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	assert_match "${output%%$'\n'*}" '^USER +GROUP +PID +STATE +RUNS +AGE +TIME +FE +SCRIPT$' "header"
	assert_eq "$(printf '%s\n' "$output" | wc -l)" 3 "lines"
	dur='[0-9]+(s|m[0-9]{2}s|h[0-9]{2}m|d[0-9]{2}h)'
	assert_match "$(row "$PARENT")" "^root +none +$PARENT +parent +0 +$dur +- +- +$W/counter.pl$"
	assert_match "$(row "$BACKEND")" "^root +none +$BACKEND +idle +2 +$dur +$dur +- +$W/counter.pl$"
}

@test "list --json: valid JSON with every field of every backend" {
	two_up
	adm list --json
	[ "$status" -eq 0 ]
	json_ok "$output"
	assert_eq "$(jq_perl "$output" 'scalar @{$j->{backends}}')" 2 "backends"
	for p in "$PARENT" "$BACKEND"; do
		assert_eq "$(item "$output" backends pid "$p" user uid group script tmpbase fe_pid)" \
		    "$(printf '%s\n' root 0 none "$W/counter.pl" "$SPEEDY_TMPBASE" null)" "fields of $p"
		assert_match "$(item "$output" backends pid "$p" started)" '^[0-9]+$' "started of $p"
	done
	assert_eq "$(item "$output" backends state idle pid runs)" "$(printf '%s\n' "$BACKEND" 2)"
	assert_match "$(item "$output" backends state idle last_used)" '^[0-9]+$' "last_used"
	assert_eq "$(item "$output" backends state parent pid runs last_used)" "$(printf '%s\n' "$PARENT" 0 null)"
}

@test "list: a busy backend shows its frontend; selectors filter" {
	use_script pool_gate.pl
	start_req 1
	wait_for has_started 1
	busy=$(pid_of 1)
	parent=$(parent_pids)
	dur='[0-9]+(s|m[0-9]{2}s|h[0-9]{2}m|d[0-9]{2}h)'
	assert_match "$(row "$busy")" "^root +none +$busy +busy +0 +$dur +$dur +[0-9]+ +$W/pool_gate.pl$"
	fe=$(row "$busy" | awk '{ print $8 }')
	# The frontend is the script's process, a child of its timeout.
	assert_eq "$(ppid_of "$fe")" "${FE[1]}" "frontend's parent"
	use_script counter.pl
	runf timeout 20 "$W/counter.pl"
	other=$(word_pid "$output")
	assert_eq "$(list_pids --pid "$busy")" "$busy" "--pid"
	assert_eq "$(list_pids --pid "$busy" --pid "$other")" "$(printf '%s\n' "$busy" "$other" | sort -n)" "--pid twice"
	assert_eq "$(list_pids --script "$W/pool_gate.pl")" "$(printf '%s\n' "$busy" "$parent" | sort -n)" "--script"
	assert_eq "$(cd "$W" && list_pids --script ./pool_gate.pl)" "$(printf '%s\n' "$busy" "$parent" | sort -n)" "relative --script"
	assert_eq "$(list_pids --script "$W/pool_gate.pl" --pid "$other")" "" "selectors AND"
	assert_eq "$(list_pids --user root --group none | wc -l)" 4 "--user, --group"
	assert_eq "$(list_pids --user 0 --all | wc -l)" 4 "--user uid, --all"
	assert_eq "$(list_pids --group shop)" "" "another group"
	assert_eq "$(list_pids --tmpbase "$BATS_TEST_TMPDIR/nothing")" "" "another TmpBase"
	adm list --json --pid "$busy"
	assert_eq "$(jq_perl "$output" 'map $_->{fe_pid}, @{$j->{backends}}')" "$fe" "fe_pid"
	open_gate 1
	wait_req 1
}

# word_pid TEXT: the pid=N of counter.pl's output.
word_pid() {
	sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$1"
}

@test "list: a backend killed with SIGKILL is not shown, and its entry is reclaimed" {
	two_up
	# A stopped parent cannot reap its child: the backend stays a zombie,
	# which kill(pid, 0) still finds.
	kill -STOP "$PARENT"
	kill -KILL "$BACKEND"
	wait_for gone "$BACKEND"
	adm list
	kill -CONT "$PARENT"
	[ "$status" -eq 0 ]
	assert_eq "$(awk 'NR > 1 { print $3 }' <<<"$output")" "$PARENT" "pids listed"
	assert_eq "$(slot_state "$BACKEND")" "" "the dead backend's slot"
	[ ! -e "$SPEEDY_DIR/$BACKEND.sock" ]
	# The next request gets a new backend.
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	[ "$(word_pid "$output")" != "$BACKEND" ]
}

@test "list --json: strings are escaped; the table shows control characters escaped" {
	# The backend refuses a script path with a double quote: the group
	# name has one.
	name=$'b\\s\001\xff\xc3\xa9.pl'
	tail -n +2 "$SCRIPTS/counter.pl" | mkscript "$name" '-- -gq"b\c'
	runf timeout 20 "$W/$name"
	[ "$status" -eq 0 ]
	adm list --json
	[ "$status" -eq 0 ]
	json_ok "$output"
	[[ $output == *'"group":"q\"b\\c"'* ]]
	[[ $output == *'/b\\s\u0001\u00ff'$'\xc3\xa9''.pl"'* ]]
	# Decoded, the name is the file's (the stray byte as U+00FF).
	got=$(jq_perl "$output" 'map $_->{script}, @{$j->{backends}}' | sort -u)
	assert_eq "$got" "$W/b\\s"$'\001\xc3\xbf\xc3\xa9.pl'
	adm list
	[[ $output == *'/b\\s\001\377'$'\xc3\xa9''.pl'* ]]
	[[ $output != *$'\001'* ]] && [[ $output != *$'\xff'* ]]
}

@test "list: no queue file prints the header only, or an empty array" {
	adm list
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	assert_match "$output" '^USER +GROUP +PID +STATE +RUNS +AGE +TIME +FE +SCRIPT$'
	adm list --json
	[ "$status" -eq 0 ]
	json_ok "$output"
	assert_eq "$(jq_perl "$output" 'scalar @{$j->{backends}}')" 0
	[ ! -e "$SPEEDY_DIR" ]
	adm list --tmpbase "$BATS_TEST_TMPDIR/no/such/dir/sp"
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
}

@test "list, status and kill look at the TmpBase a configured site sets too" {
	two_up
	mkdir -p "$SPEEDY_CONFDIR/sites.d" "$W/shop"
	: >"$SPEEDY_CONFDIR/speedy.conf"
	cat >"$SPEEDY_CONFDIR/sites.d/shop.conf" <<EOF
site shop {
	scripts = { "$W/shop/*.pl" }
	tmpbase = "$BATS_TEST_TMPDIR/shop"
}
EOF
	runs3 "$ADMIN" reload
	[ "$status" -eq 0 ]
	EXTRA_DIRS+=("$BATS_TEST_TMPDIR/shop.0")
	cp "$W/counter.pl" "$W/shop/cart.pl"
	# SPEEDY_TMPBASE would win over the site's TmpBase.
	runf env -u SPEEDY_TMPBASE timeout 20 "$W/shop/cart.pl"
	[ "$status" -eq 0 ]
	shop=$(pids_in "$BATS_TEST_TMPDIR/shop.0" | sort -n)
	assert_eq "$(wc -l <<<"$shop")" 2 "processes in the site's TmpBase"
	adm list --json
	[ "$status" -eq 0 ]
	for p in $shop; do
		assert_eq "$(item "$output" backends pid "$p" tmpbase script)" \
		    "$(printf '%s\n' "$BATS_TEST_TMPDIR/shop" "$W/shop/cart.pl")"
	done
	assert_eq "$(list_pids | wc -l)" 4 "processes listed"
	adm status
	assert_match "$(sed -n 2p <<<"$output")" '^root +none +2 +2 +0 +0 +2 +0 +3 +0 +2$'
	# --tmpbase looks there only.
	assert_eq "$(list_pids --tmpbase "$BATS_TEST_TMPDIR/shop")" "$shop"
	adm kill --script "$W/shop/cart.pl"
	[ "$status" -eq 0 ]
	all_gone $shop
	assert_eq "$(list_pids)" "$(printf '%s\n' "$PARENT" "$BACKEND" | sort -n)"
}

@test "a damaged snapshot is reported (exit 1); the default TmpBase is still listed" {
	two_up
	echo garbage >"$SPEEDY_SNAPSHOT"
	adm list
	[ "$status" -eq 1 ]
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-admin: .*$SPEEDY_SNAPSHOT"
	assert_eq "$(awk 'NR > 1 { print $3 }' <<<"$output" | sort -n)" "$(printf '%s\n' "$PARENT" "$BACKEND" | sort -n)"
}

# ------------------------------------------------------------- status

@test "status: a table per user and group" {
	two_up
	adm status
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	assert_match "${output%%$'\n'*}" '^USER +GROUP +BACKENDS +IDLE +BUSY +DRAINING +PARENTS +WAITING +REQUESTS +MAXHIT +STARTED$'
	assert_match "$(sed -n 2p <<<"$output")" '^root +none +1 +1 +0 +0 +1 +0 +2 +0 +1$'
	assert_eq "$(printf '%s\n' "$output" | wc -l)" 2 "lines"
	adm status --tmpbase "$BATS_TEST_TMPDIR/other"
	[ "$status" -eq 0 ]
	assert_eq "$(printf '%s\n' "$output" | wc -l)" 1 "lines for an empty TmpBase"
}

@test "status --json: frontends waiting for MaxBackends and the counters" {
	use_script pool_gate.pl "-- -M1 -gshop"
	start_req 1
	wait_for has_started 1
	start_req 2
	wait_for nwaiting 1
	adm status --json
	[ "$status" -eq 0 ]
	json_ok "$output"
	assert_eq "$(item "$output" groups group shop user uid backends idle busy draining parents waiting requests maxbackends_reached backends_started)" \
	    "$(printf '%s\n' root 0 1 0 1 0 1 1 0 1 1)"
	open_gate 1 2
	wait_req 1
	wait_req 2
	adm status --json
	assert_eq "$(item "$output" groups group shop backends idle busy waiting requests)" \
	    "$(printf '%s\n' 1 1 0 0 2)"
	adm status --json --tmpbase "$BATS_TEST_TMPDIR/other"
	assert_eq "$output" '{"groups":[]}'
}

# om_check TEXT: TEXT is OpenMetrics text as speedy-admin writes it.
om_check() {
	printf '%s\n' "$1" | perl -e '
		my ($fam, $type, $eof, %seen);
		my $lv = q{"(?:[^"\\\\\n]|\\\\[\\\\"n])*"};
		while (<STDIN>) {
			chomp;
			die "after # EOF: $_\n" if $eof;
			if (/^# EOF$/) { $eof = 1; next }
			if (/^# TYPE (\w+) (gauge|counter)$/) {
				die "TYPE of a counter ends in _total: $_\n"
				    if $2 eq "counter" && $1 =~ /_total$/;
				die "family twice: $1\n" if $seen{$1}++;
				($fam, $type) = ($1, $2);
				next;
			}
			if (/^# HELP (\w+) \S/) {
				die "HELP of another family: $_\n" if $1 ne $fam;
				next;
			}
			/^(\w+)\{user=$lv,group=$lv(,state=$lv)?\} [0-9]+$/
			    or die "bad line: $_\n";
			my $want = $type eq "counter" ? "${fam}_total" : $fam;
			die "sample $1 in family $fam\n" if $1 ne $want;
		}
		die "no # EOF at the end\n" unless $eof;'
}

@test "status --openmetrics: gauges, counters ending in _total, escaped labels, # EOF" {
	two_up
	use_script pool_group_a.pl '-- -ga"b\c'
	runf timeout 20 "$W/pool_group_a.pl"
	[ "$status" -eq 0 ]
	adm status --openmetrics
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	om_check "$output"
	for st in starting idle busy draining parent spawning; do
		grep -qx "speedy_backends{user=\"root\",group=\"none\",state=\"$st\"} [0-9]*" <<<"$output"
	done
	grep -qx 'speedy_backends{user="root",group="none",state="idle"} 1' <<<"$output"
	grep -qx 'speedy_backends{user="root",group="none",state="parent"} 1' <<<"$output"
	grep -qx 'speedy_requests_total{user="root",group="none"} 2' <<<"$output"
	grep -qx 'speedy_backends_started_total{user="root",group="none"} 1' <<<"$output"
	grep -qx 'speedy_maxbackends_reached_total{user="root",group="none"} 0' <<<"$output"
	grep -qx 'speedy_waiting_frontends{user="root",group="none"} 0' <<<"$output"
	grep -qx 'speedy_requests_total{user="root",group="a\\"b\\\\c"} 1' <<<"$output"
	grep -qx '# TYPE speedy_requests counter' <<<"$output"
	# Nothing running: the families and # EOF only.
	adm status --openmetrics --tmpbase "$BATS_TEST_TMPDIR/other"
	[ "$status" -eq 0 ]
	om_check "$output"
	assert_eq "$(grep -vc '^#' <<<"$output")" 0 "samples"
}

# ------------------------------------------------------------- drain

@test "drain: idle backends and the parent exit; the next request gets new ones" {
	two_up
	adm drain --all
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	wait_for all_gone "$PARENT" "$BACKEND"
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	# A new parent compiled the script again.
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	[ "$(word_pid "$output")" != "$BACKEND" ]
	assert_eq "$(list_pids)" "$( (parent_pids; backend_pids) | sort -n)" "listed"
}

@test "drain --wait: returns once the drained processes are gone" {
	two_up
	adm drain --all --wait
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	all_gone "$PARENT" "$BACKEND"
	adm drain --all --wait=5
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: no backend matches"
}

@test "drain: a busy backend finishes its request, then exits; --wait times out meanwhile" {
	use_script pool_gate.pl
	start_req 1
	wait_for has_started 1
	busy=$(pid_of 1)
	parent=$(parent_pids)
	adm drain --pid "$busy"
	[ "$status" -eq 0 ]
	assert_eq "$(slot_state "$busy")" draining
	assert_eq "$(row "$busy" | awk '{ print $4 }')" draining "state listed"
	adm drain --pid "$busy" --wait=1
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: 1 of 1 drained processes still running after 1 s"
	# A new request does not go to the draining backend.
	open_gate 2
	runf timeout 20 "$W/pool_gate.pl" 2
	[ "$status" -eq 0 ]
	assert_eq "$output" "id=2 pid=$(pid_of 2) ppid=$parent"
	[ "$(pid_of 2)" != "$busy" ]
	open_gate 1
	wait_req 1
	assert_eq "$(cat "$W/out.1")" "id=1 pid=$busy ppid=$parent"
	assert_eq "$(cat "$W/err.1")" ""
	wait_for gone "$busy"
	assert_eq "$(slot_state "$busy")" ""
	not gone "$parent"
}

@test "drain --script: edited modules are picked up; other scripts keep running" {
	mod_script mod.pl 1
	use_script counter.pl
	runf timeout 20 "$W/mod.pl"
	assert_match "$output" '^v=1 pid=[0-9]+$'
	runf timeout 20 "$W/counter.pl"
	mod_pids=$(list_pids --script "$W/mod.pl")
	other=$(list_pids --script "$W/counter.pl")
	[ -n "$mod_pids" ] && [ -n "$other" ]
	printf 'package AdmMod;\nsub v { "2" }\n1;\n' >"$W/lib/AdmMod.pm"
	runf timeout 20 "$W/mod.pl"
	assert_match "$output" '^v=1 pid=[0-9]+$' "before the drain"
	adm drain --script "$W/mod.pl" --wait
	[ "$status" -eq 0 ]
	all_gone $mod_pids
	runf timeout 20 "$W/mod.pl"
	assert_match "$output" '^v=2 pid=[0-9]+$' "after the drain"
	for p in $other; do
		not gone "$p"
	done
	# A relative path is made absolute against the current directory.
	printf 'package AdmMod;\nsub v { "3" }\n1;\n' >"$W/lib/AdmMod.pm"
	(cd "$W" && "$ADMIN" drain --script mod.pl --wait)
	runf timeout 20 "$W/mod.pl"
	assert_match "$output" '^v=3 pid=[0-9]+$' "after the second drain"
}

@test "drain --group: the group's backends only; 12 characters count" {
	use_script pool_group_a.pl "-- -gabcdefghijklmX"
	use_script counter.pl
	runf timeout 20 "$W/pool_group_a.pl"
	runf timeout 20 "$W/counter.pl"
	group_pids=$(list_pids --group abcdefghijkl)
	none_pids=$(list_pids --group none)
	[ -n "$group_pids" ] && [ -n "$none_pids" ]
	assert_eq "$(list_pids --group abcdefghijklmX)" "$group_pids"
	adm drain --group abcdefghijklmY --wait
	[ "$status" -eq 0 ]
	all_gone $group_pids
	assert_eq "$(list_pids)" "$none_pids" "still running"
}

@test "drain: no queue file means nothing matches" {
	adm drain --all
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: no backend matches"
	two_up
	adm drain --pid 999999
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: no backend matches"
	adm drain --group nosuchgroup
	[ "$status" -eq 1 ]
	assert_eq "$(list_pids | wc -l)" 2
}

# ------------------------------------------------------------- kill

@test "kill: SIGTERM by default; entries and sockets are gone" {
	two_up
	adm kill --all
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	all_gone "$PARENT" "$BACKEND"
	assert_eq "$(queue_dump | grep -c '^slot')" 0 "slots"
	assert_eq "$(ls "$SPEEDY_DIR" | grep -c '\.sock$')" 0 "sockets"
	adm list
	assert_eq "$(printf '%s\n' "$output" | wc -l)" 1 "lines listed"
	adm kill --all
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: no backend matches"
}

@test "kill --signal KILL --grace 0: the processes die; the pool starts afresh" {
	two_up
	adm kill --pid "$BACKEND" --pid "$PARENT" --signal KILL --grace 0
	[ "$status" -eq 0 ]
	all_gone "$PARENT" "$BACKEND"
	assert_eq "$(queue_dump | grep -c '^slot')" 0 "slots"
	[ ! -e "$SPEEDY_DIR/$BACKEND.sock" ] && [ ! -e "$SPEEDY_DIR/$PARENT.sock" ]
	runf timeout 20 "$W/counter.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
}

@test "kill --grace: a busy backend that outlasts the grace is killed; its frontend fails with a message" {
	use_script pool_gate.pl
	start_req 1
	wait_for has_started 1
	busy=$(pid_of 1)
	parent=$(parent_pids)
	# TERM only ends a backend after its request, which waits for the gate.
	adm kill --pid "$busy" --grace 1
	[ "$status" -eq 0 ]
	gone "$busy"
	req_wait 1
	[ "$RC" -ne 0 ] && [ "$RC" -lt 124 ]
	assert_eq "$(cat "$W/out.1")" ""
	assert_one_line "$(cat "$W/err.1")" "frontend's message"
	assert_match "$(cat "$W/err.1")" '^speedy: '
	assert_eq "$(slot_state "$busy")" ""
	# The parent was not selected: it forks a backend for the next request.
	open_gate 2
	runf timeout 20 "$W/pool_gate.pl" 2
	[ "$status" -eq 0 ]
	assert_eq "$output" "id=2 pid=$(pid_of 2) ppid=$parent"
}

@test "kill --signal: names with or without SIG in any case, and numbers" {
	for sig in TERM sigkill Hup SIGINT quit usr1 USR2 9 15 64; do
		adm kill --pid 999999 --signal "$sig"
		assert_eq "$status" 1 "status with --signal $sig"
		assert_eq "$stderr" "speedy-admin: no backend matches"
	done
	for sig in FOO SIGFOO 0 65 -1 ''; do
		usage_error kill --all --signal "$sig"
	done
}

# ------------------------------------------------------------- errors

@test "usage errors exit 2 with one line and the usage" {
	usage_error list --bogus
	usage_error list --pid
	usage_error list --pid abc
	usage_error list --pid 0
	usage_error list --json=1
	usage_error list --wait
	usage_error list extra
	usage_error list --script ''
	usage_error status --all
	usage_error status --json --openmetrics
	usage_error status --tmpbase
	usage_error drain
	usage_error drain --json
	usage_error drain --all --wait=abc
	usage_error drain --all --wait=-1
	usage_error drain --all --wait 5
	usage_error kill
	usage_error kill --all --grace -1
	usage_error kill --all --grace 1x
	usage_error kill --all --signal
	usage_error kill --all --wait
}

@test "an unknown user is an error (exit 1)" {
	adm list --user no-such-user-here
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: unknown user 'no-such-user-here'"
}

@test "a planted symlink, a foreign owner, a loose mode: reported, not followed, exit 1" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to look at other users' files"
	two_up
	# A symlink posing as uid 4242's directory, to ours.
	ln -s "$SPEEDY_DIR" "$SPEEDY_TMPBASE.4242"
	# uid 4243's directory, right, with its queue file a symlink to ours.
	mkdir -m 700 "$SPEEDY_TMPBASE.4243"
	ln -s "$SPEEDY_DIR/queue.3" "$SPEEDY_TMPBASE.4243/queue.3"
	chown -h 4243 "$SPEEDY_TMPBASE.4243" "$SPEEDY_TMPBASE.4243/queue.3"
	# uid 4244's directory, owned by root.
	mkdir -m 700 "$SPEEDY_TMPBASE.4244"
	adm list
	[ "$status" -eq 1 ]
	assert_eq "$(awk 'NR > 1 { print $3 }' <<<"$output" | sort -n)" "$(printf '%s\n' "$PARENT" "$BACKEND" | sort -n)" "pids listed once"
	assert_eq "$(wc -l <<<"$stderr")" 3 "warnings"
	assert_match "$stderr" "speedy-admin: [^"$'\n'"]*$SPEEDY_TMPBASE\\.4242[^"$'\n'"]*symlink"
	assert_match "$stderr" "speedy-admin: [^"$'\n'"]*$SPEEDY_TMPBASE\\.4243/queue\\.3[^"$'\n'"]*symlink"
	assert_match "$stderr" "speedy-admin: [^"$'\n'"]*$SPEEDY_TMPBASE\\.4244[^"$'\n'"]*owned by uid 0"
	adm drain --all --user 4242
	[ "$status" -eq 1 ]
	rm "$SPEEDY_TMPBASE.4242"
	rm -r "$SPEEDY_TMPBASE.4243" "$SPEEDY_TMPBASE.4244"
	# Our own directory with a loose mode: refused, left alone.
	chmod 755 "$SPEEDY_DIR"
	adm drain --all
	[ "$status" -eq 1 ]
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-admin: .*$SPEEDY_DIR.* mode 0755"
	adm status --json
	[ "$status" -eq 1 ]
	assert_eq "$output" '{"groups":[]}'
	chmod 700 "$SPEEDY_DIR"
	not gone "$PARENT"
	not gone "$BACKEND"
	assert_eq "$(list_pids | wc -l)" 2
}

# as_user_setup: a TmpBase an unprivileged user can reach ($TB), root's
# backends in it (PARENT, BACKEND) and a snapshot path nobody can read.
as_user_setup() {
	world_dir
	as_nobody test -x "$ADMIN" || skip "nobody cannot run $ADMIN"
	mkdir "$ROOT_TMP/tb"
	chown nobody:nogroup "$ROOT_TMP/tb"
	TB="$ROOT_TMP/tb/sp"
	export SPEEDY_TMPBASE="$TB" SPEEDY_SNAPSHOT="$ROOT_TMP/snapshot"
	SPEEDY_DIR="$TB.0"
	NOBODY_DIR="$TB.$(id -u nobody)"
	EXTRA_DIRS+=("$NOBODY_DIR")
	two_up
}

@test "another user cannot see or drain root's backends, nor ask for them" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as nobody"
	as_user_setup
	for cmd in "list" "list --all" "list --tmpbase $TB" "list --user nobody"; do
		runs3 as_nobody timeout 30 "$ADMIN" $cmd
		assert_eq "$status" 0 "status of $cmd"
		assert_eq "$stderr" "" "stderr of $cmd"
		assert_eq "$(printf '%s\n' "$output" | wc -l)" 1 "lines of $cmd"
	done
	runs3 as_nobody timeout 30 "$ADMIN" status --json
	assert_eq "$output" '{"groups":[]}'
	for cmd in "drain --all" "kill --all --signal KILL --grace 0"; do
		runs3 as_nobody timeout 30 "$ADMIN" $cmd
		assert_eq "$status" 1 "status of $cmd"
		assert_eq "$stderr" "speedy-admin: no backend matches"
	done
	for u in root 0; do
		runs3 as_nobody timeout 30 "$ADMIN" list --user "$u"
		assert_eq "$status" 1
		assert_eq "$stderr" "speedy-admin: only root can see other users' backends"
		assert_eq "$output" ""
		runs3 as_nobody timeout 30 "$ADMIN" drain --user "$u"
		assert_eq "$status" 1
		assert_eq "$stderr" "speedy-admin: only root can see other users' backends"
	done
	not gone "$PARENT"
	not gone "$BACKEND"
	assert_eq "$(list_pids | wc -l)" 2
}

@test "root sees and drains another user's backends" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to run as nobody"
	as_user_setup
	cp "$W/counter.pl" "$ROOT_TMP/counter.pl"
	chmod 755 "$ROOT_TMP/counter.pl"
	for i in 1 2; do
		runs3 as_nobody timeout 20 "$ROOT_TMP/counter.pl"
		[ "$status" -eq 0 ]
	done
	theirs=$(pids_in "$NOBODY_DIR" | sort -n)
	assert_eq "$(wc -l <<<"$theirs")" 2 "nobody's processes"
	assert_eq "$(list_pids --user nobody)" "$theirs" "listed for nobody"
	assert_eq "$("$ADMIN" list | awk '$1 == "nobody" { print $3 }' | sort -n)" "$theirs"
	adm status
	assert_match "$output" $'\nnobody +none +1 +1 +0 +0 +1 +0 +2 +0 +1'
	# Nobody sees its own.
	runs3 as_nobody timeout 30 "$ADMIN" list --json
	assert_eq "$(jq_perl "$output" 'map $_->{pid}, @{$j->{backends}}' | sort -n)" "$theirs"
	adm drain --user nobody --wait
	[ "$status" -eq 0 ]
	all_gone $theirs
	not gone "$PARENT"
	not gone "$BACKEND"
	assert_eq "$(list_pids | wc -l)" 2 "root's still listed"
}
