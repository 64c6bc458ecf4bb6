/* prom.c -- see prom.h. The exposition is written family by family
 * (# HELP, # TYPE, samples); label values are escaped as the format
 * requires. The responder reads the request head with poll() and a
 * deadline, writes the whole answer the same way, and closes. */
#include "agent/prom.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/procfile.h"
#include "common/util.h"

#define PROM_DEADLINE_MS 2000.0

static void family(sbuf *o, const char *name, const char *type, const char *help)
{
    sbuf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void label_value(sbuf *o, const char *v)
{
    for (; v && *v; v++) {
        if (*v == '\\' || *v == '"')
            sbuf_putc(o, '\\'), sbuf_putc(o, *v);
        else if (*v == '\n')
            sbuf_puts(o, "\\n");
        else
            sbuf_putc(o, *v);
    }
}

/* name{k="v"} value, with one label (k NULL: none). */
static void sample1(sbuf *o, const char *name, const char *k, const char *v, double val)
{
    sbuf_puts(o, name);
    if (k) {
        sbuf_printf(o, "{%s=\"", k);
        label_value(o, v);
        sbuf_puts(o, "\"}");
    }
    if (val == floor(val) && fabs(val) < 9e15)
        sbuf_printf(o, " %.0f\n", val); /* counters: exact integers */
    else
        sbuf_printf(o, " %.15g\n", val);
}

static const char *const cpu_modes[] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
static const char *const tcp_names[AG_TCP_NSTATES] = {
    NULL, "established", "syn_sent", "syn_recv", "fin_wait1", "fin_wait2", "time_wait",
    "close", "close_wait", "last_ack", "listen", "closing", "new_syn_recv"};

static void cpu_section(sbuf *o, const ag_sample *m)
{
    long hz = sysconf(_SC_CLK_TCK);
    double tick = 1.0 / (double)(hz > 0 ? hz : 100);
    family(o, "node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
    for (int i = 0; i < m->ncpu; i++) {
        const ag_cpu_ticks *t = &m->cpus[i];
        uint64_t v[8] = {t->user, t->nice, t->system, t->idle, t->iowait, t->irq, t->softirq, t->steal};
        for (int k = 0; k < 8; k++)
            sbuf_printf(o, "node_cpu_seconds_total{cpu=\"%d\",mode=\"%s\"} %.2f\n", m->cpu_id[i],
                        cpu_modes[k], (double)v[k] * tick);
    }
    family(o, "node_context_switches_total", "counter", "Total number of context switches.");
    sample1(o, "node_context_switches_total", NULL, NULL, (double)m->ctxt);
    family(o, "node_forks_total", "counter", "Total number of forks.");
    sample1(o, "node_forks_total", NULL, NULL, (double)m->forks);
    family(o, "node_procs_running", "gauge", "Number of processes in runnable state.");
    sample1(o, "node_procs_running", NULL, NULL, (double)m->procs_running);
    family(o, "node_procs_blocked", "gauge", "Number of processes blocked waiting for I/O.");
    sample1(o, "node_procs_blocked", NULL, NULL, (double)m->procs_blocked);
    family(o, "node_boot_time_seconds", "gauge", "Node boot time, in unixtime.");
    sample1(o, "node_boot_time_seconds", NULL, NULL, (double)m->boot_time);
}

static void mem_section(sbuf *o, const ag_mem *mm)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } f[] = {
        {"node_memory_MemTotal_bytes", "Memory information field MemTotal_bytes.", offsetof(ag_mem, total)},
        {"node_memory_MemFree_bytes", "Memory information field MemFree_bytes.", offsetof(ag_mem, free)},
        {"node_memory_MemAvailable_bytes", "Memory information field MemAvailable_bytes.", offsetof(ag_mem, available)},
        {"node_memory_Buffers_bytes", "Memory information field Buffers_bytes.", offsetof(ag_mem, buffers)},
        {"node_memory_Cached_bytes", "Memory information field Cached_bytes.", offsetof(ag_mem, cached)},
        {"node_memory_SReclaimable_bytes", "Memory information field SReclaimable_bytes.", offsetof(ag_mem, sreclaimable)},
        {"node_memory_Shmem_bytes", "Memory information field Shmem_bytes.", offsetof(ag_mem, shmem)},
        {"node_memory_SwapTotal_bytes", "Memory information field SwapTotal_bytes.", offsetof(ag_mem, swap_total)},
        {"node_memory_SwapFree_bytes", "Memory information field SwapFree_bytes.", offsetof(ag_mem, swap_free)},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        uint64_t v;
        memcpy(&v, (const char *)mm + f[i].off, sizeof v);
        family(o, f[i].name, "gauge", f[i].help);
        sample1(o, f[i].name, NULL, NULL, (double)v);
    }
}

