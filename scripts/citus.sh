#!/bin/bash
# make citus: heartbeat on a real Citus cluster (a coordinator and two
# workers), as TAP.  Every aggregate of the extension, found in the
# catalogue, runs over a distributed table grouped by a column that is not
# the distribution column, by the distribution column and ungrouped, and must
# equal the same aggregate over a plain table on the coordinator; EXPLAIN must
# show the partial aggregation pushed to the workers.  The SQL is in
# test/citus/ (not test/*.sql: `make test` must not run it).
#
#   HEARTBEAT_CITUS_TARBALL  Citus source tarball (citus-X.Y.Z.tar.gz); a
#                            relative path is taken from the repository root
#   HEARTBEAT_CITUS_DIR      or a directory of them: the newest Citus that
#                            supports this PostgreSQL is taken (13.x: 15-17,
#                            14.x: 16-18)
#   HEARTBEAT_CITUS_PATCH    patch applied with -p1 to the unpacked tree
#                            (default: <stem>-debian-pg15.patch beside the
#                            tarball, when present)
#   HEARTBEAT_CACHE          where built stages are kept between runs
#                            (default /var/cache/heartbeat as root)
#   HEARTBEAT_CITUS_PORTS    three TCP ports on 127.0.0.1 (default 55432 55433 55434)
#
# Citus is built once into a staged copy of PostgreSQL (never the system
# installation), cached under $HEARTBEAT_CACHE/<stem>-pg15/ and keyed by the
# checksums of the tarball and patch and the PostgreSQL version.  Each run
# copies the cached stage to a temp dir, installs heartbeat from this
# checkout into the copy (make install DESTDIR=...), starts the cluster there
# and always tears it down.  Logs are kept in results/citus/.
set -uo pipefail
# The server of $PG_CONFIG (default pg_config), in Debian's layout.
PGMAJOR=$("${PG_CONFIG:-pg_config}" --version 2>/dev/null | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
SYS_BIN=/usr/lib/postgresql/$PGMAJOR/bin
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOGS=$ROOT/results/citus
RECIPE=1    # bump when the way Citus is built changes: rebuilds the cache
BUILD_DEPS="libcurl4-openssl-dev liblz4-dev libzstd-dev libkrb5-dev autoconf flex bison
            libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev zlib1g-dev libssl-dev libicu-dev patch"
read -r -a PORTS <<<"${HEARTBEAT_CITUS_PORTS:-55432 55433 55434}"
NODES=(coordinator worker1 worker2)
start=$SECONDS

say() { echo "# $*"; }
bail() { echo "Bail out! $*"; exit 1; }
skip() {
    echo "1..0 # SKIP $*"
    echo "# To run it: HEARTBEAT_CITUS_TARBALL=/path/to/citus-13.2.2.tar.gz make citus"
    echo "# (CI: ../shared/vendor/citus-13.2.2.tar.gz beside the clone; the first run builds Citus, about 5 minutes)"
    exit 0
}
abspath() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }

if [ "$(id -u)" = 0 ]; then
    owner=postgres as_owner=(runuser -u postgres --)
    CACHE_ROOT=${HEARTBEAT_CACHE:-/var/cache/heartbeat}
else
    owner=$(id -un) as_owner=()
    CACHE_ROOT=${HEARTBEAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/heartbeat}
fi
PG_VERSION=$("$SYS_BIN/pg_config" --version) || skip "PostgreSQL $PGMAJOR is not installed ($SYS_BIN/pg_config)"

