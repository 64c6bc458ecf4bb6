/* report.c -- see report.h. Rates first, then the JSON writers: a few
 * helpers (key, string, number) over sbuf, and one function per section in
 * the order of docs/AGENT.md. sbuf is sticky-failed on OOM, so the writers
 * check once at the end. */
#include "agent/report.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

uint64_t ag_counter_delta(uint64_t prev, uint64_t cur)
{
    if (cur >= prev)
        return cur - prev;
    if (prev <= UINT32_MAX && cur <= UINT32_MAX) {
        uint64_t d = (UINT32_MAX - prev) + cur + 1;
        if (d < (UINT64_C(1) << 31))
            return d;
    }
    return cur;
}

static uint64_t sat_delta(uint64_t prev, uint64_t cur) { return cur > prev ? cur - prev : 0; }

static void cpu_pct(const ag_cpu_ticks *a, const ag_cpu_ticks *b, ag_rates *out)
{
    double user = (double)(sat_delta(a->user, b->user) + sat_delta(a->nice, b->nice));
    double sys = (double)(sat_delta(a->system, b->system) + sat_delta(a->irq, b->irq) +
                          sat_delta(a->softirq, b->softirq));
    double iow = (double)sat_delta(a->iowait, b->iowait);
    double steal = (double)sat_delta(a->steal, b->steal);
    double idle = (double)sat_delta(a->idle, b->idle);
    double total = user + sys + iow + steal + idle;
    if (total <= 0)
        return;
    out->cpu.user = 100.0 * user / total;
    out->cpu.system = 100.0 * sys / total;
    out->cpu.iowait = 100.0 * iow / total;
    out->cpu.steal = 100.0 * steal / total;
    out->cpu.idle = 100.0 * idle / total;
    out->cpu_valid = true;
}

/* Index of the disk (NIC) named name in the earlier sample, trying the
 * same index first (devices rarely move), or -1. */
static int find_disk(const ag_sample *s, const char *name, int hint)
{
    if (hint < s->ndisk && strcmp(s->disks[hint].name, name) == 0)
        return hint;
    for (int k = 0; k < s->ndisk; k++)
        if (strcmp(s->disks[k].name, name) == 0)
            return k;
    return -1;
}

static int find_nic(const ag_sample *s, const char *name, int hint)
{
    if (hint < s->nnic && strcmp(s->nics[hint].name, name) == 0)
        return hint;
    for (int k = 0; k < s->nnic; k++)
        if (strcmp(s->nics[k].name, name) == 0)
            return k;
    return -1;
}

void ag_rates_compute(const ag_sample *prev, const ag_sample *cur, ag_rates *out)
{
    memset(out, 0, sizeof *out);
    if (!prev)
        return;
    double dt = (cur->mono_ms - prev->mono_ms) / 1000.0;
    if (!(dt > 1e-6))
        return;
    out->dt = dt;
    if ((prev->have & cur->have & AG_HAVE_CPU))
        cpu_pct(&prev->cpu, &cur->cpu, out);
    if (prev->have & cur->have & AG_HAVE_DISKS)
        for (int i = 0; i < cur->ndisk; i++) {
            const ag_disk *b = &cur->disks[i];
            int j = find_disk(prev, b->name, i);
            if (j < 0)
                continue;
            const ag_disk *a = &prev->disks[j];
            ag_disk_rate *r = &out->disk[i];
            r->read_bytes = (double)ag_counter_delta(a->read_sectors, b->read_sectors) * 512.0 / dt;
            r->write_bytes = (double)ag_counter_delta(a->write_sectors, b->write_sectors) * 512.0 / dt;
            r->reads = (double)ag_counter_delta(a->reads, b->reads) / dt;
            r->writes = (double)ag_counter_delta(a->writes, b->writes) / dt;
            r->util = (double)ag_counter_delta(a->io_ms, b->io_ms) / (dt * 10.0);
            if (r->util > 100.0)
                r->util = 100.0;
            out->disk_valid[i] = true;
        }
    if (prev->have & cur->have & AG_HAVE_NICS)
        for (int i = 0; i < cur->nnic; i++) {
            const ag_nic *b = &cur->nics[i];
            int j = find_nic(prev, b->name, i);
            if (j < 0)
                continue;
            const ag_nic *a = &prev->nics[j];
            ag_nic_rate *r = &out->nic[i];
            r->rx_bytes = (double)ag_counter_delta(a->rx_bytes, b->rx_bytes) / dt;
            r->tx_bytes = (double)ag_counter_delta(a->tx_bytes, b->tx_bytes) / dt;
            r->rx_packets = (double)ag_counter_delta(a->rx_packets, b->rx_packets) / dt;
            r->tx_packets = (double)ag_counter_delta(a->tx_packets, b->tx_packets) / dt;
            r->rx_errors = (double)ag_counter_delta(a->rx_errs, b->rx_errs) / dt;
            r->tx_errors = (double)ag_counter_delta(a->tx_errs, b->tx_errs) / dt;
            out->nic_valid[i] = true;
        }
}

