#!/bin/sh
# make crosscheck: heartbeat's figures against references computed apart
# from it (R's survival package, statsmodels, percentile_disc, Python's
# exact decimals) on seeded generated data, as TAP through prove (issue #14;
# what is compared with what: test/crosscheck/crosscheck.py).  Runs against
# the server that the libpq environment names, with heartbeat installed in
# it: `make crosscheck` starts a throwaway one with pg_virtualenv; by hand,
# PGHOST=... PGPORT=... PGUSER=... scripts/crosscheck.sh.
#
# Installs, as root, the Debian packages it needs (without recommends: R
# itself comes with r-cran-survival); as another user it names the missing
# ones and stops.  The data and R's answers are kept in results/crosscheck/.
#   HEARTBEAT_CROSSCHECK_SEED  the data's seed (default 14)
set -e
cd "$(dirname "$0")/.."
PKGS="r-cran-survival python3-statsmodels python3-psycopg2"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "Bail out! missing Debian packages:$missing (as root: apt-get install --no-install-recommends$missing)"
        exit 1
    fi
    echo "# installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
        { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
fi
rm -rf results/crosscheck
mkdir -p results/crosscheck
# Debian's python3: the packages' modules are there, whatever python3 comes
# first on the PATH (a virtualenv, pyenv).
exec prove -v --exec /usr/bin/python3 test/crosscheck/crosscheck.py :: results/crosscheck
