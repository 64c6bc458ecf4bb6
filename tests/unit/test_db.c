/* test_db.c -- cmocka tests of the storage interface (src/store/db.h).
 *
 * Every test runs twice: against SQLite (a fresh file in a temp directory)
 * and against PostgreSQL when CAIRN_TEST_PG_URL names a throwaway database
 * (e.g. from scripts/pg-test.sh url DIR); without it the PostgreSQL group is
 * reported as skipped. Each PostgreSQL test gets a private schema of its own
 * (created and dropped here, selected with search_path in the URL), so tests
 * never see each other's rows and the database itself is left as it was.
 *
 * The per-test fixture opens a pool of 4 connections on an empty database;
 * most tests then call prepare() to apply the real embedded migrations and the
 * test tables below (written with @ID@, so migrations are exercised too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/db.h"
#include "store/migrations.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    const char *kind;    /* "sqlite" or "postgresql" */
    const char *pg_base; /* CAIRN_TEST_PG_URL, postgresql only */
} backend;

typedef struct {
    const backend *be;
    db *d;
    char url[1024];
    char dir[64];     /* sqlite: temp directory */
    char path[96];    /* sqlite: database file */
    char schema[64];  /* postgresql: private schema */
} fixture;

static backend sqlite_be = {"sqlite", NULL};
static backend pg_be = {"postgresql", NULL};

static const cairn_migration test_schema[] = {
    {"t001_tables",
     "CREATE TABLE t_parent (id @ID@, name TEXT NOT NULL UNIQUE);\n"
     "CREATE TABLE t_item (id @ID@, parent_id BIGINT REFERENCES t_parent(id),\n"
     "  name TEXT, qty BIGINT NOT NULL DEFAULT 0 CHECK (qty >= 0),\n"
     "  big BIGINT, r DOUBLE PRECISION, tag TEXT UNIQUE);\n"},
    {"t002_index", "CREATE INDEX t_item_name ON t_item (name);"},
};

/* ---- fixture ------------------------------------------------------------ */

/* Run one statement on a separate short-lived pool (PostgreSQL admin work). */
static int admin_exec(const char *url, const char *sql)
{
    char err[256];
    db *d = NULL;
    db_conn *c;
    int rc = db_open(url, 1, &d, err, sizeof err);

    if (rc != DB_OK) {
        fprintf(stderr, "admin open: %s\n", err);
        return rc;
    }
    c = db_acquire(d);
    rc = db_exec(c, sql, DB_NOARGS, NULL);
    if (rc != DB_OK)
        fprintf(stderr, "admin: %s: %s\n", sql, db_errmsg(c));
    db_release(c);
    db_close(d);
    return rc;
}

/* Build the URL of a fresh, empty database for f. */
static int fresh_database(fixture *f)
{
    static int seq;
    char sql[128];

    if (strcmp(f->be->kind, "sqlite") == 0) {
        snprintf(f->dir, sizeof f->dir, "/tmp/cairn-test-db.XXXXXX");
        if (!mkdtemp(f->dir))
            return -1;
        snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
        snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
        return 0;
    }
    snprintf(f->schema, sizeof f->schema, "cairn_t_%ld_%d", (long)getpid(), ++seq);
    snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->schema);
    if (admin_exec(f->be->pg_base, sql) != DB_OK)
        return -1;
    if (strncmp(f->be->pg_base, "postgresql://", 13) == 0 || strncmp(f->be->pg_base, "postgres://", 11) == 0)
        snprintf(f->url, sizeof f->url, "%s%coptions=-c%%20search_path%%3D%s", f->be->pg_base,
                 strchr(f->be->pg_base, '?') ? '&' : '?', f->schema);
    else
        snprintf(f->url, sizeof f->url, "%s options='-c search_path=%s'", f->be->pg_base, f->schema);
    return 0;
}

