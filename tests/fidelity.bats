#!/usr/bin/env bats
# Fidelity (issue 9): the CGI applications of tests/fidelity/apps (CGI.pm
# in both styles with sticky fields, cookies and redirects, uploads,
# helper programs, CGI::Carp, __DATA__ templates, import pragmas, and the
# interpreter state scripts like to change), each requested some 40 times
# in one interleaved sequence, through speedy and through plain perl with
# the same environment and input.  Output, errors, exit status and the
# files the requests leave must be the same byte for byte; see
# tests/fidelity/fidelity.pl.  FIDELITY_SEED picks another sequence.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	FID="$TOP/tests/fidelity/fidelity.pl"
	# The corpus is written for CGI.pm (Debian: libcgi-pm-perl), which
	# perl no longer ships.
	perl -MCGI -e 1 2>/dev/null || skip "CGI.pm is not installed"
}

teardown() {
	if [ -s "$W/held.pid" ]; then
		kill "$(cat "$W/held.pid")" 2>/dev/null || true
	fi
	lib_teardown
	speedy_teardown
}

# fidelity ARGS...: runs the driver within 5 minutes (bats' own descriptor
# closed: the programs it starts must not inherit it); the report is in
# $output, the status in $status.
fidelity() {
	runf timeout 300 perl "$FID" --work "$W/fid" "$@" 3>&-
}

# fake NAME COMMANDS: writes $W/NAME, a "frontend" that runs the script
# under plain perl and then runs COMMANDS (with $rc its status).
fake() {
	cat >"$W/$1" <<EOF
#!/bin/sh
perl "\$@"
rc=\$?
$2
exit \$rc
EOF
	chmod +x "$W/$1"
}

@test "ten CGI applications, 40 requests each, interleaved: speedy gives what plain perl gives" {
	fidelity --speedy "$SPEEDY" --requests 40 --seed "${FIDELITY_SEED:-1}"
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c ' all identical$' <<<"$output")" -eq 10 ]
	# One interpreter per application served all its requests.
	assert_eq "$(backend_pids | wc -l)" 10 "backends"
}

@test "the harness reports a difference in output, errors, exit status or files, with a diff" {
	fake more-out 'echo "one line more"'
	fidelity --speedy "$W/more-out" --only feed --requests 3
	[ "$status" -eq 1 ]
	assert_match "$output" "feed.pl +3 requests, 3 DIFFERENT"
	assert_match "$output" "standard output differs"
	assert_match "$output" $'\n    \\+one line more'

	fake more-err 'echo "a warning more" >&2'
	fidelity --speedy "$W/more-err" --only feed --requests 2
	[ "$status" -eq 1 ]
	assert_match "$output" "standard error differs"
	assert_match "$output" $'\n    \\+a warning more'

	fake other-status 'rc=$((rc + 1))'
	fidelity --speedy "$W/other-status" --only feed --requests 2
	[ "$status" -eq 1 ]
	assert_match "$output" "exit status: speedy exit 1, perl exit 0"

	fake more-files 'echo left >"$FIDELITY_DATA/stray"'
	fidelity --speedy "$W/more-files" --only feed --requests 2
	[ "$status" -eq 1 ]
	assert_match "$output" "files left behind differs"
	assert_match "$output" $'\n    \\+data/stray:'
}

@test "the harness reports output that stays open after the program exited" {
	# A descriptor of the client's kept by a process that lives on, as a
	# backend holding a copy of STDOUT would.
	fake held "sleep 30 & echo \$! >'$W/held.pid'"
	fidelity --speedy "$W/held" --only feed --requests 1
	[ "$status" -eq 1 ]
	assert_match "$output" "speedy: output still open 5 s after the program exited"
}

@test "the harness masks only what carries the time: a changed date in a cookie is no difference" {
	# Plain perl against plain perl, a second apart: Date, Expires and
	# cookie expiry differ, the rest does not.
	printf '#!/bin/sh\nsleep 1\nexec perl "$@"\n' >"$W/same-perl"
	chmod +x "$W/same-perl"
	fidelity --speedy "$W/same-perl" --only session --requests 6
	printf '%s\n' "$output"
	[ "$status" -eq 0 ]
}
