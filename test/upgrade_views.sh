#!/bin/bash
# TAP: views over sparkline survive ALTER EXTENSION heartbeat UPDATE from
# every earlier version.  sparkline(double precision[]) keeps its identity
# (its ASCII form is an overload, not a DEFAULT on a second parameter, which
# would have meant dropping it), so a view using it, or the aggregate, is
# neither dropped nor blocking the update, and reads the same after it; the
# update then adds sparkline(values, ascii => true).
set -uo pipefail
cd "$(dirname "$0")" || exit 1
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
versions=()
for f in ../upgrade/heartbeat--*.sql; do
    v=${f##*/heartbeat--}; v=${v%.sql}
    [[ "$v" == *--* ]] || versions+=("$v")
done
if [ ${#versions[@]} = 0 ]; then echo "1..0 # SKIP no earlier version"; exit 0; fi
dbs=()
trap 'for db in "${dbs[@]}"; do dropdb --if-exists "$db"; done' EXIT
n=0
check() { n=$((n + 1)); if [ -n "$1" ] && [ "$1" = "$2" ]; then echo "ok $n - $3"; else
    echo "not ok $n - $3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi; }
echo "1..$(( ${#versions[@]} * 2 ))"
for v in "${versions[@]}"; do
    db=heartbeat_upview_${v//./_}
    dbs+=("$db")
    dropdb --if-exists "$db" 2>/dev/null; createdb "$db"
    "${PSQL[@]}" -d "$db" <<SQL
CREATE EXTENSION heartbeat VERSION '$v';
-- Levels round((v - 10) / 10 * 7): 0, 1, a gap, 2, 1, 7.
CREATE TABLE weekly (t int, v float8);
INSERT INTO weekly VALUES (1, 10), (2, 12), (3, NULL), (4, 13), (5, 11), (6, 20);
CREATE VIEW spark AS
SELECT heartbeat.sparkline(array_agg(v ORDER BY t)) AS from_array,
       heartbeat.sparkline(v ORDER BY t) AS from_aggregate
  FROM weekly;
SQL
    before=$("${PSQL[@]}" -d "$db" -c "SELECT concat_ws('|', from_array, from_aggregate) FROM spark")
    "${PSQL[@]}" -d "$db" -c "ALTER EXTENSION heartbeat UPDATE" 2>&1 | sed 's/^/# /'
    check "$("${PSQL[@]}" -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'heartbeat'") $("${PSQL[@]}" -d "$db" -c "SELECT concat_ws('|', from_array, from_aggregate) FROM spark")" \
          "$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" ../heartbeat.control) $before" \
          "$v: a view over sparkline(double precision[]) and the aggregate survives the update and reads the same ($before)"
    check "$("${PSQL[@]}" -d "$db" -c "SELECT heartbeat.sparkline(array_agg(v ORDER BY t), ascii => true) FROM weekly")" \
          "_. -.#" "$v: and the update adds sparkline(values, ascii => true): the same levels in ASCII"
done
[ "$n" = $(( ${#versions[@]} * 2 )) ]
