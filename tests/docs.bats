#!/usr/bin/env bats
# The documentation: the man pages are clean for "mandoc -Tlint", each
# SYNOPSIS is its program's usage message, and the option lists of the
# README and of speedy(1) are the option table itself (tools/optdoc).
# Against the build tree it checks the pages make built (man/); with
# SPEEDY_INSTALLED=1 the installed pages and programs.

load helpers

setup() {
	speedy_setup
	if ! command -v mandoc >/dev/null 2>&1; then
		echo "mandoc not found; install the Debian package mandoc" >&2
		return 1
	fi
	BACKEND=${SPEEDY_BACKENDPROG:-$(dirname "$SPEEDY")/speedy_backend}
	OPTDOC=$TOP/tools/optdoc
	if [ -n "${SPEEDY_INSTALLED:-}" ]; then
		local man
		man=$(dirname "$(dirname "$SPEEDY")")/share/man
		SPEEDY_1=$(installed_page "$man/man1/speedy.1")
		BACKEND_1=$(installed_page "$man/man1/speedy_backend.1")
		MODULE_3=$(installed_page "$man/man3/CGI::SpeedyCGI.3pm")
		ADMIN_8=$(installed_page "$man/man8/speedy-admin.8")
		CONF_5=$(installed_page "$man/man5/speedy.conf.5")
		FCGI_1=$(installed_page "$man/man1/speedy-fcgi.1")
	else
		SPEEDY_1=$TOP/man/speedy.1
		BACKEND_1=$TOP/man/speedy_backend.1
		MODULE_3=$TOP/man/CGI-SpeedyCGI.3pm
		ADMIN_8=$TOP/man/speedy-admin.8
		CONF_5=$TOP/man/speedy.conf.5
		FCGI_1=$TOP/man/speedy-fcgi.1
	fi
}

teardown() {
	speedy_teardown
}

# installed_page PATH: PATH.gz or PATH, whichever is installed.
installed_page() {
	if [ -e "$1.gz" ]; then
		echo "$1.gz"
	else
		echo "$1"
	fi
}

# need_page PATH: fails with a hint unless the page exists.
need_page() {
	if [ ! -f "$1" ]; then
		echo "$1 is missing (run make, or install the package)"
		return 1
	fi
}

# need_optdoc: skips when tools/optdoc was not built (the suites run
# against installed programs from an unbuilt tree, as autopkgtest does;
# the build ran these checks).
need_optdoc() {
	[ -x "$OPTDOC" ] || skip "tools/optdoc is not built"
}

