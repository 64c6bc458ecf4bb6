/* app.h -- the state cairnd shares between threads: configuration, the
 * database pool, run-time settings. One instance, made in cairnd.c; handlers
 * reach it through http_req.app. Nothing in it changes after start-up except
 * through its own locks (settings.c). */
#ifndef CAIRN_APP_H
#define CAIRN_APP_H

#include "common/config.h"
#include "store/db.h"

#include <stdint.h>

typedef struct app app;

struct app {
    config cfg;
    db *db;
    int64_t started_at;
};

#endif
