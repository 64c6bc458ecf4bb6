/* db_sqlite.c -- the SQLite backend of db.h.
 *
 * One sqlite3 handle per pool connection, opened in multi-thread mode
 * (SQLITE_OPEN_NOMUTEX: the pool hands a connection to one thread at a time)
 * with WAL journaling, foreign keys on, synchronous=NORMAL and a 5 s busy
 * timeout. The database file is created with mode 0600 before SQLite opens
 * it; SQLite gives its -wal and -shm files the same mode.
 *
 * Placeholders: SQLite reads $1, $2 as *named* parameters numbered by first
 * appearance, so each value is bound by name with
 * sqlite3_bind_parameter_index(st, "$N"); a parameter may appear several
 * times or out of order. The statement must use exactly $1..$n.
 *
 * Prepared statements are kept in a small per-connection cache keyed by SQL
 * text and evicted least recently used: the same few statements repeat on hot
 * paths and preparing is a large share of a short query's cost. A statement is
 * always reset and its bindings cleared after use, so a cached statement
 * never holds a read snapshot or a pointer to the caller's text. A list of
 * integers (DB_INTS) is bound as one JSON array text read with json_each(),
 * so statements over a page's ids keep one SQL text and stay cached.
 *
 * Each connection maps the database file (PRAGMA mmap_size): the pool's
 * connections then read pages straight from the shared OS page cache instead
 * of each warming a private 2 MiB cache with pread + copy. Measured on 10,000
 * hosts (bench/results/api-profile.txt): a search touching rows all over the
 * table went from 4.8 to 2.7 ms of CPU; the mapping costs file-backed,
 * shared, reclaimable pages, not anonymous memory.
 *
 * Columnar results (db_query_cols) copy each row's text into one growing
 * block per result, cells keeping offsets until the last row is read.
 *
 * Writers: the backend sets serial_writers, so db.c's writer gate lets one
 * transaction of this process write at a time and waiters wake as soon as it
 * ends, instead of sleeping in SQLite's busy handler; a write statement run
 * outside a transaction enters the gate around its steps here (gate_write).
 * The 5 s busy timeout stays for other processes that open the file.
 */
#include "common/util.h"
#include "store/db_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Statements cached per connection. Measured on 2 cores (one connection,
 * 20k-row table): cached vs. prepared every time, insert in a transaction
 * 800k/s vs. 250k/s, select one row by id 580k/s vs. 155k/s. */
enum { DB_SQLITE_STMT_CACHE = 32 };

/* Bytes of the database file each connection may map (see the top). */
#define DB_SQLITE_MMAP_SIZE "268435456"

/* Largest columnar result (text plus cells) read into memory: 1 GiB. */
#define DB_SQLITE_COLS_MAX ((size_t)1 << 30)

typedef struct {
    char *sql; /* owned copy of the key; NULL when the slot is empty */
    size_t len;
    uint32_t hash;
    uint64_t used; /* tick of last use, for LRU eviction */
    sqlite3_stmt *st;
} stmt_slot;

typedef struct {
    db_conn base; /* must stay first: db.c sees only this */
    sqlite3 *h;
    uint64_t tick;
    stmt_slot cache[DB_SQLITE_STMT_CACHE];
} sqlite_conn;

static sqlite_conn *sq(db_conn *c)
{
    return (sqlite_conn *)c;
}

/* Map an extended SQLite result code to a DB_* code. */
static int map_code(int ext)
{
    switch (ext) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return DB_CONSTRAINT;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return DB_FOREIGN;
    default:
        break;
    }
    switch (ext & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_BUSY;
    case SQLITE_FULL:
        util_disk_full_mark();
        return DB_ERR;
    default:
        return DB_ERR;
    }
}

/* Record the handle's current error message and return the DB_* code. */
static int sq_fail(sqlite_conn *sc, int ext)
{
    db_set_err(&sc->base, "%s", sqlite3_errmsg(sc->h));
    return map_code(ext);
}

/* ---- statement cache --------------------------------------------------- */

static uint32_t hash_sql(const char *s, size_t *len)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    size_t n = 0;

    for (; s[n]; n++)
        h = (h ^ (unsigned char)s[n]) * 16777619u;
    *len = n;
    return h;
}

