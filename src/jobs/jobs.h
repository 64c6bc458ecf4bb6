/* jobs.h -- jobs: work run on chosen hosts, queued durably in the database.
 *
 * A job is a command, a script from the library with arguments, a file to
 * distribute, an Ansible module, or a playbook, on a set of hosts. Creating a
 * job writes it (status "queued") and one result row per host in one
 * transaction; the queue (queue.c) claims it with a lease, the runner
 * (runner.c) executes it host by host on a worker pool, streaming output to
 * watchers (stream.h) and writing each host's result as it finishes.
 *
 * Statuses: queued → running → succeeded | failed | cancelled; a job whose
 * cairnd died (lease expired) or stopped becomes "interrupted" and can be
 * rerun. Per host: pending → running → ok | failed | unreachable | timeout |
 * cancelled | interrupted.
 */
#ifndef CAIRN_JOBS_H
#define CAIRN_JOBS_H

#include "app.h"
#include "http/http.h"
#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

/* Check a job body and expand its targets: on success *spec is the stored
 * spec (a new object), *hosts the host ids (new array) and kind is set;
 * otherwise answers 400/403/404 into w and returns false. Shared by the jobs
 * API and scheduled tasks (which pass w_scratch). */
bool jobs_prepare(http_req *r, http_resp *w, db_conn *c, const json_t *body, const char **kind,
                  json_t **spec, json_t **hosts);

/* Queue a prepared job inside the caller's transaction; returns its id or 0. */
int64_t jobs_enqueue(db_conn *c, const char *kind, const json_t *spec, const json_t *hosts, int64_t user_id,
                     const char *user, int64_t task_id, int64_t rerun_of);

/* Start the queue: recover jobs of dead instances, then claim and run jobs
 * on `slots` job threads with `parallelism` host workers. Returns 0 or -1. */
int jobs_start(app *a, int slots, int parallelism);

/* Stop claiming; cancel running jobs, wait for them (up to timeout_ms), mark
 * what is left interrupted. Returns 0, or -1 when a job thread was still
 * busy at the timeout: its memory and the database pool must then be left
 * allocated until the process exits. */
int jobs_stop(int timeout_ms);

/* Wake the queue (a job was just queued). */
void jobs_kick(void);

/* One recovery pass: jobs whose lease ran out become interrupted. */
int jobs_recover(app *a);

/* Handlers. */
void jobs_create(http_req *r, http_resp *w);   /* POST /api/v1/jobs */
void jobs_list(http_req *r, http_resp *w);     /* GET  /api/v1/jobs */
void jobs_get(http_req *r, http_resp *w);      /* GET  /api/v1/jobs/{id} */
void jobs_cancel(http_req *r, http_resp *w);   /* POST /api/v1/jobs/{id}/cancel */
void jobs_rerun(http_req *r, http_resp *w);    /* POST /api/v1/jobs/{id}/rerun */
void jobs_stream(http_req *r, http_resp *w);   /* GET  /api/v1/jobs/{id}/stream (WebSocket) */
void jobs_accept_host_key(http_req *r, http_resp *w); /* POST /api/v1/hosts/{id}/host-key/accept */

#endif
