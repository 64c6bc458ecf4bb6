/* ingest_load.c -- load generator for agent report ingestion (bench/ingest.sh).
 *
 *   ingest_load enroll URL ENROLL_TOKEN HOSTS CONNS OUT_FILE
 *       POST /api/v1/agent/enroll for hosts bench-00000 .. HOSTS-1 (machine
 *       ids derived from the index), CONNS at a time; writes "host_id token"
 *       per line, line i = host i.
 *   ingest_load report URL PATH TOKENS_FILE HOSTS CONNS MODE [options]
 *       posts agent reports (what `cairn-agent` sends: gzip JSON, one report
 *       per request, "Authorization: Bearer <host token>") for the first
 *       HOSTS hosts of TOKENS_FILE round robin over CONNS keep-alive
 *       connections. MODE:
 *         rounds=R           exactly R reports per host, all counted;
 *         time=W+D           W s of warm-up (not counted), then D s measured:
 *                            responses completed inside the window count.
 *       options: facts=1 (every report carries facts too: an agent's first
 *       report), base=B (first round number: report k of host h has
 *       seq = B+k+1 and time = t0 + (B+k)*60), t0=UNIX (default now - 2 days),
 *       gzip=LEVEL (zlib level, default 1; 0 sends identity), step=S (seconds
 *       between a host's reports, default 60), batch=K (K consecutive reports
 *       of one host per request as {"reports": [...]}, like a spool replay;
 *       rounds=R then counts reports per host). With CONNS=1 one host may be
 *       driven alone (HOSTS=1).
 *   Prints one line "RESULT key=value ..." on stdout:
 *       sent, ok (2xx), accepted/skipped (summed from the answers),
 *       non2xx, errors, timeouts, secs (measured window), rps (accepted/s),
 *       samples (numeric metric values in the accepted reports), sps,
 *       p50_ms p90_ms p99_ms max_ms, next_base, cpu_s (this process),
 *       bytes_json bytes_wire (mean per report).
 *
 * A report is the shape `cairn-agent --once` prints for a small VM: facts
 * (hostname, machine id, NIC, OS, kernel, CPU, memory, disk, filesystem,
 * virtualization) and metrics with cpu, load, memory, swap, one filesystem,
 * one disk, one NIC, tcp, processes, uptime -- 31 numeric values that
 * cairnd writes to RRD (16 host + 4 fs + 5 disk + 6 nic). Values vary per
 * host and report (a hash of both), times step 60 s per host.
 */
#include "httpc.h"

#include <math.h>
#include <stdint.h>
#include <sys/resource.h>
#include <zlib.h>

#define SAMPLES_PER_REPORT 31
#define JSON_MAX (2u << 20)  /* a batch of 500 reports is ~1 MiB */
#define BODY_MAX (JSON_MAX + 65536)

static char host_hdr[96];

/* ---- enroll ----------------------------------------------------------------- */

typedef struct {
    const char *path, *etoken;
    long hosts, next, done_n;
    long *ids;
    char **tokens;
    long non2xx;
} enroll_ctx;

