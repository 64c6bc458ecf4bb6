#!/bin/bash
# api.sh -- CMDB host list: cairnd against a minimal Django view, same run,
# same SQLite file, same rows, same page size, JSON out.
#
#   bash bench/api.sh              (or: make bench)
#
# What it does, all on 127.0.0.1 and in a temp dir removed at the end:
#  1. installs wrk, python3-django, gunicorn (Debian) when missing; builds
#     cairnd and the console (make build/cairnd web);
#  2. starts cairnd on SQLite (--data TMP/data), loads HOSTS hosts through
#     cairnd's own API (bench/lib/api_seed.py: IDCs, cabinets, groups, owners,
#     credentials by POST, hosts by one CSV import, Chinese memos included),
#     and mints an API token for a non-superuser holding assets:view; wrk sends
#     it as "Authorization: Bearer …", so every request does the real token
#     lookup + user/role load + permission check;
#  3. generates a minimal Django 3.2 project (no middleware, an unmanaged model
#     over the SAME cairn.db `hosts` table, one view answering
#     {"items": [50 rows as dicts], "total": N}, ordered by hostname, with
#     ?q= as hostname|ip|memo icontains) and serves it with gunicorn -w 2
#     (sync workers), as DESIGN.md §7 calibrates;
#  4. checks both answer the same total and the same first page, then runs
#     wrk -t2 -c64 (WARMUP s warm-up, then DURATION s measured) on:
#     the ceiling (GET /api/v1/health: public, no auth, one `SELECT 1` on the
#     pool -- the nearest thing to a hello-world handler cairnd has), cairn
#     plain page, django plain page, cairn search, django search;
#     then (VARIED=1, the default) both lists again with each request asking
#     for the next of pages 1..200, so neither side serves one hot page;
#     then the same three cairn cases again against a second cairnd started
#     with --list-cache 0 on the same data (the list answer cache off), so the
#     table shows both what a client gets by default (answers reused while no
#     write happened) and what computing every answer afresh costs;
#  5. prints req/s, p50, p90, p99, server CPU per request, the background load
#     of other processes during each run, the cairn/django ratios against the
#     targets (>= 20x plain, >= 40x search, p99 < 5 ms), cairnd's RSS, and
#     writes the same table to bench/results/api-latest.txt.
#
# Environment knobs (defaults in brackets): HOSTS [10000], DURATION [10],
# WARMUP [3], CONNS [64], THREADS [2], PAGE [1], Q [web], VARIED [1], KEEP=1 keeps the
# temp dir, CAIRND=path benchmarks that binary instead of building one (e.g. a
# profiling build), RESULTS=path writes the table there instead. Exit status is non-zero only when the benchmark could not run
# (setup failure, wrong answers, non-2xx responses); missing a target is
# reported, not failed: benchmarks are never a timed test (DESIGN.md §6).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOSTS=${HOSTS:-10000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PAGE=${PAGE:-1}
Q=${Q:-web}
PY=/usr/bin/python3 # Debian's python3: python3-django lives there, not in a pyenv
RESULTS=${RESULTS:-"$ROOT/bench/results/api-latest.txt"}

BENCH_NAME=api-bench
# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"

# ---- 1. tools --------------------------------------------------------------
need=""
command -v wrk >/dev/null || need="$need wrk"
[ -x /usr/bin/time ] || need="$need time"
[ -x /usr/bin/gunicorn ] || need="$need gunicorn"
[ -x "$PY" ] && "$PY" -c 'import django' 2>/dev/null || need="$need python3-django"
command -v curl >/dev/null || need="$need curl"
# shellcheck disable=SC2086
bench_install $need
"$PY" -c 'import django, sys; sys.exit(0 if django.VERSION[:2] == (3, 2) else 1)' ||
    say "warning: Django $("$PY" -c 'import django; print(django.get_version())') is not the calibrated 3.2"

bench_cairnd web

