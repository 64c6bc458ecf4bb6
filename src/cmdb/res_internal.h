/* res_internal.h -- what the files of the resource layer share.
 *
 *   res_field.c  checking one JSON value against its field, and turning it
 *                into a bound SQL value; checking references
 *   res_row.c    reading rows: the SELECT list, secrets as "<name>_set",
 *                sets (group_ids…) and display names of references, for
 *                JSON rows and for columnar pages; the caller's host-group
 *                scope
 *   res_page.c   a columnar page written straight to JSON text
 *   res_names.c  display names of small tables, kept per CMDB generation
 *   res_walk.c   a search page read in the sort index's order (SQLite)
 *   res_write.c  create, update, delete, bulk delete, the search text
 *   res_list.c   list with search, filters, sort, pages; CSV export; schema
 *   res_csv.c    CSV reading and writing; import
 *   res_cache.c  list answers remembered while no write has happened
 *
 * Functions taking a request use it only for the caller's scope; r may be
 * NULL (no scope: every row).
 */
#ifndef CAIRN_RES_INTERNAL_H
#define CAIRN_RES_INTERNAL_H

#include "api/listq.h"
#include "cmdb/resource.h"
#include "common/jsonw.h"
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

/* Add sets (REFS/BACKREFS) and "_display" names to each row of rows, and
 * turn flags, tags and secret markers into their JSON types. */
int res_expand_rows(const http_req *r, db_conn *c, const resource *res, json_t *rows);

/* ---- a page read as columns (res_row.c) -----------------------------------
 * The list answer's fast path: the page's rows stay a db_cols result, the
 * references and sets of the whole page are read with one query per field,
 * and res_page_write() writes the items straight to JSON text -- byte for
 * byte what res_expand_rows() and resp_json() make of the same rows. */

#define RES_MAX_EXPAND 16 /* reference and set fields of one resource */

/* The display names of one reference field, or the members of one set
 * field, for the rows of a page. */
typedef struct {
    const res_field *f;
    int col;       /* FT_REF: the page's column holding the reference; sets: -1 */
    db_cols found; /* FT_REF: (id, d) ordered by id; sets: (owner, id, d) in any order,
                      or (owner, id) when names is set */
    const db_cols *names; /* when set: the display names of every row of f->ref
                             (res_names.c), used instead of the d of found */
    void *names_hold;     /* the reference on names, for res_names_release() */
    int *head;     /* sets: the first link (row of found) of each page row, -1: none */
    int *next;     /* sets: the next link of the same page row by id, -1: none */
} res_expansion;

typedef struct {
    const resource *res;
    db_cols rows;          /* the page: id, the columns, the <secret>_set flags */
    int *order;            /* when not NULL: the rows to write, in this order (res_walk.c) */
    int norder;
    int id_col;
    unsigned char *kind;   /* per column: how it is written */
    res_expansion exp[RES_MAX_EXPAND];
    int nexp;
} res_page;

/* For rows (moved into p, which then owns them) read with the SELECT list of
 * res_select_list(): read the references and sets of every row (within the
 * caller's scope, as res_expand_rows()) and prepare the writing. Returns a
 * DB_* code (db_errmsg(c) tells more); p must be freed with res_page_free()
 * in every case. */
int res_page_expand(const http_req *r, db_conn *c, const resource *res, db_cols *rows, res_page *p);

/* How a page column is written (res_page.kind). */
enum { K_PLAIN, K_BOOL, K_TAGS };

/* The display name found by expansion e (FT_REF) for reference value v (a
 * cell of the page), or NULL. Only positive integers are looked up. */
const db_cell *res_exp_ref_find(const res_expansion *e, const db_cell *v);

/* The display name of link l (a row of e->found) of set expansion e. */
const db_cell *res_exp_set_name(const res_expansion *e, int l);

/* Write the page's rows as a JSON array of objects (res_page.c). Errors
 * (out of memory) leave w failed. */
void res_page_write(const res_page *p, jsonw *w);

