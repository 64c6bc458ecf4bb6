/* test_jobs.c -- cmocka tests of the parts of live job output that need no
 * server: the per-job event streams (src/jobs/stream.h) and the WebSocket
 * handshake key (src/http/ws.h).
 *
 * Streams: events come out in the order they went in; every reader has its
 * own cursor, so a slow reader (one that starts late, or reads one event
 * now and then) still gets everything while a fast one follows live; a
 * writer thread and reader threads run at once; output past the size bound
 * is replaced by a single "truncated" notice while status events still get
 * through; a finished stream is freed by the sweep only when nobody reads
 * it and a minute has passed (the clock is moved with
 * util_set_clock_offset, not waited for).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/util.h"
#include "http/ws.h"
#include "jobs/stream.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static json_t *output(int i)
{
    return json_pack("{s:s, s:i, s:s, s:i}", "type", "output", "host_id", 1, "stream", "stdout", "n", i);
}

/* The "n" of an event text, or -1 for other events. */
static int n_of(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    json_t *n = json_object_get(j, "n");
    int v = json_is_integer(n) ? (int)json_integer_value(n) : -1;
    json_decref(j);
    return v;
}

/* Finish, drop our reference and sweep with the clock moved past the grace
 * minute, so the stream is freed (and LeakSanitizer sees nothing). */
static void dispose(int64_t job, stream *s)
{
    stream_finish(s);
    stream_put(s);
    util_set_clock_offset(120);
    stream_sweep();
    util_set_clock_offset(0);
    assert_null(stream_get(job));
}

/* ---- streams -------------------------------------------------------------- */

static void test_stream_order(void **state)
{
    (void)state;
    stream *s = stream_open(101);
    assert_non_null(s);
    assert_ptr_equal(stream_open(101), s); /* one stream per job */
    stream_put(s);
    for (int i = 0; i < 1000; i++)
        stream_push(s, output(i), true);
    size_t cursor = 0;
    bool done = true;
    for (int i = 0; i < 1000; i++) {
        char *ev = stream_next(s, &cursor, 0, &done);
        assert_non_null(ev);
        assert_int_equal(n_of(ev), i);
        assert_false(done);
        free(ev);
    }
    assert_int_equal(cursor, 1000);
    /* Nothing more yet: NULL after the timeout, not done. */
    assert_null(stream_next(s, &cursor, 20, &done));
    assert_false(done);
    stream_push(s, json_pack("{s:s, s:s}", "type", "job", "status", "succeeded"), false);
    stream_finish(s);
    char *last = stream_next(s, &cursor, 0, &done);
    assert_non_null(last);
    assert_non_null(strstr(last, "\"succeeded\""));
    free(last);
    assert_true(done); /* the last event read: the end is known at once */
    assert_null(stream_next(s, &cursor, 0, &done));
    assert_true(done);
    dispose(101, s);
}

static void test_stream_slow_reader(void **state)
{
    (void)state;
    stream *s = stream_open(102);
    size_t fast = 0, slow = 0;
    bool done;
    /* The fast reader follows live; the slow one takes one event per ten. */
    for (int i = 0; i < 500; i++) {
        stream_push(s, output(i), true);
        char *ev = stream_next(s, &fast, 0, &done);
        assert_int_equal(n_of(ev), i);
        free(ev);
        if (i % 10 == 0) {
            ev = stream_next(s, &slow, 0, &done);
            assert_int_equal(n_of(ev), i / 10);
            free(ev);
        }
    }
    stream_finish(s);
    /* After the end the slow reader still gets every remaining event, in order. */
    int expect = 50;
    char *ev;
    while ((ev = stream_next(s, &slow, 0, &done))) {
        assert_int_equal(n_of(ev), expect++);
        free(ev);
    }
    assert_int_equal(expect, 500);
    assert_true(done);
    /* A reader arriving after the end starts from the beginning. */
    size_t late = 0;
    ev = stream_next(s, &late, 0, &done);
    assert_int_equal(n_of(ev), 0);
    free(ev);
    assert_false(done);
    /* While someone holds a reference the sweep keeps it. */
    stream *again = stream_get(102);
    assert_ptr_equal(again, s);
    stream_put(s);
    util_set_clock_offset(120);
    stream_sweep();
    util_set_clock_offset(0);
    assert_ptr_equal(stream_get(102), s);
    stream_put(s); /* the get just above */
    dispose(102, again);
}

