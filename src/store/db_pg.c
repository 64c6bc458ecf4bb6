/* db_pg.c -- the PostgreSQL backend of db.h, over libpq.
 *
 * One PGconn per pool connection, opened with PQconnectdbParams so that the
 * URL (or key=value conninfo) from the configuration is expanded and two
 * settings of ours are added: connect_timeout=10 unless the URL sets one, and
 * client_encoding=UTF8 always (so text reaches jansson as UTF-8). NOTICE and
 * WARNING messages are dropped by a no-op notice processor.
 *
 * Statements go through PQexecParams with text-format parameters: integers
 * are printed as decimal and typed int8, reals printed with 17 significant
 * digits and typed float8, integer lists (DB_INTS) as an array literal
 * "{1,2,3}" typed int8[], text and NULL are sent untyped so the server infers
 * their type from context. Two consequences for SQL written for both
 * backends: a function taking int4 needs CAST($1 AS INTEGER), and a text or
 * NULL parameter whose type nothing determines (`$1 IS NULL` alone) needs
 * CAST($1 AS TEXT); SQLite accepts both casts. Result columns become JSON by type OID: int2/int4/int8 →
 * integer, float4/float8 → real, numeric → integer when it is a whole number
 * that fits (sum(bigint) is numeric), real otherwise, bool → true/false,
 * NULL → null, all else → string. A columnar result (db_query_cols) keeps
 * the PGresult and points its text cells into it, copying nothing.
 *
 * A connection found broken at the start of a call (including one the server
 * closed while it sat idle in the pool) is reset once with PQreset before the
 * statement is sent. A statement that fails because the connection dropped
 * mid-way is not re-sent (it may have run); the next call reconnects. If the
 * connection is lost inside a transaction, every statement fails until the
 * caller rolls back, so no statement of that transaction runs outside it.
 */
#include "common/util.h"
#include "store/db_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Type OIDs from PostgreSQL's catalog/pg_type.h (stable across versions). */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_NUMERIC = 1700,
    OID_INT8_ARRAY = 1016,
};

enum { NUM_LEN = 32 }; /* room for any printed int64 or %.17g double */

typedef struct {
    db_conn base; /* must stay first: db.c sees only this */
    PGconn *pg;
    bool lost_tx; /* reconnected while a transaction was open */
} pg_conn;

static pg_conn *pgc(db_conn *c)
{
    return (pg_conn *)c;
}

static void no_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Copy libpq's connection-level message into c->err on one line. */
static void conn_err(pg_conn *pc, const char *what)
{
    char *e = pc->base.err;
    size_t len;

    db_set_err(&pc->base, "%s: %s", what, PQerrorMessage(pc->pg));
    for (char *p = e; *p; p++) {
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    }
    len = strlen(e);
    while (len > 0 && e[len - 1] == ' ')
        e[--len] = '\0';
}

/* Map a SQLSTATE to a DB_* code. */
static int map_state(const char *state)
{
    static const struct {
        const char *state;
        int code;
    } map[] = {
        {"23505", DB_CONSTRAINT}, /* unique_violation */
        {"23514", DB_CONSTRAINT}, /* check_violation */
        {"23502", DB_CONSTRAINT}, /* not_null_violation */
        {"23P01", DB_CONSTRAINT}, /* exclusion_violation */
        {"23503", DB_FOREIGN},    /* foreign_key_violation */
        {"40P01", DB_BUSY},       /* deadlock_detected */
        {"55P03", DB_BUSY},       /* lock_not_available */
        {"40001", DB_BUSY},       /* serialization_failure: retry, like busy */
    };

    for (size_t i = 0; state && i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(state, map[i].state) == 0)
            return map[i].code;
    }
    return DB_ERR;
}

/* Record the error of a failed result (or of the connection if res is NULL)
 * and return its DB_* code. */
