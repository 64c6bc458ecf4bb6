/* spool.c -- see spool.h. Files are named by seq, the index is a sorted
 * array of seqs, and jansson is used only off the hot path: to check a file
 * before replaying it and to read the `dropped` count of a file that is
 * evicted. */
#include "agent/spool.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/procfile.h"
#include "agent/state.h"
#include "common/log.h"

#define SPOOL_FILE_MAX (4u << 20) /* a spooled report is never this big */

static int file_path(const ag_spool *s, uint64_t seq, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%012" PRIu64 ".json", s->dir, seq);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static void save_dropped(ag_spool *s)
{
    char path[4100], b[32];
    snprintf(path, sizeof path, "%s/dropped", s->dir);
    int n = snprintf(b, sizeof b, "%" PRIu64 "\n", s->dropped);
    if (ag_write_atomic(path, b, (size_t)n, 0600, false) != 0)
        log_warn("spool counter not saved", "errno=%d", errno);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int reserve(ag_spool *s, size_t need)
{
    if (need <= s->cap)
        return 0;
    size_t cap = s->cap ? s->cap : 64;
    while (cap < need)
        cap *= 2;
    uint64_t *p = realloc(s->seqs, cap * sizeof *p);
    if (!p)
        return -1;
    s->seqs = p;
    s->cap = cap;
    return 0;
}

int ag_spool_open(ag_spool *s, const char *state_dir, size_t max)
{
    memset(s, 0, sizeof *s);
    s->max = max ? max : 1;
    int n = snprintf(s->dir, sizeof s->dir, "%s/spool", state_dir);
    if (n < 0 || (size_t)n >= sizeof s->dir)
        return -1;
    if (mkdir(s->dir, 0700) != 0 && errno != EEXIST)
        return -1;
    DIR *d = opendir(s->dir);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        uint64_t seq;
        const char *end = pf_u64(nm, &seq);
        if (!end || nm[0] == ' ' || strcmp(end, ".json") != 0)
            continue;
        if (reserve(s, s->n + 1) != 0) {
            rc = -1;
            break;
        }
        s->seqs[s->n++] = seq;
    }
    closedir(d);
    if (rc != 0) {
        ag_spool_close(s);
        return -1;
    }
    if (s->n > 1)
        qsort(s->seqs, s->n, sizeof *s->seqs, cmp_u64);
    char path[4100], b[32];
    snprintf(path, sizeof path, "%s/dropped", s->dir);
    if (ag_read_small(path, b, sizeof b) > 0)
        pf_u64(b, &s->dropped);
    ag_spool_set_max(s, s->max);
    return 0;
}

void ag_spool_close(ag_spool *s)
{
    free(s->seqs);
    s->seqs = NULL;
    s->n = s->cap = 0;
}

/* The `dropped` field of a spooled report (0 when unreadable). */
static uint64_t file_dropped(const char *path)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    uint64_t v = 0;
    json_t *d = j ? json_object_get(j, "dropped") : NULL;
    if (json_is_integer(d) && json_integer_value(d) > 0)
        v = (uint64_t)json_integer_value(d);
    json_decref(j);
    return v;
}

/* Remove the n oldest entries from the index and their files; with lost,
 * count them (and what they carried) as dropped. */
static void remove_oldest(ag_spool *s, size_t n, bool lost)
{
    if (n > s->n)
        n = s->n;
    for (size_t i = 0; i < n; i++) {
        char path[4100];
        if (file_path(s, s->seqs[i], path, sizeof path) != 0)
            continue;
        if (lost)
            s->dropped += 1 + file_dropped(path);
        if (unlink(path) != 0 && errno != ENOENT)
            log_warn("spool file not deleted", "seq=%" PRIu64 " errno=%d", s->seqs[i], errno);
    }
    if (n == 0)
        return;
    memmove(s->seqs, s->seqs + n, (s->n - n) * sizeof *s->seqs);
    s->n -= n;
    if (lost && n)
        save_dropped(s);
}

