/* test_tsdb_rrdcached.c -- tsdb with updates sent to a real rrdcached.
 *
 * Starts rrdcached (Debian package rrdcached; the tests are skipped when
 * /usr/bin/rrdcached is missing) in the foreground on a unix socket in a
 * temp directory, with a write delay of an hour so that nothing reaches the
 * files unless someone asks for a flush, and checks that:
 *   - samples go to the daemon (it knows the newest one, the file does not);
 *   - a read flushes the daemon first and sees every sample;
 *   - samples written while the daemon is down stay queued and reach it
 *     once it is back (nothing accepted is lost).
 * Waiting for the daemon to listen is a bounded poll, not a timed assertion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/util.h"
#include "monitor/tsdb.h"
#include "monitor/tsdb_int.h"

#include <fcntl.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RRDCACHED "/usr/bin/rrdcached"

static char dir[64], rrd_dir[128], sock[160], addr[180], jdir[128];
static pid_t daemon_pid = -1;

/* Start rrdcached in the foreground; 0 once it accepts connections. */
static int daemon_start(void)
{
    daemon_pid = fork();
    if (daemon_pid < 0)
        return -1;
    if (daemon_pid == 0) {
        int null = open("/dev/null", 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(RRDCACHED, "rrdcached", "-g", "-l", addr, "-b", rrd_dir, "-B", "-w", "3600", "-z", "1", "-f", "7200",
              "-j", jdir, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 400; i++) { /* up to ~20 s on a loaded machine */
        struct stat st;
        if (stat(sock, &st) == 0 && rrdc_connect(addr) == 0)
            return 0;
        if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid)
            return -1;
        usleep(50000);
    }
    return -1;
}

/* Stop rrdcached (it writes what it holds on the way out). */
static void daemon_stop(void)
{
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGTERM);
        waitpid(daemon_pid, NULL, 0);
    }
    daemon_pid = -1;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN); /* as cairnd: a write to a dead daemon must fail, not kill */
    if (access(RRDCACHED, X_OK) != 0)
        return 0;
    snprintf(dir, sizeof dir, "/tmp/cairn-rrdc-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(rrd_dir, sizeof rrd_dir, "%s/rrd", dir);
    snprintf(jdir, sizeof jdir, "%s/rrdc-journal", dir);
    snprintf(sock, sizeof sock, "%s/rrdcached.sock", dir);
    snprintf(addr, sizeof addr, "unix:%s", sock);
    if (mkdir(rrd_dir, 0700) != 0 || mkdir(jdir, 0700) != 0 || daemon_start() != 0)
        return -1;
    return tsdb_init(rrd_dir, 0, addr);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    if (!dir[0])
        return 0;
    tsdb_close();
    rrdc_disconnect();
    daemon_stop();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static size_t known_rows(int64_t host, int64_t from, int64_t to)
{
    json_t *s = tsdb_read(host, "host", "", from, to, "AVERAGE"), *row;
    size_t i, n = 0;
    assert_non_null(s);
    json_array_foreach(json_object_get(s, "rows"), i, row)
        n += !json_is_null(json_array_get(row, 1));
    json_decref(s);
    return n;
}

static void write_host(int64_t host, int64_t t0, int from, int to)
{
    double v[TSDB_MAX_DS];
    char err[300];
    for (int i = 0; i < TSDB_MAX_DS; i++)
        v[i] = 3;
    for (int i = from; i < to; i++)
        assert_int_equal(tsdb_write(host, "host", "", t0 + 60 * i, v, err, sizeof err), 0);
}

static void test_updates_go_to_daemon(void **state)
{
    (void)state;
    if (!dir[0])
        skip();
    char path[300];
    int64_t t0 = (util_now() / 60) * 60 - 100 * 60;
    write_host(5, t0, 0, 50);
    tsdb_queue_flush(5, tsdb_find_kind("host"), ""); /* everything queued goes out now */
    assert_int_equal(tsdb_path(5, "host", "", path, sizeof path), 0);
    /* The daemon holds the samples (it writes after an hour); the file has
     * not got the newest one yet. */
    assert_int_equal((int64_t)rrdc_last(path), t0 + 60 * 49);
    rrd_clear_error();
    assert_true((int64_t)rrd_last_r(path) < t0 + 60 * 49);
    /* A read has the daemon flush the file first. */
    assert_int_equal(known_rows(5, t0 - 60, t0 + 60 * 60), 50);
    assert_int_equal((int64_t)rrd_last_r(path), t0 + 60 * 49);
}

static void test_daemon_away(void **state)
{
    (void)state;
    if (!dir[0])
        skip();
    int64_t t0 = (util_now() / 60) * 60 - 100 * 60;
    write_host(6, t0, 0, 40);
    assert_int_equal(known_rows(6, t0 - 60, t0 + 60 * 90), 40);
    daemon_stop();
    /* Accepted while the daemon is down: journaled and kept in the queue. */
    write_host(6, t0, 40, 80);
    tsdb_queue_flush(6, tsdb_find_kind("host"), ""); /* fails: put back */
    assert_int_equal(daemon_start(), 0);
    assert_int_equal(known_rows(6, t0 - 60, t0 + 60 * 90), 80);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_updates_go_to_daemon),
        cmocka_unit_test(test_daemon_away),
    };
    return cmocka_run_group_tests_name("tsdb_rrdcached", tests, setup, teardown);
}
