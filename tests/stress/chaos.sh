#!/bin/bash
# tests/stress/chaos.sh: fault and load tests of speedy (issue 7, "Fault
# and load tests"), with real processes only, bounded in time.
#
#	chaos.sh chaos		16 clients x STRESS_REQUESTS requests while a
#				chaos loop kills and stops processes
#	chaos.sh maxbackends	STRESS_MB_CLIENTS clients against MaxBackends 2
#
# Both run tests/stress/stress.pl (see there) under the frontend, with its
# own TmpBase (<dir>/sp), Timeout 2 (-t2), and these requests: a seed
# 0..STRESS_SEEDS-1 picks the output (0 B to 1 MB) and the request body
# (0 B to 1 MB, a file made here), so every request has one exact expected
# output, made beforehand by running stress.pl under plain perl.  A request
# runs under "timeout STRESS_HANG" (default 30 s), half of them with
# stdin and stdout as files, half through pipes (cat | speedy | dd).
# Every request ends as one of:
#	completed	exit 0, stdout exactly the expected bytes, stderr empty
#	error		exit non-zero, stderr starting "speedy: " ("clean error")
#	killed		exit 137, no message: a frontend the chaos loop SIGKILLed
#	hung		timeout fired (the request took more than STRESS_HANG s)
#	corrupted	exit 0 but wrong output, or a message on stderr
#	unclean		any other failure: exit non-zero without a "speedy: "
#			message (and not "killed")
#
# chaos: the chaos loop, every 20-60 ms, SIGKILLs a random backend (a
# <pid>.sock in the TmpBase directory whose process is not speedy_parent),
# or SIGKILLs a random frontend (a speedy process running our script), or
# SIGSTOPs a random backend for 50-300 ms and SIGCONTs it.  Passes if
# hung, corrupted and unclean are 0, more than half of the requests
# completed, and "killed" is at most the number of frontends killed.
# maxbackends: every request completes, and no sample (every ~20 ms) saw
# more than 2 backends (processes of the script other than its parent).
# Both then check the aftermath: once the stragglers are done, the queue
# file validates (queue_dump) and every slot in it belongs to a live
# process, and once Timeout has passed (well within 25 s) no backend,
# parent, socket, slot or waiter is left.
#
# Output: KEY=value lines (requests, completed, error, killed, hung,
# corrupted, unclean, ...; stale_slots, leftover), then "result=PASS" or
# "result=FAIL" and the reasons; exits 0 on PASS, 1 on FAIL, 2 on a usage
# or setup error.  Everything it starts carries STRESS_MARK=<dir> in its
# environment (backends inherit it from the frontend that starts them); at
# exit, also on failure or a signal, every such process is killed and the
# directory removed (kept with STRESS_KEEP=1).
#
# Environment (defaults): STRESS_REQUESTS (200) per client, STRESS_CLIENTS
# (16), STRESS_SEEDS (64), STRESS_HANG (30), STRESS_DEADLINE (100 s: no new
# request starts after it; requests not run count as "not_run" and fail the
# run), STRESS_MB_CLIENTS (50), STRESS_MB_REQUESTS (10) per client,
# STRESS_SEED (random: seeds the clients' and the chaos loop's choices),
# STRESS_OPTS (more speedy options for the chaos script's #! line, e.g.
# "-M3"), STRESS_KILL_PARENTS (non-empty: the chaos loop also kills and
# stops parents),
# STRESS_DIR (a fresh directory to work in; default: mktemp -d), STRESS_KEEP.
# SPEEDY_BIN and SPEEDY_BACKENDPROG select the programs (default: the build
# tree), as in the bats suites.  On this 2-core machine the requests of
# chaos (200 per client) take about 15 s and those of maxbackends 3 s;
# then the aftermath: about 10 s, 30 s more when something is left over.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"	# stress_setup, start_clients, tally, finish; lib.bash

MODE=${1:-}
case $MODE in
chaos|maxbackends) ;;
*) echo "usage: chaos.sh chaos|maxbackends" >&2; exit 2 ;;
esac

NREQ=${STRESS_REQUESTS:-200}
NCLIENTS=${STRESS_CLIENTS:-16}
NSEEDS=${STRESS_SEEDS:-64}
DEADLINE=${STRESS_DEADLINE:-100}
MB_CLIENTS=${STRESS_MB_CLIENTS:-50}
MB_REQUESTS=${STRESS_MB_REQUESTS:-10}
MB_MAX=2
TIMEOUT=2			# the backends' Timeout (-t)