# ---- which Citus: a tarball (built unless cached), else any cached build ----
tarball=${HEARTBEAT_CITUS_TARBALL:-}
# Which Citus releases support which PostgreSQL majors.
citus_supports() { # citus_supports CITUS_VERSION PG_MAJOR
    case ${1%%.*} in
        13) case $2 in 15|16|17) return 0 ;; esac ;;
        14) case $2 in 16|17|18) return 0 ;; esac ;;
    esac
    return 1
}
if [ -z "$tarball" ] && [ -n "${HEARTBEAT_CITUS_DIR:-}" ]; then
    dir=$(abspath "$HEARTBEAT_CITUS_DIR")
    [ -d "$dir" ] || bail "HEARTBEAT_CITUS_DIR=$dir: no such directory"
    for t in $(ls "$dir"/citus-*.tar.gz 2>/dev/null | sort -V -r); do
        v=$(basename "$t" .tar.gz); v=${v#citus-}
        if citus_supports "$v" "$PGMAJOR"; then tarball=$t; break; fi
    done
    [ -n "$tarball" ] || bail "no Citus in $dir supports PostgreSQL $PGMAJOR"
fi
[ -n "$tarball" ] && tarball=$(abspath "$tarball")
# A tarball named but missing is a mistake (CI's path, say): fail, not skip.
[ -z "$tarball" ] || [ -f "$tarball" ] || bail "HEARTBEAT_CITUS_TARBALL=$tarball: no such file"
if [ -n "$tarball" ] && [ -f "$tarball" ]; then
    stem=$(basename "$tarball"); stem=${stem%.tar.gz}; stem=${stem%.tgz}
    patchfile=${HEARTBEAT_CITUS_PATCH:-$(dirname "$tarball")/$stem-debian-pg$PGMAJOR.patch}
    patchfile=$(abspath "$patchfile")
    if [ -z "${HEARTBEAT_CITUS_PATCH:-}" ] && [ ! -f "$patchfile" ]; then patchfile=; fi
    [ -z "$patchfile" ] || [ -f "$patchfile" ] || bail "HEARTBEAT_CITUS_PATCH=$patchfile: no such file"
    CACHE=$CACHE_ROOT/$stem-pg$PGMAJOR
    key="tarball $(sha256sum <"$tarball" | cut -d' ' -f1)
patch ${patchfile:+$(sha256sum <"$patchfile" | cut -d' ' -f1)}
$PG_VERSION
recipe $RECIPE"
else
    # No tarball: the newest cached build for this PostgreSQL, if any.
    CACHE=
    for d in $(ls -d "$CACHE_ROOT"/citus-*-pg$PGMAJOR 2>/dev/null | sort -V -r); do
        if [ -d "$d/stage" ] && grep -qxF "$PG_VERSION" "$d/key" 2>/dev/null; then CACHE=$d; break; fi
    done
    if [ -z "$CACHE" ]; then
        skip "no Citus source (HEARTBEAT_CITUS_TARBALL is not set) and no cached Citus build in $CACHE_ROOT"
    fi
    stem=$(basename "$CACHE"); stem=${stem%-pg$PGMAJOR}
    key=$(cat "$CACHE/key")
fi

# ---- teardown, whatever happens ----
TMP='' BUILD_NEW=''
teardown() {
    local rc=$? n
    trap - EXIT INT TERM
    set +e
    for n in 0 1 2; do
        if [ -n "$TMP" ] && [ -f "$TMP/${NODES[$n]}/postmaster.pid" ]; then
            "${as_owner[@]}" "$STAGE_BIN/pg_ctl" -D "$TMP/${NODES[$n]}" -m immediate -w -t 60 stop >/dev/null 2>&1 \
                || echo "# could not stop ${NODES[$n]} (pid $(head -n 1 "$TMP/${NODES[$n]}/postmaster.pid"))" >&2
        fi
    done
    if [ -n "$TMP" ] && [ -d "$TMP" ]; then
        cp "$TMP"/logs/* "$LOGS/" 2>/dev/null
        rm -rf "$TMP"
    fi
    [ -n "$BUILD_NEW" ] && rm -rf "$BUILD_NEW"
    exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

rm -rf "$LOGS"
mkdir -p "$LOGS" "$CACHE_ROOT" || bail "cannot create $LOGS or $CACHE_ROOT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/heartbeat-citus.XXXXXX") || bail "mktemp failed"
chmod 755 "$TMP"
STAGE=$TMP/stage SOCK=$TMP/sock
STAGE_BIN=$STAGE/usr/lib/postgresql/$PGMAJOR/bin

install_build_deps() {
    local p missing=
    for p in $BUILD_DEPS; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        say "missing Debian packages to build Citus:$missing (as root: apt-get install$missing)"
        return 1
    fi
    say "installing$missing"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >"$LOGS/apt.log" 2>&1 \
       && ! { apt-get update -qq >>"$LOGS/apt.log" 2>&1 \
              && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >>"$LOGS/apt.log" 2>&1; }; then
        # A release in flux (Debian unstable) may not install them all at
        # once: each alone, and let Citus's configure say what it lacks.
        local p failed=""
        for p in $missing; do
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >>"$LOGS/apt.log" 2>&1 || failed="$failed $p"
        done
        [ -z "$failed" ] || say "could not install:$failed (trying the build without them)"
    fi
}

# Citus built into a fresh copy of PostgreSQL; replaces the cache only when
# the whole build succeeded.
build_citus() {
    local src=$TMP/citus-src
    install_build_deps || return 1
    say "building $stem against $PG_VERSION (about 5 minutes on 2 cores; cached in $CACHE)"
    BUILD_NEW=$CACHE.new.$$
    rm -rf "$BUILD_NEW" "$src"
    mkdir -p "$src" "$BUILD_NEW/stage/usr/lib/postgresql" "$BUILD_NEW/stage/usr/share/postgresql"
    cp -a "/usr/lib/postgresql/$PGMAJOR" "$BUILD_NEW/stage/usr/lib/postgresql/" &&
    cp -a "/usr/share/postgresql/$PGMAJOR" "$BUILD_NEW/stage/usr/share/postgresql/" &&
    tar -C "$src" --strip-components=1 -xzf "$tarball" || return 1
    if [ -n "$patchfile" ]; then
        say "applying $(basename "$patchfile")"
        (cd "$src" && patch -p1 --batch --quiet <"$patchfile") || return 1
    fi
    (cd "$src" && ./configure PG_CONFIG="$SYS_BIN/pg_config" && make -j2 && make install DESTDIR="$BUILD_NEW/stage") \
        >"$LOGS/citus-build.log" 2>&1 || { tail -n 40 "$LOGS/citus-build.log"; return 1; }
    printf '%s\n' "$key" >"$BUILD_NEW/key"
    rm -rf "$CACHE" && mv "$BUILD_NEW" "$CACHE" && BUILD_NEW=
    rm -rf "$src"
}

# ---- the stage: cached Citus build, copied; heartbeat from this checkout ----
t0=$SECONDS
exec 9>"$CACHE_ROOT/$(basename "$CACHE").lock"
flock 9
if [ -f "$CACHE/key" ] && [ "$(cat "$CACHE/key")" = "$key" ] && [ -d "$CACHE/stage" ]; then
    cached=yes
else
    cached=no
    build_citus || bail "building $stem failed (results/citus/citus-build.log)"
fi
cp -a "$CACHE/stage" "$STAGE" || bail "cannot copy $CACHE/stage"
flock -u 9
t_build=$((SECONDS - t0))
make -C "$ROOT" -s PG_CONFIG="$SYS_BIN/pg_config" all >"$LOGS/heartbeat-build.log" 2>&1 &&
make -C "$ROOT" -s PG_CONFIG="$SYS_BIN/pg_config" install DESTDIR="$STAGE" >>"$LOGS/heartbeat-build.log" 2>&1 \
    || { cat "$LOGS/heartbeat-build.log"; bail "building heartbeat failed"; }
say "$stem (cached: $cached, ${t_build}s), heartbeat from $ROOT, staged in $STAGE"

# ---- the cluster: a coordinator and two workers on 127.0.0.1 ----
t0=$SECONDS
mkdir -p "$SOCK" "$TMP/logs" "${NODES[@]/#/$TMP/}"
chmod 700 "${NODES[@]/#/$TMP/}"
[ "$(id -u)" = 0 ] && chown "$owner" "$SOCK" "$TMP/logs" "${NODES[@]/#/$TMP/}"
init_node() {
    local n=$1 d=$TMP/${NODES[$1]}
    "${as_owner[@]}" "$STAGE_BIN/initdb" -D "$d" -U "$owner" -A trust -E UTF8 --locale=C --no-sync \
        >"$TMP/logs/initdb-${NODES[$n]}.log" 2>&1 || return 1
    # Citus sends no session TimeZone to the workers: every node runs in UTC.
    cat >>"$d/postgresql.conf" <<CONF
# heartbeat make citus
listen_addresses = '127.0.0.1'
port = ${PORTS[$n]}
unix_socket_directories = '$SOCK'
shared_preload_libraries = 'citus'
timezone = 'UTC'
fsync = off
jit = off
log_line_prefix = '%m [%p] %q%u@%d '
CONF
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$d/pg_hba.conf"
    "${as_owner[@]}" "$STAGE_BIN/pg_ctl" -D "$d" -l "$TMP/logs/${NODES[$n]}.log" -w -t 60 start >/dev/null
}
pids=() down=
for n in 0 1 2; do init_node "$n" & pids+=($!); done
for n in 0 1 2; do
    wait "${pids[$n]}" || { tail -n 20 "$TMP/logs/"*"${NODES[$n]}.log"; down+=" ${NODES[$n]}"; }
done
[ -z "$down" ] || bail "did not start:$down"

unset PGHOSTADDR PGSERVICE PGPASSWORD PGOPTIONS PGDATABASE
export PGHOST=$SOCK PGUSER=$owner PGDATABASE=postgres
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
node() { local n=$1; shift; "${PSQL[@]}" -p "${PORTS[$n]}" "$@"; }
coord() { node 0 "$@"; }
for n in 0 1 2; do node "$n" -c "CREATE EXTENSION citus" >/dev/null || bail "CREATE EXTENSION citus failed on ${NODES[$n]}"; done
coord -c "SELECT citus_set_coordinator_host('127.0.0.1', ${PORTS[0]})" \
      -c "SELECT citus_add_node('127.0.0.1', ${PORTS[1]})" \
      -c "SELECT citus_add_node('127.0.0.1', ${PORTS[2]})" \
      -c "CREATE EXTENSION heartbeat" >/dev/null || bail "setting up the cluster failed"
coord -f "$ROOT/test/citus/setup.sql" >/dev/null || bail "test/citus/setup.sql failed"
say "cluster up: coordinator :${PORTS[0]}, workers :${PORTS[1]} :${PORTS[2]} ($((SECONDS - t0))s)"

# ---- the tests ----
t0=$SECONDS
ntest=0 npass=0 nfail=0
diag() { cut -c1-300 | sed 's/^/#   /'; }
pass() { ntest=$((ntest + 1)) npass=$((npass + 1)); echo "ok $ntest - $1"; }
fail() { ntest=$((ntest + 1)) nfail=$((nfail + 1)); echo "not ok $ntest - $1"; }
# Waits (up to a minute each) for the nodes to accept connections: a worker
# that crashed takes a moment of crash recovery before it does.  A script, so
# that psql can run it between statements too.
cat >"$TMP/wait-nodes" <<SH
#!/bin/sh
for port in ${PORTS[*]}; do
    i=0
    until "$STAGE_BIN/pg_isready" -q -h "$SOCK" -p \$port || [ \$i -ge 60 ]; do sleep 1; i=\$((i + 1)); done
done
SH
chmod 755 "$TMP/wait-nodes"
nodes_ready() {
    local n
    "$TMP/wait-nodes"
    for n in 0 1 2; do
        "$STAGE_BIN/pg_isready" -q -h "$SOCK" -p "${PORTS[$n]}" || bail "${NODES[$n]} is down (results/citus/${NODES[$n]}.log)"
    done
}
# check DESCRIPTION GOT-FILE WANT-FILE: equal and not empty
check() {
    if [ -s "$2" ] && cmp -s "$2" "$3"; then pass "$1"; else
        fail "$1"
        { echo "Citus (<) vs single server (>):"; diff "$2" "$3" | head -n 6; } | diag
    fi
}
# q NODE SQL FILE: the rows into FILE, an error into FILE.err
q() { node "$1" -c "$2" >"$3" 2>"$3.err"; }
# batch PREFIX SQL...: the statements in one coordinator session (fewer
# connections to set up), the rows of the k-th into PREFIX.k, its error into
# PREFIX.k.err; after each, the nodes are waited for (a crash on a worker
# would otherwise fail the next statements too).
batch() {
    local prefix=$1 k=0 sql
    shift
    for sql in "$@"; do
        k=$((k + 1))
        printf '\\o %s\n\\warn @@%s\n%s;\n\\o\n\\! %s\n' "$prefix.$k" "$k" "$sql" "$TMP/wait-nodes"
    done | coord -v ON_ERROR_STOP=0 2>"$prefix.err"
    awk -v p="$prefix" '/^@@[0-9]+$/ { f = p "." substr($0, 3) ".err"; printf "" > f; next }
                        f { sub(/^psql:<stdin>:[0-9]+: /, ""); print > f }' "$prefix.err"
}
# The characters of each value, sorted: for an aggregate whose result depends
# on the order of its input, which neither Citus nor PostgreSQL's own partial
# aggregation fixes.
sort_chars() { perl -CSD -ne 'chomp; my ($k, $v) = /^([^|]*\|)?(.*)$/; print $k // "", join("", sort split //, $v), "\n"'; }
# The crashes in the servers' logs, oldest first, each with the statement
# the crashed process was running.
crash_records() {
    local n
    for n in "${NODES[@]}"; do
        awk -v node="$n" '
            function flush() { if (r != "") print r; r = "" }
            /terminated by signal|terminated by exception|PANIC/ {
                flush(); r = $1 " " $2 " " node ": " substr($0, index($0, "] ") + 2); next }
            r != "" && /Failed process was running: / {
                sub(/.*Failed process was running: /, ""); r = r "; it was running: " substr($0, 1, 160); flush(); next }
            { flush() }
            END { flush() }' "$TMP/logs/$n.log"
    done | sort
}
crashes_seen=0
# After a failed query: the crashes it caused, and time for the node to recover.
new_crashes() {
    local all
    all=$(crash_records)
    [ -n "$all" ] && tail -n +$((crashes_seen + 1)) <<<"$all" | diag
    crashes_seen=$(grep -c . <<<"$all")
    nodes_ready
}

# Fields separated by US (0x1f): not whitespace, so empty fields stay fields.
US=$'\x1f'
catalogue=$(coord -F "$US" -f "$ROOT/test/citus/aggregates.sql") || bail "test/citus/aggregates.sql failed"
mapfile -t AGGS < <(grep '^aggregate' <<<"$catalogue")
mapfile -t SUMMARIES < <(grep '^summary' <<<"$catalogue")
[ "${#AGGS[@]}" -gt 0 ] || bail "no aggregate of heartbeat found in the catalogue"

# The stored summaries: per day and rep, made on the coordinator from the
# plain deals, kept once plain and once distributed by day.
cols=
for s in "${SUMMARIES[@]}"; do
    IFS=$US read -r _ type producer _ <<<"$s"
    [ -n "$producer" ] && cols+=", $producer AS $type"
done
coord >/dev/null <<SQL || bail "creating the summaries tables failed"
CREATE TABLE summaries_local AS
SELECT opened_on AS day, rep, team$cols FROM deals_local GROUP BY opened_on, rep, team;
CREATE TABLE summaries (LIKE summaries_local);
SELECT create_distributed_table('summaries', 'day', shard_count => 4);
INSERT INTO summaries SELECT * FROM summaries_local;
ANALYZE summaries_local;
ANALYZE summaries;
SQL

echo "1..$((4 + 6 * ${#AGGS[@]} + ${#SUMMARIES[@]} + 1))"
say "${#AGGS[@]} aggregates in the catalogue; each grouped by rep, by the distribution column and ungrouped"
R=$TMP/r
got=$R.got want=$R.want

version=$(coord -c "SELECT extversion FROM pg_extension WHERE extname = 'heartbeat'")
coord -c "SELECT node_name || ':' || node_port FROM citus_get_active_worker_nodes() ORDER BY 1" >"$got"
printf '127.0.0.1:%s\n' "${PORTS[1]}" "${PORTS[2]}" >"$want"
check "Citus $(coord -c "SELECT citus_version()" | cut -d' ' -f2) with two active workers" "$got" "$want"
lib=$STAGE/usr/lib/postgresql/$PGMAJOR/lib/heartbeat.so
for n in 0 1 2; do
    node "$n" -c "LOAD 'heartbeat'" \
         -c "SELECT '${NODES[$n]} ' || extversion || ' ' || (pg_read_file('/proc/self/maps') LIKE '%$lib%')
               FROM pg_extension WHERE extname = 'heartbeat'"
done >"$got"
printf '%s\n' "${NODES[@]/%/ $version true}" >"$want"
check "heartbeat $version on the coordinator and, created there, on both workers; each loads the staged heartbeat.so" "$got" "$want"
for t in deals:customer_id summaries:day; do
    tab=${t%:*} order=id
    [ "$tab" = summaries ] && order="day, rep"
    { coord -c "SELECT count(*) || ' shards on ' || count(DISTINCT nodeport) || ' workers' FROM citus_shards WHERE table_name = '$tab'::regclass"
      coord -c "SELECT t::text FROM $tab t ORDER BY $order"; } >"$got"
    { echo "4 shards on 2 workers"; coord -c "SELECT t::text FROM ${tab}_local t ORDER BY $order"; } >"$want"
    check "$tab: distributed by ${t#*:} in 4 shards over both workers, the same $(($(wc -l <"$want") - 1)) rows as ${tab}_local" "$got" "$want"
done

B=$TMP/b
for a in "${AGGS[@]}"; do
    IFS=$US read -r _ sig source fn arglist problem <<<"$a"
    name=${sig#heartbeat.}
    if [ "$source" = deals ]; then dist=customer_id order=id; else dist=day order="day, rep"; fi
    if [ -n "$problem" ]; then
        for _ in $(seq 6); do fail "$name: no call could be built: $problem"; done
        continue
    fi
    call="$fn($arglist)"
    # Statement 1: does the result depend on the input order?  Then for each
    # grouping, 3k-1: the plan on Citus, 3k: the plain table, 3k+1: Citus.
    stmts=("SELECT ($fn($arglist ORDER BY $order))::text IS DISTINCT FROM ($fn($arglist ORDER BY $order DESC))::text FROM ${source}_local")
    for group in rep "$dist" ""; do
        if [ -n "$group" ]; then
            sql="SELECT $group, ($call)::text FROM %s GROUP BY $group ORDER BY $group"
        else
            sql="SELECT ($call)::text FROM %s"
        fi
        stmts+=("EXPLAIN (VERBOSE, COSTS OFF) $(printf "$sql" "$source")" "$(printf "$sql" "${source}_local")" "$(printf "$sql" "$source")")
    done
    rm -f "$B".*
    batch "$B" "${stmts[@]}"
    normalize='cat'
    if [ "$(cat "$B.1" 2>/dev/null)" = t ]; then
        say "$name depends on the order of its input: its results are compared as sorted characters"
        normalize=sort_chars
    fi
    k=1 crashed=
    for group in rep "$dist" ""; do
        case $group in
            rep) what="by rep (not the distribution column)" ;;
            "") what=ungrouped ;;
            *) what="by $group (the distribution column)" ;;
        esac
        plan=$B.$((k + 1)) want=$B.$((k + 2)) got=$B.$((k + 3))
        k=$((k + 3))
        # The plan: partial aggregation on the workers, or, grouped by the
        # distribution column, the whole aggregate in each shard's query.
        task=$(grep '^ *Query: ' "$plan" 2>/dev/null)
        if [ "$group" = "$dist" ]; then
            desc="$name $what: the whole aggregate runs on the workers"
            if grep -qF "$fn(" <<<"$task" && ! grep -Eq 'coord_(binary_)?combine_agg|worker_(binary_)?partial_agg' "$plan"; then pass "$desc"; else
                fail "$desc"; cat "$plan" "$plan.err" 2>/dev/null | diag; fi
        else
            # Citus 13 ships the states as text (worker_partial_agg,
            # coord_combine_agg), Citus 14 in binary through the type's
            # send/receive (worker_binary_partial_agg, coord_binary_combine_agg).
            desc="$name $what: partial aggregation pushed to the workers (worker_[binary_]partial_agg, coord_[binary_]combine_agg)"
            if grep -qE "worker_(binary_)?partial_agg\('$(sed 's/[][().*^$]/\\&/g' <<<"$sig")'" <<<"$task" \
               && grep -Eq 'coord_(binary_)?combine_agg\(' "$plan"; then pass "$desc"; else
                fail "$desc"; cat "$plan" "$plan.err" 2>/dev/null | diag; fi
        fi
        desc="$name $what: Citus = single server"
        if [ -s "$want.err" ]; then
            fail "$desc"; { echo "on ${source}_local:"; cat "$want.err"; } | diag
        elif [ -s "$got.err" ] || [ ! -f "$got.err" ]; then
            fail "$desc"; cat "$got.err" 2>/dev/null | diag
            [ -z "$crashed" ] && new_crashes && crashed=yes
        else
            $normalize <"$got" >"$got.n"; $normalize <"$want" >"$want.n"
            check "$desc" "$got.n" "$want.n"
        fi
    done
done
got=$R.got want=$R.want

# Stored summaries merged on Citus give what the aggregate computes directly.
for s in "${SUMMARIES[@]}"; do
    IFS=$US read -r _ type producer merger _ <<<"$s"
    desc="$type: $merger over the distributed daily summaries by rep = ${producer%%(*} over the plain deals by rep"
    if [ -z "$producer" ] || [ -z "$merger" ]; then
        fail "$desc"; echo "no aggregate to make (${producer:-none}) or merge (${merger:-none}) it" | diag
    elif ! q 0 "SELECT rep, ($merger)::text FROM summaries GROUP BY rep ORDER BY rep" "$got"; then
        fail "$desc"; diag <"$got.err"; new_crashes
    else
        q 0 "SELECT rep, ($producer)::text FROM deals_local GROUP BY rep ORDER BY rep" "$want"
        check "$desc" "$got" "$want"
    fi
done

crashes=$(crash_records)
if [ -z "$crashes" ]; then pass "no node crashed (server logs)"; else
    fail "no node crashed (server logs)"
    { echo "$(grep -c . <<<"$crashes") crashes, the first:"; head -n 5 <<<"$crashes"; } | diag
fi

say "cluster $((SECONDS - t0))s of tests, $((SECONDS - start))s in all (Citus build cached: $cached); logs in results/citus/"
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
