/* authcache.h -- API tokens remembered with their user's rights.
 *
 * Checking a Bearer token costs four queries (the token, the user, the
 * role's permissions, the role's host groups). This cache keeps, per token
 * hash, what those queries found, stamped with the "auth" generation
 * (cache_gen.h) read before they ran. An entry serves only while that
 * generation is still the database's current one -- any change to users,
 * roles, permissions, role groups or tokens (a revoke, a password or role
 * change, a deactivation) moves it -- and while the token has not expired.
 * So a revoked token is refused at the very next request, on every cairnd
 * sharing the database.
 *
 * Sessions use the second half: a user's rights by user id, under the same
 * generation (the session row itself is read every time).
 *
 * Fixed tables of AUTHCACHE_SLOTS entries, one per slot (a new token or
 * user takes its slot), behind one mutex; values are copied in and out,
 * never shared.
 */
#ifndef CAIRN_AUTHCACHE_H
#define CAIRN_AUTHCACHE_H

#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

#define AUTHCACHE_SLOTS 256

/* What a token check found: the token's row and its user's rights. */
typedef struct {
    int64_t token_id;
    int64_t expires_at;   /* 0: never */
    int64_t last_used_at; /* as last written to the database */
} authcache_token;

/* Look up token hash `hash` (hex SHA-256) under auth generation gen at time
 * now. On a hit fills *t and a (which must be zeroed or freed; its
 * permissions and group_ids become new arrays the caller frees with
 * auth_ctx_free) and returns true. False on a miss or when out of memory
 * (a left untouched). */
bool authcache_get(const char *hash, int64_t gen, int64_t now, authcache_token *t, auth_ctx *a);

/* Remember token `hash` -> (t, a) as read under generation gen (read before
 * the queries that filled them). a is copied. Out of memory: nothing kept. */
void authcache_put(const char *hash, int64_t gen, const authcache_token *t, const auth_ctx *a);

/* Record that token `hash` had last_used_at written as `when`. */
void authcache_touch(const char *hash, int64_t when);

/* The same for a signed-in user (sessions; the session itself is looked up
 * in the database every time, so a logout counts at once): user user_id's
 * rights as loaded under auth generation gen, into a (zeroed or freed;
 * new arrays the caller frees). False on a miss or when out of memory. */
bool authcache_user_get(int64_t user_id, int64_t gen, auth_ctx *a);

/* Remember a's rights (auth_load_user's) as read under generation gen. */
void authcache_user_put(int64_t gen, const auth_ctx *a);

#endif
