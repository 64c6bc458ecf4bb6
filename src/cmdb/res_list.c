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
 * that pages never repeat or skip rows with equal keys.
 */
#include "cmdb/res_internal.h"

#include "api/listq.h"
#include "app.h"
#include "common/util.h"

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

typedef struct {
    listq q;
    listq_field fields[RES_MAX_FIELDS + 2];
    char *fts;           /* owned FTS phrase */
    char *like;          /* owned LIKE pattern (taken from listq) */
    sbuf scope;
    char idlist[4096];
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
    return true;
}

/* ?ids=1,2,3 → " AND id IN (1,2,3)" after checking every entry. */
static bool add_ids(http_req *r, http_resp *w, res_query *rq)
{
    const char *ids = req_query(r, "ids");
    if (!ids || !*ids)
        return true;
    size_t o = 0;
    o += (size_t)snprintf(rq->idlist, sizeof rq->idlist, "id IN (");
    for (const char *p = ids; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v <= 0 || (*end && *end != ',') || o + 24 >= sizeof rq->idlist) {
            resp_error(w, 400, "bad_request", "ids", "ids must be up to 200 positive integers separated by commas");
            return false;
        }
        o += (size_t)snprintf(rq->idlist + o, sizeof rq->idlist - o, "%s%lld", o > 7 ? "," : "", v);
        p = *end ? end + 1 : end;
    }
    snprintf(rq->idlist + o, sizeof rq->idlist - o, ")");
    listq_where_sql(&rq->q, rq->idlist);
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

/* Parse everything; false after answering 400. */
static bool res_query_parse(http_req *r, http_resp *w, const resource *res, res_query *rq)
{
    int n = 0;
    rq->fields[n++] = (listq_field){"id", LISTQ_SORT};
    for (const res_field *f = res->fields; f->name && n < RES_MAX_FIELDS; f++)
        if (f->flags & F_SORT)
            rq->fields[n++] = (listq_field){f->name, LISTQ_SORT};
    rq->fields[n] = (listq_field){NULL, 0};
    sbuf_init(&rq->scope);
    if (!listq_parse(r, w, rq->fields, res->default_sort, &rq->q))
        return false;
    stable_order(&rq->q);
    if (!add_search(r, w, res, rq) || !add_ids(r, w, rq) || !add_filters(r, w, res, rq))
        return false;
    res_scope_sql(r, res, &rq->scope, "id");
    if (rq->scope.len)
        listq_where_sql(&rq->q, sbuf_str(&rq->scope) + 5); /* drop the leading " AND " */
    return true;
}

static void res_query_free(res_query *rq)
{
    listq_free(&rq->q);
    free(rq->fts);
    free(rq->like);
    sbuf_free(&rq->scope);
}

static void send_csv(http_req *r, http_resp *w, const resource *res, const json_t *rows)
{
    sbuf out = SBUF_INIT;
    const char *lang = req_query(r, "lang");
    res_csv_write(res, rows, lang && strncmp(lang, "zh", 2) == 0 ? "zh" : "en", &out);
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

void resource_list(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    res_query rq = {0};
    sbuf select = SBUF_INIT;
    json_t *rows = NULL;
    int64_t total = 0;
    const char *format = req_query(r, "format");
    bool csv = format && strcmp(format, "csv") == 0;
    if (format && !csv) {
        resp_error(w, 400, "bad_request", "format", "format must be csv");
        goto done;
    }
    if (!res_query_parse(r, w, res, &rq))
        goto done;
    rq.q.all = csv;
    sbuf_puts(&select, "SELECT ");
    res_select_list(res, &select, "");
    sbuf_printf(&select, " FROM %s", res->table);
    if (sbuf_failed(&select) || !listq_fetch(r, w, &rq.q, sbuf_str(&select), &rows, &total)) {
        if (w->status == 0)
            resp_internal(w, "out of memory");
        goto done;
    }
    db_conn *c = db_acquire(r->app->db);
    int rc = res_expand_rows(r, c, res, rows);
    db_release(c);
    if (rc != DB_OK) {
        resp_internal(w, "expand rows");
        goto done;
    }
    if (csv)
        send_csv(r, w, res, rows);
    else
        resp_json(w, 200, json_pack("{s:O, s:I, s:I}", "items", rows, "total", (json_int_t)total, "now",
                                    (json_int_t)util_now()));
done:
    json_decref(rows);
    sbuf_free(&select);
    res_query_free(&rq);
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
