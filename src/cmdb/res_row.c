/* res_row.c -- reading rows of a resource as the API shows them, and the
 * host-group scope of the caller.
 *
 * Secret columns are never selected: the SELECT list carries
 * "CASE WHEN x IS NULL THEN 0 ELSE 1 END AS x_set" instead, so a secret
 * cannot leak through any read path. Sets (a host's group_ids, a cabinet's
 * host_ids) and the display names of references are added afterwards for a
 * whole page at once: one query per reference field, never one per row.
 * A caller limited to some host groups sees, in those sets, only the rows
 * of its scope (a cabinet shows only its hosts that the caller may see).
 *
 * Those queries bind the page's ids -- and the caller's group ids -- as ONE
 * list parameter (DB_INTS), so each keeps one SQL text whatever the page
 * and stays in SQLite's statement cache. Their results stay columnar
 * (res_expansion): references are found by binary search in a result
 * ordered by id, the links of a set are chained per page row. Two users:
 *   - res_expand_rows() adds them to JSON rows (single reads, CSV, writes);
 *   - res_page_*() write a columnar page straight to JSON text (lists).
 * Both give the same JSON: a row's keys are its columns in SELECT order,
 * then -- field by field -- each set's ids, with "_display" placed where the
 * first display name (a reference found, or any set) created it.
 */
#include "cmdb/res_internal.h"

#include "app.h"
#include "http/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a page column is written (res_page.kind). */
enum { K_PLAIN, K_BOOL, K_TAGS };

void res_select_list(const resource *res, sbuf *out, const char *prefix)
{
    /* Appends, not printf: this runs for every list and read. */
    sbuf_puts(out, prefix);
    sbuf_puts(out, "id");
    for (const res_field *f = res->fields; f->name; f++) {
        if (!res_is_column(f))
            continue;
        sbuf_puts(out, f->type == FT_SECRET ? ", CASE WHEN " : ", ");
        sbuf_puts(out, prefix);
        sbuf_puts(out, f->name);
        if (f->type == FT_SECRET) {
            sbuf_puts(out, " IS NULL THEN 0 ELSE 1 END AS ");
            sbuf_puts(out, f->name);
            sbuf_puts(out, "_set");
        }
    }
}

/* ---- integer lists ------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Arrays up to this size (a page) are sorted by insertion: no call per
 * comparison, no scratch memory. */
#define SMALL_SORT 64

