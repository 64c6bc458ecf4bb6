/* res_list.c -- listing a resource: search, filters, sort, pages, CSV
 * export, single reads, and the schema the console builds its pages from.
 *
 * Search: q is matched as a substring of the row's search_text (lower-cased
 * searchable fields). On SQLite, the resource's FTS5 trigram index answers q
 * of three or more characters (an FTS5 phrase matches literally: % _ ' "
 * are plain characters); shorter q have no trigram to look up and fall back
 * to LIKE with % _ \ escaped, which is correct, and cheap enough because a
 * one- or two-character query is rare. On PostgreSQL the GIN trigram index
 * serves the same LIKE directly.
 *
 * Filters: every F_FILTER field is a query parameter of the same name
 * (?idc_id=3, ?asset_status=in_use, ?idc_id=none for "no IDC"); a set field
 * filters by its filter_name (?group_id=2, ?group_id=none for "in no
 * group"); ?ids=1,2,3 picks rows (exports of a selection). A parameter named
 * after a field that cannot be filtered on is refused rather than ignored.
 *
 * Order: sort=field or -field, empty values last either way, then by id, so
 * that pages never repeat or skip rows with equal keys. A reference field
 * sorts by the referenced row's display name (ref_order).
 *
 * Every value is bound, lists included: ?ids= and the caller's host groups
 * are one DB_INTS parameter each, and the page's LIMIT and OFFSET are
 * parameters too, so the SQL text depends only on which filters are present,
 * never on their values or the page: each list is a handful of statements
 * that stay in SQLite's per-connection cache.
 *
 * The JSON answer {"items":[…],"total":N,"now":T} is written straight from
 * the columnar page (res_page_write), one connection for all its queries:
 *   - the count is the cheapest form that gives the same number: no
 *     condition, a plain count of the table (SQLite counts a b-tree without
 *     reading rows); only an FTS search, the number of its hits in the FTS
 *     index alone (it holds exactly the table's rows: triggers keep it in
 *     step); else the table with the conditions -- never a count over a
 *     sub-select of every column;
 *   - a search with many hits (SQLite) walks the ORDER BY index with the
 *     hits in a bitmap (res_walk.c) instead of fetching every hit and
 *     sorting whole rows to keep 50 (see walk_search for when);
 *   - CSV exports read JSON rows (res_expand_rows) and need no count.
 */
#include "cmdb/res_internal.h"

#include "api/cache_gen.h"
#include "api/listq.h"
#include "app.h"
#include "common/util.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *res_fts_phrase(const char *q)
{
    size_t n = strlen(q);
    char *p = malloc(n * 2 + 3), *o = p;
    if (!p)
        return NULL;
    *o++ = '"';
    for (; *q; q++) {
        if (*q == '"')
            *o++ = '"';
        *o++ = *q;
    }
    *o++ = '"';
    *o = '\0';
    return p;
}

/* ?ids=: at most this many ids -- the largest page (per_page=200), which is
 * what the console selects from; docs/API.md says so. */
#define RES_MAX_IDS 200

/* The FTS plan (SQLite): walk the ORDER BY index (res_walk.c) instead of
 * fetching every hit when a search -- the only condition -- has at least WALK_MIN_HITS
 * hits and they are at least 1/WALK_SHARE of the rows, and the sort column
 * leads an index (or is id). Walking costs up to one pass over that index,
 * less when hits are spread through the sort order; fetching costs a row
 * read per hit plus a sort that grows with the offset. Measured on 10,000
 * hosts sorted by hostname (CPU per query, FTS lookup included):
 *   hits    page 1 fetch / walk     OFFSET 950 fetch / walk
 *   2,488      1.47 / 0.49 ms            4.95 / 0.68 ms
 *   1,864      1.42 / 0.52 ms            4.06 / 1.40 ms
 *   1,250      1.13 / 0.55 ms            2.99 / 1.81 ms
 *     322      0.71 / 1.67 ms            1.07 / 1.68 ms  (hits clustered in
 *                                                       the sort order)
 *      32      0.77 / 1.50 ms
 * With an unindexed sort column walking is a scan of the table plus the same
 * sort: no gain. */
#define WALK_MIN_HITS 200
#define WALK_SHARE 10

typedef struct {
    listq q;
    listq_field fields[RES_MAX_FIELDS + 2];
    char *fts;           /* owned FTS phrase */
    char *like;          /* owned LIKE pattern (taken from listq) */
    int64_t *ids;        /* ?ids=, bound as one list (RES_MAX_IDS), owned */
    size_t nids;
    int64_t *groups;     /* the caller's group ids when scoped, owned */
    size_t ngroups;
    size_t search_end;   /* offset in q.where just after the search condition */
} res_query;