# Options only from the #! line below: none from the environment.
stress_setup speedy-stress
SCRIPT="$D/w/stress.pl"		# the script as clients run it (#! speedy)

# ----------------------------------------------------------------- setup

mkdir -p "$D/w" "$D/exp" "$D/body" "$D/res" "$D/out" "$D/bad"
case $MODE in
chaos) shebang="-- -t$TIMEOUT${STRESS_OPTS:+ $STRESS_OPTS}" ;;
maxbackends) shebang="-- -t$TIMEOUT -M$MB_MAX" ;;
esac
{ printf '#!%s %s\n' "$SPEEDY" "$shebang"; tail -n +2 "$HERE/stress.pl"; } \
    >"$SCRIPT"
chmod +x "$SCRIPT"

# The request bodies: seed%16 == 2 empty, == 3 1 MB, else 1 B to 1 MB
# (log-uniform), pseudo-random bytes.
perl -e '
	my ($dir, $n) = @ARGV;
	for my $s (0 .. $n - 1) {
		srand($s + 1000003);
		my $len = $s % 16 == 2 ? 0 : $s % 16 == 3 ? 1048576 :
		    int(2 ** (rand() * 20));
		my $blk = pack "N*", map { int(rand(4294967296)) } 1 .. 1024;
		my $b = "";
		$b .= pack("N", $_) . $blk while length($b) < $len;
		open my $fh, ">", "$dir/$s" or die "$dir/$s: $!\n";
		binmode $fh;
		print $fh substr($b, 0, $len);
		close $fh or die "$dir/$s: $!\n";
	}' "$D/body" "$NSEEDS" || exit 2
for ((s = 0; s < NSEEDS; s++)); do
	perl "$HERE/stress.pl" "$s" <"$D/body/$s" >"$D/exp/$s" || exit 2
done

# ---------------------------------------------------------------- clients

# one_request C I SEED MS PIPED: runs one request and appends its result
# line "C I SEED PIPED RC CLASS [MESSAGE]" to $D/res/C.
one_request() {
	local c=$1 i=$2 seed=$3 ms=$4 piped=$5 rc class msg
	local out="$D/out/$c.$i" err="$D/out/$c.$i.err" hung=
	if [ "$piped" = 1 ]; then
		timeout "$((HANG + 5))" cat "$D/body/$seed" 2>/dev/null |
		    timeout "$HANG" "$SCRIPT" "$seed" "$ms" 2>"$err" |
		    timeout "$((HANG + 5))" dd of="$out" bs=65536 status=none
		local st=("${PIPESTATUS[@]}")
		rc=${st[1]}
		[ "${st[0]}" = 124 ] || [ "${st[2]}" = 124 ] && hung=1
	else
		timeout "$HANG" "$SCRIPT" "$seed" "$ms" <"$D/body/$seed" \
		    >"$out" 2>"$err"
		rc=$?
	fi
	msg=
	if [ "$rc" = 124 ] || [ -n "$hung" ]; then
		class=hung
	elif [ "$rc" = 0 ]; then
		if cmp -s "$out" "$D/exp/$seed" && ! [ -s "$err" ]; then
			class=completed
		else
			class=corrupted
			cp "$out" "$D/bad/$c.$i.out" 2>/dev/null
			cp "$err" "$D/bad/$c.$i.err" 2>/dev/null
		fi
	elif [ "$rc" = 137 ] && ! [ -s "$err" ]; then
		class=killed
	else
		IFS= read -r msg <"$err"
		case $msg in
		"speedy: "*) class=error ;;
		*) class=unclean ;;
		esac
	fi
	echo "$c $i $seed $piped $rc $class $msg" >>"$D/res/$c"
	rm -f "$out" "$err"
}

# client C N: N requests, one after the other, with choices from C's seed.
client() {
	local c=$1 n=$2 i
	RANDOM=$((BASESEED * 31 + c))
	# The chaos loop and the sampler come first: they must keep up.
	renice -n 5 -p "$BASHPID" >/dev/null
	for ((i = 0; i < n; i++)); do
		if [ "$SECONDS" -ge "$DEADLINE" ]; then
			echo "$c $i - - - not_run" >>"$D/res/$c"
			continue
		fi
		one_request "$c" "$i" $((RANDOM % NSEEDS)) $((RANDOM % 10)) \
		    $((RANDOM % 2))
	done
}

# -------------------------------------------------------------- the chaos

