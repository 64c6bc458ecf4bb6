/* tsdb_queue.c -- the write-behind queue between tsdb_write() and the files.
 *
 * Writing one sample with librrd costs an open, an fstat, a mmap of the
 * whole file, page faults on the header and on one row of every archive, a
 * munmap and a close: about 30 us, four times per agent report, most of
 * what a report cost. Writing n samples of one file in one update costs
 * that once. So samples are queued per series (host, kind, name) and
 * written in batches:
 *   - by the flusher thread, as soon as a series whose file exists has
 *     QUEUE_BATCH samples queued (the cost of one open/mmap spread over 32
 *     reports; the HTTP threads only append, the flusher uses the other
 *     core; when it falls far behind, the writer writes the batch itself);
 *   - by a reader, before it reads the series (charts show every accepted
 *     sample);
 *   - by the flusher thread: a new series' file is created there (creating
 *     the ~1-4 MB file took milliseconds of an agent's first report), and
 *     every flush interval (or when the journal or the queue grows past
 *     JOURNAL_MAX / QUEUE_MAX) it writes everything queued.
 * Each series is written by one thread at a time (busy flag), its samples
 * taken oldest first, so a host's files see its samples in order.
 *
 * Durability. Before tsdb_queue_add() returns, the sample is appended with
 * one write() to the journal, <root>/journal/journal.<N>, a text file of
 * lines "<host> <kind> <encoded name or _> <t:v:v…>". The data is then in
 * the kernel's page cache, so it survives a crash or kill of cairnd: the
 * next start replays every journal file, oldest first, into the files
 * (samples a file already has are left out by time). The journal is not
 * fsync'ed: a crash of the machine (power loss, kernel panic) loses what
 * the kernel had not written back yet, usually the last ~30 s -- the same
 * promise SQLite gives with synchronous=NORMAL, which cairnd uses, and
 * what librrd's own mmap writes gave before. Journals rotate when the
 * flusher writes everything: samples go to journal N+1 from that moment,
 * and journal N is removed once every series has been written.
 *
 * A batch librrd refuses (a damaged file, a full disk) is logged and
 * dropped, as the direct writes were before this queue; the samples stay
 * in the journal until the next rotation only.
 *
 * With rrdcached configured (tsdb_rrd.c) the batches go to the daemon
 * instead of the files. When it cannot be reached, a batch is put back in
 * front of its queue, the flusher tries again every RETRY_SECS, and no
 * journal is removed until everything has been sent; the queue then grows
 * in memory for as long as the daemon is away.
 *
 * All state is guarded by one mutex; the librrd writes run outside it.
 */
#include "monitor/tsdb_int.h"

#include "common/log.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    QUEUE_BATCH = 32,               /* samples of an existing file written together */
    QUEUE_BUCKETS = 16384,          /* hash buckets of the series table */
    FLUSH_DEFAULT = 300,            /* seconds, when tsdb_queue_start gets 0 */
    JOURNAL_MAX = 128 << 20,        /* bytes: rotate (and write everything) past this */
    QUEUE_MAX = 64 << 20,           /* bytes queued in memory: the same */
    LINE_MAX_LEN = 2048,            /* a journal line */
    RETRY_SECS = 10,                /* rrdcached unreachable: try again this often */
};

/* One series and its queued samples. */
typedef struct series {
    struct series *next;       /* hash chain */
    struct series *todo_next; /* on q.todo: for the flusher to write soon */
    int64_t host;
    const tsdb_kind *k;
    char *name;
    int64_t last_t;    /* newest sample queued or written, INT64_MIN = none */
    int64_t file_last; /* the file's last update (tsdb_rrd_put), or TSDB_LAST_UNKNOWN */
    char *buf;         /* n samples, each NUL-terminated */
    size_t len, cap;
    int n;
    int users;    /* threads holding this entry across an unlock */
    bool busy;    /* being written outside the lock */
    bool checked; /* written once: the file exists */
    bool on_todo;
} series;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t done; /* a series stopped being busy */
    pthread_cond_t wake; /* work for the flusher */
    series *buckets[QUEUE_BUCKETS];
    series *todo, *todo_tail; /* series for the flusher, oldest first */
    char dir[1100]; /* <root>/journal */
    int jfd;
    unsigned long long jno; /* number of the current journal */
    unsigned long long jfirst; /* oldest journal still on disk */
    size_t jbytes, queued;
    bool torn; /* the journal ends in part of a line (a write cut short) */
    bool unsent; /* a write to rrdcached failed since the last rotation */
    int flush_secs;
    time_t rotated_at; /* monotonic seconds */
    bool running, stop;
    pthread_t thread;
} q = {.mu = PTHREAD_MUTEX_INITIALIZER, .done = PTHREAD_COND_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER,
       .jfd = -1};

