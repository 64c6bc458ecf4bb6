/* settings.c -- see settings.h. */
#include "api/settings.h"

#include "api/audit.h"
#include "common/util.h"
#include "store/db.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *key;
    bool is_int;
    int64_t min, max, def_int;
    size_t max_len;
    const char *def_str;
} setting_desc;

static const setting_desc descs[] = {
    {"site_name", false, 0, 0, 0, 64, "Cairn"},
    {"session_ttl", true, 60, 30 * 86400, 8 * 3600, 0, NULL},
    {"login_max_failures", true, 1, 1000, 5, 0, NULL},
    {"login_ip_max_failures", true, 1, 10000, 20, 0, NULL},
    {"login_lockout_seconds", true, 1, 86400, 900, 0, NULL},
    {"password_min_length", true, 6, 128, 8, 0, NULL},
};
#define N_DESCS (sizeof descs / sizeof descs[0])
#define CACHE_SECONDS 5

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *cache;      /* object key → value, NULL when stale */
static int64_t cache_time;

void settings_invalidate(void)
{
    pthread_mutex_lock(&cache_mu);
    json_decref(cache);
    cache = NULL;
    pthread_mutex_unlock(&cache_mu);
}

static const setting_desc *find_desc(const char *key)
{
    for (size_t i = 0; i < N_DESCS; i++)
        if (strcmp(descs[i].key, key) == 0)
            return &descs[i];
    return NULL;
}

/* Every setting with its current value (stored or default). New object. */
static json_t *load_all(app *a)
{
    json_t *out = json_object(), *rows = NULL;
    for (size_t i = 0; i < N_DESCS; i++)
        json_object_set_new(out, descs[i].key, descs[i].is_int ? json_integer(descs[i].def_int)
                                                               : json_string(descs[i].def_str));
    db_conn *c = db_acquire(a->db);
    if (db_query(c, "SELECT key, value FROM settings", DB_NOARGS, &rows) == DB_OK) {
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
            const setting_desc *d = find_desc(json_string_value(json_object_get(row, "key")));
            const char *v = json_string_value(json_object_get(row, "value"));
            int64_t n;
            if (!d || !v)
                continue;
            if (d->is_int && util_parse_i64(v, &n))
                json_object_set_new(out, d->key, json_integer(n));
            else if (!d->is_int)
                json_object_set_new(out, d->key, json_string(v));
        }
    }
    db_release(c);
    json_decref(rows);
    return out;
}

/* The cached object, with a new reference. */
static json_t *current(app *a)
{
    pthread_mutex_lock(&cache_mu);
    if (!cache || util_now() - cache_time >= CACHE_SECONDS) {
        json_decref(cache);
        cache = load_all(a);
        cache_time = util_now();
    }
    json_t *c = json_incref(cache);
    pthread_mutex_unlock(&cache_mu);
    return c;
}

int64_t settings_int(app *a, const char *key)
{
    json_t *c = current(a);
    int64_t v = json_integer_value(json_object_get(c, key));
    json_decref(c);
    return v;
}

void settings_str(app *a, const char *key, char *out, size_t cap)
{
    json_t *c = current(a);
    const char *v = json_string_value(json_object_get(c, key));
    if (util_strcpy(out, cap, v ? v : "") < 0 && cap)
        out[0] = '\0';
    json_decref(c);
}

void settings_get(http_req *r, http_resp *w)
{
    resp_json(w, 200, current(r->app));
}

/* Check one key/value of a PUT body; answers 400 and returns false. */
static bool check_value(http_resp *w, const char *key, json_t *v)
{
    const setting_desc *d = find_desc(key);
    if (!d) {
        resp_error(w, 400, "bad_request", key, "unknown setting \"%s\"", key);
        return false;
    }
    if (d->is_int) {
        if (!json_is_integer(v) || json_integer_value(v) < d->min || json_integer_value(v) > d->max) {
            resp_error(w, 400, "bad_request", key, "%s must be an integer from %lld to %lld", key,
                       (long long)d->min, (long long)d->max);
            return false;
        }
    } else if (!json_is_string(v) || util_utf8_len(json_string_value(v)) > d->max_len ||
               json_string_length(v) == 0) {
        resp_error(w, 400, "bad_request", key, "%s must be text of 1 to %zu characters", key,
                   d->max_len);
        return false;
    } else {
        for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
            if (*p < 0x20 || *p == 0x7f) {
                resp_error(w, 400, "bad_request", key, "%s must be one line of text", key);
                return false;
            }
    }
    return true;
}

void settings_put(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *old = NULL, *changes = NULL;
    db_conn *c = NULL;
    if (!body)
        return;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v)
        if (!check_value(w, key, v))
            goto done;
    old = load_all(r->app);
    changes = json_object();
    c = db_acquire(r->app->db);
    if (db_begin(c) != DB_OK)
        goto fail;
    json_object_foreach(body, key, v) {
        /* Text is bound as it is (no fixed buffer: 64 characters may be 256 bytes). */
        char num[32];
        const char *text = json_string_value(v);
        if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            text = num;
        }
        if (db_exec(c, "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) "
                       "ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
                    DB_ARGS(DB_TEXT(key), DB_TEXT(text), DB_INT(util_now())), NULL) != DB_OK)
            goto fail;
        if (!json_equal(json_object_get(old, key), v))
            json_object_set_new(changes, key, json_pack("{s:O, s:O}", "old",
                                                        json_object_get(old, key), "new", v));
    }
    if (db_commit(c) != DB_OK)
        goto fail;
    settings_invalidate();
    audit_set(r, "settings", "", json_incref(changes));
    resp_json(w, 200, load_all(r->app));
    goto done;
fail:
    resp_internal(w, c ? db_errmsg(c) : "settings");
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(old);
    json_decref(changes);
}
