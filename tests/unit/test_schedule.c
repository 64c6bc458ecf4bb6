/* test_schedule.c -- cmocka tests of interval and crontab schedules
 * (src/jobs/schedule.h) with an injected clock.
 *
 * The clock is the `now` argument: simulate() plays a scheduler loop that
 * ticks from one instant to another, asks schedule_due() at every tick and
 * records each run, so a test can say "cairnd was down for a day" by simply
 * not ticking through that day. Every recorded run is checked not to be
 * followed by another run at the same instant (no double runs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM)" -> Unix seconds. */
static int64_t t(const char *s)
{
    int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, n = 0;
    char sign = 'Z';
    if (sscanf(s, "%d-%d-%dT%d:%d%n", &y, &mo, &d, &h, &mi, &n) != 5)
        fail_msg("bad time %s", s);
    s += n;
    if (*s == ':' && sscanf(s, ":%d%n", &sec, &n) == 1)
        s += n;
    if (*s == '+' || *s == '-') {
        sign = *s;
        if (sscanf(s + 1, "%d:%d", &oh, &om) != 2)
            fail_msg("bad offset %s", s);
    }
    int64_t off = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
    return cron_civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
}

static schedule *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    schedule *s = NULL;
    sched_error err = {{0}, {0}};
    if (!j)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    if (schedule_from_json(j, &s, &err) != SCHED_OK)
        fail_msg("%s refused: %s: %s", text, err.field, err.message);
    json_decref(j);
    return s;
}

static void expect_invalid(const char *text, const char *field, const char *message)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    schedule *s = (schedule *)1;
    sched_error err = {{0}, {0}};
    assert_non_null(j);
    int rc = schedule_from_json(j, &s, &err);
    json_decref(j);
    if (rc != SCHED_E_INVALID || s != NULL || strcmp(err.field, field) != 0 ||
        strcmp(err.message, message) != 0)
        fail_msg("%s: got %d {%s: %s}, want {%s: %s}", text, rc, err.field, err.message, field,
                 message);
}

/* Tick from `from` to `to` (inclusive) every `step` seconds; run when due.
 * Run times go to runs[] (up to cap); returns how many runs. */
static int simulate(const schedule *s, sched_state *st, int64_t from, int64_t to, int64_t step,
                    int64_t *runs, int cap, int *catchups)
{
    int n = 0;
    for (int64_t now = from; now <= to; now += step) {
        sched_due d = schedule_due(s, st, now);
        sched_due again = schedule_due(s, st, now);
        assert_true(d.run == again.run && d.catchup == again.catchup && /* deterministic */
                    d.scheduled == again.scheduled && d.has_next == again.has_next &&
                    d.next == again.next);
        if (!d.run)
            continue;
        assert_true(d.scheduled <= now);
        if (n < cap)
            runs[n] = now;
        n++;
        if (catchups && d.catchup)
            (*catchups)++;
        schedule_record_run(st, now);
        d = schedule_due(s, st, now); /* never twice for one time */
        assert_false(d.run);
        if (d.has_next)
            assert_true(d.next > now);
    }
    return n;
}

/* ---------- parsing ---------- */

static void test_parse_interval(void **state)
{
    (void)state;
    schedule *s = parse("{\"type\":\"interval\",\"every\":5,\"unit\":\"minutes\"}");
    assert_int_equal(s->type, SCHED_INTERVAL);
    assert_int_equal(s->period, 300);
    assert_true(s->enabled);
    assert_false(s->has_expires);
    assert_false(s->has_start);
    assert_int_equal(s->catchup, SCHED_CATCHUP_ONCE);
    assert_int_equal(s->grace, SCHED_GRACE_DEFAULT);
    json_t *j = schedule_to_json(s), *want = json_loads(
        "{\"type\":\"interval\",\"every\":5,\"unit\":\"minutes\",\"start_at\":null,"
        "\"enabled\":true,\"expires_at\":null,\"catchup\":\"once\",\"grace_seconds\":60}",
        0, NULL);
    assert_true(json_equal(j, want));
    json_decref(want);
    json_decref(j);
    schedule_free(s);

    static const char *const units[][2] = {{"seconds", "7"}, {"minutes", "420"},
                                           {"hours", "25200"}, {"days", "604800"}};
    for (int i = 0; i < 4; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"type\":\"interval\",\"every\":7,\"unit\":\"%s\"}",
                 units[i][0]);
        s = parse(buf);
        assert_int_equal(s->period, atoll(units[i][1]));
        schedule_free(s);
    }
    s = parse("{\"type\":\"interval\",\"every\":36500,\"unit\":\"days\",\"start_at\":0}");
    assert_true(s->has_start && s->start_at == 0);
    schedule_free(s);
    schedule_free(NULL);
}

