#!/bin/sh
# Runs inside pg_virtualenv: pg_regress (make installcheck), then the pgTAP
# suite with pg_prove.  Fails if either fails; prints both summaries.
cd "$(dirname "$0")/.." || exit 1
regress=0
make installcheck || regress=$?
if [ "$regress" != 0 ] && [ -f regression.diffs ]; then
    cat regression.diffs
fi
createdb heartbeat_tap || exit 1
prove=0
pg_prove -d heartbeat_tap --failures test/*.sql || prove=$?
dropdb heartbeat_tap
[ "$regress" = 0 ] && [ "$prove" = 0 ]
