/* ingest.h -- POST /api/v1/agent/report (see ingest.c and docs/AGENT.md). */
#ifndef CAIRN_INGEST_H
#define CAIRN_INGEST_H

#include "http/http.h"

void ingest_report(http_req *r, http_resp *w);

#endif
