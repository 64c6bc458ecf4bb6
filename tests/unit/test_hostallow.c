/* test_hostallow.c -- cmocka tests of src/common/hostallow.c, the git-hosts
 * allowlist: parsing entries (names, *.patterns, addresses, networks, ports,
 * IPv6 in brackets) and refusing bad ones; name patterns (a subdomain
 * matches *.example.com, the bare domain does not); and the decision per
 * resolved address: the always-refused kinds by default (loopback,
 * link-local / cloud metadata, unspecified, multicast), private networks
 * allowed, a name resolving to loopback refused, a list allowing only what
 * it names, and a network entry allowing loopback explicitly; a name that
 * does not resolve is judged by the list's names alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/hostallow.h"

#include <stdio.h>
#include <string.h>

static hostallow_list list_of(const char *text)
{
    hostallow_list l;
    char err[256] = "";
    if (hostallow_parse(&l, text, err, sizeof err) != 0)
        fail_msg("\"%s\" refused: %s", text, err);
    return l;
}

static void test_parse(void **state)
{
    (void)state;
    hostallow_list l;
    char err[256];
    assert_int_equal(list_of("").n, 0);
    l = list_of(" Git.Example.COM:8443, *.example.org 10.1.0.0/16,192.0.2.7:22 [::1]:22 fd00::/8 [fd00::/8]:443 ");
    assert_int_equal(l.n, 7);
    assert_string_equal(l.items[0].name, "git.example.com");
    assert_int_equal(l.items[0].port, 8443);
    assert_string_equal(l.items[1].name, "*.example.org");
    assert_int_equal(l.items[1].port, 0);
    assert_string_equal(l.items[2].name, "");
    assert_int_equal(l.items[2].net.bits, 16);
    assert_int_equal(l.items[3].port, 22);
    assert_int_equal(l.items[4].port, 22);
    assert_int_equal(l.items[4].net.bits, 128);
    assert_int_equal(l.items[5].port, 0);
    assert_int_equal(l.items[6].port, 443);
    assert_int_equal(list_of("localhost, git_lab.corp, a-b.c").n, 3);
    static const char *const bad[] = {"10.0.0.0/40", "300.1.1.1", "git.example.com:0", "git.example.com:65536",
                                      "git.example.com:", "git.example.com:x", "*", "*.", "a.*.com", "*example.com",
                                      "**.example.com", "-git.example.com", "git-.example.com", "a..b", ".example.com",
                                      "[::1", "[::1]x", "[git.example.com]", "fd00::1/8:22", "ex ample/x",
                                      "git.example.com/x", "h@st", NULL};
    for (const char *const *b = bad; *b; b++) {
        err[0] = '\0';
        if (hostallow_parse(&l, *b, err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", *b);
        assert_non_null(strstr(err, "is not a host name"));
    }
    char many[40 * 12] = "";
    for (int i = 0; i < 33; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "h%d.x,", i);
    assert_int_equal(hostallow_parse(&l, many, err, sizeof err), -1);
    assert_non_null(strstr(err, "at most 32"));
}

static void test_names(void **state)
{
    (void)state;
    assert_true(hostallow_name_match("git.example.com", "git.example.com"));
    assert_true(hostallow_name_match("git.example.com", "GIT.Example.com"));
    assert_true(hostallow_name_match("git.example.com", "git.example.com."));
    assert_false(hostallow_name_match("git.example.com", "git.example.com.evil.net"));
    assert_false(hostallow_name_match("git.example.com", "xgit.example.com"));
    assert_false(hostallow_name_match("git.example.com", "sub.git.example.com"));
    assert_true(hostallow_name_match("*.example.com", "git.example.com"));
    assert_true(hostallow_name_match("*.example.com", "a.b.example.com"));
    assert_true(hostallow_name_match("*.example.com", "A.EXAMPLE.COM."));
    assert_false(hostallow_name_match("*.example.com", "example.com"));
    assert_false(hostallow_name_match("*.example.com", ".example.com"));
    assert_false(hostallow_name_match("*.example.com", "badexample.com"));
    assert_false(hostallow_name_match("*.example.com", "example.com.evil.net"));
    assert_false(hostallow_name_match("*.example.com", "git.example.co"));
}

/* The reason for refusing addr of host on port under list text, or NULL
 * when it is allowed. */
static const char *verdict(const char *text, const char *host, int port, const char *addr)
{
    static char why[256];
    hostallow_list l = list_of(text);
    why[0] = '\0';
    if (hostallow_check(&l, host, port, addr, why, sizeof why))
        return NULL;
    assert_true(strlen(why) > 5);
    return why;
}