static time_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static unsigned hash_key(int64_t host, const tsdb_kind *k, const char *name)
{
    uint32_t h = 2166136261u ^ (uint32_t)(uintptr_t)k;
    for (int i = 0; i < 8; i++)
        h = (h ^ (uint8_t)(host >> (8 * i))) * 16777619u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % QUEUE_BUCKETS;
}

/* Put s on q.todo (the flusher writes it soon) unless it is there. Called
 * with q.mu held. */
static void todo_add(series *s)
{
    if (s->on_todo)
        return;
    s->on_todo = true;
    s->todo_next = NULL;
    if (q.todo_tail)
        q.todo_tail->todo_next = s;
    else
        q.todo = s;
    q.todo_tail = s;
    pthread_cond_signal(&q.wake);
}

/* The series (created when missing, then put on q.todo); NULL when out of
 * memory. Called with q.mu held. */
static series *get_series(int64_t host, const tsdb_kind *k, const char *name)
{
    unsigned b = hash_key(host, k, name);
    for (series *s = q.buckets[b]; s; s = s->next)
        if (s->host == host && s->k == k && strcmp(s->name, name) == 0)
            return s;
    series *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    s->host = host;
    s->k = k;
    s->last_t = INT64_MIN;
    s->file_last = TSDB_LAST_UNKNOWN;
    s->next = q.buckets[b];
    q.buckets[b] = s;
    todo_add(s);
    return s;
}

/* Append one sample to s's queue. Called with q.mu held; -1 when out of
 * memory. */
static int enqueue(series *s, int64_t t, const char *sample)
{
    size_t n = strlen(sample) + 1;
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        while (cap < s->len + n)
            cap *= 2;
        char *p = realloc(s->buf, cap);
        if (!p)
            return -1;
        s->buf = p;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, sample, n);
    s->len += n;
    s->n++;
    q.queued += n;
    s->last_t = t;
    return 0;
}

/* Put n samples taken from s (buf, owned: freed here) back in front of
 * what was queued since. Called with q.mu held. */
static void requeue(series *s, char *buf, int n)
{
    size_t len = 0;
    for (int i = 0; i < n; i++)
        len += strlen(buf + len) + 1;
    char *p = realloc(buf, len + s->len);
    if (!p) {
        log_error("tsdb_samples_dropped", "host=%lld kind=%s samples=%d err=\"out of memory\"", (long long)s->host,
                  s->k->kind, n);
        free(buf);
        return;
    }
    if (s->len)
        memcpy(p + len, s->buf, s->len);
    free(s->buf);
    s->buf = p;
    s->len += len;
    s->cap = s->len;
    s->n += n;
    q.queued += len;
    q.unsent = true;
}

/* Write s's queued samples to its file. Called and returns with q.mu held;
 * waits while another thread writes s, so samples stay in order. */
