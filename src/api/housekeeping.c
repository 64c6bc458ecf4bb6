/* housekeeping.c -- see housekeeping.h. */
#include "api/housekeeping.h"

#include "common/log.h"
#include "common/util.h"
#include "monitor/tsdb.h"
#include "store/db.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

static pthread_t hk_thread;
static bool hk_running;
static pthread_mutex_t hk_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hk_cv = PTHREAD_COND_INITIALIZER;
static bool hk_stop;
static int hk_period;
static app *hk_app;

static void archive_orphans(app *a, db_conn *c)
{
    json_t *series_hosts = tsdb_hosts();
    size_t i;
    json_t *h;
    json_array_foreach(series_hosts, i, h) {
        int64_t n = 0;
        if (db_query_int(c, "SELECT count(*) FROM hosts WHERE id = $1", DB_ARGS(DB_INT(json_integer_value(h))),
                         &n) == DB_OK && n == 0 && tsdb_archive(json_integer_value(h)) == 0)
            log_info("rrd_archived", "host=%lld", (long long)json_integer_value(h));
    }
    json_decref(series_hosts);
    (void)a;
}

void housekeeping_run(app *a)
{
    int64_t now = util_now(), gone = 0;
    db_conn *c = db_acquire(a->db);
    db_exec(c, "DELETE FROM sessions WHERE expires_at <= $1", DB_ARGS(DB_INT(now)), &gone);
    db_exec(c, "DELETE FROM login_throttle WHERE locked_until < $1 AND window_start < $2",
            DB_ARGS(DB_INT(now), DB_INT(now - 86400)), NULL);
    archive_orphans(a, c);
    db_release(c);
    if (gone)
        log_info("sessions_expired", "count=%lld", (long long)gone);
}

static void *hk_main(void *p)
{
    (void)p;
    pthread_mutex_lock(&hk_mu);
    while (!hk_stop) {
        pthread_mutex_unlock(&hk_mu);
        housekeeping_run(hk_app);
        pthread_mutex_lock(&hk_mu);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += hk_period;
        while (!hk_stop && pthread_cond_timedwait(&hk_cv, &hk_mu, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&hk_mu);
    return NULL;
}

int housekeeping_start(app *a, int period)
{
    hk_app = a;
    hk_period = period > 0 ? period : 600;
    hk_stop = false;
    if (pthread_create(&hk_thread, NULL, hk_main, NULL) != 0)
        return -1;
    hk_running = true;
    return 0;
}

void housekeeping_stop(void)
{
    if (!hk_running)
        return;
    pthread_mutex_lock(&hk_mu);
    hk_stop = true;
    pthread_cond_broadcast(&hk_cv);
    pthread_mutex_unlock(&hk_mu);
    pthread_join(hk_thread, NULL);
    hk_running = false;
}
