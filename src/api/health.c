/* health.c -- see health.h. The database is checked with a trivial query on
 * every call, so a load balancer stops sending traffic to an instance whose
 * database is gone. */
#include "api/health.h"

#include "app.h"
#include "common/util.h"
#include "store/db.h"

void health_get(http_req *r, http_resp *w)
{
    int64_t one = 0;
    db_conn *c = db_acquire(r->app->db);
    int rc = db_query_int(c, "SELECT 1", DB_NOARGS, &one);
    db_release(c);
    bool ok = rc == DB_OK && one == 1;
    resp_json(w, ok ? 200 : 503,
              json_pack("{s:s, s:s, s:s, s:I}", "status", ok ? "ok" : "error", "version",
                        CAIRN_VERSION, "db", db_kind(r->app->db), "uptime",
                        (json_int_t)(util_now() - r->app->started_at)));
}
