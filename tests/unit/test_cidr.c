/* test_cidr.c -- cmocka tests of src/common/cidr.c: parsing network lists,
 * matching IPv4, IPv6 and IPv4-mapped addresses against them, and finding the
 * client's address in X-Forwarded-For behind trusted proxies (and only
 * behind them: a client cannot name its own address).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/cidr.h"

#include <string.h>

static cidr_list list_of(const char *text)
{
    cidr_list l;
    char err[160] = "";
    if (cidr_list_parse(&l, text, err, sizeof err) != 0)
        fail_msg("\"%s\" refused: %s", text, err);
    return l;
}

static void test_parse(void **state)
{
    (void)state;
    cidr_list l;
    char err[160];
    assert_int_equal(list_of("").n, 0);
    assert_int_equal(list_of("127.0.0.1").n, 1);
    assert_int_equal(list_of(" 10.0.0.0/8, 192.168.1.0/24 ::1,fd00::/8 ").n, 4);
    static const char *const bad[] = {"10.0.0.0/33", "::1/129", "10.0.0.1/", "10.0.0/8", "nginx", "1.2.3.4/x",
                                      "1.2.3.4/-1", "300.1.1.1", NULL};
    for (const char *const *b = bad; *b; b++) {
        err[0] = '\0';
        if (cidr_list_parse(&l, *b, err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", *b);
        assert_non_null(strstr(err, "is not an IP address"));
    }
    char many[2048] = "";
    for (int i = 0; i <= CIDR_LIST_MAX; i++)
        strcat(many, "10.0.0.1,");
    assert_int_equal(cidr_list_parse(&l, many, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most"));
}

static void test_match(void **state)
{
    (void)state;
    cidr_list l = list_of("10.0.0.0/8, 192.168.1.128/25, 127.0.0.1, fd00::/8");
    assert_true(cidr_list_match(&l, "10.200.3.4"));
    assert_false(cidr_list_match(&l, "11.0.0.1"));
    assert_true(cidr_list_match(&l, "192.168.1.200"));
    assert_false(cidr_list_match(&l, "192.168.1.127"));
    assert_true(cidr_list_match(&l, "127.0.0.1"));
    assert_false(cidr_list_match(&l, "127.0.0.2"));
    assert_true(cidr_list_match(&l, "::ffff:127.0.0.1")); /* IPv4-mapped matches IPv4 */
    assert_true(cidr_list_match(&l, "fd12:3456::1"));
    assert_false(cidr_list_match(&l, "fe80::1"));
    assert_false(cidr_list_match(&l, "not an address"));
    assert_false(cidr_list_match(&l, ""));
    cidr_list any = list_of("0.0.0.0/0");
    assert_true(cidr_list_match(&any, "8.8.8.8"));
    assert_false(cidr_list_match(&any, "::1"));
    cidr_list none = list_of("");
    assert_false(cidr_list_match(&none, "127.0.0.1"));
}

static const char *client(const cidr_list *l, const char *peer, const char *xff)
{
    static char out[64];
    cidr_client_ip(l, peer, xff, out, sizeof out);
    return out;
}

static void test_client_ip(void **state)
{
    (void)state;
    cidr_list none = list_of(""), lo = list_of("127.0.0.1, 10.0.0.0/8");
    assert_string_equal(client(&none, "127.0.0.1", "203.0.113.7"), "127.0.0.1");
    assert_string_equal(client(&lo, "192.0.2.1", "203.0.113.7"), "192.0.2.1");
    assert_string_equal(client(&lo, "127.0.0.1", NULL), "127.0.0.1");
    assert_string_equal(client(&lo, "127.0.0.1", "203.0.113.7"), "203.0.113.7");
    assert_string_equal(client(&lo, "127.0.0.1", " 203.0.113.7 , 10.1.2.3"), "203.0.113.7");
    assert_string_equal(client(&lo, "127.0.0.1", "198.51.100.9, 203.0.113.7"), "203.0.113.7");
    assert_string_equal(client(&lo, "127.0.0.1", "10.9.9.9, 10.1.2.3"), "10.9.9.9");
    assert_string_equal(client(&lo, "127.0.0.1", "forged, 203.0.113.7"), "203.0.113.7");
    assert_string_equal(client(&lo, "127.0.0.1", "203.0.113.7, junk"), "127.0.0.1");
    assert_string_equal(client(&lo, "127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(client(&lo, "127.0.0.1", "2001:db8::5"), "2001:db8::5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_client_ip),
    };
    return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
