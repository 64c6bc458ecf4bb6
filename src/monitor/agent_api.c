/* agent_api.c -- see agent_api.h. */
#include "monitor/agent_api.h"

#include "api/audit.h"
#include "api/validate.h"
#include "cmdb/res_internal.h"
#include "common/log.h"
#include "common/secret.h"
#include "common/util.h"
#include "common/vault.h"
#include "monitor/tsdb.h"
#include "store/db.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ENROLL_KEY "agent.enroll_token"

static int store_enroll_token(db_conn *c, const char *plain)
{
    char *sealed = vault_seal(plain, strlen(plain));
    if (!sealed)
        return DB_ERR;
    int rc = db_exec(c, "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) "
                        "ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3",
                     DB_ARGS(DB_TEXT(ENROLL_KEY), DB_TEXT(sealed), DB_INT(util_now())), NULL);
    free(sealed);
    return rc;
}

/* The plain enrollment token (malloc'd), or NULL. */
static char *load_enroll_token(db_conn *c)
{
    json_t *row = NULL;
    char *plain = NULL;
    if (db_query_one(c, "SELECT value FROM settings WHERE key = $1", DB_ARGS(DB_TEXT(ENROLL_KEY)), &row) == DB_OK)
        plain = vault_open(json_string_value(json_object_get(row, "value")), NULL);
    json_decref(row);
    return plain;
}

int agent_init(app *a)
{
    db_conn *c = db_acquire(a->db);
    char *cur = load_enroll_token(c);
    int rc = 0;
    if (!cur) {
        const char *env = getenv("CAIRN_ENROLL_TOKEN");
        char fresh[SECRET_HEX_MAX];
        secret_random_hex(fresh, 24);
        rc = store_enroll_token(c, env && *env ? env : fresh) == DB_OK ? 0 : -1;
    }
    free(cur);
    db_release(c);
    return rc;
}

/* Public base URL of this server, from the request's Host header. */
static void base_url(http_req *r, char *out, size_t cap)
{
    const char *host = req_header(r, "Host");
    const char *proto = req_header(r, "X-Forwarded-Proto");
    bool ok = host && *host && strlen(host) < 200 && !strpbrk(host, " \"'`$\\;|&<>");
    snprintf(out, cap, "%s://%s", proto && strcmp(proto, "https") == 0 ? "https" : "http",
             ok ? host : "CAIRN-SERVER");
}

void agent_enroll_token_get(http_req *r, http_resp *w)
{
    db_conn *c = db_acquire(r->app->db);
    char *tok = load_enroll_token(c);
    db_release(c);
    if (!tok) {
        resp_internal(w, "enrollment token missing or unreadable");
        return;
    }
    char base[300], cmd[1024];
    base_url(r, base, sizeof base);
    snprintf(cmd, sizeof cmd,
             "curl -fsSL %s/agent/install.sh | sudo sh -s -- --server %s --enroll-token %s", base, base, tok);
    /* Reading a credential is worth a line in the audit log. */
    audit_write(r->app, r->auth.user_id, r->auth.username, r->ip, r->auth.via, "agent.enroll_token_read",
                "settings", ENROLL_KEY, 200, NULL);
    resp_json(w, 200, json_pack("{s:s, s:s, s:s}", "token", tok, "install_command", cmd, "server", base));
    free(tok);
}

void agent_enroll_token_rotate(http_req *r, http_resp *w)
{
    char fresh[SECRET_HEX_MAX];
    secret_random_hex(fresh, 24);
    db_conn *c = db_acquire(r->app->db);
    int rc = store_enroll_token(c, fresh);
    db_release(c);
    if (rc != DB_OK) {
        resp_internal(w, "store enrollment token");
        return;
    }
    audit_set(r, "settings", ENROLL_KEY, json_pack("{s:s}", "token", "***"));
    resp_json(w, 200, json_pack("{s:s}", "token", fresh));
}