/* True when `tail` (what follows the first statement) holds no statement. */
static bool tail_is_empty(sqlite3 *h, const char *tail)
{
    sqlite3_stmt *extra = NULL;
    bool empty;

    tail += strspn(tail, " \t\r\n;");
    if (!*tail)
        return true;
    empty = sqlite3_prepare_v2(h, tail, -1, &extra, NULL) == SQLITE_OK && !extra;
    sqlite3_finalize(extra);
    return empty;
}

/* Find or prepare the statement for sql. *slot is the cache slot holding it,
 * or NULL when the statement is not cached (the caller finalizes it). */
static int get_stmt(sqlite_conn *sc, const char *sql, sqlite3_stmt **out, stmt_slot **slot)
{
    size_t len;
    uint32_t hash = hash_sql(sql, &len);
    stmt_slot *victim = NULL;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc;

    *out = NULL;
    *slot = NULL;
    for (size_t i = 0; i < DB_SQLITE_STMT_CACHE; i++) {
        stmt_slot *s = &sc->cache[i];
        if (s->sql && s->hash == hash && s->len == len && memcmp(s->sql, sql, len) == 0) {
            s->used = ++sc->tick;
            *out = s->st;
            *slot = s;
            return DB_OK;
        }
        if (!victim || !s->sql || (victim->sql && s->used < victim->used))
            victim = s;
    }
    if (len >= INT32_MAX) {
        db_set_err(&sc->base, "SQL text too long");
        return DB_ERR;
    }
    rc = sqlite3_prepare_v3(sc->h, sql, (int)len + 1, SQLITE_PREPARE_PERSISTENT, &st, &tail);
    if (rc != SQLITE_OK)
        return sq_fail(sc, rc);
    if (!st) {
        db_set_err(&sc->base, "empty statement");
        return DB_ERR;
    }
    if (!tail_is_empty(sc->h, tail)) {
        sqlite3_finalize(st);
        db_set_err(&sc->base, "one statement per call (use db_exec_script for several)");
        return DB_ERR;
    }
    *out = st;
    if (victim) {
        char *key = malloc(len + 1);
        if (!key)
            return DB_OK; /* run uncached */
        memcpy(key, sql, len + 1);
        sqlite3_finalize(victim->st);
        free(victim->sql);
        *victim = (stmt_slot){.sql = key, .len = len, .hash = hash, .used = ++sc->tick, .st = st};
        *slot = victim;
    }
    return DB_OK;
}

/* ---- binding and rows -------------------------------------------------- */

static int bind_all(sqlite_conn *sc, sqlite3_stmt *st, const db_val *p, int n)
{
    int want = sqlite3_bind_parameter_count(st);

    if (want != n) {
        db_set_err(&sc->base, "statement takes %d parameters, %d given", want, n);
        return DB_ERR;
    }
    for (int i = 0; i < n; i++) {
        char name[16];
        int idx, rc;

        (void)snprintf(name, sizeof name, "$%d", i + 1);
        idx = sqlite3_bind_parameter_index(st, name);
        if (idx == 0) {
            db_set_err(&sc->base, "parameter %s does not appear in the statement", name);
            return DB_ERR;
        }
        switch (p[i].type) {
        case DBV_NULL:
            rc = sqlite3_bind_null(st, idx);
            break;
        case DBV_INT:
            rc = sqlite3_bind_int64(st, idx, p[i].i);
            break;
        case DBV_REAL:
            rc = sqlite3_bind_double(st, idx, p[i].d);
            break;
        case DBV_TEXT:
            /* Borrowed: the caller's text outlives the call (db.h). */
            rc = p[i].s ? sqlite3_bind_text(st, idx, p[i].s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
            break;
        case DBV_INTS: {
            /* A JSON array for json_each(); SQLite frees it (free) when the
             * binding is cleared, and also when binding fails. */
            char *text = db_ints_text(&sc->base, &p[i], '[');
            if (!text)
                return DB_ERR;
            rc = sqlite3_bind_text(st, idx, text, -1, free);
            break;
        }
        default:
            db_set_err(&sc->base, "parameter %s has unknown type %d", name, (int)p[i].type);
            return DB_ERR;
        }
        if (rc != SQLITE_OK)
            return sq_fail(sc, rc);
    }
    return DB_OK;
}

/* Column i of the current row as a cell; text points into SQLite's memory
 * (valid until the next step). Both read paths go through here, so they map
 * types the same way. */
static void sq_cell(sqlite3_stmt *st, int i, db_cell *cell)
{
    memset(cell, 0, sizeof *cell);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        cell->type = DBC_INT;
        cell->v.i = (int64_t)sqlite3_column_int64(st, i);
        break;
    case SQLITE_FLOAT:
        cell->v.d = sqlite3_column_double(st, i);
        cell->type = isfinite(cell->v.d) ? DBC_REAL : DBC_NULL; /* JSON has no Inf */
        break;
    case SQLITE_NULL:
        cell->type = DBC_NULL;
        break;
    default: { /* TEXT or BLOB: text first, then its length (SQLite docs) */
        const unsigned char *t = sqlite3_column_text(st, i);
        cell->type = DBC_TEXT;
        cell->v.s = t ? (const char *)t : "";
        cell->len = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
        break;
    }
    }
}

