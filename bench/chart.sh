#!/bin/bash
# chart.sh -- chart queries on a year of RRD history: how long cairnd takes
# to answer GET /api/v1/metrics/{id}?series=host for 24 h, 30 d and 1 y.
#
#   bash bench/chart.sh              (or: make bench)
#
# What it does, all on 127.0.0.1 and in a temp dir removed at the end:
#  1. builds cairnd (make build/cairnd) and bench/tools/ingest_load.c +
#     chart_load.c with gcc;
#  2. starts cairnd on SQLite with CAIRN_ENROLL_TOKEN set, enrolls HOSTS
#     (1,000) agents through the API (bench/tools/ingest_load enroll) and
#     mints an API token (admin: monitor:view);
#  3. writes a year of history for the first host THROUGH cairnd: agent
#     reports in batches {"reports": [500 reports]} (a spool replay), one
#     every 180 s from 365 days ago to 2 days ago (within the RRD heartbeat
#     of 180 s, so every archive is filled with known values), then one every
#     60 s for the last 2 days -- ~177,000 reports, each with the host
#     series, 1 filesystem, 1 disk and 1 NIC;
#  4. gives every other host the same history: copies the first host's RRD
#     files into <data>/rrd/<id>/ (the layout of src/monitor/tsdb_rrd.c;
#     cairnd keeps no state about the files, it opens them per query), then
#     `sync`. So all HOSTS hosts have a year of data (1,000 x ~8 MB);
#  5. for each range (24 h, 30 d, 1 y, ending now) sends WARM untimed and
#     then REPS timed GET /api/v1/metrics/{id}?series=host&from=&to= with
#     the API token, one at a time on one keep-alive connection
#     (bench/tools/chart_load), each request for the next host in turn (so
#     consecutive queries read different files); p50/p90/p99 from the
#     client, and p50/p99 of cairnd's own dur_ms from its request log lines;
#  6. checks one answer per range (rows, step, known values) and prints the
#     table with the targets (p99 under 5, 10 and 20 ms), writing it to
#     bench/results/chart-latest.txt.
#
# The RRD files of 1,000 hosts (~8 GB) fit in this machine's page cache, so
# the queries read from memory, as on a server whose charts are looked at.
#
# Knobs: HOSTS [1000], REPS [300], WARM [30], KEEP=1, CAIRND=path,
# RESULTS=path. Exit status is non-zero only when the benchmark could not run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOSTS=${HOSTS:-1000}
REPS=${REPS:-300}
WARM=${WARM:-30}
PY=/usr/bin/python3
RESULTS=${RESULTS:-"$ROOT/bench/results/chart-latest.txt"}

BENCH_NAME=chart-bench
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"

need=""
command -v curl >/dev/null || need="$need curl"
command -v gcc >/dev/null || need="$need gcc libc6-dev"
[ -f /usr/include/zlib.h ] || need="$need zlib1g-dev"
# shellcheck disable=SC2086
bench_install $need
bench_cairnd