static void flush_series(series *s)
{
    char err[300];
    s->users++;
    while (s->busy)
        pthread_cond_wait(&q.done, &q.mu);
    if (s->n == 0)
        goto out;
    char *buf = s->buf;
    int n = s->n;
    int64_t last = s->file_last;
    q.queued -= s->len;
    s->buf = NULL;
    s->len = s->cap = 0;
    s->n = 0;
    s->busy = true;
    pthread_mutex_unlock(&q.mu);

    const char **argv = malloc((size_t)n * sizeof *argv);
    int rc = -2; /* out of memory: keep them, try again later */
    if (argv) {
        const char *p = buf;
        for (int i = 0; i < n; i++, p += strlen(p) + 1)
            argv[i] = p;
        rc = tsdb_rrd_put(s->host, s->k, s->name, argv, n, &last, err, sizeof err);
    } else {
        snprintf(err, sizeof err, "out of memory");
    }
    if (rc == -1)
        log_warn("tsdb_write_failed", "host=%lld kind=%s samples=%d err=\"%s\"", (long long)s->host, s->k->kind, n,
                 err);
    else if (rc == -2) /* one warning per retry comes from the flusher */
        log_debug("tsdb_write_deferred", "host=%lld kind=%s samples=%d err=\"%s\"", (long long)s->host, s->k->kind,
                  n, err);
    free(argv);

    pthread_mutex_lock(&q.mu);
    if (rc == -2) /* rrdcached unreachable: put them back in front, try later */
        requeue(s, buf, n);
    else
        free(buf);
    s->file_last = last;
    if (rc == 0)
        s->checked = true;
    if (last != TSDB_LAST_UNKNOWN && last > s->last_t)
        s->last_t = last;
    s->busy = false;
    pthread_cond_broadcast(&q.done);
out:
    if (--s->users == 0)
        pthread_cond_broadcast(&q.done); /* tsdb_queue_flush_host may wait for it */
}

/* Write every series, and wait for writes other threads have under way:
 * when it returns, every sample queued before the call is written (or put
 * back, q.unsent). Called and returns with q.mu held. */
static void flush_all(void)
{
    for (size_t b = 0; b < QUEUE_BUCKETS; b++)
        for (series *s = q.buckets[b]; s; s = s->next)
            if (s->n > 0 || s->busy)
                flush_series(s);
}

/* ---- journal ------------------------------------------------------------------ */

static int journal_path(unsigned long long no, char *out, size_t cap)
{
    return snprintf(out, cap, "%s/journal.%llu", q.dir, no) < (int)cap ? 0 : -1;
}

/* Open journal number no for appending; the fd or -1. */
static int journal_open(unsigned long long no)
{
    char path[1200];
    if (journal_path(no, path, sizeof path) < 0)
        return -1;
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

static void journal_remove(unsigned long long no)
{
    char path[1200];
    if (journal_path(no, path, sizeof path) == 0 && unlink(path) != 0 && errno != ENOENT)
        log_warn("tsdb_journal_unlink_failed", "journal=%llu err=\"%s\"", no, strerror(errno));
}

/* Queue one journal line (without journaling it again); malformed lines
 * (the last one may be cut short by a crash) are skipped. */
static void replay_line(char *line)
{
    char kind[16], enc[600], name[600];
    long long host;
    int off = 0;
    if (sscanf(line, "%lld %15s %599s %n", &host, kind, enc, &off) != 3 || off == 0)
        return;
    const tsdb_kind *k = tsdb_find_kind(kind);
    const char *sample = line + off;
    char *end;
    long long t = strtoll(sample, &end, 10);
    if (!k || end == sample || *end != ':')
        return;
    if (strcmp(enc, "_") == 0)
        name[0] = '\0';
    else if (tsdb_decode_name(enc, name, sizeof name) < 0)
        return;
    series *s = get_series(host, k, name);
    if (s && t > s->last_t)
        (void)enqueue(s, t, sample);
}

/* Replay one journal file. Returns 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
    char line[LINE_MAX_LEN];
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        if (n == 0 || line[n - 1] != '\n')
            continue; /* cut short (the end of a crashed run) or too long */
        line[n - 1] = '\0';
        replay_line(line);
    }
    fclose(f);
    return 0;
}

static int cmp_ull(const void *a, const void *b)
{
    unsigned long long x = *(const unsigned long long *)a, y = *(const unsigned long long *)b;
    return x < y ? -1 : x > y;
}

/* Replay every journal in q.dir, oldest first, write it all and remove the
 * files; q.jno becomes the next free number. Called with q.mu held, before
 * the flusher starts. Returns 0 or -1. */
