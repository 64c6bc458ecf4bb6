/* schedule.c -- interval and crontab schedules: parse, decide, preview.
 *
 * What: schedule.h. How: a schedule's timetable is one function,
 * next_after(t) = the first scheduled time strictly after t (grid
 * arithmetic for intervals, cron_next() for crontabs). schedule_due() asks
 * it at most three times: for the pending time after max(anchor, last_run),
 * for a time inside the grace window (policy "skip") and for the next time
 * after now. Nothing here reads the clock or keeps state.
 */
#include "jobs/schedule.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const unit_names[] = {"seconds", "minutes", "hours", "days"};
static const int64_t unit_secs[] = {1, 60, 3600, 86400};
static const char *const catchup_names[] = {"once", "skip"};

static int invalid(sched_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy src into dst (cap bytes) without cutting a UTF-8 sequence. */
static void copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int invalid(sched_error *err, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err) {
        copy_utf8(err->field, sizeof err->field, field);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    va_end(ap);
    return SCHED_E_INVALID;
}

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* An optional Unix time: absent or null -> *has = false. */
static int get_time(const json_t *obj, const char *key, bool *has, int64_t *out,
                    sched_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *has = false;
    if (!v || json_is_null(v))
        return SCHED_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > CRON_TIME_MAX)
        return invalid(err, key, "must be a Unix time in seconds (0 to %lld) or null",
                       (long long)CRON_TIME_MAX);
    *has = true;
    *out = json_integer_value(v);
    return SCHED_OK;
}

/* A string field: NULL when absent; error when not a string or with NUL. */
static int get_string(const json_t *obj, const char *key, const char **out, sched_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return SCHED_OK;
    if (!json_is_string(v))
        return invalid(err, key, "must be a string");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return invalid(err, key, "must not contain NUL characters");
    *out = json_string_value(v);
    return SCHED_OK;
}

static int parse_interval(const json_t *obj, schedule *s, sched_error *err)
{
    const json_t *every = json_object_get(obj, "every");
    const char *unit;
    int rc, u;

    if (!every)
        return invalid(err, "every", "is required for an interval schedule");
    if (!json_is_integer(every) || json_integer_value(every) < 1)
        return invalid(err, "every", "must be a whole number of at least 1");
    if ((rc = get_string(obj, "unit", &unit, err)) != SCHED_OK)
        return rc;
    if (!unit)
        return invalid(err, "unit", "is required: seconds, minutes, hours or days");
    if ((u = lookup(unit_names, 4, unit)) < 0)
        return invalid(err, "unit", "must be seconds, minutes, hours or days");
    s->every = json_integer_value(every);
    s->unit = (sched_unit)u;
    if (s->every > SCHED_PERIOD_MAX / unit_secs[u])
        return invalid(err, "every", "%lld %s is longer than 100 years", (long long)s->every,
                       unit);
    s->period = s->every * unit_secs[u];
    return get_time(obj, "start_at", &s->has_start, &s->start_at, err);
}

static int parse_cron(const json_t *obj, schedule *s, sched_error *err)
{
    const char *text, *zone;
    char msg[CRON_ERR_MAX];
    cron_status cs;
    int rc;

    if ((rc = get_string(obj, "cron", &text, err)) != SCHED_OK ||
        (rc = get_string(obj, "timezone", &zone, err)) != SCHED_OK)
        return rc;
    if (!text)
        return invalid(err, "cron", "is required for a cron schedule");
    if (cron_parse(text, &s->cron, msg, sizeof msg) != CRON_OK ||
        cron_possible(&s->cron, msg, sizeof msg) != CRON_OK)
        return invalid(err, "cron", "%s", msg);
    snprintf(s->cron_text, sizeof s->cron_text, "%s", text);
    cs = cron_tz_load(zone ? zone : "UTC", &s->tz, msg, sizeof msg);
    if (cs == CRON_E_NOMEM)
        return SCHED_E_NOMEM;
    if (cs != CRON_OK)
        return invalid(err, "timezone", "%s", msg);
    return SCHED_OK;
}

