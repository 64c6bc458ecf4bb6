/* test_agent_parsers.c -- cmocka tests of every cairn-agent /proc and /sys
 * parser against fixture trees from several kernels and distributions
 * (tests/fixtures/agent/<name>/, see the README there):
 *
 *   debian12-fc-6.18     captured on the build machine: Debian 12, kernel
 *                        6.18 in a Firecracker VM, Docker-style container,
 *                        no DMI, 20-column diskstats
 *   centos7-kvm-3.10     CentOS 7.9 KVM guest: 14-column diskstats, LVM,
 *                        xfs, NFS and Docker overlay mounts, QEMU DMI
 *   centos6-dell-2.6.32  CentOS 6.10 on a Dell R720: no MemAvailable, no
 *                        os-release, 9-column cpu lines, ram/loop devices in
 *                        diskstats, "em1:412…" without a space
 *   ubuntu2004-lxc-5.4   LXD container: 18-column diskstats, nvme, lxcfs
 *                        and snap mounts, no DMI, cpu cores > visible CPUs
 *
 * Each test runs the real collector with ctx.root at a fixture and asserts
 * the parsed numbers. statvfs() and getifaddrs() are replaced by fakes so
 * results do not depend on the machine running the tests. Fixtures are
 * found below $CAIRN_AGENT_FIXTURES or tests/fixtures/agent (run from the
 * repository root, as scripts/test.sh does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/procfile.h"

#define KB(x) ((uint64_t)(x) * 1024u)

typedef struct {
    char root[512];
    char buf[65536];
    ag_ctx ctx;
    ag_sample m;
    ag_facts f;
    ag_disk_cache dc;
} fx;

/* ---- fakes -------------------------------------------------------------- */

/* statvfs: size depends on the path so tests can tell mounts apart. */
static int fake_statvfs(const char *path, struct statvfs *st)
{
    memset(st, 0, sizeof *st);
    st->f_bsize = st->f_frsize = 4096;
    st->f_blocks = 1000000 + strlen(path);
    st->f_bfree = 400000;
    st->f_bavail = 350000;
    st->f_files = 65536;
    st->f_ffree = 60000;
    return 0;
}

/* getifaddrs: a list built from "name addr/prefix" strings per fixture. */
static const char *const *fake_addrs;

static int fake_getifaddrs(struct ifaddrs **out)
{
    struct ifaddrs *head = NULL;
    for (int i = 0; fake_addrs && fake_addrs[i]; i++) {
        struct item {
            struct ifaddrs ifa;
            struct sockaddr_in6 addr, mask;
            char name[IFNAMSIZ];
        } *it = calloc(1, sizeof *it);
        assert_non_null(it);
        char addr[64];
        int prefix;
        assert_int_equal(sscanf(fake_addrs[i], "%15s %63[^/]/%d", it->name, addr, &prefix), 3);
        it->ifa.ifa_name = it->name;
        if (strchr(addr, ':')) {
            it->addr.sin6_family = it->mask.sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, addr, &it->addr.sin6_addr), 1);
            for (int b = 0; b < prefix; b++)
                it->mask.sin6_addr.s6_addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
        } else {
            struct sockaddr_in *a4 = (struct sockaddr_in *)&it->addr, *m4 = (struct sockaddr_in *)&it->mask;
            a4->sin_family = m4->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, addr, &a4->sin_addr), 1);
            m4->sin_addr.s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0);
        }
        it->ifa.ifa_addr = (struct sockaddr *)&it->addr;
        it->ifa.ifa_netmask = (struct sockaddr *)&it->mask;
        it->ifa.ifa_next = head;
        head = &it->ifa;
    }
    *out = head;
    return 0;
}

static void fake_freeifaddrs(struct ifaddrs *ifa)
{
    while (ifa) {
        struct ifaddrs *next = ifa->ifa_next;
        free(ifa); /* ifa is the first member of the allocation */
        ifa = next;
    }
}

/* ---- fixture setup ------------------------------------------------------ */