static int replay_all(void)
{
    unsigned long long *nos = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    char path[1200];
    DIR *d = opendir(q.dir);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "journal.", 8) != 0)
            continue;
        unsigned long long no = strtoull(e->d_name + 8, &end, 10);
        if (end == e->d_name + 8 || *end)
            continue;
        if (n == cap) {
            size_t c2 = cap ? cap * 2 : 8;
            unsigned long long *p = realloc(nos, c2 * sizeof *p);
            if (!p)
                goto out;
            nos = p;
            cap = c2;
        }
        nos[n++] = no;
    }
    if (n > 1)
        qsort(nos, n, sizeof *nos, cmp_ull);
    for (size_t i = 0; i < n; i++)
        if (journal_path(nos[i], path, sizeof path) < 0 || replay_file(path) < 0) {
            log_error("tsdb_journal_unreadable", "journal=%llu err=\"%s\"", nos[i], strerror(errno));
            goto out;
        }
    if (n > 0)
        log_info("tsdb_journal_replayed", "files=%zu samples_bytes=%zu", n, q.queued);
    q.unsent = false;
    flush_all();
    q.jno = n > 0 ? nos[n - 1] + 1 : 1;
    q.jfirst = q.unsent && n > 0 ? nos[0] : q.jno; /* kept until a rotation succeeds */
    for (size_t i = 0; i < n && !q.unsent; i++)
        journal_remove(nos[i]);
    rc = 0;
out:
    closedir(d);
    free(nos);
    return rc;
}

/* ---- the flusher ---------------------------------------------------------------- */

/* Start journal N+1, write everything queued (all of it is in journal N or
 * N+1), then remove journal N. Called and returns with q.mu held. */
static void rotate(void)
{
    unsigned long long old = q.jno;
    int fd = journal_open(old + 1);
    if (fd < 0) {
        log_error("tsdb_journal_open_failed", "journal=%llu err=\"%s\"", old + 1, strerror(errno));
        q.rotated_at = mono_now(); /* try again next interval; keep appending to N */
        flush_all();
        return;
    }
    close(q.jfd);
    q.jfd = fd;
    q.jno = old + 1;
    q.jbytes = 0;
    q.torn = false;
    q.rotated_at = mono_now();
    q.unsent = false;
    flush_all();
    /* Journals up to N hold nothing unwritten unless a write was put back
     * (rrdcached unreachable): then they stay until a rotation succeeds. */
    if (!q.unsent) {
        for (; q.jfirst <= old; q.jfirst++)
            journal_remove(q.jfirst);
    }
}

/* Write the series on q.todo, oldest first: new ones (their file is
 * created here) and ones with a full batch. */
static void flush_todo(void)
{
    while (q.todo) {
        series *s = q.todo;
        q.todo = s->todo_next;
        if (!q.todo)
            q.todo_tail = NULL;
        s->todo_next = NULL;
        s->on_todo = false;
        flush_series(s);
    }
}

static void *flusher_main(void *arg)
{
    (void)arg;
    time_t retried_at = mono_now();
    pthread_mutex_lock(&q.mu);
    while (!q.stop) {
        /* While rrdcached is unreachable the queue only grows: the size
         * limits then do not rotate (that would only add journals); the
         * writes are tried again every RETRY_SECS. */
        bool due = mono_now() - q.rotated_at >= q.flush_secs ||
                   (!q.unsent && (q.jbytes >= JOURNAL_MAX || q.queued >= QUEUE_MAX));
        if (q.unsent && !due && mono_now() - retried_at >= RETRY_SECS) {
            retried_at = mono_now();
            q.unsent = false;
            flush_all();
            if (q.unsent)
                log_warn("tsdb_writes_deferred", "queued_bytes=%zu retry_secs=%d (rrdcached unreachable or disk full?)", q.queued,
                         RETRY_SECS);
            continue;
        }
        if (!q.todo && !due) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&q.wake, &q.mu, &until);
            continue;
        }
        flush_todo();
        if (due)
            rotate();
    }
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

