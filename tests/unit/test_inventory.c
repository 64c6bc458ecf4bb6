/* test_inventory.c -- cmocka tests of the Ansible inventory (src/jobs/inventory.c)
 * and of the run-directory helpers its jobs write it with (ansible_ws.c,
 * ansible_keys.c).
 *
 * The inventory is built from literal rows shaped as inv_load() returns them,
 * so no database is needed: group-name sanitising and de-duplication, host
 * names that are not safe, unsafe-marked text, the script-plugin JSON shape
 * and its conversion to the yaml plugin's layout. The file helpers run in a
 * private temporary directory: private files are 0600 and never written
 * through an existing file or link, and removal takes everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs/ansible_int.h"
#include "jobs/inventory.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- names ------------------------------------------------------------------- */

static void test_safe_name(void **state)
{
    (void)state;
    char out[INV_NAME_MAX];
    static const char *const cases[][3] = {
        {"group_", "Web Servers", "group_web_servers"},
        {"idc_", "BJ-1", "idc_bj_1"},
        {"status_", "in_use", "status_in_use"},
        {"type_", "VM", "type_vm"},
        {"group_", "  --web--  ", "group_web"},
        {"group_", "a数据b", "group_a_b"},
        {"group_", "db.prod/eu-west", "group_db_prod_eu_west"},
        {"group_", "{{ lookup('pipe','id') }}", "group_lookup_pipe_id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(inv_safe_name(cases[i][0], cases[i][1], out, sizeof out));
        assert_string_equal(out, cases[i][2]);
    }
    /* Nothing usable: no name (the caller falls back to the id). */
    assert_false(inv_safe_name("group_", "数据库", out, sizeof out));
    assert_string_equal(out, "");
    assert_false(inv_safe_name("group_", "", out, sizeof out));
    assert_false(inv_safe_name("group_", NULL, out, sizeof out));
    assert_false(inv_safe_name("group_", "___", out, sizeof out));
    /* Long names are cut at 48 bytes of the raw part. */
    char long_name[200];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_true(inv_safe_name("group_", long_name, out, sizeof out));
    assert_int_equal(strlen(out), strlen("group_") + 48);
    /* Too small a buffer is refused, never overrun. */
    char tiny[8];
    assert_false(inv_safe_name("group_", "webservers", tiny, sizeof tiny));
}

static void test_host_name_ok(void **state)
{
    (void)state;
    assert_true(inv_host_name_ok("web-1"));
    assert_true(inv_host_name_ok("db01.example.com"));
    assert_true(inv_host_name_ok("A_b"));
    assert_false(inv_host_name_ok("db 1"));
    assert_false(inv_host_name_ok("host:22"));
    assert_false(inv_host_name_ok("web[1:3]"));
    assert_false(inv_host_name_ok("-x"));
    assert_false(inv_host_name_ok(".x"));
    assert_false(inv_host_name_ok("{{x}}"));
    assert_false(inv_host_name_ok(""));
    assert_false(inv_host_name_ok(NULL));
    char long_name[70];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false(inv_host_name_ok(long_name));
}

static void test_unsafe_strings(void **state)
{
    (void)state;
    json_t *plain = inv_str("Debian 12"), *tmpl = inv_str("{{ lookup('pipe', 'id') }}");
    assert_true(json_is_string(plain));
    assert_string_equal(json_string_value(plain), "Debian 12");
    assert_true(json_is_object(tmpl));
    assert_int_equal(json_object_size(tmpl), 1);
    assert_string_equal(json_string_value(json_object_get(tmpl, "__ansible_unsafe")), "{{ lookup('pipe', 'id') }}");
    assert_null(inv_str(NULL));
    json_decref(plain);
    json_decref(tmpl);
}

/* ---- building ---------------------------------------------------------------- */

#define J(text) json_loads(text, 0, NULL)

static inv_rows sample_rows(void)
{
    inv_rows r = {0};
    r.hosts = J("["
                "{\"id\": 1, \"hostname\": \"web-1\", \"ip\": \"10.0.0.1\", \"other_ips\": \"10.0.1.1 10.0.2.1\","
                " \"os\": \"Debian 12\", \"kernel\": \"\", \"cpu_count\": 4, \"memory_mb\": 8192,"
                " \"asset_type\": \"vm\", \"asset_status\": \"in_use\", \"tags\": \"[\\\"edge\\\"]\", \"ssh_port\": null,"
                " \"idc_id\": 7, \"idc_code\": \"BJ-1\", \"idc_name\": \"Beijing\", \"cabinet\": \"A01\","
                " \"cred_user\": \"deploy\", \"cred_port\": 2200},"
                "{\"id\": 5, \"hostname\": \"db 1\", \"ip\": \"10.0.0.2\", \"os\": \"{{ x }}\", \"cpu_count\": null,"
                " \"asset_type\": \"physical\", \"asset_status\": \"in_use\", \"tags\": \"[]\", \"ssh_port\": 2222,"
                " \"idc_id\": null, \"cred_user\": null, \"cred_port\": null},"
                "{\"id\": 9, \"hostname\": \"cairn-host-5\", \"ip\": \"10.0.0.3\", \"asset_type\": \"vm\","
                " \"asset_status\": \"faulty\", \"tags\": \"[]\"},"
                "{\"id\": 12, \"hostname\": \"group_web\", \"ip\": \"10.0.0.4\", \"asset_type\": \"vm\","
                " \"asset_status\": \"in_use\"}"
                "]");
    r.groups = J("[{\"id\": 2, \"name\": \"web\", \"visible\": 1},"
                 " {\"id\": 3, \"name\": \"Web\", \"visible\": 1},"
                 " {\"id\": 4, \"name\": \"数据库\", \"visible\": 1},"
                 " {\"id\": 6, \"name\": \"hidden\", \"visible\": 0},"
                 " {\"id\": 8, \"name\": \"empty\", \"visible\": 1}]");
    r.members = J("[{\"group_id\": 2, \"host_id\": 1}, {\"group_id\": 3, \"host_id\": 1},"
                  " {\"group_id\": 4, \"host_id\": 5}, {\"group_id\": 6, \"host_id\": 1},"
                  " {\"group_id\": 2, \"host_id\": 99}]");
    r.idcs = J("[{\"id\": 7, \"code\": \"BJ-1\"}, {\"id\": 10, \"code\": \"bj_1\"}]");
    r.types = J("[{\"id\": 1, \"code\": \"physical\"}, {\"id\": 2, \"code\": \"vm\"}]");
    r.statuses = J("[{\"id\": 1, \"code\": \"in_use\"}, {\"id\": 3, \"code\": \"faulty\"}]");
    return r;
}

static json_t *hosts_of(const json_t *inv, const char *group)
{
    return json_object_get(json_object_get(inv, group), "hosts");
}

static void assert_list(const json_t *arr, const char *const *want, size_t n)
{
    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(json_string_value(json_array_get(arr, i)), want[i]);
}

static void test_build_shape(void **state)
{
    (void)state;
    inv_rows rows = sample_rows();
    json_t *inv = inv_build(&rows);
    assert_non_null(inv);
    /* Hosts: safe names kept, "db 1" renamed, and the alias it would take is
     * already a real host's name, so it is made unique. */
    json_t *hv = json_object_get(json_object_get(inv, "_meta"), "hostvars");
    assert_int_equal(json_object_size(hv), 4);
    assert_non_null(json_object_get(hv, "web-1"));
    assert_non_null(json_object_get(hv, "cairn-host-5"));
    assert_non_null(json_object_get(hv, "cairn-host-5_5"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(hv, "cairn-host-5"), "cairn_id")), 9);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(hv, "cairn-host-5_5"), "cairn_id")), 5);
    /* Groups: "web" and "Web" would both be group_web, which is a host's
     * name: each takes its id; 数据库 falls back to its id; the hidden group
     * is not listed; the empty group is listed. */
    static const char *const web1[] = {"web-1"};
    assert_list(hosts_of(inv, "group_web_2"), web1, 1);
    assert_list(hosts_of(inv, "group_web_3"), web1, 1);
    assert_null(json_object_get(inv, "group_web"));
    static const char *const dbh[] = {"cairn-host-5_5"};
    assert_list(hosts_of(inv, "group_4"), dbh, 1);
    assert_null(json_object_get(inv, "group_hidden"));
    assert_list(hosts_of(inv, "group_empty"), NULL, 0);
    /* IDCs by code, the second one sanitising alike gets its id. */
    assert_list(hosts_of(inv, "idc_bj_1"), web1, 1);
    assert_null(json_object_get(inv, "idc_bj_1_10")); /* an IDC without hosts is not listed */
    static const char *const vms[] = {"cairn-host-5", "group_web", "web-1"};
    assert_list(hosts_of(inv, "type_vm"), vms, 3);
    static const char *const in_use[] = {"cairn-host-5_5", "group_web", "web-1"};
    assert_list(hosts_of(inv, "status_in_use"), in_use, 3);
    static const char *const all[] = {"cairn-host-5", "cairn-host-5_5", "group_web", "web-1"};
    assert_list(json_object_get(json_object_get(inv, "all"), "hosts"), all, 4);
    static const char *const children[] = {"group_4", "group_empty", "group_web_2", "group_web_3", "idc_bj_1",
                                           "status_faulty", "status_in_use", "type_physical", "type_vm"};
    assert_list(json_object_get(json_object_get(inv, "all"), "children"), children, 9);
    /* Every group name is an identifier. */
    const char *key;
    json_t *val;
    json_object_foreach(inv, key, val) {
        if (strcmp(key, "_meta") == 0)
            continue;
        assert_true(strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(key));
    }
    json_decref(inv);
    inv_rows_free(&rows);
}

