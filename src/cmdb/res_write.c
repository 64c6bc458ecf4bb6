/* res_write.c -- creating, changing and deleting rows of a resource.
 *
 * Every write runs in one transaction: the row, its sets (group members…)
 * and its search text change together or not at all. Unique fields are
 * checked first so the answer names the field ("hostname is taken") rather
 * than a database constraint. A delete is refused while other rows refer to
 * the row (naming them); membership links are simply removed.
 */
#include "cmdb/res_internal.h"

#include "api/audit.h"
#include "app.h"
#include "common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Secret field names of res, for masking in the audit log. */
static void secret_names(const resource *res, const char **out, int cap)
{
    int n = 0;
    for (const res_field *f = res->fields; f->name && n < cap - 1; f++)
        if (f->type == FT_SECRET)
            out[n++] = f->name;
    out[n] = NULL;
}

static void lower_append(sbuf *b, const char *s)
{
    for (; *s; s++)
        sbuf_putc(b, (char)tolower((unsigned char)*s));
}

int res_refresh_search(db_conn *c, const resource *res, int64_t id)
{
    if (res->no_search_text)
        return DB_OK;
    sbuf sql = SBUF_INIT, text = SBUF_INIT;
    json_t *row = NULL;
    int rc = DB_ERR;
    sbuf_puts(&sql, "SELECT id");
    for (const res_field *f = res->fields; f->name; f++)
        if ((f->flags & F_SEARCH) && res_is_column(f))
            sbuf_printf(&sql, ", %s", f->name);
    sbuf_printf(&sql, " FROM %s WHERE id = $1", res->table);
    if (sbuf_failed(&sql) || (rc = db_query_one(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &row)) != DB_OK)
        goto done;
    for (const res_field *f = res->fields; f->name; f++) {
        const char *v = json_string_value(json_object_get(row, f->name));
        if (!(f->flags & F_SEARCH) || !v || !*v)
            continue;
        if (f->type == FT_TAGS) { /* ["web","prod"] → "web prod" */
            for (const char *p = v; *p; p++)
                if (!strchr("[]\"", *p))
                    sbuf_putc(&text, *p == ',' ? ' ' : (char)tolower((unsigned char)*p));
        } else {
            lower_append(&text, v);
        }
        sbuf_putc(&text, '\n');
    }
    sbuf_free(&sql);
    sbuf_printf(&sql, "UPDATE %s SET search_text = $1 WHERE id = $2", res->table);
    rc = sbuf_failed(&sql) || sbuf_failed(&text)
             ? DB_ERR
             : db_exec(c, sbuf_str(&sql), DB_ARGS(DB_TEXT(sbuf_str(&text)), DB_INT(id)), NULL);
done:
    sbuf_free(&sql);
    sbuf_free(&text);
    json_decref(row);
    return rc;
}

/* 409 when a unique field's value is held by another row. */
static bool check_unique(http_resp *w, db_conn *c, const resource *res, const json_t *body, int64_t id)
{
    for (const res_field *f = res->fields; f->name; f++) {
        json_t *v = json_object_get(body, f->name);
        if (!(f->flags & F_UNIQUE) || !json_is_string(v))
            continue;
        char sql[160];
        int64_t n = 0;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = $1 AND id <> $2", res->table, f->name);
        if (db_query_int(c, sql, DB_ARGS(DB_TEXT(json_string_value(v)), DB_INT(id)), &n) != DB_OK) {
            resp_internal(w, db_errmsg(c));
            return false;
        }
        if (n > 0) {
            resp_error(w, 409, "conflict", f->name, "%s \"%s\" is already taken", f->name,
                       json_string_value(v));
            return false;
        }
    }
    return true;
}

