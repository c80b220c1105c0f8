#!/usr/bin/env bats
# Hostile conditions (issue "Reliability and security: faults under load,
# hostile /tmp, other users"; the guarantees are SECURITY.md's): a full
# disk, no descriptors left, a backend killed while a child of its script
# lives on, another user next to ours, an untrusted environment and
# argument list from the web server, and tricks in the TmpBase directory
# that tests/pool.bats ("hostile /tmp: ...") does not cover.  Each case
# either works exactly as under plain perl or fails with one line and a
# documented status (1: no backend could run the script), never a hang
# or a crash, and leaves nothing half-started.  Tests that need root
# (mount, mknod, another user) skip otherwise.  No test asserts a
# duration; every command that could hang runs under timeout.
#
# The other user is nobody (no home or shell is needed); "you" are the
# user running the tests, root in CI, which the kernel's permission
# checks do not stop: what refuses is speedy's own checks.  Helpers from
# tests/stress: rawreq.pl (a client of a backend's socket that checks
# nothing), rawexec.pl (execve with any environment entries).

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	MNT=		# a tmpfs mounted by the test
	RAWREQ="$TOP/tests/stress/rawreq.pl"
	RAWEXEC="$TOP/tests/stress/rawexec.pl"
	export T_MARK="$W/mark"
	: >"$T_MARK"
}

teardown() {
	lib_teardown
	speedy_teardown
	if [ -n "$MNT" ] && mountpoint -q "$MNT"; then
		umount "$MNT" 2>/dev/null || umount -l "$MNT"
	fi
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# mount_tmpfs OPTIONS: a tmpfs at $MNT (root; skips where mount is not
# allowed) that holds the TmpBase directory: SPEEDY_TMPBASE=$MNT/sp.
mount_tmpfs() {
	need_root
	MNT="$BATS_TEST_TMPDIR/mnt"
	mkdir -p "$MNT"
	mount -t tmpfs -o "$1" speedytest "$MNT" 2>/dev/null ||
	    { MNT=; skip "cannot mount a tmpfs here"; }
	export SPEEDY_TMPBASE="$MNT/sp"
	SPEEDY_DIR="$SPEEDY_TMPBASE.$(id -u)"
}

# fill FILE: writes FILE until the file system is full.
fill() {
	head -c 64M /dev/zero >"$1" 2>/dev/null || true
}

# fill_inodes PREFIX: creates empty files PREFIX.0, PREFIX.1, ... until
# no inode is left; prints how many.
fill_inodes() {
	local i=0
	while [ "$i" -lt 10000 ] && : 2>/dev/null >"$1.$i"; do
		i=$((i + 1))
	done
	echo "$i"
}

# tb_pids TMPBASE: live processes started for TMPBASE (backends and
# parents have -TTMPBASE on their command line), whatever their state
# in the queue file.
tb_pids() {
	perl -e '
	for my $f (glob "/proc/[0-9]*/cmdline") {
		open my $h, "<", $f or next;
		local $/;
		my @a = split /\0/, <$h> // "";
		my ($p) = $f =~ m{/proc/(\d+)/};
		print "$p\n" if $p != $$ && grep { $_ eq "-T$ARGV[0]" } @a;
	}' "$1"
}

# refused WHAT REGEX: $status is 1 (not a timeout, not a signal), stdout
# is empty and stderr one line "speedy: ..." matching REGEX.
refused() {
	if [ "$status" -ne 1 ]; then
		printf '%s: status %s, not 1\nstdout: %s\nstderr: %s\n' \
		    "$1" "$status" "$output" "$stderr"
		return 1
	fi
	assert_eq "$output" "" "$1: stdout"
	assert_one_line "$stderr" "$1: stderr"
	assert_match "$stderr" "^speedy: $2" "$1: stderr"
}

# word KEY TEXT: the value of the first "KEY=value" word in TEXT.
word() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1
}

# not CMD...: fails if CMD succeeds.
not() {
	if "$@"; then
		echo "unexpectedly true: $*"
		return 1
	fi
}

# fd_count PID: the number of descriptors PID has open.
fd_count() {
	ls "/proc/$1/fd" | wc -l
}

# listing DIR: what DIR is and holds: names, types, modes, owners and
# symlink targets (not sizes or times, which their owner's processes
# change).
listing() {
	stat -c '. %F %a %U' "$1"
	find "$1" -mindepth 1 -printf '%P %y %m %u %l\n' | sort
}

# ------------------------------------------------------------ disk full

@test "disk full: no room for the queue file: one line, exit 1, nothing started; with room again it works, and a full disk then no longer matters" {
	mount_tmpfs size=1m
	use_script counter.pl
	use_script hostile_env.pl
	fill "$MNT/fill"
	runs3 timeout 20 "$W/counter.pl"
	refused "full disk" ".*$SPEEDY_DIR.*No space left on device$"
	assert_eq "$(tb_pids "$SPEEDY_TMPBASE")" "" "processes started"
	# What is left is an empty file (no sparse one that would kill
	# whoever touches a page the disk cannot back: SIGBUS).
	assert_eq "$(stat -c %s "$SPEEDY_DIR/queue.3")" 0 "size of the queue file"
	runs3 timeout 20 "$W/counter.pl"
	refused "full disk, again" ".*No space left on device$"
	rm "$MNT/fill"
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0 "status with room"
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	# The queue file is allocated now: a full disk no longer stops
	# requests, nor the start of another script's parent.
	fill "$MNT/fill"
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0 "status on a full disk"
	assert_match "$output" '^n=2 compiled=1 pid=[0-9]+$'
	runs3 timeout 20 "$W/hostile_env.pl"
	assert_eq "$status" 0 "status of a new script on a full disk"
	assert_eq "$stderr" ""
	queue_dump | head -n 1
	assert_eq "$(queue_dump | grep -c '^slot ')" 4 "parents and backends"
}

