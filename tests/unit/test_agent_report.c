/* test_agent_report.c -- cmocka tests of what cairn-agent does with a
 * sample once it has one: rates between two samples (with counter wrap and
 * reset), the JSON report of docs/AGENT.md (checked by parsing it back with
 * jansson, as cairnd does), the Prometheus text, the spool (bound, oldest
 * dropped, dropped counter, replay order, restart), the sequence numbers,
 * retry backoff with jitter, gzip bodies, config files and enrollment
 * bodies. Files go to a fresh directory under /tmp per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/agent.h"
#include "agent/conf.h"
#include "agent/enroll.h"
#include "agent/prom.h"
#include "agent/report.h"
#include "agent/send.h"
#include "agent/spool.h"
#include "agent/state.h"

/* ---- helpers ------------------------------------------------------------ */

static char *make_dir(void)
{
    char *d = strdup("/tmp/cairn-agent-test-XXXXXX");
    assert_non_null(d);
    assert_non_null(mkdtemp(d));
    return d;
}

static void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name), sl = strlen(suffix);
        if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static ag_sample *new_sample(double mono_ms)
{
    ag_sample *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->mono_ms = mono_ms;
    s->time = 1795600000;
    return s;
}

static void add_disk(ag_sample *s, const char *name, uint64_t rd, uint64_t rs, uint64_t wr, uint64_t ws, uint64_t io)
{
    ag_disk *d = &s->disks[s->ndisk++];
    snprintf(d->name, sizeof d->name, "%s", name);
    d->reads = rd, d->read_sectors = rs, d->writes = wr, d->write_sectors = ws, d->io_ms = io;
    s->have |= AG_HAVE_DISKS;
}

static void add_nic(ag_sample *s, const char *name, uint64_t rxb, uint64_t txb, uint64_t rxp, uint64_t txp)
{
    ag_nic *n = &s->nics[s->nnic++];
    snprintf(n->name, sizeof n->name, "%s", name);
    n->rx_bytes = rxb, n->tx_bytes = txb, n->rx_packets = rxp, n->tx_packets = txp;
    s->have |= AG_HAVE_NICS;
}

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-6 * (fabs(b) + 1))

/* ---- rates -------------------------------------------------------------- */

static void test_counter_delta(void **state)
{
    (void)state;
    assert_int_equal(ag_counter_delta(100, 250), 150);
    /* a 32-bit counter that wrapped: 4294967000 → 200 is +496 */
    assert_int_equal(ag_counter_delta(4294967000u, 200), 496);
    /* a reset (device re-created): counts from zero */
    assert_int_equal(ag_counter_delta(1000000, 10), 10);
    /* a 64-bit counter going down can only be a reset */
    assert_int_equal(ag_counter_delta(UINT64_C(9000000000), 5), 5);
    assert_int_equal(ag_counter_delta(7, 7), 0);
}

