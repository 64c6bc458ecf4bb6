/* res_internal.h -- what the files of the resource layer share.
 *
 *   res_field.c  checking one JSON value against its field, and turning it
 *                into a bound SQL value; checking references
 *   res_row.c    reading rows: the SELECT list, secrets as "<name>_set",
 *                sets (group_ids…) and display names of references; the
 *                caller's host-group scope
 *   res_write.c  create, update, delete, bulk delete, the search text
 *   res_list.c   list with search, filters, sort, pages; CSV export; schema
 *   res_csv.c    CSV reading and writing; import
 *
 * Functions taking a request use it only for the caller's scope; r may be
 * NULL (no scope: every row).
 */
#ifndef CAIRN_RES_INTERNAL_H
#define CAIRN_RES_INTERNAL_H

#include "cmdb/resource.h"
#include "common/sbuf.h"
#include "http/router.h"

#define RES_MAX_FIELDS 48

/* Bound values for one statement, with the strings this module allocated. */
typedef struct {
    db_val vals[RES_MAX_FIELDS + 4];
    const char *cols[RES_MAX_FIELDS + 4];
    int n;
    char *owned[RES_MAX_FIELDS + 4];
    int nowned;
} res_vals;

void res_vals_free(res_vals *v);

/* The resource a route serves. */
static inline const resource *res_of(const http_req *r) { return (const resource *)r->route->ctx; }

/* Fields stored in the row's own table (not sets). */
bool res_is_column(const res_field *f);

/* Check value v for field f (no database look-ups). Answers 400 and returns
 * false on a problem. Empty strings and null are accepted for optional
 * fields. */
bool res_check_value(http_resp *w, const res_field *f, const json_t *v);

/* Add f = v to vals as a bound value (sealing secrets, encoding tags…).
 * v NULL or null → the field's empty value. Returns false when out of
 * memory. */
bool res_bind_value(res_vals *vals, const res_field *f, const json_t *v);

/* Check that references in body point at existing rows the caller may see.
 * Answers 400. */
bool res_check_refs(const http_req *r, http_resp *w, db_conn *c, const resource *res, const json_t *body);

/* Drop from body the values that mean "no change": an empty string for a
 * secret (a form's untouched password box). */
void res_normalize_body(const resource *res, json_t *body);

/* The SELECT column list of res (secrets as CASE … AS name_set). */
void res_select_list(const resource *res, sbuf *out, const char *prefix);

/* Add sets (REFS/BACKREFS) and "_display" names to each row of rows. */
int res_expand_rows(const http_req *r, db_conn *c, const resource *res, json_t *rows);

/* One row as the API returns it, or NULL (DB_NOTFOUND in *rc). */
json_t *res_load(const http_req *r, db_conn *c, const resource *res, int64_t id, int *rc);

/* True when the caller sees only some rows of res (see res_scope). */
bool res_scoped(const http_req *r, const resource *res);

/* When the caller is scoped for res, append "(…)": a parenthesised list or
 * subquery of the ids of res it may see, and return true; else false. */
bool res_scope_ids(const http_req *r, const resource *res, sbuf *out);

/* SQL fragment limiting res to the caller's scope (" AND id_col IN (…)"),
 * or nothing when the caller is not limited. Appended to out. */
void res_scope_sql(const http_req *r, const resource *res, sbuf *out, const char *id_col);

/* True when the caller may see row `id` of res (always for unscoped). */
bool res_in_scope(const http_req *r, db_conn *c, const resource *res, int64_t id);

/* A comma-separated list of the positive integers in arr ("0" when empty). */
void res_id_list(const json_t *arr, sbuf *out);

/* Recompute search_text of row id. */
int res_refresh_search(db_conn *c, const resource *res, int64_t id);

/* Apply a body (already checked) as a new row or an update of row id
 * (id > 0). Only the fields in body are written; the others keep their
 * value (or take the column default). May add to body the fields it derives
 * (a host's IDC from its cabinet). Returns the id, or 0 after answering an
 * error. Runs inside the caller's transaction. */
int64_t res_apply(http_req *r, http_resp *w, db_conn *c, const resource *res, json_t *body, int64_t id);

/* Full body check: known, writable fields of the right type; required ones
 * present unless partial. Answers 400. */
bool res_check_body(http_resp *w, const resource *res, const json_t *body, bool partial);

/* The condition that finds the search q in res on backend kind ("sqlite"
 * or "postgresql"), with one "$%d" for the bound value, into out. Returns
 * true when the value to bind is res_fts_phrase(q) (an FTS5 MATCH: SQLite,
 * three or more characters), false when it is the LIKE pattern of q on
 * search_text (%, _ and \ escaped). */
bool res_search_sql(const resource *res, const char *kind, const char *q, char *out, size_t len);

/* q as one FTS5 phrase ("…", inner quotes doubled): matched literally.
 * malloc'd, NULL when out of memory. */
char *res_fts_phrase(const char *q);

/* Write the CSV export of rows (already expanded) for res to out. lang is
 * "en" or "zh" for the header row. */
void res_csv_write(const resource *res, const json_t *rows, const char *lang, sbuf *out);

#endif
