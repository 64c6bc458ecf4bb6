/* sbuf.c -- see sbuf.h. Capacity doubles; the buffer is capped at 1 GiB. */
#include "common/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SBUF_MAX ((size_t)1 << 30)

void sbuf_init(sbuf *b) { *b = (sbuf)SBUF_INIT; }

static int sbuf_grow(sbuf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra > SBUF_MAX || b->len + extra + 1 > SBUF_MAX) {
        b->failed = true;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int sbuf_append(sbuf *b, const void *p, size_t n)
{
    if (sbuf_grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int sbuf_puts(sbuf *b, const char *s) { return sbuf_append(b, s, strlen(s)); }

int sbuf_putc(sbuf *b, char c) { return sbuf_append(b, &c, 1); }

int sbuf_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sbuf_grow(b, (size_t)n) < 0) {
        b->failed = true;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *sbuf_str(const sbuf *b) { return b->data ? b->data : ""; }

bool sbuf_failed(const sbuf *b) { return b->failed; }

char *sbuf_steal(sbuf *b)
{
    if (b->failed) {
        sbuf_free(b);
        return NULL;
    }
    char *s = b->data ? b->data : strdup("");
    *b = (sbuf)SBUF_INIT;
    return s;
}

void sbuf_free(sbuf *b)
{
    free(b->data);
    *b = (sbuf)SBUF_INIT;
}
