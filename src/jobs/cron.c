/* cron.c -- crontab parser, TZif time-zone reader and next-run search.
 *
 * What: the implementation of cron.h. Three parts, in this order:
 *   1. the parser: five fields -> bit sets, with messages that name the
 *      field and quote the offending text;
 *   2. time zones: a TZif reader (RFC 8536/9636, versions 1-4) and a POSIX
 *      TZ-string evaluator for instants past the transition table;
 *   3. the search: walk local calendar days forward (skipping months that
 *      cannot match), and within a matching day its hours and minutes in
 *      order; each local candidate is mapped to the first UTC instant that
 *      shows that wall-clock time, so gaps are skipped and overlaps run
 *      once. That mapping is strictly increasing, so the first candidate
 *      later than `after` is the answer.
 * How: no global mutable state, no libc time-zone calls (localtime, tzset
 * and friends use process-global state); all calendar arithmetic is
 * integer-only on days since 1970-01-01 (H. Hinnant's algorithms).
 */
#include "jobs/cron.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_FILE_MAX (1 << 20)   /* largest TZif file read */
#define TZ_TRANS_MAX 100000     /* most transitions accepted */
#define TZ_TYPES_MAX 256        /* RFC 8536 limit */
#define TZ_OFF_LIMIT 93599      /* |UT offset| limit, RFC 8536 3.2 */

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
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

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_days(int64_t y, int m)
{
    static const int len[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : len[m];
}

static int weekday(int64_t days)
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
            if (d <= month_days(2000, m)) /* 2000 is a leap year */
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
/* 2. Time zones                                                        */

typedef struct {
    char kind;    /* 'J' (1-365, no Feb 29), 'D' (0-365), 'M' (month.week.day) */
    int n, m, w, d;
    int32_t secs; /* local time of day of the change, may be <0 or >24h */
} tz_date;

typedef struct {
    int32_t std, dst; /* UT offsets, east positive */
    bool has_dst;
    tz_date start, end; /* start in standard time, end in summer time */
} tz_rule;

struct cron_tz {
    char name[CRON_TZ_NAME_MAX + 1];
    size_t ntrans, ntypes, noffs;
    int64_t *trans;   /* ascending UTC instants */
    uint8_t *tidx;    /* type of each transition */
    int32_t type_off[TZ_TYPES_MAX];
    uint8_t type_dst[TZ_TYPES_MAX];
    bool has_rule;    /* POSIX footer, for instants past the table */
    tz_rule rule;
    int32_t offs[TZ_TYPES_MAX + 2]; /* every distinct offset the zone uses */
    int32_t min_off, max_off;
};

static const cron_tz utc_zone = {.name = "UTC", .ntypes = 1, .noffs = 1};

bool cron_tz_name_ok(const char *name)
{
    size_t n = name ? strnlen(name, CRON_TZ_NAME_MAX + 1) : 0;
    if (n == 0 || n > CRON_TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(is_alpha(c) || is_digit(c) || c == '_' || c == '+' || c == '-' || c == '/'))
            return false;
        if (c == '/' && name[i + 1] == '/')
            return false;
    }
    return true; /* '.' is not allowed at all, so no "." or ".." component */
}

static int64_t rule_local(const tz_date *d, int64_t y)
{
    int64_t day;
    if (d->kind == 'J') {
        day = cron_civil_to_days(y, 1, 1) + d->n - 1 + (is_leap(y) && d->n >= 60);
    } else if (d->kind == 'D') {
        day = cron_civil_to_days(y, 1, 1) + d->n;
    } else {
        int64_t first = cron_civil_to_days(y, d->m, 1);
        int off = (d->d - weekday(first) + 7) % 7 + (d->w - 1) * 7;
        while (off >= month_days(y, d->m))
            off -= 7;
        day = first + off;
    }
    return day * 86400 + d->secs;
}

static int32_t rule_offset(const tz_rule *r, int64_t t, bool *is_dst)
{
    int64_t y;
    int m, d;
    if (!r->has_dst) {
        *is_dst = false;
        return r->std;
    }
    cron_days_to_civil(floor_div(t + r->std, 86400), &y, &m, &d);
    int64_t s = rule_local(&r->start, y) - r->std;
    int64_t e = rule_local(&r->end, y) - r->dst;
    *is_dst = s < e ? (t >= s && t < e) : !(t >= e && t < s);
    return *is_dst ? r->dst : r->std;
}

