#!/bin/bash
# TAP: a tracked table under concurrent writers, then through pg_dump /
# pg_restore.  Six sessions write at once for a bounded number of
# transactions — single-row inserts into the same hot day, batches, updates
# and deletes of their own rows (so that no two sessions lock the same deal),
# rolled-back transactions and savepoints — while a seventh loads by COPY
# (some loads rolled back) and truncates the table (once rolled back, once
# for good) and an eighth runs compact() in a loop.  No session may fail (a
# deadlock is an ERROR), and the tracked summaries must then equal a fresh
# aggregation, byte for byte, and pulse() an untracked copy's; after a last
# compact(), and after a dump and restore too, and the restored table keeps
# being tracked.
# Runs inside the test cluster (scripts/run-tests.sh, via prove).
set -euo pipefail
cd "$(dirname "$0")"
db=heartbeat_track_conc
dst=heartbeat_track_restored
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dropdb --if-exists "$db"; dropdb --if-exists "$dst"' EXIT
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
writers=6
rounds=${HB_TRACK_ROUNDS:-150}

echo "1..8"
createdb "$db"
"${PSQL[@]}" -d "$db" <<'SQL'
CREATE EXTENSION heartbeat;
CREATE TABLE deals (id int PRIMARY KEY, rep text, opened_at timestamptz, closed_at timestamptz, won boolean,
                    amount numeric, customer_id int);
INSERT INTO deals
SELECT i, (ARRAY['north', 'south', NULL])[1 + i % 3], timestamptz '2026-03-01' + (i % 40) * interval '1 day' + (i % 7) * interval '1 hour',
       CASE WHEN i % 4 > 0 THEN timestamptz '2026-03-02' + (i % 40 + i % 9) * interval '1 day' END,
       CASE WHEN i % 4 > 0 THEN i % 3 = 0 END, (i % 500) * 3.5, i % 80
  FROM generate_series(1, 2000) i;
SELECT heartbeat.track('deals', segment => 'rep') IS NOT NULL;
SQL

# Session k's script: its own ids (k * 1000000 + n); every insert of a
# round goes to 2026-04-01, the hot day.
for k in $(seq 1 $writers); do
    {
        echo "SET TimeZone = 'UTC';"
        for r in $(seq 1 "$rounds"); do
            base=$((k * 1000000 + r * 100))
            echo "INSERT INTO deals VALUES ($base, 'north', '2026-04-01 10:00+00', NULL, NULL, $r, $k);"
            echo "INSERT INTO deals SELECT $base + i, (ARRAY['north', 'south', NULL])[1 + i % 3], '2026-04-01 00:00+00'::timestamptz + i * interval '13 minutes',
                    CASE WHEN i % 2 = 0 THEN '2026-04-03 00:00+00'::timestamptz + i * interval '1 hour' END, CASE WHEN i % 2 = 0 THEN i % 4 = 0 END,
                    i * 10, (i + $k) % 30 FROM generate_series(1, 9) i;"
            case $((r % 4)) in
                0) echo "UPDATE deals SET closed_at = '2026-04-05 12:00+00', won = true WHERE id BETWEEN $base AND $base + 3 AND closed_at IS NULL;" ;;
                1) echo "BEGIN; INSERT INTO deals VALUES ($base + 50, 'south', '2026-04-01 11:00+00', NULL, NULL, 1, 1);
                         UPDATE deals SET rep = 'east' WHERE id = $base + 1; ROLLBACK;" ;;
                2) echo "BEGIN; DELETE FROM deals WHERE id = $base + 2; SAVEPOINT a;
                         UPDATE deals SET opened_at = opened_at - interval '1 day' WHERE id = $base + 3; ROLLBACK TO SAVEPOINT a;
                         UPDATE deals SET amount = amount + 1 WHERE id = $base + 4; COMMIT;" ;;
                3) echo "UPDATE deals SET rep = NULL, opened_at = opened_at + interval '1 day' WHERE id = $base + 5;" ;;
            esac
        done
    } > "$tmp/writer$k.sql"
done
{
    for r in $(seq 1 $((rounds / 4))); do echo "SELECT heartbeat.compact('deals');"; echo "SELECT pg_sleep(0.05);"; done
} > "$tmp/compactor.sql"
# A session that loads by COPY (one load in three rolled back), and
# truncates the table twice: once rolled back, once for good, loading the
# first 2,000 deals back in the same transaction.
{
    echo "SET TimeZone = 'UTC';"
    for r in $(seq 1 $((rounds / 3))); do
        base=$((9000000 + r * 10))
        [ $((r % 3)) = 0 ] && echo "BEGIN;"
        echo "COPY deals FROM STDIN;"
        for i in 1 2 3 4; do
            printf '%s\t%s\t2026-04-0%s 0%s:00+00\t%s\t%s\t%s.5\t%s\n' $((base + i)) "$([ $i = 4 ] && echo '\N' || echo south)" \
                $((i % 3 + 1)) $i "$([ $i -lt 3 ] && echo "2026-04-0$((i + 3)) 10:00+00" || echo '\N')" \
                "$([ $i -lt 3 ] && echo "$([ $i = 1 ] && echo t || echo f)" || echo '\N')" $((r * i)) $((r % 20))
        done
        echo '\.'
        [ $((r % 3)) = 0 ] && echo "ROLLBACK;"
        if [ "$r" = $((rounds / 12)) ]; then echo "BEGIN; TRUNCATE deals; ROLLBACK;"; fi
        if [ "$r" = $((rounds / 6)) ]; then
            echo "BEGIN; CREATE TEMP TABLE keep AS SELECT * FROM deals WHERE id <= 2000; TRUNCATE deals;"
            echo "INSERT INTO deals SELECT * FROM keep; DROP TABLE keep; COMMIT;"
        fi
    done
} > "$tmp/copier.sql"

