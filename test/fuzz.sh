#!/bin/bash
# TAP: the fuzz suite (test/lib/fuzz.sql) cannot take the server down.
# Seeded and bounded: HB_FUZZ_SEED (default 0.2026), HB_FUZZ_CASES (mutations
# per summary type and channel, default 1000), HB_FUZZ_SECONDS (default 240).
# A sentinel session waits through the whole run: a crashed backend makes the
# postmaster end every session, so the sentinel's survival (and an unchanged
# postmaster start time) proves no backend was lost.  A lost run is replayed
# with the same seed and HB_FUZZ_TRACE=on (each case sent as a NOTICE before
# it runs; slower), which names the last case the backend received.
set -euo pipefail
cd "$(dirname "$0")"
db=heartbeat_fuzz
seed=${HB_FUZZ_SEED:-0.2026}
cases=${HB_FUZZ_CASES:-1000}
seconds=${HB_FUZZ_SECONDS:-240}
trace=${HB_FUZZ_TRACE:-off}
out=$(mktemp)
err=$(mktemp)
lastcase=$(mktemp)
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
sentinel=
# After a lost backend the server recovers before it takes connections.
wait_ready() {
    for _ in $(seq 120); do pg_isready -q && return 0; sleep 0.5; done
    return 1
}
cleanup() {
    [ -n "$sentinel" ] && kill "$sentinel" 2>/dev/null || true
    wait_ready || true
    dropdb --if-exists --force "$db"
    rm -f "$out" "$err" "$lastcase"
}
trap cleanup EXIT

echo "1..4"
createdb "$db"
started=$("${PSQL[@]}" -d "$db" -c "SELECT pg_postmaster_start_time()")
PGAPPNAME=hb_fuzz_sentinel psql -X -q -d "$db" -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
sentinel=$!
for _ in $(seq 50); do
    spid=$("${PSQL[@]}" -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'hb_fuzz_sentinel'")
    [ -n "$spid" ] && break
    sleep 0.1
done

# Runs the driver (trace $1): its output in $out, its messages in $err but
# for the trace, of which the last line is kept in $lastcase.
run() {
    local rc
    set +e
    "${PSQL[@]}" -d "$db" -v seed="$seed" -v cases="$cases" -v seconds="$seconds" -v trace="$1" -f lib/fuzz.sql 2>&1 >"$out" \
        | awk -v keep="$lastcase" '/NOTICE:  case /{last=$0; next} {print} END{if (last != "") print last > keep}' >"$err"
    rc=${PIPESTATUS[0]}
    set -e
    return "$rc"
}

rc=0
run "$trace" || rc=$?
sed 's/^/# /' "$out" "$err"
last=$(tail -n 1 "$out")
if [ "$rc" = 0 ] && [[ "$last" =~ ^cases\ ([0-9]+)\ violations\ ([0-9]+)$ ]]; then
    echo "ok 1 - the fuzz run finished: ${BASH_REMATCH[1]} cases with seed $seed"
    if [ "${BASH_REMATCH[2]}" = 0 ]; then
        echo "ok 2 - every case returned a correct value or raised an ERROR"
    else
        echo "not ok 2 - ${BASH_REMATCH[2]} violations (listed above)"
    fi
else
    echo "not ok 1 - the fuzz run did not finish (psql exit $rc)"
    echo "not ok 2 - no verdict"
fi
# A crash is noticed by the postmaster asynchronously: give it a moment.
sleep 1
wait_ready || true
now=$("${PSQL[@]}" -d "$db" -c "SELECT pg_postmaster_start_time()")
if [ "$now" = "$started" ]; then echo "ok 3 - the postmaster did not restart"; else echo "not ok 3 - postmaster restarted: $started -> $now"; fi
alive=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE pid = ${spid:-0} AND application_name = 'hb_fuzz_sentinel'")
if [ -n "$spid" ] && [ "$alive" = 1 ]; then echo "ok 4 - the sentinel session survived the run: no backend was lost"; else echo "not ok 4 - the sentinel session (pid ${spid:-none}) is gone"; lost=1; fi
[ "$now" = "$started" ] || lost=1

# A lost run: what it had found, then the case that took the backend down.
if [ -n "${lost:-}" ]; then
    echo "# violations recorded before the backend was lost:"
    "${PSQL[@]}" -d "$db" -c "SELECT part || ': ' || detail FROM fuzz.shown" 2>&1 | sed 's/^/#   /' || true
    replayed=0
    if [ "$trace" != on ]; then
        echo "# replaying seed $seed with HB_FUZZ_TRACE=on to name the case"
        run on && replayed=finished || true
        wait_ready || true
        sed 's/^/#   /' "$err"
    fi
    if [ "$replayed" = finished ]; then
        echo "# the replay finished: the loss did not repeat"
    elif [ -s "$lastcase" ]; then
        echo "# last case sent before the backend was lost:"
        sed 's/^.*NOTICE:  case /#   /' "$lastcase"
    fi
fi
