/* res_csv.c -- CSV export and import of a resource.
 *
 * Export: UTF-8 with a byte-order mark (so Excel opens Chinese text), a
 * header row of labels in English or Chinese, references written as the
 * referenced row's name (IDC "北京一号", groups "web; db"), secrets never
 * written. Cells that Excel would run as formulas (=, +, -, @) are prefixed
 * with a quote; import removes it again.
 *
 * Import: headers matched to fields by name or by either label; every row
 * checked exactly as a POST would be, names of references resolved, then all
 * rows written in one transaction: any bad row and nothing is stored, with
 * each problem reported by line number. Rows whose key (hostname…) exists
 * update that row; the others are created. A file that is not UTF-8 is read
 * as GB18030 (what Excel on a Chinese Windows writes).
 */
#include "cmdb/res_internal.h"

#include "api/audit.h"
#include "app.h"
#include "common/util.h"

#include <ctype.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_ROW_ERRORS 100

static bool exported(const res_field *f)
{
    return f->type != FT_SECRET;
}

static void csv_cell(sbuf *out, const char *s)
{
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = formula || strpbrk(s, ",\"\r\n") || (s[0] == ' ') || (s[0] && s[strlen(s) - 1] == ' ');
    if (!quote) {
        sbuf_puts(out, s);
        return;
    }
    sbuf_putc(out, '"');
    if (formula)
        sbuf_putc(out, '\'');
    for (; *s; s++) {
        if (*s == '"')
            sbuf_putc(out, '"');
        sbuf_putc(out, *s);
    }
    sbuf_putc(out, '"');
}

/* One value as CSV text into cell (a scratch buffer). */
static void cell_text(const res_field *f, const json_t *row, sbuf *cell)
{
    json_t *v = json_object_get(row, f->name);
    json_t *disp = json_object_get(json_object_get(row, "_display"), f->name);
    if (f->type == FT_REF && disp) {
        sbuf_puts(cell, json_string_value(disp) ? json_string_value(disp) : "");
    } else if (f->type == FT_REFS || f->type == FT_BACKREFS || f->type == FT_TAGS) {
        json_t *list = f->type == FT_TAGS ? v : disp;
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e) {
            if (i)
                sbuf_puts(cell, "; ");
            if (json_is_string(e))
                sbuf_puts(cell, json_string_value(e));
            else if (json_is_integer(e))
                sbuf_printf(cell, "%lld", (long long)json_integer_value(e));
        }
    } else if ((strcmp(f->name, "created_at") == 0 || strcmp(f->name, "updated_at") == 0) &&
               json_is_integer(v)) {
        time_t t = (time_t)json_integer_value(v);
        struct tm tm;
        char buf[32];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        sbuf_puts(cell, buf);
    } else if (json_is_string(v)) {
        sbuf_puts(cell, json_string_value(v));
    } else if (json_is_integer(v)) {
        sbuf_printf(cell, "%lld", (long long)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        sbuf_puts(cell, json_is_true(v) ? "true" : "false");
    }
}

