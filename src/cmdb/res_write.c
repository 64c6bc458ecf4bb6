/* res_write.c -- creating, changing and deleting rows of a resource.
 *
 * Every write runs in one transaction: the row, its sets (group members…),
 * the rows that follow it (a cabinet's hosts take its IDC) and its search
 * text change together or not at all. Unique fields are checked first so the
 * answer names the field ("hostname is taken") rather than a database
 * constraint. A delete is refused while other rows refer to the row (naming
 * them); membership links are simply removed.
 *
 * Callers limited to some host groups (see res_scope) write only inside
 * their scope: rows they cannot see are "not found", a new host must be in
 * one of their groups, and replacing a set leaves the members they cannot
 * see where they were.
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
        if (f->type == FT_TAGS) { /* ["web","生产"] → "web 生产" */
            json_t *tags = json_loads(v, 0, NULL), *t;
            size_t i;
            json_array_foreach(tags, i, t) {
                if (i)
                    sbuf_putc(&text, ' ');
                lower_append(&text, json_string_value(t) ? json_string_value(t) : "");
            }
            json_decref(tags);
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

/* Keep each FT_REF with `shared` in step with that field (a host's cabinet
 * is in the host's IDC). A body that sets the reference alone takes the
 * shared value from the row referred to; a body that would make them
 * disagree is refused with 400 on the reference. */
static bool resolve_shared(http_resp *w, db_conn *c, const resource *res, json_t *body, int64_t id)
{
    for (const res_field *f = res->fields; f->name; f++) {
        json_t *ref = json_object_get(body, f->name), *sh, *cur = NULL, *orow = NULL;
        if (f->type != FT_REF || !f->shared)
            continue;
        sh = json_object_get(body, f->shared);
        if (!ref && !sh)
            continue;
        char sql[256];
        int rc = DB_OK;
        if (id && !ref) {
            snprintf(sql, sizeof sql, "SELECT %s AS r FROM %s WHERE id = $1", f->name, res->table);
            rc = db_query_one(c, sql, DB_ARGS(DB_INT(id)), &cur);
        }
        json_t *ref_v = ref ? ref : json_object_get(cur, "r");
        const resource *other = resource_find(f->ref);
        if (rc == DB_OK && json_is_integer(ref_v)) {
            snprintf(sql, sizeof sql, "SELECT %s AS s FROM %s WHERE id = $1", f->shared, other->table);
            rc = db_query_one(c, sql, DB_ARGS(DB_INT(json_integer_value(ref_v))), &orow);
        }
        json_t *want = json_object_get(orow, "s");
        bool ok = true;
        if (rc != DB_OK && rc != DB_NOTFOUND) {
            resp_internal(w, db_errmsg(c));
            ok = false;
        } else if (orow && !sh) {
            json_object_set(body, f->shared, want ? want : json_null());
        } else if (orow && !json_equal(sh, want ? want : json_null())) {
            resp_error(w, 400, "bad_request", f->name, "%s: %s %lld belongs to %s %lld; set %s to that or choose "
                       "another %s", f->name, other->object, (long long)json_integer_value(ref_v), f->shared,
                       (long long)json_integer_value(want), f->shared, other->object);
            ok = false;
        }
        json_decref(cur);
        json_decref(orow);
        if (!ok)
            return false;
    }
    return true;
}

/* After a write of row id: rows that follow it through an FT_BACKREFS with
 * `shared` take its value (a cabinet's hosts are in the cabinet's IDC). */