pids=()
for k in $(seq 1 $writers); do
    timeout 300 "${PSQL[@]}" -d "$db" -f "$tmp/writer$k.sql" > "$tmp/writer$k.out" 2>&1 & pids+=($!)
done
timeout 300 "${PSQL[@]}" -d "$db" -f "$tmp/compactor.sql" > "$tmp/compactor.out" 2>&1 & pids+=($!)
timeout 300 "${PSQL[@]}" -d "$db" -f "$tmp/copier.sql" > "$tmp/copier.out" 2>&1 & pids+=($!)
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
if [ "$failed" = 0 ]; then echo "ok 1 - $writers writers ($rounds rounds each, one hot day), a COPY and TRUNCATE session and a compactor finish without an error"
else echo "not ok 1 - $failed sessions failed"; cat "$tmp"/*.out | sed 's/^/# /' | head -20; fi

inserted=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM deals WHERE id >= 1000000")
[ "$inserted" -gt 0 ] && echo "ok 2 - the writers inserted $inserted deals" || echo "not ok 2 - no deal inserted"

diffs() {
    "${PSQL[@]}" -d "$1" -c "BEGIN" -c "SET LOCAL TimeZone = 'UTC'" -c "SET LOCAL search_path = public, heartbeat" -f lib/track.sql \
        -c "SELECT text_diff('2026-12-01', 'month') + eq_diff('2026-04-02', 'day') + text_diff('2026-04-04', 'week')" -c "ROLLBACK"
}
# pulse() of the tracked table against an untracked copy of its rows, as text (by day and rep, and by month).
pulse_diffs() {
    "${PSQL[@]}" -d "$db" -c "SET TimeZone = 'UTC'" -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS deals_copy" -c "CREATE TABLE deals_copy AS SELECT * FROM deals" -c "
      SELECT count(*) FROM (
        (SELECT p::text FROM heartbeat.pulse('deals', 'day', as_of => '2026-12-01', segment => 'rep') p
         UNION ALL SELECT p::text FROM heartbeat.pulse('deals', as_of => '2026-12-01') p
         EXCEPT ALL
         (SELECT p::text FROM heartbeat.pulse('deals_copy', 'day', as_of => '2026-12-01', segment => 'rep') p
          UNION ALL SELECT p::text FROM heartbeat.pulse('deals_copy', as_of => '2026-12-01') p))
        UNION ALL
        (SELECT p::text FROM heartbeat.pulse('deals_copy', 'day', as_of => '2026-12-01', segment => 'rep') p
         UNION ALL SELECT p::text FROM heartbeat.pulse('deals_copy', as_of => '2026-12-01') p
         EXCEPT ALL
         (SELECT p::text FROM heartbeat.pulse('deals', 'day', as_of => '2026-12-01', segment => 'rep') p
          UNION ALL SELECT p::text FROM heartbeat.pulse('deals', as_of => '2026-12-01') p))) x"
}
got=$(diffs "$db")
[ "$got" = 0 ] && echo "ok 3 - after the concurrent writes the tracked days equal a fresh aggregation" \
               || echo "not ok 3 - $got rows differ"
got=$(pulse_diffs)
[ "$got" = 0 ] && echo "ok 4 - and pulse() (by day and rep, by month) equals an untracked copy's" \
               || echo "not ok 4 - $got pulse() rows differ"
"${PSQL[@]}" -d "$db" -c "SELECT heartbeat.compact('deals')" > /dev/null
got=$(diffs "$db")$(pulse_diffs)
[ "$got" = 00 ] && echo "ok 5 - and both after a last compact()" || echo "not ok 5 - $got rows differ after compact()"
"${PSQL[@]}" -d "$db" -c "DROP TABLE deals_copy" > /dev/null

# Dump and restore: the mapping (the triggers) and the tracked rows come back.
fingerprint() {
    "${PSQL[@]}" -d "$1" -c "SET TimeZone = 'UTC'" \
        -c "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM heartbeat.tracked_days('deals', '2026-12-01', 'week') t"
}
"${PSQL[@]}" -d "$db" -c "INSERT INTO deals VALUES (9000001, 'south', '2026-04-01', NULL, NULL, 1, 1)" \
    -c "UPDATE deals SET won = NOT won WHERE id = 7"
before=$(fingerprint "$db")
pg_dump -Fc -f "$tmp/dump" "$db"
createdb "$dst"
pg_restore -d "$dst" "$tmp/dump"
after=$(fingerprint "$dst")
[ -n "$before" ] && [ "$before" = "$after" ] && echo "ok 6 - pg_dump / pg_restore: the tracked days read back the same" \
    || echo "not ok 6 - the tracked days changed in dump / restore"
mapping=$("${PSQL[@]}" -d "$dst" -c "SELECT concat_ws('|', deals, tracked_table, segment, zone) FROM heartbeat.tracked")
[ "$mapping" = "deals|deals_heartbeat|rep|UTC" ] && echo "ok 7 - the restored database lists the tracked table" \
    || echo "not ok 7 - heartbeat.tracked after restore: $mapping"
"${PSQL[@]}" -d "$dst" -c "INSERT INTO deals VALUES (9000002, 'north', '2026-04-01', '2026-04-02', true, 5, 2)" \
    -c "DELETE FROM deals WHERE id = 8"
got=$(diffs "$dst")
[ "$got" = 0 ] && echo "ok 8 - and writes after the restore are tracked exactly" || echo "not ok 8 - $got rows differ after restore"