static const val_field enroll_fields[] = {
    {"enroll_token", VT_STRING, VF_REQUIRED | VF_LINE, 0, 256},
    {"machine_id", VT_STRING, VF_REQUIRED | VF_IDENT, 0, 128},
    {"serial", VT_STRING, VF_LINE, 0, 128},
    {"hostname", VT_STRING, VF_REQUIRED | VF_IDENT, 0, 253},
    {"agent_version", VT_STRING, VF_LINE, 0, 32},
    {NULL, 0, 0, 0, 0},
};

/* Find the host this machine is, or 0. */
static int64_t match_host(db_conn *c, const char *machine_id, const char *serial, const char *hostname)
{
    int64_t id = 0;
    if (db_query_int(c, "SELECT id FROM hosts WHERE machine_id = $1", DB_ARGS(DB_TEXT(machine_id)), &id) == DB_OK)
        return id;
    if (serial && *serial && strcmp(serial, "0") != 0 &&
        db_query_int(c, "SELECT id FROM hosts WHERE sn = $1 AND machine_id IS NULL ORDER BY id LIMIT 1",
                     DB_ARGS(DB_TEXT(serial)), &id) == DB_OK)
        return id;
    if (db_query_int(c, "SELECT id FROM hosts WHERE hostname = $1 AND machine_id IS NULL",
                     DB_ARGS(DB_TEXT(hostname)), &id) == DB_OK)
        return id;
    return 0;
}

static int64_t create_host(db_conn *c, const char *hostname, const char *machine_id, const char *ip)
{
    char name[300];
    int64_t taken = 0, id = 0;
    json_t *row = NULL;
    snprintf(name, sizeof name, "%s", hostname);
    /* Another machine already has this name: keep both, tell them apart. */
    if (db_query_int(c, "SELECT count(*) FROM hosts WHERE hostname = $1", DB_ARGS(DB_TEXT(name)), &taken) ==
            DB_OK && taken > 0)
        snprintf(name, sizeof name, "%.240s-%.8s", hostname, machine_id);
    int64_t now = util_now();
    if (db_query_one(c, "INSERT INTO hosts (hostname, ip, machine_id, source, created_at, updated_at) "
                        "VALUES ($1, $2, $3, 'agent', $4, $4) RETURNING id",
                     DB_ARGS(DB_TEXT(name), DB_TEXT(ip), DB_TEXT(machine_id), DB_INT(now)), &row) == DB_OK)
        id = json_integer_value(json_object_get(row, "id"));
    /* The agent wrote these, so its facts may replace them (facts.h). */
    static const char *const fields[] = {"hostname", "ip"};
    const char *values[] = {name, ip};
    for (int i = 0; i < 2 && id; i++)
        if (db_exec(c, "INSERT INTO host_facts (host_id, field, value, updated_at) VALUES ($1, $2, $3, $4)",
                    DB_ARGS(DB_INT(id), DB_TEXT(fields[i]), DB_TEXT(values[i]), DB_INT(now)), NULL) != DB_OK)
            id = 0;
    json_decref(row);
    return id;
}

/* Revoke the host's tokens and issue a new one into token (cairnh_…). */
static int issue_token(db_conn *c, int64_t host, char *token, size_t cap)
{
    char raw[SECRET_HEX_MAX], hash[SECRET_HEX_MAX];
    secret_random_hex(raw, 32);
    snprintf(token, cap, "cairnh_%s", raw);
    secret_sha256_hex(token, hash);
    int64_t now = util_now();
    int rc = db_exec(c, "UPDATE agent_tokens SET revoked_at = $1 WHERE host_id = $2 AND revoked_at IS NULL",
                     DB_ARGS(DB_INT(now), DB_INT(host)), NULL);
    if (rc == DB_OK)
        rc = db_exec(c, "INSERT INTO agent_tokens (host_id, token_hash, created_at) VALUES ($1, $2, $3)",
                     DB_ARGS(DB_INT(host), DB_TEXT(hash), DB_INT(now)), NULL);
    return rc;
}

