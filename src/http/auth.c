/* auth.c -- see auth.h. */
#include "http/auth.h"

#include "api/cache_gen.h"
#include "api/settings.h"
#include "app.h"
#include "common/secret.h"
#include "common/util.h"
#include "http/authcache.h"
#include "http/router.h"
#include "store/db.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const auth_modules[] = {"assets", "apps",     "tasks", "delivery", "monitor",
                                    "users",  "settings", "audit", NULL};
const char *const auth_actions[] = {"view", "edit", "execute", "admin", NULL};

/* Sliding expiry is written back at most this often (or every quarter of
 * the session lifetime when that is shorter), so that reads do not each
 * cost a write. */
#define TOUCH_INTERVAL 60

static bool in_list(const char *const *list, const char *s, size_t len)
{
    for (; *list; list++)
        if (strlen(*list) == len && strncmp(*list, s, len) == 0)
            return true;
    return false;
}

bool auth_perm_valid(const char *perm)
{
    const char *colon = perm ? strchr(perm, ':') : NULL;
    return colon && in_list(auth_modules, perm, (size_t)(colon - perm)) &&
           in_list(auth_actions, colon + 1, strlen(colon + 1));
}

static bool holds(const auth_ctx *a, const char *module, size_t mlen, const char *action)
{
    size_t i;
    json_t *p;
    json_array_foreach(a->permissions, i, p) {
        const char *s = json_string_value(p);
        if (!s || strncmp(s, module, mlen) != 0 || s[mlen] != ':')
            continue;
        if (strcmp(s + mlen + 1, action) == 0)
            return true;
    }
    return false;
}

bool auth_has(const auth_ctx *a, const char *perm)
{
    if (!a->authenticated)
        return false;
    if (a->superuser)
        return true;
    const char *colon = strchr(perm, ':');
    if (!colon || !a->permissions)
        return false;
    size_t ml = (size_t)(colon - perm);
    const char *action = colon + 1;
    if (holds(a, perm, ml, action) || holds(a, perm, ml, "admin"))
        return true;
    if (strcmp(action, "view") == 0)
        return holds(a, perm, ml, "edit") || holds(a, perm, ml, "execute");
    return false;
}

bool auth_can_grant(const auth_ctx *a, const json_t *perms, const json_t *group_ids, char *why,
                    size_t cap)
{
    size_t i, j;
    json_t *v, *mine;
    if (a->superuser)
        return true;
    json_array_foreach(perms, i, v) {
        const char *p = json_string_value(v);
        if (!p || !auth_has(a, p)) {
            snprintf(why, cap, "you cannot give the permission %s, which you do not hold", p ? p : "?");
            return false;
        }
    }
    if (!group_ids || json_array_size(a->group_ids) == 0)
        return true; /* the caller sees every group */
    if (json_array_size(group_ids) == 0) {
        snprintf(why, cap, "you cannot give access to every host group: your own access is limited");
        return false;
    }
    json_array_foreach(group_ids, i, v) {
        bool found = false;
        json_array_foreach(a->group_ids, j, mine)
            found |= json_integer_value(mine) == json_integer_value(v);
        if (!found) {
            snprintf(why, cap, "you cannot give access to host group %lld, which you cannot see",
                     (long long)json_integer_value(v));
            return false;
        }
    }
    return true;
}

json_t *auth_effective_permissions(const auth_ctx *a)
{
    json_t *out = json_array();
    char perm[64];
    for (const char *const *m = auth_modules; *m && out; m++)
        for (const char *const *ac = auth_actions; *ac; ac++) {
            snprintf(perm, sizeof perm, "%s:%s", *m, *ac);
            if (auth_has(a, perm))
                json_array_append_new(out, json_string(perm));
        }
    return out;
}

void auth_ctx_free(auth_ctx *a)
{
    json_decref(a->permissions);
    json_decref(a->group_ids);
    a->permissions = a->group_ids = NULL;
}