static fx *open_fx(const char *name)
{
    fx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    const char *base = getenv("CAIRN_AGENT_FIXTURES");
    snprintf(x->root, sizeof x->root, "%s/%s", base ? base : "tests/fixtures/agent", name);
    x->ctx.root = x->root;
    x->ctx.buf = x->buf;
    x->ctx.cap = sizeof x->buf;
    x->ctx.m = &x->m;
    x->ctx.f = &x->f;
    x->ctx.disk_cache = &x->dc;
    x->ctx.statvfs_fn = fake_statvfs;
    x->ctx.getifaddrs_fn = fake_getifaddrs;
    x->ctx.freeifaddrs_fn = fake_freeifaddrs;
    return x;
}

/* Kept descriptors point into the previous fixture: drop them. */
static void close_fx(fx *x)
{
    ag_collectors_close();
    free(x);
}

static int find_fs(const ag_sample *m, const char *mount)
{
    for (int i = 0; i < m->nfs; i++)
        if (strcmp(m->fs[i].mount, mount) == 0)
            return i;
    return -1;
}

static const ag_fact_nic *find_nic(const ag_facts *f, const char *name)
{
    for (int i = 0; i < f->nnic; i++)
        if (strcmp(f->nics[i].name, name) == 0)
            return &f->nics[i];
    return NULL;
}

/* ---- debian12-fc-6.18 (captured here) ------------------------------------ */

static void test_debian12_metrics(void **state)
{
    (void)state;
    fx *x = open_fx("debian12-fc-6.18");
    x->ctx.tcp_full = true;
    assert_int_equal(ag_collect(&x->ctx, AG_METRIC), 0);
    ag_sample *m = &x->m;
    /* cpu  134720 1051 43588 169208 765 0 1060 83 0 0 */
    assert_int_equal(m->cpu.user, 134720);
    assert_int_equal(m->cpu.nice, 1051);
    assert_int_equal(m->cpu.system, 43588);
    assert_int_equal(m->cpu.idle, 169208);
    assert_int_equal(m->cpu.iowait, 765);
    assert_int_equal(m->cpu.softirq, 1060);
    assert_int_equal(m->cpu.steal, 83);
    assert_int_equal(m->ncpu, 2);
    assert_int_equal(m->cpu_id[1], 1);
    assert_int_equal(m->cpus[1].user, 69281);
    assert_int_equal(m->ctxt, 6746898);
    assert_int_equal(m->boot_time, 1795591686);
    assert_int_equal(m->forks, 85977);
    assert_int_equal(m->procs_running, 10);
    /* 6.53 4.64 2.89 12/423 21138 */
    assert_true(m->load[0] > 6.529 && m->load[0] < 6.531);
    assert_true(m->load[2] > 2.889 && m->load[2] < 2.891);
    assert_int_equal(m->threads, 423);
    assert_int_equal(m->mem.total, KB(24683656));
    assert_int_equal(m->mem.free, KB(20045612));
    assert_int_equal(m->mem.available, KB(23101432));
    assert_false(m->mem.available_estimated);
    assert_int_equal(m->mem.buffers, KB(29104));
    assert_int_equal(m->mem.cached, KB(3378540));
    assert_int_equal(m->mem.sreclaimable, KB(291200));
    assert_int_equal(m->mem.shmem, KB(338360));
    assert_int_equal(m->mem.swap_total, 0);
    /* Only /dev/vda on / is real: proc, sysfs, devtmpfs, tmpfs, devpts,
     * cgroup and cgroup2 are not. */
    assert_int_equal(m->nfs, 1);
    assert_string_equal(m->fs[0].mount, "/");
    assert_string_equal(m->fs[0].device, "/dev/vda");
    assert_string_equal(m->fs[0].type, "ext4");
    assert_int_equal(m->fs[0].size, (uint64_t)(1000000 + 1) * 4096);
    assert_int_equal(m->fs[0].free, (uint64_t)400000 * 4096);
    assert_int_equal(m->fs[0].avail, (uint64_t)350000 * 4096);
    assert_int_equal(m->fs[0].files_free, 60000);
    /* 20-column diskstats: loop0-7 skipped, vda and zram0 are whole disks */
    assert_int_equal(m->ndisk, 2);
    assert_string_equal(m->disks[0].name, "vda");
    assert_int_equal(m->disks[0].reads, 97202);
    assert_int_equal(m->disks[0].read_sectors, 5824906);
    assert_int_equal(m->disks[0].writes, 109748);
    assert_int_equal(m->disks[0].write_sectors, 12291136);
    assert_int_equal(m->disks[0].io_ms, 23172);
    assert_string_equal(m->disks[1].name, "zram0");
    /* lo skipped */
    assert_int_equal(m->nnic, 3);
    assert_string_equal(m->nics[2].name, "eth0");
    assert_int_equal(m->nics[2].rx_bytes, 246225419);
    assert_int_equal(m->nics[2].rx_packets, 10877);
    assert_int_equal(m->nics[2].tx_bytes, 758921);
    assert_int_equal(m->nics[2].tx_packets, 8637);
    /* 24 sockets in the captured head of tcp: 14 TIME_WAIT, 10 LISTEN */
    assert_true(m->tcp_exact);
    assert_int_equal(m->tcp[AG_TCP_TIME_WAIT], 14);
    assert_int_equal(m->tcp[AG_TCP_LISTEN], 10);
    assert_int_equal(m->tcp[AG_TCP_ESTABLISHED], 0);
    assert_int_equal(m->processes, 3);
    assert_true(m->uptime > 1760.18 && m->uptime < 1760.2);
    assert_int_equal(m->have, AG_HAVE_CPU | AG_HAVE_LOAD | AG_HAVE_MEM | AG_HAVE_FS | AG_HAVE_DISKS |
                                  AG_HAVE_NICS | AG_HAVE_TCP | AG_HAVE_PROCS | AG_HAVE_UPTIME);
    close_fx(x);
}

