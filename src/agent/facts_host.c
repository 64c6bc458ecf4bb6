/* facts_host.c -- fact collector "host": names, OS, kernel, boot time.
 *
 * hostname and kernel come from /proc/sys/kernel/{hostname,osrelease} (what
 * uname(2) returns, but readable below a fixture root), the architecture
 * from uname(2), the machine id from /etc/machine-id (or dbus's copy), the
 * boot time from /proc/stat's btime, the OS from /etc/os-release (or
 * /usr/lib/os-release; systems older than os-release, such as CentOS 6, from
 * /etc/redhat-release). The FQDN is the canonical name of the hostname from
 * the resolver (as `hostname -f`), looked up only on the live system. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <ctype.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>

/* Copy an os-release value (quoted or bare, with \-escapes in double
 * quotes) into out. */
static void os_value(const char *v, char *out, size_t cap)
{
    size_t o = 0;
    char q = 0;
    if (*v == '"' || *v == '\'')
        q = *v++;
    for (; *v && *v != '\n'; v++) {
        if (q && *v == q)
            break;
        if (q == '"' && *v == '\\' && v[1])
            v++;
        if (o + 1 < cap)
            out[o++] = *v;
    }
    out[o] = '\0';
}

static int parse_os_release(ag_ctx *c, ag_facts *f)
{
    if (pf_read(c->root, "/etc/os-release", c->buf, c->cap, NULL) < 0 &&
        pf_read(c->root, "/usr/lib/os-release", c->buf, c->cap, NULL) < 0)
        return -1;
    static const struct {
        const char *key;
        size_t off, cap;
    } keys[] = {
        {"ID=", offsetof(ag_facts, os_id), sizeof((ag_facts *)0)->os_id},
        {"NAME=", offsetof(ag_facts, os_name), sizeof((ag_facts *)0)->os_name},
        {"VERSION_ID=", offsetof(ag_facts, os_version), sizeof((ag_facts *)0)->os_version},
        {"PRETTY_NAME=", offsetof(ag_facts, os_pretty), sizeof((ag_facts *)0)->os_pretty},
    };
    for (char *line = c->buf; *line;) {
        char *eol = strchr(line, '\n');
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            size_t kl = strlen(keys[i].key);
            if (strncmp(line, keys[i].key, kl) == 0)
                os_value(line + kl, (char *)f + keys[i].off, keys[i].cap);
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return 0;
}

/* "CentOS release 6.10 (Final)" → name "CentOS", version "6.10", id "centos". */
static int parse_redhat_release(ag_ctx *c, ag_facts *f)
{
    char b[256];
    if (pf_read_str(c->root, "/etc/redhat-release", b, sizeof b) < 0)
        return -1;
    pf_copy(f->os_pretty, sizeof f->os_pretty, b);
    char *rel = strstr(b, " release ");
    if (rel) {
        *rel = '\0';
        pf_copy(f->os_name, sizeof f->os_name, b);
        const char *v = rel + 9, *e = pf_skip_token(v);
        size_t n = (size_t)(e - v) < sizeof f->os_version ? (size_t)(e - v) : sizeof f->os_version - 1;
        memcpy(f->os_version, v, n);
        f->os_version[n] = '\0';
    }
    size_t i = 0;
    for (; b[i] && b[i] != ' ' && i + 1 < sizeof f->os_id; i++)
        f->os_id[i] = (char)tolower((unsigned char)b[i]);
    f->os_id[i] = '\0';
    return 0;
}

static void lookup_fqdn(ag_facts *f)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_CANONNAME;
    if (getaddrinfo(f->hostname, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
        strchr(res->ai_canonname, '.'))
        pf_copy(f->fqdn, sizeof f->fqdn, res->ai_canonname);
    if (res)
        freeaddrinfo(res);
}

int ag_coll_facts_host(ag_ctx *c)
{
    ag_facts *f = c->f;
    struct utsname u;
    bool live = strcmp(c->root, "/") == 0;
    if (pf_read_str(c->root, "/proc/sys/kernel/hostname", f->hostname, sizeof f->hostname) < 0 &&
        live && uname(&u) == 0)
        pf_copy(f->hostname, sizeof f->hostname, u.nodename);
    pf_read_str(c->root, "/proc/sys/kernel/osrelease", f->kernel, sizeof f->kernel);
    if (uname(&u) == 0)
        pf_copy(f->arch, sizeof f->arch, u.machine);
    if (pf_read_str(c->root, "/etc/machine-id", f->machine_id, sizeof f->machine_id) < 0)
        pf_read_str(c->root, "/var/lib/dbus/machine-id", f->machine_id, sizeof f->machine_id);
    if (parse_os_release(c, f) != 0)
        parse_redhat_release(c, f);

    pf_lines r;
    if (pf_lines_open(&r, c->root, "/proc/stat", c->buf, c->cap) == 0) {
        char *line;
        while ((line = pf_lines_next(&r)))
            if (strncmp(line, "btime ", 6) == 0) {
                uint64_t bt;
                if (pf_u64(line + 6, &bt))
                    f->boot_time = (int64_t)bt;
                break;
            }
        pf_lines_close(&r);
    }

    if (strchr(f->hostname, '.'))
        pf_copy(f->fqdn, sizeof f->fqdn, f->hostname);
    else if (live && f->hostname[0])
        lookup_fqdn(f);
    if (!f->fqdn[0])
        pf_copy(f->fqdn, sizeof f->fqdn, f->hostname);
    return f->hostname[0] ? 0 : -1;
}
