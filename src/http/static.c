/* static.c -- see static.h. */
#include "http/static.h"

#include "app.h"
#include "common/util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *ext;
    const char *type;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".ttf", "font/ttf"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".sh", "text/plain; charset=utf-8"},
};

static const char *mime_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof mime_types / sizeof mime_types[0]; i++)
            if (strcmp(dot, mime_types[i].ext) == 0)
                return mime_types[i].type;
    return "application/octet-stream";
}

static bool path_safe(const char *p)
{
    if (p[0] != '/' || strstr(p, "..") || strchr(p, '\\') || strstr(p, "/."))
        return false;
    for (const unsigned char *s = (const unsigned char *)p; *s; s++)
        if (*s < 0x20)
            return false;
    return true;
}

void static_serve(http_req *r, http_resp *w)
{
    const char *root = r->app->cfg.web_dir;
    const char *p = r->path;
    if (strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0) {
        resp_error(w, 404, "not_found", NULL, "no such endpoint: %s", p);
        return;
    }
    if (!path_safe(p)) {
        resp_error(w, 400, "bad_request", NULL, "bad path");
        return;
    }
    char path[PATH_MAX], real[PATH_MAX], real_root[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s%s%s", root, p, p[strlen(p) - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof path || !realpath(root, real_root) || !realpath(path, real)) {
        resp_error(w, 404, "not_found", NULL, "not found");
        return;
    }
    size_t rl = strlen(real_root);
    if (strncmp(real, real_root, rl) != 0 || real[rl] != '/') {
        resp_error(w, 404, "not_found", NULL, "not found");
        return;
    }
    int fd = open(real, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        resp_error(w, 404, "not_found", NULL, "not found");
        return;
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_mtime,
             (unsigned long long)st.st_size);
    resp_header(w, "ETag", etag);
    resp_header(w, "Cache-Control",
                strncmp(p, "/vendor/", 8) == 0 ? "public, max-age=86400" : "no-cache");
    const char *inm = req_header(r, "If-None-Match");
    w->content_type = mime_for(real);
    if (inm && strcmp(inm, etag) == 0) {
        close(fd);
        w->status = 304;
        return;
    }
    w->status = 200;
    w->fd = fd;
    w->fd_size = (uint64_t)st.st_size;
}