static void test_debian12_tcp_summary(void **state)
{
    (void)state;
    fx *x = open_fx("debian12-fc-6.18");
    memset(&x->m, 0, sizeof x->m);
    assert_int_equal(ag_coll_tcp(&x->ctx), 0);
    assert_false(x->m.tcp_exact);
    assert_int_equal(x->m.tcp[AG_TCP_ESTABLISHED], 22); /* Tcp: … CurrEstab */
    assert_int_equal(x->m.tcp[AG_TCP_TIME_WAIT], 288);  /* TCP: … tw */
    assert_int_equal(x->m.tcp_alloc, 32);
    assert_false(x->m.tcp_listen_known); /* netlink only on the live system */
    close_fx(x);
}

static void test_debian12_facts(void **state)
{
    (void)state;
    static const char *const addrs[] = {"eth0 192.0.2.2/24", "eth0 fd00::2/64", "eth0 fe80::fc:ff:fe00:1/64",
                                        "lo 127.0.0.1/8", NULL};
    fake_addrs = addrs;
    fx *x = open_fx("debian12-fc-6.18");
    ag_collect(&x->ctx, AG_FACT);
    ag_facts *f = &x->f;
    assert_string_equal(f->hostname, "vm");
    assert_string_equal(f->fqdn, "vm");
    assert_string_equal(f->machine_id, "3d1219c7c4c5404aaa1f6d2a48adfda4");
    assert_string_equal(f->kernel, "6.18.44-fc-v769");
    assert_string_equal(f->os_id, "debian");
    assert_string_equal(f->os_version, "12");
    assert_string_equal(f->os_pretty, "Debian GNU/Linux 12 (bookworm)");
    assert_int_equal(f->boot_time, 1795591686);
    assert_string_equal(f->vendor, ""); /* no DMI in this VM */
    assert_string_equal(f->serial, "");
    assert_string_equal(f->cpu_model, "Intel(R) Xeon(R) Processor");
    assert_int_equal(f->cpu_sockets, 1);
    assert_int_equal(f->cpu_cores, 2);
    assert_int_equal(f->cpu_threads, 2);
    assert_int_equal(f->memory_bytes, KB(24683656));
    assert_int_equal(f->swap_bytes, 0);
    assert_int_equal(f->ndisk, 1); /* loop* and zram0 are not disks */
    assert_string_equal(f->disks[0].name, "vda");
    assert_int_equal(f->disks[0].size_bytes, (uint64_t)536870912 * 512);
    assert_int_equal(f->disks[0].rotational, 1);
    assert_int_equal(f->nfs, 1);
    assert_string_equal(f->fs[0].mount, "/");
    assert_string_equal(f->virtualization, "docker"); /* /.dockerenv */
    /* eth0 has a device; ifb0/ifb1 are virtual without addresses */
    assert_int_equal(f->nnic, 1);
    const ag_fact_nic *eth0 = find_nic(f, "eth0");
    assert_non_null(eth0);
    assert_string_equal(eth0->mac, "02:fc:00:00:00:01");
    assert_int_equal(eth0->speed_mbps, -1);
    assert_int_equal(eth0->naddr, 3);
    assert_string_equal(f->management_ip, "192.0.2.2"); /* default route: eth0 */
    close_fx(x);
}

