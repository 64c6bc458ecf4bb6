#!/bin/bash
# bench/agent.sh -- cairn-agent beside its peers, in the same run:
# prometheus-node-exporter, collectd, a psutil collector equivalent to
# AdminSet's Python agent, and a "floor" C loop that only makes the same
# kernel requests (open/read/close of the same files, the same statvfs, the
# same /proc listing and netlink query) without parsing anything.
#
# Measures, per tool: RSS (and PSS) of the running process, and CPU time per
# collection (user + system) over N collections (default 1000, at least 200):
#   cairn-agent   hidden --bench N: N collections + rates + JSON report,
#                 back to back (getrusage); RSS of the real daemon reporting
#                 to a stub cairnd every second with the Prometheus page on
#   node_exporter N scrapes of /metrics with one keep-alive curl; CPU from
#                 /proc/PID/stat
#   collectd      the same plugins (cpu load memory swap df disk interface
#                 tcpconns processes uptime) at Interval 0.1 s, CPU over
#                 time / collections
#   psutil        N loops of the AdminSet-style collection + json.dumps
#                 (time.process_time), Debian's /usr/bin/python3
#   floor         N loops of the raw requests (getrusage)
# Prints a table with the ratios the issue sets as targets and writes it to
# bench/results/agent-latest.txt (and a dated copy). Not part of make test.
#
#   bench/agent.sh            N=1000
#   N=300 bench/agent.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
[ "$N" -ge 200 ] || { echo "N must be at least 200" >&2; exit 2; }
CD_SECONDS=${CD_SECONDS:-30}
out=bench/results
mkdir -p "$out"
work=$(mktemp -d /tmp/cairn-bench-agent.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# ---- peers from Debian --------------------------------------------------
need=()
command -v prometheus-node-exporter >/dev/null || need+=(prometheus-node-exporter)
[ -x /usr/sbin/collectd ] || need+=(collectd-core)
/usr/bin/python3 -c 'import psutil' 2>/dev/null || need+=(python3-psutil)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
make --no-print-directory -s build/cairn-agent

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, clock ticks
HZ=$(getconf CLK_TCK)
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# ---- cairn-agent: CPU per collection ------------------------------------
agent_cpu() { # extra flags…
    for _ in 1 2 3; do
        build/cairn-agent --bench "$N" "$@" | sed -n 's/.*cpu_per_collection_us=\([0-9.]*\).*/\1/p'
    done | median
}
cairn_us=$(agent_cpu)
cairn_full_us=$(agent_cpu --tcp-states full)

# ---- cairn-agent: RSS of the daemon, reporting to a stub cairnd ---------
cat >"$work/stub.py" <<'EOF'
import gzip, json, sys, http.server
TOKEN = "cairnh_" + "ab" * 32
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        doc = json.loads(body)
        if self.path.endswith("/enroll"):
            code, ans = 201, {"host_id": 1, "token": TOKEN, "interval": 1}
        else:
            code, ans = 200, {"accepted": len(doc.get("reports", [doc])), "skipped": 0, "interval": 1}
        b = json.dumps(ans).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
stub_port=$(free_port)
/usr/bin/python3 "$work/stub.py" "$stub_port" & pids+=($!)
prom_port=$(free_port)
sleep 0.5
build/cairn-agent --server "http://127.0.0.1:$stub_port" --enroll-token bench --state-dir "$work/agent" \
    --interval 1 --prometheus "127.0.0.1:$prom_port" 2>"$work/agent.log" & agent_pid=$!
pids+=("$agent_pid")
sleep 3
for _ in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:$prom_port/metrics"; done
sleep 5
cairn_rss=$(rss_kb "$agent_pid")
cairn_pss=$(pss_kb "$agent_pid")
grep -q 'level=error' "$work/agent.log" && { echo "agent logged errors:"; cat "$work/agent.log"; }

# ---- floor --------------------------------------------------------------
mounts=$(build/cairn-agent --once | /usr/bin/python3 -c 'import json,sys; print(" ".join(f["mount"] for f in json.load(sys.stdin)["metrics"]["filesystems"]))')
cat >"$work/floor.c" <<'EOF'
/* The same kernel requests as one cairn-agent collection, nothing parsed. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>
static char buf[65536];
static void rd(const char *p)
{
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    /* Until EOF: seq_file hands out about a page per read (/proc/net/tcp),
     * so a short read is not the end. */
    while (read(fd, buf, sizeof buf) > 0) ;
    close(fd);
}
static void listen_dump(void)
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
        struct { struct nlmsghdr nh; struct inet_diag_req_v2 r; } q;
        memset(&q, 0, sizeof q);
        q.nh.nlmsg_len = sizeof q; q.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
        q.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        q.r.sdiag_family = fam; q.r.sdiag_protocol = IPPROTO_TCP; q.r.idiag_states = 1 << 10;
        struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
        sendto(fd, &q, sizeof q, 0, (struct sockaddr *)&sa, sizeof sa);
        for (int done = 0; !done;) {
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
                if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) done = 1;
        }
    }
    close(fd);
}
int main(int argc, char **argv)
{
    long n = atol(argv[1]);
    int full = strcmp(argv[2], "full") == 0;
    struct rusage a, b;
    getrusage(RUSAGE_SELF, &a);
    for (long i = 0; i < n; i++) {
        rd("/proc/stat"); rd("/proc/loadavg"); rd("/proc/meminfo"); rd("/proc/self/mounts");
        for (int k = 3; k < argc; k++) { struct statvfs st; statvfs(argv[k], &st); }
        rd("/proc/diskstats"); rd("/proc/net/dev");
        if (full) { rd("/proc/net/tcp"); rd("/proc/net/tcp6"); }
        else { rd("/proc/net/snmp"); rd("/proc/net/sockstat"); listen_dump(); }
        DIR *d = opendir("/proc"); while (readdir(d)) ; closedir(d);
        rd("/proc/uptime");
    }
    getrusage(RUSAGE_SELF, &b);
    double us = (b.ru_utime.tv_sec - a.ru_utime.tv_sec + b.ru_stime.tv_sec - a.ru_stime.tv_sec) * 1e6 +
                (b.ru_utime.tv_usec - a.ru_utime.tv_usec + b.ru_stime.tv_usec - a.ru_stime.tv_usec);
    printf("%.1f\n", us / n);
    return 0;
}
EOF
cc -O2 -o "$work/floor" "$work/floor.c"
# shellcheck disable=SC2086
floor_us=$(for _ in 1 2 3; do "$work/floor" "$N" summary $mounts; done | median)
# shellcheck disable=SC2086
floor_full_us=$(for _ in 1 2 3; do "$work/floor" "$N" full $mounts; done | median)