static void test_parse_cron(void **state)
{
    (void)state;
    schedule *s =
        parse("{\"type\":\"cron\",\"cron\":\"*/5 * * * *\",\"timezone\":\"Asia/Shanghai\"}");
    assert_int_equal(s->type, SCHED_CRON);
    assert_string_equal(cron_tz_name(s->tz), "Asia/Shanghai");
    assert_string_equal(s->cron_text, "*/5 * * * *");
    schedule_free(s);

    s = parse("{\"type\":\"cron\",\"cron\":\"@daily\",\"enabled\":false,\"expires_at\":1900000000,"
              "\"catchup\":\"skip\",\"grace_seconds\":300}");
    assert_string_equal(cron_tz_name(s->tz), "UTC");
    assert_false(s->enabled);
    assert_true(s->has_expires && s->expires_at == 1900000000);
    assert_int_equal(s->catchup, SCHED_CATCHUP_SKIP);
    assert_int_equal(s->grace, 300);
    /* round trip */
    json_t *j = schedule_to_json(s);
    sched_error err;
    schedule *s2 = NULL;
    assert_int_equal(schedule_from_json(j, &s2, &err), SCHED_OK);
    json_t *j2 = schedule_to_json(s2);
    assert_true(json_equal(j, j2));
    assert_memory_equal(&s->cron, &s2->cron, sizeof s->cron);
    json_decref(j);
    json_decref(j2);
    schedule_free(s2);
    schedule_free(s);
}

