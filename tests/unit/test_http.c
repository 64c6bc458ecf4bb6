/* test_http.c -- cmocka tests of the HTTP layer's pure parts: the router
 * (matching, parameters, 405 against 404, the catch-all, table checks,
 * Allow), body validation (api/validate.c), the LIKE pattern of list
 * searches (api/listq.c), JSON answers (http.c: error shape, < > & escaped)
 * and permission logic (http/auth.c: implications, grants).
 *
 * None of these needs a socket or a database: handlers in the test tables
 * are never called, only matched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/listq.h"
#include "api/validate.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/router.h"

#include <stdlib.h>
#include <string.h>

/* ---- router ---------------------------------------------------------------- */

static void h(http_req *r, http_resp *w)
{
    (void)r;
    (void)w;
}

static const route table[] = {
    {"GET", "/api/v1/health", "public", h, NULL, 0, 0, NULL},
    {"GET", "/api/v1/users", "users:view", h, NULL, 0, 0, NULL},
    {"POST", "/api/v1/users", "users:edit", h, "user.create", 0, 0, NULL},
    {"POST", "/api/v1/users/bulk-delete", "users:edit", h, "user.bulk_delete", 0, 0, NULL},
    {"GET", "/api/v1/users/{id}", "users:view", h, NULL, 0, 0, NULL},
    {"PATCH", "/api/v1/users/{id}", "users:edit", h, "user.update", 0, 0, NULL},
    {"DELETE", "/api/v1/users/{id}", "users:edit", h, "user.delete", 0, 0, NULL},
    {"POST", "/api/v1/users/{id}/password", "users:admin", h, "user.password", 0, 0, NULL},
    {"GET", "/api/v1/a/{x}/b/{y}", "login", h, NULL, 0, 0, NULL},
    {"POST", "/api/v1/auth/login", "public", h, "auth.login", 0, 0, NULL},
    {"GET", "/*", "public", h, NULL, 0, 0, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};

static router_result match(const char *method, const char *path, const route **rt, char **params,
                           int *n)
{
    return router_match(table, method, path, rt, params, n);
}

static void free_params(char **params, int n)
{
    for (int i = 0; i < n; i++)
        free(params[i]);
}

static void test_router_literal(void **state)
{
    (void)state;
    const route *rt = NULL;
    char *p[HTTP_MAX_PARAMS];
    int n = -1;
    assert_int_equal(match("GET", "/api/v1/health", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[0]);
    assert_int_equal(n, 0);
    assert_int_equal(match("POST", "/api/v1/users", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[2]);
    /* a literal segment wins over {id} when listed first */
    assert_int_equal(match("POST", "/api/v1/users/bulk-delete", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[3]);
    assert_int_equal(n, 0);
}

static void test_router_params(void **state)
{
    (void)state;
    const route *rt = NULL;
    char *p[HTTP_MAX_PARAMS];
    int n = 0;
    assert_int_equal(match("GET", "/api/v1/users/42", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[4]);
    assert_int_equal(n, 1);
    assert_string_equal(p[0], "42");
    free_params(p, n);
    assert_int_equal(match("POST", "/api/v1/users/7/password", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[7]);
    assert_int_equal(n, 1);
    assert_string_equal(p[0], "7");
    free_params(p, n);
    assert_int_equal(match("GET", "/api/v1/a/one/b/two", &rt, p, &n), ROUTER_FOUND);
    assert_int_equal(n, 2);
    assert_string_equal(p[0], "one");
    assert_string_equal(p[1], "two");
    free_params(p, n);
    /* a parameter is one whole, non-empty segment */
    assert_int_equal(match("PATCH", "/api/v1/users/", &rt, p, &n), ROUTER_NOT_FOUND);
    assert_int_equal(match("PATCH", "/api/v1/users/1/2", &rt, p, &n), ROUTER_NOT_FOUND);
    assert_int_equal(match("DELETE", "/api/v1/users//", &rt, p, &n), ROUTER_NOT_FOUND);
    assert_int_equal(n, 0);
}

static void test_router_405_404(void **state)
{
    (void)state;
    const route *rt = NULL;
    char *p[HTTP_MAX_PARAMS];
    int n = 0;
    /* the path is known under other methods: 405 */
    assert_int_equal(match("DELETE", "/api/v1/users", &rt, p, &n), ROUTER_BAD_METHOD);
    assert_int_equal(match("PUT", "/api/v1/users/3", &rt, p, &n), ROUTER_BAD_METHOD);
    assert_int_equal(match("POST", "/api/v1/health", &rt, p, &n), ROUTER_BAD_METHOD);
    assert_int_equal(n, 0);
    /* ... even when the catch-all would take the method */
    assert_int_equal(match("GET", "/api/v1/auth/login", &rt, p, &n), ROUTER_BAD_METHOD);
    assert_int_equal(match("GET", "/api/v1/users/bulk-delete", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[4]); /* GET {id} knows it: the handler answers 404 for a bad id */
    free_params(p, n);
    /* unknown paths: 404, never 405 because of the catch-all */
    assert_int_equal(match("POST", "/nowhere", &rt, p, &n), ROUTER_NOT_FOUND);
    assert_int_equal(match("DELETE", "/api/v1/nope", &rt, p, &n), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/api/v1/users/1/nope", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[10]); /* the static handler answers 404 */
}

static void test_router_wildcard_and_head(void **state)
{
    (void)state;
    const route *rt = NULL;
    char *p[HTTP_MAX_PARAMS];
    int n = 0;
    assert_int_equal(match("GET", "/", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[10]);
    assert_int_equal(match("GET", "/vendor/x/y.js", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[10]);
    assert_int_equal(n, 0);
    /* HEAD is served by GET routes */
    assert_int_equal(match("HEAD", "/api/v1/users/9", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[4]);
    free_params(p, n);
    assert_int_equal(match("HEAD", "/login.html", &rt, p, &n), ROUTER_FOUND);
    assert_ptr_equal(rt, &table[10]);
    assert_int_equal(match("HEAD", "/api/v1/auth/login", &rt, p, &n), ROUTER_BAD_METHOD);
}

static void test_router_allowed(void **state)
{
    (void)state;
    char allow[64];
    assert_int_equal(router_allowed(table, "/api/v1/users", allow, sizeof allow), 3);
    assert_string_equal(allow, "GET, HEAD, POST");
    router_allowed(table, "/api/v1/users/5", allow, sizeof allow);
    assert_string_equal(allow, "GET, HEAD, PATCH, DELETE");
    router_allowed(table, "/api/v1/auth/login", allow, sizeof allow);
    assert_string_equal(allow, "POST");
    router_allowed(table, "/index.html", allow, sizeof allow);
    assert_string_equal(allow, "GET, HEAD");
    char tiny[6];
    router_allowed(table, "/api/v1/users", tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
}

static void test_router_check(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(router_check(table, err, sizeof err), 0);
    assert_int_equal(router_check(cairn_routes, err, sizeof err), 0); /* the real table */
    const route no_perm[] = {{"GET", "/x", NULL, h, NULL, 0, 0, NULL}, {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL}};
    assert_int_equal(router_check(no_perm, err, sizeof err), -1);
    assert_non_null(strstr(err, "/x"));
    const route bad_perm[] = {{"GET", "/y", "everyone", h, NULL, 0, 0, NULL}, {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL}};
    assert_int_equal(router_check(bad_perm, err, sizeof err), -1);
    assert_non_null(strstr(err, "everyone"));
    const route no_action[] = {{"POST", "/z", "login", h, NULL, 0, 0, NULL}, {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL}};
    assert_int_equal(router_check(no_action, err, sizeof err), -1);
    assert_non_null(strstr(err, "audit action"));
    const route no_handler[] = {{"GET", "/w", "public", NULL, NULL, 0, 0, NULL}, {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL}};
    assert_int_equal(router_check(no_handler, err, sizeof err), -1);
}

static void test_real_table_denies_by_default(void **state)
{
    (void)state;
    /* Every route of cairnd names a permission. Public routes are few and
     * known: adding one must be a decision, so it must be added here. Public
     * writes authenticate by their own means (a password, an enrollment
     * token). */
    int pub = 0;
    for (const route *r = cairn_routes; r->method; r++) {
        assert_non_null(r->perm);
        if (strcmp(r->perm, "public") != 0)
            continue;
        pub++;
        bool write = strcmp(r->method, "GET") != 0;
        bool known = write ? strcmp(r->pattern, "/api/v1/auth/login") == 0 ||
                                 strcmp(r->pattern, "/api/v1/agent/enroll") == 0
                           : strcmp(r->pattern, "/api/v1/health") == 0 || strcmp(r->pattern, "/*") == 0 ||
                                 strncmp(r->pattern, "/agent/", 7) == 0;
        if (!known)
            fail_msg("unexpected public route %s %s", r->method, r->pattern);
    }
    assert_true(pub >= 3);
}

/* ---- responses -------------------------------------------------------------- */

static json_t *body_of(const http_resp *w)
{
    json_error_t e;
    json_t *j = json_loadb(w->body, w->len, 0, &e);
    if (!j)
        fail_msg("not JSON: %s", w->body);
    return j;
}

static void test_resp_error_shape(void **state)
{
    (void)state;
    http_resp w = {.fd = -1};
    resp_error(&w, 400, "bad_request", "name", "name is longer than %d characters", 64);
    assert_int_equal(w.status, 400);
    assert_string_equal(w.content_type, "application/json; charset=utf-8");
    json_t *j = body_of(&w);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "bad_request");
    assert_string_equal(json_string_value(json_object_get(e, "field")), "name");
    assert_string_equal(json_string_value(json_object_get(e, "message")), "name is longer than 64 characters");
    json_decref(j);
    resp_error(&w, 404, "not_found", NULL, "no such object");
    j = body_of(&w);
    assert_null(json_object_get(json_object_get(j, "error"), "field"));
    json_decref(j);
    resp_free(&w);
    assert_int_equal(w.fd, -1);
}

static void test_resp_json_escapes_markup(void **state)
{
    (void)state;
    http_resp w = {.fd = -1};
    const char *nasty = "<script>alert(\"x\")</script> & \xe2\x80\xa8 \xe2\x80\xa9 汉字";
    resp_json(&w, 200, json_pack("{s:s}", "name", nasty));
    assert_int_equal(w.status, 200);
    assert_null(strchr(w.body, '<'));
    assert_null(strchr(w.body, '>'));
    assert_null(strchr(w.body, '&'));
    assert_null(strstr(w.body, "\xe2\x80\xa8"));
    assert_non_null(strstr(w.body, "\\u003cscript\\u003e"));
    assert_int_equal(w.len, strlen(w.body));
    json_t *j = body_of(&w);
    assert_string_equal(json_string_value(json_object_get(j, "name")), nasty); /* same value */
    json_decref(j);
    resp_json(&w, 201, NULL);
    assert_string_equal(w.body, "null");
    resp_free(&w);
}

/* ---- validate ---------------------------------------------------------------- */

static const val_field fields[] = {
    {"username", VT_STRING, VF_REQUIRED | VF_IDENT, 0, 8},
    {"title", VT_STRING, VF_LINE, 0, 4},
    {"note", VT_STRING, 0, 0, 0},
    {"nick", VT_STRING, VF_NONEMPTY, 0, 10},
    {"age", VT_INT, 0, 0, 150},
    {"role_id", VT_INT, VF_NULLABLE, 1, INT64_MAX},
    {"active", VT_BOOL, 0, 0, 0},
    {"group_ids", VT_ID_ARRAY, 0, 0, 3},
    {"perms", VT_STR_ARRAY, 0, 0, 2},
    {NULL, 0, 0, 0, 0},
};

/* Run val_check on JSON text; returns the field named by the error ("" when
 * accepted, "-" when refused without a field). */
static const char *check(const char *text, bool partial)
{
    static char field[64];
    http_resp w = {.fd = -1};
    json_t *body = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!body)
        fail_msg("bad test JSON %s", text);
    bool ok = val_check(&w, body, fields, partial);
    json_decref(body);
    if (ok) {
        assert_int_equal(w.status, 0);
        resp_free(&w);
        return "";
    }
    assert_int_equal(w.status, 400);
    json_t *j = body_of(&w);
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), "bad_request");
    assert_true(strlen(json_string_value(json_object_get(e, "message"))) > 5);
    const char *f = json_string_value(json_object_get(e, "field"));
    snprintf(field, sizeof field, "%s", f ? f : "-");
    json_decref(j);
    resp_free(&w);
    return field;
}

static void test_val_accepts(void **state)
{
    (void)state;
    assert_string_equal(check("{\"username\":\"b.x-1@y_\"}", false), "");
    assert_string_equal(check("{\"username\":\"bob\",\"title\":\"ab c\",\"note\":\"line\\nline\",\"nick\":\"n\","
                              "\"age\":0,\"role_id\":null,\"active\":true,\"group_ids\":[1,2,3],"
                              "\"perms\":[\"a\",\"b\"]}", false), "");
    assert_string_equal(check("{\"username\":\"bob\",\"age\":150,\"active\":0,\"role_id\":9}", false), "");
    assert_string_equal(check("{\"username\":\"bob\",\"title\":\"\xe6\xb1\x89\xe5\xad\x97\xe6\xb1\x89\xe5\xad\x97\"}", false), ""); /* 4 chars */
    assert_string_equal(check("{}", true), ""); /* partial: nothing required */
    assert_string_equal(check("{\"active\":false,\"active_ignored\":1}", true), "active_ignored");
}

static void test_val_refuses(void **state)
{
    (void)state;
    assert_string_equal(check("{}", false), "username");                               /* required */
    assert_string_equal(check("{\"username\":\"\"}", false), "username");              /* required = non-empty */
    assert_string_equal(check("{\"username\":\"bob\",\"x\":1}", false), "x");          /* unknown */
    assert_string_equal(check("{\"username\":\"bob bob\"}", false), "username");       /* ident */
    assert_string_equal(check("{\"username\":\"b\xc3\xa9\"}", false), "username");     /* ident is ASCII */
    assert_string_equal(check("{\"username\":\"x' OR 1\"}", false), "username");
    assert_string_equal(check("{\"username\":\"abcdefghi\"}", false), "username");     /* > 8 */
    assert_string_equal(check("{\"username\":5}", false), "username");                 /* type */
    assert_string_equal(check("{\"username\":null}", false), "username");              /* not nullable */
    assert_string_equal(check("{\"title\":\"abcde\"}", true), "title");                /* > 4 chars */
    assert_string_equal(check("{\"title\":\"\xe6\xb1\x89\xe5\xad\x97\xe6\xb1\x89\xe5\xad\x97\xe6\xb1\x89\"}", true), "title");
    assert_string_equal(check("{\"title\":\"a\\nb\"}", true), "title");                /* one line */
    assert_string_equal(check("{\"title\":\"a\\tb\"}", true), "title");
    assert_string_equal(check("{\"title\":\"a\\u007fb\"}", true), "title");
    assert_string_equal(check("{\"nick\":\"\"}", true), "nick");                       /* non-empty */
    assert_string_equal(check("{\"age\":151}", true), "age");
    assert_string_equal(check("{\"age\":-1}", true), "age");
    assert_string_equal(check("{\"age\":\"5\"}", true), "age");
    assert_string_equal(check("{\"age\":5.0}", true), "age");
    assert_string_equal(check("{\"age\":true}", true), "age");
    assert_string_equal(check("{\"role_id\":0}", true), "role_id");
    assert_string_equal(check("{\"active\":2}", true), "active");
    assert_string_equal(check("{\"active\":\"true\"}", true), "active");
    assert_string_equal(check("{\"active\":null}", true), "active");
    assert_string_equal(check("{\"group_ids\":[1,2,3,4]}", true), "group_ids");        /* > 3 */
    assert_string_equal(check("{\"group_ids\":[0]}", true), "group_ids");
    assert_string_equal(check("{\"group_ids\":[\"1\"]}", true), "group_ids");
    assert_string_equal(check("{\"group_ids\":1}", true), "group_ids");
    assert_string_equal(check("{\"perms\":[\"a\",\"b\",\"c\"]}", true), "perms");
    assert_string_equal(check("{\"perms\":[1]}", true), "perms");
    assert_string_equal(check("{\"perms\":\"a\"}", true), "perms");
}

static void test_val_bool(void **state)
{
    (void)state;
    json_t *t = json_true(), *f = json_false(), *one = json_integer(1), *zero = json_integer(0);
    assert_int_equal(val_bool(t), 1);
    assert_int_equal(val_bool(f), 0);
    assert_int_equal(val_bool(one), 1);
    assert_int_equal(val_bool(zero), 0);
    assert_int_equal(val_bool(NULL), 0);
    json_decref(one);
    json_decref(zero);
}

/* ---- listq ------------------------------------------------------------------- */

static void like(const char *q, const char *want)
{
    char *p = listq_like_pattern(q);
    assert_non_null(p);
    assert_string_equal(p, want);
    free(p);
}

static void test_listq_like_escaping(void **state)
{
    (void)state;
    like("", "%%");
    like("abc", "%abc%");
    like("AbC", "%abc%");                 /* lower-cased */
    like("50%", "%50\\%%");               /* % is literal */
    like("a_b", "%a\\_b%");               /* _ is literal */
    like("c:\\dir", "%c:\\\\dir%");       /* \ is literal */
    like("%_\\", "%\\%\\_\\\\%");
    like("' OR 1=1 --", "%' or 1=1 --%"); /* quotes are just text: the pattern is bound */
    like("\xe6\xb1\x89\xe5\xad\x97", "%\xe6\xb1\x89\xe5\xad\x97%");
}

/* ---- permissions --------------------------------------------------------------- */

static auth_ctx ctx(const char *const *perms, const json_int_t *groups, size_t ng)
{
    auth_ctx a = {.authenticated = true};
    a.permissions = json_array();
    a.group_ids = json_array();
    for (; perms && *perms; perms++)
        json_array_append_new(a.permissions, json_string(*perms));
    for (size_t i = 0; i < ng; i++)
        json_array_append_new(a.group_ids, json_integer(groups[i]));
    return a;
}

static void test_auth_has(void **state)
{
    (void)state;
    auth_ctx a = ctx((const char *const[]){"assets:edit", "tasks:execute", "users:admin", NULL}, NULL, 0);
    assert_true(auth_has(&a, "assets:edit"));
    assert_true(auth_has(&a, "assets:view"));    /* edit implies view */
    assert_false(auth_has(&a, "assets:admin"));
    assert_false(auth_has(&a, "assets:execute"));
    assert_true(auth_has(&a, "tasks:view"));     /* execute implies view */
    assert_false(auth_has(&a, "tasks:edit"));
    assert_true(auth_has(&a, "users:view"));     /* admin implies every action */
    assert_true(auth_has(&a, "users:edit"));
    assert_true(auth_has(&a, "users:execute"));
    assert_false(auth_has(&a, "settings:view"));
    assert_false(auth_has(&a, "user:view"));     /* prefixes do not count */
    assert_false(auth_has(&a, "usersx:view"));
    json_t *eff = auth_effective_permissions(&a);
    assert_int_equal(json_array_size(eff), 2 + 2 + 4);
    json_decref(eff);
    a.authenticated = false;
    assert_false(auth_has(&a, "assets:view"));   /* not signed in: nothing */
    auth_ctx_free(&a);

    auth_ctx su = ctx(NULL, NULL, 0);
    su.superuser = true;
    assert_true(auth_has(&su, "audit:admin"));
    eff = auth_effective_permissions(&su);
    assert_int_equal(json_array_size(eff), 32);
    json_decref(eff);
    auth_ctx_free(&su);
}

static void test_auth_perm_valid(void **state)
{
    (void)state;
    assert_true(auth_perm_valid("assets:view"));
    assert_true(auth_perm_valid("audit:admin"));
    assert_false(auth_perm_valid("assets:fly"));
    assert_false(auth_perm_valid("cars:view"));
    assert_false(auth_perm_valid("assets"));
    assert_false(auth_perm_valid("assets:view:x"));
    assert_false(auth_perm_valid(":view"));
    assert_false(auth_perm_valid(""));
    assert_false(auth_perm_valid(NULL));
}

static void test_auth_can_grant(void **state)
{
    (void)state;
    char why[256];
    json_t *p1 = json_pack("[s,s]", "assets:view", "users:edit");
    json_t *p2 = json_pack("[s]", "settings:view");
    json_t *g_none = json_array(), *g1 = json_pack("[i]", 1), *g12 = json_pack("[i,i]", 1, 2);

    auth_ctx a = ctx((const char *const[]){"assets:edit", "users:admin", NULL}, NULL, 0);
    assert_true(auth_can_grant(&a, p1, g_none, why, sizeof why));   /* held (by implication) */
    assert_false(auth_can_grant(&a, p2, NULL, why, sizeof why));
    assert_non_null(strstr(why, "settings:view"));
    assert_true(auth_can_grant(&a, NULL, g12, why, sizeof why));    /* unscoped caller */
    auth_ctx_free(&a);

    json_int_t mine[] = {1};
    auth_ctx s = ctx((const char *const[]){"users:admin", "assets:admin", NULL}, mine, 1);
    assert_true(auth_can_grant(&s, p1, g1, why, sizeof why));
    assert_false(auth_can_grant(&s, p1, g_none, why, sizeof why));  /* "every group" is wider */
    assert_non_null(strstr(why, "every host group"));
    assert_false(auth_can_grant(&s, p1, g12, why, sizeof why));
    assert_non_null(strstr(why, "2"));
    assert_true(auth_can_grant(&s, p1, NULL, why, sizeof why));     /* scope not being changed */
    s.superuser = true;
    assert_true(auth_can_grant(&s, p2, g_none, why, sizeof why));
    auth_ctx_free(&s);

    json_decref(p1);
    json_decref(p2);
    json_decref(g_none);
    json_decref(g1);
    json_decref(g12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router_literal),
        cmocka_unit_test(test_router_params),
        cmocka_unit_test(test_router_405_404),
        cmocka_unit_test(test_router_wildcard_and_head),
        cmocka_unit_test(test_router_allowed),
        cmocka_unit_test(test_router_check),
        cmocka_unit_test(test_real_table_denies_by_default),
        cmocka_unit_test(test_resp_error_shape),
        cmocka_unit_test(test_resp_json_escapes_markup),
        cmocka_unit_test(test_val_accepts),
        cmocka_unit_test(test_val_refuses),
        cmocka_unit_test(test_val_bool),
        cmocka_unit_test(test_listq_like_escaping),
        cmocka_unit_test(test_auth_has),
        cmocka_unit_test(test_auth_perm_valid),
        cmocka_unit_test(test_auth_can_grant),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