# ---- prometheus-node-exporter ------------------------------------------
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$ne_port" >"$work/ne.log" 2>&1 & ne_pid=$!
pids+=("$ne_pid")
sleep 2
url="http://127.0.0.1:$ne_port/metrics"
for _ in $(seq 10); do curl -s -o /dev/null "$url"; done
t0=$(ticks "$ne_pid")
args=()
for _ in $(seq "$N"); do args+=("$url" -o /dev/null); done
curl -s "${args[@]}"
t1=$(ticks "$ne_pid")
ne_us=$(awk -v d=$((t1 - t0)) -v n="$N" -v hz="$HZ" 'BEGIN {printf "%.1f", d / hz / n * 1e6}')
ne_rss=$(rss_kb "$ne_pid")
ne_pss=$(pss_kb "$ne_pid")
kill "$ne_pid"

# ---- collectd -----------------------------------------------------------
cat >"$work/collectd.conf" <<EOF
Hostname "bench"
FQDNLookup false
Interval 0.1
BaseDir "$work/collectd"
PIDFile "$work/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin cpu
LoadPlugin load
LoadPlugin memory
LoadPlugin swap
LoadPlugin df
LoadPlugin disk
LoadPlugin interface
LoadPlugin tcpconns
LoadPlugin processes
LoadPlugin uptime
<Plugin df>
  IgnoreSelected false
</Plugin>
<Plugin interface>
  Interface "lo"
  IgnoreSelected true
</Plugin>
<Plugin tcpconns>
  ListeningPorts false
  AllPortsSummary true
</Plugin>
EOF
mkdir -p "$work/collectd"
/usr/sbin/collectd -f -C "$work/collectd.conf" >"$work/collectd.log" 2>&1 & cd_pid=$!
pids+=("$cd_pid")
sleep 3
t0=$(ticks "$cd_pid")
sleep "$CD_SECONDS"
t1=$(ticks "$cd_pid")
cd_collections=$(awk -v s="$CD_SECONDS" 'BEGIN {print s / 0.1}')
cd_us=$(awk -v d=$((t1 - t0)) -v n="$cd_collections" -v hz="$HZ" 'BEGIN {printf "%.1f", d / hz / n * 1e6}')
cd_rss=$(rss_kb "$cd_pid")
cd_pss=$(pss_kb "$cd_pid")
kill "$cd_pid"

# ---- psutil (AdminSet's agent, rewritten as a loop) ---------------------
cat >"$work/psutil_agent.py" <<'EOF'
# What AdminSet's adminset_agent.py gathers per round (cpu times/percent,
# memory, per-partition usage, per-NIC counters), plus load, swap, disk I/O
# counters and the process count so it matches cairn-agent's report; TCP
# states are left out (psutil.net_connections scans every process's fds).
import json, os, sys, time, psutil
n = int(sys.argv[1])
def collect():
    cpu = psutil.cpu_times_percent(interval=None)
    vm = psutil.virtual_memory(); sw = psutil.swap_memory()
    disks = []
    for p in psutil.disk_partitions(all=False):
        u = psutil.disk_usage(p.mountpoint)
        disks.append({"mountpoint": p.mountpoint, "total": u.total, "used": u.used, "free": u.free, "percent": u.percent})
    io = {k: v._asdict() for k, v in psutil.disk_io_counters(perdisk=True).items()}
    net = {k: v._asdict() for k, v in psutil.net_io_counters(pernic=True).items()}
    return json.dumps({"cpu": cpu._asdict(), "load": os.getloadavg(), "mem": vm._asdict(), "swap": sw._asdict(),
                       "disk": disks, "io": io, "net": net, "procs": len(psutil.pids()), "uptime": time.time() - psutil.boot_time()})
