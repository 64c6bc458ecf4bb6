/* session.c -- see session.h. */
#include "api/session.h"

#include "api/audit.h"
#include "api/settings.h"
#include "api/validate.h"
#include "app.h"
#include "common/secret.h"
#include "common/util.h"
#include "http/auth.h"
#include "store/db.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A valid argon2id hash of a random string, verified against when the user
 * does not exist so that unknown names take as long as wrong passwords. */
static char dummy_hash[SECRET_HASH_MAX];

static int64_t locked_until(db_conn *c, const char *key)
{
    int64_t v = 0;
    if (db_query_int(c, "SELECT locked_until FROM login_throttle WHERE key = $1",
                     DB_ARGS(DB_TEXT(key)), &v) != DB_OK)
        return 0;
    return v;
}

/* login_throttle's key for a user name: "user:<name>" (users.c's list
 * joins on the same form); false when it does not fit (no such user can
 * exist: names are at most 64 bytes, logins at most 128). */
enum { USER_KEY_MAX = 160 };
static bool user_key(char key[USER_KEY_MAX], const char *username)
{
    int n = snprintf(key, USER_KEY_MAX, "user:%s", username);
    return n > 0 && n < USER_KEY_MAX;
}

/* Count one failure for key; lock it when it reaches max within the window. */
static void count_failure(app *a, db_conn *c, const char *key, int64_t max)
{
    int64_t now = util_now(), window = settings_int(a, "login_lockout_seconds");
    db_exec(c,
            "INSERT INTO login_throttle (key, failures, window_start, locked_until) "
            "VALUES ($1, 1, $2, 0) ON CONFLICT (key) DO UPDATE SET "
            "failures = CASE WHEN login_throttle.window_start < $3 THEN 1 "
            "ELSE login_throttle.failures + 1 END, "
            "window_start = CASE WHEN login_throttle.window_start < $3 THEN $2 "
            "ELSE login_throttle.window_start END",
            DB_ARGS(DB_TEXT(key), DB_INT(now), DB_INT(now - window)), NULL);
    db_exec(c, "UPDATE login_throttle SET locked_until = $1, failures = 0, window_start = $2 "
               "WHERE key = $3 AND failures >= $4",
            DB_ARGS(DB_INT(now + window), DB_INT(now), DB_TEXT(key), DB_INT(max)), NULL);
}

int64_t session_user_locked_until(db_conn *c, const char *username)
{
    char key[USER_KEY_MAX];
    if (!user_key(key, username))
        return 0;
    int64_t until = locked_until(c, key);
    return until > util_now() ? until : 0;
}

int session_unlock_user(db_conn *c, const char *username)
{
    char key[USER_KEY_MAX];
    if (!user_key(key, username))
        return 0;
    int was = session_user_locked_until(c, username) > 0;
    if (db_exec(c, "DELETE FROM login_throttle WHERE key = $1", DB_ARGS(DB_TEXT(key)), NULL) != DB_OK)
        return -1;
    return was;
}

json_t *session_user_json(app *a, int64_t user_id)
{
    json_t *u = NULL, *role = NULL;
    auth_ctx ac = {0};
    db_conn *c = db_acquire(a->db);
    if (db_query_one(c, "SELECT id, username, display_name, email, phone, active, superuser, "
                        "role_id, source, last_login_at, created_at, updated_at FROM users WHERE id = $1",
                     DB_ARGS(DB_INT(user_id)), &u) != DB_OK)
        goto done;
    json_int_t rid = json_integer_value(json_object_get(u, "role_id"));
    if (rid && db_query_one(c, "SELECT id, name FROM roles WHERE id = $1", DB_ARGS(DB_INT(rid)),
                            &role) != DB_OK)
        role = NULL;
    json_object_set_new(u, "role", role ? role : json_null());
    json_object_set_new(u, "active", json_boolean(json_integer_value(json_object_get(u, "active"))));
    json_object_set_new(u, "superuser",
                        json_boolean(json_integer_value(json_object_get(u, "superuser"))));
    db_release(c);
    c = NULL;
    if (auth_load_user(a, user_id, &ac)) {
        json_object_set_new(u, "permissions", auth_effective_permissions(&ac));
        json_object_set(u, "group_ids", ac.group_ids);
    } else {
        json_object_set_new(u, "permissions", json_array());
        json_object_set_new(u, "group_ids", json_array());
    }
done:
    if (c)
        db_release(c);
    auth_ctx_free(&ac);
    return u;
}