/* Replace the set f of row id with the ids in v. */
static int write_set(db_conn *c, const resource *res, const res_field *f, int64_t id, const json_t *v)
{
    sbuf sql = SBUF_INIT;
    int rc;
    if (f->type == FT_REFS) {
        sbuf_printf(&sql, "DELETE FROM %s WHERE %s = $1", f->link_table, f->link_self);
        rc = db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), NULL);
        size_t i;
        json_t *e;
        sbuf_free(&sql);
        sbuf_printf(&sql, "INSERT INTO %s (%s, %s) VALUES ($1, $2) ON CONFLICT DO NOTHING", f->link_table,
                    f->link_self, f->link_other);
        json_array_foreach(v, i, e)
            if (rc == DB_OK)
                rc = db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id), DB_INT(json_integer_value(e))), NULL);
    } else { /* FT_BACKREFS: the other rows' column points at us */
        const resource *other = resource_find(f->ref);
        sbuf_printf(&sql, "UPDATE %s SET %s = NULL WHERE %s = $1 AND id NOT IN (", other->table,
                    f->link_self, f->link_self);
        res_id_list(v, &sql);
        sbuf_puts(&sql, ")");
        rc = db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), NULL);
        sbuf_free(&sql);
        sbuf_printf(&sql, "UPDATE %s SET %s = $1 WHERE id IN (", other->table, f->link_self);
        res_id_list(v, &sql);
        sbuf_puts(&sql, ")");
        if (rc == DB_OK)
            rc = db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), NULL);
        (void)res;
    }
    if (sbuf_failed(&sql))
        rc = DB_ERR;
    sbuf_free(&sql);
    return rc;
}

static int64_t insert_row(db_conn *c, const resource *res, res_vals *v, int *rc)
{
    sbuf sql = SBUF_INIT;
    json_t *row = NULL;
    int64_t now = util_now(), id = 0;
    sbuf_printf(&sql, "INSERT INTO %s (", res->table);
    for (int i = 0; i < v->n; i++)
        sbuf_printf(&sql, "%s, ", v->cols[i]);
    sbuf_puts(&sql, "created_at, updated_at) VALUES (");
    for (int i = 0; i < v->n; i++)
        sbuf_printf(&sql, "$%d, ", i + 1);
    sbuf_printf(&sql, "$%d, $%d) RETURNING id", v->n + 1, v->n + 1);
    v->vals[v->n] = DB_INT(now);
    *rc = sbuf_failed(&sql) ? DB_ERR : db_query_one(c, sbuf_str(&sql), v->vals, v->n + 1, &row);
    if (*rc == DB_OK)
        id = json_integer_value(json_object_get(row, "id"));
    json_decref(row);
    sbuf_free(&sql);
    return id;
}

static int update_row(db_conn *c, const resource *res, res_vals *v, int64_t id)
{
    sbuf sql = SBUF_INIT;
    sbuf_printf(&sql, "UPDATE %s SET ", res->table);
    for (int i = 0; i < v->n; i++)
        sbuf_printf(&sql, "%s = $%d, ", v->cols[i], i + 1);
    sbuf_printf(&sql, "updated_at = $%d WHERE id = $%d", v->n + 1, v->n + 2);
    v->vals[v->n] = DB_INT(util_now());
    v->vals[v->n + 1] = DB_INT(id);
    int rc = sbuf_failed(&sql) ? DB_ERR : db_exec(c, sbuf_str(&sql), v->vals, v->n + 2, NULL);
    sbuf_free(&sql);
    return rc;
}

