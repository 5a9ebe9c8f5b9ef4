#!/bin/bash
# TAP: ALTER EXTENSION heartbeat UPDATE from every earlier version.  For each
# frozen install script upgrade/heartbeat--<v>.sql: install <v>, store the
# summaries <v>'s own code made (test/fixtures/summaries-<v>.copy, from
# test/fixtures/summaries.sql), update, then check the version, that the
# catalogue equals a fresh install's (test/lib/catalog.sql), that the stored
# summaries read back byte for byte, and that the current code computes the
# very same summaries from the same data and merges the stored ones.  Two
# changes are by design: cycle summaries whose durations are all whole days
# are now day summaries (exact); for those the current code's summary has
# the same counts and sums, and merged with the stored sketch summary gives
# the very bytes of the stored one merged with itself (its days go into the
# sketches as the rows did).  Ticket summaries of at most 1,024 distinct
# amounts are exact lists, where earlier versions wrote a sketch: for those,
# the sketch the current code makes of its list (merging it with a stored
# sketch) must be the one the earlier version made of the rows.
set -euo pipefail
cd "$(dirname "$0")"
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" ../heartbeat.control)
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
fresh=heartbeat_up_fresh
tmp=$(mktemp -d)
dbs=("$fresh")
cleanup() { for db in "${dbs[@]}"; do dropdb --if-exists "$db"; done; rm -rf "$tmp"; }
trap cleanup EXIT

