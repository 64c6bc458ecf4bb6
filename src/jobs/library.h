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

#endif
