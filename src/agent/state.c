/* state.c -- see state.h. Files are written with open(O_EXCL)/write/
 * fsync/rename; the sequence file holds one decimal number. */
#include "agent/state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/procfile.h"

static void sync_dir_of(const char *path)
{
    char dir[4096];
    pf_copy(dir, sizeof dir, path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int ag_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool sync)
{
    char tmp[4200];
    int fd = -1, saved = 0;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unlink(tmp); /* left over by a crash */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto fail;
        p += w;
        left -= (size_t)w;
    }
    if (sync && fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0)
        goto fail;
    if (sync)
        sync_dir_of(path);
    return 0;
fail:
    saved = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    errno = saved;
    return -1;
}

ssize_t ag_read_small(const char *path, char *buf, size_t cap)
{
    bool trunc;
    ssize_t n = pf_read("/", path, buf, cap, &trunc);
    if (n < 0 || trunc)
        return -1;
    return n;
}

static int seq_reserve(ag_seq *s)
{
    char b[32];
    uint64_t limit = s->next + AG_SEQ_BLOCK;
    int n = snprintf(b, sizeof b, "%" PRIu64 "\n", limit);
    if (ag_write_atomic(s->path, b, (size_t)n, 0600, true) != 0) {
        s->limit = limit; /* go on in memory; the caller logs the failure */
        return -1;
    }
    s->limit = limit;
    return 0;
}

int ag_seq_open(ag_seq *s, const char *state_dir, uint64_t at_least)
{
    memset(s, 0, sizeof *s);
    int n = snprintf(s->path, sizeof s->path, "%s/seq", state_dir);
    if (n < 0 || (size_t)n >= sizeof s->path)
        return -1;
    char b[64];
    uint64_t stored = 0;
    if (ag_read_small(s->path, b, sizeof b) > 0)
        pf_u64(b, &stored);
    s->next = stored > at_least ? stored : at_least;
    if (s->next == 0)
        s->next = 1;
    return seq_reserve(s);
}

int ag_seq_next(ag_seq *s, uint64_t *out)
{
    int rc = 0;
    if (s->next >= s->limit)
        rc = seq_reserve(s);
    *out = s->next++;
    return rc;
}

bool ag_token_valid(const char *t)
{
    if (strncmp(t, "cairnh_", 7) != 0)
        return false;
    size_t n = 0;
    for (const char *p = t + 7; *p; p++, n++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    return n >= 16 && n <= 200;
}

int ag_token_load(const char *state_dir, char *buf, size_t cap)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/token", state_dir);
    if (n < 0 || (size_t)n >= sizeof path || ag_read_small(path, buf, cap) < 0) {
        if (cap)
            buf[0] = '\0';
        return -1;
    }
    pf_rtrim(buf);
    if (!ag_token_valid(buf)) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}

int ag_token_save(const char *state_dir, const char *token)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/token", state_dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    char b[300];
    n = snprintf(b, sizeof b, "%s\n", token);
    if (n < 0 || (size_t)n >= sizeof b)
        return -1;
    return ag_write_atomic(path, b, (size_t)n, 0600, true);
}
