/* cron.h -- crontab expressions and IANA time zones, with no global state.
 *
 * What: parse a five-field crontab expression (minute, hour, day of month,
 * month, day of week) or a macro (@hourly ... @yearly) into bit sets, and
 * compute the next instant strictly after a given Unix time at which it
 * fires in a given IANA time zone ("Asia/Shanghai", "America/New_York").
 *
 * How: time zones are read from the TZif files under CRON_TZDIR by this
 * module (cron_tz.c) (versions 1-4; the transition table plus the POSIX TZ footer for
 * instants past the table). A loaded cron_tz is immutable, so one may be
 * shared by any number of threads; nothing here calls setenv/tzset/
 * localtime or keeps mutable statics. Everything is pure arithmetic on the
 * proleptic Gregorian calendar; leap seconds are not modelled.
 *
 * Syntax accepted (classic Vixie cron, names and macros case-insensitive):
 *   field          values     notes
 *   minute         0-59
 *   hour           0-23
 *   day of month   1-31
 *   month          1-12       or JAN..DEC
 *   day of week    0-7        or SUN..SAT; 0 and 7 are both Sunday
 *   item  :=  *  |  N  |  N-M  |  *\/S  |  N-M/S  |  N/S (= N-max/S)
 *   field :=  item[,item...]      fields are separated by spaces or tabs
 *   macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *",
 *           @weekly = "0 0 * * 0", @daily = @midnight = "0 0 * * *",
 *           @hourly = "0 * * * *". @reboot is refused.
 * Day rule (Vixie): a field is "unrestricted" when its text starts with
 * '*' (so "*" and "*\/2" are, "1-31" is not). When both day of month and
 * day of week are restricted, a day matches if EITHER matches
 * ("0 0 1 * MON" = the 1st and every Monday); otherwise both must match.
 *
 * Time-zone rules for cron_next():
 *   - The expression is matched against local wall-clock time.
 *   - Gap (clocks jump forward): a local time that does not exist that day
 *     runs at the end of the gap, the instant the clocks jumped (as Vixie
 *     cron does), once however many scheduled times the gap swallowed:
 *     "30 2 * * *" in America/New_York runs at 03:00 EDT on the
 *     spring-forward day, so a daily job never silently misses a day.
 *   - Overlap (clocks fall back): a local time that occurs twice runs once,
 *     at its first occurrence (the earlier instant, still on summer time).
 *     "*\/15 1 * * *" runs 01:00..01:45 EDT and not again in EST.
 *   - The search is bounded to CRON_SEARCH_YEARS (400: the Gregorian
 *     calendar repeats itself exactly, weekdays included, every 400 years),
 *     so an expression that can never match ("0 0 30 2 *") returns
 *     CRON_E_NEVER instead of looping. cron_possible() detects the same
 *     thing without searching and explains it.
 */
#ifndef CAIRN_CRON_H
#define CAIRN_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRON_TEXT_MAX 1024          /* longest expression accepted, bytes */
#define CRON_ERR_MAX 160            /* enough room for any error message */
#define CRON_TZ_NAME_MAX 64         /* longest time-zone name accepted */
#define CRON_TZDIR "/usr/share/zoneinfo"
#define CRON_SEARCH_YEARS 400
/* Instants accepted by cron_next(): 0001-01-01 to 9999-12-31 UTC. */
#define CRON_TIME_MIN (-62135596800LL)
#define CRON_TIME_MAX 253402300799LL

/* Result codes. Every failing call also writes a message (see each). */
typedef enum {
    CRON_OK = 0,
    CRON_E_FIELDS,  /* empty expression, wrong number of fields, bad macro */
    CRON_E_SYNTAX,  /* malformed item: not a number, stray character */
    CRON_E_RANGE,   /* value, range or step out of the field's range */
    CRON_E_NAME,    /* unknown month or day name */
    CRON_E_TZ,      /* invalid, unknown or unreadable time zone */
    CRON_E_NEVER,   /* the expression never matches (within the bound) */
    CRON_E_TIME,    /* instant outside CRON_TIME_MIN..CRON_TIME_MAX */
    CRON_E_NOMEM,   /* allocation failed */
} cron_status;

/* Field flags: the field's text started with '*' (Vixie's DOM_STAR and
 * DOW_STAR), which selects AND rather than OR for the day rule. */
enum { CRON_DOM_STAR = 1 << 0, CRON_DOW_STAR = 1 << 1 };

/* A parsed expression: plain bit sets, freely copyable, no ownership.
 * Bit n of a set is value n (minutes 0-59, hours 0-23, days of month
 * 1-31, months 1-12, days of week 0-6 with Sunday = 0). */
typedef struct cron_expr {
    uint64_t minutes;
    uint32_t hours;
    uint32_t mdays;
    uint16_t months;
    uint8_t wdays;
    uint8_t flags;
} cron_expr;

/* A loaded time zone. Opaque and immutable; safe to share across threads. */
typedef struct cron_tz cron_tz;

