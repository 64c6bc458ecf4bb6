/* library_gitapi.c -- library items taken from a git repository.
 *
 *   POST /api/v1/library/import     {url, ref?, path, kind, name?, description?, interpreter?,
 *                                    credential_id?, host_key?, message?}  → 201 {id, version: 1, commit, ref}
 *   POST /api/v1/library/{id}/sync  {host_key?} → 200 {id, version, changed, commit, ref, message}
 *
 * Both run on the worker pool (ROUTE_SLOW): the fetch (library_git.c) may
 * take up to the git-timeout setting. Nothing is written before the fetch
 * and every check succeeded, so a failed import or sync changes nothing;
 * the router audits every call, this module adds the source and commit.
 *
 * An imported item remembers url, ref and path (and the credential), and
 * each version the commit it was read from. A sync reads the same source
 * again and adds a version only when the content differs from the current
 * one ("git <sha7> from <ref>"); otherwise it only records the commit seen.
 * The URL of an item never changes after the import: to follow another
 * repository, import again. An ssh server's host key is pinned at the
 * import (the one given as host_key, else the one the server showed) and
 * must match at every sync; a sync with {"host_key": …} accepts a new one.
 *
 * Credentials: an auth-centre credential's password (https basic auth) or
 * private key (ssh) is opened from the vault only for the fetch and wiped
 * after. Since the password is sent to whatever server the URL names,
 * choosing a credential at import needs apps:admin besides tasks:edit; a
 * sync (tasks:edit) reuses the one chosen, against the URL fixed then.
 */
#include "jobs/library.h"
#include "jobs/library_git.h"

#include "api/audit.h"
#include "app.h"
#include "common/util.h"
#include "common/vault.h"
#include "http/auth.h"
#include "store/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The secrets of one credential, opened; wiped by secrets_free(). */
typedef struct {
    char username[256];
    char *password, *private_key, *passphrase;
} secrets;

static void secrets_free(secrets *k)
{
    char *const v[] = {k->password, k->private_key, k->passphrase};
    for (size_t i = 0; i < 3; i++)
        if (v[i])
            vault_free_plain(v[i], strlen(v[i]));
    memset(k, 0, sizeof *k);
}

static char *open_sealed(const json_t *row, const char *key, bool *broken)
{
    const char *sealed = json_string_value(json_object_get(row, key));
    char *plain = sealed && *sealed ? vault_open(sealed, NULL) : NULL;
    if (sealed && *sealed && !plain)
        *broken = true;
    return plain;
}

/* Load credential id into k. Answers 400/500 in w and returns false when it
 * is missing or its secrets cannot be opened. */
static bool load_secrets(http_req *r, http_resp *w, int64_t id, secrets *k)
{
    json_t *row = NULL;
    bool broken = false;
    db_conn *c = db_acquire(r->app->db);
    int rc = db_query_one(c, "SELECT username, password, private_key, passphrase FROM credentials WHERE id = $1",
                          DB_ARGS(DB_INT(id)), &row);
    db_release(c);
    if (rc != DB_OK) {
        resp_error(w, 400, "bad_request", "credential_id", "no credential with id %lld", (long long)id);
        return false;
    }
    const char *user = json_string_value(json_object_get(row, "username"));
    snprintf(k->username, sizeof k->username, "%s", user ? user : "");
    k->password = open_sealed(row, "password", &broken);
    k->private_key = open_sealed(row, "private_key", &broken);
    k->passphrase = open_sealed(row, "passphrase", &broken);
    json_decref(row);
    if (broken) {
        secrets_free(k);
        resp_error(w, 500, "internal", "credential_id",
                   "the credential's secrets cannot be opened (was the vault key replaced?)");
        return false;
    }
    return true;
}

/* Answer a failed fetch: what the user asked for is 400, what the remote
 * did is 502, too many fetches at once 503, our own trouble 500. */
