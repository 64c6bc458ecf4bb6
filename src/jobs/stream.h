/* stream.h -- live output of running jobs, for WebSocket watchers.
 *
 * Each running job has a stream: an append-only list of events (JSON text:
 * output chunks, per-host status, the job's end). Writers append; any number
 * of readers follow it at their own pace with their own cursor, so a slow
 * reader never loses anything and never slows the job down. A stream keeps
 * everything until the job ends (bounded: past STREAM_MAX_BYTES output
 * events are replaced by one "truncated" notice; the full output per host is
 * in the job's results anyway), and is freed a minute after the job ended
 * and its last reader left.
 */
#ifndef CAIRN_STREAM_H
#define CAIRN_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define STREAM_MAX_BYTES (64u << 20)

typedef struct stream stream;

/* Create (or find) the stream of job_id. Returns NULL when out of memory. */
stream *stream_open(int64_t job_id);

/* The stream of job_id with a new reference, or NULL when this process has
 * none (the job runs elsewhere or ended long ago). */
stream *stream_get(int64_t job_id);

/* Drop a reference from stream_open/stream_get. */
void stream_put(stream *s);

/* Append an event (takes the reference). is_output events count against
 * the size bound. */
void stream_push(stream *s, json_t *event, bool is_output);

/* Mark the job ended; readers see `done` after the last event. */
void stream_finish(stream *s);

/* Wait up to timeout_ms for event number *cursor. Returns a malloc'd copy of
 * its text and advances *cursor; NULL when none arrived in time (then *done
 * tells whether the stream has ended and everything was read). */
char *stream_next(stream *s, size_t *cursor, int timeout_ms, bool *done);

/* Free streams of jobs that ended more than a minute ago and have no reader. */
void stream_sweep(void);

#endif
