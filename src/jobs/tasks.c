/* tasks.c -- scheduled tasks: a job body plus a schedule, and the thread
 * that queues their jobs on time (what Celery beat + workers did in AdminSet).
 *
 *   GET    /api/v1/tasks                 list (name, kind, schedule, next/last run, runs, last status)
 *   POST   /api/v1/tasks                 {"name","description","job":{…POST /jobs body…},"schedule":{…}}
 *   GET    /api/v1/tasks/{id}            one task
 *   PUT|PATCH /api/v1/tasks/{id}         change it (a new schedule restarts its timing: no burst of catch-ups)
 *   DELETE /api/v1/tasks/{id}            delete it (its past jobs stay, unlinked)
 *   POST   /api/v1/tasks/{id}/run        queue a job now
 *   POST   /api/v1/schedules/preview     {"schedule":{…}} → the next five times, or the error
 *
 * Schedules are schedule.h's (interval or crontab with a time zone; catch-up
 * "once" or "skip"; expiry; enabled). The job body is checked when the task
 * is saved, with the saver's rights, and its targets are resolved again at
 * each run with the rights of the user who saved it, so a task never
 * reaches hosts its owner could not.
 *
 * No double runs, even with several cairnd on one database: the scheduler
 * moves next_run_at with "UPDATE … WHERE id = ? AND next_run_at = <what it
 * read>" in the transaction that queues the job; only one instance wins.
 */
#include "jobs/tasks.h"

#include "api/audit.h"
#include "api/listq.h"
#include "cmdb/res_internal.h"
#include "common/log.h"
#include "common/util.h"
#include "http/auth.h"
#include "jobs/jobs.h"
#include "jobs/schedule.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- checking a task body ---------------------------------------------------- */

static bool bad(http_resp *w, const char *field, const char *msg)
{
    resp_error(w, 400, "bad_request", field, "%s", msg);
    return false;
}

/* Parse the schedule of body into *out (caller frees). Answers 400. */
static bool parse_schedule(http_resp *w, const json_t *sj, schedule **out)
{
    sched_error e = {{0}, {0}};
    if (!json_is_object(sj))
        return bad(w, "schedule", "schedule must be an object, e.g. {\"type\":\"cron\",\"cron\":\"*/5 * * * *\"}");
    int rc = schedule_from_json(sj, out, &e);
    if (rc == SCHED_E_NOMEM) {
        resp_internal(w, "out of memory");
        return false;
    }
    if (rc != SCHED_OK) {
        resp_error(w, 400, "bad_request", e.field[0] ? e.field : "schedule", "%s", e.message);
        return false;
    }
    return true;
}

static bool check_fields(http_resp *w, const json_t *body, bool creating)
{
    static const char *const known[] = {"name", "description", "job", "schedule", NULL};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        bool ok = false;
        for (const char *const *p = known; *p; p++)
            ok |= strcmp(*p, k) == 0;
        if (!ok) {
            resp_error(w, 400, "bad_request", k, "unknown field \"%s\"", k);
            return false;
        }
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    json_t *nv = json_object_get(body, "name"), *dv = json_object_get(body, "description");
    if ((creating || nv) && (!name || !*name || util_utf8_len(name) > 100 || strpbrk(name, "\r\n\t")))
        return bad(w, "name", "name must be one line of 1 to 100 characters");
    if (dv && (!json_is_string(dv) || util_utf8_len(json_string_value(dv)) > 255))
        return bad(w, "description", "description must be text of at most 255 characters");
    if (creating && (!json_object_get(body, "job") || !json_object_get(body, "schedule")))
        return bad(w, json_object_get(body, "job") ? "schedule" : "job", "a task needs a job and a schedule");
    if (json_object_get(body, "job") && !json_is_object(json_object_get(body, "job")))
        return bad(w, "job", "job must be an object like the body of POST /api/v1/jobs");
    return true;
}

