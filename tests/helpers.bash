# helpers.bash: loaded by every bats suite (load helpers).
#
# Each test gets its own TmpBase under $BATS_TEST_TMPDIR, so tests never see
# each other's backends, and teardown stops every backend it started.
# SPEEDY_BIN and SPEEDY_BACKENDPROG select the programs under test: the
# build tree by default, the installed programs for autopkgtest.

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
SCRIPTS="$TOP/tests/scripts"

speedy_setup() {
	SPEEDY=${SPEEDY_BIN:-$TOP/src/frontend/speedy}
	# The FastCGI server: the build tree's, or the installed one with
	# the installed frontend.
	if [ -z "${SPEEDY_INSTALLED:-}" ]; then
		FCGI=${SPEEDY_FCGI_BIN:-$TOP/src/fcgi/speedy-fcgi}
	else
		FCGI=${SPEEDY_FCGI_BIN:-/usr/bin/speedy-fcgi}
	fi
	if [ -z "${SPEEDY_INSTALLED:-}" ]; then
		export SPEEDY_BACKENDPROG=${SPEEDY_BACKENDPROG:-$TOP/src/backend/speedy_backend}
		export PERL5LIB="$TOP/src/perl${PERL5LIB:+:$PERL5LIB}"
	fi
	export SPEEDY_TMPBASE="$BATS_TEST_TMPDIR/sp"
	# Never the machine's /etc/speedy: each test has its own (empty)
	# configuration and snapshot; tests of the config write them.
	export SPEEDY_CONFDIR="$BATS_TEST_TMPDIR/etc"
	export SPEEDY_SNAPSHOT="$BATS_TEST_TMPDIR/snapshot"
	if [ -z "${SPEEDY_INSTALLED:-}" ]; then
		ADMIN=${SPEEDY_ADMIN:-$TOP/admin/speedy-admin}
	else
		ADMIN=${SPEEDY_ADMIN:-/usr/sbin/speedy-admin}
	fi
	SPEEDY_DIR="$SPEEDY_TMPBASE.$(id -u)"
	# Scripts run through the kernel's #! need the absolute frontend path.
	W="$BATS_TEST_TMPDIR/w"
	mkdir -p "$W"
}

# all_pids: the pids of this test's live backends and parents.
all_pids() {
	local s p
	for s in "$SPEEDY_DIR"/*.sock; do
		[ -e "$s" ] || continue
		p=$(basename "$s" .sock)
		kill -0 "$p" 2>/dev/null && echo "$p"
	done
	return 0
}

# parent_pids: the parents (they hold the compiled script and fork
# backends; the backend names them "speedy_parent").
parent_pids() {
	local p
	for p in $(all_pids); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = speedy_parent ] && echo "$p"
	done
	return 0
}

# backend_pids: the backends that serve requests, one per line.
backend_pids() {
	local p
	for p in $(all_pids); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = speedy_parent ] || echo "$p"
	done
	return 0
}

# speedy_teardown: stops this test's backends (TERM, then KILL).
speedy_teardown() {
	local pids p i
	pids=$(all_pids)
	[ -n "$pids" ] || return 0
	kill -TERM $pids 2>/dev/null || true
	for i in $(seq 1 50); do
		for p in $pids; do kill -0 "$p" 2>/dev/null && break; p=; done
		[ -z "$p" ] && return 0
		sleep 0.1
	done
	kill -KILL $pids 2>/dev/null || true
}

# mkscript NAME [SHEBANG-OPTIONS]: writes stdin to $W/NAME as an executable
# script whose #! line names the frontend under test.
mkscript() {
	local name=$1
	shift
	{ printf '#!%s%s\n' "$SPEEDY" "${1:+ $1}"; cat; } > "$W/$name"
	chmod +x "$W/$name"
}

# wait_for COMMAND...: retries COMMAND for up to 10 s (no timing asserted).
wait_for() {
	local i
	for i in $(seq 1 100); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
