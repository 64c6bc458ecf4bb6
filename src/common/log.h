/* log.h -- structured logging, one line per event.
 *
 * Lines are logfmt: `ts=2026-11-25T07:55:01.123Z level=info msg=request k=v …`,
 * written with a single write() so lines from several threads never mix.
 * Values that contain spaces, quotes or control characters are quoted and
 * escaped by log_kv_str(), so user text can never forge a log field.
 */
#ifndef CAIRN_LOG_H
#define CAIRN_LOG_H

#include <stddef.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Set the lowest level that is written (default LOG_INFO). */
void log_set_level(log_level level);

/* Parse "debug", "info", "warn", "error"; returns -1 for anything else. */
int log_level_parse(const char *s);

/* Write one line: msg, then the printf-style key=value text in fmt (may be
 * NULL). The caller is responsible for quoting values with log_kv_str(). */
void log_msg(log_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write `s` into out (capacity cap) as a logfmt value: bare when safe, else
 * double-quoted with \" \\ \n and \xNN escapes; truncated values end in "…".
 * Returns out. */
const char *log_kv_str(char *out, size_t cap, const char *s);

#define log_info(msg, ...) log_msg(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_msg(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_msg(LOG_ERROR, msg, __VA_ARGS__)
#define log_debug(msg, ...) log_msg(LOG_DEBUG, msg, __VA_ARGS__)

#endif
