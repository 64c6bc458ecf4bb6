/* inventory.c -- the CMDB as an Ansible inventory (see inventory.h).
 *
 * How: inv_load() reads the hosts (joined with their IDC, cabinet and
 * credential user/port), every host group, the memberships and the code
 * tables in a handful of bound queries; inv_build() turns those rows into
 * the script-plugin JSON without touching the database (so the unit tests
 * build it from literal rows). Names are given in id order over whole
 * tables, so a group keeps its name whoever asks and whichever hosts a job
 * targets. The handler answers the dynamic-inventory endpoint.
 */
#include "jobs/inventory.h"

#include "app.h"
#include "cmdb/res_internal.h"
#include "common/sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAW_NAME_MAX 48 /* bytes of the sanitised raw part of a group name */

bool inv_safe_name(const char *prefix, const char *raw, char *out, size_t cap)
{
    size_t plen = strlen(prefix), n = 0;
    char part[RAW_NAME_MAX + 1];
    bool gap = false;
    if (cap == 0)
        return false;
    out[0] = '\0';
    for (const unsigned char *p = (const unsigned char *)(raw ? raw : ""); *p && n < RAW_NAME_MAX; p++) {
        char ch = 0;
        if (*p >= 'A' && *p <= 'Z')
            ch = (char)(*p - 'A' + 'a');
        else if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
            ch = (char)*p;
        if (!ch) {
            gap = n > 0; /* a run of other bytes becomes one '_' between kept ones */
            continue;
        }
        if (gap && n + 1 < RAW_NAME_MAX)
            part[n++] = '_';
        gap = false;
        part[n++] = ch;
    }
    part[n] = '\0';
    if (n == 0 || plen + n + 1 > cap)
        return false;
    snprintf(out, cap, "%s%s", prefix, part);
    return true;
}

bool inv_host_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63 || name[0] == '-' || name[0] == '.')
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

json_t *inv_str(const char *s)
{
    if (!s)
        return NULL;
    if (!strchr(s, '{'))
        return json_string(s);
    return json_pack("{s:s}", "__ansible_unsafe", s);
}

/* ---- building ---------------------------------------------------------------- */

/* Take `base` if unused, else base_<id>, else base_<id>_<k>; record it in
 * used and copy it to out. False when nothing fits. */
static bool take_name(json_t *used, const char *base, int64_t id, char *out, size_t cap)
{
    char cand[INV_NAME_MAX];
    for (int k = 0; k < 1000; k++) {
        int n = k == 0   ? snprintf(cand, sizeof cand, "%s", base)
                : k == 1 ? snprintf(cand, sizeof cand, "%s_%lld", base, (long long)id)
                         : snprintf(cand, sizeof cand, "%s_%lld_%d", base, (long long)id, k);
        if (n < 0 || (size_t)n >= sizeof cand || (size_t)n >= cap)
            return false;
        if (!json_object_get(used, cand)) {
            json_object_set_new(used, cand, json_true());
            snprintf(out, cap, "%s", cand);
            return true;
        }
    }
    return false;
}

/* Name each row of rows (columns id and col) as prefix + sanitised col, in
 * id order, into map[key] where key is the row's id (by_code false) or its
 * col value (by_code true). Returns 0 or -1 (out of memory). */
static int name_rows(const json_t *rows, const char *col, const char *prefix, bool by_code, json_t *used,
                     json_t *map)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        int64_t id = json_integer_value(json_object_get(row, "id"));
        const char *raw = json_string_value(json_object_get(row, col));
        char base[INV_NAME_MAX], name[INV_NAME_MAX], key[32];
        if (!inv_safe_name(prefix, raw, base, sizeof base))
            snprintf(base, sizeof base, "%s%lld", prefix, (long long)id);
        if (!take_name(used, base, id, name, sizeof name))
            continue; /* cannot happen with INV_NAME_MAX; the row simply gets no group */
        snprintf(key, sizeof key, "%lld", (long long)id);
        if (json_object_set_new(map, by_code ? (raw ? raw : "") : key, json_string(name)) != 0)
            return -1;
    }
    return 0;
}

