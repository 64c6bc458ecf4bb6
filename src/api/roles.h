/* roles.h -- /api/v1/roles: named sets of permissions with a host-group scope. */
#ifndef CAIRN_ROLES_H
#define CAIRN_ROLES_H

#include "http/http.h"

void roles_list(http_req *r, http_resp *w);
void roles_get(http_req *r, http_resp *w);
void roles_create(http_req *r, http_resp *w);
void roles_update(http_req *r, http_resp *w);
void roles_delete(http_req *r, http_resp *w);
/* GET /api/v1/permissions: the modules and actions a role can combine. */
void roles_permissions(http_req *r, http_resp *w);

#endif
