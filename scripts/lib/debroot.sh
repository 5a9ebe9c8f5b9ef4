# Throwaway Debian roots for make matrix and make deb-test (sourced, bash).
#   base_root REL     prints a cached base root of Debian REL (debootstrap
#                     minbase with git, make and gcc), made once in
#                     $HEARTBEAT_CACHE/roots (default /var/cache/heartbeat)
#   root_open REL     copies it to a new throwaway root, prints its path in
#                     $R, mounts /proc, /dev, /dev/pts and a per-release apt
#                     package cache (so packages download once)
#   root_run CMD...   runs CMD in $R as root, with a clean environment
#   release_of MAJOR  the Debian release whose PostgreSQL is MAJOR
#   copy_checkout DIR copies the checkout (scripts/lib/checkout.sh)
#   root_close        kills every process whose root is in $R, undoes every
#                     mount, removes $R; safe to call twice, and called by the
#                     EXIT/INT/TERM traps root_traps sets
# Every mount is undone however the caller ends.  Needs root.

HB_CACHE=${HEARTBEAT_CACHE:-/var/cache/heartbeat}
HB_MIRROR=${HEARTBEAT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
R=""
HB_WORK=""
HB_MOUNTS=()

base_root() {
    local rel=$1 base=$HB_CACHE/roots/$1
    if [ -f "$base/.heartbeat-ready" ]; then echo "$base"; return 0; fi
    command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null || return 1
    rm -rf "$base.tmp"
    mkdir -p "$HB_CACHE/roots"
    echo "heartbeat: debootstrap $rel (cached in $base for later runs)" >&2
    debootstrap --variant=minbase --include=git,make,gcc,libc6-dev,ca-certificates \
        "$rel" "$base.tmp" "$HB_MIRROR" >"$HB_CACHE/roots/$rel.debootstrap.log" 2>&1 \
        || { tail -n 20 "$HB_CACHE/roots/$rel.debootstrap.log" >&2; return 1; }
    if [ "$rel" = sid ]; then
        # This network's mirror serves an expired Release file for unstable;
        # a real sid machine does not need this.
        echo 'Acquire::Check-Valid-Until "false";' >"$base.tmp/etc/apt/apt.conf.d/99heartbeat-matrix"
    fi
    touch "$base.tmp/.heartbeat-ready"
    mv "$base.tmp" "$base"
    echo "$base"
}

hb_mount() { # hb_mount ARGS... TARGET: mount and remember TARGET
    local target=${*: -1}
    mkdir -p "$target" && mount "$@" && HB_MOUNTS+=("$target")
}

root_open() {
    local rel=$1 base
    base=$(base_root "$rel") || return 1
    HB_WORK=$(mktemp -d "${TMPDIR:-/tmp}/heartbeat-root-$rel.XXXXXX")
    R=$HB_WORK/root
    cp -a "$base" "$R" || return 1
    cp /etc/resolv.conf "$R/etc/resolv.conf"
    # A stable release gets its updates and security fixes, as a real
    # machine of it does.
    case $rel in
        sid|unstable) ;;
        *) printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
               "$HB_MIRROR" "$rel" "$HB_MIRROR" "$rel" "${HB_MIRROR%/debian}/debian-security" "$rel" \
               >"$R/etc/apt/sources.list" ;;
    esac
    hb_mount -t proc proc "$R/proc"
    hb_mount --bind /dev "$R/dev"
    hb_mount --bind /dev/pts "$R/dev/pts"
    mkdir -p "$HB_CACHE/apt/$rel"
    hb_mount --bind "$HB_CACHE/apt/$rel" "$R/var/cache/apt/archives"
}

# In the background, waited for: a signal to the caller then runs its trap
# at once (bash defers traps while a foreground command runs).
root_run() {
    chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TMPDIR=/tmp \
        DEBIAN_FRONTEND=noninteractive "$@" &
    wait $!
}

root_close() {
    local i pid
    if [ -n "$HB_WORK" ] && [ -d "$HB_WORK" ]; then
        # A cluster or suite left running by an interrupted run, say.
        for pid in $(ls /proc | grep -E '^[0-9]+$'); do
            case $(readlink "/proc/$pid/root" 2>/dev/null) in
                "$HB_WORK"/*) kill -KILL "$pid" 2>/dev/null ;;
            esac
        done
        sleep 1
    fi
    for ((i = ${#HB_MOUNTS[@]} - 1; i >= 0; i--)); do
        umount "${HB_MOUNTS[i]}" 2>/dev/null || umount -l "${HB_MOUNTS[i]}" 2>/dev/null
    done
    HB_MOUNTS=()
    if [ -n "$HB_WORK" ] && [ -d "$HB_WORK" ]; then
        if grep -q " $HB_WORK/" /proc/mounts; then
            echo "heartbeat: mounts left under $HB_WORK, not removing it:" >&2
            grep " $HB_WORK/" /proc/mounts >&2
        else
            rm -rf "$HB_WORK"
        fi
    fi
    HB_WORK="" R=""
}

root_traps() {
    trap 'rc=$?; root_close; exit $rc' EXIT
    trap 'exit 130' INT TERM
}

. "$(dirname "${BASH_SOURCE[0]}")/checkout.sh"

# The Debian release whose own PostgreSQL is major $1.
release_of() {
    case $1 in
        15) echo bookworm ;;
        17) echo trixie ;;
        18) echo sid ;;
        *) return 1 ;;
    esac
}
