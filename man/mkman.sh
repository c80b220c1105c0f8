#!/bin/sh
# man/mkman.sh IN BINDIR DOCDIR QUEUE_H [OPTIONS]: prints the man page
# source IN with its header comment replaced by a "generated" note,
# @BINDIR@ and @DOCDIR@ replaced by BINDIR and DOCDIR, @QUEUE_VERSION@ by
# the queue file's layout version read from QUEUE_H (src/common/queue.h),
# and a line "@OPTIONS@" by the file OPTIONS (the output of "tools/optdoc
# mdoc", in which "$(bindir)" becomes BINDIR).  @CONFDIR@ and @SNAPSHOT@
# become $CONFDIR and $SNAPSHOT from the environment (the configuration
# directory and the snapshot file).
set -e
in=$1 bindir=$2 docdir=$3 queueh=$4 opts=${5:-}
qv=$(sed -n 's/^#define[ 	][ 	]*QUEUE_VERSION[ 	][ 	]*\([0-9][0-9]*\).*/\1/p' "$queueh")
if [ -z "$qv" ]; then
	echo "$0: no QUEUE_VERSION in $queueh" >&2
	exit 1
fi
awk -v in_name="${in##*/}" -v bindir="$bindir" -v docdir="$docdir" -v qv="$qv" -v opts="$opts" \
    -v confdir="${CONFDIR:-/etc/speedy}" -v snapshot="${SNAPSHOT:-/var/lib/speedy/snapshot}" '
BEGIN { head = 1 }
head && /^\.\\"/ { next }
head { head = 0; print ".\\\" Generated from " in_name " by man/mkman.sh; do not edit." }
$0 == "@OPTIONS@" {
	if (opts == "") { print "mkman.sh: no OPTIONS file" > "/dev/stderr"; exit 1 }
	while ((getline line < opts) > 0) {
		gsub(/\$\(bindir\)/, bindir, line)
		print line
	}
	close(opts)
	next
}
{
	gsub(/@BINDIR@/, bindir); gsub(/@DOCDIR@/, docdir); gsub(/@QUEUE_VERSION@/, qv)
	gsub(/@CONFDIR@/, confdir); gsub(/@SNAPSHOT@/, snapshot); print
}' "$in"
