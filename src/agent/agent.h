/* agent.h -- cairn-agent's data model and collector interface.
 *
 * A collection fills two plain structs with fixed-size arrays and no
 * pointers: ag_sample (metrics: counters and gauges as the kernel reports
 * them, read every interval) and ag_facts (inventory: read at start and then
 * every few minutes). Rates and percentages are derived later from two
 * samples (report.h), and the same structs feed the JSON report and the
 * Prometheus page, so no collector knows about either output format.
 *
 * Collectors are listed in ONE table (collectors.c), as collectd lists its
 * plugins. Each is a function `int run(ag_ctx *)` in a file of its own that
 * reads /proc and /sys below ctx->root ("/" in production, a fixture
 * directory in tests), writes only its own part of the output struct, sets
 * its AG_HAVE_* bit on success and returns 0, or returns -1 when its source
 * is missing or unreadable (the section is then absent from the report).
 * Collectors never allocate on the heap: they read each file once into the
 * caller's scratch buffer (ctx->buf) and parse it in place.
 */
#ifndef CAIRN_AGENT_H
#define CAIRN_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct statvfs;
struct ifaddrs;

/* Bounds of every array below. Entries past a bound are ignored (and
 * counted in ag_sample.truncated), never written out of bounds. */
#define AG_MAX_CPUS 256
#define AG_MAX_FS 64
#define AG_MAX_DISKS 64
#define AG_MAX_NICS 64
#define AG_MAX_ADDRS 8
#define AG_NAME_LEN 48  /* device and interface names (kernel: 32 and 16) */
#define AG_PATH_LEN 256 /* mount points and device paths */
#define AG_STR_LEN 128  /* DMI strings, CPU model, OS fields */

/* TCP states as numbered in include/net/tcp_states.h (index = state). */
enum {
    AG_TCP_ESTABLISHED = 1, AG_TCP_SYN_SENT, AG_TCP_SYN_RECV, AG_TCP_FIN_WAIT1,
    AG_TCP_FIN_WAIT2, AG_TCP_TIME_WAIT, AG_TCP_CLOSE, AG_TCP_CLOSE_WAIT,
    AG_TCP_LAST_ACK, AG_TCP_LISTEN, AG_TCP_CLOSING, AG_TCP_NEW_SYN_RECV,
    AG_TCP_NSTATES
};

/* Which sections of an ag_sample were filled. */
enum {
    AG_HAVE_CPU = 1u << 0, AG_HAVE_LOAD = 1u << 1, AG_HAVE_MEM = 1u << 2,
    AG_HAVE_FS = 1u << 3, AG_HAVE_DISKS = 1u << 4, AG_HAVE_NICS = 1u << 5,
    AG_HAVE_TCP = 1u << 6, AG_HAVE_PROCS = 1u << 7, AG_HAVE_UPTIME = 1u << 8,
};

/* Jiffies (USER_HZ ticks) per mode, one "cpu" line of /proc/stat. Modes a
 * kernel does not report (steal before 2.6.11 …) stay 0. guest and
 * guest_nice are already included in user and nice. */
typedef struct {
    uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
} ag_cpu_ticks;

typedef struct {
    char mount[AG_PATH_LEN];
    char device[AG_PATH_LEN];
    char type[32];
    uint64_t size, free, avail; /* bytes: total, free to root, free to users */
    uint64_t files, files_free; /* inodes */
} ag_fs;

typedef struct {
    char name[AG_NAME_LEN];
    uint64_t reads, read_sectors, writes, write_sectors; /* sectors are 512 B */
    uint64_t io_ms; /* milliseconds spent doing I/O (field 10) */
} ag_disk;

typedef struct {
    char name[AG_NAME_LEN];
    uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
    uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
} ag_nic;

/* /proc/meminfo, in bytes. */
typedef struct {
    uint64_t total, free, available, buffers, cached, sreclaimable, shmem;
    uint64_t swap_total, swap_free;
    bool available_estimated; /* no MemAvailable (kernel < 3.14) */
} ag_mem;

