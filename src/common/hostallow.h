/* hostallow.h -- which hosts cairnd may connect to for library git sources
 * (the `git-hosts` setting), so that a user who may import from a URL
 * cannot make the server reach what it should not (cloud metadata at
 * 169.254.169.254, admin ports on loopback): server-side request forgery.
 *
 * A list is written as text, entries separated by commas and/or spaces:
 *   git.example.com      that host name (case-insensitive)
 *   *.example.com        any name below example.com, not example.com itself
 *   10.1.0.0/16, 192.0.2.7, fd00::/8, ::1
 *                        an address or network (cidr.h)
 * each optionally with :port (`git.example.com:8443`, `[::1]:22`,
 * `[fd00::/8]:443`); without one, any port.
 *
 * The decision is made for every address a host resolves to (the caller
 * resolves; see src/jobs/library_gitnet.c). An address is allowed when
 *   - a network entry of the list holds it (and the port fits), or
 *   - the list is empty, or a name entry matches the host (and the port
 *     fits), and the address is not one of the always-refused kinds:
 *     loopback, link-local (169.254.0.0/16, fe80::/10: cloud metadata),
 *     unspecified (0.0.0.0/8, ::), multicast, reserved/broadcast
 *     (240.0.0.0/4), and the two cloud metadata addresses outside those
 *     (100.100.100.200, fd00:ec2::254).
 * So private networks (10/8, 172.16/12, 192.168/16, fc00::/7) are allowed by
 * default, and loopback only when a network entry names it (127.0.0.1).
 */
#ifndef CAIRN_HOSTALLOW_H
#define CAIRN_HOSTALLOW_H

#include "common/cidr.h"

#include <stdbool.h>
#include <stddef.h>

#define HOSTALLOW_MAX 32
#define HOSTALLOW_NAME_MAX 253

typedef struct {
    char name[HOSTALLOW_NAME_MAX + 1]; /* lower case, "git.example.com" or "*.example.com"; "" for a network */
    cidr_entry net;                    /* when name is "" */
    int port;                          /* 0: any */
} hostallow_entry;

typedef struct {
    hostallow_entry items[HOSTALLOW_MAX];
    int n; /* 0: the default (any host but the always-refused addresses) */
} hostallow_list;

/* Parse text (see above; empty text is the empty list) into l. Returns 0,
 * or -1 with a message in err naming the bad entry (l is then incomplete
 * and must not be used). */
int hostallow_parse(hostallow_list *l, const char *text, char *err, size_t cap);

/* Whether host name `name` (any case, a trailing dot ignored) matches
 * pattern, an entry's name: equal, or for "*.suffix" any name that ends in
 * ".suffix" with at least one character before. */
bool hostallow_name_match(const char *pattern, const char *name);

/* Whether cairnd may connect to address text addr on port for a URL naming
 * host (a name or an address, IPv6 with or without brackets). False with
 * the reason in why ("link-local address", "it resolves to 127.0.0.1, a
 * loopback address", "not in the git-hosts list"), written to at most cap
 * bytes. An addr that is not an address is refused. */
bool hostallow_check(const hostallow_list *l, const char *host, int port, const char *addr, char *why, size_t cap);

/* Whether the list allows host on port by its name alone: it is empty, or
 * a name entry matches. False with the reason in why. For a host that
 * cannot be resolved: one the list does not name is refused (a network
 * entry might have held its address, but there is none to check), one it
 * names is merely unreachable. */
bool hostallow_named(const hostallow_list *l, const char *host, int port, char *why, size_t cap);

#endif
