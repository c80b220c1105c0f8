#!/bin/bash
# tests/stress/replace.sh: a script replaced on disk while clients run it
# (issue "Reliability and security: faults under load"), with real
# processes only, bounded in time.
#
#	replace.sh
#
# STRESS_REPLACE_CLIENTS clients run tests/stress/version.pl (see there)
# under the frontend in a loop, each request under "timeout STRESS_HANG",
# while a writer changes the script STRESS_REPLACE_OPS times, 50-200 ms
# apart, in turn:
#	rename	writes the next version to a temporary name, renames it over
#		the script (a new inode)
#	touch	touch(1): the same text, a new mtime
#	inplace	rewrites the file in place with the next version, one write
#		and a truncate (the same inode, another length and mtime;
#		the open is retried while the kernel is exec()ing the
#		script: ETXTBSY)
# Each version prints its own one-character tag on every line.  Clients
# run the script through the kernel's #! (even requests) and as "speedy
# SCRIPT" (odd ones).  Every response must be entirely one version's:
# exit 0, no stderr, all LINES lines, all with one tag and one pid.  A
# response ends as one of:
#	ok		as above (tallied per tag: tag_X=count)
#	busy		the kernel refused to exec the script while the writer
#			had it open for writing (ETXTBSY, as for any script):
#			speedy did not run; not a failure
#	mixed		lines of two versions
#	incomplete	one version, but lines missing, out of order or garbled
#	error		exit non-zero with a "speedy: " message
#	hung		the timeout fired
#	unclean		any other failure (exit non-zero without a message, or
#			stderr on success)
# Passes if every response is "ok" (or "busy"), responses of at least 3
# versions were seen, and after the last change: three requests in a row
# get the final version from one parent; within 20 s only that parent and
# its children are left (old parents and backends retire), and
# `speedy-admin list` shows exactly the live processes; the queue file
# validates and names no dead process.
#
# Output: KEY=value lines, then "result=PASS" or "result=FAIL" and the
# reasons; exits 0 on PASS, 1 on FAIL, 2 on a setup error.  Everything it
# starts carries STRESS_MARK=<dir> in its environment; at exit every such
# process is killed and the directory removed (kept with STRESS_KEEP=1).
#
# Environment (defaults): STRESS_REPLACE_CLIENTS (4), STRESS_REPLACE_OPS
# (45), STRESS_REPLACE_LINES (400), STRESS_HANG (30), STRESS_SEED
# (random), STRESS_DIR (a fresh directory; default: mktemp -d),
# STRESS_KEEP.  SPEEDY_BIN, SPEEDY_BACKENDPROG, SPEEDY_INSTALLED and
# SPEEDY_ADMIN select the programs, as in the bats suites.  On this 2-core
# machine a run takes about 8 s.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"	# stress_setup, start_clients, tally, finish; lib.bash

NCLIENTS=${STRESS_REPLACE_CLIENTS:-4}
NOPS=${STRESS_REPLACE_OPS:-45}
LINES=${STRESS_REPLACE_LINES:-400}
TAGS=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789

stress_setup speedy-replace
SCRIPT="$D/w/version.pl"	# the script the clients run

# -------------------------------------------------------------- versions

mkdir -p "$D/w" "$D/res" "$D/out" "$D/bad" || exit 2

# version_text V: the text of version V: the tag TAGS[V % 62], padding
# after __END__ whose length differs from that of version V - 1.
version_text() {
	local v=$1
	printf '#!%s -- -t60\n' "$SPEEDY"
	tail -n +2 "$HERE/version.pl" |
	    sed "s/^my \$v = 'A';\$/my \$v = '${TAGS:v % 62:1}';/"
	head -c $(( (v % 7) * 97 + 1 )) /dev/zero | tr '\0' '#'
	echo
}

tag_of() {
	echo "${TAGS:$1 % 62:1}"
}

version_text 0 >"$SCRIPT" && chmod 755 "$SCRIPT" || exit 2
grep -q "^my \$v = 'A';\$" "$SCRIPT" || {
	echo "replace.sh: version.pl has no tag line" >&2
	exit 2
}

