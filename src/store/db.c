/* db.c -- the storage pool and the backend-independent half of db.h.
 *
 * A `db` is a fixed set of connections opened up front by one backend
 * (db_sqlite.c or db_pg.c, chosen from the URL scheme). Idle connections sit
 * on a free list guarded by a mutex; db_acquire() pops one, waiting on a
 * condition variable while the list is empty, and db_release() rolls back any
 * transaction the borrower left open before pushing the connection back and
 * waking one waiter. Every other call is argument checking plus dispatch to
 * the backend's run/script functions. Migrations are in db_migrate.c.
 *
 * SQLite allows one writer at a time. Left to itself, a writer that finds the
 * write lock taken SLEEPS in SQLite's busy handler (1, 2, 5, 10 ... ms) even
 * when the lock is free again a few microseconds later; with several threads
 * writing short transactions most of the time went to those sleeps. So for a
 * backend that asks for it (serial_writers) the pool also has a writer gate:
 * db_begin() enters it before BEGIN, db_commit()/db_rollback()/db_release()
 * leave it when the transaction is over, and the backend enters it around a
 * write statement run outside a transaction (db_writer_enter()). A waiter
 * sleeps on a condition variable and wakes the moment the gate is left. The
 * gate belongs to a connection, not a thread; a thread that holds it through
 * one connection and writes through another does not wait for itself (it
 * meets SQLite's busy timeout as before). Waiting ends after the same 5 s as
 * SQLite's busy timeout, with DB_BUSY. Other processes (the sqlite3 shell, a
 * second cairnd) still meet SQLite's own busy handling.
 *
 * Columnar results (db_query_cols) are filled by the backend's run_cols;
 * this file frees them, finds columns and turns a cell into the JSON value
 * db_query() would have made, so both read paths agree to the byte.
 */
#include "store/db.h"
#include "store/db_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    DB_POOL_MAX = 1024,    /* sanity bound on pool_size */
    DB_PARAMS_MAX = 32766, /* SQLite's default SQLITE_MAX_VARIABLE_NUMBER */
    DB_GATE_WAIT_MS = 5000, /* as long as SQLite's busy timeout (db_sqlite.c) */
};

struct db {
    const db_backend *be;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when a connection returns to free_list */
    db_conn *free_list;
    /* Writer gate (see the top), when be->serial_writers. */
    pthread_mutex_t gate_mu;
    pthread_cond_t gate_cv;      /* signalled when the gate is left */
    db_conn *gate_holder;        /* connection inside, or NULL */
    pthread_t gate_thread;       /* the thread that entered through it */
    int size;         /* connections opened, all listed in conns[] */
    db_conn *conns[]; /* every connection, for db_close() */
};

void db_put_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void db_set_err(db_conn *c, const char *fmt, ...)
{
    va_list ap;

    if (!c)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
}

/* ---- writer gate --------------------------------------------------------- */

/* The gate's lock and a condition variable on the monotonic clock (a step
 * of the wall clock must not cut a wait short or stretch it). 0 or -1. */
static int gate_init(db *d)
{
    pthread_condattr_t ca;
    int rc = -1;

    if (pthread_condattr_init(&ca) != 0)
        return -1;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 || pthread_mutex_init(&d->gate_mu, NULL) != 0)
        goto out;
    if (pthread_cond_init(&d->gate_cv, &ca) != 0) {
        pthread_mutex_destroy(&d->gate_mu);
        goto out;
    }
    rc = 0;
out:
    pthread_condattr_destroy(&ca);
    return rc;
}

