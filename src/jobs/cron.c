/* cron.c -- crontab parser and next-run search (time zones: cron_tz.c).
 *
 * What: cron.h except its time zones (those are in cron_tz.c). Parts:
 *   1. the parser: five fields -> bit sets, with messages that name the
 *      field and quote the offending text;
 *   2. the search: walk local calendar days forward (skipping months that
 *      cannot match), and within a matching day its hours and minutes in
 *      order; each local candidate is mapped to the first UTC instant that
 *      shows that wall-clock time or a later one (cron_tz_local_reach), so
 *      a time in a gap runs when the gap ends and an overlap runs once.
 *      That mapping never decreases, so the first candidate mapped later
 *      than `after` is the answer.
 * How: no global mutable state, no libc time-zone calls (localtime, tzset
 * and friends use process-global state); all calendar arithmetic is
 * integer-only on days since 1970-01-01 (H. Hinnant's algorithms).
 */
#include "jobs/cron.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen > 0)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Printable copy of s[0..len) for a message (buf holds 32 bytes): at most
 * 24 bytes, anything but printable ASCII shown as '?', "..." when cut. */
static const char *quote(char buf[32], const char *s, size_t len)
{
    size_t n = len > 24 ? 24 : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (len > n)
        memcpy(buf + n, "...", 4);
    else
        buf[n] = '\0';
    return buf;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static bool is_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static char upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c; }

