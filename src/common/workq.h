/* workq.h -- a fixed pool of worker threads running queued functions.
 *
 * The HTTP polling threads must never block on slow work (argon2id takes
 * ~90 ms); they suspend the connection and queue the work here instead.
 * Jobs run in FIFO order. workq_free() finishes every queued job first.
 */
#ifndef CAIRN_WORKQ_H
#define CAIRN_WORKQ_H

typedef struct workq workq;
typedef void (*workq_fn)(void *arg);

/* Start `threads` workers. Returns NULL when a thread or memory cannot be had. */
workq *workq_new(int threads);
/* Queue fn(arg). Returns 0, or -1 when out of memory or shutting down (the
 * caller still owns arg then). */
int workq_push(workq *q, workq_fn fn, void *arg);
/* Run what is queued, stop the threads, free the pool. NULL is allowed. */
void workq_free(workq *q);

#endif