static void test_rates_two_samples(void **state)
{
    (void)state;
    ag_sample *a = new_sample(1000.0), *b = new_sample(11000.0); /* 10 s apart */
    a->have = b->have = AG_HAVE_CPU;
    a->cpu = (ag_cpu_ticks){.user = 100, .nice = 0, .system = 50, .idle = 800, .iowait = 10, .irq = 0, .softirq = 0, .steal = 0};
    /* +300 user +20 nice, +100 system +10 irq +10 softirq, +20 iowait, +40 steal, +500 idle = 1000 */
    b->cpu = (ag_cpu_ticks){.user = 400, .nice = 20, .system = 150, .idle = 1300, .iowait = 30, .irq = 10, .softirq = 10, .steal = 40};
    add_disk(a, "sda", 1000, 8000, 500, 4000, 4294966000u); /* io_ms about to wrap (old kernels: 32 bits) */
    add_disk(b, "sda", 1100, 10048, 700, 8096, 1704);       /* +100 reads, +2048 sectors … io +3000 ms */
    add_disk(a, "sdb", 5, 5, 5, 5, 5);
    add_disk(b, "nvme0n1", 1, 1, 1, 1, 1);                   /* new device: no rate */
    add_nic(a, "eth0", 1000, 2000, 10, 20);
    add_nic(b, "eth0", 11000, 2000 + 4096000, 110, 4020);
    ag_rates r;
    ag_rates_compute(a, b, &r);
    NEAR(r.dt, 10.0);
    assert_true(r.cpu_valid);
    NEAR(r.cpu.user, 32.0);
    NEAR(r.cpu.system, 12.0);
    NEAR(r.cpu.iowait, 2.0);
    NEAR(r.cpu.steal, 4.0);
    NEAR(r.cpu.idle, 50.0);
    assert_true(r.disk_valid[0]);
    NEAR(r.disk[0].reads, 10.0);
    NEAR(r.disk[0].read_bytes, 2048.0 * 512 / 10);
    NEAR(r.disk[0].writes, 20.0);
    NEAR(r.disk[0].write_bytes, 4096.0 * 512 / 10);
    NEAR(r.disk[0].util, 30.0); /* 3000 ms busy in 10 s, across the wrap */
    assert_false(r.disk_valid[1]);
    assert_true(r.nic_valid[0]);
    NEAR(r.nic[0].rx_bytes, 1000.0);
    NEAR(r.nic[0].tx_bytes, 409600.0);
    NEAR(r.nic[0].rx_packets, 10.0);
    NEAR(r.nic[0].tx_packets, 400.0);
    /* No previous sample: no rates at all. */
    ag_rates_compute(NULL, b, &r);
    assert_true(r.dt == 0);
    assert_false(r.cpu_valid);
    free(a);
    free(b);
}

static void test_rates_util_capped(void **state)
{
    (void)state;
    ag_sample *a = new_sample(0), *b = new_sample(1000);
    add_disk(a, "sda", 0, 0, 0, 0, 0);
    add_disk(b, "sda", 0, 0, 0, 0, 1500); /* queue accounting can exceed wall time */
    ag_rates r;
    ag_rates_compute(a, b, &r);
    NEAR(r.disk[0].util, 100.0);
    free(a);
    free(b);
}

/* ---- the JSON report ---------------------------------------------------- */

static ag_sample *full_sample(double mono)
{
    ag_sample *s = new_sample(mono);
    s->have = AG_HAVE_CPU | AG_HAVE_LOAD | AG_HAVE_MEM | AG_HAVE_FS | AG_HAVE_TCP | AG_HAVE_PROCS | AG_HAVE_UPTIME;
    s->cpu.user = (uint64_t)mono;
    s->cpu.idle = (uint64_t)mono * 3;
    s->load[0] = 0.12, s->load[1] = 0.2, s->load[2] = 0.18;
    s->mem = (ag_mem){.total = 25000000000, .free = 1000, .available = 21000000000, .buffers = 100000000,
                      .cached = 5000000000, .swap_total = 2000, .swap_free = 500};
    s->nfs = 1;
    snprintf(s->fs[0].mount, sizeof s->fs[0].mount, "/srv/\"odd\" \xff name");
    snprintf(s->fs[0].type, sizeof s->fs[0].type, "ext4");
    s->fs[0].size = 3000, s->fs[0].free = 2000, s->fs[0].avail = 1500, s->fs[0].files = 100, s->fs[0].files_free = 90;
    s->tcp[AG_TCP_ESTABLISHED] = 10, s->tcp[AG_TCP_TIME_WAIT] = 2, s->tcp[AG_TCP_LISTEN] = 5;
    s->tcp[AG_TCP_CLOSE_WAIT] = 1, s->tcp[AG_TCP_SYN_SENT] = 3;
    s->tcp_exact = true;
    s->processes = 180;
    s->uptime = 86400.7;
    add_disk(s, "vda", (uint64_t)mono, (uint64_t)mono * 8, 0, 0, 0);
    add_nic(s, "eth0", (uint64_t)mono * 100, 0, 0, 0);
    return s;
}

