/* jsonw.c -- the streaming JSON writer of jsonw.h.
 *
 * How: one buffer that doubles as needed (capped at JSONW_MAX_LEN); every
 * append first makes room, so the hot appends are a bounds check and a
 * memcpy. Strings are scanned once: a 256-entry table per mode sorts bytes
 * into "copy" (most of them, copied in runs), "escape" (controls, quote,
 * backslash; < > & in HTML-safe mode) and "non-ASCII" (the UTF-8 sequence is
 * checked; valid ones are copied, U+2028 and U+2029 escaped in HTML-safe
 * mode, each byte of an invalid one becomes U+FFFD). Structure is tracked
 * with two bit sets indexed by depth (does the container hold a value yet,
 * is it an object), which is why the depth is limited to 63.
 */
#include "common/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JSONW_MIN_CAP = 256 };

/* Byte classes for string escaping: copied as is, escaped (controls, quote,
 * backslash; < > & in HTML-safe mode), or part of a multi-byte sequence. */
enum { C_COPY = 0, C_ESC = 1, C_HIGH = 2 };

#define ROW_CTRL 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
#define ROW_ZERO 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
#define ROW_HIGH 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2
/* 0x40-0x5f: @ A-Z [ \ ] ^ _   -- the backslash escaped */
#define ROW_UPPER 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0

static const unsigned char class_plain[256] = {
    ROW_CTRL,
    /* 0x20-0x3f: the quote escaped */
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ROW_UPPER,
    ROW_ZERO, /* 0x60-0x7f: DEL is copied, as jansson does */
    ROW_HIGH, ROW_HIGH, ROW_HIGH, ROW_HIGH,
};

static const unsigned char class_html[256] = {
    ROW_CTRL,
    /* 0x20-0x3f: the quote, & < > escaped */
    0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    ROW_UPPER,
    ROW_ZERO,
    ROW_HIGH, ROW_HIGH, ROW_HIGH, ROW_HIGH,
};

void jsonw_init(jsonw *w, unsigned flags, size_t reserve)
{
    memset(w, 0, sizeof *w);
    w->flags = flags;
    w->cap = reserve < JSONW_MAX_LEN ? reserve : JSONW_MAX_LEN; /* wanted size until the first write */
}

void jsonw_free(jsonw *w)
{
    unsigned flags = w->flags;

    free(w->buf);
    memset(w, 0, sizeof *w);
    w->flags = flags;
}

bool jsonw_failed(const jsonw *w)
{
    return w->failed;
}

static void fail(jsonw *w)
{
    w->failed = true;
}

void jsonw_fail(jsonw *w)
{
    fail(w);
}

/* Grow the buffer for n more bytes and the NUL; false (and failed) when it
 * cannot. */
static bool grow(jsonw *w, size_t n)
{
    size_t need, cap;
    char *p;

    if (w->failed)
        return false;
    if (n >= JSONW_MAX_LEN - w->len) {
        fail(w);
        return false;
    }
    need = w->len + n + 1;
    cap = w->buf ? w->cap : (w->cap > JSONW_MIN_CAP ? w->cap : JSONW_MIN_CAP);
    while (cap < need)
        cap = cap > JSONW_MAX_LEN / 2 ? JSONW_MAX_LEN : cap * 2;
    p = realloc(w->buf, cap);
    if (!p) {
        fail(w);
        return false;
    }
    w->buf = p;
    w->cap = cap;
    return true;
}

/* Make room for n more bytes and the NUL (the common case inline). */
static inline bool room(jsonw *w, size_t n)
{
    if (w->buf && !w->failed && n < w->cap - w->len)
        return true;
    return grow(w, n);
}

