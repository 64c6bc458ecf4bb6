/* main.c -- `cairn`, Cairn's command line.
 *
 *   cairn inventory --list          the Ansible inventory of the CMDB (JSON)
 *   cairn inventory --host NAME     one host's variables (JSON object)
 *   cairn --list | --host NAME      the same, so that `cairn` (or a link to it,
 *                                   or a two-line wrapper script) can be given
 *                                   to Ansible as a dynamic inventory script:
 *                                   ansible -i /usr/local/bin/cairn-inventory …
 *   cairn --version | --help
 *
 * How: reads the server URL and an API token (cli_conf.c), GETs
 * /api/v1/ansible/inventory (cli_http.c), checks that the answer is JSON and
 * prints it. The token needs the tasks:view permission; what a token's user
 * may see is what is listed (host-group scope applies). Exit status: 0 done,
 * 1 the server or the configuration failed (message on stderr), 2 usage.
 */
#include "cli/cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "usage: cairn inventory --list\n"
    "       cairn inventory --host NAME\n"
    "       cairn --list | --host NAME      (as an Ansible inventory script)\n"
    "       cairn --version | --help\n"
    "\n"
    "The server and an API token come from CAIRN_URL and CAIRN_TOKEN, or from\n"
    "~/.config/cairn/cli.conf ($XDG_CONFIG_HOME/cairn/cli.conf), mode 600:\n"
    "    url = https://cairn.example.com\n"
    "    token = cairn_...\n"
    "Create a token under Users > API tokens; it needs tasks:view.\n";

/* Print the server's error answer (or the status) on stderr. */
static void server_error(long status, const sbuf *body)
{
    json_t *j = json_loads(sbuf_str(body), 0, NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    fprintf(stderr, "cairn: the server answered %ld%s%s\n", status, msg ? ": " : "", msg ? msg : "");
    json_decref(j);
}

/* GET the inventory (host NULL) or one host's variables and print them. */
static int inventory(const char *host)
{
    cli_conf conf;
    char err[1024], path[1024];
    sbuf body;
    int rc = 1;
    if (cli_conf_load(&conf, err, sizeof err) != 0) {
        fprintf(stderr, "cairn: %s\n", err);
        return 1;
    }
    snprintf(path, sizeof path, "/api/v1/ansible/inventory");
    if (host) {
        char *esc = curl_easy_escape(NULL, host, 0);
        if (!esc || snprintf(path, sizeof path, "/api/v1/ansible/inventory?host=%s", esc) >= (int)sizeof path) {
            curl_free(esc);
            fprintf(stderr, "cairn: host name too long\n");
            goto out;
        }
        curl_free(esc);
    }
    long status = cli_get(&conf, path, &body, err, sizeof err);
    if (status < 0) {
        fprintf(stderr, "cairn: %s\n", err);
        goto out;
    }
    if (status != 200) {
        server_error(status, &body);
        sbuf_free(&body);
        goto out;
    }
    json_t *j = json_loads(sbuf_str(&body), 0, NULL);
    sbuf_free(&body);
    if (!json_is_object(j)) {
        fprintf(stderr, "cairn: the server's answer is not a JSON object\n");
        json_decref(j);
        goto out;
    }
    rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0 && fputc('\n', stdout) != EOF &&
                 fflush(stdout) == 0
             ? 0
             : 1;
    if (rc)
        fprintf(stderr, "cairn: cannot write the output\n");
    json_decref(j);
out:
    memset(&conf, 0, sizeof conf);
    return rc;
}

int main(int argc, char **argv)
{
    int i = 1;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        printf("cairn %s\n", CAIRN_VERSION);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "inventory") == 0)
        i = 2;
    if (argc == i + 1 && strcmp(argv[i], "--list") == 0)
        return inventory(NULL);
    if (argc == i + 2 && strcmp(argv[i], "--host") == 0)
        return inventory(argv[i + 1]);
    if (argc > 1)
        fprintf(stderr, "cairn: unexpected arguments\n");
    fputs(usage_text, stderr);
    return 2;
}
