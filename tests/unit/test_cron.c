/* test_cron.c -- cmocka tests of crontab parsing, time zones and next-run
 * search (src/jobs/cron.h).
 *
 * Times are written as RFC 3339 strings with their local offset
 * ("2024-03-10T03:00-04:00") so each expectation reads as wall-clock time;
 * t() turns them into Unix seconds. Sequences are checked by calling
 * cron_next() repeatedly from a start instant. The zone tests compare this
 * module's offsets with glibc's localtime_r for hundreds of thousands of
 * instants (this test is single-threaded, so setting TZ here is safe), and
 * a thread test shares one loaded zone between threads.
 * Needs tzdata (/usr/share/zoneinfo).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs/cron.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    } else if (*s != 'Z') {
        fail_msg("bad zone %s", s);
    }
    int64_t off = (oh * 3600 + om * 60) * (sign == '-' ? -1 : 1);
    return cron_civil_to_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
}

static void fmt(char *buf, size_t cap, int64_t u)
{
    int64_t y;
    int m, d;
    int64_t days = u >= 0 ? u / 86400 : -((-u + 86399) / 86400);
    int64_t r = u - days * 86400;
    cron_days_to_civil(days, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ", (long long)y, m, d,
             (long long)(r / 3600), (long long)(r / 60 % 60), (long long)(r % 60));
}

static cron_tz *zone(const char *name)
{
    char err[CRON_ERR_MAX];
    cron_tz *tz = NULL;
    if (cron_tz_load(name, &tz, err, sizeof err) != CRON_OK)
        fail_msg("load %s: %s", name, err);
    return tz;
}

static cron_expr parse_ok(const char *text)
{
    cron_expr e;
    char err[CRON_ERR_MAX] = "";
    if (cron_parse(text, &e, err, sizeof err) != CRON_OK)
        fail_msg("'%s' refused: %s", text, err);
    return e;
}

/* cron_next from `from`, n times, each compared with want[i]. */
static void seq(const char *expr, const char *zname, const char *from, const char *const *want)
{
    cron_expr e = parse_ok(expr);
    cron_tz *tz = zone(zname);
    int64_t at = t(from), next;
    char got[40], exp[40];
    for (size_t i = 0; want[i]; i++) {
        if (cron_next(&e, tz, at, &next) != CRON_OK)
            fail_msg("%s [%s] #%zu: no next time, wanted %s", expr, zname, i, want[i]);
        if (next != t(want[i])) {
            fmt(got, sizeof got, next);
            fmt(exp, sizeof exp, t(want[i]));
            fail_msg("%s [%s] #%zu after %s: got %s, want %s (%s)", expr, zname, i, from, got,
                     exp, want[i]);
        }
        at = next;
    }
    cron_tz_free(tz);
}

#define SEQ(expr, zone_, from, ...)                                                            \
    do {                                                                                       \
        static const char *const w_[] = {__VA_ARGS__, NULL};                                   \
        seq(expr, zone_, from, w_);                                                            \
    } while (0)

/* ---------- parser ---------- */

static void test_parse_fields(void **state)
{
    (void)state;
    cron_expr e = parse_ok("* * * * *");
    assert_true(e.minutes == 0x0FFFFFFFFFFFFFFFULL);
    assert_true(e.hours == 0xFFFFFFu);
    assert_true(e.mdays == 0xFFFFFFFEu);
    assert_true(e.months == 0x1FFEu);
    assert_true(e.wdays == 0x7Fu);
    assert_int_equal(e.flags, CRON_DOM_STAR | CRON_DOW_STAR);

    e = parse_ok("1-5 1,3,5 */10 */5 *");
    assert_true(e.minutes == 0x3EULL);
    assert_true(e.hours == ((1u << 1) | (1u << 3) | (1u << 5)));
    assert_true(e.mdays == ((1u << 1) | (1u << 11) | (1u << 21) | (1u << 31)));
    assert_true(e.months == ((1u << 1) | (1u << 6) | (1u << 11)));
    assert_int_equal(e.flags, CRON_DOM_STAR | CRON_DOW_STAR);

    e = parse_ok("10-50/10 */15 5/10 1 1");
    assert_true(e.minutes ==
                ((1ULL << 10) | (1ULL << 20) | (1ULL << 30) | (1ULL << 40) | (1ULL << 50)));
    assert_true(e.hours == ((1u << 0) | (1u << 15)));
    assert_true(e.mdays == ((1u << 5) | (1u << 15) | (1u << 25))); /* N/S = N-max/S */
    assert_int_equal(e.flags, 0);

    e = parse_ok("0,59 0,23 1,31 1,12 0,6");
    assert_true(e.minutes == ((1ULL << 0) | (1ULL << 59)));
    assert_true(e.hours == ((1u << 0) | (1u << 23)));
    assert_true(e.mdays == ((1u << 1) | (1u << 31)));
    assert_true(e.months == ((1u << 1) | (1u << 12)));
    assert_true(e.wdays == ((1u << 0) | (1u << 6)));

    e = parse_ok("  0\t12  * *   *\n"); /* any blank run separates fields */
    assert_true(e.minutes == 1 && e.hours == (1u << 12));
    e = parse_ok("1-3,7,20-40/10 * * * *");
    assert_true(e.minutes == (0xEULL | (1ULL << 7) | (1ULL << 20) | (1ULL << 30) | (1ULL << 40)));
}