static const val_field login_fields[] = {
    {"username", VT_STRING, VF_REQUIRED, 0, 128},
    {"password", VT_STRING, VF_REQUIRED, 0, 1024},
    {NULL, 0, 0, 0, 0},
};

/* Create the session row and answer 200 with the cookie and the user. */
static void start_session(http_req *r, http_resp *w, db_conn *c, int64_t uid)
{
    char token[SECRET_HEX_MAX], hash[SECRET_HEX_MAX], csrf[SECRET_HEX_MAX];
    secret_random_hex(token, 32);
    secret_random_hex(csrf, 32);
    secret_sha256_hex(token, hash);
    int64_t now = util_now(), ttl = settings_int(r->app, "session_ttl");
    const char *ua = req_header(r, "User-Agent");
    char ua_short[256];
    if (util_strcpy(ua_short, sizeof ua_short, ua ? ua : "") < 0)
        ua_short[0] = '\0';
    if (db_exec(c, "INSERT INTO sessions (token_hash, user_id, csrf_token, ip, user_agent, "
                   "created_at, last_seen_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$6,$7)",
                DB_ARGS(DB_TEXT(hash), DB_INT(uid), DB_TEXT(csrf), DB_TEXT(r->ip),
                        DB_TEXT(ua_short), DB_INT(now), DB_INT(now + ttl)), NULL) != DB_OK ||
        db_exec(c, "UPDATE users SET last_login_at = $1 WHERE id = $2",
                DB_ARGS(DB_INT(now), DB_INT(uid)), NULL) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        return;
    }
    auth_set_cookie(r, w, token, ttl);
    resp_json(w, 200, json_pack("{s:s, s:o*}", "csrf_token", csrf, "user",
                                session_user_json(r->app, uid)));
}

