/* users.c -- see users.h. Passwords are hashed on the worker pool (the
 * create and reset routes are ROUTE_SLOW).
 *
 * Beyond the route permissions, three rules keep users:edit / users:admin
 * from becoming more: only a superuser may create, change, delete or reset
 * the password of a superuser; a role may be given only by someone who
 * holds all of its permissions and group scope (auth_can_grant); and the
 * last active superuser cannot be demoted, deactivated or deleted. */
#include "api/users.h"

#include "api/audit.h"
#include "api/listq.h"
#include "api/session.h"
#include "api/settings.h"
#include "api/validate.h"
#include "app.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/util.h"
#include "http/auth.h"
#include "store/db.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const val_field user_fields[] = {
    {"username", VT_STRING, VF_REQUIRED | VF_IDENT, 0, 64},
    {"password", VT_STRING, VF_REQUIRED, 0, 1024},
    {"display_name", VT_STRING, VF_LINE, 0, 128},
    {"email", VT_STRING, VF_LINE, 0, 254},
    {"phone", VT_STRING, VF_LINE, 0, 32},
    {"role_id", VT_INT, VF_NULLABLE, 1, INT64_MAX},
    {"active", VT_BOOL, 0, 0, 0},
    {"superuser", VT_BOOL, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const listq_field user_list_fields[] = {
    {"id", LISTQ_SORT},
    {"username", LISTQ_SORT | LISTQ_SEARCH},
    {"display_name", LISTQ_SORT | LISTQ_SEARCH},
    {"email", LISTQ_SORT | LISTQ_SEARCH},
    {"phone", LISTQ_SEARCH},
    {"last_login_at", LISTQ_SORT},
    {"created_at", LISTQ_SORT},
    {NULL, 0},
};

/* locked_until: when the user's login lock ends, null when not locked. */
static void set_locked_until(json_t *u, int64_t until)
{
    json_object_set_new(u, "locked_until", until > util_now() ? json_integer(until) : json_null());
}

/* active and superuser as true/false, as in GET /users/{id}. */
static int users_expand(db_conn *c, json_t *items)
{
    (void)c;
    size_t i;
    json_t *u;
    json_array_foreach(items, i, u) {
        set_locked_until(u, json_integer_value(json_object_get(u, "locked_until")));
        json_object_set_new(u, "active", json_boolean(json_integer_value(json_object_get(u, "active"))));
        json_object_set_new(u, "superuser",
                            json_boolean(json_integer_value(json_object_get(u, "superuser"))));
    }
    return 0;
}

void users_list(http_req *r, http_resp *w)
{
    listq q;
    if (listq_parse(r, w, user_list_fields, "username", &q)) {
        q.expand = users_expand;
        const char *role = req_query(r, "role_id");
        int64_t rid;
        if (role && *role) {
            if (!util_parse_i64(role, &rid)) {
                resp_error(w, 400, "bad_request", "role_id", "role_id must be an integer");
                goto done;
            }
            listq_where(&q, "role_id = $%d", DB_INT(rid));
        }
        listq_run(r, w, &q,
                  "SELECT * FROM (SELECT u.id, u.username, u.display_name, u.email, u.phone, "
                  "u.active, u.superuser, u.role_id, r.name AS role_name, u.source, "
                  "u.last_login_at, u.created_at, u.updated_at, t.locked_until FROM users u "
                  "LEFT JOIN roles r ON r.id = u.role_id "
                  "LEFT JOIN login_throttle t ON t.key = 'user:' || u.username) x", /* session.c's user_key */
                  NULL);
    }
done:
    listq_free(&q);
}

void users_get(http_req *r, http_resp *w)
{
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    json_t *u = session_user_json(r->app, id);
    if (!u) {
        resp_error(w, 404, "not_found", NULL, "no user with id %lld", (long long)id);
        return;
    }
    db_conn *c = db_acquire(r->app->db);
    set_locked_until(u, session_user_locked_until(
                            c, json_string_value(json_object_get(u, "username"))));
    db_release(c);
    resp_json(w, 200, u);
}

/* Answer 400 when role `id` does not exist, 403 when the caller may not give
 * it (auth_can_grant). */
static bool role_grantable(http_req *r, http_resp *w, db_conn *c, int64_t id)
{
    json_t *perms = NULL, *groups = NULL, *pl = json_array(), *gl = json_array();
    int64_t n = 0;
    bool ok = false;
    char why[256];
    if (db_query_int(c, "SELECT count(*) FROM roles WHERE id = $1", DB_ARGS(DB_INT(id)), &n) != DB_OK ||
        n == 0) {
        resp_error(w, 400, "bad_request", "role_id", "no role with id %lld", (long long)id);
        goto done;
    }
    if (db_query(c, "SELECT permission FROM role_permissions WHERE role_id = $1", DB_ARGS(DB_INT(id)),
                 &perms) != DB_OK ||
        db_query(c, "SELECT group_id FROM role_groups WHERE role_id = $1", DB_ARGS(DB_INT(id)),
                 &groups) != DB_OK || !pl || !gl) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    size_t i;
    json_t *v;
    json_array_foreach(perms, i, v)
        json_array_append(pl, json_object_get(v, "permission"));
    json_array_foreach(groups, i, v)
        json_array_append(gl, json_object_get(v, "group_id"));
    if (!auth_can_grant(&r->auth, pl, gl, why, sizeof why)) {
        resp_error(w, 403, "forbidden", "role_id", "%s", why);
        goto done;
    }
    ok = true;
done:
    json_decref(perms);
    json_decref(groups);
    json_decref(pl);
    json_decref(gl);
    return ok;
}

/* Checks shared by create and update beyond the field table. */
static bool check_user_rules(http_req *r, http_resp *w, db_conn *c, const json_t *body)
{
    json_t *role = json_object_get(body, "role_id");
    if (json_is_integer(role) && !role_grantable(r, w, c, json_integer_value(role)))
        return false;
    if (val_bool(json_object_get(body, "superuser")) && !r->auth.superuser) {
        resp_error(w, 403, "forbidden", "superuser", "only a superuser can grant superuser");
        return false;
    }
    return true;
}

/* Only a superuser may change, delete or reset a superuser's account;
 * answers 403 otherwise. `target` is the account (session_user_json()). */
static bool may_touch(http_req *r, http_resp *w, const json_t *target)
{
    if (r->auth.superuser || !json_is_true(json_object_get(target, "superuser")))
        return true;
    resp_error(w, 403, "forbidden", NULL, "only a superuser can change a superuser's account");
    return false;
}

static bool password_ok(http_req *r, http_resp *w, const char *pw, const char *field)
{
    int64_t min = settings_int(r->app, "password_min_length");
    if ((int64_t)util_utf8_len(pw) < min) {
        resp_error(w, 400, "bad_request", field, "the password must have at least %lld characters",
                   (long long)min);
        return false;
    }
    return true;
}

static const char *str_or_empty(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

void users_create(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *row = NULL;
    db_conn *c = NULL;
    static const char *const secret[] = {"password", NULL};
    if (!body || !val_check(w, body, user_fields, false))
        goto done;
    const char *pw = json_string_value(json_object_get(body, "password"));
    if (!password_ok(r, w, pw, "password"))
        goto done;
    c = db_acquire(r->app->db);
    if (!check_user_rules(r, w, c, body))
        goto done;
    char hash[SECRET_HASH_MAX];
    if (secret_password_hash(pw, hash) < 0) {
        resp_internal(w, "password hash");
        goto done;
    }
    json_t *role = json_object_get(body, "role_id"), *active = json_object_get(body, "active");
    int64_t now = util_now();
    int rc = db_query_one(
        c,
        "INSERT INTO users (username, display_name, email, phone, password_hash, active, superuser, "
        "role_id, password_changed_at, created_at, updated_at) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9,$9) RETURNING id",
        DB_ARGS(DB_TEXT(str_or_empty(body, "username")), DB_TEXT(str_or_empty(body, "display_name")),
                DB_TEXT(str_or_empty(body, "email")), DB_TEXT(str_or_empty(body, "phone")),
                DB_TEXT(hash), DB_INT(active ? val_bool(active) : 1),
                DB_INT(val_bool(json_object_get(body, "superuser"))),
                json_is_integer(role) ? DB_INT(json_integer_value(role)) : DB_NULLV, DB_INT(now)),
        &row);
    if (rc == DB_CONSTRAINT) {
        resp_error(w, 409, "conflict", "username", "the user name \"%s\" is taken",
                   str_or_empty(body, "username"));
        goto done;
    }
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    audit_set_id(r, "user", id, audit_diff(NULL, body, secret));
    resp_json(w, 201, json_pack("{s:I}", "id", (json_int_t)id));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

static const char *const update_columns[] = {"display_name", "email", "phone", "role_id",
                                             "active", "superuser", "username", NULL};

/* Refuse changes that would leave no active superuser. */
static bool keeps_a_superuser(http_resp *w, db_conn *c, int64_t id, const json_t *body)
{
    json_t *su = json_object_get(body, "superuser"), *ac = json_object_get(body, "active");
    bool demote = (su && !val_bool(su)) || (ac && !val_bool(ac));
    int64_t others = 0;
    if (!demote)
        return true;
    db_query_int(c, "SELECT count(*) FROM users WHERE superuser = 1 AND active = 1 AND id <> $1",
                 DB_ARGS(DB_INT(id)), &others);
    if (others > 0)
        return true;
    int64_t is_su = 0;
    db_query_int(c, "SELECT count(*) FROM users WHERE id = $1 AND superuser = 1 AND active = 1",
                 DB_ARGS(DB_INT(id)), &is_su);
    if (!is_su)
        return true;
    resp_error(w, 409, "conflict", su ? "superuser" : "active",
               "this is the last active superuser; make another one first");
    return false;
}

void users_update(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *before = NULL, *after = NULL;
    db_conn *c = NULL;
    bool partial = strcmp(r->method, "PATCH") == 0;
    if (!req_id(r, w, 0, &id) || !(body = req_json(r, w)))
        goto done;
    if (json_object_get(body, "password")) {
        resp_error(w, 400, "bad_request", "password",
                   "change passwords with POST /api/v1/users/{id}/password");
        goto done;
    }
    /* PUT replaces every editable field; username and password stay optional. */
    if (!val_check(w, body, user_fields, true))
        goto done;
    before = session_user_json(r->app, id);
    if (!before) {
        resp_error(w, 404, "not_found", NULL, "no user with id %lld", (long long)id);
        goto done;
    }
    if (!may_touch(r, w, before))
        goto done;
    c = db_acquire(r->app->db);
    if (!check_user_rules(r, w, c, body) || !keeps_a_superuser(w, c, id, body))
        goto done;
    if (db_begin(c) != DB_OK)
        goto fail;
    for (const char *const *col = update_columns; *col; col++) {
        json_t *v = json_object_get(body, *col);
        if (!v && partial)
            continue;
        db_val val;
        if (!v || json_is_null(v))
            val = strcmp(*col, "role_id") == 0 ? DB_NULLV : DB_TEXT("");
        else if (json_is_string(v))
            val = DB_TEXT(json_string_value(v));
        else
            val = DB_INT(json_is_boolean(v) ? val_bool(v) : json_integer_value(v));
        if (!v && (strcmp(*col, "username") == 0 || strcmp(*col, "active") == 0 ||
                   strcmp(*col, "superuser") == 0))
            continue; /* PUT without them keeps them */
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE users SET %s = $1, updated_at = $2 WHERE id = $3", *col);
        int rc = db_exec(c, sql, DB_ARGS(val, DB_INT(util_now()), DB_INT(id)), NULL);
        if (rc == DB_CONSTRAINT) {
            resp_error(w, 409, "conflict", *col, "the user name is taken");
            goto done;
        }
        if (rc != DB_OK)
            goto fail;
    }
    if (db_commit(c) != DB_OK)
        goto fail;
    db_release(c);
    c = NULL;
    json_t *act = json_object_get(body, "active");
    if (act && !val_bool(act))
        session_revoke_user(r->app, id, NULL);
    after = session_user_json(r->app, id);
    audit_set_id(r, "user", id, audit_diff(before, body, NULL));
    resp_json(w, 200, json_incref(after));
    goto done;
fail:
    resp_internal(w, c ? db_errmsg(c) : "update user");
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(before);
    json_decref(after);
}

void users_delete(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *before = NULL;
    db_conn *c = NULL;
    if (!req_id(r, w, 0, &id))
        return;
    if (id == r->auth.user_id) {
        resp_error(w, 409, "conflict", NULL, "you cannot delete your own account");
        return;
    }
    before = session_user_json(r->app, id);
    if (!before) {
        resp_error(w, 404, "not_found", NULL, "no user with id %lld", (long long)id);
        return;
    }
    if (!may_touch(r, w, before)) {
        json_decref(before);
        return;
    }
    c = db_acquire(r->app->db);
    json_t *demote = json_pack("{s:b}", "superuser", 0);
    bool ok = keeps_a_superuser(w, c, id, demote);
    json_decref(demote);
    if (!ok)
        goto done;
    if (db_exec(c, "DELETE FROM users WHERE id = $1", DB_ARGS(DB_INT(id)), NULL) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    audit_set_id(r, "user", id, json_pack("{s:O}", "username", json_object_get(before, "username")));
    resp_json(w, 200, json_pack("{s:b}", "ok", 1));
done:
    db_release(c);
    json_decref(before);
}

static const val_field reset_fields[] = {
    {"password", VT_STRING, 0, 0, 1024},
    {"revoke_tokens", VT_BOOL, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

void users_reset_password(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *target = NULL;
    db_conn *c = NULL;
    char pw[64], hash[SECRET_HASH_MAX];
    if (!req_id(r, w, 0, &id))
        return;
    audit_set_id(r, "user", id, json_pack("{s:s}", "password", "***"));
    if (r->body_len) {
        if (!(body = req_json(r, w)) || !val_check(w, body, reset_fields, false))
            goto done;
    }
    const char *given = json_string_value(json_object_get(body, "password"));
    if (given && !password_ok(r, w, given, "password"))
        goto done;
    if (!given)
        secret_random_password(pw, 14);
    target = session_user_json(r->app, id);
    if (!target) {
        resp_error(w, 404, "not_found", NULL, "no user with id %lld", (long long)id);
        goto done;
    }
    if (!may_touch(r, w, target))
        goto done;
    const char *username = json_string_value(json_object_get(target, "username"));
    int64_t revoked = 0;
    bool revoke = val_bool(json_object_get(body, "revoke_tokens"));
    c = db_acquire(r->app->db);
    if (secret_password_hash(given ? given : pw, hash) < 0) {
        resp_internal(w, "hash");
        goto done;
    }
    /* one transaction: the new password, the lifted lock, the revocations */
    if (db_begin(c) != DB_OK ||
        db_exec(c, "UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 "
                   "WHERE id = $3",
                DB_ARGS(DB_TEXT(hash), DB_INT(util_now()), DB_INT(id)), NULL) != DB_OK ||
        session_unlock_user(c, username) < 0 ||
        (revoke && db_exec(c, "UPDATE api_tokens SET revoked_at = $1 "
                              "WHERE user_id = $2 AND revoked_at IS NULL",
                           DB_ARGS(DB_INT(util_now()), DB_INT(id)), &revoked) != DB_OK) ||
        db_commit(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        db_rollback(c);
        goto done;
    }
    db_release(c);
    c = NULL;
    session_revoke_user(r->app, id, NULL);
    json_t *out = json_pack("{s:b, s:I}", "ok", 1, "tokens_revoked", (json_int_t)revoked);
    if (!given)
        json_object_set_new(out, "password", json_string(pw));
    resp_json(w, 200, out);
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(target);
}

static const val_field no_fields[] = {{NULL, 0, 0, 0, 0}};

void users_unlock(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *target = NULL;
    db_conn *c = NULL;
    if (!req_id(r, w, 0, &id))
        return;
    audit_set_id(r, "user", id, NULL);
    if (r->body_len && (!(body = req_json(r, w)) || !val_check(w, body, no_fields, false)))
        goto done;
    if (!(target = session_user_json(r->app, id))) {
        resp_error(w, 404, "not_found", NULL, "no user with id %lld", (long long)id);
        goto done;
    }
    if (!may_touch(r, w, target))
        goto done;
    c = db_acquire(r->app->db);
    int was = session_unlock_user(c, json_string_value(json_object_get(target, "username")));
    if (was < 0) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    resp_json(w, 200, json_pack("{s:b, s:b}", "ok", 1, "was_locked", was));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(target);
}

static void write_initial_password(app *a, const char *pw)
{
    char path[CONFIG_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/initial-admin-password", a->cfg.data_dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    size_t n = strlen(pw);
    if (write(fd, pw, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
        log_warn("initial_password_write_failed", "path=%s", path);
    close(fd);
}

int users_bootstrap(app *a)
{
    int64_t n = 0;
    int rc = -1;
    db_conn *c = db_acquire(a->db);
    if (db_query_int(c, "SELECT count(*) FROM users", DB_NOARGS, &n) != DB_OK)
        goto done;
    if (n > 0) {
        rc = 0;
        goto done;
    }
    const char *env = getenv("CAIRN_ADMIN_PASSWORD");
    char pw[64], hash[SECRET_HASH_MAX];
    if (env && *env) {
        if (util_strcpy(pw, sizeof pw, env) < 0)
            goto done;
    } else {
        secret_random_password(pw, 16);
    }
    if (secret_password_hash(pw, hash) < 0)
        goto done;
    int64_t now = util_now();
    int ins = db_exec(c, "INSERT INTO users (username, display_name, password_hash, active, superuser, "
                         "password_changed_at, created_at, updated_at) "
                         "VALUES ('admin', 'Administrator', $1, 1, 1, $2, $2, $2)",
                      DB_ARGS(DB_TEXT(hash), DB_INT(now)), NULL);
    if (ins == DB_CONSTRAINT) { /* another cairnd on this database made it first */
        rc = 0;
        goto done;
    }
    if (ins != DB_OK) {
        fprintf(stderr, "cairnd: cannot create the first administrator: %s\n", db_errmsg(c));
        goto done;
    }
    audit_write(a, 0, "cairnd", "", "", "user.bootstrap", "user", "admin", 201, NULL);
    if (!(env && *env)) {
        write_initial_password(a, pw);
        printf("Cairn: created the first administrator.\n  user:     admin\n  password: %s\n"
               "  (also in %s/initial-admin-password; change it after signing in)\n",
               pw, a->cfg.data_dir);
        fflush(stdout);
    }
    rc = 0;
done:
    db_release(c);
    return rc;
}
