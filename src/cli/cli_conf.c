/* cli_conf.c -- the server URL and API token of the `cairn` command.
 *
 * How: the environment wins (CAIRN_URL, CAIRN_TOKEN), so a CI job or an
 * Ansible inventory wrapper can pass them without a file; what is missing
 * is read from $XDG_CONFIG_HOME/cairn/cli.conf, else ~/.config/cairn/cli.conf
 * (a missing file is fine when the environment had both). The file is read
 * through one descriptor (fstat, then read) so its mode check and its
 * contents are of the same file.
 */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONF_MAX (64 * 1024)

/* Copy s without surrounding blanks into out; false when it does not fit. */
static int set_value(char *out, size_t cap, const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    if (n >= cap)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int cli_conf_parse(cli_conf *c, const char *text, const char *name, char *err, size_t cap)
{
    int lineno = 0;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        lineno++;
        const char *p = line;
        while (p < line + len && (*p == ' ' || *p == '\t'))
            p++;
        if (p < line + len && *p != '#' && *p != '\r') {
            const char *eq = memchr(p, '=', (size_t)(line + len - p));
            char key[32];
            if (!eq || set_value(key, sizeof key, p, (size_t)(eq - p)) != 0) {
                snprintf(err, cap, "%s:%d: expected `key = value`", name, lineno);
                return -1;
            }
            const char *v = eq + 1;
            size_t vn = (size_t)(line + len - v);
            int rc = 0;
            if (strcmp(key, "url") == 0) {
                if (!c->url[0])
                    rc = set_value(c->url, sizeof c->url, v, vn);
            } else if (strcmp(key, "token") == 0) {
                if (!c->token[0])
                    rc = set_value(c->token, sizeof c->token, v, vn);
            } else {
                snprintf(err, cap, "%s:%d: unknown key \"%s\" (expected url or token)", name, lineno, key);
                return -1;
            }
            if (rc != 0) {
                snprintf(err, cap, "%s:%d: value too long", name, lineno);
                return -1;
            }
        }
        line = end ? end + 1 : NULL;
    }
    return 0;
}

/* Read the config file at path into c. A missing file is not an error. */
static int read_file(cli_conf *c, const char *path, char *err, size_t cap)
{
    struct stat st;
    char *text = NULL;
    int rc = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > CONF_MAX) {
        snprintf(err, cap, "%s: not a regular file of at most 64 KiB", path);
        goto done;
    }
    if (!(text = calloc(1, (size_t)st.st_size + 1))) {
        snprintf(err, cap, "out of memory");
        goto done;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    text[got] = '\0';
    bool had_token = c->token[0] != '\0';
    if (cli_conf_parse(c, text, path, err, cap) != 0)
        goto done;
    if (!had_token && c->token[0] && (st.st_mode & 077)) {
        snprintf(err, cap, "%s holds an API token but other users may read it; run: chmod 600 %s", path, path);
        goto done;
    }
    snprintf(c->source, sizeof c->source, "%.*s", (int)sizeof c->source - 1, path);
    rc = 0;
done:
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    close(fd);
    return rc;
}

int cli_conf_load(cli_conf *c, char *err, size_t cap)
{
    const char *url = getenv("CAIRN_URL"), *token = getenv("CAIRN_TOKEN");
    memset(c, 0, sizeof *c);
    snprintf(c->source, sizeof c->source, "the environment");
    if (url && *url && set_value(c->url, sizeof c->url, url, strlen(url)) != 0) {
        snprintf(err, cap, "CAIRN_URL is too long");
        return -1;
    }
    if (token && *token && set_value(c->token, sizeof c->token, token, strlen(token)) != 0) {
        snprintf(err, cap, "CAIRN_TOKEN is too long");
        return -1;
    }
    if (!c->url[0] || !c->token[0]) {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        char path[CLI_URL_MAX];
        if (xdg && xdg[0] == '/')
            snprintf(path, sizeof path, "%s/cairn/cli.conf", xdg);
        else if (home && *home)
            snprintf(path, sizeof path, "%s/.config/cairn/cli.conf", home);
        else
            path[0] = '\0';
        if (path[0] && read_file(c, path, err, cap) != 0)
            return -1;
    }
    if (!c->url[0] || !c->token[0]) {
        snprintf(err, cap, "no %s: set CAIRN_URL and CAIRN_TOKEN (an API token from Users > API tokens), or write "
                           "them as `url = …` and `token = …` in ~/.config/cairn/cli.conf (mode 600)",
                 !c->url[0] ? "server URL" : "API token");
        return -1;
    }
    size_t n = strlen(c->url);
    while (n > 0 && c->url[n - 1] == '/')
        c->url[--n] = '\0';
    if (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0) {
        snprintf(err, cap, "the server URL must start with http:// or https:// (from %s)", c->source);
        return -1;
    }
    return 0;
}