/* Check the job body with the caller's rights (answers like POST /jobs). */
static bool check_job(http_req *r, http_resp *w, db_conn *c, const json_t *job)
{
    const char *kind;
    json_t *spec = NULL, *hosts = NULL;
    bool ok = jobs_prepare(r, w, c, job, &kind, &spec, &hosts);
    json_decref(spec);
    json_decref(hosts);
    if (!ok && w->body) { /* name the field inside job */
        json_t *e = json_loads(w->body, 0, NULL);
        json_t *f = json_object_get(json_object_get(e, "error"), "field");
        if (json_is_string(f)) {
            char field[96];
            snprintf(field, sizeof field, "job.%s", json_string_value(f));
            resp_error(w, w->status, json_string_value(json_object_get(json_object_get(e, "error"), "code")), field,
                       "%s", json_string_value(json_object_get(json_object_get(e, "error"), "message")));
        }
        json_decref(e);
    }
    return ok;
}

static const char *job_kind(const json_t *job)
{
    static const struct {
        const char *key, *kind;
    } map[] = {{"command", "command"}, {"script_id", "script"}, {"file", "file"}, {"module", "ansible_module"},
               {"playbook_id", "playbook"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (json_object_get(job, map[i].key))
            return map[i].kind;
    return "";
}

/* next_run_at for a definition and state, as a bound value. */
static db_val next_of(const schedule *s, const sched_state *st, int64_t now)
{
    int64_t next = 0;
    return schedule_next_run(s, st, now, &next) ? DB_INT(next) : DB_NULLV;
}

/* ---- reading ------------------------------------------------------------------- */

static json_t *task_row(json_t *row)
{
    static const char *const js[] = {"spec", "schedule", NULL};
    for (const char *const *k = js; *k; k++) {
        json_t *v = json_loads(json_string_value(json_object_get(row, *k)), 0, NULL);
        json_object_set_new(row, *k, v ? v : json_null());
    }
    json_t *job = json_object_get(row, "spec");
    json_object_set(row, "job", job);
    json_object_set_new(row, "kind", json_string(job_kind(job)));
    json_object_del(row, "spec");
    json_t *file = json_object_get(job, "file");
    if (file)
        json_object_del(file, "content_base64");
    json_object_set_new(row, "enabled", json_boolean(json_is_true(json_object_get(json_object_get(row, "schedule"), "enabled"))));
    return row;
}

#define TASK_COLUMNS                                                                                     \
    "id, name, description, spec, schedule, expires_at, next_run_at, last_run_at, last_job_id, last_status, " \
    "run_count, created_by, created_at, updated_at"

static int expand_tasks(db_conn *c, json_t *rows)
{
    (void)c;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        task_row(row);
    return 0;
}

static const listq_field task_fields[] = {
    {"id", LISTQ_SORT}, {"name", LISTQ_SORT | LISTQ_SEARCH}, {"description", LISTQ_SEARCH},
    {"next_run_at", LISTQ_SORT}, {"last_run_at", LISTQ_SORT}, {"run_count", LISTQ_SORT},
    {"updated_at", LISTQ_SORT}, {"spec", LISTQ_SEARCH}, {NULL, 0},
};

static bool task_hidden(http_req *r, db_conn *c, const json_t *job);

/* A role limited to host groups lists only the tasks it could open (see
 * task_hidden): every matching task is read, filtered here and paged here,
 * so total and pages count only visible tasks. Task lists are short (one
 * row per schedule), so reading them all is cheap. */
static void list_scoped(http_req *r, http_resp *w, listq *q)
{
    json_t *rows = NULL, *items = json_array();
    int64_t total = 0, visible = 0;
    db_conn *c = NULL;
    q->all = true;
    q->expand = NULL;
    if (!items) {
        resp_internal(w, "out of memory");
        goto done;
    }
    if (!listq_fetch(r, w, q, "SELECT " TASK_COLUMNS " FROM tasks", &rows, &total))
        goto done;
    c = db_acquire(r->app->db);
    int64_t first = (q->page - 1) * q->per_page;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_t *job = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
        bool hidden = task_hidden(r, c, job);
        json_decref(job);
        if (hidden)
            continue;
        if (visible >= first && visible < first + q->per_page)
            json_array_append(items, task_row(row));
        visible++;
    }
    resp_json(w, 200, json_pack("{s:O, s:I}", "items", items, "total", (json_int_t)visible));
done:
    if (c)
        db_release(c);
    json_decref(rows);
    json_decref(items);
}

void tasks_list(http_req *r, http_resp *w)
{
    listq q;
    if (listq_parse(r, w, task_fields, "name", &q)) {
        q.expand = expand_tasks;
        if (res_scoped(r, &res_hosts))
            list_scoped(r, w, &q);
        else
            listq_run(r, w, &q, "SELECT " TASK_COLUMNS " FROM tasks", NULL);
    }
    listq_free(&q);
}

static json_t *load_task(db_conn *c, int64_t id)
{
    json_t *row = NULL;
    if (db_query_one(c, "SELECT " TASK_COLUMNS ", anchor, created_by_id FROM tasks WHERE id = $1",
                     DB_ARGS(DB_INT(id)), &row) != DB_OK)
        return NULL;
    return task_row(row);
}

/* Whether a role limited to host groups must not see a task with this job:
 * it may see only tasks whose targets lie within its groups (what
 * jobs_prepare with the caller's rights finds), like the hosts themselves.
 * Always false for an unlimited role. */
static bool task_hidden(http_req *r, db_conn *c, const json_t *job)
{
    if (!res_scoped(r, &res_hosts))
        return false;
    http_resp w = {.fd = -1};
    const char *kind;
    json_t *spec = NULL, *hosts = NULL;
    bool hidden = false;
    if (!jobs_prepare(r, &w, c, job, &kind, &spec, &hosts) && w.body) {
        json_t *e = json_loads(w.body, 0, NULL);
        const char *f = json_string_value(json_object_get(json_object_get(e, "error"), "field"));
        hidden = f && (strcmp(f, "hosts") == 0 || strcmp(f, "groups") == 0);
        json_decref(e);
    }
    json_decref(spec);
    json_decref(hosts);
    resp_free(&w);
    return hidden;
}

/* Load a task the caller may see (task_hidden): NULL when missing or hidden,
 * which the caller answers as "not found". */
static json_t *load_visible_task(http_req *r, db_conn *c, int64_t id)
{
    json_t *t = load_task(c, id);
    if (t && task_hidden(r, c, json_object_get(t, "job"))) {
        json_decref(t);
        t = NULL;
    }
    return t;
}

void tasks_get(http_req *r, http_resp *w)
{
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    json_t *t = load_visible_task(r, c, id);
    db_release(c);
    if (!t) {
        resp_error(w, 404, "not_found", NULL, "no task with id %lld", (long long)id);
        return;
    }
    json_object_del(t, "anchor");
    resp_json(w, 200, t);
}

/* ---- writing ------------------------------------------------------------------ */

/* The stored forms of body's job and schedule (new strings) after checks. */
static bool prepare_parts(http_req *r, http_resp *w, db_conn *c, const json_t *body, char **job_text,
                          char **sched_text, schedule **s)
{
    json_t *job = json_object_get(body, "job"), *sj = json_object_get(body, "schedule");
    *job_text = *sched_text = NULL;
    *s = NULL;
    if (job && !check_job(r, w, c, job))
        return false;
    if (sj && !parse_schedule(w, sj, s))
        return false;
    if (job && !(*job_text = json_dumps(job, JSON_COMPACT | JSON_SORT_KEYS)))
        goto oom;
    if (*s) {
        json_t *norm = schedule_to_json(*s);
        *sched_text = norm ? json_dumps(norm, JSON_COMPACT) : NULL;
        json_decref(norm);
        if (!*sched_text)
            goto oom;
    }
    return true;
oom:
    resp_internal(w, "out of memory");
    return false;
}

void tasks_create(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *row = NULL;
    char *job_text = NULL, *sched_text = NULL;
    schedule *s = NULL;
    db_conn *c = NULL;
    if (!body || !check_fields(w, body, true))
        goto done;
    c = db_acquire(r->app->db);
    if (!prepare_parts(r, w, c, body, &job_text, &sched_text, &s) || !s)
        goto done;
    int64_t now = util_now();
    sched_state st = {.anchor = now};
    const char *desc = json_string_value(json_object_get(body, "description"));
    int rc = db_query_one(c, "INSERT INTO tasks (name, description, spec, schedule, anchor, created_by_id, created_by, "
                             "expires_at, next_run_at, created_at, updated_at) "
                             "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $5, $5) RETURNING id",
                          DB_ARGS(DB_TEXT(json_string_value(json_object_get(body, "name"))), DB_TEXT(desc ? desc : ""),
                                  DB_TEXT(job_text), DB_TEXT(sched_text), DB_INT(now), DB_INT(r->auth.user_id),
                                  DB_TEXT(r->auth.username), s->has_expires ? DB_INT(s->expires_at) : DB_NULLV,
                                  next_of(s, &st, now)),
                          &row);
    if (rc == DB_CONSTRAINT) {
        resp_error(w, 409, "conflict", "name", "a task with that name exists");
        goto done;
    }
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    json_t *t = load_task(c, id);
    audit_set_id(r, "task", id, json_pack("{s:O, s:O, s:O}", "name", json_object_get(body, "name"), "job",
                                          json_object_get(t, "job"), "schedule", json_object_get(t, "schedule")));
    tasks_kick();
    json_object_del(t, "anchor");
    resp_json(w, 201, t);
done:
    if (c)
        db_release(c);
    schedule_free(s);
    free(job_text);
    free(sched_text);
    json_decref(body);
    json_decref(row);
}

void tasks_update(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *before = NULL, *after = NULL;
    char *job_text = NULL, *sched_text = NULL;
    schedule *s = NULL;
    db_conn *c = NULL;
    if (!req_id(r, w, 0, &id) || !(body = req_json(r, w)) || !check_fields(w, body, false))
        goto done;
    c = db_acquire(r->app->db);
    if (!(before = load_visible_task(r, c, id))) {
        resp_error(w, 404, "not_found", NULL, "no task with id %lld", (long long)id);
        goto done;
    }
    if (!prepare_parts(r, w, c, body, &job_text, &sched_text, &s))
        goto done;
    int64_t now = util_now();
    json_t *nm = json_object_get(body, "name"), *ds = json_object_get(body, "description");
    if (!s && parse_schedule(w, json_object_get(before, "schedule"), &s) == false)
        goto done;
    /* A changed schedule restarts from now (anchor), keeping the run count. */
    sched_state st = {.anchor = sched_text ? now : json_integer_value(json_object_get(before, "anchor")),
                      .has_last_run = json_is_integer(json_object_get(before, "last_run_at")),
                      .last_run = json_integer_value(json_object_get(before, "last_run_at")),
                      .run_count = json_integer_value(json_object_get(before, "run_count"))};
    int rc = db_exec(c, "UPDATE tasks SET name = COALESCE($1, name), description = COALESCE($2, description), "
                        "spec = COALESCE($3, spec), schedule = COALESCE($4, schedule), anchor = $5, "
                        "expires_at = $6, next_run_at = $7, updated_at = $8 WHERE id = $9",
                     DB_ARGS(DB_TEXT(json_string_value(nm)), DB_TEXT(json_string_value(ds)), DB_TEXT(job_text),
                             DB_TEXT(sched_text), DB_INT(st.anchor), s->has_expires ? DB_INT(s->expires_at) : DB_NULLV,
                             next_of(s, &st, now), DB_INT(now), DB_INT(id)),
                     NULL);
    if (rc == DB_CONSTRAINT) {
        resp_error(w, 409, "conflict", "name", "a task with that name exists");
        goto done;
    }
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    after = load_task(c, id);
    json_object_del(before, "anchor");
    json_object_del(after, "anchor");
    audit_set_id(r, "task", id, audit_diff(before, body, NULL));
    tasks_kick();
    resp_json(w, 200, json_incref(after));
done:
    if (c)
        db_release(c);
    schedule_free(s);
    free(job_text);
    free(sched_text);
    json_decref(body);
    json_decref(before);
    json_decref(after);
}

void tasks_delete(http_req *r, http_resp *w)
{
    int64_t id, n = 0;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    json_t *t = load_visible_task(r, c, id);
    if (!t)
        resp_error(w, 404, "not_found", NULL, "no task with id %lld", (long long)id);
    else if (db_exec(c, "DELETE FROM tasks WHERE id = $1", DB_ARGS(DB_INT(id)), &n) != DB_OK)
        resp_internal(w, db_errmsg(c));
    else if (!n)
        resp_error(w, 404, "not_found", NULL, "no task with id %lld", (long long)id);
    else {
        audit_set_id(r, "task", id, NULL);
        resp_json(w, 200, json_pack("{s:b}", "ok", 1));
    }
    db_release(c);
    json_decref(t);
}

void tasks_preview(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w);
    r->audit.skip = true; /* a question, not a change */
    schedule *s = NULL;
    if (!body)
        return;
    if (parse_schedule(w, json_object_get(body, "schedule"), &s)) {
        int64_t now = util_now(), times[5];
        sched_state st = {.anchor = now};
        size_t n = schedule_upcoming(s, &st, now, times, 5);
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(out, json_integer(times[i]));
        resp_json(w, 200, json_pack("{s:o, s:o*}", "next", out, "schedule", schedule_to_json(s)));
    }
    schedule_free(s);
    json_decref(body);
}

