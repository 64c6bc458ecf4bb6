/* runner.h -- executing one claimed job (see jobs.h for the life cycle).
 *
 * runner_run() is called on a job thread for a job this cairnd has claimed.
 * SSH work fans out per host onto the shared host pool (runner_init); Ansible
 * work runs one ansible process for all hosts (ansible.c). Each host's result
 * row is written as soon as that host finishes, and every chunk of output is
 * pushed to the job's stream for live watchers.
 */
#ifndef CAIRN_RUNNER_H
#define CAIRN_RUNNER_H

#include "app.h"
#include "jobs/stream.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct job_run {
    app *app;
    int64_t id;
    char kind[32];
    json_t *spec;
    stream *stream;
    atomic_bool cancel;
    char *payload;           /* script text or file bytes */
    size_t payload_len;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;             /* hosts not finished yet */
} job_run;

/* Start the host pool (`parallelism` threads). Returns 0 or -1. */
int runner_init(int parallelism);
void runner_shutdown(void);

/* Run job `job` (a row of table jobs) to the end. cancel may be raised by
 * another thread through *run_out while it runs (set before work starts). */
void runner_run(app *a, const json_t *job, job_run **run_out, pthread_mutex_t *run_mu);

/* Write one host's final result and tell watchers. */
void runner_host_done(job_run *j, int64_t host_id, const char *status, int exit_code, const char *out,
                      size_t out_len, const char *err, size_t err_len, const char *error, int changed,
                      bool truncated);

/* Mark a host running and tell watchers. */
void runner_host_start(job_run *j, int64_t host_id);

/* Push a chunk of a host's output to watchers (sanitised to UTF-8). */
void runner_output(job_run *j, int64_t host_id, int stream_no, const char *data, size_t len);

/* Ansible kinds (ansible.c): run the whole job; writes every host's result. */
void ansible_run(job_run *j);

#endif
