/* res_cache.c -- list answers remembered for the next identical request.
 *
 * A GET /api/v1/<res> answer depends only on: the resource, the parsed query
 * (its SQL conditions, order and bound values, the page), the caller's scope
 * (the host groups it is limited to: they pick the rows and the members of
 * sets it sees) and the data. The key is the first three written out as
 * text (res_cache_key); the data is stood for by the "cmdb" generation
 * (api/cache_gen.h), which triggers move with every write to a table a list
 * shows -- a host, a membership, a referenced name, an agent's fact -- in
 * the writer's transaction. An entry is served only while
 *   - the generation read for this request, before anything else, equals
 *     the one read before the entry was computed, and
 *   - it is younger than the list-cache age (config, milliseconds; 0 turns
 *     the cache off).
 * The first makes every write visible to the very next list, on every cairnd
 * sharing the database (the generation is read from the database per
 * request). The age bounds the one thing writes do not announce: an agent
 * report's last_seen_at (the online dot) and agent figures.
 *
 * The answer is stored without the value of "now" (the server's clock,
 * always the last member): a hit appends the current time.
 *
 * Memory: RES_CACHE_SLOTS entries, one per slot (a colliding key replaces
 * the entry), at most RES_CACHE_BUDGET bytes of answers in all (an answer
 * that would pass it is not kept). One mutex; a hit copies the answer out
 * under it (~40 KB for a page of 50 hosts).
 */
#include "cmdb/res_internal.h"

#include "app.h"
#include "common/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RES_CACHE_SLOTS 1024
#define RES_CACHE_BUDGET ((size_t)64 << 20)
#define NOW_DIGITS 24 /* room for "-9223372036854775808}" */

typedef struct {
    uint64_t hash;
    char *key; /* NULL: empty slot */
    size_t klen;
    char *body; /* the answer up to and including "now": */
    size_t len;
    int64_t gen;
    double born_ms;
} entry;

static entry slots[RES_CACHE_SLOTS];
static size_t used_bytes;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void put_val(sbuf *out, const db_val *v)
{
    switch (v->type) {
    case DBV_INT:
        sbuf_printf(out, "i%lld", (long long)v->i);
        break;
    case DBV_REAL:
        sbuf_printf(out, "r%.17g", v->d);
        break;
    case DBV_TEXT: /* length first: no separator can be faked by the text */
        sbuf_printf(out, "t%zu:", strlen(v->s));
        sbuf_puts(out, v->s);
        break;
    case DBV_INTS:
        sbuf_printf(out, "l%zu:", v->nints);
        for (size_t i = 0; i < v->nints; i++)
            sbuf_printf(out, "%lld,", (long long)v->ints[i]);
        break;
    case DBV_NULL:
    default:
        sbuf_putc(out, 'n');
        break;
    }
    sbuf_putc(out, '\n');
}

void res_cache_key(const http_req *r, const resource *res, const listq *q, sbuf *out)
{
    size_t i;
    json_t *g;

    sbuf_printf(out, "%s\n%s\n%s\n%lld/%lld\n", res->name, sbuf_str(&q->where), q->order, (long long)q->page,
                (long long)q->per_page);
    for (int k = 0; k < q->nparams; k++)
        put_val(out, &q->params[k]);
    /* scope: every row (superusers, roles without groups), or these groups */
    if (!r || r->auth.superuser || json_array_size(r->auth.group_ids) == 0) {
        sbuf_puts(out, "scope *");
        return;
    }
    sbuf_puts(out, "scope");
    json_array_foreach(r->auth.group_ids, i, g)
        sbuf_printf(out, " %lld", (long long)json_integer_value(g));
}

int64_t res_cache_age_ms(const http_req *r)
{
    return r->app->cfg.list_cache_ms;
}

char *res_cache_get(const sbuf *key, int64_t gen, int64_t max_age_ms, size_t *len)
{
    const uint64_t h = fnv1a(sbuf_str(key), key->len);
    entry *e = &slots[h % RES_CACHE_SLOTS];
    char *out = NULL;
    size_t n = 0;

    if (max_age_ms <= 0 || gen <= 0)
        return NULL;
    pthread_mutex_lock(&lock);
    if (e->key && e->hash == h && e->gen == gen && e->klen == key->len &&
        memcmp(e->key, sbuf_str(key), key->len) == 0 && util_mono_ms() - e->born_ms < (double)max_age_ms) {
        out = malloc(e->len + NOW_DIGITS);
        if (out) {
            memcpy(out, e->body, e->len);
            n = e->len;
        }
    }
    pthread_mutex_unlock(&lock);
    if (!out)
        return NULL;
    n += (size_t)snprintf(out + n, NOW_DIGITS, "%lld}", (long long)util_now());
    *len = n;
    return out;
}

void res_cache_put(const sbuf *key, int64_t gen, const char *body, size_t len)
{
    const uint64_t h = fnv1a(sbuf_str(key), key->len);
    entry *e = &slots[h % RES_CACHE_SLOTS];
    entry old, fresh = {h, NULL, key->len, NULL, 0, gen, util_mono_ms()};
    size_t at = len;

    while (at > 0 && body[at - 1] != ':') /* the last member is "now":<digits>} */
        at--;
    if (gen <= 0 || at < 6 || memcmp(body + at - 6, "\"now\":", 6) != 0 || sbuf_failed(key))
        return;
    fresh.len = at;
    fresh.key = malloc(key->len);
    fresh.body = malloc(fresh.len);
    if (!fresh.key || !fresh.body) {
        free(fresh.key);
        free(fresh.body);
        return;
    }
    memcpy(fresh.key, sbuf_str(key), key->len);
    memcpy(fresh.body, body, fresh.len);
    pthread_mutex_lock(&lock);
    old = *e;
    if (used_bytes - (old.key ? old.klen + old.len : 0) + fresh.klen + fresh.len > RES_CACHE_BUDGET) {
        old = fresh; /* over budget: keep what is there, free the new one */
    } else {
        used_bytes = used_bytes - (old.key ? old.klen + old.len : 0) + fresh.klen + fresh.len;
        *e = fresh;
    }
    pthread_mutex_unlock(&lock);
    free(old.key);
    free(old.body);
}
