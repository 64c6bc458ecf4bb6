/* res_row.c -- reading rows of a resource as the API shows them, and the
 * host-group scope of the caller.
 *
 * Secret columns are never selected: the SELECT list carries
 * "CASE WHEN x IS NULL THEN 0 ELSE 1 END AS x_set" instead, so a secret
 * cannot leak through any read path. Sets (a host's group_ids, a cabinet's
 * host_ids) and the display names of references are added afterwards for a
 * whole page at once: one query per reference field, never one per row.
 * A caller limited to some host groups sees, in those sets, only the rows
 * of its scope (a cabinet shows only its hosts that the caller may see).
 */
#include "cmdb/res_internal.h"

#include "app.h"
#include "http/auth.h"

#include <stdio.h>
#include <string.h>

void res_select_list(const resource *res, sbuf *out, const char *prefix)
{
    sbuf_printf(out, "%sid", prefix);
    for (const res_field *f = res->fields; f->name; f++) {
        if (!res_is_column(f))
            continue;
        if (f->type == FT_SECRET)
            sbuf_printf(out, ", CASE WHEN %s%s IS NULL THEN 0 ELSE 1 END AS %s_set", prefix, f->name,
                        f->name);
        else
            sbuf_printf(out, ", %s%s", prefix, f->name);
    }
}

/* Collect the distinct values of field `name` in rows as an id list. */
static void collect_ids(const json_t *rows, const char *name, sbuf *out)
{
    json_t *ids = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *v = json_object_get(row, name);
        if (json_is_integer(v))
            json_array_append(ids, v);
    }
    res_id_list(ids, out);
    json_decref(ids);
}

static json_t *display_of(json_t *row)
{
    json_t *d = json_object_get(row, "_display");
    if (!d) {
        d = json_object();
        json_object_set_new(row, "_display", d);
    }
    return d;
}

/* Display names for a REF field: {"idc_id": "Beijing-1"}. */
static int expand_ref(db_conn *c, const res_field *f, json_t *rows)
{
    const resource *other = resource_find(f->ref);
    json_t *found = NULL;
    sbuf sql = SBUF_INIT;
    sbuf_printf(&sql, "SELECT id, %s AS d FROM %s WHERE id IN (", other->display, other->table);
    collect_ids(rows, f->name, &sql);
    sbuf_puts(&sql, ")");
    int rc = sbuf_failed(&sql) ? DB_ERR : db_query(c, sbuf_str(&sql), DB_NOARGS, &found);
    sbuf_free(&sql);
    if (rc != DB_OK)
        return rc;
    json_t *index = json_object();
    size_t i;
    json_t *row, *hit;
    char key[32];
    json_array_foreach(found, i, hit) {
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(hit, "id")));
        json_object_set(index, key, json_object_get(hit, "d"));
    }
    json_array_foreach(rows, i, row) {
        json_t *v = json_object_get(row, f->name);
        if (!json_is_integer(v))
            continue;
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(v));
        json_t *d = json_object_get(index, key);
        if (d)
            json_object_set(display_of(row), f->name, d);
    }
    json_decref(index);
    json_decref(found);
    return DB_OK;
}

/* A set field: ids (and display names) of the related rows for each row,
 * limited to the rows of the other resource that the caller may see. */
static int expand_set(const http_req *r, db_conn *c, const res_field *f, json_t *rows)
{
    const resource *other = resource_find(f->ref);
    json_t *links = NULL;
    sbuf sql = SBUF_INIT;
    if (f->type == FT_REFS)
        sbuf_printf(&sql, "SELECT l.%s AS owner, o.id AS id, o.%s AS d FROM %s l JOIN %s o ON o.id = l.%s "
                          "WHERE l.%s IN (", f->link_self, other->display, f->link_table, other->table,
                    f->link_other, f->link_self);
    else
        sbuf_printf(&sql, "SELECT %s AS owner, id, %s AS d FROM %s o WHERE %s IN (", f->link_self,
                    other->display, other->table, f->link_self);
    collect_ids(rows, "id", &sql);
    sbuf_puts(&sql, ")");
    res_scope_sql(r, other, &sql, "o.id");
    sbuf_puts(&sql, " ORDER BY o.id");
    int rc = sbuf_failed(&sql) ? DB_ERR : db_query(c, sbuf_str(&sql), DB_NOARGS, &links);
    sbuf_free(&sql);
    if (rc != DB_OK)
        return rc;
    /* Group the links by owner id in one pass: {"12": [[ids], [names]]}. */
    json_t *index = json_object();
    size_t i;
    json_t *row, *l;
    char key[32];
    json_array_foreach(links, i, l) {
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(l, "owner")));
        json_t *pair = json_object_get(index, key);
        if (!pair) {
            pair = json_pack("[[],[]]");
            json_object_set_new(index, key, pair);
        }
        json_array_append(json_array_get(pair, 0), json_object_get(l, "id"));
        json_array_append(json_array_get(pair, 1), json_object_get(l, "d"));
    }
    json_array_foreach(rows, i, row) {
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(row, "id")));
        json_t *pair = json_object_get(index, key);
        json_object_set_new(row, f->name, pair ? json_incref(json_array_get(pair, 0)) : json_array());
        json_object_set_new(display_of(row), f->name,
                            pair ? json_incref(json_array_get(pair, 1)) : json_array());
    }
    json_decref(index);
    json_decref(links);
    return DB_OK;
}