static void drop_database(fixture *f)
{
    if (f->dir[0]) {
        const char *suffix[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
            char p[128];
            snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
            unlink(p);
        }
        rmdir(f->dir);
    }
    if (f->schema[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", f->schema);
        (void)admin_exec(f->be->pg_base, sql);
    }
}

static int setup(void **state)
{
    const backend *be = *state;
    fixture *f = calloc(1, sizeof *f);
    char err[256];

    if (!f)
        return -1;
    f->be = be;
    *state = f;
    if (strcmp(be->kind, "postgresql") == 0 && !be->pg_base)
        return 0; /* no PostgreSQL: the test skips itself */
    if (fresh_database(f) != 0)
        return -1;
    if (db_open(f->url, 4, &f->d, err, sizeof err) != DB_OK) {
        fprintf(stderr, "db_open(%s): %s\n", f->url, err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    db_close(f->d);
    drop_database(f);
    free(f);
    return 0;
}

/* The fixture of this test, or a skip when its backend is absent. */
static fixture *fx(void **state)
{
    fixture *f = *state;

    if (!f->d)
        skip();
    return f;
}

static void prepare(fixture *f)
{
    char err[256];
    int rc = db_migrate(f->d, err, sizeof err);

    if (rc == DB_OK)
        rc = db_migrate_list(f->d, test_schema, 2, err, sizeof err);
    if (rc != DB_OK)
        fprintf(stderr, "migrate: %s\n", err);
    assert_int_equal(rc, DB_OK);
}

static int64_t count(db *d, const char *sql, const db_val *params, int n)
{
    db_conn *c = db_acquire(d);
    int64_t v = -1;
    int rc = db_query_int(c, sql, params, n, &v);

    if (rc != DB_OK)
        fprintf(stderr, "%s: %s\n", sql, db_errmsg(c));
    db_release(c);
    assert_int_equal(rc, DB_OK);
    return v;
}

/* ---- migrations ---------------------------------------------------------- */

static void test_migrate(void **state)
{
    fixture *f = fx(state);
    const cairn_migration unordered[] = {
        {"t011_fill", "INSERT INTO t_order (v) VALUES ('x');"},
        {"t010_create", "CREATE TABLE t_order (id @ID@, v TEXT);"},
    };
    const cairn_migration bad[] = {
        {"t020_bad", "CREATE TABLE t_bad (x BIGINT);\nCREATE TABLE t_bad (x BIGINT);"},
    };
    const cairn_migration dup[] = {{"t030", "SELECT 1"}, {"t030", "SELECT 2"}};
    const cairn_migration sections[] = {
        {"t040_sections", "CREATE TABLE t_sec (v TEXT);\n"
                          "-- @sqlite\n"
                          "INSERT INTO t_sec VALUES ('sqlite');\n"
                          "  -- @postgresql   (indented, with a remark)\n"
                          "INSERT INTO t_sec VALUES ('postgresql');\n"
                          "-- @all\n"
                          "INSERT INTO t_sec VALUES ('all');\n"},
    };
    const cairn_migration typo[] = {{"t041_typo", "-- @postgres\nSELECT 1;\n"}};
    char err[256];
    db_conn *c;
    json_t *rows = NULL;
    int64_t n = -1;

    if (db_migrate(f->d, err, sizeof err) != DB_OK)
        fprintf(stderr, "migrate: %s\n", err);
    assert_int_equal(db_migrate(f->d, err, sizeof err), DB_OK);
    assert_int_equal(count(f->d, "SELECT count(*) FROM schema_migrations", DB_NOARGS), cairn_migrations_count);
    assert_int_equal(db_migrate(f->d, err, sizeof err), DB_OK); /* again: nothing to do */
    assert_int_equal(count(f->d, "SELECT count(*) FROM schema_migrations", DB_NOARGS), cairn_migrations_count);

    /* Applied in name order, @ID@ expanded to an auto-increment key. */
    assert_int_equal(db_migrate_list(f->d, unordered, 2, err, sizeof err), DB_OK);
    assert_int_equal(db_migrate_list(f->d, unordered, 2, err, sizeof err), DB_OK);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_order", DB_NOARGS), 1);
    c = db_acquire(f->d);
    assert_int_equal(db_query_int(c, "INSERT INTO t_order (v) VALUES ('y') RETURNING id", DB_NOARGS, &n), DB_OK);
    assert_int_equal(n, 2);
    db_release(c);

    /* A failing migration leaves neither its tables nor its record. */
    assert_int_equal(db_migrate_list(f->d, bad, 1, err, sizeof err), DB_ERR);
    assert_non_null(strstr(err, "t020_bad"));
    c = db_acquire(f->d);
    assert_int_equal(db_query_int(c, "SELECT count(*) FROM t_bad", DB_NOARGS, &n), DB_ERR);
    db_release(c);
    assert_int_equal(count(f->d, "SELECT count(*) FROM schema_migrations WHERE version = $1",
                           DB_ARGS(DB_TEXT("t020_bad"))), 0);

    assert_int_equal(db_migrate_list(f->d, dup, 2, err, sizeof err), DB_ERR);
    assert_non_null(strstr(err, "duplicate"));

    /* Backend sections: only this backend's lines and the common ones run. */
    assert_int_equal(db_migrate_list(f->d, sections, 1, err, sizeof err), DB_OK);
    c = db_acquire(f->d);
    assert_int_equal(db_query(c, "SELECT v FROM t_sec ORDER BY v", DB_NOARGS, &rows), DB_OK);
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "v")), "all");
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "v")), f->be->kind);
    json_decref(rows);
    db_release(c);
    assert_int_equal(db_migrate_list(f->d, typo, 1, err, sizeof err), DB_ERR);
    assert_non_null(strstr(err, "@postgres"));
}

typedef struct {
    const char *url;
    int rc;
    char err[256];
} migrate_job;

static void *migrate_thread(void *arg)
{
    migrate_job *j = arg;
    db *d = NULL;

    j->rc = db_open(j->url, 1, &d, j->err, sizeof j->err);
    if (j->rc == DB_OK)
        j->rc = db_migrate_list(d, test_schema, 2, j->err, sizeof j->err);
    db_close(d);
    return NULL;
}

/* Several servers starting at once apply each migration exactly once. */
static void test_migrate_concurrent(void **state)
{
    fixture *f = fx(state);
    migrate_job jobs[4];
    pthread_t t[4];

    for (int i = 0; i < 4; i++) {
        jobs[i] = (migrate_job){.url = f->url};
        assert_int_equal(pthread_create(&t[i], NULL, migrate_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (jobs[i].rc != DB_OK)
            fprintf(stderr, "migrate thread %d: %s\n", i, jobs[i].err);
        assert_int_equal(jobs[i].rc, DB_OK);
    }
    assert_int_equal(count(f->d, "SELECT count(*) FROM schema_migrations", DB_NOARGS), 2);
}

/* ---- values -------------------------------------------------------------- */

static void test_params_out_of_order(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    json_t *row = NULL, *rows = NULL;

    prepare(f);
    c = db_acquire(f->d);
    assert_int_equal(db_query_one(c, "SELECT $2 AS a, $1 AS b, $1 AS c", DB_ARGS(DB_INT(7), DB_TEXT("two")), &row),
                     DB_OK);
    assert_string_equal(json_string_value(json_object_get(row, "a")), "two");
    assert_int_equal(json_integer_value(json_object_get(row, "b")), 7);
    assert_int_equal(json_integer_value(json_object_get(row, "c")), 7);
    json_decref(row);

    assert_int_equal(db_exec(c, "INSERT INTO t_item (qty, name, tag) VALUES ($3, $1, $1 || $2)",
                             DB_ARGS(DB_TEXT("apple"), DB_TEXT("-t"), DB_INT(5)), NULL),
                     DB_OK);
    assert_int_equal(db_query(c, "SELECT name, qty, tag FROM t_item WHERE name = $1 OR tag = $1",
                              DB_ARGS(DB_TEXT("apple")), &rows),
                     DB_OK);
    assert_int_equal(json_array_size(rows), 1);
    row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row, "name")), "apple");
    assert_string_equal(json_string_value(json_object_get(row, "tag")), "apple-t");
    assert_int_equal(json_integer_value(json_object_get(row, "qty")), 5);
    json_decref(rows);

    /* Parameters must match the statement: a missing one is an error, and so
     * is an extra one (PostgreSQL accepts an extra typed int/real one). */
    assert_int_equal(db_query(c, "SELECT $1 AS a", DB_ARGS(DB_INT(1), DB_TEXT("extra")), &rows), DB_ERR);
    assert_null(rows);
    assert_int_equal(db_query(c, "SELECT $1 AS a, $2 AS b", DB_ARGS(DB_INT(1)), &rows), DB_ERR);
    assert_true(db_errmsg(c)[0] != '\0');
    db_release(c);
}

