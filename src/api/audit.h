/* audit.h -- the audit log: who did what, when, from where, with what result.
 *
 * The router records every write request after its handler (see router.h):
 * action from the route, object and change summary from the handler via
 * audit_set(), status from the response. Code that acts outside a request
 * (the scheduler, later) calls audit_write() directly. Rows are never
 * updated or deleted through the API. Secrets never reach this module:
 * handlers mask them (audit_mask()) before calling audit_set().
 */
#ifndef CAIRN_AUDIT_H
#define CAIRN_AUDIT_H

#include "app.h"
#include "http/http.h"

#include <stdint.h>

/* Describe the object a write touched; takes the reference to detail
 * (may be NULL). */
void audit_set(http_req *r, const char *object_type, const char *object_id, json_t *detail);
void audit_set_id(http_req *r, const char *object_type, int64_t id, json_t *detail);

/* Write the audit row for request r answered with `status`. */
void audit_from_request(http_req *r, int status);

/* Write one audit row. Strings may be NULL. Returns 0 or a DB_* code. */
int audit_write(app *a, int64_t user_id, const char *username, const char *ip, const char *via,
                const char *action, const char *object_type, const char *object_id, int status,
                const json_t *detail);

/* Old → new summary of the fields that differ between two objects (fields
 * absent from `after` are ignored). Keys listed in `secret` show as "***".
 * New object. */
json_t *audit_diff(const json_t *before, const json_t *after, const char *const *secret);

/* GET /api/v1/audit */
void audit_list(http_req *r, http_resp *w);

#endif
