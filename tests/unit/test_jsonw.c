/* test_jsonw.c -- cmocka tests of the streaming JSON writer (src/common/jsonw.c).
 *
 * The writer promises jansson's bytes: most tests are differential, writing
 * a value with jsonw and comparing with json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY) of the same value -- and, in HTML-safe mode, with the body
 * http.c's resp_json() answers, which is what the server sent before the
 * writer existed. Literal expectations pin the escapes themselves (quotes,
 * backslash, control characters in upper-case hex, < > & U+2028 U+2029 in
 * lower-case, non-ASCII passed through), number formats (int64 extremes,
 * reals as jansson prints them), invalid UTF-8 (each bad byte -> U+FFFD, as
 * db_query() repairs SQLite text) and the structural checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/jsonw.h"
#include "http/http.h"
#include "store/db.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

/* jsonw's text for one string (len bytes) in the given mode; caller frees. */
static char *w_string(const char *s, size_t len, unsigned flags)
{
    jsonw w;
    jsonw_init(&w, flags, 0);
    jsonw_string(&w, s, len);
    char *out = jsonw_finish(&w, NULL);
    assert_non_null(out);
    return out;
}

/* jsonw's text for a jansson value; caller frees. */
static char *w_json(const json_t *j, unsigned flags)
{
    jsonw w;
    jsonw_init(&w, flags, 0);
    jsonw_json(&w, j);
    char *out = jsonw_finish(&w, NULL);
    assert_non_null(out);
    return out;
}

/* jansson's own text for j (compact, any value); caller frees. */
static char *j_dump(const json_t *j)
{
    char *out = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(out);
    return out;
}

/* What the server answered for j before the writer: resp_json()'s body. */
static char *j_resp(json_t *j)
{
    http_resp w;
    memset(&w, 0, sizeof w);
    w.fd = -1;
    resp_json(&w, 200, json_incref(j));
    assert_int_equal(w.status, 200);
    char *out = strdup(w.body);
    resp_free(&w);
    assert_non_null(out);
    return out;
}

/* Both modes of j against jansson (plain) and resp_json (HTML-safe). */
static void same_as_jansson(json_t *j)
{
    char *a = w_json(j, 0), *b = j_dump(j);
    assert_string_equal(a, b);
    free(a);
    free(b);
    a = w_json(j, JSONW_HTML_SAFE);
    b = j_resp(j);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

/* ---- strings --------------------------------------------------------------- */

static void test_escapes_literal(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *plain, *html;
    } cases[] = {
        {"", "\"\"", "\"\""},
        {"plain text", "\"plain text\"", "\"plain text\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\""},
        {"back\\slash", "\"back\\\\slash\"", "\"back\\\\slash\""},
        {"a/b", "\"a/b\"", "\"a/b\""}, /* jansson leaves / alone */
        {"\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"", "\"\\b\\f\\n\\r\\t\""},
        {"\x01\x1f\x0b", "\"\\u0001\\u001F\\u000B\"", "\"\\u0001\\u001F\\u000B\""}, /* upper-case, as jansson */
        {"del\x7f", "\"del\x7f\"", "\"del\x7f\""},                                   /* DEL is not escaped */
        {"<b>&amp;</b>", "\"<b>&amp;</b>\"", "\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\""},
        {"</script>", "\"</script>\"", "\"\\u003c/script\\u003e\""},
        {"line\xe2\x80\xa8para\xe2\x80\xa9", "\"line\xe2\x80\xa8para\xe2\x80\xa9\"", "\"line\\u2028para\\u2029\""},
        {"中文 ünï 😀 \xe2\x80\xaa", "\"中文 ünï 😀 \xe2\x80\xaa\"", "\"中文 ünï 😀 \xe2\x80\xaa\""}, /* passed as is */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = w_string(cases[i].in, strlen(cases[i].in), 0);
        char *h = w_string(cases[i].in, strlen(cases[i].in), JSONW_HTML_SAFE);
        assert_string_equal(p, cases[i].plain);
        assert_string_equal(h, cases[i].html);
        free(p);
        free(h);
    }
}

/* Every control character, NUL included (strings carry a length). */
static void test_control_chars(void **state)
{
    (void)state;
    for (int c = 0; c < 0x20; c++) {
        char in[3] = {'x', (char)c, 'y'};
        json_t *j = json_stringn(in, sizeof in);
        assert_non_null(j);
        same_as_jansson(j);
        json_decref(j);
    }
    char *out = w_string("a\0b", 3, 0);
    assert_string_equal(out, "\"a\\u0000b\"");
    free(out);
}