/* ---- centos7-kvm-3.10 --------------------------------------------------- */

static void test_centos7_metrics(void **state)
{
    (void)state;
    fx *x = open_fx("centos7-kvm-3.10");
    x->ctx.tcp_full = true;
    assert_int_equal(ag_collect(&x->ctx, AG_METRIC), 0);
    ag_sample *m = &x->m;
    assert_int_equal(m->ncpu, 4);
    assert_int_equal(m->cpu.user, 9122);
    assert_int_equal(m->cpu.idle, 22631578);
    assert_int_equal(m->cpus[1].system, 2301);
    assert_int_equal(m->ctxt, 1990473);
    assert_int_equal(m->threads, 311);
    assert_int_equal(m->mem.available, KB(7114268));
    assert_int_equal(m->mem.swap_total, KB(2097148));
    assert_int_equal(m->mem.swap_free, KB(2097148));
    /* /, /boot, /home and "/srv/data files" (\040 decoded). Not: rootfs,
     * nfs4, the overlay and bind mount under /var/lib/docker, tmpfs … */
    assert_int_equal(m->nfs, 4);
    assert_int_equal(find_fs(m, "/"), 0);
    assert_string_equal(m->fs[0].type, "xfs");
    assert_string_equal(m->fs[0].device, "/dev/mapper/centos-root");
    assert_true(find_fs(m, "/boot") > 0);
    assert_true(find_fs(m, "/home") > 0);
    int sp = find_fs(m, "/srv/data files");
    assert_true(sp > 0);
    assert_int_equal(m->fs[sp].size, (uint64_t)(1000000 + strlen("/srv/data files")) * 4096);
    assert_int_equal(find_fs(m, "/mnt/share"), -1);
    /* 14-column diskstats; partitions out, dm and sr0 are whole devices */
    assert_int_equal(m->ndisk, 7);
    assert_string_equal(m->disks[0].name, "sda");
    assert_int_equal(m->disks[0].reads, 30562);
    assert_int_equal(m->disks[0].read_sectors, 2470726);
    assert_int_equal(m->disks[0].writes, 103614);
    assert_int_equal(m->disks[0].write_sectors, 3066856);
    assert_int_equal(m->disks[0].io_ms, 58380);
    assert_string_equal(m->disks[1].name, "sdb");
    assert_string_equal(m->disks[2].name, "sr0");
    assert_string_equal(m->disks[3].name, "dm-0");
    assert_int_equal(m->disks[3].io_ms, 58036);
    assert_int_equal(m->nnic, 3);
    assert_string_equal(m->nics[0].name, "eth0");
    assert_int_equal(m->nics[0].rx_bytes, 4289915743u);
    assert_int_equal(m->nics[0].rx_packets, 31120518);
    assert_int_equal(m->nics[0].rx_drop, 211);
    assert_int_equal(m->nics[0].tx_errs, 3);
    assert_string_equal(m->nics[2].name, "veth8c1f2a1");
    assert_int_equal(m->nics[2].tx_bytes, 88217020);
    /* tcp: 3 LISTEN, 4 ESTABLISHED, 2 TIME_WAIT, 1 CLOSE_WAIT; tcp6: 2 LISTEN */
    assert_int_equal(m->tcp[AG_TCP_LISTEN], 5);
    assert_int_equal(m->tcp[AG_TCP_ESTABLISHED], 4);
    assert_int_equal(m->tcp[AG_TCP_TIME_WAIT], 2);
    assert_int_equal(m->tcp[AG_TCP_CLOSE_WAIT], 1);
    assert_int_equal(m->processes, 5);
    close_fx(x);
}

