/* validate.c -- see validate.h. */
#include "api/validate.h"

#include "common/util.h"

#include <ctype.h>
#include <string.h>

static const val_field *find(const val_field *f, const char *name)
{
    for (; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

int64_t val_bool(const json_t *v)
{
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0);
}

static bool check_string(http_resp *w, const val_field *f, const json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = util_utf8_len(s);
    if ((f->flags & VF_NONEMPTY || f->flags & VF_REQUIRED) && n == 0) {
        resp_error(w, 400, "bad_request", f->name, "%s must not be empty", f->name);
        return false;
    }
    if (f->max && n > (size_t)f->max) {
        resp_error(w, 400, "bad_request", f->name, "%s is longer than %lld characters", f->name,
                   (long long)f->max);
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((f->flags & VF_LINE) && (*p < 0x20 || *p == 0x7f)) {
            resp_error(w, 400, "bad_request", f->name, "%s must be one line of text", f->name);
            return false;
        }
        if ((f->flags & VF_IDENT) && !isalnum(*p) && !strchr("._-@", *p)) {
            resp_error(w, 400, "bad_request", f->name,
                       "%s may contain only letters, digits and . _ - @", f->name);
            return false;
        }
    }
    return true;
}

static bool check_array(http_resp *w, const val_field *f, const json_t *v)
{
    if (!json_is_array(v)) {
        resp_error(w, 400, "bad_request", f->name, "%s must be an array", f->name);
        return false;
    }
    if (f->max && json_array_size(v) > (size_t)f->max) {
        resp_error(w, 400, "bad_request", f->name, "%s has more than %lld entries", f->name,
                   (long long)f->max);
        return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        bool ok = f->type == VT_ID_ARRAY ? json_is_integer(e) && json_integer_value(e) > 0
                                         : json_is_string(e) && json_string_length(e) <= 200;
        if (!ok) {
            resp_error(w, 400, "bad_request", f->name, "%s[%zu] must be %s", f->name, i,
                       f->type == VT_ID_ARRAY ? "a positive integer id" : "a short string");
            return false;
        }
    }
    return true;
}

static bool check_one(http_resp *w, const val_field *f, const json_t *v)
{
    if (json_is_null(v)) {
        if (f->flags & VF_NULLABLE)
            return true;
        resp_error(w, 400, "bad_request", f->name, "%s must not be null", f->name);
        return false;
    }
    switch (f->type) {
    case VT_STRING:
        if (!json_is_string(v))
            break;
        return check_string(w, f, v);
    case VT_INT:
        if (!json_is_integer(v))
            break;
        if (json_integer_value(v) < f->min || json_integer_value(v) > f->max) {
            resp_error(w, 400, "bad_request", f->name, "%s must be between %lld and %lld", f->name,
                       (long long)f->min, (long long)f->max);
            return false;
        }
        return true;
    case VT_BOOL:
        if (json_is_boolean(v) ||
            (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)))
            return true;
        break;
    case VT_ID_ARRAY:
    case VT_STR_ARRAY:
        return check_array(w, f, v);
    }
    static const char *const names[] = {"text", "an integer", "true or false", "an array", "an array"};
    resp_error(w, 400, "bad_request", f->name, "%s must be %s", f->name, names[f->type]);
    return false;
}

bool val_check(http_resp *w, const json_t *body, const val_field *fields, bool partial)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)body, key, v) {
        const val_field *f = find(fields, key);
        if (!f) {
            resp_error(w, 400, "bad_request", key, "unknown field \"%s\"", key);
            return false;
        }
        if (!check_one(w, f, v))
            return false;
    }
    if (!partial)
        for (const val_field *f = fields; f->name; f++)
            if ((f->flags & VF_REQUIRED) && !json_object_get(body, f->name)) {
                resp_error(w, 400, "bad_request", f->name, "%s is required", f->name);
                return false;
            }
    return true;
}
