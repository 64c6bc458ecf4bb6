/* prom.h -- the latest collection in Prometheus text format (0.0.4), and
 * a tiny single-threaded HTTP responder for it.
 *
 * Metric names are node_exporter's where one exists (node_cpu_seconds_total,
 * node_load1, node_memory_MemAvailable_bytes, node_filesystem_avail_bytes,
 * node_disk_read_bytes_total, node_network_receive_bytes_total,
 * node_tcp_connection_states …) so existing dashboards work; the agent's
 * own counters are cairn_agent_*. The responder answers one connection at a
 * time with a short deadline (a slow client can delay the agent by at most
 * about two seconds) and closes it: it is meant for a loopback scraper.
 */
#ifndef CAIRN_AGENT_PROM_H
#define CAIRN_AGENT_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/agent.h"
#include "agent/report.h"
#include "common/sbuf.h"

typedef struct {
    const char *version;
    uint64_t collections, reports_sent, send_failures, spool_files, dropped_total;
    double last_collect_seconds; /* CPU-free wall time of the last collection */
} ag_prom_info;

/* Append the exposition of sample m (raw counters, as Prometheus wants
 * them) and of the agent's own counters x (may be NULL) to out. 0, or -1
 * when out ran out of memory. */
int ag_prom_text(sbuf *out, const ag_sample *m, const ag_prom_info *x);

/* Listen on "ADDR:PORT" ("127.0.0.1:9101", "[::1]:9101", "localhost:9101").
 * Returns a non-blocking listening socket, or -1 with the reason in err. */
int ag_prom_listen(const char *addr_port, char *err, size_t errcap);

/* True when the socket is bound to a loopback address. */
bool ag_prom_is_loopback(int fd);

/* Accept and answer the pending connections on lfd: GET /metrics gets the
 * text built by body(out, arg); other paths 404, other methods 405. */
void ag_prom_serve(int lfd, int (*body)(sbuf *out, void *arg), void *arg);

#endif
