#!/usr/bin/env bats
# The configuration (issue "Configuration ... and speedy-admin"):
# speedy-admin check, reload and config on $SPEEDY_CONFDIR and
# $SPEEDY_SNAPSHOT (each test has its own, see helpers.bash), their error
# messages (FILE:LINE), a reload that fails keeping the old snapshot, and
# the values a script really runs with once the frontend reads the
# snapshot (global < sites < SPEEDY_* < #! line < command line, locks
# win).  No test asserts a duration.

load helpers
load lib

setup() {
	speedy_setup
	lib_setup
	# Only the variables the helpers set: a stray SPEEDY_MAXRUNS in the
	# caller's environment must not change what config shows.
	local v
	for v in $(env | sed -n 's/^\(SPEEDY_[A-Z]*\)=.*/\1/p'); do
		case $v in
		SPEEDY_TMPBASE | SPEEDY_BACKENDPROG | SPEEDY_BIN | \
		    SPEEDY_INSTALLED | SPEEDY_CONFDIR | SPEEDY_SNAPSHOT) ;;
		*) unset "$v" ;;
		esac
	done
	C=$SPEEDY_CONFDIR
	mkdir -p "$C/sites.d"
}

teardown() {
	lib_teardown
	speedy_teardown
}

# conf FILE: writes stdin to $C/FILE (speedy.conf or sites.d/NAME.conf).
conf() {
	cat >"$C/$1"
}

# admin ARGS...: runs speedy-admin within 30 s (runs3: $status, $output
# for stdout, $stderr).
admin() {
	runs3 timeout 30 "$ADMIN" "$@"
}

# cfg_line NAME: the line of option NAME in $output (speedy-admin config),
# blanks squeezed.
cfg_line() {
	printf '%s\n' "$output" | awk -v n="$1" '$1 == n' | tr -s ' '
}

# A configuration with global values, a site in speedy.conf and one in
# sites.d, for scripts in $W/shop and $W/main.
good_conf() {
	conf speedy.conf <<-EOF
	# Global values.
	maxruns = 100
	timeout = 300   # seconds
	lock = {"maxbackends"}

	site "main" {
		scripts = {"$W/main/*.pl"}
		maxbackends = 4
	}
	EOF
	conf sites.d/shop.conf <<-EOF
	# The shop.
	site "shop" {
		/* cgi-bin and everything below admin */
		scripts = {"$W/shop/cgi-bin/*.pl",
		           "$W/shop/admin/**"}
		maxruns = 50
		group = shop
		lock = {"MaxRuns"}
		perlargs = ""
	}
	EOF
	mkdir -p "$W/main" "$W/shop/cgi-bin" "$W/shop/admin/sub"
}

@test "check: an empty configuration directory is valid" {
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 0 sites in $C"
	assert_eq "$stderr" ""
}

@test "check: the shipped speedy.conf is valid and configures nothing" {
	cp "$TOP/etc/speedy/speedy.conf" "$C/speedy.conf"
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 0 sites in $C"
	admin reload
	[ "$status" -eq 0 ]
	printf '#!/usr/bin/speedy\n' >"$W/a.pl"
	admin config "$W/a.pl"
	[ "$status" -eq 0 ]
	# Only the variables of the test environment: nothing configured.
	run grep -v -e ' default$' -e ' environment (SPEEDY_[A-Z]*)$' <<<"$output"
	assert_eq "$output" ""
}

@test "check: the example site is valid" {
	cp "$TOP/examples/sites/shop.conf" "$C/sites.d/shop.conf"
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 1 site in $C"
	assert_eq "$stderr" ""
}

@test "check: the example site's FastCGI pool is valid once uncommented" {
	sed '/^\t#fastcgi {/,/^\t#}/ s/^\t#/\t/' "$TOP/examples/sites/shop.conf" \
	    >"$C/sites.d/shop.conf"
	# The pool is there to check: the sed found it.
	grep -q '^	fastcgi {$' "$C/sites.d/shop.conf"
	grep -q '^		listen = ' "$C/sites.d/shop.conf"
	grep -q '^		root = ' "$C/sites.d/shop.conf"
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 1 site in $C"
	assert_eq "$stderr" ""
}

