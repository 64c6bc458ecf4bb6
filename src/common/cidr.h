/* cidr.h -- lists of IP networks, and the client address behind trusted proxies.
 *
 * Used for the `trusted-proxies` setting: which socket peers may tell cairnd
 * the client's address in X-Forwarded-For (for the audit log, the request
 * log and the login lockout per address), and for the networks of the
 * `git-hosts` setting (hostallow.h), through the one-entry functions.
 */
#ifndef CAIRN_CIDR_H
#define CAIRN_CIDR_H

#include <stdbool.h>
#include <stddef.h>

#define CIDR_LIST_MAX 32

typedef struct {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network bytes; IPv4 in the first 4 */
    int bits;               /* prefix length */
} cidr_entry;

typedef struct {
    cidr_entry items[CIDR_LIST_MAX];
    int n;
} cidr_list;

/* Parse "127.0.0.1, 10.0.0.0/8, ::1" (commas and/or spaces; empty text is
 * an empty list) into l. Returns 0, or -1 with a message in err naming the
 * bad entry (l is then incomplete and must not be used). */
int cidr_list_parse(cidr_list *l, const char *text, char *err, size_t cap);

/* Parse one address into *family (AF_INET or AF_INET6) and 16 bytes (IPv4
 * in the first 4; an IPv4-mapped IPv6 address ::ffff:a.b.c.d is IPv4).
 * False when text is not an address. */
bool cidr_addr_parse(const char *text, int *family, unsigned char out[16]);

/* Parse "addr" or "addr/bits" (the len bytes of s, no spaces) into e.
 * False when it is neither. */
bool cidr_entry_parse(const char *s, size_t len, cidr_entry *e);

/* Whether the address (as cidr_addr_parse() gives it) lies in e. */
bool cidr_entry_match(const cidr_entry *e, int family, const unsigned char addr[16]);

/* Whether the address text ip lies in one of l's networks (false for an
 * empty list or text that is not an address). */
bool cidr_list_match(const cidr_list *l, const char *ip);

/* The client's address for a request from socket peer `peer` carrying the
 * X-Forwarded-For value forwarded_for (or NULL): the peer itself unless it is
 * trusted; otherwise the right-most forwarded address that is not a trusted
 * proxy (if a forwarded entry is not an address, the last good hop). Writes
 * at most cap bytes, NUL-terminated, to out. */
void cidr_client_ip(const cidr_list *trusted, const char *peer, const char *forwarded_for, char *out, size_t cap);

#endif
