#!/usr/bin/env bats
# speedy-fcgi behind Apache 2.4 with mod_proxy_fcgi (issue "FastCGI server
# mode"): GET and POST, 10 MB bodies both ways, the script's status and
# headers, over TCP (SetHandler "proxy:fcgi://...") and over a Unix
# socket (ProxyPass "unix:...|fcgi://..."), and the --root dispatcher with
# the SCRIPT_FILENAME forms Apache sends.
#
# Apache's workers run as www-data: they reach speedy-fcgi over TCP, or
# over a Unix socket of mode 0666 (--mode) in a directory they can
# traverse.  tests/webservers.bash starts the servers; the scripts are
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

# serve SCRIPT ADDRESS: installs tests/scripts/SCRIPT in the document
# root, and starts speedy-fcgi serving it on ADDRESS and Apache in front.
serve() {
	use_script "$1"
	fcgi_start main "$2" "$W/$1"
	# fcgiwrap cannot find a script named "proxy:fcgi://..."; speedy-fcgi
	# serving one script ignores SCRIPT_FILENAME, so it gets Apache's
	# default form.
	if [ "$FCGI_SERVER" = fcgiwrap ]; then
		APACHE_TYPE=GENERIC
	fi
	apache_start "$2"
}

@test "apache: GET and POST (urlencoded and multipart) reach a CGI.pm script over TCP" {
	serve fcgi_form.pl "127.0.0.1:$(free_port)"

	http "$WEB/fcgi_form.pl/extra/path?a=1&b=hello+world&b=again"
	assert_status 200 GET
	for l in method=GET "param a=1" "param b=hello world" "param b=again" \
	    GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME=/fcgi_form.pl \
	    PATH_INFO=/extra/path "QUERY_STRING=a=1&b=hello+world&b=again" \
	    "0=$W/fcgi_form.pl" "cwd=$W"; do
		has_line "$BODY" "$l"
	done
	assert_match "$BODY" $'\nSERVER_SOFTWARE=Apache'

	post_requests "$WEB/fcgi_form.pl"
}

@test "apache: GET and POST through ProxyPass over a Unix socket (mode 0666, www-data workers)" {
	serve fcgi_form.pl "$SOCK"
	[ "$(stat -c %a "$SOCK")" = 666 ] || {
		echo "socket mode $(stat -c %a "$SOCK"), expected 666"
		return 1
	}
	http "$WEB/pp/fcgi_form.pl?a=1"
	assert_status 200 "GET through ProxyPass"
	has_line "$BODY" method=GET
	has_line "$BODY" "param a=1"
	http "$WEB/pp/fcgi_form.pl" -d 'x=2'
	assert_status 200 "POST through ProxyPass"
	has_line "$BODY" method=POST
	has_line "$BODY" "param x=2"
	# And the SetHandler form over the same socket.
	http "$WEB/fcgi_form.pl?a=3"
	assert_status 200 "GET through SetHandler proxy:unix:"
	has_line "$BODY" "param a=3"
}

@test "apache: 100 GETs and 100 POSTs, 4 at a time, over a Unix socket all succeed" {
	# Apache writes the end of the request's STDIN stream in a write
	# of its own, after the rest: a server that answers and closes the
	# connection before reading it makes that write fail (EPIPE), and
	# Apache answers 503 although the script ran.
	serve fcgi_form.pl "$SOCK"
	http_batch "$WS/get" 100 4 "$WEB/fcgi_form.pl?a=1"
	batch_check "$WS/get" 100 '^method=GET$'
	http_batch "$WS/post" 100 4 "$WEB/pp/fcgi_form.pl" -d x=1
	batch_check "$WS/post" 100 '^method=POST$'
}