static json_t *parse(const sbuf *b)
{
    json_error_t err;
    json_t *j = json_loadb(sbuf_str(b), b->len, JSON_REJECT_DUPLICATES, &err);
    if (!j)
        fprintf(stderr, "invalid JSON: %s at %d: %.200s\n", err.text, err.position, sbuf_str(b));
    assert_non_null(j);
    return j;
}

static void test_report_json(void **state)
{
    (void)state;
    ag_sample *a = full_sample(1000), *b = full_sample(61000);
    ag_rates r;
    ag_rates_compute(a, b, &r);
    ag_facts *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->hostname, sizeof f->hostname, "web-01");
    snprintf(f->os_pretty, sizeof f->os_pretty, "Debian GNU/Linux 12 (bookworm)");
    snprintf(f->vendor, sizeof f->vendor, "Bad\x01Vendor\xc3"); /* control byte, cut UTF-8 */
    f->cpu_threads = 4, f->cpu_cores = 2, f->cpu_sockets = 1;
    f->nnic = 1;
    snprintf(f->nics[0].name, sizeof f->nics[0].name, "eth0");
    f->nics[0].naddr = 1;
    snprintf(f->nics[0].addrs[0], sizeof f->nics[0].addrs[0], "10.0.0.5/24");
    f->nics[0].speed_mbps = 1000;
    f->ndisk = 1;
    snprintf(f->disks[0].name, sizeof f->disks[0].name, "vda");
    f->disks[0].size_bytes = 270000000000, f->disks[0].rotational = 0;
    f->boot_time = 1795500000;

    sbuf out = SBUF_INIT;
    ag_report_meta meta = {1795600000, 1234, 60, 7, "0.1.0"};
    assert_int_equal(ag_report_json(&out, &meta, f, b, &r), 0);
    json_t *j = parse(&out);
    assert_int_equal(json_integer_value(json_object_get(j, "v")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "agent_version")), "0.1.0");
    assert_int_equal(json_integer_value(json_object_get(j, "time")), 1795600000);
    assert_int_equal(json_integer_value(json_object_get(j, "seq")), 1234);
    assert_int_equal(json_integer_value(json_object_get(j, "interval")), 60);
    assert_int_equal(json_integer_value(json_object_get(j, "dropped")), 7);
    json_t *fa = json_object_get(j, "facts"), *m = json_object_get(j, "metrics");
    assert_true(json_is_object(fa));
    assert_string_equal(json_string_value(json_object_get(fa, "hostname")), "web-01");
    /* the control byte survives escaped, the cut UTF-8 becomes U+FFFD */
    assert_string_equal(json_string_value(json_object_get(fa, "vendor")), "Bad\x01Vendor\xef\xbf\xbd");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(fa, "cpu"), "threads")), 4);
    json_t *nic = json_array_get(json_object_get(fa, "nics"), 0);
    assert_string_equal(json_string_value(json_array_get(json_object_get(nic, "addresses"), 0)), "10.0.0.5/24");
    assert_int_equal(json_integer_value(json_object_get(nic, "speed_mbps")), 1000);
    json_t *disk = json_array_get(json_object_get(fa, "disks"), 0);
    assert_true(json_is_false(json_object_get(disk, "rotational")));
    assert_int_equal(json_integer_value(json_object_get(fa, "boot_time")), 1795500000);
    assert_string_equal(json_string_value(json_object_get(json_object_get(fa, "os"), "pretty")),
                        "Debian GNU/Linux 12 (bookworm)");

    /* metrics: CPU 25 % user (60000 user / 240000 jiffies), 75 % idle */
    json_t *cpu = json_object_get(m, "cpu");
    assert_true(json_is_real(json_object_get(cpu, "user")));
    NEAR(json_real_value(json_object_get(cpu, "user")), 25.0);
    NEAR(json_real_value(json_object_get(cpu, "idle")), 75.0);
    json_t *load = json_object_get(m, "load");
    assert_int_equal(json_array_size(load), 3);
    NEAR(json_real_value(json_array_get(load, 0)), 0.12);
    json_t *mem = json_object_get(m, "memory");
    assert_int_equal(json_integer_value(json_object_get(mem, "total")), 25000000000);
    assert_int_equal(json_integer_value(json_object_get(mem, "used")), 4000000000);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "swap"), "used")), 1500);
    json_t *fs = json_array_get(json_object_get(m, "filesystems"), 0);
    assert_string_equal(json_string_value(json_object_get(fs, "mount")), "/srv/\"odd\" \xef\xbf\xbd name");
    assert_int_equal(json_integer_value(json_object_get(fs, "used")), 1000);
    assert_int_equal(json_integer_value(json_object_get(fs, "free")), 1500);
    assert_int_equal(json_integer_value(json_object_get(fs, "inodes_used")), 10);
    json_t *d = json_array_get(json_object_get(m, "disks"), 0);
    assert_string_equal(json_string_value(json_object_get(d, "name")), "vda");
    NEAR(json_real_value(json_object_get(d, "reads")), 1000.0);
    NEAR(json_real_value(json_object_get(d, "read_bytes")), 1000.0 * 8 * 512);
    json_t *n = json_array_get(json_object_get(m, "nics"), 0);
    NEAR(json_real_value(json_object_get(n, "rx_bytes")), 100000.0);
    json_t *tcp = json_object_get(m, "tcp");
    assert_int_equal(json_integer_value(json_object_get(tcp, "established")), 10);
    assert_int_equal(json_integer_value(json_object_get(tcp, "listen")), 5);
    assert_int_equal(json_integer_value(json_object_get(tcp, "close_wait")), 1);
    assert_int_equal(json_integer_value(json_object_get(tcp, "other")), 3);
    assert_int_equal(json_integer_value(json_object_get(m, "processes")), 180);
    assert_int_equal(json_integer_value(json_object_get(m, "uptime")), 86400);
    json_decref(j);

    /* Without a previous sample and facts: no rate sections, no facts. */
    ag_sbuf_reset(&out);
    ag_rates none;
    ag_rates_compute(NULL, b, &none);
    assert_int_equal(ag_report_json(&out, &meta, NULL, b, &none), 0);
    j = parse(&out);
    m = json_object_get(j, "metrics");
    assert_null(json_object_get(j, "facts"));
    assert_null(json_object_get(m, "cpu"));
    assert_null(json_object_get(m, "disks"));
    assert_null(json_object_get(m, "nics"));
    assert_non_null(json_object_get(m, "memory"));
    json_decref(j);
    sbuf_free(&out);
    free(a);
    free(b);
    free(f);
}