/* One metrics collection. Counters are raw (since boot); see report.h. */
typedef struct {
    unsigned have;      /* AG_HAVE_* bits */
    int64_t time;       /* wall clock, Unix seconds */
    double mono_ms;     /* monotonic clock, for rate intervals */
    unsigned truncated; /* entries ignored because an array was full */

    ag_cpu_ticks cpu; /* the aggregate "cpu" line */
    uint64_t ctxt, forks, procs_running, procs_blocked, boot_time;
    double load[3];
    uint64_t threads; /* scheduling entities, /proc/loadavg field 4 */
    ag_mem mem;
    /* TCP, tcp + tcp6. With tcp_exact, tcp[] counts sockets per state (a
     * walk of every socket); without, only tcp[ESTABLISHED] (which then
     * includes CLOSE_WAIT: the MIB's CurrEstab), tcp[TIME_WAIT] and
     * tcp[LISTEN] are set, and tcp_alloc is the kernel's count of TCP
     * sockets (all states but TIME_WAIT and SYN_RECV). */
    uint32_t tcp[AG_TCP_NSTATES];
    bool tcp_exact, tcp_listen_known;
    uint64_t tcp_alloc;
    uint64_t processes;
    double uptime; /* seconds */
    int ncpu, nfs, ndisk, nnic; /* valid entries of the arrays below */

    /* Arrays last: ag_collect() clears everything above and only the
     * first n entries of each array are meaningful. */
    int cpu_id[AG_MAX_CPUS];
    ag_cpu_ticks cpus[AG_MAX_CPUS];
    ag_fs fs[AG_MAX_FS];
    ag_disk disks[AG_MAX_DISKS];
    ag_nic nics[AG_MAX_NICS];
} ag_sample;

/* The part of ag_sample that ag_collect() zeroes before a collection. */
#define AG_SAMPLE_HEAD offsetof(ag_sample, cpu_id)

typedef struct {
    char name[AG_NAME_LEN];
    char mac[32];
    int speed_mbps; /* -1 when unknown (virtual, link down) */
    int naddr;
    char addrs[AG_MAX_ADDRS][64]; /* "10.0.0.5/24", "fe80::1/64" */
} ag_fact_nic;

typedef struct {
    char name[AG_NAME_LEN];
    uint64_t size_bytes;
    char model[AG_STR_LEN];
    int rotational; /* 1, 0, or -1 when unknown */
} ag_fact_disk;

typedef struct {
    char mount[AG_PATH_LEN];
    char type[32];
    char device[AG_PATH_LEN];
    uint64_t size_bytes;
} ag_fact_fs;

/* Inventory. Empty strings and zero counts mean "unknown" and are left out
 * of the report. */
typedef struct {
    char hostname[256], fqdn[256], machine_id[64], management_ip[64];
    char os_id[64], os_name[AG_STR_LEN], os_version[64], os_pretty[AG_STR_LEN];
    char kernel[AG_STR_LEN], arch[32];
    char vendor[AG_STR_LEN], model[AG_STR_LEN], serial[AG_STR_LEN];
    char bios[AG_STR_LEN], bios_vendor[AG_STR_LEN], bios_date[32];
    char cpu_model[AG_STR_LEN];
    int cpu_sockets, cpu_cores, cpu_threads;
    uint64_t memory_bytes, swap_bytes;
    int nnic;
    ag_fact_nic nics[AG_MAX_NICS];
    int ndisk;
    ag_fact_disk disks[AG_MAX_DISKS];
    int nfs;
    ag_fact_fs fs[AG_MAX_FS];
    char virtualization[32]; /* "none", "kvm", "docker" … */
    char hypervisor[32];     /* the VM under a container, when both are seen */
    int64_t boot_time;
} ag_facts;

/* Whole-disk names seen in /sys/block, cached between collections so the
 * disks collector tells disks from partitions without a syscall per line.
 * Zero-initialise; owned by the ctx's owner. */
typedef struct {
    bool valid;
    int nwhole, npart;
    char whole[AG_MAX_DISKS][AG_NAME_LEN];
    char part[128][AG_NAME_LEN];
} ag_disk_cache;