bool res_search_sql(const resource *res, const char *kind, const char *q, char *out, size_t len)
{
    if (strcmp(kind, "sqlite") == 0 && util_utf8_len(q) >= 3) {
        snprintf(out, len, "id IN (SELECT rowid FROM %s WHERE %s MATCH $%%d)", res->fts_table, res->fts_table);
        return true;
    }
    snprintf(out, len, "search_text LIKE $%%d ESCAPE '\\'");
    return false;
}

static bool add_search(http_req *r, http_resp *w, const resource *res, res_query *rq)
{
    const char *q = req_query(r, "q");
    char clause[160];
    if (!rq->q.pattern || !q)
        return true;
    if (res_search_sql(res, db_kind(r->app->db), q, clause, sizeof clause)) {
        rq->fts = res_fts_phrase(q);
        if (!rq->fts) {
            resp_internal(w, "out of memory");
            return false;
        }
        listq_where(&rq->q, clause, DB_TEXT(rq->fts));
    } else {
        listq_where(&rq->q, clause, DB_TEXT(rq->q.pattern));
    }
    /* Searched here through search_text, not by listq's per-field search;
     * the pattern stays alive (bound above) until res_query_free(). */
    rq->like = rq->q.pattern;
    rq->q.pattern = NULL;
    rq->search_end = rq->q.where.len;
    return true;
}

/* ?ids=1,2,3 → " AND id IN <the list, bound>" after checking every entry. */
static bool add_ids(http_req *r, http_resp *w, res_query *rq)
{
    const char *ids = req_query(r, "ids");
    char clause[128];
    if (!ids || !*ids)
        return true;
    rq->ids = malloc(RES_MAX_IDS * sizeof *rq->ids);
    if (!rq->ids) {
        resp_internal(w, "out of memory");
        return false;
    }
    for (const char *p = ids; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || (*end && *end != ',') || rq->nids >= RES_MAX_IDS) {
            resp_error(w, 400, "bad_request", "ids", "ids must be up to %d positive integers separated by commas",
                       RES_MAX_IDS);
            return false;
        }
        rq->ids[rq->nids++] = (int64_t)v;
        p = *end ? end + 1 : end;
    }
    if (db_sql_in_ints(r->app->db, "id", listq_next_param(&rq->q), clause, sizeof clause) != DB_OK) {
        resp_internal(w, "ids clause");
        return false;
    }
    listq_where_bound(&rq->q, clause, DB_INTS(rq->ids, rq->nids));
    return true;
}

static bool add_filters(http_req *r, http_resp *w, const resource *res, res_query *rq)
{
    for (const res_field *f = res->fields; f->name; f++) {
        bool set = f->type == FT_REFS;
        const char *name = set ? f->filter_name : f->name;
        const char *v = name ? req_query(r, name) : NULL;
        if (!set && !(f->flags & F_FILTER)) {
            if (req_query(r, f->name)) {
                resp_error(w, 400, "bad_request", f->name, "cannot filter on %s; search with q instead", f->name);
                return false;
            }
            continue;
        }
        if (!v || !*v)
            continue;
        int64_t n = 0;
        bool numeric = f->type == FT_REF || set || f->type == FT_INT;
        char clause[256];
        if (strcmp(v, "none") == 0 && (f->type == FT_REF || set)) {
            if (set)
                snprintf(clause, sizeof clause, "id NOT IN (SELECT %s FROM %s)", f->link_self, f->link_table);
            else
                snprintf(clause, sizeof clause, "%s IS NULL", f->name);
            listq_where_sql(&rq->q, clause);
            continue;
        }
        if (numeric && !util_parse_i64(v, &n)) {
            resp_error(w, 400, "bad_request", name, "%s must be an integer%s", name,
                       f->type == FT_INT ? "" : " id (or \"none\")");
            return false;
        }
        if (set)
            snprintf(clause, sizeof clause, "id IN (SELECT %s FROM %s WHERE %s = $%%d)", f->link_self,
                     f->link_table, f->link_other);
        else
            snprintf(clause, sizeof clause, "%s = $%%d", f->name);
        listq_where(&rq->q, clause, numeric ? DB_INT(n) : DB_TEXT(v));
    }
    return true;
}

