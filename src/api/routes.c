/* routes.c -- every endpoint of cairnd in one table, with the permission it
 * needs and the name its writes carry in the audit log. Read this file to
 * know what the server exposes and who may call what. */
#include "api/audit.h"
#include "cmdb/resource.h"
#include "jobs/inventory.h"
#include "jobs/jobs.h"
#include "jobs/library.h"
#include "jobs/tasks.h"
#include "monitor/agent_api.h"
#include "monitor/ingest.h"
#include "monitor/metrics_api.h"
#include "api/health.h"
#include "api/roles.h"
#include "api/session.h"
#include "api/settings.h"
#include "api/tokens.h"
#include "api/users.h"
#include "http/router.h"
#include "http/static.h"

const route cairn_routes[] = {
    {"GET", "/api/v1/health", "public", health_get, NULL, 0, 0, NULL},

    {"POST", "/api/v1/auth/login", "public", session_login, "auth.login", ROUTE_SLOW | ROUTE_NO_CSRF, 4096, NULL},
    {"POST", "/api/v1/auth/logout", "login", session_logout, "auth.logout", 0, 0, NULL},
    {"GET", "/api/v1/auth/me", "login", session_me, NULL, 0, 0, NULL},
    {"POST", "/api/v1/auth/password", "login", session_change_password, "auth.password", ROUTE_SLOW, 4096, NULL},

    {"GET", "/api/v1/users", "users:view", users_list, NULL, 0, 0, NULL},
    {"POST", "/api/v1/users", "users:edit", users_create, "user.create", ROUTE_SLOW, 0, NULL},
    {"GET", "/api/v1/users/{id}", "users:view", users_get, NULL, 0, 0, NULL},
    {"PUT", "/api/v1/users/{id}", "users:edit", users_update, "user.update", 0, 0, NULL},
    {"PATCH", "/api/v1/users/{id}", "users:edit", users_update, "user.update", 0, 0, NULL},
    {"DELETE", "/api/v1/users/{id}", "users:edit", users_delete, "user.delete", 0, 0, NULL},
    {"POST", "/api/v1/users/{id}/password", "users:admin", users_reset_password, "user.password_reset", ROUTE_SLOW, 0, NULL},
    {"POST", "/api/v1/users/{id}/unlock", "users:admin", users_unlock, "user.unlock", 0, 0, NULL},

    {"GET", "/api/v1/roles", "users:view", roles_list, NULL, 0, 0, NULL},
    {"POST", "/api/v1/roles", "users:edit", roles_create, "role.create", 0, 0, NULL},
    {"GET", "/api/v1/roles/{id}", "users:view", roles_get, NULL, 0, 0, NULL},
    {"PUT", "/api/v1/roles/{id}", "users:edit", roles_update, "role.update", 0, 0, NULL},
    {"PATCH", "/api/v1/roles/{id}", "users:edit", roles_update, "role.update", 0, 0, NULL},
    {"DELETE", "/api/v1/roles/{id}", "users:edit", roles_delete, "role.delete", 0, 0, NULL},
    {"GET", "/api/v1/permissions", "login", roles_permissions, NULL, 0, 0, NULL},

    {"GET", "/api/v1/tokens", "login", tokens_list, NULL, 0, 0, NULL},
    {"POST", "/api/v1/tokens", "login", tokens_create, "token.create", 0, 0, NULL},
    {"DELETE", "/api/v1/tokens/{id}", "login", tokens_revoke, "token.revoke", 0, 0, NULL},

    {"GET", "/api/v1/audit", "audit:view", audit_list, NULL, 0, 0, NULL},

    {"GET", "/api/v1/settings", "settings:view", settings_get, NULL, 0, 0, NULL},
    {"PUT", "/api/v1/settings", "settings:edit", settings_put, "settings.update", 0, 0, NULL},
    {"PATCH", "/api/v1/settings", "settings:edit", settings_put, "settings.update", 0, 0, NULL},

    /* CMDB and applications: one description per resource (cmdb/resources.c),
     * eight routes each. */
    {"GET", "/api/v1/schema", "login", resource_schema, NULL, 0, 0, NULL},
    RESOURCE_ROUTES("/api/v1/hosts", "assets", &res_hosts, "host"),
    RESOURCE_ROUTES("/api/v1/groups", "assets", &res_groups, "group"),
    RESOURCE_ROUTES("/api/v1/idcs", "assets", &res_idcs, "idc"),
    RESOURCE_ROUTES("/api/v1/cabinets", "assets", &res_cabinets, "cabinet"),
    RESOURCE_ROUTES("/api/v1/asset-types", "assets", &res_asset_types, "asset_type"),
    RESOURCE_ROUTES("/api/v1/asset-statuses", "assets", &res_asset_statuses, "asset_status"),
    RESOURCE_ROUTES("/api/v1/credentials", "apps", &res_credentials, "credential"),
    RESOURCE_ROUTES("/api/v1/owners", "apps", &res_owners, "owner"),
    RESOURCE_ROUTES("/api/v1/products", "apps", &res_products, "product"),
    RESOURCE_ROUTES("/api/v1/projects", "apps", &res_projects, "project"),
    RESOURCE_ROUTES("/api/v1/regions", "apps", &res_regions, "region"),
    RESOURCE_ROUTES("/api/v1/branches", "apps", &res_branches, "branch"),
    RESOURCE_ROUTES("/api/v1/resources", "apps", &res_resources, "resource"),
    /* The navigation page is everyone's home page: any signed-in user reads
     * it; editing it is a settings right. */
    {"GET", "/api/v1/nav-links", "login", resource_list, NULL, 0, 0, &res_nav},
    {"GET", "/api/v1/nav-links/{id}", "login", resource_get, NULL, 0, 0, &res_nav},
    {"POST", "/api/v1/nav-links", "settings:edit", resource_create, "nav_link.create", 0, 0, &res_nav},
    {"POST", "/api/v1/nav-links/bulk-delete", "settings:edit", resource_bulk_delete, "nav_link.bulk_delete", 0, 0, &res_nav},
    {"PUT", "/api/v1/nav-links/{id}", "settings:edit", resource_update, "nav_link.update", 0, 0, &res_nav},
    {"PATCH", "/api/v1/nav-links/{id}", "settings:edit", resource_update, "nav_link.update", 0, 0, &res_nav},
    {"DELETE", "/api/v1/nav-links/{id}", "settings:edit", resource_delete, "nav_link.delete", 0, 0, &res_nav},

    /* Agents and monitoring (docs/AGENT.md). Reports are telemetry and are
     * not audited; enrollments and token changes are. */
    {"POST", "/api/v1/agent/enroll", "public", agent_enroll, "agent.enroll", 0, 16384, NULL},
    {"POST", "/api/v1/agent/report", "agent", ingest_report, "agent.report", ROUTE_QUIET, 4u << 20, NULL},
    {"GET", "/api/v1/agent/enroll-token", "settings:admin", agent_enroll_token_get, NULL, 0, 0, NULL},
    {"POST", "/api/v1/agent/enroll-token/rotate", "settings:admin", agent_enroll_token_rotate, "agent.enroll_token_rotate", 0, 0, NULL},
    {"POST", "/api/v1/hosts/{id}/agent/revoke", "assets:admin", agent_revoke_host, "agent.revoke", 0, 0, NULL},
    {"GET", "/api/v1/hosts/{id}/facts", "assets:view", agent_host_facts, NULL, 0, 0, NULL},
    {"GET", "/api/v1/metrics", "monitor:view", metrics_hosts, NULL, 0, 0, NULL},
    {"GET", "/api/v1/metrics/{id}", "monitor:view", metrics_host, NULL, 0, 0, NULL},
    {"GET", "/api/v1/metrics/{id}/series", "monitor:view", metrics_series, NULL, 0, 0, NULL},
    {"GET", "/api/v1/dashboard", "assets:view", dashboard_get, NULL, 0, 0, NULL},
    /* Jobs: commands, scripts, files, Ansible on hosts (jobs/jobs.h). */
    {"POST", "/api/v1/jobs", "tasks:execute", jobs_create, "job.create", 0, 12u << 20, NULL},
    {"GET", "/api/v1/jobs", "tasks:view", jobs_list, NULL, 0, 0, NULL},
    {"GET", "/api/v1/jobs/{id}", "tasks:view", jobs_get, NULL, 0, 0, NULL},
    {"GET", "/api/v1/jobs/{id}/stream", "tasks:view", jobs_stream, NULL, 0, 0, NULL},
    {"POST", "/api/v1/jobs/{id}/cancel", "tasks:execute", jobs_cancel, "job.cancel", 0, 0, NULL},
    {"POST", "/api/v1/jobs/{id}/rerun", "tasks:execute", jobs_rerun, "job.rerun", 0, 0, NULL},
    {"GET", "/api/v1/library", "tasks:view", library_list, NULL, 0, 0, NULL},
    {"POST", "/api/v1/library", "tasks:edit", library_create, "library.create", 0, 2u << 20, NULL},
    {"POST", "/api/v1/library/import", "tasks:edit", library_import, "library.import", ROUTE_SLOW, 0, NULL},
    {"GET", "/api/v1/library/{id}", "tasks:view", library_get, NULL, 0, 0, NULL},
    {"POST", "/api/v1/library/{id}/sync", "tasks:edit", library_sync, "library.sync", ROUTE_SLOW, 0, NULL},
    {"GET", "/api/v1/library/{id}/versions/{version}", "tasks:view", library_version, NULL, 0, 0, NULL},
    {"PUT", "/api/v1/library/{id}", "tasks:edit", library_update, "library.update", 0, 2u << 20, NULL},
    {"DELETE", "/api/v1/library/{id}", "tasks:edit", library_delete, "library.delete", 0, 0, NULL},
    {"GET", "/api/v1/ansible/inventory", "tasks:view", ansible_inventory_get, NULL, 0, 0, NULL},
    {"GET", "/api/v1/tasks", "tasks:view", tasks_list, NULL, 0, 0, NULL},
    {"POST", "/api/v1/tasks", "tasks:edit", tasks_create, "task.create", 0, 12u << 20, NULL},
    {"GET", "/api/v1/tasks/{id}", "tasks:view", tasks_get, NULL, 0, 0, NULL},
    {"PUT", "/api/v1/tasks/{id}", "tasks:edit", tasks_update, "task.update", 0, 12u << 20, NULL},
    {"PATCH", "/api/v1/tasks/{id}", "tasks:edit", tasks_update, "task.update", 0, 12u << 20, NULL},
    {"DELETE", "/api/v1/tasks/{id}", "tasks:edit", tasks_delete, "task.delete", 0, 0, NULL},
    {"POST", "/api/v1/tasks/{id}/run", "tasks:execute", tasks_run_now, "task.run", 0, 0, NULL},
    {"POST", "/api/v1/schedules/preview", "tasks:view", tasks_preview, "schedule.preview", 0, 0, NULL},
    {"POST", "/api/v1/hosts/{id}/host-key/accept", "assets:admin", jobs_accept_host_key, "host.host_key_accept", 0, 0, NULL},

    {"GET", "/agent/cairn-agent", "public", agent_download, NULL, 0, 0, NULL},
    {"GET", "/agent/install.sh", "public", agent_install_script, NULL, 0, 0, NULL},

    {"GET", "/*", "public", static_serve, NULL, 0, 0, NULL},
    {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL},
};