static int pg_fail(pg_conn *pc, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

    if (!msg) {
        conn_err(pc, PQstatus(pc->pg) == CONNECTION_OK ? "error" : "connection lost");
        return DB_ERR;
    }
    db_set_err(&pc->base, "%s%s%s [%s]", msg, detail ? ": " : "", detail ? detail : "", state ? state : "?????");
    if (state && strcmp(state, "53100") == 0) /* disk_full */
        util_disk_full_mark();
    return map_state(state);
}

/* True when an idle connection is gone. Nothing should arrive on a socket
 * with no query in flight; when something does, it is usually the server's
 * goodbye (e.g. "terminating connection due to administrator command") and
 * then end of file, which PQconsumeInput turns into CONNECTION_BAD. */
static bool idle_conn_dead(PGconn *pg)
{
    struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};

    for (int i = 0; i < 4 && p.fd >= 0 && poll(&p, 1, 0) > 0; i++) {
        PGnotify *note;
        if (!PQconsumeInput(pg))
            break;
        while ((note = PQnotifies(pg)) != NULL)
            PQfreemem(note);
        p.fd = PQsocket(pg);
    }
    return PQstatus(pg) != CONNECTION_OK;
}

/* Make sure the connection is usable before sending anything (see top). */
static int ensure_conn(pg_conn *pc, const char *sql)
{
    if (idle_conn_dead(pc->pg)) {
        PQreset(pc->pg);
        if (PQstatus(pc->pg) != CONNECTION_OK) {
            conn_err(pc, "cannot reconnect");
            return DB_ERR;
        }
        pc->lost_tx = pc->base.in_tx;
    }
    if (pc->lost_tx) {
        if (pc->base.in_tx && strcasecmp(sql, "ROLLBACK") != 0) {
            db_set_err(&pc->base, "the connection was lost inside this transaction; roll it back");
            return DB_ERR;
        }
        pc->lost_tx = false;
    }
    return DB_OK;
}

/* Parse all of s as a decimal int64 / a double. */
static bool parse_int(const char *s, long long *out)
{
    char *end = NULL;

    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

static bool parse_real(const char *s, double *out)
{
    char *end = NULL;

    *out = strtod(s, &end);
    return end != s && *end == '\0';
}

/* One column value as a cell; text points into res. Both read paths go
 * through here, so they map types the same way. */
static void pg_cell(const PGresult *res, int r, int f, db_cell *cell)
{
    const char *s = PQgetvalue(res, r, f);
    long long x;

    memset(cell, 0, sizeof *cell);
    if (PQgetisnull(res, r, f))
        return; /* DBC_NULL */
    switch (PQftype(res, f)) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        if (parse_int(s, &x)) {
            cell->type = DBC_INT;
            cell->v.i = (int64_t)x;
            return;
        }
        break; /* cannot happen; falls back to text */
    case OID_NUMERIC:
        /* sum() over BIGINT gives NUMERIC: a whole number (no point or
         * exponent in its text) that fits stays an integer, as on SQLite. */
        if (s[strspn(s, "-0123456789")] == '\0' && parse_int(s, &x)) {
            cell->type = DBC_INT;
            cell->v.i = (int64_t)x;
            return;
        }
        /* fall through */
    case OID_FLOAT4:
    case OID_FLOAT8:
        if (parse_real(s, &cell->v.d)) {
            cell->type = isfinite(cell->v.d) ? DBC_REAL : DBC_NULL; /* JSON has no NaN or Inf */
            return;
        }
        break;
    case OID_BOOL:
        cell->type = DBC_BOOL;
        cell->v.i = s[0] == 't';
        return;
    default:
        break;
    }
    cell->type = DBC_TEXT;
    cell->v.s = s;
    cell->len = (size_t)PQgetlength(res, r, f);
}

/* One column value as JSON; NULL when out of memory. */
static json_t *pg_value(const PGresult *res, int r, int f)
{
    db_cell cell;

    pg_cell(res, r, f, &cell);
    return db_cell_json(&cell);
}

