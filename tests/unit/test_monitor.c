/* test_monitor.c -- cmocka tests of what cairnd does with an agent report
 * before and below the database: report_check() (src/monitor/report.h),
 * the rules of docs/AGENT.md case by case, and the RRD series store
 * (src/monitor/tsdb.h) in a fresh directory under /tmp: write, read back at
 * each resolution, odd series names, samples out of order.
 *
 * Reports are built with jansson as the server parses them; each refused
 * case also checks that the reason names the field at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/util.h"
#include "monitor/report.h"
#include "monitor/tsdb.h"
#include "monitor/tsdb_int.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

/* A well-formed report with every documented section, as docs/AGENT.md shows it. */
static json_t *full_report(void)
{
    json_error_t e;
    char text[4096];
    snprintf(text, sizeof text,
             "{\"v\":1,\"agent_version\":\"0.1.0\",\"time\":%lld,\"seq\":1234,\"interval\":60,\"dropped\":0,"
             "\"facts\":{\"hostname\":\"web-01\",\"fqdn\":\"web-01.example.com\",\"machine_id\":\"abc\","
             "\"management_ip\":\"10.0.0.5\",\"nics\":[{\"name\":\"eth0\",\"mac\":\"52:54:00:12:34:56\","
             "\"addresses\":[\"10.0.0.5/24\",\"fe80::1/64\"],\"speed_mbps\":1000}],"
             "\"os\":{\"id\":\"debian\",\"name\":\"Debian GNU/Linux\",\"version\":\"12\",\"pretty\":\"Debian GNU/Linux 12 (bookworm)\"},"
             "\"kernel\":\"6.1.0-18-amd64\",\"arch\":\"x86_64\",\"vendor\":\"QEMU\",\"model\":\"Standard PC\",\"serial\":\"S1\","
             "\"bios\":\"1.16.2\",\"cpu\":{\"model\":\"Xeon\",\"sockets\":1,\"cores\":2,\"threads\":4},"
             "\"memory_bytes\":25000000000,\"swap_bytes\":0,\"disks\":[{\"name\":\"vda\",\"size_bytes\":270000000000}],"
             "\"filesystems\":[{\"mount\":\"/\",\"type\":\"ext4\",\"device\":\"/dev/vda1\",\"size_bytes\":270000000000}],"
             "\"virtualization\":\"kvm\",\"boot_time\":1795500000},"
             "\"metrics\":{\"cpu\":{\"user\":3.1,\"system\":1.2,\"iowait\":0.1,\"steal\":0.0,\"idle\":95.6},"
             "\"load\":[0.12,0.20,0.18],\"memory\":{\"total\":25000000000,\"used\":3000000000,"
             "\"available\":21000000000,\"buffers\":100000000,\"cached\":5000000000},\"swap\":{\"total\":0,\"used\":0},"
             "\"filesystems\":[{\"mount\":\"/\",\"type\":\"ext4\",\"size\":3500,\"used\":1000,\"free\":2000,"
             "\"inodes_used\":10,\"inodes_free\":90}],"
             "\"disks\":[{\"name\":\"vda\",\"read_bytes\":1024.0,\"write_bytes\":2048.0,\"reads\":1.5,\"writes\":3.0,\"util\":2.5}],"
             "\"nics\":[{\"name\":\"eth0\",\"rx_bytes\":100.0,\"tx_bytes\":200.0,\"rx_packets\":1.0,\"tx_packets\":2.0,"
             "\"rx_errors\":0.0,\"tx_errors\":0.0}],"
             "\"tcp\":{\"established\":10,\"time_wait\":2,\"close_wait\":0,\"listen\":5,\"other\":1},"
             "\"processes\":180,\"uptime\":86400}}",
             (long long)util_now());
    json_t *r = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    if (!r)
        fail_msg("bad fixture: %s at %d", e.text, e.position);
    return r;
}

/* Set path (a.b.c, objects created on the way) of rep to v (stolen). */
static void put(json_t *rep, const char *path, json_t *v)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *o = rep;
    char *save = NULL, *k = strtok_r(buf, ".", &save), *next;
    while ((next = strtok_r(NULL, ".", &save))) {
        json_t *child = json_object_get(o, k);
        if (!json_is_object(child)) {
            child = json_object();
            json_object_set_new(o, k, child);
        }
        o = child;
        k = next;
    }
    json_object_set_new(o, k, v);
}

