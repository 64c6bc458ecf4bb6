/* tokens.c -- see tokens.h. */
#include "api/tokens.h"

#include "api/audit.h"
#include "api/listq.h"
#include "api/validate.h"
#include "app.h"
#include "common/secret.h"
#include "common/util.h"
#include "http/auth.h"
#include "store/db.h"

#include <stdio.h>
#include <string.h>

static const listq_field token_list_fields[] = {
    {"id", LISTQ_SORT},
    {"name", LISTQ_SORT | LISTQ_SEARCH},
    {"username", LISTQ_SORT | LISTQ_SEARCH},
    {"created_at", LISTQ_SORT},
    {"expires_at", LISTQ_SORT},
    {"last_used_at", LISTQ_SORT},
    {NULL, 0},
};

/* revoked as true/false, as the other flags of the API. */
static int tokens_expand(db_conn *c, json_t *items)
{
    (void)c;
    size_t i;
    json_t *t;
    json_array_foreach(items, i, t)
        json_object_set_new(t, "revoked",
                            json_boolean(json_integer_value(json_object_get(t, "revoked"))));
    return 0;
}

void tokens_list(http_req *r, http_resp *w)
{
    listq q;
    const char *all = req_query(r, "all");
    if (listq_parse(r, w, token_list_fields, "-id", &q)) {
        q.expand = tokens_expand;
        if (!(all && strcmp(all, "1") == 0 && auth_has(&r->auth, "users:admin")))
            listq_where(&q, "user_id = $%d", DB_INT(r->auth.user_id));
        listq_run(r, w, &q,
                  "SELECT * FROM (SELECT t.id, t.user_id, u.username, t.name, t.prefix, "
                  "t.created_at, t.expires_at, t.last_used_at, t.revoked_at, "
                  "CASE WHEN t.revoked_at IS NULL THEN 0 ELSE 1 END AS revoked "
                  "FROM api_tokens t JOIN users u ON u.id = t.user_id) x",
                  NULL);
    }
    listq_free(&q);
}

static const val_field token_fields[] = {
    {"name", VT_STRING, VF_REQUIRED | VF_LINE, 0, 64},
    {"expires_at", VT_INT, VF_NULLABLE, 0, INT64_MAX},
    {NULL, 0, 0, 0, 0},
};

void tokens_create(http_req *r, http_resp *w)
{
    json_t *body = NULL, *row = NULL;
    db_conn *c = NULL;
    /* A token cannot mint tokens: a leaked token with an expiry must not be
     * able to outlive it. New tokens come from a signed-in session. */
    if (strcmp(r->auth.via, "session") != 0) {
        resp_error(w, 403, "forbidden", NULL, "API tokens can only be created from a signed-in session");
        goto done;
    }
    body = req_json(r, w);
    if (!body || !val_check(w, body, token_fields, false))
        goto done;
    json_t *exp = json_object_get(body, "expires_at");
    if (json_is_integer(exp) && json_integer_value(exp) <= util_now()) {
        resp_error(w, 400, "bad_request", "expires_at", "expires_at must be in the future");
        goto done;
    }
    char raw[SECRET_HEX_MAX], token[80], hash[SECRET_HEX_MAX], prefix[16];
    secret_random_hex(raw, 32);
    snprintf(token, sizeof token, "cairn_%s", raw);
    secret_sha256_hex(token, hash);
    snprintf(prefix, sizeof prefix, "%.12s", token);
    c = db_acquire(r->app->db);
    if (db_query_one(c, "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, "
                        "expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                     DB_ARGS(DB_INT(r->auth.user_id),
                             DB_TEXT(json_string_value(json_object_get(body, "name"))),
                             DB_TEXT(prefix), DB_TEXT(hash), DB_INT(util_now()),
                             json_is_integer(exp) ? DB_INT(json_integer_value(exp)) : DB_NULLV),
                     &row) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    audit_set_id(r, "api_token", id, json_pack("{s:O, s:s}", "name", json_object_get(body, "name"),
                                               "prefix", prefix));
    resp_json(w, 201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "token", token, "prefix", prefix));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

void tokens_revoke(http_req *r, http_resp *w)
{
    int64_t id, owner = 0;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (db_query_int(c, "SELECT user_id FROM api_tokens WHERE id = $1", DB_ARGS(DB_INT(id)),
                     &owner) != DB_OK ||
        (owner != r->auth.user_id && !auth_has(&r->auth, "users:admin"))) {
        /* Someone else's token is "not found" rather than "forbidden": ids of
         * other users' tokens are not confirmed to exist. */
        resp_error(w, 404, "not_found", NULL, "no token with id %lld", (long long)id);
        goto done;
    }
    if (db_exec(c, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                DB_ARGS(DB_INT(util_now()), DB_INT(id)), NULL) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    audit_set_id(r, "api_token", id, json_pack("{s:I}", "owner_id", (json_int_t)owner));
    resp_json(w, 200, json_pack("{s:b}", "ok", 1));
done:
    db_release(c);
}