void res_csv_write(const resource *res, const json_t *rows, const char *lang, sbuf *out)
{
    bool zh = strcmp(lang, "zh") == 0;
    sbuf_puts(out, "\xEF\xBB\xBF");
    sbuf_puts(out, "id");
    for (const res_field *f = res->fields; f->name; f++)
        if (exported(f)) {
            sbuf_putc(out, ',');
            csv_cell(out, zh ? f->label_zh : f->label_en);
        }
    sbuf_puts(out, "\r\n");
    size_t i;
    json_t *row;
    sbuf cell = SBUF_INIT;
    json_array_foreach(rows, i, row) {
        sbuf_printf(out, "%lld", (long long)json_integer_value(json_object_get(row, "id")));
        for (const res_field *f = res->fields; f->name; f++) {
            if (!exported(f))
                continue;
            sbuf_putc(out, ',');
            cell.len = 0;
            if (cell.data)
                cell.data[0] = '\0';
            cell_text(f, row, &cell);
            csv_cell(out, sbuf_str(&cell));
        }
        sbuf_puts(out, "\r\n");
    }
    sbuf_free(&cell);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct {
    const char *p, *end;
    int line;      /* physical line of the next character */
} csv_reader;

/* Read one record into cells (array of strings). Returns false at the end.
 * *line receives the physical line the record starts on. */
static bool csv_next(csv_reader *rd, json_t *cells, int *line, bool *bad_quote)
{
    json_array_clear(cells);
    if (rd->p >= rd->end)
        return false;
    *line = rd->line;
    sbuf cell = SBUF_INIT;
    for (;;) {
        bool quoted = rd->p < rd->end && *rd->p == '"';
        cell.len = 0;
        sbuf_puts(&cell, "");
        if (quoted) {
            rd->p++;
            for (;;) {
                if (rd->p >= rd->end) {
                    *bad_quote = true;
                    break;
                }
                if (*rd->p == '"') {
                    if (rd->p + 1 < rd->end && rd->p[1] == '"') {
                        sbuf_putc(&cell, '"');
                        rd->p += 2;
                        continue;
                    }
                    rd->p++;
                    break;
                }
                if (*rd->p == '\n')
                    rd->line++;
                sbuf_putc(&cell, *rd->p++);
            }
        }
        while (rd->p < rd->end && *rd->p != ',' && *rd->p != '\n' && *rd->p != '\r')
            sbuf_putc(&cell, *rd->p++);
        json_array_append_new(cells, json_string(sbuf_str(&cell)) ? json_string(sbuf_str(&cell))
                                                                   : json_string(""));
        if (rd->p < rd->end && *rd->p == ',') {
            rd->p++;
            continue;
        }
        if (rd->p < rd->end && *rd->p == '\r')
            rd->p++;
        if (rd->p < rd->end && *rd->p == '\n')
            rd->p++;
        rd->line++;
        break;
    }
    sbuf_free(&cell);
    return true;
}

/* The body as UTF-8 (malloc'd), converting from GB18030 when needed. */
static char *to_utf8(const char *body, size_t len, size_t *outlen)
{
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0)
        body += 3, len -= 3;
    if (util_utf8_valid(body, len) || len == 0) {
        char *s = malloc(len + 1);
        if (s) {
            memcpy(s, body, len);
            s[len] = '\0';
            *outlen = len;
        }
        return s;
    }
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = len * 2 + 1, left = cap - 1;
    char *out = malloc(cap), *o = out, *in = (char *)body;
    size_t inleft = len;
    if (!out || iconv(cd, &in, &inleft, &o, &left) == (size_t)-1) {
        free(out);
        out = NULL;
    } else {
        *o = '\0';
        *outlen = (size_t)(o - out);
        if (!util_utf8_valid(out, *outlen)) {
            free(out);
            out = NULL;
        }
    }
    iconv_close(cd);
    return out;
}

static void trim_inplace(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (isspace((unsigned char)s[a]))
        a++;
    memmove(s, s + a, n - a + 1);
}

/* Map each header cell to a field (NULL = ignored column). */
static bool map_headers(http_resp *w, const resource *res, const json_t *cells, const res_field **map)
{
    size_t i;
    json_t *c;
    json_array_foreach(cells, i, c) {
        char h[256];
        if (util_strcpy(h, sizeof h, json_string_value(c)) < 0)
            h[0] = '\0';
        trim_inplace(h);
        map[i] = NULL;
        if (strcasecmp(h, "id") == 0 || !*h)
            continue;
        const res_field *hit = NULL;
        for (const res_field *f = res->fields; f->name && !hit; f++)
            if (strcasecmp(h, f->name) == 0 || (f->label_en && strcasecmp(h, f->label_en) == 0) ||
                (f->label_zh && strcmp(h, f->label_zh) == 0))
                hit = f;
        if (!hit) {
            resp_error(w, 400, "bad_request", NULL, "line 1: unknown column \"%s\"", h);
            return false;
        }
        map[i] = (hit->flags & F_READONLY) ? NULL : hit;
    }
    for (const res_field *f = res->fields; f->name; f++) {
        bool present = false;
        for (size_t k = 0; k < json_array_size(cells); k++)
            present |= map[k] == f;
        if ((f->flags & F_KEY) && !present) {
            resp_error(w, 400, "bad_request", f->name, "the file needs a \"%s\" column", f->label_en);
            return false;
        }
    }
    return true;
}