static void test_report_tcp_summary(void **state)
{
    (void)state;
    ag_sample *s = new_sample(0);
    s->have = AG_HAVE_TCP;
    s->tcp[AG_TCP_ESTABLISHED] = 22, s->tcp[AG_TCP_TIME_WAIT] = 288, s->tcp_alloc = 32;
    s->tcp[AG_TCP_LISTEN] = 8, s->tcp_listen_known = true;
    sbuf out = SBUF_INIT;
    ag_report_meta meta = {1, 1, 60, 0, "x"};
    assert_int_equal(ag_report_json(&out, &meta, NULL, s, NULL), 0);
    json_t *j = parse(&out);
    json_t *tcp = json_object_get(json_object_get(j, "metrics"), "tcp");
    assert_int_equal(json_integer_value(json_object_get(tcp, "established")), 22);
    assert_int_equal(json_integer_value(json_object_get(tcp, "time_wait")), 288);
    assert_int_equal(json_integer_value(json_object_get(tcp, "listen")), 8);
    assert_int_equal(json_integer_value(json_object_get(tcp, "other")), 2);
    assert_null(json_object_get(tcp, "close_wait"));
    json_decref(j);
    sbuf_free(&out);
    free(s);
}

static void test_json_str_escapes(void **state)
{
    (void)state;
    sbuf b = SBUF_INIT;
    ag_json_str(&b, "a\"b\\c\n\t\x7f\xe2\x82\xac\xed\xa0\x80\xf0\x9f\x98\x80\xc0\xaf");
    /* quote, backslash, newline, tab escaped; DEL kept; € and 😀 kept;
     * a UTF-16 surrogate and an overlong '/' become U+FFFD */
    assert_string_equal(sbuf_str(&b), "\"a\\\"b\\\\c\\u000a\\u0009\x7f\xe2\x82\xac"
                                      "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd\"");
    json_error_t err;
    json_t *j = json_loadb(sbuf_str(&b), b.len, JSON_DECODE_ANY, &err);
    assert_non_null(j);
    json_decref(j);
    sbuf_free(&b);
}

