/* test_db_writers.c -- cmocka tests of the SQLite writer gate (db.c).
 *
 * SQLite lets one connection write at a time; the pool serialises its own
 * writers with a gate entered by db_begin() (and around a write statement
 * outside a transaction) and left when the transaction ends. These tests
 * check that many threads writing through a smaller pool all succeed with
 * nothing lost, that every way of ending a transaction leaves the gate (a
 * leaked gate would make the next writer fail with DB_BUSY after 5 s, so
 * the tests need no clock), and that a thread never waits for itself.
 * Each test opens a pool on a fresh database file in a temp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/db.h"
#include "store/db_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { POOL = 4, THREADS = 8, ROUNDS = 150 };

typedef struct {
    db *d;
    char dir[64];
    char path[96];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    char url[128], err[256];
    db_conn *c;

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/cairn-dbw.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
    snprintf(url, sizeof url, "sqlite:%s", f->path);
    if (db_open(url, POOL, &f->d, err, sizeof err) != DB_OK) {
        fprintf(stderr, "db_open: %s\n", err);
        return -1;
    }
    c = db_acquire(f->d);
    int rc = db_exec(c, "CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)", DB_NOARGS, NULL);
    if (rc == DB_OK)
        rc = db_exec(c, "INSERT INTO counter (id, n) VALUES (1, 0)", DB_NOARGS, NULL);
    if (rc == DB_OK)
        rc = db_exec(c, "CREATE TABLE item (id INTEGER PRIMARY KEY, who BIGINT NOT NULL)", DB_NOARGS, NULL);
    db_release(c);
    *state = f;
    return rc == DB_OK ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char p[128];

    db_close(f->d);
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

static int64_t count(db *d, const char *sql)
{
    db_conn *c = db_acquire(d);
    int64_t n = -1;

    assert_int_equal(db_query_int(c, sql, DB_NOARGS, &n), DB_OK);
    db_release(c);
    return n;
}

/* ---- many writers ---------------------------------------------------------- */

typedef struct {
    db *d;
    int id, errors;
    char last_err[256];
} writer;

/* Each round: a read-modify-write of the counter in a transaction (a lost
 * update would show in the total), or an insert outside a transaction. */
static void *writer_main(void *arg)
{
    writer *w = arg;

    for (int i = 0; i < ROUNDS; i++) {
        db_conn *c = db_acquire(w->d);
        int64_t n = 0;
        int rc;

        if (i % 3 != 2) {
            rc = db_begin(c);
            if (rc == DB_OK)
                rc = db_query_int(c, "SELECT n FROM counter WHERE id = 1", DB_NOARGS, &n);
            if (rc == DB_OK)
                rc = db_exec(c, "UPDATE counter SET n = $1 WHERE id = 1", DB_ARGS(DB_INT(n + 1)), NULL);
            if (rc == DB_OK)
                rc = db_commit(c);
        } else {
            rc = db_exec(c, "INSERT INTO item (who) VALUES ($1)", DB_ARGS(DB_INT(w->id)), NULL);
        }
        if (rc != DB_OK) {
            w->errors++;
            snprintf(w->last_err, sizeof w->last_err, "%s", db_errmsg(c));
        }
        db_release(c);
    }
    return NULL;
}

static void test_many_writers(void **state)
{
    fixture *f = *state;
    writer w[THREADS];
    pthread_t t[THREADS];
    int64_t tx = 0, ins = 0;

    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){.d = f->d, .id = i + 1};
        assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].errors)
            fprintf(stderr, "writer %d: %d errors, last: %s\n", i, w[i].errors, w[i].last_err);
        assert_int_equal(w[i].errors, 0);
    }
    for (int i = 0; i < ROUNDS; i++)
        i % 3 != 2 ? tx++ : ins++;
    assert_int_equal(count(f->d, "SELECT n FROM counter WHERE id = 1"), tx * THREADS);
    assert_int_equal(count(f->d, "SELECT count(*) FROM item"), ins * THREADS);
}

/* ---- the gate is left however a transaction ends --------------------------- */

/* A second connection can write at once: the gate is free. A leaked gate
 * would make this wait 5 s and fail with DB_BUSY. */