/* Empty values last in either direction, then by id (a total order). */
static void stable_order(listq *q)
{
    char first[sizeof q->order];
    snprintf(first, sizeof first, "%s", q->order);
    const char *desc = strstr(first, " DESC") ? "DESC" : "ASC";
    if (strncmp(first, "id ", 3) == 0)
        snprintf(q->order, sizeof q->order, "id %s", desc);
    else
        snprintf(q->order, sizeof q->order, "%.80s NULLS LAST, id %s", first, desc);
}

/* sort=<reference field> (idc_id, owner_id…) orders by the display name of
 * the row referred to -- what the console shows in that column -- not by
 * its id; rows without a reference, or whose name is empty, last either
 * way, then by id. Names come from the description, never the request.
 * False when the order does not fit q->order (never with these names). */
static bool ref_order(const resource *res, listq *q)
{
    char name[64];
    size_t len = strcspn(q->order, " ");
    const res_field *f;
    const resource *other;
    int n;

    if (len == 0 || len >= sizeof name)
        return true;
    memcpy(name, q->order, len);
    name[len] = '\0';
    f = resource_field(res, name);
    if (!f || f->type != FT_REF || !(other = resource_find(f->ref)))
        return true;
    const char *dir = strstr(q->order, " DESC") ? "DESC" : "ASC";
    n = snprintf(q->order, sizeof q->order, "(SELECT NULLIF(o.%s, '') FROM %s o WHERE o.id = %s.%s) %s NULLS LAST, id %s",
                 other->display, other->table, res->table, f->name, dir, dir);
    return n > 0 && (size_t)n < sizeof q->order;
}

/* Parse everything; false after answering 400. */
static bool res_query_parse(http_req *r, http_resp *w, const resource *res, res_query *rq)
{
    int n = 0;
    rq->fields[n++] = (listq_field){"id", LISTQ_SORT};
    for (const res_field *f = res->fields; f->name && n < RES_MAX_FIELDS; f++)
        if (f->flags & F_SORT)
            rq->fields[n++] = (listq_field){f->name, LISTQ_SORT};
    rq->fields[n] = (listq_field){NULL, 0};
    if (!listq_parse(r, w, rq->fields, res->default_sort, &rq->q))
        return false;
    stable_order(&rq->q);
    if (!ref_order(res, &rq->q)) {
        resp_internal(w, "sort clause");
        return false;
    }
    if (!add_search(r, w, res, rq) || !add_ids(r, w, rq) || !add_filters(r, w, res, rq))
        return false;
    if (res_scoped(r, res)) {
        char clause[256];
        if (!res_scope_list(r, &rq->groups, &rq->ngroups) ||
            res_scope_cond(r->app->db, res, "id", listq_next_param(&rq->q), clause, sizeof clause) != DB_OK) {
            resp_internal(w, "scope clause");
            return false;
        }
        listq_where_bound(&rq->q, clause, DB_INTS(rq->groups, rq->ngroups));
    }
    if (rq->q.overflow) {
        resp_error(w, 400, "bad_request", NULL, "too many filters");
        return false;
    }
    if (sbuf_failed(&rq->q.where)) {
        resp_internal(w, "out of memory");
        return false;
    }
    return true;
}

static void res_query_free(res_query *rq)
{
    listq_free(&rq->q);
    free(rq->fts);
    free(rq->like);
    free(rq->groups);
    free(rq->ids);
}

/* "zh" for ?lang=zh, zh-CN…, else "en". */
static const char *csv_lang(const http_req *r)
{
    const char *lang = req_query(r, "lang");
    return lang && strncmp(lang, "zh", 2) == 0 ? "zh" : "en";
}

static void send_csv(http_req *r, http_resp *w, const resource *res, const json_t *rows)
{
    sbuf out = SBUF_INIT;
    res_csv_write(res, rows, csv_lang(r), &out);
    if (sbuf_failed(&out)) {
        sbuf_free(&out);
        resp_internal(w, "out of memory");
        return;
    }
    resp_body(w, 200, "text/csv; charset=utf-8", sbuf_str(&out), out.len);
    char disp[128];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s.csv\"", res->name);
    resp_header(w, "Content-Disposition", disp);
    sbuf_free(&out);
}

/* True when the search is q's only condition. */
static bool search_only(const res_query *rq)
{
    return rq->search_end > 0 && rq->q.where.len == rq->search_end && rq->q.nparams == 1;
}

