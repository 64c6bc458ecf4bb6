/* workq.c -- see workq.h. A mutex, a condition variable and a singly linked
 * FIFO of jobs. */
#include "common/workq.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct job {
    workq_fn fn;
    void *arg;
    struct job *next;
} job;

struct workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *head, *tail;
    bool stopping;
    int nthreads;
    pthread_t threads[];
};

static void *workq_main(void *p)
{
    workq *q = p;
    for (;;) {
        pthread_mutex_lock(&q->mu);
        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->cv, &q->mu);
        job *j = q->head;
        if (!j) {
            pthread_mutex_unlock(&q->mu);
            return NULL;
        }
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        pthread_mutex_unlock(&q->mu);
        j->fn(j->arg);
        free(j);
    }
}

workq *workq_new(int threads)
{
    if (threads < 1)
        threads = 1;
    workq *q = calloc(1, sizeof *q + sizeof(pthread_t) * (size_t)threads);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&q->threads[i], NULL, workq_main, q) != 0)
            goto fail;
        q->nthreads++;
    }
    return q;
fail:
    workq_free(q);
    return NULL;
}

int workq_push(workq *q, workq_fn fn, void *arg)
{
    job *j = malloc(sizeof *j);
    if (!j)
        return -1;
    *j = (job){fn, arg, NULL};
    pthread_mutex_lock(&q->mu);
    if (q->stopping) {
        pthread_mutex_unlock(&q->mu);
        free(j);
        return -1;
    }
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void workq_free(workq *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stopping = true;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    for (int i = 0; i < q->nthreads; i++)
        pthread_join(q->threads[i], NULL);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}
