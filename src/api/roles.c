/* roles.c -- see roles.h. A role's permissions and groups live in
 * role_permissions and role_groups; create and update replace both sets in
 * one transaction. Someone who is not a superuser may only put into a role
 * permissions and group scope they hold themselves (auth_can_grant). */
#include "api/roles.h"

#include "api/audit.h"
#include "api/listq.h"
#include "api/validate.h"
#include "app.h"
#include "common/util.h"
#include "http/auth.h"
#include "store/db.h"

#include <stdio.h>
#include <string.h>

static const val_field role_fields[] = {
    {"name", VT_STRING, VF_REQUIRED | VF_LINE, 0, 64},
    {"description", VT_STRING, VF_LINE, 0, 255},
    {"permissions", VT_STR_ARRAY, 0, 0, 64},
    {"group_ids", VT_ID_ARRAY, 0, 0, 1000},
    {NULL, 0, 0, 0, 0},
};

static const listq_field role_list_fields[] = {
    {"id", LISTQ_SORT},
    {"name", LISTQ_SORT | LISTQ_SEARCH},
    {"description", LISTQ_SEARCH},
    {"created_at", LISTQ_SORT},
    {NULL, 0},
};

/* Add permissions, group_ids and user_count to each role object. */
static int roles_expand(db_conn *c, json_t *roles)
{
    size_t i;
    json_t *role;
    json_array_foreach(roles, i, role) {
        json_int_t id = json_integer_value(json_object_get(role, "id"));
        json_t *perms = NULL, *groups = NULL, *list = json_array(), *gl = json_array();
        int64_t users = 0;
        if (db_query(c, "SELECT permission FROM role_permissions WHERE role_id = $1 ORDER BY permission",
                     DB_ARGS(DB_INT(id)), &perms) != DB_OK ||
            db_query(c, "SELECT group_id FROM role_groups WHERE role_id = $1 ORDER BY group_id",
                     DB_ARGS(DB_INT(id)), &groups) != DB_OK ||
            db_query_int(c, "SELECT count(*) FROM users WHERE role_id = $1", DB_ARGS(DB_INT(id)),
                         &users) != DB_OK) {
            json_decref(perms), json_decref(groups), json_decref(list), json_decref(gl);
            return -1;
        }
        size_t j;
        json_t *v;
        json_array_foreach(perms, j, v)
            json_array_append(list, json_object_get(v, "permission"));
        json_array_foreach(groups, j, v)
            json_array_append(gl, json_object_get(v, "group_id"));
        json_object_set_new(role, "permissions", list);
        json_object_set_new(role, "group_ids", gl);
        json_object_set_new(role, "user_count", json_integer(users));
        json_decref(perms);
        json_decref(groups);
    }
    return 0;
}

void roles_list(http_req *r, http_resp *w)
{
    listq q;
    if (listq_parse(r, w, role_list_fields, "name", &q)) {
        q.expand = roles_expand;
        listq_run(r, w, &q, "SELECT id, name, description, created_at, updated_at FROM roles", NULL);
    }
    listq_free(&q);
}

/* One role with its sets, or NULL. */
static json_t *role_load(app *a, int64_t id)
{
    json_t *rows = NULL;
    db_conn *c = db_acquire(a->db);
    if (db_query(c, "SELECT id, name, description, created_at, updated_at FROM roles WHERE id = $1",
                 DB_ARGS(DB_INT(id)), &rows) != DB_OK || json_array_size(rows) != 1 ||
        roles_expand(c, rows) != 0) {
        db_release(c);
        json_decref(rows);
        return NULL;
    }
    db_release(c);
    json_t *role = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return role;
}

void roles_get(http_req *r, http_resp *w)
{
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    json_t *role = role_load(r->app, id);
    if (!role)
        resp_error(w, 404, "not_found", NULL, "no role with id %lld", (long long)id);
    else
        resp_json(w, 200, role);
}

