/* sbuf.h -- a growable byte buffer, always NUL-terminated.
 *
 * An allocation failure makes the buffer sticky-failed: later appends do
 * nothing and sbuf_failed() reports it, so callers check once at the end
 * instead of after every append (the pattern of git's strbuf, with an error
 * flag instead of die()).
 */
#ifndef CAIRN_SBUF_H
#define CAIRN_SBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    bool failed;
} sbuf;

#define SBUF_INIT {NULL, 0, 0, false}

void sbuf_init(sbuf *b);
/* Append n bytes. Returns 0, or -1 when memory ran out (buffer marked failed). */
int sbuf_append(sbuf *b, const void *p, size_t n);
int sbuf_puts(sbuf *b, const char *s);
int sbuf_putc(sbuf *b, char c);
int sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents ("" when empty); valid until the next append or free. */
const char *sbuf_str(const sbuf *b);
bool sbuf_failed(const sbuf *b);
/* Hand the malloc'd string to the caller (never NULL unless failed) and reset. */
char *sbuf_steal(sbuf *b);
void sbuf_free(sbuf *b);

#endif
