/* res_walk.c -- a page of a search with many hits, read in the order of the
 * sort index (SQLite, an FTS search as the list's only condition).
 *
 * The plain SQL for such a page either fetches every hit and sorts whole
 * rows to keep one page, or walks the sort index probing the hit list (the
 * "+id IN (…)" plan of res_list.c); both also run the FTS MATCH a second
 * time for the count. Here the MATCH runs once:
 *   1. the hits' rowids are read (their number is the total), and marked in
 *      a bitmap;
 *   2. the ids of the table are read in the list's order from the sort
 *      index alone (a covering index scan: no row is read), in chunks sized
 *      from the share of hits and doubled while more are needed, skipping
 *      `offset` hits and keeping the next `limit`;
 *   3. the rows of those ids are read in one statement and put in page
 *      order (res_page.order).
 * Same rows, same order as the SQL plans -- the order ends with the id, so
 * it is total -- at a fraction of the work for early pages.
 */
#include "cmdb/res_internal.h"

#include <stdlib.h>
#include <string.h>

#define WALK_FIRST_CHUNK 64

int res_walk_hits(db_conn *c, const resource *res, const char *phrase, db_cols *hits)
{
    char sql[160];

    snprintf(sql, sizeof sql, "SELECT rowid FROM %s WHERE %s MATCH $1", res->fts_table, res->fts_table);
    return db_query_cols(c, sql, DB_ARGS(DB_TEXT(phrase)), hits);
}

/* The hits as a bitmap of (max + 1) bits; NULL when out of memory. */
static uint64_t *hit_bits(const db_cols *hits, int64_t *max)
{
    uint64_t *bits;

    *max = 0;
    for (int i = 0; i < hits->nrows; i++) {
        const db_cell *v = db_cols_cell(hits, i, 0);
        if (v->type == DBC_INT && v->v.i > *max)
            *max = v->v.i;
    }
    bits = calloc((size_t)*max / 64 + 1, sizeof *bits);
    for (int i = 0; bits && i < hits->nrows; i++) {
        const db_cell *v = db_cols_cell(hits, i, 0);
        if (v->type == DBC_INT && v->v.i > 0)
            bits[v->v.i / 64] |= UINT64_C(1) << (v->v.i % 64);
    }
    return bits;
}

/* Step 2: the ids of hits offset.. offset+limit-1 in `order` into ids
 * (limit entries), their number in *n. */
static int walk_ids(db_conn *c, const resource *res, const char *order, const uint64_t *bits, int64_t max,
                    int64_t nhits, int64_t rows, int64_t offset, int64_t limit, int64_t *ids, size_t *n)
{
    char sql[256];
    int64_t skip = offset, at = 0, chunk;
    int rc = DB_OK;

    *n = 0;
    if (snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY %s LIMIT $1 OFFSET $2", res->table, order) >=
        (int)sizeof sql)
        return DB_ERR;
    /* rows per hit, times the hits wanted, plus a margin */
    chunk = nhits > 0 ? (offset + limit) * (rows / nhits + 1) + WALK_FIRST_CHUNK : WALK_FIRST_CHUNK;
    while (rc == DB_OK && (int64_t)*n < limit) {
        db_cols part = {0};
        rc = db_query_cols(c, sql, DB_ARGS(DB_INT(chunk), DB_INT(at)), &part);
        for (int i = 0; rc == DB_OK && i < part.nrows && (int64_t)*n < limit; i++) {
            const db_cell *v = db_cols_cell(&part, i, 0);
            if (v->type != DBC_INT || v->v.i <= 0 || v->v.i > max ||
                !(bits[v->v.i / 64] & (UINT64_C(1) << (v->v.i % 64))))
                continue;
            if (skip > 0)
                skip--;
            else
                ids[(*n)++] = v->v.i;
        }
        bool end = part.nrows < chunk;
        db_cols_free(&part);
        if (end)
            break;
        at += chunk;
        chunk *= 2;
    }
    return rc;
}

/* Step 3: p->order[i] = the row of rows holding ids[i]. */
static int page_order(const db_cols *rows, int id_col, const int64_t *ids, size_t n, int **order)
{
    *order = malloc((n + 1) * sizeof **order);
    if (!*order)
        return DB_ERR;
    for (size_t i = 0; i < n; i++) {
        (*order)[i] = -1;
        for (int r = 0; r < rows->nrows; r++) { /* a page: at most 200 x 200 */
            const db_cell *v = db_cols_cell(rows, r, id_col);
            if (v->type == DBC_INT && v->v.i == ids[i]) {
                (*order)[i] = r;
                break;
            }
        }
    }
    return DB_OK;
}

int res_walk_page(db_conn *c, const resource *res, const char *select, const char *order, const db_cols *hits,
                  int64_t rows_est, int64_t offset, int64_t limit, db_cols *rows, int **row_order, int *n_order)
{
    int64_t max = 0, *ids = NULL;
    uint64_t *bits = NULL;
    size_t n = 0;
    char in[128];
    sbuf sql = SBUF_INIT;
    int rc = DB_ERR;

    *row_order = NULL;
    *n_order = 0;
    memset(rows, 0, sizeof *rows);
    bits = hit_bits(hits, &max);
    ids = malloc(((size_t)limit + 1) * sizeof *ids);
    if (!bits || !ids || limit <= 0)
        goto done;
    rc = walk_ids(c, res, order, bits, max, hits->nrows, rows_est, offset, limit, ids, &n);
    if (rc != DB_OK)
        goto done;
    rc = DB_ERR;
    if (db_sql_in_ints(db_of(c), "id", 1, in, sizeof in) != DB_OK)
        goto done;
    sbuf_printf(&sql, "%s WHERE %s", select, in);
    if (sbuf_failed(&sql))
        goto done;
    rc = db_query_cols(c, sbuf_str(&sql), DB_ARGS(DB_INTS(ids, n)), rows);
    if (rc == DB_OK)
        rc = page_order(rows, db_cols_find(rows, "id"), ids, n, row_order);
    if (rc == DB_OK)
        *n_order = (int)n;
done:
    sbuf_free(&sql);
    free(bits);
    free(ids);
    return rc;
}