static void fs_section(sbuf *o, const ag_sample *m)
{
    static const struct {
        const char *name, *help;
    } f[] = {
        {"node_filesystem_size_bytes", "Filesystem size in bytes."},
        {"node_filesystem_free_bytes", "Filesystem free space in bytes."},
        {"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes."},
        {"node_filesystem_files", "Filesystem total file nodes."},
        {"node_filesystem_files_free", "Filesystem total free file nodes."},
    };
    for (size_t k = 0; k < 5; k++) {
        family(o, f[k].name, "gauge", f[k].help);
        for (int i = 0; i < m->nfs; i++) {
            const ag_fs *s = &m->fs[i];
            uint64_t v[5] = {s->size, s->free, s->avail, s->files, s->files_free};
            sbuf_printf(o, "%s{device=\"", f[k].name);
            label_value(o, s->device);
            sbuf_puts(o, "\",fstype=\"");
            label_value(o, s->type);
            sbuf_puts(o, "\",mountpoint=\"");
            label_value(o, s->mount);
            sbuf_printf(o, "\"} %" PRIu64 "\n", v[k]);
        }
    }
}

static void disk_section(sbuf *o, const ag_sample *m)
{
    static const struct {
        const char *name, *help;
    } f[] = {
        {"node_disk_reads_completed_total", "The total number of reads completed successfully."},
        {"node_disk_read_bytes_total", "The total number of bytes read successfully."},
        {"node_disk_writes_completed_total", "The total number of writes completed successfully."},
        {"node_disk_written_bytes_total", "The total number of bytes written successfully."},
        {"node_disk_io_time_seconds_total", "Total seconds spent doing I/Os."},
    };
    for (size_t k = 0; k < 5; k++) {
        family(o, f[k].name, "counter", f[k].help);
        for (int i = 0; i < m->ndisk; i++) {
            const ag_disk *d = &m->disks[i];
            double v[5] = {(double)d->reads, (double)d->read_sectors * 512.0, (double)d->writes,
                           (double)d->write_sectors * 512.0, (double)d->io_ms / 1000.0};
            sample1(o, f[k].name, "device", d->name, v[k]);
        }
    }
}

static void nic_section(sbuf *o, const ag_sample *m)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } f[] = {
        {"node_network_receive_bytes_total", "Network device statistic receive_bytes.", offsetof(ag_nic, rx_bytes)},
        {"node_network_receive_packets_total", "Network device statistic receive_packets.", offsetof(ag_nic, rx_packets)},
        {"node_network_receive_errs_total", "Network device statistic receive_errs.", offsetof(ag_nic, rx_errs)},
        {"node_network_receive_drop_total", "Network device statistic receive_drop.", offsetof(ag_nic, rx_drop)},
        {"node_network_transmit_bytes_total", "Network device statistic transmit_bytes.", offsetof(ag_nic, tx_bytes)},
        {"node_network_transmit_packets_total", "Network device statistic transmit_packets.", offsetof(ag_nic, tx_packets)},
        {"node_network_transmit_errs_total", "Network device statistic transmit_errs.", offsetof(ag_nic, tx_errs)},
        {"node_network_transmit_drop_total", "Network device statistic transmit_drop.", offsetof(ag_nic, tx_drop)},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        family(o, f[k].name, "counter", f[k].help);
        for (int i = 0; i < m->nnic; i++) {
            uint64_t v;
            memcpy(&v, (const char *)&m->nics[i] + f[k].off, sizeof v);
            sample1(o, f[k].name, "device", m->nics[i].name, (double)v);
        }
    }
}

