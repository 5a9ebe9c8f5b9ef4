#!/bin/bash
# make valgrind: the whole suite (scripts/run-tests.sh) against a server run
# under Valgrind's memcheck, with PostgreSQL's own suppressions
# (scripts/valgrind.supp, and scripts/valgrind-debian.supp for Debian's
# stripped binary).  Fails when the suite fails or when any process's
# log (results/valgrind/reports/<pid>.log) counts an error.  Slow (a
# pre-release check, not CI); extra valgrind options go in VALGRIND_OPTS
# (e.g. VALGRIND_OPTS=--track-origins=yes).  Needs root (initdb/postgres run as
# user postgres); the staging, build, server and suite are
# scripts/lib/instrumented.sh.
. "$(dirname "$0")/lib/instrumented.sh"

MODE=valgrind
COPT=
# Everything runs many times slower: no timeout may cut a test short.
SERVER_CONF="statement_timeout = 0
lock_timeout = 0
idle_in_transaction_session_timeout = 0
authentication_timeout = '10min'"
MAPS_PATTERN='vgpreload_memcheck'
START_TIMEOUT=300

# --trace-children: programs the server starts (COPY ... TO PROGRAM runs
# /bin/sh) are left out, only the server's own processes count.
# --error-exitcode=1: a process with errors still exits as PostgreSQL would
# after a FATAL, which the postmaster takes calmly.  Any other code is a
# crash to it: every session is ended, and scripts/run-tests.sh stops at its
# next createdb, so the rest of the suite would go unchecked.  The verdict is
# the logs' ERROR SUMMARY lines.
tool_setup() {
    if ! command -v valgrind >/dev/null; then
        log "installing valgrind"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null || return 1
    fi
    SERVER_PREFIX=(valgrind --tool=memcheck --trace-children=yes
        --trace-children-skip='/bin/*,/usr/bin/*,/usr/sbin/*'
        --error-exitcode=1 --leak-check=no --gen-suppressions=all
        --num-callers=40 --suppressions="$ROOT/scripts/valgrind.supp"
        --suppressions="$ROOT/scripts/valgrind-debian.supp"
        --log-file="$REPORTS/%p.log")
}

# Each process's log that counts errors, less the suppressions that
# --gen-suppressions wrote for them (they stay in the file).
tool_reports() {
    grep -l 'ERROR SUMMARY: [1-9]' "$REPORTS"/*.log 2>/dev/null | while read -r f; do
        echo "== $f"
        awk '/^\{/ { skip = 1 } !skip { print } /^\}/ { skip = 0 }' "$f"
    done
}

run_instrumented
