/* library_gitnet.c -- the one way a library git fetch reaches the network:
 * every TCP connection libgit2 opens (git://, https:// and ssh://) is made
 * here, and only to an address the git-hosts setting allows (hostallow.h).
 *
 * How: libgit2 lets a program replace its plain socket stream
 * (git_stream_register(GIT_STREAM_STANDARD), git2/sys/stream.h). Its git://
 * and ssh transports open their connection through that constructor, and
 * its TLS stream (mbedTLS or OpenSSL) wraps a socket made by it too, so
 * https reads and writes pass through here as well, and so does the
 * connection to any server a redirect names. connect() resolves the host
 * once (getaddrinfo), checks EVERY address it resolves to, refuses the
 * whole host when one is not allowed (a name that also resolves to
 * 127.0.0.1 is refused, not tried around), and then connects only to those
 * checked addresses: libgit2 never resolves the name again, so DNS
 * rebinding between check and connect has no second answer to use. TLS
 * still verifies the certificate against the name in the URL.
 *
 * The policy is per fetch and the constructor has no context argument, so
 * the fetch thread sets a thread-local guard (lgit_net_guard()) around its
 * libgit2 calls; libgit2 opens its connections on the calling thread. With
 * no guard set, every connection is refused. A refusal is written into the
 * guard for lgit_fetch_now() to answer LGIT_BAD_URL.
 *
 * The one dependence on libgit2's insides: its ssh transport does not read
 * and write through the stream but hands the socket to libssh2, taking it
 * from the stream as if the stream were libgit2's own git_socket_stream
 * (src/libgit2/streams/socket.h: parent, host, port, socket). net_stream
 * therefore begins with exactly those fields. That layout is the same in
 * libgit2 1.5 (Debian 12), in older 1.x and 0.x sources and in today's;
 * lgit_net_register() refuses a libgit2 whose major version is not 1 rather
 * than let libssh2 read a wrong descriptor (every fetch then fails with
 * "libgit2 cannot start").
 *
 * Interrupts: a connect() or recv() cut short by the fetch's wake-up signal
 * (library_gitrun.c) fails with EINTR and is not retried, so the deadline
 * holds here as it did in libgit2's own stream.
 */
#include "jobs/library_git_int.h"

#include <git2/sys/stream.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    git_stream parent; /* these four as libgit2's git_socket_stream: */
    char *host;        /* its ssh transport reads `s` from this layout */
    char *port;
    int s;
} net_stream;

static _Thread_local lgit_guard *guard;

void lgit_net_guard(lgit_guard *g)
{
    guard = g;
}

/* The address of sa as text, and its port. */
static void addr_text(const struct sockaddr *sa, char *out, size_t cap, int *port)
{
    const void *a = sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
                                              : (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    *port = ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port
                                            : ((const struct sockaddr_in *)(const void *)sa)->sin_port);
    if (!inet_ntop(sa->sa_family, a, out, (socklen_t)cap))
        snprintf(out, cap, "?");
}

/* Refuse host (a guard is set): the reason goes into the guard and
 * libgit2's error. */
static int refuse(const char *host, const char *why)
{
    guard->refused = true;
    snprintf(guard->why, sizeof guard->why,
             "git host %.253s is not allowed: %.199s; an administrator can allow it with --git-hosts", host, why);
    git_error_set_str(GIT_ERROR_NET, guard->why);
    return -1;
}

static const hostallow_list defaults; /* n == 0: the default rules */

/* Check every address of res; true when all are allowed. */
static bool all_allowed(const char *host, const struct addrinfo *res)
{
    const hostallow_list *hosts = guard->hosts ? guard->hosts : &defaults;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char addr[INET6_ADDRSTRLEN], why[200];
        int port;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue; /* not asked for (AF_UNSPEC gives only these two) */
        addr_text(ai->ai_addr, addr, sizeof addr, &port);
        if (!hostallow_check(hosts, host, port, addr, why, sizeof why)) {
            refuse(host, why);
            return false;
        }
    }
    return true;
}

