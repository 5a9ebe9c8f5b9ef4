#!/bin/bash
# TAP: pulse()'s alert on the demo data (demo/generate.sql) and on a second
# generated dataset (another seed and size).  Early months hold only the
# deals that closed fast, so their win rate drifts down as the data fills
# in: without a minimum history (min_history => 0) that is a conversion
# drop; by default no series (the whole table, each team) alerts in its
# first 12 months, and the real drop of spring 2026 (deals opened in March
# 2026 win at 55% of the usual rate) is still flagged.
set -uo pipefail
cd "$(dirname "$0")/.."
db=heartbeat_pulse_alerts
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 -d "$db")
dropdb --if-exists "$db" 2>/dev/null; createdb "$db"
trap 'dropdb --if-exists "$db"' EXIT
"${PSQL[@]}" -c "CREATE EXTENSION heartbeat" -c "CREATE SCHEMA demo" -c "CREATE SCHEMA other"
PGOPTIONS="-c search_path=demo" "${PSQL[@]}" -v n=20000 -v seed=0.42 -f demo/generate.sql >/dev/null
PGOPTIONS="-c search_path=other" "${PSQL[@]}" -v n=50000 -v seed=0.17 -f demo/generate.sql >/dev/null
echo "1..10"
n=0
check() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "# got:  $1"; echo "# want: $2"; fi; }
alerts() {  # alerts TABLE [pulse arguments]: "period segment alert" lines
    "${PSQL[@]}" -c "SET TimeZone = 'UTC'" -F ' ' \
        -c "SELECT period, coalesce(segment_value, '-'), alert FROM heartbeat.pulse('$1', as_of => '2026-11-01'${2:-}) WHERE alert IS NOT NULL ORDER BY 1, 2"
}
for t in demo.deals other.deals; do
    check "$(alerts $t ", min_history => 0" | awk '$1 < "2025-06-01" && /conversion drop/ {k++} END {print (k > 0)}')" 1 \
          "$t: with min_history => 0 its first months alert (the artifact is there)"
    check "$(alerts $t | awk '$1 < "2026-01-01"' | wc -l | tr -d ' ')" 0 "$t: by default no alert in its first 12 months"
    check "$(alerts $t ", segment => 'team'" | awk '$1 < "2026-01-01"' | wc -l | tr -d ' ')" 0 "$t: nor in any team's"
    check "$(alerts $t | awk '$1 == "2026-04-01" && /conversion drop/' | wc -l | tr -d ' ')" 1 "$t: the spring 2026 drop is flagged (April)"
done
check "$(alerts demo.deals ", segment => 'team'" | awk '$1 == "2026-04-01" && /conversion drop/ {print $2}' | paste -sd, -)" "north,south,west" \
      "demo.deals: and in each team"
check "$(alerts demo.deals ", since => '2026-01-01'")" "$(alerts demo.deals | awk '$1 >= "2026-01-01"')" \
      "demo.deals: since => 2026-01-01 gives the whole run's alerts for 2026"
