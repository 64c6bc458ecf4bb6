/* server.c -- see server.h. */
#include "http/server.h"

#include "api/audit.h"
#include "common/log.h"
#include "common/sbuf.h"
#include "common/util.h"
#include "common/workq.h"
#include "http/auth.h"
#include "http/router.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct server {
    app *app;
    struct MHD_Daemon *mhd;
    workq *workers;
    atomic_int inflight;
};

typedef enum { ST_READING, ST_QUEUED, ST_DONE } conn_phase;

typedef struct {
    server *srv;
    http_req req;
    http_resp resp;
    sbuf body;
    size_t limit;
    bool too_large;
    router_result match;
    _Atomic conn_phase phase; /* written by a worker, read by the HTTP thread */
    double t0;
} conn_state;

/* The client's address: the socket peer, or, when the peer is one of the
 * trusted proxies (setting trusted-proxies), the address it forwarded. */
static void client_ip(const app *a, struct MHD_Connection *c, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char peer[INET6_ADDRSTRLEN] = "";
    out[0] = '\0';
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, peer, sizeof peer);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, peer, sizeof peer);
    const char *xff = a->cfg.trusted_proxies.n
                          ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For")
                          : NULL;
    cidr_client_ip(&a->cfg.trusted_proxies, peer, xff, out, cap);
}

static bool is_write(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

/* Run the handler and, for writes, the audit record. Runs on an HTTP thread
 * or a worker. */
static void run_handler(conn_state *cs)
{
    http_req *r = &cs->req;
    util_disk_full_clear();
    r->route->handler(r, &cs->resp);
    if (is_write(r->method) && !r->audit.skip)
        audit_from_request(r, cs->resp.status);
}

static void run_slow(void *p)
{
    conn_state *cs = p;
    run_handler(cs);
    cs->phase = ST_DONE;
    MHD_resume_connection(cs->req.conn);
}

/* Everything between "the body is in" and "the response is ready". Returns
 * true when the response is ready now, false when the work was queued. */
static bool process(conn_state *cs)
{
    http_req *r = &cs->req;
    http_resp *w = &cs->resp;
    if (cs->match == ROUTER_NOT_FOUND) {
        resp_error(w, 404, "not_found", NULL, "no such endpoint: %s", r->path);
        return true;
    }
    if (cs->match == ROUTER_BAD_METHOD) {
        char allow[64];
        router_allowed(cairn_routes, r->path, allow, sizeof allow);
        resp_header(w, "Allow", allow);
        resp_error(w, 405, "method_not_allowed", NULL, "%s is not allowed on %s (allowed: %s)",
                   r->method, r->path, allow);
        return true;
    }
    if (cs->too_large) {
        resp_error(w, 413, "too_large", NULL, "the request body is larger than %zu bytes", cs->limit);
        return true;
    }
    r->body = cs->body.data;
    r->body_len = cs->body.len;
    if (!auth_check(r, w)) {
        if (is_write(r->method) && w->status == 403)
            audit_from_request(r, w->status);
        return true;
    }
    if (r->route->flags & ROUTE_SLOW) {
        /* ST_QUEUED must be set before the push: the worker may finish, set
         * ST_DONE and resume the connection before workq_push() returns. */
        cs->phase = ST_QUEUED;
        MHD_suspend_connection(r->conn);
        if (workq_push(cs->srv->workers, run_slow, cs) == 0)
            return false;
        cs->phase = ST_READING;
        MHD_resume_connection(r->conn);
        resp_error(w, 503, "unavailable", NULL, "the server is shutting down");
        return true;
    }
    run_handler(cs);
    return true;
}

static void add_common_headers(struct MHD_Response *mr, const http_req *r, const http_resp *w)
{
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    MHD_add_response_header(mr, "Referrer-Policy", "same-origin");
    if (w->content_type)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, w->content_type);
    bool has_cache = false;
    for (int i = 0; i < w->nheaders; i++) {
        MHD_add_response_header(mr, w->headers[i].name, w->headers[i].value);
        if (strcasecmp(w->headers[i].name, "Cache-Control") == 0)
            has_cache = true;
    }
    if (!has_cache && strncmp(r->path, "/api/", 5) == 0)
        MHD_add_response_header(mr, "Cache-Control", "no-store");
    if (w->content_type && strncmp(w->content_type, "text/html", 9) == 0)
        MHD_add_response_header(mr, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self' "
                                "'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
                                "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
                                "form-action 'self'");
}