/* Look up the id of the row of `other` whose display is name. */
static int64_t id_by_name(db_conn *c, const resource *other, const char *name)
{
    char sql[200];
    int64_t id = 0;
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1", other->table, other->display);
    if (db_query_int(c, sql, DB_ARGS(DB_TEXT(name)), &id) != DB_OK)
        return 0;
    return id;
}

/* Turn one cell into the JSON value a POST would carry; NULL + err on error. */
static json_t *cell_value(db_conn *c, const res_field *f, const char *s, char *err, size_t errlen)
{
    int64_t n;
    if (s[0] == '\'' && strchr("=+-@", s[1]) && s[1])
        s++; /* undo the export's formula guard */
    switch (f->type) {
    case FT_INT:
        if (!util_parse_i64(s, &n)) {
            snprintf(err, errlen, "%s: \"%.80s\" is not an integer", f->name, s);
            return NULL;
        }
        return json_integer(n);
    case FT_BOOL:
        if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes") || !strcmp(s, "是"))
            return json_true();
        if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no") || !strcmp(s, "否"))
            return json_false();
        snprintf(err, errlen, "%s: expected true or false", f->name);
        return NULL;
    case FT_REF: {
        int64_t id = id_by_name(c, resource_find(f->ref), s);
        if (!id)
            snprintf(err, errlen, "%s: no %s named \"%.80s\"", f->name, resource_find(f->ref)->object, s);
        return id ? json_integer(id) : NULL;
    }
    case FT_REFS:
    case FT_BACKREFS:
    case FT_TAGS: {
        json_t *arr = json_array();
        char buf[4096];
        if (util_strcpy(buf, sizeof buf, s) < 0) {
            snprintf(err, errlen, "%s: too long", f->name);
            json_decref(arr);
            return NULL;
        }
        char *save = NULL;
        for (char *t = strtok_r(buf, ";；", &save); t; t = strtok_r(NULL, ";；", &save)) {
            trim_inplace(t);
            if (!*t)
                continue;
            if (f->type == FT_TAGS) {
                json_array_append_new(arr, json_string(t));
                continue;
            }
            int64_t id = id_by_name(c, resource_find(f->ref), t);
            if (!id) {
                snprintf(err, errlen, "%s: no %s named \"%.80s\"", f->name, resource_find(f->ref)->object, t);
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, json_integer(id));
        }
        return arr;
    }
    case FT_CODE: {
        const resource *other = resource_find(f->ref);
        char sql[200];
        json_t *row = NULL;
        snprintf(sql, sizeof sql, "SELECT code FROM %s WHERE code = $1 OR name_en = $1 OR name_zh = $1",
                 other->table);
        if (db_query_one(c, sql, DB_ARGS(DB_TEXT(s)), &row) != DB_OK) {
            snprintf(err, errlen, "%s: unknown %s \"%.80s\"", f->name, other->object, s);
            return NULL;
        }
        json_t *code = json_incref(json_object_get(row, "code"));
        json_decref(row);
        return code;
    }
    default:
        return json_string(s);
    }
}

static void add_row_error(json_t *errors, int line, const char *field, const char *msg)
{
    if (json_array_size(errors) < MAX_ROW_ERRORS)
        json_array_append_new(errors, json_pack("{s:i, s:s?, s:s}", "line", line, "field", field, "message", msg));
}

