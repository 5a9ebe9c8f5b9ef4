#!/bin/bash
# heartbeat benchmark of track() (issue #16, work in progress): what tracking
# costs writers and what it saves readers, tracked against untracked in the
# same run, alternating, RUNS times, medians.  Usage (inside a cluster, with
# pgbench on the PATH or in PGBIN):
#   bench/track.sh [N deals, default 1000000] [RUNS, default 3] [SECONDS per pgbench run, default 10]
# READS_ONLY=1 skips the two write cases.
# It (re)creates the tables deals (the demo generator's N deals, tracked per
# rep) and deals_plain (a copy, untracked) in the current database.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
SECS=${3:-10}
PGBENCH=${PGBIN:+$PGBIN/}pgbench
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "heartbeat track() bench: $N deals, $RUNS alternating runs per pair, medians"
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "server: $("${PSQL[@]}" -c 'SHOW server_version')"
"${PSQL[@]}" -c "SELECT heartbeat.untrack(deals) FROM heartbeat.tracked WHERE deals IN ('deals'::regclass, to_regclass('deals_whole'))" >/dev/null 2>&1 || true
"${PSQL[@]}" -v n="$N" -v seed=0.42 -v replace=1 -f demo/generate.sql >/dev/null
"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS heartbeat;
DROP TABLE IF EXISTS deals_plain, deals_whole, deals_new;
CREATE TABLE deals_plain (LIKE deals INCLUDING ALL);
INSERT INTO deals_plain SELECT * FROM deals;
CREATE TABLE deals_whole (LIKE deals INCLUDING ALL);
INSERT INTO deals_whole SELECT * FROM deals;
-- 100,000 more deals like the others, with new ids, for the batch loads.
CREATE TABLE deals_new AS SELECT * FROM deals ORDER BY id LIMIT 100000;
UPDATE deals_new SET id = id + 1000000000;
CREATE INDEX ON deals_new (id);
VACUUM ANALYZE deals, deals_plain, deals_whole, deals_new;
SET TimeZone = 'UTC';
SELECT heartbeat.track('deals', segment => 'rep');
SELECT heartbeat.track('deals_whole');
CREATE OR REPLACE PROCEDURE bench_load(t regclass) LANGUAGE plpgsql AS $$
BEGIN
    FOR b IN 0 .. 99 LOOP
        EXECUTE format('INSERT INTO %s SELECT * FROM deals_new WHERE id > 1000000000 + %s AND id <= 1000000000 + %s',
                       t, b * 1000, (b + 1) * 1000);
        COMMIT;
    END LOOP;
END $$;
SQL

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ms() {   # ms SQL...: the time of the last statement, in ms
    "${PSQL[@]}" -c "SET TimeZone = 'UTC'" -c '\timing on' "$@" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}
undo() {  # the loaded deals out again, the tracked table compacted
    "${PSQL[@]}" -c "DELETE FROM deals_plain WHERE id > 1000000000" -c "DELETE FROM deals WHERE id > 1000000000" \
        -c "SELECT heartbeat.compact('deals')" -c "VACUUM deals, deals_plain, deals_heartbeat" >/dev/null
}
report() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$(awk -v a="$2" -v b="$3" 'BEGIN {printf "%.2f", b / a}')"; }

echo
echo "| case | untracked | tracked | ratio (tracked / untracked) |"
echo "|---|---:|---:|---:|"

if [ -z "${READS_ONLY:-}" ]; then
# Writes: 100,000 deals in batches of 1,000 (ms).
for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) = 1 ]; then
        ms -c "CALL bench_load('deals_plain')" >> "$tmp/load_plain"; ms -c "CALL bench_load('deals')" >> "$tmp/load_tracked"
    else
        ms -c "CALL bench_load('deals')" >> "$tmp/load_tracked"; ms -c "CALL bench_load('deals_plain')" >> "$tmp/load_plain"
    fi
    undo
done
report "100,000 deals in batches of 1,000 (ms)" "$(median < "$tmp/load_plain")" "$(median < "$tmp/load_tracked")"

# Writes: single-row inserts of new open deals, 8 clients (ms per 1,000 transactions, from tps).
for t in deals_plain deals; do
    cat > "$tmp/ins_$t.sql" <<EOF
\set id random(2000000000, 2100000000)
\set rep random(1, 12)
INSERT INTO $t (id, rep, team, customer_id, opened_at, closed_at, amount, won)
VALUES (:id, 'rep' || :rep, 'a', :id % 5000, now(), NULL, NULL, NULL) ON CONFLICT DO NOTHING;
EOF
done
for r in $(seq 1 "$RUNS"); do
    for t in deals_plain deals; do
        "$PGBENCH" -n -c 8 -j 2 -T "$SECS" -f "$tmp/ins_$t.sql" 2>/dev/null \
            | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | awk '{printf "%.3f\n", 1000000 / $1}' >> "$tmp/tps_$t"
    done
done
"${PSQL[@]}" -c "DELETE FROM deals_plain WHERE id >= 2000000000" -c "DELETE FROM deals WHERE id >= 2000000000" \
    -c "SELECT heartbeat.compact('deals')" >/dev/null
report "single-row inserts, 8 pgbench clients (ms per 1,000)" "$(median < "$tmp/tps_deals_plain")" "$(median < "$tmp/tps_deals")"
fi