@test "disk full: no inode left for the directory, the parent's socket or a backend's socket: one line each, exit 1, nothing hangs; with room again it works" {
	mount_tmpfs size=2m,nr_inodes=32
	use_script counter.pl
	n=$(fill_inodes "$MNT/i")
	[ "$n" -ge 5 ] || { echo "only $n files fill the inodes"; return 1; }
	runs3 timeout 20 "$W/counter.pl"
	refused "no inode for the directory" \
	    "cannot create directory $SPEEDY_DIR: No space left on device$"
	# Room for the directory and the queue file, not for the parent's
	# socket: the parent it started says why and exits.
	rm "$MNT/i.0" "$MNT/i.1"
	runs3 timeout 20 "$W/counter.pl"
	refused "no inode for the parent's socket" \
	    "speedy_backend: $SPEEDY_DIR/[0-9]+\\.sock: No space left on device$"
	wait_for eval '[ -z "$(tb_pids "$SPEEDY_TMPBASE")" ]'
	# Room for the parent's socket, not for its first backend's.
	rm "$MNT/i.2"
	runs3 timeout 20 "$W/counter.pl"
	refused "no inode for the backend's socket" \
	    "speedy_backend: $SPEEDY_DIR/[0-9]+\\.sock: No space left on device$"
	parent=$(parent_pids)
	assert_eq "$(printf '%s\n' "$parent" | grep -c .)" 1 "parents"
	assert_eq "$(tb_pids "$SPEEDY_TMPBASE")" "$parent" "processes left"
	# With room, the parent forks its backends.
	rm "$MNT/i.3" "$MNT/i.4"
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0 "status with room"
	assert_match "$output" '^n=1 compiled=1 pid=[0-9]+$'
	assert_eq "$(ppid_of "$(word pid "$output")")" "$parent" \
	    "parent of the backend"
}

@test "disk full: a script writing to a full disk, to a file or as its standard output, fails as under plain perl" {
	mount_tmpfs size=256k
	# The TmpBase directory stays where it was: the disk that is full
	# is the script's.
	export SPEEDY_TMPBASE="$BATS_TEST_TMPDIR/sp"
	SPEEDY_DIR="$SPEEDY_TMPBASE.$(id -u)"
	use_script hostile_full.pl
	use_script bigout.pl
	fill "$MNT/fill"
	compare_perl hostile_full.pl "$MNT/out"
	assert_match "$SP_OUT" '(^|'$'\n'')(print|close): No space left on device$'
	assert_match "$SP_ERR" "^cannot write $MNT/out$"
	assert_eq "$SP_RC" 28 "status (errno ENOSPC, as perl's die)"
	# Standard output on the full disk: perl says so at exit, status 1.
	for i in 1 2; do
		rc=0
		timeout 20 "$W/bigout.pl" 10000 >"$MNT/out" 2>"$W/sp.err" || rc=$?
		rm -f "$MNT/out"
		pl=0
		plain_perl bigout.pl 10000 >"$MNT/out" 2>"$W/pl.err" || pl=$?
		rm -f "$MNT/out"
		assert_eq "$(cat "$W/sp.err")" "$(cat "$W/pl.err")" "stderr ($i)"
		assert_eq "$rc" "$pl" "status ($i)"
	done
	assert_eq "$(cat "$W/sp.err")" "Unable to flush stdout: No space left on device"
	assert_eq "$rc" 1
	# With room, the same backend writes it all.
	rm "$MNT/fill"
	timeout 20 "$W/bigout.pl" 1000 >"$MNT/out"
	assert_eq "$(stat -c %s "$MNT/out")" 101000 "bytes written"
}

# ---------------------------------------------------------- descriptors

# limited N CMD...: CMD with at most N open descriptors, within 20 s.
limited() {
	local n=$1
	shift
	runs3 timeout 20 bash -c 'ulimit -n "$1" && shift && exec "$@"' _ \
	    "$n" "$@"
}

# clean_or_ok WHAT: $status is 0 with counter.pl's output, or 1 with one
# line "speedy: ..." and no output; never a timeout or a signal.
# loads N: the frontend under test can be loaded at all with at most N
# descriptors (a dynamically linked one, the ASan build, cannot when
# none is free: ld.so exits 127 before main).
loads() {
	limited "$1" "$SPEEDY" -- -v
	[ "$status" -ne 127 ] ||
	    [[ $stderr != *"error while loading shared libraries"* ]]
}