/* Check permission names and group ids (400), and that the caller may give
 * them (403, auth_can_grant). */
static bool check_sets(http_req *r, http_resp *w, db_conn *c, const json_t *body)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(body, "permissions"), i, v) {
        if (!auth_perm_valid(json_string_value(v))) {
            resp_error(w, 400, "bad_request", "permissions",
                       "unknown permission \"%s\" (module:action with module one of assets, apps, "
                       "tasks, delivery, monitor, users, settings, audit and action one of view, "
                       "edit, execute, admin)", json_string_value(v));
            return false;
        }
    }
    json_array_foreach(json_object_get(body, "group_ids"), i, v) {
        int64_t n = 0;
        if (db_query_int(c, "SELECT count(*) FROM host_groups WHERE id = $1",
                         DB_ARGS(DB_INT(json_integer_value(v))), &n) != DB_OK || n == 0) {
            resp_error(w, 400, "bad_request", "group_ids", "no host group with id %lld",
                       (long long)json_integer_value(v));
            return false;
        }
    }
    char why[256];
    if (!auth_can_grant(&r->auth, json_object_get(body, "permissions"),
                        json_object_get(body, "group_ids"), why, sizeof why)) {
        resp_error(w, 403, "forbidden",
                   json_object_get(body, "permissions") && strstr(why, "permission") ? "permissions"
                                                                                    : "group_ids",
                   "%s", why);
        return false;
    }
    return true;
}

/* Replace the role's sets with those in body (only the ones present). */
static int write_sets(db_conn *c, int64_t id, const json_t *body)
{
    json_t *perms = json_object_get(body, "permissions"), *groups = json_object_get(body, "group_ids");
    size_t i;
    json_t *v;
    if (perms) {
        if (db_exec(c, "DELETE FROM role_permissions WHERE role_id = $1", DB_ARGS(DB_INT(id)), NULL))
            return -1;
        json_array_foreach(perms, i, v)
            if (db_exec(c, "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING",
                        DB_ARGS(DB_INT(id), DB_TEXT(json_string_value(v))), NULL))
                return -1;
    }
    if (groups) {
        if (db_exec(c, "DELETE FROM role_groups WHERE role_id = $1", DB_ARGS(DB_INT(id)), NULL))
            return -1;
        json_array_foreach(groups, i, v)
            if (db_exec(c, "INSERT INTO role_groups (role_id, group_id) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING",
                        DB_ARGS(DB_INT(id), DB_INT(json_integer_value(v))), NULL))
                return -1;
    }
    return 0;
}

