/* util.h -- small helpers shared by every module: clocks and bounded copies. */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The environment variable that shifts util_now() by a number of seconds
 * (tests only: it lets a test run cairnd "an hour later" to check session,
 * token and lockout expiry without waiting). Read once; cairnd logs a
 * warning at start-up when it is set. */
#define UTIL_CLOCK_ENV "CAIRN_TEST_CLOCK_OFFSET"

/* Wall-clock Unix seconds, plus the test clock offset (normally 0). */
int64_t util_now(void);
/* Set the offset added to util_now() (unit tests). */
void util_set_clock_offset(int64_t seconds);
/* The offset in effect (0 unless CAIRN_TEST_CLOCK_OFFSET or a test set it). */
int64_t util_clock_offset(void);
/* Monotonic milliseconds, for durations. */
double util_mono_ms(void);
/* Copy src into dst (capacity cap, NUL-terminated). Returns -1 when src did
 * not fit (dst then holds nothing), 0 otherwise. */
int util_strcpy(char *dst, size_t cap, const char *src);
/* True when s is valid UTF-8 without NUL bytes or C0 controls other than
 * tab, LF and CR. */
bool util_utf8_valid(const char *s, size_t len);
/* Copy len bytes of s into a malloc'd NUL-terminated string in which every
 * invalid UTF-8 sequence and NUL byte is replaced by U+FFFD, so that
 * arbitrary program output can go into JSON and text columns. NULL when out
 * of memory. */
char *util_utf8_sanitize(const char *s, size_t len, size_t *outlen);
/* Number of Unicode code points in a valid UTF-8 string. */
size_t util_utf8_len(const char *s);
/* Parse a whole decimal int64 (an optional '-' then digits: no spaces, no
 * '+'); false on anything else or overflow. */
bool util_parse_i64(const char *s, int64_t *out);

/* The next item of a list separated by commas, spaces or tabs ("a, b c"):
 * returns where it starts and sets *len; *p moves past it. NULL when no
 * item is left. */
const char *util_list_next(const char **p, size_t *len);

/* "The disk is full" for the current request. Whatever fails to store for
 * lack of space (a database statement, a journal write) marks the calling
 * thread; the HTTP layer clears the mark before each handler and, when it
 * is set, answers a failure with 507 "the server's disk is full" instead of
 * a bare 500, so a user knows what to fix and an agent keeps its spool.
 * Thread-local: handlers on other threads never see it. */
void util_disk_full_mark(void);
void util_disk_full_clear(void);
bool util_disk_full(void);

#endif
