/* auth.h -- who is calling and may they: sessions, API tokens, CSRF,
 * permissions.
 *
 * auth_check() runs for every request before its handler: it reads the
 * session cookie or the Bearer token, loads the user's permissions and
 * host-group scope, enforces the CSRF header on session writes, and compares
 * the route's declared permission. It answers 401/403 itself. What a token
 * or a signed-in user may do is kept in memory between requests only while
 * the database's "auth" generation is unchanged (authcache.h), so a revoke
 * or a role change counts from the next request on every cairnd.
 *
 * A session expires session_ttl seconds (a setting) after its last use: each
 * use at least min(60 s, ttl/4) after the previous recorded one moves the
 * expiry forward and renews the cookie's Max-Age.
 *
 * Permission strings are "module:action". Holding "m:admin" grants every
 * action of module m; "m:edit" and "m:execute" also grant "m:view";
 * superusers hold everything.
 */
#ifndef CAIRN_AUTH_H
#define CAIRN_AUTH_H

#include "http/http.h"

#define AUTH_COOKIE "cairn_sid"

/* Add the session cookie to w: HttpOnly, SameSite=Lax, Path=/, Max-Age,
 * and Secure when the request came through a TLS proxy (X-Forwarded-Proto:
 * https). An empty value with max_age 0 deletes it. */
void auth_set_cookie(http_req *r, http_resp *w, const char *value, int64_t max_age);

/* Authenticate and authorise r for its route. Returns true to go on; false
 * when w holds the 401/403 answer. */
bool auth_check(http_req *r, http_resp *w);

/* True when the caller holds `perm` ("module:action"). */
bool auth_has(const auth_ctx *a, const char *perm);

/* Every permission the caller holds, expanded (superusers: all). New array. */
json_t *auth_effective_permissions(const auth_ctx *a);

/* True when the caller may hand out these permissions (array of
 * "module:action") and this host-group scope (array of ids; empty = every
 * group), e.g. by editing a role or giving a role to a user. Superusers may
 * give anything; anyone else only permissions they hold themselves and only
 * within their own group scope, so holding users:edit never leads to more
 * rights than one has. Either array may be NULL (not checked). On false,
 * `why` (capacity cap) says what is beyond the caller. */
bool auth_can_grant(const auth_ctx *a, const json_t *perms, const json_t *group_ids, char *why,
                    size_t cap);

/* True when perm names a known module and action. */
bool auth_perm_valid(const char *perm);

/* Module and action names, NULL-terminated. */
extern const char *const auth_modules[];
extern const char *const auth_actions[];

/* Load user `user_id`'s flags, permissions and group scope into a (which
 * must be zeroed or freed). Returns false when the user is missing or
 * inactive. */
bool auth_load_user(app *ap, int64_t user_id, auth_ctx *a);

void auth_ctx_free(auth_ctx *a);

#endif
