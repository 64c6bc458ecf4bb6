/* metrics_api.c -- see metrics_api.h. */
#include "monitor/metrics_api.h"

#include "app.h"
#include "cmdb/res_internal.h"
#include "common/util.h"
#include "monitor/tsdb.h"
#include "store/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RANGE (400LL * 86400)

typedef struct {
    int64_t from, to;
    const char *cf;
} range;

static bool parse_range(http_req *r, http_resp *w, range *rg)
{
    const char *f = req_query(r, "from"), *t = req_query(r, "to"), *cf = req_query(r, "cf");
    rg->to = util_now();
    if (t && *t && !util_parse_i64(t, &rg->to)) {
        resp_error(w, 400, "bad_request", "to", "to must be a Unix time in seconds");
        return false;
    }
    rg->from = rg->to - 3600;
    if (f && *f && !util_parse_i64(f, &rg->from)) {
        resp_error(w, 400, "bad_request", "from", "from must be a Unix time in seconds");
        return false;
    }
    if (rg->from >= rg->to || rg->to - rg->from > MAX_RANGE) {
        resp_error(w, 400, "bad_request", "from", "from must be before to, at most 400 days apart");
        return false;
    }
    rg->cf = cf && *cf ? cf : "AVERAGE";
    if (strcmp(rg->cf, "AVERAGE") != 0 && strcmp(rg->cf, "MAX") != 0) {
        resp_error(w, 400, "bad_request", "cf", "cf must be AVERAGE or MAX");
        return false;
    }
    return true;
}

/* Split "kind:name" (name may contain ':'); "host" has no name. */
static bool split_key(const char *key, char *kind, size_t kcap, const char **name)
{
    const char *colon = strchr(key, ':');
    size_t kl = colon ? (size_t)(colon - key) : strlen(key);
    if (kl == 0 || kl >= kcap)
        return false;
    memcpy(kind, key, kl);
    kind[kl] = '\0';
    *name = colon ? colon + 1 : "";
    return strcmp(kind, "host") == 0 ? !colon : colon && colon[1];
}

/* Points per series in one answer: enough for a chart as wide as a screen;
 * longer ranges are consolidated (tsdb_read_text). */
#define MAX_POINTS 800

/* Write the requested series of one host as a JSON array into out. Returns
 * false after answering 400/500. */
static bool read_host(http_resp *w, int64_t host, const char *series, const range *rg, sbuf *out)
{
    int n = 0, rc;
    sbuf_putc(out, '[');
    if (!series || !*series) { /* everything the host has */
        json_t *keys = tsdb_list(host);
        size_t i;
        json_t *s;
        json_array_foreach(keys, i, s) {
            size_t mark = out->len;
            if (n)
                sbuf_putc(out, ',');
            rc = tsdb_read_text(host, json_string_value(json_object_get(s, "kind")),
                                json_string_value(json_object_get(s, "name")), rg->from, rg->to, rg->cf, MAX_POINTS,
                                out);
            if (rc == 1)
                n++;
            else
                out->len = mark, out->data[mark] = '\0';
        }
        json_decref(keys);
        sbuf_putc(out, ']');
        return true;
    }
    char buf[2048];
    if (util_strcpy(buf, sizeof buf, series) < 0) {
        resp_error(w, 400, "bad_request", "series", "series list too long");
        return false;
    }
    char *save = NULL;
    for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        char kind[16];
        const char *name;
        if (!split_key(k, kind, sizeof kind, &name)) {
            resp_error(w, 400, "bad_request", "series", "series are host, fs:MOUNT, disk:NAME or net:NAME");
            return false;
        }
        size_t mark = out->len;
        if (n)
            sbuf_putc(out, ',');
        rc = tsdb_read_text(host, kind, name, rg->from, rg->to, rg->cf, MAX_POINTS, out);
        if (rc == 1)
            n++;
        else
            out->len = mark, out->data[mark] = '\0';
    }
    sbuf_putc(out, ']');
    return true;
}

static bool host_visible(http_req *r, db_conn *c, int64_t id)
{
    int64_t n = 0;
    return db_query_int(c, "SELECT count(*) FROM hosts WHERE id = $1", DB_ARGS(DB_INT(id)), &n) == DB_OK && n &&
           res_in_scope(r, c, &res_hosts, id);
}

static void send_text(http_resp *w, sbuf *out)
{
    if (sbuf_failed(out))
        resp_internal(w, "out of memory");
    else
        resp_body(w, 200, "application/json; charset=utf-8", sbuf_str(out), out->len);
}

void metrics_host(http_req *r, http_resp *w)
{
    int64_t id;
    range rg;
    sbuf out = SBUF_INIT;
    if (!req_id(r, w, 0, &id) || !parse_range(r, w, &rg))
        return;
    db_conn *c = db_acquire(r->app->db);
    bool ok = host_visible(r, c, id);
    db_release(c);
    if (!ok) {
        resp_error(w, 404, "not_found", NULL, "no host with id %lld", (long long)id);
        return;
    }
    /* Written as text: a year of a host's series is thousands of numbers,
     * and building them as JSON values first would cost more than reading
     * them from the RRD files. */
    sbuf_printf(&out, "{\"host_id\":%lld,\"from\":%lld,\"to\":%lld,\"cf\":\"%s\",\"series\":", (long long)id,
                (long long)rg.from, (long long)rg.to, rg.cf);
    if (read_host(w, id, req_query(r, "series"), &rg, &out)) {
        sbuf_putc(&out, '}');
        send_text(w, &out);
    }
    sbuf_free(&out);
}

