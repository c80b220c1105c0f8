#!/usr/bin/env bats
# speedy-fcgi behind a real nginx (issue "FastCGI server mode"): GET and
# POST, the script's status and headers, 10 MB bodies both ways, many
# concurrent requests, keep-alive connections, a graceful restart and a
# killed backend under load, fail-over between two instances, and the
# --root dispatcher with paths that must be refused.
#
# tests/webservers.bash starts the servers (SPEEDY_FCGI_SERVER=fcgiwrap
# runs the suite against fcgiwrap, to check the harness).  The scripts are
# tests/scripts/fcgi_*.pl.  No test asserts a duration; every wait is
# bounded.

load helpers
load lib
load webservers

setup() {
	ws_suite_setup
	declare -gA GATE_PID=()
}

teardown() {
	ws_suite_teardown
}

# serve SCRIPT ADDRESS: installs tests/scripts/SCRIPT in the document
# root, and starts speedy-fcgi serving it on ADDRESS and nginx in front.
serve() {
	use_script "$1"
	fcgi_start main "$2" "$W/$1"
	nginx_start "$2"
}

# serve_two SCRIPT: speedy-fcgi instances a and b serving SCRIPT on the
# TCP ports $pa and $pb, both in one nginx upstream.
serve_two() {
	use_script "$1"
	pa=$(free_port)
	pb=$(free_port)
	fcgi_start a "127.0.0.1:$pa" "$W/$1"
	fcgi_start b "127.0.0.1:$pb" "$W/$1"
	nginx_start "127.0.0.1:$pa" "127.0.0.1:$pb"
}

# bodies_field DIR KEY: the values of KEY= in the bodies of batch DIR,
# sorted, without duplicates.
bodies_field() {
	cat "$1"/body.* | tr ' ' '\n' | sed -n "s/^$2=//p" | sort -u
}

# ------------------------------------------------------------ gated requests
# A request to fcgi_counter.pl with gate=G writes its pid to $W/started.G
# and waits for $W/go.G: the test decides when it ends.

# gated_start G URL: starts request G (gate=G&id=gG) in the background.
gated_start() {
	curl -sS --globoff --max-time 90 -o "$WS/tmp/gate.$1.body" \
	    -w '%{http_code}' "$2?gate=$1&id=g$1" >"$WS/tmp/gate.$1.code" \
	    2>"$WS/tmp/gate.$1.err" </dev/null 3>&- &
	GATE_PID[$1]=$!
	LOAD_PIDS+=($!)
}

# gate_started G: request G runs in a backend (for ws_wait).
gate_started() {
	[ -s "$W/started.$1" ]
}

# gate_pid G: the backend that runs request G.
gate_pid() {
	cat "$W/started.$1"
}

# gate_finish G: lets request G end, waits for it (up to 90 s), and sets
# GATE_STATUS and GATE_BODY.
gate_finish() {
	: >"$W/go.$1"
	ws_wait 90 gone "${GATE_PID[$1]}" || {
		echo "gated request $1 did not end"
		return 1
	}
	wait "${GATE_PID[$1]}" || true
	GATE_STATUS=$(cat "$WS/tmp/gate.$1.code")
	GATE_BODY=$(cat "$WS/tmp/gate.$1.body" 2>/dev/null) || GATE_BODY=
}

# ---------------------------------------------------------------- requests

@test "nginx: GET and POST (urlencoded and multipart) reach a CGI.pm script with the CGI variables" {
	serve fcgi_form.pl "$SOCK"

	# A 6000-byte cookie takes a parameter length of four bytes.
	cookie=$(perl -e 'print "x" x 6000')
	http "$WEB/fcgi_form.pl/extra/path?a=1&b=hello+world&b=again" \
	    -H "Cookie: big=$cookie"
	assert_status 200 GET
	for l in method=GET "param a=1" "param b=hello world" "param b=again" \
	    GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME=/fcgi_form.pl \
	    PATH_INFO=/extra/path "QUERY_STRING=a=1&b=hello+world&b=again" \
	    cookie_len=6004 "0=$W/fcgi_form.pl" "cwd=$W"; do
		has_line "$BODY" "$l"
	done
	assert_match "$BODY" $'\nSERVER_SOFTWARE=nginx/'
	assert_match "$(header Content-Type)" '^text/plain; charset=utf-8$'

	# One script serves every request, whatever SCRIPT_FILENAME says.
	if [ "$FCGI_SERVER" = speedy-fcgi ]; then
		http "$WEB/elsewhere.pl?a=2"
		assert_status 200 "another SCRIPT_FILENAME"
		has_line "$BODY" "param a=2"
		has_line "$BODY" "0=$W/fcgi_form.pl"
	fi

	post_requests "$WEB/fcgi_form.pl"
}

