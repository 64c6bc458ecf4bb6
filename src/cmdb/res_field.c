/* res_field.c -- one field's value: checking it and binding it to SQL.
 *
 * Checks are by type (see field_type in resource.h). A value that passes
 * res_check_value() is safe to store as is: text is valid UTF-8 (jansson
 * guarantees it) within its length, numbers within range, dates real
 * calendar dates, addresses parsed by inet_pton, URLs http(s) only.
 */
#include "cmdb/res_internal.h"

#include "common/util.h"
#include "common/vault.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool res_is_column(const res_field *f)
{
    return f->type != FT_REFS && f->type != FT_BACKREFS;
}

void res_vals_free(res_vals *v)
{
    for (int i = 0; i < v->nowned; i++)
        free(v->owned[i]);
    v->nowned = 0;
    v->n = 0;
}

static bool bad(http_resp *w, const res_field *f, const char *what)
{
    resp_error(w, 400, "bad_request", f->name, "%s %s", f->name, what);
    return false;
}

static bool is_date(const char *s)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
        sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1900 || y > 2999 || m < 1 || m > 12 ||
        d < 1 || d > days[m - 1])
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* Addresses separated by commas, semicolons or spaces. */
static bool is_ip_list(const char *s)
{
    char tok[64];
    while (*s) {
        while (*s && strchr(",; \t", *s))
            s++;
        size_t n = strcspn(s, ",; \t");
        if (!n)
            break;
        if (n >= sizeof tok)
            return false;
        memcpy(tok, s, n);
        tok[n] = '\0';
        if (!is_ip(tok))
            return false;
        s += n;
    }
    return true;
}

static bool is_decimal(const char *s)
{
    size_t i = 0, whole = 0, frac = 0;
    while (isdigit((unsigned char)s[i]))
        i++, whole++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++, frac++;
        if (!frac)
            return false;
    }
    return s[i] == '\0' && whole >= 1 && whole <= 13 && frac <= 2;
}

static bool has_control(const char *s, bool allow_newlines)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(allow_newlines && (*p == '\n' || *p == '\r' || *p == '\t'))) || *p == 0x7f)
            return true;
    return false;
}

static bool check_text(http_resp *w, const res_field *f, const char *s)
{
    size_t n = util_utf8_len(s);
    int64_t max = f->max ? f->max : 255;
    if ((int64_t)n > max) {
        char what[64];
        snprintf(what, sizeof what, "is longer than %lld characters", (long long)max);
        return bad(w, f, what);
    }
    if ((f->flags & F_REQUIRED) && n == 0)
        return bad(w, f, "must not be empty");
    if (n == 0)
        return true;
    /* A name that identifies a row must not differ from another by spaces
     * nobody sees. */
    if ((f->flags & (F_UNIQUE | F_KEY)) &&
        (isspace((unsigned char)s[0]) || isspace((unsigned char)s[strlen(s) - 1])))
        return bad(w, f, "must not start or end with spaces");
    switch (f->type) {
    case FT_NOTE:
    case FT_SECRET:
        return !has_control(s, true) || bad(w, f, "contains control characters");
    case FT_DATE:
        return is_date(s) || bad(w, f, "must be a date YYYY-MM-DD");
    case FT_IP:
        return is_ip(s) || bad(w, f, "must be an IPv4 or IPv6 address");
    case FT_IPS:
        return is_ip_list(s) || bad(w, f, "must be IP addresses separated by commas");
    case FT_URL:
        return ((strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0) &&
                !strpbrk(s, " \"'<>\\") && !has_control(s, false)) ||
               bad(w, f, "must be an http:// or https:// address");
    case FT_EMAIL: {
        const char *at = strchr(s, '@');
        return (at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " <>\"'") &&
                !has_control(s, false)) ||
               bad(w, f, "must be an email address");
    }
    case FT_DECIMAL:
        return is_decimal(s) || bad(w, f, "must be an amount like 1234.50");
    case FT_ICON:
        for (const char *p = s; *p; p++)
            if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-' && *p != ' ')
                return bad(w, f, "must be icon class names like \"fa-solid fa-server\"");
        return true;
    case FT_ENUM:
        for (const char *const *e = f->enums; *e; e++)
            if (strcmp(*e, s) == 0)
                return true;
        return bad(w, f, "is not one of the allowed values");
    default:
        return !has_control(s, false) || bad(w, f, "must be one line of text");
    }
}

