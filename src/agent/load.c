/* load.c -- collector "load": /proc/loadavg.
 *
 * "0.12 0.20 0.18 1/180 12345": the three load averages, then running and
 * total scheduling entities (threads), then the last PID. One read. */
#include "agent/agent.h"
#include "agent/procfile.h"

int ag_coll_load(ag_ctx *c)
{
    ag_sample *m = c->m;
    char b[256];
    if (pf_read_keep(c->root, "/proc/loadavg", b, sizeof b, NULL) < 0)
        return -1;
    const char *p = b;
    for (int i = 0; i < 3; i++)
        if (!(p = pf_double(p, &m->load[i])))
            return -1;
    uint64_t running;
    p = pf_u64(p, &running);
    if (p && *p == '/')
        pf_u64(p + 1, &m->threads);
    m->have |= AG_HAVE_LOAD;
    return 0;
}