static void answer_failure(http_resp *w, lgit_status st, const lgit_result *res)
{
    static const char *const codes[] = {
        [LGIT_AUTH] = "git_auth",       [LGIT_HOST_KEY] = "git_host_key", [LGIT_TIMEOUT] = "git_timeout",
        [LGIT_TOO_BIG] = "git_too_big", [LGIT_REMOTE] = "git_unreachable",
    };
    switch (st) {
    case LGIT_BAD_URL:
    case LGIT_BAD_REF:
    case LGIT_BAD_PATH:
    case LGIT_BAD_CONTENT:
        resp_error(w, 400, "bad_request", res->field, "%s", res->error);
        return;
    case LGIT_AUTH:
    case LGIT_HOST_KEY:
    case LGIT_TIMEOUT:
    case LGIT_TOO_BIG:
    case LGIT_REMOTE:
        resp_error(w, 502, codes[st], res->field, "%s", res->error);
        return;
    case LGIT_BUSY:
        resp_error(w, 503, "busy", NULL, "%s", res->error);
        return;
    case LGIT_OK:
    case LGIT_INTERNAL:
        break;
    }
    resp_internal(w, res->error);
}

/* Fetch with the server's limits and the credential's secrets (k may be
 * NULL); on failure answer w and return false. */
static bool fetch(http_req *r, http_resp *w, lgit_source *s, const secrets *k, lgit_result *res)
{
    char tmp[CONFIG_PATH_MAX + 8];
    const config *cfg = &r->app->cfg;
    snprintf(tmp, sizeof tmp, "%s/tmp", cfg->data_dir);
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        resp_internal(w, "cannot make the data directory's tmp/");
        return false;
    }
    if (k) {
        s->username = k->username;
        s->password = k->password;
        s->private_key = k->private_key;
        s->passphrase = k->passphrase;
    }
    s->tmp_parent = tmp;
    s->timeout_s = cfg->git_timeout;
    s->max_transfer = cfg->git_max_transfer;
    s->allow_local = cfg->git_allow_local != 0;
    s->hosts = &cfg->git_hosts;
    s->max_parallel = cfg->workers > 2 ? cfg->workers / 2 : 1; /* leave workers for logins */
    lgit_status st = lgit_fetch(s, res);
    s->tmp_parent = NULL; /* tmp ends here */
    if (st == LGIT_OK)
        return true;
    answer_failure(w, st, res);
    return false;
}

