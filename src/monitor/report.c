/* report.c -- checking an agent report before anything of it is stored.
 *
 * Pure functions over a parsed JSON value: no database, no files, so the
 * libFuzzer target (tests/fuzz/fuzz_report.c) and the unit tests exercise
 * exactly what the server runs. The rules follow docs/AGENT.md: unknown
 * fields are ignored, known ones must have their type, numbers must be
 * finite, text must be valid single-line UTF-8, lists are bounded.
 */
#include "monitor/report.h"

#include "common/util.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SERIES 64
/* The facts object as stored (host_fact_docs): real ones are a few KiB even
 * with hundreds of NICs and disks; unknown fields must not fill the database. */
#define MAX_FACTS_BYTES (256u << 10)

static bool str_ok(const json_t *v, size_t max)
{
    return !v || (json_is_string(v) && json_string_length(v) <= max &&
                  util_utf8_valid(json_string_value(v), json_string_length(v)) &&
                  !strpbrk(json_string_value(v), "\n\r\t"));
}

static bool facts_check(const json_t *f, char *err, size_t errlen)
{
    static const char *const strs[] = {"hostname", "fqdn", "machine_id", "management_ip", "kernel", "arch",
                                       "vendor", "model", "serial", "bios", "virtualization", NULL};
    for (const char *const *k = strs; *k; k++)
        if (!str_ok(json_object_get(f, *k), 256)) {
            snprintf(err, errlen, "facts.%s must be text of at most 256 bytes", *k);
            return false;
        }
    /* The hostname names a host in the CMDB: never blank (AGENT.md: unknown
     * fields are left out, never sent empty), at most a DNS name long. */
    json_t *hn = json_object_get(f, "hostname");
    if (hn && (json_string_length(hn) == 0 || json_string_length(hn) > 253)) {
        snprintf(err, errlen, "facts.hostname must be 1 to 253 bytes");
        return false;
    }
    if (json_dumpb(f, NULL, 0, JSON_COMPACT) > MAX_FACTS_BYTES) {
        snprintf(err, errlen, "facts are larger than %u KiB", MAX_FACTS_BYTES >> 10);
        return false;
    }
    const char *mgmt = json_string_value(json_object_get(f, "management_ip"));
    unsigned char addr[16];
    if (mgmt && inet_pton(AF_INET, mgmt, addr) != 1 && inet_pton(AF_INET6, mgmt, addr) != 1) {
        snprintf(err, errlen, "facts.management_ip must be an IP address");
        return false;
    }
    static const char *const nums[] = {"memory_bytes", "swap_bytes", "boot_time", NULL};
    for (const char *const *k = nums; *k; k++) {
        json_t *v = json_object_get(f, *k);
        if (v && (!json_is_number(v) || json_number_value(v) < 0)) {
            snprintf(err, errlen, "facts.%s must be a non-negative number", *k);
            return false;
        }
    }
    static const char *const objs[] = {"os", "cpu", NULL};
    for (const char *const *k = objs; *k; k++) {
        json_t *v = json_object_get(f, *k);
        if (v && !json_is_object(v)) {
            snprintf(err, errlen, "facts.%s must be an object", *k);
            return false;
        }
    }
    static const char *const lists[] = {"nics", "disks", "filesystems", NULL};
    for (const char *const *k = lists; *k; k++) {
        json_t *v = json_object_get(f, *k);
        if (v && (!json_is_array(v) || json_array_size(v) > 256)) {
            snprintf(err, errlen, "facts.%s must be an array of at most 256 entries", *k);
            return false;
        }
    }
    if (!str_ok(json_object_get(json_object_get(f, "os"), "pretty"), 256) ||
        !str_ok(json_object_get(json_object_get(f, "cpu"), "model"), 256)) {
        snprintf(err, errlen, "facts.os.pretty and facts.cpu.model must be short text");
        return false;
    }
    json_t *threads = json_object_get(json_object_get(f, "cpu"), "threads");
    if (threads && (!json_is_integer(threads) || json_integer_value(threads) < 0)) {
        snprintf(err, errlen, "facts.cpu.threads must be an integer");
        return false;
    }
    return true;
}

/* ---- checking ------------------------------------------------------------ */

typedef struct {
    char msg[256];
} check_err;

static bool fail(check_err *e, const char *fmt, const char *a)
{
    snprintf(e->msg, sizeof e->msg, fmt, a);
    return false;
}

static bool is_num(const json_t *v)
{
    return json_is_number(v) && isfinite(json_number_value(v));
}

/* Every present member of o listed in keys must be a finite number. */
static bool numbers(const json_t *o, const char *const *keys, const char *where, check_err *e)
{
    if (o && !json_is_object(o))
        return fail(e, "%s must be an object", where);
    for (; *keys; keys++) {
        json_t *v = json_object_get(o, *keys);
        if (v && !is_num(v)) {
            snprintf(e->msg, sizeof e->msg, "%s.%s must be a number", where, *keys);
            return false;
        }
    }
    return true;
}

