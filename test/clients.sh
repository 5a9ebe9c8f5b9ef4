#!/bin/bash
# TAP: heartbeat from client drivers, as applications and BI tools read it:
# psycopg 3 (test/clients/psycopg3.py says what it checks) on generated
# deals.  Skips when the driver is not installed (scripts/deps.sh installs
# python3-psycopg as root).  Runs inside the test cluster (scripts/run-tests.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
db=heartbeat_clients
# Debian's python3: the driver is a Debian package.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import psycopg' 2>/dev/null; then
    echo "1..0 # SKIP psycopg 3 is not installed (apt-get install python3-psycopg)"; exit 0
fi
dropdb --if-exists "$db" 2>/dev/null; createdb "$db" || exit 1
trap 'dropdb --if-exists "$db"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL' || exit 1
CREATE EXTENSION heartbeat;
CREATE TABLE deals AS
SELECT i AS id, i % 6 AS rep, o AS opened_at,
       CASE WHEN i % 5 <> 0 THEN o + (i % 45) * interval '1 day' + (i % 7) * interval '1 hour' END AS closed_at,
       CASE WHEN i % 5 <> 0 THEN i % 3 = 0 END AS won, (i % 400) * 12.5 + 99.99 AS amount,
       (i % 300)::bigint AS customer_id, 1 + i % 4 AS stage
  FROM generate_series(1, 5000) i,
       LATERAL (SELECT timestamptz '2025-01-01 00:00+00' + (i % 600) * interval '1 day' AS o) x;
-- The README's view for a BI tool.
CREATE VIEW sales_heartbeat_bi AS
SELECT period, deals_opened, deals_closed, deals_won,
       conversion_rate, conversion_lower, conversion_upper,
       mean_ticket::float8 AS mean_ticket, median_ticket::float8 AS median_ticket,
       mean_cycle_days, survival_cycle_days, retention_rate, alert
  FROM heartbeat.pulse('public.deals');
SQL
"$py" test/clients/psycopg3.py "$db"