/* Free what p holds; safe on a zeroed or already freed page. */
void res_page_free(res_page *p);

/* The caller's group ids (the positive integers of r->auth.group_ids) as a
 * malloc'd array in *ids (NULL when there are none) and their number in *n,
 * to bind with DB_INTS() under res_scope_cond(). False when out of memory. */
bool res_scope_list(const http_req *r, int64_t **ids, size_t *n);

/* The condition "<col> is the id of a row of res that the caller may see",
 * for a caller res_scoped() for res, with its group ids (res_scope_list)
 * bound as parameter $k, written to out (len bytes). Returns DB_OK, or
 * DB_ERR when out is too small. */
int res_scope_cond(const db *d, const resource *res, const char *col, int k, char *out, size_t len);

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

/* For a CSV export in lang "zh": replace the codes of FT_CODE fields
 * (asset_type "vm") in rows by their Chinese names ("虚拟机"), which import
 * reads back as well as codes. Other languages keep the codes. Codes
 * without a row are left as they are. Returns a DB_* code. */
int res_csv_code_names(db_conn *c, const resource *res, json_t *rows, const char *lang);

/* Write the CSV export of rows (already expanded) for res to out. lang is
 * "en" or "zh" for the header row. */
void res_csv_write(const resource *res, const json_t *rows, const char *lang, sbuf *out);

/* ---- a search page in the sort index's order (res_walk.c, SQLite) -------- */

/* The rowids of the rows of res matching FTS phrase `phrase`, into *hits
 * (freed by the caller with db_cols_free, also after an error): their
 * number is the search's total. Returns a DB_* code. */
int res_walk_hits(db_conn *c, const resource *res, const char *phrase, db_cols *hits);

/* The page (offset, limit) of the rows in hits, ordered by `order` (an
 * ORDER BY from the description, led by an indexed column and ending with
 * the id), read by walking the sort index: the rows of the page into *rows
 * (`select` is the SELECT … FROM of the list), and into *row_order
 * (malloc'd, *n_order entries) which row of *rows comes at each place.
 * rows_est estimates the table's rows (max(id)). Returns a DB_* code; the
 * caller frees *rows and *row_order in every case. */
int res_walk_page(db_conn *c, const resource *res, const char *select, const char *order, const db_cols *hits,
                  int64_t rows_est, int64_t offset, int64_t limit, db_cols *rows, int **row_order, int *n_order);

/* ---- display names of small tables (res_names.c) ------------------------- */

/* The (id, d) names of every row of res, ordered by id, as of "cmdb"
 * generation gen, shared: NULL when res has too many rows to keep, on a
 * database error or when out of memory (the caller then reads the names it
 * needs itself). On success *hold is a reference the caller drops with
 * res_names_release() when done reading; the list stays valid till then. */
const db_cols *res_names_get(db_conn *c, const resource *res, int64_t gen, void **hold);

/* Drop a reference from res_names_get(); NULL is allowed. */
void res_names_release(void *hold);

/* ---- the list answer cache (res_cache.c) --------------------------------- */

/* Write to out the cache key of list query q of res for r's caller: the
 * resource, q's conditions, order, bound values and page, and the caller's
 * host-group scope. Errors (out of memory) leave out failed. */
void res_cache_key(const http_req *r, const resource *res, const listq *q, sbuf *out);

/* The configured age limit of cached answers in ms (0: cache off). */
int64_t res_cache_age_ms(const http_req *r);

/* The answer cached under key while the "cmdb" generation is gen and it is
 * younger than max_age_ms, with the current "now": malloc'd (the caller
 * frees it), its length in *len. NULL on a miss or when out of memory. */
char *res_cache_get(const sbuf *key, int64_t gen, int64_t max_age_ms, size_t *len);

/* Keep answer body (len bytes, a list answer ending in "now":N}) under key,
 * computed after generation gen was read. Copied; nothing kept when out of
 * memory or past the cache's byte budget. */
void res_cache_put(const sbuf *key, int64_t gen, const char *body, size_t len);

#endif
