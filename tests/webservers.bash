# webservers.bash: real web servers (nginx, Apache with mod_proxy_fcgi,
# lighttpd with mod_fastcgi) in front of the FastCGI server under test, for
# the tests/fcgi_*.bats suites.  A suite does
#
#	load helpers
#	load lib
#	load webservers
#	setup() { speedy_setup; lib_setup; ws_setup; }
#	teardown() { ws_teardown; lib_teardown; speedy_teardown; }
#
# Every server a test starts runs with its own configuration, pid and log
# files under $WS, listens on 127.0.0.1 ports or Unix sockets in $WS, and
# is stopped by ws_teardown by its pid, also when the test fails.  The web
# servers hand requests to workers running as www-data, as installed ones
# do, so $WS, which also holds the document root $W, is a world-readable
# directory (world_dir) and not the private bats one; the FastCGI server's
# Unix sockets are made mode 0666.
#
# The FastCGI server is speedy-fcgi ($FCGI).  SPEEDY_FCGI_SERVER=fcgiwrap
# runs the same tests against Debian's fcgiwrap instead, the scripts then
# running through the speedy frontend named by their #! line: that checks
# the harness itself, with a FastCGI server known to work.  Tests of what
# only speedy-fcgi does (graceful restart, the --root dispatcher) call
# need_speedy_fcgi, which skips them then.  fcgi_argv is the one place
# that builds the server's command line.

# ws_setup: per-test state; after speedy_setup and lib_setup.
ws_setup() {
	world_dir
	WS=$ROOT_TMP
	# The document root: use_script and mkscript install scripts here.
	W="$WS/www"
	mkdir -p "$W/plain" "$WS/run" "$WS/log" "$WS/tmp"
	FCGI_SERVER=${SPEEDY_FCGI_SERVER:-speedy-fcgi}
	FCGI_NPROC=4
	declare -gA FCGI_PID=() FCGI_ADDR=()
	FCGI_NAMES=()	# the FastCGI servers started by fcgi_start
	WEB_PIDS=()	# the web servers' master processes
	LOAD_PIDS=()	# background request batches (http_batch_bg)
	case $FCGI_SERVER in
	speedy-fcgi)
		if [ ! -x "$FCGI" ]; then
			echo "the FastCGI server $FCGI is not built"
			return 1
		fi
		;;
	fcgiwrap)
		ws_have fcgiwrap || skip "fcgiwrap is not installed"
		;;
	*)
		echo "SPEEDY_FCGI_SERVER=$FCGI_SERVER: not speedy-fcgi or fcgiwrap"
		return 1
		;;
	esac
	RUN_AS=
	if [ "$(id -u)" -eq 0 ]; then
		RUN_AS=www-data
		id "$RUN_AS" >/dev/null 2>&1 || RUN_AS=nobody
	fi
}

# ws_teardown: stops the load generators, the web servers, then the
# FastCGI servers, and shows the logs of a test that failed.  A clean
# stop is part of what is tested: it fails if a FastCGI server (and its
# workers) did not exit within 30 s of SIGTERM, after which it is killed.
ws_teardown() {
	local p n rc=0
	if [ -z "${BATS_TEST_COMPLETED:-}" ]; then
		fcgi_diag
	fi
	for p in "${LOAD_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${WEB_PIDS[@]}"; do
		ws_stop_pid "$p"
	done
	for n in "${FCGI_NAMES[@]}"; do
		fcgi_alive "$n" || continue
		if ! fcgi_stop "$n" TERM; then
			fcgi_diag
			fcgi_kill_tree "$n" KILL
			rc=1
		fi
	done
	# A FastCGI server that a web server spawned (lighttpd's bin-path)
	# has left its pid in $WS/run/spawned.pid.
	if [ -s "$WS/run/spawned.pid" ]; then
		p=$(cat "$WS/run/spawned.pid")
		gone "$p" || stop_pids "$p"
	fi
	# Whatever is left that was started with a path in $WS (a worker
	# orphaned by its master, say) is this test's.
	stop_pids $(ws_leftovers)
	if [ -z "${BATS_TEST_COMPLETED:-}" ] || [ "$rc" -ne 0 ]; then
		ws_show_logs
	fi
	return "$rc"
}

