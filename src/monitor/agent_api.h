/* agent_api.h -- enrolling agents, their tokens, and serving the agent.
 *
 * The site enrollment token is kept sealed (vault.h) in the settings table
 * under "agent.enroll_token"; it comes from CAIRN_ENROLL_TOKEN at first start,
 * else it is random. An agent trades it once for its own host token (only the
 * SHA-256 is stored, in agent_tokens); re-enrolling revokes the old one.
 * Hosts are matched by machine id, then serial number, then an agent-less
 * host of the same name (adopted), so a machine is never duplicated.
 */
#ifndef CAIRN_AGENT_API_H
#define CAIRN_AGENT_API_H

#include "app.h"
#include "http/http.h"

/* Create the enrollment token when there is none. Returns 0 or -1. */
int agent_init(app *a);

void agent_enroll(http_req *r, http_resp *w);            /* POST /api/v1/agent/enroll (public) */
void agent_enroll_token_get(http_req *r, http_resp *w);  /* GET  /api/v1/agent/enroll-token */
void agent_enroll_token_rotate(http_req *r, http_resp *w); /* POST /api/v1/agent/enroll-token/rotate */
void agent_revoke_host(http_req *r, http_resp *w);       /* POST /api/v1/hosts/{id}/agent/revoke */
void agent_host_facts(http_req *r, http_resp *w);        /* GET  /api/v1/hosts/{id}/facts */
void agent_download(http_req *r, http_resp *w);          /* GET  /agent/cairn-agent */
void agent_install_script(http_req *r, http_resp *w);    /* GET  /agent/install.sh */

#endif
