/* report.h -- the shape of an agent report (docs/AGENT.md), checked. */
#ifndef CAIRN_REPORT_H
#define CAIRN_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The per-second fields of each list, in the order of the RRD data sources
 * (tsdb.h), NULL-terminated. */
extern const char *const report_fs_keys[];
extern const char *const report_disk_keys[];
extern const char *const report_nic_keys[];

/* True when rep is a well-formed version-1 report; otherwise false with the
 * reason in err (always NUL-terminated). Never stores or changes anything. */
bool report_check(const json_t *rep, char *err, size_t errlen);

#endif