versions=()
for f in ../upgrade/heartbeat--*.sql; do
    v=${f##*/heartbeat--}; v=${v%.sql}
    [[ "$v" == *--* ]] || versions+=("$v")
done
if [ ${#versions[@]} = 0 ]; then
    # Only the first release has nothing to update from.
    if [ "$current" = 0.1.0 ]; then echo "1..0 # SKIP no earlier version"; exit 0; fi
    echo "1..1"; echo "not ok 1 - no frozen install script of an earlier version in upgrade/"; exit 0
fi
echo "1..$(( ${#versions[@]} * 7 ))"

createdb "$fresh"
"${PSQL[@]}" -d "$fresh" -c "CREATE EXTENSION heartbeat"
"${PSQL[@]}" -d "$fresh" -f lib/catalog.sql > "$tmp/fresh.catalog"

n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
for v in "${versions[@]}"; do
    db=heartbeat_up_${v//./_}
    dbs+=("$db")
    createdb "$db"
    "${PSQL[@]}" -d "$db" <<SQL
CREATE EXTENSION heartbeat VERSION '$v';
CREATE TABLE fixture (name text, typ text, txt text, bin text);
\copy fixture FROM 'fixtures/summaries-$v.copy'
-- Stored in typed columns while $v is installed.
CREATE TABLE kept AS
SELECT name, CASE typ WHEN 'conversion_summary' THEN txt::heartbeat.conversion_summary END AS conv,
             CASE typ WHEN 'ticket_summary' THEN txt::heartbeat.ticket_summary END AS ticket,
             CASE typ WHEN 'cycle_summary' THEN txt::heartbeat.cycle_summary END AS cycle,
             CASE typ WHEN 'retention_summary' THEN txt::heartbeat.retention_summary END AS ret,
             CASE typ WHEN 'funnel_summary' THEN txt::heartbeat.funnel_summary END AS funnel
  FROM fixture;
ALTER EXTENSION heartbeat UPDATE;
SQL
    got=$("${PSQL[@]}" -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'heartbeat'")
    [ "$got" = "$current" ]; ok $? "$v: ALTER EXTENSION heartbeat UPDATE reaches $current (got $got)"

    "${PSQL[@]}" -d "$db" -f lib/catalog.sql > "$tmp/$v.catalog"
    if diff "$tmp/fresh.catalog" "$tmp/$v.catalog" > "$tmp/$v.diff"; then ok 0 "$v: the updated catalogue equals a fresh install of $current"
    else ok 1 "$v: the updated catalogue differs from a fresh install of $current"; sed 's/^/# /' "$tmp/$v.diff" | head -40; fi

    bad=$("${PSQL[@]}" -d "$db" -c "
      SELECT count(*) FROM kept k JOIN fixture f USING (name)
       WHERE coalesce(conv::text, ticket::text, cycle::text, ret::text, funnel::text) IS DISTINCT FROM f.txt
          OR encode(coalesce(heartbeat.conversion_summary_send(conv), heartbeat.ticket_summary_send(ticket),
                             heartbeat.cycle_summary_send(cycle), heartbeat.retention_summary_send(ret),
                             heartbeat.funnel_summary_send(funnel)), 'hex') IS DISTINCT FROM f.bin")
    total=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM kept")
    [ "$bad" = 0 ] && [ "$total" -gt 0 ]; ok $? "$v: the $total summaries stored by $v read back byte for byte ($bad differ)"

    # The current code, from the same data: the same summaries, text and bytes
    # (whole-day cycles: see above; exact ticket lists: next test).
    bad=$("${PSQL[@]}" -d "$db" -f fixtures/summaries.sql -c "
      CREATE FUNCTION pg_temp.merged(a text, b text) RETURNS text LANGUAGE sql AS
        \$\$ SELECT heartbeat.rollup(v ORDER BY k)::text FROM (VALUES (1, a::heartbeat.cycle_summary), (2, b::heartbeat.cycle_summary)) x(k, v) \$\$;
      SELECT count(*) FROM fixture n FULL JOIN public.fixture o USING (name)
       WHERE CASE WHEN n.typ = 'cycle_summary' AND n.txt LIKE '%\"days\":%'
                  THEN regexp_replace(n.txt, ',\"days\":.*', '') IS DISTINCT FROM regexp_replace(o.txt, ',\"sketches\":.*', '')
                       OR pg_temp.merged(n.txt, o.txt) IS DISTINCT FROM pg_temp.merged(o.txt, o.txt)
                       OR pg_temp.merged(o.txt, n.txt) IS DISTINCT FROM pg_temp.merged(o.txt, o.txt)
                  WHEN n.txt ~ '\"amounts\":' THEN false
                  ELSE n.txt IS DISTINCT FROM o.txt OR n.bin IS DISTINCT FROM o.bin END")
    [ "$bad" = 0 ]; ok $? "$v: the current code computes the same summaries from the same data ($bad differ)"

    # Exact ticket lists: each merged with the stored summary gives the
    # stored summary merged with itself, byte for byte.
    read -r exact bad < <("${PSQL[@]}" -F ' ' -d "$db" -f fixtures/summaries.sql -c "
      SELECT count(*), count(*) FILTER (WHERE
               (SELECT heartbeat.rollup(s) FROM (VALUES (n.txt::heartbeat.ticket_summary), (o.txt::heartbeat.ticket_summary)) v(s))::text
               IS DISTINCT FROM (SELECT heartbeat.rollup(s) FROM (VALUES (o.txt::heartbeat.ticket_summary), (o.txt::heartbeat.ticket_summary)) v(s))::text)
        FROM fixture n JOIN public.fixture o USING (name) WHERE n.txt ~ '\"amounts\":'")
    [ "$bad" = 0 ] && [ "$exact" -gt 0 ]; ok $? "$v: the $exact ticket summaries now exact lists make the stored sketches again ($bad differ)"

    # Stored per-rep summaries merge into what the current code makes of all
    # rows (cycles: with what it makes of the other reps' rows; tickets, whose
    # 1,000 distinct amounts make an exact list now: both sides merged with the
    # stored 'ticket numeric', a sketch).
    bad=$("${PSQL[@]}" -d "$db" -f fixtures/summaries.sql -c "
      SELECT count(*) FROM (
        SELECT (SELECT heartbeat.rollup(conv) FROM kept WHERE name LIKE 'conversion %')::text
               IS DISTINCT FROM (SELECT heartbeat.conversion_agg(won) FROM d)::text
        UNION ALL
        SELECT (SELECT heartbeat.rollup(ticket) FROM kept WHERE name ~ '^ticket ([0-9]|numeric)')::text
               IS DISTINCT FROM (SELECT heartbeat.rollup(t) FROM (SELECT heartbeat.ticket_agg(amount) FROM d
                                 UNION ALL SELECT ticket FROM kept WHERE name = 'ticket numeric') u(t))::text
        UNION ALL
        SELECT (SELECT heartbeat.rollup(cycle) FROM kept WHERE name ~ '^cycle [0-9]')::text
               IS DISTINCT FROM (SELECT heartbeat.rollup(s) FROM (SELECT cycle FROM kept WHERE name = 'cycle 0'
                                                                 UNION ALL SELECT heartbeat.cycle_agg(opened, closed) FROM d WHERE rep <> 0) x(s))::text) x(differs)
       WHERE differs")
    [ "$bad" = 0 ]; ok $? "$v: rollup() of the stored summaries equals the current aggregates over all rows"

    # Tracking, new in 0.3.0, works in the updated database: a table tracked
    # there and written to keeps summaries equal to a fresh aggregation.
    bad=$("${PSQL[@]}" -d "$db" -c "SET TimeZone = 'UTC'" -c "SET search_path = public, heartbeat" -c "
      CREATE TABLE deals (id int PRIMARY KEY, rep text, opened_at timestamptz, closed_at timestamptz, won boolean,
                          amount numeric, customer_id int)" -f lib/track.sql -c "
      CREATE FUNCTION pg_temp.some(a int, b int) RETURNS SETOF deals LANGUAGE sql AS \$\$
        SELECT i, 'r' || i % 3, timestamptz '2026-01-01' + i * interval '7 hours',
               CASE WHEN i % 4 > 0 THEN timestamptz '2026-01-02' + i * interval '9 hours' END,
               CASE WHEN i % 4 > 0 THEN i % 3 = 0 END, (i % 97)::numeric, i % 40 FROM generate_series(a, b) i \$\$;
      INSERT INTO deals SELECT * FROM pg_temp.some(1, 500);
      SELECT heartbeat.track('deals', segment => 'rep') IS NULL;
      INSERT INTO deals SELECT * FROM pg_temp.some(501, 600);
      UPDATE deals SET won = NOT won WHERE id % 7 = 0;
      DELETE FROM deals WHERE id % 11 = 0;
      SELECT text_diff('2026-12-01') + period_diff('2026-12-01', 'month');
      SELECT heartbeat.compact('deals') IS NULL;
      SELECT text_diff('2026-12-01') + period_diff('2026-12-01', 'week')" | tr '\n' ' ')
    [ "$bad" = "f 0 f 0 " ]; ok $? "$v: after the update, track() keeps a table's summaries equal to a fresh aggregation (got: $bad)"
done
