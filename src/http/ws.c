/* ws.c -- see ws.h. */
#include "http/ws.h"

#include "common/log.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <wslay/wslay.h>

#define WS_HIGH_WATER 32   /* queued messages before ws_send_text waits */
#define WS_IO_TIMEOUT_MS 30000
#define WS_LINGER_MS 2000  /* at most this long waiting for the peer to close */
/* Messages from the peer are read and ignored; wslay would otherwise buffer
 * one of up to 2 GiB. A longer one ends the session (close code 1009). */
#define WS_MAX_RECV (64u << 10)

struct ws_conn {
    int fd;
    struct MHD_UpgradeResponseHandle *urh;
    wslay_event_context_ptr ctx;
    char *extra_buf;       /* bytes MHD read past the handshake (owned) */
    const char *extra;     /* the part of extra_buf not yet consumed */
    size_t extra_len;
    bool failed;
    ws_run_fn run;
    ws_free_fn free_ctx;
    void *app_ctx;
};

int ws_accept_key(const char *key, char *out, size_t cap)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    char buf[128];
    unsigned char digest[SHA_DIGEST_LENGTH];
    size_t kl = strlen(key);
    if (kl == 0 || kl > 64 || cap < sodium_base64_ENCODED_LEN(SHA_DIGEST_LENGTH, sodium_base64_VARIANT_ORIGINAL))
        return -1;
    memcpy(buf, key, kl);
    memcpy(buf + kl, guid, sizeof guid - 1);
    SHA1((const unsigned char *)buf, kl + sizeof guid - 1, digest);
    sodium_bin2base64(out, cap, digest, sizeof digest, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    (void)flags;
    ws_conn *c = ud;
    if (c->extra_len) {
        size_t n = len < c->extra_len ? len : c->extra_len;
        memcpy(buf, c->extra, n);
        c->extra += n;
        c->extra_len -= n;
        return (ssize_t)n;
    }
    ssize_t r = recv(c->fd, buf, len, MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (r <= 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)flags;
    ws_conn *c = ud;
    ssize_t r = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (r < 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
        return -1;
    }
    return r;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *ud)
{
    (void)ctx, (void)arg, (void)ud; /* pings and closes are handled by wslay */
}

/* One round of I/O: wait up to timeout_ms for the socket, then read and
 * write what can be. Returns -1 when the connection is finished, 0 when the
 * socket stayed idle for timeout_ms, 1 after some I/O. */
static int pump(ws_conn *c, int timeout_ms)
{
    if (c->failed)
        return -1;
    struct pollfd p = {.fd = c->fd, .events = 0};
    if (wslay_event_want_read(c->ctx))
        p.events |= POLLIN;
    if (wslay_event_want_write(c->ctx))
        p.events |= POLLOUT;
    if (!p.events) {
        c->failed = true;
        return -1;
    }
    int n = c->extra_len ? 1 : poll(&p, 1, timeout_ms);
    if (n < 0 && errno != EINTR) {
        c->failed = true;
        return -1;
    }
    if (n < 0) /* interrupted: not idle, just try again */
        return 1;
    if (((p.revents & (POLLIN | POLLHUP | POLLERR)) || c->extra_len) && wslay_event_recv(c->ctx) != 0)
        c->failed = true;
    if (!c->failed && (p.revents & POLLOUT) && wslay_event_send(c->ctx) != 0)
        c->failed = true;
    return c->failed ? -1 : n > 0;
}

int ws_send_text(ws_conn *c, const char *text, size_t len)
{
    struct wslay_event_msg m = {WSLAY_TEXT_FRAME, (const uint8_t *)text, len};
    if (c->failed || wslay_event_queue_msg(c->ctx, &m) != 0)
        return -1;
    /* Back-pressure: wait while the peer is behind; a peer that takes
     * nothing for WS_IO_TIMEOUT_MS is gone. */
    while (!c->failed && wslay_event_get_queued_msg_count(c->ctx) > WS_HIGH_WATER)
        if (pump(c, WS_IO_TIMEOUT_MS) <= 0) {
            c->failed = true;
            return -1;
        }
    if (!c->failed && wslay_event_send(c->ctx) != 0)
        c->failed = true;
    return c->failed ? -1 : 0;
}

bool ws_closed(ws_conn *c)
{
    pump(c, 0);
    return c->failed || wslay_event_get_close_received(c->ctx);
}

/* End our side with a FIN and read (and drop) what the peer still sends,
 * until it closes or WS_LINGER_MS pass: closing a socket with unread input
 * sends a reset, which can destroy the close frame before the peer reads it. */
static void linger(ws_conn *c)
{
    char buf[16384];
    double until = util_mono_ms() + WS_LINGER_MS;
    shutdown(c->fd, SHUT_WR);
    for (double left; (left = until - util_mono_ms()) > 0;) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            break;
    }
}