/* The count of the rows q selects, in its cheapest form (see the top). */
static void count_sql(const resource *res, const res_query *rq, sbuf *out)
{
    if (rq->q.where.len == 0)
        sbuf_printf(out, "SELECT count(*) FROM %s", res->table);
    else if (rq->fts && search_only(rq))
        sbuf_printf(out, "SELECT count(*) FROM %s WHERE %s MATCH $1", res->fts_table, res->fts_table);
    else
        sbuf_printf(out, "SELECT count(*) FROM %s WHERE 1=1%s", res->table, sbuf_str(&rq->q.where));
}

/* Answers of sort_indexed(), per resource and field: 0 not known yet, 1
 * yes, 2 no. The schema does not change while cairnd runs (migrations run at
 * start), so each is looked up once. */
static unsigned char indexed_memo[32][RES_MAX_FIELDS];
static pthread_mutex_t indexed_lock = PTHREAD_MUTEX_INITIALIZER;

/* The memo slot of field `col` of res, or NULL. */
static unsigned char *indexed_slot(const resource *res, const char *col)
{
    int ri = 0, fi = 0;
    const resource *const *rp = cmdb_resources;
    for (; *rp && *rp != res; rp++)
        ri++;
    const res_field *f = res->fields;
    for (; f->name && strcmp(f->name, col) != 0; f++)
        fi++;
    return *rp && f->name && ri < 32 && fi < RES_MAX_FIELDS ? &indexed_memo[ri][fi] : NULL;
}

/* SQLite: whether the first sort column of q is id or leads an index of
 * res's table (a bound look-up in the schema, no text from the request). */
static bool sort_indexed(db_conn *c, const resource *res, const listq *q)
{
    char col[64];
    int64_t n = 0;
    unsigned char *memo, known;
    size_t len = strcspn(q->order, " ,");
    if (len == 0 || len >= sizeof col)
        return false;
    memcpy(col, q->order, len);
    col[len] = '\0';
    if (strcmp(col, "id") == 0)
        return true;
    memo = indexed_slot(res, col);
    pthread_mutex_lock(&indexed_lock);
    known = memo ? *memo : 0;
    pthread_mutex_unlock(&indexed_lock);
    if (known)
        return known == 1;
    if (db_query_int(c,
                     "SELECT count(*) FROM pragma_index_list($1) AS l, pragma_index_info(l.name) AS i "
                     "WHERE i.seqno = 0 AND i.name = $2",
                     DB_ARGS(DB_TEXT(res->table), DB_TEXT(col)), &n) != DB_OK)
        return false; /* not remembered: asked again next time */
    pthread_mutex_lock(&indexed_lock);
    if (memo)
        *memo = n > 0 ? 1 : 2;
    pthread_mutex_unlock(&indexed_lock);
    return n > 0;
}

/* Whether a search with `hits` hits should walk the sort index (see
 * WALK_SHARE; res_walk.c). The row count is estimated by max(id) -- an
 * index look-up, never below the count -- into *rows; both extra queries
 * run only for searches with many hits. */
static bool walk_search(db_conn *c, const resource *res, const res_query *rq, int64_t hits, int64_t *rows)
{
    char sql[128];
    *rows = 0;
    if (!rq->fts || !search_only(rq) || rq->q.all || hits < WALK_MIN_HITS)
        return false;
    snprintf(sql, sizeof sql, "SELECT max(id) FROM %s", res->table);
    if (db_query_int(c, sql, DB_NOARGS, rows) != DB_OK || hits * WALK_SHARE < *rows)
        return false;
    return sort_indexed(c, res, &rq->q);
}

/* The page query: select, q's conditions, order and page, with its
 * parameters -- q's, then the page's -- in params (LISTQ_MAX_PARAMS + 2);
 * their number is listq_next_param() + 1. */
static void page_sql(const char *select, const res_query *rq, sbuf *out, db_val *params)
{
    sbuf_printf(out, "%s WHERE 1=1", select);
    sbuf_puts(out, sbuf_str(&rq->q.where));
    memcpy(params, rq->q.params, (size_t)rq->q.nparams * sizeof *params);
    listq_page_sql(&rq->q, out, params + rq->q.nparams);
}

/* Count the rows of rq into *total and read its page into page (expanded,
 * see res_page_expand), with connection c: an FTS search alone reads its
 * hits once -- their number is the total -- and, when it has many, walks
 * the sort index (res_walk.c); anything else is counted (count_sql) and
 * read by one query. Returns a DB_* code; page is freed by the caller. */