# ws_leftovers: the live processes, other than this shell, whose command
# line names something in $WS.
ws_leftovers() {
	live_pids_of $(grep -lsF -- "$WS/" /proc/[0-9]*/cmdline)
}

# fcgi_diag: shows the state of every FastCGI server of this test and its
# workers (for a test that failed): what each process waits in, and its
# descriptors; then the queue of this test's backends.
fcgi_diag() {
	local n p
	for n in "${FCGI_NAMES[@]}"; do
		for p in "${FCGI_PID[$n]}" $(fcgi_children "$n"); do
			gone "$p" && continue
			echo "---- FastCGI server $n, process $p:" \
			    "state $(sed 's/.*) //' "/proc/$p/stat" | cut -d ' ' -f 1)," \
			    "waits in $(cat "/proc/$p/wchan" 2>/dev/null)"
			ls -l "/proc/$p/fd" 2>/dev/null | sed -n 's/.* \([0-9]* -> \)/\1/p' |
			    tr '\n' ' '
			echo
		done
	done
	if [ -f "$SPEEDY_DIR/queue.3" ]; then
		echo "---- backends ($SPEEDY_DIR):"
		queue_dump 2>&1 | head -n 30
	fi
}

# ws_show_logs: prints the tail of every log of this test.
ws_show_logs() {
	local f
	for f in "$WS"/log/*; do
		[ -s "$f" ] || continue
		echo "---- $(basename "$f") (last 40 lines)"
		tail -n 40 "$f"
	done
}

# ws_have PROGRAM: PROGRAM is installed (also looked for in the sbin
# directories, which a non-login PATH may lack).
ws_have() {
	PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1
}

# ws_prog PROGRAM: the path of PROGRAM.
ws_prog() {
	PATH="$PATH:/usr/sbin:/sbin" command -v "$1"
}

# need_speedy_fcgi WHAT: skips the test when the server under test is not
# speedy-fcgi (WHAT says what only speedy-fcgi does).
need_speedy_fcgi() {
	if [ "$FCGI_SERVER" != speedy-fcgi ]; then
		skip "$FCGI_SERVER has no $1"
	fi
}

# ws_wait SECONDS COMMAND...: retries COMMAND every 0.1 s until it
# succeeds or SECONDS have passed (a bound, not a timing assertion); a
# COMMAND that returns 2 gives up at once (it will never succeed).
ws_wait() {
	local end=$((SECONDS + $1)) rc
	shift
	while :; do
		rc=0
		"$@" || rc=$?
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -eq 2 ] && return 1
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on and
# that this test has not handed out yet (it is called in $(...), so the
# ports handed out are kept in a file).  The ports come from below the
# kernel's ephemeral range (32768 up), so that no outgoing connection
# takes one between this check and the server's bind.
free_port() {
	local p
	while :; do
		p=$(perl -MIO::Socket::INET -e '
		    for (1 .. 500) {
			my $p = 20000 + int rand 12000;
			my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			    LocalPort => $p, Listen => 1) or next;
			print "$p\n";
			exit 0;
		    }
		    die "free_port: no free port found\n";') || return 1
		if ! grep -qx "$p" "$WS/run/ports" 2>/dev/null; then
			echo "$p" >>"$WS/run/ports"
			echo "$p"
			return 0
		fi
	done
}

# can_connect ADDRESS: a connection to ADDRESS (a Unix socket path or
# host:port) succeeds.
can_connect() {
	perl -MIO::Socket::INET -MIO::Socket::UNIX -e '
	    my $a = shift;
	    my $s = $a =~ m{/}
		? IO::Socket::UNIX->new(Peer => $a)
		: IO::Socket::INET->new(PeerAddr => $a, Timeout => 5);
	    exit($s ? 0 : 1);' "$1"
}

# ws_stop_pid PID: TERM, wait up to 20 s for PID to exit, then KILL.
ws_stop_pid() {
	gone "$1" && return 0
	kill -TERM "$1" 2>/dev/null || true
	ws_wait 20 gone "$1" && return 0
	kill -KILL "$1" 2>/dev/null || true
	ws_wait 10 gone "$1" || true
}

# -------------------------------------------------------- FastCGI servers

# fcgi_argv ADDRESS PIDFILE ARGS...: sets the array FCGI_ARGV to the
# command that runs the FastCGI server under test, listening on ADDRESS (a
# Unix socket path or host:port; empty: the listening socket is descriptor
# 0), writing its pid to PIDFILE (if not empty), serving ARGS (a script,
# or --root DIR, with any options before them).
fcgi_argv() {
	local addr=$1 pidfile=$2 last
	shift 2
	case $FCGI_SERVER in
	speedy-fcgi)
		FCGI_ARGV=("$FCGI" -n "$FCGI_NPROC")
		if [ -n "$pidfile" ]; then
			FCGI_ARGV+=(-p "$pidfile")
		fi
		case $addr in
		'') ;;
		*/*) FCGI_ARGV+=(-l "$addr" --mode 0666) ;;
		*) FCGI_ARGV+=(-l "$addr") ;;
		esac
		FCGI_ARGV+=("$@")
		;;
	fcgiwrap)
		# fcgiwrap runs the script that SCRIPT_FILENAME names, through
		# the kernel's #!; -p confines it to the one script, as
		# speedy-fcgi's single-script mode.  It sends the scripts'
		# STDERR over FastCGI only with -f.
		FCGI_ARGV=("$(ws_prog fcgiwrap)" -f -c "$FCGI_NPROC")
		case $addr in
		'') ;;
		*/*) FCGI_ARGV+=(-s "unix:$addr") ;;
		*) FCGI_ARGV+=(-s "tcp:$addr") ;;
		esac
		last=${*: -1}
		case " $* " in
		*" --root "*) ;;
		*) FCGI_ARGV+=(-p "$last") ;;
		esac
		;;
	esac
}

# fcgi_start NAME ADDRESS ARGS...: starts the FastCGI server instance NAME
# listening on ADDRESS (see fcgi_argv), its stdout and stderr to
# $WS/log/fcgi.NAME, and waits (up to 30 s) until it listens.
fcgi_start() {
	local name=$1 addr=$2 log="$WS/log/fcgi.$1"
	shift 2
	fcgi_argv "$addr" "$WS/run/fcgi.$name.pid" "$@"
	echo "# ${FCGI_ARGV[*]}" >>"$log"
	"${FCGI_ARGV[@]}" </dev/null >>"$log" 2>&1 3>&- &
	FCGI_PID[$name]=$!
	FCGI_ADDR[$name]=$addr
	FCGI_NAMES+=("$name")
	if ! ws_wait 30 fcgi_listening "$name"; then
		echo "FastCGI server $name did not come up on $addr:"
		cat "$log"
		return 1
	fi
}

# fcgi_listening NAME: instance NAME is up (for ws_wait): speedy-fcgi
# writes its pidfile once it listens; fcgiwrap's socket takes connections
# (and is opened to the web servers' workers, as speedy-fcgi's --mode).
# Fails at once, with its log, if the server has exited.
fcgi_listening() {
	local name=$1 addr=${FCGI_ADDR[$1]} pidfile="$WS/run/fcgi.$1.pid"
	if gone "${FCGI_PID[$name]}"; then
		echo "FastCGI server $name exited:"
		cat "$WS/log/fcgi.$name"
		return 2
	fi
	case $FCGI_SERVER in
	speedy-fcgi)
		[ -s "$pidfile" ] || return 1
		assert_eq "$(cat "$pidfile")" "${FCGI_PID[$name]}" \
		    "pidfile of $name" || return 2
		;;
	fcgiwrap)
		can_connect "$addr" || return 1
		case $addr in
		*/*) chmod 0666 "$addr" ;;
		esac
		;;
	esac
}

