/* hostallow.c -- the git-hosts allowlist (see hostallow.h for the rules).
 *
 * Entries are parsed once (at start, from the setting) into a fixed array:
 * a lower-case name pattern or a network (cidr.c), and a port (0: any).
 * The addresses refused unless a network entry names them are one table,
 * `refused`, parsed with cidr_entry_parse() on each check (a dozen
 * inet_pton calls per connection; there is no shared state to set up).
 */
#include "common/hostallow.h"

#include "common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Always refused unless a network entry of the list holds the address. */
static const struct {
    const char *net, *article, *what;
} refused[] = {
    {"127.0.0.0/8", "a", "loopback address"},
    {"::1/128", "a", "loopback address"},
    {"169.254.0.0/16", "a", "link-local address"}, /* cloud metadata: 169.254.169.254 */
    {"fe80::/10", "a", "link-local address"},
    {"0.0.0.0/8", "an", "unspecified address"},    /* Linux connects 0.0.0.0 to loopback */
    {"::/128", "an", "unspecified address"},
    {"224.0.0.0/4", "a", "multicast address"},
    {"ff00::/8", "a", "multicast address"},
    {"240.0.0.0/4", "a", "reserved or broadcast address"},
    {"100.100.100.200/32", "a", "cloud metadata address"}, /* Alibaba Cloud */
    {"fd00:ec2::254/128", "a", "cloud metadata address"},  /* AWS over IPv6 */
};

/* A host name pattern: optional "*." then dot-separated labels of letters,
 * digits, '-' and '_' (1 to 63 each, no '-' at either end), the last one
 * not all digits (that would be a mistyped address). Lower-cased in place. */
static bool name_ok(char *s)
{
    char *p = s;
    if (p[0] == '*' && p[1] == '.')
        p += 2;
    if (!*p || strlen(s) > HOSTALLOW_NAME_MAX)
        return false;
    bool all_digits = true;
    for (char *label = p; label; ) {
        char *dot = strchr(label, '.');
        size_t len = dot ? (size_t)(dot - label) : strlen(label);
        if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
            return false;
        all_digits = true;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)label[i];
            if (!isalnum(c) && c != '-' && c != '_')
                return false;
            all_digits = all_digits && isdigit(c);
            label[i] = (char)tolower(c);
        }
        label = dot ? dot + 1 : NULL;
    }
    return !all_digits;
}

static bool port_ok(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!isdigit((unsigned char)*s) || *end || v < 1 || v > 65535)
        return false;
    *port = (int)v;
    return true;
}

/* Parse one entry (len bytes of s, no separators) into e. */
static bool parse_entry(const char *s, size_t len, hostallow_entry *e)
{
    char buf[HOSTALLOW_NAME_MAX + 16];
    memset(e, 0, sizeof *e);
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *host = buf, *colon = strrchr(buf, ':');
    if (buf[0] == '[') { /* [v6] or [v6]:port */
        char *close = strchr(buf, ']');
        if (!close || (close[1] && (close[1] != ':' || !port_ok(close + 2, &e->port))))
            return false;
        *close = '\0';
        host = buf + 1;
    } else if (colon && colon == strchr(buf, ':')) { /* one ':': name:port or v4:port */
        if (!port_ok(colon + 1, &e->port))
            return false;
        *colon = '\0';
    }
    if (cidr_entry_parse(host, strlen(host), &e->net))
        return true;
    if (host != buf || strchr(host, ':') || strchr(host, '/')) /* a bracket or ':' or '/' is no name */
        return false;
    if (!name_ok(host))
        return false;
    memcpy(e->name, host, strlen(host) + 1);
    return true;
}

int hostallow_parse(hostallow_list *l, const char *text, char *err, size_t cap)
{
    l->n = 0;
    const char *rest = text ? text : "", *p;
    size_t len;
    while ((p = util_list_next(&rest, &len))) {
        if (l->n == HOSTALLOW_MAX) {
            snprintf(err, cap, "at most %d hosts or networks", HOSTALLOW_MAX);
            return -1;
        }
        if (!parse_entry(p, len, &l->items[l->n])) {
            snprintf(err, cap, "\"%.*s\" is not a host name (git.example.com, *.example.com), an IP address or a "
                               "network (10.0.0.0/8), with an optional :port",
                     (int)(len > 64 ? 64 : len), p);
            return -1;
        }
        l->n++;
    }
    return 0;
}

bool hostallow_name_match(const char *pattern, const char *name)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--;
    if (pattern[0] == '*' && pattern[1] == '.') {
        size_t s = strlen(pattern + 1); /* ".suffix" */
        return n > s && strncasecmp(name + n - s, pattern + 1, s) == 0;
    }
    return strlen(pattern) == n && strncasecmp(name, pattern, n) == 0;
}

/* The host as it would be matched: no brackets around an IPv6 address. */
static void bare_host(const char *host, char *out, size_t cap)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        snprintf(out, cap, "%.*s", (int)(n - 2), host + 1);
    else
        snprintf(out, cap, "%s", host);
}

/* Match bare host (and its address, family 0: none known) against l's
 * entries: LISTED_NET when a network entry holds the address, LISTED_NAME
 * when a name entry matches (or l is empty), else 0 with the reason. */
enum { LISTED_NAME = 1, LISTED_NET };
static int listed(const hostallow_list *l, const char *bare, int family, const unsigned char a[16], int port,
                  char *why, size_t cap)
{
    bool named = l->n == 0, other_port = false;
    for (int i = 0; i < l->n; i++) {
        const hostallow_entry *e = &l->items[i];
        bool match = e->name[0] ? hostallow_name_match(e->name, bare)
                                : family && cidr_entry_match(&e->net, family, a);
        if (!match)
            continue;
        if (e->port && e->port != port) {
            other_port = true;
            continue;
        }
        if (!e->name[0])
            return LISTED_NET; /* a network entry allows anything in it, loopback too */
        named = true;
    }
    if (named)
        return LISTED_NAME;
    if (other_port)
        snprintf(why, cap, "port %d is not in the git-hosts list", port);
    else
        snprintf(why, cap, "not in the git-hosts list");
    return 0;
}

bool hostallow_named(const hostallow_list *l, const char *host, int port, char *why, size_t cap)
{
    char bare[HOSTALLOW_NAME_MAX + 3];
    bare_host(host, bare, sizeof bare);
    return listed(l, bare, 0, NULL, port, why, cap) != 0;
}

bool hostallow_check(const hostallow_list *l, const char *host, int port, const char *addr, char *why, size_t cap)
{
    int family;
    unsigned char a[16];
    char bare[HOSTALLOW_NAME_MAX + 3];
    bare_host(host, bare, sizeof bare);
    if (!addr || !cidr_addr_parse(addr, &family, a)) {
        snprintf(why, cap, "\"%s\" is not an address", addr ? addr : "");
        return false;
    }
    int how = listed(l, bare, family, a, port, why, cap);
    if (how != LISTED_NAME)
        return how == LISTED_NET;
    int literal_family;
    unsigned char literal[16];
    bool is_literal = cidr_addr_parse(bare, &literal_family, literal);
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        cidr_entry e;
        if (!cidr_entry_parse(refused[i].net, strlen(refused[i].net), &e) || !cidr_entry_match(&e, family, a))
            continue;
        if (is_literal)
            snprintf(why, cap, "%s", refused[i].what);
        else
            snprintf(why, cap, "it resolves to %s, %s %s", addr, refused[i].article, refused[i].what);
        return false;
    }
    return true;
}