/* The rows of res (at most max_rows when > 0) as a new JSON array. */
static json_t *pg_rows(const PGresult *res, int max_rows)
{
    int nt = PQntuples(res), nf = PQnfields(res);
    json_t *out = json_array();

    if (!out)
        return NULL;
    if (max_rows > 0 && nt > max_rows)
        nt = max_rows;
    for (int r = 0; r < nt; r++) {
        json_t *row = json_object();
        if (!row || json_array_append_new(out, row) != 0)
            goto fail;
        for (int f = 0; f < nf; f++) {
            json_t *v = pg_value(res, r, f);
            if (!v || json_object_set_new(row, PQfname(res, f), v) != 0)
                goto fail;
        }
    }
    return out;

fail:
    json_decref(out);
    return NULL;
}

/* Fill the parameter arrays; nums holds n buffers of NUM_LEN bytes, and
 * lists[i] receives the malloc'd text of an integer list (freed by the
 * caller, NULL otherwise). */
static int fill_params(pg_conn *pc, const db_val *p, int n, const char **vals, Oid *types, char *nums,
                       char **lists)
{
    for (int i = 0; i < n; i++) {
        char *num = nums + (size_t)i * NUM_LEN;
        vals[i] = NULL;
        types[i] = 0; /* let the server infer */
        lists[i] = NULL;
        switch (p[i].type) {
        case DBV_NULL:
            break;
        case DBV_INT:
            (void)snprintf(num, NUM_LEN, "%" PRId64, p[i].i);
            vals[i] = num;
            types[i] = OID_INT8;
            break;
        case DBV_REAL:
            if (isnan(p[i].d))
                vals[i] = "NaN";
            else if (isinf(p[i].d))
                vals[i] = p[i].d > 0 ? "Infinity" : "-Infinity";
            else {
                (void)snprintf(num, NUM_LEN, "%.17g", p[i].d);
                vals[i] = num;
            }
            types[i] = OID_FLOAT8;
            break;
        case DBV_TEXT:
            vals[i] = p[i].s;
            break;
        case DBV_INTS:
            lists[i] = db_ints_text(&pc->base, &p[i], '{');
            if (!lists[i])
                return DB_ERR;
            vals[i] = lists[i];
            types[i] = OID_INT8_ARRAY;
            break;
        default:
            db_set_err(&pc->base, "parameter $%d has unknown type %d", i + 1, (int)p[i].type);
            return DB_ERR;
        }
    }
    return DB_OK;
}

/* Send one statement with its parameters; on DB_OK *out is the result of a
 * command or of rows (the caller PQclears it), otherwise NULL and c->err is
 * set. */
static int pg_exec(pg_conn *pc, const char *sql, const db_val *params, int n, PGresult **out)
{
    db_conn *c = &pc->base;
    PGresult *res = NULL;
    void *mem = NULL;
    const char **vals = NULL;
    Oid *types = NULL;
    char **lists = NULL;
    ExecStatusType st;
    int rc;

    *out = NULL;
    rc = ensure_conn(pc, sql);
    if (rc != DB_OK)
        goto done;
    if (n > 0) {
        /* One block: n pointers, n list pointers, n OIDs, n number buffers. */
        mem = calloc((size_t)n, sizeof *vals + sizeof *lists + sizeof *types + NUM_LEN);
        if (!mem) {
            db_set_err(c, "out of memory");
            rc = DB_ERR;
            goto done;
        }
        vals = mem;
        lists = (char **)(vals + n);
        types = (Oid *)(lists + n);
        rc = fill_params(pc, params, n, vals, types, (char *)(types + n), lists);
        if (rc != DB_OK)
            goto done;
    }
    res = PQexecParams(pc->pg, sql, n, types, vals, NULL, NULL, 0);
    st = PQresultStatus(res);
    if (st == PGRES_EMPTY_QUERY) {
        db_set_err(c, "empty statement");
        rc = DB_ERR;
        goto done;
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(pc, res);
        goto done;
    }
    /* COMMIT of a transaction that had failed succeeds as "ROLLBACK". */
    if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0 && strncasecmp(sql, "COMMIT", 6) == 0) {
        db_set_err(c, "transaction aborted by an earlier error; rolled back");
        rc = DB_ERR;
        goto done;
    }
    *out = res;
    res = NULL;

