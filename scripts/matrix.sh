#!/bin/bash
# make matrix: the whole suite (make test, make sanitize) and the demo on
# every supported PostgreSQL major this Debian machine can reach, each the
# way a user on that release runs the README's commands:
#   - the host's own PostgreSQL, when it is one of those asked for, directly;
#   - every other major in a throwaway root of the Debian release whose
#     PostgreSQL it is (17: Debian 13 "trixie", 18: unstable "sid"), copied
#     from a cached base that holds only git, make and a C compiler, so that
#     `make test` itself installs the release's PostgreSQL packages, as on a
#     new machine (scripts/lib/debroot.sh).
# Usage: scripts/matrix.sh [major ...]   (default 15 17 18)
# With HEARTBEAT_CITUS_DIR (a directory of Citus source tarballs, e.g.
# ../shared/vendor) each version also runs make citus with the newest Citus
# that supports it; its builds are cached in $HEARTBEAT_CACHE/in-root/.
# Logs in results/matrix/; one line per version, then "N passed, N failed";
# fails if any fails.  An interrupted run leaves no mount or process behind.
# Needs root.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/scripts/lib/debroot.sh"
read -r -a MAJORS <<<"${*:-15 17 18}"
LOGS=$TOP/results/matrix


[ "$(id -u)" = 0 ] || { echo "heartbeat matrix: run as root (debootstrap, chroot, mounts)" >&2; exit 1; }
root_traps
HOST_RUN=""
# Interrupted during a run on this machine: stop that suite too.
trap '[ -n "$HOST_RUN" ] && { pkill -TERM -P "$HOST_RUN"; kill -TERM "$HOST_RUN"; }; exit 130' INT TERM

# The README's commands, then the sanitizers, in /src/heartbeat of a root.
SUITE='cd /src/heartbeat && set -e
echo "== make test =="; make test
echo "== make demo =="; make demo > results/demo.log 2>&1 || { tail -n 30 results/demo.log; exit 1; }
tail -n 3 results/demo.log
echo "== make sanitize =="; make sanitize
if [ -d /vendor ]; then echo "== make citus =="; make citus HEARTBEAT_CITUS_DIR=/vendor; fi
echo "server: $(pg_config --version)"'

in_root() {
    local major=$1 rel rc
    rel=$(release_of "$major") || { echo "no Debian release known for PostgreSQL $major"; return 1; }
    root_open "$rel" || return 1
    copy_checkout "$R/src/heartbeat"
    # Citus sources, when given, and a cache of its builds that outlives the root.
    if [ -n "${HEARTBEAT_CITUS_DIR:-}" ]; then
        hb_mount --bind "$(cd "$TOP" && cd "$HEARTBEAT_CITUS_DIR" && pwd)" "$R/vendor" && mount -o remount,bind,ro "$R/vendor"
        mkdir -p "$HB_CACHE/in-root/$rel"
        hb_mount --bind "$HB_CACHE/in-root/$rel" "$R/var/cache/heartbeat"
    fi
    root_run /bin/sh -c 'cd /src/heartbeat && git init -q && git add -A' || return 1
    # No PG_CONFIG: the root's release picks its own PostgreSQL.
    root_run /bin/bash -c "HB_FUZZ_SEED='${HB_FUZZ_SEED:-}'; export HB_FUZZ_SEED; $SUITE"
    rc=$?
    cp -r "$R/src/heartbeat/results" "$LOGS/$major-results" 2>/dev/null
    cp "$R/src/heartbeat/regression.diffs" "$LOGS/$major-regression.diffs" 2>/dev/null
    root_close
    return $rc
}

on_host() {
    local pgc=/usr/lib/postgresql/$1/bin/pg_config
    cd "$TOP" && make test PG_CONFIG="$pgc" && make demo PG_CONFIG="$pgc" >"$LOGS/$1-demo.log" 2>&1 \
        && make sanitize PG_CONFIG="$pgc" \
        && if [ -n "${HEARTBEAT_CITUS_DIR:-}" ]; then make citus PG_CONFIG="$pgc" HEARTBEAT_CITUS_DIR="$HEARTBEAT_CITUS_DIR"; fi
}

rm -rf "$LOGS"
mkdir -p "$LOGS"
host_rel=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
failed=0 summary=()
for major in "${MAJORS[@]}"; do
    start=$SECONDS
    rel=$(release_of "$major" 2>/dev/null || echo "?")
    if [ "$rel" = "$host_rel" ]; then
        where="this machine (Debian $rel)"
        echo "heartbeat matrix: PostgreSQL $major on $where ..."
        on_host "$major" >"$LOGS/$major.log" 2>&1 &
        HOST_RUN=$!
        wait $HOST_RUN
        rc=$?
        HOST_RUN=""
    else
        # In this shell: its root_run waits in the background, so a signal
        # reaches the trap, which closes the root.
        where="a throwaway Debian $rel root"
        echo "heartbeat matrix: PostgreSQL $major in $where ..."
        in_root "$major" >"$LOGS/$major.log" 2>&1
        rc=$?
    fi
    took="$(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s"
    if [ $rc = 0 ]; then
        summary+=("ok   PostgreSQL $major in $where, $took: $(grep -cE '^[ #]*All [0-9]+ tests passed' "$LOGS/$major.log") pg_regress runs, $(grep -c '^Result: PASS' "$LOGS/$major.log") prove runs passed; $(grep -oE 'sanitize: PASS' "$LOGS/$major.log" | head -1)$(grep -E '^[0-9]+ passed, 0 failed$' "$LOGS/$major.log" | tail -1 | sed 's/^/; citus /')")
    else
        failed=$((failed + 1))
        summary+=("FAIL PostgreSQL $major in $where, $took (results/matrix/$major.log)")
        tail -n 40 "$LOGS/$major.log" | sed "s/^/[$major] /"
    fi
done
echo "== heartbeat matrix =="
printf '%s\n' "${summary[@]}"
echo "$(( ${#MAJORS[@]} - failed )) passed, $failed failed"
[ "$failed" = 0 ]