# our_backends: sets BES to the backends (not parents, unless
# STRESS_KILL_PARENTS) with a socket in our TmpBase directory that run our
# script (no fork: the chaos loop runs on a busy machine).
our_backends() {
	local s p comm args
	BES=()
	for s in "$SD"/*.sock; do
		[ -e "$s" ] || continue
		p=${s##*/}
		p=${p%.sock}
		read -r comm 2>/dev/null <"/proc/$p/comm" || continue
		[ "$comm" = speedy_backend ] ||
		    { [ -n "${STRESS_KILL_PARENTS:-}" ] &&
		    [ "$comm" = speedy_parent ]; } || continue
		mapfile -d "" -t args 2>/dev/null <"/proc/$p/cmdline"
		# (A zombie has no command line.)
		[ ${#args[@]} -gt 0 ] && [ "${args[-1]}" = "$SCRIPT" ] &&
		    BES+=("$p")
	done
	return 0
}

# our_frontends: sets FES to the frontends running our script.  (Started
# through the kernel's #!, their comm is the script's name: the
# executable tells them from the timeout that runs them.)
our_frontends() {
	local p
	FES=()
	for p in $(pgrep -f -- "$SCRIPT"); do
		[ "/proc/$p/exe" -ef "$SPEEDY" ] && FES+=("$p")
	done
	return 0
}

chaos_loop() {
	local r p t tick n=0 stoppers=()
	RANDOM=$((BASESEED * 17 + 5))
	# read -t on a FIFO nobody writes to: a sleep without a fork.
	mkfifo "$D/tick" && exec {tick}<>"$D/tick"
	while ! [ -e "$D/stop" ]; do
		read -r -t "0.0$((2 + RANDOM % 5))" -u "$tick"
		r=$((RANDOM % 10))
		n=$((n + 1))
		if [ "$r" -lt 3 ]; then
			our_frontends
			[ ${#FES[@]} -gt 0 ] || continue
			p=${FES[RANDOM % ${#FES[@]}]}
			kill -KILL "$p" 2>/dev/null && echo "kill-frontend $p"
			continue
		fi
		our_backends
		[ ${#BES[@]} -gt 0 ] || continue
		p=${BES[RANDOM % ${#BES[@]}]}
		if [ "$r" -lt 7 ]; then
			kill -KILL "$p" 2>/dev/null && echo "kill-backend $p"
		else
			(
				kill -STOP "$p" 2>/dev/null || exit 0
				echo "stop-backend $p"
				printf -v t '0.%03d' $((50 + RANDOM % 250))
				sleep "$t"
				kill -CONT "$p" 2>/dev/null
			) &
			stoppers+=($!)
		fi
	done >>"$D/chaos.log"
	echo "rounds $n" >>"$D/chaos.log"
	[ ${#stoppers[@]} -gt 0 ] && wait "${stoppers[@]}" 2>/dev/null
	return 0
}

# ------------------------------------------------------------- watchdog

# describe PID: what a process is doing (for the report of a hang).
describe() {
	local p=$1
	echo "== $p $(cat "/proc/$p/comm" 2>/dev/null)" \
	    "state $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d ' ' -f 1)" \
	    "wchan $(cat "/proc/$p/wchan" 2>/dev/null)" \
	    "cmd $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	if command -v gdb >/dev/null 2>&1; then
		timeout 20 gdb -p "$p" -batch -ex bt 2>/dev/null | grep '^#'
	else
		cat "/proc/$p/stack" 2>/dev/null
	fi
}

# watchdog: once a second, a frontend running for more than HANG - 5 s
# (its timeout is about to call it hung) gets described, with the queue
# and every backend of ours, in $D/hang.log (once per frontend).
watchdog() {
	local p b st rest age up seen=" " tick
	mkfifo "$D/wdtick" && exec {tick}<>"$D/wdtick"
	while ! [ -e "$D/stop" ]; do
		read -r -t 1 -u "$tick"
		our_frontends
		for p in "${FES[@]}"; do
			[[ $seen == *" $p "* ]] && continue
			read -r st 2>/dev/null <"/proc/$p/stat" || continue
			rest=${st##*) }
			set -- $rest
			read -r up rest </proc/uptime
			age=$(( ${up%.*} - ${20} / 100 ))
			[ "$age" -ge $((HANG - 5)) ] || continue
			seen+="$p "
			{
				echo "=== frontend $p running for ${age} s"
				describe "$p"
				queue_dump "$SD"
				for b in $(marked_pids "$D"); do
					case $(cat "/proc/$b/comm" 2>/dev/null) in
					speedy_backend|speedy_parent)
						describe "$b" ;;
					esac
				done
			} >>"$D/hang.log" 2>&1
		done
	done
}

# ---------------------------------------------------- MaxBackends sampler

# count_backends: how many processes of our script exist now, other than
# its parent (a parent's fresh child still named speedy_parent counts).
count_backends() {
	local p comm st rest n=0 pids=() ppids=() comms=()
	for p in $(pgrep -f -- "$SCRIPT"); do
		read -r comm 2>/dev/null <"/proc/$p/comm" || continue
		case $comm in speedy_backend|speedy_parent) ;; *) continue ;; esac
		read -r st 2>/dev/null <"/proc/$p/stat" || continue
		rest=${st##*) }
		set -- $rest
		[ "$1" = Z ] && continue
		pids+=("$p")
		ppids+=("$2")
		comms+=("$comm")
	done
	for ((p = 0; p < ${#pids[@]}; p++)); do
		# A backend, or a parent's fresh child not yet renamed.
		if [ "${comms[p]}" = speedy_backend ] ||
		    [[ " ${pids[*]} " == *" ${ppids[p]} "* ]]; then
			n=$((n + 1))
		fi
	done
	echo "$n"
}

sampler() {
	local tick
	mkfifo "$D/tick" && exec {tick}<>"$D/tick"
	while ! [ -e "$D/stop" ]; do
		count_backends
		read -r -t 0.01 -u "$tick"
	done >>"$D/samples"
}

# ------------------------------------------------------------- aftermath

# slots: the queue's slot lines ("slot PID STATE FE_PID RUNS").
slots() {
	queue_dump "$SD" | grep '^slot ' || true
}

# stale_slots: the slots whose process is gone.
stale_slots() {
	local p rest
	slots | while read -r _ p rest; do
		gone "$p" && echo "slot $p $rest"
	done
	return 0
}

# leftovers: what is left of the pool (processes, sockets, slots, waiters).
leftovers() {
	local p s
	for p in $(marked_pids "$D"); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in
		speedy_backend|speedy_parent)
			echo "process $p $(cat "/proc/$p/comm" 2>/dev/null)" ;;
		esac
	done
	for s in "$SD"/*.sock; do
		[ -e "$s" ] && echo "socket ${s##*/}"
	done
	queue_dump "$SD" | grep -E '^(slot|waiter) ' || true
	return 0
}

# at_work: frontends, or live processes with a slot other than idle or
# parent (busy, starting, ...), still there (slots of dead processes are
# the business of stale_slots).
at_work() {
	local p st rest
	our_frontends
	[ ${#FES[@]} -eq 0 ] || printf '%s frontend\n' "${FES[@]}"
	slots | while read -r _ p st rest; do
		case $st in idle|parent) ;; *) gone "$p" || echo "$p $st" ;; esac
	done
}

# ------------------------------------------------------------------ run

echo "mode=$MODE"
echo "seed=$BASESEED"
echo "dir=$D"

case $MODE in
chaos)
	chaos_loop &
	BG+=($!)
	watchdog &
	BG+=($!)
	start_clients "$NCLIENTS" "$NREQ"
	total=$((NCLIENTS * NREQ))
	;;
maxbackends)
	sampler &
	BG+=($!)
	watchdog &
	BG+=($!)
	start_clients "$MB_CLIENTS" "$MB_REQUESTS"
	total=$((MB_CLIENTS * MB_REQUESTS))
	;;
esac
# The clients (everything in BG but the chaos loop or sampler and the
# watchdog).
wait "${BG[@]:2}"
: >"$D/stop"
wait "${BG[0]}" "${BG[1]}"
BG=()
if [ -s "$D/hang.log" ]; then
	head -n 400 "$D/hang.log" | sed 's/^/hang: /'
fi
echo "clients_done_s=$SECONDS"
# The shell's own complaints, but not its notes on commands killed by the
# chaos loop.
grep -v -e ' Killed ' "$D/clients.err" 2>/dev/null | head -n 20 |
    sed 's/^/client_stderr: /'

# Nothing stays stopped.
for p in $(marked_pids "$D"); do
	kill -CONT "$p" 2>/dev/null
done

cat "$D"/res/* >"$D/results" 2>/dev/null
echo "requests=$total"
tally 6 completed error killed hung corrupted unclean not_run
n_results=$(wc -l <"$D/results")
[ "$n_results" -eq "$total" ] ||
    fail+=("$n_results results for $total requests")
if [ "$MODE" = chaos ]; then
	echo "chaos_rounds=$(sed -n 's/^rounds //p' "$D/chaos.log")"
	for k in kill-backend kill-frontend stop-backend; do
		echo "chaos_$k=$(grep -c "^$k " "$D/chaos.log")"
	done
	[ "${tal[killed]}" -le "$(grep -c '^kill-frontend ' "$D/chaos.log")" ] ||
	    fail+=("more requests ended by SIGKILL than frontends killed")
	[ $((${tal[completed]} * 2)) -gt "$total" ] ||
	    fail+=("only ${tal[completed]} of $total requests completed")
	# The kinds of clean errors (numbers masked).
	awk '$6 == "error" { $1 = $2 = $3 = $4 = $5 = $6 = ""; print }' \
	    "$D/results" | sed -e 's/^ *//' -e "s#$D/#DIR/#g" \
	    -e 's/\<[0-9][0-9]*\>/N/g' |
	    sort | uniq -c | sort -rn | sed 's/^ */error_kind: /'
else
	max=$(sort -n "$D/samples" | tail -n 1)
	echo "samples=$(wc -l <"$D/samples")"
	echo "max_backends=${max:-0}"
	[ "${max:-0}" -le "$MB_MAX" ] ||
	    fail+=("$max backends at once with MaxBackends $MB_MAX")
	[ "${tal[completed]}" -eq "$total" ] ||
	    fail+=("${tal[completed]} of $total requests completed")
	# The pressure was there: frontends had to wait for a backend.
	hits=$(queue_dump "$SD" 2>/dev/null | sed -n 's/^header .*nmaxhit=//p')
	echo "nmaxhit=${hits:-0}"
	[ "${hits:-0}" -gt 0 ] || fail+=("no frontend ever waited")
fi
[ "${tal[hung]}" -eq 0 ] || fail+=("${tal[hung]} requests hung")
[ "${tal[corrupted]}" -eq 0 ] || fail+=("${tal[corrupted]} requests corrupted")
[ "${tal[unclean]}" -eq 0 ] ||
    fail+=("${tal[unclean]} requests failed without a speedy: message")
[ "${tal[not_run]}" -eq 0 ] ||
    fail+=("${tal[not_run]} requests not run (deadline ${DEADLINE}s)")
awk '$6 == "hung" || $6 == "corrupted" || $6 == "unclean"' "$D/results" |
    head -n 20 | sed 's/^/bad_request: /'
for f in "$D"/bad/*.out; do
	[ -e "$f" ] || continue
	b=${f%.out}
	seed=$(awk -v id="${b##*/}" '$1 "." $2 == id { print $3 }' "$D/results")
	echo "corrupt ${b##*/}: seed $seed, $(wc -c <"$f") bytes" \
	    "(expected $(wc -c <"$D/exp/$seed")), $(cmp "$f" "$D/exp/$seed" 2>&1 |
	    head -n 1), stderr: $(head -c 300 "$b.err")"
done | head -n 20

# Stragglers: backends still serving requests of killed frontends.
for ((i = 0; i < 200; i++)); do
	work=$(at_work)
	[ -z "$work" ] && break
	sleep 0.1
done
if [ -n "$work" ]; then
	fail+=("still at work 20 s after the last client: $(echo $work)")
	for p in $(printf '%s\n' "$work" | awk '{ print $1 }'); do
		describe "$p" | sed 's/^/stuck: /'
	done
fi
if ! queue_dump "$SD" >"$D/dump" 2>&1; then
	fail+=("queue file does not validate: $(cat "$D/dump")")
else
	sed 's/^/queue_after: /' "$D/dump" | head -n 40
	# Every slot belongs to a live process (a slot of a process that
	# just died may linger a moment: up to Timeout + 3 s).
	for ((i = 0; i < (TIMEOUT + 3) * 10; i++)); do
		stale=$(stale_slots)
		[ -z "$stale" ] && break
		sleep 0.1
	done
	echo "stale_slots=$(printf '%s' "$stale" | grep -c .)"
	[ -z "$stale" ] ||
	    fail+=("slots of dead processes: $(echo $stale)")
fi
# Once Timeout has passed, the pool is gone (idle backends exit after
# Timeout, checking every 2 s; the parent Timeout after its last child).
for ((i = 0; i < 250; i++)); do
	left=$(leftovers)
	[ -z "$left" ] && break
	sleep 0.1
done
echo "leftover=$(printf '%s' "$left" | grep -c .)"
[ -z "$left" ] || fail+=("left 25 s after the stragglers: $(echo $left)")
queue_dump "$SD" >/dev/null 2>&1 || fail+=("queue file does not validate at the end")
finish
