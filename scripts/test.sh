#!/bin/bash
# test.sh -- run every test suite and print one closing line "N passed, N failed".
#
#   scripts/test.sh            unit, integration (SQLite, then PostgreSQL), UI
#   scripts/test.sh unit       unit tests only
#   scripts/test.sh int        integration tests only (both backends)
#   scripts/test.sh ui         UI tests only
#
# Binaries must be built first (`make asan web`; `make test` does it). A
# throwaway PostgreSQL cluster is started for the PostgreSQL runs and the
# unit tests of the db layer, and removed at the end. A suite that crashes
# without reporting counts as one failure, so a broken runner cannot pass.
set -u
cd "$(dirname "$0")/.."
what=${1:-all}
passed=0
failed=0
art=build/test-artifacts
mkdir -p "$art"

count_cmocka() { # file
    local p f
    p=$(grep -hoE '^\[  PASSED  \] [0-9]+' "$1" | awk '{s+=$NF} END {print s+0}')
    f=$(grep -hoE '^\[  FAILED  \] [0-9]+ test' "$1" | awk '{s+=$(NF-1)} END {print s+0}')
    echo "$p $f"
}

count_tap() { # file
    local p f
    p=$(grep -E '^# pass [0-9]+' "$1" | tail -1 | awk '{print $3}')
    f=$(grep -E '^# fail [0-9]+' "$1" | tail -1 | awk '{print $3}')
    echo "${p:-} ${f:-}"
}

add() { # passed failed label rc
    local p=$1 f=$2 label=$3 rc=$4
    if [ -z "$p" ] || [ -z "$f" ]; then
        echo "!! $label: no test counts (runner crashed?), rc=$rc"
        failed=$((failed + 1))
        return
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p))
    failed=$((failed + f))
    echo "== $label: $p passed, $f failed"
}

pg_dir=""
start_pg() {
    [ -n "$pg_dir" ] && return 0
    pg_dir=$(mktemp -d /tmp/cairn-pg.XXXXXX)
    chmod 755 "$pg_dir"
    if ! scripts/pg-test.sh start "$pg_dir" >"$art/pg-start.log" 2>&1; then
        echo "!! could not start PostgreSQL (see $art/pg-start.log)"
        cat "$art/pg-start.log"
        failed=$((failed + 1))
        pg_dir=""
        return 1
    fi
    export CAIRN_TEST_PG_URL
    CAIRN_TEST_PG_URL=$(scripts/pg-test.sh url "$pg_dir")
    export CAIRN_TEST_PG_DIR="$pg_dir"
    export CAIRN_TEST_PG_PORT
    CAIRN_TEST_PG_PORT=$(cat "$pg_dir/port")
}
stop_pg() {
    [ -n "$pg_dir" ] && scripts/pg-test.sh stop "$pg_dir" >/dev/null 2>&1
    pg_dir=""
}
trap stop_pg EXIT

run_unit() {
    start_pg || true
    for t in build/asan/tests/test_*; do
        [ -x "$t" ] || continue
        local name log rc
        name=$(basename "$t")
        log="$art/unit-$name.log"
        "$t" >"$log" 2>&1
        rc=$?
        read -r p f < <(count_cmocka "$log")
        [ "$rc" -ne 0 ] && tail -30 "$log"
        add "$p" "$f" "unit $name" "$rc"
    done
}

# Every libFuzzer target: the committed corpus (each input that once broke
# something stays there), then a fixed number of new inputs from a fixed
# seed, so the same tree always runs the same inputs and a red run means a
# regression, not luck. Open-ended fuzzing (new seeds, for as long as you
# like) is `make fuzz`; add what it finds to tests/fuzz/corpus/<target>/.
run_fuzz() {
    for f in build/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        local n=${f##*/fuzz_} dir log rc
        dir=$(mktemp -d)
        log="$art/fuzz-$n.log"
        "$f" -seed="${FUZZ_TEST_SEED:-1}" -runs="${FUZZ_TEST_RUNS:-10000}" -max_len=65536 \
            "$dir" "tests/fuzz/corpus/$n" >"$log" 2>&1
        rc=$?
        rm -rf "$dir"
        if [ "$rc" -eq 0 ]; then add 1 0 "fuzz $n" 0; else tail -20 "$log"; add 0 1 "fuzz $n" "$rc"; fi
    done
}

run_node() { # label dir backend
    local label=$1 dir=$2 backend=$3 log rc
    ls "$dir"/*.test.mjs >/dev/null 2>&1 || return 0
    log="$art/$label.tap"
    CAIRN_TEST_DB=$backend node --test --test-reporter=tap --test-concurrency=1 "$dir"/*.test.mjs >"$log" 2>&1
    rc=$?
    read -r p f < <(count_tap "$log")
    if [ "$rc" -ne 0 ]; then
        grep -E '^not ok|^# Subtest|error:|Error' "$log" | head -40
    fi
    add "$p" "$f" "$label" "$rc"
}

case $what in
all)
    run_unit
    run_fuzz
    run_node integration-sqlite tests/integration sqlite
    start_pg && run_node integration-pg tests/integration pg
    run_node ui tests/ui sqlite
    ;;
unit) run_unit ;;
fuzz) run_fuzz ;;
int)
    run_node integration-sqlite tests/integration sqlite
    start_pg && run_node integration-pg tests/integration pg
    ;;
ui) run_node ui tests/ui sqlite ;;
*) echo "usage: $0 [all|unit|int|ui]" >&2; exit 2 ;;
esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
