/* schedule.h -- when a scheduled task runs: pure timetable logic.
 *
 * What: a schedule is either an interval ("every 5 minutes", optionally
 * from a start time) or a crontab expression in an IANA time zone, plus
 * enabled, an optional expiry and a policy for runs missed while cairnd was
 * down. It replaces AdminSet's Celery-beat IntervalSchedule, CrontabSchedule
 * and the timing columns of PeriodicTask. This module only decides; the
 * caller stores the definition (schedule_to_json) and the sched_state in
 * the database, asks schedule_due() with its own clock, runs the task and
 * records the run. No database, no threads, no clock of its own, no global
 * state: every function is pure and thread-safe (a schedule is read-only
 * once parsed).
 *
 * Timetable rules:
 *   - Interval: runs at origin + k*period. origin = start_at when given
 *     (the first run is then at start_at itself), otherwise the state's
 *     anchor (the first run one period after the schedule was saved, as
 *     Celery beat does). Runs stay on that grid: a late run does not shift
 *     the following ones.
 *   - Crontab: cron.h's rules (Vixie day rule; DST gap skipped, overlap
 *     run once at its first occurrence).
 *   - The pending run is the first scheduled time strictly after
 *     ref = max(anchor, last_run). Saving a changed definition must reset
 *     the anchor to the time of the change, so an edit never causes a
 *     burst of catch-up runs for times before it.
 *   - catchup "once" (default): if the pending time has passed, run now,
 *     once, however many times were missed. catchup "skip": run only if a
 *     scheduled time lies within the last grace_seconds (default 60);
 *     older missed times are dropped and the schedule waits for the next.
 *   - Never two runs for one time: after schedule_record_run(st, now),
 *     schedule_due() is false until the next scheduled time after now.
 *   - enabled = false, or now >= expires_at: never runs, no next time.
 *
 * JSON (what the API accepts; unknown fields are refused):
 *   {"type":"interval", "every":5, "unit":"minutes", "start_at":1700000000}
 *   {"type":"cron", "cron":"*\/5 * * * *", "timezone":"Asia/Shanghai"}
 *   common, optional: "enabled": true, "expires_at": <unix s> | null,
 *   "catchup": "once" | "skip", "grace_seconds": 1..86400.
 *   unit: "seconds" | "minutes" | "hours" | "days"; every >= 1 and
 *   every*unit at most 100 years; timezone defaults to "UTC"; times are
 *   integer Unix seconds as elsewhere in the API.
 */
#ifndef CAIRN_SCHEDULE_H
#define CAIRN_SCHEDULE_H

#include "jobs/cron.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define SCHED_GRACE_DEFAULT 60
#define SCHED_GRACE_MAX 86400
#define SCHED_PERIOD_MAX (100LL * 365 * 86400)

typedef enum { SCHED_INTERVAL = 1, SCHED_CRON = 2 } sched_type;
typedef enum { SCHED_SECONDS, SCHED_MINUTES, SCHED_HOURS, SCHED_DAYS } sched_unit;
typedef enum { SCHED_CATCHUP_ONCE, SCHED_CATCHUP_SKIP } sched_catchup;

/* Results of schedule_from_json(). */
enum { SCHED_OK = 0, SCHED_E_INVALID = 1, SCHED_E_NOMEM = 2 };

/* A parsed definition. Read-only after schedule_from_json(); owns tz. */
typedef struct schedule {
    sched_type type;
    /* interval */
    int64_t every;   /* as given, in unit */
    sched_unit unit;
    int64_t period;  /* every * unit, seconds */
    bool has_start;
    int64_t start_at;
    /* crontab */
    char cron_text[CRON_TEXT_MAX + 1];
    cron_expr cron;
    cron_tz *tz;     /* owned; never NULL for a crontab schedule */
    /* common */
    bool enabled;
    bool has_expires;
    int64_t expires_at;
    sched_catchup catchup;
    int64_t grace;   /* seconds */
} schedule;

/* What the caller stores next to the definition. */
typedef struct sched_state {
    int64_t anchor;     /* when the definition was created or last changed */
    bool has_last_run;
    int64_t last_run;   /* the `now` of the last schedule_record_run() */
    int64_t run_count;
} sched_state;

/* Why a definition was refused: the JSON field ("cron", "timezone",
 * "every", ...; "schedule" for the object itself) and a message for the
 * API's {"field": ..., "message": ...}. Both are valid UTF-8. */
typedef struct sched_error {
    char field[64];
    char message[256];
} sched_error;

/* The answer of schedule_due(). */
typedef struct sched_due {
    bool run;          /* start a run now */
    bool catchup;      /* ... for a time more than grace seconds ago */
    int64_t scheduled; /* the scheduled time this run stands for (if run) */
    bool has_next;     /* false: disabled, expired or no later time */
    int64_t next;      /* the first scheduled time strictly after now */
} sched_due;

/* Parse and validate a definition. On SCHED_OK *out owns a new schedule
 * (free with schedule_free). On SCHED_E_INVALID or SCHED_E_NOMEM *out is
 * NULL and err (may be NULL) says why. Refuses an expression that can
 * never run ("0 0 30 2 *": "day of month: 30 never occurs in February").
 * Does not read the clock: an expires_at in the past is accepted. */
int schedule_from_json(const json_t *obj, schedule **out, sched_error *err);

/* Free a schedule and its time zone; NULL is a no-op. */
void schedule_free(schedule *s);

/* The definition as normalised JSON (every field, defaults filled in);
 * schedule_from_json() of it gives the same schedule. New reference, NULL
 * when out of memory. */
json_t *schedule_to_json(const schedule *s);

/* Decide at `now` (Unix seconds): run now or not, and the next scheduled
 * time. Pure and deterministic; see the rules at the top. */
sched_due schedule_due(const schedule *s, const sched_state *st, int64_t now);

/* When the next run will start: now if schedule_due() says run, else its
 * next time. False when there is none (disabled, expired, never). */
bool schedule_next_run(const schedule *s, const sched_state *st, int64_t now, int64_t *next);

/* Record a run started at now: last_run = now, run_count + 1. */
void schedule_record_run(sched_state *st, int64_t now);

/* Up to n scheduled times strictly after max(now, anchor, last_run),
 * before expires_at, in order, into out[]; ignores enabled (for previews
 * in the console). Returns how many were written. */
size_t schedule_upcoming(const schedule *s, const sched_state *st, int64_t now, int64_t *out,
                         size_t n);

#endif
