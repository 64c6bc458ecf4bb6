/* test_resource.c -- cmocka tests of the CMDB resource descriptions
 * (src/cmdb/resources.c) against the schema the real migrations create.
 *
 * The descriptions drive every SQL statement of the resource layer, so a
 * field without a column, a reference to a resource that does not exist or a
 * search without its index would only fail at run time, on one request.
 * These tests catch that at build time:
 *   - every column field is a column of its table after migration, and so
 *     are id, search_text, the link tables of sets and their columns;
 *   - every reference (FT_REF, FT_CODE, FT_REFS, FT_BACKREFS) names an
 *     existing resource, and `shared` fields exist on both sides;
 *   - every resource is searchable: search_text, and a trigram index that
 *     the plan of a search of three or more characters reads (FTS5 on
 *     SQLite, pg_trgm on PostgreSQL) instead of every row;
 *   - enums are non-empty, labels exist in both languages and are unique
 *     within a resource (they are CSV headers), flags make sense (secrets are
 *     never searched, sorted, filtered or keys);
 *   - res_check_value() accepts and refuses values of each field type.
 * The schema checks run on SQLite (a fresh file, the embedded migrations)
 * and, when CAIRN_TEST_PG_URL names a throwaway database, on PostgreSQL in a
 * private schema that is dropped afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cmdb/res_internal.h"
#include "store/db.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct {
    const char *kind; /* "sqlite" or "postgresql" */
    db *d;
    char dir[64];    /* sqlite: temp directory */
    char path[96];   /* sqlite: database file */
    char base[1024]; /* postgresql: CAIRN_TEST_PG_URL */
    char schema[64]; /* postgresql: private schema */
} fixture;

static fixture sqlite_fx = {.kind = "sqlite"};
static fixture pg_fx = {.kind = "postgresql"};

/* ---- fixture ------------------------------------------------------------ */

/* Run one statement on a short-lived pool (PostgreSQL schema admin). */
static int admin_exec(const char *url, const char *sql)
{
    char err[256];
    db *d = NULL;
    int rc = db_open(url, 1, &d, err, sizeof err);
    if (rc != DB_OK) {
        fprintf(stderr, "open %s: %s\n", url, err);
        return rc;
    }
    db_conn *c = db_acquire(d);
    rc = db_exec(c, sql, DB_NOARGS, NULL);
    if (rc != DB_OK)
        fprintf(stderr, "%s: %s\n", sql, db_errmsg(c));
    db_release(c);
    db_close(d);
    return rc;
}

/* Open a fresh database for f and apply the embedded migrations. */
static int open_fixture(fixture *f)
{
    char url[1200], err[512], sql[128];
    if (strcmp(f->kind, "sqlite") == 0) {
        snprintf(f->dir, sizeof f->dir, "/tmp/cairn-res-XXXXXX");
        if (!mkdtemp(f->dir))
            return -1;
        snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
        snprintf(url, sizeof url, "sqlite:%s", f->path);
    } else {
        const char *base = getenv("CAIRN_TEST_PG_URL");
        if (!base || !*base)
            return 0; /* tests skip themselves */
        snprintf(f->base, sizeof f->base, "%s", base);
        snprintf(f->schema, sizeof f->schema, "cairn_res_%ld", (long)getpid());
        snprintf(sql, sizeof sql, "CREATE SCHEMA %s", f->schema);
        if (admin_exec(f->base, sql) != DB_OK)
            return -1;
        snprintf(url, sizeof url, "%s%coptions=-c%%20search_path%%3D%s", f->base, strchr(f->base, '?') ? '&' : '?',
                 f->schema);
    }
    if (db_open(url, 2, &f->d, err, sizeof err) != DB_OK) {
        fprintf(stderr, "db_open: %s\n", err);
        return -1;
    }
    if (db_migrate(f->d, err, sizeof err) != DB_OK) {
        fprintf(stderr, "db_migrate: %s\n", err);
        return -1;
    }
    return 0;
}

static int sqlite_setup(void **state)
{
    *state = &sqlite_fx;
    return open_fixture(&sqlite_fx);
}

static int pg_setup(void **state)
{
    *state = &pg_fx;
    return open_fixture(&pg_fx);
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    char sql[128];
    db_close(f->d);
    f->d = NULL;
    if (f->path[0]) {
        const char *suffix[] = {"", "-wal", "-shm"};
        for (size_t i = 0; i < 3; i++) {
            char p[128];
            snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
            unlink(p);
        }
        rmdir(f->dir);
    }
    if (f->schema[0]) {
        snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", f->schema);
        admin_exec(f->base, sql);
    }
    return 0;
}

