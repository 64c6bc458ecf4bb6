/* validate.h -- checking a JSON request body against a field table.
 *
 * One table per body lists every accepted field with its type and limits;
 * anything else in the body is refused (unknown field), as are wrong types,
 * out-of-range numbers and over-long text. The first problem is answered
 * 400 with the field named, so the console can show it beside the input.
 */
#ifndef CAIRN_VALIDATE_H
#define CAIRN_VALIDATE_H

#include "http/http.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    VT_STRING,     /* max = longest length in characters */
    VT_INT,        /* min..max */
    VT_BOOL,       /* true/false (0/1 also accepted) */
    VT_ID_ARRAY,   /* array of positive integers, max = longest array */
    VT_STR_ARRAY,  /* array of strings, max = longest array */
} val_type;

enum {
    VF_REQUIRED = 1 << 0, /* must be present on create */
    VF_NULLABLE = 1 << 1, /* null accepted */
    VF_LINE = 1 << 2,     /* single line: no control characters */
    VF_IDENT = 1 << 3,    /* letters, digits and . _ - @ only */
    VF_NONEMPTY = 1 << 4, /* text must not be empty */
};

typedef struct {
    const char *name;  /* NULL ends the table */
    val_type type;
    unsigned flags;
    int64_t min, max;
} val_field;

/* Check body against fields. partial (PATCH) skips VF_REQUIRED. Returns
 * false after answering 400. */
bool val_check(http_resp *w, const json_t *body, const val_field *fields, bool partial);

/* A value as 0/1 for VT_BOOL fields (true, false, 0, 1). */
int64_t val_bool(const json_t *v);

#endif
