/* report.h -- rates from two samples, and the JSON report of docs/AGENT.md.
 *
 * The encoder writes JSON text straight into an sbuf (no JSON tree): strings
 * are escaped and any invalid UTF-8 from firmware or file names becomes
 * U+FFFD, non-finite numbers become 0, so the output is always valid JSON
 * that cairnd's jansson parser accepts.
 */
#ifndef CAIRN_AGENT_REPORT_H
#define CAIRN_AGENT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/agent.h"
#include "common/sbuf.h"

typedef struct {
    double user, system, iowait, steal, idle; /* percent, sum 100 */
} ag_cpu_pct;

typedef struct {
    double read_bytes, write_bytes, reads, writes; /* per second */
    double util;                                   /* percent of time busy */
} ag_disk_rate;

typedef struct {
    double rx_bytes, tx_bytes, rx_packets, tx_packets, rx_errors, tx_errors; /* per second */
} ag_nic_rate;

/* Rates between two samples, index-aligned with the later sample's arrays
 * (a device absent from the earlier sample has no rate). */
typedef struct {
    double dt; /* seconds between the samples; 0 = no rates at all */
    bool cpu_valid;
    ag_cpu_pct cpu;
    bool disk_valid[AG_MAX_DISKS];
    ag_disk_rate disk[AG_MAX_DISKS];
    bool nic_valid[AG_MAX_NICS];
    ag_nic_rate nic[AG_MAX_NICS];
} ag_rates;

/* How much a counter grew from prev to cur. A counter that went down is
 * either a 32-bit counter that wrapped (both values fit in 32 bits and the
 * wrapped difference is under 2^31: e.g. io_ms of older kernels, or net
 * counters of 32-bit kernels) or a counter that was reset (device removed
 * and re-added), which counts from zero: the delta is then cur. */
uint64_t ag_counter_delta(uint64_t prev, uint64_t cur);

/* Fill *out from two samples of the same host (prev may be NULL: no rates).
 * CPU percentages are shares of the jiffies that passed: user = user+nice,
 * system = system+irq+softirq, iowait, steal, idle. Disks and NICs are
 * matched by name. Never fails. */
void ag_rates_compute(const ag_sample *prev, const ag_sample *cur, ag_rates *out);

/* The report's header fields. */
typedef struct {
    int64_t time;     /* Unix seconds of the collection */
    uint64_t seq;     /* docs/AGENT.md: strictly increasing */
    int interval;     /* seconds */
    uint64_t dropped; /* reports lost since the last report */
    const char *agent_version;
} ag_report_meta;

/* Append one report object to out: the header, "facts" when facts is not
 * NULL, and "metrics" from m and r (r may be NULL or have dt 0: no rate
 * fields). Returns 0, or -1 when out ran out of memory. */
int ag_report_json(sbuf *out, const ag_report_meta *meta, const ag_facts *facts, const ag_sample *m,
                   const ag_rates *r);

/* Append the "facts" object alone. With for_hash, fields that move without
 * the host changing (boot_time, which follows clock steps) are left out,
 * so a hash of the text changes only when the inventory does. */
int ag_facts_json(sbuf *out, const ag_facts *f, const char *agent_version, bool for_hash);

/* Append s as a JSON string (quotes included). */
void ag_json_str(sbuf *out, const char *s);

/* 64-bit FNV-1a of n bytes. */
uint64_t ag_hash(const void *p, size_t n);

/* Empty b for reuse, keeping its allocation. */
void ag_sbuf_reset(sbuf *b);

#endif
