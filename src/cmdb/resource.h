/* resource.h -- CMDB resources described once, served by one generic layer.
 *
 * A resource (hosts, idcs, cabinets, credentials, projects…) is a table of
 * `res_field`s: name, type, limits, flags, references. From that single
 * description the layer derives:
 *   - validation of JSON bodies (unknown fields, types, limits, references);
 *   - the SQL for list, get, create, update, delete (column names only ever
 *     come from the description; values are always bound);
 *   - the JSON of each row (references expanded with their display name,
 *     secrets replaced by "<field>_set": true/false);
 *   - CSV export and import (headers in English or Chinese);
 *   - GET /api/v1/schema, from which the console builds tables and forms.
 * Adding a field means adding a column in a migration and one line in
 * resources.c. Routes are declared in api/routes.c with RESOURCE_ROUTES().
 *
 * Every table has a search_text column (the lower-cased searchable fields,
 * one per line), indexed by trigrams on both backends, so that ?q= finds any
 * substring without reading every row. tests/unit/test_resource.c checks the
 * descriptions against the migrated schema.
 */
#ifndef CAIRN_RESOURCE_H
#define CAIRN_RESOURCE_H

#include "http/http.h"
#include "store/db.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    FT_TEXT,    /* single line; max = characters */
    FT_NOTE,    /* multi-line text; max = characters */
    FT_INT,     /* integer in [min, max] */
    FT_BOOL,    /* stored 0/1 */
    FT_DATE,    /* "YYYY-MM-DD", a real calendar date */
    FT_IP,      /* IPv4 or IPv6 address */
    FT_IPS,     /* list of addresses separated by commas/spaces */
    FT_URL,     /* http(s) URL only (no javascript:) */
    FT_EMAIL,
    FT_DECIMAL, /* non-negative amount with up to 2 decimals, kept as text */
    FT_ENUM,    /* one of enum_values */
    FT_CODE,    /* the `code` of a row of another resource (asset types) */
    FT_REF,     /* id of a row of another resource, or null; with `shared`, the
                   row referred to must agree with ours on that field */
    FT_REFS,    /* many ids through a link table */
    FT_BACKREFS,/* ids of rows of another resource pointing here (cabinet hosts);
                   with `shared`, those rows take our value of that field */
    FT_TAGS,    /* array of short strings, stored as JSON text */
    FT_SECRET,  /* encrypted at rest, never returned: "<name>_set" instead */
    FT_ICON,    /* Font Awesome class names */
} field_type;

enum {
    F_REQUIRED = 1 << 0,
    F_UNIQUE = 1 << 1,   /* refused with 409 when taken */
    F_SEARCH = 1 << 2,   /* part of the q search */
    F_SORT = 1 << 3,     /* allowed in sort= */
    F_FILTER = 1 << 4,   /* allowed as ?name=value filter */
    F_LIST = 1 << 5,     /* a column of the console's table */
    F_READONLY = 1 << 6, /* set by the server (created_at, source…) */
    F_KEY = 1 << 7,      /* natural key: CSV import updates the row with these values
                            (several F_KEY fields form one key together) */
};

/* Which rows a caller limited to some host groups (a role with group_ids)
 * may see and change. Superusers and roles without groups see everything. */
typedef enum {
    RES_SCOPE_NONE,   /* every row */
    RES_SCOPE_HOSTS,  /* rows that are members of the caller's groups (hosts) */
    RES_SCOPE_GROUPS, /* rows that are the caller's groups themselves */
} res_scope;