@test "nginx: the script's status and headers reach the client; its STDERR reaches the error log" {
	serve fcgi_status.pl "127.0.0.1:$(free_port)"

	status_requests

	http "$WEB/fcgi_status.pl?do=warn&tag=w$$"
	assert_status 200 warn
	assert_eq "$BODY" warned
	ws_wait 20 log_has "$WS/log/nginx.error" "fcgi_status warning tag=w$$"

	# A script that dies before any output: no response header, so
	# nginx answers 502, and logs perl's message.
	http "$WEB/fcgi_status.pl?do=die&tag=d$$"
	assert_status 502 die
	ws_wait 20 log_has "$WS/log/nginx.error" "fcgi_status died tag=d$$"

	http "$WEB/fcgi_status.pl"
	assert_status 200 "the request after"
	assert_eq "$BODY" ok
}

@test "nginx: a script that does not compile gives 502 and perl's message in the error log; once fixed it is served" {
	serve fcgi_broken.pl "$SOCK"
	http "$WEB/fcgi_broken.pl"
	assert_status 502 "broken script"
	ws_wait 20 log_has "$WS/log/nginx.error" \
	    'Global symbol "$undeclared_fcgi_variable" requires explicit package name'
	http "$WEB/fcgi_broken.pl"
	assert_status 502 "broken script, again"

	# The fixed script is another file (inode) with another mtime.
	{ head -n 1 "$W/fcgi_broken.pl"
	  printf 'print "Content-Type: text/plain\\r\\n\\r\\nfixed\\n";\n'
	} >"$W/fixed"
	chmod 755 "$W/fixed"
	touch -m -d "@$(($(stat -c %Y "$W/fcgi_broken.pl") - 100))" "$W/fixed"
	mv "$W/fixed" "$W/fcgi_broken.pl"
	http "$WEB/fcgi_broken.pl"
	assert_status 200 "fixed script"
	assert_eq "$BODY" fixed
}

@test "nginx: a 10 MB request body goes in and a 10 MB response comes out, byte for byte" {
	serve fcgi_echo.pl "127.0.0.1:$(free_port)"
	big_body
	echo_big "$WEB/fcgi_echo.pl" "10 MB POST"
	# The same body sent chunked: nginx reads it all, then passes it on
	# with its length.
	echo_big "$WEB/fcgi_echo.pl" "10 MB chunked POST" \
	    -H 'Transfer-Encoding: chunked'

	# An empty body.
	http "$WEB/fcgi_echo.pl" -X POST -H 'Content-Length: 0'
	assert_status 200 "empty POST"
	assert_eq "$(header X-Body-Length)" 0 "length of an empty body"
	[ ! -s "$RESP" ]
}

@test "nginx: 200 requests, 16 at a time, are all answered, each with its own body" {
	serve fcgi_counter.pl "$SOCK"
	http_batch "$WS/b" 200 16 "$WEB/fcgi_counter.pl?sleep=0.005"
	batch_check "$WS/b" 200 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	# One compilation served them all.
	assert_eq "$(bodies_field "$WS/b" gen | grep -c .)" 1 \
	    "number of compilations"

	# A clean stop removes the socket and the pidfile; nginx then has
	# nobody to pass requests to.
	fcgi_stop main TERM
	if [ "$FCGI_SERVER" = speedy-fcgi ]; then
		assert_eq "$FCGI_RC" 0 "exit status after SIGTERM"
		[ ! -e "$SOCK" ] && [ ! -e "$WS/run/fcgi.main.pid" ] || {
			echo "left after a clean stop: $(ls "$SOCK" "$WS/run/fcgi.main.pid" 2>/dev/null)"
			return 1
		}
	fi
	http "$WEB/fcgi_counter.pl"
	assert_status 502 "request with the server stopped"
}