/* The current row as a new JSON object, NULL when out of memory. The
 * column count is read here, after the step: a cached statement re-prepared
 * by that step (schema change) may have gained or lost columns. */
static json_t *row_object(sqlite3_stmt *st)
{
    const int ncol = sqlite3_column_count(st);
    json_t *row = json_object();

    if (!row)
        return NULL;
    for (int i = 0; i < ncol; i++) {
        const char *name = sqlite3_column_name(st, i);
        db_cell cell;
        json_t *v;

        if (!name)
            goto fail;
        sq_cell(st, i, &cell);
        v = db_cell_json(&cell);
        if (!v || json_object_set_new(row, name, v) != 0)
            goto fail;
    }
    return row;

fail:
    json_decref(row);
    return NULL;
}

/* ---- columnar results -------------------------------------------------- */

/* A columnar result being read: cells and text grow; text cells and names
 * hold offsets into text (stored in v.i) until cols_finish(). */
typedef struct {
    db_cell *cells;
    size_t ncells, cap_cells;
    char *text;
    size_t ntext, cap_text;
    size_t *name_at; /* ncols offsets of the column names in text */
    int ncols;
} cols_build;

/* Make room for `more` cells and `bytes` of text; false when out of memory
 * or past DB_SQLITE_COLS_MAX. */
static bool cols_reserve(cols_build *b, size_t more, size_t bytes)
{
    if (more > DB_SQLITE_COLS_MAX / sizeof(db_cell) - b->ncells || bytes > DB_SQLITE_COLS_MAX - b->ntext ||
        (b->ncells + more) * sizeof(db_cell) + b->ntext + bytes > DB_SQLITE_COLS_MAX)
        return false;
    if (b->ncells + more > b->cap_cells) {
        size_t cap = b->cap_cells ? b->cap_cells : 256;
        while (cap < b->ncells + more)
            cap *= 2;
        db_cell *p = realloc(b->cells, cap * sizeof *p);
        if (!p)
            return false;
        b->cells = p;
        b->cap_cells = cap;
    }
    if (b->ntext + bytes > b->cap_text) {
        size_t cap = b->cap_text ? b->cap_text : 4096;
        while (cap < b->ntext + bytes)
            cap *= 2;
        char *p = realloc(b->text, cap);
        if (!p)
            return false;
        b->text = p;
        b->cap_text = cap;
    }
    return true;
}

/* Copy len bytes plus a NUL into the text block; returns the offset. The
 * room must have been reserved. */
static size_t cols_put_text(cols_build *b, const char *s, size_t len)
{
    size_t at = b->ntext;

    if (len)
        memcpy(b->text + at, s, len);
    b->text[at + len] = '\0';
    b->ntext += len + 1;
    return at;
}

/* Record the column names of the statement (after its first step). */
static bool cols_names(cols_build *b, sqlite3_stmt *st)
{
    b->ncols = sqlite3_column_count(st);
    b->name_at = calloc((size_t)b->ncols + 1, sizeof *b->name_at);
    if (!b->name_at)
        return false;
    for (int i = 0; i < b->ncols; i++) {
        const char *name = sqlite3_column_name(st, i);
        size_t len = name ? strlen(name) : 0;
        if (!name || !cols_reserve(b, 0, len + 1))
            return false;
        b->name_at[i] = cols_put_text(b, name, len);
    }
    return true;
}

