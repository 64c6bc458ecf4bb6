/* test_ansible_sandbox.c -- cmocka tests of the Ansible sandbox
 * (src/jobs/ansible_sandbox.c), without Ansible.
 *
 * A forked child enters the sandbox as ansible_proc.c's child does and then
 * checks, from inside, what a playbook would see; it reports the first
 * failed check by its exit code. Run as root (as the suite runs): once as
 * root, once after switching to nobody (the unprivileged path: the user
 * namespace maps only that uid). The tree nests the directories both ways
 * the configuration allows: the run directories inside the data directory,
 * and a stray file of a run next to this run's directory.
 *
 *   <tmp>/data/secret.key            hidden (data directory)
 *   <tmp>/data/runs/other/inv.json   hidden (another run)
 *   <tmp>/data/runs/mine/playbook    visible, writable (this run)
 *   <tmp>/cairn.conf                 reads empty (config file)
 *   <tmp>/db/cairn.db                reads empty (SQLite outside the data dir)
 *
 * Also the paths db_local_paths() names for the sandbox to hide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jobs/ansible_int.h"
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];

static void put(const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void dir(const char *rel)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/cairn-sbtest-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    chmod(root, 0755);
    dir("data");
    dir("data/runs");
    dir("data/runs/other");
    dir("data/runs/mine");
    dir("db");
    put("data/secret.key", "KEYKEYKEY");
    put("data/runs/other/inv.json", "OTHER");
    put("data/runs/mine/playbook", "MINE");
    put("cairn.conf", "db = postgresql://u:SECRET@h/d\n");
    put("db/cairn.db", "SQLite format 3");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Bytes of file p (at most cap-1), or -1 with errno. */
static ssize_t slurp(const char *p, char *buf, size_t cap)
{
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

/* In the child: prepare, enter, check. Exit code 0, or the failed check. */
static int inside(uid_t as)
{
    char p[256], buf[64];
    if (as != 0 && (setgroups(0, NULL) != 0 || setresgid(as, as, as) != 0 || setresuid(as, as, as) != 0))
        return 2;
    config cfg = {0};
    snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s/data", root);
    snprintf(cfg.config_file, sizeof cfg.config_file, "%s/cairn.conf", root);
    snprintf(cfg.db_url, sizeof cfg.db_url, "sqlite:%s/db/cairn.db", root);
    char run[128], err[256];
    snprintf(run, sizeof run, "%s/data/runs/mine", root);
    ans_sandbox sb;
    ans_sb_fail f = {0};
    if (ans_sandbox_prepare(&cfg, run, &sb, err, sizeof err) != 0)
        return 3;
    if (ans_sandbox_enter(&sb, &f) != 0) {
        ans_sandbox_error(&sb, &f, err, sizeof err);
        fprintf(stderr, "%s\n", err);
        return 4;
    }
    snprintf(p, sizeof p, "%s/data/secret.key", root);
    if (slurp(p, buf, sizeof buf) >= 0 || errno != ENOENT)
        return 10;
    snprintf(p, sizeof p, "%s/data/runs/other/inv.json", root);
    if (slurp(p, buf, sizeof buf) >= 0)
        return 11;
    snprintf(p, sizeof p, "%s/data/runs/mine/playbook", root);
    if (slurp(p, buf, sizeof buf) != 4 || strcmp(buf, "MINE") != 0)
        return 12;
    snprintf(p, sizeof p, "%s/data/runs/mine/new", root);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return 13;
    close(fd);
    unlink(p);
    snprintf(p, sizeof p, "%s/cairn.conf", root);
    if (slurp(p, buf, sizeof buf) != 0)
        return 14;
    snprintf(p, sizeof p, "%s/db/cairn.db", root);
    if (slurp(p, buf, sizeof buf) != 0)
        return 15;
    snprintf(p, sizeof p, "%s/data/x", root); /* the data directory's tmpfs is read-only */
    if (open(p, O_WRONLY | O_CREAT, 0600) >= 0 || errno != EROFS)
        return 16;
    snprintf(p, sizeof p, "%s/data", root);
    if (umount2(p, MNT_DETACH) == 0 || mount(NULL, p, NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
        return 17;
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0 || d[0].permitted || d[1].permitted || d[0].effective || d[1].effective)
        return 18;
    return 0;
}

static void run_as(uid_t as)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(inside(as));
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* Nothing leaked to this namespace: the files are where they were. */
    char p[256], buf[64];
    snprintf(p, sizeof p, "%s/data/secret.key", root);
    assert_int_equal(slurp(p, buf, sizeof buf), 9);
}

static void test_root(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    run_as(0);
}

static void test_unprivileged(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "chown -R 65534:65534 %s", root);
    assert_int_equal(system(cmd), 0);
    run_as(65534);
}

static void test_error_text(void **state)
{
    (void)state;
    ans_sandbox sb = {.nhide = 1};
    snprintf(sb.hide[0].path, sizeof sb.hide[0].path, "/var/lib/cairn");
    snprintf(sb.hide[0].what, sizeof sb.hide[0].what, "the data directory");
    char out[512];
    ans_sandbox_error(&sb, &(ans_sb_fail){.step = ANS_SB_UNSHARE, .index = -1, .err = EPERM}, out, sizeof out);
    assert_string_equal(out, "cannot isolate ansible from the Cairn server: unshare: Operation not permitted; allow "
                             "user namespaces, or start cairnd with --ansible-sandbox 0 to run playbooks with "
                             "cairnd's own rights");
    ans_sandbox_error(&sb, &(ans_sb_fail){.step = ANS_SB_HIDE, .index = 0, .err = EACCES}, out, sizeof out);
    assert_non_null(strstr(out, ": cannot hide the data directory (/var/lib/cairn): Permission denied;"));
}

/* db_local_paths() collects into a newline-separated list. */
static void collect(void *ctx, const char *path)
{
    strncat(ctx, path, 1023 - strlen(ctx));
    strncat(ctx, "\n", 1023 - strlen(ctx));
}

static void test_db_paths(void **state)
{
    (void)state;
    char got[1024] = "";
    assert_int_equal(db_local_paths("sqlite:/srv/c.db", collect, got), 0);
    assert_string_equal(got, "/srv/c.db\n/srv/c.db-wal\n/srv/c.db-shm\n/srv/c.db-journal\n");
    setenv("HOME", "/home/cairn", 1);
    unsetenv("PGPASSFILE");
    got[0] = '\0';
    assert_int_equal(db_local_paths("postgresql:///d?host=/run/a,db.example.com,/run/b&passfile=/etc/pw", collect, got), 0);
    assert_string_equal(got, "/run/a\n/run/b\n/etc/pw\n/home/cairn/.pgpass\n/home/cairn/.postgresql\n");
    got[0] = '\0';
    assert_int_equal(db_local_paths("postgresql://u:p@db.example.com/d", collect, got), 0); /* TCP only */
    assert_string_equal(got, "/home/cairn/.pgpass\n/home/cairn/.postgresql\n");
    got[0] = '\0';
    unsetenv("PGHOST");
    assert_int_equal(db_local_paths("postgresql:dbname=d sslkey=/k", collect, got), 0); /* no host: the default socket */
    assert_string_equal(got, "/var/run/postgresql\n/k\n/home/cairn/.pgpass\n/home/cairn/.postgresql\n");
    assert_int_equal(db_local_paths("mysql://x", collect, got), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_unprivileged),
        cmocka_unit_test(test_error_text),
        cmocka_unit_test(test_db_paths),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