clean_or_ok() {
	case $status in
	0) assert_match "$output" '^n=[0-9]+ compiled=[0-9]+ pid=[0-9]+$' "$1" ;;
	1) refused "$1" '.+' ;;
	*) printf '%s: status %s\nstdout: %s\nstderr: %s\n' "$1" "$status" \
	    "$output" "$stderr"
	   return 1 ;;
	esac
}

# all_registered: every process started for the TmpBase has a slot.
all_registered() {
	local p
	for p in $(tb_pids "$SPEEDY_TMPBASE"); do
		[ -n "$(slot_state "$p")" ] || return 1
	done
}

# no_stale_slots: every slot of the queue file names a live process.
no_stale_slots() {
	local p rest bad=
	while read -r _ p rest; do
		gone "$p" && bad="$bad $p"
	done < <(queue_dump | grep '^slot ')
	if [ -n "$bad" ]; then
		echo "slots of dead processes:$bad"
		return 1
	fi
}

@test "ulimit -n 3 to 20: the frontend succeeds or says why in one line (exit 1), never hangs or crashes, with and without a backend running" {
	use_script counter.pl
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0
	for n in 3 4 5 6 7 8 10 12 16 20; do
		loads "$n" || continue
		limited "$n" "$W/counter.pl"
		clean_or_ok "ulimit -n $n, backend running"
		echo "ulimit -n $n, backend running: $status $stderr"
	done
	# With none running, the frontend starts the parent under the
	# limit, which the parent and its backends inherit.  Whatever
	# failed, what is left runs as it should: registered processes only
	# (the slots of the dead, a frontend's reservations it could not
	# free for want of a descriptor, go with the next request).
	for n in 3 4 5 6 7 8 10 12 13 14 16 20; do
		loads "$n" || continue
		stop_pids $(tb_pids "$SPEEDY_TMPBASE")
		wait_for eval '[ -z "$(tb_pids "$SPEEDY_TMPBASE")" ]'
		limited "$n" "$W/counter.pl"
		clean_or_ok "ulimit -n $n, nothing running"
		echo "ulimit -n $n, nothing running: $status $stderr"
		wait_for all_registered
	done
	stop_pids $(tb_pids "$SPEEDY_TMPBASE")
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0 "status without a limit"
	no_stale_slots
}

@test "a script that leaves files open: the backend's descriptors stay the same over 100 requests, also with ulimit -n 64" {
	use_script hostile_fds.pl
	limited 64 "$W/hostile_fds.pl"
	assert_eq "$status" 0 "first request: $stderr"
	pid=$(word pid "$output")
	assert_eq "$output" "pid=$pid opened=43"
	# The limit is the backend's own (inherited from that frontend).
	assert_match "$(grep '^Max open files' "/proc/$pid/limits")" \
	    '^Max open files +64 ' "the backend's limit"
	wait_for is_idle "$pid"
	base=$(fd_count "$pid")
	for i in $(seq 2 100); do
		runs3 timeout 20 "$W/hostile_fds.pl"
		assert_eq "$status" 0 "status of request $i: $stderr"
		assert_eq "$output" "pid=$pid opened=43" "request $i"
		if [ $((i % 10)) -eq 0 ]; then
			wait_for is_idle "$pid"
			assert_eq "$(fd_count "$pid")" "$base" \
			    "descriptors of the idle backend after $i requests"
		fi
	done
	ls -l "/proc/$pid/fd"
}

# ------------------------------------------------------------- faults

@test "a backend killed mid-request while a child its script forked lives on: the frontend fails with one line without waiting for the child" {
	use_script hostile_fork.pl
	timeout 30 "$W/hostile_fork.pl" 60 >"$W/out" 2>"$W/err" 3>&- &
	fe=$!
	BG_PIDS+=($fe)
	wait_for grep -q child= "$W/out"
	pid=$(word pid "$(cat "$W/out")")
	child=$(word child "$(cat "$W/out")")
	EXTRA_PIDS+=("$child")
	kill -KILL "$pid"
	rc=0
	wait "$fe" || rc=$?
	assert_eq "$rc" 1 "status of the frontend"
	assert_one_line "$(cat "$W/err")" "frontend's stderr"
	assert_match "$(cat "$W/err")" "^speedy: $W/hostile_fork.pl: the backend exited before the request finished$"
	# The child the frontend did not wait for is still there.
	not gone "$child"
	runs3 timeout 20 "$W/hostile_fork.pl" 60 0
	assert_eq "$status" 0 "status of the next request"
	EXTRA_PIDS+=("$(word child "$output")")
}

@test "the parent and backend killed while a child of the script lives on: the next request does not connect to the dead backend's socket" {
	use_script hostile_fork.pl
	runs3 timeout 20 "$W/hostile_fork.pl" 60 0
	assert_eq "$status" 0
	pid=$(word pid "$output")
	child=$(word child "$output")
	EXTRA_PIDS+=("$child")
	wait_for is_idle "$pid"
	parent=$(parent_pids)
	kill -KILL "$parent" "$pid"
	wait_for gone "$pid"
	wait_for gone "$parent"
	not gone "$child"
	# Their slots and sockets are still there; the child holds nothing
	# of the backend's, so the connect is refused and the slot reclaimed.
	runs3 timeout 20 "$W/hostile_fork.pl" 60 0
	assert_eq "$status" 0 "status of the next request: $stderr"
	EXTRA_PIDS+=("$(word child "$output")")
	[ "$(word pid "$output")" != "$pid" ]
	not gone "$child"
	assert_eq "$(slot_state "$pid")" "" "slot of the killed backend"
}