static void test_parse_names(void **state)
{
    (void)state;
    cron_expr e = parse_ok("0 0 * JAN-MAR MON-FRI");
    assert_true(e.months == 0xEu);
    assert_true(e.wdays == 0x3Eu);
    e = parse_ok("0 0 * jan,Jun,DEC sun,Sat");
    assert_true(e.months == ((1u << 1) | (1u << 6) | (1u << 12)));
    assert_true(e.wdays == ((1u << 0) | (1u << 6)));
    e = parse_ok("0 0 * FEB-nov/3 tue-sat"); /* names in ranges and steps */
    assert_true(e.months == ((1u << 2) | (1u << 5) | (1u << 8) | (1u << 11)));
    e = parse_ok("0 0 * * 7");
    assert_true(e.wdays == 1u);
    e = parse_ok("0 0 * * 5-7");
    assert_true(e.wdays == ((1u << 5) | (1u << 6) | 1u));
    e = parse_ok("0 0 * * 0,7");
    assert_true(e.wdays == 1u);
    e = parse_ok("0 0 * * 1-7");
    assert_true(e.wdays == 0x7Fu);
    e = parse_ok("0 0 * * */2");
    assert_true(e.wdays == ((1u << 0) | (1u << 2) | (1u << 4) | (1u << 6)));
    e = parse_ok("0 0 * * */7");
    assert_true(e.wdays == 1u);
    e = parse_ok("0 0 * Jul-Aug 2-FRI");
    assert_true(e.months == ((1u << 7) | (1u << 8)) && e.wdays == 0x3Cu);
}

static void test_parse_macros(void **state)
{
    (void)state;
    static const char *const m[][2] = {
        {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},  {"@DAILY", "0 0 * * *"},    {" @Hourly\t", "0 * * * *"},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        cron_expr a = parse_ok(m[i][0]), b = parse_ok(m[i][1]);
        assert_memory_equal(&a, &b, sizeof a);
    }
}

static void test_flags(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("0 0 */2 * MON").flags, CRON_DOM_STAR);
    assert_int_equal(parse_ok("0 0 1 * *").flags, CRON_DOW_STAR);
    assert_int_equal(parse_ok("0 0 1-31 * 0-7").flags, 0);
}

static void expect_error(const char *text, cron_status code, const char *msg)
{
    cron_expr e;
    char err[CRON_ERR_MAX] = "";
    cron_status rc = cron_parse(text, &e, err, sizeof err);
    if (rc != code || strcmp(err, msg) != 0)
        fail_msg("'%s': got %d \"%s\", want %d \"%s\"", text, rc, err, code, msg);
}

static void test_parse_errors(void **state)
{
    (void)state;
    char big[CRON_TEXT_MAX + 2];
    expect_error("", CRON_E_FIELDS, "expression is empty");
    expect_error(" \t ", CRON_E_FIELDS, "expression is empty");
    expect_error(NULL, CRON_E_FIELDS, "expression is empty");
    expect_error("* * * * * *", CRON_E_FIELDS, "expected 5 fields, got 6");
    expect_error("* * * *", CRON_E_FIELDS, "expected 5 fields, got 4");
    expect_error("0 24 * * *", CRON_E_RANGE, "hour: 24 is out of range 0-23");
    expect_error("60 * * * *", CRON_E_RANGE, "minute: 60 is out of range 0-59");
    expect_error("0 0 0 * *", CRON_E_RANGE, "day of month: 0 is out of range 1-31");
    expect_error("0 0 32 * *", CRON_E_RANGE, "day of month: 32 is out of range 1-31");
    expect_error("0 0 * 13 *", CRON_E_RANGE, "month: 13 is out of range 1-12");
    expect_error("0 0 * 0 *", CRON_E_RANGE, "month: 0 is out of range 1-12");
    expect_error("0 0 * * 8", CRON_E_RANGE, "day of week: 8 is out of range 0-7");
    expect_error("0 0-24 * * *", CRON_E_RANGE, "hour: 24 is out of range 0-23");
    expect_error("99999999999 * * * *", CRON_E_RANGE,
                 "minute: 99999999999 is out of range 0-59");
    expect_error("0 0 * * FUNDAY", CRON_E_NAME, "day of week: unknown name FUNDAY");
    expect_error("0 0 * * MONDAY", CRON_E_NAME, "day of week: unknown name MONDAY");
    expect_error("0 0 * FOO *", CRON_E_NAME, "month: unknown name FOO");
    expect_error("0 0 * MON *", CRON_E_NAME, "month: unknown name MON");
    expect_error("MON * * * *", CRON_E_SYNTAX, "minute: MON is not a number");
    expect_error("5x * * * *", CRON_E_SYNTAX, "minute: 5x is not a number");
    expect_error("0 0 L * *", CRON_E_SYNTAX, "day of month: L is not a number");
    expect_error("0 0 ? * *", CRON_E_SYNTAX, "day of month: unexpected '?' in '?'");
    expect_error("1,,2 * * * *", CRON_E_SYNTAX, "minute: empty item in list '1,,2'");
    expect_error("1, * * * *", CRON_E_SYNTAX, "minute: empty item in list '1,'");
    expect_error("1- * * * *", CRON_E_SYNTAX, "minute: missing value in '1-'");
    expect_error("-1 * * * *", CRON_E_SYNTAX, "minute: unexpected '-' in '-1'");
    expect_error("*/0 * * * *", CRON_E_RANGE, "minute: step 0 is out of range 1-60");
    expect_error("*/61 * * * *", CRON_E_RANGE, "minute: step 61 is out of range 1-60");
    expect_error("0 0 * * */9", CRON_E_RANGE, "day of week: step 9 is out of range 1-8");
    expect_error("*/ * * * *", CRON_E_SYNTAX, "minute: missing step after '/' in '*/'");
    expect_error("*/x * * * *", CRON_E_SYNTAX, "minute: missing step after '/' in '*/x'");
    expect_error("0 20-5 * * *", CRON_E_RANGE, "hour: range 20-5 is backwards");
    expect_error("0 0 * * FRI-MON", CRON_E_RANGE, "day of week: range FRI-MON is backwards");
    expect_error("1#2 * * * *", CRON_E_SYNTAX, "minute: unexpected '#' in '1#2'");
    expect_error("** * * * *", CRON_E_SYNTAX, "minute: unexpected '*' in '**'");
    expect_error("1-2-3 * * * *", CRON_E_SYNTAX, "minute: unexpected '-' in '1-2-3'");
    expect_error("*/5/2 * * * *", CRON_E_SYNTAX, "minute: unexpected '/' in '*/5/2'");
    expect_error("0 0 * * \xe5\x91\xa8\xe4\xb8\x80", CRON_E_SYNTAX,
                 "day of week: unexpected '?' in '\?\?\?\?\?\?'");
    expect_error("0,1,2,3,4,5,6,7,8,9,10,11,,12 * * * *", CRON_E_SYNTAX,
                 "minute: empty item in list '0,1,2,3,4,5,6,7,8,9,10,1...'");
    expect_error("@daily 0", CRON_E_FIELDS, "@daily must stand alone, got 2 fields");
    expect_error("@reboot", CRON_E_FIELDS, "@reboot is not supported: schedules run by the clock");
    expect_error("@often", CRON_E_FIELDS, "unknown macro @often");
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_error(big, CRON_E_FIELDS, "expression is longer than 1024 bytes");

    /* a short buffer is cut but stays terminated; NULL buffer is fine */
    cron_expr e;
    char small[8];
    assert_int_equal(cron_parse("0 24 * * *", &e, small, sizeof small), CRON_E_RANGE);
    assert_string_equal(small, "hour: 2");
    assert_int_equal(cron_parse("0 24 * * *", &e, NULL, 0), CRON_E_RANGE);
}

