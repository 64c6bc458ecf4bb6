/* facts_dmi.c -- fact collector "dmi": /sys/class/dmi/id.
 *
 * vendor (sys_vendor), model (product_name), serial (product_serial, mode
 * 0400 root on most machines: read when readable, omitted otherwise), BIOS
 * version, vendor and date. Firmware placeholders ("To be filled by
 * O.E.M.", "Not Specified", "Default string" …) count as unknown. Containers
 * and many ARM boards have no DMI at all: that is not an error. */
#include "agent/agent.h"
#include "agent/procfile.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const placeholders[] = {
    "To be filled by O.E.M.", "To Be Filled By O.E.M.", "Not Specified", "Not Applicable",
    "Default string", "System Serial Number", "System Product Name", "System manufacturer",
    "None", "N/A", "0", "0123456789", "Unknown", "OEM", "O.E.M.", "Type1ProductConfigId",
};

static void dmi(ag_ctx *c, const char *attr, char *out, size_t cap)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/dmi/id/%s", attr);
    if (pf_read_str(c->root, path, out, cap) < 0)
        return;
    for (size_t i = 0; i < sizeof placeholders / sizeof placeholders[0]; i++)
        if (strcasecmp(out, placeholders[i]) == 0) {
            out[0] = '\0';
            return;
        }
    /* Some firmware pads with spaces or fills with 0xff bytes. */
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0xff)
            *p = ' ';
    pf_rtrim(out);
}

int ag_coll_facts_dmi(ag_ctx *c)
{
    ag_facts *f = c->f;
    dmi(c, "sys_vendor", f->vendor, sizeof f->vendor);
    dmi(c, "product_name", f->model, sizeof f->model);
    dmi(c, "product_serial", f->serial, sizeof f->serial);
    dmi(c, "bios_version", f->bios, sizeof f->bios);
    dmi(c, "bios_vendor", f->bios_vendor, sizeof f->bios_vendor);
    dmi(c, "bios_date", f->bios_date, sizeof f->bios_date);
    return 0;
}
