#!/bin/bash
# TAP: heartbeat is a trusted extension.  A role that is no superuser but owns
# a database installs it, uses it and drops it.  The install script runs with
# the bootstrap superuser's rights, so the role first makes the heartbeat
# schema itself, with look-alikes of what the script calls from pg_catalog
# that would make it superuser: none of them may run.
# Runs inside the test cluster (scripts/run-tests.sh, via prove).
set -euo pipefail
role=hb_trusted_owner
db=hb_trusted
pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
trap 'dropdb --if-exists "$db"; "${PSQL[@]}" -c "DROP ROLE IF EXISTS $role"' EXIT
# As the role, over a password login like any application's.
as_role() { PGUSER=$role PGPASSWORD=$pw "${PSQL[@]}" -h "${PGHOST:-localhost}" -d "$db" "$@"; }
check() { if [ "$1" = "$2" ]; then echo "ok $3"; else echo "not ok $3"; echo "#   got '$1', expected '$2'"; fi; }

echo "1..5"
"${PSQL[@]}" -c "CREATE ROLE $role LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$pw'"
createdb -O "$role" "$db"
as_role <<SQL
CREATE SCHEMA heartbeat;
CREATE FUNCTION heartbeat.format(text, text, text, text, text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
    ALTER ROLE $role SUPERUSER;
    RETURN pg_catalog.format(\$1, \$2, \$3, \$4, \$5);
END \$\$;
CREATE FUNCTION heartbeat.array_cat(double precision[], double precision[]) RETURNS double precision[]
    LANGUAGE sql AS 'SELECT pg_catalog.array_cat(\$1, \$2)';
SQL

created=$(as_role -c "CREATE EXTENSION heartbeat" -c "SELECT extowner::regrole FROM pg_extension WHERE extname = 'heartbeat'" 2>&1) || true
check "$created" "$role" "CREATE EXTENSION heartbeat as a database owner who is no superuser; the extension is the role's"
check "$(as_role -c "SELECT heartbeat.rate(heartbeat.conversion_agg(w)) FROM (VALUES (true), (false), (NULL), (true)) v(w)" 2>&1)" \
      "0.6666666666666666" "and the role uses an aggregate"
check "$("${PSQL[@]}" -c "SELECT rolsuper FROM pg_roles WHERE rolname = '$role'")" "f" \
      "installing ran none of the role's look-alikes with superuser rights: it is still no superuser"
check "$(as_role -c "SELECT aggcombinefn::regprocedure FROM pg_aggregate WHERE aggfnoid = 'heartbeat.sparkline(double precision)'::regprocedure" 2>&1)" \
      "array_cat(anycompatiblearray,anycompatiblearray)" "sparkline() combines with pg_catalog's array_cat, not the look-alike in its schema"
check "$(as_role -c "DROP EXTENSION heartbeat" -c "SELECT count(*) FROM pg_proc WHERE proname = 'conversion_agg'" 2>&1)" \
      "0" "and the role drops the extension with all its functions"
