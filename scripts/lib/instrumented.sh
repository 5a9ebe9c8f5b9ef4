# Shared part of scripts/sanitize.sh and scripts/valgrind.sh (sourced, bash):
# runs the whole suite (scripts/run-tests.sh) against a throwaway cluster whose
# server loads an instrumented heartbeat library, without touching the system
# PostgreSQL or the checkout's build:
#   - PostgreSQL's tree is copied to a stage (its binaries are relocatable),
#   - the sources are copied to a build dir, built with $COPT and installed
#     into the stage (make install DESTDIR=stage),
#   - initdb / postgres run as user postgres from the stage, listening on a
#     unix socket in the temp dir only; the suite connects as PGUSER=postgres,
#   - a backend is asked for its own /proc/self/maps, to prove it loaded the
#     staged heartbeat.so and the instrumentation ($MAPS_PATTERN).
# Logs are kept in results/$MODE/ (git-ignored); the temp dir is removed.
#
# The caller sets, then calls run_instrumented:
#   MODE           sanitize | valgrind (names results/$MODE and the temp dir)
#   COPT           extra compiler and linker flags for the build (PGXS COPT)
#   SERVER_CONF    extra postgresql.conf lines
#   MAPS_PATTERN   extended regex a backend's /proc/self/maps must match
#   START_TIMEOUT  seconds to wait for the server to accept connections
# and defines
#   tool_setup     sets SERVER_PREFIX, an array of the words put before
#                  `postgres` (env ..., valgrind ...); runs once $TMP (a temp
#                  dir user postgres can read) and $REPORTS (the directory for
#                  the tool's report files, writable by postgres) exist
#   tool_reports   prints the tool's reports found in $REPORTS (nothing when
#                  there are none)
#   check_build    (optional) fails when the heartbeat.so installed in $STAGE
#                  is not instrumented

