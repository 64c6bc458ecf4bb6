/* runner.c -- see runner.h. */
#include "jobs/runner.h"

#include "common/log.h"
#include "common/sbuf.h"
#include "common/util.h"
#include "common/vault.h"
#include "common/workq.h"
#include "exec/sshx.h"
#include "jobs/sshpool.h"
#include "store/db.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUTPUT (1u << 20)   /* per stream per host, kept in the result */

static workq *host_pool;

int runner_init(int parallelism)
{
    host_pool = workq_new(parallelism > 0 ? parallelism : 50);
    return host_pool ? 0 : -1;
}

void runner_shutdown(void)
{
    workq_free(host_pool);
    host_pool = NULL;
}

void runner_output(job_run *j, int64_t host_id, int stream_no, const char *data, size_t len)
{
    size_t n = 0;
    char *clean = util_utf8_sanitize(data, len, &n);
    if (!clean)
        return;
    json_t *ev = json_pack("{s:s, s:I, s:s, s:s%}", "type", "output", "host_id", (json_int_t)host_id, "stream",
                           stream_no == 2 ? "stderr" : "stdout", "data", clean, n);
    free(clean);
    if (ev)
        stream_push(j->stream, ev, true);
}

void runner_host_start(job_run *j, int64_t host_id)
{
    db_conn *c = db_acquire(j->app->db);
    db_exec(c, "UPDATE job_results SET status = 'running', started_at = $1 WHERE job_id = $2 AND host_id = $3",
            DB_ARGS(DB_INT(util_now()), DB_INT(j->id), DB_INT(host_id)), NULL);
    db_release(c);
    stream_push(j->stream, json_pack("{s:s, s:I, s:s}", "type", "host", "host_id", (json_int_t)host_id, "status",
                                     "running"), false);
}

void runner_host_done(job_run *j, int64_t host_id, const char *status, int exit_code, const char *out,
                      size_t out_len, const char *err, size_t err_len, const char *error, int changed,
                      bool truncated)
{
    char *o = util_utf8_sanitize(out ? out : "", out ? out_len : 0, NULL);
    char *e = util_utf8_sanitize(err ? err : "", err ? err_len : 0, NULL);
    char *m = util_utf8_sanitize(error ? error : "", error ? strlen(error) : 0, NULL);
    db_conn *c = db_acquire(j->app->db);
    int rc = db_exec(c, "UPDATE job_results SET status = $1, exit_code = $2, stdout = $3, stderr = $4, error = $5, "
                        "changed = $6, truncated = $7, finished_at = $8 WHERE job_id = $9 AND host_id = $10",
                     DB_ARGS(DB_TEXT(status), exit_code == -1 ? DB_NULLV : DB_INT(exit_code), DB_TEXT(o ? o : ""),
                             DB_TEXT(e ? e : ""), DB_TEXT(m ? m : ""), changed < 0 ? DB_NULLV : DB_INT(changed),
                             DB_INT(truncated), DB_INT(util_now()), DB_INT(j->id), DB_INT(host_id)),
                     NULL);
    if (rc != DB_OK)
        log_error("job_result_write_failed", "job=%lld host=%lld", (long long)j->id, (long long)host_id);
    db_release(c);
    json_t *ev = json_pack("{s:s, s:I, s:s, s:s}", "type", "host", "host_id", (json_int_t)host_id, "status", status,
                           "error", m ? m : "");
    if (ev && exit_code != -1)
        json_object_set_new(ev, "exit_code", json_integer(exit_code));
    /* Output past the cap (MAX_OUTPUT per stream) is neither kept nor
     * streamed: say so, or a watcher takes the cut-off text for all of it. */
    if (ev && truncated)
        json_object_set_new(ev, "truncated", json_true());
    if (ev)
        stream_push(j->stream, ev, false);
    free(o);
    free(e);
    free(m);
}

/* ---- one host over SSH ----------------------------------------------------- */

typedef struct {
    job_run *job;
    int64_t host_id;
} host_task;

/* Where a host's output goes, with the bytes of a UTF-8 character that an
 * SSH packet cut in two, per stream, held until the rest arrives (else
 * each half would be sanitised into U+FFFD on the live stream). */
typedef struct {
    job_run *job;
    int64_t host_id;
    char carry[2][4];
    size_t carry_len[2];
} out_ctx;

