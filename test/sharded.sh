#!/bin/bash
# TAP: heartbeat sharded with PostgreSQL's own postgres_fdw.  Two throwaway
# shard clusters (unix sockets in a private temp dir) each hold part of the
# deals; the coordinator (the test cluster the libpq variables name) sees them
# as one table partitioned by shard over foreign tables, and keeps a plain copy
# of the same rows as the single-server reference.  With partitionwise
# aggregation every family's aggregate is shipped to the shards, the summaries
# come back as text, and rollup() on the coordinator gives the single-server
# summary to the byte.  Runs inside the test cluster (scripts/run-tests.sh).
set -euo pipefail
bin=${PGBIN:-$("${PG_CONFIG:-pg_config}" --bindir)}
db=heartbeat_sharded
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
if [ "$(id -u)" = 0 ]; then owner=postgres; as_owner=(runuser -u postgres --); else owner=$(id -un); as_owner=(); fi
tmp=$(mktemp -d /tmp/hb_shards.XXXXXX)
chmod 755 "$tmp"
[ "$(id -u)" = 0 ] && chown "$owner" "$tmp"
ports=(0 55431 55432)   # socket names only: the shards listen on no TCP port
cleanup() {
    for n in 1 2; do
        [ -f "$tmp/s$n/postmaster.pid" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$tmp/s$n" -m immediate -w stop >/dev/null 2>&1
    done
    rm -rf "$tmp"
    dropdb --if-exists --force "$db" 2>/dev/null || true
}
trap cleanup EXIT
shard() { local n=$1; shift; "${PSQL[@]}" -h "$tmp" -p "${ports[$n]}" -U "$owner" -d postgres "$@"; }
coord() { "${PSQL[@]}" -d "$db" "$@"; }
check() { # check NUMBER DESCRIPTION GOT WANT: ok if equal and not empty, else not ok with both values
    if [ -n "$3" ] && [ "$3" = "$4" ]; then echo "ok $1 - $2"; else
        echo "not ok $1 - $2"; printf '#   got:  %s\n#   want: %s\n' "${3:0:2000}" "${4:0:2000}"; fi
}

# The deals, one generator for the shards and the reference: every family's
# input, NULL outcomes and close dates, customers and reps on both shards.
deals_sql="SELECT 1 + (i % 11) % 2 AS shard, i, i % 7 AS rep,
       timestamptz '2026-01-01 00:00+00' + (i % 300) * interval '1 day' + (i % 24) * interval '1 hour' AS o,
       CASE WHEN i % 5 = 0 THEN NULL
            ELSE timestamptz '2026-01-01 00:00+00' + (i % 300 + i % 40) * interval '1 day' END AS c,
       CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS won, (i % 997) * 1.25 AS amount,
       (i % 500)::bigint AS cust, 1 + (i % 13) % 5 AS stage, 'month'::text AS granularity,
       date '2026-01-01' + (i % 300) AS od
  FROM generate_series(1, 20000) i"
columns="shard int, i int, rep int, o timestamptz, c timestamptz, won boolean, amount numeric, cust bigint, stage int, granularity text, od date"

# family | aggregate call | accessors of its summary s.  retention takes its
# granularity from a column: postgres_fdw ships a call with collatable input
# only when the collation derives from a foreign column (see test 15); and a
# date, as its timestamptz forms are STABLE and not shipped (see test 16).
families=(
    "conversion|conversion_agg(won)|rate(s), conversions(s), trials(s), wilson_lower(s)"
    "ticket|ticket_agg(amount)|mean(s), median(s), percentile(s, 0.9), total(s), stddev_amount(s)"
    "cycle|cycle_agg(o, c, timestamptz '2026-12-01 00:00+00')|mean(s), median(s), closed_deals(s), open_deals(s), survival_median(s)"
    "retention|retention_agg(granularity, cust, od, amount)|customers(s), (SELECT string_agg(r::text, ';') FROM retention(s) r), (SELECT string_agg(r::text, ';') FROM revenue_retention(s) r)"
    "funnel|funnel_agg(stage)|(SELECT string_agg(f::text, ';') FROM stages(s) f)"
)
# The summary s as one line: text form, send() bytes, then the accessors.
fingerprint() { echo "concat_ws('|', s::text, encode(heartbeat.$1_summary_send(s), 'hex'), $2)"; }

echo "1..16"
pids=()
for n in 1 2; do
    ( "${as_owner[@]}" "$bin/initdb" -D "$tmp/s$n" -U "$owner" -A trust -E UTF8 --locale=C --no-sync >/dev/null &&
      "${as_owner[@]}" "$bin/pg_ctl" -D "$tmp/s$n" -l "$tmp/s$n.log" -w \
          -o "-c listen_addresses='' -k $tmp -p ${ports[$n]} -c fsync=off -c TimeZone=UTC" start >/dev/null ) &
    pids+=($!)
done
wait "${pids[0]}" && wait "${pids[1]}"
for n in 1 2; do
    shard "$n" -c "CREATE EXTENSION heartbeat" \
        -c "CREATE TABLE deals AS SELECT * FROM ($deals_sql) d WHERE shard = $n" -c "ANALYZE deals"
done
createdb "$db"
for setting in "search_path = public, heartbeat" "enable_partitionwise_aggregate = on" "TimeZone = 'UTC'"; do
    coord -c "ALTER DATABASE $db SET $setting"
done
coord <<SQL
CREATE EXTENSION heartbeat;
CREATE EXTENSION postgres_fdw;
CREATE TABLE deals_local AS $deals_sql;
CREATE TABLE deals ($columns) PARTITION BY LIST (shard);
$(for n in 1 2; do cat <<PART
CREATE SERVER shard$n FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '$tmp', port '${ports[$n]}', dbname 'postgres', extensions 'heartbeat');
CREATE USER MAPPING FOR CURRENT_USER SERVER shard$n OPTIONS (user '$owner');
CREATE FOREIGN TABLE deals_s$n PARTITION OF deals FOR VALUES IN ($n)
    SERVER shard$n OPTIONS (table_name 'deals');
PART
done)
ANALYZE deals_local;
SQL