static void test_strings_differential(void **state)
{
    (void)state;
    static const char *const s[] = {
        "", "a", "\"", "\\", "\\\"", "<", ">", "&", "<&>\"\\", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xa7",
        "x\xe2\x80\xa8y\xe2\x80\xa9z", "北京一号机房", "Ελληνικά", "🙂🙃", "tab\there", "'single'", "{\"json\":[1]}",
        "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xee\x80\x80",
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        json_t *j = json_string(s[i]);
        assert_non_null(j);
        same_as_jansson(j);
        json_decref(j);
    }
}

/* Bad UTF-8: each byte of a bad sequence becomes U+FFFD, exactly as
 * db_query() repairs SQLite text before jansson writes it. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t len;
    } bad[] = {
        {"A\xff" "B\xc3", 4},           /* stray byte; truncated 2-byte */
        {"\xc0\xaf", 2},                 /* overlong '/' */
        {"\xe0\x80\xaf", 3},             /* overlong, 3 bytes */
        {"\xed\xa0\x80", 3},             /* a surrogate */
        {"\xf4\x90\x80\x80", 4},         /* past U+10FFFF */
        {"\xf8\x88\x80\x80\x80", 5},     /* 5-byte form */
        {"\xe4\xb8", 2},                 /* truncated CJK */
        {"\xe4\xb8" "a\xe4\xb8\xad", 6}, /* truncated, then a good one */
        {"\x80\xbf", 2},                 /* lone continuation bytes */
        {"<\xfe>", 3},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        db_cell cell = {.type = DBC_TEXT, .len = bad[i].len, .v.s = bad[i].in};
        json_t *j = db_cell_json(&cell);
        assert_non_null(j);
        char *a = w_string(bad[i].in, bad[i].len, 0), *b = j_dump(j);
        assert_string_equal(a, b);
        free(a);
        free(b);
        a = w_string(bad[i].in, bad[i].len, JSONW_HTML_SAFE);
        b = j_resp(j);
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(j);
    }
    char *out = w_string("A\xff" "B", 3, 0);
    assert_string_equal(out, "\"A\xef\xbf\xbd" "B\"");
    free(out);
}

/* Random bytes (mostly text-like) against db_cell_json + jansson. */
static void test_random_bytes(void **state)
{
    (void)state;
    static const unsigned char alphabet[] = {'a', ' ', '"', '\\', '<', '>', '&', '/', 0x00, 0x01, 0x1f, 0x7f,
                                             0x80, 0xa8, 0xa9, 0xbf, 0xc2, 0xc3, 0xdf, 0xe0, 0xe2, 0xe4,
                                             0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        unsigned char buf[24];
        size_t len = (size_t)(round % (int)sizeof buf);
        for (size_t k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = alphabet[(seed >> 16) % sizeof alphabet];
        }
        db_cell cell = {.type = DBC_TEXT, .len = len, .v.s = (const char *)buf};
        json_t *j = db_cell_json(&cell);
        assert_non_null(j);
        char *a = w_string((const char *)buf, len, 0), *b = j_dump(j);
        assert_string_equal(a, b);
        free(a);
        free(b);
        a = w_string((const char *)buf, len, JSONW_HTML_SAFE);
        b = j_resp(j);
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(j);
    }
}

/* ---- numbers --------------------------------------------------------------- */

static void test_integers(void **state)
{
    (void)state;
    const int64_t v[] = {0, 1, -1, 9, 10, -10, 123456789, INT32_MAX, INT32_MIN, (int64_t)INT32_MAX + 1,
                         INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        json_t *j = json_integer((json_int_t)v[i]);
        same_as_jansson(j);
        json_decref(j);
    }
    jsonw w;
    jsonw_init(&w, 0, 0);
    jsonw_array_begin(&w);
    jsonw_int(&w, INT64_MIN);
    jsonw_int(&w, INT64_MAX);
    jsonw_array_end(&w);
    char *out = jsonw_finish(&w, NULL);
    assert_string_equal(out, "[-9223372036854775808,9223372036854775807]");
    free(out);
}

