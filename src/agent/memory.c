/* memory.c -- collector "memory": /proc/meminfo.
 *
 * Picks MemTotal, MemFree, MemAvailable, Buffers, Cached, SReclaimable,
 * Shmem, SwapTotal and SwapFree (kB → bytes) out of the ~50 lines. Kernels
 * before 3.14 have no MemAvailable: it is then estimated the way free(1)
 * did before it existed, MemFree + Buffers + Cached + SReclaimable (capped
 * at MemTotal), and flagged as estimated. "used" in the report is
 * MemTotal - available, as procps-ng 4 free(1) computes it. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <string.h>

int ag_meminfo_parse(ag_ctx *c, ag_mem *mem)
{
    memset(mem, 0, sizeof *mem);
    if (pf_read_keep(c->root, "/proc/meminfo", c->buf, c->cap, NULL) < 0)
        return -1;
    bool have_total = false, have_avail = false;
    for (char *line = c->buf; *line;) {
        char *eol = strchr(line, '\n');
        char *colon = memchr(line, ':', eol ? (size_t)(eol - line) : strlen(line));
        if (colon) {
            uint64_t v;
            const char *p = pf_u64(colon + 1, &v);
            if (p) {
                if (p[0] == ' ' && p[1] == 'k')
                    v *= 1024;
                size_t n = (size_t)(colon - line);
                uint64_t *dst = NULL;
#define K(s) (n == sizeof s - 1 && memcmp(line, s, n) == 0)
                switch (line[0]) {
                case 'M':
                    if (K("MemTotal"))
                        dst = &mem->total, have_total = true;
                    else if (K("MemFree"))
                        dst = &mem->free;
                    else if (K("MemAvailable"))
                        dst = &mem->available, have_avail = true;
                    break;
                case 'B':
                    if (K("Buffers"))
                        dst = &mem->buffers;
                    break;
                case 'C':
                    if (K("Cached"))
                        dst = &mem->cached;
                    break;
                case 'S':
                    if (K("SReclaimable"))
                        dst = &mem->sreclaimable;
                    else if (K("Shmem"))
                        dst = &mem->shmem;
                    else if (K("SwapTotal"))
                        dst = &mem->swap_total;
                    else if (K("SwapFree"))
                        dst = &mem->swap_free;
                    break;
                default:
                    break;
                }
#undef K
                if (dst)
                    *dst = v;
            }
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    if (!have_total)
        return -1;
    if (!have_avail) {
        uint64_t est = mem->free + mem->buffers + mem->cached + mem->sreclaimable;
        mem->available = est < mem->total ? est : mem->total;
        mem->available_estimated = true;
    }
    return 0;
}

int ag_coll_memory(ag_ctx *c)
{
    if (ag_meminfo_parse(c, &c->m->mem) != 0)
        return -1;
    c->m->have |= AG_HAVE_MEM;
    return 0;
}