static void test_centos7_facts(void **state)
{
    (void)state;
    static const char *const addrs[] = {"eth0 10.20.0.13/24", "docker0 172.17.0.1/16",
                                        "veth8c1f2a1 fe80::4c8d:11ff:fe92:2a07/64", NULL};
    fake_addrs = addrs;
    fx *x = open_fx("centos7-kvm-3.10");
    ag_collect(&x->ctx, AG_FACT);
    ag_facts *f = &x->f;
    assert_string_equal(f->hostname, "db-03.example.com");
    assert_string_equal(f->fqdn, "db-03.example.com");
    assert_string_equal(f->kernel, "3.10.0-1160.el7.x86_64");
    assert_string_equal(f->os_id, "centos");
    assert_string_equal(f->os_name, "CentOS Linux");
    assert_string_equal(f->os_version, "7");
    assert_string_equal(f->os_pretty, "CentOS Linux 7 (Core)");
    assert_string_equal(f->vendor, "QEMU");
    assert_string_equal(f->model, "Standard PC (i440FX + PIIX, 1996)");
    assert_string_equal(f->serial, ""); /* product_serial not readable */
    assert_string_equal(f->bios, "1.11.0-2.el7");
    assert_string_equal(f->bios_vendor, "SeaBIOS");
    assert_string_equal(f->bios_date, "04/01/2014");
    assert_string_equal(f->cpu_model, "Intel Core Processor (Haswell, no TSX, IBRS)");
    assert_int_equal(f->cpu_sockets, 4);
    assert_int_equal(f->cpu_cores, 4);
    assert_int_equal(f->cpu_threads, 4);
    assert_int_equal(f->memory_bytes, KB(8009180));
    assert_int_equal(f->swap_bytes, KB(2097148));
    assert_int_equal(f->boot_time, 1700020000);
    assert_string_equal(f->virtualization, "qemu");
    assert_int_equal(f->ndisk, 2); /* sda, sdb; not dm-*, not the empty sr0 */
    assert_string_equal(f->disks[0].name, "sda");
    assert_int_equal(f->disks[0].size_bytes, (uint64_t)104857600 * 512);
    assert_string_equal(f->disks[0].model, "QEMU HARDDISK");
    assert_int_equal(f->disks[1].size_bytes, (uint64_t)419430400 * 512);
    assert_int_equal(f->nfs, 4);
    /* eth0 (device), docker0 (virtual with an address); not the veth */
    assert_int_equal(f->nnic, 2);
    assert_string_equal(f->nics[0].name, "docker0");
    assert_string_equal(f->nics[0].addrs[0], "172.17.0.1/16");
    assert_int_equal(f->nics[0].speed_mbps, -1);
    assert_string_equal(f->nics[1].name, "eth0");
    assert_string_equal(f->nics[1].mac, "52:54:00:8a:1c:03");
    assert_int_equal(f->nics[1].speed_mbps, 1000);
    assert_null(find_nic(f, "veth8c1f2a1"));
    assert_string_equal(f->management_ip, "10.20.0.13");
    close_fx(x);
}

/* ---- centos6-dell-2.6.32 ------------------------------------------------ */

