#!/bin/sh
# Runs inside pg_virtualenv: pg_regress (make installcheck), the pgTAP suite
# with pg_prove, then shell TAP tests (test/*.sh) with prove.  Fails if any
# fails.  The summaries are kept in results/summary.txt, which `make test`
# prints last.
cd "$(dirname "$0")/.." || exit 1
mkdir -p results
regress=0
make installcheck > results/installcheck.log 2>&1 || regress=$?
cat results/installcheck.log
if [ "$regress" != 0 ] && [ -f regression.diffs ]; then
    cat regression.diffs
fi
createdb heartbeat_tap || exit 1
prove=0
pg_prove -d heartbeat_tap --failures test/*.sql > results/pg_prove.log 2>&1 || prove=$?
cat results/pg_prove.log
dropdb heartbeat_tap
# Shell-level TAP tests (pg_dump / pg_restore), with prove.
shell=0
prove --failures --exec bash test/*.sh > results/prove_shell.log 2>&1 || shell=$?
cat results/prove_shell.log
report() {
    if grep -q '^Test Summary Report' "$1"; then sed -n '/^Test Summary Report/,$p' "$1"; else tail -n 3 "$1"; fi
}
{
    echo "== pg_regress =="
    grep -E '^[ #]*(All [0-9]+ tests passed|[0-9]+ of [0-9]+ tests (failed|passed))' results/installcheck.log \
        || echo "pg_regress did not finish (exit $regress)"
    # The report names each failing file and test; without one, the totals.
    echo "== prove (shell tests) =="
    report results/prove_shell.log
    echo "== pg_prove =="
    report results/pg_prove.log
} > results/summary.txt
[ "$regress" = 0 ] && [ "$prove" = 0 ] && [ "$shell" = 0 ]