/* Assert report_check refuses rep with a reason containing `want`; frees rep. */
static void refused(json_t *rep, const char *want)
{
    char why[256];
    memset(why, 'x', sizeof why);
    assert_false(report_check(rep, why, sizeof why));
    assert_non_null(memchr(why, '\0', sizeof why));
    if (!strstr(why, want))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, want);
    json_decref(rep);
}

static void accepted(json_t *rep)
{
    char why[256] = "";
    if (!report_check(rep, why, sizeof why))
        fail_msg("refused: %s", why);
    json_decref(rep);
}

/* ---- report_check ------------------------------------------------------------ */

static void test_valid_reports(void **state)
{
    (void)state;
    accepted(full_report());
    accepted(json_pack("{s:i, s:I}", "v", 1, "time", (json_int_t)util_now()));   /* everything else optional */
    json_t *r = full_report();
    json_object_del(r, "facts");
    accepted(r); /* metrics only, as most reports are */
    r = full_report();
    json_object_del(json_object_get(r, "metrics"), "cpu"); /* first collection: no rates */
    json_object_del(json_object_get(r, "metrics"), "disks");
    json_object_del(json_object_get(r, "metrics"), "nics");
    accepted(r);
    /* IPv6 management address, kernel without MemAvailable (estimated flag). */
    r = full_report();
    put(r, "facts.management_ip", json_string("fd00::2"));
    put(r, "metrics.memory.available_estimated", json_true());
    accepted(r);
}

static void test_unknown_fields_ignored(void **state)
{
    (void)state;
    json_t *r = full_report();
    put(r, "future_section", json_pack("{s:[i,i]}", "x", 1, 2));
    put(r, "facts.gpu", json_string("RTX"));
    put(r, "facts.hypervisor", json_string("kvm"));
    put(r, "metrics.pressure", json_pack("{s:f}", "cpu", 1.5));
    put(r, "metrics.cpu.guest", json_string("not checked: unknown"));
    put(r, "metrics.tcp.close_wait", json_integer(3));
    accepted(r);
}

static void test_version_and_time(void **state)
{
    (void)state;
    int64_t now = util_now();
    json_t *r = full_report();
    json_object_del(r, "v");
    refused(r, "version");
    r = full_report();
    put(r, "v", json_integer(2));
    refused(r, "version 1");
    r = full_report();
    put(r, "v", json_string("1"));
    refused(r, "v");
    r = full_report();
    json_object_del(r, "time");
    refused(r, "time");
    r = full_report();
    put(r, "time", json_string("2026-11-25T00:00:00Z"));
    refused(r, "time");
    r = full_report();
    put(r, "time", json_real((double)now));
    refused(r, "time");
    /* A clock ten minutes fast is tolerated; more is not. Old reports (the
     * spool) are taken for 400 days. */
    r = full_report();
    put(r, "time", json_integer(now + 590));
    accepted(r);
    r = full_report();
    put(r, "time", json_integer(now + 3600));
    refused(r, "clock");
    r = full_report();
    put(r, "time", json_integer(now - 399 * 86400));
    accepted(r);
    r = full_report();
    put(r, "time", json_integer(now - 401 * 86400));
    refused(r, "400 days");
}

static void test_counters(void **state)
{
    (void)state;
    json_t *r = full_report();
    put(r, "seq", json_integer(-1));
    refused(r, "seq");
    r = full_report();
    put(r, "seq", json_string("7"));
    refused(r, "seq");
    r = full_report();
    put(r, "seq", json_integer(0));
    accepted(r);
    r = full_report();
    put(r, "interval", json_integer(0));
    refused(r, "interval");
    r = full_report();
    put(r, "interval", json_integer(86401));
    refused(r, "interval");
    r = full_report();
    put(r, "interval", json_real(1.5));
    refused(r, "interval");
    r = full_report();
    put(r, "interval", json_integer(86400));
    accepted(r);
    r = full_report();
    put(r, "dropped", json_integer(-3));
    refused(r, "dropped");
    r = full_report();
    put(r, "agent_version", json_string("0.1.0-with-a-very-long-build-suffix"));
    refused(r, "agent_version");
    r = full_report();
    put(r, "agent_version", json_integer(1));
    refused(r, "agent_version");
}