bool auth_load_user(app *ap, int64_t user_id, auth_ctx *a)
{
    bool ok = false;
    json_t *row = NULL, *perms = NULL, *groups = NULL;
    db_conn *c = db_acquire(ap->db);
    if (db_query_one(c, "SELECT username, superuser, role_id FROM users WHERE id = $1 AND active = 1",
                     DB_ARGS(DB_INT(user_id)), &row) != DB_OK)
        goto done;
    json_int_t role = json_integer_value(json_object_get(row, "role_id"));
    if (db_query(c, "SELECT permission FROM role_permissions WHERE role_id = $1 ORDER BY permission",
                 DB_ARGS(DB_INT(role)), &perms) != DB_OK ||
        db_query(c, "SELECT group_id FROM role_groups WHERE role_id = $1 ORDER BY group_id",
                 DB_ARGS(DB_INT(role)), &groups) != DB_OK)
        goto done;
    a->user_id = user_id;
    util_strcpy(a->username, sizeof a->username, json_string_value(json_object_get(row, "username")));
    a->superuser = json_integer_value(json_object_get(row, "superuser")) != 0;
    a->permissions = json_array();
    a->group_ids = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(perms, i, v)
        json_array_append(a->permissions, json_object_get(v, "permission"));
    json_array_foreach(groups, i, v)
        json_array_append(a->group_ids, json_object_get(v, "group_id"));
    a->authenticated = true;
    ok = true;
done:
    db_release(c);
    json_decref(row);
    json_decref(perms);
    json_decref(groups);
    return ok;
}

void auth_set_cookie(http_req *r, http_resp *w, const char *value, int64_t max_age)
{
    char cookie[256];
    const char *proto = req_header(r, "X-Forwarded-Proto");
    snprintf(cookie, sizeof cookie, "%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%lld%s",
             AUTH_COOKIE, value, (long long)max_age,
             proto && strcmp(proto, "https") == 0 ? "; Secure" : "");
    resp_header(w, "Set-Cookie", cookie);
}

/* Look up the session cookie; on success fills r->auth -- the user's rights
 * from the user cache while the auth generation is unchanged (authcache.h)
 * -- and extends the session (renewing the cookie in w) when it is due. */
static bool auth_session(http_req *r, http_resp *w, const char *cookie)
{
    char hash[SECRET_HEX_MAX];
    secret_sha256_hex(cookie, hash);
    int64_t now = util_now();
    json_t *row = NULL;
    bool ok = false;
    cache_gens g;
    db_conn *c = db_acquire(r->app->db);
    if (cache_gen_read(c, &g) == DB_OK) /* before the user is read (authcache.h) */
        r->auth.cmdb_gen = g.cmdb;
    if (db_query_one(c, "SELECT user_id, csrf_token, last_seen_at FROM sessions "
                        "WHERE token_hash = $1 AND expires_at > $2",
                     DB_ARGS(DB_TEXT(hash), DB_INT(now)), &row) != DB_OK)
        goto done;
    int64_t uid = json_integer_value(json_object_get(row, "user_id"));
    int64_t ttl = settings_int(r->app, "session_ttl");
    int64_t touch = ttl / 4 < TOUCH_INTERVAL ? ttl / 4 : TOUCH_INTERVAL;
    bool renew = now - json_integer_value(json_object_get(row, "last_seen_at")) >= touch &&
                 db_exec(c, "UPDATE sessions SET last_seen_at = $1, expires_at = $2 "
                            "WHERE token_hash = $3",
                         DB_ARGS(DB_INT(now), DB_INT(now + ttl), DB_TEXT(hash)), NULL) == DB_OK;
    db_release(c);
    c = NULL;
    if (g.auth <= 0 || !authcache_user_get(uid, g.auth, &r->auth)) {
        auth_ctx_free(&r->auth);
        if (!auth_load_user(r->app, uid, &r->auth))
            goto done;
        if (g.auth > 0)
            authcache_user_put(g.auth, &r->auth);
    }
    if (renew)
        auth_set_cookie(r, w, cookie, ttl);
    r->auth.via = "session";
    memcpy(r->auth.session_hash, hash, sizeof hash);
    util_strcpy(r->auth.csrf_token, sizeof r->auth.csrf_token,
                json_string_value(json_object_get(row, "csrf_token")));
    ok = true;
done:
    if (c)
        db_release(c);
    json_decref(row);
    return ok;
}

/* The token's row (not expired or revoked) into *t and its user's id into
 * *user; false when there is none. */
static bool token_row(db_conn *c, const char *hash, int64_t now, authcache_token *t, int64_t *user)
{
    json_t *row = NULL;
    if (db_query_one(c, "SELECT id, user_id, expires_at, last_used_at FROM api_tokens WHERE token_hash = $1 "
                        "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
                     DB_ARGS(DB_TEXT(hash), DB_INT(now)), &row) != DB_OK)
        return false;
    t->token_id = json_integer_value(json_object_get(row, "id"));
    t->expires_at = json_integer_value(json_object_get(row, "expires_at")); /* null: 0 */
    t->last_used_at = json_integer_value(json_object_get(row, "last_used_at"));
    *user = json_integer_value(json_object_get(row, "user_id"));
    json_decref(row);
    return true;
}

