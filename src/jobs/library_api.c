/* library_api.c -- the library of scripts, playbooks and roles, with versions.
 *
 *   GET    /api/v1/library?kind=script|playbook|role&q=     list (current versions)
 *   POST   /api/v1/library                                  {kind, name, description, interpreter, content, message}
 *   GET    /api/v1/library/{id}                             item, its content and its version history
 *   GET    /api/v1/library/{id}/versions/{version}          the content of one version
 *   PUT    /api/v1/library/{id}                             new content → a new version; other fields in place
 *                                                            (an item that follows git: content only with
 *                                                            "detach": true, which ends following git)
 *   POST   /api/v1/library/import, /api/v1/library/{id}/sync  git sources: see library_gitapi.c
 *   DELETE /api/v1/library/{id}                             refused while a scheduled task uses it
 *
 * Every change keeps the earlier versions (who, when, message). A role's
 * content is a JSON object of its files {"tasks/main.yml": "…"} with safe
 * relative paths. Nothing stored here is reachable without tasks:view, and
 * nothing is executed except by a job (tasks:execute).
 */
#include "jobs/library.h"

#include "api/audit.h"
#include "api/listq.h"
#include "app.h"
#include "common/util.h"
#include "store/db.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_CONTENT LIBRARY_MAX_CONTENT

static const char *const kinds[] = {"script", "playbook", "role", NULL};
static const char *const interpreters[] = {"sh", "bash", "python3", "perl", NULL};

static bool in(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static bool bad(http_resp *w, const char *field, const char *msg)
{
    resp_error(w, 400, "bad_request", field, "%s", msg);
    return false;
}

/* A role's files: {"tasks/main.yml": "…"}; paths relative and plain. */
static bool check_role(http_resp *w, const char *content)
{
    json_t *files = json_loads(content, 0, NULL);
    bool ok = json_is_object(files) && json_object_size(files) > 0 && json_object_size(files) <= 64;
    const char *path;
    json_t *v;
    json_object_foreach(files, path, v) {
        size_t n = strlen(path);
        if (!ok || !json_is_string(v) || n == 0 || n > 200 || path[0] == '/' || strstr(path, "..") ||
            strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-") != n)
            ok = false;
    }
    json_decref(files);
    return ok || bad(w, "content", "a role is a JSON object of files, e.g. {\"tasks/main.yml\": \"…\"}, with "
                                   "relative paths of letters, digits, _ . / -");
}

bool library_check(http_resp *w, const json_t *body, bool creating, const char *kind)
{
    static const char *const known[] = {"kind", "name", "description", "interpreter", "content", "message", NULL};
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (!in(known, k)) {
            resp_error(w, 400, "bad_request", k, "unknown field \"%s\"", k);
            return false;
        }
        if (!json_is_string(v))
            return bad(w, k, "must be text");
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *content = json_string_value(json_object_get(body, "content"));
    const char *interp = json_string_value(json_object_get(body, "interpreter"));
    if (creating && !in(kinds, kind))
        return bad(w, "kind", "kind must be script, playbook or role");
    if (!creating && json_object_get(body, "kind"))
        return bad(w, "kind", "the kind of an item cannot change");
    if ((creating || name) && (!name || !*name || strlen(name) > 100 ||
                               strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
                                   strlen(name)))
        return bad(w, "name", "name must be 1 to 100 letters, digits, _ . -");
    if ((creating || content) && (!content || strlen(content) > MAX_CONTENT || !*content))
        return bad(w, "content", "content must be 1 byte to 1 MiB of text");
    if (interp && *interp && !in(interpreters, interp))
        return bad(w, "interpreter", "interpreter must be sh, bash, python3 or perl");
    const char *desc = json_string_value(json_object_get(body, "description"));
    if (desc && util_utf8_len(desc) > 255)
        return bad(w, "description", "description is longer than 255 characters");
    const char *msg = json_string_value(json_object_get(body, "message"));
    if (msg && util_utf8_len(msg) > 255)
        return bad(w, "message", "message is longer than 255 characters");
    if (content && kind && strcmp(kind, "role") == 0 && !check_role(w, content))
        return false;
    return true;
}

static const char *str(const json_t *o, const char *k, const char *def)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : def;
}

int library_add_version(http_req *r, db_conn *c, int64_t id, int64_t version, const char *content, const char *msg,
                        const char *commit)
{
    return db_exec(c, "INSERT INTO library_versions (item_id, version, content, author, message, source_commit, "
                      "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   DB_ARGS(DB_INT(id), DB_INT(version), DB_TEXT(content), DB_TEXT(r->auth.username), DB_TEXT(msg),
                           DB_TEXT(commit), DB_INT(util_now())),
                   NULL);
}