# ---- 2. temp dir, ports, cleanup --------------------------------------------
TMP=$(mktemp -d /tmp/cairn-api-bench.XXXXXX)
CAIRN_PID=""
NC_PID=""
DJ_PID=""
cleanup() {
    stop_pid "$DJ_PID"
    stop_pid "$NC_PID"
    stop_pid "$CAIRN_PID"
    if [ "${KEEP:-0}" = 1 ]; then say "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
CAIRN_PORT=$(free_port)
DJ_PORT=$(free_port)
while [ "$DJ_PORT" = "$CAIRN_PORT" ]; do DJ_PORT=$(free_port); done
NC_PORT=$(free_port)
while [ "$NC_PORT" = "$CAIRN_PORT" ] || [ "$NC_PORT" = "$DJ_PORT" ]; do NC_PORT=$(free_port); done
CAIRN="http://127.0.0.1:$CAIRN_PORT"
NC="http://127.0.0.1:$NC_PORT"
DJ="http://127.0.0.1:$DJ_PORT"

wait_http() { # url pid name
    local i
    for i in $(seq 150); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited at start; see its log above"
        sleep 0.1
    done
    die "$3 did not answer on $1 within 15 s"
}

# ---- 3. cairnd + data --------------------------------------------------------
ADMIN_PW="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
CAIRN_ADMIN_PASSWORD="$ADMIN_PW" "$CAIRND" --listen "127.0.0.1:$CAIRN_PORT" --data "$TMP/data" \
    >"$TMP/cairnd.log" 2>&1 &
CAIRN_PID=$!
wait_http "$CAIRN/api/v1/health" "$CAIRN_PID" cairnd || { tail -20 "$TMP/cairnd.log" >&2; exit 1; }
say "cairnd pid $CAIRN_PID on $CAIRN; loading $HOSTS hosts through the API"
timeout 600 "$PY" "$ROOT/bench/lib/api_seed.py" "$CAIRN" "$ADMIN_PW" "$HOSTS" "$TMP/token" ||
    { tail -20 "$TMP/cairnd.log" >&2; die "seeding failed"; }
TOKEN=$(cat "$TMP/token")
DB="$TMP/data/cairn.db"
[ -f "$DB" ] || die "no SQLite file at $DB"
# The same data served with the list answer cache off (--list-cache 0).
"$CAIRND" --listen "127.0.0.1:$NC_PORT" --data "$TMP/data" --list-cache 0 >"$TMP/cairnd-nocache.log" 2>&1 &
NC_PID=$!
wait_http "$NC/api/v1/health" "$NC_PID" "cairnd --list-cache 0" || { tail -20 "$TMP/cairnd-nocache.log" >&2; exit 1; }
say "cairnd --list-cache 0 pid $NC_PID on $NC"

QE=$("$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$Q")
C_PLAIN="$CAIRN/api/v1/hosts?page=$PAGE&per_page=50"
C_SEARCH="$CAIRN/api/v1/hosts?page=$PAGE&per_page=50&q=$QE"
D_PLAIN="$DJ/hosts?page=$PAGE&per_page=50"
D_SEARCH="$DJ/hosts?page=$PAGE&per_page=50&q=$QE"
C_HEALTH="$CAIRN/api/v1/health"
fetch() { curl -fsS --max-time 30 -H "Authorization: Bearer $TOKEN" "$1" >"$2" || die "GET $1 failed"; }
fetch "$C_PLAIN" "$TMP/c_plain.json"
fetch "$C_SEARCH" "$TMP/c_search.json"
NC_PLAIN="$NC/api/v1/hosts?page=$PAGE&per_page=50"
NC_SEARCH="$NC/api/v1/hosts?page=$PAGE&per_page=50&q=$QE"
fetch "$NC_PLAIN" "$TMP/nc_plain.json"
fetch "$NC_SEARCH" "$TMP/nc_search.json"
"$PY" - "$TMP" <<'EOF_SAME' || die "cairnd with and without the list cache answer differently"
import json, sys
for case in ("plain", "search"):
    a, b = (json.load(open(f"{sys.argv[1]}/{p}_{case}.json")) for p in ("c", "nc"))
    a["now"] = b["now"] = 0
    if a != b:
        sys.exit(f"{case}: cached and uncached answers differ")
EOF_SAME

# ---- 4. the Django peer ------------------------------------------------------
NCOLS=$("$PY" -c 'import json, sqlite3, sys; k = set(json.load(open(sys.argv[2]))["items"][0]); print(len([c for c in sqlite3.connect(sys.argv[1]).execute("PRAGMA table_info(hosts)") if c[1] in k]))' "$DB" "$TMP/c_plain.json")
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
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["BENCH_DB"]}}
USE_TZ = False
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
EOF
# The model is written from the table and from cairnd's own answer: exactly
# the columns cairnd returns for a host (its item keys that are columns of
# hosts), so both sides read and send the same fields.
"$PY" - "$DB" "$TMP/c_plain.json" >"$DJDIR/benchdj/models.py" <<'EOF'
import json, sqlite3, sys
keys = set(json.load(open(sys.argv[2]))["items"][0])
cols = [c for c in sqlite3.connect(sys.argv[1]).execute("PRAGMA table_info(hosts)").fetchall() if c[1] in keys]
print("from django.db import models\n\n")
print("class Host(models.Model):")
print('    """The hosts table of cairnd, read as it is (unmanaged): the columns cairnd returns."""')
for _, name, ctype, notnull, _, pk in cols:
    if name in ("id", "search_text"):
        continue
    kind = "BigIntegerField" if ("INT" in ctype.upper()) else "TextField"
    extra = "unique=True" if name == "hostname" else ("" if notnull else "null=True")
    print(f"    {name} = models.{kind}({extra})")
