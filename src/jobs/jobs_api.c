/* jobs_api.c -- the jobs endpoints: create, list, read, cancel, rerun, watch.
 *
 * A job body names its targets ("hosts": [ids], "groups": [ids]) and exactly
 * one kind of work:
 *   "command": "uname -a"
 *   "script_id": 3, "args": ["a b", "c"]          (a library script)
 *   "file": {"content_base64": …, "path": "/etc/x", "mode": "0644"}
 *   "module": "ping", "module_args": "…"          (Ansible ad-hoc)
 *   "playbook_id": 4, "extra_vars": {…}, "check": true
 * plus "timeout" (seconds per host, default 300). Targets are limited to the
 * hosts of the caller's host groups when the role has any; a host outside
 * them is "not found". Such a role also sees only the jobs that ran on at
 * least one of its hosts (with only those hosts' results), and may cancel
 * only jobs that run on its hosts alone. Every job, its creator and its
 * command go to the audit log (the router writes it; the detail carries the
 * spec).
 */
#include "jobs/jobs.h"

#include "api/audit.h"
#include "api/listq.h"
#include "cmdb/res_internal.h"
#include "common/util.h"
#include "http/auth.h"
#include "http/ws.h"
#include "jobs/stream.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COMMAND (64 * 1024)
#define MAX_FILE (8u << 20)

static bool bad(http_resp *w, const char *field, const char *msg)
{
    resp_error(w, 400, "bad_request", field, "%s", msg);
    return false;
}

static bool text_ok(const json_t *v, size_t max, bool multiline)
{
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max)
        return false;
    for (const unsigned char *p = (const unsigned char *)json_string_value(v); *p; p++)
        if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t' || *p == '\r'))) || *p == 0x7f)
            return false;
    return true;
}

static const char *const known_keys[] = {"hosts", "groups", "command", "script_id", "args", "file", "module",
                                         "module_args", "playbook_id", "extra_vars", "check", "timeout", NULL};

static bool check_keys(http_resp *w, const json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        bool known = false;
        for (const char *const *p = known_keys; *p; p++)
            known |= strcmp(*p, k) == 0;
        if (!known) {
            resp_error(w, 400, "bad_request", k, "unknown field \"%s\"", k);
            return false;
        }
    }
    return true;
}

/* Which kind of work the body asks for; NULL after answering 400. */
static const char *body_kind(http_resp *w, const json_t *body)
{
    static const struct {
        const char *key, *kind;
    } kinds[] = {{"command", "command"}, {"script_id", "script"}, {"file", "file"},
                 {"module", "ansible_module"}, {"playbook_id", "playbook"}};
    const char *kind = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (!json_object_get(body, kinds[i].key))
            continue;
        if (kind) {
            bad(w, kinds[i].key, "give exactly one of command, script_id, file, module, playbook_id");
            return NULL;
        }
        kind = kinds[i].kind;
    }
    if (!kind)
        bad(w, "command", "give one of command, script_id, file, module, playbook_id");
    return kind;
}

static bool check_args(http_resp *w, const json_t *args)
{
    if (!args)
        return true;
    if (!json_is_array(args) || json_array_size(args) > 64)
        return bad(w, "args", "args must be an array of at most 64 strings");
    size_t i;
    json_t *a;
    json_array_foreach(args, i, a)
        if (!json_is_string(a) || json_string_length(a) > 4096 || memchr(json_string_value(a), 0, json_string_length(a)))
            return bad(w, "args", "each argument must be text of at most 4096 bytes");
    return true;
}

