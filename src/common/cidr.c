/* cidr.c -- lists of IP networks, and the client address behind trusted proxies.
 *
 * A list is written as text, "127.0.0.1, 10.0.0.0/8, ::1" (an address alone
 * is a /32 or /128), parsed once into fixed-size entries and matched with a
 * byte-wise prefix compare; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match
 * IPv4 entries.
 *
 * cidr_client_ip() is how cairnd learns who a request is from when it runs
 * behind nginx or haproxy: only when the socket peer is a trusted proxy does
 * it read X-Forwarded-For, right to left, skipping trusted hops; the first
 * address that is not a trusted proxy is the client. Anything left of it was
 * written by the client itself and is never believed.
 */
#include "common/cidr.h"

#include "common/util.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cidr_addr_parse(const char *text, int *family, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, out) != 1)
        return false;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, sizeof mapped) == 0) { /* ::ffff:a.b.c.d is IPv4 */
        memmove(out, out + 12, 4);
        memset(out + 4, 0, 12);
        *family = AF_INET;
        return true;
    }
    *family = AF_INET6;
    return true;
}

bool cidr_entry_parse(const char *s, size_t len, cidr_entry *e)
{
    char buf[INET6_ADDRSTRLEN + 8];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *slash = strchr(buf, '/');
    int bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || b < 0 || b > 128)
            return false;
        bits = (int)b;
    }
    if (!cidr_addr_parse(buf, &e->family, e->addr))
        return false;
    int max = e->family == AF_INET ? 32 : 128;
    if (bits > max)
        return false;
    e->bits = bits < 0 ? max : bits;
    return true;
}

int cidr_list_parse(cidr_list *l, const char *text, char *err, size_t cap)
{
    l->n = 0;
    const char *rest = text ? text : "", *p;
    size_t len;
    while ((p = util_list_next(&rest, &len))) {
        if (l->n == CIDR_LIST_MAX) {
            snprintf(err, cap, "at most %d networks", CIDR_LIST_MAX);
            return -1;
        }
        if (!cidr_entry_parse(p, len, &l->items[l->n])) {
            snprintf(err, cap, "\"%.*s\" is not an IP address or network like 10.0.0.0/8", (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        l->n++;
    }
    return 0;
}

bool cidr_entry_match(const cidr_entry *e, int family, const unsigned char addr[16])
{
    int full = e->bits / 8, rest = e->bits % 8;
    if (e->family != family || memcmp(addr, e->addr, (size_t)full) != 0)
        return false;
    return !rest || !((addr[full] ^ e->addr[full]) & (unsigned char)(0xff << (8 - rest)));
}

bool cidr_list_match(const cidr_list *l, const char *ip)
{
    int family;
    unsigned char a[16];
    if (!l || l->n == 0 || !ip || !cidr_addr_parse(ip, &family, a))
        return false;
    for (int i = 0; i < l->n; i++)
        if (cidr_entry_match(&l->items[i], family, a))
            return true;
    return false;
}

/* Copy the address s[0..len) (trimmed) into out when it is a valid IP. */
static bool take_addr(const char *s, size_t len, char *out, size_t cap)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    int family;
    unsigned char a[16];
    if (len == 0 || len >= cap)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return cidr_addr_parse(out, &family, a);
}

void cidr_client_ip(const cidr_list *trusted, const char *peer, const char *forwarded_for, char *out, size_t cap)
{
    char hop[INET6_ADDRSTRLEN + 1];
    snprintf(out, cap, "%s", peer ? peer : "");
    if (!forwarded_for || !cidr_list_match(trusted, out))
        return;
    size_t end = strlen(forwarded_for);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && forwarded_for[start - 1] != ',')
            start--;
        if (!take_addr(forwarded_for + start, end - start, hop, sizeof hop))
            return; /* garbage: keep the last hop we could trust */
        snprintf(out, cap, "%s", hop);
        if (!cidr_list_match(trusted, hop))
            return;
        end = start ? start - 1 : 0;
    }
}
