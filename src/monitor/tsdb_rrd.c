/* tsdb_rrd.c -- tsdb.h on librrd's thread-safe (_r) functions.
 *
 * This file knows the files: where a series lives (tsdb_path), how a file
 * is laid out and created, and how samples are written (tsdb_rrd_put) and
 * read back. tsdb_write_set() (and tsdb_write(), a set of one) does not
 * touch the files: it formats each sample once ("t:v:v…", as librrd takes
 * it) and hands the set to the write-behind queue (tsdb_queue.c), which
 * journals it and writes each file's samples in batches, to the file or,
 * with --rrdcached, to rrdcached. Reads first flush what is queued for the
 * series they read (and have rrdcached flush the file), so a chart always
 * shows every accepted sample.
 */
#include "monitor/tsdb.h"
#include "monitor/tsdb_int.h"

#include "common/log.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STEP 60
#define HEARTBEAT 180

const tsdb_kind tsdb_kinds[] = {
    {"host", {"cpu_user", "cpu_system", "cpu_iowait", "cpu_steal", "cpu_idle", "load1", "load5",
              "load15", "mem_used", "mem_avail", "mem_buffers", "mem_cached", "swap_used",
              "tcp_estab", "procs", "uptime"}},
    {"fs", {"used", "free", "inodes_used", "inodes_free", NULL}},
    {"disk", {"read_bytes", "write_bytes", "reads", "writes", "util", NULL}},
    {"net", {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors", "tx_errors", NULL}},
    {NULL, {NULL}},
};

static char root[1024];
static char daemon_addr[1024]; /* rrdcached's address, "" = none */

static int mkdir_p(const char *path)
{
    char tmp[1100];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int tsdb_init(const char *dir, int flush_secs, const char *rrdcached)
{
    if (snprintf(root, sizeof root, "%s", dir) >= (int)sizeof root || mkdir_p(root) < 0 ||
        snprintf(daemon_addr, sizeof daemon_addr, "%s", rrdcached ? rrdcached : "") >= (int)sizeof daemon_addr)
        return -1;
    /* Not reaching rrdcached now is not fatal: the queue keeps the samples
     * (and their journal) and tries again. */
    rrd_clear_error();
    if (daemon_addr[0] && rrdc_connect(daemon_addr) != 0)
        log_warn("rrdcached_unreachable", "addr=%s err=\"%s\"", daemon_addr, rrd_get_error());
    return tsdb_queue_start(root, flush_secs);
}

/* Before reading a file: write what is queued for it, and have rrdcached
 * write what it holds for it. */
static void flush_for_read(int64_t host, const tsdb_kind *k, const char *name, const char *path)
{
    tsdb_queue_flush(host, k, name);
    rrd_clear_error();
    if (daemon_addr[0] && (rrdc_connect(daemon_addr) != 0 || rrdc_flush(path) != 0))
        log_debug("rrdcached_flush_failed", "path=%s err=\"%s\"", path, rrd_get_error());
}

void tsdb_close(void)
{
    tsdb_queue_stop(true);
}

const tsdb_kind *tsdb_find_kind(const char *kind)
{
    for (const tsdb_kind *k = tsdb_kinds; k->kind; k++)
        if (strcmp(k->kind, kind) == 0)
            return k;
    return NULL;
}

int tsdb_nds(const tsdb_kind *k)
{
    int n = 0;
    while (n < TSDB_MAX_DS && k->ds[n])
        n++;
    return n;
}

/* name → file-name part: [A-Za-z0-9.-] kept, anything else _XX. */
int tsdb_encode_name(const char *name, char *out, size_t cap)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    *p == '.' || *p == '-';
        if (o + 4 >= cap)
            return -1;
        if (keep)
            out[o++] = (char)*p;
        else
            o += (size_t)snprintf(out + o, cap - o, "_%02x", *p);
    }
    out[o] = '\0';
    return 0;
}

int tsdb_decode_name(const char *enc, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = enc; *p; p++) {
        if (o + 1 >= cap)
            return -1;
        unsigned v;
        if (*p == '_' && p[1] && p[2] && sscanf(p + 1, "%2x", &v) == 1) {
            out[o++] = (char)v;
            p += 2;
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
    return 0;
}

int tsdb_path(int64_t host, const char *kind, const char *name, char *out, size_t cap)
{
    char enc[512];
    if (strcmp(kind, "host") == 0)
        return snprintf(out, cap, "%s/%lld/host.rrd", root, (long long)host) < (int)cap ? 0 : -1;
    if (tsdb_encode_name(name, enc, sizeof enc) < 0)
        return -1;
    return snprintf(out, cap, "%s/%lld/%s-%s.rrd", root, (long long)host, kind, enc) < (int)cap ? 0 : -1;
}

/* Create the file for kind k at path, starting one step before t, so the
 * first sample (at t) fills a whole step and shows on charts (a file that
 * starts at t-1 leaves that step unknown). It is written as path.tmp and
 * renamed, so a crash while creating leaves no half-written file under the
 * series' name. */
static int create_file(const char *path, const tsdb_kind *k, int64_t t)
{
    const char *argv[TSDB_MAX_DS + 6];
    char ds[TSDB_MAX_DS][64], tmp[1300];
    int argc = 0;
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    for (int i = 0; i < tsdb_nds(k); i++) {
        snprintf(ds[i], sizeof ds[i], "DS:%s:GAUGE:%d:U:U", k->ds[i], HEARTBEAT);
        argv[argc++] = ds[i];
    }
    /* 1 min × 2 days, 5 min × 14 days, 1 h × 13 months (396 days). At one
     * primary point per row MAX equals AVERAGE, so the 1-minute archive is
     * kept once (reads of MAX at that resolution use it). */
    argv[argc++] = "RRA:AVERAGE:0.5:1:2880";
    argv[argc++] = "RRA:AVERAGE:0.5:5:4032";
    argv[argc++] = "RRA:MAX:0.5:5:4032";
    argv[argc++] = "RRA:AVERAGE:0.5:60:9504";
    argv[argc++] = "RRA:MAX:0.5:60:9504";
    rrd_clear_error();
    if (rrd_create_r(tmp, STEP, (time_t)(t - STEP), argc, argv) != 0) {
        int e = errno;
        unlink(tmp); /* what a full disk left of it */
        errno = e;
        return -1;
    }
    if (rename(tmp, path) != 0) {
        rrd_set_error("rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Write n's decimal digits (no sign) to p; returns how many (below). */
static size_t put_digits(char *p, unsigned long long n);

/* Append v to p as librrd reads it (strtod): whole numbers below 1e15
 * exactly, other values from 1e-4 up with 6 significant digits (more for
 * large ones: no exponent form), anything else with "%.6g". printf's float
 * formatting was 7% of a report's CPU. p has room for 32 bytes. */
static size_t put_value(char *p, double v)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double a = fabs(v);
    size_t o = 0;
    int d = 0;
    if (isnan(v))
        return (size_t)snprintf(p, 32, "U");
    if (!(a >= 1e-4 && a < 1e15))
        return a == 0 ? (size_t)snprintf(p, 32, "0") : (size_t)snprintf(p, 32, "%.6g", v);
    if (v < 0)
        p[o++] = '-';
    if (a >= 1) { /* k+1 digits before the point: 5-k after it */
        int k = 0;
        while (k < 15 && a >= pow10[k + 1])
            k++;
        d = a == floor(a) || k >= 5 ? 0 : 5 - k;
    } else { /* j zeros after the point, then 6 digits */
        int j = 0;
        while (a * pow10[j + 1] < 1)
            j++;
        d = j + 6;
    }
    unsigned long long m = (unsigned long long)llround(a * pow10[d]);
    o += put_digits(p + o, m / (unsigned long long)pow10[d]);
    unsigned long long frac = m % (unsigned long long)pow10[d];
    if (frac) {
        p[o++] = '.';
        for (int i = d - 1; i >= 0; i--)
            p[o++] = (char)('0' + frac / (unsigned long long)pow10[i] % 10);
        while (p[o - 1] == '0')
            o--;
    }
    return o;
}

int tsdb_format_sample(const tsdb_kind *k, int64_t t, const double *values, char *out, size_t cap)
{
    size_t o = (size_t)snprintf(out, cap, "%lld", (long long)t);
    for (int i = 0; i < tsdb_nds(k); i++) {
        if (o + 34 > cap)
            return -1;
        out[o++] = ':';
        o += put_value(out + o, values[i]);
    }
    if (o >= cap)
        return -1;
    out[o] = '\0';
    return (int)o;
}

/* The file's last update time as rrdcached sees it (its cache may be ahead
 * of the file), or the file's own without a daemon; -1 on error, -2 when
 * the daemon cannot be reached. */
static int64_t last_update(const char *path)
{
    rrd_clear_error();
    if (!daemon_addr[0])
        return (int64_t)rrd_last_r(path);
    if (rrdc_connect(daemon_addr) != 0)
        return -2;
    time_t l = rrdc_last(path);
    return l > 0 ? (int64_t)l : rrdc_is_any_connected() ? -1 : -2;
}

/* One update of n samples: to rrdcached when configured, else to the file.
 * Returns 0, -1 on an error of the update, -2 when the daemon cannot be
 * reached. */
static int update(const char *path, int n, const char **samples)
{
    rrd_clear_error();
    if (!daemon_addr[0])
        return rrd_update_r(path, NULL, n, samples) == 0 ? 0 : -1;
    if (rrdc_connect(daemon_addr) != 0)
        return -2;
    if (rrdc_update(path, n, samples) == 0)
        return 0;
    return rrdc_is_any_connected() ? -1 : -2;
}

int tsdb_rrd_put(int64_t host, const tsdb_kind *k, const char *name, const char **samples, int n,
                 int64_t *last, char *err, size_t errlen)
{
    char path[1200], dir[1100];
    int skip = 0, rc;
    if (tsdb_path(host, k->kind, name, path, sizeof path) < 0) {
        snprintf(err, errlen, "series name too long");
        return -1;
    }
    if (*last == TSDB_LAST_UNKNOWN && access(path, F_OK) != 0) {
        /* No file yet: create it to start one step before the first sample. */
        snprintf(dir, sizeof dir, "%s/%lld", root, (long long)host);
        if (errno != ENOENT || mkdir_p(dir) < 0 || create_file(path, k, strtoll(samples[0], NULL, 10)) != 0) {
            /* a full disk is worth trying again later: the samples stay
             * journaled and queued (as when rrdcached is unreachable) */
            bool full = errno == ENOSPC || errno == EDQUOT || strstr(rrd_get_error(), "No space left");
            snprintf(err, errlen, "create %s: %s", path, errno != ENOENT ? strerror(errno) : rrd_get_error());
            return full ? -2 : -1;
        }
        *last = strtoll(samples[0], NULL, 10) - STEP;
    } else if (*last == TSDB_LAST_UNKNOWN) {
        int64_t l = last_update(path);
        if (l <= 0) {
            snprintf(err, errlen, "last update of %s: %s", path, l == -2 ? "rrdcached unreachable" : rrd_get_error());
            return l == -2 ? -2 : -1;
        }
        *last = l;
    }
    /* librrd stops at the first sample not newer than the file's last one:
     * leave those out (a journal replay writes some samples twice). */
    while (skip < n && strtoll(samples[skip], NULL, 10) <= *last)
        skip++;
    if (skip == n)
        return 0;
    rc = update(path, n - skip, samples + skip);
    if (rc != 0) {
        const char *e = rrd_get_error();
        *last = TSDB_LAST_UNKNOWN; /* read it again next time */
        snprintf(err, errlen, "update %s: %s", path, rc == -2 ? "rrdcached unreachable" : e ? e : "unknown error");
        return rc;
    }
    *last = strtoll(samples[n - 1], NULL, 10);
    return 0;
}

int tsdb_write_set(int64_t host, int64_t t, const tsdb_sample *set, int n, int *res, char *err, size_t errlen)
{
    enum { CHUNK = 8 };
    char samples[CHUNK][600], path[1200];
    tsdb_item items[CHUNK];
    int failed = 0;
    for (int i0 = 0; i0 < n; i0 += CHUNK) {
        int m = 0, idx[CHUNK];
        for (int i = i0; i < n && i < i0 + CHUNK; i++) {
            const tsdb_kind *k = tsdb_find_kind(set[i].kind);
            if (res)
                res[i] = -1;
            if (!k || !set[i].name || tsdb_path(host, k->kind, set[i].name, path, sizeof path) < 0) {
                snprintf(err, errlen, "bad series %s (unknown kind or name too long)",
                         set[i].kind ? set[i].kind : "(null)");
                continue;
            }
            if (tsdb_format_sample(k, t, set[i].values, samples[m], sizeof samples[m]) < 0) {
                snprintf(err, errlen, "sample too long");
                continue;
            }
            items[m] = (tsdb_item){.k = k, .name = set[i].name, .sample = samples[m]};
            idx[m++] = i;
        }
        if (m == 0)
            continue;
        if (tsdb_queue_add(host, t, items, m, err, errlen) < 0) {
            failed = 1;
            continue;
        }
        for (int j = 0; res && j < m; j++)
            res[idx[j]] = items[j].rc;
    }
    return failed ? -2 : 0;
}

int tsdb_write(int64_t host, const char *kind, const char *name, int64_t t, const double *values,
               char *err, size_t errlen)
{
    tsdb_sample one = {.kind = kind, .name = name};
    int res = -1;
    if (tsdb_find_kind(kind))
        memcpy(one.values, values, (size_t)tsdb_nds(tsdb_find_kind(kind)) * sizeof *values);
    if (tsdb_write_set(host, t, &one, 1, &res, err, errlen) < 0)
        return -2;
    return res;
}

/* Pick the archive step from the range so a chart has at most ~1500 points. */
static unsigned long step_for(int64_t range)
{
    if (range <= 2 * 86400)
        return STEP;
    if (range <= 14 * 86400)
        return STEP * 5;
    return STEP * 60;
}

static json_t *series_head(const char *kind, const char *name)
{
    char key[600];
    snprintf(key, sizeof key, "%s%s%s", kind, *name ? ":" : "", name);
    return json_pack("{s:s, s:s, s:s}", "key", key, "kind", kind, "name", name);
}

json_t *tsdb_read(int64_t host, const char *kind, const char *name, int64_t from, int64_t to,
                  const char *cf)
{
    char path[1200];
    const tsdb_kind *k = tsdb_find_kind(kind);
    if (!k || tsdb_path(host, kind, name, path, sizeof path) < 0)
        return NULL;
    flush_for_read(host, k, name, path);
    if (access(path, R_OK) != 0)
        return NULL;
    time_t start = (time_t)from, end = (time_t)to;
    unsigned long step = step_for(to - from), ds_cnt = 0;
    char **ds_names = NULL;
    rrd_value_t *data = NULL;
    rrd_clear_error();
    if (rrd_fetch_r(path, cf, &start, &end, &step, &ds_cnt, &ds_names, &data) != 0)
        return NULL;
    json_t *out = series_head(kind, name), *ds = json_array(), *rows = json_array();
    for (unsigned long i = 0; i < ds_cnt; i++) {
        json_array_append_new(ds, json_string(ds_names[i]));
        rrd_freemem(ds_names[i]);
    }
    rrd_freemem(ds_names);
    rrd_value_t *v = data;
    for (time_t t = start + (time_t)step; t <= end; t += (time_t)step) {
        json_t *row = json_array();
        json_array_append_new(row, json_integer(t));
        for (unsigned long i = 0; i < ds_cnt; i++, v++)
            json_array_append_new(row, isnan(*v) ? json_null() : json_real(*v));
        json_array_append_new(rows, row);
    }
    rrd_freemem(data);
    json_object_set_new(out, "ds", ds);
    json_object_set_new(out, "start", json_integer(start));
    json_object_set_new(out, "step", json_integer((json_int_t)step));
    json_object_set_new(out, "rows", rows);
    return out;
}

/* A JSON string literal (escaped by jansson) for s. */
static void put_json_string(sbuf *out, const char *s)
{
    json_t *j = json_string(s);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    sbuf_puts(out, t ? t : "\"\"");
    free(t);
    json_decref(j);
}

/* Append n in decimal (digits only, no sign). */
static size_t put_digits(char *p, unsigned long long n)
{
    char tmp[24];
    size_t k = 0, len;
    do
        tmp[k++] = (char)('0' + n % 10);
    while ((n /= 10));
    for (len = 0; len < k; len++)
        p[len] = tmp[k - 1 - len];
    return len;
}

/* A sample as JSON: null when unknown; otherwise fixed-point with at most
 * three decimals (charts need no more, and this avoids printf's float
 * formatting, which dominated the cost of a chart answer); very large or
 * very small magnitudes fall back to %.7g. */
static void put_number(sbuf *out, double v)
{
    if (isnan(v) || isinf(v)) {
        sbuf_puts(out, "null");
        return;
    }
    double a = fabs(v);
    if (a >= 1e12 || (a > 0 && a < 0.001)) {
        sbuf_printf(out, "%.7g", v);
        return;
    }
    char buf[48];
    size_t n = 0;
    unsigned long long milli = (unsigned long long)llround(a * 1000.0);
    if (v < 0 && milli)
        buf[n++] = '-';
    n += put_digits(buf + n, milli / 1000);
    unsigned frac = (unsigned)(milli % 1000);
    if (frac) {
        buf[n++] = '.';
        buf[n++] = (char)('0' + frac / 100);
        if (frac % 100) {
            buf[n++] = (char)('0' + frac / 10 % 10);
            if (frac % 10)
                buf[n++] = (char)('0' + frac % 10);
        }
    }
    sbuf_append(out, buf, n);
}

int tsdb_read_text(int64_t host, const char *kind, const char *name, int64_t from, int64_t to,
                   const char *cf, int max_points, sbuf *out)
{
    char path[1200], key[600];
    const tsdb_kind *k = tsdb_find_kind(kind);
    if (!k || tsdb_path(host, kind, name, path, sizeof path) < 0)
        return 0;
    flush_for_read(host, k, name, path);
    time_t start = (time_t)from, end = (time_t)to;
    unsigned long step = step_for(to - from), ds_cnt = 0;
    char **ds_names = NULL;
    rrd_value_t *data = NULL;
    rrd_clear_error();
    if (rrd_fetch_r(path, cf, &start, &end, &step, &ds_cnt, &ds_names, &data) != 0)
        return access(path, R_OK) == 0 ? -1 : 0;
    size_t rows = step ? (size_t)((end - start) / (time_t)step) : 0;
    size_t group = max_points > 0 && rows > (size_t)max_points ? (rows + (size_t)max_points - 1) / (size_t)max_points : 1;
    bool is_max = strcmp(cf, "MAX") == 0;
    snprintf(key, sizeof key, "%s%s%s", kind, *name ? ":" : "", name);
    sbuf_puts(out, "{\"key\":");
    put_json_string(out, key);
    sbuf_puts(out, ",\"kind\":");
    put_json_string(out, kind);
    sbuf_puts(out, ",\"name\":");
    put_json_string(out, name);
    sbuf_puts(out, ",\"ds\":[");
    for (unsigned long i = 0; i < ds_cnt; i++) {
        if (i)
            sbuf_putc(out, ',');
        put_json_string(out, ds_names[i]);
        rrd_freemem(ds_names[i]);
    }
    rrd_freemem(ds_names);
    sbuf_printf(out, "],\"start\":%lld,\"step\":%lld,\"rows\":[", (long long)start,
                (long long)(step * group));
    double acc[TSDB_MAX_DS];
    int known[TSDB_MAX_DS];
    bool first = true;
    for (size_t r = 0; r < rows; r += group) {
        size_t n = rows - r < group ? rows - r : group;
        for (unsigned long d = 0; d < ds_cnt && d < TSDB_MAX_DS; d++) {
            acc[d] = 0;
            known[d] = 0;
            for (size_t g = 0; g < n; g++) {
                double v = data[(r + g) * ds_cnt + d];
                if (isnan(v))
                    continue;
                acc[d] = known[d] == 0 ? v : is_max ? (v > acc[d] ? v : acc[d]) : acc[d] + v;
                known[d]++;
            }
        }
        sbuf_printf(out, "%s[%lld", first ? "" : ",", (long long)(start + (time_t)((r + n) * step)));
        first = false;
        for (unsigned long d = 0; d < ds_cnt && d < TSDB_MAX_DS; d++) {
            sbuf_putc(out, ',');
            put_number(out, known[d] == 0 ? NAN : is_max ? acc[d] : acc[d] / known[d]);
        }
        sbuf_putc(out, ']');
    }
    sbuf_puts(out, "]}");
    rrd_freemem(data);
    return sbuf_failed(out) ? -1 : 1;
}

json_t *tsdb_list(int64_t host)
{
    char dir[1100];
    json_t *out = json_array();
    tsdb_queue_flush_host(host, false); /* series with queued samples only */
    snprintf(dir, sizeof dir, "%s/%lld", root, (long long)host);
    DIR *d = opendir(dir);
    if (!d)
        return out;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".rrd") != 0)
            continue;
        char base[512], name[512] = "";
        snprintf(base, sizeof base, "%.*s", (int)(n - 4), e->d_name);
        char *dash = strchr(base, '-');
        const char *kind = base;
        if (dash) {
            *dash = '\0';
            if (tsdb_decode_name(dash + 1, name, sizeof name) < 0)
                continue;
        }
        const tsdb_kind *k = tsdb_find_kind(kind);
        if (!k)
            continue;
        json_t *s = series_head(kind, name), *ds = json_array();
        for (int i = 0; i < tsdb_nds(k); i++)
            json_array_append_new(ds, json_string(k->ds[i]));
        json_object_set_new(s, "ds", ds);
        json_array_append_new(out, s);
    }
    closedir(d);
    return out;
}

/* Have rrdcached write and forget what it holds for the files in dir
 * (before the directory moves). */
static void daemon_forget_dir(const char *dir)
{
    char path[1400];
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".rrd") != 0 ||
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        rrd_clear_error();
        if (rrdc_connect(daemon_addr) != 0 || rrdc_flush(path) != 0 || rrdc_forget(path) != 0)
            log_debug("rrdcached_forget_failed", "path=%s err=\"%s\"", path, rrd_get_error());
    }
    closedir(d);
}

int tsdb_archive(int64_t host)
{
    char from[1100], to[1200], arch[1100];
    snprintf(from, sizeof from, "%s/%lld", root, (long long)host);
    snprintf(arch, sizeof arch, "%s/archive", root);
    snprintf(to, sizeof to, "%s/%lld-%lld", arch, (long long)host, (long long)time(NULL));
    tsdb_queue_flush_host(host, true);
    if (daemon_addr[0])
        daemon_forget_dir(from);
    if (access(from, F_OK) != 0)
        return 0;
    if (mkdir_p(arch) < 0 || rename(from, to) != 0) {
        log_warn("tsdb_archive_failed", "host=%lld err=%s", (long long)host, strerror(errno));
        return -1;
    }
    return 0;
}

json_t *tsdb_hosts(void)
{
    json_t *out = json_array();
    DIR *d = opendir(root);
    if (!d)
        return out;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long long id = strtoll(e->d_name, &end, 10);
        if (end != e->d_name && *end == '\0' && id > 0)
            json_array_append_new(out, json_integer(id));
    }
    closedir(d);
    return out;
}
