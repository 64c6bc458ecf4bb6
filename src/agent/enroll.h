/* enroll.h -- trading the site enrollment token for a host token
 * (docs/AGENT.md, "Enrollment").
 */
#ifndef CAIRN_AGENT_ENROLL_H
#define CAIRN_AGENT_ENROLL_H

#include "agent/agent.h"
#include "agent/send.h"

typedef struct {
    char token[256]; /* "cairnh_…" */
    long host_id;
    int interval; /* seconds cairnd asks for, 0 when absent */
} ag_enrollment;

/* Build the enroll request body for facts f into a new malloc'd string (the
 * caller frees it), or NULL when memory ran out. */
char *ag_enroll_body(const char *enroll_token, const ag_facts *f, const char *agent_version);

/* Parse a 201 answer into *out. 0, or -1 when it is not the documented
 * object or the token is malformed. */
int ag_enroll_parse(const char *body, ag_enrollment *out);

/* POST /api/v1/agent/enroll. Returns the HTTP status (201 on success, with
 * *out filled; 0 on a transport error; any other status is a refusal, with
 * cairnd's answer in resp). A 201 whose body does not parse returns -1. */
long ag_enroll(ag_http *h, const char *enroll_token, const ag_facts *f, const char *agent_version,
               ag_enrollment *out, ag_http_resp *resp);

#endif
