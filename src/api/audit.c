/* audit.c -- see audit.h. */
#include "api/audit.h"

#include "api/listq.h"
#include "common/log.h"
#include "common/util.h"
#include "http/router.h"
#include "store/db.h"

#include <stdio.h>
#include <string.h>

void audit_set(http_req *r, const char *object_type, const char *object_id, json_t *detail)
{
    util_strcpy(r->audit.object_type, sizeof r->audit.object_type, object_type ? object_type : "");
    util_strcpy(r->audit.object_id, sizeof r->audit.object_id, object_id ? object_id : "");
    json_decref(r->audit.detail);
    r->audit.detail = detail;
}

void audit_set_id(http_req *r, const char *object_type, int64_t id, json_t *detail)
{
    char s[32];
    snprintf(s, sizeof s, "%lld", (long long)id);
    audit_set(r, object_type, s, detail);
}

int audit_write(app *a, int64_t user_id, const char *username, const char *ip, const char *via,
                const char *action, const char *object_type, const char *object_id, int status,
                const json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *result = status < 300 ? "ok" : status == 401 || status == 403 || status == 423
                                                   ? "denied"
                                                   : "failed";
    db_conn *c = db_acquire(a->db);
    int rc = db_exec(c,
                     "INSERT INTO audit_log (ts, user_id, username, ip, via, action, object_type, "
                     "object_id, status, result, detail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
                     DB_ARGS(DB_INT(util_now()), user_id ? DB_INT(user_id) : DB_NULLV,
                             DB_TEXT(username ? username : ""), DB_TEXT(ip ? ip : ""),
                             DB_TEXT(via ? via : ""), DB_TEXT(action),
                             DB_TEXT(object_type ? object_type : ""),
                             DB_TEXT(object_id ? object_id : ""), DB_INT(status), DB_TEXT(result),
                             DB_TEXT(text ? text : "{}")),
                     NULL);
    if (rc != DB_OK) {
        char m[300];
        log_error("audit_write_failed", "action=%s err=%s", action,
                  log_kv_str(m, sizeof m, db_errmsg(c)));
    }
    db_release(c);
    free(text);
    return rc;
}

void audit_from_request(http_req *r, int status)
{
    const char *user = r->auth.authenticated ? r->auth.username : r->audit.username;
    audit_write(r->app, r->auth.user_id, user, r->ip, r->auth.via,
                r->route->action, r->audit.object_type, r->audit.object_id, status, r->audit.detail);
}

static bool is_secret(const char *key, const char *const *secret)
{
    for (; secret && *secret; secret++)
        if (strcmp(*secret, key) == 0)
            return true;
    return false;
}

json_t *audit_diff(const json_t *before, const json_t *after, const char *const *secret)
{
    json_t *out = json_object();
    const char *key;
    json_t *nv;
    json_object_foreach((json_t *)after, key, nv) {
        json_t *ov = json_object_get(before, key);
        if (ov && json_equal(ov, nv))
            continue;
        if (is_secret(key, secret))
            json_object_set_new(out, key, json_pack("{s:s, s:s}", "old", "***", "new", "***"));
        else
            json_object_set_new(out, key, json_pack("{s:O?, s:O}", "old", ov, "new", nv));
    }
    return out;
}

static const listq_field audit_fields[] = {
    {"id", LISTQ_SORT},
    {"ts", LISTQ_SORT},
    {"username", LISTQ_SORT | LISTQ_SEARCH},
    {"action", LISTQ_SORT | LISTQ_SEARCH},
    {"object_type", LISTQ_SORT | LISTQ_SEARCH},
    {"object_id", LISTQ_SEARCH},
    {"ip", LISTQ_SEARCH},
    {"detail", LISTQ_SEARCH},
    {NULL, 0},
};

void audit_list(http_req *r, http_resp *w)
{
    listq q;
    if (!listq_parse(r, w, audit_fields, "-id", &q))
        return;
    int64_t from = 0, to = 0;
    const char *user = req_query(r, "user"), *action = req_query(r, "action"),
               *result = req_query(r, "result"), *fs = req_query(r, "from"),
               *ts = req_query(r, "to");
    bool bad_from = fs && *fs && !util_parse_i64(fs, &from);
    if (bad_from || (ts && *ts && !util_parse_i64(ts, &to))) {
        resp_error(w, 400, "bad_request", bad_from ? "from" : "to",
                   "from and to are Unix times in seconds");
        goto done;
    }
    if (user && *user)
        listq_where(&q, "username = $%d", DB_TEXT(user));
    if (action && *action)
        listq_where(&q, "action = $%d", DB_TEXT(action));
    if (result && *result)
        listq_where(&q, "result = $%d", DB_TEXT(result));
    if (from)
        listq_where(&q, "ts >= $%d", DB_INT(from));
    if (to)
        listq_where(&q, "ts <= $%d", DB_INT(to));
    listq_run(r, w, &q,
              "SELECT id, ts, user_id, username, ip, via, action, object_type, object_id, status, "
              "result, detail FROM audit_log",
              "detail");
done:
    listq_free(&q);
}
