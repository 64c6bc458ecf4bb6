# common.sh -- what every bench/*.sh script does the same way; sourced, not run.
#
#   BENCH_NAME=chart-bench; . "$ROOT/bench/lib/common.sh"
#   say "text"               one line on stderr, prefixed with BENCH_NAME
#   die "text"               say it and exit 1
#   bench_install $need      apt-get install the missing Debian packages named (as root)
#   bench_cairnd [TARGET…]   use $CAIRND when set (not rebuilt), else make build/cairnd
#                            (and any extra make targets) and set CAIRND; sets
#                            CAIRND_GIVEN to " CAIRND=<path>" or "" for the result's
#                            command line
#   stop_pid PID             TERM, wait up to 10 s, then KILL (nothing if already gone)

say() { echo "${BENCH_NAME:-bench}: $*" >&2; }
die() { say "$*"; exit 1; }

bench_install() {
    [ $# -gt 0 ] || return 0
    [ "$(id -u)" -eq 0 ] || die "missing Debian packages: $* (run as root or: sudo apt-get install $*)"
    say "installing $*"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

bench_cairnd() {
    if [ -n "${CAIRND:-}" ]; then
        [ -x "$CAIRND" ] || die "CAIRND=$CAIRND is not an executable"
        CAIRND_GIVEN=" CAIRND=$CAIRND"
        say "using CAIRND=$CAIRND (not rebuilt)"
        return 0
    fi
    say "building cairnd${1:+ and $*}"
    make -s -C "$ROOT" build/cairnd "$@" >&2 || die "build failed (make build/cairnd $*)"
    CAIRND="$ROOT/build/cairnd"
    CAIRND_GIVEN=""
}

stop_pid() {
    local pid=$1 i
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