print("\n    class Meta:")
print("        managed = False")
print('        db_table = "hosts"')
print('        app_label = "benchdj"')
EOF
cat >"$DJDIR/benchdj/views.py" <<'EOF'
from django.db.models import Q
from django.http import JsonResponse

from .models import Host

FIELDS = [f.attname for f in Host._meta.concrete_fields]


def hosts(request):
    """GET /hosts?page=&per_page=50[&q=] -> {"items": [...], "total": N}, by hostname like cairnd."""
    page = max(int(request.GET.get("page", 1)), 1)
    per_page = int(request.GET.get("per_page", 20))
    qs = Host.objects.all()
    q = request.GET.get("q")
    if q:
        qs = qs.filter(Q(hostname__icontains=q) | Q(ip__icontains=q) | Q(memo__icontains=q))
    total = qs.count()
    start = (page - 1) * per_page
    items = list(qs.order_by("hostname").values(*FIELDS)[start:start + per_page])
    return JsonResponse({"items": items, "total": total}, json_dumps_params={"ensure_ascii": False})
EOF
cat >"$DJDIR/benchdj/urls.py" <<'EOF'
from django.urls import path

from . import views

urlpatterns = [path("hosts", views.hosts)]
EOF
cat >"$DJDIR/benchdj/wsgi.py" <<'EOF'
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchdj.settings")
application = get_wsgi_application()
EOF
BENCH_DB="$DB" /usr/bin/gunicorn --chdir "$DJDIR" -w 2 -k sync -b "127.0.0.1:$DJ_PORT" \
    --log-level warning benchdj.wsgi >"$TMP/gunicorn.log" 2>&1 &
DJ_PID=$!
wait_http "$DJ/hosts?per_page=10" "$DJ_PID" gunicorn || { tail -20 "$TMP/gunicorn.log" >&2; exit 1; }
say "gunicorn pid $DJ_PID on $DJ"

# ---- 5. same answers ---------------------------------------------------------
fetch "$D_PLAIN" "$TMP/d_plain.json"
fetch "$D_SEARCH" "$TMP/d_search.json"
CHECK=$("$PY" - "$TMP" "$HOSTS" <<'EOF'
import json, sys
tmp, hosts = sys.argv[1], int(sys.argv[2])
out = []
for case in ("plain", "search"):
    c = json.load(open(f"{tmp}/c_{case}.json"))
    d = json.load(open(f"{tmp}/d_{case}.json"))
    ch = [r["hostname"] for r in c["items"]]
    dh = [r["hostname"] for r in d["items"]]
    extra = set(d["items"][0]) - set(c["items"][0])
    if extra:
        sys.exit(f"{case}: django sends fields cairnd does not: {sorted(extra)}")
    if c["total"] != d["total"] or ch != dh or len(ch) != 50:
        sys.exit(f"{case}: cairn total {c['total']} / {len(ch)} rows, django total {d['total']} / {len(dh)} rows, "
                 f"pages {'equal' if ch == dh else 'differ'}")
    if case == "plain" and c["total"] != hosts:
        sys.exit(f"plain: total {c['total']}, expected {hosts}")
    size_c = len(open(f"{tmp}/c_{case}.json", "rb").read())
    size_d = len(open(f"{tmp}/d_{case}.json", "rb").read())
    out.append(f"{case}: total {c['total']}, same 50 rows; body cairn {size_c} B, django {size_d} B")
print("; ".join(out))
EOF
) || die "cairnd and django disagree: $CHECK"
say "$CHECK"