static void test_parse_errors(void **state)
{
    (void)state;
    const char *when = "must be a Unix time in seconds (0 to 253402300799) or null";
    expect_invalid("[]", "schedule", "must be a JSON object");
    expect_invalid("\"cron\"", "schedule", "must be a JSON object");
    expect_invalid("{}", "type", "must be \"interval\" or \"cron\"");
    expect_invalid("{\"type\":\"solar\"}", "type", "must be \"interval\" or \"cron\"");
    expect_invalid("{\"type\":1}", "type", "must be a string");
    expect_invalid("{\"type\":\"interval\"}", "every", "is required for an interval schedule");
    expect_invalid("{\"type\":\"interval\",\"every\":0,\"unit\":\"hours\"}", "every",
                   "must be a whole number of at least 1");
    expect_invalid("{\"type\":\"interval\",\"every\":2.5,\"unit\":\"hours\"}", "every",
                   "must be a whole number of at least 1");
    expect_invalid("{\"type\":\"interval\",\"every\":\"5\",\"unit\":\"hours\"}", "every",
                   "must be a whole number of at least 1");
    expect_invalid("{\"type\":\"interval\",\"every\":5}", "unit",
                   "is required: seconds, minutes, hours or days");
    expect_invalid("{\"type\":\"interval\",\"every\":5,\"unit\":\"weeks\"}", "unit",
                   "must be seconds, minutes, hours or days");
    expect_invalid("{\"type\":\"interval\",\"every\":36501,\"unit\":\"days\"}", "every",
                   "36501 days is longer than 100 years");
    expect_invalid("{\"type\":\"interval\",\"every\":9223372036854775807,\"unit\":\"seconds\"}",
                   "every", "9223372036854775807 seconds is longer than 100 years");
    expect_invalid("{\"type\":\"interval\",\"every\":5,\"unit\":\"days\",\"start_at\":-5}",
                   "start_at", when);
    expect_invalid("{\"type\":\"interval\",\"every\":5,\"unit\":\"days\",\"start_at\":\"now\"}",
                   "start_at", when);
    expect_invalid("{\"type\":\"cron\"}", "cron", "is required for a cron schedule");
    expect_invalid("{\"type\":\"cron\",\"cron\":5}", "cron", "must be a string");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"0 0\\u0000 * * *\"}", "cron",
                   "must not contain NUL characters");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"0 24 * * *\"}", "cron",
                   "hour: 24 is out of range 0-23");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"0 0 * * FUNDAY\"}", "cron",
                   "day of week: unknown name FUNDAY");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * * *\"}", "cron",
                   "expected 5 fields, got 6");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"0 0 30 2 *\"}", "cron",
                   "day of month: 30 never occurs in February");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"timezone\":\"Mars/Base\"}",
                   "timezone", "unknown time zone 'Mars/Base'");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"timezone\":\"../../etc/passwd\"}",
                   "timezone",
                   "invalid time zone name: use letters, digits and _ + - / only, like "
                   "Asia/Shanghai");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"timezone\":8}", "timezone",
                   "must be a string");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"enabled\":\"yes\"}", "enabled",
                   "must be true or false");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"expires_at\":\"tomorrow\"}",
                   "expires_at", when);
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"catchup\":\"always\"}",
                   "catchup", "must be \"once\" or \"skip\"");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"grace_seconds\":0}",
                   "grace_seconds", "must be a whole number from 1 to 86400");
    expect_invalid("{\"type\":\"interval\",\"every\":5,\"unit\":\"days\",\"cron\":\"* * * * *\"}",
                   "cron", "applies only to cron schedules");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"every\":5}", "every",
                   "applies only to interval schedules");
    expect_invalid("{\"type\":\"cron\",\"cron\":\"* * * * *\",\"foo\":1}", "foo",
                   "unknown field");

    /* a long non-ASCII field name is cut on a character boundary */
    char buf[512] = "{\"type\":\"cron\",\"cron\":\"* * * * *\",\"x";
    for (int i = 0; i < 50; i++)
        strcat(buf, "\xe5\x91\xa8");
    strcat(buf, "\":1}");
    json_t *j = json_loads(buf, 0, NULL);
    schedule *s;
    sched_error err;
    assert_non_null(j);
    assert_int_equal(schedule_from_json(j, &s, &err), SCHED_E_INVALID);
    assert_int_equal(strlen(err.field), 61); /* not 63: that cuts a character */
    json_t *f = json_string(err.field); /* NULL if not valid UTF-8 */
    assert_non_null(f);
    json_decref(f);
    json_decref(j);
    /* NULL err is allowed */
    j = json_loads("{}", 0, NULL);
    assert_int_equal(schedule_from_json(j, &s, NULL), SCHED_E_INVALID);
    json_decref(j);
}

/* ---------- intervals ---------- */

static void test_interval_due(void **state)
{
    (void)state;
    schedule *s = parse("{\"type\":\"interval\",\"every\":5,\"unit\":\"minutes\"}");
    int64_t t0 = t("2024-05-01T10:00:17Z");
    sched_state st = {.anchor = t0};
    sched_due d = schedule_due(s, &st, t0);
    assert_false(d.run);
    assert_true(d.has_next && d.next == t0 + 300);
    assert_false(schedule_due(s, &st, t0 + 299).run);
    d = schedule_due(s, &st, t0 + 300);
    assert_true(d.run);
    assert_false(d.catchup);
    assert_true(d.scheduled == t0 + 300 && d.next == t0 + 600);
    schedule_record_run(&st, t0 + 300);
    assert_int_equal(st.run_count, 1);
    d = schedule_due(s, &st, t0 + 300);
    assert_false(d.run);
    assert_true(d.next == t0 + 600);
    assert_false(schedule_due(s, &st, t0 + 301).run);
    /* a late tick still runs, and the grid does not drift */
    d = schedule_due(s, &st, t0 + 610);
    assert_true(d.run && !d.catchup && d.scheduled == t0 + 600);
    schedule_record_run(&st, t0 + 610);
    d = schedule_due(s, &st, t0 + 610);
    assert_false(d.run);
    assert_true(d.next == t0 + 900);
    schedule_free(s);
}

