/* main.c -- cairn-agent: flags, the collect/send loop, signals.
 *
 * One thread. Every interval (monotonic clock, no drift) the metric
 * collectors run, rates are computed against the previous sample, and one
 * report is built. It is sent at once when the spool is empty and no retry
 * is pending; otherwise it joins the spool, which is replayed oldest first
 * in batches whenever the retry time comes (exponential backoff with
 * jitter). Facts are re-read every 5 minutes or when the set of
 * filesystems, disks or NICs changes, and sent when they differ from the
 * last facts sent, or hourly.
 *
 * Signals are blocked and read from a signalfd, polled with the Prometheus
 * socket: SIGTERM/SIGINT stop after the send in progress (every report is
 * either delivered or already in the spool, so nothing is lost), SIGHUP
 * re-reads the config file. Modes besides the daemon: --once (two samples
 * one second apart, one report with facts on stdout, no server), --version,
 * and the hidden --bench N (N collections back to back, CPU use on stdout).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/enroll.h"
#include "agent/procfile.h"
#include "agent/prom.h"
#include "agent/report.h"
#include "agent/send.h"
#include "agent/spool.h"
#include "agent/state.h"
#include "common/log.h"
#include "common/util.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif

#define SCRATCH (64 * 1024)
#define FACTS_CHECK_MS (300 * 1000.0)
#define FACTS_RESEND_MS (3600 * 1000.0)
#define BATCH_MAX 500
#define BATCH_BYTES (1024 * 1024)

typedef struct {
    ag_conf conf;
    const char *config_path;
    int argc;
    char **argv;
    int interval; /* in force: the configured one or cairnd's */

    ag_ctx ctx;
    ag_disk_cache dcache;
    ag_sample *prev, *cur;
    bool have_prev;
    ag_rates *rates;
    ag_facts *facts;
    uint64_t shape, facts_hash, facts_hash_sent;
    double facts_checked_ms, facts_sent_ms;
    bool facts_ever_sent;
    sbuf report;

    ag_http http;
    bool http_ok;
    char server_host[256], server_port[16];
    char token[256];
    ag_spool spool;
    ag_seq seq;
    int failures;
    double next_send_ms;
    size_t batch_max;
    uint64_t rng;
    bool warned_no_enroll;

    int sig_fd, prom_fd;
    bool stop, reload;
    ag_prom_info info;
} agent;

static const struct {
    const char *flag, *key;
} flag_keys[] = {
    {"--server", "server"}, {"--enroll-token", "enroll_token"},
    {"--enroll-token-file", "enroll_token_file"}, {"--state-dir", "state_dir"},
    {"--interval", "interval"}, {"--spool-max", "spool_max"}, {"--prometheus", "prometheus"},
    {"--ca-file", "ca_file"}, {"--log-level", "log_level"}, {"--tcp-states", "tcp_states"},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cairn-agent [--config FILE] [--server URL] [--enroll-token TOKEN]\n"
            "                   [--state-dir DIR] [--interval SECONDS] [--spool-max N]\n"
            "                   [--prometheus ADDR:PORT] [--ca-file FILE] [--log-level LEVEL]\n"
            "                   [--tcp-states summary|full]\n"
            "       cairn-agent --once     one report (with facts) as JSON on stdout\n"
            "       cairn-agent --version\n"
            "The config file takes the same keys as the flags: key = value.\n");
}

