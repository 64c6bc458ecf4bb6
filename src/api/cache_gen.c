/* cache_gen.c -- reading the cache generation counters (see cache_gen.h). */
#include "api/cache_gen.h"

#include <string.h>

int cache_gen_read(db_conn *c, cache_gens *g)
{
    db_cols rows = {0};
    int rc;

    memset(g, 0, sizeof *g);
    /* "auth" sorts before "cmdb" */
    rc = db_query_cols(c, "SELECT gen FROM cache_gen WHERE name IN ('auth', 'cmdb') ORDER BY name", DB_NOARGS,
                       &rows);
    if (rc == DB_OK && (rows.nrows != 2 || rows.ncols != 1 || db_cols_cell(&rows, 0, 0)->type != DBC_INT ||
                        db_cols_cell(&rows, 1, 0)->type != DBC_INT))
        rc = DB_ERR;
    if (rc == DB_OK) {
        g->auth = db_cols_cell(&rows, 0, 0)->v.i;
        g->cmdb = db_cols_cell(&rows, 1, 0)->v.i;
    }
    db_cols_free(&rows);
    return rc;
}