static enum MHD_Result send_response(conn_state *cs)
{
    http_resp *w = &cs->resp;
    struct MHD_Response *mr;
    if (w->status == 0)
        resp_internal(w, "handler set no response");
    if (w->upgrade) {
        mr = MHD_create_response_for_upgrade((MHD_UpgradeHandler)w->upgrade, w->upgrade_ctx);
        w->upgrade = NULL; /* the handler owns its context now */
    } else if (w->fd >= 0) {
        mr = MHD_create_response_from_fd((uint64_t)w->fd_size, w->fd);
        w->fd = -1; /* MHD closes it */
    } else {
        mr = MHD_create_response_from_buffer(w->len, w->body, MHD_RESPMEM_MUST_FREE);
        w->body = NULL;
    }
    if (!mr)
        return MHD_NO;
    add_common_headers(mr, &cs->req, w);
    enum MHD_Result ret = MHD_queue_response(cs->req.conn, (unsigned)w->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static conn_state *conn_begin(server *s, struct MHD_Connection *c, const char *url,
                              const char *method)
{
    conn_state *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    cs->srv = s;
    cs->t0 = util_mono_ms();
    cs->resp.fd = -1;
    sbuf_init(&cs->body);
    http_req *r = &cs->req;
    r->app = s->app;
    r->conn = c;
    r->method = method;
    r->path = url;
    client_ip(s->app, c, r->ip, sizeof r->ip);
    cs->match = router_match(cairn_routes, method, url, &r->route, r->params, &r->nparams);
    cs->limit = (cs->match == ROUTER_FOUND && r->route->body_limit) ? r->route->body_limit
                                                                     : s->app->cfg.body_limit;
    atomic_fetch_add(&s->inflight, 1);
    char p[512], m[48];
    log_debug("request_begin", "method=%s path=%s ip=%s", log_kv_str(m, sizeof m, method),
              log_kv_str(p, sizeof p, url), r->ip[0] ? r->ip : "-");
    return cs;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    server *s = cls;
    conn_state *cs = *con_cls;
    if (!cs) {
        cs = conn_begin(s, c, url, method);
        if (!cs)
            return MHD_NO;
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cs->too_large) {
            if (cs->body.len + *upload_size > cs->limit) {
                cs->too_large = true;
                sbuf_free(&cs->body);
            } else if (sbuf_append(&cs->body, upload_data, *upload_size) < 0) {
                return MHD_NO;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (cs->phase == ST_QUEUED)
        return MHD_YES; /* only the worker resumes, after setting ST_DONE */
    if (cs->phase == ST_READING && !process(cs))
        return MHD_YES;
    cs->phase = ST_DONE;
    return send_response(cs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    server *s = cls;
    conn_state *cs = *con_cls;
    if (!cs)
        return;
    http_req *r = &cs->req;
    char path[512], user[160], m[48];
    /* Routes marked ROUTE_QUIET (agent reports: thousands a second on a big
     * site) log successes at debug level only; failures are always logged. */
    bool quiet = r->route && (r->route->flags & ROUTE_QUIET) && cs->resp.status < 400;
    log_msg(quiet ? LOG_DEBUG : LOG_INFO, "request", "method=%s path=%s status=%d dur_ms=%.2f ip=%s user=%s%s",
             log_kv_str(m, sizeof m, r->method), log_kv_str(path, sizeof path, r->path),
             cs->resp.status,
             util_mono_ms() - cs->t0, r->ip[0] ? r->ip : "-",
             log_kv_str(user, sizeof user, r->auth.username[0] ? r->auth.username : "-"),
             toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    auth_ctx_free(&r->auth);
    json_decref(r->audit.detail);
    resp_free(&cs->resp);
    sbuf_free(&cs->body);
    atomic_fetch_sub(&s->inflight, 1);
    free(cs);
    *con_cls = NULL;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* libmicrohttpd's URL unescaping (path and query string), in place: "+" is
 * a space, %XX a byte, except %00, which stays the three characters "%00":
 * a NUL would end the C string early and make "/api/v1/users/1%00junk"
 * mean user 1, or "/index.html%00.png" a different file. */
static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    char *w = s;
    for (const char *p = s; *p;) {
        int hi, lo;
        if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 && (hi | lo)) {
            *w++ = (char)(hi << 4 | lo);
            p += 3;
        } else {
            *w++ = *p == '+' ? ' ' : *p;
            p++;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512], q[600];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_warn("http", "detail=%s", log_kv_str(q, sizeof q, msg));
}

server *server_start(app *a, char *err, size_t errlen)
{
    server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->app = a;
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->cfg.listen_port)};
    if (inet_pton(AF_INET, a->cfg.listen_host, &sin.sin_addr) != 1) {
        snprintf(err, errlen, "listen: \"%s\" is not an IPv4 address", a->cfg.listen_host);
        goto fail;
    }
    s->workers = workq_new(a->cfg.workers);
    if (!s->workers) {
        snprintf(err, errlen, "cannot start worker threads");
        goto fail;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = a->cfg.threads > 0 ? (unsigned)a->cfg.threads : (unsigned)(ncpu > 0 ? ncpu : 2);
    s->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
            MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)a->cfg.max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL,
        MHD_OPTION_END); /* no LISTENING_ADDRESS_REUSE: SO_REUSEPORT would let a second
                            cairnd share the port silently instead of failing */
    if (!s->mhd) {
        snprintf(err, errlen, "cannot listen on %s:%d (port in use?)", a->cfg.listen_host,
                 a->cfg.listen_port);
        goto fail;
    }
    if (util_clock_offset() != 0)
        log_warn("clock_offset", "seconds=%lld note=\"%s is set: for tests only\"",
                 (long long)util_clock_offset(), UTIL_CLOCK_ENV);
    return s;
fail:
    workq_free(s->workers);
    free(s);
    return NULL;
}

void server_stop(server *s, int timeout_ms)
{
    if (!s)
        return;
    MHD_quiesce_daemon(s->mhd);
    double until = util_mono_ms() + timeout_ms;
    while (atomic_load(&s->inflight) > 0 && util_mono_ms() < until)
        usleep(10000);
    workq_free(s->workers); /* finishes queued slow requests */
    MHD_stop_daemon(s->mhd);
    free(s);
}