# fcgi_pid NAME: the pid of instance NAME (speedy-fcgi's master).
fcgi_pid() {
	echo "${FCGI_PID[$1]}"
}

# fcgi_alive NAME: instance NAME is running.
fcgi_alive() {
	! gone "${FCGI_PID[$1]}"
}

# fcgi_children NAME: the live child processes of instance NAME (its
# workers).
fcgi_children() {
	local p
	for p in $(ps -o pid= --ppid "${FCGI_PID[$1]}"); do
		gone "$p" || echo "$p"
	done
	return 0
}

# fcgi_stop NAME [SIGNAL]: sends SIGNAL (default TERM) to instance NAME and
# waits up to 30 s for it and its workers to exit; its exit status is
# then in FCGI_RC.  Fails if they do not exit.  (fcgiwrap's workers do not
# stop with their master: they get the signal too.)
fcgi_stop() {
	local name=$1 pid=${FCGI_PID[$1]} kids
	kids=$(fcgi_children "$name")
	if [ "$FCGI_SERVER" = fcgiwrap ]; then
		kill -"${2:-TERM}" "$pid" $kids
	else
		kill -"${2:-TERM}" "$pid"
	fi
	if ! ws_wait 30 gone "$pid"; then
		echo "FastCGI server $name (pid $pid) did not exit on SIG${2:-TERM}"
		return 1
	fi
	FCGI_RC=0
	wait "$pid" || FCGI_RC=$?
	if ! ws_wait 30 all_gone $kids; then
		echo "workers of $name left running: $(for p in $kids; do gone "$p" || echo "$p"; done)"
		return 1
	fi
}

