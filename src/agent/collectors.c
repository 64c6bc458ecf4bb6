/* collectors.c -- THE table of collectors, and the loop that runs them.
 *
 * Adding a collector: write src/agent/<name>.c with one `int ag_coll_x(ag_ctx
 * *)`, declare it in agent.h, add one row here. Metric collectors run every
 * interval in table order; fact collectors at start and on each facts check.
 * Order matters only where a later collector reads an earlier one's output
 * (none do today).
 */
#include "agent/agent.h"

#include <string.h>
#include <time.h>

#include "agent/procfile.h"
#include "common/util.h"

const ag_collector ag_collectors[] = {
    {"cpu", AG_METRIC, ag_coll_cpu},
    {"load", AG_METRIC, ag_coll_load},
    {"memory", AG_METRIC, ag_coll_memory},
    {"filesystems", AG_METRIC, ag_coll_filesystems},
    {"disks", AG_METRIC, ag_coll_disks},
    {"nics", AG_METRIC, ag_coll_nics},
    {"tcp", AG_METRIC, ag_coll_tcp},
    {"procs", AG_METRIC, ag_coll_procs},
    {"host", AG_FACT, ag_coll_facts_host},
    {"dmi", AG_FACT, ag_coll_facts_dmi},
    {"cpuinfo", AG_FACT, ag_coll_facts_cpu},
    {"storage", AG_FACT, ag_coll_facts_storage},
    {"net", AG_FACT, ag_coll_facts_net},
    {"virt", AG_FACT, ag_coll_facts_virt},
};
const size_t ag_ncollectors = sizeof ag_collectors / sizeof ag_collectors[0];

int ag_collect(ag_ctx *c, ag_kind kind)
{
    if (kind == AG_METRIC) {
        memset(c->m, 0, AG_SAMPLE_HEAD);
        c->m->time = (int64_t)time(NULL);
        c->m->mono_ms = util_mono_ms();
    } else {
        memset(c->f, 0, sizeof *c->f);
    }
    int failed = 0;
    for (size_t i = 0; i < ag_ncollectors; i++)
        if (ag_collectors[i].kind == kind && ag_collectors[i].run(c) != 0)
            failed++;
    return failed;
}

void ag_collectors_close(void)
{
    pf_keep_close_all();
    ag_procs_close();
}