static int propagate_shared(db_conn *c, const resource *res, int64_t id)
{
    for (const res_field *f = res->fields; f->name; f++) {
        if (f->type != FT_BACKREFS || !f->shared)
            continue;
        const resource *other = resource_find(f->ref);
        char sql[512];
        snprintf(sql, sizeof sql,
                 "UPDATE %s SET %s = (SELECT %s FROM %s WHERE id = $1), updated_at = $2 WHERE %s = $1 "
                 "AND %s IS DISTINCT FROM (SELECT %s FROM %s WHERE id = $1)",
                 other->table, f->shared, f->shared, res->table, f->link_self, f->shared, f->shared, res->table);
        int rc = db_exec(c, sql, DB_ARGS(DB_INT(id), DB_INT(util_now())), NULL);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
}

/* Replace the set f of row id with the ids in v (NULL: empty). Members the
 * caller cannot see stay. */
static int write_set(const http_req *r, db_conn *c, const res_field *f, int64_t id, const json_t *v)
{
    const resource *other = resource_find(f->ref);
    sbuf sql = SBUF_INIT;
    int rc;
    if (f->type == FT_REFS) {
        sbuf_printf(&sql, "DELETE FROM %s WHERE %s = $1", f->link_table, f->link_self);
        if (res_scoped(r, other)) {
            sbuf_printf(&sql, " AND %s IN ", f->link_other);
            res_scope_ids(r, other, &sql);
        }
        rc = sbuf_failed(&sql) ? DB_ERR : db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), NULL);
        size_t i;
        json_t *e;
        sbuf_free(&sql);
        sbuf_printf(&sql, "INSERT INTO %s (%s, %s) VALUES ($1, $2) ON CONFLICT DO NOTHING", f->link_table,
                    f->link_self, f->link_other);
        json_array_foreach(v, i, e)
            if (rc == DB_OK)
                rc = db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id), DB_INT(json_integer_value(e))), NULL);
    } else { /* FT_BACKREFS: the other rows' column points at us */
        int64_t now = util_now();
        sbuf_printf(&sql, "UPDATE %s SET %s = NULL, updated_at = $2 WHERE %s = $1 AND id NOT IN (", other->table,
                    f->link_self, f->link_self);
        res_id_list(v, &sql);
        sbuf_puts(&sql, ")");
        res_scope_sql(r, other, &sql, "id");
        rc = sbuf_failed(&sql) ? DB_ERR : db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id), DB_INT(now)), NULL);
        sbuf_free(&sql);
        sbuf_printf(&sql, "UPDATE %s SET %s = $1, updated_at = $2 WHERE id IN (", other->table, f->link_self);
        res_id_list(v, &sql);
        sbuf_printf(&sql, ") AND %s IS DISTINCT FROM $1", f->link_self);
        if (rc == DB_OK)
            rc = sbuf_failed(&sql) ? DB_ERR : db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id), DB_INT(now)), NULL);
    }
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

/* Write the columns in v and the update time (also when only sets change). */
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

/* 409 for a unique constraint the checks above could not see (a key of
 * several fields, such as a cabinet's IDC and name). */
static void constraint_error(http_resp *w, const resource *res)
{
    char keys[128] = "";
    size_t o = 0;
    for (const res_field *f = res->fields; f->name && o < sizeof keys; f++)
        if (f->flags & F_KEY)
            o += (size_t)snprintf(keys + o, sizeof keys - o, "%s%s", o ? " and " : "", f->name);
    resp_error(w, 409, "conflict", NULL, "a %s with the same %s already exists", res->object,
               keys[0] ? keys : "values");
}

