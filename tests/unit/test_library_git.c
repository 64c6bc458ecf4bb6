/* test_library_git.c -- cmocka tests of the checks library_git.c makes on
 * a git source before any network access: URL schemes and forms, ref names
 * and paths inside the repository (src/jobs/library_git.h). The fetch
 * itself is tested end to end in tests/integration/library_git.test.mjs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs/library_git.h"

#include <string.h>

static bool url_ok(const char *u, bool local)
{
    char why[256] = "";
    bool ok = lgit_url_ok(u, local, why, sizeof why);
    assert_true(ok || strlen(why) > 5); /* a refusal always says why */
    return ok;
}

static void test_urls(void **state)
{
    (void)state;
    assert_true(url_ok("https://git.example.com/ops/playbooks.git", false));
    assert_true(url_ok("https://deploy@git.example.com/ops.git", false));
    assert_true(url_ok("ssh://git@git.example.com:2222/ops.git", false));
    assert_true(url_ok("git@github.com:ops/playbooks.git", false));
    assert_true(url_ok("git://127.0.0.1:9418/ops", false));
    assert_false(url_ok("", false));
    assert_false(url_ok(NULL, false));
    assert_false(url_ok("http://git.example.com/ops.git", false));
    assert_false(url_ok("https://user:secret@git.example.com/ops.git", false));
    assert_false(url_ok("https://git.example.com", false));
    assert_false(url_ok("https:///ops.git", false));
    assert_false(url_ok("ftp://git.example.com/ops.git", false));
    assert_false(url_ok("ext::sh -c touch% /tmp/x", false));
    assert_false(url_ok("-uhttps://x/y", false));
    assert_false(url_ok("https://git.example.com/a b", false));
    assert_false(url_ok("https://git.example.com/a\nb", false));
    assert_false(url_ok("relative/path", false));
    assert_false(url_ok("file:///srv/git/ops.git", false));
    assert_false(url_ok("/srv/git/ops.git", false));
    assert_true(url_ok("file:///srv/git/ops.git", true));
    assert_true(url_ok("/srv/git/ops.git", true));
    assert_false(url_ok("file://host/srv/ops.git", true));
    char longurl[1100];
    memset(longurl, 'a', sizeof longurl - 1);
    memcpy(longurl, "https://h/", 10);
    longurl[sizeof longurl - 1] = '\0';
    assert_false(url_ok(longurl, false));
}

static void test_refs(void **state)
{
    (void)state;
    char why[256];
    const char *good[] = {"", "main", "release/2.1", "v1.0.3", "refs/heads/main", "0123abc", "feature+x", NULL};
    const char *bad[] = {"-main", "--upload-pack=x", "/main", "main/", "a..b", "a//b", "main.", "a/.hidden",
                         "a b", "a:b", "a~1", "a^", "a\\b", NULL};
    for (const char **r = good; *r; r++)
        assert_true(lgit_ref_ok(*r, why, sizeof why));
    for (const char **r = bad; *r; r++)
        assert_false(lgit_ref_ok(*r, why, sizeof why));
}

static void test_paths(void **state)
{
    (void)state;
    char why[256];
    const char *good[] = {"", "deploy.sh", "playbooks/site.yml", "roles/web", ".github/x.yml", "a/b-c_d+e@f", NULL};
    const char *bad[] = {"/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", ".", "..", "a b", "a\\b",
                         "a/\n", NULL};
    for (const char **p = good; *p; p++)
        assert_true(lgit_path_ok(*p, why, sizeof why));
    for (const char **p = bad; *p; p++)
        assert_false(lgit_path_ok(*p, why, sizeof why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests_name("library_git", tests, NULL, NULL);
}