int db_writer_enter(db_conn *c)
{
    db *d = c->owner;
    struct timespec until;
    int rc = 1;

    if (!d->be->serial_writers)
        return 0;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += DB_GATE_WAIT_MS / 1000;
    until.tv_nsec += (long)(DB_GATE_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->gate_mu);
    if (d->gate_holder == c || (d->gate_holder && pthread_equal(d->gate_thread, pthread_self()))) {
        rc = 0; /* inside already, or this thread would wait for itself */
        goto out;
    }
    while (d->gate_holder) {
        if (pthread_cond_timedwait(&d->gate_cv, &d->gate_mu, &until) == ETIMEDOUT && d->gate_holder) {
            db_set_err(c, "database is locked (another writer of this process kept it for %d ms)",
                       DB_GATE_WAIT_MS);
            rc = DB_BUSY;
            goto out;
        }
    }
    d->gate_holder = c;
    d->gate_thread = pthread_self();
out:
    pthread_mutex_unlock(&d->gate_mu);
    return rc;
}

void db_writer_leave(db_conn *c)
{
    db *d = c->owner;

    pthread_mutex_lock(&d->gate_mu);
    if (d->gate_holder == c) {
        d->gate_holder = NULL;
        pthread_cond_signal(&d->gate_cv);
    }
    pthread_mutex_unlock(&d->gate_mu);
}

/* Leave the gate if c entered it in db_begin() and its transaction is over. */
static void gate_leave_if_done(db_conn *c)
{
    if (c->in_gate && !c->in_tx) {
        c->in_gate = false;
        db_writer_leave(c);
    }
}

/* ---- URL and pool ------------------------------------------------------ */

/* Pick the backend for `url` and the string handed to its open(). */
static int parse_url(const char *url, const db_backend **be, const char **target)
{
    if (strncmp(url, "sqlite:", 7) == 0) {
        *be = &db_sqlite_backend;
        *target = url + 7; /* the path, literally: sqlite:///x is /x */
    } else if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        *be = &db_pg_backend;
        *target = url; /* libpq parses URIs itself */
    } else if (strncmp(url, "postgresql:", 11) == 0) {
        *be = &db_pg_backend;
        *target = url + 11; /* "postgresql:host=... dbname=..." */
    } else {
        return DB_ERR;
    }
    return **target ? DB_OK : DB_ERR;
}

int db_local_paths(const char *url, void (*fn)(void *ctx, const char *path), void *ctx)
{
    const db_backend *be = NULL;
    const char *target = NULL;
    if (!url || parse_url(url, &be, &target) != DB_OK)
        return -1;
    if (be != &db_sqlite_backend)
        return db_pg_socket_dirs(target, fn, ctx);
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char path[4096];
        if (snprintf(path, sizeof path, "%s%s", target, suffixes[i]) >= (int)sizeof path)
            return -1;
        fn(ctx, path);
    }
    return 0;
}

int db_open(const char *url, int pool_size, db **out, char *err, size_t errlen)
{
    const db_backend *be = NULL;
    const char *target = NULL;
    db *d = NULL;
    bool mu_ok = false, cv_ok = false, gate_ok = false;

    db_put_err(err, errlen, "%s", "");
    if (!out)
        return DB_ERR;
    *out = NULL;
    if (!url || parse_url(url, &be, &target) != DB_OK) {
        db_put_err(err, errlen, "database URL must be sqlite:PATH or postgresql://...");
        return DB_ERR;
    }
    if (pool_size < 1 || pool_size > DB_POOL_MAX) {
        db_put_err(err, errlen, "pool size %d out of range 1..%d", pool_size, DB_POOL_MAX);
        return DB_ERR;
    }
    d = calloc(1, sizeof *d + (size_t)pool_size * sizeof d->conns[0]);
    if (!d) {
        db_put_err(err, errlen, "out of memory");
        return DB_ERR;
    }
    d->be = be;
    mu_ok = pthread_mutex_init(&d->mu, NULL) == 0;
    cv_ok = mu_ok && pthread_cond_init(&d->cv, NULL) == 0;
    gate_ok = cv_ok && gate_init(d) == 0;
    if (!gate_ok) {
        db_put_err(err, errlen, "cannot create pool lock");
        goto fail;
    }
    for (int i = 0; i < pool_size; i++) {
        db_conn *c = be->open(target, err, errlen);
        if (!c)
            goto fail;
        c->owner = d;
        c->in_tx = false;
        c->in_gate = false;
        c->next_free = d->free_list;
        d->free_list = c;
        d->conns[d->size++] = c;
    }
    *out = d;
    return DB_OK;

fail:
    for (int i = 0; i < d->size; i++)
        be->close(d->conns[i]);
    if (gate_ok) {
        pthread_cond_destroy(&d->gate_cv);
        pthread_mutex_destroy(&d->gate_mu);
    }
    if (cv_ok)
        pthread_cond_destroy(&d->cv);
    if (mu_ok)
        pthread_mutex_destroy(&d->mu);
    free(d);
    return DB_ERR;
}