# fcgi_kill_tree NAME SIGNAL: sends SIGNAL to instance NAME and all its
# workers at once (KILL: the instance crashes), then makes sure that they
# are all gone (KILL after 20 s).
fcgi_kill_tree() {
	local name=$1 pids
	pids="${FCGI_PID[$name]} $(fcgi_children "$name")"
	kill -"$2" $pids 2>/dev/null || true
	if ! ws_wait 20 all_gone $pids; then
		kill -KILL $pids 2>/dev/null || true
		ws_wait 10 all_gone $pids || true
	fi
	wait "${FCGI_PID[$name]}" 2>/dev/null || true
}

# all_gone PID...: every PID has exited.
all_gone() {
	local p
	for p in "$@"; do
		gone "$p" || return 1
	done
}

# ------------------------------------------------------------ web servers

# WEB: the base URL of the web server started last.

# nginx_start ADDRESS...: starts nginx on a free port with one upstream of
# the FastCGI servers at ADDRESS... (Unix socket paths or host:port); it
# passes every *.pl under the document root $NGINX_ROOT (default $W) to
# them, with the parameters of Debian's fastcgi_params, SCRIPT_FILENAME
# and PATH_INFO, and adds the header X-Upstream (the upstreams tried).
# Settings, read when called: NGINX_KEEPALIVE=N (fastcgi_keep_conn and N
# idle upstream connections per worker), NGINX_WORKERS (default 2),
# NGINX_LOCATION (more directives for that location), NGINX_SERVER (more
# directives for the server block).
nginx_start() {
	local port conf="$WS/nginx.conf" a servers= keep= user=
	ws_have nginx || skip "nginx is not installed"
	[ -f /etc/nginx/fastcgi_params ] ||
	    skip "nginx's /etc/nginx/fastcgi_params is not installed"
	port=$(free_port) || return 1
	for a in "$@"; do
		case $a in
		*/*) servers="$servers	server unix:$a;
" ;;
		*) servers="$servers	server $a;
" ;;
		esac
	done
	if [ -n "${NGINX_KEEPALIVE:-}" ]; then
		servers="$servers	keepalive $NGINX_KEEPALIVE;
"
		keep="fastcgi_keep_conn on;"
	fi
	[ -n "$RUN_AS" ] && user="user $RUN_AS;"
	mkdir -p "$WS/nginx"
	cat >"$conf" <<EOF
daemon off;
master_process on;
worker_processes ${NGINX_WORKERS:-2};
$user
pid $WS/run/nginx.pid;
error_log $WS/log/nginx.error notice;
events { worker_connections 512; }
http {
	log_format upstream '\$request \$status upstream=\$upstream_addr/\$upstream_status';
	access_log $WS/log/nginx.access upstream;
	client_body_temp_path $WS/nginx/body;
	fastcgi_temp_path $WS/nginx/fastcgi;
	proxy_temp_path $WS/nginx/proxy;
	uwsgi_temp_path $WS/nginx/uwsgi;
	scgi_temp_path $WS/nginx/scgi;
	client_max_body_size 64m;
	upstream speedy {
$servers	}
	server {
		listen 127.0.0.1:$port;
		root ${NGINX_ROOT:-$W};
		location ~ [^/]\.pl(/|\$) {
			fastcgi_split_path_info ^(.+?\.pl)(/.*)\$;
			include /etc/nginx/fastcgi_params;
			fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
			fastcgi_param PATH_INFO \$fastcgi_path_info;
			fastcgi_pass speedy;
			fastcgi_next_upstream error timeout;
			fastcgi_read_timeout 60s;
			add_header X-Upstream \$upstream_addr always;
			$keep
			${NGINX_LOCATION:-}
		}
		${NGINX_SERVER:-}
	}
}
EOF
	"$(ws_prog nginx)" -p "$WS/nginx/" -c "$conf" -e "$WS/log/nginx.error" \
	    </dev/null >>"$WS/log/nginx.out" 2>&1 3>&- &
	web_started nginx $! "$port"
}

# apache_start ADDRESS: starts Apache (mpm_event, mod_proxy_fcgi) on a
# free port, passing the FastCGI server at ADDRESS (Unix socket path or
# host:port) every *.pl under the document root $W with SetHandler
# "proxy:fcgi://..." (the usual PHP-FPM style set-up), and every URL
# under /pp/ with ProxyPass (the script path after /pp/).  APACHE_TYPE
# (read when called) sets ProxyFCGIBackendType: empty leaves Apache's
# default, FPM, under which SCRIPT_FILENAME reads
# "proxy:fcgi://HOST:PORT/path"; GENERIC passes the plain path.
apache_start() {
	local port conf="$WS/apache.conf" addr=$1 handler pass m type= user=
	ws_have apache2 || skip "apache2 is not installed"
	m=/usr/lib/apache2/modules
	for a in mpm_event authz_core proxy proxy_fcgi; do
		[ -f "$m/mod_$a.so" ] || skip "Apache's mod_$a is not installed"
	done
	port=$(free_port) || return 1
	case $addr in
	*/*)
		handler="proxy:unix:$addr|fcgi://localhost"
		pass="unix:$addr|fcgi://localhost$W/"
		;;
	*)
		handler="proxy:fcgi://$addr"
		pass="fcgi://$addr$W/"
		;;
	esac
	if [ -n "${APACHE_TYPE:-}" ]; then
		type="ProxyFCGIBackendType $APACHE_TYPE"
	fi
	[ -n "$RUN_AS" ] && user="User $RUN_AS
