/* routes.c -- every endpoint of cairnd in one table, with the permission it
 * needs and the name its writes carry in the audit log. Read this file to
 * know what the server exposes and who may call what. */
#include "api/audit.h"
#include "api/groups.h"
#include "api/health.h"
#include "api/roles.h"
#include "api/session.h"
#include "api/settings.h"
#include "api/tokens.h"
#include "api/users.h"
#include "http/router.h"
#include "http/static.h"

const route cairn_routes[] = {
    {"GET", "/api/v1/health", "public", health_get, NULL, 0, 0},

    {"POST", "/api/v1/auth/login", "public", session_login, "auth.login", ROUTE_SLOW | ROUTE_NO_CSRF, 4096},
    {"POST", "/api/v1/auth/logout", "login", session_logout, "auth.logout", 0, 0},
    {"GET", "/api/v1/auth/me", "login", session_me, NULL, 0, 0},
    {"POST", "/api/v1/auth/password", "login", session_change_password, "auth.password", ROUTE_SLOW, 4096},

    {"GET", "/api/v1/users", "users:view", users_list, NULL, 0, 0},
    {"POST", "/api/v1/users", "users:edit", users_create, "user.create", ROUTE_SLOW, 0},
    {"GET", "/api/v1/users/{id}", "users:view", users_get, NULL, 0, 0},
    {"PUT", "/api/v1/users/{id}", "users:edit", users_update, "user.update", 0, 0},
    {"PATCH", "/api/v1/users/{id}", "users:edit", users_update, "user.update", 0, 0},
    {"DELETE", "/api/v1/users/{id}", "users:edit", users_delete, "user.delete", 0, 0},
    {"POST", "/api/v1/users/{id}/password", "users:admin", users_reset_password, "user.password_reset", ROUTE_SLOW, 0},

    {"GET", "/api/v1/roles", "users:view", roles_list, NULL, 0, 0},
    {"POST", "/api/v1/roles", "users:edit", roles_create, "role.create", 0, 0},
    {"GET", "/api/v1/roles/{id}", "users:view", roles_get, NULL, 0, 0},
    {"PUT", "/api/v1/roles/{id}", "users:edit", roles_update, "role.update", 0, 0},
    {"PATCH", "/api/v1/roles/{id}", "users:edit", roles_update, "role.update", 0, 0},
    {"DELETE", "/api/v1/roles/{id}", "users:edit", roles_delete, "role.delete", 0, 0},
    {"GET", "/api/v1/permissions", "login", roles_permissions, NULL, 0, 0},

    {"GET", "/api/v1/tokens", "login", tokens_list, NULL, 0, 0},
    {"POST", "/api/v1/tokens", "login", tokens_create, "token.create", 0, 0},
    {"DELETE", "/api/v1/tokens/{id}", "login", tokens_revoke, "token.revoke", 0, 0},

    {"GET", "/api/v1/audit", "audit:view", audit_list, NULL, 0, 0},

    {"GET", "/api/v1/settings", "settings:view", settings_get, NULL, 0, 0},
    {"PUT", "/api/v1/settings", "settings:edit", settings_put, "settings.update", 0, 0},
    {"PATCH", "/api/v1/settings", "settings:edit", settings_put, "settings.update", 0, 0},

    {"GET", "/api/v1/groups", "assets:view", groups_list, NULL, 0, 0},
    {"POST", "/api/v1/groups", "assets:edit", groups_create, "group.create", 0, 0},
    {"DELETE", "/api/v1/groups/{id}", "assets:edit", groups_delete, "group.delete", 0, 0},

    {"GET", "/*", "public", static_serve, NULL, 0, 0},
    {NULL, NULL, NULL, NULL, NULL, 0, 0},
};
