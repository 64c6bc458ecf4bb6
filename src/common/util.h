/* util.h -- small helpers shared by every module: clocks and bounded copies. */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wall-clock Unix seconds. Tests may shift it with util_set_clock_offset(). */
int64_t util_now(void);
/* Monotonic milliseconds, for durations. */
double util_mono_ms(void);
/* Copy src into dst (capacity cap, NUL-terminated). Returns -1 when src did
 * not fit (dst then holds nothing), 0 otherwise. */
int util_strcpy(char *dst, size_t cap, const char *src);
/* True when s is valid UTF-8 without NUL bytes or C0 controls other than
 * tab, LF and CR. */
bool util_utf8_valid(const char *s, size_t len);
/* Number of Unicode code points in a valid UTF-8 string. */
size_t util_utf8_len(const char *s);
/* Parse a whole decimal int64; false on any junk or overflow. */
bool util_parse_i64(const char *s, int64_t *out);

#endif