static bool check_file(http_resp *w, const json_t *f, json_t *spec)
{
    const char *b64 = json_string_value(json_object_get(f, "content_base64"));
    const char *path = json_string_value(json_object_get(f, "path"));
    const char *mode = json_string_value(json_object_get(f, "mode"));
    if (!json_is_object(f) || !b64 || !path)
        return bad(w, "file", "file needs content_base64 and path");
    if (path[0] != '/' || strstr(path, "/../") || strlen(path) > 1024 || !text_ok(json_object_get(f, "path"), 1024, false))
        return bad(w, "file", "file.path must be an absolute path without ..");
    if (mode && (strlen(mode) < 3 || strlen(mode) > 4 || strspn(mode, "01234567") != strlen(mode)))
        return bad(w, "file", "file.mode must be octal like 0644");
    size_t blen = strlen(b64), len = 0;
    unsigned char *bin = malloc(blen + 1);
    if (!bin || sodium_base642bin(bin, blen, b64, blen, "\n\r ", &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len > MAX_FILE) {
        free(bin);
        return bad(w, "file", "file.content_base64 must be base64 of at most 8 MiB");
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[65];
    crypto_hash_sha256(h, bin, len);
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    free(bin);
    json_object_set_new(spec, "file", json_pack("{s:s, s:s, s:s, s:s, s:I}", "content_base64", b64, "path", path,
                                                "mode", mode ? mode : "0644", "sha256", hex, "size", (json_int_t)len));
    return true;
}

/* Load a library item of `kind` at its current version into spec. */
static bool pin_library(http_resp *w, db_conn *c, const char *field, const char *kind, const json_t *idv,
                        json_t *spec)
{
    json_t *row = NULL;
    if (!json_is_integer(idv) || json_integer_value(idv) <= 0)
        return bad(w, field, "must be the id of a library item");
    if (db_query_one(c, "SELECT id, name, version, interpreter FROM library_items WHERE id = $1 AND kind = $2",
                     DB_ARGS(DB_INT(json_integer_value(idv)), DB_TEXT(kind)), &row) != DB_OK) {
        resp_error(w, 404, "not_found", field, "no %s with id %lld in the library", kind,
                   (long long)json_integer_value(idv));
        return false;
    }
    json_object_set(spec, field, (json_t *)idv);
    json_object_set(spec, "version", json_object_get(row, "version"));
    json_object_set(spec, "name", json_object_get(row, "name"));
    json_object_set(spec, "interpreter", json_object_get(row, "interpreter"));
    json_decref(row);
    return true;
}

/* Record in spec "roles": [{"id", "name", "version"}…], every library role
 * at its current version, so that a playbook job runs the roles as they were
 * when it was created, whatever is edited while it waits or later reruns. */
static bool pin_roles(http_resp *w, db_conn *c, json_t *spec)
{
    json_t *rows = NULL;
    if (db_query(c, "SELECT id, name, version FROM library_items WHERE kind = 'role' ORDER BY name", DB_NOARGS,
                 &rows) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        return false;
    }
    json_object_set_new(spec, "roles", rows);
    return true;
}

/* Build the stored spec for kind from body. */
static bool build_spec(http_resp *w, db_conn *c, const char *kind, const json_t *body, json_t *spec)
{
    json_t *timeout = json_object_get(body, "timeout");
    if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 1 || json_integer_value(timeout) > 86400))
        return bad(w, "timeout", "timeout must be 1 to 86400 seconds");
    json_object_set_new(spec, "timeout", json_integer(timeout ? json_integer_value(timeout) : 300));
    if (strcmp(kind, "command") == 0) {
        if (!text_ok(json_object_get(body, "command"), MAX_COMMAND, true))
            return bad(w, "command", "command must be text of 1 to 65536 bytes");
        json_object_set(spec, "command", json_object_get(body, "command"));
        return true;
    }
    if (strcmp(kind, "script") == 0) {
        if (!check_args(w, json_object_get(body, "args")))
            return false;
        json_t *args = json_object_get(body, "args");
        json_object_set_new(spec, "args", args ? json_incref(args) : json_array());
        return pin_library(w, c, "script_id", "script", json_object_get(body, "script_id"), spec);
    }
    if (strcmp(kind, "file") == 0)
        return check_file(w, json_object_get(body, "file"), spec);
    if (strcmp(kind, "ansible_module") == 0) {
        const char *m = json_string_value(json_object_get(body, "module"));
        if (!m || !*m || strlen(m) > 128 || strspn(m, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(m))
            return bad(w, "module", "module must be an Ansible module name like ping or ansible.builtin.shell");
        json_t *ma = json_object_get(body, "module_args");
        if (ma && (!json_is_string(ma) || (json_string_length(ma) > 0 && !text_ok(ma, MAX_COMMAND, true))))
            return bad(w, "module_args", "module_args must be text of at most 65536 bytes");
        json_object_set_new(spec, "module", json_string(m));
        json_object_set_new(spec, "module_args", json_string(ma ? json_string_value(ma) : ""));
    } else { /* playbook */
        json_t *ev = json_object_get(body, "extra_vars");
        if (ev && !json_is_object(ev))
            return bad(w, "extra_vars", "extra_vars must be an object");
        json_object_set_new(spec, "extra_vars", ev ? json_incref(ev) : json_object());
        if (!pin_library(w, c, "playbook_id", "playbook", json_object_get(body, "playbook_id"), spec) ||
            !pin_roles(w, c, spec))
            return false;
    }
    json_t *check = json_object_get(body, "check");
    if (check && !json_is_boolean(check))
        return bad(w, "check", "check must be true or false");
    json_object_set_new(spec, "check", json_boolean(json_is_true(check)));
    return true;
}

/* Expand hosts + groups into distinct host ids within the caller's scope. */
static json_t *resolve_targets(http_req *r, http_resp *w, db_conn *c, const json_t *body)
{
    json_t *hosts = json_object_get(body, "hosts"), *groups = json_object_get(body, "groups");
    sbuf sql = SBUF_INIT;
    json_t *rows = NULL, *out = NULL;
    for (int k = 0; k < 2; k++) {
        json_t *a = k ? groups : hosts;
        size_t i;
        json_t *e;
        if (a && (!json_is_array(a) || json_array_size(a) > 10000)) {
            bad(w, k ? "groups" : "hosts", "must be an array of ids");
            return NULL;
        }
        json_array_foreach(a, i, e)
            if (!json_is_integer(e) || json_integer_value(e) <= 0) {
                bad(w, k ? "groups" : "hosts", "must be an array of positive integer ids");
                return NULL;
            }
    }
    if (json_array_size(hosts) + json_array_size(groups) == 0) {
        bad(w, "hosts", "choose at least one host or group");
        return NULL;
    }
    sbuf_puts(&sql, "SELECT id FROM hosts WHERE (id IN (");
    res_id_list(hosts, &sql);
    sbuf_puts(&sql, ") OR id IN (SELECT host_id FROM host_group_members WHERE group_id IN (");
    res_id_list(groups, &sql);
    sbuf_puts(&sql, ")))");
    res_scope_sql(r, &res_hosts, &sql, "id");
    sbuf_puts(&sql, " ORDER BY id");
    if (sbuf_failed(&sql) || db_query(c, sbuf_str(&sql), DB_NOARGS, &rows) != DB_OK) {
        resp_internal(w, "resolve targets");
        goto done;
    }
    /* Every named host must be visible: an unknown id is an error, not a skip. */
    size_t i, j;
    json_t *e, *row;
    json_array_foreach(hosts, i, e) {
        bool found = false;
        json_array_foreach(rows, j, row)
            found |= json_integer_value(json_object_get(row, "id")) == json_integer_value(e);
        if (!found) {
            resp_error(w, 404, "not_found", "hosts", "no host with id %lld", (long long)json_integer_value(e));
            goto done;
        }
    }
    if (json_array_size(rows) == 0) {
        resp_error(w, 400, "bad_request", "groups", "the chosen groups have no hosts you may use");
        goto done;
    }
    out = json_array();
    json_array_foreach(rows, i, row)
        json_array_append(out, json_object_get(row, "id"));
done:
    sbuf_free(&sql);
    json_decref(rows);
    return out;
}

bool jobs_prepare(http_req *r, http_resp *w, db_conn *c, const json_t *body, const char **kind, json_t **spec,
                  json_t **hosts)
{
    *spec = NULL;
    *hosts = NULL;
    if (!check_keys(w, body) || !(*kind = body_kind(w, body)))
        return false;
    *spec = json_object();
    if (!build_spec(w, c, *kind, body, *spec) || !(*hosts = resolve_targets(r, w, c, body))) {
        json_decref(*spec);
        *spec = NULL;
        return false;
    }
    json_object_set_new(*spec, "targets", json_pack("{s:O*, s:O*}", "hosts", json_object_get(body, "hosts"), "groups",
                                                json_object_get(body, "groups")));
    return true;
}

int64_t jobs_enqueue(db_conn *c, const char *kind, const json_t *spec, const json_t *hosts, int64_t user_id,
                     const char *user, int64_t task_id, int64_t rerun_of)
{
    char *text = json_dumps(spec, JSON_COMPACT);
    json_t *row = NULL;
    int64_t id = 0, now = util_now();
    if (!text)
        return 0;
    if (db_query_one(c, "INSERT INTO jobs (kind, status, spec, host_count, created_by, created_by_name, task_id, "
                        "rerun_of, created_at) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                     DB_ARGS(DB_TEXT(kind), DB_TEXT(text), DB_INT((int64_t)json_array_size(hosts)),
                             user_id ? DB_INT(user_id) : DB_NULLV, DB_TEXT(user), task_id ? DB_INT(task_id) : DB_NULLV,
                             rerun_of ? DB_INT(rerun_of) : DB_NULLV, DB_INT(now)),
                     &row) == DB_OK)
        id = json_integer_value(json_object_get(row, "id"));
    free(text);
    json_decref(row);
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h) {
        if (!id)
            break;
        if (db_exec(c, "INSERT INTO job_results (job_id, host_id, hostname) "
                       "SELECT $1, id, hostname FROM hosts WHERE id = $2",
                    DB_ARGS(DB_INT(id), DB_INT(json_integer_value(h))), NULL) != DB_OK)
            id = 0;
    }
    return id;
}