int ag_prom_text(sbuf *o, const ag_sample *m, const ag_prom_info *x)
{
    if (m->have & AG_HAVE_CPU)
        cpu_section(o, m);
    if (m->have & AG_HAVE_LOAD) {
        static const char *const n[3] = {"node_load1", "node_load5", "node_load15"};
        static const char *const h[3] = {"1m load average.", "5m load average.", "15m load average."};
        for (int i = 0; i < 3; i++) {
            family(o, n[i], "gauge", h[i]);
            sample1(o, n[i], NULL, NULL, m->load[i]);
        }
        family(o, "node_processes_threads", "gauge", "Allocated threads in system");
        sample1(o, "node_processes_threads", NULL, NULL, (double)m->threads);
    }
    if (m->have & AG_HAVE_MEM)
        mem_section(o, &m->mem);
    if (m->have & AG_HAVE_FS)
        fs_section(o, m);
    if (m->have & AG_HAVE_DISKS)
        disk_section(o, m);
    if (m->have & AG_HAVE_NICS)
        nic_section(o, m);
    if ((m->have & AG_HAVE_TCP) && m->tcp_exact) {
        family(o, "node_tcp_connection_states", "gauge", "Number of connection states.");
        for (int s = 1; s < AG_TCP_NSTATES; s++)
            sample1(o, "node_tcp_connection_states", "state", tcp_names[s], m->tcp[s]);
    } else if (m->have & AG_HAVE_TCP) {
        family(o, "node_netstat_Tcp_CurrEstab", "untyped", "Statistic TcpCurrEstab.");
        sample1(o, "node_netstat_Tcp_CurrEstab", NULL, NULL, m->tcp[AG_TCP_ESTABLISHED]);
        family(o, "node_sockstat_TCP_tw", "gauge", "Number of TCP sockets in state tw.");
        sample1(o, "node_sockstat_TCP_tw", NULL, NULL, m->tcp[AG_TCP_TIME_WAIT]);
        family(o, "node_sockstat_TCP_alloc", "gauge", "Number of TCP sockets in state alloc.");
        sample1(o, "node_sockstat_TCP_alloc", NULL, NULL, (double)m->tcp_alloc);
        if (m->tcp_listen_known) {
            family(o, "node_tcp_connection_states", "gauge", "Number of connection states.");
            sample1(o, "node_tcp_connection_states", "state", "listen", m->tcp[AG_TCP_LISTEN]);
        }
    }
    if (m->have & AG_HAVE_PROCS) {
        family(o, "node_processes_pids", "gauge", "Number of PIDs");
        sample1(o, "node_processes_pids", NULL, NULL, (double)m->processes);
    }
    if (m->have & AG_HAVE_UPTIME) {
        family(o, "cairn_agent_host_uptime_seconds", "gauge", "Seconds since the host booted (/proc/uptime).");
        sample1(o, "cairn_agent_host_uptime_seconds", NULL, NULL, m->uptime);
    }
    family(o, "node_time_seconds", "gauge", "System time in seconds since epoch (1970).");
    sample1(o, "node_time_seconds", NULL, NULL, (double)m->time);
    if (x) {
        family(o, "cairn_agent_info", "gauge", "cairn-agent version.");
        sample1(o, "cairn_agent_info", "version", x->version ? x->version : "", 1);
        family(o, "cairn_agent_collections_total", "counter", "Collections since start.");
        sample1(o, "cairn_agent_collections_total", NULL, NULL, (double)x->collections);
        family(o, "cairn_agent_reports_sent_total", "counter", "Reports cairnd accepted since start.");
        sample1(o, "cairn_agent_reports_sent_total", NULL, NULL, (double)x->reports_sent);
        family(o, "cairn_agent_send_failures_total", "counter", "Failed sends since start.");
        sample1(o, "cairn_agent_send_failures_total", NULL, NULL, (double)x->send_failures);
        family(o, "cairn_agent_spool_reports", "gauge", "Reports waiting in the spool.");
        sample1(o, "cairn_agent_spool_reports", NULL, NULL, (double)x->spool_files);
        family(o, "cairn_agent_dropped_reports_total", "counter", "Reports lost (spool full or refused).");
        sample1(o, "cairn_agent_dropped_reports_total", NULL, NULL, (double)x->dropped_total);
        family(o, "cairn_agent_collection_seconds", "gauge", "Duration of the last collection.");
        sample1(o, "cairn_agent_collection_seconds", NULL, NULL, x->last_collect_seconds);
    }
    return sbuf_failed(o) ? -1 : 0;
}