typedef struct res_field {
    const char *name;          /* JSON name = column name */
    field_type type;
    unsigned flags;
    int64_t min, max;          /* FT_INT range; text: max characters; arrays: max entries */
    const char *ref;           /* FT_REF/FT_CODE/FT_REFS/FT_BACKREFS: the other resource's name */
    const char *const *enums;  /* FT_ENUM: NULL-terminated values */
    const char *link_table;    /* FT_REFS: link table, with the two columns below */
    const char *link_self;     /* FT_REFS: column holding our id; FT_BACKREFS: their column */
    const char *link_other;    /* FT_REFS: column holding the other id */
    const char *filter_name;   /* FT_REFS: the ?name= of the filter (e.g. "group_id") */
    const char *shared;        /* FT_REF/FT_BACKREFS: a field both rows carry that must be
                                  equal (a host's cabinet is in the host's IDC: "idc_id") */
    const char *label_en;
    const char *label_zh;
} res_field;

/* A table outside the CMDB descriptions whose rows refer to rows of a
 * resource (a role limited to a host group): deleting a referenced row is
 * refused, never cascaded silently. */
typedef struct {
    const char *table;  /* the referring table */
    const char *column; /* its column holding our id */
    const char *what;   /* what its rows are, for the message ("roles") */
} res_extref;

typedef struct resource {
    const char *name;          /* URL segment: "hosts" */
    const char *table;         /* SQL table */
    const char *object;        /* audit object type: "host" */
    const char *module;        /* permission module: "assets", "apps" or "settings" */
    const char *display;       /* field shown when other rows refer to this one */
    const char *default_sort;
    const char *fts_table;     /* SQLite FTS5 trigram index over search_text */
    res_scope scope;           /* rows limited to the caller's host groups */
    const char *label_en;
    const char *label_zh;
    const res_field *fields;   /* terminated by a field with name NULL */
    const res_extref *extrefs; /* other tables referring to rows, ended by {NULL}; may be NULL */
} resource;

/* Each resource, for the route table (resources.c). */
extern const resource res_hosts, res_groups, res_idcs, res_cabinets, res_asset_types,
    res_asset_statuses, res_credentials, res_owners, res_products, res_projects, res_regions,
    res_branches, res_resources, res_nav;

/* All resources, NULL-terminated (resources.c). */
extern const resource *const cmdb_resources[];

/* The resource called `name`, or NULL. */
const resource *resource_find(const char *name);

/* The field `name` of res, or NULL. */
const res_field *resource_field(const resource *res, const char *name);

/* Handlers; the route's ctx is the resource. */
void resource_list(http_req *r, http_resp *w);    /* GET  /api/v1/<res>[?format=csv] */
void resource_get(http_req *r, http_resp *w);     /* GET  /api/v1/<res>/{id} */
void resource_create(http_req *r, http_resp *w);  /* POST /api/v1/<res> */
void resource_update(http_req *r, http_resp *w);  /* PUT|PATCH /api/v1/<res>/{id} */
void resource_delete(http_req *r, http_resp *w);  /* DELETE /api/v1/<res>/{id} */
void resource_bulk_delete(http_req *r, http_resp *w); /* POST /api/v1/<res>/bulk-delete {"ids":[…]} */
void resource_import(http_req *r, http_resp *w);  /* POST /api/v1/<res>/import (text/csv) */
void resource_schema(http_req *r, http_resp *w);  /* GET  /api/v1/schema */

/* The routes of one resource, for api/routes.c. */
#define RESOURCE_ROUTES(path, mod, res, obj)                                                    \
    {"GET", path, mod ":view", resource_list, NULL, 0, 0, res},                                 \
    {"POST", path, mod ":edit", resource_create, obj ".create", 0, 0, res},                     \
    {"POST", path "/bulk-delete", mod ":edit", resource_bulk_delete, obj ".bulk_delete", 0, 0, res}, \
    {"POST", path "/import", mod ":edit", resource_import, obj ".import", 0, 16u << 20, res},   \
    {"GET", path "/{id}", mod ":view", resource_get, NULL, 0, 0, res},                          \
    {"PUT", path "/{id}", mod ":edit", resource_update, obj ".update", 0, 0, res},              \
    {"PATCH", path "/{id}", mod ":edit", resource_update, obj ".update", 0, 0, res},            \
    {"DELETE", path "/{id}", mod ":edit", resource_delete, obj ".delete", 0, 0, res}

#endif