void library_create(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *row = NULL;
    db_conn *c = NULL;
    const char *kind = str(body, "kind", NULL);
    if (!body || !library_check(w, body, true, kind))
        goto done;
    c = db_acquire(r->app->db);
    if (db_begin(c) != DB_OK)
        goto fail;
    int64_t now = util_now();
    int rc = db_query_one(c, "INSERT INTO library_items (kind, name, description, interpreter, version, search_text, "
                             "created_at, updated_at) VALUES ($1, $2, $3, $4, 1, lower($2 || ' ' || $3), $5, $5) "
                             "RETURNING id",
                          DB_ARGS(DB_TEXT(kind), DB_TEXT(str(body, "name", "")), DB_TEXT(str(body, "description", "")),
                                  DB_TEXT(strcmp(kind, "script") == 0 ? str(body, "interpreter", "sh") : ""),
                                  DB_INT(now)),
                          &row);
    if (rc == DB_CONSTRAINT) {
        db_rollback(c);
        resp_error(w, 409, "conflict", "name", "a %s named \"%s\" exists", kind, str(body, "name", ""));
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    if (rc != DB_OK || library_add_version(r, c, id, 1, str(body, "content", ""), str(body, "message", "created"), "") != DB_OK ||
        db_commit(c) != DB_OK)
        goto fail;
    audit_set_id(r, "library", id, json_pack("{s:s, s:s, s:i}", "kind", kind, "name", str(body, "name", ""),
                                             "version", 1));
    resp_json(w, 201, json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 1));
    goto done;
fail:
    db_rollback(c);
    resp_internal(w, db_errmsg(c));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

#define ITEM_COLUMNS                                                                                           \
    "SELECT id, kind, name, description, interpreter, version, source, source_url, source_ref, source_path, "     \
    "source_credential_id, source_commit, source_host_key, synced_at, created_at, updated_at"

static const listq_field item_fields[] = {
    {"id", LISTQ_SORT}, {"kind", LISTQ_SORT}, {"name", LISTQ_SORT | LISTQ_SEARCH},
    {"description", LISTQ_SEARCH}, {"updated_at", LISTQ_SORT}, {NULL, 0},
};

void library_list(http_req *r, http_resp *w)
{
    listq q;
    if (listq_parse(r, w, item_fields, "name", &q)) {
        const char *kind = req_query(r, "kind");
        if (kind && *kind)
            listq_where(&q, "kind = $%d", DB_TEXT(kind));
        listq_run(r, w, &q, ITEM_COLUMNS " FROM library_items", NULL);
    }
    listq_free(&q);
}

void library_get(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *item = NULL, *versions = NULL, *cur = NULL;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (db_query_one(c, ITEM_COLUMNS " FROM library_items WHERE id = $1",
                     DB_ARGS(DB_INT(id)), &item) != DB_OK) {
        resp_error(w, 404, "not_found", NULL, "no library item with id %lld", (long long)id);
        goto done;
    }
    if (db_query(c, "SELECT version, author, message, source_commit AS \"commit\", created_at FROM library_versions "
                    "WHERE item_id = $1 "
                    "ORDER BY version DESC",
                 DB_ARGS(DB_INT(id)), &versions) != DB_OK ||
        db_query_one(c, "SELECT content FROM library_versions WHERE item_id = $1 AND version = $2",
                     DB_ARGS(DB_INT(id), DB_INT(json_integer_value(json_object_get(item, "version")))), &cur) != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    json_object_set(item, "content", json_object_get(cur, "content"));
    json_object_set(item, "versions", versions);
    resp_json(w, 200, json_incref(item));
done:
    db_release(c);
    json_decref(item);
    json_decref(versions);
    json_decref(cur);
}

void library_version(http_req *r, http_resp *w)
{
    int64_t id, v;
    json_t *row = NULL;
    if (!req_id(r, w, 0, &id) || !req_id(r, w, 1, &v))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (db_query_one(c, "SELECT version, content, author, message, source_commit AS \"commit\", created_at "
                        "FROM library_versions "
                        "WHERE item_id = $1 AND version = $2",
                     DB_ARGS(DB_INT(id), DB_INT(v)), &row) != DB_OK)
        resp_error(w, 404, "not_found", NULL, "no version %lld of item %lld", (long long)v, (long long)id);
    else
        resp_json(w, 200, json_incref(row));
    db_release(c);
    json_decref(row);
}

/* "detach": true (optional, boolean) is taken out of body into *detach. */
static bool take_detach(http_resp *w, json_t *body, bool *detach)
{
    json_t *d = json_object_get(body, "detach");
    if (d && !json_is_boolean(d))
        return bad(w, "detach", "detach must be true or false");
    *detach = json_is_true(d);
    json_object_del(body, "detach");
    return true;
}

void library_update(http_req *r, http_resp *w)
{
    int64_t id;
    json_t *body = NULL, *item = NULL, *cur = NULL;
    db_conn *c = NULL;
    bool detach = false;
    if (!req_id(r, w, 0, &id) || !(body = req_json(r, w)) || !take_detach(w, body, &detach))
        goto done;
    c = db_acquire(r->app->db);
    if (db_query_one(c, "SELECT kind, name, description, interpreter, version, source, source_url FROM library_items "
                        "WHERE id = $1",
                     DB_ARGS(DB_INT(id)), &item) != DB_OK) {
        resp_error(w, 404, "not_found", NULL, "no library item with id %lld", (long long)id);
        goto done;
    }
    if (!library_check(w, body, false, str(item, "kind", "")))
        goto done;
    int64_t version = json_integer_value(json_object_get(item, "version"));
    const char *content = str(body, "content", NULL);
    db_query_one(c, "SELECT content FROM library_versions WHERE item_id = $1 AND version = $2",
                 DB_ARGS(DB_INT(id), DB_INT(version)), &cur);
    bool new_version = content && strcmp(content, str(cur, "content", "")) != 0;
    bool git = strcmp(str(item, "source", ""), "git") == 0;
    if (git && new_version && !detach) {
        resp_error(w, 409, "git_sourced", "content",
                   "this item follows git (%s); sync it, or send \"detach\": true to edit it here, after which "
                   "it no longer follows git", str(item, "source_url", ""));
        goto done;
    }
    if (db_begin(c) != DB_OK)
        goto fail;
    if (new_version) {
        version++;
        int vrc = library_add_version(r, c, id, version, content, str(body, "message", ""), "");
        if (vrc == DB_CONSTRAINT) {
            db_rollback(c);
            resp_error(w, 409, "conflict", "content", "the item changed meanwhile; reload it and try again");
            goto done;
        }
        if (vrc != DB_OK)
            goto fail;
    }
    const char *name = str(body, "name", str(item, "name", "")), *desc = str(body, "description", str(item, "description", ""));
    int rc = db_exec(c, "UPDATE library_items SET name = $1, description = $2, interpreter = $3, version = $4, "
                        "search_text = lower($1 || ' ' || $2), updated_at = $5 WHERE id = $6",
                     DB_ARGS(DB_TEXT(name), DB_TEXT(desc), DB_TEXT(str(body, "interpreter", str(item, "interpreter", ""))),
                             DB_INT(version), DB_INT(util_now()), DB_INT(id)),
                     NULL);
    if (rc == DB_CONSTRAINT) {
        db_rollback(c);
        resp_error(w, 409, "conflict", "name", "that name is taken");
        goto done;
    }
    if (rc == DB_OK && git && detach)
        rc = db_exec(c, "UPDATE library_items SET source = '', source_ref = '', source_path = '', "
                        "source_credential_id = NULL, source_host_key = '', synced_at = NULL WHERE id = $1",
                     DB_ARGS(DB_INT(id)), NULL);
    if (rc != DB_OK || db_commit(c) != DB_OK)
        goto fail;
    audit_set_id(r, "library", id, json_pack("{s:s, s:I, s:b, s:b}", "name", name, "version", (json_int_t)version,
                                             "new_version", new_version, "detached", git && detach));
    resp_json(w, 200, json_pack("{s:I, s:I}", "id", (json_int_t)id, "version", (json_int_t)version));
    goto done;
fail:
    db_rollback(c);
    resp_internal(w, db_errmsg(c));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(item);
    json_decref(cur);
}

void library_delete(http_req *r, http_resp *w)
{
    int64_t id, users = 0, changed = 0;
    char pat[4][64];
    if (!req_id(r, w, 0, &id))
        return;
    /* Tasks keep their spec as compact JSON: the id is followed by , or }. */
    for (int i = 0; i < 4; i++)
        snprintf(pat[i], sizeof pat[i], "%%\"%s_id\":%lld%c%%", i < 2 ? "script" : "playbook", (long long)id,
                 i % 2 ? '}' : ',');
    db_conn *c = db_acquire(r->app->db);
    db_query_int(c, "SELECT count(*) FROM tasks WHERE spec LIKE $1 OR spec LIKE $2 OR spec LIKE $3 OR spec LIKE $4",
                 DB_ARGS(DB_TEXT(pat[0]), DB_TEXT(pat[1]), DB_TEXT(pat[2]), DB_TEXT(pat[3])), &users);
    if (users > 0)
        resp_error(w, 409, "conflict", NULL, "%lld scheduled task(s) use this item; change them first", (long long)users);
    else if (db_exec(c, "DELETE FROM library_items WHERE id = $1", DB_ARGS(DB_INT(id)), &changed) != DB_OK)
        resp_internal(w, db_errmsg(c));
    else if (!changed)
        resp_error(w, 404, "not_found", NULL, "no library item with id %lld", (long long)id);
    else {
        audit_set_id(r, "library", id, NULL);
        resp_json(w, 200, json_pack("{s:b}", "ok", 1));
    }
    db_release(c);
}
