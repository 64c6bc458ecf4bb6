/* session.h -- signing in and out: login throttling, sessions, the /auth endpoints.
 *
 * A session is a random 256-bit cookie value (only its SHA-256 is stored)
 * plus a CSRF token returned to the console. Failed logins are counted per
 * user name and per source address in table login_throttle; past the limit
 * (settings login_max_failures / login_ip_max_failures within
 * login_lockout_seconds) the key is locked for login_lockout_seconds and
 * login answers 423 even for the right password. Expired sessions and
 * finished counters are deleted by housekeeping.c.
 */
#ifndef CAIRN_SESSION_H
#define CAIRN_SESSION_H

#include "http/http.h"
#include "store/db.h"

#include <stdint.h>

void session_login(http_req *r, http_resp *w);
void session_logout(http_req *r, http_resp *w);
void session_me(http_req *r, http_resp *w);
void session_change_password(http_req *r, http_resp *w);

/* Delete user_id's sessions except the one whose hash is keep (may be NULL). */
void session_revoke_user(app *a, int64_t user_id, const char *keep);

/* When username's login lock ends (Unix seconds), 0 when it is not locked
 * (or on a database error). */
int64_t session_user_locked_until(db_conn *c, const char *username);

/* Lift username's login lock and forget its failed attempts (an admin's
 * unlock, or a password reset). Returns 1 when it was locked, 0 when not,
 * -1 on a database error (db_errmsg(c) says which). The per-address lock
 * is left alone: it protects against guessing many names. */
int session_unlock_user(db_conn *c, const char *username);

/* The public description of a user (no hash) as JSON, with role and
 * permissions; NULL when missing. */
json_t *session_user_json(app *a, int64_t user_id);

/* Prepare the dummy hash used for unknown user names. Returns 0 or -1. */
int session_init(void);

#endif