Group $(id -gn "$RUN_AS")"
	cat >"$conf" <<EOF
ServerRoot $WS
ServerName localhost
Listen 127.0.0.1:$port
PidFile $WS/run/apache.pid
DefaultRuntimeDir $WS/run
Mutex file:$WS/run default
ErrorLog $WS/log/apache.error
LogLevel warn
LogFormat "%r %>s" short
$user
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule proxy_module $m/mod_proxy.so
LoadModule proxy_fcgi_module $m/mod_proxy_fcgi.so
ProxyTimeout 60
DocumentRoot $W
<Directory />
	Require all denied
</Directory>
<Directory $W>
	Require all granted
	$type
	<FilesMatch "\.pl\$">
		SetHandler "$handler"
	</FilesMatch>
</Directory>
<Location /pp/>
	Require all granted
	$type
</Location>
ProxyPass "/pp/" "$pass"
EOF
	"$(ws_prog apache2)" -f "$conf" -DFOREGROUND \
	    </dev/null >>"$WS/log/apache.out" 2>&1 3>&- &
	web_started apache $! "$port"
}

# lighttpd_start socket PATH | host HOST:PORT | spawn ARGS...: starts
# lighttpd on a free port, passing every *.pl to the FastCGI server with
# mod_fastcgi ("check-local" => "disable"): the one at the Unix socket
# PATH, the one at HOST:PORT, or one that lighttpd spawns itself
# ("bin-path"), serving ARGS, with its listening socket as descriptor 0.
# lighttpd spawns it as the user its workers run as ($RUN_AS), so that
# one gets a TmpBase that user can use, $WS/spawn/sp (its backends live
# in $WS/spawn/sp.UID, stopped by lib_teardown), and writes its pid to
# $WS/run/spawned.pid.
lighttpd_start() {
	local how=$1 port conf="$WS/lighttpd.conf" server user= spawn= cmd
	shift
	ws_have lighttpd || skip "lighttpd is not installed"
	port=$(free_port) || return 1
	# lighttpd opens its log and upload files after giving up root.
	mkdir -p "$WS/tmp/lighttpd"
	: >"$WS/log/lighttpd.error"
	if [ -n "$RUN_AS" ]; then
		chown "$RUN_AS" "$WS/tmp/lighttpd" "$WS/log/lighttpd.error"
		chown "$RUN_AS" "$WS/run"
		user="server.username = \"$RUN_AS\"
server.groupname = \"$(id -gn "$RUN_AS")\""
	fi
	mkdir -p "$WS/spawn"
	[ -n "$RUN_AS" ] && chown "$RUN_AS" "$WS/spawn"
	case $how in
	socket) server="\"socket\" => \"$1\"" ;;
	host) server="\"host\" => \"${1%:*}\", \"port\" => ${1##*:}" ;;
	spawn)
		fcgi_argv "" "$WS/run/spawned.pid" "$@"
		cmd="${FCGI_ARGV[*]}"
		server="\"bin-path\" => \"$cmd\",
	\"socket\" => \"$WS/run/spawned.sock\",
	\"max-procs\" => 1,
	\"bin-environment\" => (
		\"SPEEDY_TMPBASE\" => \"$WS/spawn/sp\",
		\"SPEEDY_CONFDIR\" => \"$WS/etc\",
		\"SPEEDY_SNAPSHOT\" => \"$WS/snapshot\"
	)"
		EXTRA_DIRS+=("$WS/spawn/sp.$(id -u "${RUN_AS:-root}")")
		;;
	*)
		echo "lighttpd_start: $how: not socket, host or spawn"
		return 1
		;;
	esac
	cat >"$conf" <<EOF