static void test_facts(void **state)
{
    (void)state;
    json_t *r = full_report();
    put(r, "facts", json_array());
    refused(r, "facts");
    r = full_report();
    put(r, "facts.hostname", json_integer(5));
    refused(r, "facts.hostname");
    r = full_report();
    put(r, "facts.hostname", json_string(""));
    refused(r, "facts.hostname"); /* never sent empty: it would blank the host's name */
    char longname[300];
    memset(longname, 'a', 254);
    longname[254] = '\0';
    r = full_report();
    put(r, "facts.hostname", json_string(longname));
    refused(r, "facts.hostname");
    longname[253] = '\0';
    r = full_report();
    put(r, "facts.hostname", json_string(longname));
    accepted(r);
    r = full_report();
    put(r, "facts.kernel", json_string("6.1\n<script>"));
    refused(r, "facts.kernel");
    r = full_report();
    put(r, "facts.vendor", json_stringn_nocheck("Dell\xff\xfe", 6)); /* not UTF-8 */
    refused(r, "facts.vendor");
    r = full_report();
    put(r, "facts.management_ip", json_string("10.0.0.300"));
    refused(r, "management_ip");
    r = full_report();
    put(r, "facts.management_ip", json_string("web-01"));
    refused(r, "management_ip");
    r = full_report();
    put(r, "facts.memory_bytes", json_integer(-1));
    refused(r, "memory_bytes");
    r = full_report();
    put(r, "facts.boot_time", json_string("yesterday"));
    refused(r, "boot_time");
    r = full_report();
    put(r, "facts.os", json_string("Debian"));
    refused(r, "facts.os");
    r = full_report();
    put(r, "facts.os.pretty", json_string("two\nlines"));
    refused(r, "os.pretty");
    r = full_report();
    put(r, "facts.cpu.threads", json_real(2.5));
    refused(r, "threads");
    r = full_report();
    put(r, "facts.cpu.threads", json_integer(-2));
    refused(r, "threads");
    r = full_report();
    put(r, "facts.nics", json_object());
    refused(r, "facts.nics");
    json_t *many = json_array();
    for (int i = 0; i < 257; i++)
        json_array_append_new(many, json_pack("{s:s}", "name", "x"));
    r = full_report();
    put(r, "facts.disks", many);
    refused(r, "facts.disks");
}

static void test_facts_size_bound(void **state)
{
    (void)state;
    /* Unknown fields are ignored, but the facts are stored whole: a few MiB
     * of them is refused rather than written to the database. */
    size_t n = 300 * 1024;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'y', n);
    big[n] = '\0';
    json_t *r = full_report();
    put(r, "facts.junk", json_string(big));
    refused(r, "facts are larger");
    /* A large but real fact document: 256 NICs with addresses. */
    json_t *nics = json_array();
    for (int i = 0; i < 256; i++)
        json_array_append_new(nics, json_pack("{s:s, s:s, s:[s,s,s]}", "name", "veth0123456789ab", "mac",
                                              "52:54:00:12:34:56", "addresses", "10.200.100.200/24",
                                              "fd00:1234:5678:9abc::1/64", "fe80::1234:5678:9abc:def0/64"));
    r = full_report();
    put(r, "facts.nics", nics);
    accepted(r);
    free(big);
}

static void test_metrics(void **state)
{
    (void)state;
    json_t *r = full_report();
    put(r, "metrics", json_array());
    refused(r, "metrics must be an object");
    r = full_report();
    put(r, "metrics.cpu.user", json_string("3.1"));
    refused(r, "metrics.cpu.user");
    r = full_report();
    put(r, "metrics.cpu", json_integer(5));
    refused(r, "metrics.cpu");
    r = full_report();
    put(r, "metrics.memory.used", json_null());
    refused(r, "metrics.memory.used");
    r = full_report();
    put(r, "metrics.swap.total", json_true());
    refused(r, "metrics.swap.total");
    r = full_report();
    put(r, "metrics.tcp.established", json_string("10"));
    refused(r, "metrics.tcp.established");
    r = full_report();
    put(r, "metrics.load", json_pack("[f,f]", 0.1, 0.2));
    refused(r, "metrics.load");
    r = full_report();
    put(r, "metrics.load", json_pack("[f,s,f]", 0.1, "x", 0.2));
    refused(r, "metrics.load");
    r = full_report();
    put(r, "metrics.load", json_pack("{s:f}", "1", 0.1));
    refused(r, "metrics.load");
    r = full_report();
    put(r, "metrics.processes", json_string("180"));
    refused(r, "metrics.processes");
    r = full_report();
    put(r, "metrics.uptime", json_array());
    refused(r, "metrics.uptime");
    /* Huge but finite numbers are numbers. */
    r = full_report();
    put(r, "metrics.memory.total", json_real(1e300));
    accepted(r);
}

