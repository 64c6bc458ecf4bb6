/* inventory.h -- the CMDB as an Ansible inventory.
 *
 * One inventory is built from the CMDB for two users:
 *   - GET /api/v1/ansible/inventory (and `cairn inventory --list`), the
 *     dynamic-inventory JSON of Ansible's script plugin, for Ansible run
 *     outside Cairn. It never holds a secret: connection user and port only.
 *   - Cairn's own Ansible jobs (ansible.c), which add the connection secrets
 *     to a private copy and write it for the yaml inventory plugin.
 *
 * Groups (names safe as Ansible identifiers: lower-case [a-z0-9_], prefixed):
 *   group_<name>   one per host group           (group_web)
 *   idc_<code>     one per IDC (data centre)     (idc_bj1)
 *   type_<code>    one per asset type            (type_vm)
 *   status_<code>  one per asset status          (status_in_use)
 * A name that sanitises to nothing, or to a name another group already has,
 * gets the row id appended (group_7, group_web_7), so two groups never merge.
 *
 * Hosts are named by their CMDB hostname when it is made of [A-Za-z0-9._-]
 * (and does not start with '-' or '.'); any other hostname is replaced by
 * cairn-host-<id> (Ansible parses ':', '[' and spaces in host names, and
 * host names become templated variables). Host variables, all prefixed
 * cairn_ so they never shadow a play's own variables or Ansible's reserved
 * names (tags, name…): cairn_id, cairn_hostname, cairn_ip, cairn_other_ips,
 * cairn_os, cairn_kernel, cairn_cpu_count, cairn_memory_mb, cairn_cpu_model,
 * cairn_vendor, cairn_model, cairn_sn, cairn_asset_no, cairn_asset_type,
 * cairn_asset_status, cairn_idc, cairn_idc_name, cairn_cabinet,
 * cairn_position, cairn_tags, cairn_groups; plus ansible_host (the
 * management IP), ansible_port (the host's SSH port, else its credential's)
 * and ansible_user (the credential's user).
 *
 * Template safety: Ansible renders Jinja2 in variable values. Any string from
 * the CMDB that contains '{' (the start of every Jinja2 delimiter) is
 * written as {"__ansible_unsafe": "…"}, which Ansible's JSON loader turns
 * into an unsafe string that is never templated. Text an agent or a user put
 * in a host field can therefore not run code on an Ansible controller.
 *
 * Ownership: every json_t returned is new (caller json_decref's it); inputs
 * are borrowed.
 */
#ifndef CAIRN_INVENTORY_H
#define CAIRN_INVENTORY_H

#include "http/http.h"
#include "store/db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INV_NAME_MAX 96   /* longest group or host name written, with its NUL */

/* The CMDB rows an inventory is built from (arrays of objects, as db_query
 * returns them; borrowed). See inv_load() for the columns.
 *   hosts     id, hostname, ip, other_ips, os, kernel, cpu_count, memory_mb,
 *             cpu_model, vendor, model, sn, asset_no, asset_type,
 *             asset_status, position, tags (JSON text), ssh_port, idc_id,
 *             idc_code, idc_name, cabinet, cred_user, cred_port
 *   groups    id, name
 *   members   group_id, host_id
 *   idcs      id, code
 *   types     id, code             (asset types)
 *   statuses  id, code             (asset statuses) */
typedef struct {
    json_t *hosts, *groups, *members, *idcs, *types, *statuses;
} inv_rows;

/* Write prefix + the sanitised form of raw into out (capacity cap): ASCII
 * letters lower-cased, digits kept, every other run of bytes (spaces,
 * punctuation, non-ASCII) becomes one '_', leading and trailing '_' dropped,
 * the raw part cut at 48 bytes. Returns false (out then holds "") when
 * nothing of raw survives or the result does not fit. prefix must itself be
 * a valid identifier start ("group_"). */
bool inv_safe_name(const char *prefix, const char *raw, char *out, size_t cap);

/* True when name may be used as an Ansible host name as it is: 1 to 63
 * bytes of [A-Za-z0-9._-], not starting with '-' or '.'. */
bool inv_host_name_ok(const char *name);

/* A JSON value for a CMDB string: the string itself, or
 * {"__ansible_unsafe": s} when s contains '{'. NULL s gives NULL. */
json_t *inv_str(const char *s);

/* Build the script-plugin inventory from rows:
 *   {"_meta": {"hostvars": {name: {...}}},
 *    "all": {"hosts": [...], "children": [...]},
 *    "group_web": {"hosts": [...]}, "idc_bj1": {...}, ...}
 * Every group of rows->groups appears (even when empty); IDC, type and
 * status groups appear when they have hosts. Host and group lists are
 * sorted. NULL when out of memory. */
json_t *inv_build(const inv_rows *rows);

/* Convert a script-plugin inventory (from inv_build) into the layout of
 * Ansible's yaml inventory plugin, for a file:
 *   {"all": {"hosts": {name: vars}, "children": {group: {"hosts": {name: {}}}}}}
 * NULL when out of memory. */
json_t *inv_to_static(const json_t *inv);

/* Load rows from the database. host_ids (borrowed, may be NULL) limits the
 * hosts to those ids; r (may be NULL) limits hosts and groups to the
 * caller's host-group scope. Returns DB_OK and fills *rows (free with
 * inv_rows_free), or a DB_* error with *rows zeroed. */
int inv_load(db_conn *c, const http_req *r, const json_t *host_ids, inv_rows *rows);

/* Release what inv_load filled. */
void inv_rows_free(inv_rows *rows);

/* GET /api/v1/ansible/inventory[?host=NAME]: the script-plugin JSON of the
 * hosts and groups the caller may see (tasks:view); with host=, only that
 * host's variables ({} when unknown, as Ansible expects). */
void ansible_inventory_get(http_req *r, http_resp *w);

#endif