collect()
t0 = time.process_time()
for _ in range(n):
    collect()
us = (time.process_time() - t0) / n * 1e6
rss = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")][0]
pss = [int(l.split()[1]) for l in open("/proc/self/smaps_rollup") if l.startswith("Pss:")][0]
print(f"{us:.1f} {rss} {pss}")
EOF
read -r py_us py_rss py_pss < <(for _ in 1 2 3; do /usr/bin/python3 "$work/psutil_agent.py" "$N"; done | sort -n | sed -n 2p)

# ---- table ---------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t) ? "PASS" : "FAIL"}'; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
r_rss=$(ratio "$cairn_rss" "$ne_rss")
r_pss=$(ratio "$cairn_pss" "$ne_pss")
r_ne=$(ratio "$cairn_us" "$ne_us")
r_py=$(ratio "$cairn_us" "$py_us")
r_floor=$(ratio "$cairn_us" "$floor_us")
r_floor_full=$(ratio "$cairn_full_us" "$floor_full_us")
r_cd_full=$(ratio "$cairn_full_us" "$cd_us")
report=$work/report.txt
{
    echo "cairn-agent benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(uname -r)  $(nproc) CPUs  N=$N"
    echo "machine load at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise to every row alike)"
    echo "cairn-agent links: $(ldd build/cairn-agent | awk '$1 ~ /^lib/ {printf "%s ", $1}')+ static libcurl $(cat build/curl-min/VERSION 2>/dev/null) (scripts/build-curl.sh)"
    echo
    printf "%-44s %9s %9s %14s\n" "tool" "RSS MB" "PSS MB" "CPU us/coll."
    printf "%-44s %9s %9s %14s\n" "cairn-agent $(cat VERSION) (tcp_states=summary, default)" "$(mb "$cairn_rss")" "$(mb "$cairn_pss")" "$cairn_us"
    printf "%-44s %9s %9s %14s\n" "cairn-agent --tcp-states full" "" "" "$cairn_full_us"
    printf "%-44s %9s %9s %14s\n" "floor: same requests, no parsing (summary)" "" "" "$floor_us"
    printf "%-44s %9s %9s %14s\n" "floor: same requests, no parsing (full)" "" "" "$floor_full_us"
    printf "%-44s %9s %9s %14s\n" "prometheus-node-exporter (default, per scrape)" "$(mb "$ne_rss")" "$(mb "$ne_pss")" "$ne_us"
    printf "%-44s %9s %9s %14s\n" "collectd (same plugins incl. tcpconns)" "$(mb "$cd_rss")" "$(mb "$cd_pss")" "$cd_us"
    printf "%-44s %9s %9s %14s\n" "psutil collector (AdminSet-like, no TCP)" "$(mb "$py_rss")" "$(mb "$py_pss")" "$py_us"
    echo
    printf "%-52s %8s %8s %6s\n" "target" "ratio" "limit" ""
    printf "%-52s %8s %8s %6s\n" "RSS cairn-agent / node_exporter" "$r_rss" "0.25" "$(verdict "$r_rss" 0.25)"
    printf "%-52s %8s %8s %6s\n" "  (PSS, shared library pages split)" "$r_pss" "0.25" "$(verdict "$r_pss" 0.25)"
    printf "%-52s %8s %8s %6s\n" "CPU/collection cairn-agent / node_exporter scrape" "$r_ne" "0.10" "$(verdict "$r_ne" 0.10)"
    printf "%-52s %8s %8s %6s\n" "CPU/collection cairn-agent / psutil collector" "$r_py" "0.333" "$(verdict "$r_py" 0.333)"
    printf "%-52s %8s %8s %6s\n" "CPU/collection cairn-agent / floor" "$r_floor" "2.0" "$(verdict "$r_floor" 2.0)"
    printf "%-52s %8s %8s %6s\n" "  (tcp_states=full) cairn-agent / floor" "$r_floor_full" "2.0" "$(verdict "$r_floor_full" 2.0)"
    printf "%-52s %8s %8s %6s\n" "  (tcp_states=full) cairn-agent / collectd" "$r_cd_full" "-" ""
} >"$report"
cat "$report"
cp "$report" "$out/agent-latest.txt"
cp "$report" "$out/agent-$(date -u +%Y%m%d-%H%M%S).txt"
