/* ingest.c -- POST /api/v1/agent/report: an agent's facts and metrics.
 *
 * The whole request is checked before anything is stored: a malformed
 * report in a batch rejects the batch (400, with the report index and the
 * reason). Then each report, oldest first, in a short transaction of its own:
 *   - is skipped when its sequence number is not above the host's last one
 *     (a replay of what already arrived);
 *   - updates last_seen_at and the latest CPU/memory/disk figures;
 *   - merges its facts into the host row (facts.c), which never touches a
 *     field a user edited by hand;
 * and before that transaction its metrics go to the host's RRD series
 * (tsdb.h: journaled and queued, so they survive a crash of cairnd once
 * tsdb_write() returns; a sample that could not be journaled answers 500
 * and the agent resends the report, whose samples that did get in are then
 * skipped by time).
 * The host is the one the agent token belongs to, whatever the report says
 * its name is. Reports are telemetry, not changes by a person: they are not
 * written to the audit log (fact changes are kept in host_fact_history).
 */
#include "monitor/ingest.h"

#include "app.h"
#include "common/log.h"
#include "common/util.h"
#include "monitor/facts.h"
#include "monitor/report.h"
#include "monitor/tsdb.h"
#include "store/db.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define MAX_BATCH 500

/* ---- storing --------------------------------------------------------------- */

static bool is_num(const json_t *v)
{
    return json_is_number(v) && isfinite(json_number_value(v));
}

static double num(const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return is_num(v) ? json_number_value(v) : NAN;
}

/* Write m's samples (one tsdb_write_set call, so one journal write for a
 * typical report). Returns 0, or -1 when some could not be stored now
 * (tsdb returned -2: the report must not be answered 200). A sample that
 * can never be stored (e.g. a name too long) is logged and left out. */
static int write_series(int64_t host, int64_t t, const json_t *m)
{
    static const struct {
        const char *list, *key, *kind;
        const char *const *ds;
    } sets[] = {{"filesystems", "mount", "fs", report_fs_keys},
                {"disks", "name", "disk", report_disk_keys},
                {"nics", "name", "net", report_nic_keys}};
    char err[300];
    tsdb_sample stack[8], *set = stack;
    int res[8], *rs = res, n = 1, rc = -1;
    size_t want = 1;
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        want += json_array_size(json_object_get(m, sets[s].list));
    if (want > sizeof stack / sizeof stack[0]) {
        set = malloc(want * sizeof *set);
        rs = malloc(want * sizeof *rs);
        if (!set || !rs)
            goto out;
    }
    json_t *cpu = json_object_get(m, "cpu"), *mem = json_object_get(m, "memory"),
           *swap = json_object_get(m, "swap"), *load = json_object_get(m, "load"),
           *tcp = json_object_get(m, "tcp");
    set[0] = (tsdb_sample){.kind = "host", .name = "", .values = {
        num(cpu, "user"), num(cpu, "system"), num(cpu, "iowait"), num(cpu, "steal"), num(cpu, "idle"),
        load ? json_number_value(json_array_get(load, 0)) : NAN,
        load ? json_number_value(json_array_get(load, 1)) : NAN,
        load ? json_number_value(json_array_get(load, 2)) : NAN,
        num(mem, "used"), num(mem, "available"), num(mem, "buffers"), num(mem, "cached"),
        num(swap, "used"), num(tcp, "established"), num(m, "processes"), num(m, "uptime")}};
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(m, sets[s].list), i, x) {
            tsdb_sample *o = &set[n++];
            const char *name = json_string_value(json_object_get(x, sets[s].key));
            int d = 0;
            *o = (tsdb_sample){.kind = sets[s].kind, .name = name ? name : ""};
            for (const char *const *k = sets[s].ds; *k && d < TSDB_MAX_DS; k++)
                o->values[d++] = num(x, *k);
        }
    }
    rc = tsdb_write_set(host, t, set, n, rs, err, sizeof err);
    for (int i = 0; i < n && rc == 0; i++)
        if (rs[i] < 0) {
            char q[300];
            log_warn("tsdb_write_failed", "host=%lld kind=%s name=%s err=\"%s\"", (long long)host, set[i].kind,
                     log_kv_str(q, sizeof q, set[i].name), err);
        }
    if (rc < 0)
        log_warn("tsdb_write_failed", "host=%lld err=\"%s\"", (long long)host, err);
out:
    if (set != stack)
        free(set);
    if (rs != res)
        free(rs);
    return rc < 0 ? -1 : 0;
}

/* The dashboard's figures: CPU busy %, memory used %, fullest filesystem %. */
static void latest_figures(const json_t *m, double *cpu, double *mem, double *disk, double *load1)
{
    double idle = num(json_object_get(m, "cpu"), "idle");
    *cpu = isnan(idle) ? NAN : 100.0 - idle;
    json_t *mo = json_object_get(m, "memory");
    double total = num(mo, "total"), avail = num(mo, "available");
    *mem = total > 0 && !isnan(avail) ? 100.0 * (total - avail) / total : NAN;
    *disk = NAN;
    size_t i;
    json_t *fs;
    json_array_foreach(json_object_get(m, "filesystems"), i, fs) {
        double u = num(fs, "used"), f = num(fs, "free");
        if (u + f > 0 && (isnan(*disk) || 100.0 * u / (u + f) > *disk))
            *disk = 100.0 * u / (u + f);
    }
    json_t *load = json_object_get(m, "load");
    *load1 = load ? json_number_value(json_array_get(load, 0)) : NAN;
}