static void test_metric_lists(void **state)
{
    (void)state;
    json_t *r = full_report();
    put(r, "metrics.filesystems", json_object());
    refused(r, "metrics.filesystems");
    json_t *fs = json_array();
    for (int i = 0; i < 65; i++)
        json_array_append_new(fs, json_pack("{s:s, s:i}", "mount", "/m", "used", i));
    r = full_report();
    put(r, "metrics.filesystems", fs);
    refused(r, "at most 64");
    r = full_report();
    put(r, "metrics.filesystems", json_pack("[{s:i}]", "used", 1));
    refused(r, "metrics.filesystems");
    r = full_report();
    put(r, "metrics.filesystems", json_pack("[{s:s, s:i}]", "mount", "", "used", 1));
    refused(r, "metrics.filesystems");
    r = full_report();
    put(r, "metrics.filesystems", json_pack("[{s:s, s:s}]", "mount", "/", "used", "1000"));
    refused(r, "metrics.filesystems");
    r = full_report();
    put(r, "metrics.disks", json_pack("[{s:s, s:b}]", "name", "vda", "util", 1));
    refused(r, "metrics.disks");
    r = full_report();
    put(r, "metrics.nics", json_pack("[{s:i}]", "name", 3));
    refused(r, "metrics.nics");
    char name[260];
    memset(name, 'n', 201);
    name[201] = '\0';
    r = full_report();
    put(r, "metrics.nics", json_pack("[{s:s}]", "name", name));
    refused(r, "metrics.nics");
    /* A mount point with spaces and non-ASCII text is a name like any other. */
    r = full_report();
    put(r, "metrics.filesystems", json_pack("[{s:s, s:i, s:i}]", "mount", "/mnt/backup 2024/数据", "used", 1, "free", 2));
    accepted(r);
}

static void test_reason_bounded(void **state)
{
    (void)state;
    char small[12];
    json_t *r = full_report();
    put(r, "metrics.cpu.user", json_string("x"));
    memset(small, 'z', sizeof small);
    assert_false(report_check(r, small, sizeof small));
    assert_int_equal(strlen(small), sizeof small - 1);
    json_decref(r);
    /* Not even an object. */
    json_t *a = json_pack("[i]", 1);
    refused(a, "JSON object");
    refused(json_string("report"), "JSON object");
}

/* ---- tsdb (RRD files) ------------------------------------------------------------ */

static char rrd_dir[64];

static int rrd_setup(void **state)
{
    (void)state;
    snprintf(rrd_dir, sizeof rrd_dir, "/tmp/cairn-test-rrd-XXXXXX");
    if (!mkdtemp(rrd_dir))
        return -1;
    return tsdb_init(rrd_dir, 0, NULL);
}