rows="SELECT count(*) || ' ' || md5(string_agg(d::text, ',' ORDER BY i))"
check 1 "the two shards hold exactly the reference rows" \
    "$(coord -c "$rows FROM deals d")" \
    "$(coord -c "$rows FROM deals_local d")"

t=2
for f in "${families[@]}"; do
    IFS='|' read -r fam agg _ <<<"$f"
    plan=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF)
        SELECT rollup(s) FROM (SELECT shard, $agg AS s FROM deals GROUP BY shard) q")
    scans=$(grep -c 'Foreign Scan' <<<"$plan" || true)
    shipped=$(grep 'Remote SQL:' <<<"$plan" | grep -c "heartbeat\.${agg%%(*}(.*GROUP BY" || true)
    check $t "$fam: each shard computes ${agg%%(*} remotely (2 Foreign Scans ship it)" "$scans $shipped" "2 2"
    [ "$scans $shipped" = "2 2" ] || sed 's/^/#   /' <<<"$plan"
    t=$((t + 1))
done

for f in "${families[@]}"; do
    IFS='|' read -r fam agg acc <<<"$f"
    fp=$(fingerprint "$fam" "$acc")
    check $t "$fam: rollup() of the shard summaries = the single-server summary (text, send() bytes, accessors)" \
        "$(coord -c "SELECT $fp FROM (SELECT rollup(s) AS s FROM (SELECT shard, $agg AS s FROM deals GROUP BY shard) q) r")" \
        "$(coord -c "SELECT $fp FROM (SELECT $agg AS s FROM deals_local) r")"
    t=$((t + 1))
done