/* Append a host name to group `name` of groups (created when missing). */
static void group_add(json_t *groups, const char *name, const char *host)
{
    if (!name)
        return;
    json_t *list = json_object_get(groups, name);
    if (!list) {
        list = json_array();
        json_object_set_new(groups, name, list);
    }
    if (host)
        json_array_append_new(list, json_string(host));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A new array with the strings of arr sorted (NULL when out of memory). */
static json_t *sorted(const json_t *arr)
{
    size_t n = json_array_size(arr), i;
    const char **v = calloc(n ? n : 1, sizeof *v);
    json_t *out = json_array();
    if (!v || !out) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (i = 0; i < n; i++)
        v[i] = json_string_value(json_array_get(arr, i));
    qsort(v, n, sizeof *v, cmp_str);
    for (i = 0; i < n; i++)
        json_array_append_new(out, json_string(v[i]));
    free(v);
    return out;
}

static void set_text(json_t *vars, const char *key, const json_t *row, const char *col)
{
    const char *s = json_string_value(json_object_get(row, col));
    if (s && *s)
        json_object_set_new(vars, key, inv_str(s));
}

static void set_int(json_t *vars, const char *key, const json_t *row, const char *col)
{
    json_t *v = json_object_get(row, col);
    if (json_is_integer(v))
        json_object_set_new(vars, key, json_integer(json_integer_value(v)));
}

/* "10.0.0.2, 10.0.0.3 fe80::1" → ["10.0.0.2", "10.0.0.3", "fe80::1"]. */
static json_t *split_ips(const char *s)
{
    json_t *out = json_array();
    char word[64];
    size_t n = 0;
    for (const char *p = s ? s : "";; p++) {
        if (*p && *p != ',' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            if (n + 1 < sizeof word)
                word[n++] = *p;
            continue;
        }
        if (n) {
            word[n] = '\0';
            json_array_append_new(out, inv_str(word));
        }
        n = 0;
        if (!*p)
            break;
    }
    return out;
}

/* The variables of one host row (no secrets). */
static json_t *host_vars(const json_t *h)
{
    json_t *v = json_object();
    json_t *ssh_port = json_object_get(h, "ssh_port"), *cred_port = json_object_get(h, "cred_port");
    set_text(v, "ansible_host", h, "ip");
    if (json_is_integer(ssh_port))
        json_object_set_new(v, "ansible_port", json_integer(json_integer_value(ssh_port)));
    else if (json_is_integer(cred_port))
        json_object_set_new(v, "ansible_port", json_integer(json_integer_value(cred_port)));
    set_text(v, "ansible_user", h, "cred_user");
    set_int(v, "cairn_id", h, "id");
    set_text(v, "cairn_hostname", h, "hostname");
    set_text(v, "cairn_ip", h, "ip");
    const char *other = json_string_value(json_object_get(h, "other_ips"));
    if (other && *other)
        json_object_set_new(v, "cairn_other_ips", split_ips(other));
    static const char *const texts[][2] = {
        {"cairn_os", "os"},         {"cairn_kernel", "kernel"},     {"cairn_cpu_model", "cpu_model"},
        {"cairn_vendor", "vendor"}, {"cairn_model", "model"},       {"cairn_sn", "sn"},
        {"cairn_asset_no", "asset_no"}, {"cairn_asset_type", "asset_type"},
        {"cairn_asset_status", "asset_status"}, {"cairn_idc", "idc_code"}, {"cairn_idc_name", "idc_name"},
        {"cairn_cabinet", "cabinet"}, {"cairn_position", "position"},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        set_text(v, texts[i][0], h, texts[i][1]);
    set_int(v, "cairn_cpu_count", h, "cpu_count");
    set_int(v, "cairn_memory_mb", h, "memory_mb");
    const char *tags_text = json_string_value(json_object_get(h, "tags"));
    json_t *tags = tags_text ? json_loads(tags_text, 0, NULL) : NULL;
    json_t *tv = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
        if (json_is_string(t))
            json_array_append_new(tv, inv_str(json_string_value(t)));
    json_object_set_new(v, "cairn_tags", tv);
    json_decref(tags);
    json_object_set_new(v, "cairn_groups", json_array());
    return v;
}

/* Host names: the hostname when safe, else cairn-host-<id> (made unique). */
static int name_hosts(const json_t *hosts, json_t *used, json_t *map)
{
    size_t i;
    json_t *h;
    /* Safe hostnames first: they are unique in the CMDB and keep their name. */
    json_array_foreach(hosts, i, h) {
        const char *hn = json_string_value(json_object_get(h, "hostname"));
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(h, "id")));
        if (inv_host_name_ok(hn) && !json_object_get(used, hn)) {
            json_object_set_new(used, hn, json_true());
            if (json_object_set_new(map, key, json_string(hn)) != 0)
                return -1;
        }
    }
    json_array_foreach(hosts, i, h) {
        int64_t id = json_integer_value(json_object_get(h, "id"));
        char key[32], base[INV_NAME_MAX], name[INV_NAME_MAX];
        snprintf(key, sizeof key, "%lld", (long long)id);
        if (json_object_get(map, key))
            continue;
        snprintf(base, sizeof base, "cairn-host-%lld", (long long)id);
        if (take_name(used, base, id, name, sizeof name) && json_object_set_new(map, key, json_string(name)) != 0)
            return -1;
    }
    return 0;
}

static const char *map_get(const json_t *map, int64_t id)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)id);
    return json_string_value(json_object_get(map, key));
}