/* ---- running -------------------------------------------------------------------- */

/* Queue the task's job inside the caller's transaction, with the rights of
 * the user who saved the task. Returns the job id, or 0 (reason in why). */
static int64_t queue_task_job(app *a, db_conn *c, const json_t *task, char *why, size_t cap)
{
    http_req fake = {0};
    http_resp w = {.fd = -1};
    const char *kind;
    json_t *spec = NULL, *hosts = NULL;
    int64_t job = 0, owner = json_integer_value(json_object_get(task, "created_by_id"));
    fake.app = a;
    if (!auth_load_user(a, owner, &fake.auth)) {
        snprintf(why, cap, "the user who saved this task no longer exists or is disabled");
        goto done;
    }
    if (!auth_has(&fake.auth, "tasks:execute")) {
        snprintf(why, cap, "the user who saved this task may no longer run tasks");
        goto done;
    }
    if (!jobs_prepare(&fake, &w, c, json_object_get(task, "job"), &kind, &spec, &hosts)) {
        json_t *e = w.body ? json_loads(w.body, 0, NULL) : NULL;
        snprintf(why, cap, "%s", json_string_value(json_object_get(json_object_get(e, "error"), "message"))
                                     ? json_string_value(json_object_get(json_object_get(e, "error"), "message"))
                                     : "the job is no longer valid");
        json_decref(e);
        goto done;
    }
    job = jobs_enqueue(c, kind, spec, hosts, owner, fake.auth.username,
                       json_integer_value(json_object_get(task, "id")), 0);
done:
    auth_ctx_free(&fake.auth);
    resp_free(&w);
    json_decref(spec);
    json_decref(hosts);
    return job;
}

