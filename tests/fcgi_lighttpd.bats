#!/usr/bin/env bats
# speedy-fcgi behind lighttpd's mod_fastcgi (issue "FastCGI server mode"):
# GET, POST and 10 MB bodies over a Unix socket ("socket") and over TCP
# ("host" and "port"), and lighttpd's "bin-path" mode, in which lighttpd
# starts speedy-fcgi itself, as its own unprivileged user, with the
# listening socket as descriptor 0 (FCGI_LISTENSOCK_FILENO).
#
# tests/webservers.bash starts the servers; the scripts are
# tests/scripts/fcgi_*.pl.

load helpers
load lib
load webservers

setup() {
	ws_suite_setup
}

teardown() {
	ws_suite_teardown
}

# form_requests: GET with a PATH_INFO, urlencoded and multipart POST to
# fcgi_form.pl at $WEB.
form_requests() {
	http "$WEB/fcgi_form.pl/extra?a=1&b=hello+world"
	assert_status 200 GET
	for l in method=GET "param a=1" "param b=hello world" \
	    SCRIPT_NAME=/fcgi_form.pl PATH_INFO=/extra \
	    "QUERY_STRING=a=1&b=hello+world" "0=$W/fcgi_form.pl" "cwd=$W"; do
		has_line "$BODY" "$l"
	done
	assert_match "$BODY" $'\nSERVER_SOFTWARE=lighttpd/'
	post_requests "$WEB/fcgi_form.pl"
}

# echo_requests: a 10 MB body to fcgi_echo.pl at $WEB and back.
echo_requests() {
	big_body
	echo_big "$WEB/fcgi_echo.pl" "10 MB POST"
}

@test "lighttpd (\"socket\"): GET, POST and multipart reach a CGI.pm script; status and headers come back" {
	use_script fcgi_form.pl
	fcgi_start main "$SOCK" "$W/fcgi_form.pl"
	lighttpd_start socket "$SOCK"
	form_requests

	use_script fcgi_status.pl
	fcgi_start status "$WS/run/status.sock" "$W/fcgi_status.pl"
	ws_stop_pid "${WEB_PIDS[0]}"
	lighttpd_start socket "$WS/run/status.sock"
	status_requests
	http "$WEB/fcgi_status.pl?do=warn&tag=w$$"
	assert_status 200 warn
	ws_wait 20 grep -qF "fcgi_status warning tag=w$$" "$WS/log/lighttpd.error"
}

@test "lighttpd (\"socket\"): a 10 MB request body goes in and a 10 MB response comes out, byte for byte" {
	use_script fcgi_echo.pl
	fcgi_start main "$SOCK" "$W/fcgi_echo.pl"
	lighttpd_start socket "$SOCK"
	echo_requests
}

@test "lighttpd (\"host\", \"port\"): GET, POST and a 10 MB body both ways over TCP" {
	use_script fcgi_form.pl
	use_script fcgi_echo.pl
	port=$(free_port)
	# One instance per script; lighttpd sends every *.pl to one
	# backend, so each script gets its own lighttpd.
	fcgi_start form "127.0.0.1:$port" "$W/fcgi_form.pl"
	lighttpd_start host "127.0.0.1:$port"
	form_requests

	ws_stop_pid "${WEB_PIDS[0]}"
	port=$(free_port)
	fcgi_start echo "127.0.0.1:$port" "$W/fcgi_echo.pl"
	lighttpd_start host "127.0.0.1:$port"
	echo_requests
}

# spawned_pid: the pid of the FastCGI server lighttpd spawned.
spawned_pid() {
	cat "$WS/run/spawned.pid"
}

# spawned_up: lighttpd's FastCGI server has written its pid (ws_wait).
spawned_up() {
	[ -s "$WS/run/spawned.pid" ]
}

@test "lighttpd (\"bin-path\"): lighttpd spawns speedy-fcgi with the listening socket on descriptor 0; GET, POST and bodies work" {
	use_script fcgi_form.pl
	lighttpd_start spawn "$W/fcgi_form.pl"
	# speedy-fcgi gets no -l: it must take descriptor 0.
	form_requests
	if [ "$FCGI_SERVER" = speedy-fcgi ]; then
		ws_wait 20 spawned_up
		pid=$(spawned_pid)
		assert_eq "$(ppid_of "$pid")" "${WEB_PIDS[0]}" \
		    "parent of the spawned server"
		# It listens on the socket lighttpd made (lighttpd adds "-0").
		ss -xlp | grep -F "$WS/run/spawned.sock-0 " | grep -q "pid=$pid," || {
			echo "speedy-fcgi $pid does not hold $WS/run/spawned.sock-0:"
			ss -xlp | grep -F "$WS/"
			return 1
		}
		assert_eq "$(stat -c %U "/proc/$pid")" "$RUN_AS" \
		    "user of the spawned server"
		# Its backends run as that user too, in the TmpBase it was
		# given.
		dir="$WS/spawn/sp.$(id -u "$RUN_AS")"
		[ -n "$(pids_in "$dir")" ] || {
			echo "no backends in $dir"
			return 1
		}
		for p in $(pids_in "$dir"); do
			assert_eq "$(stat -c %U "/proc/$p")" "$RUN_AS" \
			    "user of backend $p"
		done
	fi

	# lighttpd stops what it spawned when it stops.
	ws_stop_pid "${WEB_PIDS[0]}"
	if [ "$FCGI_SERVER" = speedy-fcgi ]; then
		ws_wait 30 gone "$pid" || {
			echo "the spawned speedy-fcgi $pid still runs after lighttpd stopped"
			return 1
		}
	fi
}

@test "lighttpd (\"bin-path\"): a 10 MB body both ways through the spawned server" {
	use_script fcgi_echo.pl
	lighttpd_start spawn "$W/fcgi_echo.pl"
	echo_requests
}