/* ---- JSON writers ------------------------------------------------------ */

void ag_sbuf_reset(sbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

uint64_t ag_hash(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        n = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void ag_json_str(sbuf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    sbuf_putc(out, '"');
    while (*p) {
        const unsigned char *run = p;
        while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p > run)
            sbuf_append(out, run, (size_t)(p - run));
        if (!*p)
            break;
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            sbuf_append(out, e, 2);
            p++;
        } else if (*p < 0x20) {
            sbuf_printf(out, "\\u%04x", *p);
            p++;
        } else {
            size_t n = utf8_seq(p);
            if (n) {
                sbuf_append(out, p, n);
                p += n;
            } else {
                sbuf_append(out, "\xef\xbf\xbd", 3); /* U+FFFD */
                p++;
            }
        }
    }
    sbuf_putc(out, '"');
}

static void key(sbuf *o, bool *first, const char *k)
{
    if (!*first)
        sbuf_putc(o, ',');
    *first = false;
    sbuf_putc(o, '"');
    sbuf_puts(o, k);
    sbuf_puts(o, "\":");
}

static void kv_str(sbuf *o, bool *first, const char *k, const char *v)
{
    if (!v || !*v)
        return;
    key(o, first, k);
    ag_json_str(o, v);
}

static void kv_u64(sbuf *o, bool *first, const char *k, uint64_t v)
{
    key(o, first, k);
    sbuf_printf(o, "%" PRIu64, v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v);
}

static void kv_num(sbuf *o, bool *first, const char *k, double v)
{
    key(o, first, k);
    sbuf_printf(o, "%.2f", isfinite(v) ? v : 0.0);
}

int ag_facts_json(sbuf *o, const ag_facts *f, const char *agent_version, bool for_hash)
{
    bool first = true;
    sbuf_putc(o, '{');
    kv_str(o, &first, "hostname", f->hostname);
    kv_str(o, &first, "fqdn", f->fqdn);
    kv_str(o, &first, "machine_id", f->machine_id);
    kv_str(o, &first, "management_ip", f->management_ip);
    key(o, &first, "nics");
    sbuf_putc(o, '[');
    for (int i = 0; i < f->nnic; i++) {
        const ag_fact_nic *n = &f->nics[i];
        bool nf = true;
        sbuf_puts(o, i ? ",{" : "{");
        kv_str(o, &nf, "name", n->name);
        kv_str(o, &nf, "mac", n->mac);
        key(o, &nf, "addresses");
        sbuf_putc(o, '[');
        for (int a = 0; a < n->naddr; a++) {
            if (a)
                sbuf_putc(o, ',');
            ag_json_str(o, n->addrs[a]);
        }
        sbuf_putc(o, ']');
        if (n->speed_mbps >= 0)
            kv_u64(o, &nf, "speed_mbps", (uint64_t)n->speed_mbps);
        sbuf_putc(o, '}');
    }
    sbuf_putc(o, ']');
    if (f->os_id[0] || f->os_name[0] || f->os_pretty[0]) {
        bool of = true;
        key(o, &first, "os");
        sbuf_putc(o, '{');
        kv_str(o, &of, "id", f->os_id);
        kv_str(o, &of, "name", f->os_name);
        kv_str(o, &of, "version", f->os_version);
        kv_str(o, &of, "pretty", f->os_pretty);
        sbuf_putc(o, '}');
    }
    kv_str(o, &first, "kernel", f->kernel);
    kv_str(o, &first, "arch", f->arch);
    kv_str(o, &first, "vendor", f->vendor);
    kv_str(o, &first, "model", f->model);
    kv_str(o, &first, "serial", f->serial);
    kv_str(o, &first, "bios", f->bios);
    kv_str(o, &first, "bios_vendor", f->bios_vendor);
    kv_str(o, &first, "bios_date", f->bios_date);
    if (f->cpu_threads) {
        bool cf = true;
        key(o, &first, "cpu");
        sbuf_putc(o, '{');
        kv_str(o, &cf, "model", f->cpu_model);
        kv_u64(o, &cf, "sockets", (uint64_t)f->cpu_sockets);
        kv_u64(o, &cf, "cores", (uint64_t)f->cpu_cores);
        kv_u64(o, &cf, "threads", (uint64_t)f->cpu_threads);
        sbuf_putc(o, '}');
    }
    if (f->memory_bytes) {
        kv_u64(o, &first, "memory_bytes", f->memory_bytes);
        kv_u64(o, &first, "swap_bytes", f->swap_bytes);
    }
    key(o, &first, "disks");
    sbuf_putc(o, '[');
    for (int i = 0; i < f->ndisk; i++) {
        const ag_fact_disk *d = &f->disks[i];
        bool df = true;
        sbuf_puts(o, i ? ",{" : "{");
        kv_str(o, &df, "name", d->name);
        kv_u64(o, &df, "size_bytes", d->size_bytes);
        kv_str(o, &df, "model", d->model);
        if (d->rotational >= 0) {
            key(o, &df, "rotational");
            sbuf_puts(o, d->rotational ? "true" : "false");
        }
        sbuf_putc(o, '}');
    }
    sbuf_puts(o, "]");
    key(o, &first, "filesystems");
    sbuf_putc(o, '[');
    for (int i = 0; i < f->nfs; i++) {
        const ag_fact_fs *s = &f->fs[i];
        bool sf = true;
        sbuf_puts(o, i ? ",{" : "{");
        kv_str(o, &sf, "mount", s->mount);
        kv_str(o, &sf, "type", s->type);
        kv_str(o, &sf, "device", s->device);
        kv_u64(o, &sf, "size_bytes", s->size_bytes);
        sbuf_putc(o, '}');
    }
    sbuf_putc(o, ']');
    kv_str(o, &first, "virtualization", f->virtualization);
    kv_str(o, &first, "hypervisor", f->hypervisor);
    if (f->boot_time && !for_hash)
        kv_u64(o, &first, "boot_time", (uint64_t)f->boot_time);
    kv_str(o, &first, "agent_version", agent_version);
    sbuf_putc(o, '}');
    return sbuf_failed(o) ? -1 : 0;
}

