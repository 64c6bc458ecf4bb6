/* groups.h -- /api/v1/groups: host groups (name, description). The CMDB
 * milestone adds members; roles already scope rights to groups. */
#ifndef CAIRN_GROUPS_H
#define CAIRN_GROUPS_H

#include "http/http.h"

void groups_list(http_req *r, http_resp *w);
void groups_create(http_req *r, http_resp *w);
void groups_delete(http_req *r, http_resp *w);

#endif
