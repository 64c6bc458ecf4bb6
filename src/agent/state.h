/* state.h -- cairn-agent's small persistent state: atomic file writes, the
 * report sequence number and the host token.
 *
 * Everything lives in the state directory (systemd's StateDirectory, mode
 * 0700): `token` (0600, from enrollment), `seq` (the sequence reservation)
 * and `spool/` (spool.h).
 */
#ifndef CAIRN_AGENT_STATE_H
#define CAIRN_AGENT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Replace path with data: write path.tmp with mode, optionally fsync it,
 * rename over path, and (with sync) fsync the directory. A reader sees the
 * old or the new content, never a mix. Returns 0, or -1 with errno set (the
 * temporary file is removed). */
int ag_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool sync);

/* Read a whole small file into buf (capacity cap, NUL-terminated). Returns
 * its length, or -1 when missing, unreadable or not smaller than cap. */
ssize_t ag_read_small(const char *path, char *buf, size_t cap);

/* Sequence numbers that only go up, across restarts and crashes, for one
 * fsync per AG_SEQ_BLOCK collections: the file holds a bound that every
 * issued number stays below; a restart continues from that bound, so after
 * a restart the sequence jumps ahead instead of repeating. */
#define AG_SEQ_BLOCK 1024

typedef struct {
    char path[4096];
    uint64_t next;  /* the next number to issue */
    uint64_t limit; /* persisted bound: numbers issued are < limit */
} ag_seq;

/* Load STATE/seq and reserve a block. The first number is at least
 * at_least (pass the newest spooled seq + 1). Returns 0, or -1 when the
 * reservation could not be written (numbers are still issued, but may
 * repeat after a crash: the caller logs it). */
int ag_seq_open(ag_seq *s, const char *state_dir, uint64_t at_least);

/* Issue the next number into *out, persisting a new block first when the
 * current one is used up. Returns 0, or -1 as ag_seq_open. */
int ag_seq_next(ag_seq *s, uint64_t *out);

/* The host token in STATE/token: load into buf (whitespace trimmed) and
 * check its shape ("cairnh_" + URL-safe characters). Returns 0, or -1 when
 * there is none or it is malformed. */
int ag_token_load(const char *state_dir, char *buf, size_t cap);

/* Store token in STATE/token with mode 0600 (atomic, synced). 0 or -1. */
int ag_token_save(const char *state_dir, const char *token);

/* True when token looks like a host token. */
bool ag_token_valid(const char *token);

#endif