/* Append n bytes; the room must have been made. */
static inline void put_raw(jsonw *w, const char *s, size_t n)
{
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static inline void put(jsonw *w, const char *s, size_t n)
{
    if (room(w, n))
        put_raw(w, s, n);
}

static inline void put_char(jsonw *w, char c)
{
    if (room(w, 1)) {
        w->buf[w->len++] = c;
        w->buf[w->len] = '\0';
    }
}

/* ---- structure --------------------------------------------------------- */

static inline bool in_object(const jsonw *w)
{
    return w->depth > 0 && ((w->is_obj >> w->depth) & 1u);
}

/* Before any value: the comma, or the check that a key came first. */
static bool value_start(jsonw *w)
{
    uint64_t bit = (uint64_t)1 << w->depth;

    if (w->failed)
        return false;
    if (in_object(w)) {
        if (!w->after_key) {
            fail(w);
            return false;
        }
        w->after_key = false;
        return true;
    }
    if (w->has_item & bit) {
        if (w->depth == 0) { /* a second top-level value */
            fail(w);
            return false;
        }
        put_char(w, ',');
    }
    w->has_item |= bit;
    return !w->failed;
}

static void open_container(jsonw *w, char c, bool object)
{
    uint64_t bit;

    if (!value_start(w))
        return;
    if (w->depth >= JSONW_MAX_DEPTH) {
        fail(w);
        return;
    }
    put_char(w, c);
    w->depth++;
    bit = (uint64_t)1 << w->depth;
    w->has_item &= ~bit;
    w->is_obj = object ? (w->is_obj | bit) : (w->is_obj & ~bit);
}

static void close_container(jsonw *w, char c, bool object)
{
    if (w->failed)
        return;
    if (w->depth == 0 || in_object(w) != object || w->after_key) {
        fail(w);
        return;
    }
    put_char(w, c);
    w->depth--;
}

void jsonw_object_begin(jsonw *w)
{
    open_container(w, '{', true);
}

void jsonw_object_end(jsonw *w)
{
    close_container(w, '}', true);
}

void jsonw_array_begin(jsonw *w)
{
    open_container(w, '[', false);
}

void jsonw_array_end(jsonw *w)
{
    close_container(w, ']', false);
}

/* ---- strings ----------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most len bytes, p[0] >=
 * 0x80), 0 if none: no overlong forms, no surrogates, nothing past U+10FFFF
 * (jansson's and db.c's rule). */
static inline size_t utf8_seq(const unsigned char *p, size_t len)
{
    unsigned c = p[0];

    if (c >= 0xe1 && c <= 0xec && len >= 3 && (p[1] & 0xc0u) == 0x80u && (p[2] & 0xc0u) == 0x80u)
        return 3; /* the common case (CJK): no overlong or surrogate possible */
    if (c >= 0xc2 && c <= 0xdf)
        return len >= 2 && (p[1] & 0xc0u) == 0x80u ? 2 : 0;
    if (c == 0xe0 || c == 0xed || c == 0xee || c == 0xef) {
        if (len < 3 || (p[1] & 0xc0u) != 0x80u || (p[2] & 0xc0u) != 0x80u)
            return 0;
        if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
            return 0; /* overlong; surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (len < 4 || (p[1] & 0xc0u) != 0x80u || (p[2] & 0xc0u) != 0x80u || (p[3] & 0xc0u) != 0x80u)
            return 0;
        if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
            return 0; /* overlong; past U+10FFFF */
        return 4;
    }
    return 0;
}

/* The escape of an ASCII byte that needs one, into e (7 bytes); its length. */
static size_t escape_ascii(unsigned char c, char *e)
{
    static const char hex_upper[] = "0123456789ABCDEF";
    static const char hex_lower[] = "0123456789abcdef";

    e[0] = '\\';
    switch (c) {
    case '"': e[1] = '"'; return 2;
    case '\\': e[1] = '\\'; return 2;
    case '\b': e[1] = 'b'; return 2;
    case '\f': e[1] = 'f'; return 2;
    case '\n': e[1] = 'n'; return 2;
    case '\r': e[1] = 'r'; return 2;
    case '\t': e[1] = 't'; return 2;
    default: {
        /* jansson writes controls with upper-case hex; the HTML escapes of
         * resp_json (< > &) are lower-case. Both only differ in letters. */
        const char *hex = c < 0x20 ? hex_upper : hex_lower;
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = hex[c >> 4];
        e[5] = hex[c & 15];
        return 6;
    }
    }
}

static void put_string(jsonw *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    const bool html = (w->flags & JSONW_HTML_SAFE) != 0;
    const unsigned char *cls = html ? class_html : class_plain;
    size_t i = 0, start = 0;

    /* Room for the common case (nothing to escape); escapes make more. */
    if (!room(w, n + 2))
        return;
    w->buf[w->len++] = '"';
    for (;;) {
        size_t seq, elen;
        char e[8];

        while (i < n && cls[s[i]] == C_COPY)
            i++;
        if (i >= n)
            break;
        if (cls[s[i]] == C_HIGH) {
            seq = utf8_seq(s + i, n - i);
            if (seq && !(html && seq == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] & 0xfeu) == 0xa8)) {
                i += seq; /* valid, and not U+2028/9 in HTML-safe mode */
                continue;
            }
            if (seq) {
                memcpy(e, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                elen = 6;
            } else {
                memcpy(e, "\xef\xbf\xbd", 3); /* U+FFFD for this byte */
                elen = 3;
                seq = 1;
            }
        } else {
            elen = escape_ascii(s[i], e);
            seq = 1;
        }
        /* the run before it, then the replacement; +2 keeps room for the
         * rest and the closing quote of the common case */
        if (!room(w, (i - start) + elen + (n - i) + 2))
            return;
        put_raw(w, (const char *)s + start, i - start);
        put_raw(w, e, elen);
        i += seq;
        start = i;
    }
    if (!room(w, (n - start) + 1))
        return;
    put_raw(w, (const char *)s + start, n - start);
    w->buf[w->len++] = '"';
    w->buf[w->len] = '\0';
}

void jsonw_keyn(jsonw *w, const char *key, size_t len)
{
    uint64_t bit = (uint64_t)1 << w->depth;

    if (w->failed)
        return;
    if (!in_object(w) || w->after_key || !key) {
        fail(w);
        return;
    }
    if (w->has_item & bit)
        put_char(w, ',');
    w->has_item |= bit;
    put_string(w, key, len);
    put_char(w, ':');
    w->after_key = true;
}

