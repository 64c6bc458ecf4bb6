/* db_migrate.c -- applying the embedded schema migrations (migrations.h).
 *
 * Each migration runs in its own transaction together with its row in
 * schema_migrations(version, applied_at). The transaction first takes the
 * backend's migration lock (pg_advisory_xact_lock on PostgreSQL; SQLite's
 * BEGIN IMMEDIATE already excludes other writers) and re-checks the version
 * under that lock, so several servers starting together apply each migration
 * exactly once. Before it runs, a migration's text is cut to the lines for
 * this backend ("-- @sqlite", "-- @postgresql", "-- @all" sections) and the
 * token @ID@ becomes the backend's auto-increment primary key column.
 */
#include "store/db.h"
#include "store/db_impl.h"
#include "store/migrations.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_migration(const void *a, const void *b)
{
    const cairn_migration *const *x = a;
    const cairn_migration *const *y = b;

    return strcmp((*x)->name, (*y)->name);
}

/* A malloc'd copy of sql with every "@ID@" replaced by id_col; NULL if out
 * of memory. */
static char *expand_ids(const char *sql, const char *id_col)
{
    static const char tok[] = "@ID@";
    const size_t toklen = sizeof tok - 1, idlen = strlen(id_col);
    size_t count = 0, len = strlen(sql), outlen;
    char *out, *o;

    for (const char *p = strstr(sql, tok); p; p = strstr(p + toklen, tok))
        count++;
    if (idlen > toklen && count > (SIZE_MAX - len - 1) / (idlen - toklen))
        return NULL;
    outlen = len - count * toklen + count * idlen;
    out = malloc(outlen + 1);
    if (!out)
        return NULL;
    o = out;
    for (const char *p = sql;;) {
        const char *hit = strstr(p, tok);
        size_t chunk = hit ? (size_t)(hit - p) : strlen(p);
        memcpy(o, p, chunk);
        o += chunk;
        if (!hit)
            break;
        memcpy(o, id_col, idlen);
        o += idlen;
        p = hit + toklen;
    }
    *o = '\0';
    return out;
}

/* True when the `len` bytes at w name a backend. */
static bool is_backend_name(const char *w, size_t len)
{
    const char *kinds[] = {db_sqlite_backend.kind, db_pg_backend.kind};

    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strlen(kinds[i]) == len && strncmp(w, kinds[i], len) == 0)
            return true;
    }
    return false;
}

/* A malloc'd copy of sql keeping only the lines meant for backend `kind`. A
 * line "-- @sqlite" or "-- @postgresql" starts a section for that backend
 * only, "-- @all" one for every backend (the default at the top). Lines of
 * other backends' sections are blanked, so line numbers stay right. Returns
 * NULL and sets c->err on an unknown marker or when out of memory. */
static char *filter_sections(db_conn *c, const char *sql, const char *kind)
{
    size_t len = strlen(sql);
    char *out = malloc(len + 1), *o = out;
    bool keep = true;

    if (!out) {
        db_set_err(c, "out of memory");
        return NULL;
    }
    for (const char *p = sql; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        const char *s = p + strspn(p, " \t");

        if (strncmp(s, "-- @", 4) == 0) {
            const char *w = s + 4;
            size_t wl = strcspn(w, " \t\r\n");
            if (wl == 3 && strncmp(w, "all", 3) == 0) {
                keep = true;
            } else if (is_backend_name(w, wl)) {
                keep = strlen(kind) == wl && strncmp(w, kind, wl) == 0;
            } else {
                db_set_err(c, "unknown section marker \"-- @%.*s\"", (int)(wl < 40 ? wl : 40), w);
                free(out);
                return NULL;
            }
        }
        if (keep) {
            memcpy(o, p, n);
            o += n;
        } else if (nl) {
            *o++ = '\n';
        }
        p += n;
    }
    *o = '\0';
    return out;
}

/* One migration transaction: lock, then apply `m` unless already recorded.
 * m == NULL creates the schema_migrations table instead. */
