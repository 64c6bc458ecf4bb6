/* housekeeping.h -- a background thread for periodic chores: delete expired
 * sessions and stale login counters, archive the RRD directories of hosts
 * that no longer exist. Every chore is idempotent, so several cairnd on one
 * database may run it at once. */
#ifndef CAIRN_HOUSEKEEPING_H
#define CAIRN_HOUSEKEEPING_H

#include "app.h"

/* Start the thread (first round at once, then every `period` seconds).
 * Returns 0 or -1. */
int housekeeping_start(app *a, int period);

/* Stop and join the thread. Safe when it was never started. */
void housekeeping_stop(void);

/* One round, synchronously (used by the thread and by tests). */
void housekeeping_run(app *a);

#endif
