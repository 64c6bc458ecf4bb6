/* httpc.h -- a small HTTP/1.1 load-generator core for the benchmarks
 * (header-only; bench/tools/ingest_load.c and chart_load.c).
 *
 * One thread, epoll, N non-blocking TCP connections to one IPv4 address,
 * keep-alive (a server that answers "Connection: close" or hangs up gets a
 * new connection for the next request). Each connection has at most one
 * request in flight. The caller supplies two callbacks:
 *   make(u, c)  -> fill c->req/c->req_len with the next request (0), or
 *                  return 1 when there is nothing more to send;
 *   done(u, c, status, body, len, latency_s) -> a complete response.
 * Latency runs from the moment the request is handed to the connection
 * (including a reconnect) to the last byte of the response.
 */
#ifndef BENCH_HTTPC_H
#define BENCH_HTTPC_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double hc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hc_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

typedef struct hc_conn {
    int fd;
    int idx;
    int busy;        /* a request is in flight */
    int connected;   /* the connect finished */
    int retried;     /* the current request was re-sent once on a new connection */
    char *req;       /* request bytes (owned by the caller's buffer below) */
    size_t req_len, req_off;
    char *reqbuf;    /* caller's scratch buffer for building requests */
    size_t reqcap;
    char *in;        /* response bytes */
    size_t in_len, in_cap;
    double t0;
    long tag;        /* caller's: e.g. which host the request is for */
} hc_conn;

typedef int (*hc_make_fn)(void *u, hc_conn *c);
typedef void (*hc_done_fn)(void *u, hc_conn *c, int status, const char *body, size_t len, double latency);

typedef struct {
    struct sockaddr_in addr;
    int epfd;
    hc_conn *conns;
    int n;
    long errors;    /* transport errors (a request that could not be completed) */
    long timeouts;
    double req_timeout;
} hc_pool;

static int hc_parse_url(const char *url, struct sockaddr_in *sa, char *host, size_t hcap)
{
    /* http://A.B.C.D:PORT[/...] */
    const char *p = strncmp(url, "http://", 7) == 0 ? url + 7 : url;
    const char *colon = strchr(p, ':');
    if (!colon)
        return -1;
    char ip[32];
    size_t l = (size_t)(colon - p);
    if (l >= sizeof ip)
        return -1;
    memcpy(ip, p, l);
    ip[l] = '\0';
    int port = atoi(colon + 1);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, ip, &sa->sin_addr) != 1 || port <= 0)
        return -1;
    snprintf(host, hcap, "%s:%d", ip, port);
    return 0;
}

static void hc_close(hc_pool *p, hc_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->connected = 0;
}

static int hc_open(hc_pool *p, hc_conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&p->addr, sizeof p->addr) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = c};
    epoll_ctl(p->epfd, EPOLL_CTL_ADD, c->fd, &ev);
    return 0;
}

static void hc_want(hc_pool *p, hc_conn *c, unsigned events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(p->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void hc_init(hc_pool *p, const struct sockaddr_in *addr, int n, size_t reqcap)
{
    memset(p, 0, sizeof *p);
    p->addr = *addr;
    p->n = n;
    p->req_timeout = 60;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    p->conns = calloc((size_t)n, sizeof *p->conns);
    if (p->epfd < 0 || !p->conns)
        hc_die("httpc: out of resources");
    for (int i = 0; i < n; i++) {
        hc_conn *c = &p->conns[i];
        c->fd = -1;
        c->idx = i;
        c->reqcap = reqcap;
        c->reqbuf = malloc(reqcap);
        c->in_cap = 65536;
        c->in = malloc(c->in_cap);
        if (!c->reqbuf || !c->in)
            hc_die("httpc: out of memory");
    }
}

/* Send (or re-send) the request of c. */
static int hc_start(hc_pool *p, hc_conn *c)
{
    c->req_off = 0;
    c->in_len = 0;
    if (c->fd < 0 && hc_open(p, c) < 0)
        return -1;
    if (c->connected)
        hc_want(p, c, EPOLLOUT | EPOLLIN);
    return 0;
}

/* Is the response in c->in complete? Returns 1 with status/body/len/close
 * set, 2 when the body runs to EOF (set to what came so far), 0 when more
 * is needed, -1 when it is malformed. */
static int hc_complete(hc_conn *c, int *status, const char **body, size_t *blen, int *close_after)
{
    c->in[c->in_len] = '\0';
    char *end = strstr(c->in, "\r\n\r\n");
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->in) + 4;
    if (sscanf(c->in, "HTTP/1.%*d %d", status) != 1)
        return -1;
    long clen = -1;
    int chunked = 0;
    *close_after = strncmp(c->in, "HTTP/1.0", 8) == 0;
    for (char *line = strstr(c->in, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "Content-Length:", 15) == 0)
            clen = strtol(line + 15, NULL, 10);
        else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0 && strcasestr(line, "chunked") &&
                 strcasestr(line, "chunked") < strstr(line, "\r\n"))
            chunked = 1;
        else if (strncasecmp(line, "Connection:", 11) == 0) {
            char *v = line + 11;
            while (*v == ' ')
                v++;
            if (strncasecmp(v, "close", 5) == 0)
                *close_after = 1;
            else if (strncasecmp(v, "keep-alive", 10) == 0)
                *close_after = 0;
        }
    }
    if (chunked) { /* decode in place once the terminating chunk is there */
        char *src = c->in + head, *dst = src, *lim = c->in + c->in_len;
        for (;;) {
            char *nl = memmem(src, (size_t)(lim - src), "\r\n", 2);
            if (!nl)
                return 0;
            long sz = strtol(src, NULL, 16);
            if (sz == 0) {
                if (!memmem(nl, (size_t)(lim - nl), "\r\n\r\n", 4) && (lim - nl) < 4)
                    return 0;
                break;
            }
            if (nl + 2 + sz + 2 > lim)
                return 0;
            memmove(dst, nl + 2, (size_t)sz);
            dst += sz;
            src = nl + 2 + sz + 2;
        }
        *body = c->in + head;
        *blen = (size_t)(dst - (c->in + head));
        return 1;
    }
    if (clen < 0) {
        if (*status == 204 || *status == 304) {
            *body = c->in + head;
            *blen = 0;
            return 1;
        }
        *body = c->in + head; /* the body runs to EOF */
        *blen = c->in_len - head;
        return 2;
    }
    if (c->in_len - head < (size_t)clen)
        return 0;
    *body = c->in + head;
    *blen = (size_t)clen;
    return 1;
}