/* The length of data[0..n) without a trailing incomplete UTF-8 sequence. */
static size_t utf8_whole(const char *data, size_t n)
{
    size_t i = n;
    while (i > 0 && n - i < 3 && ((unsigned char)data[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return n; /* only continuation bytes: not ours to fix */
    unsigned char lead = (unsigned char)data[i - 1];
    size_t want = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
    return n - (i - 1) < want ? i - 1 : n;
}

static bool on_output(void *p, int stream_no, const char *data, size_t len)
{
    out_ctx *oc = p;
    int k = stream_no == 2 ? 1 : 0;
    if (oc->carry_len[k] == 0 && utf8_whole(data, len) == len) {
        runner_output(oc->job, oc->host_id, stream_no, data, len);
        return !oc->job->cancel;
    }
    char *buf = malloc(oc->carry_len[k] + len);
    if (!buf) {
        runner_output(oc->job, oc->host_id, stream_no, data, len);
        return !oc->job->cancel;
    }
    memcpy(buf, oc->carry[k], oc->carry_len[k]);
    memcpy(buf + oc->carry_len[k], data, len);
    size_t n = oc->carry_len[k] + len, whole = utf8_whole(buf, n);
    if (whole > 0)
        runner_output(oc->job, oc->host_id, stream_no, buf, whole);
    oc->carry_len[k] = n - whole; /* at most 3 bytes */
    memcpy(oc->carry[k], buf + whole, oc->carry_len[k]);
    free(buf);
    return !oc->job->cancel;
}

/* Send what is still held back (a character the output really ended in). */
static void flush_output(out_ctx *oc)
{
    for (int k = 0; k < 2; k++)
        if (oc->carry_len[k]) {
            runner_output(oc->job, oc->host_id, k + 1, oc->carry[k], oc->carry_len[k]);
            oc->carry_len[k] = 0;
        }
}

/* The connection parameters of a host, secrets opened; NULL + error. */
static json_t *load_target(job_run *j, int64_t host, char *error, size_t cap)
{
    json_t *row = NULL;
    db_conn *c = db_acquire(j->app->db);
    int rc = db_query_one(c, "SELECT h.ip, h.ssh_port, h.credential_id, cr.username, cr.port, cr.password, "
                             "cr.private_key, cr.passphrase, cr.updated_at AS cred_version, k.fingerprint FROM hosts h "
                             "LEFT JOIN credentials cr ON cr.id = h.credential_id "
                             "LEFT JOIN host_keys k ON k.host_id = h.id WHERE h.id = $1",
                          DB_ARGS(DB_INT(host)), &row);
    db_release(c);
    if (rc != DB_OK) {
        snprintf(error, cap, "the host no longer exists");
        return NULL;
    }
    if (!json_is_integer(json_object_get(row, "credential_id"))) {
        snprintf(error, cap, "the host has no credential; choose one in Assets");
        json_decref(row);
        return NULL;
    }
    return row;
}

static char *open_secret(const json_t *row, const char *key)
{
    const char *sealed = json_string_value(json_object_get(row, key));
    return sealed ? vault_open(sealed, NULL) : NULL;
}

static void wipe(char *s)
{
    if (s)
        vault_free_plain(s, strlen(s));
}

/* Record the key on first use; on a mismatch remember the new one for an
 * admin to accept. */
static void note_host_key(job_run *j, int64_t host, const char *known, const char *seen, bool changed)
{
    if (!seen || !*seen)
        return;
    db_conn *c = db_acquire(j->app->db);
    if (changed)
        db_exec(c, "UPDATE host_keys SET pending_fingerprint = $1 WHERE host_id = $2",
                DB_ARGS(DB_TEXT(seen), DB_INT(host)), NULL);
    else if (!known)
        db_exec(c, "INSERT INTO host_keys (host_id, fingerprint, first_seen_at) VALUES ($1, $2, $3) "
                   "ON CONFLICT (host_id) DO NOTHING",
                DB_ARGS(DB_INT(host), DB_TEXT(seen), DB_INT(util_now())), NULL);
    db_release(c);
}

static const char *status_of(int rc, int exit_code)
{
    switch (rc) {
    case SSHX_OK:
        return exit_code == 0 ? "ok" : "failed";
    case SSHX_TIMEOUT:
        return "timeout";
    case SSHX_CANCELLED:
        return "cancelled";
    default:
        return "failed";
    }
}

/* The library script's interpreter, one of a fixed list (sh by default). */
static const char *script_interpreter(const job_run *j)
{
    const char *interp = json_string_value(json_object_get(j->spec, "interpreter"));
    static const char *const allowed[] = {"sh", "bash", "python3", "perl", NULL};
    for (const char *const *a = allowed; *a; a++)
        if (interp && strcmp(interp, *a) == 0)
            return *a;
    return "sh";
}

/* Do the job's work on one host over s and write its result. Returns the
 * sshx status (SSHX_OK when the session is still fit for reuse). */
static int run_work(job_run *j, int64_t host, sshx_session *s)
{
    sshx_result res = {0};
    out_ctx oc = {.job = j, .host_id = host};
    int timeout = (int)json_integer_value(json_object_get(j->spec, "timeout"));
    int rc;
    char error[512] = "";
    if (strcmp(j->kind, "command") == 0) {
        rc = sshx_exec(s, json_string_value(json_object_get(j->spec, "command")), NULL, 0, timeout, MAX_OUTPUT,
                       &j->cancel, on_output, &oc, &res);
    } else if (strcmp(j->kind, "script") == 0) {
        /* Uploaded under an unguessable name, each argument quoted on its own,
         * removed whatever happens (sshx_run_script). */
        json_t *args = json_object_get(j->spec, "args");
        size_t nargs = json_array_size(args);
        const char **argv = calloc(nargs + 1, sizeof *argv);
        for (size_t i = 0; argv && i < nargs; i++)
            argv[i] = json_string_value(json_array_get(args, i));
        rc = argv ? sshx_run_script(s, script_interpreter(j), j->payload, j->payload_len, argv, nargs, timeout,
                                    MAX_OUTPUT, &j->cancel, on_output, &oc, &res)
                  : SSHX_LOCAL;
        free(argv);
    } else { /* file: written to a temporary name, checked, then renamed into place */
        json_t *f = json_object_get(j->spec, "file");
        const char *path = json_string_value(json_object_get(f, "path"));
        int mode = (int)strtol(json_string_value(json_object_get(f, "mode")), NULL, 8);
        char remote[65] = "";
        rc = sshx_upload_verified(s, path, j->payload, j->payload_len, mode, remote);
        res.exit_code = rc == SSHX_OK ? 0 : 1;
        if (rc == SSHX_OK) {
            char msg[1200];
            snprintf(msg, sizeof msg, "%.1024s written, sha256 %s verified\n", path, remote);
            runner_output(j, host, 1, msg, strlen(msg));
            res.out = strdup(msg);
            res.out_len = res.out ? strlen(msg) : 0;
        }
    }
    flush_output(&oc);
    if (rc != SSHX_OK && !error[0])
        snprintf(error, sizeof error, "%s", sshx_error(s));
    runner_host_done(j, host, error[0] && rc == SSHX_OK ? "failed" : status_of(rc, res.exit_code),
                     rc == SSHX_OK || rc == SSHX_TIMEOUT ? res.exit_code : -1, res.out, res.out_len, res.err,
                     res.err_len, error, -1, res.truncated);
    sshx_result_free(&res);
    return rc;
}

static void host_task_run(void *p)
{
    host_task *t = p;
    job_run *j = t->job;
    int64_t host = t->host_id;
    char error[512] = "";
    json_t *row = NULL;
    sshx_session *s = NULL;
    char *pw = NULL, *key = NULL, *pass = NULL;
    if (j->cancel) {
        runner_host_done(j, host, "cancelled", -1, NULL, 0, NULL, 0, "cancelled before it started", -1, false);
        goto done;
    }
    runner_host_start(j, host);
    if (!(row = load_target(j, host, error, sizeof error))) {
        runner_host_done(j, host, "unreachable", -1, NULL, 0, NULL, 0, error, -1, false);
        goto done;
    }
    pw = open_secret(row, "password");
    key = open_secret(row, "private_key");
    pass = open_secret(row, "passphrase");
    json_t *port = json_object_get(row, "ssh_port");
    const char *known = json_string_value(json_object_get(row, "fingerprint"));
    sshx_target tg = {
        .host = json_string_value(json_object_get(row, "ip")),
        .port = (int)(json_is_integer(port) ? json_integer_value(port)
                                            : json_integer_value(json_object_get(row, "port"))),
        .user = json_string_value(json_object_get(row, "username")),
        .password = pw,
        .private_key = key,
        .passphrase = pass,
        .known_fingerprint = known,
        .connect_timeout_s = 10,
    };
    /* Reuse an idle session to the same host with the same credential and
     * key when there is one and it still answers (sshx_ping: a channel
     * round trip, no remote process; a probe command would cost a login
     * shell, as much as the job, and its time limit would end in the kill
     * helper plus a reconnect under load); else connect. */
    char pkey[1024];
    snprintf(pkey, sizeof pkey, "%lld|%s|%d|%s|%lld|%s", (long long)host, tg.host ? tg.host : "", tg.port,
             tg.user ? tg.user : "", (long long)json_integer_value(json_object_get(row, "cred_version")),
             known ? known : "");
    int rc = SSHX_CONNECT;
    if ((s = sshpool_get(pkey))) {
        rc = sshx_ping(s, 5);
        if (rc != SSHX_OK) {
            sshx_close(s);
            s = NULL;
        }
    }
    if (!s) {
        rc = sshx_connect(&tg, &s);
        note_host_key(j, host, known, sshx_fingerprint(s), rc == SSHX_HOSTKEY_CHANGED);
        if (rc == SSHX_OK && !known) /* the key is pinned now: key the pool by it */
            snprintf(pkey, sizeof pkey, "%lld|%s|%d|%s|%lld|%s", (long long)host, tg.host ? tg.host : "", tg.port,
                     tg.user ? tg.user : "", (long long)json_integer_value(json_object_get(row, "cred_version")),
                     sshx_fingerprint(s));
    }
    if (rc != SSHX_OK) {
        runner_host_done(j, host, "unreachable", -1, NULL, 0, NULL, 0, sshx_error(s), -1, false);
        goto done;
    }
    if (run_work(j, host, s) == SSHX_OK) {
        sshpool_put(pkey, s);
        s = NULL;
    }
done:
    sshx_close(s);
    wipe(pw);
    wipe(key);
    wipe(pass);
    json_decref(row);
    pthread_mutex_lock(&j->mu);
    j->pending--;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    free(t);
}

/* ---- the job ---------------------------------------------------------------- */

/* Script text or file bytes for the job; false with an error message. */
static bool load_payload(job_run *j, char *error, size_t cap)
{
    if (strcmp(j->kind, "script") == 0 || strcmp(j->kind, "playbook") == 0) {
        const char *idk = strcmp(j->kind, "script") == 0 ? "script_id" : "playbook_id";
        json_t *row = NULL;
        db_conn *c = db_acquire(j->app->db);
        int rc = db_query_one(c, "SELECT content FROM library_versions WHERE item_id = $1 AND version = $2",
                              DB_ARGS(DB_INT(json_integer_value(json_object_get(j->spec, idk))),
                                      DB_INT(json_integer_value(json_object_get(j->spec, "version")))),
                              &row);
        db_release(c);
        if (rc != DB_OK) {
            snprintf(error, cap, "the library item or its version no longer exists");
            return false;
        }
        j->payload = strdup(json_string_value(json_object_get(row, "content")));
        j->payload_len = j->payload ? strlen(j->payload) : 0;
        json_decref(row);
        return j->payload != NULL;
    }
    if (strcmp(j->kind, "file") == 0) {
        const char *b64 = json_string_value(json_object_get(json_object_get(j->spec, "file"), "content_base64"));
        size_t blen = b64 ? strlen(b64) : 0;
        j->payload = malloc(blen + 1);
        if (!j->payload || sodium_base642bin((unsigned char *)j->payload, blen, b64, blen, "\n\r ",
                                             &j->payload_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
            snprintf(error, cap, "the stored file is damaged");
            return false;
        }
    }
    return true;
}

/* Fail every host still pending with `error`. */
static void fail_pending(job_run *j, const char *status, const char *error)
{
    db_conn *c = db_acquire(j->app->db);
    db_exec(c, "UPDATE job_results SET status = $1, error = $2, finished_at = $3 WHERE job_id = $4 "
               "AND status IN ('pending', 'running')",
            DB_ARGS(DB_TEXT(status), DB_TEXT(error), DB_INT(util_now()), DB_INT(j->id)), NULL);
    db_release(c);
}

static void poll_cancel(job_run *j)
{
    int64_t want = 0;
    db_conn *c = db_acquire(j->app->db);
    if (db_query_int(c, "SELECT cancel_requested FROM jobs WHERE id = $1", DB_ARGS(DB_INT(j->id)), &want) == DB_OK &&
        want)
        j->cancel = true;
    db_release(c);
}

static void run_ssh_hosts(job_run *j)
{
    json_t *hosts = NULL;
    db_conn *c = db_acquire(j->app->db);
    int rc = db_query(c, "SELECT host_id FROM job_results WHERE job_id = $1 AND status = 'pending' ORDER BY hostname",
                      DB_ARGS(DB_INT(j->id)), &hosts);
    db_release(c);
    if (rc != DB_OK)
        return;
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h) {
        host_task *t = malloc(sizeof *t);
        if (!t)
            break;
        *t = (host_task){j, json_integer_value(json_object_get(h, "host_id"))};
        pthread_mutex_lock(&j->mu);
        j->pending++;
        pthread_mutex_unlock(&j->mu);
        if (workq_push(host_pool, host_task_run, t) != 0) {
            free(t);
            pthread_mutex_lock(&j->mu);
            j->pending--;
            pthread_mutex_unlock(&j->mu);
        }
    }
    json_decref(hosts);
    pthread_mutex_lock(&j->mu);
    while (j->pending > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&j->cv, &j->mu, &until);
        pthread_mutex_unlock(&j->mu);
        if (!j->cancel)
            poll_cancel(j);
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
}

/* Count the results and close the job. */
static void finish_job(job_run *j)
{
    json_t *rows = NULL;
    int64_t ok = 0, failed = 0, unreachable = 0, total = 0;
    db_conn *c = db_acquire(j->app->db);
    if (db_query(c, "SELECT status, count(*) AS n FROM job_results WHERE job_id = $1 GROUP BY status",
                 DB_ARGS(DB_INT(j->id)), &rows) == DB_OK) {
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
            const char *st = json_string_value(json_object_get(r, "status"));
            int64_t n = json_integer_value(json_object_get(r, "n"));
            total += n;
            if (strcmp(st, "ok") == 0)
                ok += n;
            else if (strcmp(st, "unreachable") == 0)
                unreachable += n;
            else
                failed += n;
        }
    }
    const char *status = j->cancel ? "cancelled" : ok == total ? "succeeded" : "failed";
    db_exec(c, "UPDATE jobs SET status = $1, ok_count = $2, failed_count = $3, unreachable_count = $4, "
               "finished_at = $5, lease_owner = NULL WHERE id = $6",
            DB_ARGS(DB_TEXT(status), DB_INT(ok), DB_INT(failed), DB_INT(unreachable), DB_INT(util_now()),
                    DB_INT(j->id)),
            NULL);
    db_exec(c, "UPDATE tasks SET last_status = $1 WHERE id = (SELECT task_id FROM jobs WHERE id = $2)",
            DB_ARGS(DB_TEXT(status), DB_INT(j->id)), NULL);
    db_release(c);
    json_decref(rows);
    stream_push(j->stream, json_pack("{s:s, s:s, s:{s:I, s:I, s:I}}", "type", "job", "status", status, "summary",
                                     "ok", (json_int_t)ok, "failed", (json_int_t)failed, "unreachable",
                                     (json_int_t)unreachable),
                false);
    log_info("job_finished", "job=%lld status=%s ok=%lld failed=%lld unreachable=%lld", (long long)j->id, status,
             (long long)ok, (long long)failed, (long long)unreachable);
}

void runner_run(app *a, const json_t *job, job_run **run_out, pthread_mutex_t *run_mu)
{
    job_run *j = calloc(1, sizeof *j);
    char error[256] = "";
    if (!j)
        return;
    j->app = a;
    j->id = json_integer_value(json_object_get(job, "id"));
    snprintf(j->kind, sizeof j->kind, "%s", json_string_value(json_object_get(job, "kind")));
    j->spec = json_loads(json_string_value(json_object_get(job, "spec")), 0, NULL);
    j->stream = stream_open(j->id);
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    pthread_mutex_lock(run_mu);
    *run_out = j;
    pthread_mutex_unlock(run_mu);
    if (!j->spec || !j->stream) {
        fail_pending(j, "failed", "the job could not be started");
    } else {
        stream_push(j->stream, json_pack("{s:s, s:s}", "type", "job", "status", "running"), false);
        if (!load_payload(j, error, sizeof error))
            fail_pending(j, "failed", error);
        else if (strcmp(j->kind, "ansible_module") == 0 || strcmp(j->kind, "playbook") == 0)
            ansible_run(j);
        else
            run_ssh_hosts(j);
        if (j->cancel)
            fail_pending(j, "cancelled", "cancelled");
    }
    if (j->stream) {
        finish_job(j);
        stream_finish(j->stream);
    }
    pthread_mutex_lock(run_mu);
    *run_out = NULL;
    pthread_mutex_unlock(run_mu);
    stream_put(j->stream);
    json_decref(j->spec);
    free(j->payload);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}
