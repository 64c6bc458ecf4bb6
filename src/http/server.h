/* server.h -- the HTTP server: libmicrohttpd with an epoll thread pool.
 *
 * Each request goes through: route lookup (first call, headers only) → body
 * read within the route's limit → authentication, CSRF and permission check
 * (auth.c) → the handler, inline or, for ROUTE_SLOW routes, on the worker
 * pool with the connection suspended → audit record for writes → response
 * with security headers → one access-log line.
 *
 * The response is always queued on a later call than the first one, which is
 * what keeps HTTP keep-alive working with libmicrohttpd 0.9.75.
 *
 * Paths and query strings are unescaped by our own callback, which keeps
 * "%00" as text: a NUL would silently cut a path short. A wrong method on a
 * known path is 405 with an Allow header. With --log-level debug each
 * request also logs "request_begin" when its headers are in.
 */
#ifndef CAIRN_SERVER_H
#define CAIRN_SERVER_H

#include "app.h"

typedef struct server server;

/* Start listening. Returns NULL and fills err when the port cannot be bound
 * or a thread cannot start. */
server *server_start(app *a, char *err, size_t errlen);

/* Stop accepting, let in-flight requests finish (up to timeout_ms), then
 * stop every thread and free the server. NULL is allowed. */
void server_stop(server *s, int timeout_ms);

#endif
