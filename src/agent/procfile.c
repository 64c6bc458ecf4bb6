/* procfile.c -- see procfile.h. Plain open/read/close with O_CLOEXEC, or a
 * small table of kept descriptors rewound with lseek; the line reader keeps
 * one partial line in the caller's buffer between reads. */
#include "agent/procfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int pf_path(const char *root, const char *path, char *out, size_t cap)
{
    int n;
    if (!root || !*root || (root[0] == '/' && root[1] == '\0'))
        n = snprintf(out, cap, "%s", path);
    else
        n = snprintf(out, cap, "%s%s", root, path);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int open_at_root(const char *root, const char *path)
{
    char full[1024];
    if (pf_path(root, path, full, sizeof full) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

static struct {
    char path[256];
    int fd;
} keep[PF_KEEP_MAX];
static int nkeep;

/* A kept, rewound descriptor for root+path (opened on first use); sets
 * *kept when the caller must not close it. -1 with errno on failure. */
static int open_keep(const char *root, const char *path, bool *kept)
{
    char full[1024];
    *kept = false;
    if (pf_path(root, path, full, sizeof full) != 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (int i = 0; i < nkeep; i++) {
        if (strcmp(keep[i].path, full) != 0)
            continue;
        if (lseek(keep[i].fd, 0, SEEK_SET) == 0) {
            *kept = true;
            return keep[i].fd;
        }
        close(keep[i].fd); /* unusable: forget it, open afresh below */
        keep[i] = keep[--nkeep];
        break;
    }
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd >= 0 && nkeep < PF_KEEP_MAX && strlen(full) < sizeof keep[0].path) {
        memcpy(keep[nkeep].path, full, strlen(full) + 1);
        keep[nkeep++].fd = fd;
        *kept = true;
    }
    return fd;
}

void pf_keep_close_all(void)
{
    for (int i = 0; i < nkeep; i++)
        close(keep[i].fd);
    nkeep = 0;
}

static ssize_t read_fd(int fd, bool kept, char *buf, size_t cap, bool *truncated);

ssize_t pf_read(const char *root, const char *path, char *buf, size_t cap, bool *truncated)
{
    if (cap < 2) {
        errno = EINVAL;
        return -1;
    }
    int fd = open_at_root(root, path);
    if (fd < 0)
        return -1;
    return read_fd(fd, false, buf, cap, truncated);
}

ssize_t pf_read_keep(const char *root, const char *path, char *buf, size_t cap, bool *truncated)
{
    bool kept;
    if (cap < 2) {
        errno = EINVAL;
        return -1;
    }
    int fd = open_keep(root, path, &kept);
    if (fd < 0)
        return -1;
    return read_fd(fd, kept, buf, cap, truncated);
}

/* Read fd to EOF (or cap-1 bytes) into buf; close it unless kept. */
static ssize_t read_fd(int fd, bool kept, char *buf, size_t cap, bool *truncated)
{
    if (truncated)
        *truncated = false;
    size_t len = 0;
    ssize_t n = 0;
    while (len < cap - 1) {
        n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    int saved = errno;
    if (!kept)
        close(fd);
    if (n < 0) {
        errno = saved;
        return -1;
    }
    buf[len] = '\0';
    if (truncated && len == cap - 1)
        *truncated = true;
    return (ssize_t)len;
}

char *pf_rtrim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int pf_read_str(const char *root, const char *path, char *out, size_t cap)
{
    ssize_t n = pf_read(root, path, out, cap, NULL);
    if (n < 0) {
        if (cap)
            out[0] = '\0';
        return -1;
    }
    pf_rtrim(out);
    n = (ssize_t)strlen(out);
    return n > 0 ? (int)n : -1;
}

int pf_read_u64(const char *root, const char *path, uint64_t *out)
{
    char b[64];
    if (pf_read_str(root, path, b, sizeof b) < 0)
        return -1;
    return pf_u64(b, out) ? 0 : -1;
}

static int lines_open(pf_lines *r, const char *root, const char *path, char *buf, size_t cap, bool k)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if (cap < 2) {
        errno = EINVAL;
        return -1;
    }
    r->fd = k ? open_keep(root, path, &r->kept) : open_at_root(root, path);
    if (r->fd < 0)
        return -1;
    r->buf = buf;
    r->cap = cap - 1; /* one byte kept for the NUL of a full-buffer line */
    return 0;
}

int pf_lines_open(pf_lines *r, const char *root, const char *path, char *buf, size_t cap)
{
    return lines_open(r, root, path, buf, cap, false);
}

int pf_lines_open_keep(pf_lines *r, const char *root, const char *path, char *buf, size_t cap)
{
    return lines_open(r, root, path, buf, cap, true);
}

/* Fill the buffer after moving the unread tail to the front. Returns the
 * number of bytes added (0 at EOF or error). */
static size_t fill(pf_lines *r)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    while (!r->eof && r->end < r->cap) {
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->eof = true;
            return 0;
        }
        r->end += (size_t)n;
        return (size_t)n;
    }
    return 0;
}

char *pf_lines_next(pf_lines *r)
{
    if (r->fd < 0)
        return NULL;
    for (;;) {
        char *nl = r->end > r->start ? memchr(r->buf + r->start, '\n', r->end - r->start) : NULL;
        if (nl) {
            char *line = r->buf + r->start;
            *nl = '\0';
            r->start = (size_t)(nl - r->buf) + 1;
            if (r->skip) { /* the tail of a line that was too long */
                r->skip = false;
                continue;
            }
            return line;
        }
        if (r->start == 0 && r->end == r->cap) {
            /* A line longer than the buffer: hand out its head, drop the rest. */
            bool was_skipping = r->skip;
            r->buf[r->end] = '\0';
            r->start = r->end = 0;
            r->skip = true;
            if (!was_skipping)
                return r->buf;
            continue;
        }
        if (r->eof || fill(r) == 0) {
            if (r->end > r->start && !r->skip) { /* last line without '\n' */
                char *line = r->buf + r->start;
                r->buf[r->end] = '\0';
                r->start = r->end;
                return line;
            }
            return NULL;
        }
    }
}

void pf_lines_close(pf_lines *r)
{
    if (r->fd >= 0 && !r->kept)
        close(r->fd);
    r->fd = -1;
}

const char *pf_u64(const char *p, uint64_t *out)
{
    p = pf_ws(p);
    uint64_t v = 0;
    const char *s = p;
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
        p++;
    }
    *out = p == s ? 0 : v;
    return p == s ? NULL : p;
}

