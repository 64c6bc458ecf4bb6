/* cache_gen.c -- reading the cache generation counters (see cache_gen.h).
 * The whole two-row table is read without a condition or an order: on
 * SQLite that is about half the cost of picking the rows by name. */
#include "api/cache_gen.h"

#include <string.h>

int cache_gen_read(db_conn *c, cache_gens *g)
{
    db_cols rows = {0};
    int rc;

    memset(g, 0, sizeof *g);
    rc = db_query_cols(c, "SELECT name, gen FROM cache_gen", DB_NOARGS, &rows);
    for (int i = 0; rc == DB_OK && i < rows.nrows && rows.ncols == 2; i++) {
        const db_cell *name = db_cols_cell(&rows, i, 0), *gen = db_cols_cell(&rows, i, 1);
        if (name->type != DBC_TEXT || gen->type != DBC_INT)
            continue;
        if (strcmp(name->v.s, "auth") == 0)
            g->auth = gen->v.i;
        else if (strcmp(name->v.s, "cmdb") == 0)
            g->cmdb = gen->v.i;
    }
    if (rc == DB_OK && (g->auth <= 0 || g->cmdb <= 0))
        rc = DB_ERR;
    if (rc != DB_OK)
        memset(g, 0, sizeof *g);
    db_cols_free(&rows);
    return rc;
}