server.document-root = "$W"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$WS/log/lighttpd.error"
server.upload-dirs = ( "$WS/tmp/lighttpd" )
server.max-request-size = 65536
$user
server.modules = ( "mod_fastcgi" )
fastcgi.server = ( ".pl" => ((
	$server,
	"check-local" => "disable"
)) )
EOF
	"$(ws_prog lighttpd)" -D -f "$conf" \
	    </dev/null >>"$WS/log/lighttpd.out" 2>&1 3>&- &
	web_started lighttpd $! "$port"
}

# web_started NAME PID PORT: records the web server NAME (PID) and waits
# (up to 30 s) until it takes connections on PORT; sets WEB.
web_started() {
	WEB_PIDS+=("$2")
	WEB="http://127.0.0.1:$3"
	if ! ws_wait 30 web_listening "$2" "$3"; then
		echo "$1 did not come up on port $3:"
		cat "$WS/log/$1".*
		return 1
	fi
}

# web_listening PID PORT: the web server PID takes connections on PORT.
web_listening() {
	if gone "$1"; then
		echo "the web server exited"
		return 2
	fi
	can_connect "127.0.0.1:$2"
}

# ---------------------------------------------------------------- clients

# http URL [CURL-OPTIONS...]: one request with curl (60 s at most); sets
# STATUS (the HTTP status, or "curl failed: ..."), BODY (the body as
# text) and RESP (the file holding the body); header NAME reads the
# response's headers.
http() {
	local f="$BATS_TEST_TMPDIR/resp" url=$1 rc=0
	shift
	rm -f "$f.body" "$f.hdr"
	STATUS=$(curl -sS --globoff --max-time 60 -o "$f.body" -D "$f.hdr" \
	    -w '%{http_code}' "$@" "$url" 2>"$f.err") || rc=$?
	if [ "$rc" -ne 0 ]; then
		STATUS="curl failed ($rc): $(cat "$f.err")"
	fi
	RESP="$f.body"
	BODY=$(tr -d '\000' <"$f.body" 2>/dev/null) || BODY=
}

