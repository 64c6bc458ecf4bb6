/* settings.h -- run-time settings an admin edits in the console.
 *
 * Each setting is described once in settings.c (name, type, range, default);
 * values live in table `settings` so every cairnd on one database agrees.
 * Reads go through a small cache refreshed every few seconds, so the hot
 * path (session checks) costs no query.
 */
#ifndef CAIRN_SETTINGS_H
#define CAIRN_SETTINGS_H

#include "app.h"
#include "http/http.h"

#include <stdint.h>

/* Integer setting `key` (its default when unset; 0 for an unknown key). */
int64_t settings_int(app *a, const char *key);

/* Copy string setting `key` into out. */
void settings_str(app *a, const char *key, char *out, size_t cap);

/* Forget the cache (after a write, or in tests). */
void settings_invalidate(void);

void settings_get(http_req *r, http_resp *w);
void settings_put(http_req *r, http_resp *w);

#endif
