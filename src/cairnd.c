/* cairnd.c -- the Cairn server: load configuration, open and migrate the
 * database, create the first admin, serve HTTP until SIGTERM/SIGINT, then
 * shut down gracefully (in-flight requests finish). */
#include "api/housekeeping.h"
#include "api/session.h"
#include "api/users.h"
#include "app.h"
#include "common/config.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/util.h"
#include "common/vault.h"
#include "http/router.h"
#include "http/server.h"
#include "exec/sshx.h"
#include "jobs/jobs.h"
#include "jobs/tasks.h"
#include "monitor/agent_api.h"
#include "monitor/tsdb.h"
#include "store/db.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CAIRN_WEB_DIR
#define CAIRN_WEB_DIR "build/web"
#endif

/* Default the web directory to build/web beside the binary's directory. */
static void default_web_dir(config *c, const char *argv0)
{
    char exe[PATH_MAX];
    if (c->web_dir[0])
        return;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char *parent = strrchr(exe, '/');
            /* build/cairnd → build/web; build/asan/cairnd → build/web */
            if (parent && strcmp(parent + 1, "asan") == 0)
                *parent = '\0';
            snprintf(c->web_dir, sizeof c->web_dir, "%.*s/web", (int)(sizeof c->web_dir - 5), exe);
            return;
        }
    }
    (void)argv0;
    snprintf(c->web_dir, sizeof c->web_dir, "%s", CAIRN_WEB_DIR);
}

static int ensure_data_dir(const char *dir)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "cairnd: cannot create data directory %s: %s\n", dir, strerror(errno));
    return -1;
}

static int open_vault(const app *a)
{
    char path[CONFIG_PATH_MAX + 16], err[512];
    snprintf(path, sizeof path, "%s/secret.key", a->cfg.data_dir);
    if (vault_init(path, err, sizeof err) < 0) {
        fprintf(stderr, "cairnd: %s\n", err);
        return -1;
    }
    return 0;
}

static int open_database(app *a)
{
    char err[512];
    if (!a->cfg.db_url[0] &&
        snprintf(a->cfg.db_url, sizeof a->cfg.db_url, "sqlite:%s/cairn.db", a->cfg.data_dir) >=
            (int)sizeof a->cfg.db_url) {
        fprintf(stderr, "cairnd: data directory path too long\n");
        return -1;
    }
    if (db_open(a->cfg.db_url, a->cfg.db_pool, &a->db, err, sizeof err) != DB_OK) {
        fprintf(stderr, "cairnd: cannot open the database: %s\n", err);
        return -1;
    }
    if (db_migrate(a->db, err, sizeof err) != DB_OK) {
        fprintf(stderr, "cairnd: database migration failed: %s\n", err);
        return -1;
    }
    char rrd[CONFIG_PATH_MAX + 8];
    snprintf(rrd, sizeof rrd, "%s/rrd", a->cfg.data_dir);
    if (tsdb_init(rrd, a->cfg.rrd_flush, a->cfg.rrdcached) < 0 || agent_init(a) < 0) {
        fprintf(stderr, "cairnd: cannot prepare %s or the enrollment token\n", rrd);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    app a = {0};
    char err[512];
    int rc = 1;
    server *srv = NULL;
    /* Not dumpable: processes of the same user (a playbook run with
     * --ansible-sandbox 0, anything else of this account) cannot read
     * /proc/<cairnd>/mem, environ or root, nor attach to it. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (config_load(&a.cfg, argc, argv, err, sizeof err) < 0) {
        fprintf(stderr, "cairnd: %s\n", err);
        return 2;
    }
    if (a.cfg.show_help) {
        fputs(config_usage(), stdout);
        return 0;
    }
    if (a.cfg.show_version) {
        printf("cairnd %s\n", CAIRN_VERSION);
        return 0;
    }
    log_set_level((log_level)a.cfg.log_level);
    default_web_dir(&a.cfg, argv[0]);
    if (router_check(cairn_routes, err, sizeof err) < 0) {
        fprintf(stderr, "cairnd: %s\n", err);
        return 1;
    }
    if (secret_init() < 0 || session_init() < 0) {
        fprintf(stderr, "cairnd: libsodium failed to start\n");
        return 1;
    }
    /* Block the stop signals in every thread; main waits for them below. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    a.started_at = util_now();
    if (ensure_data_dir(a.cfg.data_dir) < 0 || open_vault(&a) < 0 || open_database(&a) < 0 || users_bootstrap(&a) < 0)
        goto done;
    srv = server_start(&a, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "cairnd: %s\n", err);
        goto done;
    }
    log_info("started", "version=%s listen=%s:%d db=%s web=%s", CAIRN_VERSION, a.cfg.listen_host,
             a.cfg.listen_port, db_kind(a.db), a.cfg.web_dir);
    printf("Cairn is running at http://%s:%d/\n", a.cfg.listen_host, a.cfg.listen_port);
    fflush(stdout);
    housekeeping_start(&a, 600);
    if (sshx_global_init() < 0 || jobs_start(&a, 4, 50) < 0 || tasks_start(&a) < 0) {
        fprintf(stderr, "cairnd: cannot start the job queue\n");
        server_stop(srv, 0);
        housekeeping_stop();
        goto done;
    }
    int sig = 0;
    sigwait(&stop, &sig);
    log_info("stopping", "signal=%d", sig);
    server_stop(srv, 10000);
    tasks_stop();
    bool jobs_busy = jobs_stop(10000) != 0;
    housekeeping_stop();
    tsdb_close(); /* after the server: no report is being stored any more */
    rc = 0;
    if (jobs_busy) /* a job thread may still use the pool: leave it to exit */
        goto out;
done:
    db_close(a.db);
out:
    log_info("stopped", NULL);
    return rc;
}
