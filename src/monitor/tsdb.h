/* tsdb.h -- where host metrics are kept: one RRD file per series.
 *
 * A host's series live in <data>/rrd/<host_id>/: host.rrd (CPU, load,
 * memory, swap, TCP, processes, uptime) and one file per filesystem, disk and
 * NIC (fs-<mount>.rrd, disk-<name>.rrd, net-<name>.rrd; names hex-escaped
 * so any mount point maps to one safe file name and back). Each file has a
 * 60 s step and AVERAGE and MAX archives of 1 min × 2 days, 5 min × 14 days
 * and 1 h × 13 months, so its size never grows. Series appear when a report
 * first carries them. A deleted host's directory is moved to
 * <data>/rrd/archive/ rather than left behind or destroyed.
 *
 * Writes go through a write-behind queue (tsdb_queue.c): a sample is
 * appended to a journal (<data>/rrd/journal/) and kept in memory, and each
 * file gets its queued samples in one librrd update: when 32 have gathered,
 * when the file is read, and at the latest every flush interval. A new
 * series' file is created by a background thread, not by the writer. The
 * journal is replayed at start, so an accepted sample survives a crash of
 * cairnd (see tsdb_queue.c for what a crash of the machine can lose).
 */
#ifndef CAIRN_TSDB_H
#define CAIRN_TSDB_H

#include "common/sbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TSDB_MAX_DS 16

/* The data sources of one kind of series. */
typedef struct {
    const char *kind;                 /* "host", "fs", "disk", "net" */
    const char *ds[TSDB_MAX_DS];      /* NULL-terminated RRD data-source names */
} tsdb_kind;

/* The kinds, NULL-kind-terminated. */
extern const tsdb_kind tsdb_kinds[];

/* Set the directory (<data>/rrd), create it, write what an earlier run
 * left in the journal and start the flusher (every flush_secs seconds at
 * the latest; 0 = the default, 300). rrdcached, when not NULL or "", is
 * the address of an rrdcached ("unix:/path" or "host:port") that gets the
 * updates instead of the files (which must be the same files: the daemon
 * runs on this machine, e.g. with -b <data>/rrd); reads ask it to flush the
 * file first. Not reaching it is not fatal (samples stay queued and
 * journaled and are sent when it answers again). Returns 0 or -1. */
int tsdb_init(const char *dir, int flush_secs, const char *rrdcached);

/* Write everything queued, remove the journal and stop the flusher. */
void tsdb_close(void);

/* Write one sample of series kind/name ("" for host) of host at time t.
 * values[i] is the value of the kind's i-th data source (NAN = unknown).
 * The sample is journaled and queued (see the top); the file is created on
 * first use. A sample not newer than the last one this process queued for
 * the series is skipped (returns 1); one not newer than what an earlier run
 * wrote is dropped when the queue is written. Returns 0 on success; with
 * err filled, -1 when the sample can never be stored (unknown kind, name or
 * sample too long) and -2 when it could not be stored now (the journal
 * write failed, out of memory: worth answering 500 so the agent resends;
 * a sample that was journaled is not lost, the next start writes it). */
int tsdb_write(int64_t host, const char *kind, const char *name, int64_t t, const double *values,
               char *err, size_t errlen);

/* One sample of one series, for tsdb_write_set(). */
typedef struct {
    const char *kind;            /* "host", "fs", "disk", "net" */
    const char *name;            /* "" for host */
    double values[TSDB_MAX_DS];  /* as in tsdb_write() */
} tsdb_sample;

/* Write n samples of host, all at time t, as tsdb_write() would one by one
 * but with one journal write per 8 samples (an agent report is one call).
 * res[i] (res may be NULL) receives sample i's result: 0, 1 or -1 as from
 * tsdb_write() (err names the last refusal). Returns 0, or -2 with err
 * filled when some could not be stored now (worth answering 500; what was
 * stored is skipped when the agent resends). */
int tsdb_write_set(int64_t host, int64_t t, const tsdb_sample *set, int n, int *res, char *err, size_t errlen);

/* Read series kind/name of host between from and to with consolidation cf
 * ("AVERAGE" or "MAX") at a resolution chosen from the range. Returns a new
 * object {"key","kind","name","ds":[…],"start","step","rows":[[t,v…],…]}
 * (null for unknown values), or NULL when the series does not exist. */
json_t *tsdb_read(int64_t host, const char *kind, const char *name, int64_t from, int64_t to,
                  const char *cf);

/* Like tsdb_read, but writes the series object as JSON text to out and
 * consolidates rows so that at most max_points remain (AVERAGE averages
 * the known values of a group, MAX takes their maximum; the step grows
 * accordingly). Returns 1 when written, 0 when the series does not exist,
 * -1 on a read error. Values are written with 7 significant digits. */
int tsdb_read_text(int64_t host, const char *kind, const char *name, int64_t from, int64_t to,
                   const char *cf, int max_points, sbuf *out);

/* The series a host has: array of {"key","kind","name","ds":[…]}. */
json_t *tsdb_list(int64_t host);

/* The host ids that have a series directory (array of integers). */
json_t *tsdb_hosts(void);

/* Move a host's directory to the archive (after the host is deleted).
 * Returns 0, or -1 when it could not be moved. */
int tsdb_archive(int64_t host);

#endif