/* ASCII case-insensitive compare of s[0..len) with the whole of word. */
static bool word_eq(const char *s, size_t len, const char *word)
{
    size_t i;
    for (i = 0; i < len && word[i]; i++)
        if (upper(s[i]) != upper(word[i]))
            return false;
    return i == len && word[i] == '\0';
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ------------------------------------------------------------------ */
/* Calendar                                                             */

int64_t cron_civil_to_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cron_days_to_civil(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int cron_month_days(int64_t y, int m)
{
    static const int len[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : len[m];
}

int cron_weekday(int64_t days)
{
    int64_t w = (days + 4) % 7; /* 1970-01-01 was a Thursday */
    return (int)(w < 0 ? w + 7 : w);
}

/* ------------------------------------------------------------------ */
/* 1. Parser                                                            */

typedef struct {
    const char *name;
    int lo, hi;
    const char *const *names; /* three-letter names, value = index + base */
    int base;
} field_def;

static const char *const month_abbr[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                         "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const month_full[] = {"", "January", "February", "March", "April",
                                         "May", "June", "July", "August", "September",
                                         "October", "November", "December"};
static const char *const day_abbr[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const field_def fields[5] = {
    {"minute", 0, 59, NULL, 0},
    {"hour", 0, 23, NULL, 0},
    {"day of month", 1, 31, NULL, 0},
    {"month", 1, 12, month_abbr, 1},
    {"day of week", 0, 7, day_abbr, 0},
};

static const struct {
    const char *name, *expansion;
} macros[] = {
    {"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},  {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

/* One value (a number or, in month/day-of-week, a name) at item[*pos]. */
static cron_status parse_value(const field_def *f, const char *item, size_t len, size_t *pos,
                               int *out, char *err, size_t errlen)
{
    char q[32], q2[32];
    size_t i = *pos;
    bool digits = true;
    while (i < len && (is_digit(item[i]) || is_alpha(item[i]))) {
        digits = digits && is_digit(item[i]);
        i++;
    }
    const char *tok = item + *pos;
    size_t toklen = i - *pos;
    if (toklen == 0) {
        if (i < len)
            seterr(err, errlen, "%s: unexpected '%s' in '%s'", f->name, quote(q, item + i, 1),
                   quote(q2, item, len));
        else
            seterr(err, errlen, "%s: missing value in '%s'", f->name, quote(q, item, len));
        return CRON_E_SYNTAX;
    }
    if (digits) {
        long v = 0;
        for (size_t k = 0; k < toklen; k++)
            v = v > 100000 ? v : v * 10 + (tok[k] - '0');
        if (v < f->lo || v > f->hi) {
            seterr(err, errlen, "%s: %s is out of range %d-%d", f->name, quote(q, tok, toklen),
                   f->lo, f->hi);
            return CRON_E_RANGE;
        }
        *out = (int)v;
    } else if (f->names && is_alpha(tok[0])) {
        int k;
        for (k = 0; f->names[k]; k++)
            if (word_eq(tok, toklen, f->names[k]))
                break;
        if (!f->names[k]) {
            seterr(err, errlen, "%s: unknown name %s", f->name, quote(q, tok, toklen));
            return CRON_E_NAME;
        }
        *out = k + f->base;
    } else {
        seterr(err, errlen, "%s: %s is not a number", f->name, quote(q, tok, toklen));
        return CRON_E_SYNTAX;
    }
    *pos = i;
    return CRON_OK;
}

/* One list item: "*", "N", "N-M", each optionally followed by "/S". */
static cron_status parse_item(const field_def *f, const char *item, size_t len, uint64_t *bits,
                              char *err, size_t errlen)
{
    char q[32], q2[32];
    size_t pos = 0;
    int lo = f->lo, hi = f->hi, step = 1;
    bool single = false;
    cron_status rc;

    if (item[0] == '*') {
        pos = 1;
    } else {
        if ((rc = parse_value(f, item, len, &pos, &lo, err, errlen)) != CRON_OK)
            return rc;
        hi = lo;
        single = true;
        if (pos < len && item[pos] == '-') {
            pos++;
            if ((rc = parse_value(f, item, len, &pos, &hi, err, errlen)) != CRON_OK)
                return rc;
            single = false;
            if (hi < lo) {
                seterr(err, errlen, "%s: range %s is backwards", f->name, quote(q, item, len));
                return CRON_E_RANGE;
            }
        }
    }
    if (pos < len && item[pos] == '/') {
        size_t start = ++pos;
        long v = 0;
        int span = f->hi - f->lo + 1;
        while (pos < len && is_digit(item[pos])) {
            v = v > 100000 ? v : v * 10 + (item[pos] - '0');
            pos++;
        }
        if (pos == start) {
            seterr(err, errlen, "%s: missing step after '/' in '%s'", f->name,
                   quote(q, item, len));
            return CRON_E_SYNTAX;
        }
        if (v < 1 || v > span) {
            seterr(err, errlen, "%s: step %s is out of range 1-%d", f->name,
                   quote(q, item + start, pos - start), span);
            return CRON_E_RANGE;
        }
        step = (int)v;
        if (single) /* "N/S" means "N-max/S" */
            hi = f->hi;
    }
    if (pos != len) {
        seterr(err, errlen, "%s: unexpected '%s' in '%s'", f->name, quote(q, item + pos, 1),
               quote(q2, item, len));
        return CRON_E_SYNTAX;
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ULL << v;
    return CRON_OK;
}

/* One field: items separated by commas. */
static cron_status parse_field(const field_def *f, const char *s, size_t len, uint64_t *bits,
                               char *err, size_t errlen)
{
    char q[32];
    size_t start = 0;
    *bits = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ',')
            continue;
        if (i == start) {
            seterr(err, errlen, "%s: empty item in list '%s'", f->name, quote(q, s, len));
            return CRON_E_SYNTAX;
        }
        cron_status rc = parse_item(f, s + start, i - start, bits, err, errlen);
        if (rc != CRON_OK)
            return rc;
        start = i + 1;
    }
    return CRON_OK;
}

cron_status cron_parse(const char *text, cron_expr *out, char *err, size_t errlen)
{
    char q[32];
    const char *tok[5] = {0};
    size_t toklen[5] = {0}, ntok = 0, len;
    uint64_t bits[5];

    if (!text || (len = strnlen(text, CRON_TEXT_MAX + 1)) == 0) {
        seterr(err, errlen, "expression is empty");
        return CRON_E_FIELDS;
    }
    if (len > CRON_TEXT_MAX) {
        seterr(err, errlen, "expression is longer than %d bytes", CRON_TEXT_MAX);
        return CRON_E_FIELDS;
    }
    for (size_t i = 0; i < len;) {
        while (i < len && is_space(text[i]))
            i++;
        if (i == len)
            break;
        size_t start = i;
        while (i < len && !is_space(text[i]))
            i++;
        if (ntok < 5) {
            tok[ntok] = text + start;
            toklen[ntok] = i - start;
        }
        ntok++;
    }
    if (ntok == 0) {
        seterr(err, errlen, "expression is empty");
        return CRON_E_FIELDS;
    }
    if (tok[0][0] == '@') {
        if (word_eq(tok[0], toklen[0], "@reboot")) {
            seterr(err, errlen, "@reboot is not supported: schedules run by the clock");
            return CRON_E_FIELDS;
        }
        for (size_t k = 0; k < sizeof macros / sizeof macros[0]; k++) {
            if (!word_eq(tok[0], toklen[0], macros[k].name))
                continue;
            if (ntok > 1) {
                seterr(err, errlen, "%s must stand alone, got %zu fields", macros[k].name, ntok);
                return CRON_E_FIELDS;
            }
            return cron_parse(macros[k].expansion, out, err, errlen);
        }
        seterr(err, errlen, "unknown macro %s", quote(q, tok[0], toklen[0]));
        return CRON_E_FIELDS;
    }
    if (ntok != 5) {
        seterr(err, errlen, "expected 5 fields, got %zu", ntok);
        return CRON_E_FIELDS;
    }
    for (int k = 0; k < 5; k++) {
        cron_status rc = parse_field(&fields[k], tok[k], toklen[k], &bits[k], err, errlen);
        if (rc != CRON_OK)
            return rc;
    }
    if (bits[4] & (1u << 7)) /* 7 is Sunday too */
        bits[4] = (bits[4] | 1u) & ~(1ULL << 7);
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->mdays = (uint32_t)bits[2];
    out->months = (uint16_t)bits[3];
    out->wdays = (uint8_t)bits[4];
    out->flags = (uint8_t)((tok[2][0] == '*' ? CRON_DOM_STAR : 0) |
                           (tok[4][0] == '*' ? CRON_DOW_STAR : 0));
    return CRON_OK;
}

static bool day_match(const cron_expr *e, int mday, int wday)
{
    bool dm = (e->mdays >> mday) & 1u, wm = (e->wdays >> wday) & 1u;
    if (e->flags & (CRON_DOM_STAR | CRON_DOW_STAR))
        return dm && wm;
    return dm || wm;
}

bool cron_matches(const cron_expr *e, int mon, int mday, int wday, int hour, int min)
{
    if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || wday < 0 || wday > 6 || hour < 0 ||
        hour > 23 || min < 0 || min > 59)
        return false;
    return ((e->minutes >> min) & 1u) && ((e->hours >> hour) & 1u) &&
           ((e->months >> mon) & 1u) && day_match(e, mday, wday);
}

cron_status cron_possible(const cron_expr *e, char *err, size_t errlen)
{
    int nm = 0, nd = 0, m1 = 0, d1 = 0;
    if (!e->minutes || !e->hours || !e->mdays || !e->months || !e->wdays) {
        seterr(err, errlen, "a field selects no value");
        return CRON_E_NEVER;
    }
    /* OR rule: every month has every weekday. */
    if (!(e->flags & (CRON_DOM_STAR | CRON_DOW_STAR)))
        return CRON_OK;
    /* AND rule: a valid date exists; each date falls on every weekday
     * within a 400-year cycle, so the weekday set cannot make it fail. */
    for (int m = 1; m <= 12; m++) {
        if (!((e->months >> m) & 1u))
            continue;
        nm++;
        m1 = m;
        for (int d = 1; d <= 31; d++) {
            if (!((e->mdays >> d) & 1u))
                continue;
            if (d <= cron_month_days(2000, m)) /* 2000 is a leap year */
                return CRON_OK;
        }
    }
    for (int d = 1; d <= 31; d++)
        if ((e->mdays >> d) & 1u) {
            nd++;
            d1 = d;
        }
    if (nm == 1 && nd == 1)
        seterr(err, errlen, "day of month: %d never occurs in %s", d1, month_full[m1]);
    else
        seterr(err, errlen, "day of month: none of the days occurs in the months chosen");
    return CRON_E_NEVER;
}

/* ------------------------------------------------------------------ */
/* 2. Search                                                            */

/* The first minute of local day `day` matching e whose first occurrence
 * is after `after`. */
static bool search_day(const cron_expr *e, const cron_tz *tz, int32_t min_off, int64_t day,
                       int64_t after, int64_t *next)
{
    for (int h = 0; h < 24; h++) {
        int64_t base = day * 86400 + h * 3600;
        /* no instant showing a local time L is later than L - min_off */
        if (!((e->hours >> h) & 1u) || base + 59 * 60 - min_off <= after)
            continue;
        for (int m = 0; m < 60; m++) {
            int64_t local = base + m * 60, t;
            if (!((e->minutes >> m) & 1u) || local - min_off <= after)
                continue;
            if ((t = cron_tz_local_reach(tz, local)) > after) {
                *next = t;
                return true;
            }
        }
    }
    return false;
}

cron_status cron_next(const cron_expr *e, const cron_tz *tz, int64_t after, int64_t *next)
{
    int64_t y;
    int m, d;
    int32_t min_off, max_off;
    if (after < CRON_TIME_MIN || after > CRON_TIME_MAX)
        return CRON_E_TIME;
    if (!e->minutes || !e->hours || !e->mdays || !e->months || !e->wdays)
        return CRON_E_NEVER;
    cron_tz_offset_range(tz, &min_off, &max_off);
    /* the earliest local day that can show an instant after `after` */
    int64_t day = floor_div(after + 1 + min_off, 86400);
    int64_t end = day + 146097 * (CRON_SEARCH_YEARS / 400) + 2;
    cron_days_to_civil(day, &y, &m, &d);
    while (day < end) {
        int md = cron_month_days(y, m);
        if ((e->months >> m) & 1u) {
            for (int wd = cron_weekday(day); d <= md; d++, day++, wd = (wd + 1) % 7)
                if (day_match(e, d, wd) && search_day(e, tz, min_off, day, after, next))
                    return CRON_OK;
        } else {
            day += md - d + 1;
        }
        d = 1;
        if (++m > 12) {
            m = 1;
            y++;
        }
    }
    return CRON_E_NEVER;
}