int32_t cron_tz_offset(const cron_tz *tz, int64_t t, bool *is_dst)
{
    bool dummy;
    size_t lo, hi;
    if (!is_dst)
        is_dst = &dummy;
    if (!tz)
        tz = &utc_zone;
    if (tz->has_rule && (tz->ntrans == 0 || t >= tz->trans[tz->ntrans - 1]))
        return rule_offset(&tz->rule, t, is_dst);
    if (tz->ntrans == 0 || t < tz->trans[0]) {
        *is_dst = tz->type_dst[0];
        return tz->type_off[0];
    }
    lo = 0; /* largest i with trans[i] <= t */
    hi = tz->ntrans - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    *is_dst = tz->type_dst[tz->tidx[lo]];
    return tz->type_off[tz->tidx[lo]];
}

bool cron_tz_local_to_utc(const cron_tz *tz, int64_t local, int64_t *utc)
{
    bool found = false;
    int64_t best = 0;
    if (!tz)
        tz = &utc_zone;
    for (size_t i = 0; i < tz->noffs; i++) {
        int64_t t = local - tz->offs[i];
        if (cron_tz_offset(tz, t, NULL) == tz->offs[i] && (!found || t < best)) {
            best = t;
            found = true;
        }
    }
    if (found)
        *utc = best;
    return found;
}

/* POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0", "<+08>-8"). */
static bool pz_name(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    if (*s == '<') {
        for (s++; *s && *s != '>'; s++, n++)
            if (!(is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-'))
                return false;
        if (*s++ != '>')
            return false;
    } else {
        for (; is_alpha(*s); s++)
            n++;
    }
    *p = s;
    return n >= 3;
}

static bool pz_num(const char **p, int maxdigits, long *out)
{
    const char *s = *p;
    long v = 0;
    int n = 0;
    while (is_digit(*s) && n < maxdigits) {
        v = v * 10 + (*s++ - '0');
        n++;
    }
    *p = s;
    *out = v;
    return n > 0;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh, as signed seconds. */
static bool pz_time(const char **p, long maxh, int32_t *out)
{
    const char *s = *p;
    long sign = 1, h, m = 0, sec = 0;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (!pz_num(&s, 3, &h) || h > maxh)
        return false;
    if (*s == ':') {
        s++;
        if (!pz_num(&s, 2, &m) || m > 59)
            return false;
        if (*s == ':') {
            s++;
            if (!pz_num(&s, 2, &sec) || sec > 59)
                return false;
        }
    }
    *out = (int32_t)(sign * (h * 3600 + m * 60 + sec));
    *p = s;
    return true;
}

static bool pz_date(const char **p, tz_date *d)
{
    const char *s = *p;
    long a, b, c;
    memset(d, 0, sizeof *d);
    if (*s == 'J') {
        s++;
        if (!pz_num(&s, 3, &a) || a < 1 || a > 365)
            return false;
        d->kind = 'J';
        d->n = (int)a;
    } else if (*s == 'M') {
        s++;
        if (!pz_num(&s, 2, &a) || a < 1 || a > 12 || *s++ != '.' || !pz_num(&s, 1, &b) ||
            b < 1 || b > 5 || *s++ != '.' || !pz_num(&s, 1, &c) || c > 6)
            return false;
        d->kind = 'M';
        d->m = (int)a;
        d->w = (int)b;
        d->d = (int)c;
    } else {
        if (!pz_num(&s, 3, &a) || a > 365)
            return false;
        d->kind = 'D';
        d->n = (int)a;
    }
    d->secs = 7200;
    if (*s == '/') {
        s++;
        if (!pz_time(&s, 167, &d->secs))
            return false;
    }
    *p = s;
    return true;
}

static bool pz_parse(const char *s, tz_rule *r)
{
    int32_t off;
    memset(r, 0, sizeof *r);
    if (!pz_name(&s) || !pz_time(&s, 24, &off))
        return false;
    r->std = -off; /* POSIX offsets count west */
    if (*s == '\0')
        return true;
    if (!pz_name(&s))
        return false;
    r->has_dst = true;
    r->dst = r->std + 3600;
    if (*s != ',' && *s != '\0') {
        if (!pz_time(&s, 24, &off))
            return false;
        r->dst = -off;
    }
    if (*s == '\0') { /* no rule given: the US rule, as glibc does */
        r->start = (tz_date){.kind = 'M', .m = 3, .w = 2, .d = 0, .secs = 7200};
        r->end = (tz_date){.kind = 'M', .m = 11, .w = 1, .d = 0, .secs = 7200};
        return true;
    }
    if (*s != ',')
        return false;
    s++;
    if (!pz_date(&s, &r->start) || *s != ',')
        return false;
    s++;
    if (!pz_date(&s, &r->end))
        return false;
    return *s == '\0';
}

/* TZif (RFC 8536). */
typedef struct {
    uint32_t isut, isstd, leap, time, type, chars;
} tzif_counts;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Header at buf[at]; returns the version (1-4) or 0 when malformed. The
 * size of the data block that follows goes to *size. */
static int tzif_header(const unsigned char *buf, size_t len, size_t at, int tsize,
                       tzif_counts *c, size_t *size)
{
    if (at > len || len - at < 44 || memcmp(buf + at, "TZif", 4) != 0)
        return 0;
    int v = buf[at + 4] == 0 ? 1 : (buf[at + 4] >= '2' && buf[at + 4] <= '4') ? buf[at + 4] - '0' : 0;
    const unsigned char *p = buf + at + 20;
    c->isut = be32(p);
    c->isstd = be32(p + 4);
    c->leap = be32(p + 8);
    c->time = be32(p + 12);
    c->type = be32(p + 16);
    c->chars = be32(p + 20);
    if (v == 0 || c->time > TZ_TRANS_MAX || c->type == 0 || c->type > TZ_TYPES_MAX ||
        c->chars > 65536 || c->leap > 100000 || (c->isut != 0 && c->isut != c->type) ||
        (c->isstd != 0 && c->isstd != c->type))
        return 0;
    *size = (size_t)c->time * (size_t)(tsize + 1) + (size_t)c->type * 6 + c->chars +
            (size_t)c->leap * (size_t)(tsize + 4) + c->isstd + c->isut;
    return v;
}

static void add_offset(cron_tz *tz, int32_t off)
{
    for (size_t i = 0; i < tz->noffs; i++)
        if (tz->offs[i] == off)
            return;
    tz->offs[tz->noffs++] = off;
    if (tz->noffs == 1 || off < tz->min_off)
        tz->min_off = off;
    if (tz->noffs == 1 || off > tz->max_off)
        tz->max_off = off;
}

cron_status cron_tz_from_tzif(const char *name, const unsigned char *buf, size_t len,
                              cron_tz **out, char *err, size_t errlen)
{
    cron_status rc = CRON_E_TZ;
    tzif_counts c;
    size_t size, at = 44;
    int tsize = 4, v;
    const char *why = "not a TZif file";
    char footer[256];
    cron_tz *tz = NULL;

    *out = NULL;
    if (!cron_tz_name_ok(name)) {
        seterr(err, errlen, "invalid time zone name");
        return CRON_E_TZ;
    }
    if ((v = tzif_header(buf, len, 0, 4, &c, &size)) == 0)
        goto bad;
    if (v >= 2) { /* skip the 32-bit block; use the 64-bit one */
        at = 44 + size;
        tsize = 8;
        why = "damaged TZif file";
        if (tzif_header(buf, len, at, 8, &c, &size) == 0)
            goto bad;
        at += 44;
    }
    why = "truncated TZif file";
    if (len - at < size)
        goto bad;
    why = "zones with leap seconds are not supported";
    if (c.leap != 0)
        goto bad;
    rc = CRON_E_NOMEM;
    if (!(tz = calloc(1, sizeof *tz)) || !(tz->trans = malloc(sizeof(int64_t) * (c.time + 1u))) ||
        !(tz->tidx = malloc(c.time + 1u)))
        goto fail;
    rc = CRON_E_TZ;
    why = "damaged TZif file";
    snprintf(tz->name, sizeof tz->name, "%s", name);
    const unsigned char *p = buf + at, *ip = p + (size_t)c.time * (size_t)tsize;
    const unsigned char *tp = ip + c.time;
    for (uint32_t i = 0; i < c.time; i++) {
        tz->trans[i] = tsize == 8 ? be64(p + 8 * i) : (int32_t)be32(p + 4 * i);
        tz->tidx[i] = ip[i];
        if (ip[i] >= c.type || (i > 0 && tz->trans[i] <= tz->trans[i - 1]))
            goto bad;
    }
    tz->ntrans = c.time;
    tz->ntypes = c.type;
    for (uint32_t i = 0; i < c.type; i++) {
        int32_t off = (int32_t)be32(tp + 6 * i);
        if (off < -TZ_OFF_LIMIT || off > TZ_OFF_LIMIT || tp[6 * i + 4] > 1)
            goto bad;
        tz->type_off[i] = off;
        tz->type_dst[i] = tp[6 * i + 4];
        add_offset(tz, off);
    }
    at += size; /* the footer: "\nTZ-string\n" (version 2 and later) */
    if (v >= 2 && at < len) {
        size_t n = 0;
        if (buf[at] != '\n')
            goto bad;
        while (at + 1 + n < len && buf[at + 1 + n] != '\n' && n < sizeof footer - 1)
            n++;
        if (at + 1 + n >= len || buf[at + 1 + n] != '\n')
            goto bad;
        memcpy(footer, buf + at + 1, n);
        footer[n] = '\0';
        why = "unsupported TZ rule in TZif footer";
        if (n > 0 && (memchr(footer, '\0', n) || !pz_parse(footer, &tz->rule)))
            goto bad;
        tz->has_rule = n > 0;
        if (tz->has_rule) {
            if (tz->rule.std < -TZ_OFF_LIMIT || tz->rule.std > TZ_OFF_LIMIT ||
                tz->rule.dst < -TZ_OFF_LIMIT || tz->rule.dst > TZ_OFF_LIMIT)
                goto bad;
            add_offset(tz, tz->rule.std);
            if (tz->rule.has_dst)
                add_offset(tz, tz->rule.dst);
        }
    }
    *out = tz;
    return CRON_OK;
bad:
    seterr(err, errlen, "time zone '%s': %s", name, why);
fail:
    if (rc == CRON_E_NOMEM)
        seterr(err, errlen, "out of memory");
    cron_tz_free(tz);
    return rc;
}

cron_status cron_tz_load(const char *name, cron_tz **out, char *err, size_t errlen)
{
    char path[sizeof CRON_TZDIR + CRON_TZ_NAME_MAX + 2];
    unsigned char *buf = NULL;
    struct stat st;
    size_t got = 0;
    int fd = -1;
    cron_status rc = CRON_E_TZ;

    *out = NULL;
    if (!cron_tz_name_ok(name)) {
        char q[32];
        seterr(err, errlen, "invalid time zone name '%s'",
               name ? quote(q, name, strnlen(name, 64)) : "");
        return CRON_E_TZ;
    }
    if (strcmp(name, "UTC") == 0) {
        if (!(*out = malloc(sizeof **out))) {
            seterr(err, errlen, "out of memory");
            return CRON_E_NOMEM;
        }
        **out = utc_zone;
        return CRON_OK;
    }
    snprintf(path, sizeof path, "%s/%s", CRON_TZDIR, name);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
            seterr(err, errlen, "time zone '%s' cannot be read", name);
        else
            seterr(err, errlen, "unknown time zone '%s'", name);
        goto done;
    }
    if (st.st_size < 44 || st.st_size > TZ_FILE_MAX) {
        seterr(err, errlen, "time zone '%s': not a TZif file", name);
        goto done;
    }
    if (!(buf = malloc((size_t)st.st_size))) {
        rc = CRON_E_NOMEM;
        seterr(err, errlen, "out of memory");
        goto done;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    rc = cron_tz_from_tzif(name, buf, got, out, err, errlen);
done:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

void cron_tz_free(cron_tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->tidx);
    free(tz);
}

const char *cron_tz_name(const cron_tz *tz)
{
    return tz ? tz->name : utc_zone.name;
}

/* ------------------------------------------------------------------ */
/* 3. Search                                                            */

/* The first minute of local day `day` matching e whose first occurrence
 * is after `after`. */
static bool search_day(const cron_expr *e, const cron_tz *tz, int64_t day, int64_t after,
                       int64_t *next)
{
    for (int h = 0; h < 24; h++) {
        int64_t base = day * 86400 + h * 3600;
        /* no instant showing a local time L is later than L - min_off */
        if (!((e->hours >> h) & 1u) || base + 59 * 60 - tz->min_off <= after)
            continue;
        for (int m = 0; m < 60; m++) {
            int64_t local = base + m * 60, t;
            if (!((e->minutes >> m) & 1u) || local - tz->min_off <= after)
                continue;
            if (cron_tz_local_to_utc(tz, local, &t) && t > after) {
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
    if (!tz)
        tz = &utc_zone;
    if (after < CRON_TIME_MIN || after > CRON_TIME_MAX)
        return CRON_E_TIME;
    if (!e->minutes || !e->hours || !e->mdays || !e->months || !e->wdays)
        return CRON_E_NEVER;
    /* the earliest local day that can show an instant after `after` */
    int64_t day = floor_div(after + 1 + tz->min_off, 86400);
    int64_t end = day + 146097 * (CRON_SEARCH_YEARS / 400) + 2;
    cron_days_to_civil(day, &y, &m, &d);
    while (day < end) {
        int md = month_days(y, m);
        if ((e->months >> m) & 1u) {
            for (int wd = weekday(day); d <= md; d++, day++, wd = (wd + 1) % 7)
                if (day_match(e, d, wd) && search_day(e, tz, day, after, next))
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