static void test_unicode_and_null(void **state)
{
    static const char text[] = "中文 ünïcödé 😀 ok";
    fixture *f = fx(state);
    db_conn *c;
    json_t *row = NULL;

    prepare(f);
    c = db_acquire(f->d);
    assert_int_equal(db_exec(c, "INSERT INTO t_item (name, tag, big, r) VALUES ($1, $2, $3, $4)",
                             DB_ARGS(DB_TEXT(text), DB_TEXT(NULL), DB_NULLV, DB_NULLV), NULL),
                     DB_OK);
    assert_int_equal(db_query_one(c, "SELECT name, tag, big, r FROM t_item WHERE name = $1", DB_ARGS(DB_TEXT(text)),
                                  &row),
                     DB_OK);
    assert_string_equal(json_string_value(json_object_get(row, "name")), text);
    assert_true(json_is_null(json_object_get(row, "tag")));
    assert_true(json_is_null(json_object_get(row, "big")));
    assert_true(json_is_null(json_object_get(row, "r")));
    json_decref(row);
    assert_int_equal(db_query_one(c, "SELECT $1 AS v", DB_ARGS(DB_NULLV), &row), DB_OK);
    assert_true(json_is_null(json_object_get(row, "v")));
    json_decref(row);
    db_release(c);
}

static void test_numbers(void **state)
{
    const int64_t ints[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT32_MAX + INT64_C(1), INT64_MAX};
    const double reals[] = {0.1, -2.5, 1e300, 4.9406564584124654e-324};
    fixture *f = fx(state);
    db_conn *c;
    json_t *row = NULL;
    int64_t v = 0;

    prepare(f);
    c = db_acquire(f->d);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        assert_int_equal(db_exec(c, "INSERT INTO t_item (big) VALUES ($1)", DB_ARGS(DB_INT(ints[i])), NULL), DB_OK);
        assert_int_equal(db_query_int(c, "SELECT big FROM t_item WHERE big = $1", DB_ARGS(DB_INT(ints[i])), &v), DB_OK);
        assert_true(v == ints[i]);
        assert_int_equal(db_query_int(c, "SELECT $1 AS v", DB_ARGS(DB_INT(ints[i])), &v), DB_OK);
        assert_true(v == ints[i]);
    }
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        assert_int_equal(db_exec(c, "DELETE FROM t_item", DB_NOARGS, NULL), DB_OK);
        assert_int_equal(db_exec(c, "INSERT INTO t_item (r) VALUES ($1)", DB_ARGS(DB_REAL(reals[i])), NULL), DB_OK);
        assert_int_equal(db_query_one(c, "SELECT r FROM t_item", DB_NOARGS, &row), DB_OK);
        assert_true(json_is_real(json_object_get(row, "r")));
        assert_true(json_real_value(json_object_get(row, "r")) == reals[i]);
        json_decref(row);
    }
    db_release(c);
}

/* SQL metacharacters in values are data, never SQL. */
static void test_metacharacters(void **state)
{
    const char *nasty[] = {
        "'; DROP TABLE t_item; --", "\"quoted\"", "back\\slash", "100% _match_", "$1 $2 ?1 ? :a @a",
        "line\nbreak\ttab\r", "/* comment */ -- dash", "'", "",
    };
    const size_t n = sizeof nasty / sizeof nasty[0];
    fixture *f = fx(state);
    db_conn *c;
    json_t *row = NULL;

    prepare(f);
    c = db_acquire(f->d);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(db_exec(c, "INSERT INTO t_item (name, qty) VALUES ($1, $2)",
                                 DB_ARGS(DB_TEXT(nasty[i]), DB_INT(i)), NULL),
                         DB_OK);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(db_query_one(c, "SELECT name FROM t_item WHERE qty = $1", DB_ARGS(DB_INT(i)), &row), DB_OK);
        assert_string_equal(json_string_value(json_object_get(row, "name")), nasty[i]);
        json_decref(row);
    }
    db_release(c);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_item", DB_NOARGS), (int64_t)n);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_item WHERE name LIKE $1", DB_ARGS(DB_TEXT("100%"))), 1);
}

/* ---- errors -------------------------------------------------------------- */

static void test_constraints(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    int64_t pid = 0;

    prepare(f);
    c = db_acquire(f->d);
    assert_int_equal(db_exec(c, "INSERT INTO t_parent (name) VALUES ($1)", DB_ARGS(DB_TEXT("p")), NULL), DB_OK);
    assert_int_equal(db_exec(c, "INSERT INTO t_parent (name) VALUES ($1)", DB_ARGS(DB_TEXT("p")), NULL),
                     DB_CONSTRAINT); /* unique */
    assert_true(db_errmsg(c)[0] != '\0');
    assert_int_equal(db_exec(c, "INSERT INTO t_parent (name) VALUES ($1)", DB_ARGS(DB_NULLV), NULL),
                     DB_CONSTRAINT); /* not null */
    assert_int_equal(db_exec(c, "INSERT INTO t_item (qty) VALUES ($1)", DB_ARGS(DB_INT(-1)), NULL),
                     DB_CONSTRAINT); /* check */
    assert_int_equal(db_exec(c, "INSERT INTO t_item (parent_id) VALUES ($1)", DB_ARGS(DB_INT(999)), NULL),
                     DB_FOREIGN);
    assert_int_equal(db_query_int(c, "SELECT id FROM t_parent WHERE name = 'p'", DB_NOARGS, &pid), DB_OK);
    assert_int_equal(db_exec(c, "INSERT INTO t_item (parent_id) VALUES ($1)", DB_ARGS(DB_INT(pid)), NULL), DB_OK);
    assert_int_equal(db_exec(c, "DELETE FROM t_parent WHERE id = $1", DB_ARGS(DB_INT(pid)), NULL), DB_FOREIGN);
    assert_int_equal(db_exec(c, "SELEC nonsense", DB_NOARGS, NULL), DB_ERR);
    assert_true(db_errmsg(c)[0] != '\0');
    assert_int_equal(db_exec(c, "SELECT 1; SELECT 2", DB_NOARGS, NULL), DB_ERR);
    assert_int_equal(db_exec(c, "  ", DB_NOARGS, NULL), DB_ERR);
    db_release(c);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_parent", DB_NOARGS), 1);
}

