/* disks.c -- collector "disks": /proc/diskstats, whole disks only.
 *
 * A line is "major minor name" then 11 counters (kernel < 4.18), 15 (4.18:
 * discards) or 17 (5.5: flushes); only the first 10 are used: reads,
 * merged, sectors read, ms reading, writes, merged, sectors written, ms
 * writing, in flight, ms doing I/O. Partitions are told from disks by
 * /sys/block, which lists whole disks only (no name guessing: "nvme0n1p1",
 * "mmcblk0p1" and "sda1" all break a pattern sooner or later). The list of
 * whole disks is cached in ctx->disk_cache and re-read only when a name
 * shows up that is in neither list (hot-plug). loop and ram devices are
 * skipped. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <dirent.h>
#include <string.h>

static bool in_list(char (*list)[AG_NAME_LEN], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Re-read the whole-disk names from /sys/block. 0, or -1 when unreadable. */
static int scan_sys_block(const char *root, ag_disk_cache *dc)
{
    char path[1024];
    if (pf_path(root, "/sys/block", path, sizeof path) != 0)
        return -1;
    DIR *d = opendir(path);
    if (!d)
        return -1;
    dc->nwhole = 0;
    dc->npart = 0;
    struct dirent *e;
    while ((e = readdir(d)) && dc->nwhole < AG_MAX_DISKS) {
        if (e->d_name[0] == '.')
            continue;
        pf_copy(dc->whole[dc->nwhole++], AG_NAME_LEN, e->d_name);
    }
    closedir(d);
    dc->valid = true;
    return 0;
}

int ag_coll_disks(ag_ctx *c)
{
    ag_sample *m = c->m;
    ag_disk_cache local, *dc = c->disk_cache;
    if (!dc) {
        memset(&local, 0, sizeof local);
        dc = &local;
    }
    bool rescanned = false;
    if (!dc->valid) {
        if (scan_sys_block(c->root, dc) != 0)
            return -1;
        rescanned = true;
    }
    if (pf_read_keep(c->root, "/proc/diskstats", c->buf, c->cap, NULL) < 0)
        return -1;
    for (char *line = c->buf; *line;) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        uint64_t major, minor;
        const char *p = pf_u64(line, &major);
        if (p)
            p = pf_u64(p, &minor);
        if (p) {
            p = pf_ws(p);
            const char *name_end = pf_skip_token(p);
            char name[AG_NAME_LEN];
            size_t nl = (size_t)(name_end - p);
            if (nl >= sizeof name)
                nl = sizeof name - 1;
            memcpy(name, p, nl);
            name[nl] = '\0';
            bool wanted = strncmp(name, "loop", 4) != 0 && strncmp(name, "ram", 3) != 0;
            if (wanted && !in_list(dc->whole, dc->nwhole, name)) {
                if (!in_list(dc->part, dc->npart, name) && !rescanned) {
                    scan_sys_block(c->root, dc); /* a new device: look again */
                    rescanned = true;
                }
                if (!in_list(dc->whole, dc->nwhole, name)) {
                    if (dc->npart < (int)(sizeof dc->part / sizeof dc->part[0]) &&
                        !in_list(dc->part, dc->npart, name))
                        pf_copy(dc->part[dc->npart++], AG_NAME_LEN, name);
                    wanted = false;
                }
            }
            if (wanted) {
                if (m->ndisk >= AG_MAX_DISKS) {
                    m->truncated++;
                } else {
                    uint64_t v[10] = {0};
                    int got = 0;
                    for (const char *q = name_end; got < 10 && (q = pf_u64(q, &v[got])); got++)
                        ;
                    if (got >= 10) {
                        ag_disk *d = &m->disks[m->ndisk++];
                        memcpy(d->name, name, nl + 1);
                        d->reads = v[0], d->read_sectors = v[2];
                        d->writes = v[4], d->write_sectors = v[6];
                        d->io_ms = v[9];
                    }
                }
            }
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    m->have |= AG_HAVE_DISKS;
    return 0;
}