int res_expand_rows(const http_req *r, db_conn *c, const resource *res, json_t *rows)
{
    if (json_array_size(rows) == 0)
        return DB_OK;
    for (const res_field *f = res->fields; f->name; f++) {
        int rc = DB_OK;
        if (f->type == FT_REF)
            rc = expand_ref(c, f, rows);
        else if (f->type == FT_REFS || f->type == FT_BACKREFS)
            rc = expand_set(r, c, f, rows);
        if (rc != DB_OK)
            return rc;
    }
    /* Typed values: flags as booleans, tags as arrays. */
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        for (const res_field *f = res->fields; f->name; f++) {
            json_t *v = json_object_get(row, f->name);
            if (f->type == FT_BOOL)
                json_object_set_new(row, f->name, json_boolean(json_integer_value(v)));
            else if (f->type == FT_TAGS && json_is_string(v)) {
                json_t *arr = json_loads(json_string_value(v), 0, NULL);
                if (!json_is_array(arr)) {
                    json_decref(arr);
                    arr = json_array();
                }
                json_object_set_new(row, f->name, arr);
            } else if (f->type == FT_SECRET) {
                char key[80];
                snprintf(key, sizeof key, "%s_set", f->name);
                json_object_set_new(row, key, json_boolean(json_integer_value(json_object_get(row, key))));
            }
        }
    }
    return DB_OK;
}

json_t *res_load(const http_req *r, db_conn *c, const resource *res, int64_t id, int *rc)
{
    sbuf sql = SBUF_INIT;
    json_t *rows = NULL, *row = NULL;
    sbuf_puts(&sql, "SELECT ");
    res_select_list(res, &sql, "");
    sbuf_printf(&sql, " FROM %s WHERE id = $1", res->table);
    *rc = sbuf_failed(&sql) ? DB_ERR : db_query(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &rows);
    sbuf_free(&sql);
    if (*rc == DB_OK && json_array_size(rows) == 0)
        *rc = DB_NOTFOUND;
    if (*rc == DB_OK)
        *rc = res_expand_rows(r, c, res, rows);
    if (*rc == DB_OK)
        row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

bool res_scoped(const http_req *r, const resource *res)
{
    return r && res->scope != RES_SCOPE_NONE && !r->auth.superuser && json_array_size(r->auth.group_ids) > 0;
}

bool res_scope_ids(const http_req *r, const resource *res, sbuf *out)
{
    if (!res_scoped(r, res))
        return false;
    sbuf_puts(out, res->scope == RES_SCOPE_HOSTS ? "(SELECT host_id FROM host_group_members WHERE group_id IN ("
                                                 : "(");
    res_id_list(r->auth.group_ids, out);
    sbuf_puts(out, res->scope == RES_SCOPE_HOSTS ? "))" : ")");
    return true;
}

void res_scope_sql(const http_req *r, const resource *res, sbuf *out, const char *id_col)
{
    if (!res_scoped(r, res))
        return;
    sbuf_printf(out, " AND %s IN ", id_col);
    res_scope_ids(r, res, out);
}

bool res_in_scope(const http_req *r, db_conn *c, const resource *res, int64_t id)
{
    if (!res_scoped(r, res))
        return true;
    sbuf sql = SBUF_INIT;
    int64_t n = 0;
    sbuf_printf(&sql, "SELECT count(*) FROM %s WHERE id = $1", res->table);
    res_scope_sql(r, res, &sql, "id");
    bool ok = !sbuf_failed(&sql) && db_query_int(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &n) == DB_OK &&
              n > 0;
    sbuf_free(&sql);
    return ok;
}