int64_t res_apply(http_req *r, http_resp *w, db_conn *c, const resource *res, const json_t *body,
                  int64_t id, bool full)
{
    res_vals v = {0};
    int rc = DB_OK;
    (void)r;
    (void)full;
    if (!check_unique(w, c, res, body, id) || !res_check_refs(w, c, res, body))
        return 0;
    /* Only the fields sent are written; absent ones keep their value (or
     * take the column default on create). PUT differs from PATCH only in
     * requiring the required fields, so a client that never saw a secret
     * cannot wipe it by leaving it out. */
    for (const res_field *f = res->fields; f->name; f++) {
        json_t *val = json_object_get(body, f->name);
        if (!val || !res_is_column(f) || (f->flags & F_READONLY))
            continue;
        if (f->type == FT_CODE && (json_is_null(val) || json_string_length(val) == 0))
            continue;
        if (!res_bind_value(&v, f, val)) {
            resp_internal(w, "out of memory");
            goto fail;
        }
    }
    if (id == 0) {
        id = insert_row(c, res, &v, &rc);
    } else if (v.n > 0) {
        rc = update_row(c, res, &v, id);
    }
    for (const res_field *f = res->fields; f->name && rc == DB_OK; f++) {
        json_t *val = json_object_get(body, f->name);
        if (res_is_column(f) || !val)
            continue;
        rc = write_set(c, res, f, id, json_is_null(val) ? NULL : val);
    }
    if (rc == DB_OK)
        rc = res_refresh_search(c, res, id);
    if (rc == DB_CONSTRAINT) {
        resp_error(w, 409, "conflict", NULL, "a %s with these values already exists", res->object);
        goto fail;
    }
    if (rc == DB_FOREIGN) {
        resp_error(w, 400, "bad_request", NULL, "a referenced record does not exist");
        goto fail;
    }
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto fail;
    }
    res_vals_free(&v);
    return id;
fail:
    res_vals_free(&v);
    return 0;
}

/* Host-group scope on create and update: a scoped user must keep hosts in
 * their groups. */
static bool scope_allows_groups(http_req *r, http_resp *w, const resource *res, const json_t *body,
                                bool creating)
{
    if (!res->group_scoped || r->auth.superuser || json_array_size(r->auth.group_ids) == 0)
        return true;
    json_t *groups = json_object_get(body, "group_ids");
    if (!groups && !creating)
        return true;
    size_t i, j;
    json_t *g, *s;
    bool any = false;
    json_array_foreach(groups, i, g) {
        bool ok = false;
        json_array_foreach(r->auth.group_ids, j, s)
            ok |= json_integer_value(s) == json_integer_value(g);
        if (!ok) {
            resp_error(w, 403, "forbidden", "group_ids", "group %lld is outside your host groups",
                       (long long)json_integer_value(g));
            return false;
        }
        any = true;
    }
    if (!any) {
        resp_error(w, 403, "forbidden", "group_ids", "put the host in at least one of your host groups");
        return false;
    }
    return true;
}

