#!/bin/bash
# heartbeat benchmark: each heartbeat function against its plain-SQL
# equivalent, in the same session, alternating which goes first, RUNS times;
# prints medians and ratios.  Usage (inside a cluster, e.g. via `make bench`):
#   bench/bench.sh [N deals, default 5000000] [RUNS, default 7] [SECTIONS]
# SECTIONS, comma-separated, default all: cases (against plain SQL and,
# for one-argument aggregates, against the floor: count() of the same
# column, the cost of merely visiting it), parallel (2 workers against
# none), groups (many groups against avg()), pulse (pulse() for the last 12
# months with since against the whole history, by month and by day).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000000}
RUNS=${2:-7}
SECTIONS=${3:-cases,parallel,groups,pulse}
section() { [[ ",$SECTIONS," == *",$1,"* ]]; }
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

echo "heartbeat bench: $N deals, $RUNS alternating runs per pair, medians"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "server: $("${PSQL[@]}" -At -c 'SHOW server_version')"

if [ "$("${PSQL[@]}" -At -c "SELECT count(*) FROM pg_class WHERE relname = 'deals' AND relkind = 'r'")" = 1 ] &&
   [ "$("${PSQL[@]}" -At -c "SELECT count(*) FROM deals")" = "$N" ]; then
    echo "reusing table deals"
else
    echo "generating $N deals..."
    "${PSQL[@]}" -v n="$N" -v seed=0.42 -v replace=1 -f demo/generate.sql >/dev/null
fi
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS heartbeat" -c "VACUUM ANALYZE deals" 2>/dev/null

