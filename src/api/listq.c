/* listq.c -- see listq.h. */
#include "api/listq.h"

#include "app.h"
#include "common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const listq_field *find_field(const listq_field *f, const char *name, unsigned flag)
{
    for (; f->name; f++)
        if (strcmp(f->name, name) == 0 && (f->flags & flag))
            return f;
    return NULL;
}

char *listq_like_pattern(const char *q)
{
    size_t n = strlen(q);
    char *p = malloc(n * 2 + 3), *o = p;
    if (!p)
        return NULL;
    *o++ = '%';
    for (const char *s = q; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *o++ = '\\';
        *o++ = (char)tolower((unsigned char)*s);
    }
    *o++ = '%';
    *o = '\0';
    return p;
}

bool listq_parse(http_req *r, http_resp *w, const listq_field *fields, const char *default_sort,
                 listq *q)
{
    memset(q, 0, sizeof *q);
    sbuf_init(&q->where);
    q->fields = fields;
    q->page = 1;
    q->per_page = 20;
    const char *page = req_query(r, "page"), *per = req_query(r, "per_page"),
               *sort = req_query(r, "sort"), *search = req_query(r, "q");
    if (page && (!util_parse_i64(page, &q->page) || q->page < 1 || q->page > 1000000)) {
        resp_error(w, 400, "bad_request", "page", "page must be a positive integer");
        return false;
    }
    if (per && (!util_parse_i64(per, &q->per_page) ||
                (q->per_page != 10 && q->per_page != 20 && q->per_page != 50 &&
                 q->per_page != 100 && q->per_page != 200))) {
        resp_error(w, 400, "bad_request", "per_page", "per_page must be 10, 20, 50, 100 or 200");
        return false;
    }
    if (!sort || !*sort)
        sort = default_sort;
    bool desc = sort[0] == '-';
    const listq_field *sf = find_field(fields, sort + (desc ? 1 : 0), LISTQ_SORT);
    if (!sf) {
        resp_error(w, 400, "bad_request", "sort", "cannot sort by \"%s\"", sort);
        return false;
    }
    snprintf(q->order, sizeof q->order, "%s %s", sf->name, desc ? "DESC" : "ASC");
    if (search && *search) {
        if (strlen(search) > 200 || !util_utf8_valid(search, strlen(search))) {
            resp_error(w, 400, "bad_request", "q", "the search text must be valid text of at most 200 bytes");
            return false;
        }
        q->pattern = listq_like_pattern(search);
        if (!q->pattern) {
            resp_internal(w, "out of memory");
            return false;
        }
    }
    return true;
}

void listq_where(listq *q, const char *clause, db_val v)
{
    if (q->nparams >= LISTQ_MAX_PARAMS) {
        q->overflow = true;
        return;
    }
    q->params[q->nparams++] = v;
    sbuf_puts(&q->where, " AND ");
    sbuf_printf(&q->where, clause, q->nparams);
}

void listq_where_sql(listq *q, const char *clause)
{
    sbuf_puts(&q->where, " AND ");
    sbuf_puts(&q->where, clause);
}

static void add_search(listq *q)
{
    if (!q->pattern || q->nparams >= LISTQ_MAX_PARAMS) {
        q->overflow = q->pattern != NULL;
        return;
    }
    q->params[q->nparams++] = DB_TEXT(q->pattern);
    sbuf_puts(&q->where, " AND (");
    bool first = true;
    for (const listq_field *f = q->fields; f->name; f++) {
        if (!(f->flags & LISTQ_SEARCH))
            continue;
        /* lower() on both sides: the database lower-cases what C cannot
         * (É → é on a UTF-8 PostgreSQL; SQLite's lower() is ASCII-only on
         * both sides alike), so text is always found as it was written. */
        sbuf_printf(&q->where, "%slower(%s) LIKE lower($%d) ESCAPE '\\'", first ? "" : " OR ",
                    f->name, q->nparams);
        first = false;
    }
    sbuf_puts(&q->where, ")");
}

static void decode_json_cols(json_t *rows, const char *json_cols)
{
    char cols[256];
    if (!json_cols || util_strcpy(cols, sizeof cols, json_cols) < 0)
        return;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        char *save = NULL;
        for (char *c = strtok_r(cols, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
            const char *text = json_string_value(json_object_get(row, c));
            json_t *v = text ? json_loads(text, 0, NULL) : NULL;
            if (v)
                json_object_set_new(row, c, v);
        }
        util_strcpy(cols, sizeof cols, json_cols); /* strtok_r wrote into it */
    }
}

bool listq_fetch(http_req *r, http_resp *w, listq *q, const char *select, json_t **rows,
                 int64_t *total)
{
    sbuf sql = SBUF_INIT, count = SBUF_INIT;
    db_conn *c = NULL;
    bool ok = false;
    *rows = NULL;
    *total = 0;
    add_search(q);
    if (q->overflow) {
        resp_error(w, 400, "bad_request", NULL, "too many filters");
        goto done;
    }
    sbuf_printf(&count, "SELECT count(*) FROM (%s WHERE 1=1%s) t", select, sbuf_str(&q->where));
    if (q->all)
        sbuf_printf(&sql, "%s WHERE 1=1%s ORDER BY %s LIMIT %d", select, sbuf_str(&q->where), q->order,
                    LISTQ_MAX_ALL);
    else
        sbuf_printf(&sql, "%s WHERE 1=1%s ORDER BY %s LIMIT %lld OFFSET %lld", select,
                    sbuf_str(&q->where), q->order, (long long)q->per_page,
                    (long long)((q->page - 1) * q->per_page));
    if (sbuf_failed(&sql) || sbuf_failed(&count) || sbuf_failed(&q->where)) {
        resp_internal(w, "out of memory");
        goto done;
    }
    c = db_acquire(r->app->db);
    if (db_query_int(c, sbuf_str(&count), q->params, q->nparams, total) != DB_OK ||
        db_query(c, sbuf_str(&sql), q->params, q->nparams, rows) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    if (q->expand && q->expand(c, *rows) != 0) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    ok = true;
done:
    if (c)
        db_release(c);
    if (!ok) {
        json_decref(*rows);
        *rows = NULL;
    }
    sbuf_free(&sql);
    sbuf_free(&count);
    return ok;
}

void listq_run(http_req *r, http_resp *w, listq *q, const char *select, const char *json_cols)
{
    json_t *rows;
    int64_t total;
    if (!listq_fetch(r, w, q, select, &rows, &total))
        return;
    decode_json_cols(rows, json_cols);
    resp_json(w, 200, json_pack("{s:o, s:I}", "items", rows, "total", (json_int_t)total));
}

void listq_free(listq *q)
{
    sbuf_free(&q->where);
    free(q->pattern);
    q->pattern = NULL;
}

int listq_next_param(const listq *q)
{
    return q->nparams + 1;
}

void listq_where_bound(listq *q, const char *clause, db_val v)
{
    if (q->nparams >= LISTQ_MAX_PARAMS) {
        q->overflow = true;
        return;
    }
    q->params[q->nparams++] = v;
    sbuf_puts(&q->where, " AND ");
    sbuf_puts(&q->where, clause);
}

void listq_page_sql(const listq *q, sbuf *out, db_val page[2])
{
    int a = listq_next_param(q);
    sbuf_printf(out, " ORDER BY %s LIMIT $%d OFFSET $%d", q->order, a, a + 1);
    page[0] = DB_INT(q->all ? LISTQ_MAX_ALL : q->per_page);
    page[1] = DB_INT(q->all ? 0 : (q->page - 1) * q->per_page);
}
