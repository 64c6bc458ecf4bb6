/* facts_storage.c -- fact collector "storage": block devices and
 * filesystems.
 *
 * Disks are the entries of /sys/block with their size (the "size"
 * attribute, in 512-byte sectors whatever the device's block size), model
 * (device/model, absent for virtio) and queue/rotational. Loop, RAM, zram,
 * device-mapper and optical devices are not disks of the host and are left
 * out, as are empty ones (card readers). Filesystems are those the
 * filesystems collector measures (ag_fs_scan), with device and size. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

static const char *const skip_disks[] = {"loop", "ram", "zram", "dm-", "sr", "fd", "nbd"};

static void read_disk(ag_ctx *c, const char *name, ag_facts *f)
{
    char path[320]; /* "/sys/block/" + a d_name (< 256) + "/device/model" */
    uint64_t sectors;
    snprintf(path, sizeof path, "/sys/block/%s/size", name);
    if (pf_read_u64(c->root, path, &sectors) != 0 || sectors == 0)
        return;
    if (f->ndisk >= AG_MAX_DISKS)
        return;
    ag_fact_disk *d = &f->disks[f->ndisk++];
    pf_copy(d->name, sizeof d->name, name);
    d->size_bytes = sectors * 512;
    snprintf(path, sizeof path, "/sys/block/%s/device/model", name);
    pf_read_str(c->root, path, d->model, sizeof d->model);
    uint64_t rot;
    snprintf(path, sizeof path, "/sys/block/%s/queue/rotational", name);
    d->rotational = pf_read_u64(c->root, path, &rot) == 0 ? (rot != 0) : -1;
}

int ag_coll_facts_storage(ag_ctx *c)
{
    ag_facts *f = c->f;
    char path[1024];
    int rc = -1;
    if (pf_path(c->root, "/sys/block", path, sizeof path) == 0) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                    continue;
                bool skip = false;
                for (size_t i = 0; i < sizeof skip_disks / sizeof skip_disks[0]; i++)
                    if (strncmp(e->d_name, skip_disks[i], strlen(skip_disks[i])) == 0)
                        skip = true;
                if (!skip)
                    read_disk(c, e->d_name, f);
            }
            closedir(d);
            rc = 0;
        }
    }
    /* Sort disks by name so the facts (and their hash) do not depend on
     * readdir order. */
    for (int i = 1; i < f->ndisk; i++)
        for (int j = i; j > 0 && strcmp(f->disks[j - 1].name, f->disks[j].name) > 0; j--) {
            ag_fact_disk t = f->disks[j];
            f->disks[j] = f->disks[j - 1];
            f->disks[j - 1] = t;
        }

    ag_fs fs[AG_MAX_FS];
    int n = ag_fs_scan(c, fs, AG_MAX_FS, NULL);
    for (int i = 0; i < n && f->nfs < AG_MAX_FS; i++) {
        ag_fact_fs *o = &f->fs[f->nfs++];
        pf_copy(o->mount, sizeof o->mount, fs[i].mount);
        pf_copy(o->type, sizeof o->type, fs[i].type);
        pf_copy(o->device, sizeof o->device, fs[i].device);
        o->size_bytes = fs[i].size;
    }
    return (rc == 0 || n > 0) ? 0 : -1;
}
