/* cli.h -- the `cairn` command line: what its files share.
 *
 *   main.c      arguments and commands (inventory --list / --host NAME)
 *   cli_conf.c  where the server and the API token come from: CAIRN_URL and
 *               CAIRN_TOKEN, else $XDG_CONFIG_HOME/cairn/cli.conf
 *               (~/.config/cairn/cli.conf)
 *   cli_http.c  one authenticated GET through libcurl
 *
 * `cairn` talks to cairnd over its JSON API with an API token (Bearer),
 * never with a password, and never prints or logs the token. It links only
 * libcurl, jansson and src/common/{log,sbuf,util}.c.
 */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

#include "common/sbuf.h"

#include <stddef.h>

#define CLI_URL_MAX 1024
#define CLI_TOKEN_MAX 256

typedef struct {
    char url[CLI_URL_MAX];     /* "http://cairn.example:8000", no trailing '/' */
    char token[CLI_TOKEN_MAX]; /* "cairn_…" */
    char source[CLI_URL_MAX];  /* where they came from, for error messages */
} cli_conf;

/* Fill c from the environment (CAIRN_URL, CAIRN_TOKEN), then from the config
 * file for whatever is still missing. The file is `key = value` lines
 * (url, token), '#' comments; it must not be readable by group or others
 * when it holds a token (as ssh insists for keys). Returns 0, or -1 with a
 * message in err. */
int cli_conf_load(cli_conf *c, char *err, size_t cap);

/* Parse config text into c (keys already set in c are kept). Returns 0, or
 * -1 with a message naming the line in err. Exposed for tests. */
int cli_conf_parse(cli_conf *c, const char *text, const char *name, char *err, size_t cap);

/* GET c->url + path with the token. On success returns the HTTP status and
 * fills body (caller frees with sbuf_free); -1 on a transport error (message
 * in err). Bodies over 256 MiB are refused. */
long cli_get(const cli_conf *c, const char *path, sbuf *body, char *err, size_t cap);

#endif