static int enroll_make(void *u, hc_conn *c)
{
    enroll_ctx *e = u;
    if (e->next >= e->hosts)
        return 1;
    long i = e->next++;
    char body[512];
    int bl = snprintf(body, sizeof body,
                      "{\"enroll_token\":\"%s\",\"machine_id\":\"%08lx%024lx\",\"hostname\":\"bench-%05ld\","
                      "\"agent_version\":\"0.1.0\"}",
                      e->etoken, 0xbe0c4000UL + (unsigned long)i, (unsigned long)i * 2654435761UL, i);
    int n = snprintf(c->reqbuf, c->reqcap,
                     "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     e->path, host_hdr, bl, body);
    c->req = c->reqbuf;
    c->req_len = (size_t)n;
    c->tag = i;
    return 0;
}

static void enroll_done(void *u, hc_conn *c, int status, const char *body, size_t len, double lat)
{
    (void)lat;
    (void)len;
    enroll_ctx *e = u;
    const char *id = strstr(body, "\"host_id\":"), *tok = strstr(body, "\"token\":\"");
    if ((status != 200 && status != 201) || !id || !tok) {
        if (e->non2xx++ < 3)
            fprintf(stderr, "ingest_load: enroll %ld -> %d %.300s\n", c->tag, status, body);
        return;
    }
    e->ids[c->tag] = strtol(id + 10, NULL, 10);
    tok += 9;
    const char *q = strchr(tok, '"');
    if (!q)
        return;
    e->tokens[c->tag] = strndup(tok, (size_t)(q - tok));
    e->done_n++;
}

static int do_enroll(int argc, char **argv)
{
    if (argc != 7)
        hc_die("usage: ingest_load enroll URL ENROLL_TOKEN HOSTS CONNS OUT_FILE");
    struct sockaddr_in sa;
    if (hc_parse_url(argv[2], &sa, host_hdr, sizeof host_hdr) < 0)
        hc_die("bad URL %s", argv[2]);
    enroll_ctx e = {.path = "/api/v1/agent/enroll", .etoken = argv[3], .hosts = atol(argv[4])};
    e.ids = calloc((size_t)e.hosts, sizeof *e.ids);
    e.tokens = calloc((size_t)e.hosts, sizeof *e.tokens);
    hc_pool p;
    hc_init(&p, &sa, atoi(argv[5]), 2048);
    double t0 = hc_now();
    hc_run(&p, enroll_make, enroll_done, &e, 0);
    double secs = hc_now() - t0;
    FILE *f = fopen(argv[6], "w");
    if (!f)
        hc_die("cannot write %s", argv[6]);
    for (long i = 0; i < e.hosts; i++)
        fprintf(f, "%ld %s\n", e.ids[i], e.tokens[i] ? e.tokens[i] : "-");
    fclose(f);
    printf("RESULT enrolled=%ld of=%ld non2xx=%ld errors=%ld secs=%.2f rps=%.0f\n", e.done_n, e.hosts, e.non2xx,
           p.errors + p.timeouts, secs, (double)e.done_n / secs);
    return e.done_n == e.hosts ? 0 : 1;
}

/* ---- reports ---------------------------------------------------------------- */

typedef struct {
    const char *path;
    long hosts;
    char **tokens;
    int facts, gzip_level;
    long base, t0, step, batch;
    long rounds;          /* > 0: fixed number of rounds */
    double w_start, w_end; /* measured window (monotonic) */
    long g;               /* requests made */
    long sent, ok, accepted, skipped, non2xx;
    hc_lat lat;
    double json_bytes, wire_bytes;
    long max_round, reports;
    z_stream zs;
    char json[JSON_MAX];
} rep_ctx;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* A number in [0, 1) from (host, round, k). */
static double rnd(long h, long r, int k)
{
    return (double)(mix(((uint64_t)h << 40) ^ ((uint64_t)r << 8) ^ (uint64_t)k) >> 11) / 9007199254740992.0;
}

static int build_json(rep_ctx *x, long h, long r, char *out, size_t cap)
{
    long t = x->t0 + r * x->step, seq = r + 1;
    double user = 2 + 30 * rnd(h, r, 1), sys = 1 + 8 * rnd(h, r, 2), iow = 2 * rnd(h, r, 3);
    double idle = 100.0 - user - sys - iow;
    long long mem_total = 8589934592LL, used = 1500000000LL + (long long)(4e9 * rnd(h, r, 4));
    long long fs_size = 107374182400LL, fs_used = 20000000000LL + (long long)(5e10 * rnd(h, 0, 5)) + r * 4096;
    int o = snprintf(out, cap, "{\"v\":1,\"agent_version\":\"0.1.0\",\"time\":%ld,\"seq\":%ld,"
                                                "\"interval\":60,\"dropped\":0,",
                     t, seq);
    if (x->facts)
        o += snprintf(out + o, cap - (size_t)o,
                      "\"facts\":{\"hostname\":\"bench-%05ld\",\"fqdn\":\"bench-%05ld.bench.example\","
                      "\"machine_id\":\"%08lx%024lx\",\"management_ip\":\"10.%ld.%ld.%ld\","
                      "\"nics\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:%02lx:%02lx:%02lx\",\"addresses\":"
                      "[\"10.%ld.%ld.%ld/16\",\"fe80::5054:ff:fe%02lx:%02lx%02lx/64\"],\"speed_mbps\":10000}],"
                      "\"os\":{\"id\":\"debian\",\"name\":\"Debian GNU/Linux\",\"version\":\"12\","
                      "\"pretty\":\"Debian GNU/Linux 12 (bookworm)\"},\"kernel\":\"6.1.0-18-amd64\","
                      "\"arch\":\"x86_64\",\"vendor\":\"QEMU\",\"model\":\"Standard PC (i440FX + PIIX, 1996)\","
                      "\"bios\":\"1.16.2-debian-1.16.2-1\",\"cpu\":{\"model\":\"Intel(R) Xeon(R) Gold 6230 CPU @ "
                      "2.10GHz\",\"sockets\":1,\"cores\":4,\"threads\":4},\"memory_bytes\":%lld,\"swap_bytes\":0,"
                      "\"disks\":[{\"name\":\"vda\",\"size_bytes\":%lld,\"rotational\":false}],"
                      "\"filesystems\":[{\"mount\":\"/\",\"type\":\"ext4\",\"device\":\"/dev/vda1\","
                      "\"size_bytes\":%lld}],\"virtualization\":\"kvm\",\"boot_time\":%ld,"
                      "\"agent_version\":\"0.1.0\"},",
                      h, h, 0xbe0c4000UL + (unsigned long)h, (unsigned long)h * 2654435761UL, 100 + h / 65536,
                      (h >> 8) & 255, h & 255, (h >> 16) & 255, (h >> 8) & 255, h & 255, 100 + h / 65536,
                      (h >> 8) & 255, h & 255, (h >> 16) & 255, (h >> 8) & 255, h & 255, mem_total, fs_size,
                      fs_size, x->t0 - 86400 * 30);
    o += snprintf(out + o, cap - (size_t)o,
                  "\"metrics\":{\"cpu\":{\"user\":%.2f,\"system\":%.2f,\"iowait\":%.2f,\"steal\":0.0,\"idle\":%.2f},"
                  "\"load\":[%.2f,%.2f,%.2f],"
                  "\"memory\":{\"total\":%lld,\"used\":%lld,\"available\":%lld,\"buffers\":%lld,\"cached\":%lld},"
                  "\"swap\":{\"total\":0,\"used\":0},"
                  "\"filesystems\":[{\"mount\":\"/\",\"type\":\"ext4\",\"size\":%lld,\"used\":%lld,\"free\":%lld,"
                  "\"inodes_used\":%ld,\"inodes_free\":%ld}],"
                  "\"disks\":[{\"name\":\"vda\",\"read_bytes\":%.2f,\"write_bytes\":%.2f,\"reads\":%.2f,"
                  "\"writes\":%.2f,\"util\":%.2f}],"
                  "\"nics\":[{\"name\":\"eth0\",\"rx_bytes\":%.2f,\"tx_bytes\":%.2f,\"rx_packets\":%.2f,"
                  "\"tx_packets\":%.2f,\"rx_errors\":0.0,\"tx_errors\":0.0}],"
                  "\"tcp\":{\"established\":%d,\"time_wait\":%d,\"listen\":13,\"other\":3},"
                  "\"processes\":%d,\"uptime\":%ld}}",
                  user, sys, iow, idle, 4 * rnd(h, r, 6), 3 * rnd(h, r, 7), 2 * rnd(h, r, 8), mem_total, used,
                  mem_total - used, 60000000LL + (long long)(1e7 * rnd(h, r, 9)),
                  2000000000LL + (long long)(1e9 * rnd(h, r, 10)), fs_size, fs_used,
                  fs_size - fs_used - fs_size / 20, 120000 + (long)(1000 * rnd(h, r, 11)),
                  6400000 - (long)(1000 * rnd(h, r, 11)), 1e5 * rnd(h, r, 12), 1e6 * rnd(h, r, 13),
                  20 * rnd(h, r, 14), 80 * rnd(h, r, 15), 10 * rnd(h, r, 16), 5e5 * rnd(h, r, 17),
                  3e5 * rnd(h, r, 18), 800 * rnd(h, r, 19), 600 * rnd(h, r, 20), 20 + (int)(200 * rnd(h, r, 21)),
                  (int)(50 * rnd(h, r, 22)), 150 + (int)(50 * rnd(h, r, 23)), 86400L * 30 + r * x->step);
    if (o >= (int)cap)
        hc_die("report too long");
    return o;
}

static int rep_make(void *u, hc_conn *c)
{
    rep_ctx *x = u;
    long first = (x->g / x->hosts) * x->batch; /* this host's first report of the request, from base */
    if (x->rounds > 0 ? first >= x->rounds : hc_now() >= x->w_end)
        return 1;
    long h = x->g % x->hosts, r = x->base + first;
    long nrep = x->rounds > 0 && x->rounds - first < x->batch ? x->rounds - first : x->batch;
    x->g++;
    int jl;
    if (x->batch == 1) {
        jl = build_json(x, h, r, x->json, sizeof x->json);
    } else { /* {"reports":[oldest … newest]} */
        jl = snprintf(x->json, JSON_MAX, "{\"reports\":[");
        for (long i = 0; i < nrep; i++) {
            jl += build_json(x, h, r + i, x->json + jl, JSON_MAX - (size_t)jl - 4);
            x->json[jl++] = i + 1 < nrep ? ',' : ']';
        }
        x->json[jl++] = '}';
        x->json[jl] = '\0';
    }
    if (r + nrep > x->max_round)
        x->max_round = r + nrep;
    x->reports += nrep;
    char hdr[512];
    size_t room = c->reqcap - sizeof hdr;
    const char *body = x->json;
    size_t blen = (size_t)jl;
    char *zbuf = c->reqbuf + sizeof hdr; /* body first, headers in front of it */
    if (x->gzip_level > 0) {
        deflateReset(&x->zs);
        x->zs.next_in = (Bytef *)x->json;
        x->zs.avail_in = (uInt)jl;
        x->zs.next_out = (Bytef *)zbuf;
        x->zs.avail_out = (uInt)room;
        if (deflate(&x->zs, Z_FINISH) != Z_STREAM_END)
            hc_die("deflate failed");
        blen = room - x->zs.avail_out;
    } else {
        memcpy(zbuf, body, blen);
    }
    int hl = snprintf(hdr, sizeof hdr,
                      "POST %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
                      "%sContent-Length: %zu\r\nUser-Agent: cairn-agent/0.1.0\r\n\r\n",
                      x->path, host_hdr, x->tokens[h], x->gzip_level > 0 ? "Content-Encoding: gzip\r\n" : "",
                      blen);
    if (hl >= (int)sizeof hdr)
        hc_die("header too long");
    memcpy(zbuf - hl, hdr, (size_t)hl);
    c->req = zbuf - hl;
    c->req_len = (size_t)hl + blen;
    c->tag = h;
    x->sent++;
    x->json_bytes += jl;
    x->wire_bytes += (double)blen;
    return 0;
}

static void rep_done(void *u, hc_conn *c, int status, const char *body, size_t len, double lat)
{
    (void)c;
    (void)len;
    rep_ctx *x = u;
    double now = hc_now();
    int counted = x->rounds > 0 || (now >= x->w_start && now <= x->w_end);
    if (status < 200 || status > 299) {
        if (x->non2xx++ < 3)
            fprintf(stderr, "ingest_load: report for host %ld -> %d %.300s\n", c->tag, status, body);
        return;
    }
    if (!counted)
        return;
    x->ok++;
    const char *a = strstr(body, "\"accepted\":"), *s = strstr(body, "\"skipped\":");
    if (a)
        x->accepted += strtol(a + 11, NULL, 10);
    if (s)
        x->skipped += strtol(s + 10, NULL, 10);
    hc_lat_add(&x->lat, lat);
}

static int do_report(int argc, char **argv)
{
    if (argc < 8)
        hc_die("usage: ingest_load report URL PATH TOKENS_FILE HOSTS CONNS rounds=R|time=W+D [facts=1] [base=B] "
               "[t0=UNIX] [gzip=LEVEL]");
    struct sockaddr_in sa;
    if (hc_parse_url(argv[2], &sa, host_hdr, sizeof host_hdr) < 0)
        hc_die("bad URL %s", argv[2]);
    static rep_ctx x;
    x.path = argv[3];
    x.hosts = atol(argv[5]);
    int conns = atoi(argv[6]);
    double warm = 0, dur = 0;
    if (strncmp(argv[7], "rounds=", 7) == 0)
        x.rounds = atol(argv[7] + 7);
    else if (sscanf(argv[7], "time=%lf+%lf", &warm, &dur) != 2)
        hc_die("mode: rounds=R or time=W+D");
    x.t0 = (long)time(NULL) - 2 * 86400;
    x.gzip_level = 1;
    x.step = 60;
    x.batch = 1;
    for (int i = 8; i < argc; i++) {
        if (strncmp(argv[i], "facts=", 6) == 0)
            x.facts = atoi(argv[i] + 6);
        else if (strncmp(argv[i], "base=", 5) == 0)
            x.base = atol(argv[i] + 5);
        else if (strncmp(argv[i], "t0=", 3) == 0)
            x.t0 = atol(argv[i] + 3);
        else if (strncmp(argv[i], "gzip=", 5) == 0)
            x.gzip_level = atoi(argv[i] + 5);
        else if (strncmp(argv[i], "step=", 5) == 0)
            x.step = atol(argv[i] + 5);
        else if (strncmp(argv[i], "batch=", 6) == 0)
            x.batch = atol(argv[i] + 6);
        else
            hc_die("unknown option %s", argv[i]);
    }
    if (x.batch < 1 || x.batch > 500 || x.step < 1)
        hc_die("batch must be 1 to 500, step at least 1");
    if (conns > 1 && x.hosts <= conns)
        hc_die("need more hosts (%ld) than connections (%d): a host's reports must not overlap", x.hosts, conns);
    x.tokens = calloc((size_t)x.hosts, sizeof *x.tokens);
    FILE *f = fopen(argv[4], "r");
    if (!f)
        hc_die("cannot read %s", argv[4]);
    char line[512];
    for (long i = 0; i < x.hosts; i++) {
        long id;
        char tok[300];
        if (!fgets(line, sizeof line, f) || sscanf(line, "%ld %299s", &id, tok) != 2 || tok[0] == '-')
            hc_die("%s: no token for host %ld", argv[4], i);
        x.tokens[i] = strdup(tok);
    }
    fclose(f);
    if (x.gzip_level > 0 && deflateInit2(&x.zs, x.gzip_level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        hc_die("deflateInit2 failed");
    hc_pool p;
    hc_init(&p, &sa, conns, BODY_MAX + 1024);
    double t_begin = hc_now();
    x.w_start = t_begin + warm;
    x.w_end = x.w_start + dur;
    hc_run(&p, rep_make, rep_done, &x, x.rounds > 0 ? 0 : x.w_end + 30);
    double secs = x.rounds > 0 ? hc_now() - t_begin : dur;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    long next_base = x.max_round > x.base ? x.max_round : x.base;
    double p50 = hc_pct(&x.lat, 50), p90 = hc_pct(&x.lat, 90), p99 = hc_pct(&x.lat, 99), mx = hc_pct(&x.lat, 100);
    printf("RESULT sent=%ld ok=%ld accepted=%ld skipped=%ld non2xx=%ld errors=%ld timeouts=%ld secs=%.3f rps=%.1f "
           "samples=%ld sps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f next_base=%ld cpu_s=%.2f "
           "bytes_json=%.0f bytes_wire=%.0f conns=%d hosts=%ld reports=%ld\n",
           x.sent, x.ok, x.accepted, x.skipped, x.non2xx, p.errors, p.timeouts, secs, (double)x.accepted / secs,
           x.accepted * SAMPLES_PER_REPORT, (double)x.accepted * SAMPLES_PER_REPORT / secs, p50 * 1e3, p90 * 1e3,
           p99 * 1e3, mx * 1e3, next_base, cpu, x.sent ? x.json_bytes / (double)x.sent : 0,
           x.sent ? x.wire_bytes / (double)x.sent : 0, conns, x.hosts, x.reports);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
        return do_enroll(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "report") == 0)
        return do_report(argc, argv);
    hc_die("usage: ingest_load enroll|report ... (see the top of bench/tools/ingest_load.c)");
    return 2;
}