typedef struct {
    stream *s;
    int count;
    int got;
    bool in_order;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    size_t cursor = 0;
    bool done = false;
    a->in_order = true;
    while (!done) {
        char *ev = stream_next(a->s, &cursor, 1000, &done);
        if (!ev)
            continue;
        if (n_of(ev) != a->got)
            a->in_order = false;
        a->got++;
        free(ev);
    }
    return NULL;
}

static void test_stream_threads(void **state)
{
    (void)state;
    stream *s = stream_open(103);
    reader_arg r[3] = {{s, 0, 0, false}, {s, 0, 0, false}, {s, 0, 0, false}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &r[i]), 0);
    for (int i = 0; i < 20000; i++)
        stream_push(s, output(i), true);
    stream_finish(s);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].got, 20000);
        assert_true(r[i].in_order);
    }
    dispose(103, s);
}

static void test_stream_bound(void **state)
{
    (void)state;
    stream *s = stream_open(104);
    /* 1 MiB chunks: the 65th goes past STREAM_MAX_BYTES. */
    size_t chunk = 1u << 20;
    char *data = malloc(chunk + 1);
    assert_non_null(data);
    memset(data, 'a', chunk);
    data[chunk] = '\0';
    int pushed = (int)(STREAM_MAX_BYTES / chunk) + 3;
    for (int i = 0; i < pushed; i++) {
        stream_push(s, json_pack("{s:s, s:s}", "type", "output", "data", data), true);
        if (i == pushed - 2) /* status events are not output: never dropped */
            stream_push(s, json_pack("{s:s, s:i, s:s}", "type", "host", "host_id", 1, "status", "ok"), false);
    }
    free(data);
    stream_finish(s);
    size_t cursor = 0, bytes = 0;
    int outputs = 0, truncated = 0, hosts = 0;
    bool done = false;
    char *ev;
    while ((ev = stream_next(s, &cursor, 0, &done))) {
        if (strstr(ev, "\"truncated\""))
            truncated++;
        else if (strstr(ev, "\"host\""))
            hosts++;
        else
            outputs++, bytes += strlen(ev);
        free(ev);
    }
    assert_true(done);
    assert_int_equal(truncated, 1);
    assert_int_equal(hosts, 1);
    assert_true(outputs < pushed);
    assert_true(outputs >= (int)(STREAM_MAX_BYTES / chunk) - 1);
    assert_true(bytes <= STREAM_MAX_BYTES);
    dispose(104, s);
}

static void test_stream_unknown(void **state)
{
    (void)state;
    assert_null(stream_get(999));
    stream_put(NULL);
    stream_sweep(); /* nothing to do */
}

/* ---- WebSocket handshake ------------------------------------------------------ */

static void test_ws_accept_key(void **state)
{
    (void)state;
    char out[64];
    /* RFC 6455, section 1.3. */
    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, sizeof out), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /* Another key, computed with openssl (sha1 | base64). */
    assert_int_equal(ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==", out, sizeof out), 0);
    assert_string_equal(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
    assert_int_equal(ws_accept_key("", out, sizeof out), -1);
    char longkey[80];
    memset(longkey, 'k', 65);
    longkey[65] = '\0';
    assert_int_equal(ws_accept_key(longkey, out, sizeof out), -1);
    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, 28), -1); /* 28 chars + NUL needed */
    assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, 29), 0);
    assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_order),
        cmocka_unit_test(test_stream_slow_reader),
        cmocka_unit_test(test_stream_threads),
        cmocka_unit_test(test_stream_bound),
        cmocka_unit_test(test_stream_unknown),
        cmocka_unit_test(test_ws_accept_key),
    };
    return cmocka_run_group_tests_name("jobs", tests, NULL, NULL);
}