/* What every collector gets. The caller owns everything it points to. */
typedef struct ag_ctx {
    const char *root; /* "/" or a directory standing in for it; never NULL */
    char *buf;        /* scratch buffer collectors may overwrite */
    size_t cap;       /* its size (64 KiB is plenty) */
    ag_sample *m;     /* metrics output (metric collectors) */
    ag_facts *f;      /* facts output (fact collectors) */
    ag_disk_cache *disk_cache; /* may be NULL: then /sys/block is read each time */
    /* The server cairn-agent reports to, for the management IP (NULL: use
     * the default route's interface). */
    const char *server_host, *server_port;
    /* TCP by state from every socket (/proc/net/tcp, tcp6) instead of the
     * kernel's counters: exact, but the kernel walks its whole established
     * hash (~1.4 ms per file on a 24 GB machine, more on bigger ones). */
    bool tcp_full;
    /* System calls that tests replace; NULL means the real one. */
    int (*statvfs_fn)(const char *path, struct statvfs *st);
    int (*getifaddrs_fn)(struct ifaddrs **ifap);
    void (*freeifaddrs_fn)(struct ifaddrs *ifa);
} ag_ctx;

typedef enum { AG_METRIC = 1, AG_FACT = 2 } ag_kind;

typedef struct {
    const char *name;
    ag_kind kind;
    int (*run)(ag_ctx *c); /* 0, or -1 when its sources were unusable */
} ag_collector;

/* The table (collectors.c) and its length. */
extern const ag_collector ag_collectors[];
extern const size_t ag_ncollectors;

/* Run every collector of `kind` in table order. Clears the matching output
 * struct first (a sample up to AG_SAMPLE_HEAD) (c->m or c->f must be set), stamps a metrics sample with the
 * wall and monotonic clocks, and goes on past a failing collector. Returns
 * the number of collectors that failed. */
int ag_collect(ag_ctx *c, ag_kind kind);

/* Collectors (one file each; see the table for which are facts). */
int ag_coll_cpu(ag_ctx *c);          /* cpu.c: /proc/stat */
int ag_coll_load(ag_ctx *c);         /* load.c: /proc/loadavg */
int ag_coll_memory(ag_ctx *c);       /* memory.c: /proc/meminfo */
int ag_coll_filesystems(ag_ctx *c);  /* filesystems.c: /proc/self/mounts + statvfs */
int ag_coll_disks(ag_ctx *c);        /* disks.c: /proc/diskstats, /sys/block */
int ag_coll_nics(ag_ctx *c);         /* nics.c: /proc/net/dev */
int ag_coll_tcp(ag_ctx *c);          /* tcp.c: /proc/net/snmp, sockstat, or tcp+tcp6 */
int ag_coll_procs(ag_ctx *c);        /* procs.c: /proc entries, /proc/uptime */
int ag_coll_facts_host(ag_ctx *c);   /* facts_host.c: names, OS, kernel, boot */
int ag_coll_facts_dmi(ag_ctx *c);    /* facts_dmi.c: /sys/class/dmi/id */
int ag_coll_facts_cpu(ag_ctx *c);    /* facts_cpu.c: /proc/cpuinfo, totals */
int ag_coll_facts_storage(ag_ctx *c);/* facts_storage.c: /sys/block, mounts */
int ag_coll_facts_net(ag_ctx *c);    /* facts_net.c: /sys/class/net, addresses */
int ag_coll_facts_virt(ag_ctx *c);   /* facts_virt.c: container / hypervisor */

/* Close what the collectors keep open between collections (the files of
 * pf_read_keep and the /proc directory): at exit, and in tests. */
void ag_collectors_close(void);
void ag_procs_close(void); /* procs.c's part of it */

/* Shared parsers, exposed for the facts collectors and the tests. */

/* Parse /proc/meminfo below c->root into *mem (bytes; zeroed first).
 * Uses c->buf. 0, or -1 when unreadable or without MemTotal. */
int ag_meminfo_parse(ag_ctx *c, ag_mem *mem);

/* Read the real (non-pseudo, local) filesystems of /proc/self/mounts into
 * out (at most max), with their statvfs numbers; a mount point listed twice
 * keeps its last (visible) entry. Returns the number found or -1 when the
 * mounts file is unreadable. *truncated counts entries past max. */
int ag_fs_scan(ag_ctx *c, ag_fs *out, int max, unsigned *truncated);

/* True when a filesystem type / mount point pair is one the agent measures
 * (not proc, sysfs, tmpfs, cgroup, overlay layers of container engines,
 * snaps, nor a network filesystem that could block statvfs). */
bool ag_fs_is_real(const char *type, const char *mount);

#endif