int64_t res_apply(http_req *r, http_resp *w, db_conn *c, const resource *res, json_t *body, int64_t id)
{
    res_vals v = {0};
    int rc = DB_OK;
    if (!resolve_shared(w, c, res, body, id) || !check_unique(w, c, res, body, id) ||
        !res_check_refs(r, w, c, res, body))
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
    if (id == 0)
        id = insert_row(c, res, &v, &rc);
    else
        rc = update_row(c, res, &v, id);
    for (const res_field *f = res->fields; f->name && rc == DB_OK; f++) {
        json_t *val = json_object_get(body, f->name);
        if (res_is_column(f) || !val)
            continue;
        rc = write_set(r, c, f, id, json_is_null(val) ? NULL : val);
    }
    if (rc == DB_OK)
        rc = propagate_shared(c, res, id);
    if (rc == DB_OK)
        rc = res_refresh_search(c, res, id);
    if (rc == DB_CONSTRAINT) {
        constraint_error(w, res);
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

/* The caller's scope on create and update. Hosts (RES_SCOPE_HOSTS): a
 * scoped caller must keep a host in its groups, through the set of the
 * resource whose rows are groups. Groups (RES_SCOPE_GROUPS): a scoped caller
 * cannot create one (it would not be in its scope). */
static bool scope_allows(http_req *r, http_resp *w, const resource *res, const json_t *body, bool creating)
{
    if (!res_scoped(r, res))
        return true;
    if (res->scope == RES_SCOPE_GROUPS) {
        if (creating)
            resp_error(w, 403, "forbidden", NULL, "users limited to some host groups cannot create %s", res->name);
        return !creating;
    }
    const res_field *m = NULL;
    for (const res_field *f = res->fields; f->name && !m; f++)
        if (f->type == FT_REFS && resource_find(f->ref)->scope == RES_SCOPE_GROUPS)
            m = f;
    json_t *groups = m ? json_object_get(body, m->name) : NULL;
    if (!m || (!groups && !creating))
        return true;
    size_t i, j;
    json_t *g, *s;
    bool any = false;
    json_array_foreach(groups, i, g) {
        bool ok = false;
        json_array_foreach(r->auth.group_ids, j, s)
            ok |= json_integer_value(s) == json_integer_value(g);
        if (!ok) {
            resp_error(w, 403, "forbidden", m->name, "group %lld is outside your host groups",
                       (long long)json_integer_value(g));
            return false;
        }
        any = true;
    }
    if (!any) {
        resp_error(w, 403, "forbidden", m->name, "put the %s in at least one of your host groups", res->object);
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
    if (!body)
        goto done;
    res_normalize_body(res, body);
    if (!res_check_body(w, res, body, false) || !scope_allows(r, w, res, body, true))
        goto done;
    c = db_acquire(r->app->db);
    if (db_begin(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    int64_t id = res_apply(r, w, c, res, body, 0);
    if (!id || db_commit(c) != DB_OK) {
        if (id)
            resp_internal(w, db_errmsg(c));
        db_rollback(c);
        goto done;
    }
    secret_names(res, secret, 8);
    audit_set_id(r, res->object, id, audit_diff(NULL, body, secret));
    row = res_load(r, c, res, id, &rc);
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
    if (!req_id(r, w, 0, &id))
        goto done;
    audit_set_id(r, res->object, id, NULL); /* refused attempts name their target too */
    if (!(body = req_json(r, w)))
        goto done;
    res_normalize_body(res, body);
    if (!res_check_body(w, res, body, partial))
        goto done;
    c = db_acquire(r->app->db);
    before = res_in_scope(r, c, res, id) ? res_load(r, c, res, id, &rc) : NULL;
    if (!before) {
        resp_error(w, 404, "not_found", NULL, "no %s with id %lld", res->object, (long long)id);
        goto done;
    }
    if (!scope_allows(r, w, res, body, false))
        goto done;
    if (db_begin(c) != DB_OK || !res_apply(r, w, c, res, body, id)) {
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
    after = res_load(r, c, res, id, &rc);
    resp_json(w, 200, json_incref(after));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(before);
    json_decref(after);
}

/* Up to three display names of the rows of o whose f is key, as
 * ": a, b, c…" (nothing when the caller may not see all of o). */
static void referring_names(const http_req *r, db_conn *c, const resource *o, const res_field *f, db_val key,
                            int64_t n, char *out, size_t len)
{
    char sql[256];
    json_t *rows = NULL, *row;
    size_t i, used = 0;
    out[0] = '\0';
    if (res_scoped(r, o))
        return;
    snprintf(sql, sizeof sql, "SELECT %s AS d FROM %s WHERE %s = $1 ORDER BY id LIMIT 3", o->display, o->table,
             f->name);
    if (db_query(c, sql, &key, 1, &rows) != DB_OK)
        return;
    json_array_foreach(rows, i, row) {
        const char *d = json_string_value(json_object_get(row, "d"));
        int k = snprintf(out + used, len - used, "%s%s", i ? ", " : ": ", d ? d : "?");
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
    if (n > 3 && used + 4 < len)
        snprintf(out + used, len - used, "%s", "…");
    json_decref(rows);
}

/* The FT_BACKREFS field of res that f of resource o implements (a cabinet's
 * host_ids for hosts.cabinet_id), or NULL. */
static const res_field *backref_of(const resource *res, const resource *o, const res_field *f)
{
    for (const res_field *b = res->fields; b->name; b++)
        if (b->type == FT_BACKREFS && strcmp(b->ref, o->name) == 0 && strcmp(b->link_self, f->name) == 0)
            return b;
    return NULL;
}

/* Refuse with 409 when rows of other resources refer to row id, naming
 * them. Members through an FT_BACKREFS (a cabinet's hosts) do not count:
 * they are released with the row. */
static bool check_not_referenced(const http_req *r, http_resp *w, db_conn *c, const resource *res, int64_t id,
                                 const json_t *row)
{
    for (const resource *const *o = cmdb_resources; *o; o++) {
        for (const res_field *f = (*o)->fields; f->name; f++) {
            if ((f->type != FT_REF && f->type != FT_CODE) || !f->ref || strcmp(f->ref, res->name) != 0 ||
                backref_of(res, *o, f))
                continue;
            char sql[200], names[300];
            int64_t n = 0;
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = $1", (*o)->table, f->name);
            db_val key = f->type == FT_CODE ? DB_TEXT(json_string_value(json_object_get(row, "code")))
                                            : DB_INT(id);
            if (db_query_int(c, sql, &key, 1, &n) != DB_OK) {
                resp_internal(w, db_errmsg(c));
                return false;
            }
            if (n > 0) {
                const char *me = json_string_value(json_object_get(row, res->display));
                referring_names(r, c, *o, f, key, n, names, sizeof names);
                resp_error(w, 409, "conflict", NULL,
                           "cannot delete %s \"%s\": %lld %s still refer to it (%s)%s; change or delete them first",
                           res->object, me ? me : "?", (long long)n, (*o)->name, f->name, names);
                return false;
            }
        }
    }
    for (const res_extref *x = res->extrefs; x && x->table; x++) {
        char sql[200];
        int64_t n = 0;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s = $1", x->table, x->column);
        if (db_query_int(c, sql, DB_ARGS(DB_INT(id)), &n) != DB_OK) {
            resp_internal(w, db_errmsg(c));
            return false;
        }
        if (n > 0) {
            const char *me = json_string_value(json_object_get(row, res->display));
            resp_error(w, 409, "conflict", NULL, "cannot delete %s \"%s\": %lld %s still refer to it (%s); change them first",
                       res->object, me ? me : "?", (long long)n, x->what, x->table);
            return false;
        }
    }
    return true;
}

/* Release the members of row id held through FT_BACKREFS (a cabinet's
 * hosts no longer have a cabinet). A scoped caller may not release rows it
 * cannot see: 409 then. */
static bool release_members(const http_req *r, http_resp *w, db_conn *c, const resource *res, int64_t id)
{
    for (const res_field *b = res->fields; b->name; b++) {
        if (b->type != FT_BACKREFS)
            continue;
        const resource *other = resource_find(b->ref);
        sbuf sql = SBUF_INIT;
        int64_t hidden = 0;
        int rc = DB_OK;
        if (res_scoped(r, other)) {
            sbuf_printf(&sql, "SELECT count(*) FROM %s WHERE %s = $1 AND id NOT IN ", other->table, b->link_self);
            res_scope_ids(r, other, &sql);
            rc = sbuf_failed(&sql) ? DB_ERR : db_query_int(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &hidden);
            sbuf_free(&sql);
        }
        if (rc == DB_OK && hidden > 0) {
            resp_error(w, 409, "conflict", b->name, "the %s holds %lld %s outside your host groups", res->object,
                       (long long)hidden, other->name);
            return false;
        }
        sbuf_printf(&sql, "UPDATE %s SET %s = NULL, updated_at = $2 WHERE %s = $1", other->table, b->link_self,
                    b->link_self);
        if (rc == DB_OK)
            rc = sbuf_failed(&sql) ? DB_ERR : db_exec(c, sbuf_str(&sql), DB_ARGS(DB_INT(id), DB_INT(util_now())), NULL);
        sbuf_free(&sql);
        if (rc != DB_OK) {
            resp_internal(w, db_errmsg(c));
            return false;
        }
    }
    return true;
}

/* Delete one row inside the caller's transaction; its display name is
 * appended to names (when not NULL). */
static bool delete_one(http_req *r, http_resp *w, db_conn *c, const resource *res, int64_t id, json_t *names)
{
    int rc;
    json_t *row = res_in_scope(r, c, res, id) ? res_load(r, c, res, id, &rc) : NULL;
    bool ok = false;
    if (!row) {
        resp_error(w, 404, "not_found", NULL, "no %s with id %lld", res->object, (long long)id);
        goto done;
    }
    if (!check_not_referenced(r, w, c, res, id, row) || !release_members(r, w, c, res, id))
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
    if (names)
        json_array_append(names, json_object_get(row, res->display) ? json_object_get(row, res->display)
                                                                     : json_null());
    ok = true;
done:
    json_decref(row);
    return ok;
}

/* Audit detail of a deleted row: every value it had, old → null. */
static json_t *deleted_detail(const json_t *row)
{
    json_t *gone = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)row, key, v)
        if (strcmp(key, "_display") != 0 && !json_is_null(v))
            json_object_set(gone, key, json_null());
    json_t *d = audit_diff(row, gone, NULL);
    json_decref(gone);
    return d;
}

void resource_delete(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    audit_set_id(r, res->object, id, NULL);
    db_conn *c = db_acquire(r->app->db);
    int rc;
    json_t *before = res_in_scope(r, c, res, id) ? res_load(r, c, res, id, &rc) : NULL;
    if (db_begin(c) == DB_OK && delete_one(r, w, c, res, id, NULL) && db_commit(c) == DB_OK) {
        audit_set_id(r, res->object, id, before ? deleted_detail(before) : NULL);
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
    json_t *body = req_json(r, w), *ids, *names = json_array(), *done_ids = json_array();
    db_conn *c = NULL;
    if (!body)
        goto done;
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
    json_array_foreach(ids, i, e) {
        size_t j;
        json_t *d;
        bool again = false;
        json_array_foreach(done_ids, j, d)
            again |= json_integer_value(d) == json_integer_value(e);
        if (again) /* the same id twice is one delete */
            continue;
        if (!delete_one(r, w, c, res, json_integer_value(e), names)) {
            db_rollback(c);
            goto done;
        }
        json_array_append(done_ids, e);
    }
    if (db_commit(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    audit_set(r, res->object, "", json_pack("{s:O, s:O}", "ids", done_ids, "names", names));
    resp_json(w, 200, json_pack("{s:b, s:I}", "ok", 1, "deleted", (json_int_t)json_array_size(done_ids)));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(names);
    json_decref(done_ids);
}