/* Queue a job from a checked body and answer 201. */
/* Create and queue the job that body describes. A rerun passes the spec of
 * the job it repeats (pinned, else NULL): it runs the same library versions,
 * not the ones current now. */
static void create_from(http_req *r, http_resp *w, const json_t *body, int64_t rerun_of, const json_t *pinned)
{
    const char *kind = NULL;
    json_t *spec = NULL, *hosts = NULL;
    db_conn *c = db_acquire(r->app->db);
    if (!jobs_prepare(r, w, c, body, &kind, &spec, &hosts))
        goto done;
    if (pinned) {
        static const char *const pins[] = {"version", "roles", NULL};
        for (const char *const *k = pins; *k; k++)
            if (json_object_get(pinned, *k))
                json_object_set(spec, *k, json_object_get(pinned, *k));
    }
    if (db_begin(c) != DB_OK)
        goto fail;
    int64_t id = jobs_enqueue(c, kind, spec, hosts, r->auth.user_id, r->auth.username, 0, rerun_of);
    if (!id || db_commit(c) != DB_OK)
        goto fail;
    json_t *detail = json_deep_copy(spec);
    json_t *file = json_object_get(detail, "file");
    if (file)
        json_object_del(file, "content_base64"); /* the audit keeps the checksum, not the file */
    json_object_set(detail, "hosts", hosts);
    if (rerun_of)
        json_object_set_new(detail, "rerun_of", json_integer(rerun_of));
    audit_set_id(r, "job", id, detail);
    jobs_kick();
    resp_json(w, 201, json_pack("{s:I, s:s, s:s, s:O}", "id", (json_int_t)id, "kind", kind, "status", "queued",
                                "hosts", hosts));
    goto done;
fail:
    db_rollback(c);
    resp_internal(w, db_errmsg(c));
done:
    db_release(c);
    json_decref(spec);
    json_decref(hosts);
}

