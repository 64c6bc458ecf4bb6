/* facts_cpu.c -- fact collector "cpuinfo": CPU model and topology, memory
 * and swap totals.
 *
 * /proc/cpuinfo has one block per logical CPU ("processor : N"). Threads
 * are the blocks; sockets the distinct "physical id"s; cores the sum of
 * "cpu cores" over those sockets. Architectures without these lines (most
 * ARM boards, s390) count one socket with one core per thread. The model is
 * "model name" (x86), else "cpu model", "Model", "Processor" or "cpu"
 * (MIPS, ARM boards, old ARM, POWER). Totals come from /proc/meminfo. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <string.h>

/* Value of "key<TAB…>: value" when line's key equals key, else NULL. */
static const char *kv(const char *line, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0)
        return NULL;
    const char *p = line + n;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ':')
        return NULL;
    return pf_ws(p + 1);
}

int ag_coll_facts_cpu(ag_ctx *c)
{
    ag_facts *f = c->f;
    enum { MAXSOCK = 64 };
    uint64_t sock_ids[MAXSOCK], sock_cores[MAXSOCK];
    int nsock = 0, model_rank = 0;
    uint64_t cur_sock = UINT64_MAX;
    int threads = 0;
    pf_lines r;
    if (pf_lines_open(&r, c->root, "/proc/cpuinfo", c->buf, c->cap) == 0) {
        char *line;
        while ((line = pf_lines_next(&r))) {
            const char *v;
            uint64_t n;
            if ((v = kv(line, "processor")) && pf_u64(v, &n)) {
                threads++;
                cur_sock = UINT64_MAX;
            } else if ((v = kv(line, "physical id")) && pf_u64(v, &n)) {
                cur_sock = n;
                int i = 0;
                while (i < nsock && sock_ids[i] != n)
                    i++;
                if (i == nsock && nsock < MAXSOCK) {
                    sock_ids[nsock] = n;
                    sock_cores[nsock++] = 0;
                }
            } else if ((v = kv(line, "cpu cores")) && pf_u64(v, &n) && cur_sock != UINT64_MAX) {
                for (int i = 0; i < nsock; i++)
                    if (sock_ids[i] == cur_sock)
                        sock_cores[i] = n;
            } else if (model_rank < 3 && (v = kv(line, "model name")) && *v) {
                pf_copy(f->cpu_model, sizeof f->cpu_model, v);
                model_rank = 3;
            } else if (model_rank < 2 && ((v = kv(line, "cpu model")) || (v = kv(line, "Model"))) && *v) {
                pf_copy(f->cpu_model, sizeof f->cpu_model, v);
                model_rank = 2;
            } else if (model_rank < 1 && ((v = kv(line, "Processor")) || (v = kv(line, "cpu"))) && *v) {
                pf_copy(f->cpu_model, sizeof f->cpu_model, v);
                model_rank = 1;
            }
        }
        pf_lines_close(&r);
    }
    f->cpu_threads = threads;
    f->cpu_sockets = nsock ? nsock : (threads ? 1 : 0);
    int cores = 0;
    for (int i = 0; i < nsock; i++)
        cores += (int)sock_cores[i];
    /* lxcfs shows a container only its CPUs but leaves "cpu cores" as the
     * host's: never report more cores than threads. */
    f->cpu_cores = cores && cores <= threads ? cores : threads;

    ag_mem mem;
    if (ag_meminfo_parse(c, &mem) == 0) {
        f->memory_bytes = mem.total;
        f->swap_bytes = mem.swap_total;
    }
    return threads ? 0 : -1;
}