done:
    PQclear(res);
    for (int i = 0; lists && i < n; i++)
        free(lists[i]);
    free(mem);
    return rc;
}

static int pg_run(db_conn *c, const char *sql, const db_val *params, int n, json_t **rows, int max_rows,
                  int64_t *changes)
{
    PGresult *res = NULL;
    int rc;

    if (rows)
        *rows = NULL;
    if (changes)
        *changes = 0;
    rc = pg_exec(pgc(c), sql, params, n, &res);
    if (rc != DB_OK)
        return rc;
    if (changes && *PQcmdTuples(res) && strncmp(PQcmdStatus(res), "SELECT", 6) != 0)
        *changes = (int64_t)strtoll(PQcmdTuples(res), NULL, 10);
    if (rows && !(*rows = pg_rows(res, max_rows))) {
        db_set_err(c, "out of memory");
        rc = DB_ERR;
    }
    PQclear(res);
    return rc;
}

static void pg_res_free(void *res)
{
    PQclear(res);
}

static int pg_run_cols(db_conn *c, const char *sql, const db_val *params, int n, db_cols *out)
{
    PGresult *res = NULL;
    db_cell *cells = NULL;
    const char **names = NULL;
    int rc = pg_exec(pgc(c), sql, params, n, &res);
    int nt, nf;

    if (rc != DB_OK)
        return rc;
    nt = PQntuples(res);
    nf = PQnfields(res);
    if (nt < 0 || nf < 0 || (nf > 0 && (size_t)nt > SIZE_MAX / sizeof *cells / (size_t)nf)) {
        db_set_err(c, "result too large");
        rc = DB_ERR;
        goto fail;
    }
    names = calloc((size_t)nf + 1, sizeof *names);
    cells = calloc((size_t)nt * (size_t)nf + 1, sizeof *cells);
    if (!names || !cells) {
        db_set_err(c, "out of memory");
        rc = DB_ERR;
        goto fail;
    }
    for (int f = 0; f < nf; f++)
        names[f] = PQfname(res, f);
    for (int r = 0; r < nt; r++) {
        for (int f = 0; f < nf; f++)
            pg_cell(res, r, f, &cells[(size_t)r * (size_t)nf + (size_t)f]);
    }
    out->ncols = nf;
    out->nrows = nf > 0 ? nt : 0;
    out->names = names;
    out->cells = cells;
    out->mem_[0] = cells;
    out->mem_[1] = (void *)names;
    out->res_ = res;
    out->res_free_ = pg_res_free;
    return DB_OK;

fail:
    free(cells);
    free((void *)names);
    PQclear(res);
    return rc;
}

static int pg_in_ints(char *out, size_t len, const char *col, int k)
{
    return snprintf(out, len, "%s = ANY($%d)", col, k);
}

static int pg_script(db_conn *c, const char *sql)
{
    pg_conn *pc = pgc(c);
    PGresult *res = NULL;
    ExecStatusType st;
    int rc = ensure_conn(pc, sql);

    if (rc != DB_OK)
        return rc;
    res = PQexec(pc->pg, sql); /* several statements: simple query protocol */
    st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = pg_fail(pc, res);
    PQclear(res);
    return rc;
}

static bool pg_tx_open(const db_conn *c)
{
    const PGconn *pg = ((const pg_conn *)c)->pg;

    /* A broken connection has no transaction left on the server; the next
     * statement reconnects (and refuses to run if db_begin() was called). */
    return PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) != PQTRANS_IDLE;
}