static void test_centos6_metrics(void **state)
{
    (void)state;
    fx *x = open_fx("centos6-dell-2.6.32");
    x->ctx.tcp_full = true;
    assert_int_equal(ag_collect(&x->ctx, AG_METRIC), 0);
    ag_sample *m = &x->m;
    /* 9-column cpu lines (no guest_nice) */
    assert_int_equal(m->ncpu, 24);
    assert_int_equal(m->cpu.user, 19772280);
    assert_int_equal(m->cpu.iowait, 968700);
    assert_int_equal(m->cpu.steal, 0);
    assert_int_equal(m->cpus[1].idle, 98118456);
    assert_int_equal(m->ctxt, 31234567890ull);
    assert_int_equal(m->procs_blocked, 1);
    /* No MemAvailable: free + buffers + cached + SReclaimable */
    assert_true(m->mem.available_estimated);
    assert_int_equal(m->mem.available, KB(1234567 + 345678 + 40123456 + 2345678));
    assert_int_equal(m->mem.swap_free, KB(8300000));
    /* ram0-15 and loop0-7 skipped; sda, sdb, dm-0, dm-1 */
    assert_int_equal(m->ndisk, 4);
    assert_string_equal(m->disks[0].name, "sda");
    assert_int_equal(m->disks[0].io_ms, 4294966000u);
    assert_string_equal(m->disks[1].name, "sdb");
    assert_int_equal(m->disks[1].read_sectors, 3456789012u);
    /* "em1:412463734519 …": no space after the colon */
    assert_int_equal(m->nnic, 2);
    assert_string_equal(m->nics[0].name, "em1");
    assert_int_equal(m->nics[0].rx_bytes, 412463734519ull);
    assert_int_equal(m->nics[0].rx_packets, 3235225123u);
    assert_int_equal(m->nics[0].rx_drop, 1021);
    assert_int_equal(m->nics[0].tx_bytes, 184618391923ull);
    assert_int_equal(m->nics[0].tx_packets, 2480321456u);
    /* /, /boot, /data; /var/lib/mysql is a bind of /data's device */
    assert_int_equal(m->nfs, 3);
    assert_true(find_fs(m, "/data") >= 0);
    assert_int_equal(find_fs(m, "/var/lib/mysql"), -1);
    assert_int_equal(find_fs(m, "/proc/bus/usb"), -1);
    assert_int_equal(m->tcp[AG_TCP_LISTEN], 3);
    assert_int_equal(m->tcp[AG_TCP_ESTABLISHED], 3);
    assert_int_equal(m->tcp[AG_TCP_CLOSE_WAIT], 3);
    assert_int_equal(m->tcp[AG_TCP_TIME_WAIT], 1);
    assert_int_equal(m->tcp[AG_TCP_SYN_SENT], 1);
    assert_int_equal(m->processes, 6);
    assert_true(m->uptime > 95123456.7 && m->uptime < 95123456.9);
    close_fx(x);
}

static void test_centos6_facts(void **state)
{
    (void)state;
    static const char *const addrs[] = {"em1 10.12.11.13/24", NULL};
    fake_addrs = addrs;
    fx *x = open_fx("centos6-dell-2.6.32");
    ag_collect(&x->ctx, AG_FACT);
    ag_facts *f = &x->f;
    assert_string_equal(f->hostname, "app-legacy-01");
    assert_string_equal(f->machine_id, "5b1c3a9e0d7f4c2e8a6b4d2f0e1c3a5b"); /* dbus copy */
    assert_string_equal(f->os_id, "centos"); /* /etc/redhat-release */
    assert_string_equal(f->os_name, "CentOS");
    assert_string_equal(f->os_version, "6.10");
    assert_string_equal(f->os_pretty, "CentOS release 6.10 (Final)");
    assert_string_equal(f->vendor, "Dell Inc.");
    assert_string_equal(f->model, "PowerEdge R720");
    assert_string_equal(f->serial, "7XK2Q52");
    assert_string_equal(f->bios, "2.9.0");
    assert_string_equal(f->cpu_model, "Intel(R) Xeon(R) CPU E5-2620 0 @ 2.00GHz");
    assert_int_equal(f->cpu_sockets, 2);
    assert_int_equal(f->cpu_cores, 12);
    assert_int_equal(f->cpu_threads, 24);
    assert_int_equal(f->memory_bytes, KB(65922540));
    assert_string_equal(f->virtualization, "none");
    assert_int_equal(f->ndisk, 2);
    assert_string_equal(f->disks[0].model, "PERC H710P");
    assert_int_equal(f->disks[1].size_bytes, (uint64_t)3904897024 * 512);
    assert_int_equal(f->nnic, 2);
    assert_string_equal(f->nics[0].name, "em1");
    assert_int_equal(f->nics[0].speed_mbps, 1000);
    assert_int_equal(f->nics[1].speed_mbps, -1); /* no speed file: link down */
    assert_string_equal(f->management_ip, "10.12.11.13");
    close_fx(x);
}