TMP=$(mktemp -d /tmp/cairn-chart-bench.XXXXXX)
CAIRN_PID=""
cleanup() {
    stop_pid "$CAIRN_PID"
    if [ "${KEEP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -o "$TMP/ingest_load" "$ROOT/bench/tools/ingest_load.c" -lz || die "cannot build ingest_load"
gcc -O2 -Wall -o "$TMP/chart_load" "$ROOT/bench/tools/chart_load.c" || die "cannot build chart_load"

# Disk: HOSTS x the first host's files (~7-8 MB; an upper bound as in ingest.sh).
PER_HOST=$(( (16 + 4 + 5 + 6) * 32832 * 8 + 4 * 4096 ))
AVAIL=$(df -PB1 "$TMP" | awk 'NR == 2 {print $4}')
[ $((PER_HOST * HOSTS)) -lt $((AVAIL / 2)) ] ||
    die "$HOSTS hosts need ~$((PER_HOST * HOSTS >> 30)) GiB of RRD files; only $((AVAIL >> 30)) GiB free (lower HOSTS)"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
ENROLL="bench-enroll-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_PW="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CAIRN_ENROLL_TOKEN="$ENROLL" CAIRN_ADMIN_PASSWORD="$ADMIN_PW" "$CAIRND" --listen "127.0.0.1:$PORT" \
    --data "$TMP/data" >"$TMP/cairnd.log" 2>&1 &
CAIRN_PID=$!
for i in $(seq 150); do
    curl -fsS -o /dev/null "$BASE/api/v1/health" 2>/dev/null && break
    kill -0 "$CAIRN_PID" 2>/dev/null || { tail -20 "$TMP/cairnd.log" >&2; die "cairnd exited at start"; }
    sleep 0.1
done
"$PY" "$ROOT/bench/tools/cairn_setup.py" token "$BASE" "$ADMIN_PW" "$TMP/token" || die "could not mint an API token"
TOKEN=$(cat "$TMP/token")
ENROLL_OUT=$("$TMP/ingest_load" enroll "$BASE" "$ENROLL" "$HOSTS" 8 "$TMP/tokens") || die "enrollment failed: $ENROLL_OUT"
say "cairnd pid $CAIRN_PID on $BASE; $ENROLL_OUT"

# ---- a year of history for the first host, through the API -----------------
NOW=$(date +%s)
NOW=$((NOW - NOW % 60))
T0=$((NOW - 365 * 86400))
R1=$(( (363 * 86400) / 180 ))          # every 180 s up to 2 days ago
T2=$((T0 + R1 * 180))                  # = NOW - 2 days
R2=2880                                # then every 60 s up to now
say "history: $R1 reports at 180 s + $R2 at 60 s for host 1, in batches of 500"
H1=$("$TMP/ingest_load" report "$BASE" /api/v1/agent/report "$TMP/tokens" 1 1 "rounds=$R1" t0="$T0" step=180 \
    batch=500 base=0) || die "history (180 s) failed: $H1"
H2=$("$TMP/ingest_load" report "$BASE" /api/v1/agent/report "$TMP/tokens" 1 1 "rounds=$R2" \
    t0=$((T2 - R1 * 60)) step=60 batch=500 base="$R1") || die "history (60 s) failed: $H2"
for h in "$H1" "$H2"; do
    echo "$h" | grep -q ' non2xx=0 errors=0 ' || die "history: some batches failed: $h"
done
HIST_ACC=$(( $(echo "$H1" | sed 's/.* accepted=\([0-9]*\) .*/\1/') + $(echo "$H2" | sed 's/.* accepted=\([0-9]*\) .*/\1/') ))
HIST_SECS=$(awk -v a="$(echo "$H1" | sed 's/.* secs=\([0-9.]*\) .*/\1/')" -v b="$(echo "$H2" | sed 's/.* secs=\([0-9.]*\) .*/\1/')" 'BEGIN {printf "%.1f", a + b}')
[ "$HIST_ACC" -eq $((R1 + R2)) ] || die "history: cairnd accepted $HIST_ACC of $((R1 + R2)) reports"
FIRST=$(awk 'NR == 1 {print $1}' "$TMP/tokens")
SRC="$TMP/data/rrd/$FIRST"
[ -f "$SRC/host.rrd" ] || die "no $SRC/host.rrd after the history"
say "history: $HIST_ACC reports accepted in $HIST_SECS s; copying host $FIRST's files to the other $((HOSTS - 1)) hosts"
awk 'NR > 1 {print $1}' "$TMP/tokens" | while read -r id; do
    mkdir -p "$TMP/data/rrd/$id"
    cp "$SRC"/*.rrd "$TMP/data/rrd/$id/"
done
sync
RRD_MB=$(du -sm "$TMP/data/rrd" | cut -f1)
NFILES=$(find "$TMP/data/rrd" -name '*.rrd' | wc -l)

# ---- queries ------------------------------------------------------------------
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
HZ=$(getconf CLK_TCK)
: >"$TMP/rows"
for spec in "24h 86400 5" "30d 2592000 10" "1y 31536000 20"; do
    set -- $spec
    name=$1 range=$2 target=$3
    awk -v f=$((NOW - range)) -v t="$NOW" '{print "/api/v1/metrics/" $1 "?series=host&from=" f "&to=" t}' \
        "$TMP/tokens" >"$TMP/paths-$name"
    # one answer checked: rows, step, share of known values
    curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$(sed -n 2p "$TMP/paths-$name")" -o "$TMP/answer-$name.json" ||
        die "$name: GET failed"
    CHECK=$("$PY" - "$TMP/answer-$name.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["series"][0]
rows = s["rows"]
vals = [v for r in rows for v in r[1:]]
known = sum(v is not None for v in vals)
print(f"step={s['step']} rows={len(rows)} ds={len(s['ds'])} known={known / max(len(vals), 1) * 100:.0f}%")
EOF
) || die "$name: unexpected answer"
    "$TMP/chart_load" "$BASE" "$TOKEN" "$TMP/paths-$name" "$WARM" 1 >/dev/null || die "$name: warm-up failed"
    L0=$(wc -l <"$TMP/cairnd.log")
    C0=$(awk '{print $14 + $15}' "/proc/$CAIRN_PID/stat"); B0=$(busy)
    OUT=$("$TMP/chart_load" "$BASE" "$TOKEN" "$TMP/paths-$name" "$REPS" 1) || die "$name: $OUT"
    C1=$(awk '{print $14 + $15}' "/proc/$CAIRN_PID/stat"); B1=$(busy)
    sleep 0.2
    tail -n +$((L0 + 1)) "$TMP/cairnd.log" | grep 'msg=request method=GET path=/api/v1/metrics/' |
        sed -n 's/.* dur_ms=\([0-9.]*\).*/\1/p' >"$TMP/dur-$name" || true
    echo "$name $range $target $OUT $CHECK srv_n=$(wc -l <"$TMP/dur-$name") cpu_ticks=$((C1 - C0)) busy_ticks=$((B1 - B0))" >>"$TMP/rows"
    say "$name: $OUT; $CHECK"
done

"$PY" - "$TMP/rows" "$TMP" "$HZ" "$REPS" >"$TMP/table.txt" <<'EOF'
import re, sys
rows = [l.split() for l in open(sys.argv[1])]
hz, reps = int(sys.argv[3]), int(sys.argv[4])
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * (len(v) - 1) + 0.5))] if v else float("nan")
print(f"{'range':<6} {'step':>6} {'rows':>6} {'known':>6} {'body KB':>8} {'client p50':>10} {'p90':>7} {'p99':>7} "
      f"{'max':>7} {'cairnd dur_ms p50':>17} {'p99':>7} {'CPU ms/query':>12} {'other load':>10} {'target p99':>10} {'verdict':>8}")