static void test_possible(void **state)
{
    (void)state;
    char err[CRON_ERR_MAX] = "";
    cron_expr e = parse_ok("0 0 30 2 *");
    int64_t next;
    assert_int_equal(cron_possible(&e, err, sizeof err), CRON_E_NEVER);
    assert_string_equal(err, "day of month: 30 never occurs in February");
    clock_t c0 = clock();
    assert_int_equal(cron_next(&e, NULL, t("2024-01-01T00:00Z"), &next), CRON_E_NEVER);
    double ms = (double)(clock() - c0) * 1000.0 / CLOCKS_PER_SEC;
    assert_true(ms < 200.0); /* bounded: about 1 ms without sanitizers */

    e = parse_ok("0 0 31 4,6,9,11 *");
    assert_int_equal(cron_possible(&e, err, sizeof err), CRON_E_NEVER);
    assert_string_equal(err, "day of month: none of the days occurs in the months chosen");
    assert_int_equal(cron_next(&e, NULL, 0, &next), CRON_E_NEVER);

    e = parse_ok("0 0 31 2 */7"); /* AND (day of week starts with *) */
    assert_int_equal(cron_possible(&e, err, sizeof err), CRON_E_NEVER);

    static const char *const ok[] = {"0 0 29 2 *", "0 0 30 2 MON", "0 0 31 * *",
                                     "0 0 29 2 */7", "0 0 31 1-2 *", "* * * * *"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        e = parse_ok(ok[i]);
        assert_int_equal(cron_possible(&e, err, sizeof err), CRON_OK);
        assert_int_equal(cron_next(&e, NULL, 0, &next), CRON_OK);
    }
}

/* ---------- next run, UTC ---------- */

static void test_next_basic(void **state)
{
    (void)state;
    SEQ("*/15 * * * *", "UTC", "2024-05-01T10:07Z", "2024-05-01T10:15Z", "2024-05-01T10:30Z",
        "2024-05-01T10:45Z", "2024-05-01T11:00Z");
    /* strictly after: from an exact match, the following one */
    SEQ("*/15 * * * *", "UTC", "2024-05-01T10:15Z", "2024-05-01T10:30Z");
    SEQ("*/15 * * * *", "UTC", "2024-05-01T10:14:59Z", "2024-05-01T10:15Z");
    SEQ("* * * * *", "UTC", "2024-12-31T23:59:30Z", "2025-01-01T00:00Z", "2025-01-01T00:01Z");
    SEQ("10-50/20 8-9 * * *", "UTC", "2024-05-01T00:00Z", "2024-05-01T08:10Z",
        "2024-05-01T08:30Z", "2024-05-01T08:50Z", "2024-05-01T09:10Z", "2024-05-01T09:30Z",
        "2024-05-01T09:50Z", "2024-05-02T08:10Z");
    SEQ("@yearly", "UTC", "2024-06-01T00:00Z", "2025-01-01T00:00Z", "2026-01-01T00:00Z");
    SEQ("@monthly", "UTC", "2024-01-15T00:00Z", "2024-02-01T00:00Z", "2024-03-01T00:00Z");
    SEQ("@weekly", "UTC", "2024-05-01T00:00Z", "2024-05-05T00:00Z", "2024-05-12T00:00Z");
    SEQ("@hourly", "UTC", "2024-05-01T23:30Z", "2024-05-02T00:00Z");
    SEQ("0 12 * * MON-FRI", "UTC", "2024-05-03T13:00Z", "2024-05-06T12:00Z",
        "2024-05-07T12:00Z");
    SEQ("0 0 * * 7", "UTC", "2024-05-01T00:00Z", "2024-05-05T00:00Z");
    SEQ("0 0 1 JAN,JUL *", "UTC", "2024-02-01T00:00Z", "2024-07-01T00:00Z",
        "2025-01-01T00:00Z");
    /* before 1970 */
    SEQ("0 0 1 1 *", "UTC", "1900-06-01T00:00Z", "1901-01-01T00:00Z");
}