void jobs_create(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w);
    if (body)
        create_from(r, w, body, 0, NULL);
    json_decref(body);
}

static const listq_field job_fields[] = {
    {"id", LISTQ_SORT}, {"kind", LISTQ_SORT | LISTQ_SEARCH}, {"status", LISTQ_SORT | LISTQ_SEARCH},
    {"created_by_name", LISTQ_SORT | LISTQ_SEARCH}, {"created_at", LISTQ_SORT}, {"finished_at", LISTQ_SORT},
    {"spec", LISTQ_SEARCH}, {NULL, 0},
};

void jobs_list(http_req *r, http_resp *w)
{
    listq q;
    if (listq_parse(r, w, job_fields, "-id", &q)) {
        static const char *const filters[] = {"status", "kind", "created_by_name", NULL};
        for (const char *const *f = filters; *f; f++) {
            const char *v = req_query(r, *f);
            char clause[64];
            snprintf(clause, sizeof clause, "%s = $%%d", *f);
            if (v && *v)
                listq_where(&q, clause, DB_TEXT(v));
        }
        int64_t task = 0;
        const char *t = req_query(r, "task_id");
        if (t && *t && util_parse_i64(t, &task))
            listq_where(&q, "task_id = $%d", DB_INT(task));
        /* A role limited to host groups sees the jobs that ran on its hosts. */
        if (res_scoped(r, &res_hosts)) {
            sbuf in = SBUF_INIT;
            sbuf_puts(&in, "id IN (SELECT job_id FROM job_results WHERE 1=1");
            res_scope_sql(r, &res_hosts, &in, "host_id");
            sbuf_puts(&in, ")");
            listq_where_sql(&q, sbuf_str(&in));
            sbuf_free(&in);
        }
        json_t *rows = NULL;
        int64_t total = 0;
        if (listq_fetch(r, w, &q,
                        "SELECT id, kind, status, spec, host_count, ok_count, failed_count, unreachable_count, "
                        "created_by, created_by_name, task_id, rerun_of, created_at, started_at, finished_at FROM jobs",
                        &rows, &total)) {
            /* The spec as an object, without a distributed file's content
             * (up to 8 MiB each: the single-job read leaves it out too). */
            size_t i;
            json_t *row;
            json_array_foreach(rows, i, row) {
                json_t *spec = json_loads(json_string_value(json_object_get(row, "spec")), 0, NULL);
                json_object_del(json_object_get(spec, "file"), "content_base64");
                json_object_set_new(row, "spec", spec ? spec : json_null());
            }
            resp_json(w, 200, json_pack("{s:o, s:I}", "items", rows, "total", (json_int_t)total));
        }
    }
    listq_free(&q);
}