@test "nginx: keep-alive connections (fastcgi_keep_conn) carry many requests correctly" {
	port=$(free_port)
	# As speedy-fcgi(1) suggests: nginx keeps at most 8 idle
	# connections per worker (2 workers, so 16), fewer than the 16 per
	# speedy-fcgi worker it would then start closing; more than its 4
	# workers, each of which serves several connections.  (A process of
	# fcgiwrap holds one connection until it closes: with more cached
	# than its 4 processes, requests wait for one forever.)
	keep=8
	if [ "$FCGI_SERVER" = fcgiwrap ]; then
		keep=1
	fi
	NGINX_KEEPALIVE=$keep serve fcgi_counter.pl "127.0.0.1:$port"

	http_batch "$WS/seq" 50 1 "$WEB/fcgi_counter.pl"
	batch_check "$WS/seq" 50 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	# The connections stay open between requests: nginx keeps them
	# idle, and speedy-fcgi did not close them after END_REQUEST.
	conns=$(ss -Htn state established "( dport = :$port )" | grep -c .) || true
	[ "$conns" -ge 1 ] || {
		echo "no kept-alive connection to port $port:"
		ss -tan "( sport = :$port or dport = :$port )"
		return 1
	}

	http_batch "$WS/par" 200 16 "$WEB/fcgi_counter.pl"
	batch_check "$WS/par" 200 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	http "$WEB/fcgi_counter.pl?id=last"
	assert_status 200 "request after the batches"
	assert_match "$BODY" '^id=last pid=[0-9]+ n=[0-9]+ gen='
}

# ----------------------------------------------------- restarts and failures

@test "nginx: SIGHUP under load: no request fails, a busy backend finishes its request, then all are replaced" {
	need_speedy_fcgi "graceful restart on SIGHUP"
	serve fcgi_counter.pl "$SOCK"
	master=$(fcgi_pid main)
	http_batch "$WS/warm" 6 2 "$WEB/fcgi_counter.pl"
	batch_check "$WS/warm" 6 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	gen0=$(bodies_field "$WS/warm" gen)
	assert_one_line "$gen0" "compilations before the restart"
	old=$(bodies_field "$WS/warm" pid)

	gated_start 1 "$WEB/fcgi_counter.pl"
	ws_wait 30 gate_started 1
	busy=$(gate_pid 1)
	http_batch_bg "$WS/load" 200 8 "$WEB/fcgi_counter.pl?sleep=0.01"
	ws_wait 60 batch_at_least "$WS/load" 20
	kill -HUP "$master"
	batch_wait "$WS/load"
	batch_check "$WS/load" 200 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'

	# The busy backend is still there, in its request, and ends it.
	if gone "$busy"; then
		echo "the busy backend $busy left before its request ended"
		return 1
	fi
	gate_finish 1
	assert_eq "$GATE_STATUS" 200 "status of the request held over the restart"
	assert_match "$GATE_BODY" "^id=g1 pid=$busy n=[0-9]+ gen=$gen0\$"

	# Then the old backends are gone, and requests compile afresh.
	ws_wait 30 all_gone $old "$busy" || {
		echo "old backends still running: $(for p in $old $busy; do gone $p || echo $p; done)"
		return 1
	}
	http "$WEB/fcgi_counter.pl?id=after"
	assert_status 200 "request after the restart"
	gen1=$(printf '%s\n' "$BODY" | tr ' ' '\n' | sed -n 's/^gen=//p')
	[ -n "$gen1" ] && [ "$gen1" != "$gen0" ] || {
		echo "not compiled afresh: gen $gen1, before $gen0"
		return 1
	}
	assert_eq "$(fcgi_pid main)" "$master" "master pid"
	fcgi_alive main
}

@test "nginx: a backend killed under load fails only the request it was running" {
	serve fcgi_counter.pl "$SOCK"
	gated_start 1 "$WEB/fcgi_counter.pl"
	ws_wait 30 gate_started 1
	victim=$(gate_pid 1)
	# The request runs in one of this test's backends (the queue
	# directory of its TmpBase has its socket).
	backend_pids | grep -qx "$victim" || {
		echo "$victim is not among the backends: $(backend_pids)"
		return 1
	}
	http_batch_bg "$WS/load" 60 3 "$WEB/fcgi_counter.pl?sleep=0.01"
	ws_wait 60 batch_at_least "$WS/load" 5
	kill -KILL "$victim"
	ws_wait 90 gone "${GATE_PID[1]}"
	gate_finish 1
	assert_eq "$GATE_STATUS" 502 "status of the killed request"
	batch_wait "$WS/load"
	batch_check "$WS/load" 60 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	if [ "$FCGI_SERVER" = speedy-fcgi ]; then
		ws_wait 20 log_has "$WS/log/nginx.error" "speedy-fcgi: "
	fi

	http_batch "$WS/after" 10 2 "$WEB/fcgi_counter.pl"
	batch_check "$WS/after" 10 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	fcgi_alive main
}

