#!/bin/bash
# ingest.sh -- agent report ingestion: cairnd (SQLite + one RRD file per
# series) against a minimal Django view, same run, same reports, same host
# tokens.
#
#   bash bench/ingest.sh              (or: make bench)
#
# What it does, all on 127.0.0.1 and in a temp dir removed at the end:
#  1. installs python3-django, gunicorn (Debian) when missing; builds cairnd
#     (make build/cairnd) and bench/tools/ingest_load.c with gcc (-lz);
#  2. starts cairnd on SQLite with CAIRN_ENROLL_TOKEN set and enrolls HOSTS
#     (10,000) agents through POST /api/v1/agent/enroll (bench/tools/
#     ingest_load enroll: 8 connections); each gets its own host token;
#  3. ACTIVE of them report (all HOSTS unless their RRD files would not fit:
#     cairnd creates 4 RRD files per host, ~8 MB, see tsdb.h, so ACTIVE is
#     capped to what fits in 30% of the free disk and to MAX_ACTIVE [2000]).
#     Every report is what cairn-agent sends for a small VM (gzip JSON; see
#     bench/tools/ingest_load.c: cpu, load, memory, swap, 1 filesystem,
#     1 disk, 1 NIC, tcp, processes, uptime = 31 numbers cairnd writes to
#     RRD), one report per request, Authorization: Bearer <host token>;
#  4. first reports: one per active host, with facts (what an agent sends
#     when it starts: cairnd merges the facts and queues the samples; a
#     background thread creates the host's RRD files) -- measured as its own
#     row; then waits until all 4 x ACTIVE files exist (and says how long
#     that took) and `sync`s;
#  5. steady state: metrics reports round robin over the active hosts on
#     CONNS keep-alive connections (times step 60 s per host, seq +1),
#     WARMUP s not counted, then DURATION s measured: accepted reports/s
#     (from cairnd's answers), samples/s (31 per report), p50/p90/p99 from
#     the client, cairnd's CPU (/proc/PID/stat) and RSS/VmHWM; then the
#     same on a restarted cairnd with --threads 1 (same data: shows how much
#     the two HTTP threads gain or lose against each other);
#  6. the Django peer: Django 3.2 + gunicorn -w 2 sync (Debian), no
#     middleware, a view that inflates and parses the JSON, looks the host
#     token's SHA-256 up in a table (the same hashes cairnd stores), and
#     inserts one row per report into SQLite (WAL, synchronous=NORMAL, like
#     cairnd) in one transaction; same load generator, same reports;
#  7. prints the table, cairn/django ratios and the target (>= 5,000
#     reports/s) and writes it to bench/results/ingest-latest.txt; when the
#     target is missed and perf is there (PROFILE=auto), records 6 s of the
#     steady state with perf (dwarf call graphs) and writes the hottest
#     functions to bench/results/ingest-perf-latest.txt (the analysis and
#     recommendations are in bench/results/ingest-profile.txt).
#
# Knobs: HOSTS [10000], MAX_ACTIVE [2000], ACTIVE (overrides the cap),
# CONNS [16], DURATION [20], WARMUP [5], GZIP [1] (zlib level of the load
# generator; 0 = identity), THREADS1 [1] (the --threads 1 row), RRDCACHED [0]
# (1: one more steady-state row with cairnd --rrdcached and an rrdcached
# -w 300 -z 60 on a unix socket in the temp dir; its CPU counts as server
# CPU; needs /usr/bin/rrdcached, Debian package rrdcached), PROFILE
# [auto|1|0], KEEP=1, CAIRND=path, RESULTS=path. Exit status is non-zero
# only when the benchmark could not run.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOSTS=${HOSTS:-10000}
MAX_ACTIVE=${MAX_ACTIVE:-2000}
CONNS=${CONNS:-16}
DURATION=${DURATION:-20}
WARMUP=${WARMUP:-5}
GZIP=${GZIP:-1}
THREADS1=${THREADS1:-1}
RRDCACHED=${RRDCACHED:-0}
PROFILE=${PROFILE:-auto}
PY=/usr/bin/python3
RESULTS=${RESULTS:-"$ROOT/bench/results/ingest-latest.txt"}
PERF_OUT="$(dirname "$RESULTS")/ingest-perf-latest.txt"
HZ=$(getconf CLK_TCK)
SAMPLES=31