static db_val real_or_null(double v)
{
    return isnan(v) ? DB_NULLV : DB_REAL(v);
}

/* Store one checked report. Returns 1 stored, 0 skipped, -1 database
 * error, -2 when its samples could not be journaled.
 * Duplicates (a replay of what already arrived) are recognised by the
 * agent's sequence number, which only grows, even across agent restarts;
 * the collection time is not used for that because the host's clock may be
 * stepped back. A re-enrolled agent starts again from 1 (enroll resets it). */
static int store_report(app *a, db_conn *c, int64_t host, const json_t *rep, int64_t *interval)
{
    int64_t t = json_integer_value(json_object_get(rep, "time"));
    json_t *seqv = json_object_get(rep, "seq"), *row = NULL;
    json_t *m = json_object_get(rep, "metrics"), *facts = json_object_get(rep, "facts");
    int64_t seq = json_is_integer(seqv) ? json_integer_value(seqv) : 0;
    double cpu = NAN, mem = NAN, disk = NAN, load1 = NAN;
    latest_figures(m, &cpu, &mem, &disk, &load1);
    json_t *iv = json_object_get(rep, "interval");
    const char *av = json_string_value(json_object_get(rep, "agent_version"));
    /* The samples first, with no database lock held: once they are
     * journaled the report may be claimed (a replayed duplicate's samples
     * are skipped by time). Then one UPDATE claims the report (the seq test
     * makes a replayed duplicate match no row), in one short transaction
     * with the merge of its facts when it has some. One agent never has two reports in flight, so a host's files
     * see its samples in order. */
    if (m && write_series(host, t, m) < 0)
        return -2;
    /* Without facts the claim is one statement, atomic on its own: no
     * BEGIN/COMMIT round (it is most reports). */
    bool tx = facts != NULL;
    if (tx && db_begin(c) != DB_OK)
        return -1;
    int rc = db_query_one(c,
                          "UPDATE hosts SET last_seen_at = $1, last_report_time = $2, agent_interval = $3, "
                          "agent_version = $4, cpu_pct = $5, mem_pct = $6, disk_pct = $7, load1 = $8, "
                          "last_seq = CASE WHEN $10 > last_seq THEN $10 ELSE last_seq END "
                          "WHERE id = $9 AND ($10 = 0 OR last_seq < $10) RETURNING agent_interval",
                          DB_ARGS(DB_INT(util_now()), DB_INT(t), DB_INT(iv ? json_integer_value(iv) : 60),
                                  DB_TEXT(av ? av : ""), real_or_null(cpu), real_or_null(mem), real_or_null(disk),
                                  real_or_null(load1), DB_INT(host), DB_INT(seq)),
                          &row);
    if (rc == DB_NOTFOUND) {
        db_rollback(c);
        return 0;
    }
    if (rc != DB_OK || (tx && (facts_merge(a, c, host, facts) != DB_OK || db_commit(c) != DB_OK))) {
        json_decref(row);
        db_rollback(c);
        return -1;
    }
    *interval = json_integer_value(json_object_get(row, "agent_interval"));
    json_decref(row);
    return 1;
}

/* Each thread that inflates bodies keeps one inflate stream, reset per
 * body, and one output buffer: inflateInit2 allocated a 32 KiB window per
 * body and the output buffer was a large malloc per report (together 7% of
 * a report's CPU, much of it in malloc_consolidate). A buffer that grew past
 * KEEP_MAX is given back after use. The key's destructor frees a thread's
 * state when the thread exits. */
enum { KEEP_MAX = 1 << 20 };

typedef struct {
    z_stream zs;
    char *buf;
    size_t cap;
} inflater;

static pthread_key_t inf_key;
static pthread_once_t inf_once = PTHREAD_ONCE_INIT;
static bool inf_key_ok;

static void inflater_free(void *p)
{
    inflater *f = p;
    inflateEnd(&f->zs);
    free(f->buf);
    free(f);
}

static void inf_key_init(void)
{
    inf_key_ok = pthread_key_create(&inf_key, inflater_free) == 0;
}

/* This thread's inflater, reset for a new gzip body; NULL when out of
 * memory. */
static inflater *thread_inflater(void)
{
    pthread_once(&inf_once, inf_key_init);
    inflater *f = inf_key_ok ? pthread_getspecific(inf_key) : NULL;
    if (f)
        return inflateReset(&f->zs) == Z_OK ? f : NULL;
    f = calloc(1, sizeof *f);
    if (!f || inflateInit2(&f->zs, 16 + MAX_WBITS) != Z_OK) {
        free(f);
        return NULL;
    }
    if (!inf_key_ok || pthread_setspecific(inf_key, f) != 0) {
        inflater_free(f);
        return NULL;
    }
    return f;
}