static void *ws_thread(void *p)
{
    ws_conn *c = p;
    struct wslay_event_callbacks cb = {on_recv, on_send, NULL, NULL, NULL, NULL, on_msg};
    if (wslay_event_context_server_init(&c->ctx, &cb, c) == 0) {
        wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_RECV);
        c->run(c, c->app_ctx);
        if (!c->failed) {
            /* Everything queued reaches a slow reader before the close, for
             * as long as it keeps taking data. wslay sends control frames
             * ahead of queued messages and nothing after a close, so the
             * close is queued only once the messages are out. */
            while (wslay_event_get_queued_msg_count(c->ctx) > 0 && pump(c, WS_IO_TIMEOUT_MS) > 0) {
            }
            wslay_event_queue_close(c->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
            while (wslay_event_want_write(c->ctx) && pump(c, WS_IO_TIMEOUT_MS) > 0) {
            }
        }
        linger(c);
        wslay_event_context_free(c->ctx);
    }
    if (c->free_ctx)
        c->free_ctx(c->app_ctx);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    free(c->extra_buf);
    free(c);
    return NULL;
}

/* Called by libmicrohttpd once the 101 is sent. */
static void on_upgrade(void *cls, struct MHD_Connection *connection, void *con_cls, const char *extra_in,
                       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    (void)connection, (void)con_cls;
    ws_conn *c = cls;
    c->fd = sock;
    c->urh = urh;
    /* Copy extra bytes: they belong to MHD's buffer. */
    char *copy = NULL;
    if (extra_in_size && (copy = malloc(extra_in_size)))
        memcpy(copy, extra_in, extra_in_size);
    c->extra_buf = copy;
    c->extra = copy;
    c->extra_len = copy ? extra_in_size : 0;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, ws_thread, c) != 0) {
        log_error("ws_thread_failed", NULL);
        if (c->free_ctx)
            c->free_ctx(c->app_ctx);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        free(copy);
        free(c);
    }
    pthread_attr_destroy(&attr);
}

static bool header_has_token(const char *v, const char *token)
{
    size_t tl = strlen(token);
    for (const char *p = v; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && p[m - 1] == ' ')
            m--;
        if (m == tl && strncasecmp(p, token, tl) == 0)
            return true;
        p += n;
    }
    return false;
}

/* The Origin, when sent, must name the host the request came to. */
static bool origin_ok(http_req *r)
{
    const char *origin = req_header(r, "Origin"), *host = req_header(r, "Host");
    if (!origin)
        return true; /* not a browser */
    const char *sep = strstr(origin, "://");
    return host && sep && strcmp(sep + 3, host) == 0;
}

bool ws_accept(http_req *r, http_resp *w, ws_run_fn run, void *ctx, ws_free_fn free_ctx)
{
    const char *up = req_header(r, "Upgrade"), *conn = req_header(r, "Connection");
    const char *key = req_header(r, "Sec-WebSocket-Key"), *ver = req_header(r, "Sec-WebSocket-Version");
    char accept[64];
    ws_conn *c = NULL;
    if (!up || strcasecmp(up, "websocket") != 0 || !conn || !header_has_token(conn, "upgrade") || !key ||
        !ver || strcmp(ver, "13") != 0 || ws_accept_key(key, accept, sizeof accept) < 0) {
        resp_error(w, 400, "bad_request", NULL, "this endpoint speaks WebSocket (RFC 6455, version 13) only");
        goto fail;
    }
    if (!origin_ok(r)) {
        resp_error(w, 403, "forbidden", NULL, "cross-origin WebSocket refused");
        goto fail;
    }
    if (!(c = calloc(1, sizeof *c))) {
        resp_internal(w, "out of memory");
        goto fail;
    }
    c->fd = -1;
    c->run = run;
    c->app_ctx = ctx;
    c->free_ctx = free_ctx;
    w->status = 101;
    w->upgrade = (void *)on_upgrade;
    w->upgrade_ctx = c;
    resp_header(w, "Upgrade", "websocket");
    resp_header(w, "Sec-WebSocket-Accept", accept);
    return true;
fail:
    if (free_ctx)
        free_ctx(ctx);
    return false;
}
