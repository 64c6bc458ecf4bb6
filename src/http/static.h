/* static.h -- the console's files, served from the web directory.
 *
 * Only GET of files under cfg.web_dir; "/" is index.html. Paths with "..",
 * backslashes, NUL or hidden segments are refused, and the resolved path must
 * stay inside the directory (symlinks out are refused). Vendor files under
 * /vendor/ are cached for a day; the console's own files are revalidated with
 * an ETag on each load, so a new release shows at once.
 */
#ifndef CAIRN_STATIC_H
#define CAIRN_STATIC_H

#include "http/http.h"

void static_serve(http_req *r, http_resp *w);

#endif