/* How many of the job's hosts there are, and how many the caller may see
 * (the same unless the caller's role is limited to host groups). */
static bool job_scope(http_req *r, db_conn *c, int64_t id, int64_t *total, int64_t *visible)
{
    sbuf sql = SBUF_INIT;
    *total = *visible = 0;
    sbuf_puts(&sql, "SELECT count(*) FROM job_results WHERE job_id = $1");
    res_scope_sql(r, &res_hosts, &sql, "host_id");
    bool ok = !sbuf_failed(&sql) &&
              db_query_int(c, "SELECT count(*) FROM job_results WHERE job_id = $1", DB_ARGS(DB_INT(id)), total) ==
                  DB_OK &&
              db_query_int(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), visible) == DB_OK;
    sbuf_free(&sql);
    return ok;
}

/* Job row + results, or NULL. Hosts outside the caller's scope are hidden,
 * and a job on none of the caller's hosts is not found. */
static json_t *load_job(http_req *r, db_conn *c, int64_t id)
{
    json_t *job = NULL, *results = NULL;
    sbuf sql = SBUF_INIT;
    int64_t total = 0, visible = 0;
    if (!job_scope(r, c, id, &total, &visible) || (total > 0 && visible == 0))
        return NULL;
    if (db_query_one(c, "SELECT id, kind, status, spec, host_count, ok_count, failed_count, unreachable_count, "
                        "created_by, created_by_name, task_id, rerun_of, cancel_requested, created_at, started_at, "
                        "finished_at FROM jobs WHERE id = $1",
                     DB_ARGS(DB_INT(id)), &job) != DB_OK)
        return NULL;
    sbuf_puts(&sql, "SELECT host_id, hostname, status, exit_code, stdout, stderr, error, changed, truncated, "
                    "started_at, finished_at FROM job_results WHERE job_id = $1");
    res_scope_sql(r, &res_hosts, &sql, "host_id");
    sbuf_puts(&sql, " ORDER BY hostname");
    if (sbuf_failed(&sql) || db_query(c, sbuf_str(&sql), DB_ARGS(DB_INT(id)), &results) != DB_OK) {
        json_decref(job);
        job = NULL;
    } else {
        json_t *spec = json_loads(json_string_value(json_object_get(job, "spec")), 0, NULL);
        json_t *file = json_object_get(spec, "file");
        if (file)
            json_object_del(file, "content_base64");
        json_object_set_new(job, "spec", spec ? spec : json_null());
        json_object_set_new(job, "results", results);
        results = NULL;
    }
    sbuf_free(&sql);
    json_decref(results);
    return job;
}

