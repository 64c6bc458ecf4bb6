/* migrations.h -- the SQL migrations embedded in the binary.
 *
 * scripts/embed-sql.sh turns src/store/schema/NNN_name.sql into
 * build/gen/schema_sql.c, which defines the two objects below. db_migrate()
 * (db.h) applies them in name order; db_migrate_list() applies any list and
 * exists so tests can exercise the mechanism with migrations of their own.
 *
 * Migration SQL is written once for both backends, with two aids:
 *   - the token @ID@ stands for the backend's auto-increment primary key
 *     column ("INTEGER PRIMARY KEY AUTOINCREMENT" on SQLite, "BIGSERIAL
 *     PRIMARY KEY" on PostgreSQL);
 *   - a line "-- @sqlite" or "-- @postgresql" starts lines for that backend
 *     only, and "-- @all" returns to lines for both (the default at the top).
 *     Any other "-- @word" line is an error, so a typo cannot silently drop
 *     statements.
 * A migration runs inside a transaction (with its schema_migrations row), so
 * it must not contain BEGIN/COMMIT itself.
 */
#ifndef CAIRN_MIGRATIONS_H
#define CAIRN_MIGRATIONS_H

#include "store/db.h"

#include <stddef.h>

typedef struct {
    const char *name; /* file name without ".sql", e.g. "001_core" */
    const char *sql;  /* the whole file, ;-separated statements */
} cairn_migration;

/* cairn_migrations_count entries, then a {NULL, NULL} sentinel. */
extern const cairn_migration cairn_migrations[];
extern const int cairn_migrations_count;

/* Apply the `count` migrations of `list` that are not yet recorded in
 * schema_migrations, in name order (the list need not be sorted), each with
 * its record in one transaction. Returns DB_OK, or a DB_* error with a message
 * naming the failing migration in err (always NUL-terminated when errlen > 0);
 * migrations applied before the failure stay applied. Duplicate names are an
 * error. `list` is borrowed. */
int db_migrate_list(db *d, const cairn_migration *list, int count, char *err, size_t errlen);

#endif