static void assert_gate_free(db *d)
{
    db_conn *b = db_acquire(d);

    assert_int_equal(db_writer_enter(b), 1);
    db_writer_leave(b);
    assert_int_equal(db_begin(b), DB_OK);
    assert_int_equal(db_exec(b, "UPDATE counter SET n = n + 1 WHERE id = 1", DB_NOARGS, NULL), DB_OK);
    assert_int_equal(db_commit(b), DB_OK);
    db_release(b);
}

static void test_gate_left(void **state)
{
    fixture *f = *state;
    db_conn *a;

    a = db_acquire(f->d); /* commit */
    assert_int_equal(db_begin(a), DB_OK);
    assert_int_equal(db_commit(a), DB_OK);
    db_release(a);
    assert_gate_free(f->d);

    a = db_acquire(f->d); /* rollback after a failed statement */
    assert_int_equal(db_begin(a), DB_OK);
    assert_int_not_equal(db_exec(a, "INSERT INTO nosuch VALUES (1)", DB_NOARGS, NULL), DB_OK);
    assert_int_equal(db_rollback(a), DB_OK);
    db_release(a);
    assert_gate_free(f->d);

    a = db_acquire(f->d); /* released with the transaction still open */
    assert_int_equal(db_begin(a), DB_OK);
    assert_int_equal(db_exec(a, "UPDATE counter SET n = 100 WHERE id = 1", DB_NOARGS, NULL), DB_OK);
    db_release(a);
    assert_gate_free(f->d);
    assert_int_not_equal(count(f->d, "SELECT n FROM counter WHERE id = 1"), 101); /* rolled back */

    a = db_acquire(f->d); /* a second db_begin on the same connection fails, the gate stays held */
    assert_int_equal(db_begin(a), DB_OK);
    assert_int_equal(db_begin(a), DB_ERR);
    assert_int_equal(db_commit(a), DB_OK);
    db_release(a);
    assert_gate_free(f->d);
}

/* A thread inside the gate through one connection must not wait for itself
 * when it uses another one; other threads do wait. */
static void test_no_self_wait(void **state)
{
    fixture *f = *state;
    db_conn *a = db_acquire(f->d), *b = db_acquire(f->d);

    assert_int_equal(db_begin(a), DB_OK);
    assert_int_equal(db_writer_enter(a), 0); /* inside already */
    assert_int_equal(db_writer_enter(b), 0); /* same thread: no wait */
    /* b reads without the gate and sees the last committed state. */
    assert_int_equal(db_query_int(b, "SELECT count(*) FROM item", DB_NOARGS, &(int64_t){0}), DB_OK);
    assert_int_equal(db_commit(a), DB_OK);
    assert_int_equal(db_exec(b, "INSERT INTO item (who) VALUES (7)", DB_NOARGS, NULL), DB_OK);
    db_release(b);
    db_release(a);
    assert_gate_free(f->d);
}

/* ---- a waiter goes on when the holder commits ------------------------------- */

typedef struct {
    db *d;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started;
    int rc;
    int64_t seen;
} waiter;

static void *waiter_main(void *arg)
{
    waiter *w = arg;
    db_conn *c = db_acquire(w->d);

    pthread_mutex_lock(&w->mu);
    w->started = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    w->rc = db_begin(c); /* waits for the main thread's commit */
    if (w->rc == DB_OK)
        w->rc = db_query_int(c, "SELECT n FROM counter WHERE id = 1", DB_NOARGS, &w->seen);
    if (w->rc == DB_OK)
        w->rc = db_commit(c);
    db_release(c);
    return NULL;
}

static void test_waiter_sees_commit(void **state)
{
    fixture *f = *state;
    waiter w = {.d = f->d, .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .rc = -100};
    db_conn *a = db_acquire(f->d);
    pthread_t t;

    assert_int_equal(db_begin(a), DB_OK);
    assert_int_equal(db_exec(a, "UPDATE counter SET n = 42 WHERE id = 1", DB_NOARGS, NULL), DB_OK);
    assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
    pthread_mutex_lock(&w.mu);
    while (!w.started)
        pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    /* Whether or not the waiter has reached db_begin() yet, it can only get
     * in after this commit, so it must see 42. */
    assert_int_equal(db_commit(a), DB_OK);
    db_release(a);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, DB_OK);
    assert_int_equal(w.seen, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_many_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gate_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_self_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waiter_sees_commit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