static void test_query_one(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    json_t *row = (json_t *)1;
    int64_t v = 42;

    prepare(f);
    c = db_acquire(f->d);
    assert_int_equal(db_query_one(c, "SELECT id FROM t_item WHERE id = $1", DB_ARGS(DB_INT(1)), &row), DB_NOTFOUND);
    assert_null(row);
    assert_int_equal(db_query_int(c, "SELECT id FROM t_item WHERE id = $1", DB_ARGS(DB_INT(1)), &v), DB_NOTFOUND);
    assert_int_equal(db_query_int(c, "SELECT max(id) AS m FROM t_item", DB_NOARGS, &v), DB_NOTFOUND);
    assert_int_equal(db_exec_script(c, "INSERT INTO t_item (name) VALUES ('a');\n"
                                       "INSERT INTO t_item (name) VALUES ('b');\n"
                                       "INSERT INTO t_item (name) VALUES ('c');"),
                     DB_OK);
    assert_int_equal(db_query_one(c, "SELECT name FROM t_item ORDER BY name DESC", DB_NOARGS, &row), DB_OK);
    assert_string_equal(json_string_value(json_object_get(row, "name")), "c"); /* extra rows ignored */
    json_decref(row);
    assert_int_equal(db_query_one(c, "INSERT INTO t_item (name) VALUES ('d') RETURNING id", DB_NOARGS, &row), DB_OK);
    assert_int_equal(json_integer_value(json_object_get(row, "id")), 4);
    json_decref(row);
    assert_int_equal(db_query_int(c, "SELECT sum(qty + 2) FROM t_item", DB_NOARGS, &v), DB_OK);
    assert_int_equal(v, 8);
    assert_int_equal(db_query_one(c, "SELECT sum(qty) AS s, count(*) AS n FROM t_item", DB_NOARGS, &row), DB_OK);
    assert_true(json_is_integer(json_object_get(row, "s"))); /* NUMERIC on PostgreSQL */
    assert_true(json_is_integer(json_object_get(row, "n")));
    json_decref(row);
    db_release(c);
}

static void test_exec_changes(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    int64_t changes = -1;
    json_t *rows = NULL;

    prepare(f);
    c = db_acquire(f->d);
    assert_string_equal(db_kind(f->d), f->be->kind);
    assert_ptr_equal(db_of(c), f->d);
    for (int i = 0; i < 3; i++)
        assert_int_equal(db_exec(c, "INSERT INTO t_item (name) VALUES ($1)", DB_ARGS(DB_TEXT("x")), &changes), DB_OK);
    assert_int_equal(changes, 1);
    assert_int_equal(db_exec(c, "UPDATE t_item SET qty = qty + 1 WHERE name = $1", DB_ARGS(DB_TEXT("x")), &changes),
                     DB_OK);
    assert_int_equal(changes, 3);
    assert_int_equal(db_exec(c, "SELECT * FROM t_item", DB_NOARGS, &changes), DB_OK);
    assert_int_equal(changes, 0);
    assert_int_equal(db_exec(c, "DELETE FROM t_item WHERE name = $1", DB_ARGS(DB_TEXT("none")), &changes), DB_OK);
    assert_int_equal(changes, 0);
    /* Cached statements survive a schema change and see the new column. */
    assert_int_equal(db_query(c, "SELECT * FROM t_item", DB_NOARGS, &rows), DB_OK);
    json_decref(rows);
    assert_int_equal(db_exec(c, "ALTER TABLE t_item ADD COLUMN extra BIGINT DEFAULT 9", DB_NOARGS, NULL), DB_OK);
    assert_int_equal(db_query(c, "SELECT * FROM t_item", DB_NOARGS, &rows), DB_OK);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "extra")), 9);
    json_decref(rows);
    /* More distinct statements than the statement cache holds. */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 80; i++) {
            char sql[64];
            int64_t v = -1;
            snprintf(sql, sizeof sql, "SELECT %d + $1 AS v", i);
            assert_int_equal(db_query_int(c, sql, DB_ARGS(DB_INT(round)), &v), DB_OK);
            assert_int_equal(v, i + round);
        }
    }
    db_release(c);
}

/* ---- transactions -------------------------------------------------------- */

static void test_transactions(void **state)
{
    fixture *f = fx(state);
    const char *ins = "INSERT INTO t_parent (name) VALUES ($1)";
    db_conn *c;
    int rc;

    prepare(f);
    c = db_acquire(f->d);
    assert_int_equal(db_commit(c), DB_ERR); /* none open */
    assert_int_equal(db_rollback(c), DB_OK);  /* harmless */
    assert_int_equal(db_begin(c), DB_OK);
    assert_int_equal(db_begin(c), DB_ERR); /* no nesting */
    assert_int_equal(db_exec(c, ins, DB_ARGS(DB_TEXT("gone")), NULL), DB_OK);
    assert_int_equal(db_rollback(c), DB_OK);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_parent", DB_NOARGS), 0);

    assert_int_equal(db_begin(c), DB_OK);
    assert_int_equal(db_exec(c, ins, DB_ARGS(DB_TEXT("kept")), NULL), DB_OK);
    assert_int_equal(db_commit(c), DB_OK);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_parent", DB_NOARGS), 1);

    /* Released with a transaction open: rolled back. */
    assert_int_equal(db_begin(c), DB_OK);
    assert_int_equal(db_exec(c, ins, DB_ARGS(DB_TEXT("abandoned")), NULL), DB_OK);
    db_release(c);
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_parent", DB_NOARGS), 1);

    /* A failed statement inside a transaction: PostgreSQL aborts the whole
     * transaction (COMMIT reports the failure), SQLite keeps the others. */
    c = db_acquire(f->d);
    assert_int_equal(db_begin(c), DB_OK);
    assert_int_equal(db_exec(c, ins, DB_ARGS(DB_TEXT("first")), NULL), DB_OK);
    assert_int_equal(db_exec(c, ins, DB_ARGS(DB_TEXT("kept")), NULL), DB_CONSTRAINT);
    rc = db_commit(c);
    if (strcmp(f->be->kind, "postgresql") == 0) {
        assert_int_equal(rc, DB_ERR);
        assert_int_equal(count(f->d, "SELECT count(*) FROM t_parent", DB_NOARGS), 1);
    } else {
        assert_int_equal(rc, DB_OK);
        assert_int_equal(count(f->d, "SELECT count(*) FROM t_parent", DB_NOARGS), 2);
    }
    assert_int_equal(db_begin(c), DB_OK); /* the connection is usable again */
    assert_int_equal(db_rollback(c), DB_OK);
    db_release(c);
}