static int rrd_teardown(void **state)
{
    (void)state;
    char cmd[128];
    tsdb_close();
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rrd_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static double col(json_t *row, int i)
{
    json_t *v = json_array_get(row, (size_t)i + 1);
    return json_is_null(v) ? NAN : json_number_value(v);
}

static void test_tsdb_roundtrip(void **state)
{
    (void)state;
    char err[300];
    double v[TSDB_MAX_DS];
    int64_t t0 = (util_now() / 3600) * 3600 - 3 * 86400; /* three days ago, on the hour */
    /* Every 60 s for three days: cpu_user = the minute of the hour. */
    for (int64_t t = t0; t <= t0 + 3 * 86400; t += 60) {
        for (int i = 0; i < TSDB_MAX_DS; i++)
            v[i] = NAN;
        v[0] = (double)((t / 60) % 60);
        v[8] = 1e9; /* mem_used */
        assert_int_equal(tsdb_write(7, "host", "", t, v, err, sizeof err), 0);
    }
    /* The same time again is skipped, not an error. */
    assert_int_equal(tsdb_write(7, "host", "", t0 + 3 * 86400, v, err, sizeof err), 1);
    assert_int_equal(tsdb_write(7, "host", "", t0, v, err, sizeof err), 1);

    /* One hour: 1-minute rows carrying the samples themselves. */
    json_t *s = tsdb_read(7, "host", "", t0 + 86400, t0 + 86400 + 3600, "AVERAGE");
    assert_non_null(s);
    assert_int_equal(json_integer_value(json_object_get(s, "step")), 60);
    json_t *rows = json_object_get(s, "rows");
    assert_in_range(json_array_size(rows), 60, 61); /* rows ending after from, up to to */
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        int64_t t = json_integer_value(json_array_get(row, 0));
        /* The row ending at t holds the sample written at t. */
        assert_true(fabs(col(row, 0) - (double)((t / 60) % 60)) < 1e-9);
        assert_true(fabs(col(row, 8) - 1e9) < 1);
        assert_true(isnan(col(row, 1)));
    }
    json_decref(s);

    /* A week: 5-minute averages (of 5 consecutive minutes) and maxima. */
    s = tsdb_read(7, "host", "", t0 - 4 * 86400, t0 + 3 * 86400, "AVERAGE");
    json_t *mx = tsdb_read(7, "host", "", t0 - 4 * 86400, t0 + 3 * 86400, "MAX");
    assert_int_equal(json_integer_value(json_object_get(s, "step")), 300);
    size_t known = 0;
    json_array_foreach(json_object_get(s, "rows"), i, row) {
        int64_t t = json_integer_value(json_array_get(row, 0));
        double avg = col(row, 0), peak = col(json_array_get(json_object_get(mx, "rows"), i), 0);
        if (t <= t0) {
            assert_true(isnan(avg)); /* before the first sample */
            continue;
        }
        if (isnan(avg))
            continue;
        known++;
        /* The row ending at t consolidates the five minutes ending at t-240 … t. */
        double sum = 0, top = 0;
        for (int64_t m = t - 240; m <= t; m += 60) {
            double x = (double)((m / 60) % 60);
            sum += x;
            top = x > top ? x : top;
        }
        assert_true(fabs(avg - sum / 5) < 1e-9);
        assert_true(fabs(peak - top) < 1e-9);
    }
    assert_true(known >= 3 * 288 - 2);
    json_decref(s);
    json_decref(mx);

    /* A month: hourly averages of 0…59 are 29.5. */
    s = tsdb_read(7, "host", "", t0 - 27 * 86400, t0 + 3 * 86400, "AVERAGE");
    assert_int_equal(json_integer_value(json_object_get(s, "step")), 3600);
    known = 0;
    json_array_foreach(json_object_get(s, "rows"), i, row)
        if (!isnan(col(row, 0))) {
            known++;
            assert_true(fabs(col(row, 0) - 29.5) < 1e-9);
        }
    assert_true(known >= 71);
    json_decref(s);

    assert_null(tsdb_read(8, "host", "", t0, t0 + 3600, "AVERAGE")); /* no such series */
    assert_null(tsdb_read(7, "bogus", "", t0, t0 + 3600, "AVERAGE"));
}