@test "check and reload: FastCGI pools, a Unix socket and TCP, are no sites of their own" {
	good_conf
	conf sites.d/pools.conf <<-EOF
	site "api" {
		scripts = {"$W/api/**"}
		maxruns = 20
		fastcgi {
			listen = "/run/speedy/api/fcgi.sock"
			processes = 2
			listen_group = www-data
			listen_mode = 0660
			root = "$W/api/cgi-bin"
		}
	}
	site "app" {
		scripts = "$W/app/app.pl"
		fastcgi { listen = "127.0.0.1:9000" script = "$W/app/app.pl" }
	}
	EOF
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 4 sites in $C"
	assert_eq "$stderr" ""
	admin reload
	[ "$status" -eq 0 ]
	mkdir -p "$W/api/cgi-bin"
	printf '#!/usr/bin/speedy\n' >"$W/api/cgi-bin/a.pl"
	admin config "$W/api/cgi-bin/a.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(cfg_line MaxRuns)" "MaxRuns 20 site api ($C/sites.d/pools.conf:3)"
}

@test "check: every error of a FastCGI pool as FILE:LINE, exit 1; reload keeps the snapshot" {
	good_conf
	admin reload
	[ "$status" -eq 0 ]
	cp "$SPEEDY_SNAPSHOT" "$W/old"
	conf sites.d/a.conf <<-EOF
	site "a" {
		scripts = {"$W/a/*.pl"}
		fastcgi {
			listen = "localhost:9000"
			processes = 2000
			listen_mode = 0999
			script = "$W/b/x.pl"
		}
	}
	site "b" {
		scripts = {"$W/b/**"}
		fastcgi {
			listen_group = www-data
		}
	}
	EOF
	conf sites.d/c.conf <<-EOF
	site "c" { scripts = "$W/c/*"
		fastcgi { listen = ":9000" root = "$W/c" } }
	site "d" { scripts = "$W/d/*"
		fastcgi { listen = "[::]:9000" root = "$W/d" } }
	EOF
	# An unknown key ends the reading of its file, as in a site.
	conf sites.d/e.conf <<-EOF
	site "e" { scripts = "$W/e/*"
		fastcgi { listen = "/run/e.sock" user = www-data } }
	EOF
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$output" ""
	assert_eq "$stderr" "speedy-admin: $C/sites.d/a.conf:4: fastcgi: listen: 'localhost:9000': 'localhost' is not an IPv4 address or an IPv6 address in brackets (host names are not resolved)
speedy-admin: $C/sites.d/a.conf:5: fastcgi: processes: '2000' is not a number from 1 to 1024
speedy-admin: $C/sites.d/a.conf:6: fastcgi: listen_mode: '0999' is not an octal mode from 0 to 0777
speedy-admin: $C/sites.d/a.conf:7: fastcgi: script '$W/b/x.pl' is not among the scripts of site \"a\"
speedy-admin: $C/sites.d/a.conf:12: fastcgi: listen is required
speedy-admin: $C/sites.d/a.conf:12: fastcgi: script or root is required
speedy-admin: $C/sites.d/c.conf:4: fastcgi: listen address '[::]:9000' is also that of site \"c\" at $C/sites.d/c.conf:2
speedy-admin: $C/sites.d/e.conf:2: fastcgi: no such option 'user' (the socket's owner, group and mode are listen_user, listen_group and listen_mode)"
	admin reload
	[ "$status" -eq 1 ]
	cmp "$SPEEDY_SNAPSHOT" "$W/old"
}

@test "check counts the sites, reload writes the snapshot silently" {
	good_conf
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 2 sites in $C"
	assert_eq "$stderr" ""
	[ ! -e "$SPEEDY_SNAPSHOT" ]
	admin reload
	[ "$status" -eq 0 ]
	assert_eq "$output" ""
	assert_eq "$stderr" ""
	[ -f "$SPEEDY_SNAPSHOT" ]
	assert_eq "$(stat -c %a "$SPEEDY_SNAPSHOT")" 644 "snapshot mode"
	admin check
	[ "$status" -eq 0 ]
}

@test "check: every error of every file as FILE:LINE, exit 1" {
	conf speedy.conf <<-EOF
	// Global values.
	maxruns = many
	lock = {"maxruns", "nosuch"}
	EOF
	conf sites.d/a.conf <<-EOF
	# An unknown site option ends this file.
	site "a" {
		scripts = {"$W/a/*.pl"}
		# misspelt
		maxrun = 5
	}
	EOF
	conf sites.d/b.conf <<-EOF

	/* A value outside a site. */
	timeout = 10
	EOF
	conf sites.d/c.conf <<-EOF
	site "c" {
		scripts = {"cgi-bin/*.pl", "$W/c/**/x.pl"}
		maxbackends = -1
		lock = {"version"}
	}
	EOF
	conf sites.d/d.conf <<-EOF
	site "c" { scripts = "$W/d.pl" }
	EOF
	conf sites.d/e.conf <<-EOF
	site "main" { scripts = "$W/m.pl" }
	# again
	site "main" { scripts = "$W/n.pl" }
	EOF
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$output" ""
	assert_eq "$stderr" "speedy-admin: $C/speedy.conf:2: MaxRuns: 'many' is not a number from 0 to 2147483647
speedy-admin: $C/speedy.conf:3: lock: unknown option 'nosuch'
speedy-admin: $C/sites.d/a.conf:5: no such option 'maxrun'
speedy-admin: $C/sites.d/b.conf:3: timeout must be inside a site section (global values belong in speedy.conf)
speedy-admin: $C/sites.d/c.conf:2: scripts: 'cgi-bin/*.pl' is not an absolute path
speedy-admin: $C/sites.d/c.conf:2: scripts: '$W/c/**/x.pl': \"**\" is allowed only as the whole last component, as in /var/www/app/**
speedy-admin: $C/sites.d/c.conf:3: MaxBackends: '-1' is not a number from 0 to 100000
speedy-admin: $C/sites.d/c.conf:4: lock: Version cannot be set in the configuration
speedy-admin: $C/sites.d/d.conf:1: site \"c\" is already defined at $C/sites.d/c.conf:1
speedy-admin: $C/sites.d/e.conf:3: site \"main\" is already defined at $C/sites.d/e.conf:1"
}

@test "check: a pattern too long for a snapshot is an error of check, not only of reload" {
	local long
	long=$W/$(head -c 1100 /dev/zero | tr '\0' a)
	conf sites.d/l.conf <<-EOF
	site "long" { scripts = {"$W/ok/*.pl",
	    "$long"} }
	EOF
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $C/sites.d/l.conf:2: scripts: a pattern is longer than 1023 bytes"
	admin reload
	[ "$status" -eq 1 ]
	[ ! -e "$SPEEDY_SNAPSHOT" ]
}

@test "check: control characters in a quoted value never reach the terminal; one line each" {
	printf 'maxruns = "12\\nx\\x1b[31m"\ngroup = "a\nb"\ntimeout = "1\nz"\n' >"$C/speedy.conf"
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $C/speedy.conf:1: MaxRuns: '12?x?[31m' is not a number from 0 to 2147483647
speedy-admin: $C/speedy.conf:5: Timeout: '1?z' is not a number from 0 to 2147483"
}

@test "check: a missing configuration directory is an error; extra arguments are usage errors" {
	rm -rf "$C"
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $C: No such file or directory"
	admin reload
	[ "$status" -eq 1 ]
	[ ! -e "$SPEEDY_SNAPSHOT" ]
	for cmd in check reload; do
		admin $cmd extra
		[ "$status" -eq 2 ]
		assert_match "$stderr" "^speedy-admin: $cmd: unexpected argument 'extra'"$'\n'"usage: speedy-admin check"
	done
}

@test "check: a sites.d file the reader cannot read is named" {
	world_dir
	as_nobody test -x "$ADMIN" || skip "nobody cannot run $ADMIN"
	C=$ROOT_TMP/etc
	mkdir -p "$C/sites.d"
	conf sites.d/a.conf <<<'site "a" { scripts = "/a/*.pl" }'
	conf sites.d/b.conf <<<'site "b" { scripts = "/b/*.pl" }'
	conf sites.d/c.conf <<<'site "c" { scripts = "/c/*.pl" maxruns = x }'
	chmod -R a+rX "$C"
	chmod 600 "$C/sites.d/b.conf"
	SPEEDY_CONFDIR=$C SPEEDY_SNAPSHOT=$ROOT_TMP/snapshot \
	    runs3 as_nobody timeout 30 "$ADMIN" check
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $C/sites.d/b.conf: Permission denied
speedy-admin: $C/sites.d/c.conf:1: MaxRuns: 'x' is not a number from 0 to 2147483647"
}

@test "check: a directory in place of a sites.d file is named" {
	conf sites.d/a.conf <<<'site "a" { scripts = "/a/*.pl" }'
	mkdir "$C/sites.d/b.conf"
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $C/sites.d/b.conf: not a regular file"
}

@test "check: files other than *.conf in sites.d are ignored" {
	conf sites.d/a.conf <<<'site "a" { scripts = "/a/*.pl" }'
	for f in a.conf~ a.conf.dpkg-old a.conf.dpkg-dist .b.conf README; do
		echo 'bogus' >"$C/sites.d/$f"
	done
	admin check
	[ "$status" -eq 0 ]
	assert_eq "$output" "configuration ok: 1 site in $C"
}

@test "check reports a damaged snapshot" {
	good_conf
	admin reload
	[ "$status" -eq 0 ]
	# Flip a byte far from the header: only the checksum tells.
	perl -e 'open my $f, "+<", $ARGV[0] or die; seek $f, -2, 2;
	    read $f, my $c, 1; seek $f, -2, 2; print $f chr(ord($c) ^ 1);' \
	    "$SPEEDY_SNAPSHOT"
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$output" "configuration ok: 2 sites in $C"
	assert_match "$stderr" "^speedy-admin: $SPEEDY_SNAPSHOT: configuration snapshot is damaged \\(checksum\\); run speedy-admin reload\$"
	printf 'garbage' >"$SPEEDY_SNAPSHOT"
	admin check
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $SPEEDY_SNAPSHOT is not a speedy configuration snapshot"
	admin reload
	[ "$status" -eq 0 ]
	admin check
	[ "$status" -eq 0 ]
}

@test "reload: an error leaves the old snapshot, and the frontend keeps serving" {
	good_conf
	admin reload
	[ "$status" -eq 0 ]
	cp "$SPEEDY_SNAPSHOT" "$W/old"
	conf sites.d/shop.conf <<<'site "shop" { scripts = "/x" maxruns = lots }'
	admin reload
	[ "$status" -eq 1 ]
	assert_eq "$output" ""
	assert_eq "$stderr" "speedy-admin: $C/sites.d/shop.conf:1: MaxRuns: 'lots' is not a number from 0 to 2147483647
speedy-admin: $SPEEDY_SNAPSHOT left unchanged"
	cmp "$SPEEDY_SNAPSHOT" "$W/old"
	use_script opts.pl ""
	cp "$W/opts.pl" "$W/shop/cgi-bin/opts.pl"
	runf timeout 20 "$W/shop/cgi-bin/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxRuns "$output")" 50 "MaxRuns from the old snapshot"
}

@test "reload: a snapshot that cannot be written is one line, exit 1" {
	good_conf
	SPEEDY_SNAPSHOT=$BATS_TEST_TMPDIR/nodir/snapshot admin reload
	[ "$status" -eq 1 ]
	assert_one_line "$stderr"
	assert_match "$stderr" "^speedy-admin: cannot create $BATS_TEST_TMPDIR/nodir/snapshot\\.new\\.[0-9]+: No such file or directory\$"
}

@test "config: where each value comes from, locks and what they overrode" {
	good_conf
	admin reload
	printf '#!/usr/bin/speedy -w -- -r7 -t 9 -B 4096\nprint 1;\n' >"$W/shop/cgi-bin/cart.pl"
	cd "$W/shop"
	SPEEDY_MAXBACKENDS=3 SPEEDY_GROUP=x SPEEDY_BUFSIZPOST=1000 admin config cgi-bin/cart.pl
	[ "$status" -eq 0 ]
	assert_eq "$stderr" ""
	assert_eq "$(cfg_line MaxRuns)" "MaxRuns 50 site shop ($C/sites.d/shop.conf:6), locked (#! line asked for 7)"
	assert_eq "$(cfg_line Group)" "Group x environment (SPEEDY_GROUP)"
	assert_eq "$(cfg_line MaxBackends)" "MaxBackends 0 default, locked (environment asked for 3)"
	assert_eq "$(cfg_line Timeout)" "Timeout 9 #! line"
	assert_eq "$(cfg_line BufsizGet)" "BufsizGet 4096 #! line"
	assert_eq "$(cfg_line BufsizPost)" "BufsizPost 1000 environment (SPEEDY_BUFSIZPOST)"
	assert_eq "$(cfg_line PerlArgs)" 'PerlArgs "" site shop ('"$C"'/sites.d/shop.conf:9)'
	assert_eq "$(cfg_line MaxRSS)" "MaxRSS 0 default"
	# One line per option but Version, the columns aligned.
	assert_eq "$(printf '%s\n' "$output" | awk '{ print $1 }' | tr '\n' ' ')" \
	    "BackendProg BufsizGet BufsizPost CheckModules Group MaxBackends MaxRSS MaxRuns PerlArgs RequestTimeout Timeout TmpBase "
	assert_eq "$(printf '%s\n' "$output" | awk '{ match($0, /^[A-Za-z]+ +/); print RLENGTH }' | sort -u)" 16 "value column"
	assert_eq "$(printf '%s\n' "$output" | awk '{ match($0, /^[A-Za-z]+ +[^ ]+ +/); print RLENGTH }' | sort -u | wc -l)" 1 "source column"
}

@test "config: global values, a site in speedy.conf, everything below a /** pattern" {
	good_conf
	admin reload
	printf '#!/usr/bin/speedy\n' | tee "$W/main/a.pl" "$W/shop/admin/sub/b.pl" "$W/other.pl" >/dev/null
	admin config "$W/main/a.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(cfg_line MaxRuns)" "MaxRuns 100 speedy.conf:2"
	assert_eq "$(cfg_line Timeout)" "Timeout 300 speedy.conf:3"
	assert_eq "$(cfg_line MaxBackends)" "MaxBackends 4 site main ($C/speedy.conf:8), locked"
	admin config "$W/shop/admin/sub/b.pl"
	assert_eq "$(cfg_line Group)" "Group shop site shop ($C/sites.d/shop.conf:7)"
	# Outside every site: the global values only.
	admin config "$W/other.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(cfg_line MaxRuns)" "MaxRuns 100 speedy.conf:2"
	assert_eq "$(cfg_line Group)" "Group none default"
	assert_eq "$(cfg_line MaxBackends)" "MaxBackends 0 default, locked"
}

@test "config: the path as given, made absolute, symlinks not resolved" {
	good_conf
	admin reload
	printf '#!/usr/bin/speedy\n' >"$W/real.pl"
	ln -s "$W/real.pl" "$W/shop/cgi-bin/link.pl"
	cd "$W/shop/cgi-bin"
	admin config ./link.pl
	[ "$status" -eq 0 ]
	assert_eq "$(cfg_line Group)" "Group shop site shop ($C/sites.d/shop.conf:7)"
	admin config "$W/real.pl"
	assert_eq "$(cfg_line Group)" "Group none default"
}

@test "config: no snapshot means built-in defaults, said on stderr" {
	printf '#!/usr/bin/perl\n' >"$W/a.pl"
	admin config "$W/a.pl"
	[ "$status" -eq 0 ]
	assert_eq "$stderr" "speedy-admin: no configuration snapshot at $SPEEDY_SNAPSHOT: built-in defaults apply"
	assert_eq "$(cfg_line MaxRuns)" "MaxRuns 500 default"
}

@test "config: a missing script, a bad #! line, bad environment, usage" {
	admin config "$W/nosuch.pl"
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy-admin: $W/nosuch.pl: No such file or directory"
	assert_eq "$output" ""
	printf '#!/usr/bin/speedy -- -r many\n' >"$W/bad.pl"
	admin config "$W/bad.pl"
	[ "$status" -eq 1 ]
	assert_match "$stderr" "^speedy-admin: $W/bad.pl: #! line: option -r: MaxRuns: 'many' is not a number"
	printf '#!/usr/bin/speedy\n' >"$W/a.pl"
	SPEEDY_TIMEOUT=soon admin config "$W/a.pl"
	[ "$status" -eq 1 ]
	assert_match "$stderr" "^speedy-admin: SPEEDY_TIMEOUT: Timeout: 'soon' is not a number"
	admin config
	[ "$status" -eq 2 ]
	admin config "$W/a.pl" "$W/a.pl"
	[ "$status" -eq 2 ]
	admin config --json
	[ "$status" -eq 2 ]
	assert_match "$stderr" "^speedy-admin: config: unknown option '--json'"
}

@test "frontend: a script runs with its site's values; outside every site, the global ones" {
	good_conf
	admin reload
	[ "$status" -eq 0 ]
	use_script opts.pl ""
	cp "$W/opts.pl" "$W/shop/cgi-bin/opts.pl"
	cp "$W/opts.pl" "$W/main/opts.pl"
	runf timeout 20 "$W/shop/cgi-bin/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxRuns "$output")" 50 "site MaxRuns"
	assert_eq "$(field Group "$output")" shop "site Group"
	assert_eq "$(field Timeout "$output")" 300 "global Timeout"
	runf timeout 20 "$W/main/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxBackends "$output")" 4 "site main's MaxBackends"
	assert_eq "$(field MaxRuns "$output")" 100 "global MaxRuns"
	runf timeout 20 "$W/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxRuns "$output")" 100 "global MaxRuns outside every site"
	assert_eq "$(field Group "$output")" none "default Group outside every site"
	assert_eq "$(field MaxBackends "$output")" 0
}

@test "frontend: environment and #! line override the configuration, a lock wins" {
	good_conf
	admin reload
	use_script opts.pl "-- -r7 -t 42"
	cp "$W/opts.pl" "$W/shop/cgi-bin/opts.pl"
	SPEEDY_BUFSIZGET=4096 runf timeout 20 "$W/shop/cgi-bin/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxRuns "$output")" 50 "locked MaxRuns"
	assert_eq "$(field Timeout "$output")" 42 "#! Timeout"
	assert_eq "$(field BufsizGet "$output")" 4096 "environment BufsizGet"
	SPEEDY_MAXBACKENDS=2 runf timeout 20 "$W/main/../shop/cgi-bin/opts.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxBackends "$output")" 0 "globally locked MaxBackends"
	# What config says is what the script got.
	admin config "$W/shop/cgi-bin/opts.pl"
	assert_eq "$(cfg_line MaxRuns)" "MaxRuns 50 site shop ($C/sites.d/shop.conf:6), locked (#! line asked for 7)"
	assert_eq "$(cfg_line Timeout)" "Timeout 42 #! line"
}

@test "frontend: a reload applies to the next request" {
	good_conf
	admin reload
	use_script opts.pl ""
	cp "$W/opts.pl" "$W/main/opts.pl"
	runf timeout 20 "$W/main/opts.pl"
	assert_eq "$(field MaxBackends "$output")" 4
	sed -i 's/maxbackends = 4/maxbackends = 5/' "$C/speedy.conf"
	admin reload
	[ "$status" -eq 0 ]
	# Another script: a fresh parent, started with the new values.
	cp "$W/opts.pl" "$W/main/opts2.pl"
	runf timeout 20 "$W/main/opts2.pl"
	[ "$status" -eq 0 ]
	assert_eq "$(field MaxBackends "$output")" 5
}

@test "setopt: a locked option cannot be changed at run time; an unlocked one can" {
	good_conf
	admin reload
	mkscript so.pl <<'PERL'
for my $o (qw(MaxRuns Timeout)) {
	my $old = eval { CGI::SpeedyCGI->setopt($o, 9) };
	print "$o: ", defined $old ? "changed from $old" : "refused: $@";
	print "\n" if defined $old;
	print "$o now ", CGI::SpeedyCGI->getopt($o), "\n";
}
PERL
	cp "$W/so.pl" "$W/shop/cgi-bin/so.pl"
	runf timeout 20 "$W/shop/cgi-bin/so.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" "MaxRuns: refused: CGI::SpeedyCGI::setopt: MaxRuns is locked by the configuration at "
	assert_match "$output" "MaxRuns now 50"
	assert_match "$output" "Timeout: changed from 300"
	assert_match "$output" "Timeout now 9"
	# Outside the shop nothing is locked but MaxBackends (globally).
	runf timeout 20 "$W/so.pl"
	[ "$status" -eq 0 ]
	assert_match "$output" "MaxRuns: changed from 100"
}

@test "a damaged or untrusted snapshot stops the frontend with one line, exit 1, nothing started" {
	good_conf
	admin reload
	mkscript hi.pl <<'PERL'
print "hi\n";
PERL
	printf 'garbage' >"$SPEEDY_SNAPSHOT"
	runs3 timeout 20 "$W/hi.pl"
	[ "$status" -eq 1 ]
	assert_eq "$stderr" "speedy: $SPEEDY_SNAPSHOT is not a speedy configuration snapshot"
	admin reload
	chmod 0664 "$SPEEDY_SNAPSHOT"
	runs3 timeout 20 "$W/hi.pl"
	[ "$status" -eq 1 ]
	assert_match "$stderr" "^speedy: configuration snapshot $SPEEDY_SNAPSHOT is not a regular file owned by root or uid [0-9]+ and writable only by its owner; refusing to use it\$"
	[ -z "$(all_pids)" ]
	chmod 0644 "$SPEEDY_SNAPSHOT"
	runs3 timeout 20 "$W/hi.pl"
	[ "$status" -eq 0 ]
	assert_eq "$output" hi
}
