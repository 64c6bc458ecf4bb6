/* filesystems.c -- collector "filesystems": /proc/self/mounts + statvfs.
 *
 * Each mounts line is "device mountpoint type options 0 0", with spaces and
 * other odd bytes escaped as \NNN. Pseudo filesystems (proc, sysfs, tmpfs,
 * cgroup …), container-engine layers (/var/lib/docker/…), snaps and network
 * filesystems are skipped: a statvfs() on a dead NFS server blocks for
 * minutes, and the agent is single-threaded. A mount point mounted twice
 * keeps its last entry, the one a path lookup sees; a device mounted at
 * several places (bind mounts) keeps its shortest mount point, as df(1)
 * does. Sizes come from
 * statvfs() (tests pass a fake through ctx->statvfs_fn). */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <string.h>
#include <sys/statvfs.h>

/* Types that are never a disk (kept sorted for the reader, searched
 * linearly: the list is short and most mounts match early). */
static const char *const pseudo_types[] = {
    "autofs", "binfmt_misc", "bpf", "cgroup", "cgroup2", "configfs", "debugfs",
    "devpts", "devtmpfs", "efivarfs", "fuse.gvfsd-fuse", "fuse.lxcfs", "fuse.portal",
    "fusectl", "hugetlbfs", "mqueue", "nfsd", "nsfs", "proc", "pstore", "ramfs",
    "rootfs", "rpc_pipefs", "securityfs", "selinuxfs", "squashfs", "sysfs",
    "tmpfs", "tracefs",
    /* network filesystems: statvfs may hang on an unreachable server */
    "9p", "afs", "ceph", "cifs", "fuse.glusterfs", "fuse.sshfs", "glusterfs",
    "lustre", "ncpfs", "nfs", "nfs4", "smb3", "smbfs",
};

static const char *const skip_prefixes[] = {
    "/proc", "/sys", "/dev", "/run/credentials/", "/run/docker/", "/snap/",
    "/var/lib/docker/", "/var/lib/containers/", "/var/lib/kubelet/pods/",
};

bool ag_fs_is_real(const char *type, const char *mount)
{
    for (size_t i = 0; i < sizeof pseudo_types / sizeof pseudo_types[0]; i++)
        if (strcmp(type, pseudo_types[i]) == 0)
            return false;
    for (size_t i = 0; i < sizeof skip_prefixes / sizeof skip_prefixes[0]; i++) {
        const char *pre = skip_prefixes[i];
        size_t n = strlen(pre);
        if (strncmp(mount, pre, n) == 0 && (pre[n - 1] == '/' || mount[n] == '\0' || mount[n] == '/'))
            return false;
    }
    return mount[0] == '/';
}

int ag_fs_scan(ag_ctx *c, ag_fs *out, int max, unsigned *truncated)
{
    int (*sv)(const char *, struct statvfs *) = c->statvfs_fn ? c->statvfs_fn : statvfs;
    pf_lines r;
    if (pf_lines_open_keep(&r, c->root, "/proc/self/mounts", c->buf, c->cap) != 0)
        return -1;
    int n = 0;
    char *line;
    while ((line = pf_lines_next(&r))) {
        char dev[AG_PATH_LEN], mnt[AG_PATH_LEN], type[32];
        const char *p = pf_token_unescape(line, dev, sizeof dev);
        p = pf_token_unescape(p, mnt, sizeof mnt);
        pf_token_unescape(p, type, sizeof type);
        if (!ag_fs_is_real(type, mnt))
            continue;
        int slot = n;
        bool skip = false;
        for (int i = 0; i < n; i++) {
            if (strcmp(out[i].mount, mnt) == 0) {
                slot = i; /* remounted over: the later entry is the visible one */
                break;
            }
            if (dev[0] == '/' && strcmp(out[i].device, dev) == 0) {
                /* A bind mount of a device already listed: keep the shorter
                 * mount point, as df(1) does. */
                if (strlen(mnt) < strlen(out[i].mount))
                    slot = i;
                else
                    skip = true;
                break;
            }
        }
        if (skip)
            continue;
        if (slot == n && n >= max) {
            if (truncated)
                (*truncated)++;
            continue;
        }
        struct statvfs st;
        if (sv(mnt, &st) != 0 || st.f_blocks == 0)
            continue;
        ag_fs *f = &out[slot];
        pf_copy(f->mount, sizeof f->mount, mnt);
        pf_copy(f->device, sizeof f->device, dev);
        pf_copy(f->type, sizeof f->type, type);
        uint64_t bs = st.f_frsize ? st.f_frsize : st.f_bsize;
        f->size = (uint64_t)st.f_blocks * bs;
        f->free = (uint64_t)st.f_bfree * bs;
        f->avail = (uint64_t)st.f_bavail * bs;
        f->files = st.f_files;
        f->files_free = st.f_ffree;
        if (slot == n)
            n++;
    }
    pf_lines_close(&r);
    return n;
}

int ag_coll_filesystems(ag_ctx *c)
{
    int n = ag_fs_scan(c, c->m->fs, AG_MAX_FS, &c->m->truncated);
    if (n < 0)
        return -1;
    c->m->nfs = n;
    c->m->have |= AG_HAVE_FS;
    return 0;
}