static void test_interval_start(void **state)
{
    (void)state;
    int64_t t0 = t("2024-05-01T10:00Z");
    char buf[160];
    snprintf(buf, sizeof buf,
             "{\"type\":\"interval\",\"every\":1,\"unit\":\"hours\",\"start_at\":%lld}",
             (long long)(t0 + 1000));
    schedule *s = parse(buf);
    sched_state st = {.anchor = t0};
    sched_due d = schedule_due(s, &st, t0 + 999);
    assert_false(d.run);
    assert_true(d.next == t0 + 1000); /* the first run is at start_at itself */
    assert_true(schedule_due(s, &st, t0 + 1000).run);
    schedule_free(s);

    /* start in the past: on its grid, the first point after the anchor */
    snprintf(buf, sizeof buf,
             "{\"type\":\"interval\",\"every\":1,\"unit\":\"hours\",\"start_at\":%lld}",
             (long long)(t0 - 7140));
    s = parse(buf);
    d = schedule_due(s, &st, t0);
    assert_false(d.run);
    assert_true(d.next == t0 + 60);
    schedule_free(s);
}

static void test_interval_counts(void **state)
{
    (void)state;
    schedule *s = parse("{\"type\":\"interval\",\"every\":5,\"unit\":\"minutes\"}");
    int64_t t0 = t("2024-05-01T00:00Z"), runs[300];
    sched_state st = {.anchor = t0};
    int n = simulate(s, &st, t0, t0 + 86400 - 1, 1, runs, 300, NULL);
    assert_int_equal(n, 287); /* 00:05 .. 23:55 */
    assert_int_equal(st.run_count, 287);
    for (int i = 0; i < n; i++)
        assert_true(runs[i] == t0 + 300 * (i + 1));
    /* a coarse, irregular tick: same number of runs, each at most a tick late */
    st = (sched_state){.anchor = t0};
    n = simulate(s, &st, t0 + 3, t0 + 86400 + 10, 7, runs, 300, NULL);
    assert_int_equal(n, 288);
    for (int i = 0; i < n; i++)
        assert_true(runs[i] >= t0 + 300 * (i + 1) && runs[i] < t0 + 300 * (i + 1) + 7);
    schedule_free(s);
}

/* cairnd down for a day: "once" runs exactly one catch-up, "skip" none. */
static void test_interval_missed(void **state)
{
    (void)state;
    int64_t t0 = t("2024-05-01T10:00Z"), runs[16];
    int catchups = 0;
    for (int pol = 0; pol < 2; pol++) {
        schedule *s = parse(pol == 0 ? "{\"type\":\"interval\",\"every\":1,\"unit\":\"hours\"}"
                                     : "{\"type\":\"interval\",\"every\":1,\"unit\":\"hours\","
                                       "\"catchup\":\"skip\"}");
        sched_state st = {.anchor = t0};
        assert_int_equal(simulate(s, &st, t0, t0 + 3 * 3600, 10, runs, 16, NULL), 3);
        /* down from 13:00:10 until the next day 13:20 */
        int64_t back = t0 + 27 * 3600 + 1200;
        catchups = 0;
        int n = simulate(s, &st, back, back + 2 * 3600, 10, runs, 16, &catchups);
        if (pol == 0) {
            assert_int_equal(n, 3); /* 13:20 catch-up, then 14:00 and 15:00 */
            assert_int_equal(catchups, 1);
            assert_true(runs[0] == back);
            assert_true(runs[1] == t0 + 28 * 3600 && runs[2] == t0 + 29 * 3600);
        } else {
            assert_int_equal(n, 2); /* 14:00 and 15:00 only */
            assert_int_equal(catchups, 0);
            assert_true(runs[0] == t0 + 28 * 3600);
        }
        assert_int_equal(st.run_count, 3 + n);
        schedule_free(s);
    }
}

static void test_skip_grace(void **state)
{
    (void)state;
    schedule *s = parse("{\"type\":\"interval\",\"every\":1,\"unit\":\"hours\","
                        "\"catchup\":\"skip\",\"grace_seconds\":60}");
    int64_t t0 = t("2024-05-01T10:00Z");
    sched_state st = {.anchor = t0};
    sched_due d = schedule_due(s, &st, t0 + 3600 + 59); /* 59 s late: still on time */
    assert_true(d.run && !d.catchup && d.scheduled == t0 + 3600);
    d = schedule_due(s, &st, t0 + 3600 + 60); /* a minute late: missed */
    assert_false(d.run);
    assert_true(d.has_next && d.next == t0 + 7200);
    /* "once" runs it, marked as a catch-up */
    schedule *o = parse("{\"type\":\"interval\",\"every\":1,\"unit\":\"hours\"}");
    d = schedule_due(o, &st, t0 + 3600 + 60);
    assert_true(d.run && d.catchup && d.scheduled == t0 + 3600);
    schedule_free(o);
    schedule_free(s);
}

