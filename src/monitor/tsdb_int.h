/* tsdb_int.h -- what tsdb_rrd.c (the files) and tsdb_queue.c (the
 * write-behind queue) share; not for other modules (they use tsdb.h). */
#ifndef CAIRN_TSDB_INT_H
#define CAIRN_TSDB_INT_H

#include "monitor/tsdb.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "The file's last update time is not known yet" (tsdb_rrd_put). */
#define TSDB_LAST_UNKNOWN INT64_MIN

/* The kind named kind, or NULL. */
const tsdb_kind *tsdb_find_kind(const char *kind);

/* The number of data sources of k. */
int tsdb_nds(const tsdb_kind *k);

/* name as a file-name part ([A-Za-z0-9.-] kept, any other byte _XX) into
 * out (cap bytes). Returns 0, or -1 when it does not fit. */
int tsdb_encode_name(const char *name, char *out, size_t cap);

/* The reverse of tsdb_encode_name. Returns 0, or -1 when it does not fit. */
int tsdb_decode_name(const char *enc, char *out, size_t cap);

/* The file of series kind/name of host. Returns 0, or -1 when too long. */
int tsdb_path(int64_t host, const char *kind, const char *name, char *out, size_t cap);

/* One sample as librrd takes it, "t:v1:v2…" (U for NAN), into out (cap
 * bytes). Returns its length, or -1 when it does not fit. */
int tsdb_format_sample(const tsdb_kind *k, int64_t t, const double *values, char *out, size_t cap);

/* Write n samples (oldest first, each from tsdb_format_sample) to series
 * k/name of host with one librrd update. *last is the file's last update
 * time, TSDB_LAST_UNKNOWN to read it from the file first; a missing file is
 * created to start one step before the first sample. Samples not newer than
 * *last are left out. On return *last is the new last update time (or
 * TSDB_LAST_UNKNOWN after an error). With rrdcached configured the update
 * goes to the daemon. Returns 0; with err filled, -1 on an error (the
 * samples are lost: logged), -2 when rrdcached cannot be reached or the
 * disk is too full to create the file (worth trying again later). */
int tsdb_rrd_put(int64_t host, const tsdb_kind *k, const char *name, const char **samples, int n,
                 int64_t *last, char *err, size_t errlen);

/* ---- tsdb_queue.c ---------------------------------------------------------- */

/* Replay the journal left in root/journal by an earlier run (writing its
 * samples to the files), open a new journal and start the flusher thread,
 * which writes each series' queued samples at least every flush_secs
 * seconds. Returns 0, or -1 (logged) when the journal cannot be written. */
int tsdb_queue_start(const char *root, int flush_secs);

/* One sample of a set for tsdb_queue_add. */
struct series;
typedef struct {
    const tsdb_kind *k;
    const char *name;    /* "" for the host series */
    const char *sample;  /* formatted (tsdb_format_sample) */
    int rc;              /* out: 0 queued, 1 skipped (not newer than the
                          * series' last queued or written sample), -1
                          * refused (name or sample too long; err says so) */
    struct series *s;    /* the queue's own */
} tsdb_item;

/* Journal the n samples of host at time t with one write(), then queue
 * them. Returns 0 (each item's rc says what became of it), or -2 with err
 * filled when the set could not be stored now (journal write failed, out
 * of memory, not started): then none of it was queued. */
int tsdb_queue_add(int64_t host, int64_t t, tsdb_item *items, int n, char *err, size_t errlen);

/* Write what is queued for series k/name of host to its file now. */
void tsdb_queue_flush(int64_t host, const tsdb_kind *k, const char *name);

/* Write what is queued for every series of host now; with forget, also
 * drop the host's series from the queue (the host is being archived). */
void tsdb_queue_flush_host(int64_t host, bool forget);

/* Stop the flusher. With flush, write everything queued and remove the
 * journal; without (tests: a simulated crash), keep the journal for the
 * next tsdb_queue_start() and drop the queue. */
void tsdb_queue_stop(bool flush);

#endif
