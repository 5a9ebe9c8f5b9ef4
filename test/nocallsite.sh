#!/bin/bash
# TAP: every aggregate of heartbeat gives the same result when its support
# functions are called without the call site, as Citus calls them for a
# pushed-down aggregate (worker_partial_agg / coord_combine_agg: fmgr calls
# with no fn_expr, states shipped as text).  A test-only module,
# test/nocallsite/ (built here with $PG_CONFIG, loaded by absolute path from
# a temp dir the server can read, never installed), runs each aggregate in
# three parts and an empty one with partial_agg() and merges them with
# combine_agg(); the result must equal the aggregate's own, as text.  The
# aggregates come from the catalogue, each in a session of its own: an ERROR
# or a crash fails that aggregate only, and the next waits for the server.
# Runs inside the test cluster (scripts/run-tests.sh, via prove).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
db=heartbeat_nocallsite
tmp=$(mktemp -d /tmp/hb_nocallsite.XXXXXX)
chmod 755 "$tmp"
cleanup() {
    dropdb --if-exists --force "$db" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
# A session TimeZone with summer time, not the server's.  Every session is
# bounded (HB_NOCALLSITE_SECONDS, default 600: a case takes well under a
# second, but many times more under Valgrind).
export PGOPTIONS="${PGOPTIONS:-} -c TimeZone=America/New_York"
seconds=${HB_NOCALLSITE_SECONDS:-600}
PSQL=(timeout "$seconds" psql -X -q -At -v ON_ERROR_STOP=1 -d "$db")
n=0 lost=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; printf '%s\n' "$@" | sed 's/^/#   /'; }

# After a failed session: wait until the server accepts connections again
# (a crashed backend takes the postmaster through crash recovery).
server_back() {
    local until=$((SECONDS + seconds))
    while [ "$SECONDS" -lt "$until" ]; do
        pg_isready -q && "${PSQL[@]}" -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "Bail out! the server did not come back in $seconds seconds"
    exit 1
}

if ! make -s -C "$here/nocallsite" >"$tmp/build.log" 2>&1; then
    sed 's/^/# /' "$tmp/build.log"
    echo "Bail out! test/nocallsite did not build"
    exit 1
fi
cp "$here/nocallsite/nocallsite.so" "$tmp/"
chmod 644 "$tmp/nocallsite.so"
createdb "$db" || { echo "Bail out! createdb $db failed"; exit 1; }
if ! "${PSQL[@]}" -v lib="$tmp/nocallsite.so" -f "$here/nocallsite/setup.sql" >"$tmp/setup.log" 2>&1; then
    sed 's/^/# /' "$tmp/setup.log"
    echo "Bail out! test/nocallsite/setup.sql failed"
    exit 1
fi

# check AGGREGATE GRANULARITY: runs nocallsite_check in a session of its own;
# prints the outcome line (same | differ | direct NULL | an ERROR) then details.
check() {
    "${PSQL[@]}" -v agg="$1" -v gran="$2" 2>&1 <<'SQL'
SELECT CASE WHEN direct IS NULL THEN 'direct NULL'
            WHEN direct = nocallsite THEN 'same'
            ELSE 'differ' END
       || E'\nargs: ' || args
       || E'\ndirect:     ' || coalesce(left(direct, 400), 'NULL')
       || E'\nnocallsite: ' || coalesce(left(nocallsite, 400), 'NULL')
  FROM nocallsite_check(:'agg', NULLIF(:'gran', ''))
SQL
}

# The harness: built-in aggregates run through it unchanged (a state by
# value, by reference, an array with a final function, a strict transition
# with a NULL initial condition), and one whose transition function needs
# its call site (array_append) fails there.
for agg in 'pg_catalog.sum(integer)' 'pg_catalog.max(numeric)' 'pg_catalog.avg(double precision)' \
           'pg_catalog.bool_and(boolean)'; do
    out=$(check "$agg" '')
    if [ "$(head -n 1 <<<"$out")" = same ]; then ok "harness: $agg is the same without its call site"
    else not_ok "harness: $agg differs without its call site" "$out"; server_back; fi
done
out=$(check 'public.nocallsite_polymorphic(double precision)' '')
if grep -q 'could not determine input data type' <<<"$out"; then
    ok "harness: array_append fails without its call site (could not determine input data type)"
else
    not_ok "harness: array_append did not fail without its call site" "$out"
fi

# Every aggregate of the extension, from the catalogue; every name that a
# CREATE AGGREGATE in src/*.sql declares must be among them.
mapfile -t cases < <("${PSQL[@]}" -c "SELECT agg || '|' || coalesce(granularity, '') FROM nocallsite_cases ORDER BY agg::text, granularity DESC")
found=$("${PSQL[@]}" -c "SELECT string_agg(DISTINCT proname, ' ' ORDER BY proname) FROM nocallsite_cases c JOIN pg_proc p ON p.oid = c.agg")
missing=
for name in $(grep -hoE 'CREATE AGGREGATE [a-z_]+\(' "$here"/../src/*.sql | sed 's/.* //; s/($//' | sort -u); do
    grep -qw "$name" <<<"$found" || missing="$missing $name"
done
if [ "${#cases[@]}" -gt 0 ] && [ -z "$missing" ]; then
    ok "the catalogue lists ${#cases[@]} cases of heartbeat's aggregates: $found"
else
    not_ok "aggregates declared in src/*.sql are missing from the catalogue query:${missing:- (none found at all)}"
fi

for c in "${cases[@]}"; do
    agg=${c%|*} gran=${c##*|}
    what="$agg${gran:+ with granularity '$gran'}"
    out=$(check "$agg" "$gran")
    rc=$?
    case "$rc/$(head -n 1 <<<"$out")" in
        0/same) ok "$what: the same without the call site" ;;
        0/*) not_ok "$what: $(head -n 1 <<<"$out") without the call site" "$(tail -n +2 <<<"$out")" ;;
        124/*) not_ok "$what: no answer in $seconds seconds" "$out"; server_back ;;
        2/*) not_ok "$what: the server crashed (the session was lost)" "$(head -n 1 <<<"$out")"
             lost=$((lost + 1)); server_back ;;
        *) not_ok "$what: failed without the call site" "$out"; server_back ;;
    esac
done
[ "$lost" = 0 ] || echo "# $lost sessions were lost: the server crashed $lost times"
echo "1..$n"