void resource_create(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    json_t *body = req_json(r, w), *row = NULL;
    db_conn *c = NULL;
    const char *secret[8];
    int rc;
    if (!body || !res_check_body(w, res, body, false) || !scope_allows_groups(r, w, res, body, true))
        goto done;
    c = db_acquire(r->app->db);
    if (db_begin(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    int64_t id = res_apply(r, w, c, res, body, 0, true);
    if (!id || db_commit(c) != DB_OK) {
        if (id)
            resp_internal(w, db_errmsg(c));
        db_rollback(c);
        goto done;
    }
    secret_names(res, secret, 8);
    audit_set_id(r, res->object, id, audit_diff(NULL, body, secret));
    row = res_load(c, res, id, &rc);
    resp_json(w, 201, row ? json_incref(row) : json_pack("{s:I}", "id", (json_int_t)id));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

void resource_update(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    bool partial = strcmp(r->method, "PATCH") == 0;
    json_t *body = NULL, *before = NULL, *after = NULL;
    db_conn *c = NULL;
    const char *secret[8];
    int64_t id;
    int rc;
    if (!req_id(r, w, 0, &id) || !(body = req_json(r, w)) || !res_check_body(w, res, body, partial) ||
        !scope_allows_groups(r, w, res, body, false))
        goto done;
    c = db_acquire(r->app->db);
    before = res_load(c, res, id, &rc);
    if (!before || !res_in_scope(r, c, res, id)) {
        resp_error(w, 404, "not_found", NULL, "no %s with id %lld", res->object, (long long)id);
        goto done;
    }
    if (db_begin(c) != DB_OK || !res_apply(r, w, c, res, body, id, !partial)) {
        if (w->status == 0)
            resp_internal(w, db_errmsg(c));
        db_rollback(c);
        goto done;
    }
    if (db_commit(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    secret_names(res, secret, 8);
    audit_set_id(r, res->object, id, audit_diff(before, body, secret));
    after = res_load(c, res, id, &rc);
    resp_json(w, 200, json_incref(after));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(before);
    json_decref(after);
}

/* Refuse with 409 when rows of other resources refer to row id. */
static bool check_not_referenced(http_resp *w, db_conn *c, const resource *res, int64_t id,
                                 const json_t *row)
{
    for (const resource *const *o = cmdb_resources; *o; o++) {
        for (const res_field *f = (*o)->fields; f->name; f++) {
            if ((f->type != FT_REF && f->type != FT_CODE) || !f->ref || strcmp(f->ref, res->name) != 0)
                continue;
            char sql[200];
            int64_t n = 0;
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = $1", (*o)->table, f->name);
            db_val key = f->type == FT_CODE ? DB_TEXT(json_string_value(json_object_get(row, "code")))
                                            : DB_INT(id);
            if (db_query_int(c, sql, &key, 1, &n) != DB_OK) {
                resp_internal(w, db_errmsg(c));
                return false;
            }
            if (n > 0) {
                resp_error(w, 409, "conflict", NULL,
                           "cannot delete %s %lld: %lld %s still refer to it (%s); change them first",
                           res->object, (long long)id, (long long)n, (*o)->name, f->name);
                return false;
            }
        }
    }
    return true;
}

/* Delete one row inside the caller's transaction. */
static bool delete_one(http_req *r, http_resp *w, db_conn *c, const resource *res, int64_t id)
{
    int rc;
    json_t *row = res_load(c, res, id, &rc);
    bool ok = false;
    if (!row || !res_in_scope(r, c, res, id)) {
        resp_error(w, 404, "not_found", NULL, "no %s with id %lld", res->object, (long long)id);
        goto done;
    }
    if (!check_not_referenced(w, c, res, id, row))
        goto done;
    char sql[128];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE id = $1", res->table);
    rc = db_exec(c, sql, DB_ARGS(DB_INT(id)), NULL);
    if (rc == DB_FOREIGN) {
        resp_error(w, 409, "conflict", NULL, "cannot delete %s %lld: other records refer to it",
                   res->object, (long long)id);
        goto done;
    }
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    ok = true;
done:
    json_decref(row);
    return ok;
}

void resource_delete(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    int rc;
    json_t *before = res_load(c, res, id, &rc);
    if (db_begin(c) == DB_OK && delete_one(r, w, c, res, id) && db_commit(c) == DB_OK) {
        json_t *name = json_object_get(before, res->display);
        audit_set_id(r, res->object, id, name ? json_pack("{s:O}", res->display, name) : NULL);
        resp_json(w, 200, json_pack("{s:b}", "ok", 1));
    } else {
        db_rollback(c);
        if (w->status == 0)
            resp_internal(w, db_errmsg(c));
    }
    json_decref(before);
    db_release(c);
}

void resource_bulk_delete(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    json_t *body = req_json(r, w), *ids;
    db_conn *c = NULL;
    if (!body)
        return;
    ids = json_object_get(body, "ids");
    if (json_object_size(body) != 1 || !json_is_array(ids) || json_array_size(ids) == 0 ||
        json_array_size(ids) > 1000) {
        resp_error(w, 400, "bad_request", "ids", "send {\"ids\": [1, 2, …]} with 1 to 1000 ids");
        goto done;
    }
    size_t i;
    json_t *e;
    json_array_foreach(ids, i, e)
        if (!json_is_integer(e) || json_integer_value(e) <= 0) {
            resp_error(w, 400, "bad_request", "ids", "ids[%zu] must be a positive integer", i);
            goto done;
        }
    c = db_acquire(r->app->db);
    if (db_begin(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    json_array_foreach(ids, i, e)
        if (!delete_one(r, w, c, res, json_integer_value(e))) {
            db_rollback(c);
            goto done;
        }
    if (db_commit(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    audit_set(r, res->object, "", json_pack("{s:O}", "ids", ids));
    resp_json(w, 200, json_pack("{s:b, s:I}", "ok", 1, "deleted", (json_int_t)json_array_size(ids)));
done:
    if (c)
        db_release(c);
    json_decref(body);
}