static bool check_array(http_resp *w, const res_field *f, const json_t *v)
{
    if (!json_is_array(v))
        return bad(w, f, "must be an array");
    if (f->max && (int64_t)json_array_size(v) > f->max)
        return bad(w, f, "has too many entries");
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (f->type == FT_TAGS) {
            const char *s = json_string_value(e);
            if (!s || !*s || util_utf8_len(s) > 32 || has_control(s, false) || strpbrk(s, ",;") || strstr(s, "；"))
                return bad(w, f, "entries must be short text without commas or semicolons");
        } else if (!json_is_integer(e) || json_integer_value(e) <= 0) {
            return bad(w, f, "entries must be positive integer ids");
        }
    }
    return true;
}

bool res_check_value(http_resp *w, const res_field *f, const json_t *v)
{
    if (json_is_null(v)) {
        if (f->flags & F_REQUIRED)
            return bad(w, f, "is required");
        return true;
    }
    switch (f->type) {
    case FT_INT:
        if (!json_is_integer(v))
            return bad(w, f, "must be an integer");
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
            char what[96];
            snprintf(what, sizeof what, "must be between %lld and %lld", (long long)f->min,
                     (long long)f->max);
            return bad(w, f, what);
        }
        return true;
    case FT_BOOL:
        return json_is_boolean(v) || bad(w, f, "must be true or false");
    case FT_REF:
        return (json_is_integer(v) && json_integer_value(v) > 0) || bad(w, f, "must be an id");
    case FT_REFS:
    case FT_BACKREFS:
    case FT_TAGS:
        return check_array(w, f, v);
    case FT_DECIMAL:
        if (json_is_number(v))
            return (json_number_value(v) >= 0 && json_number_value(v) < 1e13) ||
                   bad(w, f, "must be a non-negative amount");
        /* a string amount */
        __attribute__((fallthrough));
    default:
        if (!json_is_string(v))
            return bad(w, f, "must be text");
        return check_text(w, f, json_string_value(v));
    }
}

static bool own(res_vals *vals, char *s)
{
    if (!s)
        return false;
    vals->owned[vals->nowned++] = s;
    return true;
}

bool res_bind_value(res_vals *vals, const res_field *f, const json_t *v)
{
    db_val *out = &vals->vals[vals->n];
    vals->cols[vals->n++] = f->name;
    bool empty = !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
    switch (f->type) {
    case FT_INT:
    case FT_REF:
        *out = empty ? DB_NULLV : DB_INT(json_integer_value(v));
        return true;
    case FT_BOOL:
        *out = DB_INT(json_is_true(v) ? 1 : 0);
        return true;
    case FT_TAGS: {
        char *s = v && json_is_array(v) ? json_dumps(v, JSON_COMPACT) : strdup("[]");
        *out = DB_TEXT(s);
        return own(vals, s);
    }
    case FT_SECRET:
        if (empty) {
            *out = DB_NULLV;
            return true;
        }
        char *sealed = vault_seal(json_string_value(v), json_string_length(v));
        *out = DB_TEXT(sealed);
        return own(vals, sealed);
    case FT_DECIMAL:
        if (json_is_number(v)) {
            char *s = malloc(32);
            if (s)
                snprintf(s, 32, "%.2f", json_number_value(v));
            *out = DB_TEXT(s);
            return own(vals, s);
        }
        __attribute__((fallthrough));
    case FT_DATE:
        *out = empty ? DB_NULLV : DB_TEXT(json_string_value(v));
        return true;
    case FT_CODE:
        *out = empty ? DB_NULLV : DB_TEXT(json_string_value(v));
        return true;
    case FT_ENUM:
        /* an empty enum is "other" when the list has it, else its first value */
        *out = DB_TEXT(empty ? f->enums[0] : json_string_value(v));
        for (const char *const *e = f->enums; empty && *e; e++)
            if (strcmp(*e, "other") == 0)
                *out = DB_TEXT(*e);
        return true;
    default:
        *out = DB_TEXT(empty ? "" : json_string_value(v));
        return true;
    }
}

