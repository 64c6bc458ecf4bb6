/* facts_net.c -- fact collector "net": NICs and the management IP.
 *
 * NICs are the entries of /sys/class/net but "lo", with their MAC
 * (address) and link speed (speed: -1 or unreadable when unknown or down).
 * Addresses come from getifaddrs(3) (netlink; /proc has no per-interface
 * IPv4 list). A virtual interface (no "device" link: bridges, veths, tun)
 * is listed only when it has an address other than link-local, so a Docker
 * host's churning veths do not make the facts change every few minutes.
 *
 * The management IP is the source address the kernel picks to reach the
 * server: a UDP socket connect()ed to the server's address and read back
 * with getsockname() (no packet is sent). Without a server (--once) it is
 * the first IPv4 address of the default route's interface (/proc/net/route).
 */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int prefix_len(const struct sockaddr *mask)
{
    const unsigned char *b;
    size_t n;
    if (!mask)
        return -1;
    if (mask->sa_family == AF_INET) {
        b = (const unsigned char *)&((const struct sockaddr_in *)(const void *)mask)->sin_addr;
        n = 4;
    } else if (mask->sa_family == AF_INET6) {
        b = (const unsigned char *)&((const struct sockaddr_in6 *)(const void *)mask)->sin6_addr;
        n = 16;
    } else {
        return -1;
    }
    int bits = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 7; k >= 0; k--)
            bits += (b[i] >> k) & 1;
    return bits;
}

/* Address text of sa (no prefix); false for other families. */
static bool addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                         (socklen_t)cap) != NULL;
    if (sa->sa_family == AF_INET6)
        return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                         out, (socklen_t)cap) != NULL;
    return false;
}

static bool link_local(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET6)
        return IN6_IS_ADDR_LINKLOCAL(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
        return (a >> 16) == 0xa9fe; /* 169.254/16 */
    }
    return false;
}

/* Fill nic's addresses from the ifaddrs list; true when one is not
 * link-local. */
static bool nic_addrs(ag_fact_nic *nic, const struct ifaddrs *list)
{
    bool global = false;
    for (const struct ifaddrs *a = list; a; a = a->ifa_next) {
        char txt[INET6_ADDRSTRLEN];
        if (!a->ifa_name || strcmp(a->ifa_name, nic->name) != 0 || !addr_text(a->ifa_addr, txt, sizeof txt))
            continue;
        if (!link_local(a->ifa_addr))
            global = true;
        if (nic->naddr < AG_MAX_ADDRS)
            snprintf(nic->addrs[nic->naddr++], sizeof nic->addrs[0], "%s/%d", txt, prefix_len(a->ifa_netmask));
    }
    return global;
}

/* Source address towards host:port, by a connect()ed UDP socket. */
static bool route_source(const char *host, const char *port, char *out, size_t cap)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(host, port && *port ? port : "443", &hints, &res) != 0)
        return false;
    bool ok = false;
    for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
            ok = addr_text((struct sockaddr *)&ss, out, cap);
        close(fd);
    }
    freeaddrinfo(res);
    return ok;
}

/* Interface of the IPv4 default route with the lowest metric, or "". */
static void default_route_if(ag_ctx *c, char *ifname, size_t cap)
{
    ifname[0] = '\0';
    pf_lines r;
    if (pf_lines_open(&r, c->root, "/proc/net/route", c->buf, c->cap) != 0)
        return;
    uint64_t best = UINT64_MAX;
    char *line;
    while ((line = pf_lines_next(&r))) {
        /* Iface Destination Gateway Flags RefCnt Use Metric Mask … */
        char name[AG_NAME_LEN];
        const char *p = pf_token_unescape(line, name, sizeof name);
        uint64_t dst, gw, flags, refcnt, use, metric, mask;
        if (!(p = pf_hex(p, &dst)) || !(p = pf_hex(p, &gw)) || !(p = pf_hex(p, &flags)) ||
            !(p = pf_u64(p, &refcnt)) || !(p = pf_u64(p, &use)) || !(p = pf_u64(p, &metric)) ||
            !pf_hex(p, &mask))
            continue;
        if (dst == 0 && mask == 0 && (flags & 1) && metric < best) {
            best = metric;
            pf_copy(ifname, cap, name);
        }
    }
    pf_lines_close(&r);
}

int ag_coll_facts_net(ag_ctx *c)
{
    ag_facts *f = c->f;
    int (*gia)(struct ifaddrs **) = c->getifaddrs_fn ? c->getifaddrs_fn : getifaddrs;
    void (*fia)(struct ifaddrs *) = c->freeifaddrs_fn ? c->freeifaddrs_fn : freeifaddrs;
    struct ifaddrs *list = NULL;
    if (gia(&list) != 0)
        list = NULL;

    char path[1024];
    int rc = -1;
    if (pf_path(c->root, "/sys/class/net", path, sizeof path) == 0) {
        DIR *d = opendir(path);
        if (d) {
            rc = 0;
            struct dirent *e;
            while ((e = readdir(d)) && f->nnic < AG_MAX_NICS) {
                if (e->d_name[0] == '.' || strcmp(e->d_name, "lo") == 0 || strlen(e->d_name) >= AG_NAME_LEN)
                    continue;
                ag_fact_nic *nic = &f->nics[f->nnic];
                memset(nic, 0, sizeof *nic);
                pf_copy(nic->name, sizeof nic->name, e->d_name);
                char attr[128], val[64];
                snprintf(attr, sizeof attr, "/sys/class/net/%s/address", nic->name);
                pf_read_str(c->root, attr, nic->mac, sizeof nic->mac);
                uint64_t speed;
                snprintf(attr, sizeof attr, "/sys/class/net/%s/speed", nic->name);
                nic->speed_mbps = (pf_read_str(c->root, attr, val, sizeof val) > 0 && val[0] != '-' &&
                                   pf_u64(val, &speed) && speed < 10000000)
                                      ? (int)speed
                                      : -1;
                snprintf(attr, sizeof attr, "/sys/class/net/%s/device", nic->name);
                char full[1024];
                bool physical = pf_path(c->root, attr, full, sizeof full) == 0 && access(full, F_OK) == 0;
                bool global = nic_addrs(nic, list);
                if (physical || global)
                    f->nnic++;
            }
            closedir(d);
        }
    }
    for (int i = 1; i < f->nnic; i++) /* stable order for the facts hash */
        for (int j = i; j > 0 && strcmp(f->nics[j - 1].name, f->nics[j].name) > 0; j--) {
            ag_fact_nic t = f->nics[j];
            f->nics[j] = f->nics[j - 1];
            f->nics[j - 1] = t;
        }

    if (!(c->server_host && *c->server_host &&
          route_source(c->server_host, c->server_port, f->management_ip, sizeof f->management_ip))) {
        char ifname[AG_NAME_LEN];
        default_route_if(c, ifname, sizeof ifname);
        for (const struct ifaddrs *a = list; a && ifname[0]; a = a->ifa_next)
            if (a->ifa_name && strcmp(a->ifa_name, ifname) == 0 && a->ifa_addr &&
                a->ifa_addr->sa_family == AF_INET &&
                addr_text(a->ifa_addr, f->management_ip, sizeof f->management_ip))
                break;
    }
    if (list)
        fia(list);
    return rc;
}