int ag_prom_listen(const char *addr_port, char *err, size_t errcap)
{
    char host[128];
    const char *colon = strrchr(addr_port, ':');
    if (!colon || colon == addr_port || (size_t)(colon - addr_port) >= sizeof host) {
        snprintf(err, errcap, "expected ADDR:PORT");
        return -1;
    }
    size_t hl = (size_t)(colon - addr_port);
    memcpy(host, addr_port, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int g = getaddrinfo(host, colon + 1, &hints, &res);
    if (g != 0) {
        snprintf(err, errcap, "%s", gai_strerror(g));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0)
            break;
        snprintf(err, errcap, "%s", strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

bool ag_prom_is_loopback(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
        return false;
    if (ss.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    return false;
}

/* Wait for fd to be ready for ev until deadline (monotonic ms). */
static bool wait_fd(int fd, short ev, double deadline)
{
    double left = deadline - util_mono_ms();
    if (left <= 0)
        return false;
    struct pollfd p = {fd, ev, 0};
    return poll(&p, 1, (int)left + 1) > 0;
}

static void write_all(int fd, const char *p, size_t n, double deadline)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLOUT, deadline))
                return;
        } else {
            return;
        }
    }
}

static void answer(int fd, int (*body)(sbuf *, void *), void *arg)
{
    double deadline = util_mono_ms() + PROM_DEADLINE_MS;
    char req[2048];
    size_t len = 0;
    while (len < sizeof req - 1) {
        ssize_t r = recv(fd, req + len, sizeof req - 1 - len, 0);
        if (r > 0) {
            len += (size_t)r;
            req[len] = '\0';
            if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
                break;
        } else if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLIN, deadline))
                return;
        } else {
            return;
        }
    }
    req[len] = '\0';
    bool get = strncmp(req, "GET ", 4) == 0, head = strncmp(req, "HEAD ", 5) == 0;
    const char *path = get ? req + 4 : head ? req + 5 : "";
    const char *status = "200 OK";
    sbuf b = SBUF_INIT;
    if (!get && !head) {
        status = "405 Method Not Allowed";
        sbuf_puts(&b, "method not allowed\n");
    } else if (strncmp(path, "/metrics", 8) == 0 && (path[8] == ' ' || path[8] == '?')) {
        if (body(&b, arg) != 0) {
            status = "500 Internal Server Error";
            ag_sbuf_reset(&b);
            sbuf_puts(&b, "out of memory\n");
        }
    } else {
        status = "404 Not Found";
        sbuf_puts(&b, "cairn-agent: metrics are at /metrics\n");
    }
    char hdr[256];
    int hn = snprintf(hdr, sizeof hdr,
                      "HTTP/1.1 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, b.len);
    write_all(fd, hdr, (size_t)hn, deadline);
    if (!head && !sbuf_failed(&b))
        write_all(fd, sbuf_str(&b), b.len, deadline);
    sbuf_free(&b);
}

void ag_prom_serve(int lfd, int (*body)(sbuf *, void *), void *arg)
{
    for (int i = 0; i < 16; i++) { /* bounded: never starve collection */
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        answer(fd, body, arg);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}