/* Inflate a gzip body into this thread's buffer (valid until the thread's
 * next gunzip or gunzip_done, not to be freed); NULL when it is not valid
 * gzip, is over limit or memory runs out. */
static char *gunzip(const char *in, size_t len, size_t limit, size_t *outlen)
{
    inflater *f = thread_inflater();
    if (!f)
        return NULL;
    z_stream *zp = &f->zs;
    size_t want = len * 4 + 1024 > limit ? limit : len * 4 + 1024;
    if (f->cap < want) {
        char *p = realloc(f->buf, want + 1);
        if (!p)
            return NULL;
        f->buf = p;
        f->cap = want;
    }
    zp->next_in = (Bytef *)(uintptr_t)in;
    zp->avail_in = (uInt)len;
    for (;;) {
        zp->next_out = (Bytef *)f->buf + zp->total_out;
        zp->avail_out = (uInt)(f->cap - zp->total_out);
        int rc = inflate(zp, Z_NO_FLUSH);
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return NULL;
        if (zp->avail_out == 0) {
            if (f->cap >= limit)
                return NULL;
            size_t cap = f->cap * 2 > limit ? limit : f->cap * 2;
            char *p = realloc(f->buf, cap + 1);
            if (!p)
                return NULL;
            f->buf = p;
            f->cap = cap;
        } else if (rc == Z_BUF_ERROR) {
            return NULL; /* truncated input */
        }
    }
    *outlen = zp->total_out;
    f->buf[*outlen] = '\0';
    return f->buf;
}

/* Give back this thread's output buffer if it grew past KEEP_MAX. */
static void gunzip_done(void)
{
    inflater *f = inf_key_ok ? pthread_getspecific(inf_key) : NULL;
    if (f && f->cap > KEEP_MAX) {
        free(f->buf);
        f->buf = NULL;
        f->cap = 0;
    }
}

/* The request body as a JSON value (handles gzip). Answers 400 on error. */
static json_t *report_body(http_req *r, http_resp *w)
{
    const char *enc = req_header(r, "Content-Encoding");
    const char *ct = req_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/json", 16) != 0) {
        resp_error(w, 415, "unsupported_media_type", NULL, "send the report as application/json");
        return NULL;
    }
    const char *body = r->body ? r->body : "";
    size_t len = r->body_len;
    char *inflated = NULL;
    if (enc && strcmp(enc, "gzip") == 0) {
        inflated = gunzip(body, len, 16u << 20, &len);
        if (!inflated) {
            resp_error(w, 400, "bad_request", NULL, "the gzip body is damaged or inflates past 16 MiB");
            return NULL;
        }
        body = inflated;
    } else if (enc && strcmp(enc, "identity") != 0) {
        resp_error(w, 415, "unsupported_media_type", NULL, "Content-Encoding must be gzip or identity");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (inflated)
        gunzip_done();
    if (!j)
        resp_error(w, 400, "bad_request", NULL, "malformed JSON at line %d: %s", je.line, je.text);
    return j;
}

void ingest_report(http_req *r, http_resp *w)
{
    json_t *j = report_body(r, w), *list = NULL;
    db_conn *c = NULL;
    char why[256];
    const char *why_fail = NULL;
    int accepted = 0, skipped = 0;
    r->audit.skip = true;
    if (!j)
        return;
    if (json_is_object(j) && json_object_get(j, "reports")) {
        list = json_incref(json_object_get(j, "reports"));
        if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > MAX_BATCH) {
            resp_error(w, 400, "bad_request", "reports", "reports must be an array of 1 to %d reports", MAX_BATCH);
            goto done;
        }
    } else {
        list = json_pack("[O]", j);
    }
    size_t i;
    json_t *rep;
    json_array_foreach(list, i, rep)
        if (!report_check(rep, why, sizeof why)) {
            resp_error(w, 400, "bad_request", NULL, "report %zu: %s", i, why);
            goto done;
        }
    c = db_acquire(r->app->db);
    int64_t interval = 60;
    json_array_foreach(list, i, rep) {
        /* Each report is stored on its own: a failure answers 500 and the
         * agent resends the batch; what was stored is then skipped by seq. */
        int rc = store_report(r->app, c, r->auth.host_id, rep, &interval);
        if (rc == -2)
            why_fail = "cannot journal the report's samples (see the log)";
        if (rc < 0)
            goto fail;
        rc ? accepted++ : skipped++;
    }
    /* Nothing new stored (a replay): answer the interval on record, not the
     * default, since an agent adopts the interval of a 200 (docs/AGENT.md). */
    if (accepted == 0)
        db_query_int(c, "SELECT agent_interval FROM hosts WHERE id = $1", DB_ARGS(DB_INT(r->auth.host_id)),
                     &interval);
    resp_json(w, 200, json_pack("{s:i, s:i, s:I}", "accepted", accepted, "skipped", skipped, "interval",
                                (json_int_t)interval));
    goto done;
fail:
    resp_internal(w, why_fail ? why_fail : c ? db_errmsg(c) : "ingest");
done:
    if (c)
        db_release(c);
    json_decref(list);
    json_decref(j);
}