# What postgres_fdw fetched (the text form, read back by the type's input
# function) against what each shard computes and sends itself.
wire= direct=
for f in "${families[@]}"; do
    IFS='|' read -r fam agg _ <<<"$f"
    fp=$(fingerprint "$fam" "NULL")
    wire+=$(coord -c "SELECT string_agg(shard || ':' || $fp, ',' ORDER BY shard) FROM (SELECT shard, $agg AS s FROM deals GROUP BY shard) q")$'\n'
    direct+=$(for n in 1 2; do shard "$n" -c "SET search_path = public, heartbeat" -c "SELECT $n || ':' || $fp FROM (SELECT $agg AS s FROM deals) q"; done | paste -sd,)$'\n'
done
check 12 "every summary crosses the wire as text unchanged (coordinator's send() bytes = the shard's)" "$wire" "$direct"

# Every family per rep, as one checksum of the summaries' text: $1 is the
# FROM ... GROUP BY rep part, over the per-rep summaries s1..s5.
per_rep() {
    local k cols=
    for k in 1 2 3 4 5; do cols+=", s$k::text"; done
    coord -c "SELECT md5(string_agg(concat_ws('|', rep$cols), ',' ORDER BY rep)) FROM (SELECT rep, $1) q"
}
aggs= rolls=
for k in "${!families[@]}"; do
    IFS='|' read -r _ agg _ <<<"${families[$k]}"
    aggs+=", $agg AS s$((k + 1))"; rolls+=", rollup(s$((k + 1))) AS s$((k + 1))"
done
local_by_rep=$(per_rep "${aggs#, } FROM deals_local GROUP BY rep")
plan=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT rep${aggs} FROM deals GROUP BY rep")
echo "# GROUP BY rep: $(grep -c 'Remote SQL:.*GROUP BY' <<<"$plan" || true) of 2 shard queries aggregate remotely"
check 13 "GROUP BY rep (not the partition key) over the foreign partitions = local, every family" \
    "$(per_rep "${aggs#, } FROM deals GROUP BY rep")" "$local_by_rep"

# The sharded rollup pattern: (shard, rep) summaries on the shards, merged per rep.
two_level="${rolls#, } FROM (SELECT shard, rep$aggs FROM deals GROUP BY shard, rep) p GROUP BY rep"
plan=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT rep, $two_level")
check 14 "per (shard, rep) summaries computed on the shards and rolled up per rep = local GROUP BY rep" \
    "$(grep -c 'Remote SQL:.*GROUP BY' <<<"$plan" || true) $(per_rep "$two_level")" "2 $local_by_rep"

# Two limits, answered correctly on the coordinator instead of on the shards.
same() { # the shipped-call count, then whether the sharded answer equals local
    local shipped
    shipped=$(coord -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT shard, $1 FROM deals GROUP BY shard" |
              grep -c 'Remote SQL:.*heartbeat\.retention_agg(' || true)
    echo "$shipped $(coord -c "$2" -c "SELECT md5(rollup(s)::text) FROM (SELECT shard, $1 AS s FROM deals GROUP BY shard) q")"
}
local_md5() { coord -c "$2" -c "SELECT md5(($1)::text) FROM deals_local"; }
agg="retention_agg('month', cust, od, amount)"
got=$(same "$agg" "SELECT 1")
echo "# a literal granularity: ${got%% *} of 2 shard queries ship it (a literal's collation does not derive from a foreign column)"
check 15 "retention_agg('month', ...) with a literal granularity still equals single-server" \
    "${got#* }" "$(local_md5 "$agg" "SELECT 1")"
agg="retention_agg(granularity, cust, o, 'America/Sao_Paulo')"
got=$(same "$agg" "SET TimeZone = 'UTC'")
echo "# retention over timestamptz with its zone: ${got%% *} of 2 shard queries ship it"
check 16 "retention over timestamptz names its zone: the same periods on shards in UTC as on a coordinator in Asia/Tokyo" \
    "${got#* }" "$(local_md5 "$agg" "SET TimeZone = 'Asia/Tokyo'")"