int schedule_from_json(const json_t *obj, schedule **out, sched_error *err)
{
    static const char *const common[] = {"type", "enabled", "expires_at", "catchup",
                                         "grace_seconds"};
    static const char *const interval_keys[] = {"every", "unit", "start_at"};
    static const char *const cron_keys[] = {"cron", "timezone"};
    const char *type, *key, *catchup;
    const json_t *v;
    json_t *val;
    schedule *s = NULL;
    int rc = SCHED_E_INVALID;

    *out = NULL;
    if (!json_is_object(obj))
        return invalid(err, "schedule", "must be a JSON object");
    if ((rc = get_string(obj, "type", &type, err)) != SCHED_OK)
        return rc;
    if (!type || (strcmp(type, "interval") != 0 && strcmp(type, "cron") != 0))
        return invalid(err, "type", "must be \"interval\" or \"cron\"");
    bool is_cron = strcmp(type, "cron") == 0;
    json_object_foreach((json_t *)obj, key, val) {
        if (lookup(common, 5, key) >= 0 || lookup(is_cron ? cron_keys : interval_keys,
                                                  is_cron ? 2 : 3, key) >= 0)
            continue;
        if (lookup(is_cron ? interval_keys : cron_keys, is_cron ? 3 : 2, key) >= 0)
            return invalid(err, key, "applies only to %s schedules",
                           is_cron ? "interval" : "cron");
        return invalid(err, key, "unknown field");
    }
    if (!(s = calloc(1, sizeof *s))) {
        rc = SCHED_E_NOMEM;
        goto fail;
    }
    s->type = is_cron ? SCHED_CRON : SCHED_INTERVAL;
    s->enabled = true;
    s->grace = SCHED_GRACE_DEFAULT;
    if ((rc = is_cron ? parse_cron(obj, s, err) : parse_interval(obj, s, err)) != SCHED_OK)
        goto fail;
    if ((v = json_object_get(obj, "enabled")) && !json_is_boolean(v)) {
        rc = invalid(err, "enabled", "must be true or false");
        goto fail;
    }
    s->enabled = !v || json_is_true(v);
    if ((rc = get_time(obj, "expires_at", &s->has_expires, &s->expires_at, err)) != SCHED_OK ||
        (rc = get_string(obj, "catchup", &catchup, err)) != SCHED_OK)
        goto fail;
    if (catchup && lookup(catchup_names, 2, catchup) < 0) {
        rc = invalid(err, "catchup", "must be \"once\" or \"skip\"");
        goto fail;
    }
    s->catchup = catchup ? (sched_catchup)lookup(catchup_names, 2, catchup) : SCHED_CATCHUP_ONCE;
    if ((v = json_object_get(obj, "grace_seconds"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 ||
            json_integer_value(v) > SCHED_GRACE_MAX) {
            rc = invalid(err, "grace_seconds", "must be a whole number from 1 to %d",
                         SCHED_GRACE_MAX);
            goto fail;
        }
        s->grace = json_integer_value(v);
    }
    *out = s;
    return SCHED_OK;
fail:
    if (rc == SCHED_E_NOMEM && err)
        invalid(err, "schedule", "out of memory");
    schedule_free(s);
    return rc;
}

void schedule_free(schedule *s)
{
    if (!s)
        return;
    cron_tz_free(s->tz);
    free(s);
}

static json_t *time_or_null(bool has, int64_t t)
{
    return has ? json_integer(t) : json_null();
}

json_t *schedule_to_json(const schedule *s)
{
    json_t *o = json_object();
    int bad = !o;
    if (bad)
        return NULL;
    if (s->type == SCHED_INTERVAL) {
        bad |= json_object_set_new(o, "type", json_string("interval"));
        bad |= json_object_set_new(o, "every", json_integer(s->every));
        bad |= json_object_set_new(o, "unit", json_string(unit_names[s->unit]));
        bad |= json_object_set_new(o, "start_at", time_or_null(s->has_start, s->start_at));
    } else {
        bad |= json_object_set_new(o, "type", json_string("cron"));
        bad |= json_object_set_new(o, "cron", json_string(s->cron_text));
        bad |= json_object_set_new(o, "timezone", json_string(cron_tz_name(s->tz)));
    }
    bad |= json_object_set_new(o, "enabled", json_boolean(s->enabled));
    bad |= json_object_set_new(o, "expires_at", time_or_null(s->has_expires, s->expires_at));
    bad |= json_object_set_new(o, "catchup", json_string(catchup_names[s->catchup]));
    bad |= json_object_set_new(o, "grace_seconds", json_integer(s->grace));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The first scheduled time strictly after t; false when there is none
 * (or it would not fit in 64 bits). */
static bool next_after(const schedule *s, int64_t anchor, int64_t t, int64_t *out)
{
    int64_t origin, k, step;
    if (s->type == SCHED_CRON)
        return cron_next(&s->cron, s->tz, t, out) == CRON_OK;
    origin = s->has_start ? s->start_at : anchor;
    if (t < origin) {
        *out = origin;
        return true;
    }
    if (__builtin_sub_overflow(t, origin, &k))
        return false;
    k = k / s->period + 1;
    return !__builtin_mul_overflow(k, s->period, &step) &&
           !__builtin_add_overflow(origin, step, out);
}

static int64_t ref_time(const sched_state *st)
{
    return st->has_last_run && st->last_run > st->anchor ? st->last_run : st->anchor;
}

sched_due schedule_due(const schedule *s, const sched_state *st, int64_t now)
{
    sched_due d = {0};
    int64_t ref = ref_time(st), pending, slot, next;
    bool ok;

    if (!s->enabled || (s->has_expires && now >= s->expires_at))
        return d;
    if (!next_after(s, st->anchor, ref, &pending))
        return d;
    if (pending <= now) {
        if (s->catchup == SCHED_CATCHUP_ONCE) {
            d.run = true;
            d.scheduled = pending;
            int64_t late;
            d.catchup = __builtin_sub_overflow(now, pending, &late) || late >= s->grace;
        } else {
            int64_t from;
            if (__builtin_sub_overflow(now, s->grace, &from) || from < ref)
                from = ref;
            if (next_after(s, st->anchor, from, &slot) && slot <= now) {
                d.run = true;
                d.scheduled = slot;
            }
        }
        ok = next_after(s, st->anchor, now, &next);
    } else {
        ok = true;
        next = pending;
    }
    if (ok && (!s->has_expires || next < s->expires_at)) {
        d.has_next = true;
        d.next = next;
    }
    return d;
}

bool schedule_next_run(const schedule *s, const sched_state *st, int64_t now, int64_t *next)
{
    sched_due d = schedule_due(s, st, now);
    if (d.run)
        *next = now;
    else if (d.has_next)
        *next = d.next;
    return d.run || d.has_next;
}

void schedule_record_run(sched_state *st, int64_t now)
{
    st->has_last_run = true;
    st->last_run = now;
    if (st->run_count < INT64_MAX)
        st->run_count++;
}

size_t schedule_upcoming(const schedule *s, const sched_state *st, int64_t now, int64_t *out,
                         size_t n)
{
    int64_t t = ref_time(st) > now ? ref_time(st) : now;
    size_t i;
    for (i = 0; i < n; i++) {
        if (!next_after(s, st->anchor, t, &out[i]) ||
            (s->has_expires && out[i] >= s->expires_at))
            break;
        t = out[i];
    }
    return i;
}