static void test_month_lengths(void **state)
{
    (void)state;
    SEQ("0 0 31 * *", "UTC", "2024-01-31T00:00Z", "2024-03-31T00:00Z", "2024-05-31T00:00Z",
        "2024-07-31T00:00Z", "2024-08-31T00:00Z", "2024-10-31T00:00Z", "2024-12-31T00:00Z",
        "2025-01-31T00:00Z");
    SEQ("0 0 30 * *", "UTC", "2023-01-30T00:00Z", "2023-03-30T00:00Z", "2023-04-30T00:00Z");
    SEQ("0 0 29 * *", "UTC", "2023-01-29T00:00Z", "2023-03-29T00:00Z");
    SEQ("0 0 29 * *", "UTC", "2024-01-29T00:00Z", "2024-02-29T00:00Z");
}

static void test_leap_day(void **state)
{
    (void)state;
    SEQ("0 0 29 2 *", "UTC", "2023-01-01T00:00Z", "2024-02-29T00:00Z", "2028-02-29T00:00Z",
        "2032-02-29T00:00Z");
    /* 2100 is not a leap year: eight years from 2096 to 2104 */
    SEQ("0 0 29 2 *", "UTC", "2096-03-01T00:00Z", "2104-02-29T00:00Z");
    /* 2000 is */
    SEQ("0 0 29 2 *", "UTC", "1997-01-01T00:00Z", "2000-02-29T00:00Z");
    /* Feb 29 on a Sunday, AND rule: up to 40 years apart */
    SEQ("0 0 29 2 */7", "UTC", "2004-03-01T00:00Z", "2032-02-29T00:00Z", "2060-02-29T00:00Z",
        "2088-02-29T00:00Z", "2128-02-29T00:00Z");
}

static void test_vixie_day_rule(void **state)
{
    (void)state;
    /* both restricted: the 1st OR any Monday (2024-01-01 is a Monday) */
    SEQ("0 0 1 * MON", "UTC", "2023-12-31T12:00Z", "2024-01-01T00:00Z", "2024-01-08T00:00Z",
        "2024-01-15T00:00Z", "2024-01-22T00:00Z", "2024-01-29T00:00Z", "2024-02-01T00:00Z",
        "2024-02-05T00:00Z");
    SEQ("0 0 13 * FRI", "UTC", "2024-09-01T00:00Z", "2024-09-06T00:00Z", "2024-09-13T00:00Z",
        "2024-09-20T00:00Z", "2024-09-27T00:00Z", "2024-10-04T00:00Z", "2024-10-11T00:00Z",
        "2024-10-13T00:00Z");
    /* day of month starts with '*': AND -- odd days that are Mondays */
    SEQ("0 0 */2 * MON", "UTC", "2023-12-31T12:00Z", "2024-01-01T00:00Z", "2024-01-15T00:00Z",
        "2024-01-29T00:00Z", "2024-02-05T00:00Z");
    /* day of week '*': only day of month counts */
    SEQ("0 0 13 * *", "UTC", "2024-09-01T00:00Z", "2024-09-13T00:00Z", "2024-10-13T00:00Z");
    /* day of month '*': only day of week counts */
    SEQ("0 0 * * FRI", "UTC", "2024-09-01T00:00Z", "2024-09-06T00:00Z", "2024-09-13T00:00Z");
    cron_expr e = parse_ok("0 0 1 * MON");
    assert_true(cron_matches(&e, 2, 1, 4, 0, 0));  /* Thu 1st */
    assert_true(cron_matches(&e, 2, 5, 1, 0, 0));  /* Mon 5th */
    assert_false(cron_matches(&e, 2, 6, 2, 0, 0)); /* Tue 6th */
    assert_false(cron_matches(&e, 2, 5, 1, 0, 1)); /* wrong minute */
    assert_false(cron_matches(&e, 13, 5, 1, 0, 0));
}

/* ---------- next run, time zones ---------- */

