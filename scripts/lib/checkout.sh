# copy_checkout DEST (sourced, bash): copies this checkout as a fresh clone
# would have it, plus the working tree's changes — tracked and untracked
# files, not ignored ones — to DEST.
copy_checkout() {
    local top
    top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    mkdir -p "$1"
    git -C "$top" ls-files -co --exclude-standard -z \
        | (cd "$top" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) \
        | tar -C "$top" --null -T - -cf - | tar -C "$1" -xf -
}