void ag_spool_set_max(ag_spool *s, size_t max)
{
    s->max = max ? max : 1;
    if (s->n > s->max)
        remove_oldest(s, s->n - s->max, true);
}

int ag_spool_put(ag_spool *s, uint64_t seq, const char *json, size_t len)
{
    char path[4100];
    if (file_path(s, seq, path, sizeof path) != 0 || reserve(s, s->n + 1) != 0 ||
        ag_write_atomic(path, json, len, 0600, true) != 0) {
        ag_spool_add_dropped(s, 1);
        return -1;
    }
    /* Keep the index sorted (seqs normally arrive in order). */
    size_t i = s->n;
    while (i > 0 && s->seqs[i - 1] > seq)
        i--;
    if (i > 0 && s->seqs[i - 1] == seq) {
        /* the same seq again (should not happen): the file was replaced */
    } else {
        memmove(s->seqs + i + 1, s->seqs + i, (s->n - i) * sizeof *s->seqs);
        s->seqs[i] = seq;
        s->n++;
    }
    if (s->n > s->max)
        remove_oldest(s, s->n - s->max, true);
    return 0;
}

size_t ag_spool_count(const ag_spool *s) { return s->n; }

uint64_t ag_spool_last_seq(const ag_spool *s) { return s->n ? s->seqs[s->n - 1] : 0; }

int ag_spool_batch(ag_spool *s, size_t max_reports, size_t max_bytes, sbuf *body)
{
    body->len = 0;
    if (body->data)
        body->data[0] = '\0';
    sbuf_puts(body, "{\"reports\":[");
    size_t count = 0;
    char *text = NULL;
    while (count < s->n && count < max_reports) {
        char path[4100] = "";
        bool trunc = false;
        ssize_t len = -1;
        struct stat st;
        if (file_path(s, s->seqs[count], path, sizeof path) == 0 && stat(path, &st) == 0 &&
            st.st_size > 0 && (size_t)st.st_size < SPOOL_FILE_MAX) {
            if (count > 0 && body->len + (size_t)st.st_size > max_bytes)
                break;
            free(text);
            text = malloc((size_t)st.st_size + 2);
            if (!text)
                return -1;
            len = pf_read("/", path, text, (size_t)st.st_size + 2, &trunc);
        }
        json_error_t err;
        json_t *j = (len > 0 && !trunc) ? json_loadb(text, (size_t)len, 0, &err) : NULL;
        bool ok = json_is_object(j);
        json_decref(j);
        if (!ok) {
            /* Unreadable or damaged: it can never be replayed. Remove it
             * from the index at position `count` and count it. */
            log_warn("spool file unusable, dropped", "seq=%" PRIu64, s->seqs[count]);
            if (path[0])
                unlink(path);
            memmove(s->seqs + count, s->seqs + count + 1, (s->n - count - 1) * sizeof *s->seqs);
            s->n--;
            ag_spool_add_dropped(s, 1);
            continue;
        }
        if (count > 0)
            sbuf_putc(body, ',');
        sbuf_append(body, text, (size_t)len);
        count++;
    }
    free(text);
    sbuf_puts(body, "]}");
    if (sbuf_failed(body))
        return -1;
    return (int)count;
}

void ag_spool_ack(ag_spool *s, size_t n) { remove_oldest(s, n, false); }

void ag_spool_discard(ag_spool *s, size_t n) { remove_oldest(s, n, true); }

void ag_spool_add_dropped(ag_spool *s, uint64_t n)
{
    s->dropped += n;
    save_dropped(s);
}

uint64_t ag_spool_take_dropped(ag_spool *s)
{
    uint64_t v = s->dropped;
    if (v) {
        s->dropped = 0;
        save_dropped(s);
    }
    return v;
}

uint64_t ag_spool_dropped_pending(const ag_spool *s) { return s->dropped; }
