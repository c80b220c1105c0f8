# tests/stress/lib.sh: what chaos.sh and replace.sh share, sourced by both
# (bash) after they set HERE to this directory:
#
#	. "$HERE/lib.sh"
#	stress_setup NAME	once the script's own arguments are checked
#	start_clients N ARG...	N clients, each run as "client C ARG..."
#	tally FIELD KIND...	counts the results ($D/results) by KIND
#	finish			result=PASS or result=FAIL, and the exit
#
# Sourcing it sets TOP, HANG (STRESS_HANG, default 30) and BASESEED
# (STRESS_SEED, default random) and loads tests/lib.bash (queue_dump,
# gone, marked_pids, ...).  Every script starts its background jobs into
# BG, collects its failures in fail and its clients' result lines in
# $D/res/<client>.
#
# The variables set here are for the scripts (SC2034: "appears unused").
# shellcheck shell=bash disable=SC2034

TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib.bash
. "$TOP/tests/lib.bash"

HANG=${STRESS_HANG:-30}
BASESEED=${STRESS_SEED:-$(( $(date +%s) % 100000 + $$ ))}
BG=()				# our background jobs
fail=()				# why the run fails, one reason each

# stress_setup NAME: the programs, as in the bats suites (SPEEDY, and
# SPEEDY_BACKENDPROG and PERL5LIB for the build tree; ADMIN), no speedy
# option from the environment, and the work directory D: STRESS_DIR, or
# a fresh ${TMPDIR:-/tmp}/NAME.XXXXXX, its TmpBase $D/sp (SD is the
# TmpBase directory) and STRESS_MARK=$D for everything started from now
# on.  At exit, also on failure or a signal, every process carrying the
# mark is killed and D removed (kept with STRESS_KEEP=1).  Exits 2 if D
# cannot be made.
stress_setup() {
	SPEEDY=${SPEEDY_BIN:-$TOP/src/frontend/speedy}
	if [ -z "${SPEEDY_INSTALLED:-}" ]; then
		export SPEEDY_BACKENDPROG=${SPEEDY_BACKENDPROG:-$TOP/src/backend/speedy_backend}
		export PERL5LIB="$TOP/src/perl${PERL5LIB:+:$PERL5LIB}"
		ADMIN=$TOP/admin/speedy-admin
	else
		ADMIN=${SPEEDY_ADMIN:-/usr/sbin/speedy-admin}
	fi
	# Every option variable (a RequestTimeout or MaxRSS from the caller
	# would change the run); only those that choose programs and files
	# stay.
	for v in $(env | sed -n 's/^\(SPEEDY_[A-Z]*\)=.*/\1/p'); do
		case $v in
		SPEEDY_BIN | SPEEDY_INSTALLED | SPEEDY_ADMIN | \
		    SPEEDY_BACKENDPROG | SPEEDY_CONFDIR | SPEEDY_SNAPSHOT) ;;
		*)	unset "$v" ;;
		esac
	done

	if [ -n "${STRESS_DIR:-}" ]; then
		D=$STRESS_DIR
		mkdir "$D" || exit 2
	else
		D=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 2
	fi
	D=$(cd "$D" && pwd)
	export STRESS_MARK="$D"
	export SPEEDY_TMPBASE="$D/sp"
	SD="$D/sp.$(id -u)"
	trap cleanup EXIT
	trap 'exit 3' INT TERM HUP
}

# kill_all: SIGKILLs every process that carries our mark (clients,
# timeouts, frontends, backends, parents), until none is left.
kill_all() {
	local i p left
	[ ${#BG[@]} -gt 0 ] && kill -KILL "${BG[@]}" 2>/dev/null
	for i in 1 2 3 4 5 6 7 8 9 10; do
		left=$(marked_pids "$D")
		[ -z "$left" ] && return 0
		for p in $left; do
			kill -KILL "$p" 2>/dev/null
		done
		sleep 0.1
	done
	echo "${0##*/}: processes left after cleanup: $left" >&2
}

cleanup() {
	# timeout(1) signals its child and then the child's process group:
	# a second TERM must not cut the cleanup short.
	trap - EXIT
	trap '' INT TERM HUP
	kill_all
	if [ -n "${STRESS_KEEP:-}" ]; then
		echo "kept=$D"
	else
		rm -rf "$D"
	fi
}

# start_clients N ARG...: starts N clients in the background (into BG),
# "client C ARG..." for C from 0 to N - 1, their stderr in
# $D/clients.err.
start_clients() {
	local n=$1 c
	shift
	for ((c = 0; c < n; c++)); do
		client "$c" "$@" 2>>"$D/clients.err" &
		BG+=($!)
	done
}

# tally FIELD KIND...: the lines of $D/results (the clients' result
# lines, collected) whose field FIELD is KIND, counted into tal[KIND] and
# printed as KIND=count, for each KIND.
tally() {
	local f=$1 k
	shift
	declare -gA tal
	for k in "$@"; do
		tal[$k]=$(awk -v f="$f" -v k="$k" '$f == k' "$D/results" | wc -l)
		echo "$k=${tal[$k]}"
	done
}

# finish: the run time, then "result=PASS" and exit 0 if nothing failed,
# else "result=FAIL", a line "failure: REASON" for each, and exit 1.
finish() {
	echo "runtime_s=$SECONDS"
	if [ ${#fail[@]} -eq 0 ]; then
		echo "result=PASS"
		exit 0
	fi
	echo "result=FAIL"
	printf 'failure: %s\n' "${fail[@]}"
	exit 1
}