static void test_facts_hash_ignores_boot_time(void **state)
{
    (void)state;
    ag_facts *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->hostname, sizeof f->hostname, "h");
    f->boot_time = 100;
    sbuf a = SBUF_INIT, b = SBUF_INIT;
    ag_facts_json(&a, f, "1", true);
    f->boot_time = 101; /* an NTP step moves btime */
    ag_facts_json(&b, f, "1", true);
    assert_string_equal(sbuf_str(&a), sbuf_str(&b));
    ag_sbuf_reset(&b);
    snprintf(f->management_ip, sizeof f->management_ip, "10.0.0.9");
    ag_facts_json(&b, f, "1", true);
    assert_true(ag_hash(sbuf_str(&a), a.len) != ag_hash(sbuf_str(&b), b.len));
    sbuf_free(&a);
    sbuf_free(&b);
    free(f);
}

static void test_prom_text(void **state)
{
    (void)state;
    ag_sample *s = full_sample(1000);
    s->ncpu = 1;
    s->cpu_id[0] = 0;
    s->cpus[0].user = 500;
    snprintf(s->fs[0].mount, sizeof s->fs[0].mount, "/a\"b\\c\nd");
    snprintf(s->fs[0].device, sizeof s->fs[0].device, "/dev/sda1");
    sbuf out = SBUF_INIT;
    ag_prom_info x = {.version = "0.1.0", .collections = 3};
    assert_int_equal(ag_prom_text(&out, s, &x), 0);
    const char *t = sbuf_str(&out);
    assert_non_null(strstr(t, "# TYPE node_load1 gauge\nnode_load1 0.12\n"));
    assert_non_null(strstr(t, "node_memory_MemAvailable_bytes 21000000000\n"));
    assert_non_null(strstr(t, "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} "));
    assert_non_null(strstr(t, "node_filesystem_avail_bytes{device=\"/dev/sda1\",fstype=\"ext4\","
                              "mountpoint=\"/a\\\"b\\\\c\\nd\"} 1500\n"));
    assert_non_null(strstr(t, "node_disk_read_bytes_total{device=\"vda\"} 4096000\n"));
    assert_non_null(strstr(t, "node_network_receive_bytes_total{device=\"eth0\"} 100000\n"));
    assert_non_null(strstr(t, "node_tcp_connection_states{state=\"established\"} 10\n"));
    assert_non_null(strstr(t, "cairn_agent_collections_total 3\n"));
    sbuf_free(&out);
    free(s);
}

/* ---- spool -------------------------------------------------------------- */

static void put(ag_spool *s, uint64_t seq, uint64_t dropped)
{
    char b[128];
    int n = snprintf(b, sizeof b, "{\"v\":1,\"seq\":%llu,\"dropped\":%llu,\"metrics\":{}}",
                     (unsigned long long)seq, (unsigned long long)dropped);
    assert_int_equal(ag_spool_put(s, seq, b, (size_t)n), 0);
}

