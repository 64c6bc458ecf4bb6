/* procfile.h -- reading /proc and /sys files into fixed buffers.
 *
 * Every path is taken relative to a root prefix (ag_ctx.root), so the same
 * code reads the live system or a fixture tree. Files are read with plain
 * open/read/close (or kept open and rewound, for the files read every
 * collection) into a buffer the caller owns: no stdio, no allocation.
 * Number parsers walk a NUL-terminated buffer in place and return the
 * position after what they consumed.
 */
#ifndef CAIRN_AGENT_PROCFILE_H
#define CAIRN_AGENT_PROCFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent.h"

/* Join root and path ("/proc/stat") into out (capacity cap). Returns 0, or
 * -1 when the result would not fit. */
int pf_path(const char *root, const char *path, char *out, size_t cap);

/* Read the file root+path into buf (capacity cap), NUL-terminated. Reads
 * until EOF or until cap-1 bytes (the rest is not read; *truncated, when not
 * NULL, says so). Returns the byte count, or -1 with errno set when the file
 * cannot be opened or read. */
ssize_t pf_read(const char *root, const char *path, char *buf, size_t cap, bool *truncated);

/* As pf_read, but the file is kept open between calls and rewound
 * (lseek to 0: procfs, sysfs and seq_file regenerate the content), which
 * saves the path walk, open and close on every collection. For the dozen
 * files metric collectors read each interval; at most PF_KEEP_MAX files are
 * kept, later ones are opened and closed as usual. Not thread-safe (the
 * agent has one thread). */
#define PF_KEEP_MAX 32
ssize_t pf_read_keep(const char *root, const char *path, char *buf, size_t cap, bool *truncated);

/* Close every kept file (at exit, or in tests between fixture trees). */
void pf_keep_close_all(void);

/* Read a small one-value file (sysfs attributes) into out, with trailing
 * whitespace removed. Returns the length, or -1 when unreadable or empty. */
int pf_read_str(const char *root, const char *path, char *out, size_t cap);

/* Read a file holding one decimal integer. Returns 0, or -1. */
int pf_read_u64(const char *root, const char *path, uint64_t *out);

/* A line reader for files larger than any sensible buffer (/proc/net/tcp on
 * a busy server). The caller provides the buffer; a line longer than it is
 * cut to the buffer's size and the rest of that line skipped. */
typedef struct {
    int fd;
    char *buf;
    size_t cap, start, end;
    bool eof, skip, kept;
} pf_lines;

/* Open root+path for line reading with buf (capacity cap >= 2). Returns 0,
 * or -1 with errno set (nothing to close then). */
int pf_lines_open(pf_lines *r, const char *root, const char *path, char *buf, size_t cap);

/* pf_lines_open on a kept file (see pf_read_keep); pf_lines_close then
 * leaves it open. */
int pf_lines_open_keep(pf_lines *r, const char *root, const char *path, char *buf, size_t cap);

/* The next line, NUL-terminated without its '\n', valid until the next
 * call; NULL at end of file or on a read error. */
char *pf_lines_next(pf_lines *r);

/* Close the file (safe to call twice). */
void pf_lines_close(pf_lines *r);

/* Skip spaces and tabs. */
static inline const char *pf_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Skip blanks, then parse an unsigned decimal into *out. Returns the
 * position after the digits, or NULL (and *out = 0) when there were none.
 * Saturates at UINT64_MAX instead of overflowing. */
const char *pf_u64(const char *p, uint64_t *out);

/* Skip blanks, then parse a hexadecimal number (no 0x). Same contract. */
const char *pf_hex(const char *p, uint64_t *out);

/* Skip blanks, then parse a decimal with an optional fraction ("0.12",
 * "1570.50") into *out. NULL when there were no digits. */
const char *pf_double(const char *p, double *out);

/* Skip blanks, then the next blank-delimited token. */
const char *pf_skip_token(const char *p);

/* Copy the blank-delimited token at p into out (capacity cap, truncated to
 * fit) and decode the \NNN octal escapes used by /proc/self/mounts. Returns
 * the position after the token. */
const char *pf_token_unescape(const char *p, char *out, size_t cap);

/* Copy src into dst (capacity cap), truncating, always NUL-terminated. */
void pf_copy(char *dst, size_t cap, const char *src);

/* Remove trailing whitespace (and '\n') in place; returns s. */
char *pf_rtrim(char *s);

#endif
