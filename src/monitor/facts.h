/* facts.h -- what an agent says about its host, merged into the CMDB.
 *
 * Each host field an agent can fill (ip, os, kernel, vendor, model, sn,
 * cpu_model, cpu_count, memory_mb, disks, other_ips, hostname) is written
 * only when the field is empty or still holds the value the agent wrote
 * last time (table host_facts). A user who edits the field by hand therefore
 * keeps their value, and clearing the field hands it back to the agent.
 * Every change the agent makes is recorded in host_fact_history.
 */
#ifndef CAIRN_FACTS_H
#define CAIRN_FACTS_H

#include "app.h"
#include "store/db.h"

#include <stdbool.h>

/* Merge facts into host `host` inside the caller's transaction. Returns
 * DB_OK or a DB_* error. */
int facts_merge(app *a, db_conn *c, int64_t host, const json_t *facts);

#endif