# writer: NOPS changes of the script, logged to $D/ops as
# "op K KIND TAG".
writer() {
	local k v=0 kind
	RANDOM=$((BASESEED * 13 + 7))
	for ((k = 1; k <= NOPS; k++)); do
		sleep "0.$(printf '%03d' $((50 + RANDOM % 150)))"
		case $((k % 3)) in
		1)	kind=rename
			v=$((v + 1))
			version_text "$v" >"$D/w/.next" &&
			    chmod 755 "$D/w/.next" &&
			    mv -f "$D/w/.next" "$SCRIPT" || return 1 ;;
		2)	kind=touch
			touch "$SCRIPT" || return 1 ;;
		0)	kind=inplace
			v=$((v + 1))
			version_text "$v" >"$D/w/.text" || return 1
			perl -e '
			open my $in, "<", $ARGV[1] or die "$ARGV[1]: $!\n";
			binmode $in;
			my $t = do { local $/; <$in> };
			# A script being exec()ed cannot be opened for
			# writing meanwhile (ETXTBSY): try again.
			my ($fh, $tries);
			until (open $fh, "+<", $ARGV[0]) {
				die "$ARGV[0]: $!\n"
				    unless $!{ETXTBSY} && $tries++ < 1000;
				select(undef, undef, undef, 0.002);
			}
			binmode $fh;
			syswrite($fh, $t) == length($t) or die "write: $!\n";
			truncate($fh, length $t) or die "truncate: $!\n";
			close $fh or die "close: $!\n";' "$SCRIPT" "$D/w/.text" ||
			    return 1 ;;
		esac
		echo "op $k $kind $(tag_of "$v")"
	done >>"$D/ops"
	echo "$v" >"$D/final"
}

# ---------------------------------------------------------------- clients

# one_request ID [HOW]: runs the script once, through the kernel's #!,
# or with HOW "speedy" as "speedy SCRIPT"; prints "RC CLASS [DETAILS]":
# "0 ok TAG PID PPID", or another class and the first line of stderr.
one_request() {
	local out="$D/out/$1" err="$D/out/$1.err" rc verdict msg
	if [ "${2:-}" = speedy ]; then
		timeout "$HANG" "$SPEEDY" "$SCRIPT" "$LINES" >"$out" 2>"$err"
	else
		timeout "$HANG" "$SCRIPT" "$LINES" >"$out" 2>"$err"
	fi
	rc=$?
	verdict=$(awk -v want="$LINES" '
	{
		if (NF != 4 || length($1) != 3 || substr($1, 1, 2) != "V=" ||
		    $4 != "n=" NR)
			bad = 1
		t = substr($1, 3, 1)
		if (NR == 1) {
			tag = t; pid = $2; ppid = $3
		} else if (t != tag) {
			mixed = 1
		} else if ($2 != pid) {
			otherpid = 1
		}
	}
	END {
		if (NR == 0) print "incomplete empty"
		else if (mixed) print "mixed"
		else if (bad || otherpid || NR != want)
			print "incomplete " NR " lines"
		else print "ok " tag " " substr(pid, 5) " " substr(ppid, 6)
	}' "$out")
	msg=
	[ -s "$err" ] && IFS= read -r msg <"$err"
	if [ "$rc" = 124 ]; then
		echo "$rc hung"
	elif [ "$rc" = 126 ] && [ "${2:-}" != speedy ] &&
	    [[ $msg == *"Text file busy" ]]; then
		echo "$rc busy"
		return 0
	elif [ "$rc" != 0 ]; then
		case $msg in
		"speedy: "*) echo "$rc error $msg" ;;
		*) echo "$rc unclean $msg" ;;
		esac
	elif [ -n "$msg" ]; then
		echo "$rc unclean stderr: $msg"
	else
		echo "$rc $verdict"
	fi
	case $verdict in
	ok*) ;;
	*) cp "$out" "$D/bad/$1.out" 2>/dev/null ;;
	esac
}

client() {
	local c=$1 i=0
	while ! [ -e "$D/stop" ]; do
		if ((i % 2)); then
			echo "$c $i $(one_request "$c" speedy)" >>"$D/res/$c"
		else
			echo "$c $i $(one_request "$c")" >>"$D/res/$c"
		fi
		i=$((i + 1))
	done
}

# ------------------------------------------------------------------ run

echo "mode=replace"
echo "seed=$BASESEED"
echo "dir=$D"

start_clients "$NCLIENTS"
wrc=0
writer || wrc=$?
: >"$D/stop"
wait "${BG[@]}"
BG=()
[ "$wrc" -eq 0 ] || fail+=("the writer failed (status $wrc)")
echo "clients_done_s=$SECONDS"
head -n 20 "$D/clients.err" | sed 's/^/client_stderr: /'