@test "a child forked by a script ends on SIGTERM as under plain perl" {
	use_script hostile_forkterm.pl
	for i in 1 2; do
		compare_perl hostile_forkterm.pl
		assert_eq "$SP_OUT" "signal=15 exit=0" "run $i"
	done
}

@test "a child forked in a BEGIN block runs the script for that request as under plain perl, and only then ends" {
	use_script hostile_beginfork.pl
	# Not compared with plain perl, whose parent loses the rest of the
	# script: perl flushes every handle at fork, which seeks the script
	# file back to where it was parsing, and the child, sharing that
	# offset, reads it to the end.  speedy's parent has it all.
	runs3 timeout 20 "$W/hostile_beginfork.pl" a b
	assert_eq "$status" 0 "$stderr"
	assert_eq "$output" "child ran with a b
child exited 7
parent ran with a b"
	assert_eq "$stderr" "child to stderr
parent to stderr"
	# The compiled script serves the next request (BEGIN ran once).
	runs3 timeout 20 "$W/hostile_beginfork.pl" c
	assert_eq "$status" 0
	assert_eq "$output" "parent ran with c"
	assert_eq "$stderr" "parent to stderr"
}

# ---------------------------------------------------------- other users

# other_setup: a TmpBase the other user (nobody) can reach ($TB, in
# $ROOT_TMP, mode 0755 or, with "sticky", 1777 like /tmp), made ours.
other_setup() {
	need_root
	world_dir
	as_nobody test -x "$SPEEDY" || skip "nobody cannot run $SPEEDY"
	[ "${1:-}" = sticky ] && chmod 1777 "$ROOT_TMP"
	TB="$ROOT_TMP/sp"
	NOBODY_UID=$(id -u nobody)
	export SPEEDY_TMPBASE="$TB" SPEEDY_SNAPSHOT="$ROOT_TMP/snapshot"
	SPEEDY_DIR="$TB.$(id -u)"
	EXTRA_DIRS+=("$TB.$NOBODY_UID")
}

@test "another user cannot connect to your backends, signal them, drain them or read your queue file" {
	other_setup
	use_script hostile_mark.pl
	for i in 1 2; do
		runs3 timeout 20 "$W/hostile_mark.pl"
		assert_eq "$status" 3
	done
	backend=$(word pid "$output")
	parent=$(parent_pids)
	wait_for is_idle "$backend"
	sock="$SPEEDY_DIR/$backend.sock"
	# The directory is 0700.
	runs3 as_nobody timeout 20 perl "$RAWREQ" "$sock" "$W/hostile_mark.pl"
	assert_eq "$status" 3 "status of the connect: $stderr"
	assert_eq "$stderr" "connect: Permission denied"
	runs3 as_nobody cat "$SPEEDY_DIR/queue.3"
	[ "$status" -ne 0 ]
	assert_match "$stderr" "Permission denied"
	for sig in 0 TERM KILL; do
		runs3 as_nobody perl -e 'kill($ARGV[0], @ARGV[1, 2]) and exit 0;
		    print STDERR "$!\n"; exit 1' "$sig" "$backend" "$parent"
		assert_eq "$status" 1 "kill $sig by nobody"
		assert_eq "$stderr" "Operation not permitted"
	done
	for cmd in "drain --all" "kill --all --signal KILL --grace 0"; do
		runs3 as_nobody timeout 30 "$ADMIN" $cmd
		assert_eq "$status" 1 "speedy-admin $cmd by nobody"
		assert_eq "$stderr" "speedy-admin: no backend matches"
	done
	# Even with the socket reachable (a mistaken chmod), the backend
	# refuses the connection (SO_PEERCRED), and the file is still 0600.
	chmod 711 "$SPEEDY_DIR"
	chmod 666 "$sock"
	runs3 as_nobody timeout 20 perl "$RAWREQ" "$sock" "$W/hostile_mark.pl"
	chmod 700 "$SPEEDY_DIR" "$sock"
	if [ "$status" -ne 4 ] && [ "$status" -ne 5 ]; then
		echo "nobody's request was not refused: status $status: $stderr"
		return 1
	fi
	assert_match "$stderr" '^(eof|send: (Broken pipe|Connection reset by peer))$'
	chmod 711 "$SPEEDY_DIR"
	runs3 as_nobody cat "$SPEEDY_DIR/queue.3"
	chmod 700 "$SPEEDY_DIR"
	[ "$status" -ne 0 ]
	assert_match "$stderr" "Permission denied"
	assert_eq "$(cat "$T_MARK")" "$(printf 'ran %s \n' "$backend" "$backend")" \
	    "requests the script ran"
	# The same client as root is served (the check above is not the
	# client's failing): the script runs, status 3.
	runs3 timeout 20 perl "$RAWREQ" "$sock" "$W/hostile_mark.pl" x
	assert_eq "$stderr" "status 0 3" "root's raw request"
	assert_eq "$(tail -n 1 "$T_MARK")" "ran $backend x"
	not gone "$backend"
	not gone "$parent"
	runs3 timeout 20 "$W/hostile_mark.pl"
	assert_eq "$output" "pid=$backend"
}