void tasks_run_now(http_req *r, http_resp *w)
{
    int64_t id;
    char why[256] = "";
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    json_t *t = load_visible_task(r, c, id);
    if (!t) {
        resp_error(w, 404, "not_found", NULL, "no task with id %lld", (long long)id);
        goto done;
    }
    /* Run now with the caller's rights (they pressed the button). */
    json_object_set_new(t, "created_by_id", json_integer(r->auth.user_id));
    int64_t job = 0;
    if (db_begin(c) == DB_OK && (job = queue_task_job(r->app, c, t, why, sizeof why)) &&
        db_exec(c, "UPDATE tasks SET last_run_at = $1, last_job_id = $2, run_count = run_count + 1 WHERE id = $3",
                DB_ARGS(DB_INT(util_now()), DB_INT(job), DB_INT(id)), NULL) == DB_OK &&
        db_commit(c) == DB_OK) {
        jobs_kick();
        audit_set_id(r, "task", id, json_pack("{s:I}", "job_id", (json_int_t)job));
        resp_json(w, 201, json_pack("{s:I}", "job_id", (json_int_t)job));
    } else {
        db_rollback(c);
        if (why[0])
            resp_error(w, 409, "conflict", NULL, "cannot run task %lld: %s", (long long)id, why);
        else
            resp_internal(w, db_errmsg(c));
    }
done:
    db_release(c);
    json_decref(t);
}