bool jsonw_pkey_init(jsonw_pkey *k, const char *key, size_t len, unsigned flags)
{
    jsonw t;
    bool ok;

    memset(k, 0, sizeof *k);
    jsonw_init(&t, flags, len + 16);
    put_string(&t, key ? key : "", key ? len : 0);
    put_char(&t, ':');
    ok = !t.failed && t.len <= sizeof k->text;
    if (ok) {
        memcpy(k->text, t.buf, t.len);
        k->len = t.len;
        k->flags = flags;
    }
    jsonw_free(&t);
    return ok;
}

void jsonw_key_pkey(jsonw *w, const jsonw_pkey *k)
{
    uint64_t bit = (uint64_t)1 << w->depth;

    if (w->failed)
        return;
    if (!in_object(w) || w->after_key || k->flags != w->flags || k->len < 3) {
        fail(w);
        return;
    }
    if (!room(w, k->len + 1))
        return;
    if (w->has_item & bit)
        w->buf[w->len++] = ',';
    w->has_item |= bit;
    put_raw(w, k->text, k->len);
    w->after_key = true;
}

void jsonw_key(jsonw *w, const char *key)
{
    jsonw_keyn(w, key, key ? strlen(key) : 0);
}

void jsonw_string(jsonw *w, const char *s, size_t len)
{
    if (!s && len > 0) {
        fail(w);
        return;
    }
    if (value_start(w))
        put_string(w, s ? s : "", len);
}

void jsonw_cstring(jsonw *w, const char *s)
{
    if (!s)
        jsonw_null(w);
    else
        jsonw_string(w, s, strlen(s));
}

/* ---- numbers and literals ---------------------------------------------- */

void jsonw_int(jsonw *w, int64_t v)
{
    char t[24];
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    size_t o = sizeof t;

    if (!value_start(w))
        return;
    do {
        t[--o] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        t[--o] = '-';
    put(w, t + o, sizeof t - o);
}

/* jansson's jsonp_dtostr with its default precision of 17. */
static size_t format_real(double v, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%.17g", v);
    size_t len;
    char *e;

    if (n < 0 || (size_t)n + 3 >= size)
        return 0;
    len = (size_t)n;
    for (char *p = buf; *p; p++) {
        if (*p == ',')
            *p = '.'; /* a locale's decimal comma (cairnd runs in "C") */
    }
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + len, ".0", 3); /* else it would read back as an integer */
        len += 2;
    }
    e = strchr(buf, 'e');
    if (e) { /* "1e+20" -> "1e20", "1e-05" -> "1e-5" */
        char *start = e + 1, *end;
        if (*start == '-')
            start++;
        end = start;
        if (*end == '+')
            end++;
        while (*end == '0' && end[1] != '\0')
            end++;
        if (end != start) {
            memmove(start, end, strlen(end) + 1);
            len = strlen(buf);
        }
    }
    return len;
}

void jsonw_real(jsonw *w, double v)
{
    char t[40];
    size_t n;

    if (!isfinite(v)) {
        jsonw_null(w);
        return;
    }
    if (!value_start(w))
        return;
    n = format_real(v, t, sizeof t);
    if (n == 0)
        fail(w);
    else
        put(w, t, n);
}

void jsonw_bool(jsonw *w, bool v)
{
    if (value_start(w))
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(jsonw *w)
{
    if (value_start(w))
        put(w, "null", 4);
}

/* ---- jansson values ---------------------------------------------------- */

void jsonw_json(jsonw *w, const json_t *j)
{
    const char *key;
    size_t key_len, i;
    json_t *v;

    if (w->failed)
        return;
    if (!j) {
        jsonw_null(w);
        return;
    }
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        jsonw_object_begin(w);
        json_object_keylen_foreach((json_t *)j, key, key_len, v) {
            if (w->failed)
                return;
            jsonw_keyn(w, key, key_len);
            jsonw_json(w, v);
        }
        jsonw_object_end(w);
        break;
    case JSON_ARRAY:
        jsonw_array_begin(w);
        json_array_foreach(j, i, v) {
            if (w->failed)
                return;
            jsonw_json(w, v);
        }
        jsonw_array_end(w);
        break;
    case JSON_STRING:
        jsonw_string(w, json_string_value(j), json_string_length(j));
        break;
    case JSON_INTEGER:
        jsonw_int(w, (int64_t)json_integer_value(j));
        break;
    case JSON_REAL:
        jsonw_real(w, json_real_value(j));
        break;
    case JSON_TRUE:
        jsonw_bool(w, true);
        break;
    case JSON_FALSE:
        jsonw_bool(w, false);
        break;
    case JSON_NULL:
    default:
        jsonw_null(w);
        break;
    }
}

char *jsonw_finish(jsonw *w, size_t *len)
{
    char *out = NULL;

    if (len)
        *len = 0;
    if (!w->failed && w->buf && w->depth == 0 && !w->after_key && (w->has_item & 1u)) {
        out = w->buf;
        if (len)
            *len = w->len;
        w->buf = NULL;
    }
    jsonw_free(w);
    return out;
}