static bool named_list(const json_t *a, const char *key, const char *const *nums, const char *where,
                       check_err *e)
{
    if (!a)
        return true;
    if (!json_is_array(a) || json_array_size(a) > MAX_SERIES)
        return fail(e, "%s must be an array of at most 64 entries", where);
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        const char *name = json_string_value(json_object_get(x, key));
        if (!name || !*name || strlen(name) > 200 || !util_utf8_valid(name, strlen(name)))
            return fail(e, "every entry of %s needs a name", where);
        if (!numbers(x, nums, where, e))
            return false;
    }
    return true;
}

static const char *const cpu_keys[] = {"user", "system", "iowait", "steal", "idle", NULL};
static const char *const mem_keys[] = {"total", "used", "available", "buffers", "cached", NULL};
static const char *const swap_keys[] = {"total", "used", NULL};
const char *const report_fs_keys[] = {"used", "free", "inodes_used", "inodes_free", NULL};
const char *const report_disk_keys[] = {"read_bytes", "write_bytes", "reads", "writes", "util", NULL};
const char *const report_nic_keys[] = {"rx_bytes", "tx_bytes", "rx_packets", "tx_packets", "rx_errors",
                                       "tx_errors", NULL};
static const char *const tcp_keys[] = {"established", "time_wait", "listen", "other", NULL};

static bool check_metrics(const json_t *m, check_err *e)
{
    if (!m)
        return true;
    if (!json_is_object(m))
        return fail(e, "%s must be an object", "metrics");
    json_t *load = json_object_get(m, "load");
    if (load) {
        if (!json_is_array(load) || json_array_size(load) != 3)
            return fail(e, "%s must be [load1, load5, load15]", "metrics.load");
        for (size_t i = 0; i < 3; i++)
            if (!is_num(json_array_get(load, i)))
                return fail(e, "%s must hold numbers", "metrics.load");
    }
    json_t *procs = json_object_get(m, "processes"), *up = json_object_get(m, "uptime");
    if ((procs && !is_num(procs)) || (up && !is_num(up)))
        return fail(e, "%s must be numbers", "metrics.processes and metrics.uptime");
    return numbers(json_object_get(m, "cpu"), cpu_keys, "metrics.cpu", e) &&
           numbers(json_object_get(m, "memory"), mem_keys, "metrics.memory", e) &&
           numbers(json_object_get(m, "swap"), swap_keys, "metrics.swap", e) &&
           numbers(json_object_get(m, "tcp"), tcp_keys, "metrics.tcp", e) &&
           named_list(json_object_get(m, "filesystems"), "mount", report_fs_keys, "metrics.filesystems", e) &&
           named_list(json_object_get(m, "disks"), "name", report_disk_keys, "metrics.disks", e) &&
           named_list(json_object_get(m, "nics"), "name", report_nic_keys, "metrics.nics", e);
}

static bool check_one(const json_t *rep, check_err *e)
{
    if (!json_is_object(rep))
        return fail(e, "%s must be a JSON object", "a report");
    json_t *v = json_object_get(rep, "v"), *t = json_object_get(rep, "time");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return fail(e, "%s: this server understands report version 1", "v");
    int64_t now = util_now();
    if (!json_is_integer(t) || json_integer_value(t) < now - 400 * 86400 || json_integer_value(t) > now + 600)
        return fail(e, "%s must be a Unix time within the last 400 days (check the host's clock)", "time");
    json_t *iv = json_object_get(rep, "interval"), *dr = json_object_get(rep, "dropped");
    json_t *seq = json_object_get(rep, "seq");
    if (seq && (!json_is_integer(seq) || json_integer_value(seq) < 0))
        return fail(e, "%s must be a non-negative integer", "seq");
    if (iv && (!json_is_integer(iv) || json_integer_value(iv) < 1 || json_integer_value(iv) > 86400))
        return fail(e, "%s must be 1 to 86400 seconds", "interval");
    if (dr && (!json_is_integer(dr) || json_integer_value(dr) < 0))
        return fail(e, "%s must be a non-negative integer", "dropped");
    const char *av = json_string_value(json_object_get(rep, "agent_version"));
    if (json_object_get(rep, "agent_version") && (!av || strlen(av) > 32))
        return fail(e, "%s must be short text", "agent_version");
    json_t *facts = json_object_get(rep, "facts");
    if (facts && !json_is_object(facts))
        return fail(e, "%s must be an object", "facts");
    if (facts && !facts_check(facts, e->msg, sizeof e->msg))
        return false;
    return check_metrics(json_object_get(rep, "metrics"), e);
}

bool report_check(const json_t *rep, char *err, size_t errlen)
{
    check_err e = {{0}};
    if (check_one(rep, &e))
        return true;
    snprintf(err, errlen, "%s", e.msg);
    return false;
}