fails = []
for r in rows:
    name, rng, target = r[0], int(r[1]), float(r[2])
    kv = dict(re.findall(r"(\w+)=([0-9.]+%?)", " ".join(r[3:])))
    dur = [float(x) for x in open(f"{sys.argv[2]}/dur-{name}") if x.strip()]
    p99 = float(kv["p99_ms"])
    sp99 = pct(dur, 99)
    cpu_s = float(kv["cpu_ticks"]) / hz
    cpu_ms = cpu_s / reps * 1000
    secs = reps / float(kv["rps"])
    # cores used by everything but cairnd (chart_load itself is a small part)
    other = max(float(kv["busy_ticks"]) / hz - cpu_s, 0) / secs
    ok = p99 < target and sp99 < target
    if not ok:
        fails.append(name)
    print(f"{name:<6} {kv['step']:>6} {kv['rows']:>6} {kv['known']:>6} {float(kv['bytes']) / 1024:>8.0f} "
          f"{float(kv['p50_ms']):>10.2f} {float(kv['p90_ms']):>7.2f} {p99:>7.2f} {float(kv['max_ms']):>7.2f} "
          f"{pct(dur, 50):>17.2f} {sp99:>7.2f} {cpu_ms:>12.2f} {other:>7.2f} cpu {'< ' + format(target, 'g') + ' ms':>10} "
          f"{'PASS' if ok else 'FAIL':>8}")
print()
print("CPU ms/query = cairnd's CPU over the timed queries / queries: what a query costs whatever else runs on the box.")
print("targets: p99 of the client's time AND of cairnd's dur_ms under the limit" +
      (f"; missed: {', '.join(fails)}" if fails else "; all met"))
EOF
{
    echo "Cairn chart benchmark: GET /api/v1/metrics/{id}?series=host over a year of RRD data ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet -- src 2>/dev/null || echo ' + uncommitted src changes'); $(nproc) CPUs; $(uname -sr); load: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "data: $HOSTS enrolled hosts, each with a year of history: host 1's written through POST /api/v1/agent/report"
    echo "      ($HIST_ACC reports in batches of 500 in $HIST_SECS s: every 180 s for 363 days, every 60 s for the last 2), its RRD"
    echo "      files copied to the other hosts' directories; $NFILES RRD files, $RRD_MB MB (in the page cache)"
    echo "queries: $REPS timed (after $WARM untimed) per range, one at a time on one keep-alive connection, each for the next"
    echo "      host in turn, API token of the admin; client = request sent -> last byte received (bench/tools/chart_load);"
    echo "      cairnd dur_ms = its own request log line"
    echo "cairnd: $("$CAIRND" --version) defaults (log-level info); step is chosen by the range (tsdb_rrd.c step_for)"
    echo
    cat "$TMP/table.txt"
    echo
    echo "command: bash bench/chart.sh   (HOSTS=$HOSTS REPS=$REPS WARM=$WARM)"
} >"$RESULTS"
echo
cat "$RESULTS"