/* The group named for the code in row[col] (asset type or status), or NULL. */
static const char *code_group(const json_t *map, const json_t *row, const char *col)
{
    const char *code = json_string_value(json_object_get(row, col));
    return code ? json_string_value(json_object_get(map, code)) : NULL;
}

json_t *inv_build(const inv_rows *rows)
{
    json_t *used = json_object(), *gmap = json_object(), *imap = json_object(), *tmap = json_object(),
           *smap = json_object(), *hmap = json_object(), *groups = json_object(), *hostvars = json_object(),
           *all_hosts = json_array(), *out = NULL;
    json_t *gnames = json_object(); /* group id → original name, for cairn_groups */
    size_t i;
    json_t *row;
    if (!used || !gmap || !imap || !tmap || !smap || !hmap || !groups || !hostvars || !all_hosts || !gnames)
        goto done;
    /* Hosts are named before groups so a group can never take a host's name
     * (Ansible refuses a name that is both). */
    if (name_hosts(rows->hosts, used, hmap) < 0 ||
        name_rows(rows->groups, "name", "group_", false, used, gmap) < 0 ||
        name_rows(rows->idcs, "code", "idc_", false, used, imap) < 0 ||
        name_rows(rows->types, "code", "type_", true, used, tmap) < 0 ||
        name_rows(rows->statuses, "code", "status_", true, used, smap) < 0)
        goto done;
    json_array_foreach(rows->groups, i, row) {
        json_t *vis = json_object_get(row, "visible");
        int64_t gid = json_integer_value(json_object_get(row, "id"));
        if (!vis || json_integer_value(vis))
            group_add(groups, map_get(gmap, gid), NULL); /* visible groups appear even when empty */
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)gid);
        json_object_set(gnames, key, json_object_get(row, "name"));
    }
    json_array_foreach(rows->hosts, i, row) {
        int64_t id = json_integer_value(json_object_get(row, "id"));
        const char *name = map_get(hmap, id);
        if (!name)
            continue;
        json_t *idc = json_object_get(row, "idc_id");
        const char *idc_group = json_is_integer(idc) ? map_get(imap, json_integer_value(idc)) : NULL;
        json_object_set_new(hostvars, name, host_vars(row));
        json_array_append_new(all_hosts, json_string(name));
        group_add(groups, idc_group, name);
        group_add(groups, code_group(tmap, row, "asset_type"), name);
        group_add(groups, code_group(smap, row, "asset_status"), name);
    }
    json_array_foreach(rows->members, i, row) {
        int64_t gid = json_integer_value(json_object_get(row, "group_id"));
        const char *host = map_get(hmap, json_integer_value(json_object_get(row, "host_id")));
        const char *gname = map_get(gmap, gid);
        json_t *vars = host ? json_object_get(hostvars, host) : NULL;
        if (!vars || !gname || !json_object_get(groups, gname))
            continue; /* a host or group outside the set asked for */
        group_add(groups, gname, host);
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)gid);
        json_t *orig = json_object_get(gnames, key);
        json_array_append_new(json_object_get(vars, "cairn_groups"), inv_str(json_string_value(orig)));
    }
    out = json_object();
    json_t *children = json_array(), *all = NULL;
    const char *gname;
    json_t *list;
    json_object_foreach(groups, gname, list) {
        json_t *s = sorted(list);
        json_array_append_new(children, json_string(gname));
        json_object_set_new(out, gname, json_pack("{s:o*}", "hosts", s));
    }
    all = json_pack("{s:o*, s:o*}", "hosts", sorted(all_hosts), "children", sorted(children));
    json_decref(children);
    json_object_set_new(out, "all", all);
    json_object_set_new(out, "_meta", json_pack("{s:O}", "hostvars", hostvars));
    if (!all || json_object_size(out) != json_object_size(groups) + 2) {
        json_decref(out);
        out = NULL;
    }
done:
    json_decref(used);
    json_decref(gmap);
    json_decref(imap);
    json_decref(tmap);
    json_decref(smap);
    json_decref(hmap);
    json_decref(groups);
    json_decref(hostvars);
    json_decref(all_hosts);
    json_decref(gnames);
    return out;
}

json_t *inv_to_static(const json_t *inv)
{
    json_t *hosts = json_object(), *children = json_object(), *out = NULL;
    const char *key;
    json_t *val;
    if (!hosts || !children)
        goto done;
    json_object_foreach(json_object_get(json_object_get(inv, "_meta"), "hostvars"), key, val)
        json_object_set_new(hosts, key, json_deep_copy(val));
    json_object_foreach((json_t *)inv, key, val) {
        if (strcmp(key, "_meta") == 0 || strcmp(key, "all") == 0)
            continue;
        json_t *members = json_object();
        size_t i;
        json_t *h;
        json_array_foreach(json_object_get(val, "hosts"), i, h)
            json_object_set_new(members, json_string_value(h), json_object());
        json_object_set_new(children, key, json_pack("{s:o*}", "hosts", members));
    }
    out = json_pack("{s:{s:O, s:O}}", "all", "hosts", hosts, "children", children);
done:
    json_decref(hosts);
    json_decref(children);
    return out;
}