static void test_spool_bound_and_counter(void **state)
{
    (void)state;
    char *dir = make_dir();
    ag_spool s;
    assert_int_equal(ag_spool_open(&s, dir, 3), 0);
    put(&s, 10, 4); /* itself carries 4 earlier losses */
    put(&s, 11, 0);
    put(&s, 12, 0);
    assert_int_equal(ag_spool_count(&s), 3);
    assert_int_equal(ag_spool_dropped_pending(&s), 0);
    put(&s, 13, 0); /* evicts 10: 1 report + the 4 it carried */
    assert_int_equal(ag_spool_count(&s), 3);
    assert_int_equal(ag_spool_dropped_pending(&s), 5);
    put(&s, 14, 0); /* evicts 11 */
    assert_int_equal(ag_spool_dropped_pending(&s), 6);
    char spool_dir[700];
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", dir);
    assert_int_equal(count_files(spool_dir, ".json"), 3);
    char p[800];
    snprintf(p, sizeof p, "%s/000000000010.json", spool_dir);
    assert_int_equal(access(p, F_OK), -1); /* the oldest went first */
    snprintf(p, sizeof p, "%s/000000000014.json", spool_dir);
    assert_int_equal(access(p, F_OK), 0);
    ag_spool_close(&s);

    /* The counter survives a restart, and taking it resets it (persisted). */
    assert_int_equal(ag_spool_open(&s, dir, 3), 0);
    assert_int_equal(ag_spool_count(&s), 3);
    assert_int_equal(ag_spool_last_seq(&s), 14);
    assert_int_equal(ag_spool_take_dropped(&s), 6);
    assert_int_equal(ag_spool_take_dropped(&s), 0);
    ag_spool_close(&s);
    assert_int_equal(ag_spool_open(&s, dir, 3), 0);
    assert_int_equal(ag_spool_take_dropped(&s), 0);
    /* Lowering the bound drops the oldest at once. */
    ag_spool_set_max(&s, 1);
    assert_int_equal(ag_spool_count(&s), 1);
    assert_int_equal(ag_spool_last_seq(&s), 14);
    assert_int_equal(ag_spool_take_dropped(&s), 2);
    ag_spool_close(&s);
    remove_tree(dir);
    free(dir);
}

static void test_spool_replay_order_and_restart(void **state)
{
    (void)state;
    char *dir = make_dir();
    ag_spool s;
    assert_int_equal(ag_spool_open(&s, dir, 100), 0);
    for (uint64_t q = 1; q <= 9; q++) /* 1..9, but stored out of order once */
        if (q != 5)
            put(&s, q, 0);
    put(&s, 5, 0);
    ag_spool_close(&s);

    assert_int_equal(ag_spool_open(&s, dir, 100), 0); /* a restart */
    assert_int_equal(ag_spool_count(&s), 9);
    sbuf body = SBUF_INIT;
    assert_int_equal(ag_spool_batch(&s, 4, 1 << 20, &body), 4);
    json_t *j = parse(&body);
    json_t *arr = json_object_get(j, "reports");
    assert_int_equal(json_array_size(arr), 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, i), "seq")), (json_int_t)i + 1);
    json_decref(j);
    /* Nothing is deleted before the acknowledgement. */
    assert_int_equal(ag_spool_count(&s), 9);
    ag_spool_ack(&s, 4);
    assert_int_equal(ag_spool_count(&s), 5);
    assert_int_equal(ag_spool_take_dropped(&s), 0); /* acked is not dropped */
    /* A byte limit still lets one report through, then stops. */
    assert_int_equal(ag_spool_batch(&s, 500, 10, &body), 1);
    j = parse(&body);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(j, "reports"), 0), "seq")), 5);
    json_decref(j);
    /* A damaged file is dropped and counted, the rest replays. */
    char p[800];
    snprintf(p, sizeof p, "%s/spool/000000000006.json", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("{\"v\":1,\"seq\":6,\"metr", f);
    fclose(f);
    assert_int_equal(ag_spool_batch(&s, 500, 1 << 20, &body), 4);
    j = parse(&body);
    arr = json_object_get(j, "reports");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "seq")), 7);
    json_decref(j);
    assert_int_equal(ag_spool_take_dropped(&s), 1);
    /* Discarding a refused report counts it. */
    ag_spool_discard(&s, 1);
    assert_int_equal(ag_spool_take_dropped(&s), 1);
    assert_int_equal(ag_spool_count(&s), 3);
    ag_spool_ack(&s, 3);
    assert_int_equal(ag_spool_batch(&s, 500, 1 << 20, &body), 0);
    sbuf_free(&body);
    ag_spool_close(&s);
    remove_tree(dir);
    free(dir);
}