# ---- 6. wrk runs -------------------------------------------------------------
cat >"$TMP/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT reqs=%d dur_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d sockerr=%d timeouts=%d bytes=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write, e.timeout, summary.bytes))
end
EOF
{ printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$TOKEN"; cat "$TMP/report.lua"; } >"$TMP/auth.lua"
# Pages 1..N in turn (N = HOSTS/50, capped at 200): every request a different
# page, so neither side answers from one hot page (and SQL that embeds the
# page's ids is not always the same text).
NPAGES=$((HOSTS / 50)); [ "$NPAGES" -gt 200 ] && NPAGES=200; [ "$NPAGES" -lt 1 ] && NPAGES=1
pages_lua() { # path up to "page=" -> lua script on stdout
    cat "$TMP/auth.lua"
    printf 'local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format("GET", "%s" .. ((n * 37) %% %d + 1))\nend\n' "$1" "$NPAGES"
}
pages_lua "/api/v1/hosts?per_page=50&page=" >"$TMP/cairn_pages.lua"
pages_lua "/hosts?per_page=50&page=" >"$TMP/django_pages.lua"

cpu_ticks() { # pid...: utime+stime of these processes (all threads), in clock ticks
    local t=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}
total_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; } # user nice system irq softirq steal
dj_pids() { echo "$DJ_PID" $(ps -o pid= --ppid "$DJ_PID" 2>/dev/null); } # master + its sync workers
HZ=$(getconf CLK_TCK)
WRK_CMD="wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout 10s --latency -s LUA URL"

run_case() { # name url lua server-pids...
    local name=$1 url=$2 lua=$3
    shift 3
    say "$name: warm-up ${WARMUP}s, then ${DURATION}s"
    timeout $((WARMUP + 30)) wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$lua" "$url" >/dev/null
    local s0 b0 out s1 b1 wcpu
    s0=$(cpu_ticks "$@"); b0=$(total_busy)
    out=$(timeout $((DURATION + 60)) /usr/bin/time -f 'WRKCPU %U %S' -o "$TMP/wrk.time" \
        wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency -s "$lua" "$url") || die "$name: wrk failed: $out"
    s1=$(cpu_ticks "$@"); b1=$(total_busy)
    echo "$out" >"$TMP/wrk-$name.txt"
    wcpu=$(awk '/WRKCPU/{printf "%d", ($2 + $3) * '"$HZ"'}' "$TMP/wrk.time")
    local res
    res=$(echo "$out" | grep '^RESULT ') || die "$name: no result from wrk: $out"
    echo "$name $res srv_ticks=$((s1 - s0)) busy_ticks=$((b1 - b0)) wrk_ticks=$wcpu" >>"$TMP/results"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$TMP/results"
run_case health "$C_HEALTH" "$TMP/report.lua" "$CAIRN_PID"
run_case cairn_plain "$C_PLAIN" "$TMP/auth.lua" "$CAIRN_PID"
run_case django_plain "$D_PLAIN" "$TMP/auth.lua" $(dj_pids)
run_case cairn_search "$C_SEARCH" "$TMP/auth.lua" "$CAIRN_PID"
run_case django_search "$D_SEARCH" "$TMP/auth.lua" $(dj_pids)
if [ "${VARIED:-1}" = 1 ]; then
    run_case cairn_pages "$CAIRN/" "$TMP/cairn_pages.lua" "$CAIRN_PID"
    run_case django_pages "$DJ/" "$TMP/django_pages.lua" $(dj_pids)
fi
run_case nocache_plain "$NC_PLAIN" "$TMP/auth.lua" "$NC_PID"
run_case nocache_search "$NC_SEARCH" "$TMP/auth.lua" "$NC_PID"
[ "${VARIED:-1}" = 1 ] && run_case nocache_pages "$NC/" "$TMP/cairn_pages.lua" "$NC_PID"
RSS=$(awk '/^VmRSS/{print $2 " " $3}' "/proc/$CAIRN_PID/status")
HWM=$(awk '/^VmHWM/{print $2 " " $3}' "/proc/$CAIRN_PID/status")
DJ_RSS=$(for p in $(dj_pids); do awk '/^VmRSS/{print $2}' "/proc/$p/status"; done | awk '{s += $1} END {print s " kB"}')
CHECK_LOG=$(grep -c 'msg=request ' "$TMP/cairnd.log" || true)
NC_RSS=$(awk '/^VmRSS/{print $2 " " $3}' "/proc/$NC_PID/status")

# ---- 7. table ----------------------------------------------------------------
mkdir -p "$(dirname "$RESULTS")"
TABLE_RC=0
"$PY" - "$TMP/results" "$HZ" "$PAGE" "$Q" "$CONNS" "$NPAGES" >"$TMP/table.txt" <<'EOF' || TABLE_RC=$?
import re, sys
page, q, conns, npages = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" RESULT ")
    rows[name] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", rest)}