void db_close(db *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->size; i++)
        d->be->close(d->conns[i]);
    pthread_cond_destroy(&d->gate_cv);
    pthread_mutex_destroy(&d->gate_mu);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

const char *db_kind(const db *d)
{
    return d ? d->be->kind : "";
}

const db_backend *db_backend_of(const db *d)
{
    return d->be;
}

db_conn *db_acquire(db *d)
{
    db_conn *c;

    pthread_mutex_lock(&d->mu);
    while (!d->free_list)
        pthread_cond_wait(&d->cv, &d->mu);
    c = d->free_list;
    d->free_list = c->next_free;
    c->next_free = NULL;
    pthread_mutex_unlock(&d->mu);
    c->err[0] = '\0';
    return c;
}

void db_release(db_conn *c)
{
    db *d;

    if (!c)
        return;
    d = c->owner;
    if (d->be->tx_open(c)) /* the server's view, not just c->in_tx */
        (void)d->be->run(c, "ROLLBACK", NULL, 0, NULL, 0, NULL);
    c->in_tx = false;
    gate_leave_if_done(c);
    pthread_mutex_lock(&d->mu);
    c->next_free = d->free_list;
    d->free_list = c;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

db *db_of(const db_conn *c)
{
    return c ? c->owner : NULL;
}

const char *db_errmsg(const db_conn *c)
{
    return c ? c->err : "no connection";
}

/* ---- statements -------------------------------------------------------- */

/* Common argument checks; sets c->err and returns DB_ERR on misuse. */
static int check_args(db_conn *c, const char *sql, const db_val *params, int n)
{
    if (!c)
        return DB_ERR;
    if (!sql) {
        db_set_err(c, "SQL text is NULL");
        return DB_ERR;
    }
    if (n < 0 || n > DB_PARAMS_MAX || (n > 0 && !params)) {
        db_set_err(c, "bad parameter list (%d parameters)", n);
        return DB_ERR;
    }
    return DB_OK;
}

int db_query(db_conn *c, const char *sql, const db_val *params, int n, json_t **rows)
{
    int rc;

    if (rows)
        *rows = NULL;
    rc = check_args(c, sql, params, n);
    if (rc != DB_OK)
        return rc;
    if (!rows) {
        db_set_err(c, "db_query: rows is NULL");
        return DB_ERR;
    }
    return c->owner->be->run(c, sql, params, n, rows, 0, NULL);
}

int db_query_one(db_conn *c, const char *sql, const db_val *params, int n, json_t **row)
{
    json_t *rows = NULL;
    int rc;

    if (row)
        *row = NULL;
    rc = check_args(c, sql, params, n);
    if (rc != DB_OK)
        return rc;
    if (!row) {
        db_set_err(c, "db_query_one: row is NULL");
        return DB_ERR;
    }
    rc = c->owner->be->run(c, sql, params, n, &rows, 1, NULL);
    if (rc != DB_OK)
        return rc;
    if (json_array_size(rows) == 0) {
        db_set_err(c, "no row");
        rc = DB_NOTFOUND;
    } else {
        *row = json_incref(json_array_get(rows, 0));
    }
    json_decref(rows);
    return rc;
}

/* Convert one JSON column value to an integer. */
static int value_to_int(db_conn *c, const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
    } else if (json_is_real(v)) {
        double x = json_real_value(v);
        /* The range test is written so that NaN fails it. */
        if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0) || x != trunc(x)) {
            db_set_err(c, "value %g is not an integer", x);
            return DB_ERR;
        }
        *out = (int64_t)x;
    } else if (json_is_boolean(v)) {
        *out = json_is_true(v) ? 1 : 0;
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end = NULL;
        long long x;
        errno = 0;
        x = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0') {
            db_set_err(c, "value is not an integer");
            return DB_ERR;
        }
        *out = (int64_t)x;
    } else if (json_is_null(v)) {
        db_set_err(c, "value is NULL");
        return DB_NOTFOUND;
    } else {
        db_set_err(c, "no column");
        return DB_ERR;
    }
    return DB_OK;
}

