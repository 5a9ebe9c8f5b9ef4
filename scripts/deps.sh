#!/bin/sh
# Installs the Debian packages heartbeat needs to build, test and demo, when
# run as root; otherwise names the missing ones and fails.
set -e
PKGS="postgresql-15 postgresql-server-dev-15 postgresql-common postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "heartbeat: missing Debian packages:$missing" >&2
    echo "heartbeat: install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "heartbeat: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing >/dev/null
