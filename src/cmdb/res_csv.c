/* res_csv.c -- CSV export and import of a resource.
 *
 * Export: UTF-8 with a byte-order mark (so Excel opens Chinese text), a
 * header row of labels in English or Chinese, references written as the
 * referenced row's name (IDC "北京一号", groups "web; db"), asset types
 * and statuses as their code, or their Chinese name in a Chinese export
 * ("虚拟机"), secrets never written. Cells that a spreadsheet would run as formulas (starting with =,
 * +, -, @, tab or CR) are prefixed with a quote, and so is a cell that
 * already starts with quotes before such a character; import removes one
 * quote again, so every value comes back as it was.
 *
 * Import: headers matched to fields by name or by either label; every row
 * checked exactly as a POST would be, names of references resolved, then all
 * rows written in one transaction: any bad row and nothing is stored, with
 * each problem reported by line number (each row runs in a savepoint, so a
 * row the database refuses does not hide the problems of the rows after
 * it). Rows whose key (hostname; a cabinet's IDC and name…) exists update
 * that row, changing only the cells that are not empty; the others are
 * created. Lists (groups, tags) are separated by ";" or "；". Dates may also
 * be written as Excel re-saves them (2023/5/6). Empty cells after the last
 * header are ignored (spreadsheets add them). A file that is not UTF-8 is
 * read as GB18030 (what Excel on a Chinese Windows writes).
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
#define MAX_AUDIT_NAMES 200

static bool exported(const res_field *f)
{
    return f->type != FT_SECRET;
}

#define FORMULA_START "=+-@\t\r"

/* True when s would be changed by the formula guard on import: quotes, then
 * a character that starts a formula. */
static bool guarded(const char *s)
{
    size_t q = strspn(s, "'");
    return q > 0 && s[q] && strchr(FORMULA_START, s[q]);
}