/* A journal write failed (w < 0, errno set) or was cut short (w bytes
 * written): say why in err, mark a full disk (util.h), and cut the part of
 * a line off again so the next record does not run into it (the replay
 * would drop that whole line); when the cut fails, the next write starts
 * with a newline instead. Called with q.mu held. */
static void journal_write_failed(ssize_t w, char *err, size_t errlen)
{
    int e = w < 0 ? errno : ENOSPC; /* a short write is the disk filling up */
    snprintf(err, errlen, "journal write: %s", strerror(e));
    if (e == ENOSPC || e == EDQUOT)
        util_disk_full_mark();
    if (w > 0) {
        off_t end = lseek(q.jfd, 0, SEEK_CUR);
        if (end < (off_t)w || ftruncate(q.jfd, end - (off_t)w) != 0)
            q.torn = true;
    }
}

/* ---- interface -------------------------------------------------------------------- */

int tsdb_queue_start(const char *root, int flush_secs)
{
    int rc = -1;
    pthread_mutex_lock(&q.mu);
    if (q.running) {
        rc = 0;
        goto out;
    }
    if (snprintf(q.dir, sizeof q.dir, "%s/journal", root) >= (int)sizeof q.dir ||
        (mkdir(q.dir, 0700) != 0 && errno != EEXIST)) {
        log_error("tsdb_journal_dir_failed", "err=\"%s\"", strerror(errno));
        goto out;
    }
    q.flush_secs = flush_secs > 0 ? flush_secs : FLUSH_DEFAULT;
    if (replay_all() < 0)
        goto out;
    q.jfd = journal_open(q.jno);
    if (q.jfd < 0) {
        log_error("tsdb_journal_open_failed", "journal=%llu err=\"%s\"", q.jno, strerror(errno));
        goto out;
    }
    q.jbytes = 0;
    q.rotated_at = mono_now();
    q.stop = false;
    if (pthread_create(&q.thread, NULL, flusher_main, NULL) != 0) {
        close(q.jfd);
        q.jfd = -1;
        goto out;
    }
    q.running = true;
    rc = 0;
out:
    pthread_mutex_unlock(&q.mu);
    return rc;
}

int tsdb_queue_add(int64_t host, int64_t t, tsdb_item *items, int n, char *err, size_t errlen)
{
    char stack[8192], *buf = stack, enc[600];
    size_t cap = sizeof stack, len = 0;
    int rc = -2;
    pthread_mutex_lock(&q.mu);
    if (!q.running) {
        snprintf(err, errlen, "tsdb is not started");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        tsdb_item *it = &items[i];
        it->s = NULL;
        it->rc = -1;
        if (*it->name && tsdb_encode_name(it->name, enc, sizeof enc) < 0) {
            snprintf(err, errlen, "series name too long");
            continue;
        }
        if (!(it->s = get_series(host, it->k, it->name))) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        if (t <= it->s->last_t) {
            it->rc = 1;
            it->s = NULL;
            continue;
        }
        if (cap - len < LINE_MAX_LEN) {
            char *p = buf == stack ? malloc(cap * 2) : realloc(buf, cap * 2);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            if (buf == stack)
                memcpy(p, stack, len);
            buf = p;
            cap *= 2;
        }
        int l = snprintf(buf + len, LINE_MAX_LEN, "%lld %s %s %s\n", (long long)host, it->k->kind,
                         *it->name ? enc : "_", it->sample);
        if (l < 0 || l >= LINE_MAX_LEN) {
            snprintf(err, errlen, "sample too long");
            it->s = NULL;
            continue;
        }
        len += (size_t)l;
    }
    /* Journal first: once write() returns, a crash of cairnd loses nothing. */
    if (q.torn && len && write(q.jfd, "\n", 1) != 1) {
        journal_write_failed(-1, err, errlen);
        goto out;
    }
    q.torn = false;
    ssize_t w = len ? write(q.jfd, buf, len) : 0;
    if (w != (ssize_t)len) {
        journal_write_failed(w, err, errlen);
        goto out; /* nothing was queued */
    }
    q.jbytes += len;
    for (int i = 0; i < n; i++) {
        if (!items[i].s)
            continue;
        if (enqueue(items[i].s, t, items[i].sample) < 0) {
            snprintf(err, errlen, "out of memory");
            goto out; /* journaled but not queued: the next start writes it */
        }
        items[i].rc = 0;
    }
    rc = 0;
    /* A full batch goes to the flusher, which has a core to itself while
     * the HTTP threads answer; only when it falls far behind does the
     * writer write the batch itself. Not while rrdcached is unreachable:
     * the flusher retries then. */
    for (int i = 0; i < n; i++) {
        series *s = items[i].rc == 0 ? items[i].s : NULL;
        if (!s || !s->checked || s->n < QUEUE_BATCH || q.unsent)
            continue;
        if (q.queued >= 2 * (size_t)QUEUE_MAX)
            flush_series(s);
        else
            todo_add(s);
    }
    if (q.jbytes >= JOURNAL_MAX || q.queued >= QUEUE_MAX)
        pthread_cond_signal(&q.wake);
out:
    pthread_mutex_unlock(&q.mu);
    if (buf != stack)
        free(buf);
    return rc;
}