# header NAME: the value of the last response's header NAME (any case),
# one line per occurrence.
header() {
	tr -d '\r' <"$BATS_TEST_TMPDIR/resp.hdr" |
	    awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n {
			v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v }'
}

# assert_status CODE [WHAT]: the last response had status CODE (a regex).
assert_status() {
	if ! [[ $STATUS =~ ^($1)$ ]]; then
		printf '%s: status %s, expected %s; headers and body:\n' \
		    "${2:-response}" "$STATUS" "$1"
		cat "$BATS_TEST_TMPDIR/resp.hdr" 2>/dev/null
		head -c 2000 "$RESP" 2>/dev/null
		echo
		return 1
	fi
}

# http_batch DIR N PARALLEL URL [CURL-OPTIONS...]: fetches URL with
# id=I added to its query (I = 1..N), PARALLEL curl processes at a time,
# each request a new connection, 60 s at most each; writes "I STATUS"
# lines to DIR/status and the bodies to DIR/body.I.
http_batch() {
	local dir=$1 n=$2 par=$3 url=$4 sep='?'
	shift 4
	case $url in
	*\?*) sep='&' ;;
	esac
	mkdir -p "$dir"
	seq 1 "$n" | xargs -P "$par" -I'{}' curl -sS --globoff --max-time 60 \
	    -o "$dir/body.{}" -w '{} %{http_code}\n' "$@" "$url${sep}id={}" \
	    >>"$dir/status" 2>>"$dir/errors" || true
}

# http_batch_bg DIR N PARALLEL URL [CURL-OPTIONS...]: http_batch in the
# background; batch_wait DIR waits for it.
http_batch_bg() {
	http_batch "$@" </dev/null 3>&- &
	LOAD_PIDS+=($!)
	eval "BATCH_PID_$(batch_key "$1")=$!"
}

# batch_key DIR: a variable-name-safe key for DIR.
batch_key() {
	printf '%s' "$1" | md5sum | cut -c 1-12
}

# batch_wait DIR: waits (up to 300 s) for the background batch DIR.
batch_wait() {
	local v pid
	v="BATCH_PID_$(batch_key "$1")"
	pid=${!v}
	if ! ws_wait 300 gone "$pid"; then
		echo "request batch $1 did not finish"
		return 1
	fi
	wait "$pid" 2>/dev/null || true
}

# batch_done DIR: the number of requests of batch DIR answered so far.
batch_done() {
	local n
	n=$(grep -c . "$1/status" 2>/dev/null) || true
	echo "${n:-0}"
}

# batch_at_least DIR N: at least N requests of batch DIR were answered.
batch_at_least() {
	[ "$(batch_done "$1")" -ge "$2" ]
}