static void test_new_york_spring_forward(void **state)
{
    (void)state;
    /* 2024-03-10 02:00 EST -> 03:00 EDT: 02:30 does not exist that day, so
     * it runs when the gap ends */
    SEQ("30 2 * * *", "America/New_York", "2024-03-09T02:00-05:00", "2024-03-09T02:30-05:00",
        "2024-03-10T03:00-04:00", "2024-03-11T02:30-04:00");
    /* several times in the gap run once, and not again at 03:00 */
    SEQ("*/20 2,3 * * *", "America/New_York", "2024-03-10T01:00-05:00",
        "2024-03-10T03:00-04:00", "2024-03-10T03:20-04:00", "2024-03-10T03:40-04:00",
        "2024-03-11T02:00-04:00");
    SEQ("*/30 * * * *", "America/New_York", "2024-03-10T01:00-05:00", "2024-03-10T01:30-05:00",
        "2024-03-10T03:00-04:00", "2024-03-10T03:30-04:00");
    SEQ("0 * * * *", "America/New_York", "2024-03-10T00:30-05:00", "2024-03-10T01:00-05:00",
        "2024-03-10T03:00-04:00", "2024-03-10T04:00-04:00");
    SEQ("0 12 * * *", "America/New_York", "2024-03-08T13:00-05:00", "2024-03-09T12:00-05:00",
        "2024-03-10T12:00-04:00", "2024-03-11T12:00-04:00");
    /* past the transition table (2037): the POSIX rule of the file's footer */
    SEQ("30 2 * * *", "America/New_York", "2040-03-10T03:00-05:00", "2040-03-11T03:00-04:00",
        "2040-03-12T02:30-04:00");
    SEQ("30 2 * * *", "America/New_York", "2099-03-07T03:00-05:00", "2099-03-08T03:00-04:00",
        "2099-03-09T02:30-04:00");
}

static void test_new_york_fall_back(void **state)
{
    (void)state;
    /* 2024-11-03 02:00 EDT -> 01:00 EST: 01:xx happens twice, runs once */
    SEQ("0 * * * *", "America/New_York", "2024-11-03T00:30-04:00", "2024-11-03T01:00-04:00",
        "2024-11-03T02:00-05:00", "2024-11-03T03:00-05:00");
    SEQ("30 1 * * *", "America/New_York", "2024-11-02T12:00-04:00", "2024-11-03T01:30-04:00",
        "2024-11-04T01:30-05:00");
    /* from inside the second 01:xx: not again that day */
    SEQ("30 1 * * *", "America/New_York", "2024-11-03T01:10-05:00", "2024-11-04T01:30-05:00");
    SEQ("*/15 1 * * *", "America/New_York", "2024-11-03T00:00-04:00", "2024-11-03T01:00-04:00",
        "2024-11-03T01:15-04:00", "2024-11-03T01:30-04:00", "2024-11-03T01:45-04:00",
        "2024-11-04T01:00-05:00");
    SEQ("0 0 * * *", "America/New_York", "2024-11-02T12:00-04:00", "2024-11-03T00:00-04:00",
        "2024-11-04T00:00-05:00");
    SEQ("30 1 * * *", "America/New_York", "2050-11-06T00:00-04:00", "2050-11-06T01:30-04:00",
        "2050-11-07T01:30-05:00");
}

static void test_berlin(void **state)
{
    (void)state;
    /* 2024-03-31 02:00 CET -> 03:00 CEST; 2024-10-27 03:00 CEST -> 02:00 CET */
    SEQ("30 2 * * *", "Europe/Berlin", "2024-03-30T03:00+01:00", "2024-03-31T03:00+02:00",
        "2024-04-01T02:30+02:00");
    /* only on a 29 March that is a Sunday, which in Berlin is always the
     * spring-forward day: it still runs, at 03:00 (found by the fuzzer) */
    SEQ("01 02 29 3 */7", "Europe/Berlin", "2025-01-01T00:00Z", "2026-03-29T03:00+02:00",
        "2037-03-29T03:00+02:00");
    SEQ("0 */1 31 3 *", "Europe/Berlin", "2024-03-31T00:30+01:00", "2024-03-31T01:00+01:00",
        "2024-03-31T03:00+02:00", "2024-03-31T04:00+02:00");
    SEQ("30 2 * * *", "Europe/Berlin", "2024-10-26T12:00+02:00", "2024-10-27T02:30+02:00",
        "2024-10-28T02:30+01:00");
    SEQ("0 9 * * MON-FRI", "Europe/Berlin", "2024-03-29T12:00+01:00", "2024-04-01T09:00+02:00");
    SEQ("30 2 * * *", "Europe/Berlin", "2060-03-27T12:00+01:00", "2060-03-28T03:00+02:00",
        "2060-03-29T02:30+02:00");
}

static void test_shanghai(void **state)
{
    (void)state;
    /* no DST: 09:00 is always 01:00Z */
    SEQ("0 9 * * *", "Asia/Shanghai", "2024-03-09T12:00+08:00", "2024-03-10T01:00Z",
        "2024-03-11T01:00Z");
    SEQ("0 9 * * *", "Asia/Shanghai", "2024-11-02T12:00+08:00", "2024-11-03T01:00Z",
        "2024-11-04T01:00Z");
    SEQ("0 0 1 * *", "Asia/Shanghai", "2024-01-31T20:00Z", "2024-02-29T16:00Z",
        "2024-03-31T16:00Z");
    SEQ("0 0 29 2 *", "Asia/Shanghai", "2024-03-01T00:00Z", "2028-02-28T16:00Z");
    /* the local day differs from the UTC day */
    SEQ("0 2 * * MON", "Asia/Shanghai", "2024-05-05T12:00Z", "2024-05-05T18:00Z");
}