/* ---- sequence, token ---------------------------------------------------- */

static void test_seq_survives_restart(void **state)
{
    (void)state;
    char *dir = make_dir();
    ag_seq q;
    uint64_t v, last = 0;
    assert_int_equal(ag_seq_open(&q, dir, 1), 0);
    for (int i = 0; i < 3000; i++) { /* crosses two reservation blocks */
        assert_int_equal(ag_seq_next(&q, &v), 0);
        assert_true(v > last);
        last = v;
    }
    assert_int_equal(last, 3000);
    /* A restart (or crash) never repeats a number. */
    assert_int_equal(ag_seq_open(&q, dir, 1), 0);
    assert_int_equal(ag_seq_next(&q, &v), 0);
    assert_true(v > last);
    /* The newest spooled report pushes the start further when needed. */
    assert_int_equal(ag_seq_open(&q, dir, 1000000), 0);
    assert_int_equal(ag_seq_next(&q, &v), 0);
    assert_int_equal(v, 1000000);
    remove_tree(dir);
    free(dir);
}

static void test_token_file(void **state)
{
    (void)state;
    char *dir = make_dir();
    char t[256];
    assert_int_equal(ag_token_load(dir, t, sizeof t), -1);
    const char *tok = "cairnh_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(ag_token_save(dir, tok), 0);
    assert_int_equal(ag_token_load(dir, t, sizeof t), 0);
    assert_string_equal(t, tok);
    char p[700];
    snprintf(p, sizeof p, "%s/token", dir);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_false(ag_token_valid("cairnh_short"));
    assert_false(ag_token_valid("Bearer cairnh_0123456789abcdef0123"));
    assert_false(ag_token_valid("cairnh_0123456789abcdef0123\r\nX-Evil: 1"));
    remove_tree(dir);
    free(dir);
}

/* ---- backoff, gzip, enrollment, config ---------------------------------- */

static void test_backoff_jitter_bounds(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    for (int n = 1; n <= 14; n++) {
        double d = fmin(300.0, pow(2.0, n - 1)), lo = 1e9, hi = 0, sum = 0;
        for (int k = 0; k < 2000; k++) {
            double v = ag_backoff(n, &rng);
            assert_true(v >= 0.8 * d - 1e-9 && v <= 1.2 * d + 1e-9);
            lo = fmin(lo, v), hi = fmax(hi, v), sum += v;
        }
        assert_true(lo < 0.85 * d && hi > 1.15 * d); /* the jitter spreads */
        assert_true(fabs(sum / 2000 - d) < 0.03 * d);
    }
    assert_true(ag_backoff(1000, &rng) <= 360.0);
    assert_true(ag_backoff(0, &rng) <= 1.2);
}

static void test_gzip_roundtrip(void **state)
{
    (void)state;
    const char *in = "{\"reports\":[{\"v\":1},{\"v\":1},{\"v\":1},{\"v\":1}]}";
    unsigned char *z;
    size_t zl;
    assert_int_equal(ag_gzip(in, strlen(in), &z, &zl), 0);
    assert_true(zl > 18 && z[0] == 0x1f && z[1] == 0x8b); /* gzip magic */
    char out[256];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = z, zs.avail_in = (uInt)zl;
    zs.next_out = (Bytef *)out, zs.avail_out = sizeof out;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.total_out, strlen(in));
    assert_memory_equal(out, in, strlen(in));
    inflateEnd(&zs);
    free(z);
}