static int read_page(http_req *r, db_conn *c, const resource *res, const res_query *rq, const char *select,
                     int64_t *total, res_page *page)
{
    const bool fts_only = rq->fts && search_only(rq);
    sbuf count = SBUF_INIT, sql = SBUF_INIT;
    db_val params[LISTQ_MAX_PARAMS + 2];
    db_cols rows = {0}, hits = {0};
    int *order = NULL, norder = 0, rc;
    int64_t est = 0;

    if (fts_only) {
        rc = res_walk_hits(c, res, rq->fts, &hits);
        *total = hits.nrows;
    } else {
        count_sql(res, rq, &count);
        rc = sbuf_failed(&count) ? DB_ERR : db_query_int(c, sbuf_str(&count), rq->q.params, rq->q.nparams, total);
    }
    if (rc == DB_OK && fts_only && walk_search(c, res, rq, *total, &est)) {
        rc = res_walk_page(c, res, select, rq->q.order, &hits, est, (rq->q.page - 1) * rq->q.per_page,
                           rq->q.per_page, &rows, &order, &norder);
    } else if (rc == DB_OK) {
        page_sql(select, rq, &sql, params);
        rc = sbuf_failed(&sql) ? DB_ERR : db_query_cols(c, sbuf_str(&sql), params, rq->q.nparams + 2, &rows);
    }
    if (rc == DB_OK)
        rc = res_page_expand(r, c, res, &rows, page);
    if (rc == DB_OK && order) {
        page->order = order;
        page->norder = norder;
        order = NULL;
    }
    free(order);
    db_cols_free(&rows);
    db_cols_free(&hits);
    sbuf_free(&count);
    sbuf_free(&sql);
    return rc;
}

/* Answer with the JSON text body (taken). */
static void answer_json(http_resp *w, char *body, size_t len)
{
    free(w->body);
    w->body = body;
    w->len = len;
    w->status = 200;
    w->content_type = "application/json; charset=utf-8";
}

/* The list cache (res_cache.c): the key of rq into key, the "cmdb"
 * generation -- read by auth, or here -- into *gen, and true after
 * answering from the cache. */
static bool cached_answer(http_req *r, http_resp *w, const resource *res, const res_query *rq, sbuf *key,
                          int64_t *gen)
{
    size_t len = 0;
    char *body;

    *gen = r->auth.cmdb_gen;
    if (*gen <= 0) {
        cache_gens g;
        db_conn *c = db_acquire(r->app->db);
        if (cache_gen_read(c, &g) == DB_OK)
            *gen = g.cmdb;
        db_release(c);
        r->auth.cmdb_gen = *gen; /* for the names of the page (res_names.c) */
    }
    res_cache_key(r, res, &rq->q, key);
    body = sbuf_failed(key) ? NULL : res_cache_get(key, *gen, res_cache_age_ms(r), &len);
    if (!body)
        return false;
    answer_json(w, body, len);
    return true;
}

/* GET /api/v1/<res>: the page as JSON, written from columns (or the same
 * answer from the list cache). */
static void list_json(http_req *r, http_resp *w, const resource *res, res_query *rq, const char *select)
{
    const bool cache = res_cache_age_ms(r) > 0;
    sbuf key = SBUF_INIT;
    int64_t gen = 0, total = 0;
    res_page page = {0};
    jsonw out;
    db_conn *c = NULL;
    char *body;
    size_t len;
    if (cache && cached_answer(r, w, res, rq, &key, &gen))
        goto done;
    c = db_acquire(r->app->db);
    if (read_page(r, c, res, rq, select, &total, &page) != DB_OK) {
        resp_internal(w, db_errmsg(c)[0] ? db_errmsg(c) : "list page");
        goto done;
    }
    db_release(c);
    c = NULL;
    /* ~850 bytes a host: one allocation for most pages */
    jsonw_init(&out, JSONW_HTML_SAFE, 1024 + (size_t)page.rows.nrows * 1024);
    jsonw_object_begin(&out);
    jsonw_key(&out, "items");
    res_page_write(&page, &out);
    jsonw_key(&out, "total");
    jsonw_int(&out, total);
    jsonw_key(&out, "now");
    jsonw_int(&out, util_now());
    jsonw_object_end(&out);
    body = jsonw_finish(&out, &len);
    if (!body) {
        resp_internal(w, "out of memory");
        goto done;
    }
    if (cache)
        res_cache_put(&key, gen, body, len);
    answer_json(w, body, len);
done:
    if (c)
        db_release(c);
    res_page_free(&page);
    sbuf_free(&key);
}

