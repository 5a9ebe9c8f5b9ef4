#!/bin/bash
# TAP: demo/generate.sql never drops a table of the user's: with a deals table
# already there it stops with an ERROR and leaves it as it was; with
# -v replace=1 it replaces it.
set -uo pipefail
cd "$(dirname "$0")/.."
db=heartbeat_demo_generate
PSQL=(psql -X -q -At -d "$db")
dropdb --if-exists "$db"; createdb "$db"
trap 'dropdb --if-exists "$db"' EXIT
echo "1..4"
n=0
check() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "# got:  $1"; echo "# want: $2"; fi; }

"${PSQL[@]}" -c "CREATE TABLE deals (id int PRIMARY KEY, note text)" -c "INSERT INTO deals VALUES (1, 'mine')"
out=$("${PSQL[@]}" -v n=100 -f demo/generate.sql 2>&1); rc=$?
check "$rc $(grep -c 'ERROR:  table "deals" already exists' <<<"$out")" "3 1" \
      "with a deals table there, generate.sql stops with an ERROR (psql exit 3)"
check "$("${PSQL[@]}" -c "SELECT string_agg(id || ':' || note, ',') FROM deals")$("${PSQL[@]}" -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'deals'")" \
      "1:mine2" "and the user's table is untouched (same rows, same columns)"
"${PSQL[@]}" -v n=100 -v replace=1 -f demo/generate.sql >/dev/null 2>&1; rc=$?
check "$rc $("${PSQL[@]}" -c "SELECT count(*) FROM deals")" "0 100" "with -v replace=1 it replaces the table with 100 demo deals"
"${PSQL[@]}" -c "DROP TABLE deals"
"${PSQL[@]}" -v n=50 -f demo/generate.sql >/dev/null 2>&1; rc=$?
check "$rc $("${PSQL[@]}" -c "SELECT count(*) FROM deals")" "0 50" "without a deals table it just creates one"
