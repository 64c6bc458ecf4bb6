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
 *
 * Hot read paths (list pages) can skip the JSON objects: db_query_cols()
 * returns a columnar result of typed C cells whose text lives in one block
 * per result (PostgreSQL: the PGresult itself), freed at once by
 * db_cols_free(). A list of integers (a page's ids) is bound as ONE value,
 * DB_INTS(), tested with the condition db_sql_in_ints() writes, so the SQL
 * text does not change with the list and cached statements are reused.
 */
#ifndef CAIRN_DB_H
#define CAIRN_DB_H

#include <jansson.h>
#include <stdbool.h>
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

typedef enum { DBV_NULL, DBV_INT, DBV_REAL, DBV_TEXT, DBV_INTS } db_val_type;

/* One bound parameter. Text and integer lists are borrowed: they must
 * outlive the call. */
typedef struct {
    db_val_type type;
    int64_t i;
    double d;
    const char *s;
    const int64_t *ints; /* DBV_INTS: nints integers (NULL allowed when 0) */
    size_t nints;
} db_val;

#define DB_NULLV ((db_val){.type = DBV_NULL})
#define DB_INT(x) ((db_val){.type = DBV_INT, .i = (int64_t)(x)})
#define DB_REAL(x) ((db_val){.type = DBV_REAL, .d = (double)(x)})
/* A list of integers as one parameter, only for the condition written by
 * db_sql_in_ints() (SQLite receives it as a JSON array, PostgreSQL as a
 * bigint[]). At most DB_INTS_MAX integers. */
#define DB_INTS(p, n) ((db_val){.type = DBV_INTS, .ints = (p), .nints = (size_t)(n)})
#define DB_INTS_MAX ((size_t)1 << 20)
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

/* Call fn(ctx, path) for every file or directory of this machine through
 * which the database of `url` can be read without its password: for SQLite
 * the database file and its -wal, -shm and -journal files; for PostgreSQL
 * each Unix-socket directory the URL names (else $PGHOST when it is one,
 * else libpq's default /var/run/postgresql), and where the password or
 * client key may be: the URL's passfile and sslkey, $PGPASSFILE,
 * $HOME/.pgpass, $HOME/.postgresql. Paths may not exist. Returns
 * 0, or -1 when url is not a database URL or cannot be parsed. */
int db_local_paths(const char *url, void (*fn)(void *ctx, const char *path), void *ctx);

/* "sqlite" or "postgresql". */
const char *db_kind(const db *d);

/* Take a connection, waiting while all are in use. Never returns NULL. */
db_conn *db_acquire(db *d);

/* Give a connection back. Rolls back a transaction left open. */
void db_release(db_conn *c);

/* Transactions. db_begin() takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE) so two writers never deadlock on upgrade; before that
 * it waits (up to 5 s, then DB_BUSY) until no other connection of the pool
 * is writing (db.c's writer gate), so writers of this process queue up
 * instead of sleeping in SQLite's busy handler. */
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

/* A statement that fails because the database's disk (or the PostgreSQL
 * server's) is full returns DB_ERR like any other failure and also marks
 * the calling thread with util_disk_full_mark() (util.h), so the HTTP layer
 * answers 507 instead of a bare 500. */

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

/* ---- integer lists ------------------------------------------------------ */

/* Write to out (len bytes, always NUL-terminated) the condition "col is one
 * of the integers bound as parameter $k" (a DB_INTS value) in this
 * database's SQL:
 *   SQLite:      col IN (SELECT value FROM json_each($k))
 *   PostgreSQL:  col = ANY($k)
 * col is SQL written by the caller (a column name), never request text.
 * Returns DB_OK, or DB_ERR when out is too small or k is not positive. */
int db_sql_in_ints(const db *d, const char *col, int k, char *out, size_t len);

/* ---- columnar results --------------------------------------------------- */

/* The type of a cell. Column types map as in db_query(): SQLite INTEGER ->
 * DBC_INT, REAL -> DBC_REAL (NULL when not finite), TEXT and BLOB -> DBC_TEXT;
 * PostgreSQL int2/4/8 -> DBC_INT, numeric -> DBC_INT when a whole number that
 * fits else DBC_REAL, float4/8 -> DBC_REAL (NULL when not finite), bool ->
 * DBC_BOOL, everything else -> DBC_TEXT. */
typedef enum { DBC_NULL, DBC_INT, DBC_REAL, DBC_TEXT, DBC_BOOL } db_cell_type;

/* One value. Text is NOT checked: on SQLite it holds the bytes as stored,
 * which may be invalid UTF-8 (db_query() repairs it; db_cell_json() and
 * jsonw_string() repair it the same way). */
typedef struct {
    db_cell_type type;
    size_t len; /* DBC_TEXT: bytes in s, which is also NUL-terminated */
    union {
        int64_t i;    /* DBC_INT; DBC_BOOL: 0 or 1 */
        double d;     /* DBC_REAL: always finite */
        const char *s; /* DBC_TEXT: owned by the result */
    } v;
} db_cell;

/* A whole result, row-major: cell (row, col) is cells[row * ncols + col].
 * Names, cells and text belong to the result and stay valid until
 * db_cols_free(). The fields ending in '_' are the store's own. */
typedef struct {
    int ncols, nrows;
    const char *const *names; /* ncols column names */
    const db_cell *cells;     /* nrows * ncols cells */
    void *mem_[3];            /* malloc'd blocks, freed by db_cols_free() */
    void *res_;               /* a backend result kept alive, or NULL */
    void (*res_free_)(void *res);
} db_cols;

/* Run a statement that returns rows, into *out (always initialised; on
 * failure it holds no rows). The caller frees it with db_cols_free(), also
 * after an error. Same parameters, errors and column types as db_query(). */
int db_query_cols(db_conn *c, const char *sql, const db_val *params, int n, db_cols *out);

/* Release everything *r holds and zero it. Safe on a zeroed or already
 * freed result; NULL is allowed. */
void db_cols_free(db_cols *r);

/* The index of column `name` in r, or -1. */
int db_cols_find(const db_cols *r, const char *name);

/* Cell (row, col); both must be in range. */
static inline const db_cell *db_cols_cell(const db_cols *r, int row, int col)
{
    return &r->cells[(size_t)row * (size_t)r->ncols + (size_t)col];
}

/* The cell as a new JSON value, exactly as db_query() would have given it
 * (text repaired to valid UTF-8, DBC_BOOL as true/false). NULL only when
 * out of memory. The caller owns the result. */
json_t *db_cell_json(const db_cell *cell);

#endif
