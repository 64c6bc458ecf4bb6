/* stream.c -- see stream.h. Streams live in a small global list guarded by a
 * mutex; each stream has its own mutex and condition variable. */
#include "jobs/stream.h"

#include "common/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct stream {
    int64_t job_id;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char **events;
    size_t n, cap;
    size_t bytes;
    bool truncated;
    bool done;
    int64_t done_at;
    int refs;
    stream *next;
};

static pthread_mutex_t list_mu = PTHREAD_MUTEX_INITIALIZER;
static stream *streams;

static stream *find_locked(int64_t job_id)
{
    for (stream *s = streams; s; s = s->next)
        if (s->job_id == job_id)
            return s;
    return NULL;
}

stream *stream_open(int64_t job_id)
{
    pthread_mutex_lock(&list_mu);
    stream *s = find_locked(job_id);
    if (!s && (s = calloc(1, sizeof *s))) {
        s->job_id = job_id;
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        s->next = streams;
        streams = s;
    }
    if (s)
        s->refs++;
    pthread_mutex_unlock(&list_mu);
    return s;
}

stream *stream_get(int64_t job_id)
{
    pthread_mutex_lock(&list_mu);
    stream *s = find_locked(job_id);
    if (s)
        s->refs++;
    pthread_mutex_unlock(&list_mu);
    return s;
}

void stream_put(stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&list_mu);
    s->refs--;
    pthread_mutex_unlock(&list_mu);
}

static void append_locked(stream *s, char *text)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **p = realloc(s->events, cap * sizeof *p);
        if (!p) {
            free(text);
            return;
        }
        s->events = p;
        s->cap = cap;
    }
    s->events[s->n++] = text;
}

void stream_push(stream *s, json_t *event, bool is_output)
{
    char *text = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    if (!text)
        return;
    size_t len = strlen(text);
    pthread_mutex_lock(&s->mu);
    if (is_output && s->bytes + len > STREAM_MAX_BYTES) {
        free(text);
        if (!s->truncated) {
            s->truncated = true;
            append_locked(s, strdup("{\"type\":\"truncated\",\"message\":\"live output limit reached; "
                                    "the full output is in the job's results\"}"));
        }
    } else {
        s->bytes += len;
        append_locked(s, text);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

void stream_finish(stream *s)
{
    pthread_mutex_lock(&s->mu);
    s->done = true;
    s->done_at = util_now();
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

char *stream_next(stream *s, size_t *cursor, int timeout_ms, bool *done)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L)
        until.tv_sec++, until.tv_nsec -= 1000000000L;
    char *out = NULL;
    pthread_mutex_lock(&s->mu);
    while (*cursor >= s->n && !s->done)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
            break;
    if (*cursor < s->n) {
        out = strdup(s->events[*cursor]);
        if (out)
            (*cursor)++;
    }
    *done = s->done && *cursor >= s->n;
    pthread_mutex_unlock(&s->mu);
    return out;
}

void stream_sweep(void)
{
    int64_t now = util_now();
    pthread_mutex_lock(&list_mu);
    for (stream **pp = &streams; *pp;) {
        stream *s = *pp;
        if (s->refs == 0 && s->done && now - s->done_at > 60) {
            *pp = s->next;
            for (size_t i = 0; i < s->n; i++)
                free(s->events[i]);
            free(s->events);
            pthread_mutex_destroy(&s->mu);
            pthread_cond_destroy(&s->cv);
            free(s);
        } else {
            pp = &s->next;
        }
    }
    pthread_mutex_unlock(&list_mu);
}
