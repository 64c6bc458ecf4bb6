/* groups.c -- see groups.h. */
#include "api/groups.h"

#include "api/audit.h"
#include "api/listq.h"
#include "api/validate.h"
#include "app.h"
#include "common/util.h"
#include "store/db.h"

static const listq_field group_list_fields[] = {
    {"id", LISTQ_SORT},
    {"name", LISTQ_SORT | LISTQ_SEARCH},
    {"description", LISTQ_SEARCH},
    {NULL, 0},
};

static const val_field group_fields[] = {
    {"name", VT_STRING, VF_REQUIRED | VF_LINE, 0, 64},
    {"description", VT_STRING, VF_LINE, 0, 255},
    {NULL, 0, 0, 0, 0},
};

void groups_list(http_req *r, http_resp *w)
{
    listq q;
    if (listq_parse(r, w, group_list_fields, "name", &q))
        listq_run(r, w, &q, "SELECT id, name, description, created_at, updated_at FROM host_groups", NULL);
    listq_free(&q);
}

void groups_create(http_req *r, http_resp *w)
{
    json_t *body = req_json(r, w), *row = NULL;
    db_conn *c = NULL;
    if (!body || !val_check(w, body, group_fields, false))
        goto done;
    const char *desc = json_string_value(json_object_get(body, "description"));
    c = db_acquire(r->app->db);
    int rc = db_query_one(c, "INSERT INTO host_groups (name, description, created_at, updated_at) "
                             "VALUES ($1, $2, $3, $3) RETURNING id",
                          DB_ARGS(DB_TEXT(json_string_value(json_object_get(body, "name"))),
                                  DB_TEXT(desc ? desc : ""), DB_INT(util_now())), &row);
    if (rc == DB_CONSTRAINT) {
        resp_error(w, 409, "conflict", "name", "a group with that name exists");
        goto done;
    }
    if (rc != DB_OK) {
        resp_internal(w, db_errmsg(c));
        goto done;
    }
    int64_t id = json_integer_value(json_object_get(row, "id"));
    audit_set_id(r, "group", id, audit_diff(NULL, body, NULL));
    resp_json(w, 201, json_pack("{s:I}", "id", (json_int_t)id));
done:
    if (c)
        db_release(c);
    json_decref(body);
    json_decref(row);
}

void groups_delete(http_req *r, http_resp *w)
{
    int64_t id, changed = 0;
    if (!req_id(r, w, 0, &id))
        return;
    db_conn *c = db_acquire(r->app->db);
    if (db_exec(c, "DELETE FROM host_groups WHERE id = $1", DB_ARGS(DB_INT(id)), &changed) != DB_OK)
        resp_internal(w, db_errmsg(c));
    else if (!changed)
        resp_error(w, 404, "not_found", NULL, "no group with id %lld", (long long)id);
    else {
        audit_set_id(r, "group", id, NULL);
        resp_json(w, 200, json_pack("{s:b}", "ok", 1));
    }
    db_release(c);
}
