/* queue.c -- the durable job queue (see jobs.h): claiming with leases,
 * renewing them, recovering jobs of dead instances, and the job threads.
 *
 * One dispatcher thread loops: recover expired leases, renew ours, and
 * while a job slot is free claim the oldest queued job and start a thread
 * for it. Claiming is one UPDATE … RETURNING, so two cairnd never run the
 * same job: on PostgreSQL the inner SELECT takes the row with
 * FOR UPDATE SKIP LOCKED; on SQLite (one process) the UPDATE re-checks the
 * status. jobs_kick() wakes the dispatcher at once when a job is queued.
 */
#include "jobs/jobs.h"

#include "common/log.h"
#include "common/secret.h"
#include "common/util.h"
#include "jobs/runner.h"
#include "jobs/sshpool.h"
#include "jobs/stream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEASE_SECONDS 30
#define MAX_SLOTS 64

typedef struct {
    bool busy;
    pthread_t thread;
    json_t *job;
    job_run *run;
} slot;

static struct {
    app *app;
    char owner[40];
    pthread_t dispatcher;
    bool started, stopping, kicked;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    slot slots[MAX_SLOTS];
    int nslots;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

int jobs_recover(app *a)
{
    int64_t now = util_now(), n = 0;
    db_conn *c = db_acquire(a->db);
    int rc = db_exec(c, "UPDATE jobs SET status = 'interrupted', finished_at = $1, lease_owner = NULL "
                        "WHERE status = 'running' AND lease_until < $1",
                     DB_ARGS(DB_INT(now)), &n);
    if (rc == DB_OK && n)
        rc = db_exec(c, "UPDATE job_results SET status = 'interrupted', finished_at = $1 "
                        "WHERE status IN ('pending', 'running') AND job_id IN "
                        "(SELECT id FROM jobs WHERE status = 'interrupted')",
                     DB_ARGS(DB_INT(now)), NULL);
    db_release(c);
    if (n)
        log_warn("jobs_interrupted", "count=%lld reason=\"their cairnd stopped or died\"", (long long)n);
    return rc;
}

static void renew_leases(void)
{
    db_conn *c = db_acquire(q.app->db);
    db_exec(c, "UPDATE jobs SET lease_until = $1 WHERE lease_owner = $2 AND status = 'running'",
            DB_ARGS(DB_INT(util_now() + LEASE_SECONDS), DB_TEXT(q.owner)), NULL);
    db_release(c);
}

/* Claim the oldest queued job; a new row object or NULL. */
static json_t *claim(void)
{
    json_t *row = NULL;
    int64_t now = util_now();
    const char *sql = strcmp(db_kind(q.app->db), "postgresql") == 0
                          ? "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, started_at = $3 "
                            "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1 "
                            "FOR UPDATE SKIP LOCKED) AND status = 'queued' RETURNING id, kind, spec"
                          : "UPDATE jobs SET status = 'running', lease_owner = $1, lease_until = $2, started_at = $3 "
                            "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1) "
                            "AND status = 'queued' RETURNING id, kind, spec";
    db_conn *c = db_acquire(q.app->db);
    if (db_query_one(c, sql, DB_ARGS(DB_TEXT(q.owner), DB_INT(now + LEASE_SECONDS), DB_INT(now)), &row) != DB_OK)
        row = NULL;
    db_release(c);
    return row;
}

static void *job_thread(void *p)
{
    slot *s = p;
    log_info("job_started", "job=%lld kind=%s", (long long)json_integer_value(json_object_get(s->job, "id")),
             json_string_value(json_object_get(s->job, "kind")));
    runner_run(q.app, s->job, &s->run, &q.mu);
    pthread_mutex_lock(&q.mu);
    json_decref(s->job);
    s->job = NULL;
    s->busy = false;
    q.kicked = true; /* a slot is free: look for more work */
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static slot *free_slot(void)
{
    for (int i = 0; i < q.nslots; i++)
        if (!q.slots[i].busy)
            return &q.slots[i];
    return NULL;
}

/* Join the threads of slots that finished. Called with q.mu held. */
static void reap(void)
{
    for (int i = 0; i < q.nslots; i++)
        if (!q.slots[i].busy && q.slots[i].thread) {
            pthread_t t = q.slots[i].thread;
            q.slots[i].thread = 0;
            pthread_mutex_unlock(&q.mu);
            pthread_join(t, NULL);
            pthread_mutex_lock(&q.mu);
        }
}

static void *dispatcher(void *p)
{
    (void)p;
    int64_t last_maint = 0;
    pthread_mutex_lock(&q.mu);
    while (!q.stopping) {
        reap();
        pthread_mutex_unlock(&q.mu);
        if (util_now() - last_maint >= 10) {
            jobs_recover(q.app);
            renew_leases();
            stream_sweep();
            sshpool_sweep(false);
            last_maint = util_now();
        }
        pthread_mutex_lock(&q.mu);
        slot *s;
        while (!q.stopping && (s = free_slot())) {
            pthread_mutex_unlock(&q.mu);
            json_t *job = claim();
            pthread_mutex_lock(&q.mu);
            if (!job)
                break;
            s->busy = true;
            s->job = job;
            if (pthread_create(&s->thread, NULL, job_thread, s) != 0) {
                log_error("job_thread_failed", "job=%lld", (long long)json_integer_value(json_object_get(job, "id")));
                s->busy = false;
                s->thread = 0;
                s->job = NULL;
                json_decref(job);
                break;
            }
        }
        if (!q.kicked && !q.stopping) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&q.cv, &q.mu, &until);
        }
        q.kicked = false;
    }
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

void jobs_kick(void)
{
    pthread_mutex_lock(&q.mu);
    q.kicked = true;
    pthread_cond_broadcast(&q.cv);
    pthread_mutex_unlock(&q.mu);
}

int jobs_start(app *a, int slots, int parallelism)
{
    q.app = a;
    q.nslots = slots < 1 ? 1 : slots > MAX_SLOTS ? MAX_SLOTS : slots;
    char rnd[SECRET_HEX_MAX];
    secret_random_hex(rnd, 8);
    snprintf(q.owner, sizeof q.owner, "cairnd-%.16s", rnd);
    if (runner_init(parallelism) < 0)
        return -1;
    jobs_recover(a);
    if (pthread_create(&q.dispatcher, NULL, dispatcher, NULL) != 0) {
        runner_shutdown();
        return -1;
    }
    q.started = true;
    return 0;
}

int jobs_stop(int timeout_ms)
{
    if (!q.started)
        return 0;
    int64_t stopped[MAX_SLOTS];
    int nstopped = 0;
    pthread_mutex_lock(&q.mu);
    q.stopping = true;
    pthread_cond_broadcast(&q.cv);
    for (int i = 0; i < q.nslots; i++) {
        if (q.slots[i].run)
            q.slots[i].run->cancel = true;
        if (q.slots[i].busy && q.slots[i].job)
            stopped[nstopped++] = json_integer_value(json_object_get(q.slots[i].job, "id"));
    }
    pthread_mutex_unlock(&q.mu);
    pthread_join(q.dispatcher, NULL);
    double until = util_mono_ms() + timeout_ms;
    bool busy;
    for (;;) {
        pthread_mutex_lock(&q.mu);
        busy = false;
        for (int i = 0; i < q.nslots; i++)
            busy |= q.slots[i].busy;
        pthread_mutex_unlock(&q.mu);
        if (!busy || util_mono_ms() > until)
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&q.mu);
    reap();
    pthread_mutex_unlock(&q.mu);
    if (busy) {
        /* A job thread is still inside libssh or a child: its sessions and
         * the runner's state stay allocated (the process is exiting), so
         * nothing it still touches is freed under it. */
        log_warn("jobs still running at shutdown", "timeout_ms=%d", timeout_ms);
    } else {
        runner_shutdown();
        sshpool_sweep(true);
    }
    /* The runner ended the jobs we stopped as if a user had cancelled them;
     * nobody did (cancel_requested = 0): cairnd stopped under them, which
     * jobs.h calls interrupted (and a rerun can finish them). */
    db_conn *c = db_acquire(q.app->db);
    for (int i = 0; i < nstopped; i++) {
        int64_t n = 0;
        if (db_exec(c, "UPDATE jobs SET status = 'interrupted' WHERE id = $1 AND status = 'cancelled' "
                       "AND cancel_requested = 0",
                    DB_ARGS(DB_INT(stopped[i])), &n) != DB_OK || n == 0)
            continue;
        db_exec(c, "UPDATE job_results SET status = 'interrupted', error = 'cairnd stopped while this ran' "
                   "WHERE job_id = $1 AND status = 'cancelled'",
                DB_ARGS(DB_INT(stopped[i])), NULL);
        db_exec(c, "UPDATE tasks SET last_status = 'interrupted' WHERE last_status = 'cancelled' AND id = "
                   "(SELECT task_id FROM jobs WHERE id = $1)",
                DB_ARGS(DB_INT(stopped[i])), NULL);
    }
    /* Anything of ours still marked running did not finish: interrupted. */
    db_exec(c, "UPDATE jobs SET lease_until = 0 WHERE lease_owner = $1 AND status = 'running'",
            DB_ARGS(DB_TEXT(q.owner)), NULL);
    db_release(c);
    jobs_recover(q.app);
    q.started = false;
    return busy ? -1 : 0;
}