@test "another user's directory, symlink or FIFO planted as your TmpBase directory: refused with one line naming it, exit 1, left untouched; their backends never get your request" {
	other_setup sticky
	use_script counter.pl
	# Their own script and backends, in their own directory ...
	tail -n +2 "$SCRIPTS/counter.pl" | mkscript theirs.pl
	cp "$W/theirs.pl" "$ROOT_TMP/theirs.pl"
	chmod 755 "$ROOT_TMP/theirs.pl"
	for i in 1 2; do
		runs3 as_nobody timeout 20 "$ROOT_TMP/theirs.pl"
		assert_eq "$status" 0 "their request: $stderr"
	done
	theirs=$(pids_in "$TB.$NOBODY_UID")
	assert_eq "$(printf '%s\n' "$theirs" | grep -c .)" 2 "their processes"
	# ... moved to where your directory would be.
	as_nobody mv "$TB.$NOBODY_UID" "$SPEEDY_DIR"
	EXTRA_DIRS+=("$SPEEDY_DIR")
	before=$(listing "$SPEEDY_DIR")
	runs3 timeout 20 "$W/counter.pl"
	refused "their directory" "directory $SPEEDY_DIR is owned by uid $NOBODY_UID, not $(id -u); refusing to use it$"
	assert_eq "$(listing "$SPEEDY_DIR")" "$before" "their directory"
	assert_eq "$(queue_dump "$SPEEDY_DIR" | awk '$1 == "slot" && $3 == "idle" { print $5 }')" \
	    2 "requests their backend ran"
	# A symlink there, to their directory.
	as_nobody mv "$SPEEDY_DIR" "$TB.$NOBODY_UID"
	as_nobody ln -s "$TB.$NOBODY_UID" "$SPEEDY_DIR"
	runs3 timeout 20 "$W/counter.pl"
	refused "their symlink" "$SPEEDY_DIR is not a directory \\(a symlink or a file\\?\\); refusing to use it$"
	assert_eq "$(listing "$TB.$NOBODY_UID")" "$before" "their directory"
	[ "$(stat -c %U "$SPEEDY_DIR")" = nobody ] && [ -L "$SPEEDY_DIR" ]
	# A FIFO there does not hang the frontend.
	as_nobody rm "$SPEEDY_DIR"
	as_nobody mkfifo -m 666 "$SPEEDY_DIR"
	runs3 timeout 20 "$W/counter.pl"
	refused "their FIFO" "$SPEEDY_DIR is not a directory"
	[ -p "$SPEEDY_DIR" ]
	for p in $theirs; do
		not gone "$p"
	done
	assert_eq "$(tb_pids "$TB" | sort -n)" "$(printf '%s\n' $theirs | sort -n)" \
	    "processes started for the TmpBase"
	# Once they remove it, yours is made as it must be.
	as_nobody rm "$SPEEDY_DIR"
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0
	assert_eq "$(stat -c '%a %U' "$SPEEDY_DIR")" "700 $(id -un)"
}

@test "another user holding their own queue file's lock for ever: your requests are served, and speedy-admin reports their file instead of waiting" {
	other_setup sticky
	use_script counter.pl
	tail -n +2 "$SCRIPTS/counter.pl" | mkscript theirs.pl
	cp "$W/theirs.pl" "$ROOT_TMP/theirs.pl"
	chmod 755 "$ROOT_TMP/theirs.pl"
	runs3 as_nobody timeout 20 "$ROOT_TMP/theirs.pl"
	assert_eq "$status" 0 "their request: $stderr"
	# F_OFD_SETLKW (38) on their queue file, then hold it.
	as_nobody perl -e '
	open my $fh, "+<", $ARGV[0] or die "$ARGV[0]: $!\n";
	my $fl = pack "s s x4 q q i x4", 1, 0, 0, 0, 0;	# F_WRLCK, SEEK_SET
	fcntl($fh, 38, $fl) or die "lock: $!\n";
	$| = 1;
	print "locked $$\n";
	sleep 60;' "$TB.$NOBODY_UID/queue.3" >"$W/lock.out" 2>&1 3>&- &
	BG_PIDS+=($!)
	wait_for grep -q locked "$W/lock.out"
	# The holder itself (as_nobody is a function: $! is a subshell).
	BG_PIDS+=($(sed -n 's/^locked //p' "$W/lock.out"))
	for i in 1 2; do
		runs3 timeout 20 "$W/counter.pl"
		assert_eq "$status" 0 "your request $i"
	done
	ours=$( (parent_pids; backend_pids) | sort -n)
	runs3 timeout 30 "$ADMIN" list
	assert_eq "$status" 1 "status of speedy-admin list"
	assert_one_line "$stderr" "speedy-admin's warnings"
	assert_match "$stderr" "^speedy-admin: cannot lock queue file in $TB\\.$NOBODY_UID: "
	assert_eq "$(awk 'NR > 1 { print $3 }' <<<"$output" | sort -n)" "$ours" \
	    "processes listed"
}

# ------------------------------------------------- environment and argv

