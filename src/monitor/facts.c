/* facts.c -- see facts.h. */
#include "monitor/facts.h"

#include "cmdb/res_internal.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "common/util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void human_size(double bytes, char *out, size_t cap)
{
    static const char *const units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
    int u = 0;
    while (bytes >= 1000 && u < 5)
        bytes /= 1000, u++;
    snprintf(out, cap, u >= 3 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
}

/* "vda 250 GB; vdb 1 TB" */
static void disks_summary(const json_t *disks, sbuf *out)
{
    size_t i;
    json_t *d;
    json_array_foreach(disks, i, d) {
        const char *name = json_string_value(json_object_get(d, "name"));
        json_t *size = json_object_get(d, "size_bytes");
        if (!name || !json_is_number(size))
            continue;
        char hs[32];
        human_size(json_number_value(size), hs, sizeof hs);
        sbuf_printf(out, "%s%s %s", out->len ? "; " : "", name, hs);
    }
}

/* Addresses of every NIC except the management one, loopback and link-local. */
static void other_ips(const json_t *nics, const char *mgmt, sbuf *out)
{
    size_t i, j;
    json_t *n, *a;
    json_array_foreach(nics, i, n) {
        json_array_foreach(json_object_get(n, "addresses"), j, a) {
            const char *s = json_string_value(a);
            char ip[64];
            if (!s)
                continue;
            size_t len = strcspn(s, "/");
            if (len >= sizeof ip)
                continue;
            memcpy(ip, s, len);
            ip[len] = '\0';
            if ((mgmt && strcmp(ip, mgmt) == 0) || strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
                strncasecmp(ip, "fe80:", 5) == 0)
                continue;
            if (out->len + len + 2 > 1000)
                return; /* the column's limit */
            sbuf_printf(out, "%s%s", out->len ? ", " : "", ip);
        }
    }
}

/* Write `value` into hosts.<field> when the field is the agent's to write. */
static int merge_field(db_conn *c, int64_t host, const char *field, const char *value)
{
    json_t *row = NULL, *prev = NULL;
    char sql[160];
    int rc;
    if (!value)
        return DB_OK;
    snprintf(sql, sizeof sql, "SELECT %s AS v FROM hosts WHERE id = $1", field);
    if ((rc = db_query_one(c, sql, DB_ARGS(DB_INT(host)), &row)) != DB_OK)
        return rc;
    char cur[1100];
    json_t *cv = json_object_get(row, "v");
    if (json_is_integer(cv))
        snprintf(cur, sizeof cur, "%lld", (long long)json_integer_value(cv));
    else
        snprintf(cur, sizeof cur, "%s", json_string_value(cv) ? json_string_value(cv) : "");
    json_decref(row);
    db_query_one(c, "SELECT value FROM host_facts WHERE host_id = $1 AND field = $2",
                 DB_ARGS(DB_INT(host), DB_TEXT(field)), &prev);
    const char *last = json_string_value(json_object_get(prev, "value"));
    bool ours = cur[0] == '\0' || (last && strcmp(last, cur) == 0);
    bool changed = strcmp(cur, value) != 0;
    rc = DB_OK;
    /* A hostname another host already has is not taken: look first rather
     * than let the UNIQUE constraint refuse the UPDATE, because on
     * PostgreSQL a failed statement aborts the whole report's transaction
     * (the agent would then retry the same report for ever). */
    int64_t taken = 0;
    if (ours && changed && strcmp(field, "hostname") == 0 &&
        (rc = db_query_int(c, "SELECT count(*) FROM hosts WHERE hostname = $1 AND id <> $2",
                           DB_ARGS(DB_TEXT(value), DB_INT(host)), &taken)) == DB_OK &&
        taken > 0) {
        log_warn("fact_not_applied", "host=%lld field=%s reason=taken_by_another_host", (long long)host, field);
        goto done;
    }
    if (rc != DB_OK)
        goto done;
    if (ours && changed) {
        snprintf(sql, sizeof sql, "UPDATE hosts SET %s = $1, updated_at = $2 WHERE id = $3", field);
        bool is_int = strcmp(field, "cpu_count") == 0 || strcmp(field, "memory_mb") == 0;
        int64_t n = 0;
        db_val v = is_int && util_parse_i64(value, &n) ? DB_INT(n) : DB_TEXT(value);
        rc = db_exec(c, sql, DB_ARGS(v, DB_INT(util_now()), DB_INT(host)), NULL);
        if (rc == DB_CONSTRAINT) { /* e.g. the new hostname belongs to another host */
            log_warn("fact_not_applied", "host=%lld field=%s reason=conflict", (long long)host, field);
            rc = DB_OK;
            goto done;
        }
        if (rc == DB_OK)
            rc = db_exec(c, "INSERT INTO host_fact_history (host_id, ts, field, old_value, new_value) "
                            "VALUES ($1, $2, $3, $4, $5)",
                         DB_ARGS(DB_INT(host), DB_INT(util_now()), DB_TEXT(field), DB_TEXT(cur), DB_TEXT(value)),
                         NULL);
    }
    if (rc == DB_OK && ours)
        rc = db_exec(c, "INSERT INTO host_facts (host_id, field, value, updated_at) VALUES ($1, $2, $3, $4) "
                        "ON CONFLICT (host_id, field) DO UPDATE SET value = $3, updated_at = $4",
                     DB_ARGS(DB_INT(host), DB_TEXT(field), DB_TEXT(value), DB_INT(util_now())), NULL);
done:
    json_decref(prev);
    return rc;
}

int facts_merge(app *a, db_conn *c, int64_t host, const json_t *f)
{
    (void)a;
    char num1[32], num2[32];
    sbuf disks = SBUF_INIT, others = SBUF_INIT;
    const char *mgmt = json_string_value(json_object_get(f, "management_ip"));
    json_t *cpu = json_object_get(f, "cpu"), *os = json_object_get(f, "os");
    json_t *threads = json_object_get(cpu, "threads"), *mem = json_object_get(f, "memory_bytes");
    snprintf(num1, sizeof num1, "%lld", (long long)json_integer_value(threads));
    snprintf(num2, sizeof num2, "%lld", (long long)(json_number_value(mem) / 1048576.0));
    disks_summary(json_object_get(f, "disks"), &disks);
    other_ips(json_object_get(f, "nics"), mgmt, &others);
    const struct {
        const char *field, *value;
    } map[] = {
        {"hostname", json_string_value(json_object_get(f, "hostname"))},
        {"ip", mgmt},
        {"other_ips", json_object_get(f, "nics") ? sbuf_str(&others) : NULL},
        {"os", json_string_value(json_object_get(os, "pretty"))},
        {"kernel", json_string_value(json_object_get(f, "kernel"))},
        {"vendor", json_string_value(json_object_get(f, "vendor"))},
        {"model", json_string_value(json_object_get(f, "model"))},
        {"sn", json_string_value(json_object_get(f, "serial"))},
        {"cpu_model", json_string_value(json_object_get(cpu, "model"))},
        {"cpu_count", json_is_integer(threads) ? num1 : NULL},
        {"memory_mb", json_is_number(mem) ? num2 : NULL},
        {"disks", json_object_get(f, "disks") ? sbuf_str(&disks) : NULL},
    };
    int rc = DB_OK;
    for (size_t i = 0; i < sizeof map / sizeof map[0] && rc == DB_OK; i++)
        rc = merge_field(c, host, map[i].field, map[i].value);
    char *doc = json_dumps(f, JSON_COMPACT);
    if (rc == DB_OK && doc)
        rc = db_exec(c, "INSERT INTO host_fact_docs (host_id, facts, updated_at) VALUES ($1, $2, $3) "
                        "ON CONFLICT (host_id) DO UPDATE SET facts = $2, updated_at = $3",
                     DB_ARGS(DB_INT(host), DB_TEXT(doc), DB_INT(util_now())), NULL);
    if (rc == DB_OK)
        rc = res_refresh_search(c, &res_hosts, host);
    free(doc);
    sbuf_free(&disks);
    sbuf_free(&others);
    return rc;
}