int db_query_int(db_conn *c, const char *sql, const db_val *params, int n, int64_t *out)
{
    json_t *row = NULL;
    void *it;
    int rc;

    if (!out) {
        db_set_err(c, "db_query_int: out is NULL");
        return DB_ERR;
    }
    rc = db_query_one(c, sql, params, n, &row);
    if (rc != DB_OK)
        return rc;
    it = json_object_iter(row); /* jansson keeps column order */
    rc = value_to_int(c, it ? json_object_iter_value(it) : NULL, out);
    json_decref(row);
    return rc;
}

int db_exec(db_conn *c, const char *sql, const db_val *params, int n, int64_t *changes)
{
    int rc;

    if (changes)
        *changes = 0;
    rc = check_args(c, sql, params, n);
    if (rc != DB_OK)
        return rc;
    return c->owner->be->run(c, sql, params, n, NULL, 0, changes);
}

int db_exec_script(db_conn *c, const char *sql)
{
    int rc = check_args(c, sql, NULL, 0);

    if (rc != DB_OK)
        return rc;
    return c->owner->be->script(c, sql);
}

/* ---- columnar results and integer lists --------------------------------- */

int db_query_cols(db_conn *c, const char *sql, const db_val *params, int n, db_cols *out)
{
    int rc;

    if (out)
        memset(out, 0, sizeof *out);
    rc = check_args(c, sql, params, n);
    if (rc != DB_OK)
        return rc;
    if (!out) {
        db_set_err(c, "db_query_cols: out is NULL");
        return DB_ERR;
    }
    rc = c->owner->be->run_cols(c, sql, params, n, out);
    if (rc != DB_OK)
        db_cols_free(out); /* zeroed: callers may free it again */
    return rc;
}

void db_cols_free(db_cols *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < sizeof r->mem_ / sizeof r->mem_[0]; i++)
        free(r->mem_[i]);
    if (r->res_ && r->res_free_)
        r->res_free_(r->res_);
    memset(r, 0, sizeof *r);
}

int db_cols_find(const db_cols *r, const char *name)
{
    for (int i = 0; r && name && i < r->ncols; i++) {
        if (strcmp(r->names[i], name) == 0)
            return i;
    }
    return -1;
}

json_t *db_cell_json(const db_cell *cell)
{
    switch (cell->type) {
    case DBC_INT:
        return json_integer((json_int_t)cell->v.i);
    case DBC_REAL:
        return json_real(cell->v.d);
    case DBC_TEXT:
        return db_json_text(cell->v.s, cell->len);
    case DBC_BOOL:
        return json_boolean(cell->v.i != 0);
    case DBC_NULL:
    default:
        return json_null();
    }
}

int db_sql_in_ints(const db *d, const char *col, int k, char *out, size_t len)
{
    int w;

    if (!out || len == 0)
        return DB_ERR;
    out[0] = '\0';
    if (!d || !col || k <= 0)
        return DB_ERR;
    w = d->be->sql_in_ints(out, len, col, k);
    if (w < 0 || (size_t)w >= len) {
        out[0] = '\0';
        return DB_ERR;
    }
    return DB_OK;
}

