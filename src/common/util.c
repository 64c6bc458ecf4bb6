/* util.c -- see util.h. The clock offset is read once from the environment
 * (pthread_once) and kept in an atomic, so util_now() costs one time() call
 * and one load on every thread. */
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic int64_t clock_offset;
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

static void clock_init(void)
{
    const char *s = getenv(UTIL_CLOCK_ENV);
    int64_t v;
    if (s && util_parse_i64(s, &v) && v > -(INT64_C(1) << 40) && v < (INT64_C(1) << 40))
        atomic_store(&clock_offset, v);
}

int64_t util_now(void)
{
    pthread_once(&clock_once, clock_init);
    return (int64_t)time(NULL) + atomic_load(&clock_offset);
}

void util_set_clock_offset(int64_t seconds)
{
    pthread_once(&clock_once, clock_init);
    atomic_store(&clock_offset, seconds);
}

int64_t util_clock_offset(void)
{
    pthread_once(&clock_once, clock_init);
    return atomic_load(&clock_offset);
}

double util_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int util_strcpy(char *dst, size_t cap, const char *src)
{
    if (!cap)
        return -1;
    size_t n = strlen(src);
    if (n >= cap) {
        dst[0] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

bool util_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n;
        unsigned cp;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                return false;
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1, cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2, cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3, cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

/* Length of the valid UTF-8 sequence at p (1–4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
    unsigned c = p[0];
    size_t n;
    unsigned cp;
    if (c < 0x80)
        return c ? 1 : 0;
    if ((c & 0xe0) == 0xc0)
        n = 1, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
        n = 2, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
        n = 3, cp = c & 0x07;
    else
        return 0;
    if (left <= n)
        return 0;
    for (size_t i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n + 1;
}

char *util_utf8_sanitize(const char *s, size_t len, size_t *outlen)
{
    char *out = malloc(len * 3 + 1), *o = out;
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        size_t n = utf8_seq(p, (size_t)(end - p));
        if (n) {
            memcpy(o, p, n);
            o += n, p += n;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3, p++;
        }
    }
    *o = '\0';
    if (outlen)
        *outlen = (size_t)(o - out);
    return out;
}

size_t util_utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xc0) != 0x80)
            n++;
    return n;
}

bool util_parse_i64(const char *s, int64_t *out)
{
    /* strtoll alone would also take " 5", "+5" and "0x5"-free junk before
     * the digits; a number here is an optional '-' and digits, nothing else. */
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return false;
    *out = (int64_t)v;
    return true;
}

const char *util_list_next(const char **p, size_t *len)
{
    const char *s = *p + strspn(*p, " \t,");
    *len = strcspn(s, " \t,");
    *p = s + *len;
    return *len ? s : NULL;
}

static _Thread_local bool disk_full;

void util_disk_full_mark(void) { disk_full = true; }
void util_disk_full_clear(void) { disk_full = false; }
bool util_disk_full(void) { return disk_full; }
