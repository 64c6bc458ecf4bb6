/* jsonw.h -- a small streaming JSON writer.
 *
 * Writes compact JSON text into one growing buffer, value by value, with no
 * intermediate tree: the hot list answers (a page of 50 hosts, ~40 KB) are
 * written straight from the database's cells. Output is byte-identical to
 * jansson's json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) of the same value:
 *   - strings: \" \\ \b \f \n \r \t, other control characters as \u00XX
 *     (upper-case hex, like jansson), everything else -- DEL and all of
 *     non-ASCII included -- copied as is;
 *   - integers in decimal; reals as jansson prints them ("%.17g", with ".0"
 *     added when the result would read as an integer, exponent without '+'
 *     or leading zeros: 0.10000000000000001, 1e20, 100.0);
 * plus, with JSONW_HTML_SAFE (what cairnd's responses use), < > & U+2028 and
 * U+2029 inside strings as \u003c \u003e \u0026 \u2028 \u2029 (lower-case,
 * like http.c's resp_json), so text never reads as markup or ends a script.
 *
 * Input text need not be valid UTF-8: each byte of an invalid sequence is
 * written as U+FFFD (the rule db_query() applies to SQLite text), so the
 * output is always valid UTF-8 and valid JSON.
 *
 * Structure is checked as it is written: a key outside an object, a value
 * without its key inside one, a second top-level value, unbalanced ends,
 * nesting deeper than JSONW_MAX_DEPTH or output past JSONW_MAX_LEN all make
 * the writer fail. Failure (including out of memory) is sticky: later calls
 * do nothing, and jsonw_finish() returns NULL, so callers check once at the
 * end, as with sbuf.
 */
#ifndef CAIRN_JSONW_H
#define CAIRN_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    JSONW_HTML_SAFE = 1u << 0, /* escape < > & U+2028 U+2029 in strings */
};

#define JSONW_MAX_DEPTH 63
#define JSONW_MAX_LEN ((size_t)1 << 30)

typedef struct {
    char *buf; /* the text so far, NUL-terminated; NULL before the first write */
    size_t len;
    size_t cap;
    unsigned flags;
    bool failed;
    bool after_key;    /* a key was written; its value comes next */
    int depth;         /* open containers */
    uint64_t has_item; /* bit d: the container at depth d holds a value (d 0: top level) */
    uint64_t is_obj;   /* bit d: the container at depth d is an object */
} jsonw;

/* Start an empty writer. flags: JSONW_* bits. reserve: bytes to allocate at
 * the first write (0 for a small default), to spare reallocations when the
 * size is roughly known. Never fails; nothing to free until the first
 * write. */
void jsonw_init(jsonw *w, unsigned flags, size_t reserve);

/* Containers. Each begin must be closed by the matching end. */
void jsonw_object_begin(jsonw *w);
void jsonw_object_end(jsonw *w);
void jsonw_array_begin(jsonw *w);
void jsonw_array_end(jsonw *w);

/* The key of the next member of the current object (escaped as a string).
 * jsonw_key takes a NUL-terminated key, jsonw_keyn `len` bytes. */
void jsonw_key(jsonw *w, const char *key);
void jsonw_keyn(jsonw *w, const char *key, size_t len);

/* A key escaped once and written many times (the column names of every row
 * of a page): k->text is '"key":' as a writer with k->flags writes it. */
#define JSONW_PKEY_MAX 120
typedef struct {
    unsigned flags;
    size_t len;
    char text[JSONW_PKEY_MAX];
} jsonw_pkey;

/* Prepare `len` bytes of key for writers made with `flags`. Returns false
 * (k then holds nothing usable) when the escaped key does not fit
 * JSONW_PKEY_MAX or memory ran out. */
bool jsonw_pkey_init(jsonw_pkey *k, const char *key, size_t len, unsigned flags);

/* Write the key k was prepared from, as jsonw_keyn() would. Fails w when k
 * was prepared for other flags, or was not prepared. */
void jsonw_key_pkey(jsonw *w, const jsonw_pkey *k);

/* Values. jsonw_string writes `len` bytes of s (which may contain NULs:
 * written as \u0000); jsonw_cstring a NUL-terminated string (NULL writes
 * null). jsonw_real writes null for NaN and infinities, which JSON cannot
 * hold (jansson refuses to make such reals). */
void jsonw_string(jsonw *w, const char *s, size_t len);
void jsonw_cstring(jsonw *w, const char *s);
void jsonw_int(jsonw *w, int64_t v);
void jsonw_real(jsonw *w, double v);
void jsonw_bool(jsonw *w, bool v);
void jsonw_null(jsonw *w);

/* Any jansson value (borrowed), written exactly as json_dumps would, object
 * members in their order. NULL writes null. Fails past JSONW_MAX_DEPTH. */
void jsonw_json(jsonw *w, const json_t *j);

/* True once anything went wrong (see the top). */
bool jsonw_failed(const jsonw *w);

/* Mark the writer failed for a reason of the caller's (e.g. it ran out of
 * memory preparing a value), so that jsonw_finish() returns NULL. */
void jsonw_fail(jsonw *w);

/* Take the finished text: a malloc'd NUL-terminated string the caller
 * frees, with its length in *len (may be NULL). Returns NULL -- and frees
 * the buffer -- when the writer failed, nothing was written, or a container
 * or key is still open. The writer is empty afterwards (init flags kept). */
char *jsonw_finish(jsonw *w, size_t *len);

/* Free the buffer and reset the writer. Safe to call more than once. */
void jsonw_free(jsonw *w);

#endif
