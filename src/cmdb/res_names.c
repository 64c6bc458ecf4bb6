/* res_names.c -- the display names of small tables, kept per CMDB
 * generation.
 *
 * A page of hosts shows the names of its IDCs, cabinets, owners,
 * credentials and groups. Those tables are small and rarely written, so
 * instead of a query per table per page, the whole (id, name) list of such a
 * table is read once and kept while the "cmdb" generation (api/cache_gen.h)
 * it was read under is the current one: any write to any CMDB table moves
 * it, so a rename is never missed. A table with more than RES_NAMES_MAX rows
 * is not kept (its names are read per page, as before).
 *
 * One slot per resource. A list is shared by the requests using it and by
 * the slot: it carries a reference count (under the module's mutex) and is
 * freed by whoever drops the last reference, so a request keeps reading its
 * list while a newer one replaces it in the slot.
 */
#include "cmdb/res_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define RES_NAMES_MAX 4096
#define RES_NAMES_SLOTS 32

typedef struct {
    db_cols cols; /* (id, d) ordered by id */
    int64_t gen;
    int refs;
} names;

typedef struct {
    const resource *res;
    names *n;
} names_slot;

static names_slot slots[RES_NAMES_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Drop one reference; call with the lock held. Returns what to free. */
static names *unref(names *n)
{
    return n && --n->refs == 0 ? n : NULL;
}

static void names_free(names *n)
{
    if (!n)
        return;
    db_cols_free(&n->cols);
    free(n);
}

/* The slot of res: its own, else a free one (NULL when all are taken).
 * Call with the lock held. */
static names_slot *slot_of(const resource *res)
{
    for (int i = 0; i < RES_NAMES_SLOTS; i++) {
        if (slots[i].res == res || !slots[i].res) {
            slots[i].res = res;
            return &slots[i];
        }
    }
    return NULL;
}

/* Read the names of res, or NULL (too many rows, error, out of memory). */
static names *names_read(db_conn *c, const resource *res, int64_t gen)
{
    char sql[192];
    names *n = calloc(1, sizeof *n);

    if (!n)
        return NULL;
    snprintf(sql, sizeof sql, "SELECT id, %s AS d FROM %s ORDER BY id LIMIT %d", res->display, res->table,
             RES_NAMES_MAX + 1);
    if (db_query_cols(c, sql, DB_NOARGS, &n->cols) != DB_OK || n->cols.nrows > RES_NAMES_MAX) {
        names_free(n);
        return NULL;
    }
    n->gen = gen;
    n->refs = 1;
    return n;
}

const db_cols *res_names_get(db_conn *c, const resource *res, int64_t gen, void **hold)
{
    names *n = NULL, *fresh, *old = NULL;
    names_slot *s;

    *hold = NULL;
    if (gen <= 0 || !res)
        return NULL;
    pthread_mutex_lock(&lock);
    s = slot_of(res);
    if (s && s->n && s->n->gen == gen) {
        n = s->n;
        n->refs++;
    }
    pthread_mutex_unlock(&lock);
    if (n) {
        *hold = n;
        return &n->cols;
    }
    fresh = names_read(c, res, gen); /* outside the lock: a query */
    if (!fresh)
        return NULL;
    pthread_mutex_lock(&lock);
    s = slot_of(res);
    if (s && (!s->n || s->n->gen <= gen)) {
        old = unref(s->n);
        s->n = fresh;
        fresh->refs++; /* the slot's */
    }
    pthread_mutex_unlock(&lock);
    names_free(old);
    *hold = fresh;
    return &fresh->cols;
}

void res_names_release(void *hold)
{
    names *n;

    if (!hold)
        return;
    pthread_mutex_lock(&lock);
    n = unref(hold);
    pthread_mutex_unlock(&lock);
    names_free(n);
}