/* Append the current row. */
static bool cols_row(cols_build *b, sqlite3_stmt *st)
{
    if (sqlite3_column_count(st) != b->ncols || !cols_reserve(b, (size_t)b->ncols, 0))
        return false; /* the count cannot change within one run: refuse rather than misread */
    for (int i = 0; i < b->ncols; i++) {
        db_cell *cell = &b->cells[b->ncells++];
        sq_cell(st, i, cell);
        if (cell->type != DBC_TEXT)
            continue;
        /* SQLite's text stays put while our block grows. */
        if (!cols_reserve(b, 0, cell->len + 1))
            return false;
        cell->v.i = (int64_t)cols_put_text(b, cell->v.s, cell->len);
    }
    return true;
}

/* Hand the storage to out, turning offsets into pointers. */
static bool cols_finish(cols_build *b, db_cols *out)
{
    const char **names = calloc((size_t)b->ncols + 1, sizeof *names);

    if (!names)
        return false;
    for (int i = 0; i < b->ncols; i++)
        names[i] = b->text + b->name_at[i];
    for (size_t i = 0; i < b->ncells; i++) {
        if (b->cells[i].type == DBC_TEXT)
            b->cells[i].v.s = b->text + (size_t)b->cells[i].v.i;
    }
    out->ncols = b->ncols;
    out->nrows = b->ncols > 0 ? (int)(b->ncells / (size_t)b->ncols) : 0;
    out->names = names;
    out->cells = b->cells;
    out->mem_[0] = b->cells;
    out->mem_[1] = b->text;
    out->mem_[2] = (void *)names;
    b->cells = NULL;
    b->text = NULL;
    return true;
}

/* ---- backend entry points ---------------------------------------------- */

/* Enter the writer gate when st writes outside a transaction (a
 * transaction's writes are covered by db_begin()). Returns 1 when entered
 * (the caller leaves), 0 when not needed, DB_BUSY on timeout. */
static int gate_write(sqlite_conn *sc, sqlite3_stmt *st)
{
    if (!sqlite3_get_autocommit(sc->h) || sqlite3_stmt_readonly(st))
        return 0;
    return db_writer_enter(&sc->base);
}

static int sq_run(db_conn *c, const char *sql, const db_val *params, int n, json_t **rows, int max_rows,
                  int64_t *changes)
{
    sqlite_conn *sc = sq(c);
    sqlite3_stmt *st = NULL;
    stmt_slot *slot = NULL;
    json_t *out = NULL;
    int rc, src, gate = 0;
    sqlite3_int64 total;

    if (rows)
        *rows = NULL;
    if (changes)
        *changes = 0;
    rc = get_stmt(sc, sql, &st, &slot);
    if (rc != DB_OK)
        goto done;
    rc = bind_all(sc, st, params, n);
    if (rc != DB_OK)
        goto done;
    if (rows && !(out = json_array())) {
        rc = DB_ERR;
        db_set_err(c, "out of memory");
        goto done;
    }
    gate = gate_write(sc, st);
    if (gate < 0) {
        rc = gate;
        goto done;
    }
    total = sqlite3_total_changes64(sc->h);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row;
        if (!out)
            continue; /* db_exec: step to the end so every change is made */
        if (max_rows > 0 && json_array_size(out) >= (size_t)max_rows) {
            src = SQLITE_DONE; /* enough (RETURNING changes are all made on the first step) */
            break;
        }
        row = row_object(st);
        if (!row || json_array_append_new(out, row) != 0) {
            rc = DB_ERR;
            db_set_err(c, "out of memory");
            goto done;
        }
    }
    if (src != SQLITE_DONE) {
        rc = sq_fail(sc, src);
        goto done;
    }
    /* sqlite3_changes64() keeps the count of the last INSERT, UPDATE or
     * DELETE, so only report it when this statement changed something. */
    if (changes && sqlite3_total_changes64(sc->h) != total)
        *changes = (int64_t)sqlite3_changes64(sc->h);
    if (rows) {
        *rows = out;
        out = NULL;
    }

done:
    json_decref(out);
    if (st && slot) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
    if (gate == 1) /* after the reset: the statement's write is over */
        db_writer_leave(c);
    return rc;
}

