#!/bin/bash
# TAP: the built install script(s) keep to PostgreSQL's "Security
# Considerations for Extensions": no CREATE OR REPLACE and no IF NOT EXISTS
# (either could adopt an object a hostile user made beforehand, under the
# script's superuser rights), and no SECURITY DEFINER function.
# Runs from the repository after `make` (scripts/run-tests.sh, via prove).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob
# The install script of the current version, as make builds it (not stale
# builds of earlier versions lying about).
current=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" heartbeat.control)
scripts=()
[ -f "heartbeat--$current.sql" ] && scripts=("heartbeat--$current.sql")

echo "1..5"
if [ ${#scripts[@]} -gt 0 ]; then echo "ok 1 - install script built: ${scripts[*]}"; else echo "not ok 1 - no install script heartbeat--<version>.sql: run make"; fi
n=2
for pattern in 'CREATE[[:space:]]+OR[[:space:]]+REPLACE' 'IF[[:space:]]+NOT[[:space:]]+EXISTS' 'SECURITY[[:space:]]+DEFINER'; do
    # Statements only: comment lines may name what is avoided.
    hits=$(cat "${scripts[@]}" /dev/null | grep -v -E '^[[:space:]]*--' | grep -i -E -c "$pattern" || true)
    label=$(sed 's/\[\[:space:\]\]+/ /g' <<<"$pattern")
    if [ "$hits" = 0 ]; then echo "ok $n - no $label in the install script"; else echo "not ok $n - $hits line(s) with $label in the install script"; fi
    n=$((n + 1))
done

# No script writes to the system catalogues: neither the install script nor
# any update script (upgrade/), whatever version it leads to.
writes=$(cat "${scripts[@]}" upgrade/*.sql /dev/null | grep -v -E '^[[:space:]]*--' \
         | grep -i -E '(UPDATE|INSERT[[:space:]]+INTO|DELETE[[:space:]]+FROM)[[:space:]]+pg_catalog\.' || true)
if [ -z "$writes" ]; then echo "ok 5 - no install or update script writes to pg_catalog"
else echo "not ok 5 - a script writes to pg_catalog:"; sed 's/^/# /' <<<"$writes"; fi