/* ---- pool ---------------------------------------------------------------- */

enum { THREADS = 8, ROUNDS = 60 };

typedef struct {
    db *d;
    int id;
    int errors;
    char last_err[256];
} worker;

static void *pool_worker(void *arg)
{
    worker *w = arg;

    for (int i = 0; i < ROUNDS; i++) {
        db_conn *c = db_acquire(w->d);
        int64_t n = -1;
        json_t *rows = NULL;
        int rc;
        char name[32];

        snprintf(name, sizeof name, "w%d-%d", w->id, i);
        if (i % 4 == 0) { /* a two-row transaction */
            rc = db_begin(c);
            if (rc == DB_OK)
                rc = db_exec(c, "INSERT INTO t_item (name, qty) VALUES ($1, $2)", DB_ARGS(DB_TEXT(name), DB_INT(w->id)),
                             NULL);
            if (rc == DB_OK)
                rc = db_exec(c, "INSERT INTO t_item (name, qty) VALUES ($1 || 'b', $2)",
                             DB_ARGS(DB_TEXT(name), DB_INT(w->id)), NULL);
            if (rc == DB_OK)
                rc = db_commit(c);
        } else {
            rc = db_exec(c, "INSERT INTO t_item (name, qty) VALUES ($1, $2)", DB_ARGS(DB_TEXT(name), DB_INT(w->id)),
                         NULL);
        }
        if (rc == DB_OK)
            rc = db_query_int(c, "SELECT count(*) FROM t_item WHERE qty = $1", DB_ARGS(DB_INT(w->id)), &n);
        if (rc == DB_OK)
            rc = db_query(c, "SELECT id, name FROM t_item WHERE name = $1", DB_ARGS(DB_TEXT(name)), &rows);
        if (rc == DB_OK && (n < i + 1 || json_array_size(rows) != 1))
            rc = DB_ERR;
        if (rc != DB_OK) {
            w->errors++;
            snprintf(w->last_err, sizeof w->last_err, "%s", db_errmsg(c));
        }
        json_decref(rows);
        db_release(c);
    }
    return NULL;
}

static void test_pool_threads(void **state)
{
    fixture *f = fx(state);
    worker w[THREADS];
    pthread_t t[THREADS];
    int64_t expect = 0;

    prepare(f);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){.d = f->d, .id = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, pool_worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].errors)
            fprintf(stderr, "worker %d: %d errors, last: %s\n", i, w[i].errors, w[i].last_err);
        assert_int_equal(w[i].errors, 0);
    }
    for (int i = 0; i < ROUNDS; i++)
        expect += i % 4 == 0 ? 2 : 1;
    assert_int_equal(count(f->d, "SELECT count(*) FROM t_item", DB_NOARGS), expect * THREADS);
}

/* ---- opening ------------------------------------------------------------- */