static void test_reals(void **state)
{
    (void)state;
    const double v[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 2.5, -2.5, 100.0, 1e15, 1e16, 1e17, 1e20, 1e21, 1e22,
                        1e-5, 1.5e-7, 1e-300, 1e300, 5e-324, DBL_MIN, DBL_MAX, -DBL_MAX, 1.0 / 3.0,
                        123456789.125, 9007199254740993.0, 4.9406564584124654e-324, 2.2250738585072014e-308};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        json_t *j = json_real(v[i]);
        assert_non_null(j);
        same_as_jansson(j);
        json_decref(j);
    }
    /* pinned forms */
    static const struct {
        double v;
        const char *text;
    } pin[] = {{1.0, "1.0"}, {100.0, "100.0"}, {0.1, "0.10000000000000001"}, {1e20, "1e20"},
               {1e-5, "1.0000000000000001e-5"}, {-0.0, "-0.0"}, {1e16, "10000000000000000.0"}};
    for (size_t i = 0; i < sizeof pin / sizeof pin[0]; i++) {
        jsonw w;
        jsonw_init(&w, 0, 0);
        jsonw_real(&w, pin[i].v);
        char *out = jsonw_finish(&w, NULL);
        assert_string_equal(out, pin[i].text);
        free(out);
    }
    /* random bit patterns: every finite double jansson can hold */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        double d;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        json_t *j = json_real(d);
        char *a = w_json(j, 0), *b = j_dump(j);
        assert_string_equal(a, b);
        free(a);
        free(b);
        json_decref(j);
    }
    /* JSON has no NaN or infinity: null */
    jsonw w;
    jsonw_init(&w, 0, 0);
    jsonw_array_begin(&w);
    jsonw_real(&w, NAN);
    jsonw_real(&w, INFINITY);
    jsonw_real(&w, -INFINITY);
    jsonw_array_end(&w);
    char *out = jsonw_finish(&w, NULL);
    assert_string_equal(out, "[null,null,null]");
    free(out);
}

/* ---- structure ------------------------------------------------------------- */

static void test_structure(void **state)
{
    (void)state;
    jsonw w;
    size_t len = 0;
    jsonw_init(&w, JSONW_HTML_SAFE, 16);
    jsonw_object_begin(&w);
    jsonw_key(&w, "items");
    jsonw_array_begin(&w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "id");
    jsonw_int(&w, 1);
    jsonw_key(&w, "ok");
    jsonw_bool(&w, true);
    jsonw_key(&w, "no");
    jsonw_bool(&w, false);
    jsonw_key(&w, "n");
    jsonw_null(&w);
    jsonw_key(&w, "s");
    jsonw_cstring(&w, "<x>");
    jsonw_key(&w, "z");
    jsonw_cstring(&w, NULL);
    jsonw_object_end(&w);
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    jsonw_array_end(&w);
    jsonw_keyn(&w, "k<\0", 3);
    jsonw_real(&w, 1.5);
    jsonw_object_end(&w);
    assert_false(jsonw_failed(&w));
    char *out = jsonw_finish(&w, &len);
    assert_string_equal(out, "{\"items\":[{\"id\":1,\"ok\":true,\"no\":false,\"n\":null,\"s\":\"\\u003cx\\u003e\","
                             "\"z\":null},{},[]],\"k\\u003c\\u0000\":1.5}");
    assert_int_equal(len, strlen(out));
    free(out);
}

/* Each misuse fails the writer for good; finish gives NULL. */
static void test_misuse(void **state)
{
    (void)state;
    jsonw w;
    for (int m = 0; m < 9; m++) {
        jsonw_init(&w, 0, 0);
        switch (m) {
        case 0: /* key at top level */
            jsonw_key(&w, "k");
            break;
        case 1: /* value in an object without a key */
            jsonw_object_begin(&w);
            jsonw_int(&w, 1);
            jsonw_object_end(&w);
            break;
        case 2: /* key in an array */
            jsonw_array_begin(&w);
            jsonw_key(&w, "k");
            jsonw_array_end(&w);
            break;
        case 3: /* two top-level values */
            jsonw_int(&w, 1);
            jsonw_int(&w, 2);
            break;
        case 4: /* mismatched end */
            jsonw_array_begin(&w);
            jsonw_object_end(&w);
            break;
        case 5: /* unclosed */
            jsonw_array_begin(&w);
            break;
        case 6: /* a key without its value */
            jsonw_object_begin(&w);
            jsonw_key(&w, "k");
            jsonw_object_end(&w);
            break;
        case 7: /* too deep */
            for (int d = 0; d <= JSONW_MAX_DEPTH; d++)
                jsonw_array_begin(&w);
            for (int d = 0; d <= JSONW_MAX_DEPTH; d++)
                jsonw_array_end(&w);
            break;
        case 8: /* nothing at all */
            break;
        }
        if (m != 5 && m != 8)
            assert_true(jsonw_failed(&w));
        if (m != 8)
            jsonw_int(&w, 3); /* sticky: ignored, no crash */
        assert_null(jsonw_finish(&w, NULL));
        jsonw_free(&w); /* twice is fine */
    }
    /* exactly JSONW_MAX_DEPTH levels are fine */
    jsonw_init(&w, 0, 0);
    for (int d = 0; d < JSONW_MAX_DEPTH; d++)
        jsonw_array_begin(&w);
    for (int d = 0; d < JSONW_MAX_DEPTH; d++)
        jsonw_array_end(&w);
    char *out = jsonw_finish(&w, NULL);
    assert_non_null(out);
    assert_int_equal(strlen(out), 2 * JSONW_MAX_DEPTH);
    free(out);
    /* the caller's own failure */
    jsonw_init(&w, 0, 0);
    jsonw_int(&w, 1);
    jsonw_fail(&w);
    assert_null(jsonw_finish(&w, NULL));
}