/* ---- ubuntu2004-lxc-5.4 ------------------------------------------------- */

static void test_ubuntu_lxc_metrics(void **state)
{
    (void)state;
    fx *x = open_fx("ubuntu2004-lxc-5.4");
    x->ctx.tcp_full = true;
    assert_int_equal(ag_collect(&x->ctx, AG_METRIC), 0);
    ag_sample *m = &x->m;
    assert_int_equal(m->ncpu, 4);
    assert_int_equal(m->cpu.steal, 1386);
    assert_int_equal(m->cpus[1].user, 4128456);
    /* 18-column diskstats: loops out, partitions out */
    assert_int_equal(m->ndisk, 1);
    assert_string_equal(m->disks[0].name, "nvme0n1");
    assert_int_equal(m->disks[0].reads, 2345678);
    assert_int_equal(m->disks[0].read_sectors, 198765432);
    assert_int_equal(m->disks[0].writes, 8765432);
    assert_int_equal(m->disks[0].write_sectors, 987654321);
    assert_int_equal(m->disks[0].io_ms, 3456789);
    /* zfs root and an ext4 bind; lxcfs, squashfs (snap), tmpfs out */
    assert_int_equal(m->nfs, 2);
    assert_string_equal(m->fs[0].mount, "/");
    assert_string_equal(m->fs[0].type, "zfs");
    assert_string_equal(m->fs[0].device, "rpool/lxd/containers/web01");
    assert_string_equal(m->fs[1].mount, "/srv/shared");
    assert_int_equal(m->nnic, 1);
    assert_int_equal(m->nics[0].rx_bytes, 98765432109ull);
    assert_int_equal(m->tcp[AG_TCP_LISTEN], 3);
    assert_int_equal(m->tcp[AG_TCP_TIME_WAIT], 3);
    assert_int_equal(m->tcp[AG_TCP_ESTABLISHED], 1);
    assert_int_equal(m->tcp[AG_TCP_NEW_SYN_RECV], 1);
    assert_int_equal(m->mem.total, KB(4194304));
    assert_int_equal(m->mem.available, KB(3407872));
    close_fx(x);
}

static void test_ubuntu_lxc_facts(void **state)
{
    (void)state;
    static const char *const addrs[] = {"eth0 10.195.5.10/24", "eth0 fe80::216:3eff:fe5a:c11/64", NULL};
    fake_addrs = addrs;
    fx *x = open_fx("ubuntu2004-lxc-5.4");
    ag_collect(&x->ctx, AG_FACT);
    ag_facts *f = &x->f;
    assert_string_equal(f->hostname, "web01");
    assert_string_equal(f->os_pretty, "Ubuntu 20.04.6 LTS");
    assert_string_equal(f->os_id, "ubuntu");
    assert_string_equal(f->os_version, "20.04");
    assert_string_equal(f->virtualization, "lxc");
    assert_string_equal(f->vendor, "");
    assert_string_equal(f->cpu_model, "AMD EPYC 7402P 24-Core Processor");
    assert_int_equal(f->cpu_sockets, 1);
    assert_int_equal(f->cpu_threads, 4);
    assert_int_equal(f->cpu_cores, 4); /* "cpu cores: 24" is the host's */
    assert_int_equal(f->ndisk, 1);
    assert_string_equal(f->disks[0].name, "nvme0n1");
    assert_string_equal(f->disks[0].model, "SAMSUNG MZQLB1T9HAJR-00007");
    assert_int_equal(f->disks[0].rotational, 0);
    assert_int_equal(f->nnic, 1); /* virtual in the container, but addressed */
    assert_int_equal(f->nics[0].naddr, 2);
    assert_string_equal(f->nics[0].addrs[1], "10.195.5.10/24");
    assert_int_equal(f->nics[0].speed_mbps, 10000);
    assert_string_equal(f->management_ip, "10.195.5.10");
    close_fx(x);
}