static void test_open_errors(void **state)
{
    fixture *f = fx(state);
    char err[256];
    db *d = (db *)1;
    struct stat sb;

    assert_int_equal(db_open("mysql://x", 2, &d, err, sizeof err), DB_ERR);
    assert_null(d);
    assert_true(err[0] != '\0');
    assert_int_equal(db_open("sqlite:", 2, &d, err, sizeof err), DB_ERR);
    assert_int_equal(db_open(f->url, 0, &d, err, sizeof err), DB_ERR);
    if (strcmp(f->be->kind, "sqlite") == 0) {
        assert_int_equal(db_open("sqlite:/nonexistent-dir/x.db", 1, &d, err, sizeof err), DB_ERR);
        assert_non_null(strstr(err, "nonexistent"));
        assert_int_equal(stat(f->path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
    } else {
        assert_int_equal(db_open("postgresql:///nodb?host=/nonexistent&connect_timeout=2", 1, &d, err, sizeof err),
                         DB_ERR);
        assert_true(err[0] != '\0');
    }
    assert_null(d);
}

/* SQLite does not check UTF-8; bad bytes come back as U+FFFD. */
static void test_invalid_utf8(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    json_t *row = NULL;

    if (strcmp(f->be->kind, "sqlite") != 0)
        skip();
    c = db_acquire(f->d);
    assert_int_equal(db_query_one(c, "SELECT CAST(X'41FF42C3' AS TEXT) AS t", DB_NOARGS, &row), DB_OK);
    assert_string_equal(json_string_value(json_object_get(row, "t")), "A\xef\xbf\xbd" "B\xef\xbf\xbd");
    json_decref(row);
    db_release(c);
}

/* A PostgreSQL connection killed while idle in the pool is replaced on its
 * next use; one killed inside a transaction fails until rolled back. */
static void test_pg_reconnect(void **state)
{
    fixture *f = fx(state);
    db_conn *a, *b;
    int64_t pid = 0, pid2 = 0, gone = 1;

    if (strcmp(f->be->kind, "postgresql") != 0)
        skip();
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        a = db_acquire(f->d);
        b = db_acquire(f->d);
        assert_int_equal(db_query_int(a, "SELECT pg_backend_pid()", DB_NOARGS, &pid), DB_OK);
        if (in_tx)
            assert_int_equal(db_begin(a), DB_OK);
        assert_int_equal(db_exec(b, "SELECT pg_terminate_backend(CAST($1 AS INTEGER))", DB_ARGS(DB_INT(pid)), NULL), DB_OK);
        for (int i = 0; i < 200 && gone; i++) { /* wait until it is gone */
            assert_int_equal(db_query_int(b, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1",
                                          DB_ARGS(DB_INT(pid)), &gone), DB_OK);
            usleep(10000);
        }
        if (in_tx) {
            assert_int_equal(db_exec(a, "SELECT 1", DB_NOARGS, NULL), DB_ERR);
            assert_int_equal(db_exec(a, "SELECT 1", DB_NOARGS, NULL), DB_ERR);
            assert_int_equal(db_rollback(a), DB_OK);
        }
        assert_int_equal(db_query_int(a, "SELECT pg_backend_pid()", DB_NOARGS, &pid2), DB_OK);
        assert_true(pid2 != pid);
        db_release(b);
        db_release(a);
        gone = 1;
    }
}

/* ==== columnar results and integer lists (db_query_cols, DB_INTS) ==========
 * Added with the list fast path (src/cmdb/res_list.c). Each test runs on
 * both backends like the rest of this file. The reference for a cell is
 * what db_query() returns for the same statement: db_cell_json() of every
 * cell must equal it, so both read paths answer the same JSON.
 */

/* Every cell of `sql` read both ways must agree, names and order included. */
static void cols_match_rows(db_conn *c, const char *sql, const db_val *params, int n)
{
    db_cols r;
    json_t *rows = NULL;

    assert_int_equal(db_query_cols(c, sql, params, n, &r), DB_OK);
    assert_int_equal(db_query(c, sql, params, n, &rows), DB_OK);
    assert_int_equal((size_t)r.nrows, json_array_size(rows));
    for (int i = 0; i < r.nrows; i++) {
        json_t *row = json_array_get(rows, (size_t)i);
        void *it = json_object_iter(row);
        assert_int_equal((size_t)r.ncols, json_object_size(row));
        for (int k = 0; k < r.ncols; k++, it = json_object_iter_next(row, it)) {
            json_t *v = db_cell_json(db_cols_cell(&r, i, k));
            assert_non_null(it);
            assert_string_equal(json_object_iter_key(it), r.names[k]);
            if (!json_equal(v, json_object_iter_value(it)) &&
                !(json_is_real(v) && json_real_value(v) == json_real_value(json_object_iter_value(it)))) {
                char *a = json_dumps(v, JSON_ENCODE_ANY), *b = json_dumps(json_object_iter_value(it), JSON_ENCODE_ANY);
                fprintf(stderr, "row %d col %s: cols %s, rows %s\n", i, r.names[k], a, b);
                free(a);
                free(b);
                fail();
            }
            json_decref(v);
        }
    }
    json_decref(rows);
    db_cols_free(&r);
}

static void test_cols_types(void **state)
{
    const int64_t ints[] = {INT64_MIN, -1, 0, 1, INT64_MAX};
    fixture *f = fx(state);
    db_conn *c;
    db_cols r;

    prepare(f);
    c = db_acquire(f->d);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        assert_int_equal(db_exec(c, "INSERT INTO t_item (name, big, r, qty) VALUES ($1, $2, $3, $4)",
                                 DB_ARGS(DB_TEXT(i % 2 ? "中文 ünï 😀" : "plain"), DB_INT(ints[i]),
                                         DB_REAL(0.1 * (double)i - 0.2), DB_INT(i)),
                                 NULL),
                         DB_OK);
    assert_int_equal(db_exec(c, "INSERT INTO t_item (name, big, r) VALUES (NULL, NULL, NULL)", DB_NOARGS, NULL),
                     DB_OK);
    assert_int_equal(db_query_cols(c, "SELECT id, name, big, r, qty FROM t_item ORDER BY id", DB_NOARGS, &r), DB_OK);
    assert_int_equal(r.ncols, 5);
    assert_int_equal(r.nrows, 6);
    assert_string_equal(r.names[0], "id");
    assert_string_equal(r.names[3], "r");
    assert_int_equal(db_cols_find(&r, "qty"), 4);
    assert_int_equal(db_cols_find(&r, "nope"), -1);
    for (int i = 0; i < 5; i++) {
        const db_cell *name = db_cols_cell(&r, i, 1), *big = db_cols_cell(&r, i, 2), *real = db_cols_cell(&r, i, 3);
        assert_int_equal(db_cols_cell(&r, i, 0)->type, DBC_INT);
        assert_int_equal(name->type, DBC_TEXT);
        assert_string_equal(name->v.s, i % 2 ? "中文 ünï 😀" : "plain");
        assert_int_equal(name->len, strlen(name->v.s));
        assert_int_equal(big->type, DBC_INT);
        assert_true(big->v.i == ints[i]);
        assert_int_equal(real->type, DBC_REAL);
        assert_true(real->v.d == 0.1 * (double)i - 0.2);
    }
    for (int k = 1; k < 4; k++)
        assert_int_equal(db_cols_cell(&r, 5, k)->type, DBC_NULL);
    db_cols_free(&r);
    db_cols_free(&r); /* zeroed: a second free is harmless */
    db_cols_free(NULL);
    cols_match_rows(c, "SELECT id, name, big, r, qty, tag FROM t_item ORDER BY id", DB_NOARGS);
    cols_match_rows(c, "SELECT count(*) AS n, sum(qty) AS s, max(r) AS m FROM t_item", DB_NOARGS);
    cols_match_rows(c, "SELECT $1 AS t, $2 AS i, $3 AS x", DB_ARGS(DB_TEXT("a\"b<c>"), DB_INT(-5), DB_NULLV));
    db_release(c);
}

/* Backend-specific types: PostgreSQL bool and numeric, non-finite reals. */
static void test_cols_backend_types(void **state)
{
    fixture *f = fx(state);
    db_conn *c = db_acquire(f->d);
    db_cols r;

    if (strcmp(f->be->kind, "postgresql") == 0) {
        const char *sql = "SELECT true AS t, false AS f, CAST(12 AS NUMERIC) AS whole, CAST(1.5 AS NUMERIC) AS half, "
                          "CAST('NaN' AS DOUBLE PRECISION) AS nan, CAST(2 AS SMALLINT) AS small, "
                          "CAST('2024-01-02' AS DATE) AS day";
        assert_int_equal(db_query_cols(c, sql, DB_NOARGS, &r), DB_OK);
        assert_int_equal(db_cols_cell(&r, 0, 0)->type, DBC_BOOL);
        assert_int_equal(db_cols_cell(&r, 0, 0)->v.i, 1);
        assert_int_equal(db_cols_cell(&r, 0, 1)->v.i, 0);
        assert_int_equal(db_cols_cell(&r, 0, 2)->type, DBC_INT);
        assert_int_equal(db_cols_cell(&r, 0, 2)->v.i, 12);
        assert_int_equal(db_cols_cell(&r, 0, 3)->type, DBC_REAL);
        assert_int_equal(db_cols_cell(&r, 0, 4)->type, DBC_NULL);
        assert_int_equal(db_cols_cell(&r, 0, 5)->type, DBC_INT);
        assert_int_equal(db_cols_cell(&r, 0, 6)->type, DBC_TEXT);
        assert_string_equal(db_cols_cell(&r, 0, 6)->v.s, "2024-01-02");
        db_cols_free(&r);
        cols_match_rows(c, sql, DB_NOARGS);
    } else {
        /* SQLite does not check UTF-8: cells keep the bytes, db_cell_json
         * repairs them as db_query does; Inf is NULL; NUL bytes are kept. */
        const char *sql = "SELECT CAST(X'41FF42' AS TEXT) AS bad, 1e999 AS inf, CAST(X'610062' AS TEXT) AS nul";
        assert_int_equal(db_query_cols(c, sql, DB_NOARGS, &r), DB_OK);
        assert_int_equal(db_cols_cell(&r, 0, 0)->type, DBC_TEXT);
        assert_int_equal(db_cols_cell(&r, 0, 0)->len, 3);
        assert_memory_equal(db_cols_cell(&r, 0, 0)->v.s, "A\xff" "B", 3);
        assert_int_equal(db_cols_cell(&r, 0, 1)->type, DBC_NULL);
        assert_int_equal(db_cols_cell(&r, 0, 2)->len, 3);
        assert_memory_equal(db_cols_cell(&r, 0, 2)->v.s, "a\0b", 4); /* and NUL-terminated */
        json_t *j = db_cell_json(db_cols_cell(&r, 0, 0));
        assert_string_equal(json_string_value(j), "A\xef\xbf\xbd" "B");
        json_decref(j);
        db_cols_free(&r);
        cols_match_rows(c, sql, DB_NOARGS);
    }
    db_release(c);
}

static void test_cols_empty_and_errors(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    db_cols r;

    prepare(f);
    c = db_acquire(f->d);
    /* no rows: the columns are still known */
    assert_int_equal(db_query_cols(c, "SELECT id, name FROM t_item WHERE qty < 0", DB_NOARGS, &r), DB_OK);
    assert_int_equal(r.nrows, 0);
    assert_int_equal(r.ncols, 2);
    assert_string_equal(r.names[1], "name");
    db_cols_free(&r);
    /* errors leave an empty, freeable result and a message */
    assert_int_equal(db_query_cols(c, "SELECT nope FROM t_item", DB_NOARGS, &r), DB_ERR);
    assert_int_equal(r.nrows, 0);
    assert_int_equal(r.ncols, 0);
    assert_null(r.cells);
    assert_true(db_errmsg(c)[0] != '\0');
    db_cols_free(&r);
    assert_int_equal(db_query_cols(c, "SELECT $1 AS a, $2 AS b", DB_ARGS(DB_INT(1)), &r), DB_ERR);
    db_cols_free(&r);
    assert_int_equal(db_query_cols(c, NULL, DB_NOARGS, &r), DB_ERR);
    assert_int_equal(db_query_cols(c, "SELECT 1 AS one", DB_NOARGS, NULL), DB_ERR);
    /* the connection still works */
    assert_int_equal(db_query_cols(c, "SELECT 1 AS one", DB_NOARGS, &r), DB_OK);
    assert_int_equal(db_cols_cell(&r, 0, 0)->v.i, 1);
    db_cols_free(&r);
    db_release(c);
}

/* Enough rows and text to grow every buffer several times. */
static void test_cols_many_rows(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    db_cols r;
    char name[64];

    prepare(f);
    c = db_acquire(f->d);
    assert_int_equal(db_begin(c), DB_OK);
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "row %d %s", i, i % 3 ? "中文" : "x<y>&z");
        assert_int_equal(db_exec(c, "INSERT INTO t_item (name, qty) VALUES ($1, $2)", DB_ARGS(DB_TEXT(name), DB_INT(i)),
                                 NULL),
                         DB_OK);
    }
    assert_int_equal(db_commit(c), DB_OK);
    assert_int_equal(db_query_cols(c, "SELECT qty, name FROM t_item ORDER BY qty", DB_NOARGS, &r), DB_OK);
    assert_int_equal(r.nrows, 3000);
    for (int i = 0; i < 3000; i += 7) {
        snprintf(name, sizeof name, "row %d %s", i, i % 3 ? "中文" : "x<y>&z");
        assert_int_equal(db_cols_cell(&r, i, 0)->v.i, i);
        assert_string_equal(db_cols_cell(&r, i, 1)->v.s, name);
    }
    db_cols_free(&r);
    db_release(c);
}

