/* router.c -- see router.h. A linear scan: the table has well under 200
 * entries and matching is a few string compares per entry, far below the
 * cost of one database query. */
#include "http/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_write(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0;
}

int router_check(const route *routes, char *err, size_t errlen)
{
    for (const route *r = routes; r->method; r++) {
        if (!r->perm || !r->handler) {
            snprintf(err, errlen, "route %s %s has no permission or handler", r->method,
                     r->pattern);
            return -1;
        }
        if (strcmp(r->perm, "public") != 0 && strcmp(r->perm, "login") != 0 &&
            strcmp(r->perm, "agent") != 0 && !strchr(r->perm, ':')) {
            snprintf(err, errlen, "route %s %s: bad permission \"%s\"", r->method, r->pattern,
                     r->perm);
            return -1;
        }
        if (is_write(r->method) && !r->action) {
            snprintf(err, errlen, "route %s %s: a write needs an audit action", r->method,
                     r->pattern);
            return -1;
        }
    }
    return 0;
}

/* Match one pattern against path; on success params hold malloc'd copies. */
static bool match_pattern(const char *pat, const char *path, char **params, int *np)
{
    *np = 0;
    while (*pat && *path) {
        if (pat[0] == '*' && pat[1] == '\0')
            return true;
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            const char *se = strchr(path, '/');
            size_t len = se ? (size_t)(se - path) : strlen(path);
            if (!pe || len == 0 || *np >= HTTP_MAX_PARAMS)
                goto fail;
            char *v = strndup(path, len);
            if (!v)
                goto fail;
            params[(*np)++] = v;
            pat = pe + 1;
            path += len;
            continue;
        }
        if (*pat != *path)
            goto fail;
        pat++, path++;
    }
    if (*pat == '\0' && *path == '\0')
        return true;
    if (pat[0] == '*' && pat[1] == '\0')
        return true;
fail:
    for (int i = 0; i < *np; i++)
        free(params[i]);
    *np = 0;
    return false;
}

router_result router_match(const route *routes, const char *method, const char *path,
                           const route **out, char **params, int *nparams)
{
    bool path_known = false;
    const route *fallback = NULL; /* a catch-all "*" route for this method */
    char *fparams[HTTP_MAX_PARAMS];
    int fn = 0;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (const route *r = routes; r->method; r++) {
        char *tmp[HTTP_MAX_PARAMS];
        int n;
        if (!match_pattern(r->pattern, path, tmp, &n))
            continue;
        bool wild = r->pattern[strlen(r->pattern) - 1] == '*';
        if (strcmp(r->method, m) != 0 || (wild && fallback)) {
            path_known |= !wild;
            for (int i = 0; i < n; i++)
                free(tmp[i]);
            continue;
        }
        if (wild) { /* only if no literal route knows the path */
            fallback = r;
            memcpy(fparams, tmp, sizeof(char *) * (size_t)n);
            fn = n;
            continue;
        }
        for (int i = 0; i < fn; i++)
            free(fparams[i]);
        memcpy(params, tmp, sizeof(char *) * (size_t)n);
        *nparams = n;
        *out = r;
        return ROUTER_FOUND;
    }
    if (fallback && !path_known) {
        memcpy(params, fparams, sizeof(char *) * (size_t)fn);
        *nparams = fn;
        *out = fallback;
        return ROUTER_FOUND;
    }
    for (int i = 0; i < fn; i++)
        free(fparams[i]);
    *nparams = 0;
    return path_known ? ROUTER_BAD_METHOD : ROUTER_NOT_FOUND;
}

int router_allowed(const route *routes, const char *path, char *out, size_t cap)
{
    static const char *const order[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", NULL};
    bool seen[6] = {false};
    int n = 0;
    size_t o = 0;
    if (cap)
        out[0] = '\0';
    for (int pass = 0; pass < 2 && n == 0; pass++) { /* literal routes, then "*" ones */
        for (const route *r = routes; r->method; r++) {
            char *tmp[HTTP_MAX_PARAMS];
            int np;
            bool wild = r->pattern[strlen(r->pattern) - 1] == '*';
            if (wild != (pass == 1) || !match_pattern(r->pattern, path, tmp, &np))
                continue;
            for (int i = 0; i < np; i++)
                free(tmp[i]);
            for (int i = 0; order[i]; i++)
                if (strcmp(order[i], r->method) == 0 || (i == 1 && strcmp(r->method, "GET") == 0))
                    seen[i] = true;
        }
        for (int i = 0; order[i]; i++) {
            if (!seen[i])
                continue;
            int w = snprintf(out + o, cap > o ? cap - o : 0, "%s%s", n ? ", " : "", order[i]);
            if (w > 0 && o + (size_t)w < cap)
                o += (size_t)w;
            n++;
        }
    }
    return n;
}
