#!/bin/sh
# Installs the Debian packages heartbeat needs to build, test and demo, when
# run as root; otherwise names the missing ones and fails.  The PostgreSQL
# major version is the one of $PG_CONFIG (default pg_config) when its server
# headers are installed, else the release's own (what Debian's `postgresql`
# package depends on: 15 on Debian 12, 17 on 13, 18 on unstable).
set -e
PGC=${PG_CONFIG:-pg_config}
major=""
pgxs=$("$PGC" --pgxs 2>/dev/null || true)
if [ -n "$pgxs" ] && [ -f "$pgxs" ]; then
    major=$("$PGC" --version | sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p')
fi
updated=""
if [ -z "$major" ]; then
    if [ "$(id -u)" = 0 ] && ! apt-cache show postgresql >/dev/null 2>&1; then
        apt-get update -qq; updated=1
    fi
    major=$(apt-cache depends postgresql 2>/dev/null | sed -n 's/^ *Depends: postgresql-\([0-9][0-9]*\)$/\1/p' | head -n 1)
fi
if [ -z "$major" ]; then
    echo "heartbeat: cannot tell which PostgreSQL to build for: install postgresql-server-dev-NN, or pass PG_CONFIG=/path/to/pg_config" >&2
    exit 1
fi
PKGS="postgresql-$major postgresql-server-dev-$major postgresql-common postgresql-$major-pgtap libtap-parser-sourcehandler-pgtap-perl make gcc"
# What some tests use (test/clients.sh, test/pg_cron.sh), installed as root
# when the release has them; without them those tests skip.
OPTIONAL="python3-psycopg postgresql-$major-cron"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=""
for p in $PKGS; do
    installed "$p" || missing="$missing $p"
done
if [ "$(id -u)" = 0 ]; then
    for p in $OPTIONAL; do
        installed "$p" && continue
        [ -n "$updated" ] || { apt-get update -qq; updated=1; }
        if apt-cache show "$p" >/dev/null 2>&1; then missing="$missing $p"
        else echo "heartbeat: $p is not in this release: the tests that use it will skip" >&2; fi
    done
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "heartbeat: missing Debian packages:$missing" >&2
    echo "heartbeat: install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "heartbeat: installing$missing"
export DEBIAN_FRONTEND=noninteractive
[ -n "$updated" ] || apt-get update -qq
apt-get install -y -qq $missing >/dev/null
