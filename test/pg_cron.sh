#!/bin/bash
# TAP: the README's pg_cron recipe for the nightly refresh, run for real.  A
# throwaway cluster (unix socket only, in a private temp dir) with
# shared_preload_libraries = 'pg_cron', cron.database_name and cron.host set
# to the socket directory, as the recipe says; the README's materialized view
# of daily per-rep summaries (day boundaries in UTC) with its unique index;
# new deals arrive, the recipe's job is scheduled every minute (pg_cron 1.4
# has no finer schedule) and the test waits for its run, at most ~90 s.  The
# job's sessions run in another time zone than the test's: the view must
# still equal a fresh aggregation.  Skips when pg_cron is not installed
# (scripts/deps.sh installs postgresql-NN-cron as root where the release has it).
set -uo pipefail
bin=${PGBIN:-$("${PG_CONFIG:-pg_config}" --bindir)}
pgc="$bin/pg_config"
[ -x "$pgc" ] || pgc=${PG_CONFIG:-pg_config}
if [ ! -f "$("$pgc" --pkglibdir)/pg_cron.so" ]; then
    echo "1..0 # SKIP pg_cron is not installed for this PostgreSQL (apt-get install postgresql-$("$pgc" --version | sed -n 's/^PostgreSQL \([0-9]*\).*/\1/p')-cron)"
    exit 0
fi
db=heartbeat_cron
port=55441   # the socket's name only: the cluster listens on no TCP port
if [ "$(id -u)" = 0 ]; then owner=postgres; as_owner=(runuser -u postgres --); else owner=$(id -un); as_owner=(); fi
tmp=$(mktemp -d /tmp/hb_cron.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" = 0 ] && chown "$owner" "$tmp"
cleanup() {
    [ -f "$tmp/data/postmaster.pid" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 -h "$tmp" -p "$port" -U "$owner" -d "$db" -c "SET TimeZone = 'UTC'" "$@"; }
n=0
check() { n=$((n + 1)); if [ -n "$1" ] && [ "$1" = "$2" ]; then echo "ok $n - $3"; else
    echo "not ok $n - $3"; printf '#   got:  %s\n#   want: %s\n' "${1:0:2000}" "${2:0:2000}"; fi; }

echo "1..5"
"${as_owner[@]}" "$bin/initdb" -D "$tmp/data" -U "$owner" -A trust -E UTF8 --locale=C --no-sync >/dev/null || exit 1
# The recipe's settings, in postgresql.conf (cron.database_name is read only there).
cat >> "$tmp/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$tmp'
port = $port
fsync = off
shared_preload_libraries = 'pg_cron'
cron.database_name = '$db'
cron.host = '$tmp'
CONF
start() { "${as_owner[@]}" "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/log" -w start >/dev/null || { cat "$tmp/log"; exit 1; }; }
start
psql -X -q -h "$tmp" -p "$port" -U "$owner" -d postgres -c "CREATE DATABASE $db" || exit 1
# The job's sessions (and the database's default) in a zone far from UTC.
q -c "ALTER DATABASE $db SET TimeZone = 'Pacific/Auckland'"
q -f - <<'SQL' || exit 1
CREATE EXTENSION heartbeat;
CREATE EXTENSION pg_cron;
SET search_path = public, heartbeat;
CREATE TABLE deals AS
SELECT i AS id, i % 8 AS rep, 'team ' || i % 8 % 3 AS team,
       timestamptz '2026-03-01 00:00+00' + i * interval '37 minutes' AS opened_at,
       CASE WHEN i % 4 <> 0 THEN i % 3 = 0 END AS won
  FROM generate_series(1, 3000) i;
CREATE MATERIALIZED VIEW daily_rep AS
SELECT (opened_at AT TIME ZONE 'UTC')::date AS day, rep, team, conversion_agg(won) AS conversion
  FROM deals GROUP BY 1, 2, 3;
CREATE UNIQUE INDEX ON daily_rep (day, rep);
SQL
# The view against a fresh aggregation, as one checksum over every row.
view="SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', day, rep, team, conversion::text), ',' ORDER BY day, rep)) FROM daily_rep"
fresh="SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', day, rep, team, conversion::text), ',' ORDER BY day, rep))
         FROM (SELECT (opened_at AT TIME ZONE 'UTC')::date AS day, rep, team, heartbeat.conversion_agg(won) AS conversion
                 FROM deals GROUP BY 1, 2, 3) f"
# New deals since the view was built: some on days it has, some on new days.
q -c "INSERT INTO deals SELECT i, i % 8, 'team ' || i % 8 % 3, timestamptz '2026-03-01 00:00+00' + i * interval '37 minutes',
                               i % 5 = 0 FROM generate_series(2900, 3400) i"
stale=$(q -c "$view")
check "$([ "$stale" != "$(q -c "$fresh")" ] && echo stale)" "stale" "before the job the view lacks the new deals"

jobid=$(q -c "SELECT cron.schedule('heartbeat-refresh', '* * * * *', \$\$REFRESH MATERIALIZED VIEW CONCURRENTLY daily_rep\$\$)")
status=
for _ in $(seq 45); do
    [ -n "$jobid" ] || break
    status=$(q -c "SELECT status FROM cron.job_run_details WHERE jobid = $jobid AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
    [ -n "$status" ] && break
    sleep 2
done
check "$status" "succeeded" "the recipe's job ran and succeeded (cron.job_run_details)"
[ "$status" = succeeded ] || q -c "SELECT status, return_message FROM cron.job_run_details WHERE jobid = $jobid" | sed 's/^/#   /'
check "$(q -c "SELECT command || ' | ' || database || ' | ' || return_message FROM cron.job_run_details WHERE jobid = $jobid ORDER BY runid LIMIT 1")" \
      "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_rep | $db | REFRESH MATERIALIZED VIEW" \
      "it ran the recipe's command in cron.database_name"
check "$(q -c "$view")" "$(q -c "$fresh")" \
      "the refreshed view equals a fresh aggregation, though the job's sessions run in Pacific/Auckland"
check "$(q -c "SELECT cron.unschedule('heartbeat-refresh')")$(q -c "SELECT count(*) FROM cron.job")" "t0" \
      "cron.unschedule removes the job"
[ "$n" = 5 ]
