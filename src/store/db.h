/* db.h -- one storage interface over SQLite and PostgreSQL.
 *
 * A `db` is a pool of connections to one database, named by a URL:
 *   sqlite:/path/to/file.db      embedded default (WAL, busy timeout)
 *   postgresql://user@host/name  or any libpq conninfo after "postgresql:"
 *
 * A thread takes a connection with db_acquire(), uses it, and gives it back
 * with db_release(). A connection is never shared by two threads at once.
 *
 * SQL is written once for both backends with $1, $2 … placeholders; values are
 * always bound, never spliced into SQL text. Rows come back as a jansson array
 * of objects keyed by column name: integer columns as JSON integers, real as
 * JSON reals, NULL as null, everything else as strings. Write SQL so that both
 * backends give the same types (BIGINT for integers and flags, TEXT for text).
 *
 * Errors are returned as DB_* codes; db_errmsg() gives the backend's text for
 * the last error on that connection (for logs, not for API clients).
 */
#ifndef CAIRN_DB_H
#define CAIRN_DB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct db db;
typedef struct db_conn db_conn;

enum {
    DB_OK = 0,
    DB_ERR = -1,        /* any other failure (syntax, I/O, connection lost) */
    DB_CONSTRAINT = -2, /* unique or check constraint violated */
    DB_FOREIGN = -3,    /* foreign key violated */
    DB_NOTFOUND = -4,   /* db_query_one() found no row */
    DB_BUSY = -5,       /* lock timeout */
};

typedef enum { DBV_NULL, DBV_INT, DBV_REAL, DBV_TEXT } db_val_type;

/* One bound parameter. Text is borrowed: it must outlive the call. */
typedef struct {
    db_val_type type;
    int64_t i;
    double d;
    const char *s;
} db_val;

#define DB_NULLV ((db_val){.type = DBV_NULL})
#define DB_INT(x) ((db_val){.type = DBV_INT, .i = (int64_t)(x)})
#define DB_REAL(x) ((db_val){.type = DBV_REAL, .d = (double)(x)})
static inline db_val db_text_val(const char *s)
{
    return (db_val){.type = s ? DBV_TEXT : DBV_NULL, .s = s};
}
/* Text parameter; NULL binds SQL NULL. */
#define DB_TEXT(x) db_text_val(x)
/* DB_ARGS(a, b, c) expands to "array, count" for the calls below. */
#define DB_ARGS(...) (db_val[]){__VA_ARGS__}, (int)(sizeof((db_val[]){__VA_ARGS__}) / sizeof(db_val))
#define DB_NOARGS NULL, 0

/* Open a pool of `pool_size` connections to `url`. On failure returns DB_ERR
 * and writes a message to err (always NUL-terminated). The caller owns *out
 * and frees it with db_close(). */
int db_open(const char *url, int pool_size, db **out, char *err, size_t errlen);

/* Close every connection and free the pool. All connections must have been
 * released. NULL is allowed. */
void db_close(db *d);

/* "sqlite" or "postgresql". */
const char *db_kind(const db *d);

/* Take a connection, waiting while all are in use. Never returns NULL. */
db_conn *db_acquire(db *d);

/* Give a connection back. Rolls back a transaction left open. */
void db_release(db_conn *c);

/* Transactions. db_begin() takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE) so two writers never deadlock on upgrade. */
int db_begin(db_conn *c);
int db_commit(db_conn *c);
int db_rollback(db_conn *c);

/* Run a statement that returns rows. *rows (owned by the caller, json_decref)
 * is set to an array of objects on DB_OK, NULL otherwise. */
int db_query(db_conn *c, const char *sql, const db_val *params, int n, json_t **rows);

/* Like db_query but for exactly one row: *row is the object (caller owns it),
 * DB_NOTFOUND when there is none. Extra rows are ignored. */
int db_query_one(db_conn *c, const char *sql, const db_val *params, int n, json_t **row);

/* Run a statement that returns no rows; *changes (may be NULL) receives the
 * number of rows changed. A statement ending in "RETURNING id" should use
 * db_query_one() instead. */
int db_exec(db_conn *c, const char *sql, const db_val *params, int n, int64_t *changes);

/* Run several ;-separated statements without parameters (migrations). */
int db_exec_script(db_conn *c, const char *sql);

/* The backend's message for the last error on this connection. */
const char *db_errmsg(const db_conn *c);

/* The database this connection belongs to. */
db *db_of(const db_conn *c);

/* Apply the embedded migrations that this database has not seen yet, each
 * in its own transaction, recorded in table schema_migrations. */
int db_migrate(db *d, char *err, size_t errlen);

/* Helpers for a single integer result, e.g. SELECT count(*) ... */
int db_query_int(db_conn *c, const char *sql, const db_val *params, int n, int64_t *out);

#endif