/* One due task: decide, queue, move next_run_at — all or nothing. */
static void run_due(app *a, int64_t id, int64_t now)
{
    char why[256] = "";
    db_conn *c = db_acquire(a->db);
    json_t *t = NULL;
    schedule *s = NULL;
    http_resp w = {.fd = -1};
    if (db_begin(c) != DB_OK || !(t = load_task(c, id)))
        goto done;
    json_t *nr = json_object_get(t, "next_run_at");
    if (!json_is_integer(nr) || json_integer_value(nr) > now || !parse_schedule(&w, json_object_get(t, "schedule"), &s))
        goto done;
    sched_state st = {.anchor = json_integer_value(json_object_get(t, "anchor")),
                      .has_last_run = json_is_integer(json_object_get(t, "last_run_at")),
                      .last_run = json_integer_value(json_object_get(t, "last_run_at")),
                      .run_count = json_integer_value(json_object_get(t, "run_count"))};
    sched_due due = schedule_due(s, &st, now);
    int64_t job = 0;
    if (due.run) {
        job = queue_task_job(a, c, t, why, sizeof why);
        schedule_record_run(&st, now);
    }
    int64_t changed = 0;
    int rc = db_exec(c, "UPDATE tasks SET next_run_at = $1, last_run_at = $2, run_count = $3, last_job_id = $4, "
                        "last_status = $5 WHERE id = $6 AND next_run_at = $7",
                     DB_ARGS(next_of(s, &st, now), st.has_last_run ? DB_INT(st.last_run) : DB_NULLV,
                             DB_INT(st.run_count), job ? DB_INT(job) : json_is_integer(json_object_get(t, "last_job_id"))
                                                                            ? DB_INT(json_integer_value(json_object_get(t, "last_job_id")))
                                                                            : DB_NULLV,
                             DB_TEXT(why[0] ? "not started" : due.run ? "queued" : json_string_value(json_object_get(t, "last_status"))),
                             DB_INT(id), DB_INT(json_integer_value(nr))),
                     &changed);
    if (rc == DB_OK && changed == 1 && db_commit(c) == DB_OK) {
        if (due.run)
            log_info("task_run", "task=%lld job=%lld catchup=%d%s%s", (long long)id, (long long)job, due.catchup,
                     why[0] ? " error=" : "", why[0] ? "not_started" : "");
        if (job)
            jobs_kick();
        if (why[0]) {
            json_t *detail = json_pack("{s:s}", "reason", why);
            audit_write(a, 0, "scheduler", "", "", "task.run_failed", "task",
                        json_string_value(json_object_get(t, "name")), 409, detail);
            json_decref(detail);
        }
    }
done:
    db_rollback(c); /* no-op after a commit */
    db_release(c);
    schedule_free(s);
    resp_free(&w);
    json_decref(t);
}

