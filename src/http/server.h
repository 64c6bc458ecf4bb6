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