/* ---- shared pieces ------------------------------------------------------ */

static void test_fs_is_real(void **state)
{
    (void)state;
    assert_true(ag_fs_is_real("ext4", "/"));
    assert_true(ag_fs_is_real("xfs", "/var/lib/dockerish"));
    assert_true(ag_fs_is_real("overlay", "/")); /* a container's root */
    assert_false(ag_fs_is_real("overlay", "/var/lib/docker/overlay2/x/merged"));
    assert_false(ag_fs_is_real("tmpfs", "/run"));
    assert_false(ag_fs_is_real("nfs4", "/mnt/share"));
    assert_false(ag_fs_is_real("ext4", "/dev/shm"));
    assert_true(ag_fs_is_real("ext4", "/devel"));
    assert_false(ag_fs_is_real("squashfs", "/snap/core18/1"));
}

static void test_line_reader_long_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/cairn-agent-lines-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("short\n", f);
    for (int i = 0; i < 300; i++)
        fputc('x', f);
    fputs("\nafter\nlast-without-newline", f);
    fclose(f);
    char buf[64];
    pf_lines r;
    assert_int_equal(pf_lines_open(&r, "/", path, buf, sizeof buf), 0);
    assert_string_equal(pf_lines_next(&r), "short");
    char *l = pf_lines_next(&r);
    assert_int_equal(strlen(l), sizeof buf - 1); /* cut to the buffer */
    assert_string_equal(pf_lines_next(&r), "after");
    assert_string_equal(pf_lines_next(&r), "last-without-newline");
    assert_null(pf_lines_next(&r));
    pf_lines_close(&r);
    unlink(path);
}

static void test_number_parsers(void **state)
{
    (void)state;
    uint64_t v;
    double d;
    assert_non_null(pf_u64("  18446744073709551615", &v));
    assert_true(v == UINT64_MAX);
    assert_non_null(pf_u64("99999999999999999999999", &v)); /* saturates */
    assert_true(v == UINT64_MAX);
    assert_null(pf_u64("-1", &v));
    assert_non_null(pf_hex(" 0A ", &v));
    assert_int_equal(v, 10);
    assert_non_null(pf_double("1570.50", &d));
    assert_true(d > 1570.49 && d < 1570.51);
    char out[32];
    pf_token_unescape("/srv/a\\040b\\011c rest", out, sizeof out);
    assert_string_equal(out, "/srv/a b\tc");
}

static void test_missing_files(void **state)
{
    (void)state;
    fx *x = open_fx("no-such-fixture");
    assert_int_equal(ag_collect(&x->ctx, AG_METRIC), 8); /* every collector fails … */
    assert_int_equal(x->m.have, 0);                     /* … and says so */
    close_fx(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debian12_metrics),   cmocka_unit_test(test_debian12_tcp_summary),
        cmocka_unit_test(test_debian12_facts),     cmocka_unit_test(test_centos7_metrics),
        cmocka_unit_test(test_centos7_facts),      cmocka_unit_test(test_centos6_metrics),
        cmocka_unit_test(test_centos6_facts),      cmocka_unit_test(test_ubuntu_lxc_metrics),
        cmocka_unit_test(test_ubuntu_lxc_facts),   cmocka_unit_test(test_fs_is_real),
        cmocka_unit_test(test_line_reader_long_lines), cmocka_unit_test(test_number_parsers),
        cmocka_unit_test(test_missing_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