void tsdb_queue_flush(int64_t host, const tsdb_kind *k, const char *name)
{
    pthread_mutex_lock(&q.mu);
    unsigned b = hash_key(host, k, name);
    for (series *s = q.buckets[b]; s; s = s->next)
        if (s->host == host && s->k == k && strcmp(s->name, name) == 0) {
            flush_series(s);
            break;
        }
    pthread_mutex_unlock(&q.mu);
}

/* Unlink s from q.todo if it is there. Called with q.mu held. */
static void untodo(series *s)
{
    series *prev = NULL;
    for (series *x = q.todo; x; prev = x, x = x->todo_next)
        if (x == s) {
            if (prev)
                prev->todo_next = s->todo_next;
            else
                q.todo = s->todo_next;
            if (q.todo_tail == s)
                q.todo_tail = prev;
            break;
        }
    s->todo_next = NULL;
    s->on_todo = false;
}

void tsdb_queue_flush_host(int64_t host, bool forget)
{
    pthread_mutex_lock(&q.mu);
    for (size_t b = 0; b < QUEUE_BUCKETS; b++) {
        series **pp = &q.buckets[b];
        while (*pp) {
            series *s = *pp;
            if (s->host != host) {
                pp = &s->next;
                continue;
            }
            flush_series(s);
            if (!forget) {
                pp = &s->next;
                continue;
            }
            for (;;) { /* until no other thread holds it and nothing is queued */
                if (s->n > 0 && !s->busy)
                    flush_series(s);
                else if (s->users == 0 && !s->busy && s->n == 0)
                    break;
                else
                    pthread_cond_wait(&q.done, &q.mu);
            }
            for (pp = &q.buckets[b]; *pp != s; pp = &(*pp)->next)
                ; /* the chain may have grown at its head meanwhile */
            *pp = s->next;
            if (s->on_todo)
                untodo(s);
            free(s->buf);
            free(s->name);
            free(s);
        }
    }
    pthread_mutex_unlock(&q.mu);
}

void tsdb_queue_stop(bool flush)
{
    pthread_mutex_lock(&q.mu);
    if (!q.running) {
        pthread_mutex_unlock(&q.mu);
        return;
    }
    q.stop = true;
    pthread_cond_signal(&q.wake);
    pthread_mutex_unlock(&q.mu);
    pthread_join(q.thread, NULL);

    pthread_mutex_lock(&q.mu);
    q.unsent = false;
    if (flush)
        flush_all();
    close(q.jfd);
    q.jfd = -1;
    for (; flush && !q.unsent && q.jfirst <= q.jno; q.jfirst++)
        journal_remove(q.jfirst);
    for (size_t b = 0; b < QUEUE_BUCKETS; b++) {
        while (q.buckets[b]) {
            series *s = q.buckets[b];
            q.buckets[b] = s->next;
            free(s->buf);
            free(s->name);
            free(s);
        }
    }
    q.todo = q.todo_tail = NULL;
    q.queued = 0;
    q.running = false;
    pthread_mutex_unlock(&q.mu);
}