static int net_connect(git_stream *stream)
{
    net_stream *st = (net_stream *)stream;
    struct addrinfo hints, *res = NULL;
    char host[HOSTALLOW_NAME_MAX + 3];
    size_t n = strlen(st->host);
    int err = ECONNREFUSED;
    if (!guard) {
        git_error_set_str(GIT_ERROR_NET, "git connections are only made for a library fetch");
        return -1;
    }
    if (n >= 2 && st->host[0] == '[' && st->host[n - 1] == ']') /* [v6] */
        snprintf(host, sizeof host, "%.*s", (int)(n - 2), st->host + 1);
    else if (snprintf(host, sizeof host, "%s", st->host) >= (int)sizeof host)
        return refuse(st->host, "the host name is too long");
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, st->port, &hints, &res);
    if (rc != 0) {
        char why[200];
        if (!hostallow_named(guard->hosts ? guard->hosts : &defaults, host, (int)strtol(st->port, NULL, 10), why, sizeof why))
            return refuse(host, why);
        git_error_set(GIT_ERROR_NET, "cannot resolve git host %s: %s", host, gai_strerror(rc));
        return -1;
    }
    if (!all_allowed(host, res)) {
        freeaddrinfo(res);
        return -1;
    }
    for (const struct addrinfo *ai = res; ai && st->s < 0; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
            continue;
        int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (s < 0) {
            err = errno;
            continue;
        }
        if (connect(s, ai->ai_addr, ai->ai_addrlen) == 0) {
            st->s = s;
            break;
        }
        err = errno;
        close(s);
        if (err == EINTR) /* the deadline passed */
            break;
    }
    freeaddrinfo(res);
    if (st->s < 0) {
        git_error_set(GIT_ERROR_NET, "cannot connect to %s port %s: %s", host, st->port, strerror(err));
        return -1;
    }
    return 0;
}

static ssize_t net_read(git_stream *stream, void *data, size_t len)
{
    net_stream *st = (net_stream *)stream;
    ssize_t n = recv(st->s, data, len, 0);
    if (n < 0)
        git_error_set(GIT_ERROR_NET, "error receiving data: %s", strerror(errno));
    return n;
}

static ssize_t net_write(git_stream *stream, const char *data, size_t len, int flags)
{
    net_stream *st = (net_stream *)stream;
    ssize_t n = send(st->s, data, len, flags | MSG_NOSIGNAL);
    if (n < 0)
        git_error_set(GIT_ERROR_NET, "error sending data: %s", strerror(errno));
    return n;
}

static int net_close(git_stream *stream)
{
    net_stream *st = (net_stream *)stream;
    int rc = st->s >= 0 ? close(st->s) : 0;
    st->s = -1;
    return rc;
}

static void net_free(git_stream *stream)
{
    net_stream *st = (net_stream *)stream;
    net_close(stream);
    free(st->host);
    free(st->port);
    free(st);
}

/* The constructor libgit2 calls for every plain socket: no network yet. */
static int net_init(git_stream **out, const char *host, const char *port)
{
    net_stream *st = calloc(1, sizeof *st);
    if (!st || !(st->host = strdup(host)) || !(st->port = strdup(port ? port : ""))) {
        if (st)
            free(st->host);
        free(st);
        git_error_set_oom();
        return -1;
    }
    st->s = -1;
    st->parent.version = GIT_STREAM_VERSION;
    st->parent.connect = net_connect;
    st->parent.read = net_read;
    st->parent.write = net_write;
    st->parent.close = net_close;
    st->parent.free = net_free;
    *out = &st->parent;
    return 0;
}

int lgit_net_register(void)
{
    static git_stream_registration reg = {GIT_STREAM_VERSION, net_init, NULL};
    int major = 0, minor = 0, rev = 0;
    if (git_libgit2_version(&major, &minor, &rev) < 0 || major != 1)
        return -1;
    return git_stream_register(GIT_STREAM_STANDARD, &reg);
}