static void test_build_host_vars(void **state)
{
    (void)state;
    inv_rows rows = sample_rows();
    json_t *inv = inv_build(&rows);
    json_t *hv = json_object_get(json_object_get(inv, "_meta"), "hostvars");
    json_t *want = J("{\"ansible_host\": \"10.0.0.1\", \"ansible_port\": 2200, \"ansible_user\": \"deploy\","
                     " \"cairn_id\": 1, \"cairn_hostname\": \"web-1\", \"cairn_ip\": \"10.0.0.1\","
                     " \"cairn_other_ips\": [\"10.0.1.1\", \"10.0.2.1\"], \"cairn_os\": \"Debian 12\","
                     " \"cairn_cpu_count\": 4, \"cairn_memory_mb\": 8192, \"cairn_asset_type\": \"vm\","
                     " \"cairn_asset_status\": \"in_use\", \"cairn_idc\": \"BJ-1\", \"cairn_idc_name\": \"Beijing\","
                     " \"cairn_cabinet\": \"A01\", \"cairn_tags\": [\"edge\"], \"cairn_groups\": [\"web\", \"Web\"]}");
    assert_true(json_equal(json_object_get(hv, "web-1"), want));
    json_t *dbv = json_object_get(hv, "cairn-host-5_5");
    assert_int_equal(json_integer_value(json_object_get(dbv, "ansible_port")), 2222);
    assert_null(json_object_get(dbv, "ansible_user"));
    assert_null(json_object_get(dbv, "cairn_cpu_count"));
    assert_string_equal(json_string_value(json_object_get(dbv, "cairn_hostname")), "db 1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(dbv, "cairn_os"), "__ansible_unsafe")), "{{ x }}");
    /* No secret-looking key anywhere. */
    char *text = json_dumps(inv, 0);
    assert_null(strstr(text, "password"));
    assert_null(strstr(text, "private_key"));
    free(text);
    json_decref(want);
    json_decref(inv);
    inv_rows_free(&rows);
}

static void test_to_static(void **state)
{
    (void)state;
    inv_rows rows = sample_rows();
    json_t *inv = inv_build(&rows);
    json_t *st = inv_to_static(inv);
    assert_non_null(st);
    json_t *all = json_object_get(st, "all");
    assert_int_equal(json_object_size(st), 1);
    assert_int_equal(json_object_size(json_object_get(all, "hosts")), 4);
    assert_true(json_equal(json_object_get(json_object_get(all, "hosts"), "web-1"),
                           json_object_get(json_object_get(json_object_get(inv, "_meta"), "hostvars"), "web-1")));
    json_t *web = json_object_get(json_object_get(json_object_get(all, "children"), "group_web_2"), "hosts");
    assert_int_equal(json_object_size(web), 1);
    assert_true(json_is_object(json_object_get(web, "web-1")));
    assert_null(json_object_get(json_object_get(all, "children"), "all"));
    assert_null(json_object_get(json_object_get(all, "children"), "_meta"));
    json_decref(st);
    json_decref(inv);
    inv_rows_free(&rows);
}

static void test_build_empty(void **state)
{
    (void)state;
    inv_rows rows = {J("[]"), J("[]"), J("[]"), J("[]"), J("[]"), J("[]")};
    json_t *inv = inv_build(&rows);
    assert_non_null(inv);
    assert_int_equal(json_object_size(inv), 2); /* _meta and all */
    assert_int_equal(json_array_size(json_object_get(json_object_get(inv, "all"), "hosts")), 0);
    json_decref(inv);
    inv_rows_free(&rows);
}

/* ---- run-directory helpers ----------------------------------------------------- */

static void test_ws_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/cairn-test-ws-XXXXXX", path[256];
    struct stat st;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(ans_ws_write(dir, "roles/r1/tasks/main.yml", "- debug: msg=hi\n", 16), 0);
    snprintf(path, sizeof path, "%s/roles/r1/tasks/main.yml", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(path, sizeof path, "%s/roles/r1", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* Never over an existing file, never through a link. */
    assert_int_equal(ans_ws_write(dir, "roles/r1/tasks/main.yml", "x", 1), -1);
    assert_int_equal(errno, EEXIST);
    snprintf(path, sizeof path, "%s/link", dir);
    assert_int_equal(symlink("/tmp/cairn-test-ws-target-never", path), 0);
    assert_int_equal(ans_ws_write(dir, "link", "x", 1), -1);
    assert_int_equal(access("/tmp/cairn-test-ws-target-never", F_OK), -1);
    assert_int_equal(ans_ws_remove(dir), 0);
    assert_int_equal(access(dir, F_OK), -1);
    assert_int_equal(ans_ws_remove(""), 0);
}

/* A dead cairnd's run directory is swept; a live one's and foreign names stay. */
static void test_ws_sweep(void **state)
{
    (void)state;
    char base[] = "/tmp/cairn-test-sweep-XXXXXX", dead[256], live[256], other[256];
    assert_non_null(mkdtemp(base));
    long pid = 4000000; /* above any pid_max in use here: never a live process */
    while (kill((pid_t)pid, 0) == 0)
        pid++;
    snprintf(dead, sizeof dead, "%s/cairn-ansible-%ld-7-abcdef", base, pid);
    snprintf(live, sizeof live, "%s/cairn-ansible-%d-8-abcdef", base, (int)getppid());
    snprintf(other, sizeof other, "%s/cairn-ansible-x", base);
    assert_int_equal(mkdir(dead, 0700), 0);
    assert_int_equal(mkdir(live, 0700), 0);
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(ans_ws_write(dead, "keys/1", "secret", 6), 0);
    char *old = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", base, 1);
    assert_int_equal(ans_ws_sweep_stale(), 1);
    assert_int_equal(access(dead, F_OK), -1);
    assert_int_equal(access(live, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0);
    if (old)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    assert_int_equal(ans_ws_remove(base), 0);
}

static void test_ssh_args(void **state)
{
    (void)state;
    ans_host h = {.id = 42};
    char out[256];
    snprintf(h.key_type, sizeof h.key_type, "ssh-ed25519");
    ans_keys_ssh_args(&h, out, sizeof out);
    assert_string_equal(out, "-o HostKeyAlias=cairn-host-42 -o HostKeyAlgorithms=ssh-ed25519");
    snprintf(h.key_type, sizeof h.key_type, "ssh-rsa");
    ans_keys_ssh_args(&h, out, sizeof out);
    assert_string_equal(out, "-o HostKeyAlias=cairn-host-42 -o HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_safe_name),      cmocka_unit_test(test_host_name_ok),
        cmocka_unit_test(test_unsafe_strings), cmocka_unit_test(test_build_shape),
        cmocka_unit_test(test_build_host_vars), cmocka_unit_test(test_to_static),
        cmocka_unit_test(test_build_empty),    cmocka_unit_test(test_ws_files),
        cmocka_unit_test(test_ws_sweep),       cmocka_unit_test(test_ssh_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