/* A Bearer token: from the token cache while the "auth" generation read
 * first is unchanged (authcache.h), else from the database (then cached).
 * last_used_at is written at most every TOUCH_INTERVAL either way. The
 * "cmdb" generation read with it is left in r->auth for the handler. */
static bool auth_token(http_req *r, const char *token)
{
    char hash[SECRET_HEX_MAX];
    secret_sha256_hex(token, hash);
    int64_t now = util_now(), user = 0;
    authcache_token t = {0};
    cache_gens g;
    bool ok = false;
    db_conn *c = db_acquire(r->app->db);
    if (cache_gen_read(c, &g) == DB_OK)
        r->auth.cmdb_gen = g.cmdb;
    if (g.auth > 0 && authcache_get(hash, g.auth, now, &t, &r->auth)) {
        ok = true;
    } else if (token_row(c, hash, now, &t, &user)) {
        db_release(c); /* auth_load_user takes its own connection */
        c = NULL;
        ok = auth_load_user(r->app, user, &r->auth);
        if (ok && g.auth > 0)
            authcache_put(hash, g.auth, &t, &r->auth);
    }
    if (ok && now - t.last_used_at >= TOUCH_INTERVAL) {
        if (!c)
            c = db_acquire(r->app->db);
        if (db_exec(c, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2",
                    DB_ARGS(DB_INT(now), DB_INT(t.token_id)), NULL) == DB_OK)
            authcache_touch(hash, now);
    }
    if (c)
        db_release(c);
    if (!ok)
        return false;
    r->auth.via = "token";
    r->auth.token_id = t.token_id;
    return true;
}

static bool is_write(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

/* An agent's host token: Bearer cairnh_… valid and not revoked. */
static bool auth_agent(http_req *r, http_resp *w)
{
    const char *authz = req_header(r, "Authorization");
    char hash[SECRET_HEX_MAX];
    int64_t host = 0;
    if (!authz || strncmp(authz, "Bearer cairnh_", 14) != 0) {
        resp_error(w, 401, "unauthorized", NULL, "send the host token as Authorization: Bearer cairnh_…");
        return false;
    }
    secret_sha256_hex(authz + 7, hash);
    db_conn *c = db_acquire(r->app->db);
    int rc = db_query_int(c, "SELECT host_id FROM agent_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                          DB_ARGS(DB_TEXT(hash)), &host);
    db_release(c);
    if (rc != DB_OK || host <= 0) {
        resp_error(w, 401, "unauthorized", NULL, "this host token is unknown or revoked; enroll the agent again");
        return false;
    }
    r->auth.host_id = host;
    r->auth.via = "agent";
    snprintf(r->auth.username, sizeof r->auth.username, "agent:%lld", (long long)host);
    return true;
}

bool auth_check(http_req *r, http_resp *w)
{
    const route *rt = r->route;
    r->auth.via = "";
    if (strcmp(rt->perm, "agent") == 0)
        return auth_agent(r, w);
    const char *authz = req_header(r, "Authorization");
    const char *cookie = req_cookie(r, AUTH_COOKIE);
    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) { /* schemes are case-insensitive */
        if (!auth_token(r, authz + 7) && strcmp(rt->perm, "public") != 0) {
            resp_error(w, 401, "unauthorized", NULL, "the API token is unknown, expired or revoked");
            return false;
        }
    } else if (cookie && *cookie) {
        auth_session(r, w, cookie); /* an expired cookie is just "not signed in" */
    }
    if (strcmp(rt->perm, "public") == 0)
        return true;
    if (!r->auth.authenticated) {
        resp_error(w, 401, "unauthorized", NULL, "sign in first");
        return false;
    }
    if (strcmp(r->auth.via, "session") == 0 && is_write(r->method) && !(rt->flags & ROUTE_NO_CSRF)) {
        const char *sent = req_header(r, "X-CSRF-Token");
        if (!sent || !secret_equal(sent, r->auth.csrf_token)) {
            resp_error(w, 403, "csrf", NULL, "missing or wrong X-CSRF-Token header");
            return false;
        }
    }
    if (strcmp(rt->perm, "login") != 0 && !auth_has(&r->auth, rt->perm)) {
        resp_error(w, 403, "forbidden", NULL, "you need the %s permission", rt->perm);
        return false;
    }
    return true;
}