void metrics_hosts(http_req *r, http_resp *w)
{
    range rg;
    sbuf out = SBUF_INIT;
    const char *hosts = req_query(r, "hosts");
    if (!parse_range(r, w, &rg))
        return;
    if (!hosts || !*hosts || strlen(hosts) > 2000) {
        resp_error(w, 400, "bad_request", "hosts", "hosts must list host ids separated by commas");
        return;
    }
    sbuf_printf(&out, "{\"from\":%lld,\"to\":%lld,\"cf\":\"%s\",\"hosts\":{", (long long)rg.from,
                (long long)rg.to, rg.cf);
    int n = 0;
    db_conn *c = db_acquire(r->app->db);
    for (const char *p = hosts; *p;) {
        char *end;
        long long id = strtoll(p, &end, 10);
        if (end == p || id <= 0 || (*end && *end != ',')) {
            resp_error(w, 400, "bad_request", "hosts", "hosts must list host ids separated by commas");
            goto done;
        }
        p = *end ? end + 1 : end;
        if (!host_visible(r, c, id))
            continue;
        sbuf_printf(&out, "%s\"%lld\":", n++ ? "," : "", id);
        if (!read_host(w, id, req_query(r, "series"), &rg, &out))
            goto done;
    }
    sbuf_puts(&out, "}}");
    send_text(w, &out);
done:
    db_release(c);
    sbuf_free(&out);
}

void metrics_series(http_req *r, http_resp *w)
{
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    bool ok = host_visible(r, c, id);
    db_release(c);
    if (!ok)
        resp_error(w, 404, "not_found", NULL, "no host with id %lld", (long long)id);
    else
        resp_json(w, 200, json_pack("{s:o}", "series", tsdb_list(id)));
}

/* Rows of a query with the caller's host scope applied (" AND h.id IN …"). */
static json_t *scoped_query(http_req *r, db_conn *c, const char *head, const char *tail, db_val *p, int n)
{
    sbuf sql = SBUF_INIT;
    json_t *rows = NULL;
    sbuf_puts(&sql, head);
    res_scope_sql(r, &res_hosts, &sql, "h.id");
    sbuf_puts(&sql, tail);
    if (sbuf_failed(&sql) || db_query(c, sbuf_str(&sql), p, n, &rows) != DB_OK)
        rows = NULL;
    sbuf_free(&sql);
    return rows;
}

void dashboard_get(http_req *r, http_resp *w)
{
    int64_t now = util_now();
    db_val p[] = {DB_INT(now)};
    db_conn *c = db_acquire(r->app->db);
    json_t *status = scoped_query(r, c,
        "SELECT CASE WHEN h.last_seen_at IS NULL THEN 'unknown' "
        "WHEN h.last_seen_at >= $1 - 3 * COALESCE(h.agent_interval, 60) THEN 'up' ELSE 'down' END AS state, "
        "count(*) AS n FROM hosts h WHERE 1=1", " GROUP BY 1", p, 1);
    json_t *by_idc = scoped_query(r, c,
        "SELECT COALESCE(i.name, '') AS name, count(*) AS n FROM hosts h LEFT JOIN idcs i ON i.id = h.idc_id "
        "WHERE 1=1", " GROUP BY i.name ORDER BY n DESC", NULL, 0);
    json_t *by_type = scoped_query(r, c, "SELECT h.asset_type AS name, count(*) AS n FROM hosts h WHERE 1=1",
                                   " GROUP BY h.asset_type ORDER BY n DESC", NULL, 0);
    json_t *by_status = scoped_query(r, c, "SELECT h.asset_status AS name, count(*) AS n FROM hosts h WHERE 1=1",
                                     " GROUP BY h.asset_status ORDER BY n DESC", NULL, 0);
    json_t *top[3];
    static const char *const cols[] = {"cpu_pct", "mem_pct", "disk_pct"};
    for (int i = 0; i < 3; i++) {
        char head[256], tail[96];
        snprintf(head, sizeof head,
                 "SELECT h.id, h.hostname, h.%s AS value FROM hosts h WHERE h.%s IS NOT NULL "
                 "AND h.last_seen_at >= $1 - 3 * COALESCE(h.agent_interval, 60)", cols[i], cols[i]);
        snprintf(tail, sizeof tail, " ORDER BY h.%s DESC LIMIT 5", cols[i]);
        top[i] = scoped_query(r, c, head, tail, p, 1);
    }
    db_release(c);
    if (!status || !by_idc || !by_type || !by_status || !top[0] || !top[1] || !top[2]) {
        resp_internal(w, "dashboard queries");
    } else {
        json_t *counts = json_pack("{s:i, s:i, s:i}", "up", 0, "down", 0, "unknown", 0);
        size_t i;
        json_t *s;
        json_array_foreach(status, i, s)
            json_object_set(counts, json_string_value(json_object_get(s, "state")), json_object_get(s, "n"));
        resp_json(w, 200, json_pack("{s:I, s:o, s:O, s:O, s:O, s:{s:O, s:O, s:O}}", "now", (json_int_t)now,
                                    "hosts", counts, "by_idc", by_idc, "by_type", by_type, "by_status", by_status,
                                    "top", "cpu", top[0], "memory", top[1], "disk", top[2]));
    }
    json_decref(status), json_decref(by_idc), json_decref(by_type), json_decref(by_status);
    for (int i = 0; i < 3; i++)
        json_decref(top[i]);
}