static const char *str_or_empty(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

void roles_create(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *row = NULL;
    db_conn *c = NULL;
    if (!body || !val_check(w, body, role_fields, false))
        goto done;
    if (!json_object_get(body, "group_ids")) /* no groups = every group: checked as such */
        json_object_set_new(body, "group_ids", json_array());
    c = db_acquire(r->app->db);
    if (!check_sets(r, w, c, body))
        goto done;
    if (db_begin(c) != DB_OK)
        goto fail;
    int64_t now = util_now();
    int rc = db_query_one(c, "INSERT INTO roles (name, description, created_at, updated_at) "
                             "VALUES ($1, $2, $3, $3) RETURNING id",
                          DB_ARGS(DB_TEXT(str_or_empty(body, "name")),
                                  DB_TEXT(str_or_empty(body, "description")), DB_INT(now)),
                          &row);
    if (rc == DB_CONSTRAINT) {
        db_rollback(c);
        resp_error(w, 409, "conflict", "name", "a role named \"%s\" exists",
                   str_or_empty(body, "name"));
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    if (rc != DB_OK || write_sets(c, id, body) != 0 || db_commit(c) != DB_OK)
        goto fail;
    audit_set_id(r, "role", id, audit_diff(NULL, body, NULL));
    resp_json(w, 201, json_pack("{s:I}", "id", (json_int_t)id));
    goto done;
fail:
    resp_internal(w, c ? db_errmsg(c) : "role");
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

void roles_update(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *before = NULL;
    db_conn *c = NULL;
    bool partial = strcmp(r->method, "PATCH") == 0;
    if (!req_id(r, w, 0, &id) || !(body = req_json(r, w)) ||
        !val_check(w, body, role_fields, partial))
        goto done;
    if (!(before = role_load(r->app, id))) {
        resp_error(w, 404, "not_found", NULL, "no role with id %lld", (long long)id);
        goto done;
    }
    if (!partial) { /* PUT: absent sets become empty */
        if (!json_object_get(body, "permissions"))
            json_object_set_new(body, "permissions", json_array());
        if (!json_object_get(body, "group_ids"))
            json_object_set_new(body, "group_ids", json_array());
        if (!json_object_get(body, "description"))
            json_object_set_new(body, "description", json_string(""));
    }
    c = db_acquire(r->app->db);
    if (!check_sets(r, w, c, body))
        goto done;
    if (db_begin(c) != DB_OK)
        goto fail;
    int64_t now = util_now();
    static const char *const cols[] = {"name", "description", NULL};
    for (const char *const *col = cols; *col; col++) {
        json_t *v = json_object_get(body, *col);
        if (!v)
            continue;
        char sql[96];
        snprintf(sql, sizeof sql, "UPDATE roles SET %s = $1, updated_at = $2 WHERE id = $3", *col);
        int rc = db_exec(c, sql, DB_ARGS(DB_TEXT(json_string_value(v)), DB_INT(now), DB_INT(id)), NULL);
        if (rc == DB_CONSTRAINT) {
            db_rollback(c);
            resp_error(w, 409, "conflict", "name", "a role with that name exists");
            goto done;
        }
        if (rc != DB_OK)
            goto fail;
    }
    if (write_sets(c, id, body) != 0 ||
        db_exec(c, "UPDATE roles SET updated_at = $1 WHERE id = $2", DB_ARGS(DB_INT(now), DB_INT(id)), NULL) ||
        db_commit(c) != DB_OK)
        goto fail;
    db_release(c);
    c = NULL;
    audit_set_id(r, "role", id, audit_diff(before, body, NULL));
    resp_json(w, 200, role_load(r->app, id));
    goto done;
fail:
    resp_internal(w, c ? db_errmsg(c) : "role");
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(before);
}

void roles_delete(http_req *r, http_resp *w)
{
    int64_t id, users = 0;
    if (!req_id(r, w, 0, &id))
        return;
    json_t *before = role_load(r->app, id);
    if (!before) {
        resp_error(w, 404, "not_found", NULL, "no role with id %lld", (long long)id);
        return;
    }
    db_conn *c = db_acquire(r->app->db);
    db_query_int(c, "SELECT count(*) FROM users WHERE role_id = $1", DB_ARGS(DB_INT(id)), &users);
    if (users > 0) {
        resp_error(w, 409, "conflict", NULL, "%lld user(s) hold this role; give them another first",
                   (long long)users);
    } else if (db_exec(c, "DELETE FROM roles WHERE id = $1", DB_ARGS(DB_INT(id)), NULL) != DB_OK) {
        resp_internal(w, db_errmsg(c));
    } else {
        audit_set_id(r, "role", id, json_pack("{s:O}", "name", json_object_get(before, "name")));
        resp_json(w, 200, json_pack("{s:b}", "ok", 1));
    }
    db_release(c);
    json_decref(before);
}

void roles_permissions(http_req *r, http_resp *w)
{
    (void)r;
    json_t *m = json_array(), *a = json_array();
    for (const char *const *p = auth_modules; *p; p++)
        json_array_append_new(m, json_string(*p));
    for (const char *const *p = auth_actions; *p; p++)
        json_array_append_new(a, json_string(*p));
    resp_json(w, 200, json_pack("{s:o, s:o}", "modules", m, "actions", a));
}