/* A list of integers bound as one parameter, in the condition
 * db_sql_in_ints() writes: same SQL text whatever the list. */
static void test_ints_param(void **state)
{
    fixture *f = fx(state);
    db_conn *c;
    db_cols r;
    char in[128], sql[256];
    int64_t *many;

    prepare(f);
    c = db_acquire(f->d);
    for (int i = 1; i <= 20; i++)
        assert_int_equal(db_exec(c, "INSERT INTO t_item (qty, big) VALUES ($1, $2)", DB_ARGS(DB_INT(i), DB_INT(i * 1000)),
                                 NULL),
                         DB_OK);
    assert_int_equal(db_exec(c, "INSERT INTO t_item (qty, big) VALUES (0, $1), (0, $2)",
                             DB_ARGS(DB_INT(INT64_MIN), DB_INT(INT64_MAX)), NULL),
                     DB_OK);
    assert_int_equal(db_sql_in_ints(f->d, "big", 2, in, sizeof in), DB_OK);
    assert_true(strstr(in, "$2") != NULL);
    assert_int_equal(db_sql_in_ints(f->d, "big", 0, in, sizeof in), DB_ERR);
    assert_int_equal(db_sql_in_ints(f->d, "big", 1, in, 8), DB_ERR); /* too small */
    assert_string_equal(in, "");
    assert_int_equal(db_sql_in_ints(f->d, "big", 1, in, sizeof in), DB_OK);
    snprintf(sql, sizeof sql, "SELECT qty FROM t_item WHERE %s AND qty >= $2 ORDER BY qty", in);
    {
        const int64_t want[] = {3000, 5000, 5000, 17000, 99, -1};
        assert_int_equal(db_query_cols(c, sql, DB_ARGS(DB_INTS(want, 6), DB_INT(4)), &r), DB_OK);
        assert_int_equal(r.nrows, 2); /* 5 and 17: duplicates and misses are harmless */
        assert_int_equal(db_cols_cell(&r, 0, 0)->v.i, 5);
        assert_int_equal(db_cols_cell(&r, 1, 0)->v.i, 17);
        db_cols_free(&r);
    }
    {
        const int64_t ext[] = {INT64_MAX, INT64_MIN};
        assert_int_equal(db_query_cols(c, sql, DB_ARGS(DB_INTS(ext, 2), DB_INT(0)), &r), DB_OK);
        assert_int_equal(r.nrows, 2);
        db_cols_free(&r);
    }
    /* empty list: nothing matches */
    assert_int_equal(db_query_cols(c, sql, DB_ARGS(DB_INTS(NULL, 0), DB_INT(0)), &r), DB_OK);
    assert_int_equal(r.nrows, 0);
    db_cols_free(&r);
    /* a long list, and the same statement through db_query */
    many = malloc(20000 * sizeof *many);
    assert_non_null(many);
    for (int i = 0; i < 20000; i++)
        many[i] = (int64_t)i * 1000;
    assert_int_equal(db_query_cols(c, sql, DB_ARGS(DB_INTS(many, 20000), DB_INT(0)), &r), DB_OK);
    assert_int_equal(r.nrows, 20);
    db_cols_free(&r);
    cols_match_rows(c, sql, DB_ARGS(DB_INTS(many, 20000), DB_INT(10)));
    json_t *rows = NULL;
    assert_int_equal(db_query(c, sql, DB_ARGS(DB_INTS(many, 50), DB_INT(0)), &rows), DB_OK);
    assert_int_equal(json_array_size(rows), 20);
    json_decref(rows);
    free(many);
    /* a bad list is refused, not read */
    {
        db_val bad = DB_INTS(NULL, 3);
        assert_int_equal(db_query_cols(c, sql, (db_val[]){bad, DB_INT(0)}, 2, &r), DB_ERR);
        db_cols_free(&r);
    }
    db_release(c);
}

