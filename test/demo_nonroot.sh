#!/bin/bash
# TAP: `make demo` as a user who cannot install (postgres, not root) when
# this tree's heartbeat is already installed in pg_config's paths: it builds
# and installs nothing and runs the demo on the installed extension; when the
# installed heartbeat is not this tree's, it stops and says how to install.
# Runs on a copy of the tree that user owns, as their own checkout would be.
# Needs root (runuser) and this tree installed (make test installs it first).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
PGC=${PG_CONFIG:-pg_config}
sources="src/common.sql $(sed -n 's/^FAMILIES *= *//p' Makefile | sed 's|\([a-z_]*\)|src/\1.sql|g')"
if [ "$(id -u)" != 0 ]; then
    echo "1..0 # SKIP needs root, to run make demo as user postgres"; exit 0
fi
# shellcheck disable=SC2086
if ! PG_CONFIG=$PGC ./scripts/installed.sh $sources 2>/dev/null; then
    echo "1..0 # SKIP this tree's heartbeat is not installed in $PGC's paths (make install first; make test does)"; exit 0
fi
tmp=$(mktemp -d /tmp/hb_demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tar -c --exclude=./.git --exclude=./results --exclude='*.o' --exclude='*.so' --exclude='*.bc' . | tar -x -C "$tmp"
rm -f "$tmp"/heartbeat--*.sql
chown -R postgres "$tmp"
chmod 755 "$tmp"
# What the demo writes is newer than this stamp.  Not newer than the copied
# Makefile: tar keeps whole seconds, and a checkout that crossed a second
# writes upgrade/heartbeat--*.sql a second after the Makefile.
touch "$tmp/.before-demo"
# A login of its own: none of the test cluster's libpq variables.
demo() { runuser -u postgres -- env -i PATH="$PATH" HOME="$tmp" LANG=C.UTF-8 PG_CONFIG="$PGC" make -C "$tmp" demo 2>&1; }
n=0
check() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "# got:  $1"; echo "# want: $2"; fi; }
echo "1..4"
out=$(demo); rc=$?
check "$rc $(grep -c '^heartbeat: using the installed heartbeat' <<<"$out")" "0 1" \
      "make demo as postgres succeeds on the installed heartbeat"
check "$(grep -c -E '^ *[0-9]+ \| +[0-9]+$' <<<"$(sed -n '/REFRESH MATERIALIZED VIEW CONCURRENTLY over unchanged deals/,$p' <<<"$out")")" "1" \
      "and runs the demo to its last query (the refresh that rewrites no row)"
check "$(find "$tmp" \( -name '*.o' -o -name '*.so' -o -name 'heartbeat--*.sql' \) -newer "$tmp/.before-demo" -print | wc -l) $(grep -c -E '/usr/bin/install|Permission denied' <<<"$out")" "0 0" \
      "it builds and installs nothing"
echo "-- changed" >> "$tmp/src/timeseries.sql"
out=$(demo); rc=$?
check "$([ "$rc" != 0 ] && echo failed) $(grep -c -E "not this tree's: .*heartbeat--.*\.sql differs|make install needs root" <<<"$out") $(find "$tmp" -name '*.o' | wc -l)" "failed 2 0" \
      "with another heartbeat installed it stops before building, names the file that differs and says install needs root"
[ "$n" = 4 ]
