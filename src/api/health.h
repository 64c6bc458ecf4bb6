/* health.h -- GET /api/v1/health: is this cairnd and its database answering. */
#ifndef CAIRN_HEALTH_H
#define CAIRN_HEALTH_H

#include "http/http.h"

void health_get(http_req *r, http_resp *w);

#endif