static void metrics_json(sbuf *o, const ag_sample *m, const ag_rates *r)
{
    bool first = true;
    bool rates = r && r->dt > 0;
    sbuf_putc(o, '{');
    if (rates && r->cpu_valid) {
        bool f = true;
        key(o, &first, "cpu");
        sbuf_putc(o, '{');
        kv_num(o, &f, "user", r->cpu.user);
        kv_num(o, &f, "system", r->cpu.system);
        kv_num(o, &f, "iowait", r->cpu.iowait);
        kv_num(o, &f, "steal", r->cpu.steal);
        kv_num(o, &f, "idle", r->cpu.idle);
        sbuf_putc(o, '}');
    }
    if (m->have & AG_HAVE_LOAD) {
        key(o, &first, "load");
        sbuf_printf(o, "[%.2f,%.2f,%.2f]", m->load[0], m->load[1], m->load[2]);
    }
    if (m->have & AG_HAVE_MEM) {
        bool f = true;
        const ag_mem *mm = &m->mem;
        key(o, &first, "memory");
        sbuf_putc(o, '{');
        kv_u64(o, &f, "total", mm->total);
        kv_u64(o, &f, "used", mm->total > mm->available ? mm->total - mm->available : 0);
        kv_u64(o, &f, "available", mm->available);
        kv_u64(o, &f, "buffers", mm->buffers);
        kv_u64(o, &f, "cached", mm->cached);
        if (mm->available_estimated) {
            key(o, &f, "available_estimated");
            sbuf_puts(o, "true");
        }
        sbuf_puts(o, "}");
        f = true;
        key(o, &first, "swap");
        sbuf_putc(o, '{');
        kv_u64(o, &f, "total", mm->swap_total);
        kv_u64(o, &f, "used", mm->swap_total > mm->swap_free ? mm->swap_total - mm->swap_free : 0);
        sbuf_putc(o, '}');
    }
    if (m->have & AG_HAVE_FS) {
        key(o, &first, "filesystems");
        sbuf_putc(o, '[');
        for (int i = 0; i < m->nfs; i++) {
            const ag_fs *s = &m->fs[i];
            bool f = true;
            sbuf_puts(o, i ? ",{" : "{");
            kv_str(o, &f, "mount", s->mount);
            kv_str(o, &f, "type", s->type);
            kv_u64(o, &f, "size", s->size);
            kv_u64(o, &f, "used", s->size - s->free);
            kv_u64(o, &f, "free", s->avail);
            kv_u64(o, &f, "inodes_used", s->files > s->files_free ? s->files - s->files_free : 0);
            kv_u64(o, &f, "inodes_free", s->files_free);
            sbuf_putc(o, '}');
        }
        sbuf_putc(o, ']');
    }
    if (rates && (m->have & AG_HAVE_DISKS)) {
        bool any = false;
        key(o, &first, "disks");
        sbuf_putc(o, '[');
        for (int i = 0; i < m->ndisk; i++) {
            if (!r->disk_valid[i])
                continue;
            const ag_disk_rate *d = &r->disk[i];
            bool f = true;
            sbuf_puts(o, any ? ",{" : "{");
            any = true;
            kv_str(o, &f, "name", m->disks[i].name);
            kv_num(o, &f, "read_bytes", d->read_bytes);
            kv_num(o, &f, "write_bytes", d->write_bytes);
            kv_num(o, &f, "reads", d->reads);
            kv_num(o, &f, "writes", d->writes);
            kv_num(o, &f, "util", d->util);
            sbuf_putc(o, '}');
        }
        sbuf_putc(o, ']');
    }
    if (rates && (m->have & AG_HAVE_NICS)) {
        bool any = false;
        key(o, &first, "nics");
        sbuf_putc(o, '[');
        for (int i = 0; i < m->nnic; i++) {
            if (!r->nic_valid[i])
                continue;
            const ag_nic_rate *n = &r->nic[i];
            bool f = true;
            sbuf_puts(o, any ? ",{" : "{");
            any = true;
            kv_str(o, &f, "name", m->nics[i].name);
            kv_num(o, &f, "rx_bytes", n->rx_bytes);
            kv_num(o, &f, "tx_bytes", n->tx_bytes);
            kv_num(o, &f, "rx_packets", n->rx_packets);
            kv_num(o, &f, "tx_packets", n->tx_packets);
            kv_num(o, &f, "rx_errors", n->rx_errors);
            kv_num(o, &f, "tx_errors", n->tx_errors);
            sbuf_putc(o, '}');
        }
        sbuf_putc(o, ']');
    }
    if (m->have & AG_HAVE_TCP) {
        bool f = true;
        uint64_t est = m->tcp[AG_TCP_ESTABLISHED], tw = m->tcp[AG_TCP_TIME_WAIT];
        uint64_t cw = m->tcp[AG_TCP_CLOSE_WAIT], li = m->tcp[AG_TCP_LISTEN];
        key(o, &first, "tcp");
        sbuf_putc(o, '{');
        kv_u64(o, &f, "established", est);
        kv_u64(o, &f, "time_wait", tw);
        if (m->tcp_exact) {
            uint64_t total = 0;
            for (int s = 1; s < AG_TCP_NSTATES; s++)
                total += m->tcp[s];
            kv_u64(o, &f, "close_wait", cw);
            kv_u64(o, &f, "listen", li);
            kv_u64(o, &f, "other", total - est - tw - cw - li);
        } else {
            /* Counters: established includes close_wait; alloc counts
             * every TCP socket but TIME_WAIT and SYN_RECV ones. */
            if (m->tcp_listen_known)
                kv_u64(o, &f, "listen", li);
            kv_u64(o, &f, "other", m->tcp_alloc > est + li ? m->tcp_alloc - est - li : 0);
        }
        sbuf_putc(o, '}');
    }
    if (m->have & AG_HAVE_PROCS)
        kv_u64(o, &first, "processes", m->processes);
    if (m->have & AG_HAVE_UPTIME)
        kv_u64(o, &first, "uptime", (uint64_t)m->uptime);
    sbuf_putc(o, '}');
}

int ag_report_json(sbuf *o, const ag_report_meta *meta, const ag_facts *facts, const ag_sample *m,
                   const ag_rates *r)
{
    bool first = true;
    sbuf_putc(o, '{');
    kv_u64(o, &first, "v", 1);
    kv_str(o, &first, "agent_version", meta->agent_version);
    kv_u64(o, &first, "time", meta->time > 0 ? (uint64_t)meta->time : 0);
    kv_u64(o, &first, "seq", meta->seq);
    kv_u64(o, &first, "interval", meta->interval > 0 ? (uint64_t)meta->interval : 0);
    kv_u64(o, &first, "dropped", meta->dropped);
    if (facts) {
        key(o, &first, "facts");
        ag_facts_json(o, facts, meta->agent_version, false);
    }
    key(o, &first, "metrics");
    metrics_json(o, m, r);
    sbuf_putc(o, '}');
    return sbuf_failed(o) ? -1 : 0;
}