static void test_tsdb_names(void **state)
{
    (void)state;
    char err[300];
    double v[TSDB_MAX_DS] = {1, 2, 3, 4};
    int64_t t = util_now() - 600;
    static const char *const mounts[] = {"/", "/var/lib/my data", "/mnt/数据", "/a-b.c_d/../e", NULL};
    for (const char *const *m = mounts; *m; m++)
        assert_int_equal(tsdb_write(9, "fs", *m, t, v, err, sizeof err), 0);
    assert_int_equal(tsdb_write(9, "net", "eth0.100", t, v, err, sizeof err), 0);
    assert_int_equal(tsdb_write(9, "nosuchkind", "x", t, v, err, sizeof err), -1);
    json_t *list = tsdb_list(9);
    assert_int_equal(json_array_size(list), 5);
    for (const char *const *m = mounts; *m; m++) {
        bool found = false;
        size_t i;
        json_t *s;
        json_array_foreach(list, i, s)
            found |= strcmp(json_string_value(json_object_get(s, "name")), *m) == 0 &&
                     strcmp(json_string_value(json_object_get(s, "kind")), "fs") == 0;
        if (!found)
            fail_msg("series fs:%s not listed", *m);
        /* Each name maps to a file of its own inside the host's directory. */
        json_t *r = tsdb_read(9, "fs", *m, t - 3600, t + 60, "AVERAGE");
        assert_non_null(r);
        assert_string_equal(json_string_value(json_object_get(r, "name")), *m);
        json_decref(r);
    }
    json_decref(list);
    /* Archived with its host: gone from the list, kept on disk. */
    assert_int_equal(tsdb_archive(9), 0);
    list = tsdb_list(9);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    char arch[128];
    snprintf(arch, sizeof arch, "%s/archive", rrd_dir);
    assert_int_equal(access(arch, F_OK), 0);
}

/* The number of rows of series host/kind/name in [from, to] whose first
 * value is known. */
static size_t known_rows(int64_t host, const char *kind, const char *name, int64_t from, int64_t to)
{
    json_t *s = tsdb_read(host, kind, name, from, to, "AVERAGE"), *row;
    size_t i, n = 0;
    assert_non_null(s);
    json_array_foreach(json_object_get(s, "rows"), i, row)
        n += !isnan(col(row, 0));
    json_decref(s);
    return n;
}

/* A crash of cairnd loses no accepted sample: the journal is replayed at
 * the next start, also when part of it was written already, and a line cut
 * short by the crash is skipped. */
static void test_tsdb_journal_replay(void **state)
{
    (void)state;
    char err[300], path[400];
    double v[TSDB_MAX_DS];
    int64_t t0 = (util_now() / 60) * 60 - 200 * 60;
    for (int i = 0; i < TSDB_MAX_DS; i++)
        v[i] = 5;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(tsdb_write(21, "host", "", t0 + 60 * i, v, err, sizeof err), 0);
        assert_int_equal(tsdb_write(21, "disk", "sda", t0 + 60 * i, v, err, sizeof err), 0);
    }
    /* Not newer than what is queued: skipped. */
    assert_int_equal(tsdb_write(21, "host", "", t0 + 60 * 99, v, err, sizeof err), 1);
    tsdb_queue_stop(false); /* a crash: the queue is gone, the journal stays */

    /* The crash cut the last line short. */
    snprintf(path, sizeof path, "%s/journal", rrd_dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    int journals = 0;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, "journal.", 8) == 0) {
            journals++;
            snprintf(path, sizeof path, "%s/journal/%s", rrd_dir, e->d_name);
        }
    closedir(d);
    assert_int_equal(journals, 1);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "21 host _ %lld:7:7", (long long)(t0 + 60 * 100));
    fclose(f);

    assert_int_equal(tsdb_init(rrd_dir, 0, NULL), 0); /* the next start */
    assert_int_equal(known_rows(21, "host", "", t0 - 60, t0 + 60 * 110), 100);
    assert_int_equal(known_rows(21, "disk", "sda", t0 - 60, t0 + 60 * 110), 100);
    /* The series go on where they stopped. */
    assert_int_equal(tsdb_write(21, "host", "", t0 + 60 * 100, v, err, sizeof err), 0);
    assert_int_equal(known_rows(21, "host", "", t0 - 60, t0 + 60 * 110), 101);
}

/* Many threads writing their own hosts' series at once: every sample is in
 * its file afterwards, in order (an out-of-order sample would be refused by
 * librrd and missing). */
enum { WR_THREADS = 4, WR_SAMPLES = 150 };

static void *series_writer(void *arg)
{
    int64_t host = (int64_t)(intptr_t)arg, t0 = (util_now() / 60) * 60 - 300 * 60;
    double v[TSDB_MAX_DS] = {1, 2, 3, 4, 5, 6};
    char err[300];
    for (int i = 0; i < WR_SAMPLES; i++)
        if (tsdb_write(host, "net", "eth0", t0 + 60 * i, v, err, sizeof err) != 0 ||
            tsdb_write(host, "fs", "/", t0 + 60 * i, v, err, sizeof err) != 0)
            return (void *)1;
    return NULL;
}