# export_many N PREFIX VALUE: exports PREFIX1 .. PREFIXN=VALUE (with one
# command: bats traces every command a loop would run).
export_many() {
	local vars
	mapfile -t vars < <(seq -f "$2%.0f=$3" 1 "$1")
	export "${vars[@]}"
}

@test "untrusted environment: the largest QUERY_STRING execve passes, 10000 variables, 5 MiB in all: as under plain perl, one backend all along" {
	use_script hostile_env.pl
	compare_perl hostile_env.pl --child
	backend=$(backend_pids)
	[ -n "$backend" ]
	# A string execve takes has at most 128 KiB with its NUL
	# (MAX_ARG_STRLEN): "QUERY_STRING=" and 131058 bytes.
	QUERY_STRING=$(head -c 131058 /dev/zero | tr '\0' 'q')
	export QUERY_STRING
	compare_perl hostile_env.pl --child
	assert_eq "$(sed -n 3p <<<"$SP_OUT")" "qs=131058"
	# One byte more, and no program can be started with it: a CGI
	# script never sees a 1 MB variable, under speedy or plain perl.
	QUERY_STRING+=q
	rc=0
	(exec "$W/hostile_env.pl") >"$W/e2big.out" 2>"$W/e2big.err" || rc=$?
	unset QUERY_STRING
	assert_eq "$rc" 126 "status of exec with a longer string"
	assert_match "$(cat "$W/e2big.err")" "Argument list too long"
	(
		export_many 10000 HOSTILE_V "value with spaces and = signs"
		compare_perl hostile_env.pl --child
		assert_match "$SP_OUT" "^nenv=1[0-9]{4} "
	)
	# All the room execve has: 6 MiB with the stack limit raised (a
	# quarter of the limit otherwise), so PROTO_MAXBODY (8 MiB) cannot
	# be reached through a frontend; 40 variables of 128 KiB.  (Without
	# --child: the backend has the stack limit of the frontend that
	# started it, and so its children 2 MiB of room.)
	if (ulimit -s unlimited) 2>/dev/null; then
		(
			ulimit -s unlimited
			export_many 40 HOSTILE_BIG \
			    "$(head -c 131000 /dev/zero | tr '\0' 'b')"
			compare_perl hostile_env.pl
			assert_match "$SP_OUT" '^nenv=[0-9]+ '
		)
	else
		echo "cannot raise the stack limit: no 5 MiB environment"
	fi
	compare_perl hostile_env.pl --child
	assert_eq "$(backend_pids)" "$backend" "backends"
}

# compare_raw ENVFILE ARG...: runs hostile_env.pl under speedy and under
# plain perl with exactly the environment entries of ENVFILE (rawexec.pl)
# and fails unless stdout, stderr and status are the same, but for the
# child_other line, which is left in $SP_OTHER and $PL_OTHER.
compare_raw() {
	local env=$1 rc=0 pl=0
	shift
	timeout 20 perl "$RAWEXEC" "$env" "$W/hostile_env.pl" "$@" \
	    >"$W/sp.out" 2>"$W/sp.err" || rc=$?
	timeout 20 perl "$RAWEXEC" "$env" "$(command -v perl)" \
	    "$W/plain/hostile_env.pl" "$@" >"$W/pl.out" 2>"$W/pl.err" || pl=$?
	if [ "$rc" = 2 ] && grep -q syscall.ph "$W/sp.err"; then
		skip "perl has no syscall.ph"
	fi
	cat "$W/sp.out" "$W/sp.err"
	SP_OTHER=$(sed -n 's/^child_other=//p' "$W/sp.out")
	PL_OTHER=$(sed -n 's/^child_other=//p' "$W/pl.out")
	sed -i '/^child_other=/d' "$W/sp.out" "$W/pl.out"
	if ! cmp -s "$W/sp.out" "$W/pl.out" ||
	    ! cmp -s "$W/sp.err" "$W/pl.err" || [ "$rc" != "$pl" ]; then
		echo "speedy ($rc):"
		cat "$W/sp.out" "$W/sp.err"
		echo "plain perl ($pl):"
		cat "$W/pl.out" "$W/pl.err"
		return 1
	fi
}

@test "untrusted environment: entries without '=', empty names and values, a name twice, non-UTF-8 bytes: %ENV and a child's environment as under plain perl" {
	use_script hostile_env.pl
	{
		env -0
		printf '%s\0' '=emptyname' '==x' 'NOEQUALS' 'EMPTY=' \
		    'HOSTILE_DUP=first' 'HOSTILE_DUP=second' \
		    $'HOSTILE_BIN\xff\xfe=\x80\x81\xc3(' $'\xe9t\xe9=caf\xe9' \
		    'HOSTILE SPACE=a b' 'HOSTILE_EQ==='
	} >"$W/env"
	# The first request starts the backend with this environment.
	compare_raw "$W/env" --child
	# The entries that are not NAME=value: plain perl passes them on to
	# its children, speedy (whose %ENV is the C environment) does not.
	assert_eq "$PL_OTHER" 3 "other entries plain perl's child gets"
	assert_eq "$SP_OTHER" 0 "other entries speedy's child gets"
	# A well-formed environment in between: no entry of the others
	# (nor of the request that started the backend) is left in it.
	compare_perl hostile_env.pl --child
	assert_match "$SP_OUT" $'\nchild_other=0$'
	compare_raw "$W/env" --child
	compare_raw "$W/env"
	compare_perl hostile_env.pl --child
	assert_eq "$(backend_pids | grep -c .)" 1 "backends"
}

