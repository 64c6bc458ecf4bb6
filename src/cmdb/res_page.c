/* res_page.c -- a columnar page of a resource written straight to JSON
 * text (the list answer's fast path; see res_internal.h).
 *
 * The rows of a page stay the db_cols result the database gave; each row is
 * written as an object: its columns in SELECT order (flags as booleans, tags
 * as arrays, "<secret>_set" as booleans), then field by field each set's ids,
 * with "_display" -- the display names of references found and of every
 * set's members -- placed where the first display name (a reference found,
 * or any set) created it. That is byte for byte what res_expand_rows() and
 * resp_json() make of the same rows as JSON objects. Keys are escaped once
 * per page.
 */
#include "cmdb/res_internal.h"

#include <stdlib.h>
#include <string.h>

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

/* The ids (names false) or display names of page row `row` in set e. */
static void put_set(jsonw *w, const res_expansion *e, int row, bool names)
{
    jsonw_array_begin(w);
    for (int l = e->head ? e->head[row] : -1; l >= 0; l = e->next[l])
        put_cell(w, names ? res_exp_set_name(e, l) : db_cols_cell(&e->found, l, 1));
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
            const db_cell *d = res_exp_ref_find(e, db_cols_cell(&p->rows, row, e->col));
            if (!d)
                continue;
            jsonw_key_pkey(w, &keys->exp[k]);
            put_cell(w, d);
        } else {
            jsonw_key_pkey(w, &keys->exp[k]);
            put_set(w, e, row, true);
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
        if (e->col < 0 || res_exp_ref_find(e, db_cols_cell(&p->rows, row, e->col)))
            first_display = k;
    }
    for (int k = 0; k < p->nexp; k++) {
        const res_expansion *e = &p->exp[k];
        if (e->col < 0) {
            jsonw_key_pkey(w, &keys->exp[k]);
            put_set(w, e, row, false);
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
    for (int i = 0; i < (p->order ? p->norder : p->rows.nrows) && !jsonw_failed(w); i++) {
        if (!p->order || p->order[i] >= 0)
            put_row(w, p, &keys, p->order ? p->order[i] : i);
    }
    jsonw_array_end(w);
    free(keys.col);
}
