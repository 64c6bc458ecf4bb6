/* cpu.c -- collector "cpu": /proc/stat.
 *
 * Reads the aggregate and per-CPU "cpu" lines (jiffies per mode; kernels
 * before 2.6.33 have no guest_nice, before 2.6.24 no guest, before 2.6.11 no
 * steal: missing columns stay 0), plus ctxt, processes (forks), procs_running,
 * procs_blocked and btime. The file is read line by line into ctx->buf, so
 * the long "intr" line of a big machine costs nothing but its read. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <string.h>

/* Parse "user nice system idle iowait irq softirq steal …" after the name. */
static void parse_ticks(const char *p, ag_cpu_ticks *t)
{
    uint64_t v[8] = {0};
    for (int i = 0; i < 8 && p; i++)
        p = pf_u64(p, &v[i]);
    t->user = v[0], t->nice = v[1], t->system = v[2], t->idle = v[3];
    t->iowait = v[4], t->irq = v[5], t->softirq = v[6], t->steal = v[7];
}

int ag_coll_cpu(ag_ctx *c)
{
    ag_sample *m = c->m;
    pf_lines r;
    if (pf_lines_open_keep(&r, c->root, "/proc/stat", c->buf, c->cap) != 0)
        return -1;
    bool seen_total = false;
    char *line;
    while ((line = pf_lines_next(&r))) {
        if (line[0] == 'c' && line[1] == 'p' && line[2] == 'u') {
            if (line[3] == ' ') {
                parse_ticks(line + 3, &m->cpu);
                seen_total = true;
            } else if (line[3] >= '0' && line[3] <= '9') {
                uint64_t id;
                const char *p = pf_u64(line + 3, &id);
                if (!p || m->ncpu >= AG_MAX_CPUS) {
                    m->truncated++;
                    continue;
                }
                m->cpu_id[m->ncpu] = (int)id;
                parse_ticks(p, &m->cpus[m->ncpu]);
                m->ncpu++;
            }
        } else if (strncmp(line, "ctxt ", 5) == 0) {
            pf_u64(line + 5, &m->ctxt);
        } else if (strncmp(line, "btime ", 6) == 0) {
            pf_u64(line + 6, &m->boot_time);
        } else if (strncmp(line, "processes ", 10) == 0) {
            pf_u64(line + 10, &m->forks);
        } else if (strncmp(line, "procs_running ", 14) == 0) {
            pf_u64(line + 14, &m->procs_running);
        } else if (strncmp(line, "procs_blocked ", 14) == 0) {
            pf_u64(line + 14, &m->procs_blocked);
        }
    }
    pf_lines_close(&r);
    if (!seen_total)
        return -1;
    m->have |= AG_HAVE_CPU;
    return 0;
}
