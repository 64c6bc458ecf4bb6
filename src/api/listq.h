/* listq.h -- the list query every collection endpoint shares.
 *
 * Parses `q`, `page`, `per_page` and `sort` against a table of the
 * resource's fields (which are sortable, which are searched), lets the
 * handler add filters, and answers {"items": [...], "total": N}. Column
 * names in SQL only ever come from the field table, never from the request;
 * every value is bound.
 */
#ifndef CAIRN_LISTQ_H
#define CAIRN_LISTQ_H

#include "common/sbuf.h"
#include "http/http.h"
#include "store/db.h"

enum { LISTQ_SORT = 1, LISTQ_SEARCH = 2 };

typedef struct {
    const char *name;   /* column name, NULL ends the table */
    unsigned flags;
} listq_field;

#define LISTQ_MAX_PARAMS 32

/* Optional: called with the page's rows before answering (to add sets,
 * counts…); returns 0 or -1. */
typedef int (*listq_expand)(db_conn *c, json_t *items);

typedef struct {
    const listq_field *fields;
    listq_expand expand;
    int64_t page, per_page;
    char order[128];
    sbuf where;                      /* " AND …" clauses */
    db_val params[LISTQ_MAX_PARAMS];
    int nparams;
    char *pattern;                   /* LIKE pattern for q, owned */
    bool overflow;
    bool all;                        /* no paging (exports), capped at LISTQ_MAX_ALL */
} listq;

#define LISTQ_MAX_ALL 100000

/* Parse the request's list parameters. default_sort is "field" or "-field".
 * Returns false after answering 400 (q must still be listq_free'd). */
bool listq_parse(http_req *r, http_resp *w, const listq_field *fields, const char *default_sort,
                 listq *q);

/* Add " AND <clause>" where clause has exactly one "$%d", replaced by the
 * number of the bound value v (text borrowed: must outlive listq_run). */
void listq_where(listq *q, const char *clause, db_val v);

/* Add " AND <clause>" with no parameter (a fixed SQL fragment). */
void listq_where_sql(listq *q, const char *clause);

/* Run `select` (a SELECT … FROM … without WHERE) with the filters, search,
 * order and page, and answer. json_cols is a comma-separated list of columns
 * holding JSON text to return decoded, or NULL. */
void listq_run(http_req *r, http_resp *w, listq *q, const char *select, const char *json_cols);

/* Like listq_run but hands back the rows (caller owns) and the total instead
 * of answering; answers only on error (returns false then). */
bool listq_fetch(http_req *r, http_resp *w, listq *q, const char *select, json_t **rows,
                 int64_t *total);

void listq_free(listq *q);

/* The LIKE pattern for searching q: "%" + q lower-cased (ASCII) with %, _
 * and \ escaped by a backslash + "%", for `lower(col) LIKE lower($n) ESCAPE '\'`.
 * malloc'd (caller frees); NULL when out of memory. */
char *listq_like_pattern(const char *q);

/* ---- building the list query yourself (resource lists) ------------------
 * For handlers that run q's query their own way (a cheaper count, a
 * columnar read) instead of listq_fetch(). They do not add listq's own
 * per-field search: a caller that uses q->pattern must add its search
 * itself. */

/* The number N of the placeholder $N that the next value bound to q gets. */
int listq_next_param(const listq *q);

/* Add " AND <clause>" bound to v, where clause already names v as $N with
 * N = listq_next_param(q) (e.g. written by db_sql_in_ints()). Values are
 * borrowed as in listq_where(); past LISTQ_MAX_PARAMS q->overflow is set. */
void listq_where_bound(listq *q, const char *clause, db_val v);

/* Append to out the tail of q's page query, " ORDER BY <order> LIMIT $a
 * OFFSET $b" with a = listq_next_param(q), b = a + 1, and set page[0] and
 * page[1] to the values to bind there after q's own: per_page and the
 * offset, or LISTQ_MAX_ALL and 0 when q->all. Bound rather than written
 * into the text, so that every page of a list is one statement. */
void listq_page_sql(const listq *q, sbuf *out, db_val page[2]);

#endif