static void test_other_zones(void **state)
{
    (void)state;
    /* southern hemisphere: Sydney leaves DST 2024-04-07 03:00 -> 02:00 */
    SEQ("30 2 * * *", "Australia/Sydney", "2024-04-06T12:00+11:00", "2024-04-07T02:30+11:00",
        "2024-04-08T02:30+10:00");
    /* and enters it 2024-10-06 02:00 -> 03:00 */
    SEQ("30 2 * * *", "Australia/Sydney", "2024-10-05T12:00+10:00", "2024-10-06T03:00+11:00",
        "2024-10-07T02:30+11:00");
    /* Lord Howe moves by 30 minutes (2024-10-06 02:00 -> 02:30) */
    SEQ("15 2 * * *", "Australia/Lord_Howe", "2024-10-05T12:00+10:30", "2024-10-06T02:30+11:00",
        "2024-10-07T02:15+11:00");
    /* Kathmandu +05:45 */
    SEQ("0 0 * * *", "Asia/Kathmandu", "2024-01-01T00:00Z", "2024-01-01T18:15Z");
    /* Samoa skipped 2011-12-30 entirely: its noon runs when the day ends */
    SEQ("0 12 * * *", "Pacific/Apia", "2011-12-29T12:00-10:00", "2011-12-31T00:00+14:00",
        "2011-12-31T12:00+14:00");
    SEQ("0 0 * * *", "Etc/GMT+5", "2024-01-01T00:00Z", "2024-01-01T05:00Z");
}

static void test_time_range(void **state)
{
    (void)state;
    cron_expr e = parse_ok("* * * * *");
    int64_t next;
    assert_int_equal(cron_next(&e, NULL, CRON_TIME_MAX + 1, &next), CRON_E_TIME);
    assert_int_equal(cron_next(&e, NULL, CRON_TIME_MIN - 1, &next), CRON_E_TIME);
    assert_int_equal(cron_next(&e, NULL, CRON_TIME_MAX, &next), CRON_OK);
    assert_true(next == CRON_TIME_MAX + 1);
    assert_int_equal(cron_next(&e, NULL, CRON_TIME_MIN, &next), CRON_OK);
    assert_true(next == CRON_TIME_MIN + 60);
    cron_expr empty = {0};
    assert_int_equal(cron_next(&empty, NULL, 0, &next), CRON_E_NEVER);
}

/* ---------- zones themselves ---------- */