void jobs_get(http_req *r, http_resp *w)
{
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    json_t *job = load_job(r, c, id);
    db_release(c);
    if (!job)
        resp_error(w, 404, "not_found", NULL, "no job with id %lld", (long long)id);
    else
        resp_json(w, 200, job);
}

void jobs_cancel(http_req *r, http_resp *w)
{
    int64_t id, n = 0;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    int64_t now = util_now(), total = 0, visible = 0;
    /* Cancelling stops the job on all its hosts: a role limited to host
     * groups may cancel only jobs that run on its hosts alone. */
    if (!job_scope(r, c, id, &total, &visible) || total == 0 || visible < total) {
        resp_error(w, 404, "not_found", NULL, "no job with id %lld", (long long)id);
        db_release(c);
        return;
    }
    /* A queued job is cancelled at once; a running one is asked to stop. */
    if (db_exec(c, "UPDATE jobs SET status = 'cancelled', cancel_requested = 1, finished_at = $1 "
                   "WHERE id = $2 AND status = 'queued'",
                DB_ARGS(DB_INT(now), DB_INT(id)), &n) != DB_OK ||
        (n && db_exec(c, "UPDATE job_results SET status = 'cancelled', finished_at = $1 WHERE job_id = $2",
                      DB_ARGS(DB_INT(now), DB_INT(id)), NULL) != DB_OK) ||
        (!n && db_exec(c, "UPDATE jobs SET cancel_requested = 1 WHERE id = $1 AND status = 'running'",
                       DB_ARGS(DB_INT(id)), &n) != DB_OK)) {
        resp_internal(w, db_errmsg(c));
    } else if (!n) {
        resp_error(w, 409, "conflict", NULL, "job %lld is not queued or running", (long long)id);
    } else {
        audit_set_id(r, "job", id, NULL);
        resp_json(w, 202, json_pack("{s:b}", "ok", 1));
    }
    db_release(c);
}

