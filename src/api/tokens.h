/* tokens.h -- /api/v1/tokens: personal API tokens for scripts.
 *
 * A token is "cairn_" + 64 hex digits, shown once at creation; only its
 * SHA-256 is stored, with the first 12 characters kept as a visible prefix so
 * users can tell their tokens apart. Revoked or expired tokens authenticate
 * nothing (auth.c). Tokens are created from a signed-in session only, never
 * with another token, so a leaked token cannot extend its own life.
 */
#ifndef CAIRN_TOKENS_H
#define CAIRN_TOKENS_H

#include "http/http.h"

void tokens_list(http_req *r, http_resp *w);
void tokens_create(http_req *r, http_resp *w);
void tokens_revoke(http_req *r, http_resp *w);

#endif
