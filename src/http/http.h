/* http.h -- requests, responses and route handlers.
 *
 * cairnd's HTTP layer is libmicrohttpd plus a route table of our own
 * (router.h). A handler receives a parsed request whose caller is already
 * authenticated and authorised (the router did that from the route's declared
 * permission), and fills a response. Handlers never touch libmicrohttpd
 * directly and never print errors: they answer with resp_error().
 *
 * Ownership: the request and everything in it belong to the server; a
 * handler may keep nothing past its return. resp_json() takes the reference
 * to the JSON value it is given.
 */
#ifndef CAIRN_HTTP_H
#define CAIRN_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;
typedef struct app app;
typedef struct route route;

#define HTTP_MAX_PARAMS 4
#define HTTP_MAX_HEADERS 8

/* Who is calling, filled by auth.c before the handler runs. */
typedef struct {
    bool authenticated;
    int64_t user_id;
    char username[128];
    bool superuser;
    const char *via;          /* "session", "token" or "" */
    char session_hash[65];    /* SHA-256 of the session cookie */
    char csrf_token[65];
    int64_t token_id;
    json_t *permissions;      /* array of "module:action" held directly */
    json_t *group_ids;        /* host-group scope; empty array = all groups */
    int64_t host_id;          /* routes with permission "agent": the reporting host */
    int64_t cmdb_gen;         /* the "cmdb" cache generation read before the handler ran
                                 (api/cache_gen.h), 0 when not read */
} auth_ctx;

/* What the router writes to the audit log after a write; handlers fill in the
 * object and the change summary. */
typedef struct {
    char object_type[32];
    char object_id[32];
    json_t *detail;           /* object, owned; secrets already masked */
    char username[128];       /* for failed logins: the name that was tried */
    bool skip;                /* set by handlers that audit themselves */
} audit_info;

typedef struct http_req {
    app *app;
    struct MHD_Connection *conn;
    const route *route;
    const char *method;
    const char *path;
    char *params[HTTP_MAX_PARAMS]; /* path parameters ({id}) in order */
    int nparams;
    char *body;                    /* raw body, NUL-terminated, may be NULL */
    size_t body_len;
    char ip[64];
    auth_ctx auth;
    audit_info audit;
} http_req;

typedef struct {
    char *name;
    char *value;
} http_header;

typedef struct http_resp {
    int status;
    char *body;              /* malloc'd */
    size_t len;
    const char *content_type;
    int fd;                  /* file response when >= 0 (static files) */
    uint64_t fd_size;
    http_header headers[HTTP_MAX_HEADERS];
    int nheaders;
    void *upgrade;           /* MHD_UpgradeHandler for a 101 answer (ws.c), or NULL */
    void *upgrade_ctx;
} http_resp;

typedef void (*route_handler)(http_req *r, http_resp *w);

/* --- responses ---------------------------------------------------------- */

/* Answer with JSON; takes the reference to j (NULL answers "null").
 * < > & and U+2028/9 inside strings are sent as \u escapes, so user text
 * never appears as markup in a response. */
void resp_json(http_resp *w, int status, json_t *j);
/* Answer {"error":{"code","message","field"?}}. field may be NULL. */
void resp_error(http_resp *w, int status, const char *code, const char *field, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
/* 500 with a generic message; the detail goes to the log only. */
void resp_internal(http_resp *w, const char *what);
/* Add a header (copied). Silently ignored past HTTP_MAX_HEADERS, which the
 * code never reaches: the most any handler sets is three. */
void resp_header(http_resp *w, const char *name, const char *value);
/* Raw body of the given type (copied). */
void resp_body(http_resp *w, int status, const char *content_type, const char *data, size_t len);
/* Release what the response holds. */
void resp_free(http_resp *w);

/* --- requests ----------------------------------------------------------- */

/* Query-string value or NULL. */
const char *req_query(const http_req *r, const char *name);
/* Header value or NULL (case-insensitive name). */
const char *req_header(const http_req *r, const char *name);
/* Cookie value or NULL. */
const char *req_cookie(const http_req *r, const char *name);
/* Path parameter i as a positive id; on failure answers 404 and returns false. */
bool req_id(http_req *r, http_resp *w, int i, int64_t *id);
/* Parse the body as a JSON object (strict: duplicate keys refused, must be
 * Content-Type application/json). On failure answers 400/415 and returns
 * NULL. The caller owns the result. */
json_t *req_json(http_req *r, http_resp *w);

#endif
