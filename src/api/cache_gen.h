/* cache_gen.h -- the generation counters that say whether a cached thing is
 * still current (migration 006_cache_gen).
 *
 * Triggers add one to a counter in the same transaction as every write that
 * matters to it: "auth" for users, roles, their permissions and host groups,
 * and API tokens; "cmdb" for every table a resource list shows. A cache
 * stores what it computed together with the counter it read BEFORE
 * computing, and trusts it only while the counter is unchanged: the rows it
 * read were then at least as new as that counter, so nothing written since
 * can hide behind it. Reading the counters is one indexed query per request
 * on the request's own database, so the check holds for every cairnd
 * sharing a PostgreSQL database, not only for the one that wrote.
 */
#ifndef CAIRN_CACHE_GEN_H
#define CAIRN_CACHE_GEN_H

#include "store/db.h"

#include <stdint.h>

typedef struct {
    int64_t auth; /* > 0 once read */
    int64_t cmdb;
} cache_gens;

/* Read both counters with connection c into *g. Returns DB_OK, or a DB_*
 * code with *g zeroed (a caller then simply does not use its cache). */
int cache_gen_read(db_conn *c, cache_gens *g);

#endif
