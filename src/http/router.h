/* router.h -- the route table: every endpoint, its permission, its audit name.
 *
 * Each route declares who may call it: "public" (anyone), "login" (any
 * signed-in user), "agent" (a host's agent, by its own token) or a
 * permission "module:action". A route without a
 * permission is refused when the table is checked at start-up: deny by
 * default. Patterns are literal segments and {name} segments (captured into
 * http_req.params in order); a final "*" matches any rest of the path.
 *
 * Writes (POST, PUT, PATCH, DELETE) are written to the audit log under the
 * route's `action` after the handler ran, whatever the outcome.
 */
#ifndef CAIRN_ROUTER_H
#define CAIRN_ROUTER_H

#include "http/http.h"

enum {
    ROUTE_SLOW = 1 << 0,     /* run on the worker pool (password hashing…) */
    ROUTE_NO_CSRF = 1 << 1,  /* session writes without the CSRF header (login) */
    ROUTE_QUIET = 1 << 2,    /* successful calls logged at debug level (agent reports) */
};

struct route {
    const char *method;
    const char *pattern;
    const char *perm;        /* "public", "login", "agent" or "module:action" */
    route_handler handler;
    const char *action;      /* audit name, e.g. "user.create"; NULL for reads */
    unsigned flags;
    size_t body_limit;       /* 0 = the server default */
    const void *ctx;         /* handler data, e.g. a resource description */
};

typedef enum { ROUTER_FOUND, ROUTER_NOT_FOUND, ROUTER_BAD_METHOD } router_result;

/* Check the table (every route has a permission, writes have an action).
 * Returns 0, or -1 with the offending pattern in err. */
int router_check(const route *routes, char *err, size_t errlen);

/* Find the route for method and path (HEAD is served by GET routes). A
 * literal route wins over a catch-all "*" one; a path that a literal route
 * knows under other methods is ROUTER_BAD_METHOD even when a catch-all
 * would take the method (GET /api/v1/auth/login is 405, not a static
 * file). On ROUTER_FOUND, *out is the route and the captured parameters
 * are malloc'd into params (caller frees). */
router_result router_match(const route *routes, const char *method, const char *path,
                           const route **out, char **params, int *nparams);

/* Write the methods that `path` accepts into out as an Allow header value
 * ("GET, HEAD, POST"; HEAD wherever GET is). Catch-all "*" routes count
 * only when no literal route knows the path. Returns the number of methods
 * (0 leaves out ""). */
int router_allowed(const route *routes, const char *path, char *out, size_t cap);

/* The application's table, terminated by a zeroed entry (api/routes.c). */
extern const route cairn_routes[];

#endif
