/* fuzz_cron.c -- libFuzzer target for crontab parsing, next-run search,
 * schedule JSON and the TZif reader (src/jobs/cron.h, schedule.h).
 *
 * The input picks a mode by its first bytes:
 *   "TZif..."  the bytes are a time-zone file: load it with
 *              cron_tz_from_tzif() and, if accepted, search with it;
 *   "{..."     a schedule definition: schedule_from_json(), then
 *              to_json round trip, due() at a few instants, upcoming();
 *   otherwise  a crontab expression: cron_parse(); when it parses, compute
 *              a chain of next-run times in several zones from instants
 *              derived from the input, and check the invariants below.
 * Invariants (abort on violation): error messages are non-empty printable
 * ASCII; each next time is strictly later than the previous one and is a
 * time the expression runs at (a whole local minute that matches, shown
 * for the first time, or the end of a DST gap that swallowed one), no such
 * time lies between it and the previous one (brute force over up to two
 * days), and it exists iff cron_possible() says so, in every zone. Built with
 * ASan and UBSan, so any memory error or undefined behaviour also stops the
 * run. Seeds are in tests/fuzz/corpus/cron/.
 */
#include "jobs/cron.h"
#include "jobs/schedule.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NZONES 6
static const char *const zone_names[NZONES] = {"UTC",           "America/New_York",
                                               "Europe/Berlin", "Asia/Shanghai",
                                               "Australia/Lord_Howe", "Pacific/Apia"};
static cron_tz *zones[NZONES];

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "invariant broken: %s\n", what);
        abort();
    }
}

static void check_message(const char *msg)
{
    check(msg[0] != '\0', "empty error message");
    for (const char *p = msg; *p; p++)
        check(*p >= 0x20 && *p < 0x7f, "non-printable error message");
}

static uint64_t hash(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

/* Does local wall-clock time `local` (seconds, as if UTC) match e? */
static int local_matches(const cron_expr *e, int64_t local)
{
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400), y;
    int64_t sec = local - days * 86400;
    int m, d;
    cron_days_to_civil(days, &y, &m, &d);
    return cron_matches(e, m, d, cron_weekday(days), (int)(sec / 3600), (int)(sec / 60 % 60));
}

/* Does instant u show a local minute in tz that matches e? */
static int shows_match(const cron_expr *e, const cron_tz *tz, int64_t u)
{
    int64_t local = u + cron_tz_offset(tz, u, NULL);
    return ((local % 60) + 60) % 60 == 0 && local_matches(e, local);
}

/* Did the clocks jump forward at instant u over a local minute matching e?
 * (the skipped local times are those after the one shown at u - 1 and
 * before the one shown at u) */
static int gap_match(const cron_expr *e, const cron_tz *tz, int64_t u)
{
    int64_t before = u - 1 + cron_tz_offset(tz, u - 1, NULL);
    int64_t now = u + cron_tz_offset(tz, u, NULL);
    for (int64_t l = before + 1 + ((-(before + 1)) % 60 + 60) % 60; l < now; l += 60)
        if (local_matches(e, l))
            return 1;
    return 0;
}

/* Should e run at instant u: it shows a matching minute for the first
 * time, or the clocks just jumped over one. */
static int runs_at(const cron_expr *e, const cron_tz *tz, int64_t u)
{
    int64_t local = u + cron_tz_offset(tz, u, NULL), first;
    if (shows_match(e, tz, u) && cron_tz_local_to_utc(tz, local, &first) && first == u)
        return 1;
    return gap_match(e, tz, u);
}

/* The instant in (lo, hi] where the offset changes (it differs at lo and
 * hi); binary search for the first instant with hi's offset. */
static int64_t change_between(const cron_tz *tz, int64_t lo, int64_t hi)
{
    int32_t off = cron_tz_offset(tz, hi, NULL);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cron_tz_offset(tz, mid, NULL) == off)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* Brute force: e should run at no instant strictly between after and next
 * (checked when they are at most two days apart): every whole local
 * minute, and every instant where the offset changes. */
static void check_nothing_between(const cron_expr *e, const cron_tz *tz, int64_t after,
                                  int64_t next)
{
    if (next - after > 2 * 86400)
        return;
    int64_t prev = after;
    for (int64_t u = after + 1; u < next;) {
        int64_t local = u + cron_tz_offset(tz, u, NULL);
        if (cron_tz_offset(tz, prev, NULL) != cron_tz_offset(tz, u, NULL)) {
            int64_t c = change_between(tz, prev, u);
            check(c >= next || !runs_at(e, tz, c), "an earlier run was skipped (gap)");
        }
        prev = u;
        int64_t r = ((local % 60) + 60) % 60;
        if (r != 0) {
            u += 60 - r;
            continue;
        }
        check(!runs_at(e, tz, u), "an earlier run was skipped");
        u += 60;
    }
}