# The server of $PG_CONFIG (default pg_config), in Debian's layout.
PG_CONFIG=${PG_CONFIG:-pg_config}
PGMAJOR=$("$PG_CONFIG" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
SYS_BIN=/usr/lib/postgresql/$PGMAJOR/bin
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

log() { echo "heartbeat $MODE: $*"; }

instrumented_cleanup() {
    local rc=$?
    set +e
    if [ -n "${DATA:-}" ] && [ -f "$DATA/postmaster.pid" ]; then
        runuser -u postgres -- "$STAGE_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1
    fi
    if [ -n "${SERVER_PID:-}" ]; then
        # A server that never got as far as postmaster.pid: the runuser's child.
        kill -0 "$SERVER_PID" 2>/dev/null && pkill -KILL -P "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [ -n "${TMP:-}" ] && [ -d "$TMP" ]; then
        [ -d "${BUILD:-}" ] && for f in "$BUILD"/results/*.log "$BUILD"/regression.diffs "$BUILD"/regression.out; do
            [ -f "$f" ] && cp "$f" "$LOGS/"
        done
        rm -rf "$TMP"
    fi
    [ -n "${LOGS:-}" ] && chmod -R a+rX "$LOGS"
    exit "$rc"
}

. "$(dirname "${BASH_SOURCE[0]}")/checkout.sh"

start_server() {
    runuser -u postgres -- "$STAGE_BIN/initdb" -D "$DATA" -A trust -U postgres --no-sync >"$LOGS/initdb.log" 2>&1 \
        || { cat "$LOGS/initdb.log"; return 1; }
    cat >>"$DATA/postgresql.conf" <<CONF
# heartbeat $MODE run
listen_addresses = ''
unix_socket_directories = '$SOCK'
port = $PORT
fsync = off
jit = off
huge_pages = off
log_line_prefix = '%m [%p] %q%u@%d '
$SERVER_CONF
CONF
    runuser -u postgres -- "${SERVER_PREFIX[@]}" "$STAGE_BIN/postgres" -D "$DATA" >"$LOGS/server.log" 2>&1 &
    SERVER_PID=$!
    local waited=0
    until pg_isready -q -h "$SOCK" -p "$PORT"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || [ "$waited" -ge "$START_TIMEOUT" ]; then
            tail -n 30 "$LOGS/server.log"
            log "the server did not start"
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "server up after ${waited}s"
}

# Proves that the server really is instrumented: the postmaster and a backend
# that loaded heartbeat map $MAPS_PATTERN, and that backend's heartbeat.so is
# the staged one (not the system's).
check_instrumented() {
    local pm maps lib=$STAGE/usr/lib/postgresql/$PGMAJOR/lib/heartbeat.so
    pm=$(head -n 1 "$DATA/postmaster.pid")
    if ! grep -Eq "$MAPS_PATTERN" "/proc/$pm/maps"; then
        log "postmaster (pid $pm) does not map /$MAPS_PATTERN/: not instrumented"
        return 1
    fi
    maps=$(psql -X -q -At -v ON_ERROR_STOP=1 -c "LOAD 'heartbeat'" \
                -c "SELECT pg_read_file('/proc/self/maps')") || return 1
    if ! grep -Fq "$lib" <<<"$maps"; then
        log "a backend did not load the instrumented $lib"
        return 1
    fi
    if ! grep -Eq "$MAPS_PATTERN" <<<"$maps"; then
        log "a backend does not map /$MAPS_PATTERN/: not instrumented"
        return 1
    fi
    log "instrumented: the maps of postmaster $pm and of a backend match '$MAPS_PATTERN', the backend's heartbeat.so is the staged one"
}

# Crashes, and sanitizer output on the server's stderr with the stack that
# follows it.  Exit code 1 is a backend's or worker's ordinary FATAL/ERROR
# exit, not a crash.
server_log_reports() {
    awk '/terminated by signal|terminated by exception|exited with exit code ([02-9]|[1-9][0-9])|AddressSanitizer|runtime error:/ { print; stack = 1; next }
         stack && /^ +#[0-9]+ / { print; next }
         { stack = 0 }' "$LOGS/server.log"
}

run_instrumented() {
    set -uo pipefail
    if [ "$(id -u)" != 0 ]; then
        echo "heartbeat $MODE: run as root (initdb/postgres run as user postgres via runuser)" >&2
        return 1
    fi
    local start=$SECONDS suite=0 reports verdict
    LOGS=$ROOT/results/$MODE
    REPORTS=$LOGS/reports
    rm -rf "$LOGS"
    mkdir -p "$REPORTS"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/heartbeat-$MODE.XXXXXX")
    trap instrumented_cleanup EXIT
    trap 'exit 130' INT TERM
    chmod 755 "$TMP"
    STAGE=$TMP/stage BUILD=$TMP/build DATA=$TMP/data SOCK=$TMP/sock
    STAGE_BIN=$STAGE/usr/lib/postgresql/$PGMAJOR/bin
    PORT=5432   # no TCP listener: the socket lives in our own $SOCK
    # The tool writes its reports as user postgres, into the checkout's results.
    chown postgres "$REPORTS"
    mkdir -p "$STAGE/usr/lib/postgresql" "$STAGE/usr/share/postgresql" "$BUILD" "$SOCK" "$DATA"
    chown postgres "$SOCK" "$DATA"
    chmod 700 "$DATA"
    cp -a "/usr/lib/postgresql/$PGMAJOR" "$STAGE/usr/lib/postgresql/"
    cp -a "/usr/share/postgresql/$PGMAJOR" "$STAGE/usr/share/postgresql/"
    copy_checkout "$BUILD" || return 1
    tool_setup || { log "FAIL - could not set up $MODE"; return 1; }

    log "building with COPT='$COPT'"
    make -C "$BUILD" -s PG_CONFIG="$SYS_BIN/pg_config" COPT="$COPT" all >"$LOGS/build.log" 2>&1 \
        && make -C "$BUILD" -s PG_CONFIG="$SYS_BIN/pg_config" COPT="$COPT" install DESTDIR="$STAGE" >>"$LOGS/build.log" 2>&1 \
        || { cat "$LOGS/build.log"; log "FAIL - build failed"; return 1; }
    if declare -F check_build >/dev/null && ! check_build; then
        log "FAIL - the installed heartbeat.so is not instrumented"
        return 1
    fi

    unset PGHOSTADDR PGSERVICE PGCLUSTER PGPASSWORD PGDATABASE PGOPTIONS
    export PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres
    start_server || { log "FAIL - server did not start (results/$MODE/server.log)"; return 1; }
    check_instrumented || { log "FAIL - the server is not instrumented; no verdict"; return 1; }

    log "running scripts/run-tests.sh"
    # PG_CONFIG and COPT: test/nocallsite.sh builds its module as heartbeat was.
    (cd "$BUILD" && PG_CONFIG="$SYS_BIN/pg_config" COPT="$COPT" ./scripts/run-tests.sh) 2>&1 | tee "$LOGS/suite.log"
    suite=${PIPESTATUS[0]}
    if runuser -u postgres -- "$STAGE_BIN/pg_ctl" -D "$DATA" -m fast -w -t 600 stop >/dev/null; then
        wait "$SERVER_PID"
    else
        log "the server did not stop in 10 minutes"
    fi

    reports=$( { tool_reports; server_log_reports | sed 's/^/server.log: /'; } )
    if [ -n "$reports" ]; then
        echo "---- $MODE reports ----"
        echo "$reports"
        echo "-----------------------"
    fi
    [ -f "$BUILD/results/summary.txt" ] && cat "$BUILD/results/summary.txt"
    verdict="suite $([ "$suite" = 0 ] && echo passed || echo "FAILED (exit $suite)")"
    verdict="$verdict, $([ -z "$reports" ] && echo "no $MODE reports" || echo "$MODE REPORTS FOUND (results/$MODE/)")"
    verdict="$verdict, $(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s"
    if [ "$suite" = 0 ] && [ -z "$reports" ]; then
        log "PASS - $verdict"
        return 0
    fi
    log "FAIL - $verdict"
    return 1
}