# source_of PAGE: the page's source text (pages may be installed gzipped).
source_of() {
	case $1 in
	*.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# lint PAGE [MANDOC-OPTIONS]: what "mandoc -Tlint" says about PAGE, except
# the messages that depend on the manuals installed on this machine rather
# than on the page: cross references it cannot resolve (perl(1) needs
# perl-doc, and mandoc does not look for Debian's 3pm pages in man3) and a
# stale mandoc.db.
lint() {
	local page=$1
	shift
	mandoc -Tlint "$@" "$page" 2>&1 |
	    grep -v -e 'STYLE: referenced manual not found' \
	    -e 'outdated mandoc.db' || true
}

# lint_clean PAGE [MANDOC-OPTIONS]: PAGE exists and lint finds nothing in
# it (what it finds is printed).
lint_clean() {
	local out
	need_page "$1" || return 1
	out=$(lint "$@")
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		return 1
	fi
}

# normalize: one line, runs of white space as one blank, none at the ends.
normalize() {
	tr -s ' \t\n' '   ' | sed -e 's/^ //' -e 's/ $//'
}

# synopsis PAGE: the SYNOPSIS as mandoc renders it, normalized.
synopsis() {
	mandoc -Tascii -Owidth=500 "$1" | sed 's/.\x08//g' |
	    awk '/^SYNOPSIS$/ { on = 1; next } on && /^[^ ]/ { exit } on' |
	    normalize
}

# usage_of OUTPUT: the usage message in a program's OUTPUT, without
# "usage: ", normalized.
usage_of() {
	printf '%s\n' "$1" | sed -n '/^usage: /,$p' | sed '1s/^usage: //' |
	    normalize
}

# section SOURCE NAME: the mdoc source of section NAME (without .Sh).
section() {
	printf '%s\n' "$1" |
	    awk -v sh=".Sh $2" '$0 == sh { on = 1; next } on && /^\.Sh / { exit } on'
}

@test "speedy(1) is clean for mandoc -Tlint" {
	lint_clean "$SPEEDY_1"
}

@test "speedy_backend(1) is clean for mandoc -Tlint" {
	lint_clean "$BACKEND_1"
}

@test "speedy-fcgi(1) is clean for mandoc -Tlint" {
	lint_clean "$FCGI_1"
}

@test "speedy-admin(8) is clean for mandoc -Tlint" {
	lint_clean "$ADMIN_8"
}

@test "speedy.conf(5) is clean for mandoc -Tlint" {
	lint_clean "$CONF_5"
}

@test "CGI::SpeedyCGI(3pm), made by pod2man, has no mandoc warnings or errors" {
	# Style notes are pod2man's (lower case title, long lines), not the POD's.
	lint_clean "$MODULE_3" -W warning
	# And it is the module's page, not an empty one.
	mandoc -Tascii "$MODULE_3" | sed 's/.\x08//g' | grep -q 'register_cleanup'
}

# synopsis_is_usage PAGE PROG: PAGE's SYNOPSIS is the usage message PROG
# prints when run without arguments (exit 2, stdin at end of file).
synopsis_is_usage() {
	local out usage page
	need_page "$1"
	status=0
	out=$("$2" </dev/null 2>&1) || status=$?
	[ "$status" -eq 2 ]
	usage=$(usage_of "$out")
	[ -n "$usage" ]
	page=$(synopsis "$1")
	if [ "$page" != "$usage" ]; then
		printf 'SYNOPSIS:\n%s\nusage:\n%s\n' "$page" "$usage"
		return 1
	fi
}

@test "speedy(1) SYNOPSIS is the usage message of speedy" {
	synopsis_is_usage "$SPEEDY_1" "$SPEEDY"
}

@test "speedy_backend(1) SYNOPSIS is the usage message of speedy_backend" {
	synopsis_is_usage "$BACKEND_1" "$BACKEND"
}

@test "speedy-fcgi(1) SYNOPSIS is the usage message of speedy-fcgi" {
	synopsis_is_usage "$FCGI_1" "$FCGI"
}

@test "speedy-fcgi(1) OPTIONS has an item for every option of the usage message" {
	need_page "$FCGI_1"
	status=0
	out=$("$FCGI" </dev/null 2>&1) || status=$?
	[ "$status" -eq 2 ]
	# The options: "-d", "-l", "--user", ... ("--" alone is not one).
	opts=$(usage_of "$out" | tr ' []|' '\n\n\n\n' | grep -E '^--?[a-z]')
	[ -n "$opts" ]
	items=$(section "$(source_of "$FCGI_1")" OPTIONS | grep '^\.It ')
	[ -n "$items" ]
	missing=
	for o in $opts; do
		# mdoc writes --user as "Fl \-user" and -d as "Fl d".
		name=${o#-}
		name=${name//-/\\-}
		if ! printf '%s\n' "$items" | WANT=$name awk '
		    { for (i = 1; i < NF; i++)
			if ($i == "Fl" && $(i + 1) == ENVIRON["WANT"]) found = 1 }
		    END { exit !found }'; then
			missing="$missing $o"
		fi
	done
	if [ -n "$missing" ]; then
		echo "not in OPTIONS:$missing"
		return 1
	fi
}

@test "README's options table is tools/optdoc markdown" {
	need_optdoc
	readme=$(sed -n '/^<!-- options table/,/^<!-- end of options table -->/p' \
	    "$TOP/README.md" | sed -e '1d' -e '$d')
	[ -n "$readme" ]
	table=$("$OPTDOC" markdown)
	if [ "$readme" != "$table" ]; then
		diff <(printf '%s\n' "$readme") <(printf '%s\n' "$table") || true
		return 1
	fi
}

@test "speedy(1) OPTIONS is tools/optdoc mdoc" {
	need_optdoc
	need_page "$SPEEDY_1"
	src=$(source_of "$SPEEDY_1")
	options=$(section "$src" OPTIONS)
	[ -n "$options" ]
	# The page names the configured bindir where the table says $(bindir):
	# the directory of the default backend, listed under FILES.
	bindir=$(section "$src" FILES | sed -n 's#^\.It Pa \(/.*\)/speedy_backend$#\1#p')
	[ -n "$bindir" ]
	if [ -n "${SPEEDY_INSTALLED:-}" ]; then
		[ "$bindir" = "$(dirname "$SPEEDY")" ]
	fi
	table=$("$OPTDOC" mdoc | sed "s#\\\$(bindir)#$bindir#g")
	if [ "$options" != "$table" ]; then
		diff <(printf '%s\n' "$options") <(printf '%s\n' "$table") || true
		return 1
	fi
}

@test "speedy-admin(8) SYNOPSIS is the usage message of speedy-admin" {
	synopsis_is_usage "$ADMIN_8" "$ADMIN"
}

@test "speedy.conf(5) lists the configuration keys of the option table (tools/optdoc confkeys)" {
	need_optdoc
	need_page "$CONF_5"
	src=$(source_of "$CONF_5")
	bindir=$(section "$(source_of "$SPEEDY_1")" FILES |
	    sed -n 's#^\.It Pa \(/.*\)/speedy_backend$#\1#p')
	[ -n "$bindir" ]
	keys=$("$OPTDOC" confkeys | sed "s#\\\$(bindir)#$bindir#g")
	[ -n "$keys" ]
	# The items sit between the list's opening and the lock key.
	page=$(printf '%s\n' "$src" | awk '/^\.Ss Keys$/ { on = 1; next }
	    on && /^\.It Ic lock / { exit } on && f { print } on && /^\.Bl / { f = 1 }')
	if [ "$page" != "$keys" ]; then
		diff <(printf '%s\n' "$page") <(printf '%s\n' "$keys") || true
		return 1
	fi
}