/* ---------- crontab ---------- */

static void test_cron_schedule(void **state)
{
    (void)state;
    schedule *s =
        parse("{\"type\":\"cron\",\"cron\":\"0 * * * *\",\"timezone\":\"Asia/Shanghai\"}");
    int64_t t0 = t("2024-05-01T00:00+08:00"), runs[64];
    sched_state st = {.anchor = t0 - 1};
    int n = simulate(s, &st, t0, t0 + 86400 - 1, 30, runs, 64, NULL);
    assert_int_equal(n, 24);
    for (int i = 0; i < n; i++)
        assert_true(runs[i] == t0 + 3600 * i);
    /* down for a day: once -> one catch-up, skip -> none */
    int64_t back = t0 + 2 * 86400 + 1800;
    int catchups = 0;
    sched_state st2 = st;
    n = simulate(s, &st, back, back + 3599, 30, runs, 64, &catchups);
    assert_int_equal(n, 2);
    assert_int_equal(catchups, 1);
    assert_true(runs[0] == back && runs[1] == t0 + 2 * 86400 + 3600);
    schedule_free(s);
    s = parse("{\"type\":\"cron\",\"cron\":\"0 * * * *\",\"timezone\":\"Asia/Shanghai\","
              "\"catchup\":\"skip\"}");
    n = simulate(s, &st2, back, back + 3599, 30, runs, 64, NULL);
    assert_int_equal(n, 1);
    assert_true(runs[0] == t0 + 2 * 86400 + 3600);
    schedule_free(s);
}

static void test_cron_dst_days(void **state)
{
    (void)state;
    schedule *s = parse(
        "{\"type\":\"cron\",\"cron\":\"*/30 * * * *\",\"timezone\":\"America/New_York\"}");
    int64_t runs[64];
    /* spring forward: a 23-hour day, 46 runs */
    int64_t d0 = t("2024-03-10T00:00-05:00"), d1 = t("2024-03-11T00:00-04:00");
    sched_state st = {.anchor = d0 - 1};
    assert_int_equal(simulate(s, &st, d0, d1 - 1, 60, runs, 64, NULL), 46);
    assert_true(runs[3] == t("2024-03-10T01:30-05:00") && runs[4] == t("2024-03-10T03:00-04:00"));
    /* fall back: a 25-hour day, the repeated hour once: 48 runs */
    d0 = t("2024-11-03T00:00-04:00");
    d1 = t("2024-11-04T00:00-05:00");
    st = (sched_state){.anchor = d0 - 1};
    assert_int_equal(simulate(s, &st, d0, d1 - 1, 60, runs, 64, NULL), 48);
    assert_true(runs[3] == t("2024-11-03T01:30-04:00") && runs[4] == t("2024-11-03T02:00-05:00"));
    schedule_free(s);

    s = parse("{\"type\":\"cron\",\"cron\":\"30 2 * * *\",\"timezone\":\"America/New_York\"}");
    st = (sched_state){.anchor = t("2024-03-09T00:00-05:00")};
    assert_int_equal(simulate(s, &st, st.anchor, t("2024-03-12T12:00-04:00"), 60, runs, 64,
                              NULL), 4); /* every day; the 10th's 02:30 does not exist */
    assert_true(runs[1] == t("2024-03-10T03:00-04:00"));
    assert_true(runs[2] == t("2024-03-11T02:30-04:00"));
    schedule_free(s);
}

/* ---------- common ---------- */

static void test_expiry(void **state)
{
    (void)state;
    int64_t t0 = t("2024-05-01T10:00Z"), runs[32];
    char buf[160];
    snprintf(buf, sizeof buf,
             "{\"type\":\"interval\",\"every\":1,\"unit\":\"minutes\",\"expires_at\":%lld}",
             (long long)(t0 + 600));
    schedule *s = parse(buf);
    sched_state st = {.anchor = t0};
    assert_int_equal(simulate(s, &st, t0, t0 + 3600, 1, runs, 32, NULL), 9); /* 10:01-10:09 */
    assert_true(runs[8] == t0 + 540);
    sched_due d = schedule_due(s, &st, t0 + 540);
    assert_false(d.has_next); /* 10:10 is the expiry itself */
    d = schedule_due(s, &st, t0 + 600);
    assert_false(d.run || d.has_next);
    /* expired while down: no catch-up */
    st = (sched_state){.anchor = t0};
    assert_false(schedule_due(s, &st, t0 + 7200).run);
    int64_t next;
    assert_false(schedule_next_run(s, &st, t0 + 7200, &next));
    schedule_free(s);
}

