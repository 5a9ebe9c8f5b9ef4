#!/bin/bash
# make deb: builds the Debian packages, one postgresql-NN-heartbeat per
# PostgreSQL version installed here that debian/pgversions supports (as
# Debian builds its PostgreSQL extensions: pg_buildext), in a copy of the
# checkout, checks them with lintian (any error fails), and leaves them in
# results/deb/.
# make deb-test (scripts/deb.sh test): installs each built package into a
# fresh Debian root of this machine's release, with that release's
# PostgreSQL, and as user postgres runs CREATE EXTENSION heartbeat and a
# query.  Needs root.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/scripts/lib/debroot.sh"
OUT=$TOP/results/deb
log() { echo "heartbeat deb: $*"; }

[ "$(id -u)" = 0 ] || { echo "heartbeat deb: run as root" >&2; exit 1; }

build() {
    local pkgs="debhelper postgresql-server-dev-all lintian dpkg-dev fakeroot" missing="" p tmp src
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        log "installing$missing"
        apt-get install -y -qq $missing >/dev/null || { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; } || return 1
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/heartbeat-deb.XXXXXX")
    trap 'rm -rf "$tmp"' RETURN
    src=$tmp/heartbeat
    copy_checkout "$src"
    rm -rf "$OUT"; mkdir -p "$OUT"
    (cd "$src" && pg_buildext updatecontrol && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1 \
        || { tail -n 40 "$OUT/build.log"; log "FAIL - dpkg-buildpackage failed (results/deb/build.log)"; return 1; }
    cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$OUT/"
    log "built: $(cd "$OUT" && ls *.deb | tr '\n' ' ')"
    lintian --fail-on error "$OUT"/*.changes >"$OUT/lintian.log" 2>&1
    local rc=$?
    cat "$OUT/lintian.log"
    if [ $rc != 0 ]; then log "FAIL - lintian reports errors"; return 1; fi
    log "lintian: no errors ($(grep -c '^W:' "$OUT/lintian.log") warnings)"
}

test_debs() {
    local rel deb major n=0 failed=0
    rel=$(. /etc/os-release && echo "$VERSION_CODENAME")
    ls "$OUT"/postgresql-*-heartbeat_*.deb >/dev/null 2>&1 || { log "no package in results/deb: run make deb first"; return 1; }
    root_traps
    for deb in "$OUT"/postgresql-*-heartbeat_*.deb; do
        case $deb in *dbgsym*) continue ;; esac
        major=$(basename "$deb" | sed -n 's/^postgresql-\([0-9]*\)-heartbeat_.*/\1/p')
        n=$((n + 1))
        root_open "$rel" || return 1
        cp "$deb" "$R/tmp/"
        # No cluster from the package's install (it would take port 5432 on
        # this host's network); one of our own, on a unix socket only.
        mkdir -p "$R/etc/postgresql-common"
        echo "create_main_cluster = false" >"$R/etc/postgresql-common/createcluster.conf"
        if root_run /bin/sh -ec "
            apt-get update -qq
            apt-get install -y -qq postgresql-$major /tmp/$(basename "$deb") >/dev/null
            pg_createcluster $major check -p 54399 -- --no-sync >/dev/null
            sed -i \"s/^#*listen_addresses.*/listen_addresses = ''/\" /etc/postgresql/$major/check/postgresql.conf
            pg_ctlcluster $major check start
            runuser -u postgres -- psql -X -q -At -p 54399 -v ON_ERROR_STOP=1 \
                -c 'CREATE EXTENSION heartbeat' \
                -c \"SELECT extversion FROM pg_extension WHERE extname = 'heartbeat'\" \
                -c \"SELECT heartbeat.rate(heartbeat.conversion_agg(w)) FROM (VALUES (true), (false), (true), (NULL)) v(w)\"
            pg_ctlcluster $major check stop" >"$OUT/test-$major.log" 2>&1 \
           && [ "$(tail -n 2 "$OUT/test-$major.log" | tr '\n' ' ')" = "$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" "$TOP/heartbeat.control") 0.6666666666666666 " ]; then
            log "ok $n - $(basename "$deb") installs into a fresh $rel root; CREATE EXTENSION and a query as postgres give version and rate 2/3"
        else
            failed=$((failed + 1))
            cat "$OUT/test-$major.log"
            log "not ok $n - $(basename "$deb") in a fresh $rel root (results/deb/test-$major.log)"
        fi
        root_close
    done
    echo "$((n - failed)) passed, $failed failed"
    [ $failed = 0 ]
}

case ${1:-build} in
    build) build ;;
    test) test_debs ;;
    *) echo "usage: scripts/deb.sh [build|test]" >&2; exit 2 ;;
esac
