/* ws.h -- WebSocket (RFC 6455) sessions on connections that libmicrohttpd
 * upgrades, framed by wslay.
 *
 * A handler that wants a WebSocket calls ws_accept(): it checks the
 * handshake headers and the Origin, and answers 101. Once libmicrohttpd
 * hands over the socket, a thread of its own runs the session: it calls
 * run(conn, ctx), which talks through ws_send_text() and ws_closed(), and
 * closes the connection when run returns. ws_send_text() blocks while too
 * much is queued for a slow peer: back-pressure reaches the caller, and
 * nothing is ever dropped. Messages from the peer are read (pings answered,
 * close honoured) but otherwise ignored.
 */
#ifndef CAIRN_WS_H
#define CAIRN_WS_H

#include "http/http.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct ws_conn ws_conn;
typedef void (*ws_run_fn)(ws_conn *c, void *ctx);
typedef void (*ws_free_fn)(void *ctx);

/* Answer the handshake. On success the session will call run(ctx) and then
 * free_ctx(ctx) (also when the upgrade never happens... except when the
 * client vanishes before the 101 is sent, see ws.c). On a bad handshake
 * answers 400/403, calls free_ctx(ctx) and returns false. */
bool ws_accept(http_req *r, http_resp *w, ws_run_fn run, void *ctx, ws_free_fn free_ctx);

/* Send one text message. Returns 0, or -1 when the peer is gone. */
int ws_send_text(ws_conn *c, const char *text, size_t len);

/* Read what the peer sent without waiting; true when the peer closed the
 * connection or it failed. */
bool ws_closed(ws_conn *c);

/* The RFC 6455 accept value for a Sec-WebSocket-Key: base64(SHA-1(key + GUID))
 * into out (at least 29 bytes). Returns 0 or -1. Exposed for unit tests. */
int ws_accept_key(const char *key, char *out, size_t cap);

#endif
