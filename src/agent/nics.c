/* nics.c -- collector "nics": /proc/net/dev.
 *
 * Two header lines, then "  eth0: rx_bytes rx_packets rx_errs rx_drop fifo
 * frame compressed multicast tx_bytes tx_packets tx_errs tx_drop fifo colls
 * carrier compressed" per interface (old kernels print no space after the
 * colon once the number is wide). The loopback "lo" is skipped. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <string.h>

int ag_coll_nics(ag_ctx *c)
{
    ag_sample *m = c->m;
    if (pf_read_keep(c->root, "/proc/net/dev", c->buf, c->cap, NULL) < 0)
        return -1;
    for (char *line = c->buf; *line;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        char *colon = strchr(line, ':');
        if (colon) {
            const char *name = pf_ws(line);
            size_t nl = (size_t)(colon - name);
            if (nl > 0 && nl < AG_NAME_LEN && !(nl == 2 && memcmp(name, "lo", 2) == 0)) {
                uint64_t v[16] = {0};
                int got = 0;
                for (const char *q = colon + 1; got < 16 && (q = pf_u64(q, &v[got])); got++)
                    ;
                if (got < 16) {
                    /* a header or a malformed line */
                } else if (m->nnic >= AG_MAX_NICS) {
                    m->truncated++;
                } else {
                    ag_nic *n = &m->nics[m->nnic++];
                    memcpy(n->name, name, nl);
                    n->name[nl] = '\0';
                    n->rx_bytes = v[0], n->rx_packets = v[1], n->rx_errs = v[2], n->rx_drop = v[3];
                    n->tx_bytes = v[8], n->tx_packets = v[9], n->tx_errs = v[10], n->tx_drop = v[11];
                }
            }
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    m->have |= AG_HAVE_NICS;
    return 0;
}