static int migrate_one(db_conn *c, const cairn_migration *m)
{
    const db_backend *be = db_backend_of(db_of(c));
    char *kept = NULL, *sql = NULL;
    int64_t seen = 0;
    int rc = db_begin(c);

    if (rc != DB_OK)
        goto out;
    if (be->migrate_lock && (rc = db_exec(c, be->migrate_lock, DB_NOARGS, NULL)) != DB_OK)
        goto out;
    if (!m) {
        rc = db_exec(c,
                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     "version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)",
                     DB_NOARGS, NULL);
        if (rc != DB_OK)
            goto out;
    } else {
        rc = db_query_int(c, "SELECT count(*) FROM schema_migrations WHERE version = $1",
                          DB_ARGS(DB_TEXT(m->name)), &seen);
        if (rc != DB_OK || seen > 0) /* seen: another process applied it meanwhile */
            goto out;
        kept = filter_sections(c, m->sql, be->kind);
        sql = kept ? expand_ids(kept, be->id_column) : NULL;
        if (!sql) {
            if (kept)
                db_set_err(c, "out of memory");
            rc = DB_ERR;
            goto out;
        }
        rc = db_exec_script(c, sql);
        if (rc != DB_OK)
            goto out;
        rc = db_exec(c, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                     DB_ARGS(DB_TEXT(m->name), DB_INT(time(NULL))), NULL);
        if (rc != DB_OK)
            goto out;
    }
    rc = db_commit(c);

out:
    free(kept);
    free(sql);
    if (c->in_tx) { /* failed, or nothing to do: roll back, keeping the cause */
        char keep[sizeof c->err];
        memcpy(keep, c->err, sizeof keep);
        (void)db_rollback(c);
        memcpy(c->err, keep, sizeof keep);
    }
    return rc;
}

/* True when `name` is among the versions in rows ([{version: ...}, ...]). */
static bool is_applied(const json_t *rows, const char *name)
{
    size_t i;
    const json_t *row;

    json_array_foreach(rows, i, row) {
        const char *v = json_string_value(json_object_get(row, "version"));
        if (v && strcmp(v, name) == 0)
            return true;
    }
    return false;
}

int db_migrate_list(db *d, const cairn_migration *list, int count, char *err, size_t errlen)
{
    const cairn_migration **order = NULL;
    json_t *applied = NULL;
    db_conn *c = NULL;
    int rc = DB_ERR;

    db_put_err(err, errlen, "%s", "");
    if (!d || count < 0 || (count > 0 && !list)) {
        db_put_err(err, errlen, "bad migration list");
        return DB_ERR;
    }
    order = calloc((size_t)count + 1, sizeof *order);
    if (!order) {
        db_put_err(err, errlen, "out of memory");
        return DB_ERR;
    }
    for (int i = 0; i < count; i++) {
        if (!list[i].name || !list[i].sql) {
            db_put_err(err, errlen, "migration %d has no name or SQL", i);
            goto out;
        }
        order[i] = &list[i];
    }
    qsort(order, (size_t)count, sizeof *order, cmp_migration);
    for (int i = 1; i < count; i++) {
        if (strcmp(order[i - 1]->name, order[i]->name) == 0) {
            db_put_err(err, errlen, "duplicate migration %s", order[i]->name);
            goto out;
        }
    }

    c = db_acquire(d);
    rc = migrate_one(c, NULL);
    if (rc != DB_OK) {
        db_put_err(err, errlen, "schema_migrations: %s", db_errmsg(c));
        goto out;
    }
    rc = db_query(c, "SELECT version FROM schema_migrations", DB_NOARGS, &applied);
    if (rc != DB_OK) {
        db_put_err(err, errlen, "schema_migrations: %s", db_errmsg(c));
        goto out;
    }
    for (int i = 0; i < count; i++) {
        if (is_applied(applied, order[i]->name))
            continue;
        rc = migrate_one(c, order[i]);
        if (rc != DB_OK) {
            db_put_err(err, errlen, "migration %s: %s", order[i]->name, db_errmsg(c));
            goto out;
        }
    }
    rc = DB_OK;

out:
    json_decref(applied);
    db_release(c);
    free(order);
    return rc;
}

int db_migrate(db *d, char *err, size_t errlen)
{
    return db_migrate_list(d, cairn_migrations, cairn_migrations_count, err, errlen);
}