static void test_defaults(void **state)
{
    (void)state;
    static const char *const refused[][2] = {
        {"127.0.0.1", "loopback address"},        {"127.8.9.1", "loopback address"},
        {"::1", "loopback address"},              {"::ffff:127.0.0.1", "loopback address"},
        {"169.254.169.254", "link-local address"}, {"fe80::1", "link-local address"},
        {"0.0.0.0", "unspecified address"},       {"::", "unspecified address"},
        {"224.0.0.1", "multicast address"},       {"ff02::1", "multicast address"},
        {"255.255.255.255", "reserved or broadcast address"},
        {"100.100.100.200", "cloud metadata address"}, {"fd00:ec2::254", "cloud metadata address"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *why = verdict("", refused[i][0], 443, refused[i][0]);
        if (!why || strcmp(why, refused[i][1]) != 0)
            fail_msg("%s: %s", refused[i][0], why ? why : "allowed");
    }
    static const char *const allowed[] = {"10.1.2.3", "172.16.0.1", "192.168.1.1", "192.0.2.7", "8.8.8.8",
                                          "100.64.0.1", "fd00::2", "2001:db8::1", "169.255.0.1", NULL};
    for (const char *const *a = allowed; *a; a++)
        if (verdict("", *a, 443, *a))
            fail_msg("%s refused: %s", *a, verdict("", *a, 443, *a));
    /* a name is judged by what it resolves to */
    assert_null(verdict("", "git.example.com", 443, "10.0.0.5"));
    assert_string_equal(verdict("", "localhost", 9418, "127.0.0.1"), "it resolves to 127.0.0.1, a loopback address");
    assert_string_equal(verdict("", "metadata.google.internal", 80, "169.254.169.254"),
                        "it resolves to 169.254.169.254, a link-local address");
    assert_string_equal(verdict("", "[::1]", 22, "::1"), "loopback address");
    assert_non_null(verdict("", "x", 22, "not-an-address"));
}

static void test_lists(void **state)
{
    (void)state;
    const char *l = "*.example.com, git.example.org:8443, 10.1.0.0/16, 127.0.0.1:9418, [fd00::/8]:22";
    assert_null(verdict(l, "git.example.com", 443, "203.0.113.9"));
    assert_null(verdict(l, "a.b.example.com", 22, "198.51.100.1"));
    assert_string_equal(verdict(l, "example.com", 443, "203.0.113.9"), "not in the git-hosts list");
    assert_string_equal(verdict(l, "github.com", 443, "140.82.121.3"), "not in the git-hosts list");
    assert_null(verdict(l, "git.example.org", 8443, "203.0.113.10"));
    assert_string_equal(verdict(l, "git.example.org", 443, "203.0.113.10"), "port 443 is not in the git-hosts list");
    /* a network entry allows any name resolving into it, and the literal */
    assert_null(verdict(l, "gitlab.corp", 443, "10.1.200.3"));
    assert_null(verdict(l, "10.1.0.9", 22, "10.1.0.9"));
    assert_string_equal(verdict(l, "10.2.0.9", 22, "10.2.0.9"), "not in the git-hosts list");
    /* loopback: only where a network entry names it, port included */
    assert_null(verdict(l, "127.0.0.1", 9418, "127.0.0.1"));
    assert_null(verdict(l, "localhost", 9418, "127.0.0.1"));
    assert_string_equal(verdict(l, "127.0.0.1", 22, "127.0.0.1"), "port 22 is not in the git-hosts list");
    assert_string_equal(verdict(l, "127.0.0.2", 9418, "127.0.0.2"), "not in the git-hosts list");
    /* a listed name resolving to a refused address stays refused */
    assert_string_equal(verdict(l, "evil.example.com", 443, "169.254.169.254"),
                        "it resolves to 169.254.169.254, a link-local address");
    assert_string_equal(verdict("localhost", "localhost", 9418, "127.0.0.1"),
                        "it resolves to 127.0.0.1, a loopback address");
    assert_null(verdict("localhost, 127.0.0.0/8", "localhost", 9418, "127.0.0.1"));
    assert_null(verdict(l, "[fd00::5]", 22, "fd00::5"));
    assert_string_equal(verdict(l, "fd00::5", 443, "fd00::5"), "port 443 is not in the git-hosts list");
    assert_null(verdict("::1", "::1", 22, "::1"));
    /* a name that does not resolve: allowed by name only (then unreachable) */
    hostallow_list hl = list_of(l), none = list_of("");
    char why[128];
    assert_true(hostallow_named(&none, "anything.test", 443, why, sizeof why));
    assert_true(hostallow_named(&hl, "git.example.com", 443, why, sizeof why));
    assert_false(hostallow_named(&hl, "example.com", 443, why, sizeof why));
    assert_string_equal(why, "not in the git-hosts list");
    assert_false(hostallow_named(&hl, "git.example.org", 22, why, sizeof why));
    assert_string_equal(why, "port 22 is not in the git-hosts list");
    assert_false(hostallow_named(&hl, "10.1.0.9", 22, why, sizeof why)); /* only its address could be listed */
    assert_null(verdict("169.254.169.254", "169.254.169.254", 80, "169.254.169.254"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_lists),
    };
    return cmocka_run_group_tests_name("hostallow", tests, NULL, NULL);
}
