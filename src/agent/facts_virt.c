/* facts_virt.c -- fact collector "virt": container and hypervisor, in the
 * spirit of systemd-detect-virt and with its names.
 *
 * Container: /run/systemd/container (written by systemd-nspawn, LXC,
 * podman …), /.dockerenv, /run/.containerenv, the cgroup of PID 1
 * (docker, lxc, kubepods), OpenVZ's /proc/vz without /proc/bc, WSL's
 * kernel name. Hypervisor: DMI vendor strings, then (on the live x86 system
 * only) the CPUID hypervisor leaf, then /sys/hypervisor/type, then the
 * "hypervisor" CPU flag ("vm-other"). `virtualization` is the container
 * when there is one (as systemd-detect-virt answers), else the hypervisor,
 * else "none"; `hypervisor` keeps the VM under a container. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static bool exists(ag_ctx *c, const char *path)
{
    char full[1024];
    return pf_path(c->root, path, full, sizeof full) == 0 && access(full, F_OK) == 0;
}

static const char *container(ag_ctx *c)
{
    static char from_file[32];
    if (pf_read_str(c->root, "/run/systemd/container", from_file, sizeof from_file) > 0)
        return strcmp(from_file, "oci") == 0 ? "container-other" : from_file;
    if (exists(c, "/.dockerenv"))
        return "docker";
    if (exists(c, "/run/.containerenv"))
        return "podman";
    char b[4096];
    if (pf_read(c->root, "/proc/1/cgroup", b, sizeof b, NULL) > 0) {
        if (strstr(b, "/docker/") || strstr(b, "/docker-"))
            return "docker";
        if (strstr(b, "/lxc/") || strstr(b, "/lxc.payload"))
            return "lxc";
        if (strstr(b, "kubepods"))
            return "container-other";
    }
    if (exists(c, "/proc/vz") && !exists(c, "/proc/bc"))
        return "openvz";
    if (pf_read_str(c->root, "/proc/sys/kernel/osrelease", b, sizeof b) > 0 &&
        (strstr(b, "Microsoft") || strstr(b, "microsoft")))
        return "wsl";
    return NULL;
}

static const char *dmi_vm(ag_ctx *c)
{
    static const struct {
        const char *needle, *name;
    } table[] = {
        {"KVM", "kvm"}, {"Amazon EC2", "amazon"}, {"QEMU", "qemu"}, {"VMware", "vmware"},
        {"VMW", "vmware"}, {"innotek GmbH", "oracle"}, {"VirtualBox", "oracle"},
        {"Xen", "xen"}, {"Bochs", "bochs"}, {"Parallels", "parallels"}, {"BHYVE", "bhyve"},
        {"Google", "google"}, {"Hyper-V", "microsoft"}, {"Apple Virtualization", "apple"},
    };
    static const char *const attrs[] = {"product_name", "sys_vendor", "board_vendor", "bios_vendor",
                                        "product_version"};
    for (size_t a = 0; a < sizeof attrs / sizeof attrs[0]; a++) {
        char path[96], v[128];
        snprintf(path, sizeof path, "/sys/class/dmi/id/%s", attrs[a]);
        if (pf_read_str(c->root, path, v, sizeof v) <= 0)
            continue;
        for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
            if (strncmp(v, table[i].needle, strlen(table[i].needle)) == 0)
                return table[i].name;
        if (strcmp(v, "Virtual Machine") == 0 && a == 0) /* Hyper-V's product name */
            return "microsoft";
    }
    return NULL;
}

static const char *cpuid_vm(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 31)))
        return NULL;
    __cpuid(0x40000000, eax, ebx, ecx, edx);
    char sig[13];
    memcpy(sig, &ebx, 4);
    memcpy(sig + 4, &ecx, 4);
    memcpy(sig + 8, &edx, 4);
    sig[12] = '\0';
    static const struct {
        const char *sig, *name;
    } table[] = {
        {"KVMKVMKVM", "kvm"}, {"Linux KVM Hv", "kvm"}, {"Microsoft Hv", "microsoft"},
        {"VMwareVMware", "vmware"}, {"XenVMMXenVMM", "xen"}, {"TCGTCGTCGTCG", "qemu"},
        {"bhyve bhyve ", "bhyve"}, {" lrpepyh  vr", "parallels"}, {"ACRNACRNACRN", "acrn"},
        {"VBoxVBoxVBox", "oracle"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(sig, table[i].sig) == 0)
            return table[i].name;
    return "vm-other";
#else
    return NULL;
#endif
}

static const char *vm(ag_ctx *c)
{
    /* DMI names the cloud (amazon, google …) where CPUID only says kvm;
     * for plain QEMU/KVM guests CPUID tells kvm from emulation. */
    const char *v = dmi_vm(c), *id = strcmp(c->root, "/") == 0 ? cpuid_vm() : NULL;
    if (v && !(id && (strcmp(v, "qemu") == 0 || strcmp(v, "kvm") == 0)))
        return v;
    if (id)
        return id;
    char b[64];
    if (pf_read_str(c->root, "/sys/hypervisor/type", b, sizeof b) > 0 && strcmp(b, "xen") == 0)
        return "xen";
    pf_lines r;
    if (pf_lines_open(&r, c->root, "/proc/cpuinfo", c->buf, c->cap) == 0) {
        char *line;
        while ((line = pf_lines_next(&r)))
            if (strncmp(line, "flags", 5) == 0) {
                if (strstr(line, " hypervisor"))
                    v = "vm-other";
                break;
            }
        pf_lines_close(&r);
    }
    return v;
}

int ag_coll_facts_virt(ag_ctx *c)
{
    ag_facts *f = c->f;
    const char *ct = container(c), *hv = vm(c);
    pf_copy(f->virtualization, sizeof f->virtualization, ct ? ct : hv ? hv : "none");
    if (ct && hv)
        pf_copy(f->hypervisor, sizeof f->hypervisor, hv);
    return 0;
}