static void chain(const cron_expr *e, const cron_tz *tz, int64_t after, int possible)
{
    int64_t next;
    for (int i = 0; i < 3; i++) {
        cron_status rc = cron_next(e, tz, after, &next);
        if (rc == CRON_E_TIME)
            return;
        if (rc == CRON_E_NEVER) {
            check(!possible, "possible expression never ran");
            return;
        }
        check(rc == CRON_OK, "unexpected status");
        check(possible, "impossible expression ran");
        check(next > after, "next not after");
        check(next - after <= 146097LL * 86400 + 3 * 86400, "next beyond the search bound");
        check(runs_at(e, tz, next), "next is not a time e runs at");
        check_nothing_between(e, tz, after, next);
        after = next;
    }
}

static void fuzz_expr(const uint8_t *data, size_t size)
{
    char text[CRON_TEXT_MAX + 2], err[CRON_ERR_MAX];
    cron_expr e;
    size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, n);
    text[n] = '\0';
    err[0] = '\0';
    if (cron_parse(text, &e, err, sizeof err) != CRON_OK) {
        check_message(err);
        return;
    }
    int possible = cron_possible(&e, err, sizeof err) == CRON_OK;
    if (!possible)
        check_message(err);
    uint64_t h = hash(data, size);
    static const int64_t fixed[] = {0, 1710054000, 1730613600, 4102444800LL, -1,
                                    CRON_TIME_MAX - 60, CRON_TIME_MIN};
    chain(&e, NULL, fixed[h % 7], possible);
    for (int k = 0; k < 3; k++) {
        const cron_tz *tz = zones[(h >> (8 * k)) % NZONES];
        int64_t after = (int64_t)((h >> (3 * k)) % 5000000000ULL) - 1000000000LL;
        chain(&e, tz, after, possible);
    }
}

static void fuzz_schedule(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, 0, NULL), *out = NULL;
    schedule *s = NULL, *s2 = NULL;
    sched_error err;
    if (!j)
        return;
    if (schedule_from_json(j, &s, &err) != SCHED_OK) {
        check(s == NULL && err.message[0] != '\0', "error without message");
        goto done;
    }
    out = schedule_to_json(s);
    check(out != NULL, "to_json failed");
    check(schedule_from_json(out, &s2, &err) == SCHED_OK, "round trip refused");
    uint64_t h = hash(data, size);
    sched_state st = {.anchor = (int64_t)(h % 4000000000ULL)};
    for (int i = 0; i < 4; i++) {
        int64_t now = st.anchor + (int64_t)((h >> (8 * i)) % 100000);
        sched_due d = schedule_due(s, &st, now);
        if (d.run) {
            schedule_record_run(&st, now);
            check(!schedule_due(s, &st, now).run, "double run");
        }
        if (d.has_next)
            check(d.next > now, "next not after now");
    }
    int64_t up[4];
    size_t k = schedule_upcoming(s, &st, st.anchor, up, 4);
    for (size_t i = 1; i < k; i++)
        check(up[i] > up[i - 1], "upcoming not increasing");
done:
    schedule_free(s);
    schedule_free(s2);
    json_decref(out);
    json_decref(j);
}

static void fuzz_tzif(const uint8_t *data, size_t size)
{
    cron_tz *tz = NULL;
    char err[CRON_ERR_MAX];
    cron_expr e;
    int64_t next;
    if (cron_tz_from_tzif("Fuzz/Zone", data, size, &tz, err, sizeof err) != CRON_OK) {
        check_message(err);
        return;
    }
    if (cron_parse("*/20 1-3 * * *", &e, NULL, 0) == CRON_OK) {
        int64_t after = -2000000000LL;
        for (int i = 0; i < 6 && cron_next(&e, tz, after, &next) == CRON_OK; i++) {
            check(next > after, "next not after (tzif)");
            after = next + 400000000LL;
        }
    }
    cron_tz_free(tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!zones[1]) { /* load once; zones[0] stays NULL (built-in UTC path) */
        for (int i = 1; i < NZONES; i++)
            if (cron_tz_load(zone_names[i], &zones[i], NULL, 0) != CRON_OK)
                abort();
    }
    if (size >= 4 && memcmp(data, "TZif", 4) == 0)
        fuzz_tzif(data, size);
    else if (size >= 1 && data[0] == '{')
        fuzz_schedule(data, size);
    else
        fuzz_expr(data, size);
    return 0;
}
