#!/bin/bash
# make sanitize: the whole suite (scripts/run-tests.sh) against a server that
# loads heartbeat built with AddressSanitizer and UndefinedBehaviorSanitizer
# (gcc), the sanitizer runtimes preloaded into the server.  Fails when the
# suite fails or when any sanitizer report shows up (kept in results/sanitize/).
# Needs root (initdb/postgres run as user postgres); the staging, build,
# server and suite are scripts/lib/instrumented.sh.
. "$(dirname "$0")/lib/instrumented.sh"

MODE=sanitize
COPT='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined'
SERVER_CONF=
MAPS_PATTERN='/libasan\.so'
START_TIMEOUT=60

# The runtimes are preloaded, as PostgreSQL itself is not built with them,
# together with a small library of our own (built here), for two reasons:
#  - a preloaded libasan initializes itself at the first malloc, which is
#    inside libgpg-error's constructor (postgres links it through gnutls),
#    within bindtextdomain() holding glibc's gettext lock.  That init looks up
#    swift_demangle with dlsym and clears the failure with dlerror(), which
#    translates the message and so takes and releases the same lock: the lock
#    is left broken and postgres hangs in its own bindtextdomain().  Our
#    swift_demangle exists (and demangles nothing, so C++ demangling goes on):
#    dlerror() has nothing to translate.
#  - libubsan initializes at its first report, by when the backend has
#    overwritten its environment with its process title (ps_status.c), so
#    UBSAN_OPTIONS would be lost: __ubsan_default_options() gives them too.
#    It must come before libubsan, whose own weak default would win.
# gcc's libubsan, next to libasan, writes its reports to stderr whatever
# log_path says: they land in server.log, which is checked as well.
#
# detect_leaks=0: PostgreSQL frees by memory context, and not all at exit.
# abort_on_error: a report kills the backend with SIGABRT, so the server
# restarts and the test at hand fails too (exit code 1 would pass as FATAL).
tool_setup() {
    local helper=$TMP/sanitizer_helper asan ubsan
    asan=$(gcc -print-file-name=libasan.so) ubsan=$(gcc -print-file-name=libubsan.so)
    if [ ! -e "$asan" ] || [ ! -e "$ubsan" ]; then
        log "gcc has no libasan.so / libubsan.so (apt-get install gcc)"
        return 1
    fi
    local asan_opts="detect_leaks=0:abort_on_error=1:disable_coredump=1:log_path=$REPORTS/asan"
    local ubsan_opts="print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$REPORTS/ubsan"
    cat >"$helper.c" <<C
#include <stddef.h>
char *swift_demangle(const char *, size_t, char *, size_t *, unsigned);
const char *__ubsan_default_options(void);
char *swift_demangle(const char *n, size_t l, char *o, size_t *ol, unsigned f) { return NULL; }
const char *__ubsan_default_options(void) { return "$ubsan_opts"; }
C
    gcc -shared -fPIC -O2 -o "$helper.so" "$helper.c" || return 1
    SERVER_PREFIX=(env
        "LD_PRELOAD=$asan:$helper.so:$ubsan"
        "ASAN_OPTIONS=$asan_opts" "UBSAN_OPTIONS=$ubsan_opts")
}

# The runtimes write a file (asan.<pid>, ubsan.<pid>) only when they report:
# any such file is a finding, shown whole.
tool_reports() {
    local f
    for f in "$REPORTS"/*; do
        [ -f "$f" ] && { echo "== $f"; cat "$f"; }
    done
}

# The built library itself must link both runtimes.
check_build() {
    local needed
    needed=$(readelf -d "$STAGE/usr/lib/postgresql/$PGMAJOR/lib/heartbeat.so") || return 1
    grep -q 'NEEDED.*libasan' <<<"$needed" && grep -q 'NEEDED.*libubsan' <<<"$needed"
}

run_instrumented
