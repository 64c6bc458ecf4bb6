/* library.h -- /api/v1/library: scripts, playbooks and roles with versions
 * (see library_api.c for the endpoints). */
#ifndef CAIRN_LIBRARY_H
#define CAIRN_LIBRARY_H

#include "http/http.h"

void library_list(http_req *r, http_resp *w);
void library_create(http_req *r, http_resp *w);
void library_get(http_req *r, http_resp *w);
void library_version(http_req *r, http_resp *w);
void library_update(http_req *r, http_resp *w);
void library_delete(http_req *r, http_resp *w);

/* POST /api/v1/library/import and POST /api/v1/library/{id}/sync (see
 * library_gitapi.c). Slow: they run on the worker pool (ROUTE_SLOW). */
void library_import(http_req *r, http_resp *w);
void library_sync(http_req *r, http_resp *w);

/* --- shared by library_api.c and library_gitapi.c ------------------------ */

#define LIBRARY_MAX_CONTENT (1u << 20)

struct db_conn;

/* Validate an item body {kind, name, description, interpreter, content,
 * message} (all text) as a create (creating) or an update of an item of
 * `kind`. Returns true, or false with a 400 answered in w. */
bool library_check(http_resp *w, const json_t *body, bool creating, const char *kind);

/* Insert version `version` of item id, by the caller, from git commit
 * `commit` ("" when typed in). Returns a DB_* code. */
int library_add_version(http_req *r, struct db_conn *c, int64_t id, int64_t version, const char *content,
                        const char *msg, const char *commit);

#endif