BENCH_NAME=ingest-bench
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"

# ---- 1. tools --------------------------------------------------------------
need=""
[ -x /usr/bin/gunicorn ] || need="$need gunicorn"
[ -x "$PY" ] && "$PY" -c 'import django' 2>/dev/null || need="$need python3-django"
command -v curl >/dev/null || need="$need curl"
command -v gcc >/dev/null || need="$need gcc libc6-dev"
[ -f /usr/include/zlib.h ] || need="$need zlib1g-dev"
# shellcheck disable=SC2086
bench_install $need
bench_cairnd

# ---- 2. temp dir, cleanup ----------------------------------------------------
TMP=$(mktemp -d /tmp/cairn-ingest-bench.XXXXXX)
CAIRN_PID=""
DJ_PID=""
cleanup() {
    stop_pid "$DJ_PID"
    stop_pid "$CAIRN_PID"
    stop_pid "${RRDC_PID:-}"
    if [ "${KEEP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gcc -O2 -Wall -o "$TMP/ingest_load" "$ROOT/bench/tools/ingest_load.c" -lz || die "cannot build bench/tools/ingest_load.c"
LOAD="$TMP/ingest_load"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DJ_PORT=$(free_port)
while [ "$DJ_PORT" = "$PORT" ]; do DJ_PORT=$(free_port); done
BASE="http://127.0.0.1:$PORT"
DJ="http://127.0.0.1:$DJ_PORT"
ENROLL="bench-enroll-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ADMIN_PW="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

wait_http() { # url pid name
    local i
    for i in $(seq 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited at start; see its log"
        sleep 0.1
    done
    die "$3 did not answer on $1 within 15 s"
}
start_cairnd() { # extra args...
    CAIRN_ENROLL_TOKEN="$ENROLL" CAIRN_ADMIN_PASSWORD="$ADMIN_PW" "$CAIRND" --listen "127.0.0.1:$PORT" \
        --data "$TMP/data" "$@" >>"$TMP/cairnd.log" 2>&1 &
    CAIRN_PID=$!
    wait_http "$BASE/api/v1/health" "$CAIRN_PID" cairnd || { tail -20 "$TMP/cairnd.log" >&2; exit 1; }
}
ticks() { local t=0 p; for p in "$@"; do [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/rows"
# run NAME URL PATH HOSTS CONNS MODE SERVER_PIDS [options] -> one row
run() {
    local name=$1 url=$2 path=$3 n=$4 conns=$5 mode=$6 pids=$7 s0 b0 out s1 b1
    shift 7
    # shellcheck disable=SC2086
    s0=$(ticks $pids); b0=$(busy)
    out=$(timeout 900 "$LOAD" report "$url" "$path" "$TMP/tokens" "$n" "$conns" "$mode" gzip="$GZIP" "$@") ||
        die "$name: load generator failed: $out"
    # shellcheck disable=SC2086
    s1=$(ticks $pids); b1=$(busy)
    echo "$name $out srv_ticks=$((s1 - s0)) busy_ticks=$((b1 - b0))" >>"$TMP/rows"
    say "$name: $(echo "$out" | grep -o 'rps=[0-9.]*') reports/s, $(echo "$out" | grep -o 'p99_ms=[0-9.]*'), $(echo "$out" | grep -o 'non2xx=[0-9]*')"
    NEXT_BASE=$(field "$out" next_base)
}

# ---- 3. cairnd, enrollment --------------------------------------------------------
start_cairnd
say "cairnd pid $CAIRN_PID on $BASE; enrolling $HOSTS agents"
ENROLL_OUT=$("$LOAD" enroll "$BASE" "$ENROLL" "$HOSTS" 8 "$TMP/tokens") || die "enrollment failed: $ENROLL_OUT"
say "enrolled: $ENROLL_OUT"

# Disk: 4 RRD files per reporting host. Bytes per file <= data sources x rows
# (2880 + 2880 + 4032 + 4032 + 9504 + 9504: tsdb_rrd.c's archives as of
# 2026-11; 8f5ee86 dropped the 1-minute MAX one, so this is an upper bound) x 8.
PER_HOST=$(( (16 + 4 + 5 + 6) * 32832 * 8 + 4 * 4096 ))
AVAIL=$(df -PB1 "$TMP" | awk 'NR == 2 {print $4}')
FIT=$(( AVAIL * 3 / 10 / PER_HOST ))
if [ -n "${ACTIVE:-}" ]; then
    ACTIVE_WHY="ACTIVE=$ACTIVE set"
else
    ACTIVE=$HOSTS
    ACTIVE_WHY="all enrolled hosts"
    [ "$ACTIVE" -le "$MAX_ACTIVE" ] || { ACTIVE=$MAX_ACTIVE; ACTIVE_WHY="MAX_ACTIVE=$MAX_ACTIVE (time: each first report creates ~$((PER_HOST >> 20)) MB of RRD files)"; }
    [ "$ACTIVE" -le "$FIT" ] || { ACTIVE=$FIT; ACTIVE_WHY="what fits in 30% of the free disk"; }
fi
[ "$ACTIVE" -gt "$CONNS" ] || die "only $ACTIVE hosts would fit on the disk ($((AVAIL >> 30)) GiB free); need more than CONNS=$CONNS"
say "$ACTIVE of $HOSTS hosts report ($ACTIVE_WHY); RRD files: ~$((PER_HOST * ACTIVE >> 20)) MB"

# ---- 4. first reports (facts + RRD creation) ---------------------------------------
run cairn_first "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" rounds=1 "$CAIRN_PID" facts=1 base=0
LOCKED_FIRST=$(grep -c 'database is locked' "$TMP/cairnd.log" || true)
# cairnd creates a new series' RRD file on a background thread (tsdb_queue.c;
# the first samples wait in its journal and queue): wait until the 4 files
# of every active host exist, so the steady state does not also pay for
# creating them, and report how long that took.
rrd_files() { find "$TMP/data/rrd" -path "$TMP/data/rrd/archive" -prune -o -name '*.rrd' -print | wc -l; }
CREATE_T0=$(date +%s.%N)
for _ in $(seq 1800); do
    [ "$(rrd_files)" -ge $((ACTIVE * 4)) ] && break
    sleep 0.5
done
CREATE_SECS=$(awk -v a="$CREATE_T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
CREATED=$(rrd_files)
say "background RRD creation: $CREATED files, $CREATE_SECS s after the last first report was answered"
say "sync (write the new RRD files out before measuring)"
sync
RRD_BYTES=$(du -sb "$TMP/data/rrd" | cut -f1)

# ---- 5. steady state ----------------------------------------------------------------
run cairn_warmup "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" "time=0+$WARMUP" "$CAIRN_PID" base="$NEXT_BASE"
run cairn "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" "time=0+$DURATION" "$CAIRN_PID" base="$NEXT_BASE"
CAIRN_RSS=$(kb "$CAIRN_PID" VmRSS)
CAIRN_HWM=$(kb "$CAIRN_PID" VmHWM)
CAIRN_THREADS_N=$(ls "/proc/$CAIRN_PID/task" | wc -l)
STEADY_RPS=$(awk '$1 == "cairn" {for (i = 2; i <= NF; i++) if ($i ~ /^rps=/) {sub("rps=", "", $i); print $i}}' "$TMP/rows")

PERF_DONE=""
if { [ "$PROFILE" = 1 ] || { [ "$PROFILE" = auto ] && awk -v r="$STEADY_RPS" 'BEGIN {exit !(r < 5000)}'; }; } &&
    command -v perf >/dev/null; then
    say "below 5,000 reports/s: 6 s of the steady state under perf record (dwarf call graphs)"
    PERF_DONE=pending
fi
if [ -n "$PERF_DONE" ]; then
    "$LOAD" report "$BASE" /api/v1/agent/report "$TMP/tokens" "$ACTIVE" "$CONNS" time=0+9 gzip="$GZIP" \
        base="$NEXT_BASE" >"$TMP/perf-load.txt" 2>&1 &
    LP=$!
    sleep 2
    perf record --call-graph dwarf,16384 -F 250 -p "$CAIRN_PID" -o "$TMP/perf.data" -- sleep 6 >/dev/null 2>&1 || true
    wait "$LP" || true
    NEXT_BASE=$(field "$(grep RESULT "$TMP/perf-load.txt")" next_base)
    {
        echo "cairnd under perf record --call-graph dwarf -F 250 for 6 s of the steady state ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
        echo "load: $(grep RESULT "$TMP/perf-load.txt")"
        echo "share of cairnd's samples spent in each function and what it calls (user-space symbols; kernel time"
        echo "shows under the user function that made the system call):"
        echo
        perf report -i "$TMP/perf.data" --children --sort symbol --stdio -g none >"$TMP/perf-children.txt" 2>/dev/null || true
        perf report -i "$TMP/perf.data" --no-children --sort symbol --stdio -g none >"$TMP/perf-self.txt" 2>/dev/null || true
        grep -E '^ +[0-9]' "$TMP/perf-children.txt" | grep -v '\[k\]' | grep -v ' 0x0000' | sed -n 1,45p || true
        echo
        echo "kernel functions, self time:"
        grep -E '^ +[0-9]' "$TMP/perf-self.txt" | grep '\[k\]' | sed -n 1,15p || true
    } >"$PERF_OUT"
    PERF_DONE="perf summary: $PERF_OUT"
    say "$PERF_DONE"
fi

if [ "$RRDCACHED" = 1 ]; then
    [ -x /usr/bin/rrdcached ] || die "RRDCACHED=1 needs /usr/bin/rrdcached (apt-get install rrdcached)"
    stop_pid "$CAIRN_PID"
    mkdir -p "$TMP/rrdc-journal"
    /usr/bin/rrdcached -g -l "unix:$TMP/rrdc.sock" -b "$TMP/data/rrd" -B -w 300 -z 60 -j "$TMP/rrdc-journal" \
        >"$TMP/rrdcached.log" 2>&1 &
    RRDC_PID=$!
    for _ in $(seq 100); do [ -S "$TMP/rrdc.sock" ] && break; sleep 0.1; done
    [ -S "$TMP/rrdc.sock" ] || die "rrdcached did not start: $(tail -5 "$TMP/rrdcached.log")"
    start_cairnd --rrdcached "unix:$TMP/rrdc.sock"
    run cairn_rrdc_warmup "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" "time=0+$WARMUP" "$CAIRN_PID $RRDC_PID" base="$NEXT_BASE"
    run cairn_rrdc "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" "time=0+$DURATION" "$CAIRN_PID $RRDC_PID" base="$NEXT_BASE"
    stop_pid "$CAIRN_PID"
    stop_pid "$RRDC_PID"
    RRDC_PID=""
    start_cairnd
fi
if [ "$THREADS1" = 1 ]; then
    stop_pid "$CAIRN_PID"
    start_cairnd --threads 1
    run cairn_t1_warmup "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" "time=0+$WARMUP" "$CAIRN_PID" base="$NEXT_BASE"
    run cairn_t1 "$BASE" /api/v1/agent/report "$ACTIVE" "$CONNS" "time=0+$DURATION" "$CAIRN_PID" base="$NEXT_BASE"
fi
stop_pid "$CAIRN_PID"
CAIRN_PID=""

# ---- 6. the Django peer ---------------------------------------------------------------
DJDIR="$TMP/django"
mkdir -p "$DJDIR/benchdj"
: >"$DJDIR/benchdj/__init__.py"
cat >"$DJDIR/benchdj/settings.py" <<'EOF'
import os
SECRET_KEY = "bench-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["benchdj"]
MIDDLEWARE = []
ROOT_URLCONF = "benchdj.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB"],
                         "OPTIONS": {"timeout": 5}}}
USE_TZ = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
EOF
cat >"$DJDIR/benchdj/models.py" <<'EOF'
from django.db import models
from django.db.backends.signals import connection_created
from django.dispatch import receiver


class AgentToken(models.Model):
    token_hash = models.TextField(unique=True)
    host_id = models.BigIntegerField()

    class Meta:
        app_label = "benchdj"
        db_table = "agent_tokens"


class Report(models.Model):
    host_id = models.BigIntegerField()
    time = models.BigIntegerField()
    seq = models.BigIntegerField()
    received_at = models.BigIntegerField()
    body = models.TextField()

    class Meta:
        app_label = "benchdj"
        db_table = "reports"


@receiver(connection_created)
def sqlite_like_cairnd(sender, connection, **kwargs):
    # cairnd's SQLite settings: WAL, synchronous=NORMAL.
    with connection.cursor() as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
EOF
cat >"$DJDIR/benchdj/views.py" <<'EOF'
import gzip
import hashlib
import json
import time

from django.db import transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import AgentToken, Report


def error(status, msg):
    return JsonResponse({"error": {"message": msg}}, status=status)


@csrf_exempt
def report(request):
    """POST /report: one report or {"reports": [...]}, gzip or not, Bearer host token."""
    if request.method != "POST":
        return error(405, "POST only")
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if not auth.startswith("Bearer "):
        return error(401, "no token")
    digest = hashlib.sha256(auth[7:].encode()).hexdigest()
    host = AgentToken.objects.filter(token_hash=digest).values_list("host_id", flat=True).first()
    if host is None:
        return error(401, "unknown token")
    raw = request.body
    if request.META.get("HTTP_CONTENT_ENCODING") == "gzip":
        raw = gzip.decompress(raw)
    try:
        doc = json.loads(raw)
    except ValueError:
        return error(400, "malformed JSON")
    reports = doc["reports"] if isinstance(doc, dict) and "reports" in doc else [doc]
    now = int(time.time())
    rows = []
    for r in reports:
        if not isinstance(r, dict) or r.get("v") != 1 or not isinstance(r.get("time"), int):
            return error(400, "bad report")
        rows.append(Report(host_id=host, time=r["time"], seq=r.get("seq", 0), received_at=now,
                           body=json.dumps(r.get("metrics", {}))))
    with transaction.atomic():
        for row in rows:
            row.save()
    return JsonResponse({"accepted": len(rows), "skipped": 0, "interval": 60})
EOF
cat >"$DJDIR/benchdj/urls.py" <<'EOF'
from django.urls import path

from . import views

urlpatterns = [path("report", views.report)]
EOF
cat >"$DJDIR/benchdj/wsgi.py" <<'EOF'
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchdj.settings")
application = get_wsgi_application()
EOF
# Its database: the same token hashes cairnd stored (valid ones only).
"$PY" - "$TMP/data/cairn.db" "$DJDIR/ingest.db" <<'EOF'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
dst.executescript("""
CREATE TABLE agent_tokens (id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, host_id INTEGER NOT NULL);
CREATE TABLE reports (id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL, time INTEGER NOT NULL,
                      seq INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL);
CREATE INDEX reports_host_time ON reports (host_id, time);
""")
rows = src.execute("SELECT token_hash, host_id FROM agent_tokens WHERE revoked_at IS NULL").fetchall()
dst.executemany("INSERT INTO agent_tokens (token_hash, host_id) VALUES (?, ?)", rows)
dst.commit()
print(len(rows), file=sys.stderr)
EOF
BENCH_DB="$DJDIR/ingest.db" /usr/bin/gunicorn --chdir "$DJDIR" -w 2 -k sync -b "127.0.0.1:$DJ_PORT" \
    --log-level warning benchdj.wsgi >"$TMP/gunicorn.log" 2>&1 &
DJ_PID=$!
for i in $(seq 150); do
    curl -s -o /dev/null "$DJ/report" && break
    kill -0 "$DJ_PID" 2>/dev/null || { tail -20 "$TMP/gunicorn.log" >&2; die "gunicorn exited at start"; }
    sleep 0.1
done
dj_pids() { echo "$DJ_PID" $(ps -o pid= --ppid "$DJ_PID" 2>/dev/null); }
say "gunicorn pid $DJ_PID on $DJ"
run django_warmup "$DJ" /report "$ACTIVE" "$CONNS" "time=0+$WARMUP" "$(dj_pids)" base=0
run django "$DJ" /report "$ACTIVE" "$CONNS" "time=0+$DURATION" "$(dj_pids)" base="$NEXT_BASE"
DJ_RSS=$(for p in $(dj_pids); do awk '/^VmRSS/{print $2}' "/proc/$p/status"; done | awk '{s += $1} END {print s}')
DJ_ROWS=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM reports").fetchone()[0])' "$DJDIR/ingest.db")

# ---- 7. table ----------------------------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
TABLE_RC=0
"$PY" - "$TMP/rows" "$HZ" "$SAMPLES" >"$TMP/table.txt" <<'EOF' || TABLE_RC=$?
import re, sys
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" ", 1)
    rows[name] = {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", rest)}
hz, S = int(sys.argv[2]), int(sys.argv[3])
label = {
    "cairn_first": "cairnd: first report per host (facts, creates RRD)",
    "cairn": "cairnd: steady state (metrics -> 4 RRD files + SQLite)",
    "cairn_t1": "cairnd --threads 1: steady state (same data)",
    "cairn_rrdc": "cairnd --rrdcached: steady state (cairnd + rrdcached CPU)",
    "django": "Django view + gunicorn -w 2 (1 SQLite row/report)",
}
print(f"{'case':<56} {'reports/s':>9} {'samples/s':>10} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>8} "
      f"{'srv CPU us/rep':>14} {'srv cores':>9} {'client cores':>12} {'other load':>10} {'errors':>6}")
bad = []
for k in ("cairn_first", "cairn", "cairn_rrdc", "cairn_t1", "django"):
    if k not in rows:
        continue
    r = rows[k]
    secs = r["secs"]
    acc = max(r["accepted"], 1)
    srv = r["srv_ticks"] / hz
    other = max(r["busy_ticks"] / hz - srv - r["cpu_s"], 0) / secs
    err = int(r["non2xx"] + r["errors"] + r["timeouts"])
    r["cpu_us"] = srv / acc * 1e6
    print(f"{label[k]:<56} {r['rps']:>9.0f} {r['sps']:>10.0f} {r['p50_ms']:>7.2f} {r['p90_ms']:>7.2f} {r['p99_ms']:>8.2f} "
          f"{r['cpu_us']:>14.0f} {srv / secs:>9.2f} {r['cpu_s'] / secs:>12.2f} {other:>7.2f} cpu {err:>6}")
    if err and k != "cairn_first":
        bad.append(f"{k}: {err} failed requests")
    if r["accepted"] == 0:
        bad.append(f"{k}: nothing accepted")
print()
c, d = rows["cairn"], rows["django"]
print(f"cairn/django: {c['rps'] / d['rps']:.1f}x reports/s, {d['cpu_us'] / c['cpu_us']:.1f}x less server CPU per report "
      f"(django stores 1 row of JSON text per report; cairnd 31 RRD values in 4 files + the host row)")
best = max(c["rps"], rows.get("cairn_t1", c)["rps"])
print(f"target >= 5,000 accepted reports/s with SQLite and RRD: cairnd {c['rps']:.0f}/s "
      f"({'PASS' if c['rps'] >= 5000 else 'FAIL'}); best of both cairnd runs {best:.0f}/s")
print(f"CPU-bound ceiling on 2 otherwise idle cores: cairnd {2e6 / c['cpu_us']:,.0f} reports/s at {c['cpu_us']:.0f} us/report "
      f"(if both HTTP threads were busy all the time; 'srv cores' above is what it got), django {2e6 / d['cpu_us']:,.0f}/s")
f = rows["cairn_first"]
print(f"first reports: {f['rps']:.0f}/s, p99 {f['p99_ms']:.0f} ms, {int(f['non2xx'])} answered non-2xx")
for b in bad:
    print("ERROR", b)
sys.exit(1 if bad else 0)
EOF
{
    echo "Cairn ingest benchmark: agent reports, cairnd vs a Django view ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet -- src 2>/dev/null || echo ' + uncommitted src changes'); $(nproc) CPUs; $(uname -sr); load before runs: $LOAD_BEFORE"
    echo "enrollment: $HOSTS agents through POST /api/v1/agent/enroll: $(echo "$ENROLL_OUT" | sed 's/^RESULT //')"
    echo "reporting: $ACTIVE hosts ($ACTIVE_WHY; $((AVAIL >> 30)) GiB free at start); RRD on disk after the first reports: $((RRD_BYTES >> 20)) MB = $((RRD_BYTES / ACTIVE >> 10)) KiB per host"
    echo "reports: cairn-agent's JSON for a small VM, $(awk '$1 == "cairn" {for (i = 2; i <= NF; i++) if ($i ~ /^bytes_(json|wire)=/) printf "%s ", $i}' "$TMP/rows")(gzip level $GZIP), $SAMPLES numeric values written per report; one report per request"
    echo "load: bench/tools/ingest_load, $CONNS keep-alive connections (gunicorn closes after each answer: it reconnects), warm-up ${WARMUP}s, measured ${DURATION}s"
    echo "cairnd: $("$CAIRND" --version) defaults (threads = CPUs = $(nproc), db-pool 8, log-level info); RSS after the steady run ${CAIRN_RSS} kB, peak ${CAIRN_HWM} kB, $CAIRN_THREADS_N threads"
    echo "django: $("$PY" -c 'import django; print(django.get_version())'), gunicorn $(/usr/bin/gunicorn --version 2>&1 | grep -o '[0-9][0-9.]*' | sed -n 1p) -w 2 sync, no middleware, ORM token lookup + insert, SQLite WAL synchronous=NORMAL; RSS master + workers ${DJ_RSS} kB; $DJ_ROWS rows stored"
    echo
    cat "$TMP/table.txt"
    echo "first reports' RRD files (created by cairnd in the background): $CREATED of $((ACTIVE * 4)) present $CREATE_SECS s after the last first report was answered"
    [ "$LOCKED_FIRST" = 0 ] || echo "cairnd logged 'database is locked' $LOCKED_FIRST times during the first reports (500 to the agent, which retries)"
    [ -z "$PERF_DONE" ] || echo "$PERF_DONE; analysis and recommendations: bench/results/ingest-profile.txt"
    echo
    echo "reports/s = reports cairnd (or the view) answered as accepted, per second of the measured window; samples/s = x $SAMPLES."
    echo "srv CPU us/rep = server CPU (cairnd, or gunicorn master + workers) / accepted reports; client cores = the load generator."
    echo "other load = cores used by other processes meanwhile (a shared machine shows here)."
    echo "commands: ingest_load enroll $BASE TOKEN $HOSTS 8 tokens;"
    echo "          ingest_load report URL PATH tokens $ACTIVE $CONNS rounds=1 facts=1;  ... time=0+$WARMUP; ... time=0+$DURATION (URL = cairnd /api/v1/agent/report, django /report)"
    echo "command: bash bench/ingest.sh   (HOSTS=$HOSTS MAX_ACTIVE=$MAX_ACTIVE ACTIVE=$ACTIVE CONNS=$CONNS DURATION=$DURATION WARMUP=$WARMUP GZIP=$GZIP THREADS1=$THREADS1 RRDCACHED=$RRDCACHED)"
} >"$RESULTS"
echo
cat "$RESULTS"
[ "$TABLE_RC" = 0 ] || die "some runs had errors (see above)"
