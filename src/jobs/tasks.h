/* tasks.h -- scheduled tasks and the scheduler thread (see tasks.c). */
#ifndef CAIRN_TASKS_H
#define CAIRN_TASKS_H

#include "app.h"
#include "http/http.h"

#include <stdint.h>

void tasks_list(http_req *r, http_resp *w);
void tasks_get(http_req *r, http_resp *w);
void tasks_create(http_req *r, http_resp *w);
void tasks_update(http_req *r, http_resp *w);
void tasks_delete(http_req *r, http_resp *w);
void tasks_run_now(http_req *r, http_resp *w);
void tasks_preview(http_req *r, http_resp *w);

/* Queue the jobs of every task due at `now` (at most once each, whatever
 * other cairnd do at the same time). Returns how many tasks were looked
 * at, or -1. The scheduler thread calls it every second; tests call it
 * with their own clock. */
int tasks_tick(app *a, int64_t now);

/* Start / stop the scheduler thread. tasks_kick() wakes it after a change. */
int tasks_start(app *a);
void tasks_stop(void);
void tasks_kick(void);

#endif