char *db_ints_text(db_conn *c, const db_val *v, char open)
{
    enum { INT_CHARS = 21 }; /* "-9223372036854775808" and a separator */
    const char close = open == '[' ? ']' : '}';
    size_t o = 0;
    char *buf;

    if (v->nints > DB_INTS_MAX || (v->nints > 0 && !v->ints)) {
        db_set_err(c, "bad integer list (%zu integers, at most %zu)", v->nints, (size_t)DB_INTS_MAX);
        return NULL;
    }
    buf = malloc(v->nints * INT_CHARS + 3);
    if (!buf) {
        db_set_err(c, "out of memory");
        return NULL;
    }
    buf[o++] = open;
    for (size_t i = 0; i < v->nints; i++) {
        char t[INT_CHARS];
        uint64_t u = v->ints[i] < 0 ? 0 - (uint64_t)v->ints[i] : (uint64_t)v->ints[i];
        size_t p = sizeof t;
        do {
            t[--p] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v->ints[i] < 0)
            t[--p] = '-';
        if (i > 0)
            buf[o++] = ',';
        memcpy(buf + o, t + p, sizeof t - p);
        o += sizeof t - p;
    }
    buf[o++] = close;
    buf[o] = '\0';
    return buf;
}

/* ---- transactions ------------------------------------------------------ */

int db_begin(db_conn *c)
{
    int rc;

    if (!c)
        return DB_ERR;
    if (c->in_tx) {
        db_set_err(c, "a transaction is already open on this connection");
        return DB_ERR;
    }
    rc = db_writer_enter(c);
    if (rc < 0)
        return rc;
    c->in_gate = rc == 1;
    rc = c->owner->be->run(c, c->owner->be->begin_sql, NULL, 0, NULL, 0, NULL);
    if (rc == DB_OK)
        c->in_tx = true;
    gate_leave_if_done(c); /* BEGIN failed */
    return rc;
}

int db_commit(db_conn *c)
{
    int rc;

    if (!c)
        return DB_ERR;
    if (!c->in_tx) {
        db_set_err(c, "no transaction is open on this connection");
        return DB_ERR;
    }
    rc = c->owner->be->run(c, "COMMIT", NULL, 0, NULL, 0, NULL);
    /* A failed COMMIT may leave the transaction open (SQLite busy): then the
     * caller must still roll back; otherwise it is over either way. */
    c->in_tx = rc != DB_OK && c->owner->be->tx_open(c);
    gate_leave_if_done(c);
    return rc;
}

int db_rollback(db_conn *c)
{
    int rc;

    if (!c)
        return DB_ERR;
    if (!c->owner->be->tx_open(c)) {
        c->in_tx = false; /* nothing open (or the backend already rolled back) */
        gate_leave_if_done(c);
        return DB_OK;
    }
    rc = c->owner->be->run(c, "ROLLBACK", NULL, 0, NULL, 0, NULL);
    c->in_tx = false;
    gate_leave_if_done(c);
    return rc;
}

/* ---- text helper for backends ------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (at most len bytes), 0 if none. */
static size_t utf8_seq(const unsigned char *p, size_t len)
{
    size_t need;
    uint32_t cp;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        need = 2;
        cp = p[0] & 0x1fu;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        need = 3;
        cp = p[0] & 0x0fu;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        need = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if (len < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3fu);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

json_t *db_json_text(const char *s, size_t len)
{
    static const char repl[] = "\xef\xbf\xbd"; /* U+FFFD */
    const unsigned char *p = (const unsigned char *)s;
    json_t *j = json_stringn(s, len);
    char *buf = NULL;
    size_t o = 0;

    if (j || len > SIZE_MAX / 3)
        return j;
    buf = malloc(len * 3);
    if (!buf)
        return NULL;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq(p + i, len - i);
        if (k == 0) {
            memcpy(buf + o, repl, 3);
            o += 3;
            i++;
        } else {
            memcpy(buf + o, p + i, k);
            o += k;
            i += k;
        }
    }
    j = json_stringn(buf, o);
    free(buf);
    return j;
}