/* The value of flag argv[*i] ("--x v" or "--x=v"), advancing *i. */
static const char *flag_value(int argc, char **argv, int *i, const char *flag)
{
    size_t n = strlen(flag);
    if (strncmp(argv[*i], flag, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], flag) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

/* Defaults, then the config file, then the command line's settings. */
static int load_conf(agent *a, ag_conf *c, char *err, size_t errcap)
{
    ag_conf_defaults(c);
    if (a->config_path && ag_conf_file(c, a->config_path, err, errcap) != 0)
        return -1;
    for (int i = 1; i < a->argc; i++) {
        for (size_t k = 0; k < sizeof flag_keys / sizeof flag_keys[0]; k++) {
            const char *v = flag_value(a->argc, a->argv, &i, flag_keys[k].flag);
            if (v) {
                if (ag_conf_set(c, flag_keys[k].key, v, err, errcap) != 0)
                    return -1;
                break;
            }
        }
    }
    ag_conf_env(c);
    return 0;
}

static void kv(char *out, size_t cap, const char *s) { log_kv_str(out, cap, s); }

/* ---- collection --------------------------------------------------------- */

static uint64_t shape_of(const ag_sample *m)
{
    uint64_t h = ag_hash(&m->nfs, sizeof m->nfs) ^ ag_hash(&m->ndisk, sizeof m->ndisk) * 3 ^
                 ag_hash(&m->nnic, sizeof m->nnic) * 7;
    for (int i = 0; i < m->nfs; i++)
        h = h * 31 + ag_hash(m->fs[i].mount, strlen(m->fs[i].mount));
    for (int i = 0; i < m->ndisk; i++)
        h = h * 31 + ag_hash(m->disks[i].name, strlen(m->disks[i].name));
    for (int i = 0; i < m->nnic; i++)
        h = h * 31 + ag_hash(m->nics[i].name, strlen(m->nics[i].name));
    return h;
}

/* Collect one sample into a->cur (after swapping) and compute rates. */
static void sample(agent *a)
{
    ag_sample *t = a->prev;
    a->prev = a->cur;
    a->cur = t;
    a->ctx.m = a->cur;
    double t0 = util_mono_ms();
    ag_collect(&a->ctx, AG_METRIC);
    a->info.last_collect_seconds = (util_mono_ms() - t0) / 1000.0;
    a->info.collections++;
    ag_rates_compute(a->have_prev ? a->prev : NULL, a->cur, a->rates);
    a->have_prev = true;
}

static uint64_t facts_hash(const ag_facts *f);

static void collect_facts(agent *a)
{
    a->ctx.f = a->facts;
    a->ctx.server_host = a->server_host[0] ? a->server_host : NULL;
    a->ctx.server_port = a->server_port;
    ag_collect(&a->ctx, AG_FACT);
    a->facts_hash = facts_hash(a->facts);
}

static uint64_t facts_hash(const ag_facts *f)
{
    sbuf h = SBUF_INIT;
    ag_facts_json(&h, f, CAIRN_VERSION, true);
    uint64_t v = sbuf_failed(&h) ? 0 : ag_hash(sbuf_str(&h), h.len);
    sbuf_free(&h);
    return v;
}

/* Decide whether this report carries facts, re-reading them when due (every
 * FACTS_CHECK_MS, or when the set of filesystems, disks or NICs changed). */
static bool facts_due(agent *a, double now)
{
    uint64_t shape = shape_of(a->cur);
    if (now - a->facts_checked_ms >= FACTS_CHECK_MS || shape != a->shape) {
        if (a->shape != 0 || now - a->facts_checked_ms >= FACTS_CHECK_MS)
            collect_facts(a);
        a->facts_checked_ms = now;
        a->shape = shape;
    }
    return !a->facts_ever_sent || a->facts_hash != a->facts_hash_sent || now - a->facts_sent_ms >= FACTS_RESEND_MS;
}

/* ---- sending ------------------------------------------------------------ */

static void schedule_retry(agent *a, long retry_after)
{
    a->failures++;
    a->info.send_failures++;
    double d = ag_backoff(a->failures, &a->rng);
    if (retry_after > d)
        d = (double)retry_after;
    a->next_send_ms = util_mono_ms() + d * 1000.0;
    log_debug("retry scheduled", "failures=%d in_s=%.1f", a->failures, d);
}

static void sent_ok(agent *a, const ag_http_resp *r, size_t n)
{
    a->failures = 0;
    a->next_send_ms = 0;
    a->info.reports_sent += n;
    long acc, skip;
    int iv;
    if (ag_report_answer(r->body, &acc, &skip, &iv) == 0 && iv > 0 && !a->conf.interval_set &&
        iv != a->interval) {
        log_info("interval set by cairnd", "interval=%d", iv);
        a->interval = iv;
    }
}

static void refused(agent *a, const ag_http_resp *r, const char *what)
{
    char b[600];
    kv(b, sizeof b, r->status ? r->body : r->error);
    log_warn(what, "status=%ld reason=%s", r->status, b);
    if (r->status == 401 || r->status == 403) {
        /* Revoked? An admin re-enrolls the host by deleting STATE/token. */
        char t[256];
        if (ag_token_load(a->conf.state_dir, t, sizeof t) != 0)
            a->token[0] = '\0';
        else
            memcpy(a->token, t, sizeof t);
    }
}

static bool refused_for_good(long st) { return st == 400 || st == 413 || st == 422; }

static void spool_report(agent *a, uint64_t seq)
{
    if (ag_spool_put(&a->spool, seq, sbuf_str(&a->report), a->report.len) != 0)
        log_error("report lost: spool not writable", "seq=%" PRIu64 " errno=%d", seq, errno);
}

/* Enroll when there is no host token. Returns true when there is one. */
static bool ensure_token(agent *a)
{
    if (a->token[0])
        return true;
    if (!a->conf.enroll_token[0]) {
        if (!a->warned_no_enroll)
            log_error("no host token and no enrollment token",
                      "hint=\"give --enroll-token, enroll_token in the config or CAIRN_ENROLL_TOKEN\"");
        a->warned_no_enroll = true;
        schedule_retry(a, 0);
        return false;
    }
    ag_enrollment e;
    ag_http_resp r;
    long st = ag_enroll(&a->http, a->conf.enroll_token, a->facts, CAIRN_VERSION, &e, &r);
    if (st != 201) {
        refused(a, &r, st == 401 ? "enrollment token refused" : "enrollment failed");
        schedule_retry(a, r.retry_after);
        return false;
    }
    if (ag_token_save(a->conf.state_dir, e.token) != 0)
        log_error("host token not saved: the agent will enroll again after a restart", "errno=%d", errno);
    pf_copy(a->token, sizeof a->token, e.token);
    if (e.interval > 0 && !a->conf.interval_set)
        a->interval = e.interval;
    log_info("enrolled", "host_id=%ld", e.host_id);
    a->failures = 0;
    a->next_send_ms = 0;
    return true;
}

static void drain_signals(agent *a)
{
    struct signalfd_siginfo si;
    while (read(a->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGHUP)
            a->reload = true;
        else
            a->stop = true;
    }
}

/* Replay the spool oldest first while cairnd takes it. */
static void replay(agent *a)
{
    sbuf body = SBUF_INIT;
    while (!a->stop && ag_spool_count(&a->spool) > 0) {
        int n = ag_spool_batch(&a->spool, a->batch_max, BATCH_BYTES, &body);
        if (n <= 0) {
            if (n < 0)
                log_error("spool replay: out of memory", NULL);
            break;
        }
        ag_http_resp r;
        long st = ag_http_post(&a->http, "/api/v1/agent/report", a->token, sbuf_str(&body), body.len,
                               true, &r);
        if (st == 200) {
            ag_spool_ack(&a->spool, (size_t)n);
            sent_ok(a, &r, (size_t)n);
            if (a->batch_max < BATCH_MAX)
                a->batch_max = a->batch_max * 2 > BATCH_MAX ? BATCH_MAX : a->batch_max * 2;
            log_debug("spool replayed", "reports=%d left=%zu", n, ag_spool_count(&a->spool));
        } else if (refused_for_good(st) && n > 1) {
            a->batch_max = (size_t)n / 2; /* narrow down to the bad report */
        } else if (refused_for_good(st)) {
            refused(a, &r, "spooled report refused, dropped");
            ag_spool_discard(&a->spool, 1);
        } else {
            refused(a, &r, "replay failed");
            schedule_retry(a, r.retry_after);
            break;
        }
        drain_signals(a);
    }
    sbuf_free(&body);
}

/* Collect, build the report, and send or spool it. */
static void tick(agent *a)
{
    sample(a);
    double now = util_mono_ms();
    bool with_facts = facts_due(a, now);
    ag_report_meta meta = {a->cur->time, 0, a->interval, 0, CAIRN_VERSION};
    if (ag_seq_next(&a->seq, &meta.seq) != 0)
        log_warn("sequence reservation not saved", "errno=%d", errno);
    meta.dropped = ag_spool_take_dropped(&a->spool);
    ag_sbuf_reset(&a->report);
    if (ag_report_json(&a->report, &meta, with_facts ? a->facts : NULL, a->cur, a->rates) != 0) {
        log_error("report not built: out of memory", NULL);
        ag_spool_add_dropped(&a->spool, 1 + meta.dropped);
        return;
    }
    if (with_facts) {
        a->facts_ever_sent = true;
        a->facts_hash_sent = a->facts_hash;
        a->facts_sent_ms = now;
    }
    if (!a->token[0] || ag_spool_count(&a->spool) > 0 || now < a->next_send_ms) {
        spool_report(a, meta.seq);
        return;
    }
    ag_http_resp r;
    long st = ag_http_post(&a->http, "/api/v1/agent/report", a->token, sbuf_str(&a->report),
                           a->report.len, true, &r);
    if (st == 200) {
        sent_ok(a, &r, 1);
    } else if (refused_for_good(st)) {
        refused(a, &r, "report refused, dropped");
        ag_spool_add_dropped(&a->spool, 1 + meta.dropped);
    } else {
        refused(a, &r, "report not delivered, spooled");
        spool_report(a, meta.seq);
        schedule_retry(a, r.retry_after);
    }
}

/* ---- setup, reload, modes ----------------------------------------------- */

static int setup_http(agent *a)
{
    char err[256];
    ag_http_free(&a->http);
    a->http_ok = ag_http_init(&a->http, a->conf.server, a->conf.ca_file[0] ? a->conf.ca_file : NULL,
                              err, sizeof err) == 0;
    if (!a->http_ok) {
        log_error("server unusable", "reason=\"%s\"", err);
        return -1;
    }
    if (ag_url_host_port(a->conf.server, a->server_host, sizeof a->server_host, a->server_port,
                         sizeof a->server_port) != 0)
        a->server_host[0] = '\0';
    if (strncmp(a->conf.server, "http://", 7) == 0 && strcmp(a->server_host, "127.0.0.1") != 0 &&
        strcmp(a->server_host, "localhost") != 0 && strcmp(a->server_host, "::1") != 0)
        log_warn("server is plain http: the host token travels in clear text", NULL);
    return 0;
}

static void setup_prom(agent *a)
{
    if (a->prom_fd >= 0)
        close(a->prom_fd);
    a->prom_fd = -1;
    if (!a->conf.prometheus[0])
        return;
    char err[256], b[200];
    a->prom_fd = ag_prom_listen(a->conf.prometheus, err, sizeof err);
    kv(b, sizeof b, a->conf.prometheus);
    if (a->prom_fd < 0)
        log_error("prometheus listener not started", "addr=%s reason=\"%s\"", b, err);
    else if (!ag_prom_is_loopback(a->prom_fd))
        log_warn("prometheus listener is not on loopback: anyone who can reach it reads the metrics",
                 "addr=%s", b);
    else
        log_info("prometheus listener started", "addr=%s", b);
}

static void do_reload(agent *a)
{
    ag_conf nc;
    char err[512];
    if (load_conf(a, &nc, err, sizeof err) != 0) {
        log_error("config not reloaded", "reason=\"%s\"", err);
        return;
    }
    ag_conf old = a->conf;
    a->conf = nc;
    log_set_level((log_level)log_level_parse(nc.log_level));
    if (strcmp(old.state_dir, nc.state_dir) != 0) {
        log_warn("state_dir changes need a restart", NULL);
        pf_copy(a->conf.state_dir, sizeof a->conf.state_dir, old.state_dir);
    }
    if (!nc.server[0]) {
        log_warn("server removed from config: keeping the previous one", NULL);
        pf_copy(a->conf.server, sizeof a->conf.server, old.server);
    }
    if (strcmp(old.server, a->conf.server) != 0 || strcmp(old.ca_file, nc.ca_file) != 0)
        setup_http(a);
    if (strcmp(old.prometheus, nc.prometheus) != 0)
        setup_prom(a);
    ag_spool_set_max(&a->spool, (size_t)nc.spool_max);
    if (nc.interval_set || old.interval_set)
        a->interval = nc.interval; /* else keep what cairnd asked for */
    a->ctx.tcp_full = nc.tcp_full;
    if (ag_token_load(a->conf.state_dir, a->token, sizeof a->token) != 0)
        a->token[0] = '\0';
    a->warned_no_enroll = false;
    a->next_send_ms = 0;
    log_info("config reloaded", "interval=%d spool_max=%ld", a->interval, nc.spool_max);
}

static int prom_body(sbuf *out, void *arg)
{
    agent *a = arg;
    a->info.spool_files = ag_spool_count(&a->spool);
    return ag_prom_text(out, a->cur, &a->info);
}

static int run_daemon(agent *a)
{
    char b1[600], b2[600];
    if (!a->conf.server[0]) {
        fprintf(stderr, "cairn-agent: no server: give --server URL (or server = in the config), or use --once\n");
        return 2;
    }
    if (mkdir(a->conf.state_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cairn-agent: cannot create state directory %s: %s\n", a->conf.state_dir, strerror(errno));
        return 1;
    }
    if (ag_spool_open(&a->spool, a->conf.state_dir, (size_t)a->conf.spool_max) != 0) {
        fprintf(stderr, "cairn-agent: cannot open spool in %s: %s\n", a->conf.state_dir, strerror(errno));
        return 1;
    }
    if (ag_seq_open(&a->seq, a->conf.state_dir, ag_spool_last_seq(&a->spool) + 1) != 0)
        log_warn("sequence reservation not saved", "errno=%d", errno);
    if (setup_http(a) != 0)
        return 1;
    ag_token_load(a->conf.state_dir, a->token, sizeof a->token);
    setup_prom(a);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    a->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (a->sig_fd < 0) {
        log_error("signalfd failed", "errno=%d", errno);
        return 1;
    }
    kv(b1, sizeof b1, a->conf.server);
    kv(b2, sizeof b2, a->conf.state_dir);
    log_info("cairn-agent started", "version=%s server=%s state_dir=%s interval=%d spooled=%zu enrolled=%s",
             CAIRN_VERSION, b1, b2, a->interval, ag_spool_count(&a->spool), a->token[0] ? "yes" : "no");

    collect_facts(a);
    a->facts_checked_ms = util_mono_ms();
    double next_collect = util_mono_ms();
    while (!a->stop) {
        if (a->reload) {
            a->reload = false;
            do_reload(a);
        }
        double now = util_mono_ms();
        if (now >= next_collect) {
            tick(a);
            next_collect += a->interval * 1000.0;
            if (next_collect <= util_mono_ms())
                next_collect = util_mono_ms() + a->interval * 1000.0;
        }
        drain_signals(a);
        now = util_mono_ms();
        bool pending = !a->token[0] || ag_spool_count(&a->spool) > 0;
        if (!a->stop && pending && now >= a->next_send_ms && ensure_token(a))
            replay(a);
        pending = !a->token[0] || ag_spool_count(&a->spool) > 0;
        double wake = next_collect;
        if (pending && a->next_send_ms < wake)
            wake = a->next_send_ms;
        double wait = wake - util_mono_ms();
        struct pollfd pf[2] = {{a->sig_fd, POLLIN, 0}, {a->prom_fd, POLLIN, 0}};
        int np = a->prom_fd >= 0 ? 2 : 1;
        int r = poll(pf, (nfds_t)np, wait <= 0 ? 0 : (int)(wait + 1));
        if (r > 0 && (pf[0].revents & POLLIN))
            drain_signals(a);
        if (r > 0 && np == 2 && (pf[1].revents & POLLIN))
            ag_prom_serve(a->prom_fd, prom_body, a);
    }
    log_info("cairn-agent stopped", "spooled=%zu", ag_spool_count(&a->spool));
    return 0;
}

/* --once: facts, two samples a second apart, one pretty report. */
static int run_once(agent *a)
{
    if (a->conf.server[0])
        ag_url_host_port(a->conf.server, a->server_host, sizeof a->server_host, a->server_port,
                         sizeof a->server_port);
    collect_facts(a);
    sample(a);
    sleep(1);
    sample(a);
    ag_report_meta meta = {a->cur->time, 0, a->interval, 0, CAIRN_VERSION};
    if (ag_report_json(&a->report, &meta, a->facts, a->cur, a->rates) != 0) {
        fprintf(stderr, "cairn-agent: out of memory\n");
        return 1;
    }
    json_error_t err;
    json_t *j = json_loadb(sbuf_str(&a->report), a->report.len, 0, &err);
    if (!j || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12)) != 0)
        fputs(sbuf_str(&a->report), stdout);
    json_decref(j);
    fputc('\n', stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* --bench N: N metric collections, each with rates and a JSON report, back
 * to back; prints CPU seconds per collection (user + system). */
static int run_bench(agent *a, long n)
{
    collect_facts(a);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = util_mono_ms();
    for (long i = 0; i < n; i++) {
        sample(a);
        ag_report_meta meta = {a->cur->time, (uint64_t)i, a->interval, 0, CAIRN_VERSION};
        ag_sbuf_reset(&a->report);
        if (ag_report_json(&a->report, &meta, NULL, a->cur, a->rates) != 0)
            return 1;
    }
    double wall = util_mono_ms() - t0;
    getrusage(RUSAGE_SELF, &r1);
    double ut = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6;
    double st = (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    printf("collections=%ld user_s=%.6f sys_s=%.6f cpu_per_collection_us=%.1f wall_per_collection_us=%.1f "
           "maxrss_kb=%ld report_bytes=%zu\n",
           n, ut, st, (ut + st) / (double)n * 1e6, wall / (double)n * 1e3, r1.ru_maxrss, a->report.len);
    return 0;
}

int main(int argc, char **argv)
{
    agent *a = calloc(1, sizeof *a);
    char *scratch = malloc(SCRATCH);
    int rc = 1;
    long bench = 0;
    bool once = false;
    if (!a || !scratch) {
        fprintf(stderr, "cairn-agent: out of memory\n");
        goto out;
    }
    a->argc = argc;
    a->argv = argv;
    a->sig_fd = a->prom_fd = -1;
    a->batch_max = BATCH_MAX;
    a->rng = ag_rng_seed();
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--version") == 0) {
            printf("cairn-agent %s\n", CAIRN_VERSION);
            rc = 0;
            goto out;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            rc = 0;
            goto out;
        } else if (strcmp(argv[i], "--once") == 0) {
            once = true;
        } else if ((v = flag_value(argc, argv, &i, "--bench"))) {
            bench = strtol(v, NULL, 10);
        } else if ((v = flag_value(argc, argv, &i, "--config"))) {
            a->config_path = v;
        } else {
            bool known = false;
            for (size_t k = 0; k < sizeof flag_keys / sizeof flag_keys[0] && !known; k++)
                known = flag_value(argc, argv, &i, flag_keys[k].flag) != NULL;
            if (!known) {
                fprintf(stderr, "cairn-agent: unknown or incomplete option %s\n", argv[i]);
                usage(stderr);
                rc = 2;
                goto out;
            }
        }
    }
    char err[512];
    if (load_conf(a, &a->conf, err, sizeof err) != 0) {
        fprintf(stderr, "cairn-agent: %s\n", err);
        rc = 2;
        goto out;
    }
    log_set_level((log_level)log_level_parse(a->conf.log_level));
    a->interval = a->conf.interval;
    signal(SIGPIPE, SIG_IGN);

    a->prev = calloc(1, sizeof *a->prev);
    a->cur = calloc(1, sizeof *a->cur);
    a->rates = calloc(1, sizeof *a->rates);
    a->facts = calloc(1, sizeof *a->facts);
    if (!a->prev || !a->cur || !a->rates || !a->facts || ag_http_global_init() != 0) {
        fprintf(stderr, "cairn-agent: out of memory\n");
        goto out;
    }
    a->ctx.root = "/";
    a->ctx.buf = scratch;
    a->ctx.cap = SCRATCH;
    a->ctx.disk_cache = &a->dcache;
    a->ctx.tcp_full = a->conf.tcp_full;

    if (once)
        rc = run_once(a);
    else if (bench > 0)
        rc = run_bench(a, bench);
    else
        rc = run_daemon(a);
out:
    if (a) {
        ag_http_free(&a->http);
        ag_spool_close(&a->spool);
        if (a->sig_fd >= 0)
            close(a->sig_fd);
        if (a->prom_fd >= 0)
            close(a->prom_fd);
        sbuf_free(&a->report);
        free(a->prev);
        free(a->cur);
        free(a->rates);
        free(a->facts);
        free(a);
    }
    free(scratch);
    ag_collectors_close();
    ag_http_global_cleanup();
    return rc;
}