@test "untrusted arguments: empty, non-UTF-8, option-like, 100000 of them: as under plain perl" {
	use_script hostile_env.pl
	compare_perl hostile_env.pl '' $'\xff\xfe\x80' ' ' $'a\nb' -- -w -e \
	    '-- -t1' "x y"
	assert_match "$SP_OUT" $'\nnargs=9 '
	mapfile -t many < <(seq 1 100000)
	compare_perl hostile_env.pl "${many[@]}"
	assert_match "$SP_OUT" $'\nnargs=100000 '
	# Run as "speedy script args" too.
	runs3 timeout 20 "$SPEEDY" "$W/hostile_env.pl" "${many[@]}"
	assert_eq "$status" 0
	assert_eq "$output" "$SP_OUT"
	assert_eq "$(backend_pids | grep -c .)" 1 "backends"
}

@test "requests a backend must refuse (a body over PROTO_MAXBODY, a bad header): refused, and the backend goes on serving" {
	use_script hostile_mark.pl
	runs3 timeout 20 "$W/hostile_mark.pl"
	assert_eq "$status" 3
	backend=$(word pid "$output")
	wait_for is_idle "$backend"
	sock="$SPEEDY_DIR/$backend.sock"
	for bad in RAWREQ_BADLEN=$((8 * 1024 * 1024 + 1)) RAWREQ_BADMAGIC=1; do
		runs3 env "$bad" timeout 20 perl "$RAWREQ" "$sock" \
		    "$W/hostile_mark.pl" "$bad"
		if [ "$status" -ne 4 ] && [ "$status" -ne 5 ]; then
			echo "$bad: not refused: status $status: $stderr"
			return 1
		fi
		not gone "$backend"
		wait_for is_idle "$backend"
	done
	assert_eq "$(cat "$T_MARK")" "ran $backend " "requests the script ran"
	runs3 timeout 20 perl "$RAWREQ" "$sock" "$W/hostile_mark.pl" ok
	assert_eq "$stderr" "status 0 3"
	runs3 timeout 20 "$W/hostile_mark.pl"
	assert_eq "$output" "pid=$backend"
}

# ------------------------------------------------------ TmpBase tricks

# first_run: counter.pl served once, then everything stopped: the
# directory and the queue file exist, nothing runs.
first_run() {
	use_script counter.pl
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0
	stop_pids $(pids_in "$SPEEDY_DIR")
	wait_for eval '[ -z "$(pids_in "$SPEEDY_DIR")" ]'
}

@test "hostile /tmp: a character device in place of the queue file is refused, without hanging, and left alone" {
	need_root
	first_run
	f="$SPEEDY_DIR/queue.3"
	rm "$f"
	mknod -m 600 "$f" c 1 3
	runs3 timeout 20 "$W/counter.pl"
	refused "a device" "queue file $f is not a regular file; refusing to use it$"
	[ -c "$f" ]
	assert_eq "$(stat -c '%t %T' "$f")" "1 3" "device numbers"
	assert_eq "$(tb_pids "$SPEEDY_TMPBASE")" "" "processes started"
}

@test "hostile /tmp: a queue file with a second hard link is refused while the link exists" {
	use_script counter.pl
	runs3 timeout 20 "$W/counter.pl"
	pid=$(word pid "$output")
	ln "$SPEEDY_DIR/queue.3" "$W/link"
	runs3 timeout 20 "$W/counter.pl"
	refused "two links" "queue file $SPEEDY_DIR/queue.3 has 2 links; refusing to use it$"
	not gone "$pid"
	rm "$W/link"
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0
	assert_eq "$(word pid "$output")" "$pid" "backend"
}

@test "hostile /tmp: a directory of mode 0711 is refused, naming it" {
	use_script counter.pl
	mkdir -m 711 "$SPEEDY_DIR"
	runs3 timeout 20 "$W/counter.pl"
	refused "mode 0711" "directory $SPEEDY_DIR has mode 0711, group or others can access it; refusing to use it$"
	assert_eq "$(ls -A "$SPEEDY_DIR")" "" "files created"
	assert_eq "$(stat -c %a "$SPEEDY_DIR")" 711 "mode"
	chmod 700 "$SPEEDY_DIR"
	runs3 timeout 20 "$W/counter.pl"
	assert_eq "$status" 0
}