static const char *str(const json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

/* The item's name when none is given: the last part of the path without
 * its extension, or of the URL for a role at the repository's top. */
static void default_name(const char *url, const char *path, char *out, size_t cap)
{
    const char *from = *path ? path : url;
    const char *slash = strrchr(from, '/'), *colon = strrchr(from, ':');
    const char *base = slash ? slash + 1 : colon ? colon + 1 : from;
    snprintf(out, cap, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

/* An ssh host key fingerprint as ssh-keygen -l prints it ("SHA256:" and 43
 * base64 characters), or none. Answers 400 on failure. */
static bool host_key_ok(http_resp *w, const char *k)
{
    if (!k || !*k ||
        (strlen(k) == 50 && strncmp(k, "SHA256:", 7) == 0 &&
         strspn(k + 7, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == 43))
        return true;
    resp_error(w, 400, "bad_request", "host_key", "host_key is an ssh key's fingerprint, e.g. SHA256:%.43s",
               "uZ3n0oXlmzqfFhq0Qm3tMZf4cS2aGQ4l9c2bq2k8Vxw");
    return false;
}

/* Check the import body's fields and types; answers 400 on failure. */
static bool check_import(http_resp *w, const json_t *body, int64_t *cred)
{
    static const char *const known[] = {"url",     "ref",           "path",     "kind", "name", "description",
                                        "interpreter", "message", "credential_id", "host_key", NULL};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        bool ok = false;
        for (const char *const *p = known; *p && !ok; p++)
            ok = strcmp(*p, k) == 0;
        if (!ok) {
            resp_error(w, 400, "bad_request", k, "unknown field \"%s\"", k);
            return false;
        }
        if (strcmp(k, "credential_id") == 0 ? !json_is_null(v) && !json_is_integer(v) : !json_is_string(v)) {
            resp_error(w, 400, "bad_request", k, strcmp(k, "credential_id") == 0 ? "must be an id or null"
                                                                                    : "must be text");
            return false;
        }
    }
    *cred = json_integer_value(json_object_get(body, "credential_id"));
    return host_key_ok(w, json_string_value(json_object_get(body, "host_key")));
}

/* Check url, ref and path as text; answers 400 on failure. */
static bool check_source(http_req *r, http_resp *w, const lgit_source *s)
{
    char why[256];
    const char *field = !lgit_url_ok(s->url, r->app->cfg.git_allow_local, why, sizeof why) ? "url"
                        : !lgit_ref_ok(s->ref, why, sizeof why)                              ? "ref"
                        : !lgit_path_ok(s->path, why, sizeof why)                            ? "path"
                                                                                             : NULL;
    if (!field && !s->directory && !*s->path) {
        field = "path";
        snprintf(why, sizeof why, "path to the file is required");
    }
    if (field)
        resp_error(w, 400, "bad_request", field, "%s", why);
    return !field;
}

/* The item body library_check() validates, built from an import. */
static json_t *item_body(const json_t *body, const char *name, const char *content, const lgit_result *res)
{
    char msg[300];
    snprintf(msg, sizeof msg, "git %.7s from %s", res->commit, res->ref);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "kind", str(body, "kind", ""), "name", name, "content", content,
                          "message", str(body, "message", msg));
    if (o && json_object_get(body, "description"))
        json_object_set(o, "description", json_object_get(body, "description"));
    if (o && json_object_get(body, "interpreter"))
        json_object_set(o, "interpreter", json_object_get(body, "interpreter"));
    return o;
}

/* Insert the imported item and its first version; answers w. */
static void store_import(http_req *r, http_resp *w, const json_t *item, const lgit_source *s, int64_t cred,
                         const lgit_result *res)
{
    json_t *row = NULL;
    db_conn *c = db_acquire(r->app->db);
    const char *kind = str(item, "kind", ""), *name = str(item, "name", ""), *desc = str(item, "description", "");
    int64_t now = util_now();
    if (db_begin(c) != DB_OK)
        goto fail;
    int rc = db_query_one(c, "INSERT INTO library_items (kind, name, description, interpreter, version, search_text, "
                             "source, source_url, source_ref, source_path, source_credential_id, source_commit, "
                             "source_host_key, synced_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, "
                             "lower($2 || ' ' || $3), 'git', $5, $6, $7, $8, $9, $11, $10, $10, $10) RETURNING id",
                          DB_ARGS(DB_TEXT(kind), DB_TEXT(name), DB_TEXT(desc),
                                  DB_TEXT(strcmp(kind, "script") == 0 ? str(item, "interpreter", "sh") : ""),
                                  DB_TEXT(s->url), DB_TEXT(s->ref), DB_TEXT(s->path), cred ? DB_INT(cred) : DB_NULLV,
                                  DB_TEXT(res->commit), DB_INT(now), DB_TEXT(res->host_key)),
                          &row);
    if (rc == DB_CONSTRAINT || rc == DB_FOREIGN) {
        db_rollback(c);
        if (rc == DB_FOREIGN)
            resp_error(w, 400, "bad_request", "credential_id", "no credential with id %lld", (long long)cred);
        else
            resp_error(w, 409, "conflict", "name", "a %s named \"%s\" exists", kind, name);
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    if (rc != DB_OK || library_add_version(r, c, id, 1, res->content, str(item, "message", ""), res->commit) != DB_OK ||
        db_commit(c) != DB_OK)
        goto fail;
    audit_set_id(r, "library", id, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "kind", kind, "name", name,
                                             "url", s->url, "ref", res->ref, "path", s->path, "commit", res->commit,
                                             "host_key", res->host_key, "version", 1));
    resp_json(w, 201, json_pack("{s:I, s:i, s:s, s:s}", "id", (json_int_t)id, "version", 1, "commit", res->commit,
                                "ref", res->ref));
    goto done;
fail:
    db_rollback(c);
    resp_internal(w, db_errmsg(c));
done:
    db_release(c);
    json_decref(row);
}

void library_import(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *item = NULL;
    secrets k = {0};
    lgit_result res = {0};
    int64_t cred = 0, exists = 0;
    char name[128];
    if (!body || !check_import(w, body, &cred))
        goto done;
    const char *kind = str(body, "kind", "");
    lgit_source s = {.url = str(body, "url", ""), .ref = str(body, "ref", ""), .path = str(body, "path", ""),
                     .host_key = str(body, "host_key", ""), .directory = strcmp(kind, "role") == 0};
    audit_set(r, "library", "", json_pack("{s:s, s:s, s:s}", "url", s.url, "ref", s.ref, "path", s.path));
    if (strcmp(kind, "script") && strcmp(kind, "playbook") && strcmp(kind, "role")) {
        resp_error(w, 400, "bad_request", "kind", "kind must be script, playbook or role");
        goto done;
    }
    if (!check_source(r, w, &s))
        goto done;
    default_name(s.url, s.path, name, sizeof name);
    const char *nm = str(body, "name", name);
    db_conn *c = db_acquire(r->app->db);
    db_query_int(c, "SELECT count(*) FROM library_items WHERE kind = $1 AND name = $2",
                 DB_ARGS(DB_TEXT(kind), DB_TEXT(nm)), &exists);
    db_release(c);
    if (exists) {
        resp_error(w, 409, "conflict", "name", "a %s named \"%s\" exists; give another name", kind, nm);
        goto done;
    }
    if (cred && !auth_has(&r->auth, "apps:admin")) {
        resp_error(w, 403, "forbidden", "credential_id",
                   "using a credential for a git source needs apps:admin (its password is sent to the URL's server)");
        goto done;
    }
    if ((cred && !load_secrets(r, w, cred, &k)) || !fetch(r, w, &s, cred ? &k : NULL, &res))
        goto done;
    if (!(item = item_body(body, nm, res.content, &res))) {
        resp_internal(w, "out of memory");
        goto done;
    }
    if (library_check(w, item, true, kind))
        store_import(r, w, item, &s, cred, &res);
done:
    secrets_free(&k);
    lgit_result_free(&res);
    json_decref(body);
    json_decref(item);
}

/* A sync's body: nothing, or {"host_key": "SHA256:…"} to accept a server's
 * new ssh key. Answers 400 on failure. */
static bool check_sync_body(http_resp *w, const json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (strcmp(k, "host_key") != 0 || !json_is_string(v)) {
            resp_error(w, 400, "bad_request", k, strcmp(k, "host_key") ? "unknown field \"%s\"" : "%s must be text", k);
            return false;
        }
    }
    return host_key_ok(w, json_string_value(json_object_get(body, "host_key")));
}

/* Store a sync's result: a new version when the content differs from the
 * current one, else only the commit seen. Answers w. */
static void store_sync(http_req *r, http_resp *w, int64_t id, const lgit_result *res)
{
    json_t *cur = NULL;
    char msg[300];
    db_conn *c = db_acquire(r->app->db);
    int64_t now = util_now();
    if (db_begin(c) != DB_OK ||
        db_query_one(c, "SELECT v.version, v.content FROM library_items i JOIN library_versions v "
                        "ON v.item_id = i.id AND v.version = i.version WHERE i.id = $1",
                     DB_ARGS(DB_INT(id)), &cur) != DB_OK)
        goto fail;
    int64_t version = json_integer_value(json_object_get(cur, "version"));
    bool changed = strcmp(str(cur, "content", ""), res->content) != 0;
    snprintf(msg, sizeof msg, "git %.7s from %s", res->commit, res->ref);
    if (changed) {
        int rc = library_add_version(r, c, id, ++version, res->content, msg, res->commit);
        if (rc == DB_CONSTRAINT) {
            db_rollback(c);
            resp_error(w, 409, "conflict", NULL, "the item changed meanwhile; sync again");
            goto done;
        }
        if (rc != DB_OK)
            goto fail;
    }
    if (db_exec(c, "UPDATE library_items SET version = $1, source_commit = $2, synced_at = $3, "
                   "updated_at = CASE WHEN $4 = 1 THEN $3 ELSE updated_at END, source_host_key = $6 WHERE id = $5",
                DB_ARGS(DB_INT(version), DB_TEXT(res->commit), DB_INT(now), DB_INT(changed), DB_INT(id),
                        DB_TEXT(res->host_key)),
                NULL) != DB_OK ||
        db_commit(c) != DB_OK)
        goto fail;
    audit_set_id(r, "library", id, json_pack("{s:s, s:s, s:s, s:b, s:I}", "commit", res->commit, "ref", res->ref,
                                             "host_key", res->host_key, "changed", changed, "version",
                                             (json_int_t)version));
    resp_json(w, 200, json_pack("{s:I, s:I, s:b, s:s, s:s, s:s}", "id", (json_int_t)id, "version",
                                (json_int_t)version, "changed", changed, "commit", res->commit, "ref", res->ref,
                                "message", changed ? msg : "unchanged"));
    goto done;
fail:
    db_rollback(c);
    resp_internal(w, db_errmsg(c));
done:
    db_release(c);
    json_decref(cur);
}

void library_sync(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *item = NULL, *check = NULL, *body = NULL;
    secrets k = {0};
    lgit_result res = {0};
    if (!req_id(r, w, 0, &id))
        return;
    if (r->body_len > 0 && !(body = req_json(r, w)))
        return;
    if (!check_sync_body(w, body))
        goto done;
    db_conn *c = db_acquire(r->app->db);
    int rc = db_query_one(c, "SELECT kind, source, source_url, source_ref, source_path, source_credential_id, "
                             "source_host_key FROM library_items WHERE id = $1",
                          DB_ARGS(DB_INT(id)), &item);
    db_release(c);
    if (rc != DB_OK) {
        resp_error(w, 404, "not_found", NULL, "no library item with id %lld", (long long)id);
        goto done;
    }
    if (strcmp(str(item, "source", ""), "git") != 0) {
        resp_error(w, 409, "not_git", NULL, "this item does not follow a git repository");
        goto done;
    }
    const char *kind = str(item, "kind", "");
    int64_t cred = json_integer_value(json_object_get(item, "source_credential_id"));
    lgit_source s = {.url = str(item, "source_url", ""), .ref = str(item, "source_ref", ""),
                     .path = str(item, "source_path", ""), .directory = strcmp(kind, "role") == 0,
                     .host_key = str(body, "host_key", str(item, "source_host_key", ""))};
    audit_set_id(r, "library", id, json_pack("{s:s, s:s, s:s}", "url", s.url, "ref", s.ref, "path", s.path));
    if ((cred && !load_secrets(r, w, cred, &k)) || !fetch(r, w, &s, cred ? &k : NULL, &res))
        goto done;
    if (!(check = json_pack("{s:s}", "content", res.content))) {
        resp_internal(w, "out of memory");
        goto done;
    }
    if (library_check(w, check, false, kind))
        store_sync(r, w, id, &res);
done:
    secrets_free(&k);
    lgit_result_free(&res);
    json_decref(body);
    json_decref(item);
    json_decref(check);
}