void agent_enroll(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w);
    db_conn *c = NULL;
    char *expected = NULL, token[96];
    if (!body || !val_check(w, body, enroll_fields, false))
        goto done;
    const char *given = json_string_value(json_object_get(body, "enroll_token"));
    const char *mid = json_string_value(json_object_get(body, "machine_id"));
    const char *serial = json_string_value(json_object_get(body, "serial"));
    const char *hostname = json_string_value(json_object_get(body, "hostname"));
    snprintf(r->audit.username, sizeof r->audit.username, "agent@%.100s", hostname);
    c = db_acquire(r->app->db);
    expected = load_enroll_token(c);
    if (!expected || !secret_equal(given, expected)) {
        resp_error(w, 401, "unauthorized", NULL, "wrong enrollment token");
        goto done;
    }
    if (db_begin(c) != DB_OK)
        goto fail;
    int64_t host = match_host(c, mid, serial, hostname);
    bool created = host == 0;
    if (created)
        host = create_host(c, hostname, mid, r->ip);
    /* last_seq = 0: a re-enrolled agent may have lost its state and counts from 1 again. */
    if (!host || db_exec(c, "UPDATE hosts SET machine_id = $1, last_seq = 0, updated_at = $2 WHERE id = $3",
                         DB_ARGS(DB_TEXT(mid), DB_INT(util_now()), DB_INT(host)), NULL) != DB_OK ||
        res_refresh_search(c, &res_hosts, host) != DB_OK || issue_token(c, host, token, sizeof token) != DB_OK ||
        db_commit(c) != DB_OK)
        goto fail;
    audit_set_id(r, "host", host, json_pack("{s:s, s:b}", "hostname", hostname, "created", created));
    resp_json(w, 201, json_pack("{s:I, s:s, s:i, s:b}", "host_id", (json_int_t)host, "token", token, "interval",
                                60, "created", created));
    goto done;
fail:
    db_rollback(c);
    resp_internal(w, db_errmsg(c));
done:
    if (c)
        db_release(c);
    free(expected);
    json_decref(body);
}

void agent_revoke_host(http_req *r, http_resp *w)
{
    int64_t id, changed = 0;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (!res_in_scope(r, c, &res_hosts, id)) {
        resp_error(w, 404, "not_found", NULL, "no host with id %lld", (long long)id);
    } else if (db_exec(c, "UPDATE agent_tokens SET revoked_at = $1 WHERE host_id = $2 AND revoked_at IS NULL",
                       DB_ARGS(DB_INT(util_now()), DB_INT(id)), &changed) != DB_OK) {
        resp_internal(w, db_errmsg(c));
    } else {
        audit_set_id(r, "host", id, json_pack("{s:I}", "revoked_tokens", (json_int_t)changed));
        resp_json(w, 200, json_pack("{s:b, s:I}", "ok", 1, "revoked", (json_int_t)changed));
    }
    db_release(c);
}