void session_login(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *user = NULL;
    db_conn *c = NULL;
    if (!body || !val_check(w, body, login_fields, false))
        goto done;
    const char *name = json_string_value(json_object_get(body, "username"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    util_strcpy(r->audit.username, sizeof r->audit.username, name);
    audit_set(r, "user", name, NULL);
    char ukey[USER_KEY_MAX], ikey[96];
    user_key(ukey, name); /* name is at most 128 bytes (login_fields): it fits */
    snprintf(ikey, sizeof ikey, "ip:%s", r->ip);
    c = db_acquire(r->app->db);
    int64_t now = util_now(), until = locked_until(c, ukey);
    if (locked_until(c, ikey) > until)
        until = locked_until(c, ikey);
    if (until > now) {
        char s[32];
        snprintf(s, sizeof s, "%lld", (long long)(until - now));
        resp_header(w, "Retry-After", s);
        resp_error(w, 423, "locked", NULL,
                   "too many failed logins; try again in %lld seconds", (long long)(until - now));
        goto done;
    }
    int found = db_query_one(c, "SELECT id, password_hash, active FROM users WHERE username = $1",
                             DB_ARGS(DB_TEXT(name)), &user);
    const char *hash = found == DB_OK ? json_string_value(json_object_get(user, "password_hash"))
                                      : dummy_hash;
    bool ok = secret_password_verify(hash, pw) && found == DB_OK &&
              json_integer_value(json_object_get(user, "active")) == 1;
    if (!ok) {
        count_failure(r->app, c, ukey, settings_int(r->app, "login_max_failures"));
        count_failure(r->app, c, ikey, settings_int(r->app, "login_ip_max_failures"));
        resp_error(w, 401, "unauthorized", NULL, "wrong user name or password");
        goto done;
    }
    db_exec(c, "DELETE FROM login_throttle WHERE key = $1", DB_ARGS(DB_TEXT(ukey)), NULL);
    int64_t uid = json_integer_value(json_object_get(user, "id"));
    r->auth.user_id = uid; /* so the audit row names the user */
    start_session(r, w, c, uid);
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(user);
}

void session_logout(http_req *r, http_resp *w)
{
    db_conn *c = db_acquire(r->app->db);
    if (r->auth.session_hash[0])
        db_exec(c, "DELETE FROM sessions WHERE token_hash = $1",
                DB_ARGS(DB_TEXT(r->auth.session_hash)), NULL);
    db_release(c);
    auth_set_cookie(r, w, "", 0);
    audit_set_id(r, "user", r->auth.user_id, NULL);
    resp_json(w, 200, json_pack("{s:b}", "ok", 1));
}

void session_me(http_req *r, http_resp *w)
{
    json_t *u = session_user_json(r->app, r->auth.user_id);
    if (!u) {
        resp_error(w, 401, "unauthorized", NULL, "sign in first");
        return;
    }
    if (r->auth.csrf_token[0])
        json_object_set_new(u, "csrf_token", json_string(r->auth.csrf_token));
    json_object_set_new(u, "via", json_string(r->auth.via));
    resp_json(w, 200, u);
}

static const val_field password_fields[] = {
    {"old_password", VT_STRING, VF_REQUIRED, 0, 1024},
    {"new_password", VT_STRING, VF_REQUIRED, 0, 1024},
    {NULL, 0, 0, 0, 0},
};

void session_change_password(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *row = NULL;
    db_conn *c = NULL;
    audit_set_id(r, "user", r->auth.user_id, json_pack("{s:s}", "password", "***"));
    if (!body || !val_check(w, body, password_fields, false))
        goto done;
    const char *old = json_string_value(json_object_get(body, "old_password"));
    const char *neu = json_string_value(json_object_get(body, "new_password"));
    int64_t min = settings_int(r->app, "password_min_length");
    if ((int64_t)util_utf8_len(neu) < min) {
        resp_error(w, 400, "bad_request", "new_password",
                   "the new password must have at least %lld characters", (long long)min);
        goto done;
    }
    c = db_acquire(r->app->db);
    if (db_query_one(c, "SELECT password_hash FROM users WHERE id = $1",
                     DB_ARGS(DB_INT(r->auth.user_id)), &row) != DB_OK ||
        !secret_password_verify(json_string_value(json_object_get(row, "password_hash")), old)) {
        resp_error(w, 400, "bad_request", "old_password", "the current password is wrong");
        goto done;
    }
    char hash[SECRET_HASH_MAX];
    if (secret_password_hash(neu, hash) < 0) {
        resp_internal(w, "password hash");
        goto done;
    }
    if (db_exec(c, "UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 "
                   "WHERE id = $3",
                DB_ARGS(DB_TEXT(hash), DB_INT(util_now()), DB_INT(r->auth.user_id)), NULL) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    db_release(c);
    c = NULL;
    session_revoke_user(r->app, r->auth.user_id, r->auth.session_hash[0] ? r->auth.session_hash : NULL);
    if (strcmp(r->auth.username, "admin") == 0) { /* the printed first password is void now */
        char path[CONFIG_PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/initial-admin-password", r->app->cfg.data_dir);
        unlink(path);
    }
    resp_json(w, 200, json_pack("{s:b}", "ok", 1));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

void session_revoke_user(app *a, int64_t user_id, const char *keep)
{
    db_conn *c = db_acquire(a->db);
    db_exec(c, "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
            DB_ARGS(DB_INT(user_id), DB_TEXT(keep ? keep : "")), NULL);
    db_release(c);
}

int session_init(void)
{
    char pw[33];
    secret_random_hex(pw, 16);
    return secret_password_hash(pw, dummy_hash);
}
