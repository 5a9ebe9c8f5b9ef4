#!/bin/bash
# make bench-matrix: the benchmark (bench/bench.sh, `make bench`) on each
# PostgreSQL major, one after the other on this machine, so the ratios of
# the versions can be compared: 15 here, 17 and 18 in throwaway Debian 13 /
# unstable roots (scripts/lib/debroot.sh), each installing its release's
# PostgreSQL as `make bench` does on a new machine.
# Usage: scripts/bench-matrix.sh [N deals] [RUNS] [major ...]
# (defaults 1000000, 5, 15 17 18); the cases and parallel sections.  Each version's report is printed and
# kept in results/bench-matrix/<major>.txt.  Needs root.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/scripts/lib/debroot.sh"
N=${1:-1000000}
RUNS=${2:-5}
shift 2 2>/dev/null || shift $#
read -r -a MAJORS <<<"${*:-15 17 18}"
OUT=$TOP/results/bench-matrix


[ "$(id -u)" = 0 ] || { echo "heartbeat bench-matrix: run as root" >&2; exit 1; }
root_traps
rm -rf "$OUT"; mkdir -p "$OUT"
host_rel=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
failed=0
for major in "${MAJORS[@]}"; do
    rel=$(release_of "$major") || { echo "no Debian release known for PostgreSQL $major"; failed=$((failed + 1)); continue; }
    echo "== PostgreSQL $major (Debian $rel) =="
    if [ "$rel" = "$host_rel" ]; then
        (cd "$TOP" && make -s bench PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config" N="$N" RUNS="$RUNS" SECTIONS=cases,parallel) \
            >"$OUT/$major.txt" 2>&1 &
        wait $! || failed=$((failed + 1))
    else
        root_open "$rel" || { failed=$((failed + 1)); continue; }
        copy_checkout "$R/src/heartbeat"
        root_run /bin/bash -c "cd /src/heartbeat && git init -q && git add -A && make -s bench N=$N RUNS=$RUNS SECTIONS=cases,parallel" \
            >"$OUT/$major.txt" 2>&1 || failed=$((failed + 1))
        root_close
    fi
    grep -vE '^(make|gcc|x86_64|/usr/bin/clang|heartbeat: installing|Creating|Dropping|META)' "$OUT/$major.txt"
done
echo "$(( ${#MAJORS[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