# Reads: per day and rep, as of 2026-11-30, a fresh aggregation against tracked_days() (compacted).
# (Each read is a function or a MATERIALIZED CTE: count(*) over a plain
# subquery would let the planner drop the aggregates whose output it never
# uses.)
fresh="SELECT count(*) FROM (
  WITH op AS MATERIALIZED (SELECT (opened_at AT TIME ZONE 'UTC')::date AS day, rep, count(*) AS n,
                     heartbeat.cycle_agg(opened_at, closed_at, '2026-11-30') AS cy
                FROM deals_plain WHERE opened_at <= '2026-11-30' GROUP BY 1, 2),
       cl AS MATERIALIZED (SELECT (closed_at AT TIME ZONE 'UTC')::date AS day, rep, count(*) AS n, count(*) FILTER (WHERE won) AS w,
                     heartbeat.conversion_agg(won) AS cs, heartbeat.ticket_agg(amount) FILTER (WHERE won) AS t,
                     heartbeat.cycle_agg(opened_at, closed_at) AS cy,
                     heartbeat.retention_agg('month', customer_id, closed_at, 'UTC') FILTER (WHERE won) AS r
                FROM deals_plain WHERE closed_at <= '2026-11-30' GROUP BY 1, 2)
  SELECT * FROM op FULL JOIN cl ON op.day = cl.day AND op.rep IS NOT DISTINCT FROM cl.rep) x"
for r in $(seq 1 "$RUNS"); do
    ms -c "$fresh" >> "$tmp/read_plain"
    ms -c "SELECT count(*) FROM heartbeat.tracked_days('deals', '2026-11-30', 'month')" >> "$tmp/read_tracked"
done
report "per day and rep: fresh aggregation vs tracked_days() (ms)" "$(median < "$tmp/read_plain")" "$(median < "$tmp/read_tracked")"

# pulse() as of 2026-11-30, by month and by day, on the untracked copy and
# on a tracked table, alternating: per rep (deals, tracked per rep); for the
# whole table (deals_whole, tracked without a segment; and deals, its reps
# rolled up).  Compacted; then with 1,000 new deals since (today's, as
# between two compactions); then with 1% of the deals updated (dirty days
# all over the history: the worst case before a compact()).
reads() {  # reads LABEL
    local g c seg tbl what arg r
    for g in month day; do
        for c in "rep deals per rep" "whole deals_whole whole table" "whole deals whole table, from the per-rep tracking"; do
            read -r seg tbl what <<<"$c"
            if [ "$seg" = rep ]; then arg=", segment => 'rep'"; else arg=; fi
            for r in $(seq 1 "$RUNS"); do
                ms -c "SELECT count(*) FROM heartbeat.pulse('deals_plain', '$g', as_of => '2026-11-30'$arg)" >> "$tmp/p_$1_$g$seg$tbl"
                ms -c "SELECT count(*) FROM heartbeat.pulse('$tbl', '$g', as_of => '2026-11-30'$arg)" >> "$tmp/q_$1_$g$seg$tbl"
            done
            printf '| %s, %s, %s | %s | %s | %s |\n' "$g" "$what" "$1" \
                "$(median < "$tmp/p_$1_$g$seg$tbl")" "$(median < "$tmp/q_$1_$g$seg$tbl")" \
                "$(awk -v a="$(median < "$tmp/p_$1_$g$seg$tbl")" -v b="$(median < "$tmp/q_$1_$g$seg$tbl")" 'BEGIN {printf "%.1f", a / b}')"
        done
    done
}
all() {  # all SQL with @: run for deals_plain, deals and deals_whole
    local t
    for t in deals_plain deals deals_whole; do "${PSQL[@]}" -c "${1//@/$t}" >/dev/null; done
}
echo
echo "| pulse(), as of 2026-11-30 | untracked (ms) | tracked (ms) | speed-up |"
echo "|---|---:|---:|---:|"
"${PSQL[@]}" -c "SELECT heartbeat.compact('deals')" -c "SELECT heartbeat.compact('deals_whole')" \
    -c "VACUUM ANALYZE deals_heartbeat, deals_whole_heartbeat" >/dev/null
reads compacted
all "INSERT INTO @ (id, rep, team, customer_id, opened_at, closed_at, amount, won)
     SELECT id + 3000000000, rep, team, customer_id, timestamptz '2026-11-29 12:00+00' + (id % 600) * interval '1 minute',
            CASE WHEN id % 3 = 0 THEN timestamptz '2026-11-29 23:00+00' END, amount, CASE WHEN id % 3 = 0 THEN won END
       FROM deals_new WHERE id <= 1000001000"
"${PSQL[@]}" -c "VACUUM ANALYZE deals_heartbeat, deals_whole_heartbeat" >/dev/null
reads "1,000 new deals since"
all "DELETE FROM @ WHERE id > 3000000000"
"${PSQL[@]}" -c "SELECT heartbeat.compact('deals')" -c "SELECT heartbeat.compact('deals_whole')" >/dev/null
all "UPDATE @ SET amount = amount + 1 WHERE won AND id % 100 = 0"
"${PSQL[@]}" -c "VACUUM ANALYZE deals_heartbeat, deals_whole_heartbeat" >/dev/null
echo "dirty keys: $("${PSQL[@]}" -c "SELECT count(DISTINCT (day, segment)) FROM deals_heartbeat WHERE kind = 'dirty'")" >&2
reads "1% updated"