/* The fixture of a schema test, or NULL (test skipped) without a database. */
static fixture *fx(void **state)
{
    fixture *f = *state;
    if (!f->d)
        skip();
    return f;
}

/* True when `SELECT col FROM table` runs. */
static bool has_column(db *d, const char *table, const char *col)
{
    char sql[256];
    db_conn *c = db_acquire(d);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE 1=0", col, table);
    json_t *rows = NULL;
    int rc = db_query(c, sql, DB_NOARGS, &rows);
    if (rc != DB_OK)
        print_error("%s.%s: %s\n", table, col, db_errmsg(c));
    db_release(c);
    json_decref(rows);
    return rc == DB_OK;
}

/* A lower-case SQL identifier (names the descriptions put into SQL). */
static bool ident(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* ---- schema ------------------------------------------------------------- */

static void test_columns_exist(void **state)
{
    fixture *f = fx(state);
    for (const resource *const *r = cmdb_resources; *r; r++) {
        assert_true(has_column(f->d, (*r)->table, "id"));
        for (const res_field *fl = (*r)->fields; fl->name; fl++)
            if (res_is_column(fl))
                assert_true(has_column(f->d, (*r)->table, fl->name));
    }
}

static void test_sets_exist(void **state)
{
    fixture *f = fx(state);
    for (const resource *const *r = cmdb_resources; *r; r++)
        for (const res_field *fl = (*r)->fields; fl->name; fl++) {
            const resource *other = fl->ref ? resource_find(fl->ref) : NULL;
            if (fl->type == FT_REFS) {
                assert_non_null(other);
                assert_non_null(fl->link_table);
                assert_true(has_column(f->d, fl->link_table, fl->link_self));
                assert_true(has_column(f->d, fl->link_table, fl->link_other));
            } else if (fl->type == FT_BACKREFS) {
                assert_non_null(other);
                assert_true(has_column(f->d, other->table, fl->link_self));
            }
            if (fl->shared) {
                assert_true(has_column(f->d, (*r)->table, fl->shared) || fl->type == FT_BACKREFS);
                assert_true(has_column(f->d, other->table, fl->shared));
            }
        }
}

static void test_extrefs_exist(void **state)
{
    fixture *f = fx(state);
    for (const resource *const *r = cmdb_resources; *r; r++)
        for (const res_extref *x = (*r)->extrefs; x && x->table; x++) {
            assert_true(ident(x->table) && ident(x->column) && x->what && *x->what);
            assert_true(has_column(f->d, x->table, x->column));
        }
}

static void test_search_index(void **state)
{
    fixture *f = fx(state);
    for (const resource *const *r = cmdb_resources; *r; r++) {
        assert_true(has_column(f->d, (*r)->table, "search_text"));
        if (strcmp(f->kind, "sqlite") != 0)
            continue;
        char sql[256];
        json_t *rows = NULL;
        db_conn *c = db_acquire(f->d);
        snprintf(sql, sizeof sql, "SELECT rowid FROM %s WHERE %s MATCH $1", (*r)->fts_table, (*r)->fts_table);
        int rc = db_query(c, sql, DB_ARGS(DB_TEXT("\"北京一\"")), &rows);
        if (rc != DB_OK)
            print_error("%s: %s\n", (*r)->fts_table, db_errmsg(c));
        db_release(c);
        json_decref(rows);
        assert_int_equal(rc, DB_OK);
    }
}

/* The plan of a search of at least three characters reads the trigram
 * index, not every row: an FTS5 MATCH on SQLite, the GIN pg_trgm index on
 * PostgreSQL (with sequential scans made expensive, as on a big table). */
static void test_search_uses_index(void **state)
{
    fixture *f = fx(state);
    bool sqlite = strcmp(f->kind, "sqlite") == 0;
    db_conn *c = db_acquire(f->d);
    if (!sqlite)
        assert_int_equal(db_exec(c, "SET enable_seqscan = off", DB_NOARGS, NULL), DB_OK);
    for (const resource *const *r = cmdb_resources; *r; r++) {
        char clause[256], where[256], sql[512], want[96];
        const char *q = "北京一号";
        bool fts = res_search_sql(*r, f->kind, q, clause, sizeof clause);
        assert_true(fts == sqlite);
        assert_non_null(strstr(clause, "$%d"));
        snprintf(where, sizeof where, clause, 1);
        snprintf(sql, sizeof sql, "%s SELECT id FROM %s WHERE %s", sqlite ? "EXPLAIN QUERY PLAN" : "EXPLAIN",
                 (*r)->table, where);
        char *arg = fts ? res_fts_phrase(q) : strdup("%北京一号%");
        json_t *rows = NULL;
        int rc = db_query(c, sql, DB_ARGS(DB_TEXT(arg)), &rows);
        if (rc != DB_OK)
            print_error("%s: %s\n", sql, db_errmsg(c));
        assert_int_equal(rc, DB_OK);
        char *plan = json_dumps(rows, 0);
        snprintf(want, sizeof want, sqlite ? "%s VIRTUAL TABLE" : "%s_search_trgm", sqlite ? (*r)->fts_table
                                                                                             : (*r)->table);
        if (!strstr(plan, want))
            print_error("%s: plan without %s: %s\n", (*r)->name, want, plan);
        assert_non_null(strstr(plan, want));
        if (!sqlite)
            assert_null(strstr(plan, "Seq Scan"));
        free(plan);
        free(arg);
        json_decref(rows);
        /* Shorter queries are answered by LIKE on every backend. */
        assert_false(res_search_sql(*r, f->kind, "北京", clause, sizeof clause));
        assert_non_null(strstr(clause, "LIKE"));
    }
    if (!sqlite)
        db_exec(c, "RESET enable_seqscan", DB_NOARGS, NULL);
    db_release(c);
}

/* The seeded code lists come back through their own search index. */
static void test_seeded_codes_searchable(void **state)
{
    fixture *f = fx(state);
    db_conn *c = db_acquire(f->d);
    int64_t n = 0;
    assert_int_equal(db_query_int(c, "SELECT count(*) FROM asset_types WHERE search_text LIKE $1",
                                  DB_ARGS(DB_TEXT("%虚拟机%")), &n),
                     DB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(db_query_int(c, "SELECT count(*) FROM asset_statuses WHERE search_text LIKE $1",
                                  DB_ARGS(DB_TEXT("%in use%")), &n),
                     DB_OK);
    assert_int_equal(n, 1);
    if (strcmp(f->kind, "sqlite") == 0) {
        assert_int_equal(db_query_int(c, "SELECT count(*) FROM asset_types_fts WHERE asset_types_fts MATCH $1",
                                      DB_ARGS(DB_TEXT("\"virtual\"")), &n),
                         DB_OK);
        assert_int_equal(n, 1);
    }
    db_release(c);
}

/* ---- descriptions (no database) ----------------------------------------- */


static void test_references(void **state)
{
    (void)state;
    for (const resource *const *r = cmdb_resources; *r; r++)
        for (const res_field *f = (*r)->fields; f->name; f++) {
            bool needs = f->type == FT_REF || f->type == FT_CODE || f->type == FT_REFS || f->type == FT_BACKREFS;
            if (!needs) {
                assert_null(f->ref);
                continue;
            }
            const resource *other = resource_find(f->ref);
            if (!other)
                print_error("%s.%s refers to unknown resource %s\n", (*r)->name, f->name, f->ref);
            assert_non_null(other);
            assert_non_null(resource_field(other, other->display));
            if (f->type == FT_CODE) {
                const res_field *code = resource_field(other, "code");
                assert_non_null(code);
                assert_true(code->flags & F_UNIQUE);
            }
            if (f->type == FT_REFS)
                assert_true(ident(f->filter_name));
            if (f->shared) {
                assert_non_null(resource_field(other, f->shared));
                if (f->type == FT_REF)
                    assert_non_null(resource_field(*r, f->shared));
            }
        }
}

static void test_descriptions(void **state)
{
    (void)state;
    int resources = 0;
    for (const resource *const *r = cmdb_resources; *r; r++, resources++) {
        const resource *res = *r;
        int n = 0, keys = 0, searched = 0;
        assert_ptr_equal(resource_find(res->name), res);
        assert_true(ident(res->table) && ident(res->object) && ident(res->fts_table));
        assert_true(res->label_en && *res->label_en && res->label_zh && *res->label_zh);
        assert_true(strcmp(res->module, "assets") == 0 || strcmp(res->module, "apps") == 0 ||
                    strcmp(res->module, "settings") == 0);
        assert_non_null(resource_field(res, res->display));
        const char *sort = res->default_sort + (res->default_sort[0] == '-');
        const res_field *sf = resource_field(res, sort);
        assert_true(strcmp(sort, "id") == 0 || (sf && (sf->flags & F_SORT)));
        for (const res_field *f = res->fields; f->name; f++, n++) {
            assert_true(ident(f->name));
            assert_true(strcmp(f->name, "id") != 0 && strcmp(f->name, "search_text") != 0);
            if (!f->label_en || !*f->label_en || !f->label_zh || !*f->label_zh)
                print_error("%s.%s lacks a label\n", res->name, f->name);
            assert_true(f->label_en && *f->label_en && f->label_zh && *f->label_zh);
            /* Labels are CSV headers: unique within the resource, in either
             * language, and never another field's name. */
            for (const res_field *g = res->fields; g->name; g++) {
                if (g == f)
                    continue;
                if (!strcasecmp(f->label_en, g->label_en) || !strcmp(f->label_zh, g->label_zh))
                    print_error("%s: fields %s and %s share a label\n", res->name, f->name, g->name);
                assert_true(strcasecmp(f->label_en, g->label_en) != 0);
                assert_true(strcmp(f->label_zh, g->label_zh) != 0);
                assert_true(strcasecmp(f->label_en, g->name) != 0 && strcasecmp(f->label_zh, g->name) != 0);
                assert_true(strcmp(f->name, g->name) != 0);
            }
            if (f->type == FT_ENUM) {
                assert_non_null(f->enums);
                assert_non_null(f->enums[0]);
                for (const char *const *e = f->enums; *e; e++) {
                    assert_true(ident(*e));
                    for (const char *const *e2 = e + 1; *e2; e2++)
                        assert_string_not_equal(*e, *e2);
                }
            } else {
                assert_null(f->enums);
            }
            if (f->type == FT_SECRET)
                assert_int_equal(f->flags & (F_SEARCH | F_SORT | F_FILTER | F_UNIQUE | F_KEY | F_REQUIRED), 0);
            if (!res_is_column(f))
                assert_int_equal(f->flags & (F_SORT | F_UNIQUE | F_KEY | F_SEARCH), 0);
            if (f->flags & F_SEARCH)
                assert_true(f->type == FT_TEXT || f->type == FT_NOTE || f->type == FT_IP || f->type == FT_IPS ||
                            f->type == FT_URL || f->type == FT_EMAIL || f->type == FT_TAGS);
            if (f->flags & F_KEY)
                assert_true(!(f->flags & F_READONLY) && (f->flags & F_REQUIRED));
            if (f->type == FT_INT)
                assert_true(f->min <= f->max || (f->flags & F_READONLY));
            keys += (f->flags & F_KEY) != 0;
            searched += (f->flags & F_SEARCH) != 0;
        }
        assert_true(n + 4 <= RES_MAX_FIELDS);
        if (keys == 0 || searched == 0)
            print_error("%s: %d key fields, %d searched fields\n", res->name, keys, searched);
        assert_true(keys > 0);     /* CSV import needs a key */
        assert_true(searched > 0); /* ?q= needs something to search */
    }
    assert_int_equal(resources, 14);
}

/* ---- values ------------------------------------------------------------- */

typedef struct {
    const char *res, *field, *json;
    bool ok;
} value_case;

static const value_case value_cases[] = {
    {"hosts", "ssh_port", "22", true},
    {"hosts", "ssh_port", "0", false},
    {"hosts", "ssh_port", "65536", false},
    {"hosts", "ssh_port", "\"22\"", false},
    {"hosts", "ssh_port", "null", true},
    {"hosts", "racked_at", "\"2024-02-29\"", true},
    {"hosts", "racked_at", "\"2023-02-29\"", false},
    {"hosts", "racked_at", "\"1900-02-29\"", false},
    {"hosts", "racked_at", "\"2000-02-29\"", true},
    {"hosts", "racked_at", "\"2024-04-31\"", false},
    {"hosts", "racked_at", "\"2024-1-01\"", false},
    {"hosts", "racked_at", "\"\"", true},
    {"hosts", "ip", "\"10.0.0.1\"", true},
    {"hosts", "ip", "\"::1\"", true},
    {"hosts", "ip", "\"10.0.0.256\"", false},
    {"hosts", "ip", "\"\"", false},
    {"hosts", "ip", "null", false},
    {"hosts", "other_ips", "\"10.0.0.1, fe80::1;10.0.0.2\"", true},
    {"hosts", "other_ips", "\"10.0.0.1, nope\"", false},
    {"hosts", "hostname", "\"web 1\"", true},
    {"hosts", "hostname", "\" web1\"", false},
    {"hosts", "hostname", "\"a\\nb\"", false},
    {"hosts", "memo", "\"a\\nb\\tc\"", true},
    {"hosts", "memo", "\"a\\u0001b\"", false},
    {"hosts", "tags", "[\"生产\", \"web\"]", true},
    {"hosts", "tags", "[\"a,b\"]", false},
    {"hosts", "tags", "[\"\"]", false},
    {"hosts", "group_ids", "[1, 2]", true},
    {"hosts", "group_ids", "[0]", false},
    {"hosts", "group_ids", "[\"1\"]", false},
    {"hosts", "idc_id", "3", true},
    {"hosts", "idc_id", "-3", false},
    {"hosts", "asset_type", "\"vm\"", true},
    {"hosts", "asset_type", "5", false},
    {"nav-links", "url", "\"https://a.example/x\"", true},
    {"nav-links", "url", "\"javascript:alert(1)\"", false},
    {"nav-links", "url", "\"https://a.example/\\\"x\"", false},
    {"nav-links", "icon", "\"fa-solid fa-server\"", true},
    {"nav-links", "icon", "\"fa-solid\\\" x\"", false},
    {"owners", "email", "\"a@b.example\"", true},
    {"owners", "email", "\"a@b@c\"", false},
    {"resources", "paid", "\"1234.56\"", true},
    {"resources", "paid", "12.5", true},
    {"resources", "paid", "\"1.234\"", false},
    {"resources", "paid", "\"-1\"", false},
    {"resources", "paid", "-1", false},
    {"projects", "language", "\"python\"", true},
    {"projects", "language", "\"cobol\"", false},
    {"credentials", "password", "\"s3cret\\nline\"", true},
    {"credentials", "password", "\"a\\u0007b\"", false},
    {"credentials", "password", "12", false},
};

static void test_check_value(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof value_cases / sizeof value_cases[0]; i++) {
        const value_case *vc = &value_cases[i];
        const resource *res = resource_find(vc->res);
        assert_non_null(res);
        const res_field *f = resource_field(res, vc->field);
        assert_non_null(f);
        json_t *v = json_loads(vc->json, JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        http_resp w = {.fd = -1};
        bool ok = res_check_value(&w, f, v);
        if (ok != vc->ok)
            print_error("%s.%s = %s: expected %s\n", vc->res, vc->field, vc->json, vc->ok ? "ok" : "refused");
        assert_int_equal(ok, vc->ok);
        if (!ok) {
            assert_int_equal(w.status, 400);
            assert_non_null(strstr(w.body, vc->field)); /* the message names the field */
        }
        resp_free(&w);
        json_decref(v);
    }
}

/* A secret is never selected: the SELECT list carries <name>_set. */
static void test_select_list_hides_secrets(void **state)
{
    (void)state;
    sbuf out = SBUF_INIT;
    res_select_list(&res_credentials, &out, "");
    assert_false(sbuf_failed(&out));
    assert_non_null(strstr(sbuf_str(&out), "AS password_set"));
    assert_null(strstr(sbuf_str(&out), ", password,"));
    assert_null(strstr(sbuf_str(&out), ", private_key,"));
    sbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest plain_tests[] = {
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_descriptions),
        cmocka_unit_test(test_check_value),
        cmocka_unit_test(test_select_list_hides_secrets),
    };
    const struct CMUnitTest schema_tests[] = {
        cmocka_unit_test(test_columns_exist),
        cmocka_unit_test(test_sets_exist),
        cmocka_unit_test(test_extrefs_exist),
        cmocka_unit_test(test_search_index),
        cmocka_unit_test(test_search_uses_index),
        cmocka_unit_test(test_seeded_codes_searchable),
    };
    int failed = cmocka_run_group_tests_name("resource descriptions", plain_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("resource schema sqlite", schema_tests, sqlite_setup, group_teardown);
    if (!getenv("CAIRN_TEST_PG_URL") || !*getenv("CAIRN_TEST_PG_URL"))
        fprintf(stderr, "CAIRN_TEST_PG_URL is not set: PostgreSQL schema tests are skipped\n");
    failed += cmocka_run_group_tests_name("resource schema postgresql", schema_tests, pg_setup, group_teardown);
    return failed ? 1 : 0;
}
