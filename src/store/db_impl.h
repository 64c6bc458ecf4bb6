/* db_impl.h -- what a storage backend provides to db.c.
 *
 * db.c owns the pool (mutex, condition variable, free list) and the public
 * API; a backend only knows how to open one connection and run statements on
 * it. Each backend file (db_sqlite.c, db_pg.c) exports one `db_backend`.
 *
 * Backend connections embed `db_conn` as their first member so db.c can hand
 * them out and the backend can cast back. A connection is used by one thread
 * at a time (the pool guarantees it), so backends need no locking of their own.
 */
#ifndef CAIRN_DB_IMPL_H
#define CAIRN_DB_IMPL_H

#include "db.h"

#include <stdbool.h>

struct db_conn {
    db *owner;
    db_conn *next_free;
    bool in_tx;    /* db_begin() succeeded and no commit/rollback ended it yet */
    bool in_gate;  /* db_begin() entered the writer gate (db.c) for this transaction */
    char err[512]; /* last error message, NUL-terminated */
};

typedef struct db_backend {
    const char *kind; /* "sqlite" or "postgresql" */
    /* Open one connection for `target` (the path after "sqlite:" for sqlite;
     * a libpq conninfo string or URL for postgresql). Returns NULL and fills
     * err (always NUL-terminated) on failure. */
    db_conn *(*open)(const char *target, char *err, size_t errlen);
    /* Close the connection and free it. */
    void (*close)(db_conn *c);
    /* Run one statement with `n` bound parameters. When rows is non-NULL it
     * receives a new array of row objects (at most max_rows of them when
     * max_rows > 0); when rows is NULL the rows are discarded. *changes (may
     * be NULL) receives the number of rows written (0 for a read). Returns a
     * DB_* code and sets c->err on failure; *rows is then left NULL. */
    int (*run)(db_conn *c, const char *sql, const db_val *params, int n, json_t **rows,
               int max_rows, int64_t *changes);
    /* Run one statement into a columnar result (db.h). *out arrives zeroed;
     * on failure the backend leaves in it only what db_cols_free() can
     * release, sets c->err and returns the DB_* code. */
    int (*run_cols)(db_conn *c, const char *sql, const db_val *params, int n, db_cols *out);
    /* Run ;-separated statements without parameters. */
    int (*script)(db_conn *c, const char *sql);
    /* Write "col is one of the DB_INTS parameter $k" (see db_sql_in_ints);
     * returns what snprintf returns. */
    int (*sql_in_ints)(char *out, size_t len, const char *col, int k);
    /* True when the server side has a transaction open (or its state is
     * unknown, e.g. a lost connection), so db_release() must roll back. */
    bool (*tx_open)(const db_conn *c);
    /* Dialect. */
    const char *begin_sql;    /* statement that starts a write transaction */
    const char *id_column;    /* SQL substituted for "@ID@" in migrations */
    const char *migrate_lock; /* run first in each migration transaction to
                               * serialise migrating processes, or NULL */
    bool serial_writers;      /* one writer at a time: the pool serialises
                               * writers in-process (the writer gate, db.c) */
} db_backend;

extern const db_backend db_sqlite_backend;
extern const db_backend db_pg_backend;

/* db_local_paths() for a PostgreSQL conninfo (URL or key=value): the
 * Unix-socket directories it connects through, its password file and
 * client key (db_pg.c). */
int db_pg_socket_dirs(const char *conninfo, void (*fn)(void *ctx, const char *path), void *ctx);

/* The backend a pool was opened with. */
const db_backend *db_backend_of(const db *d);

/* The writer gate (db.c), for a backend with serial_writers. Enter before
 * writing: returns 1 when c is now inside (the caller leaves with
 * db_writer_leave()), 0 when there is nothing to wait for (the backend does
 * not serialise writers, c is inside already, or this thread is inside
 * through another connection: it must not wait for itself), or DB_BUSY with
 * c->err set when another connection stayed inside for 5 s. */
int db_writer_enter(db_conn *c);
void db_writer_leave(db_conn *c);

/* Write a formatted message to a caller's (err, errlen) buffer, truncated to
 * fit; does nothing when err is NULL or errlen is 0. */
void db_put_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Store a formatted message in c->err (truncated to fit). */
void db_set_err(db_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A new JSON string for `len` bytes of column text that may not be valid
 * UTF-8 (SQLite does not check; blobs): valid text is copied as is, each
 * byte of an invalid sequence becomes U+FFFD. Returns NULL only when out of
 * memory. */
json_t *db_json_text(const char *s, size_t len);

/* Write the integers of a DBV_INTS value as text: "[1,2,3]" (JSON, for
 * SQLite's json_each) when open is '[', "{1,2,3}" (a PostgreSQL array
 * literal) when open is '{'. Returns a malloc'd NUL-terminated string, or
 * NULL when out of memory or when the list has more than DB_INTS_MAX
 * integers (c->err says which). */
char *db_ints_text(db_conn *c, const db_val *v, char open);

#endif