const char *pf_hex(const char *p, uint64_t *out)
{
    p = pf_ws(p);
    uint64_t v = 0;
    const char *s = p;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (*p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (*p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            break;
        v = v > (UINT64_MAX >> 4) ? UINT64_MAX : (v << 4) | d;
    }
    *out = p == s ? 0 : v;
    return p == s ? NULL : p;
}

const char *pf_double(const char *p, double *out)
{
    uint64_t ip, fp = 0;
    const char *q = pf_u64(p, &ip);
    *out = 0;
    if (!q)
        return NULL;
    double v = (double)ip;
    if (*q == '.') {
        double scale = 1;
        q++;
        while (*q >= '0' && *q <= '9') {
            if (scale < 1e15) {
                fp = fp * 10 + (uint64_t)(*q - '0');
                scale *= 10;
            }
            q++;
        }
        v += (double)fp / scale;
    }
    *out = v;
    return q;
}

const char *pf_skip_token(const char *p)
{
    p = pf_ws(p);
    while (*p && *p != ' ' && *p != '\t' && *p != '\n')
        p++;
    return p;
}

static int is_oct(char c) { return c >= '0' && c <= '7'; }

const char *pf_token_unescape(const char *p, char *out, size_t cap)
{
    size_t o = 0;
    p = pf_ws(p);
    while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
        char c = *p;
        if (c == '\\' && is_oct(p[1]) && is_oct(p[2]) && is_oct(p[3])) {
            c = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
            p += 4;
        } else {
            p++;
        }
        if (o + 1 < cap)
            out[o++] = c;
    }
    if (cap)
        out[o] = '\0';
    return p;
}

void pf_copy(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}