static void pg_close(db_conn *c)
{
    pg_conn *pc = pgc(c);

    if (!pc)
        return;
    PQfinish(pc->pg); /* NULL is a no-op */
    free(pc);
}

static db_conn *pg_open(const char *conninfo, char *err, size_t errlen)
{
    /* Keywords before "dbname" are defaults the URL may override; those
     * after it override the URL (libpq: the last value wins). */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding", NULL};
    const char *const vals[] = {"10", "cairnd", conninfo, "UTF8", NULL};
    pg_conn *pc = calloc(1, sizeof *pc);

    if (!pc) {
        (void)snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pc->pg = PQconnectdbParams(keys, vals, 1);
    if (!pc->pg) {
        (void)snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (PQstatus(pc->pg) != CONNECTION_OK) {
        conn_err(pc, "cannot connect to PostgreSQL");
        (void)snprintf(err, errlen, "%s", pc->base.err);
        goto fail;
    }
    PQsetNoticeProcessor(pc->pg, no_notices, NULL); /* kept across PQreset */
    return &pc->base;

fail:
    pg_close(&pc->base);
    return NULL;
}

/* Call fn for each '/'-path in the comma-separated host list; 1 when the
 * list named any host at all. */
static int socket_dirs_in(const char *hosts, void (*fn)(void *ctx, const char *path), void *ctx)
{
    char one[1024];
    int named = 0;
    while (hosts && *hosts) {
        size_t n = strcspn(hosts, ",");
        if (n > 0) {
            named = 1;
            if (hosts[0] == '/' && n < sizeof one) {
                memcpy(one, hosts, n);
                one[n] = '\0';
                fn(ctx, one);
            }
        }
        hosts += n + (hosts[n] == ',');
    }
    return named;
}

int db_pg_socket_dirs(const char *conninfo, void (*fn)(void *ctx, const char *path), void *ctx)
{
    char *msg = NULL, path[1024];
    PQconninfoOption *opts = PQconninfoParse(conninfo, &msg);
    const char *host = NULL, *hostaddr = NULL, *passfile = NULL, *sslkey = NULL, *home = getenv("HOME");
    if (!opts) {
        PQfreemem(msg);
        return -1;
    }
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "hostaddr") == 0)
            hostaddr = o->val;
        else if (strcmp(o->keyword, "passfile") == 0)
            passfile = o->val;
        else if (strcmp(o->keyword, "sslkey") == 0)
            sslkey = o->val;
    }
    if (!socket_dirs_in(host, fn, ctx) && !(hostaddr && *hostaddr) && !socket_dirs_in(getenv("PGHOST"), fn, ctx))
        fn(ctx, "/var/run/postgresql"); /* libpq's default socket directory on Debian */
    /* What holds the password or the client key, explicit or libpq's defaults. */
    if (!passfile || !*passfile)
        passfile = getenv("PGPASSFILE");
    if (passfile && *passfile)
        fn(ctx, passfile);
    if (sslkey && *sslkey)
        fn(ctx, sslkey);
    if (home && *home) {
        if (snprintf(path, sizeof path, "%s/.pgpass", home) < (int)sizeof path)
            fn(ctx, path);
        if (snprintf(path, sizeof path, "%s/.postgresql", home) < (int)sizeof path)
            fn(ctx, path);
    }
    PQconninfoFree(opts);
    return 0;
}

const db_backend db_pg_backend = {
    .kind = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .run = pg_run,
    .run_cols = pg_run_cols,
    .script = pg_script,
    .sql_in_ints = pg_in_ints,
    .tx_open = pg_tx_open,
    .begin_sql = "BEGIN",
    .id_column = "BIGSERIAL PRIMARY KEY",
    /* One cluster-wide key ("cairnmig" in ASCII), released at commit. */
    .migrate_lock = "SELECT pg_advisory_xact_lock(7161120822695651687)",
};