/* Sort v and drop repeats; returns the new count. */
static size_t sort_unique(int64_t *v, size_t n)
{
    size_t m = 0;

    if (n == 0)
        return 0;
    if (n > SMALL_SORT) {
        qsort(v, n, sizeof *v, cmp_i64);
    } else {
        for (size_t i = 1; i < n; i++) {
            int64_t x = v[i];
            size_t j = i;
            for (; j > 0 && v[j - 1] > x; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
    }
    for (size_t i = 1; i < n; i++) {
        if (v[i] != v[m])
            v[++m] = v[i];
    }
    return m + 1;
}

/* The row of r whose first column (an id, ascending) is id, or -1. */
static int find_by_id(const db_cols *r, int64_t id)
{
    int lo = 0, hi = r->nrows - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        const db_cell *c = db_cols_cell(r, mid, 0);
        int64_t v = c->type == DBC_INT ? c->v.i : 0;
        if (v == id)
            return mid;
        if (v < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* ---- scope --------------------------------------------------------------- */

bool res_scoped(const http_req *r, const resource *res)
{
    return r && res->scope != RES_SCOPE_NONE && !r->auth.superuser && json_array_size(r->auth.group_ids) > 0;
}

bool res_scope_list(const http_req *r, int64_t **ids, size_t *n)
{
    size_t i, total = r ? json_array_size(r->auth.group_ids) : 0;
    json_t *e;

    *ids = NULL;
    *n = 0;
    if (total == 0)
        return true;
    *ids = malloc(total * sizeof **ids);
    if (!*ids)
        return false;
    json_array_foreach(r->auth.group_ids, i, e) {
        if (json_is_integer(e) && json_integer_value(e) > 0) /* as res_id_list() */
            (*ids)[(*n)++] = (int64_t)json_integer_value(e);
    }
    return true;
}

int res_scope_cond(const db *d, const resource *res, const char *col, int k, char *out, size_t len)
{
    char in[160];
    int w;

    if (res->scope == RES_SCOPE_GROUPS)
        return db_sql_in_ints(d, col, k, out, len);
    if (db_sql_in_ints(d, "group_id", k, in, sizeof in) != DB_OK)
        return DB_ERR;
    w = snprintf(out, len, "%s IN (SELECT host_id FROM host_group_members WHERE %s)", col, in);
    return w >= 0 && (size_t)w < len ? DB_OK : DB_ERR;
}

bool res_scope_ids(const http_req *r, const resource *res, sbuf *out)
{
    if (!res_scoped(r, res))
        return false;
    sbuf_puts(out, res->scope == RES_SCOPE_HOSTS ? "(SELECT host_id FROM host_group_members WHERE group_id IN ("
                                                 : "(");
    res_id_list(r->auth.group_ids, out);
    sbuf_puts(out, res->scope == RES_SCOPE_HOSTS ? "))" : ")");
    return true;
}

void res_scope_sql(const http_req *r, const resource *res, sbuf *out, const char *id_col)
{
    if (!res_scoped(r, res))
        return;
    sbuf_printf(out, " AND %s IN ", id_col);
    res_scope_ids(r, res, out);
}

bool res_in_scope(const http_req *r, db_conn *c, const resource *res, int64_t id)
{
    if (!res_scoped(r, res))
        return true;
    sbuf sql = SBUF_INIT;
    int64_t n = 0;
    sbuf_printf(&sql, "SELECT count(*) FROM %s WHERE id = $1", res->table);
    res_scope_sql(r, res, &sql, "id");
    bool ok = !sbuf_failed(&sql) && db_query_int(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &n) == DB_OK &&
              n > 0;
    sbuf_free(&sql);
    return ok;
}

/* ---- expansion queries (both read paths) ---------------------------------- */

/* A page row's id and its index, to find rows by id. */
typedef struct {
    int64_t id;
    int row;
} id_row;

static int cmp_id_row(const void *a, const void *b)
{
    return cmp_i64(&((const id_row *)a)->id, &((const id_row *)b)->id);
}

static void sort_id_rows(id_row *v, size_t n)
{
    if (n > SMALL_SORT) {
        qsort(v, n, sizeof *v, cmp_id_row);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        id_row x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].id > x.id; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static void exp_free(res_expansion *e)
{
    db_cols_free(&e->found);
    free(e->head);
    free(e->next);
    e->head = e->next = NULL;
}

/* Display names of the rows of f->ref whose ids are ids[0..n) (sorted and
 * de-duplicated here; the array is the caller's scratch). */
static int exp_ref(db_conn *c, const res_field *f, int64_t *ids, size_t n, res_expansion *e)
{
    const resource *other = resource_find(f->ref);
    char in[128];
    sbuf sql = SBUF_INIT;
    int rc;

    n = sort_unique(ids, n);
    if (n == 0)
        return DB_OK; /* nothing to look up: no query */
    if (!other || db_sql_in_ints(db_of(c), "id", 1, in, sizeof in) != DB_OK)
        return DB_ERR;
    sbuf_printf(&sql, "SELECT id, %s AS d FROM %s WHERE %s ORDER BY id", other->display, other->table, in);
    rc = sbuf_failed(&sql) ? DB_ERR : db_query_cols(c, sbuf_str(&sql), DB_ARGS(DB_INTS(ids, n)), &e->found);
    sbuf_free(&sql);
    return rc;
}

/* The row of byid (sorted by id) whose id is id, or -1. */
static int row_of(const id_row *byid, int n, int64_t id)
{
    int lo = 0, hi = n - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (byid[mid].id == id)
            return byid[mid].row;
        if (byid[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Chain the links e->found (owner, id, d) of each page row, ordered by id:
 * sorted here rather than by SQL, which would sort the rows in a temporary
 * b-tree for every page. */
static int exp_chain(res_expansion *e, const int64_t *row_ids, int nrows)
{
    const int nl = e->found.nrows;
    id_row *byid = malloc((size_t)nrows * sizeof *byid);
    id_row *links = malloc(((size_t)nl + 1) * sizeof *links);
    int *tail = malloc((size_t)nrows * sizeof *tail);
    int rc = DB_ERR;

    e->head = malloc((size_t)nrows * sizeof *e->head);
    e->next = malloc(((size_t)nl + 1) * sizeof *e->next);
    if (!byid || !links || !tail || !e->head || !e->next)
        goto done;
    for (int i = 0; i < nrows; i++) {
        byid[i] = (id_row){row_ids[i], i};
        e->head[i] = tail[i] = -1;
    }
    sort_id_rows(byid, (size_t)nrows);
    for (int l = 0; l < nl; l++) {
        const db_cell *id = db_cols_cell(&e->found, l, 1);
        links[l] = (id_row){id->type == DBC_INT ? id->v.i : 0, l};
        e->next[l] = -1;
    }
    sort_id_rows(links, (size_t)nl);
    for (int k = 0; k < nl; k++) {
        const int l = links[k].row;
        const db_cell *owner = db_cols_cell(&e->found, l, 0);
        int row = owner->type == DBC_INT ? row_of(byid, nrows, owner->v.i) : -1;
        if (row < 0)
            continue;
        if (tail[row] < 0)
            e->head[row] = l;
        else
            e->next[tail[row]] = l;
        tail[row] = l;
    }
    rc = DB_OK;
done:
    free(byid);
    free(links);
    free(tail);
    return rc;
}

/* The members of set field f for the page rows whose ids are row_ids (page
 * order), within the caller's scope, chained per row. */
static int exp_set(const http_req *r, db_conn *c, const res_field *f, const int64_t *row_ids, int nrows,
                   res_expansion *e)
{
    const resource *other = resource_find(f->ref);
    const db *d = db_of(c);
    const bool scoped = res_scoped(r, other);
    char col[80], in[160], scope[256];
    sbuf sql = SBUF_INIT;
    int64_t *ids = NULL, *groups = NULL;
    size_t n, ngroups = 0;
    int rc = DB_ERR;

    if (!other || nrows <= 0)
        return other ? DB_OK : DB_ERR;
    ids = malloc((size_t)nrows * sizeof *ids);
    if (!ids)
        goto done;
    memcpy(ids, row_ids, (size_t)nrows * sizeof *ids);
    n = sort_unique(ids, (size_t)nrows);
    snprintf(col, sizeof col, f->type == FT_REFS ? "l.%s" : "%s", f->link_self);
    if (db_sql_in_ints(d, col, 1, in, sizeof in) != DB_OK)
        goto done;
    if (f->type == FT_REFS)
        sbuf_printf(&sql, "SELECT l.%s AS owner, o.id AS id, o.%s AS d FROM %s l JOIN %s o ON o.id = l.%s WHERE %s",
                    f->link_self, other->display, f->link_table, other->table, f->link_other, in);
    else
        sbuf_printf(&sql, "SELECT %s AS owner, id, %s AS d FROM %s o WHERE %s", f->link_self, other->display,
                    other->table, in);
    if (scoped) {
        if (!res_scope_list(r, &groups, &ngroups) || res_scope_cond(d, other, "o.id", 2, scope, sizeof scope) != DB_OK)
            goto done;
        sbuf_printf(&sql, " AND %s", scope);
    }
    if (sbuf_failed(&sql))
        goto done;
    if (scoped)
        rc = db_query_cols(c, sbuf_str(&sql), DB_ARGS(DB_INTS(ids, n), DB_INTS(groups, ngroups)), &e->found);
    else
        rc = db_query_cols(c, sbuf_str(&sql), DB_ARGS(DB_INTS(ids, n)), &e->found);
    if (rc == DB_OK)
        rc = exp_chain(e, row_ids, nrows);
done:
    sbuf_free(&sql);
    free(ids);
    free(groups);
    return rc;
}

/* The reference field f of a page, read for the values vals[0..n) (the
 * caller's scratch, reordered), or the set field f for the page rows
 * row_ids[0..nrows). */
static int exp_run(const http_req *r, db_conn *c, const res_field *f, int64_t *vals, size_t n,
                   const int64_t *row_ids, int nrows, res_expansion *e)
{
    e->f = f;
    if (f->type == FT_REF)
        return exp_ref(c, f, vals, n, e);
    return exp_set(r, c, f, row_ids, nrows, e);
}

/* The display name found for reference value v (a cell of the page), or
 * NULL. Only positive integers are looked up (as res_id_list() did). */
static const db_cell *exp_ref_find(const res_expansion *e, const db_cell *v)
{
    int at;

    if (v->type != DBC_INT || v->v.i <= 0)
        return NULL;
    at = find_by_id(&e->found, v->v.i);
    return at < 0 ? NULL : db_cols_cell(&e->found, at, 1);
}

/* ---- JSON rows (single reads, CSV, writes) ------------------------------- */

static json_t *display_of(json_t *row)
{
    json_t *d = json_object_get(row, "_display");
    if (!d) {
        d = json_object();
        json_object_set_new(row, "_display", d);
    }
    return d;
}

/* Add what e found to the JSON rows (in the order the rows were read). */
static int attach(const res_expansion *e, json_t *rows)
{
    size_t i;
    json_t *row;

    json_array_foreach(rows, i, row) {
        if (e->f->type == FT_REF) {
            json_t *v = json_object_get(row, e->f->name);
            db_cell key = {.type = json_is_integer(v) ? DBC_INT : DBC_NULL, .v.i = json_integer_value(v)};
            const db_cell *d = exp_ref_find(e, &key);
            json_t *dj;
            if (!d)
                continue;
            dj = db_cell_json(d);
            if (!dj || json_object_set_new(display_of(row), e->f->name, dj) != 0)
                return DB_ERR;
            continue;
        }
        json_t *ids = json_array(), *names = json_array();
        if (!ids || !names) {
            json_decref(ids);
            json_decref(names);
            return DB_ERR;
        }
        bool ok = true;
        for (int l = e->head ? e->head[i] : -1; l >= 0 && ok; l = e->next[l])
            ok = json_array_append_new(ids, db_cell_json(db_cols_cell(&e->found, l, 1))) == 0 &&
                 json_array_append_new(names, db_cell_json(db_cols_cell(&e->found, l, 2))) == 0;
        if (!ok) {
            json_decref(ids);
            json_decref(names);
            return DB_ERR;
        }
        if (json_object_set_new(row, e->f->name, ids) != 0 ||
            json_object_set_new(display_of(row), e->f->name, names) != 0)
            return DB_ERR;
    }
    return DB_OK;
}

/* Flags as booleans, tags as arrays, secret markers as booleans. */
static void typed_values(const resource *res, json_t *rows)
{
    size_t i;
    json_t *row;

    json_array_foreach(rows, i, row) {
        for (const res_field *f = res->fields; f->name; f++) {
            if (f->type == FT_BOOL) {
                json_t *v = json_object_get(row, f->name);
                json_object_set_new(row, f->name, json_boolean(json_integer_value(v)));
            } else if (f->type == FT_TAGS) {
                json_t *v = json_object_get(row, f->name);
                if (!json_is_string(v))
                    continue;
                json_t *arr = json_loads(json_string_value(v), 0, NULL);
                if (!json_is_array(arr)) {
                    json_decref(arr);
                    arr = json_array();
                }
                json_object_set_new(row, f->name, arr);
            } else if (f->type == FT_SECRET) {
                char key[80];
                snprintf(key, sizeof key, "%s_set", f->name);
                json_object_set_new(row, key, json_boolean(json_integer_value(json_object_get(row, key))));
            }
        }
    }
}

int res_expand_rows(const http_req *r, db_conn *c, const resource *res, json_t *rows)
{
    size_t n = json_array_size(rows), i;
    int64_t *row_ids = NULL, *vals = NULL;
    json_t *row;
    int rc = DB_OK;

    if (n == 0)
        return DB_OK;
    if (n > INT32_MAX)
        return DB_ERR;
    row_ids = malloc(n * sizeof *row_ids);
    vals = malloc(n * sizeof *vals);
    if (!row_ids || !vals) {
        rc = DB_ERR;
        goto done;
    }
    json_array_foreach(rows, i, row)
        row_ids[i] = (int64_t)json_integer_value(json_object_get(row, "id"));
    for (const res_field *f = res->fields; f->name && rc == DB_OK; f++) {
        res_expansion e = {0};
        size_t nv = 0;
        if (f->type != FT_REF && f->type != FT_REFS && f->type != FT_BACKREFS)
            continue;
        if (f->type == FT_REF) {
            json_array_foreach(rows, i, row) {
                json_t *v = json_object_get(row, f->name);
                if (json_is_integer(v) && json_integer_value(v) > 0)
                    vals[nv++] = (int64_t)json_integer_value(v);
            }
        }
        rc = exp_run(r, c, f, vals, nv, row_ids, (int)n, &e);
        if (rc == DB_OK)
            rc = attach(&e, rows);
        exp_free(&e);
    }
    if (rc == DB_OK)
        typed_values(res, rows);
done:
    free(row_ids);
    free(vals);
    return rc;
}

json_t *res_load(const http_req *r, db_conn *c, const resource *res, int64_t id, int *rc)
{
    sbuf sql = SBUF_INIT;
    json_t *rows = NULL, *row = NULL;
    sbuf_puts(&sql, "SELECT ");
    res_select_list(res, &sql, "");
    sbuf_printf(&sql, " FROM %s WHERE id = $1", res->table);
    *rc = sbuf_failed(&sql) ? DB_ERR : db_query(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &rows);
    sbuf_free(&sql);
    if (*rc == DB_OK && json_array_size(rows) == 0)
        *rc = DB_NOTFOUND;
    if (*rc == DB_OK)
        *rc = res_expand_rows(r, c, res, rows);
    if (*rc == DB_OK)
        row = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return row;
}

/* ---- a columnar page (lists) --------------------------------------------- */

void res_page_free(res_page *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->nexp; i++)
        exp_free(&p->exp[i]);
    db_cols_free(&p->rows);
    free(p->kind);
    memset(p, 0, sizeof *p);
}

/* How column `name` of res is written. */
static unsigned char column_kind(const resource *res, const char *name)
{
    const res_field *f = resource_field(res, name);
    size_t len = strlen(name);
    char base[64];

    if (f)
        return f->type == FT_BOOL ? K_BOOL : f->type == FT_TAGS ? K_TAGS : K_PLAIN;
    /* "<secret>_set" (res_select_list) */
    if (len > 4 && len - 4 < sizeof base && strcmp(name + len - 4, "_set") == 0) {
        memcpy(base, name, len - 4);
        base[len - 4] = '\0';
        f = resource_field(res, base);
        if (f && f->type == FT_SECRET)
            return K_BOOL;
    }
    return K_PLAIN;
}

int res_page_expand(const http_req *r, db_conn *c, const resource *res, db_cols *rows, res_page *p)
{
    int64_t *row_ids = NULL, *vals = NULL;
    int rc = DB_ERR, nrows;

    memset(p, 0, sizeof *p);
    p->res = res;
    p->rows = *rows;
    memset(rows, 0, sizeof *rows);
    nrows = p->rows.nrows;
    p->id_col = db_cols_find(&p->rows, "id");
    p->kind = malloc((size_t)p->rows.ncols + 1);
    row_ids = malloc(((size_t)nrows + 1) * sizeof *row_ids);
    vals = malloc(((size_t)nrows + 1) * sizeof *vals);
    if (p->id_col < 0 || !p->kind || !row_ids || !vals)
        goto done;
    for (int i = 0; i < p->rows.ncols; i++)
        p->kind[i] = column_kind(res, p->rows.names[i]);
    for (int i = 0; i < nrows; i++) {
        const db_cell *v = db_cols_cell(&p->rows, i, p->id_col);
        row_ids[i] = v->type == DBC_INT ? v->v.i : 0;
    }
    rc = DB_OK;
    for (const res_field *f = res->fields; f->name && rc == DB_OK && nrows > 0; f++) {
        res_expansion *e;
        size_t nv = 0;
        if (f->type != FT_REF && f->type != FT_REFS && f->type != FT_BACKREFS)
            continue;
        if (p->nexp >= RES_MAX_EXPAND) {
            rc = DB_ERR;
            break;
        }
        e = &p->exp[p->nexp++];
        e->col = -1;
        if (f->type == FT_REF) {
            e->col = db_cols_find(&p->rows, f->name);
            for (int i = 0; i < nrows && e->col >= 0; i++) {
                const db_cell *v = db_cols_cell(&p->rows, i, e->col);
                if (v->type == DBC_INT && v->v.i > 0)
                    vals[nv++] = v->v.i;
            }
            if (e->col < 0) {
                rc = DB_ERR;
                break;
            }
        }
        rc = exp_run(r, c, f, vals, nv, row_ids, nrows, e);
    }
done:
    free(row_ids);
    free(vals);
    return rc;
}

/* One cell as the JSON value db_cell_json() + jansson would write. */
static void put_cell(jsonw *w, const db_cell *c)
{
    switch (c->type) {
    case DBC_INT:
        jsonw_int(w, c->v.i);
        break;
    case DBC_REAL:
        jsonw_real(w, c->v.d);
        break;
    case DBC_TEXT:
        jsonw_string(w, c->v.s, c->len);
        break;
    case DBC_BOOL:
        jsonw_bool(w, c->v.i != 0);
        break;
    case DBC_NULL:
    default:
        jsonw_null(w);
        break;
    }
}

/* Tags as res_bind_value() stores them -- json_dumps(JSON_COMPACT) of an
 * array of strings, "[]" or ["a","b"] -- and holding no backslash or control
 * byte: each string is then exactly the bytes between its quotes, so it is
 * written without a parse. False (nothing written) for any other text. */
static bool put_plain_tags(jsonw *w, const char *s, size_t n)
{
    size_t i = 1;

    if (n < 2 || s[0] != '[' || s[n - 1] != ']')
        return false;
    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\\' || (unsigned char)s[k] < 0x20)
            return false;
    }
    while (i < n - 1) { /* check the shape first: nothing may be written yet */
        const char *end;
        if (s[i] != '"' || !(end = memchr(s + i + 1, '"', n - 1 - (i + 1))))
            return false;
        i = (size_t)(end - s) + 1;
        if (s[i] == ',' && i + 1 < n - 1)
            i++;
        else if (i != n - 1)
            return false;
    }
    jsonw_array_begin(w);
    for (i = 1; i < n - 1;) {
        const char *end = memchr(s + i + 1, '"', n - 1 - (i + 1));
        jsonw_string(w, s + i + 1, (size_t)(end - (s + i + 1))); /* repairs bad UTF-8 as db_query() */
        i = (size_t)(end - s) + 2;
    }
    jsonw_array_end(w);
    return true;
}

/* A tags column: the JSON array its text holds, or [] (as typed_values). */
static void put_tags(jsonw *w, const db_cell *c)
{
    json_t *text, *arr;

    if (c->type != DBC_TEXT) {
        put_cell(w, c); /* not a string: left as it is */
        return;
    }
    if (put_plain_tags(w, c->v.s, c->len))
        return;
    text = db_cell_json(c); /* repaired to valid UTF-8 first, as db_query() does */
    if (!text) {
        jsonw_fail(w);
        return;
    }
    arr = json_loads(json_string_value(text), 0, NULL);
    if (json_is_array(arr)) {
        jsonw_json(w, arr);
    } else {
        jsonw_array_begin(w);
        jsonw_array_end(w);
    }
    json_decref(arr);
    json_decref(text);
}

/* The ids (col 1) or display names (col 2) of page row `row` in set e. */
static void put_set(jsonw *w, const res_expansion *e, int row, int col)
{
    jsonw_array_begin(w);
    for (int l = e->head ? e->head[row] : -1; l >= 0; l = e->next[l])
        put_cell(w, db_cols_cell(&e->found, l, col));
    jsonw_array_end(w);
}

/* The keys of a page, escaped once for all its rows. */
typedef struct {
    jsonw_pkey *col; /* one per column */
    jsonw_pkey exp[RES_MAX_EXPAND];
    jsonw_pkey display;
} page_keys;

static void put_display(jsonw *w, const res_page *p, const page_keys *keys, int row)
{
    jsonw_key_pkey(w, &keys->display);
    jsonw_object_begin(w);
    for (int k = 0; k < p->nexp; k++) {
        const res_expansion *e = &p->exp[k];
        if (e->col >= 0) {
            const db_cell *d = exp_ref_find(e, db_cols_cell(&p->rows, row, e->col));
            if (!d)
                continue;
            jsonw_key_pkey(w, &keys->exp[k]);
            put_cell(w, d);
        } else {
            jsonw_key_pkey(w, &keys->exp[k]);
            put_set(w, e, row, 2);
        }
    }
    jsonw_object_end(w);
}

static void put_row(jsonw *w, const res_page *p, const page_keys *keys, int row)
{
    int first_display = -1; /* the expansion that creates "_display" */

    jsonw_object_begin(w);
    for (int i = 0; i < p->rows.ncols; i++) {
        const db_cell *c = db_cols_cell(&p->rows, row, i);
        jsonw_key_pkey(w, &keys->col[i]);
        if (p->kind[i] == K_BOOL)
            jsonw_bool(w, c->type == DBC_INT && c->v.i != 0); /* as json_integer_value() */
        else if (p->kind[i] == K_TAGS)
            put_tags(w, c);
        else
            put_cell(w, c);
    }
    for (int k = 0; k < p->nexp && first_display < 0; k++) {
        const res_expansion *e = &p->exp[k];
        if (e->col < 0 || exp_ref_find(e, db_cols_cell(&p->rows, row, e->col)))
            first_display = k;
    }
    for (int k = 0; k < p->nexp; k++) {
        const res_expansion *e = &p->exp[k];
        if (e->col < 0) {
            jsonw_key_pkey(w, &keys->exp[k]);
            put_set(w, e, row, 1);
        }
        if (k == first_display)
            put_display(w, p, keys, row);
    }
    jsonw_object_end(w);
}

/* Escape the page's keys once for w's flags; false when out of memory. */
static bool page_keys_init(page_keys *keys, const res_page *p, unsigned flags)
{
    bool ok = true;

    keys->col = malloc(((size_t)p->rows.ncols + 1) * sizeof *keys->col);
    if (!keys->col)
        return false;
    for (int i = 0; i < p->rows.ncols && ok; i++)
        ok = jsonw_pkey_init(&keys->col[i], p->rows.names[i], strlen(p->rows.names[i]), flags);
    for (int k = 0; k < p->nexp && ok; k++)
        ok = jsonw_pkey_init(&keys->exp[k], p->exp[k].f->name, strlen(p->exp[k].f->name), flags);
    return ok && jsonw_pkey_init(&keys->display, "_display", strlen("_display"), flags);
}

void res_page_write(const res_page *p, jsonw *w)
{
    page_keys keys;

    if (!page_keys_init(&keys, p, w->flags)) {
        free(keys.col);
        jsonw_fail(w);
        return;
    }
    jsonw_array_begin(w);
    for (int row = 0; row < p->rows.nrows && !jsonw_failed(w); row++)
        put_row(w, p, &keys, row);
    jsonw_array_end(w);
    free(keys.col);
}
