/* enroll.c -- see enroll.h. The request carries what cairnd matches an
 * existing host on: machine id, then serial, then hostname. Bodies are
 * built and parsed with jansson (once per enrollment, off the hot path). */
#include "agent/enroll.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent/procfile.h"
#include "agent/state.h"

static int set_str(json_t *o, const char *k, const char *v)
{
    if (!v || !*v)
        return 0;
    return json_object_set_new(o, k, json_string(v)); /* NULL → -1 */
}

char *ag_enroll_body(const char *enroll_token, const ag_facts *f, const char *agent_version)
{
    json_t *o = json_object();
    char *out = NULL;
    if (!o)
        return NULL;
    /* json_string() rejects invalid UTF-8; firmware strings that are not
     * UTF-8 are then left out rather than failing the enrollment. */
    if (set_str(o, "enroll_token", enroll_token) != 0)
        goto done;
    set_str(o, "machine_id", f->machine_id);
    set_str(o, "serial", f->serial);
    set_str(o, "hostname", f->hostname);
    set_str(o, "agent_version", agent_version);
    out = json_dumps(o, JSON_COMPACT);
done:
    json_decref(o);
    return out;
}

int ag_enroll_parse(const char *body, ag_enrollment *out)
{
    json_error_t err;
    json_t *j = json_loads(body, 0, &err);
    int rc = -1;
    memset(out, 0, sizeof *out);
    json_t *tok = json_object_get(j, "token"), *id = json_object_get(j, "host_id"),
           *iv = json_object_get(j, "interval");
    if (!json_is_object(j) || !json_is_string(tok))
        goto done;
    if (strlen(json_string_value(tok)) >= sizeof out->token || !ag_token_valid(json_string_value(tok)))
        goto done;
    pf_copy(out->token, sizeof out->token, json_string_value(tok));
    out->host_id = json_is_integer(id) ? (long)json_integer_value(id) : 0;
    if (json_is_integer(iv) && json_integer_value(iv) > 0 && json_integer_value(iv) <= 86400)
        out->interval = (int)json_integer_value(iv);
    rc = 0;
done:
    json_decref(j);
    return rc;
}

long ag_enroll(ag_http *h, const char *enroll_token, const ag_facts *f, const char *agent_version,
               ag_enrollment *out, ag_http_resp *resp)
{
    char *body = ag_enroll_body(enroll_token, f, agent_version);
    if (!body) {
        memset(resp, 0, sizeof *resp);
        return 0;
    }
    long st = ag_http_post(h, "/api/v1/agent/enroll", NULL, body, strlen(body), false, resp);
    free(body);
    if (st == 201 || st == 200)
        return ag_enroll_parse(resp->body, out) == 0 ? 201 : -1;
    return st;
}