static void test_tsdb_concurrent_writers(void **state)
{
    (void)state;
    pthread_t th[WR_THREADS];
    int64_t t0 = (util_now() / 60) * 60 - 300 * 60;
    for (intptr_t i = 0; i < WR_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, series_writer, (void *)(100 + i)), 0);
    for (int i = 0; i < WR_THREADS; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        assert_null(ret);
    }
    for (int i = 0; i < WR_THREADS; i++) {
        assert_int_equal(known_rows(100 + i, "net", "eth0", t0 - 60, t0 + 60 * WR_SAMPLES), WR_SAMPLES);
        assert_int_equal(known_rows(100 + i, "fs", "/", t0 - 60, t0 + 60 * WR_SAMPLES), WR_SAMPLES);
    }
}

/* Samples are formatted for librrd without printf: whole numbers exactly,
 * others to 6 significant digits. */
static void test_tsdb_format(void **state)
{
    (void)state;
    static const double vals[] = {0, 1, -1, 42, 1e9, 3456789012.0, 99999999999999.0, 0.5, 12.34, -12.34,
                                  123456.7, 9.9999996, 0.99999996, 0.0123456, 1e-4, 3.3e-5, 1e15, 2.5e17,
                                  -7.125e-3, 65.43, 1234567.891};
    const tsdb_kind *k = tsdb_find_kind("fs"); /* 4 data sources */
    char out[256];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v[4] = {vals[i], NAN, vals[i], 7};
        assert_true(tsdb_format_sample(k, 1700000000, v, out, sizeof out) > 0);
        char *p = out, *end;
        assert_int_equal(strtoll(p, &end, 10), 1700000000);
        assert_true(*end == ':');
        double got = strtod(end + 1, &end);
        assert_true(strncmp(end, ":U:", 3) == 0);
        if (vals[i] == floor(vals[i]) && fabs(vals[i]) < 1e15)
            assert_true(got == vals[i]); /* exact */
        else
            assert_true(fabs(got - vals[i]) <= 5e-6 * fabs(vals[i]));
    }
    double small[4] = {1, 2, 3, 4};
    assert_int_equal(tsdb_format_sample(k, 1, small, out, 20), -1); /* does not fit: refused */
}

/* A report's samples in one call: each gets its own result. */
static void test_tsdb_write_set(void **state)
{
    (void)state;
    char err[300];
    int res[3];
    int64_t t = (util_now() / 60) * 60 - 600;
    tsdb_sample set[3] = {{.kind = "host", .name = "", .values = {1, 2}},
                          {.kind = "nosuchkind", .name = "x"},
                          {.kind = "disk", .name = "vda", .values = {3, 4, 5, 6, 7}}};
    assert_int_equal(tsdb_write_set(31, t, set, 3, res, err, sizeof err), 0);
    assert_int_equal(res[0], 0);
    assert_int_equal(res[1], -1);
    assert_int_equal(res[2], 0);
    assert_int_equal(tsdb_write_set(31, t, set, 3, res, err, sizeof err), 0); /* a replay */
    assert_int_equal(res[0], 1);
    assert_int_equal(res[2], 1);
    json_t *r = tsdb_read(31, "disk", "vda", t - 60, t + 60, "AVERAGE");
    assert_non_null(r);
    json_decref(r);
}

int main(void)
{
    const struct CMUnitTest report[] = {
        cmocka_unit_test(test_valid_reports),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_version_and_time),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_facts),
        cmocka_unit_test(test_facts_size_bound),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_metric_lists),
        cmocka_unit_test(test_reason_bounded),
    };
    const struct CMUnitTest rrd[] = {
        cmocka_unit_test(test_tsdb_roundtrip),
        cmocka_unit_test(test_tsdb_names),
        cmocka_unit_test(test_tsdb_format),
        cmocka_unit_test(test_tsdb_write_set),
        cmocka_unit_test(test_tsdb_journal_replay),
        cmocka_unit_test(test_tsdb_concurrent_writers),
    };
    int failed = cmocka_run_group_tests_name("report_check", report, NULL, NULL);
    failed += cmocka_run_group_tests_name("tsdb_rrd", rrd, rrd_setup, rrd_teardown);
    return failed;
}