static void test_json_values(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:[i,I,f,b,b,n,s], s:{s:{}, s:[]}, s:s, s:f}", "list", 1, (json_int_t)INT64_MIN, 0.25,
                          1, 0, "x\"<y>", "nested", "o", "a", "k\n<&>\xe2\x80\xa8", "v\\", "r", 1e100);
    assert_non_null(j);
    json_object_setn_new(j, "nul\0key", 7, json_integer(7)); /* keys carry a length */
    json_object_set_new(j, "中文键", json_string("值"));
    same_as_jansson(j);
    json_decref(j);
    /* scalars at top level, and NULL */
    json_t *scalars[] = {json_integer(0), json_real(-0.5), json_true(), json_false(), json_null(), json_string("")};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        same_as_jansson(scalars[i]);
        json_decref(scalars[i]);
    }
    char *out = w_json(NULL, 0);
    assert_string_equal(out, "null");
    free(out);
}

static void test_prepared_keys(void **state)
{
    (void)state;
    jsonw_pkey k, h;
    jsonw w;
    assert_true(jsonw_pkey_init(&k, "host<name>", 10, 0));
    assert_true(jsonw_pkey_init(&h, "host<name>", 10, JSONW_HTML_SAFE));
    assert_string_equal(k.text, "\"host<name>\":");
    assert_string_equal(h.text, "\"host\\u003cname\\u003e\":");
    jsonw_init(&w, JSONW_HTML_SAFE, 0);
    jsonw_object_begin(&w);
    jsonw_key_pkey(&w, &h);
    jsonw_int(&w, 1);
    jsonw_key_pkey(&w, &h);
    jsonw_int(&w, 2);
    jsonw_object_end(&w);
    char *out = jsonw_finish(&w, NULL);
    assert_string_equal(out, "{\"host\\u003cname\\u003e\":1,\"host\\u003cname\\u003e\":2}");
    free(out);
    /* made for other flags, or outside an object: failure */
    jsonw_init(&w, JSONW_HTML_SAFE, 0);
    jsonw_object_begin(&w);
    jsonw_key_pkey(&w, &k);
    assert_true(jsonw_failed(&w));
    jsonw_free(&w);
    jsonw_init(&w, 0, 0);
    jsonw_key_pkey(&w, &k);
    assert_true(jsonw_failed(&w));
    jsonw_free(&w);
    /* too long to prepare */
    char longkey[JSONW_PKEY_MAX];
    memset(longkey, '<', sizeof longkey);
    assert_false(jsonw_pkey_init(&k, longkey, sizeof longkey, JSONW_HTML_SAFE));
}

/* Growth from the smallest buffer to a few MB, content intact. */
static void test_growth(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)("ab<\"\xe4\xb8\xad\n"[i % 8]); /* whole CJK sequences */
    json_t *j = json_stringn(big, n - n % 8);
    assert_non_null(j);
    jsonw w;
    jsonw_init(&w, 0, 1);
    jsonw_array_begin(&w);
    for (int i = 0; i < 3; i++)
        jsonw_json(&w, j);
    jsonw_array_end(&w);
    size_t len;
    char *a = jsonw_finish(&w, &len);
    json_t *arr = json_pack("[O,O,O]", j, j, j);
    char *b = j_dump(arr);
    assert_non_null(a);
    assert_int_equal(len, strlen(b));
    assert_true(memcmp(a, b, len) == 0);
    free(a);
    free(b);
    json_decref(arr);
    json_decref(j);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes_literal),
        cmocka_unit_test(test_control_chars),
        cmocka_unit_test(test_strings_differential),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_reals),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_prepared_keys),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