/* ---- loading ----------------------------------------------------------------- */

void inv_rows_free(inv_rows *rows)
{
    json_decref(rows->hosts);
    json_decref(rows->groups);
    json_decref(rows->members);
    json_decref(rows->idcs);
    json_decref(rows->types);
    json_decref(rows->statuses);
    memset(rows, 0, sizeof *rows);
}

int inv_load(db_conn *c, const http_req *r, const json_t *host_ids, inv_rows *rows)
{
    sbuf hsql = SBUF_INIT, gsql = SBUF_INIT;
    int rc = DB_ERR;
    memset(rows, 0, sizeof *rows);
    sbuf_puts(&hsql, "SELECT h.id, h.hostname, h.ip, h.other_ips, h.os, h.kernel, h.cpu_count, h.memory_mb, "
                     "h.cpu_model, h.vendor, h.model, h.sn, h.asset_no, h.asset_type, h.asset_status, "
                     "h.position, h.tags, h.ssh_port, h.idc_id, i.code AS idc_code, i.name AS idc_name, "
                     "cb.name AS cabinet, cr.username AS cred_user, cr.port AS cred_port FROM hosts h "
                     "LEFT JOIN idcs i ON i.id = h.idc_id LEFT JOIN cabinets cb ON cb.id = h.cabinet_id "
                     "LEFT JOIN credentials cr ON cr.id = h.credential_id WHERE 1 = 1");
    if (host_ids) {
        sbuf_puts(&hsql, " AND h.id IN (");
        res_id_list(host_ids, &hsql);
        sbuf_puts(&hsql, ")");
    }
    res_scope_sql(r, &res_hosts, &hsql, "h.id");
    sbuf_puts(&hsql, " ORDER BY h.id");
    /* Every group is named (names stay stable); only the caller's are shown. */
    sbuf_puts(&gsql, "SELECT id, name, ");
    if (res_scoped(r, &res_groups)) {
        sbuf_puts(&gsql, "CASE WHEN id IN ");
        res_scope_ids(r, &res_groups, &gsql);
        sbuf_puts(&gsql, " THEN 1 ELSE 0 END");
    } else {
        sbuf_puts(&gsql, "1");
    }
    sbuf_puts(&gsql, " AS visible FROM host_groups ORDER BY id");
    if (sbuf_failed(&hsql) || sbuf_failed(&gsql))
        goto done;
    if ((rc = db_query(c, sbuf_str(&hsql), DB_NOARGS, &rows->hosts)) != DB_OK ||
        (rc = db_query(c, sbuf_str(&gsql), DB_NOARGS, &rows->groups)) != DB_OK ||
        (rc = db_query(c, "SELECT group_id, host_id FROM host_group_members ORDER BY group_id, host_id", DB_NOARGS,
                       &rows->members)) != DB_OK ||
        (rc = db_query(c, "SELECT id, code FROM idcs ORDER BY id", DB_NOARGS, &rows->idcs)) != DB_OK ||
        (rc = db_query(c, "SELECT id, code FROM asset_types ORDER BY id", DB_NOARGS, &rows->types)) != DB_OK ||
        (rc = db_query(c, "SELECT id, code FROM asset_statuses ORDER BY id", DB_NOARGS, &rows->statuses)) != DB_OK)
        goto done;
    rc = DB_OK;
done:
    if (rc != DB_OK)
        inv_rows_free(rows);
    sbuf_free(&hsql);
    sbuf_free(&gsql);
    return rc;
}

/* ---- the endpoint ------------------------------------------------------------ */

void ansible_inventory_get(http_req *r, http_resp *w)
{
    inv_rows rows;
    const char *host = req_query(r, "host");
    db_conn *c = db_acquire(r->app->db);
    int rc = inv_load(c, r, NULL, &rows);
    if (rc != DB_OK)
        resp_internal(w, db_errmsg(c));
    db_release(c);
    if (rc != DB_OK)
        return;
    json_t *inv = inv_build(&rows);
    inv_rows_free(&rows);
    if (!inv) {
        resp_internal(w, "out of memory building the inventory");
        return;
    }
    if (host) {
        json_t *vars = json_object_get(json_object_get(json_object_get(inv, "_meta"), "hostvars"), host);
        resp_json(w, 200, vars ? json_incref(vars) : json_object());
        json_decref(inv);
        return;
    }
    resp_json(w, 200, inv);
}