@test "nginx: two instances behind one upstream: after one is killed, every request is served by the other" {
	serve_two fcgi_counter.pl

	# Sequential requests: each nginx worker alternates between the
	# two, so with 2 workers and 20 requests both serve some.
	http_batch "$WS/before" 20 1 "$WEB/fcgi_counter.pl"
	batch_check "$WS/before" 20 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	grep -q "upstream=127.0.0.1:$pa/200" "$WS/log/nginx.access"
	grep -q "upstream=127.0.0.1:$pb/200" "$WS/log/nginx.access"

	# Instance a crashes: master and workers killed at once.
	fcgi_kill_tree a KILL
	: >"$WS/log/nginx.access"
	http_batch "$WS/after" 40 8 "$WEB/fcgi_counter.pl"
	batch_check "$WS/after" 40 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	if grep -q "upstream=127.0.0.1:$pa/200" "$WS/log/nginx.access"; then
		echo "the killed instance served a request:"
		cat "$WS/log/nginx.access"
		return 1
	fi
	fcgi_alive b
}

@test "nginx: two instances behind one upstream: one stopped with SIGTERM under load, no request fails" {
	# fcgiwrap's processes die on SIGTERM with their requests.
	need_speedy_fcgi "graceful stop on SIGTERM"
	serve_two fcgi_counter.pl

	http_batch_bg "$WS/load" 150 8 "$WEB/fcgi_counter.pl?sleep=0.02"
	ws_wait 60 batch_at_least "$WS/load" 20
	fcgi_stop a TERM
	assert_eq "$FCGI_RC" 0 "exit status of a after SIGTERM"
	[ ! -e "$WS/run/fcgi.a.pid" ] || {
		echo "the pidfile is left after a clean stop"
		return 1
	}
	batch_wait "$WS/load"
	batch_check "$WS/load" 150 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	http_batch "$WS/after" 10 2 "$WEB/fcgi_counter.pl"
	batch_check "$WS/after" 10 '^id=ID pid=[0-9]+ n=[0-9]+ gen=[0-9]'
	fcgi_alive b
}

# ------------------------------------------------------------ dispatcher

@test "nginx: --root serves the scripts under the root and refuses symlinks and paths that lead out of it" {
	need_speedy_fcgi "--root dispatcher"
	R="$W/root"
	mkdir -p "$R/sub" "$R/dir.pl"
	install_as fcgi_whoami.pl "$R/a.pl"
	install_as fcgi_whoami.pl "$R/sub/b.pl"
	install_as fcgi_whoami.pl "$W/outside.pl"
	ln -s ../outside.pl "$R/link.pl"
	ln -s sub/b.pl "$R/alias.pl"
	fcgi_start main "$SOCK" --root "$R"
	# /raw/ passes the client's X-Script header as SCRIPT_FILENAME, as
	# a careless front end might: speedy-fcgi must confine it itself.
	NGINX_ROOT=$R NGINX_SERVER='location ^~ /raw/ {
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME $http_x_script;
			fastcgi_pass speedy;
		}' nginx_start "$SOCK"

	http "$WEB/a.pl"
	assert_status 200 /a.pl
	has_line "$BODY" script=a.pl
	has_line "$BODY" "0=$R/a.pl"
	http "$WEB/sub/b.pl"
	assert_status 200 /sub/b.pl
	has_line "$BODY" script=b.pl
	# A symlink that stays under the root is fine.
	http "$WEB/alias.pl"
	assert_status 200 /alias.pl
	assert_match "$BODY" '^script=(alias|b)\.pl'
	http "$WEB/raw/x" -H "X-Script: $R/sub/../a.pl"
	assert_status 200 "sub/../a.pl under the root"
	has_line "$BODY" script=a.pl

	# Refused: 403 or 404, and the script outside never runs.
	http "$WEB/link.pl"
	assert_status '403|404' "symlink out of the root"
	http "$WEB/raw/x" -H "X-Script: $R/../outside.pl"
	assert_status '403|404' "root/../outside.pl"
	http "$WEB/raw/x" -H "X-Script: $R/sub/../../outside.pl"
	assert_status '403|404' "root/sub/../../outside.pl"
	http "$WEB/raw/x" -H "X-Script: $W/outside.pl"
	assert_status '403|404' "absolute path outside the root"
	http "$WEB/raw/x"
	assert_status '403|404' "empty SCRIPT_FILENAME"
	# nginx itself refuses a URL that climbs above its root.
	http "$WEB/sub/../../outside.pl" --path-as-is
	assert_status '400|403|404' "URL with /../ above the root"
	http "$WEB/missing.pl"
	assert_status 404 "missing script"
	http "$WEB/dir.pl"
	assert_status '403|404' "a directory"
	[ ! -e "$W/ran.outside.pl" ] || {
		echo "the script outside the root ran"
		return 1
	}
	[ -s "$R/ran.a.pl" ]

	# The server goes on serving.
	http "$WEB/sub/b.pl"
	assert_status 200 "/sub/b.pl after the refusals"
}