void jobs_rerun(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *job = NULL, *req = NULL;
    if (!req_id(r, w, 0, &id))
        return;
    if (r->body_len && (!(body = req_json(r, w)) ||
                        (json_object_size(body) && !json_is_boolean(json_object_get(body, "only_failed"))))) {
        if (body)
            resp_error(w, 400, "bad_request", "only_failed", "send {\"only_failed\": true|false}");
        goto done;
    }
    bool only_failed = !body || !json_is_false(json_object_get(body, "only_failed"));
    db_conn *c = db_acquire(r->app->db);
    job = load_job(r, c, id);
    db_release(c);
    if (!job) {
        resp_error(w, 404, "not_found", NULL, "no job with id %lld", (long long)id);
        goto done;
    }
    const char *st = json_string_value(json_object_get(job, "status"));
    if (strcmp(st, "queued") == 0 || strcmp(st, "running") == 0) {
        resp_error(w, 409, "conflict", NULL, "job %lld has not finished", (long long)id);
        goto done;
    }
    /* Rebuild a body from the stored spec, with the hosts to run again. */
    json_t *spec = json_object_get(job, "spec");
    req = json_object();
    json_t *hosts = json_array();
    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(job, "results"), i, res) {
        const char *hs = json_string_value(json_object_get(res, "status"));
        if (!only_failed || strcmp(hs, "ok") != 0)
            json_array_append(hosts, json_object_get(res, "host_id"));
    }
    if (json_array_size(hosts) == 0) {
        json_decref(hosts);
        resp_error(w, 409, "conflict", NULL, "no host of job %lld failed", (long long)id);
        goto done;
    }
    json_object_set_new(req, "hosts", hosts);
    static const char *const copy[] = {"command", "script_id", "args", "module", "module_args", "playbook_id",
                                       "extra_vars", "check", "timeout", NULL};
    for (const char *const *k = copy; *k; k++)
        if (json_object_get(spec, *k))
            json_object_set(req, *k, json_object_get(spec, *k));
    if (json_object_get(spec, "file")) {
        resp_error(w, 409, "conflict", NULL, "file jobs cannot be rerun from history; send the file again");
        goto done;
    }
    create_from(r, w, req, id, spec);
done:
    json_decref(body);
    json_decref(job);
    json_decref(req);
}

/* ---- live output over WebSocket ------------------------------------------- */

typedef struct {
    app *app;
    int64_t job_id;
    json_t *snapshot; /* the job as stored when the watcher arrived */
} watch_ctx;

static void watch_free(void *p)
{
    watch_ctx *wc = p;
    json_decref(wc->snapshot);
    free(wc);
}

static int send_json(ws_conn *c, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    int rc = s ? ws_send_text(c, s, strlen(s)) : -1;
    free(s);
    return rc;
}

static bool job_finished(const json_t *job)
{
    const char *st = json_string_value(json_object_get(job, "status"));
    return st && strcmp(st, "queued") != 0 && strcmp(st, "running") != 0;
}

/* The job as stored now, with only the results the watcher was shown in its
 * first snapshot (its scope was applied then; the request is gone now). */
static json_t *reload_job(watch_ctx *wc)
{
    json_t *job = NULL, *results = NULL;
    db_conn *c = db_acquire(wc->app->db);
    if (db_query_one(c, "SELECT id, kind, status, spec, host_count, ok_count, failed_count, unreachable_count, "
                        "created_by, created_by_name, task_id, rerun_of, cancel_requested, created_at, started_at, "
                        "finished_at FROM jobs WHERE id = $1",
                     DB_ARGS(DB_INT(wc->job_id)), &job) != DB_OK ||
        db_query(c, "SELECT host_id, hostname, status, exit_code, stdout, stderr, error, changed, truncated, "
                    "started_at, finished_at FROM job_results WHERE job_id = $1 ORDER BY hostname",
                 DB_ARGS(DB_INT(wc->job_id)), &results) != DB_OK) {
        db_release(c);
        json_decref(job);
        json_decref(results);
        return NULL;
    }
    db_release(c);
    json_t *visible = json_array(), *res, *seen;
    size_t i, k;
    json_array_foreach(results, i, res) {
        bool shown = false;
        json_array_foreach(json_object_get(wc->snapshot, "results"), k, seen)
            shown |= json_integer_value(json_object_get(seen, "host_id")) ==
                     json_integer_value(json_object_get(res, "host_id"));
        if (shown)
            json_array_append(visible, res);
    }
    json_decref(results);
    json_t *spec = json_loads(json_string_value(json_object_get(job, "spec")), 0, NULL);
    json_t *file = json_object_get(spec, "file");
    if (file)
        json_object_del(file, "content_base64");
    json_object_set_new(job, "spec", spec ? spec : json_null());
    json_object_set_new(job, "results", visible);
    return job;
}

