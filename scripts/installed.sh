#!/bin/sh
# Exits 0 when the PostgreSQL of $PG_CONFIG (default pg_config) has this
# tree's heartbeat installed: its control file, the install script this tree
# assembles (scripts/assemble.awk over the files given as arguments: the
# Makefile passes src/common.sql and the families' .sql) and every update
# script equal to this tree's byte for byte, and heartbeat.so there.  Else it
# says what differs and exits 1.  Reads only: `make demo` uses it so that a
# user who cannot install (not root) runs the demo on the installed
# extension.  The library is only checked to be there: a build elsewhere
# gives other bytes for the same code.
cd "$(dirname "$0")/.." || exit 1
PGC=${PG_CONFIG:-pg_config}
ext=$("$PGC" --sharedir)/extension
lib=$("$PGC" --pkglibdir)
version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" heartbeat.control)
differs() { echo "heartbeat: the installed heartbeat is not this tree's: $1" >&2; exit 1; }
[ -f "$lib/heartbeat.so" ] || differs "no $lib/heartbeat.so"
cmp -s heartbeat.control "$ext/heartbeat.control" || differs "$ext/heartbeat.control differs or is missing"
awk -f scripts/assemble.awk "$@" | cmp -s - "$ext/heartbeat--$version.sql" ||
    differs "$ext/heartbeat--$version.sql differs from the one this tree builds, or is missing"
for f in upgrade/heartbeat--*.sql; do
    cmp -s "$f" "$ext/${f#upgrade/}" || differs "$ext/${f#upgrade/} differs or is missing"
done
