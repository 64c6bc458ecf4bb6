/* fuzz_report.c -- libFuzzer target for the agent report checker.
 *
 * Any byte string is parsed as JSON the way ingest.c does and given to
 * report_check(); the checker must never crash, leak or read out of bounds
 * (built with ASan and UBSan). `make fuzz` runs it for a minute; `make test`
 * runs it briefly. Seeds are in tests/fuzz/corpus/report/.
 */
#include "monitor/report.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    if (json_is_object(j) && json_is_array(json_object_get(j, "reports"))) {
        size_t i;
        json_t *r;
        json_array_foreach(json_object_get(j, "reports"), i, r)
            report_check(r, err, sizeof err);
    } else {
        report_check(j, err, sizeof err);
    }
    json_decref(j);
    return 0;
}