@test "apache: a 10 MB request body goes in and a 10 MB response comes out, byte for byte, over both transports" {
	use_script fcgi_echo.pl
	port=$(free_port)
	fcgi_start tcp "127.0.0.1:$port" "$W/fcgi_echo.pl"
	fcgi_start unix "$SOCK" "$W/fcgi_echo.pl"
	[ "$FCGI_SERVER" != fcgiwrap ] || APACHE_TYPE=GENERIC
	apache_start "127.0.0.1:$port"
	big_body
	echo_big "$WEB/fcgi_echo.pl" "10 MB POST over TCP"

	# A second Apache, in front of the Unix socket.
	ws_stop_pid "${WEB_PIDS[0]}"
	apache_start "$SOCK"
	echo_big "$WEB/pp/fcgi_echo.pl" "10 MB POST over a Unix socket"
}

@test "apache: the script's status and headers reach the client; a script that dies is a server error" {
	serve fcgi_status.pl "127.0.0.1:$(free_port)"

	status_requests

	http "$WEB/fcgi_status.pl?do=warn&tag=w$$"
	assert_status 200 warn
	ws_wait 20 grep -qF "fcgi_status warning tag=w$$" "$WS/log/apache.error"

	# A script that dies before any output: no response header, a
	# server error.  (fcgiwrap sends an empty response, that Apache
	# passes on as an empty 200.)
	http "$WEB/fcgi_status.pl?do=die&tag=d$$"
	if [ "$FCGI_SERVER" = speedy-fcgi ]; then
		assert_status '5[0-9][0-9]' die
	fi
	ws_wait 20 grep -qF "fcgi_status died tag=d$$" "$WS/log/apache.error"

	http "$WEB/fcgi_status.pl"
	assert_status 200 "the request after"
	assert_eq "$BODY" ok
}

# root_setup: a root $R with a.pl and sub/b.pl, a script outside it, and
# a symbolic link from the root to that script; speedy-fcgi --root $R.
root_setup() {
	R="$W/root"
	mkdir -p "$R/sub"
	install_as fcgi_whoami.pl "$R/a.pl"
	install_as fcgi_whoami.pl "$R/sub/b.pl"
	install_as fcgi_whoami.pl "$W/outside.pl"
	ln -s ../outside.pl "$R/link.pl"
	fcgi_start main "127.0.0.1:$(free_port)" --root "$R"
}

# root_requests: the scripts under the root are served through the
# SetHandler set-up (Apache's document root is $W, so the URLs name
# /root/...), and the link out of it is refused.
root_requests() {
	http "$WEB/root/a.pl"
	assert_status 200 /root/a.pl
	has_line "$BODY" script=a.pl
	http "$WEB/root/sub/b.pl/more/path?x=1"
	assert_status 200 "/root/sub/b.pl with a PATH_INFO"
	has_line "$BODY" script=b.pl
	http "$WEB/root/link.pl"
	assert_status '403|404' "symlink out of the root"
	http "$WEB/root/missing.pl"
	assert_status 404 "missing script"
	[ ! -e "$W/ran.outside.pl" ] || {
		echo "the script outside the root ran"
		return 1
	}
}

@test "apache: --root with ProxyFCGIBackendType GENERIC (SCRIPT_FILENAME is the plain path)" {
	need_speedy_fcgi "--root dispatcher"
	root_setup
	APACHE_TYPE=GENERIC apache_start "${FCGI_ADDR[main]}"
	root_requests
}

@test "apache: --root with Apache's default set-up refuses, as documented (SCRIPT_FILENAME is \"proxy:fcgi://HOST:PORT/path\")" {
	need_speedy_fcgi "--root dispatcher"
	root_setup
	# Without ProxyFCGIBackendType GENERIC, Apache's SCRIPT_FILENAME is
	# no path: speedy-fcgi(1) says the dispatcher needs GENERIC.  The
	# request is refused, and nothing runs.
	apache_start "${FCGI_ADDR[main]}"
	http "$WEB/root/a.pl"
	assert_status '403|404' "/root/a.pl with a proxy:fcgi:// SCRIPT_FILENAME"
	[ ! -e "$R/ran.a.pl" ] || {
		echo "a.pl ran"
		return 1
	}
	ws_wait 20 grep -qF "proxy:fcgi://${FCGI_ADDR[main]}$R/a.pl" \
	    "$WS/log/apache.error"
}