@test "hostile /tmp: queue files of other layout versions (a file, a FIFO, a symlink) are ignored and left alone, by speedy and speedy-admin" {
	use_script counter.pl
	mkdir -m 700 "$SPEEDY_DIR"
	echo garbage >"$SPEEDY_DIR/queue.2"
	chmod 600 "$SPEEDY_DIR/queue.2"
	mkfifo -m 600 "$SPEEDY_DIR/queue.4"
	ln -s /etc/passwd "$SPEEDY_DIR/queue.1"
	before=$(listing "$SPEEDY_DIR")
	for i in 1 2; do
		runs3 timeout 20 "$W/counter.pl"
		assert_eq "$status" 0 "request $i: $stderr"
	done
	assert_eq "$(cat "$SPEEDY_DIR/queue.2")" garbage
	[ -p "$SPEEDY_DIR/queue.4" ]
	assert_eq "$(readlink "$SPEEDY_DIR/queue.1")" /etc/passwd
	assert_eq "$(listing "$SPEEDY_DIR" | grep ' queue\.[124] ')" \
	    "$(grep ' queue\.[124] ' <<<"$before")" "the other files"
	runs3 timeout 30 "$ADMIN" list
	assert_eq "$status" 0
	assert_eq "$stderr" ""
	assert_eq "$(awk 'NR > 1 { print $3 }' <<<"$output" | sort -n)" \
	    "$( (parent_pids; backend_pids) | sort -n)" "processes listed"
}

# listener SOCKET LOG: a process of ours listening on SOCKET that logs
# "conn bytes=N" for every connection (N bytes received until EOF); its
# pid in $LISTENER.
listener() {
	perl -MSocket -e '
	socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!\n";
	bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!\n";
	listen($s, 16) or die "listen: $!\n";
	open my $log, ">>", $ARGV[1] or die "$ARGV[1]: $!\n";
	$log->autoflush(1);
	print $log "listening\n";
	while (accept(my $c, $s)) {
		my ($n, $buf) = (0, "");
		while (my $r = sysread($c, $buf, 65536)) { $n += $r }
		print $log "conn bytes=$n\n";
	}' "$1" "$2" 3>&- &
	LISTENER=$!
	BG_PIDS+=($!)
	wait_for grep -q listening "$2"
}

@test "hostile /tmp: sockets planted as <pid>.sock for a live process that is no backend and for a dead pid are never used; forged idle and parent slots naming one are freed, nobody waits (SO_PEERCRED pid)" {
	use_script counter.pl "-- -gplant"
	mkdir -m 700 "$SPEEDY_DIR"
	sleep 300 3>&- &
	live=$!
	EXTRA_PIDS+=($live)
	( exit 0 ) &
	dead=$!
	wait "$dead"
	listener "$SPEEDY_DIR/$live.sock" "$W/live.log"
	listener "$SPEEDY_DIR/$dead.sock" "$W/dead.log"
	for i in 1 2; do
		runs3 timeout 20 "$W/counter.pl"
		assert_eq "$status" 0 "request $i: $stderr"
	done
	assert_eq "$(grep -c conn "$W/live.log" "$W/dead.log")" \
	    "$W/live.log:0
$W/dead.log:0" "connections to the planted sockets"
	# Slots in the queue file that name the live process as an idle
	# backend, then as the parent, of this group (written while nothing
	# runs).  The frontend connects, finds another pid behind the socket
	# (SO_PEERCRED), sends nothing, frees the slot and goes on: neither
	# slot makes a request wait.
	stop_pids $(queue_dump | awk '$1 == "slot" { print $2 }')
	wait_for eval '[ -z "$(queue_dump | grep "^slot ")" ]'
	for state in 2 5; do
		rm -f "$SPEEDY_DIR/$live.sock"
		listener "$SPEEDY_DIR/$live.sock" "$W/live.$state.log"
		perl -e '
		open my $fh, "+<", $ARGV[0] or die "$ARGV[0]: $!\n";
		binmode $fh;
		read($fh, my $h, 128) == 128 or die "short header\n";
		my $nused = unpack "L", substr($h, 24, 4);
		# struct queue_slot: pid, state (2: idle, 5: parent), key
		# (group, dev, ino, mtime, pathhash), runs, fe_pid, times, script.
		my $slot = pack "l C x3 a16 Q Q q q Q L l q q q a160", $ARGV[1],
		    $ARGV[2], "plant", 0, 0, 0, 0, 0, 0, 0, time, 0, 0, "/forged";
		seek $fh, 128 + 256 * $nused, 0 or die;
		print $fh $slot or die;
		seek $fh, 24, 0 or die;
		print $fh pack("L", $nused + 1) or die;
		close $fh or die "$!\n";' "$SPEEDY_DIR/queue.3" "$live" "$state"
		assert_match "$(slot_state "$live")" '^(idle|parent)$' "the forged slot"
		runs3 timeout 20 "$W/counter.pl"
		assert_eq "$status" 0 "request with a forged slot (state $state): $stderr"
		[ "$(word pid "$output")" != "$live" ]
		assert_eq "$(slot_state "$live")" "" "the forged slot, after a request"
		stop_pids $(queue_dump | awk '$1 == "slot" { print $2 }')
		wait_for eval '[ -z "$(queue_dump | grep "^slot ")" ]'
	done
	# The frontends did connect to the impostor, and sent it nothing.
	cat "$W/live.2.log" "$W/live.5.log" >"$W/live.log"
	[ "$(grep -c conn "$W/live.log")" -ge 2 ] ||
	    { echo "the frontends did not try the forged slots:"; cat "$W/live.log"; return 1; }
	assert_eq "$(grep conn "$W/live.log" | sort -u)" "conn bytes=0" \
	    "what the impostor received"
	assert_eq "$(grep -c conn "$W/dead.log")" 0 "connections to the dead pid's socket"
	not gone "$live"
}