hz = int(sys.argv[2])
label = {
    "health": "ceiling: GET /api/v1/health (public, SELECT 1)",
    "cairn_plain": f"cairn  hosts page {page}, 50/page",
    "django_plain": f"django hosts page {page}, 50/page",
    "cairn_search": f"cairn  hosts q={q}, 50/page",
    "django_search": f"django hosts q={q}, 50/page",
    "cairn_pages": f"cairn  hosts pages 1-{npages} in turn, 50/page",
    "django_pages": f"django hosts pages 1-{npages} in turn, 50/page",
    "nocache_plain": f"cairn  --list-cache 0: page {page}",
    "nocache_search": f"cairn  --list-cache 0: q={q}",
    "nocache_pages": f"cairn  --list-cache 0: pages 1-{npages} in turn",
}
bad, warn, busy = [], [], []
print(f"{'case':<48} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'CPU us/req':>10} {'other load':>10}")
for k in ("health", "cairn_plain", "django_plain", "cairn_search", "django_search", "cairn_pages", "django_pages",
          "nocache_plain", "nocache_search", "nocache_pages"):
    if k not in rows:
        continue
    r = rows[k]
    rps = r["reqs"] / (r["dur_us"] / 1e6)
    cpu_us = r["srv_ticks"] / hz * 1e6 / max(r["reqs"], 1)
    other = max(r["busy_ticks"] - r["srv_ticks"] - r["wrk_ticks"], 0) / hz / (r["dur_us"] / 1e6)
    r["rps"] = rps
    r["cpu_us"] = cpu_us
    print(f"{label[k]:<48} {rps:>9.0f} {r['p50_us']/1000:>8.2f} {r['p90_us']/1000:>8.2f} {r['p99_us']/1000:>8.2f} "
          f"{cpu_us:>10.0f} {other:>7.2f} cpu")
    if r["non2xx"] or r["sockerr"]:
        bad.append(f"{k}: {r['non2xx']} non-2xx responses, {r['sockerr']} socket errors")
    if other > 0.5:
        busy.append(f"{k} {other:.2f}")
    if r["reqs"] == 0:
        bad.append(f"{k}: no request completed")
    if r["timeouts"]:
        warn.append(f"{k}: {r['timeouts']} requests timed out (> 10 s): the machine is overloaded")
print()
def ratio(c, d, key):
    num, den = (rows[c][key], rows[d][key]) if key == "rps" else (rows[d][key], rows[c][key])
    return num / den if den > 0 else float("nan")
