/* spool.h -- reports kept on disk while cairnd cannot be reached.
 *
 * One file per report, STATE/spool/NNNNNNNNNNNN.json (the report's seq,
 * zero-padded so names sort like numbers), written atomically and synced.
 * At most `max` files: storing one more deletes the oldest and adds one
 * (plus the `dropped` count that report itself carried) to the dropped
 * counter, which is kept in STATE/spool/dropped so it survives a restart
 * and is handed to the next report built (ag_spool_take_dropped). Replay
 * takes the oldest files first, in batches, and a file is deleted only when
 * the caller acknowledges the batch (after cairnd's 200).
 *
 * The list of spooled seqs is kept in memory (8 bytes per file), loaded by
 * one directory scan at open.
 */
#ifndef CAIRN_AGENT_SPOOL_H
#define CAIRN_AGENT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sbuf.h"

typedef struct {
    char dir[4000];
    uint64_t *seqs; /* ascending; owned */
    size_t n, cap;
    size_t max;
    uint64_t dropped; /* pending, not yet handed to a report */
} ag_spool;

/* Open (creating, mode 0700) STATE/spool and index its files. max >= 1.
 * Returns 0, or -1 when the directory cannot be created or read, or memory
 * ran out (nothing to close then). */
int ag_spool_open(ag_spool *s, const char *state_dir, size_t max);

/* Free the index (files stay). Safe on a zeroed or closed spool. */
void ag_spool_close(ag_spool *s);

/* Change the bound; files past it are dropped (oldest first) now. */
void ag_spool_set_max(ag_spool *s, size_t max);

/* Store one report (JSON text of len bytes) under seq. Drops the oldest
 * files past the bound. Returns 0, or -1 when the file could not be written
 * (the report is then lost and counted as dropped). */
int ag_spool_put(ag_spool *s, uint64_t seq, const char *json, size_t len);

/* Number of spooled reports, and the newest spooled seq (0 when empty). */
size_t ag_spool_count(const ag_spool *s);
uint64_t ag_spool_last_seq(const ag_spool *s);

/* Build a replay body {"reports":[…]} from the oldest files into body
 * (emptied first): at most max_reports reports and about max_bytes bytes
 * (always at least one report). A file that is unreadable or not a JSON
 * object is deleted and counted as dropped. Returns the number of reports
 * in body (0 when the spool is empty), or -1 when memory ran out. */
int ag_spool_batch(ag_spool *s, size_t max_reports, size_t max_bytes, sbuf *body);

/* Delete the n oldest files (after cairnd accepted them). */
void ag_spool_ack(ag_spool *s, size_t n);

/* Delete the n oldest files as lost (cairnd refused them for good): they
 * count as dropped. */
void ag_spool_discard(ag_spool *s, size_t n);

/* Add n lost reports to the dropped counter (persisted). */
void ag_spool_add_dropped(ag_spool *s, uint64_t n);

/* The dropped counter, without taking it. */
uint64_t ag_spool_dropped_pending(const ag_spool *s);

/* Return the dropped counter and reset it to 0 (persisted): the caller puts
 * it in the report it is building. */
uint64_t ag_spool_take_dropped(ag_spool *s);

#endif