void res_id_list(const json_t *arr, sbuf *out)
{
    size_t i;
    json_t *e;
    bool any = false;
    json_array_foreach(arr, i, e) {
        if (!json_is_integer(e) || json_integer_value(e) <= 0)
            continue;
        sbuf_printf(out, "%s%lld", any ? "," : "", (long long)json_integer_value(e));
        any = true;
    }
    if (!any)
        sbuf_puts(out, "0");
}

/* Count how many of the ids in arr exist in other and are in the caller's
 * scope. */
static int count_existing(const http_req *r, db_conn *c, const resource *other, const json_t *arr, int64_t *n)
{
    sbuf sql = SBUF_INIT;
    sbuf_printf(&sql, "SELECT count(*) FROM %s WHERE id IN (", other->table);
    res_id_list(arr, &sql);
    sbuf_puts(&sql, ")");
    res_scope_sql(r, other, &sql, "id");
    int rc = sbuf_failed(&sql) ? DB_ERR : db_query_int(c, sbuf_str(&sql), DB_NOARGS, n);
    sbuf_free(&sql);
    return rc;
}

static size_t distinct_ids(const json_t *arr)
{
    size_t n = 0, i, j;
    json_t *a, *b;
    json_array_foreach(arr, i, a) {
        bool seen = false;
        json_array_foreach(arr, j, b) {
            if (j >= i)
                break;
            if (json_integer_value(a) == json_integer_value(b))
                seen = true;
        }
        n += !seen;
    }
    return n;
}

bool res_check_refs(const http_req *r, http_resp *w, db_conn *c, const resource *res, const json_t *body)
{
    for (const res_field *f = res->fields; f->name; f++) {
        json_t *v = json_object_get(body, f->name);
        if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
            continue;
        const resource *other = f->ref ? resource_find(f->ref) : NULL;
        if (!other)
            continue;
        int64_t n = 0;
        int rc = DB_OK;
        if (f->type == FT_REF) {
            json_t *one = json_pack("[O]", v);
            rc = one ? count_existing(r, c, other, one, &n) : DB_ERR;
            json_decref(one);
            if (rc == DB_OK && n == 0) {
                resp_error(w, 400, "bad_request", f->name, "%s: no %s with id %lld", f->name,
                           other->object, (long long)json_integer_value(v));
                return false;
            }
        } else if (f->type == FT_CODE) {
            sbuf sql = SBUF_INIT;
            sbuf_printf(&sql, "SELECT count(*) FROM %s WHERE code = $1", other->table);
            rc = sbuf_failed(&sql) ? DB_ERR
                                   : db_query_int(c, sbuf_str(&sql), DB_ARGS(DB_TEXT(json_string_value(v))), &n);
            sbuf_free(&sql);
            if (rc == DB_OK && n == 0) {
                resp_error(w, 400, "bad_request", f->name, "%s: unknown %s \"%s\"", f->name,
                           other->object, json_string_value(v));
                return false;
            }
        } else if (f->type == FT_REFS || f->type == FT_BACKREFS) {
            rc = count_existing(r, c, other, v, &n);
            if (rc == DB_OK && (size_t)n != distinct_ids(v)) {
                resp_error(w, 400, "bad_request", f->name, "%s: some ids are not %s you can see", f->name,
                           other->name);
                return false;
            }
        }
        if (rc != DB_OK) {
            resp_internal(w, db_errmsg(c));
            return false;
        }
    }
    return true;
}

void res_normalize_body(const resource *res, json_t *body)
{
    for (const res_field *f = res->fields; f->name; f++) {
        json_t *v = json_object_get(body, f->name);
        if (f->type == FT_SECRET && json_is_string(v) && json_string_length(v) == 0)
            json_object_del(body, f->name);
    }
}

bool res_check_body(http_resp *w, const resource *res, const json_t *body, bool partial)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        const res_field *f = resource_field(res, key);
        if (!f) {
            resp_error(w, 400, "bad_request", key, "unknown field \"%s\"", key);
            return false;
        }
        if (f->flags & F_READONLY) {
            resp_error(w, 400, "bad_request", key, "%s is set by the server", key);
            return false;
        }
        if (!res_check_value(w, f, v))
            return false;
    }
    if (partial)
        return true;
    for (const res_field *f = res->fields; f->name; f++)
        if ((f->flags & F_REQUIRED) && !json_object_get(body, f->name)) {
            resp_error(w, 400, "bad_request", f->name, "%s is required", f->name);
            return false;
        }
    return true;
}