static void test_tz_names(void **state)
{
    (void)state;
    static const char *const good[] = {"UTC", "Asia/Shanghai", "Etc/GMT+5", "Etc/GMT-14",
                                       "America/Argentina/Buenos_Aires", "EST5EDT"};
    static const char *const bad[] = {"", "../etc/passwd", "/etc/passwd", "Asia/../../etc",
                                      "..", "Asia//Shanghai", "Asia/Shanghai/", "a b",
                                      "Asia/Shang.hai", "Asia/Shanghai\n", "C:\\zone",
                                      "0123456789012345678901234567890123456789"
                                      "0123456789012345678901234"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(cron_tz_name_ok(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cron_tz_name_ok(bad[i]));
    assert_false(cron_tz_name_ok(NULL));
}

static void expect_tz_error(const char *name, const char *msg)
{
    char err[CRON_ERR_MAX] = "";
    cron_tz *tz = (cron_tz *)1;
    cron_status rc = cron_tz_load(name, &tz, err, sizeof err);
    if (rc != CRON_E_TZ || tz != NULL || strcmp(err, msg) != 0)
        fail_msg("%s: got %d \"%s\", want \"%s\"", name, rc, err, msg);
}

static void test_tz_load_errors(void **state)
{
    (void)state;
    const char *inv = "invalid time zone name: use letters, digits and _ + - / only, like "
                      "Asia/Shanghai";
    expect_tz_error("Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'");
    expect_tz_error("America", "unknown time zone 'America'");
    expect_tz_error("../../etc/passwd", inv);
    expect_tz_error("/etc/localtime", inv);
    expect_tz_error("zone.tab", inv);
    expect_tz_error("leapseconds", "time zone 'leapseconds': not a TZif file");
    expect_tz_error("right/UTC",
                    "time zone 'right/UTC': zones with leap seconds are not supported");
    cron_tz *tz = zone("UTC");
    assert_string_equal(cron_tz_name(tz), "UTC");
    assert_int_equal(cron_tz_offset(tz, 1700000000, NULL), 0);
    cron_tz_free(tz);
    cron_tz_free(NULL);
    assert_string_equal(cron_tz_name(NULL), "UTC");
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(1 << 16);
    assert_non_null(f);
    assert_non_null(buf);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

/* Every truncation and many single-byte corruptions of a real file are
 * refused or loaded without a memory error (ASan watches). */
static void test_tzif_damage(void **state)
{
    (void)state;
    size_t len;
    unsigned char *buf = slurp(CRON_TZDIR "/America/New_York", &len);
    unsigned char *copy = malloc(len);
    char err[CRON_ERR_MAX];
    cron_tz *tz;
    int64_t next;
    cron_expr e = parse_ok("*/7 * * * *");
    assert_non_null(copy);
    for (size_t n = 0; n < len; n++) {
        memcpy(copy, buf, n); /* exactly n bytes, so ASan sees overreads */
        if (cron_tz_from_tzif("X", copy, n, &tz, err, sizeof err) == CRON_OK) {
            assert_int_equal(cron_next(&e, tz, 1700000000, &next), CRON_OK);
            cron_tz_free(tz);
        }
    }
    srand(7);
    for (int i = 0; i < 20000; i++) {
        memcpy(copy, buf, len);
        for (int k = 0; k < 3; k++)
            copy[(size_t)rand() % len] = (unsigned char)rand();
        if (cron_tz_from_tzif("X", copy, len, &tz, err, sizeof err) == CRON_OK) {
            (void)cron_next(&e, tz, 1700000000 + i * 7919LL, &next);
            cron_tz_free(tz);
        }
    }
    assert_int_equal(cron_tz_from_tzif("X", (const unsigned char *)"TZif", 4, &tz, err,
                                       sizeof err), CRON_E_TZ);
    assert_string_equal(err, "time zone 'X': not a TZif file");
    assert_int_equal(cron_tz_from_tzif("../x", buf, len, &tz, err, sizeof err), CRON_E_TZ);
    assert_int_equal(cron_tz_from_tzif("NY", buf, len, &tz, err, sizeof err), CRON_OK);
    assert_string_equal(cron_tz_name(tz), "NY");
    cron_tz_free(tz);
    free(copy);
    free(buf);
}

/* Offsets and DST flags agree with glibc for 1900-2150 in many zones,
 * both inside the transition table and where the POSIX footer rules. */
static void test_tz_matches_glibc(void **state)
{
    (void)state;
    static const char *const zones[] = {
        "America/New_York", "Europe/Berlin",   "Asia/Shanghai",    "UTC",
        "Australia/Lord_Howe", "Pacific/Apia", "Asia/Kathmandu",   "America/Sao_Paulo",
        "Africa/Casablanca", "Europe/Dublin",  "America/St_Johns", "Antarctica/Troll",
        "Pacific/Chatham",  "America/Santiago", "Asia/Tehran",     "Europe/London",
        "Australia/Sydney", "America/Nuuk",    "Asia/Gaza",        "Europe/Moscow",
        "Pacific/Kiritimati", "America/Los_Angeles"};
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    long mismatches = 0;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        char env[128];
        cron_tz *tz = zone(zones[z]);
        snprintf(env, sizeof env, ":%s", zones[z]);
        setenv("TZ", env, 1);
        tzset();
        srand((unsigned)z + 1);
        for (int i = 0; i < 40000; i++) {
            int64_t u = (int64_t)((double)rand() / RAND_MAX * 7.9e9) - 2208988800LL;
            time_t tt = (time_t)u;
            struct tm tm;
            bool dst;
            localtime_r(&tt, &tm);
            int32_t off = cron_tz_offset(tz, u, &dst);
            if (off != tm.tm_gmtoff || dst != (tm.tm_isdst > 0)) {
                if (mismatches++ < 5)
                    print_message("%s at %lld: %d/%d, glibc %ld/%d\n", zones[z], (long long)u,
                                  off, dst, tm.tm_gmtoff, tm.tm_isdst);
            }
            /* round trip: the local time maps back to an instant showing it */
            int64_t local = u + off, back;
            assert_true(cron_tz_local_to_utc(tz, local, &back));
            assert_true(back <= u);
            assert_int_equal(back + cron_tz_offset(tz, back, NULL), local);
        }
        cron_tz_free(tz);
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(old);
    assert_int_equal(mismatches, 0);
}

static void test_local_to_utc(void **state)
{
    (void)state;
    cron_tz *tz = zone("America/New_York");
    int64_t u;
    /* gap: no instant shows it; it is reached when the clocks jump */
    assert_false(cron_tz_local_to_utc(tz, t("2024-03-10T02:30Z"), &u));
    assert_true(cron_tz_local_reach(tz, t("2024-03-10T02:30Z")) == t("2024-03-10T03:00-04:00"));
    assert_true(cron_tz_local_reach(tz, t("2024-03-10T03:00Z")) == t("2024-03-10T03:00-04:00"));
    assert_true(cron_tz_local_reach(tz, t("2024-03-10T01:59Z")) == t("2024-03-10T01:59-05:00"));
    assert_true(cron_tz_local_reach(tz, t("2024-11-03T01:30Z")) == t("2024-11-03T01:30-04:00"));
    /* past the table, under the POSIX rule */
    assert_true(cron_tz_local_reach(tz, t("2099-03-08T02:10Z")) == t("2099-03-08T03:00-04:00"));
    /* overlap: the first (EDT) occurrence */
    assert_true(cron_tz_local_to_utc(tz, t("2024-11-03T01:30Z"), &u));
    assert_true(u == t("2024-11-03T01:30-04:00"));
    assert_true(cron_tz_local_to_utc(tz, t("2024-07-01T12:00Z"), &u));
    assert_true(u == t("2024-07-01T12:00-04:00"));
    int32_t lo, hi;
    cron_tz_offset_range(tz, &lo, &hi);
    assert_true(lo <= -5 * 3600 && hi >= -4 * 3600);
    cron_tz_free(tz);
}

/* Does local wall-clock time `local` (seconds, as if UTC) match e? */
static bool local_matches(const cron_expr *e, int64_t local)
{
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400), y;
    int64_t sec = local - days * 86400;
    int m, d;
    cron_days_to_civil(days, &y, &m, &d);
    return cron_matches(e, m, d, cron_weekday(days), (int)(sec / 3600), (int)(sec / 60 % 60));
}

/* Differential test: cron_next() against a brute-force scan of every UTC
 * minute with glibc's localtime_r, near DST changes in several zones. A
 * minute is a run when its local time matches and no earlier instant (30,
 * 60 or 120 minutes before) showed the same local time, or when the clocks
 * just jumped forward over a local minute that matches. */
static void test_random_vs_glibc(void **state)
{
    (void)state;
    static const char *const mins[] = {"*", "*/5", "0", "30", "0,30", "15-45/15", "*/7", "59"};
    static const char *const hours[] = {"*", "1", "2", "1-3", "*/2", "0,12", "2,3", "23"};
    static const char *const doms[] = {"*", "*", "1-31", "10", "*/2"};
    static const char *const dows[] = {"*", "*", "MON-FRI", "0", "*/3"};
    static const struct {
        const char *zone, *day;
    } near[] = {
        {"America/New_York", "2021-03-14"}, {"America/New_York", "2021-11-07"},
        {"America/New_York", "2024-03-10"}, {"America/New_York", "2030-11-03"},
        {"Europe/Berlin", "2024-03-31"},    {"Europe/Berlin", "2024-10-27"},
        {"Australia/Sydney", "2024-04-07"}, {"Australia/Lord_Howe", "2024-10-06"},
        {"Asia/Shanghai", "2024-02-29"},    {"America/Santiago", "2024-04-07"},
    };
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    srand(12345);
    for (int n = 0; n < 400; n++) {
        char expr[128], env[64], day[32];
        size_t z = (size_t)rand() % (sizeof near / sizeof near[0]);
        snprintf(expr, sizeof expr, "%s %s %s * %s", mins[rand() % 8], hours[rand() % 8],
                 doms[rand() % 5], dows[rand() % 5]);
        cron_expr e = parse_ok(expr);
        cron_tz *tz = zone(near[z].zone);
        snprintf(env, sizeof env, ":%s", near[z].zone);
        setenv("TZ", env, 1);
        tzset();
        snprintf(day, sizeof day, "%sT00:00Z", near[z].day);
        int64_t after = t(day) - rand() % (40 * 3600) + rand() % 40, want = 0, got = 0;
        for (int64_t u = (after / 60 + 1) * 60; u <= after + 2 * 86400 && !want; u += 60) {
            time_t tt = (time_t)u, te;
            struct tm tm, tme;
            localtime_r(&tt, &tm);
            te = (time_t)(u - 60);
            localtime_r(&te, &tme);
            bool gap_run = false;
            for (int64_t l = u - 60 + tme.tm_gmtoff + 60; l < u + tm.tm_gmtoff; l += 60)
                gap_run = gap_run || local_matches(&e, l);
            if (gap_run && tm.tm_sec == 0) {
                want = u;
                break;
            }
            if (tm.tm_sec != 0 ||
                !cron_matches(&e, tm.tm_mon + 1, tm.tm_mday, tm.tm_wday, tm.tm_hour, tm.tm_min))
                continue;
            bool first = true;
            for (int k = 1; k <= 4; k *= 2) {
                te = (time_t)(u - 1800 * k);
                localtime_r(&te, &tme);
                if (tme.tm_gmtoff == tm.tm_gmtoff + 1800 * k)
                    first = false;
            }
            if (first)
                want = u;
        }
        cron_status rc = cron_next(&e, tz, after, &got);
        if (want ? (rc != CRON_OK || got != want) : (rc == CRON_OK && got <= after + 2 * 86400))
            fail_msg("%s in %s after %lld: got %lld, brute force %lld", expr, near[z].zone,
                     (long long)after, (long long)got, (long long)want);
        cron_tz_free(tz);
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(old);
}

typedef struct {
    const cron_tz *tz;
    int64_t sum;
} thread_arg;

static void *worker(void *p)
{
    thread_arg *a = p;
    cron_expr e = parse_ok("*/7 1-3 * * *");
    int64_t at = t("2024-01-01T00:00Z");
    for (int i = 0; i < 3000; i++) {
        if (cron_next(&e, a->tz, at, &at) != CRON_OK)
            return NULL;
        a->sum += at % 100003;
    }
    return p;
}

/* One zone shared by four threads gives each the same answers. */
static void test_threads(void **state)
{
    (void)state;
    cron_tz *tz = zone("Europe/Berlin");
    pthread_t th[4];
    thread_arg a[4];
    thread_arg one = {tz, 0};
    assert_non_null(worker(&one));
    for (int i = 0; i < 4; i++) {
        a[i] = (thread_arg){tz, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *r;
        assert_int_equal(pthread_join(th[i], &r), 0);
        assert_non_null(r);
        assert_true(a[i].sum == one.sum);
    }
    cron_tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_parse_macros),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_possible),
        cmocka_unit_test(test_next_basic),
        cmocka_unit_test(test_month_lengths),
        cmocka_unit_test(test_leap_day),
        cmocka_unit_test(test_vixie_day_rule),
        cmocka_unit_test(test_new_york_spring_forward),
        cmocka_unit_test(test_new_york_fall_back),
        cmocka_unit_test(test_berlin),
        cmocka_unit_test(test_shanghai),
        cmocka_unit_test(test_other_zones),
        cmocka_unit_test(test_time_range),
        cmocka_unit_test(test_tz_names),
        cmocka_unit_test(test_tz_load_errors),
        cmocka_unit_test(test_tzif_damage),
        cmocka_unit_test(test_tz_matches_glibc),
        cmocka_unit_test(test_local_to_utc),
        cmocka_unit_test(test_random_vs_glibc),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests_name("cron", tests, NULL, NULL);
}