/* Run until make() has nothing more and every request is answered, or
 * until `deadline` (monotonic seconds; 0 = none). */
static void hc_run(hc_pool *p, hc_make_fn make, hc_done_fn done, void *u, double deadline)
{
    int inflight = 0, exhausted = 0;
    for (int i = 0; i < p->n; i++) {
        hc_conn *c = &p->conns[i];
        if (make(u, c) != 0) {
            exhausted = 1;
            break;
        }
        c->busy = 1;
        c->retried = 0;
        c->t0 = hc_now();
        if (hc_start(p, c) < 0) {
            p->errors++;
            c->busy = 0;
            continue;
        }
        inflight++;
    }
    struct epoll_event evs[256];
    double last_check = hc_now();
    while (inflight > 0) {
        if (deadline > 0 && hc_now() > deadline)
            break;
        int ne = epoll_wait(p->epfd, evs, 256, 100);
        double now = hc_now();
        for (int e = 0; e < ne; e++) {
            hc_conn *c = evs[e].data.ptr;
            if (!c->busy || c->fd < 0)
                continue;
            int failed = 0, finished = 0, status = 0, close_after = 0;
            const char *body = NULL;
            size_t blen = 0;
            if (evs[e].events & (EPOLLERR | EPOLLHUP) && !(evs[e].events & EPOLLIN))
                failed = 1;
            if (!failed && (evs[e].events & EPOLLOUT)) {
                c->connected = 1;
                while (c->req_off < c->req_len) {
                    ssize_t w = send(c->fd, c->req + c->req_off, c->req_len - c->req_off, MSG_NOSIGNAL);
                    if (w > 0)
                        c->req_off += (size_t)w;
                    else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                    else {
                        failed = 1;
                        break;
                    }
                }
                if (!failed && c->req_off == c->req_len)
                    hc_want(p, c, EPOLLIN);
            }
            if (!failed && (evs[e].events & EPOLLIN)) {
                for (;;) {
                    if (c->in_cap - c->in_len < 4096) {
                        c->in_cap *= 2;
                        c->in = realloc(c->in, c->in_cap);
                        if (!c->in)
                            hc_die("httpc: out of memory");
                    }
                    ssize_t r = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
                    if (r > 0) {
                        c->in_len += (size_t)r;
                        continue;
                    }
                    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        break;
                    /* EOF or error: complete when the body ran to EOF */
                    if (c->in_len > 0 && hc_complete(c, &status, &body, &blen, &close_after) > 0) {
                        finished = 1;
                        close_after = 1;
                    } else {
                        failed = 1;
                    }
                    break;
                }
                if (!finished && !failed) {
                    int rc = hc_complete(c, &status, &body, &blen, &close_after);
                    if (rc == 1)
                        finished = 1; /* (2: the body runs to EOF, keep reading) */
                    else if (rc < 0)
                        failed = 1;
                }
            }
            if (failed) {
                /* A kept-alive connection the server closed before answering:
                 * send the request again once on a new connection. */
                int fresh = c->in_len == 0 && !c->retried;
                hc_close(p, c);
                if (fresh) {
                    c->retried = 1;
                    if (hc_start(p, c) == 0)
                        continue;
                }
                p->errors++;
                c->busy = 0;
                inflight--;
            } else if (finished) {
                double lat = now - c->t0;
                done(u, c, status, body, blen, lat);
                if (close_after)
                    hc_close(p, c);
                c->busy = 0;
                inflight--;
            } else {
                continue;
            }
            if (!exhausted) {
                if (make(u, c) != 0) {
                    exhausted = 1;
                    continue;
                }
                c->busy = 1;
                c->retried = 0;
                c->t0 = hc_now();
                if (hc_start(p, c) < 0) {
                    p->errors++;
                    c->busy = 0;
                    continue;
                }
                inflight++;
            }
        }
        if (now - last_check > 1.0) { /* per-request timeout */
            last_check = now;
            for (int i = 0; i < p->n; i++) {
                hc_conn *c = &p->conns[i];
                if (c->busy && now - c->t0 > p->req_timeout) {
                    hc_close(p, c);
                    c->busy = 0;
                    inflight--;
                    p->timeouts++;
                }
            }
        }
    }
}

/* Latency samples and their percentiles. */
typedef struct {
    double *v;
    size_t n, cap;
} hc_lat;

static void hc_lat_add(hc_lat *l, double x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 65536;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            hc_die("httpc: out of memory");
    }
    l->v[l->n++] = x;
}

static int hc_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double hc_pct(hc_lat *l, double pct)
{
    if (!l->n)
        return 0;
    qsort(l->v, l->n, sizeof *l->v, hc_cmp);
    size_t i = (size_t)(pct / 100.0 * (double)(l->n - 1) + 0.5);
    return l->v[i < l->n ? i : l->n - 1];
}

#endif