/* Follow the in-memory stream when this cairnd runs the job. When it does
 * not (another cairnd on the same database claimed it, or it is still
 * queued), poll the database: send the job again whenever it changes, and
 * the final job event when it ends, so every watcher sees the end. */
static void watch_run(ws_conn *c, void *p)
{
    watch_ctx *wc = p;
    if (send_json(c, json_pack("{s:s, s:O}", "type", "snapshot", "job", wc->snapshot)) < 0)
        return;
    if (job_finished(wc->snapshot))
        return;
    json_t *last = json_incref(wc->snapshot);
    size_t cursor = 0;
    bool done = false;
    double next_poll = util_mono_ms() + 1000;
    while (!done && !ws_closed(c)) {
        stream *s = stream_get(wc->job_id);
        if (s) {
            char *ev;
            int rc = 0;
            while (rc == 0 && (ev = stream_next(s, &cursor, 500, &done))) {
                rc = ws_send_text(c, ev, strlen(ev));
                free(ev);
            }
            stream_put(s);
            if (rc < 0)
                break;
            continue;
        }
        usleep(250000);
        if (util_mono_ms() < next_poll)
            continue;
        next_poll = util_mono_ms() + 1000;
        json_t *now = reload_job(wc);
        if (!now || json_equal(now, last)) {
            json_decref(now);
            continue;
        }
        json_decref(last);
        last = now;
        if (!job_finished(now)) {
            if (send_json(c, json_pack("{s:s, s:O}", "type", "snapshot", "job", now)) < 0)
                break;
            continue;
        }
        /* It ended elsewhere: the final state, then the job event as a runner sends it. */
        if (send_json(c, json_pack("{s:s, s:O}", "type", "snapshot", "job", now)) == 0)
            send_json(c, json_pack("{s:s, s:O, s:{s:O, s:O, s:O}}", "type", "job", "status",
                                   json_object_get(now, "status"), "summary", "ok", json_object_get(now, "ok_count"),
                                   "failed", json_object_get(now, "failed_count"), "unreachable",
                                   json_object_get(now, "unreachable_count")));
        break;
    }
    json_decref(last);
}

void jobs_stream(http_req *r, http_resp *w)
{
    int64_t id;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    json_t *job = load_job(r, c, id);
    db_release(c);
    if (!job) {
        resp_error(w, 404, "not_found", NULL, "no job with id %lld", (long long)id);
        return;
    }
    watch_ctx *wc = calloc(1, sizeof *wc);
    if (!wc) {
        json_decref(job);
        resp_internal(w, "out of memory");
        return;
    }
    *wc = (watch_ctx){r->app, id, job};
    ws_accept(r, w, watch_run, wc, watch_free);
}

void jobs_accept_host_key(http_req *r, http_resp *w)
{
    int64_t id, n = 0;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (!res_in_scope(r, c, &res_hosts, id))
        resp_error(w, 404, "not_found", NULL, "no host with id %lld", (long long)id);
    else if (db_exec(c, "UPDATE host_keys SET fingerprint = pending_fingerprint, pending_fingerprint = NULL, "
                        "first_seen_at = $1 WHERE host_id = $2 AND pending_fingerprint IS NOT NULL",
                     DB_ARGS(DB_INT(util_now()), DB_INT(id)), &n) != DB_OK)
        resp_internal(w, db_errmsg(c));
    else if (!n)
        resp_error(w, 409, "conflict", NULL, "host %lld has no changed key waiting for approval", (long long)id);
    else {
        audit_set_id(r, "host", id, json_pack("{s:s}", "host_key", "accepted new key"));
        resp_json(w, 200, json_pack("{s:b}", "ok", 1));
    }
    db_release(c);
}