static int sq_run_cols(db_conn *c, const char *sql, const db_val *params, int n, db_cols *out)
{
    sqlite_conn *sc = sq(c);
    sqlite3_stmt *st = NULL;
    stmt_slot *slot = NULL;
    cols_build b = {0};
    int rc, src;

    rc = get_stmt(sc, sql, &st, &slot);
    if (rc != DB_OK)
        goto done;
    rc = bind_all(sc, st, params, n);
    if (rc != DB_OK)
        goto done;
    src = sqlite3_step(st);
    /* Names after the first step (see row_object); a result without rows
     * still has its columns. */
    if ((src == SQLITE_ROW || src == SQLITE_DONE) && !cols_names(&b, st)) {
        rc = DB_ERR;
        db_set_err(c, "out of memory");
        goto done;
    }
    for (; src == SQLITE_ROW; src = sqlite3_step(st)) {
        if (b.ncols > 0 && (size_t)b.ncells / (size_t)b.ncols >= INT32_MAX) {
            src = SQLITE_TOOBIG;
            break;
        }
        if (!cols_row(&b, st)) {
            rc = DB_ERR;
            db_set_err(c, "out of memory (or a result over 1 GiB)");
            goto done;
        }
    }
    if (src != SQLITE_DONE) {
        rc = src == SQLITE_TOOBIG ? DB_ERR : sq_fail(sc, src);
        if (src == SQLITE_TOOBIG)
            db_set_err(c, "too many rows");
        goto done;
    }
    if (!cols_finish(&b, out)) {
        rc = DB_ERR;
        db_set_err(c, "out of memory");
    }

done:
    free(b.cells);
    free(b.text);
    free(b.name_at);
    if (st && slot) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
    return rc;
}

static int sq_in_ints(char *out, size_t len, const char *col, int k)
{
    return snprintf(out, len, "%s IN (SELECT value FROM json_each($%d))", col, k);
}

static int sq_script(db_conn *c, const char *sql)
{
    sqlite_conn *sc = sq(c);
    char *msg = NULL;
    int rc = sqlite3_exec(sc->h, sql, NULL, NULL, &msg);

    if (rc == SQLITE_OK)
        return DB_OK;
    db_set_err(c, "%s", msg ? msg : sqlite3_errmsg(sc->h));
    sqlite3_free(msg);
    return map_code(sqlite3_extended_errcode(sc->h));
}

static bool sq_tx_open(const db_conn *c)
{
    return sqlite3_get_autocommit(((const sqlite_conn *)c)->h) == 0;
}

static void sq_close(db_conn *c)
{
    sqlite_conn *sc = sq(c);

    if (!sc)
        return;
    for (size_t i = 0; i < DB_SQLITE_STMT_CACHE; i++) {
        sqlite3_finalize(sc->cache[i].st);
        free(sc->cache[i].sql);
    }
    sqlite3_close_v2(sc->h); /* NULL is a no-op */
    free(sc);
}

static db_conn *sq_open(const char *path, char *err, size_t errlen)
{
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    sqlite_conn *sc = calloc(1, sizeof *sc);
    char *msg = NULL;
    int rc;

    if (!sc) {
        (void)snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (strcmp(path, ":memory:") != 0) {
        /* Create the file ourselves so it is private from the start. */
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) {
            (void)snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            goto fail;
        }
        close(fd);
    }
    rc = sqlite3_open_v2(path, &sc->h, flags, NULL);
    if (rc != SQLITE_OK) {
        (void)snprintf(err, errlen, "cannot open %s: %s", path, sc->h ? sqlite3_errmsg(sc->h) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(sc->h, 1);
    sqlite3_busy_timeout(sc->h, 5000);
    rc = sqlite3_exec(sc->h,
                      "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; "
                      "PRAGMA mmap_size=" DB_SQLITE_MMAP_SIZE ";",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        (void)snprintf(err, errlen, "cannot set up %s: %s", path, msg ? msg : sqlite3_errstr(rc));
        goto fail;
    }
    return &sc->base;

fail:
    sqlite3_free(msg);
    sq_close(&sc->base);
    return NULL;
}

const db_backend db_sqlite_backend = {
    .kind = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .run = sq_run,
    .run_cols = sq_run_cols,
    .script = sq_script,
    .sql_in_ints = sq_in_ints,
    .tx_open = sq_tx_open,
    .begin_sql = "BEGIN IMMEDIATE",
    .id_column = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .migrate_lock = NULL, /* BEGIN IMMEDIATE already takes the write lock */
    .serial_writers = true,
};