cat "$D"/res/* >"$D/results" 2>/dev/null
echo "ops=$(grep -c '^op ' "$D/ops")"
for k in rename touch inplace; do
	echo "$k=$(grep -c "^op [0-9]* $k " "$D/ops")"
done
final=$(cat "$D/final" 2>/dev/null)
final_tag=$(tag_of "${final:-0}")
echo "versions_written=$((${final:-0} + 1))"
echo "final_tag=$final_tag"
echo "requests=$(wc -l <"$D/results")"
tally 4 ok busy mixed incomplete error hung unclean
# Responses per version, in the order the versions were written.
seen=0
for ((v = 0; v <= ${final:-0}; v++)); do
	t=$(tag_of "$v")
	n=$(awk -v t="$t" '$4 == "ok" && $5 == t' "$D/results" | wc -l)
	[ "$n" -gt 0 ] && seen=$((seen + 1))
	echo "tag_$t=$n"
done
echo "versions_seen=$seen"
for k in mixed incomplete error hung unclean; do
	[ "${tal[$k]}" -eq 0 ] || fail+=("${tal[$k]} responses $k")
done
awk '$4 != "ok" && $4 != "busy"' "$D/results" | head -n 20 |
    sed 's/^/bad_response: /'
for f in "$D"/bad/*.out; do
	[ -e "$f" ] || continue
	echo "bad_output ${f##*/}: $(wc -l <"$f") lines, tags $(cut -c 1-3 "$f" |
	    sort | uniq -c | tr -s ' \n' ' ')"
done | head -n 10
[ "$seen" -ge 3 ] || fail+=("responses of only $seen versions")

# After the last change: the final version, from one parent.
parent=
for i in 1 2 3; do
	r=$(one_request "final$i")
	echo "final_request_$i=$r"
	set -- $r
	if [ "${2:-}" != ok ] || [ "${3:-}" != "$final_tag" ]; then
		fail+=("request $i after the last change: $r (want version $final_tag)")
	elif [ -z "$parent" ]; then
		parent=$5
	elif [ "$5" != "$parent" ]; then
		fail+=("request $i after the last change: parent $5, not $parent")
	fi
done
echo "final_parent=${parent:-none}"

# old: the live processes of the pool other than the final parent and its
# children.
old() {
	local p
	for p in $(pids_in "$SD"); do
		[ "$p" = "$parent" ] || [ "$(ppid_of "$p")" = "$parent" ] ||
		    echo "$p"
	done
	return 0
}
left=
if [ -n "$parent" ]; then
	for ((i = 0; i < 200; i++)); do
		left=$(old)
		[ -z "$left" ] && break
		sleep 0.1
	done
	echo "old_left=$(printf '%s' "$left" | grep -c .)"
	[ -z "$left" ] ||
	    fail+=("old processes still there 20 s after the last change: $(echo $left)")
	for p in $left; do
		echo "old: $p $(cat "/proc/$p/comm" 2>/dev/null) ppid $(ppid_of "$p")" \
		    "state $(slot_state "$p" "$SD")"
	done
fi

# speedy-admin list shows exactly the live processes.
live=$(pids_in "$SD" | sort -n)
listed=$(timeout 30 "$ADMIN" list --tmpbase "$SPEEDY_TMPBASE" 2>"$D/admin.err" |
    awk 'NR > 1 { print $3 }' | sort -n)
[ -s "$D/admin.err" ] && sed 's/^/admin_stderr: /' "$D/admin.err"
echo "live=$(echo $live)"
echo "listed=$(echo $listed)"
[ -n "$live" ] || fail+=("no process left at all")
[ "$live" = "$listed" ] ||
    fail+=("speedy-admin list shows [$(echo $listed)], live are [$(echo $live)]")

if ! queue_dump "$SD" >"$D/dump" 2>&1; then
	fail+=("queue file does not validate: $(cat "$D/dump")")
else
	stale=$(grep '^slot ' "$D/dump" | while read -r _ p rest; do
		gone "$p" && echo "$p"
	done)
	echo "stale_slots=$(printf '%s' "$stale" | grep -c .)"
	[ -z "$stale" ] || fail+=("slots of dead processes: $(echo $stale)")
fi
finish
