#!/bin/sh
# tests/demo.sh: the Quick start demo.  Serves examples/counter.pl five
# times through the frontend in the build tree and shows that one
# persistent interpreter answered them all; then stops that backend.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
export SPEEDY_TMPBASE="$tmp/speedy"
export SPEEDY_BACKENDPROG="$top/src/backend/speedy_backend"
export PERL5LIB="$top/src/perl"
cleanup() {
	for s in "$SPEEDY_TMPBASE".*/*.sock; do
		[ -e "$s" ] && kill -TERM "$(basename "$s" .sock)" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "== speedy serving examples/counter.pl, five requests =="
for i in 1 2 3 4 5; do
	QUERY_STRING="n=$i" "$top/src/frontend/speedy" "$top/examples/counter.pl" |
	    sed -n '3,4p'
done
echo "== the same script under plain perl, twice: a new interpreter each time =="
# perl would exec the #! line's interpreter itself; "do" skips that line.
for i in 1 2; do
	QUERY_STRING="n=$i" perl -I"$top/src/perl" -e 'do $ARGV[0] or die $@' \
	    "$top/examples/counter.pl" | sed -n '3p'
done
