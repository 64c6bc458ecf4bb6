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
 * ordered by id, the links of a set are chained per page row. For a list
 * page, the names of small tables (IDCs, owners, groups…) come from the
 * names kept per CMDB generation (res_names.c) instead of a query -- when
 * they hold every id the page needs. Two users:
 *   - res_expand_rows() adds them to JSON rows (single reads, CSV, writes);
 *   - res_page_expand() for a columnar page, which res_page.c writes
 *     straight to JSON text (lists).
 * Both give the same JSON: a row's keys are its columns in SELECT order,
 * then -- field by field -- each set's ids, with "_display" placed where the
 * first display name (a reference found, or any set) created it.
 */
#include "cmdb/res_internal.h"

#include "api/cache_gen.h"
#include "app.h"
#include "http/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    res_names_release(e->names_hold);
    e->head = e->next = NULL;
    e->names = NULL;
    e->names_hold = NULL;
}

/* Use the kept names of `other` (res_names.c) when every id in ids[0..n)
 * -- read from col of `from` when from is not NULL -- is among them; else
 * leave e->names unset (the caller reads the names itself: a row created
 * since they were kept). */
static void exp_use_names(db_conn *c, const resource *other, int64_t gen, const int64_t *ids, size_t n,
                          const db_cols *from, int col, res_expansion *e)
{
    const db_cols *names = res_names_get(c, other, gen, &e->names_hold);
    size_t count = from ? (size_t)from->nrows : n;

    for (size_t i = 0; names && i < count; i++) {
        const db_cell *v = from ? db_cols_cell(from, (int)i, col) : NULL;
        int64_t id = from ? (v->type == DBC_INT ? v->v.i : 0) : ids[i];
        if (find_by_id(names, id) < 0)
            names = NULL;
    }
    if (names) {
        e->names = names;
        return;
    }
    res_names_release(e->names_hold);
    e->names_hold = NULL;
}

/* Display names of the rows of f->ref whose ids are ids[0..n) (sorted and
 * de-duplicated here; the array is the caller's scratch): the names kept
 * for generation gen when they hold them all (gen 0: none), else a query. */
static int exp_ref(db_conn *c, const res_field *f, int64_t gen, int64_t *ids, size_t n, res_expansion *e)
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
    if (gen > 0)
        exp_use_names(c, other, gen, ids, n, NULL, 0, e);
    if (e->names)
        return DB_OK;
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

/* The links of set field f (to rows of other) of the rows ids[0..n), within
 * the caller's scope, into *found: (owner, id, d), or (owner, id) read from
 * the link table alone when bare (FT_REFS only: the names come from
 * elsewhere). */
static int set_query(const http_req *r, db_conn *c, const res_field *f, const resource *other, bool bare,
                     const int64_t *ids, size_t n, db_cols *found)
{
    const db *d = db_of(c);
    const bool scoped = res_scoped(r, other);
    char col[80], in[160], scope[256];
    sbuf sql = SBUF_INIT;
    int64_t *groups = NULL;
    size_t ngroups = 0;
    int rc = DB_ERR;

    snprintf(col, sizeof col, f->type == FT_REFS ? "l.%s" : "%s", f->link_self);
    if (db_sql_in_ints(d, col, 1, in, sizeof in) != DB_OK)
        goto done;
    if (bare)
        sbuf_printf(&sql, "SELECT l.%s AS owner, l.%s AS id FROM %s l WHERE %s", f->link_self, f->link_other,
                    f->link_table, in);
    else if (f->type == FT_REFS)
        sbuf_printf(&sql, "SELECT l.%s AS owner, o.id AS id, o.%s AS d FROM %s l JOIN %s o ON o.id = l.%s WHERE %s",
                    f->link_self, other->display, f->link_table, other->table, f->link_other, in);
    else
        sbuf_printf(&sql, "SELECT %s AS owner, id, %s AS d FROM %s o WHERE %s", f->link_self, other->display,
                    other->table, in);
    if (scoped) {
        snprintf(col, sizeof col, bare ? "l.%s" : "o.id", f->link_other);
        if (!res_scope_list(r, &groups, &ngroups) || res_scope_cond(d, other, col, 2, scope, sizeof scope) != DB_OK)
            goto done;
        sbuf_printf(&sql, " AND %s", scope);
    }
    if (sbuf_failed(&sql))
        goto done;
    if (scoped)
        rc = db_query_cols(c, sbuf_str(&sql), DB_ARGS(DB_INTS(ids, n), DB_INTS(groups, ngroups)), found);
    else
        rc = db_query_cols(c, sbuf_str(&sql), DB_ARGS(DB_INTS(ids, n)), found);
done:
    sbuf_free(&sql);
    free(groups);
    return rc;
}