#define DB_TESTS(be)                                                                                           \
    cmocka_unit_test_prestate_setup_teardown(test_migrate, setup, teardown, &(be)),                          \
        cmocka_unit_test_prestate_setup_teardown(test_migrate_concurrent, setup, teardown, &(be)),           \
        cmocka_unit_test_prestate_setup_teardown(test_params_out_of_order, setup, teardown, &(be)),          \
        cmocka_unit_test_prestate_setup_teardown(test_unicode_and_null, setup, teardown, &(be)),             \
        cmocka_unit_test_prestate_setup_teardown(test_numbers, setup, teardown, &(be)),                      \
        cmocka_unit_test_prestate_setup_teardown(test_metacharacters, setup, teardown, &(be)),               \
        cmocka_unit_test_prestate_setup_teardown(test_constraints, setup, teardown, &(be)),                  \
        cmocka_unit_test_prestate_setup_teardown(test_query_one, setup, teardown, &(be)),                    \
        cmocka_unit_test_prestate_setup_teardown(test_exec_changes, setup, teardown, &(be)),                 \
        cmocka_unit_test_prestate_setup_teardown(test_transactions, setup, teardown, &(be)),                 \
        cmocka_unit_test_prestate_setup_teardown(test_pool_threads, setup, teardown, &(be)),                 \
        cmocka_unit_test_prestate_setup_teardown(test_open_errors, setup, teardown, &(be)),                  \
        cmocka_unit_test_prestate_setup_teardown(test_invalid_utf8, setup, teardown, &(be)),                 \
        cmocka_unit_test_prestate_setup_teardown(test_pg_reconnect, setup, teardown, &(be)),                 \
        cmocka_unit_test_prestate_setup_teardown(test_cols_types, setup, teardown, &(be)),                   \
        cmocka_unit_test_prestate_setup_teardown(test_cols_backend_types, setup, teardown, &(be)),           \
        cmocka_unit_test_prestate_setup_teardown(test_cols_empty_and_errors, setup, teardown, &(be)),        \
        cmocka_unit_test_prestate_setup_teardown(test_cols_many_rows, setup, teardown, &(be)),               \
        cmocka_unit_test_prestate_setup_teardown(test_ints_param, setup, teardown, &(be))

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {DB_TESTS(sqlite_be)};
    const struct CMUnitTest pg_tests[] = {DB_TESTS(pg_be)};
    int failed;

    pg_be.pg_base = getenv("CAIRN_TEST_PG_URL");
    if (pg_be.pg_base && !pg_be.pg_base[0])
        pg_be.pg_base = NULL;
    failed = cmocka_run_group_tests_name("db sqlite", sqlite_tests, NULL, NULL);
    if (!pg_be.pg_base)
        fprintf(stderr, "CAIRN_TEST_PG_URL is not set: PostgreSQL tests are skipped\n");
    failed += cmocka_run_group_tests_name("db postgresql", pg_tests, NULL, NULL);
    return failed ? 1 : 0;
}