rp, rs = ratio("cairn_plain", "django_plain", "rps"), ratio("cairn_search", "django_search", "rps")
cpu_ratio = lambda c, d: ratio(c, d, "cpu_us")
ok = lambda c: "met" if c else "MISSED"
print("ratios cairn/django: req/s (the target), and CPU per request (django's / cairn's: steadier when")
print("other work shares the machine, see 'other load')")
print(f"  plain page : {rp:6.1f}x req/s  {cpu_ratio('cairn_plain', 'django_plain'):6.1f}x CPU   (target >= 20x: {ok(rp >= 20)})")
print(f"  search     : {rs:6.1f}x req/s  {cpu_ratio('cairn_search', 'django_search'):6.1f}x CPU   (target >= 40x: {ok(rs >= 40)})")
if "cairn_pages" in rows and "django_pages" in rows:
    rv = ratio("cairn_pages", "django_pages", "rps")
    print(f"  pages 1-{npages:<3}: {rv:6.1f}x req/s  {cpu_ratio('cairn_pages', 'django_pages'):6.1f}x CPU   (no target: every request a different page)")
print("the same with the list answer cache off (--list-cache 0): every answer computed afresh")
for c, d, what in (("nocache_plain", "django_plain", "plain page "), ("nocache_search", "django_search", "search     "),
                   ("nocache_pages", "django_pages", f"pages 1-{npages:<3}")):
    if c in rows and d in rows:
        print(f"  {what}: {ratio(c, d, 'rps'):6.1f}x req/s  {cpu_ratio(c, d):6.1f}x CPU")
for k in ("cairn_plain", "cairn_search", "nocache_plain", "nocache_search"):
    if k not in rows:
        continue
    p99 = rows[k]["p99_us"] / 1000
    print(f"p99 {k:<15}: {p99:8.2f} ms  (target < 5 ms at {conns} connections: {ok(p99 < 5)})")
print(f"cairn plain page vs ceiling: {rows['cairn_plain']['rps'] / max(rows['health']['rps'], 1e-9) * 100:.1f}% of health req/s")
# wrk is a closed loop: every connection always has one request out, so mean
# latency = connections / throughput (Little's law), and p99 < 5 ms needs
# about connections / 2.5 ms of throughput.
print(f"note: {conns} connections always busy -> mean latency = {conns} / (req/s); p99 < 5 ms needs roughly "
      f"{int(conns) / 0.0025:,.0f} req/s or more")
if busy:
    warn.insert(0, "other processes used over half a CPU during " + ", ".join(busy) +
                ": req/s and latency there are not representative (compare CPU us/req)")
for b in warn:
    print("WARNING", b)
for b in bad:
    print("ERROR", b)
sys.exit(1 if bad else 0)
EOF
{
    echo "Cairn API benchmark: CMDB host list vs Django ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo "git $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet -- src 2>/dev/null || echo ' + uncommitted src changes'); $(nproc) CPUs; $(uname -sr); load before runs: $LOAD_BEFORE"
    echo "$HOSTS hosts on SQLite (one cairn.db shared by both); $CHECK"
    echo "wrk: $WRK_CMD  (warm-up ${WARMUP}s first; cairn/django lists send the bench user's API token)"
    echo "cairnd: $("$CAIRND" --version) defaults (threads = CPUs, db-pool 8, log-level info, list-cache 1000 ms), auth per request = token of a non-superuser with assets:view; the --list-cache 0 rows: a second cairnd on the same data with the list answer cache off (its token, user and reference-name caches stay on: they are exact, checked against the database's generation counters, and only spare queries)"
    echo "django: $("$PY" -c 'import django; print(django.get_version())'), gunicorn $(/usr/bin/gunicorn --version 2>&1 | grep -o '[0-9][0-9.]*' | head -1) -w 2 sync, no middleware, values() of the $NCOLS host columns cairnd returns, no reference names, no auth"
    echo
    cat "$TMP/table.txt"
    echo "cairnd RSS after the runs: $RSS (peak $HWM); --list-cache 0 instance: $NC_RSS; gunicorn master + 2 workers: $DJ_RSS"
    echo "cairnd logged $CHECK_LOG request lines (one per request, log-level info)"
    echo
    echo "CPU us/req = server CPU time (cairnd threads, or gunicorn workers) / requests served."
    echo "other load = CPU cores used by processes other than the server and wrk during the run (a shared machine shows here)."
    echo "command: bash bench/api.sh   (HOSTS=$HOSTS DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS THREADS=$THREADS PAGE=$PAGE Q=$Q VARIED=${VARIED:-1}$CAIRND_GIVEN)"
} >"$RESULTS"
echo
cat "$RESULTS"
[ "$TABLE_RC" = 0 ] || die "some runs had errors (see above)"