static void csv_cell(sbuf *out, const char *s)
{
    bool formula = (s[0] && strchr(FORMULA_START, s[0])) || guarded(s);
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
    } else if (f->type == FT_INT && strlen(f->name) > 3 && strcmp(f->name + strlen(f->name) - 3, "_at") == 0 &&
               json_is_integer(v)) { /* created_at, last_seen_at…: Unix times, as UTC */
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

int res_csv_code_names(db_conn *c, const resource *res, json_t *rows, const char *lang)
{
    if (strcmp(lang, "zh") != 0 || json_array_size(rows) == 0)
        return DB_OK;
    for (const res_field *f = res->fields; f->name; f++) {
        const resource *other = f->type == FT_CODE ? resource_find(f->ref) : NULL;
        db_cols names = {0};
        char sql[160];
        size_t i;
        json_t *row;
        int rc;
        if (!other)
            continue;
        snprintf(sql, sizeof sql, "SELECT code, name_zh FROM %s", other->table); /* a short code list */
        rc = db_query_cols(c, sql, DB_NOARGS, &names);
        json_array_foreach(rows, i, row) {
            const char *code = json_string_value(json_object_get(row, f->name));
            for (int k = 0; code && rc == DB_OK && k < names.nrows; k++) {
                const db_cell *ck = db_cols_cell(&names, k, 0), *nk = db_cols_cell(&names, k, 1);
                if (ck->type != DBC_TEXT || nk->type != DBC_TEXT || nk->len == 0 || strcmp(ck->v.s, code) != 0)
                    continue;
                json_t *label = db_cell_json(nk);
                if (!label || json_object_set_new(row, f->name, label) != 0)
                    rc = DB_ERR;
                break;
            }
        }
        db_cols_free(&names);
        if (rc != DB_OK)
            return rc;
    }
    return DB_OK;
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
        json_t *v = json_string(sbuf_str(&cell));
        json_array_append_new(cells, v ? v : json_string(""));
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
        for (size_t k = 0; k < i; k++)
            if (map[k] == hit) {
                resp_error(w, 400, "bad_request", hit->name, "line 1: column \"%s\" appears twice", h);
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

/* Cut s at the first list separator (";" or the full-width "；") and
 * return what follows it, or NULL at the last entry. */
static char *list_split(char *s)
{
    char *a = strchr(s, ';'), *b = strstr(s, "；");
    if (b && (!a || b < a)) {
        *b = '\0';
        return b + strlen("；");
    }
    if (a)
        *a++ = '\0';
    return a;
}

/* Normalise a date written Y/M/D or Y-M-D with one- or two-digit month and
 * day into YYYY-MM-DD (out, 11 bytes). False when s is not of that form
 * (the caller then lets validation report it as written). */
static bool excel_date(const char *s, char *out, size_t len)
{
    int y, m, d, used = 0;
    char s1, s2;
    if (sscanf(s, "%4d%c%2d%c%2d%n", &y, &s1, &m, &s2, &d, &used) != 5 || s[used] || s1 != s2 ||
        (s1 != '/' && s1 != '-') || strlen(s) < 8 || !isdigit((unsigned char)s[strlen(s) - 1]) || m < 0 || d < 0)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != s1)
            return false;
    return snprintf(out, len, "%04d-%02d-%02d", y, m, d) == 10;
}

/* The id of the row of `other` whose display is name (and, when
 * within_col is set, whose within_col is within_val). 0 with a message in
 * err when there is none or more than one. */
static int64_t id_by_name(db_conn *c, const res_field *f, const char *name, const char *within_col,
                          int64_t within_val, char *err, size_t errlen)
{
    const resource *other = resource_find(f->ref);
    char sql[256];
    json_t *rows = NULL;
    int64_t id = 0;
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1%s%s%s ORDER BY id LIMIT 2", other->table,
             other->display, within_col ? " AND " : "", within_col ? within_col : "", within_col ? " = $2" : "");
    int rc = within_col ? db_query(c, sql, DB_ARGS(DB_TEXT(name), DB_INT(within_val)), &rows)
                        : db_query(c, sql, DB_ARGS(DB_TEXT(name)), &rows);
    if (rc == DB_OK && json_array_size(rows) == 1)
        id = json_integer_value(json_object_get(json_array_get(rows, 0), "id"));
    else if (rc == DB_OK && json_array_size(rows) > 1)
        snprintf(err, errlen, "%s: several %s are named \"%.80s\"; give the %s too", f->name, other->name, name,
                 within_col ? within_col : "id");
    else
        snprintf(err, errlen, "%s: no %s named \"%.80s\"%s", f->name, other->object, name,
                 within_col ? " there" : "");
    json_decref(rows);
    return id;
}

/* Turn one cell into the JSON value a POST would carry; NULL + err on error.
 * body holds the cells read so far (a cabinet is looked up in the row's
 * IDC). */
static json_t *cell_value(db_conn *c, const res_field *f, const char *s, const json_t *body, char *err,
                          size_t errlen)
{
    int64_t n;
    char date[11];
    if (guarded(s))
        s++; /* undo the export's formula guard */
    switch (f->type) {
    case FT_DATE: /* 2023/5/6 or 2023-5-6, as a spreadsheet re-saves dates */
        if (excel_date(s, date, sizeof date))
            return json_string(date);
        return json_string(s);
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
        json_t *within = f->shared ? json_object_get(body, f->shared) : NULL;
        int64_t id = id_by_name(c, f, s, json_is_integer(within) ? f->shared : NULL, json_integer_value(within),
                                err, errlen);
        return id ? json_integer(id) : NULL;
    }
    case FT_REFS:
    case FT_BACKREFS:
    case FT_TAGS: {
        json_t *arr = json_array();
        char *buf = strdup(s);
        if (!arr || !buf) {
            snprintf(err, errlen, "%s: out of memory", f->name);
            goto list_fail;
        }
        for (char *t = buf, *next; t; t = next) {
            next = list_split(t);
            trim_inplace(t);
            if (!*t)
                continue;
            if (f->type == FT_TAGS) {
                json_array_append_new(arr, json_string(t));
                continue;
            }
            int64_t id = id_by_name(c, f, t, NULL, 0, err, errlen);
            if (!id)
                goto list_fail;
            json_array_append_new(arr, json_integer(id));
        }
        free(buf);
        return arr;
    list_fail:
        free(buf);
        json_decref(arr);
        return NULL;
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

/* The id of the row whose key fields (F_KEY) all equal those of body, or
 * 0 when there is none or body lacks one of them. */
static int64_t find_by_key(db_conn *c, const resource *res, const json_t *body)
{
    sbuf sql = SBUF_INIT;
    db_val vals[8];
    int n = 0;
    int64_t id = 0;
    sbuf_printf(&sql, "SELECT id FROM %s WHERE 1=1", res->table);
    for (const res_field *f = res->fields; f->name; f++) {
        if (!(f->flags & F_KEY))
            continue;
        json_t *v = json_object_get(body, f->name);
        if ((!json_is_string(v) && !json_is_integer(v)) || n == (int)(sizeof vals / sizeof vals[0]))
            goto done;
        vals[n++] = json_is_string(v) ? DB_TEXT(json_string_value(v)) : DB_INT(json_integer_value(v));
        sbuf_printf(&sql, " AND %s = $%d", f->name, n);
    }
    if (n > 0 && !sbuf_failed(&sql) && db_query_int(c, sbuf_str(&sql), vals, n, &id) != DB_OK)
        id = 0;
done:
    sbuf_free(&sql);
    return id;
}

/* The error a scratch response holds, as a row error. */
static void scratch_error(json_t *errors, int line, const http_resp *scratch)
{
    json_t *e = scratch->body ? json_loads(scratch->body, 0, NULL) : NULL;
    json_t *eo = json_object_get(e, "error");
    const char *msg = json_string_value(json_object_get(eo, "message"));
    add_row_error(errors, line, json_string_value(json_object_get(eo, "field")), msg ? msg : "not allowed");
    json_decref(e);
}

/* Import one record inside a savepoint; on a problem adds to errors, rolls
 * the record back and returns false. */
static bool import_row(http_req *r, db_conn *c, const resource *res, const res_field **map, size_t ncols,
                       const json_t *cells, int line, json_t *errors, int *created, int *updated, json_t *names)
{
    json_t *body = json_object();
    http_resp scratch = {.fd = -1};
    char err[300];
    bool ok = false;
    if (db_exec(c, "SAVEPOINT import_row", DB_NOARGS, NULL) != DB_OK) {
        add_row_error(errors, line, NULL, "the database refused the row");
        goto done;
    }
    /* Two passes: references with a shared field (a host's cabinet) are
     * looked up after the field they share (its IDC). */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < json_array_size(cells) && i < ncols; i++) {
            if (!map[i] || (map[i]->type == FT_REF && map[i]->shared) != (pass == 1))
                continue;
            char *cell = strdup(json_string_value(json_array_get(cells, i)));
            if (!cell) {
                add_row_error(errors, line, map[i]->name, "out of memory");
                goto undo;
            }
            trim_inplace(cell);
            json_t *v = *cell ? cell_value(c, map[i], cell, body, err, sizeof err) : NULL;
            bool empty = !*cell;
            free(cell);
            if (empty)
                continue;
            if (!v) {
                add_row_error(errors, line, map[i]->name, err);
                goto undo;
            }
            json_object_set_new(body, map[i]->name, v);
        }
    res_normalize_body(res, body);
    int64_t id = find_by_key(c, res, body);
    if (!res_check_body(&scratch, res, body, id != 0) || (id && !res_in_scope(r, c, res, id)) ||
        !res_apply(r, &scratch, c, res, body, id)) {
        if (scratch.status == 0)
            resp_error(&scratch, 404, "not_found", NULL, "no %s with this key that you can see", res->object);
        scratch_error(errors, line, &scratch);
        goto undo;
    }
    if (db_exec(c, "RELEASE SAVEPOINT import_row", DB_NOARGS, NULL) != DB_OK) {
        add_row_error(errors, line, NULL, "the database refused the row");
        goto done;
    }
    if (id)
        (*updated)++;
    else
        (*created)++;
    json_t *d = json_object_get(body, res->display);
    if (json_array_size(names) < MAX_AUDIT_NAMES) /* for the audit log: which rows */
        json_array_append_new(names, d ? json_incref(d) : json_integer(id));
    ok = true;
    goto done;
undo:
    db_exec(c, "ROLLBACK TO SAVEPOINT import_row", DB_NOARGS, NULL);
done:
    resp_free(&scratch);
    json_decref(body);
    return ok;
}

/* True when the cells after the first n are all empty (or blank). */
static bool rest_empty(const json_t *cells, size_t n)
{
    for (size_t i = n; i < json_array_size(cells); i++) {
        const char *s = json_string_value(json_array_get(cells, i));
        if (s && s[strspn(s, " \t")])
            return false;
    }
    return true;
}

void resource_import(http_req *r, http_resp *w)
{
    const resource *res = res_of(r);
    const char *ct = req_header(r, "Content-Type");
    size_t len = 0;
    char *text = NULL;
    json_t *cells = json_array(), *errors = json_array(), *names = json_array();
    const res_field **map = NULL;
    db_conn *c = NULL;
    int created = 0, updated = 0, line = 0, rows = 0;
    bool bad_quote = false;
    if (!ct || strncasecmp(ct, "text/csv", 8) != 0) {
        resp_error(w, 415, "unsupported_media_type", NULL, "send the file as Content-Type: text/csv");
        goto done;
    }
    if (res_scoped(r, res)) {
        resp_error(w, 403, "forbidden", NULL, "users limited to some host groups cannot import %s", res->name);
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
        if (!rest_empty(cells, ncols)) {
            add_row_error(errors, line, NULL, "more values than columns in the header");
            continue;
        }
        import_row(r, c, res, map, ncols, cells, line, errors, &created, &updated, names);
    }
    if (json_array_size(errors) > 0) {
        db_rollback(c);
        resp_json(w, 400, json_pack("{s:{s:s, s:s}, s:O}", "error", "code", "bad_request", "message",
                                    "some rows have errors; nothing was imported", "rows", errors));
        goto done;
    }
    if (db_commit(c) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        db_rollback(c);
        goto done;
    }
    audit_set(r, res->object, "", json_pack("{s:i, s:i, s:O}", "created", created, "updated", updated, "rows", names));
    resp_json(w, 200, json_pack("{s:i, s:i, s:i}", "rows", rows, "created", created, "updated", updated));
done:
    if (c)
        db_release(c);
    free(text);
    free(map);
    json_decref(cells);
    json_decref(errors);
    json_decref(names);
}