/* GET /api/v1/<res>?format=csv: every selected row (up to LISTQ_MAX_ALL). */
static void list_csv(http_req *r, http_resp *w, const resource *res, res_query *rq, const char *select)
{
    sbuf sql = SBUF_INIT;
    db_val params[LISTQ_MAX_PARAMS + 2];
    json_t *rows = NULL;
    db_conn *c = NULL;
    int rc;
    page_sql(select, rq, &sql, params);
    if (sbuf_failed(&sql)) {
        resp_internal(w, "out of memory");
        goto done;
    }
    c = db_acquire(r->app->db);
    rc = db_query(c, sbuf_str(&sql), params, rq->q.nparams + 2, &rows);
    if (rc == DB_OK)
        rc = res_expand_rows(r, c, res, rows);
    if (rc == DB_OK)
        rc = res_csv_code_names(c, res, rows, csv_lang(r));
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c)[0] ? db_errmsg(c) : "expand rows");
        goto done;
    }
    db_release(c);
    c = NULL;
    send_csv(r, w, res, rows);
done:
    if (c)
        db_release(c);
    json_decref(rows);
    sbuf_free(&sql);
}

void resource_list(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    res_query rq_store = {0}, *rq = &rq_store;
    sbuf select = SBUF_INIT;
    const char *format = req_query(r, "format");
    bool csv = format && strcmp(format, "csv") == 0;
    if (format && !csv) {
        resp_error(w, 400, "bad_request", "format", "format must be csv");
        goto done;
    }
    if (!res_query_parse(r, w, res, rq))
        goto done;
    rq->q.all = csv;
    sbuf_puts(&select, "SELECT ");
    res_select_list(res, &select, "");
    sbuf_printf(&select, " FROM %s", res->table);
    if (sbuf_failed(&select))
        resp_internal(w, "out of memory");
    else if (csv)
        list_csv(r, w, res, rq, sbuf_str(&select));
    else
        list_json(r, w, res, rq, sbuf_str(&select));
done:
    sbuf_free(&select);
    res_query_free(rq);
}

void resource_get(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    int64_t id;
    int rc;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    json_t *row = res_in_scope(r, c, res, id) ? res_load(r, c, res, id, &rc) : NULL;
    db_release(c);
    if (!row)
        resp_error(w, 404, "not_found", NULL, "no %s with id %lld", res->object, (long long)id);
    else
        resp_json(w, 200, row);
}

static const char *const type_names[] = {
    "text", "note", "int", "bool", "date", "ip", "ips", "url", "email", "decimal",
    "enum", "code", "ref", "refs", "backrefs", "tags", "secret", "icon",
};

static json_t *field_schema(const res_field *f)
{
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "name", f->name,
                          "type", type_names[f->type], "label_en", f->label_en, "label_zh", f->label_zh,
                          "required", (f->flags & F_REQUIRED) != 0, "unique", (f->flags & F_UNIQUE) != 0,
                          "search", (f->flags & F_SEARCH) != 0, "sort", (f->flags & F_SORT) != 0,
                          "filter", (f->flags & F_FILTER) != 0 || f->type == FT_REFS,
                          "list", (f->flags & F_LIST) != 0, "readonly", (f->flags & F_READONLY) != 0);
    if (f->type == FT_INT)
        json_object_set_new(o, "min", json_integer(f->min)), json_object_set_new(o, "max", json_integer(f->max));
    else if (f->max)
        json_object_set_new(o, "max", json_integer(f->max));
    if (f->ref)
        json_object_set_new(o, "ref", json_string(f->ref));
    if (f->filter_name)
        json_object_set_new(o, "filter_name", json_string(f->filter_name));
    if (f->enums) {
        json_t *e = json_array();
        for (const char *const *v = f->enums; *v; v++)
            json_array_append_new(e, json_string(*v));
        json_object_set_new(o, "values", e);
    }
    return o;
}

void resource_schema(http_req *r, http_resp *w)
{
    (void)r;
    json_t *out = json_object();
    for (const resource *const *res = cmdb_resources; *res; res++) {
        json_t *fields = json_array();
        for (const res_field *f = (*res)->fields; f->name; f++)
            json_array_append_new(fields, field_schema(f));
        json_object_set_new(out, (*res)->name,
                            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "name", (*res)->name, "object",
                                      (*res)->object, "module", (*res)->module, "display", (*res)->display,
                                      "label_en", (*res)->label_en, "label_zh", (*res)->label_zh,
                                      "fields", fields));
    }
    resp_json(w, 200, out);
}
