/* http.c -- request and response helpers (see http.h). */
#include "http/http.h"

#include "common/log.h"
#include "common/util.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void resp_body(http_resp *w, int status, const char *content_type, const char *data, size_t len)
{
    free(w->body);
    w->body = malloc(len + 1);
    if (!w->body) {
        w->status = 500;
        w->len = 0;
        return;
    }
    memcpy(w->body, data, len);
    w->body[len] = '\0';
    w->len = len;
    w->status = status;
    w->content_type = content_type;
}

/* Rewrite < > & and U+2028/U+2029 in serialised JSON as \uXXXX escapes.
 * In JSON text these can only occur inside strings, so the result parses
 * to the same value; it can never be read as HTML or break a script that
 * embeds it. Frees s; returns the new string (or NULL when out of memory). */
static char *json_escape_html(char *s)
{
    size_t extra = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '<' || *p == '>' || *p == '&' ||
            (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)))
            extra += 5;
    if (!extra)
        return s;
    size_t n = strlen(s);
    char *out = malloc(n + extra + 1), *o = out;
    if (!out) {
        free(s);
        return NULL;
    }
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&') {
            o += snprintf(o, 7, "\\u%04x", *p);
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            o += snprintf(o, 7, "\\u%04x", p[2] == 0xa8 ? 0x2028u : 0x2029u);
            p += 2;
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    free(s);
    return out;
}

void resp_json(http_resp *w, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("null");
    json_decref(j);
    if (s)
        s = json_escape_html(s);
    free(w->body);
    w->body = s;
    w->len = s ? strlen(s) : 0;
    w->status = s ? status : 500;
    w->content_type = "application/json; charset=utf-8";
}

void resp_error(http_resp *w, int status, const char *code, const char *field, const char *fmt,
                ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (e && field)
        json_object_set_new(e, "field", json_string(field));
    resp_json(w, status, json_pack("{s:o*}", "error", e));
}

void resp_internal(http_resp *w, const char *what)
{
    char v[256];
    if (util_disk_full()) {
        log_error("disk_full", "what=%s", log_kv_str(v, sizeof v, what));
        resp_error(w, 507, "disk_full", NULL,
                   "the server's disk is full: nothing was stored; free space on the server and try again");
        return;
    }
    log_error("internal_error", "what=%s", log_kv_str(v, sizeof v, what));
    resp_error(w, 500, "internal", NULL, "internal error; see the server log");
}

void resp_header(http_resp *w, const char *name, const char *value)
{
    if (w->nheaders >= HTTP_MAX_HEADERS)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    w->headers[w->nheaders].name = n;
    w->headers[w->nheaders].value = v;
    w->nheaders++;
}

void resp_free(http_resp *w)
{
    free(w->body);
    for (int i = 0; i < w->nheaders; i++) {
        free(w->headers[i].name);
        free(w->headers[i].value);
    }
    if (w->fd >= 0)
        close(w->fd);
    memset(w, 0, sizeof *w);
    w->fd = -1;
}

const char *req_query(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_cookie(const http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

bool req_id(http_req *r, http_resp *w, int i, int64_t *id)
{
    if (i < r->nparams && util_parse_i64(r->params[i], id) && *id > 0)
        return true;
    resp_error(w, 404, "not_found", NULL, "no such object");
    return false;
}

json_t *req_json(http_req *r, http_resp *w)
{
    const char *ct = req_header(r, "Content-Type");
    /* "application/json", optionally with parameters ("; charset=utf-8"),
     * and nothing else ("application/jsonp" is another type). */
    if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
        (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ' && ct[16] != '\t')) {
        resp_error(w, 415, "unsupported_media_type", NULL,
                   "send the body as JSON with Content-Type: application/json");
        return NULL;
    }
    if (!r->body || r->body_len == 0) {
        resp_error(w, 400, "bad_request", NULL, "the request body is empty; a JSON object is expected");
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        resp_error(w, 400, "bad_request", NULL, "malformed JSON at line %d column %d: %s", e.line,
                   e.column, e.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        resp_error(w, 400, "bad_request", NULL, "the body must be a JSON object");
        return NULL;
    }
    return j;
}
