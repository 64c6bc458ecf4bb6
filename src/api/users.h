/* users.h -- /api/v1/users: accounts, and the first admin at start-up. */
#ifndef CAIRN_USERS_H
#define CAIRN_USERS_H

#include "http/http.h"

void users_list(http_req *r, http_resp *w);
void users_get(http_req *r, http_resp *w);
void users_create(http_req *r, http_resp *w);
void users_update(http_req *r, http_resp *w);
void users_delete(http_req *r, http_resp *w);
/* POST /users/{id}/password: a new password (given, or generated and
 * returned once); also ends the user's sessions, lifts their login lock,
 * and with "revoke_tokens": true revokes their API tokens. */
void users_reset_password(http_req *r, http_resp *w);
/* POST /users/{id}/unlock: lift the user's login lock (423 after too many
 * failed logins) before it runs out; {"was_locked": bool}. */
void users_unlock(http_req *r, http_resp *w);

/* When no user exists, create "admin" (superuser) with the password from
 * CAIRN_ADMIN_PASSWORD or a random one, which is printed to stdout and
 * written to <data>/initial-admin-password (mode 0600). When several cairnd
 * start together on one empty database, one creates it and the others go
 * on quietly. Returns 0 or -1 (with a message on stderr). */
int users_bootstrap(app *a);

#endif