/* Import one record; on a problem adds to errors and returns false. */
static bool import_row(http_req *r, db_conn *c, const resource *res, const res_field **map, size_t ncols,
                       const json_t *cells, int line, json_t *errors, int *created, int *updated)
{
    json_t *body = json_object();
    http_resp scratch = {.fd = -1};
    char err[300];
    const res_field *key = NULL;
    bool ok = false;
    for (size_t i = 0; i < json_array_size(cells) && i < ncols; i++) {
        char cell[16384];
        if (!map[i])
            continue;
        if (util_strcpy(cell, sizeof cell, json_string_value(json_array_get(cells, i))) < 0) {
            add_row_error(errors, line, map[i]->name, "value too long");
            goto done;
        }
        trim_inplace(cell);
        if (!*cell)
            continue;
        json_t *v = cell_value(c, map[i], cell, err, sizeof err);
        if (!v) {
            add_row_error(errors, line, map[i]->name, err);
            goto done;
        }
        json_object_set_new(body, map[i]->name, v);
        if (map[i]->flags & F_KEY)
            key = map[i];
    }
    int64_t id = 0;
    if (key) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1", res->table, key->name);
        db_query_int(c, sql, DB_ARGS(DB_TEXT(json_string_value(json_object_get(body, key->name)))), &id);
    }
    if (!res_check_body(&scratch, res, body, id != 0) ||
        (id && !res_in_scope(r, c, res, id)) ||
        !res_apply(r, &scratch, c, res, body, id, false)) {
        json_t *e = scratch.body ? json_loads(scratch.body, 0, NULL) : NULL;
        json_t *eo = json_object_get(e, "error");
        add_row_error(errors, line, json_string_value(json_object_get(eo, "field")),
                      json_string_value(json_object_get(eo, "message")) ? json_string_value(json_object_get(eo, "message"))
                                                                         : "not allowed");
        json_decref(e);
        goto done;
    }
    if (id)
        (*updated)++;
    else
        (*created)++;
    ok = true;
done:
    resp_free(&scratch);
    json_decref(body);
    return ok;
}

void resource_import(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    const char *ct = req_header(r, "Content-Type");
    size_t len = 0;
    char *text = NULL;
    json_t *cells = json_array(), *errors = json_array();
    const res_field **map = NULL;
    db_conn *c = NULL;
    int created = 0, updated = 0, line = 0, rows = 0;
    bool bad_quote = false;
    if (!ct || strncasecmp(ct, "text/csv", 8) != 0) {
        resp_error(w, 415, "unsupported_media_type", NULL, "send the file as Content-Type: text/csv");
        goto done;
    }
    if (res->group_scoped && !r->auth.superuser && json_array_size(r->auth.group_ids) > 0) {
        resp_error(w, 403, "forbidden", NULL, "users limited to some host groups cannot import hosts");
        goto done;
    }
    if (!(text = to_utf8(r->body ? r->body : "", r->body_len, &len))) {
        resp_error(w, 400, "bad_request", NULL, "the file is neither UTF-8 nor GB18030 text");
        goto done;
    }
    csv_reader rd = {text, text + len, 1};
    if (!csv_next(&rd, cells, &line, &bad_quote) || json_array_size(cells) == 0) {
        resp_error(w, 400, "bad_request", NULL, "the file is empty; the first line must name the columns");
        goto done;
    }
    size_t ncols = json_array_size(cells);
    map = calloc(ncols, sizeof *map);
    if (!map || !map_headers(w, res, cells, map))
        goto done;
    c = db_acquire(r->app->db);
    if (db_begin(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    while (csv_next(&rd, cells, &line, &bad_quote)) {
        if (json_array_size(cells) == 1 && json_string_length(json_array_get(cells, 0)) == 0)
            continue; /* blank line */
        if (bad_quote) {
            add_row_error(errors, line, NULL, "a quoted value is not closed");
            break;
        }
        rows++;
        if (json_array_size(cells) > ncols) {
            add_row_error(errors, line, NULL, "more values than columns in the header");
            continue;
        }
        import_row(r, c, res, map, ncols, cells, line, errors, &created, &updated);
    }
    if (json_array_size(errors) > 0 || db_commit(c) != DB_OK) {
        db_rollback(c);
        resp_json(w, 400, json_pack("{s:{s:s, s:s}, s:O}", "error", "code", "bad_request", "message",
                                    "some rows have errors; nothing was imported", "rows", errors));
        goto done;
    }
    audit_set(r, res->object, "", json_pack("{s:i, s:i}", "created", created, "updated", updated));
    resp_json(w, 200, json_pack("{s:i, s:i, s:i}", "rows", rows, "created", created, "updated", updated));
done:
    if (c)
        db_release(c);
    free(text);
    free(map);
    json_decref(cells);
    json_decref(errors);
}