static void test_disabled(void **state)
{
    (void)state;
    schedule *s = parse("{\"type\":\"interval\",\"every\":1,\"unit\":\"seconds\","
                        "\"enabled\":false}");
    int64_t t0 = t("2024-05-01T10:00Z"), next;
    sched_state st = {.anchor = t0 - 86400};
    assert_int_equal(simulate(s, &st, t0, t0 + 3600, 1, NULL, 0, NULL), 0);
    sched_due d = schedule_due(s, &st, t0);
    assert_false(d.run || d.has_next);
    assert_false(schedule_next_run(s, &st, t0, &next));
    assert_int_equal(st.run_count, 0);
    schedule_free(s);
}

/* Saving an edit moves the anchor: no burst for times before the edit,
 * and a clock that steps back never repeats a run. */
static void test_anchor_and_clock(void **state)
{
    (void)state;
    schedule *s = parse("{\"type\":\"cron\",\"cron\":\"*/10 * * * *\"}");
    int64_t t0 = t("2024-05-01T10:00Z");
    sched_state st = {.anchor = t0 - 30 * 86400, .has_last_run = true,
                      .last_run = t0 - 20 * 86400, .run_count = 5};
    st.anchor = t0 + 5; /* edited just now */
    sched_due d = schedule_due(s, &st, t0 + 5);
    assert_false(d.run);
    assert_true(d.next == t0 + 600);
    /* clock stepped back after a run */
    st = (sched_state){.anchor = t0 - 86400};
    assert_true(schedule_due(s, &st, t0).run);
    schedule_record_run(&st, t0);
    assert_false(schedule_due(s, &st, t0 - 300).run);
    assert_false(schedule_due(s, &st, t0 + 599).run);
    assert_true(schedule_due(s, &st, t0 + 600).run);
    /* run_count saturates */
    st.run_count = INT64_MAX;
    schedule_record_run(&st, t0 + 600);
    assert_true(st.run_count == INT64_MAX);
    schedule_free(s);
}

static void test_next_run_and_upcoming(void **state)
{
    (void)state;
    schedule *s = parse(
        "{\"type\":\"cron\",\"cron\":\"0 9 * * MON-FRI\",\"timezone\":\"Asia/Shanghai\"}");
    int64_t now = t("2024-05-03T12:00+08:00"), out[8], next; /* a Friday */
    sched_state st = {.anchor = now};
    assert_int_equal(schedule_upcoming(s, &st, now, out, 5), 5);
    assert_true(out[0] == t("2024-05-06T09:00+08:00"));
    assert_true(out[4] == t("2024-05-10T09:00+08:00"));
    assert_true(schedule_next_run(s, &st, now, &next) && next == out[0]);
    /* overdue: the next run is now */
    assert_true(schedule_next_run(s, &st, out[1] + 5, &next) && next == out[1] + 5);
    schedule_free(s);

    char buf[200];
    snprintf(buf, sizeof buf,
             "{\"type\":\"interval\",\"every\":2,\"unit\":\"days\",\"expires_at\":%lld}",
             (long long)(now + 5 * 86400));
    s = parse(buf);
    assert_int_equal(schedule_upcoming(s, &st, now, out, 8), 2);
    assert_true(out[0] == now + 2 * 86400 && out[1] == now + 4 * 86400);
    schedule_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_interval),
        cmocka_unit_test(test_parse_cron),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_interval_due),
        cmocka_unit_test(test_interval_start),
        cmocka_unit_test(test_interval_counts),
        cmocka_unit_test(test_interval_missed),
        cmocka_unit_test(test_skip_grace),
        cmocka_unit_test(test_cron_schedule),
        cmocka_unit_test(test_cron_dst_days),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_anchor_and_clock),
        cmocka_unit_test(test_next_run_and_upcoming),
    };
    return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