/* The members of set field f for the page rows whose ids are row_ids (page
 * order), within the caller's scope, chained per row; their names from the
 * names kept for generation gen when those hold them all (gen 0: never). */
static int exp_set(const http_req *r, db_conn *c, const res_field *f, int64_t gen, const int64_t *row_ids,
                   int nrows, res_expansion *e)
{
    const resource *other = resource_find(f->ref);
    int64_t *ids = NULL;
    size_t n;
    int rc = DB_ERR;

    if (!other || nrows <= 0)
        return other ? DB_OK : DB_ERR;
    ids = malloc((size_t)nrows * sizeof *ids);
    if (!ids)
        goto done;
    memcpy(ids, row_ids, (size_t)nrows * sizeof *ids);
    n = sort_unique(ids, (size_t)nrows);
    if (gen > 0 && f->type == FT_REFS && set_query(r, c, f, other, true, ids, n, &e->found) == DB_OK)
        exp_use_names(c, other, gen, NULL, 0, &e->found, 1, e);
    if (!e->names) {
        db_cols_free(&e->found);
        rc = set_query(r, c, f, other, false, ids, n, &e->found);
    } else {
        rc = DB_OK;
    }
    if (rc == DB_OK)
        rc = exp_chain(e, row_ids, nrows);
done:
    free(ids);
    return rc;
}

/* The reference field f of a page, read for the values vals[0..n) (the
 * caller's scratch, reordered), or the set field f for the page rows
 * row_ids[0..nrows). */
static int exp_run(const http_req *r, db_conn *c, const res_field *f, int64_t gen, int64_t *vals, size_t n,
                   const int64_t *row_ids, int nrows, res_expansion *e)
{
    e->f = f;
    if (f->type == FT_REF)
        return exp_ref(c, f, gen, vals, n, e);
    return exp_set(r, c, f, gen, row_ids, nrows, e);
}

/* The display name found for reference value v (a cell of the page), or
 * NULL. Only positive integers are looked up (as res_id_list() did). */
const db_cell *res_exp_ref_find(const res_expansion *e, const db_cell *v)
{
    int at;

    const db_cols *names = e->names ? e->names : &e->found;

    if (v->type != DBC_INT || v->v.i <= 0)
        return NULL;
    at = find_by_id(names, v->v.i);
    return at < 0 ? NULL : db_cols_cell(names, at, 1);
}

const db_cell *res_exp_set_name(const res_expansion *e, int l)
{
    static const db_cell null_cell = {.type = DBC_NULL};
    const db_cell *id;
    int at;

    if (!e->names)
        return db_cols_cell(&e->found, l, 2);
    id = db_cols_cell(&e->found, l, 1);
    at = id->type == DBC_INT ? find_by_id(e->names, id->v.i) : -1; /* found: checked when read */
    return at < 0 ? &null_cell : db_cols_cell(e->names, at, 1);
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
            const db_cell *d = res_exp_ref_find(e, &key);
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
                 json_array_append_new(names, db_cell_json(res_exp_set_name(e, l))) == 0;
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
        rc = exp_run(r, c, f, 0, vals, nv, row_ids, (int)n, &e);
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
    free(p->order);
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
    int64_t *row_ids = NULL, *vals = NULL, gen = r ? r->auth.cmdb_gen : 0;
    int rc = DB_ERR, nrows;
    cache_gens g;

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
    if (gen <= 0 && nrows > 0 && cache_gen_read(c, &g) == DB_OK)
        gen = g.cmdb; /* not read by auth: read it now, before any name is */
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
        rc = exp_run(r, c, f, gen, vals, nv, row_ids, nrows, e);
    }
done:
    free(row_ids);
    free(vals);
    return rc;
}