static void test_enroll_body_and_answer(void **state)
{
    (void)state;
    ag_facts *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->hostname, sizeof f->hostname, "web-01");
    snprintf(f->machine_id, sizeof f->machine_id, "3d1219c7c4c5404aaa1f6d2a48adfda4");
    char *body = ag_enroll_body("site-token", f, "0.1.0");
    assert_non_null(body);
    json_error_t err;
    json_t *j = json_loads(body, 0, &err);
    assert_string_equal(json_string_value(json_object_get(j, "enroll_token")), "site-token");
    assert_string_equal(json_string_value(json_object_get(j, "machine_id")), "3d1219c7c4c5404aaa1f6d2a48adfda4");
    assert_string_equal(json_string_value(json_object_get(j, "hostname")), "web-01");
    assert_null(json_object_get(j, "serial")); /* unknown: left out */
    json_decref(j);
    free(body);
    ag_enrollment e;
    assert_int_equal(ag_enroll_parse("{\"host_id\":12,\"token\":\"cairnh_00112233445566778899aabbccddeeff\","
                                     "\"interval\":30}", &e), 0);
    assert_int_equal(e.host_id, 12);
    assert_int_equal(e.interval, 30);
    assert_string_equal(e.token, "cairnh_00112233445566778899aabbccddeeff");
    assert_int_equal(ag_enroll_parse("{\"host_id\":12,\"token\":\"nope\"}", &e), -1);
    assert_int_equal(ag_enroll_parse("not json", &e), -1);
    long acc, skip;
    int iv;
    assert_int_equal(ag_report_answer("{\"accepted\":498,\"skipped\":2,\"interval\":60}", &acc, &skip, &iv), 0);
    assert_int_equal(acc, 498);
    assert_int_equal(skip, 2);
    assert_int_equal(iv, 60);
    free(f);
}

static void test_conf_file(void **state)
{
    (void)state;
    char *dir = make_dir();
    char p[700], err[512];
    snprintf(p, sizeof p, "%s/agent.conf", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("# cairn-agent\n\nserver = https://cairn.example.com\n"
          "  interval=30\nspool-max = 100\nprometheus = \"127.0.0.1:9101\"\ntcp_states = full\n", f);
    fclose(f);
    ag_conf c;
    ag_conf_defaults(&c);
    assert_int_equal(c.interval, 60);
    assert_int_equal(c.spool_max, 10080);
    assert_int_equal(ag_conf_file(&c, p, err, sizeof err), 0);
    assert_string_equal(c.server, "https://cairn.example.com");
    assert_int_equal(c.interval, 30);
    assert_true(c.interval_set);
    assert_int_equal(c.spool_max, 100);
    assert_string_equal(c.prometheus, "127.0.0.1:9101");
    assert_true(c.tcp_full);
    f = fopen(p, "w");
    fputs("server = https://x\ninterval = 0\n", f);
    fclose(f);
    assert_int_equal(ag_conf_file(&c, p, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: interval"));
    f = fopen(p, "w");
    fputs("sever = https://x\n", f);
    fclose(f);
    assert_int_equal(ag_conf_file(&c, p, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown setting"));
    assert_int_equal(ag_conf_set(&c, "server", "ftp://x", err, sizeof err), -1);
    remove_tree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_delta),
        cmocka_unit_test(test_rates_two_samples),
        cmocka_unit_test(test_rates_util_capped),
        cmocka_unit_test(test_report_json),
        cmocka_unit_test(test_report_tcp_summary),
        cmocka_unit_test(test_json_str_escapes),
        cmocka_unit_test(test_facts_hash_ignores_boot_time),
        cmocka_unit_test(test_prom_text),
        cmocka_unit_test(test_spool_bound_and_counter),
        cmocka_unit_test(test_spool_replay_order_and_restart),
        cmocka_unit_test(test_seq_survives_restart),
        cmocka_unit_test(test_token_file),
        cmocka_unit_test(test_backoff_jitter_bounds),
        cmocka_unit_test(test_gzip_roundtrip),
        cmocka_unit_test(test_enroll_body_and_answer),
        cmocka_unit_test(test_conf_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
