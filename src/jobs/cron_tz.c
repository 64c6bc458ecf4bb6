/* cron_tz.c -- IANA time zones for cron.h, read from TZif files by hand.
 *
 * What: load a zone (cron_tz_load: validate the name, read
 * CRON_TZDIR/<name>), answer "which UTC offset is in force at instant t"
 * and "at which instant does local wall-clock time L first occur".
 * How: the TZif reader (RFC 8536/9636, versions 1-4) keeps the 64-bit
 * transition table and the offsets of its local time types; instants past
 * the table are answered by evaluating the POSIX TZ string of the file's
 * footer ("EST5EDT,M3.2.0,M11.1.0"). A loaded zone is never changed again,
 * so it can be shared between threads; nothing here touches TZ, tzset() or
 * localtime(), which rely on process-global state. Local -> UTC tries each
 * distinct offset the zone ever uses (a handful) and keeps the earliest
 * instant that really shows that local time: none in a gap, the first one
 * in an overlap. "When is local time L reached" (cron_tz_local_reach, what
 * the scheduler uses) walks the stretches of constant offset from the
 * first instant that could show L and stops where the clock first shows L
 * or jumps past it. Leap seconds are not modelled (right/ zones are
 * refused).
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

static const char bad_name[] =
    "invalid time zone name: use letters, digits and _ + - / only, like Asia/Shanghai";

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

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

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
        day = cron_civil_to_days(y, 1, 1) + d->n - 1 + (cron_month_days(y, 2) == 29 && d->n >= 60);
    } else if (d->kind == 'D') {
        day = cron_civil_to_days(y, 1, 1) + d->n;
    } else {
        int64_t first = cron_civil_to_days(y, d->m, 1);
        int off = (d->d - cron_weekday(first) + 7) % 7 + (d->w - 1) * 7;
        while (off >= cron_month_days(y, d->m))
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

/* The smallest instant later than t at which the offset may change
 * (INT64_MAX when it never does again). Under the POSIX rule that is a
 * start or end of summer time, or a new year of standard local time (the
 * year rule_offset() evaluates the rule in); a candidate may turn out not
 * to change anything, but no real change is ever missed. */
static int64_t next_change(const cron_tz *tz, int64_t t)
{
    if (tz->ntrans > 0 && t < tz->trans[tz->ntrans - 1]) {
        size_t lo = 0, hi = tz->ntrans - 1; /* smallest i with trans[i] > t */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        return tz->trans[lo];
    }
    if (!tz->has_rule || !tz->rule.has_dst)
        return INT64_MAX;
    const tz_rule *r = &tz->rule;
    int64_t y0, best = INT64_MAX;
    int m, d;
    cron_days_to_civil(floor_div(t + r->std, 86400), &y0, &m, &d);
    for (int64_t y = y0; y <= y0 + 1; y++) {
        int64_t c[3] = {rule_local(&r->start, y) - r->std, rule_local(&r->end, y) - r->dst,
                        cron_civil_to_days(y + 1, 1, 1) * 86400 - r->std};
        for (int k = 0; k < 3; k++)
            if (c[k] > t && c[k] < best)
                best = c[k];
    }
    return best;
}

int64_t cron_tz_local_reach(const cron_tz *tz, int64_t local)
{
    int32_t min_off, max_off;
    if (!tz)
        tz = &utc_zone;
    cron_tz_offset_range(tz, &min_off, &max_off);
    /* walk the stretches of constant offset from the first instant that
     * could show `local`; in each, the clock shows t + off */
    for (int64_t t = local - max_off;;) {
        int32_t off = cron_tz_offset(tz, t, NULL);
        int64_t change = next_change(tz, t);
        if (t + off >= local)
            return t;
        if (local - off < change)
            return local - off;
        t = change;
    }
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
    unsigned char ver = buf[at + 4];
    int v = ver == 0 ? 1 : (ver >= '2' && ver <= '4') ? ver - '0' : 0;
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
        seterr(err, errlen, "%s", bad_name);
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
        seterr(err, errlen, "%s", bad_name);
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

void cron_tz_offset_range(const cron_tz *tz, int32_t *min_off, int32_t *max_off)
{
    if (!tz)
        tz = &utc_zone;
    *min_off = tz->min_off;
    *max_off = tz->max_off;
}