void agent_host_facts(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *doc = NULL, *hist = NULL;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (!res_in_scope(r, c, &res_hosts, id)) {
        resp_error(w, 404, "not_found", NULL, "no host with id %lld", (long long)id);
        goto done;
    }
    if (db_query(c, "SELECT ts, field, old_value, new_value FROM host_fact_history WHERE host_id = $1 "
                    "ORDER BY id DESC LIMIT 200",
                 DB_ARGS(DB_INT(id)), &hist) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    json_t *facts = NULL;
    if (db_query_one(c, "SELECT facts, updated_at FROM host_fact_docs WHERE host_id = $1", DB_ARGS(DB_INT(id)),
                     &doc) == DB_OK)
        facts = json_loads(json_string_value(json_object_get(doc, "facts")), 0, NULL);
    resp_json(w, 200, json_pack("{s:o, s:O?, s:O}", "facts", facts ? facts : json_null(), "updated_at",
                                json_object_get(doc, "updated_at"), "history", hist));
done:
    db_release(c);
    json_decref(doc);
    json_decref(hist);
}

/* The agent binary next to cairnd's own binary (build/cairn-agent). A
 * sanitizer build (build/asan/cairnd) serves the release agent one level up:
 * the ASan agent beside it needs libasan, which managed hosts do not have. */
static bool agent_binary_path(char *out, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    char *parent = strrchr(exe, '/');
    if (parent && strcmp(parent + 1, "asan") == 0) {
        *parent = '\0';
        if (snprintf(out, cap, "%s/cairn-agent", exe) < (int)cap && access(out, R_OK) == 0)
            return true;
        *parent = '/';
    }
    return snprintf(out, cap, "%s/cairn-agent", exe) < (int)cap && access(out, R_OK) == 0;
}

void agent_download(http_req *r, http_resp *w)
{
    (void)r;
    char path[PATH_MAX + 32];
    struct stat st;
    int fd = -1;
    if (!agent_binary_path(path, sizeof path) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
        fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        resp_error(w, 404, "not_found", NULL, "this server has no cairn-agent binary next to it");
        return;
    }
    w->status = 200;
    w->fd = fd;
    w->fd_size = (uint64_t)st.st_size;
    w->content_type = "application/octet-stream";
    resp_header(w, "Content-Disposition", "attachment; filename=\"cairn-agent\"");
}

void agent_install_script(http_req *r, http_resp *w)
{
    char base[300];
    sbuf s = SBUF_INIT;
    base_url(r, base, sizeof base);
    sbuf_printf(&s,
                "#!/bin/sh\n"
                "# Cairn agent installer: downloads cairn-agent and its systemd unit from this\n"
                "# server, stores the enrollment token as a root-only file that systemd hands to\n"
                "# the agent (which runs as a dynamic unprivileged user), and starts it.\n"
                "# usage: curl -fsSL %s/agent/install.sh | sudo sh -s -- --server URL --enroll-token TOKEN\n"
                "set -eu\n"
                "server=%s; token=\n"
                "while [ $# -gt 0 ]; do\n"
                "  case \"$1\" in\n"
                "    --server) server=$2; shift 2 ;;\n"
                "    --enroll-token) token=$2; shift 2 ;;\n"
                "    *) echo \"unknown option $1\" >&2; exit 2 ;;\n"
                "  esac\n"
                "done\n"
                "[ -n \"$token\" ] || { echo 'need --enroll-token' >&2; exit 2; }\n"
                "umask 077\n"
                "tmp=$(mktemp -d)\n"
                "trap 'rm -rf \"$tmp\"' EXIT\n"
                "curl -fsSL \"$server/agent/cairn-agent\" -o \"$tmp/cairn-agent\"\n"
                "curl -fsSL \"$server/agent/cairn-agent.service\" -o \"$tmp/cairn-agent.service\"\n"
                "install -m 0755 \"$tmp/cairn-agent\" /usr/bin/cairn-agent\n"
                "install -m 0644 \"$tmp/cairn-agent.service\" /etc/systemd/system/cairn-agent.service\n"
                "mkdir -p /etc/cairn-agent\n"
                "printf '%%s' \"$token\" > /etc/cairn-agent/enroll-token\n"
                "chmod 600 /etc/cairn-agent/enroll-token\n"
                "printf 'server = %%s\\n' \"$server\" > /etc/cairn-agent.conf\n"
                "chmod 644 /etc/cairn-agent.conf\n"
                "systemctl daemon-reload\n"
                "systemctl enable --now cairn-agent\n"
                "echo 'cairn-agent installed and started'\n",
                base, base);
    if (sbuf_failed(&s))
        resp_internal(w, "out of memory");
    else
        resp_body(w, 200, "text/plain; charset=utf-8", sbuf_str(&s), s.len);
    sbuf_free(&s);
}