static struct {
    pthread_t thread;
    bool started, stopping, kicked;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    app *app;
} sch = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int tasks_tick(app *a, int64_t now)
{
    json_t *rows = NULL;
    db_conn *c = db_acquire(a->db);
    int rc = db_query(c, "SELECT id FROM tasks WHERE next_run_at IS NOT NULL AND next_run_at <= $1 ORDER BY next_run_at",
                      DB_ARGS(DB_INT(now)), &rows);
    db_release(c);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        run_due(a, json_integer_value(json_object_get(row, "id")), now);
    int n = (int)json_array_size(rows);
    json_decref(rows);
    return rc == DB_OK ? n : -1;
}

static void *scheduler(void *p)
{
    (void)p;
    pthread_mutex_lock(&sch.mu);
    while (!sch.stopping) {
        pthread_mutex_unlock(&sch.mu);
        tasks_tick(sch.app, util_now());
        pthread_mutex_lock(&sch.mu);
        if (!sch.kicked && !sch.stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&sch.cv, &sch.mu, &until);
        }
        sch.kicked = false;
    }
    pthread_mutex_unlock(&sch.mu);
    return NULL;
}

void tasks_kick(void)
{
    pthread_mutex_lock(&sch.mu);
    sch.kicked = true;
    pthread_cond_broadcast(&sch.cv);
    pthread_mutex_unlock(&sch.mu);
}

int tasks_start(app *a)
{
    sch.app = a;
    sch.stopping = false;
    if (pthread_create(&sch.thread, NULL, scheduler, NULL) != 0)
        return -1;
    sch.started = true;
    return 0;
}

void tasks_stop(void)
{
    if (!sch.started)
        return;
    pthread_mutex_lock(&sch.mu);
    sch.stopping = true;
    pthread_cond_broadcast(&sch.cv);
    pthread_mutex_unlock(&sch.mu);
    pthread_join(sch.thread, NULL);
    sch.started = false;
}