# name | settings | heartbeat query | plain-SQL query | floor query (one-argument
# aggregates: count() of the column, shaped as the heartbeat query; empty otherwise)
CASES=$(cat <<'SQL'
conversion_rate vs count FILTER / count|SET max_parallel_workers_per_gather = 0|SELECT heartbeat.conversion_rate(won) FROM deals|SELECT count(*) FILTER (WHERE won)::float8 / count(won) FROM deals|SELECT count(won) FROM deals
conversion_agg per rep vs count FILTER per rep|SET max_parallel_workers_per_gather = 0|SELECT rep, heartbeat.conversion_agg(won) FROM deals GROUP BY rep|SELECT rep, count(*) FILTER (WHERE won), count(won) FROM deals GROUP BY rep|SELECT rep, count(won) FROM deals GROUP BY rep
conversion_rate per month vs count FILTER / count|SET max_parallel_workers_per_gather = 0|SELECT date_trunc('month', opened_at), heartbeat.conversion_rate(won) FROM deals GROUP BY 1|SELECT date_trunc('month', opened_at), count(*) FILTER (WHERE won)::float8 / nullif(count(won), 0) FROM deals GROUP BY 1|SELECT date_trunc('month', opened_at), count(won) FROM deals GROUP BY 1
moving conversion_rate (ROWS 1000) vs count FILTER / count|SET max_parallel_workers_per_gather = 0|SELECT max(r) FROM (SELECT heartbeat.conversion_rate(won) OVER (ORDER BY id ROWS 999 PRECEDING) r FROM deals WHERE id <= 1000000) q|SELECT max(r) FROM (SELECT (count(*) FILTER (WHERE won) OVER w)::float8 / count(won) OVER w r FROM deals WHERE id <= 1000000 WINDOW w AS (ORDER BY id ROWS 999 PRECEDING)) q|SELECT max(r) FROM (SELECT count(won) OVER (ORDER BY id ROWS 999 PRECEDING) r FROM deals WHERE id <= 1000000) q
avg_ticket vs avg|SET max_parallel_workers_per_gather = 0|SELECT heartbeat.avg_ticket(amount) FROM deals|SELECT avg(amount) FROM deals|SELECT count(amount) FROM deals
median_ticket vs percentile_cont(0.5)|SET max_parallel_workers_per_gather = 0|SELECT heartbeat.median_ticket(amount) FROM deals|SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM deals|SELECT count(amount) FROM deals
ticket_agg per rep vs avg, min, max, percentile_disc per rep|SET max_parallel_workers_per_gather = 0|SELECT rep, heartbeat.ticket_agg(amount) FROM deals GROUP BY rep|SELECT rep, avg(amount), min(amount), max(amount), percentile_disc(0.5) WITHIN GROUP (ORDER BY amount) FROM deals GROUP BY rep|SELECT rep, count(amount) FROM deals GROUP BY rep
moving avg_ticket (ROWS 1000) vs avg|SET max_parallel_workers_per_gather = 0|SELECT max(r) FROM (SELECT heartbeat.avg_ticket(amount) OVER (ORDER BY id ROWS 999 PRECEDING) r FROM deals WHERE id <= 1000000) q|SELECT max(r) FROM (SELECT avg(amount) OVER (ORDER BY id ROWS 999 PRECEDING) r FROM deals WHERE id <= 1000000) q|SELECT max(r) FROM (SELECT count(amount) OVER (ORDER BY id ROWS 999 PRECEDING) r FROM deals WHERE id <= 1000000) q
avg_cycle vs avg(closed - opened)|SET max_parallel_workers_per_gather = 0|SELECT heartbeat.avg_cycle(opened_at, closed_at) FROM deals|SELECT avg(closed_at - opened_at) FROM deals
median_cycle vs percentile_cont(0.5)|SET max_parallel_workers_per_gather = 0|SELECT heartbeat.median_cycle(opened_at, closed_at) FROM deals|SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY closed_at - opened_at) FROM deals
cycle_agg as_of per month vs naive avg and percentile_disc per month|SET max_parallel_workers_per_gather = 0|SELECT date_trunc('month', opened_at), heartbeat.cycle_agg(opened_at, closed_at, '2026-11-01') FROM deals GROUP BY 1|SELECT date_trunc('month', opened_at), avg(closed_at - opened_at), percentile_disc(0.5) WITHIN GROUP (ORDER BY closed_at - opened_at) FROM deals GROUP BY 1
cohort triangle vs plain SQL (distinct pairs, first month, join, group)|SET max_parallel_workers_per_gather = 0; SET TimeZone = 'UTC'|SELECT count(*), sum(active) FROM heartbeat.cohorts((SELECT heartbeat.retention_agg('month', customer_id, opened_at, 'UTC') FROM deals))|WITH cp AS (SELECT DISTINCT customer_id, date_trunc('month', opened_at) m FROM deals), f AS (SELECT customer_id, min(m) c FROM cp GROUP BY 1), t AS (SELECT f.c, (extract(year FROM age(cp.m, f.c)) * 12 + extract(month FROM age(cp.m, f.c)))::int o, count(*) a FROM cp JOIN f USING (customer_id) GROUP BY 1, 2) SELECT count(*), sum(a) FROM t
period retention vs self-join|SET max_parallel_workers_per_gather = 0; SET TimeZone = 'UTC'|SELECT count(*), sum(retained) FROM heartbeat.retention((SELECT heartbeat.retention_agg('month', customer_id, opened_at, 'UTC') FROM deals))|WITH cp AS (SELECT DISTINCT customer_id, date_trunc('month', opened_at) m FROM deals), r AS (SELECT a.m, count(*) active, count(b.customer_id) retained FROM cp a LEFT JOIN cp b ON b.customer_id = a.customer_id AND b.m = a.m - interval '1 month' GROUP BY a.m) SELECT count(*), sum(retained) FROM r
SQL
)
# Parallel speed-up: the same heartbeat query with 2 workers vs none.
PARALLEL=$(cat <<'SQL'
conversion_rate, 2 workers vs none|SELECT heartbeat.conversion_rate(won) FROM deals
ticket_agg, 2 workers vs none|SELECT heartbeat.ticket_agg(amount) FROM deals
cycle_agg, 2 workers vs none|SELECT heartbeat.cycle_agg(opened_at, closed_at) FROM deals
SQL
)

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# time_runs SETTINGS_A QUERY_A SETTINGS_B QUERY_B [SETTINGS_C QUERY_C] ->
# prints "A ms", "B ms" (and "C ms") per run; the order rotates each run.
time_runs() {
    local labels=(A B C) n=$(($# / 2)) script="" r k i
    local -a sets=() qry=()
    for ((k = 0; k < n; k++)); do sets[k]=${@:2*k+1:1}; qry[k]=${@:2*k+2:1}; done
    script+="\\timing on"$'\n'
    # one warm-up of each, untimed by us
    for ((k = 0; k < n; k++)); do script+="${sets[k]};"$'\n'"${qry[k]};"$'\n'; done
    for ((r = 0; r < RUNS; r++)); do
        for ((i = 0; i < n; i++)); do
            k=$(((i + r) % n))
            script+="${sets[k]};"$'\n'"\\echo ${labels[k]}"$'\n'"${qry[k]};"$'\n'
        done
    done
    "${PSQL[@]}" -o /dev/null <<<"$script" | awk '
        /^[ABC]$/ {who=$1; next}
        /^Time:/ && who != "" {print who, $2; who=""}'
}

# median_of LABEL TIMES: the median ms of one side
median_of() { awk -v l="$1" '$1==l {print $2}' <<<"$2" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

report() {
    local name=$1 times=$2 a b
    a=$(median_of A "$times")
    b=$(median_of B "$times")
    printf '| %s | %.1f | %.1f | %s |\n' "$name" "$a" "$b" "$(ratio "$a" "$b")"
}

if section cases; then
    echo
    echo "| case | heartbeat ms | plain SQL ms | ratio (heartbeat / plain) | floor ms | ratio (heartbeat / floor) |"
    echo "|---|---:|---:|---:|---:|---:|"
    while IFS='|' read -r name settings hq pq fq; do
        [ -n "$name" ] || continue
        if [ -n "$fq" ]; then
            times=$(time_runs "$settings" "$hq" "$settings" "$pq" "$settings" "$fq")
            c=$(median_of C "$times")
            echo "$(report "$name" "$times") $(printf '%.1f' "$c") | $(ratio "$(median_of A "$times")" "$c") |"
        else
            echo "$(report "$name" "$(time_runs "$settings" "$hq" "$settings" "$pq")") — | — |"
        fi
    done <<<"$CASES"
fi

if section parallel; then
    echo
    echo "| case | 2 workers ms | no workers ms | ratio (2 workers / none) |"
    echo "|---|---:|---:|---:|"
    while IFS='|' read -r name q; do
        report "$name" "$(time_runs "SET max_parallel_workers_per_gather = 2" "$q" "SET max_parallel_workers_per_gather = 0" "$q")"
    done <<<"$PARALLEL"
    echo
    while IFS='|' read -r name q; do
        echo "$name: $("${PSQL[@]}" -At -c "SET max_parallel_workers_per_gather = 2" \
            -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $q" | grep -E 'Workers (Planned|Launched)' | sed 's/^ *//' | paste -sd, -)"
    done <<<"$PARALLEL"
fi

# Many groups: the first million deals grouped 10,000, 100,000 and 1,000,000
# ways (100, 10 and 1 rows a group), each heartbeat aggregate against avg()
# grouped the same way, at work_mem 4MB and 1GB.  The outer count() uses the
# aggregate, so the planner cannot drop it.  The last column is the plan each
# side got (HashAggregate batches, or GroupAggregate over a sort).
if section groups; then
    "${PSQL[@]}" -c "DROP TABLE IF EXISTS bench_groups" \
        -c "CREATE TABLE bench_groups AS SELECT id % 10000 AS g10k, id % 100000 AS g100k, id AS g1m, amount, opened_at, closed_at, customer_id FROM deals ORDER BY id LIMIT 1000000" \
        -c "VACUUM ANALYZE bench_groups"
    plan_shape() {
        "${PSQL[@]}" -At -c "$1" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) $2" |
            grep -oE 'HashAggregate|GroupAggregate|Batches: [0-9]+' | paste -sd' ' - | sed 's/HashAggregate Batches: /Hash x/; s/GroupAggregate/Sort/'
    }
    echo
    echo "| aggregate, groups, work_mem | heartbeat ms | avg() ms | ratio (heartbeat / avg) | plans (heartbeat / avg) |"
    echo "|---|---:|---:|---:|---|"
    for wm in 4MB 1GB; do
        for g in g10k g100k g1m; do
            while IFS='|' read -r name hb avg; do
                settings="SET max_parallel_workers_per_gather = 0; SET work_mem = '$wm'"
                hq="SELECT count(s) FROM (SELECT $g, $hb s FROM bench_groups GROUP BY 1) q"
                pq="SELECT count(s) FROM (SELECT $g, $avg s FROM bench_groups GROUP BY 1) q"
                row=$(report "$name, ${g#g}, $wm" "$(time_runs "$settings" "$hq" "$settings" "$pq")")
                echo "$row $(plan_shape "$settings" "$hq") / $(plan_shape "$settings" "$pq") |"
            done <<'SQL'
ticket_agg vs avg(amount)|heartbeat.ticket_agg(amount)|avg(amount)
cycle_agg vs avg(closed_at - opened_at)|heartbeat.cycle_agg(opened_at, closed_at)|avg(closed_at - opened_at)
retention_agg vs avg(customer_id)|heartbeat.retention_agg('month', customer_id, opened_at, 'UTC')|avg(customer_id)
SQL
        done
    done
fi

# pulse() for the 12 months before the data's end (2026-11-01) with since,
# against the whole history filtered afterwards (what a dashboard did before
# since existed), same session, alternating.
if section pulse; then
    echo
    echo "| case | since ms | whole history ms | ratio (since / whole) |"
    echo "|---|---:|---:|---:|"
    while IFS='|' read -r name g extra; do
        s="SET TimeZone = 'UTC'"
        report "$name" "$(time_runs "$s" "SELECT count(*) FROM heartbeat.pulse('deals', '$g', as_of => '2026-11-01'$extra, since => '2025-11-01')" \
                                     "$s" "SELECT count(*) FROM heartbeat.pulse('deals', '$g', as_of => '2026-11-01'$extra) WHERE period >= '2025-11-01'")"
    done <<'SQL'
pulse() monthly, 12 recent months: since vs whole history|month
pulse() daily, 12 recent months: since vs whole history|day
pulse() monthly per team, 12 recent months: since vs whole history|month|, segment => 'team'
SQL
fi