# batch_check DIR N REGEX: every request I of batch DIR (1..N) got status
# 200 and a body whose first line matches REGEX with "ID" replaced by I.
batch_check() {
	local dir=$1 n=$2 re=$3 i code bad=0 line
	if [ "$(batch_done "$dir")" -ne "$n" ]; then
		echo "batch $dir: $(batch_done "$dir") of $n requests answered"
		bad=1
	fi
	while read -r i code; do
		if [ "$code" != 200 ]; then
			echo "request $i: status $code: $(head -c 300 "$dir/body.$i")"
			bad=1
			continue
		fi
		line=$(head -n 1 "$dir/body.$i")
		if ! [[ $line =~ ${re//ID/$i} ]]; then
			echo "request $i: body '$line' does not match /${re//ID/$i}/"
			bad=1
		fi
	done <"$dir/status"
	if [ -s "$dir/errors" ]; then
		echo "curl errors:"
		head -n 20 "$dir/errors"
		bad=1
	fi
	return "$bad"
}

# Shared by the three web-server suites.

# has_line TEXT LINE: TEXT has the line LINE.
has_line() {
	if ! printf '%s\n' "$1" | grep -qxF -- "$2"; then
		printf 'no line "%s" in:\n%s\n' "$2" "$1"
		return 1
	fi
}

# install_as SCRIPT PATH: installs tests/scripts/SCRIPT as PATH, its #!
# line naming the frontend.
install_as() {
	{ printf '#!%s\n' "$SPEEDY"; tail -n +2 "$SCRIPTS/$1"; } >"$2"
	chmod 755 "$2"
}

# log_has FILE TEXT: FILE (a log) has a line containing TEXT (for ws_wait).
log_has() {
	grep -qF -- "$2" "$1" 2>/dev/null
}

# post_requests URL: a urlencoded POST and a 300 KB multipart upload (with
# a query string) to fcgi_form.pl at URL reach the script intact.
post_requests() {
	local url=$1 form='x=1&y=caf%C3%A9&z=a+b' md5 l
	http "$url" -d "$form"
	assert_status 200 "urlencoded POST"
	for l in method=POST "param x=1" "param y=café" "param z=a b" \
	    CONTENT_TYPE=application/x-www-form-urlencoded \
	    "CONTENT_LENGTH=${#form}"; do
		has_line "$BODY" "$l"
	done

	head -c 300000 /dev/urandom >"$WS/tmp/upload"
	md5=$(md5sum <"$WS/tmp/upload" | cut -d ' ' -f 1)
	http "$url?q=1" -F note=hi -F "file=@$WS/tmp/upload;filename=up.bin"
	assert_status 200 "multipart POST"
	for l in method=POST "param note=hi" QUERY_STRING=q=1 \
	    "upload file=up.bin size=300000 md5=$md5"; do
		has_line "$BODY" "$l"
	done
	assert_match "$BODY" $'\nCONTENT_TYPE=multipart/form-data; boundary='
}

# status_requests: fcgi_status.pl at $WEB sets the status and headers
# of its responses: 404 with a body, 201 and 302 with a Location, and a
# 200 of its own type with a header and two cookies.
status_requests() {
	http "$WEB/fcgi_status.pl?do=notfound"
	assert_status 404 notfound
	assert_eq "$BODY" "no such thing"
	assert_eq "$(header X-Speedy-Test)" notfound X-Speedy-Test

	http "$WEB/fcgi_status.pl?do=created"
	assert_status 201 created
	assert_eq "$(header Location)" http://example.invalid/new/1 Location

	http "$WEB/fcgi_status.pl?do=redirect"
	assert_status 302 redirect
	assert_eq "$(header Location)" 'http://example.invalid/target?x=1' \
	    Location

	http "$WEB/fcgi_status.pl?do=custom"
	assert_status 200 custom
	assert_eq "$BODY" custom
	assert_match "$(header Content-Type)" '^text/x-speedy' Content-Type
	assert_eq "$(header X-Speedy-Test)" custom X-Speedy-Test
	assert_eq "$(header Set-Cookie)" $'a=1; path=/\nb=2; path=/' Set-Cookie
}

# big_body: 10 MB of random bytes in $WS/tmp/big, their MD5 in $BIG_MD5.
big_body() {
	head -c 10485760 /dev/urandom >"$WS/tmp/big"
	BIG_MD5=$(md5sum <"$WS/tmp/big" | cut -d ' ' -f 1)
}

# echo_big URL WHAT [CURL-OPTION...]: POSTs big_body's 10 MB to
# fcgi_echo.pl at URL: the script read all of it and sent it back byte
# for byte (WHAT names the request in a failure).
echo_big() {
	local url=$1 what=$2
	shift 2
	http "$url" --data-binary "@$WS/tmp/big" \
	    -H 'Content-Type: application/octet-stream' "$@"
	assert_status 200 "$what"
	assert_eq "$(header X-Body-Length)" 10485760 "length the script read"
	assert_eq "$(header X-Body-MD5)" "$BIG_MD5" "MD5 of what the script read"
	cmp "$WS/tmp/big" "$RESP"
}

# ws_suite_setup, ws_suite_teardown: what each web-server suite's setup
# and teardown do, in this order: the test's TmpBase and lib.bash's state,
# then the web-server state; $SOCK is the usual Unix socket address.
ws_suite_setup() {
	speedy_setup
	lib_setup
	ws_setup
	SOCK="$WS/run/fcgi.sock"
}

ws_suite_teardown() {
	ws_teardown
	lib_teardown
	speedy_teardown
}