/* Parse text (NUL-terminated, at most CRON_TEXT_MAX bytes) into *out.
 * On error returns the code and writes one line to err (errlen bytes,
 * always NUL-terminated when errlen > 0; CRON_ERR_MAX is enough) naming
 * the field and quoting the offending text, e.g. "hour: 24 is out of range
 * 0-23", "day of week: unknown name FUNDAY", "expected 5 fields, got 6".
 * Quoted text is cut to 24 bytes with non-printable bytes shown as '?', so
 * the message is always printable ASCII. *out is only written on success.
 * Accepts expressions that never match; see cron_possible(). */
cron_status cron_parse(const char *text, cron_expr *out, char *err, size_t errlen);

/* CRON_OK when some date matches e, else CRON_E_NEVER with a message such
 * as "day of month: 30 never occurs in February". Exact: cron_next() finds
 * a time for e iff this returns CRON_OK, in every time zone. */
cron_status cron_possible(const cron_expr *e, char *err, size_t errlen);

/* True when a local wall-clock time matches e (mon 1-12, mday 1-31,
 * wday 0-6 with Sunday = 0, hour 0-23, min 0-59), day rule included. */
bool cron_matches(const cron_expr *e, int mon, int mday, int wday, int hour, int min);

/* The first instant strictly after `after` (Unix seconds) at which e fires
 * in zone tz (NULL = UTC), written to *next. Returns CRON_OK,
 * CRON_E_NEVER when nothing matches within CRON_SEARCH_YEARS, or
 * CRON_E_TIME when after is outside CRON_TIME_MIN..CRON_TIME_MAX. Pure and
 * thread-safe. Cost: a few microseconds usually; about a millisecond for
 * an expression that never matches. */
cron_status cron_next(const cron_expr *e, const cron_tz *tz, int64_t after, int64_t *next);

/* True when name is acceptable as a time-zone name: 1..CRON_TZ_NAME_MAX
 * bytes of [A-Za-z0-9_+-/], no leading or trailing '/', no empty, "." or
 * ".." component. Says nothing about whether the zone exists. */
bool cron_tz_name_ok(const char *name);

/* Load zone `name` from CRON_TZDIR/name. "UTC" is built in (no file
 * needed). On success *out owns a new zone (free with cron_tz_free()).
 * Errors: CRON_E_TZ with "invalid time zone name 'x'", "unknown time zone
 * 'x'" or "time zone 'x': <why the file was refused>" (zones with leap
 * seconds, under right/, are refused); CRON_E_NOMEM. *out is NULL on
 * error. Reads the file once; no global state. */
cron_status cron_tz_load(const char *name, cron_tz **out, char *err, size_t errlen);

/* Build a zone from TZif bytes already in memory (buf, len; not kept).
 * name is only recorded (it must pass cron_tz_name_ok()). Same results as
 * cron_tz_load(). Every count, index and offset in the data is checked. */
cron_status cron_tz_from_tzif(const char *name, const unsigned char *buf, size_t len,
                              cron_tz **out, char *err, size_t errlen);

/* Free a zone from cron_tz_load()/cron_tz_from_tzif(); NULL is a no-op. */
void cron_tz_free(cron_tz *tz);

/* The zone's name as loaded (borrowed; lives as long as tz). "UTC" for
 * NULL. */
const char *cron_tz_name(const cron_tz *tz);

/* UTC offset in seconds (east positive) in force at instant t in tz
 * (NULL = UTC); *is_dst (may be NULL) says whether it is summer time. */
int32_t cron_tz_offset(const cron_tz *tz, int64_t t, bool *is_dst);

/* Convert local wall-clock seconds (local time written as if it were UTC,
 * e.g. from cron_civil_to_days()*86400 + h*3600 + m*60) to the instant
 * when it first occurs in tz. Returns false when that local time does not
 * exist (a DST gap). */
bool cron_tz_local_to_utc(const cron_tz *tz, int64_t local, int64_t *utc);

/* The first instant at which tz's wall clock shows `local` or a later
 * time: the first occurrence of a time that exists, the end of the gap
 * (the instant clocks jumped forward) for one that does not. Never
 * decreases as `local` grows. This is when a schedule for `local` runs. */
int64_t cron_tz_local_reach(const cron_tz *tz, int64_t local);

/* The smallest and largest UTC offsets tz (NULL = UTC) ever uses: every
 * instant showing local time L lies in [L - max_off, L - min_off]. */
void cron_tz_offset_range(const cron_tz *tz, int32_t *min_off, int32_t *max_off);

/* Calendar helpers (proleptic Gregorian; days counted from 1970-01-01).
 * cron_civil_to_days: the day number of y-m-d (m 1-12, d 1-31).
 * cron_days_to_civil: the inverse. cron_month_days: 28-31 (0 for a bad
 * month). cron_weekday: 0-6, Sunday = 0. All pure; valid far beyond the
 * years cron_next() accepts. */
int64_t cron_civil_to_days(int64_t y, int m, int d);
void cron_days_to_civil(int64_t days, int64_t *y, int *m, int *d);
int cron_month_days(int64_t y, int m);
int cron_weekday(int64_t days);

#endif
