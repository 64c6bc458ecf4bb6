/* config.c -- see config.h. One table lists every setting once; the flag
 * parser and the file parser both go through config_set(). */
#include "common/config.h"

#include "common/log.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OPT_STR, OPT_INT, OPT_SIZE, OPT_LISTEN, OPT_LEVEL, OPT_CIDRS, OPT_HOSTS } opt_type;

typedef struct {
    const char *name;
    opt_type type;
    size_t offset;
    size_t size;
    int64_t min, max; /* OPT_INT and OPT_SIZE bounds */
    const char *help;
} opt_desc;

#define OFF(f) offsetof(config, f), sizeof(((config *)0)->f)
static const opt_desc options[] = {
    {"listen", OPT_LISTEN, 0, 0, 0, 0, "ADDR:PORT to listen on (default 127.0.0.1:8000)"},
    {"data", OPT_STR, OFF(data_dir), 0, 0, "data directory: database, keys, logs (default ./var)"},
    {"db", OPT_STR, OFF(db_url), 0, 0, "sqlite:PATH or postgresql://… (default sqlite:DATA/cairn.db)"},
    {"web", OPT_STR, OFF(web_dir), 0, 0, "directory of the console's static files"},
    {"threads", OPT_INT, OFF(threads), 0, 256, "HTTP threads (default 0: number of CPUs)"},
    {"workers", OPT_INT, OFF(workers), 1, 256, "worker threads for slow requests (default 4)"},
    {"db-pool", OPT_INT, OFF(db_pool), 1, 1024, "database connections (default 8)"},
    {"max-connections", OPT_INT, OFF(max_connections), 1, 100000,
     "concurrent HTTP connections (default 1024)"},
    {"body-limit", OPT_SIZE, OFF(body_limit), 1024, INT64_C(1) << 32,
     "largest request body in bytes (default 1048576)"},
    {"git-allow-local", OPT_INT, OFF(git_allow_local), 0, 1,
     "1 lets library git sources be file:// URLs or local paths (default 0)"},
    {"ansible-sandbox", OPT_INT, OFF(ansible_sandbox), 0, 1,
     "1 runs Ansible isolated from the data directory, config and other runs (default 1)"},
    {"git-hosts", OPT_HOSTS, OFF(git_hosts), 0, 0,
     "hosts library git sources may name (git.example.com, *.example.com, 10.0.0.0/8, with :port; "
     "default any but loopback, link-local, multicast)"},
    {"git-timeout", OPT_INT, OFF(git_timeout), 1, 3600, "seconds a library git fetch may take (default 20)"},
    {"git-max-transfer", OPT_SIZE, OFF(git_max_transfer), 1024, INT64_C(1) << 34,
     "bytes a library git fetch may receive (default 67108864)"},
    {"log-level", OPT_LEVEL, OFF(log_level), 0, 0, "debug, info, warn or error (default info)"},
    {"list-cache", OPT_INT, OFF(list_cache_ms), 0, 60000,
     "ms a list answer may be reused while no write happened (default 1000, 0: off)"},
    {"trusted-proxies", OPT_CIDRS, OFF(trusted_proxies), 0, 0,
     "proxies (addresses or networks, comma-separated) whose X-Forwarded-For names the client (default none)"},
    {"rrd-flush", OPT_INT, OFF(rrd_flush), 10, 86400,
     "seconds a metric sample may wait in the journaled queue before its RRD file is written (default 300)"},
    {"rrdcached", OPT_STR, OFF(rrdcached), 0, 0,
     "rrdcached address (unix:/path or host:port) to send RRD updates to (default: write the files directly)"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

const char *config_usage(void)
{
    static char text[4096];
    if (!text[0]) {
        size_t o = (size_t)snprintf(text, sizeof text,
                                    "usage: cairnd [options]\n\n"
                                    "  --config FILE            read settings from FILE (key = value)\n");
        for (size_t i = 0; i < N_OPTIONS && o < sizeof text; i++)
            o += (size_t)snprintf(text + o, sizeof text - o, "  --%-22s %s\n", options[i].name,
                                  options[i].help);
        if (o < sizeof text)
            snprintf(text + o, sizeof text - o,
                     "  --version                print the version\n"
                     "  --help                   this text\n\n"
                     "Environment: CAIRN_ADMIN_PASSWORD sets the first admin's password.\n");
    }
    return text;
}

static int parse_listen(config *c, const char *v, char *err, size_t errlen)
{
    const char *colon = strrchr(v, ':');
    int64_t port;
    if (!colon || colon == v || !util_parse_i64(colon + 1, &port) || port < 1 || port > 65535) {
        snprintf(err, errlen, "listen: expected ADDR:PORT, got \"%s\"", v);
        return -1;
    }
    size_t hl = (size_t)(colon - v);
    if (hl >= sizeof c->listen_host) {
        snprintf(err, errlen, "listen: address too long");
        return -1;
    }
    memcpy(c->listen_host, v, hl);
    c->listen_host[hl] = '\0';
    c->listen_port = (int)port;
    return 0;
}

static int config_set(config *c, const char *name, const char *v, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const opt_desc *o = &options[i];
        if (strcmp(o->name, name) != 0)
            continue;
        char *field = (char *)c + o->offset;
        char msg[256];
        int64_t n;
        switch (o->type) {
        case OPT_LISTEN:
            return parse_listen(c, v, err, errlen);
        case OPT_STR:
            if (util_strcpy(field, o->size, v) < 0) {
                snprintf(err, errlen, "%s: value too long", name);
                return -1;
            }
            return 0;
        case OPT_INT:
            if (!util_parse_i64(v, &n) || n < o->min || n > o->max) {
                snprintf(err, errlen, "%s: expected a number from %lld to %lld, got \"%s\"", name,
                         (long long)o->min, (long long)o->max, v);
                return -1;
            }
            *(int *)(void *)field = (int)n;
            return 0;
        case OPT_SIZE:
            if (!util_parse_i64(v, &n) || n < o->min || n > o->max) {
                snprintf(err, errlen, "%s: expected bytes between 1024 and 4 GiB", name);
                return -1;
            }
            *(size_t *)(void *)field = (size_t)n;
            return 0;
        case OPT_CIDRS:
            if (cidr_list_parse((cidr_list *)(void *)field, v, msg, sizeof msg) < 0) {
                snprintf(err, errlen, "%s: %s", name, msg);
                return -1;
            }
            return 0;
        case OPT_HOSTS:
            if (hostallow_parse((hostallow_list *)(void *)field, v, msg, sizeof msg) < 0) {
                snprintf(err, errlen, "%s: %s", name, msg);
                return -1;
            }
            return 0;
        case OPT_LEVEL:
            if ((n = log_level_parse(v)) < 0) {
                snprintf(err, errlen, "%s: expected debug, info, warn or error", name);
                return -1;
            }
            *(int *)(void *)field = (int)n;
            return 0;
        }
    }
    snprintf(err, errlen, "unknown setting \"%s\" (see --help)", name);
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int config_read_file(config *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048], msg[512];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        for (char *p = key; *p; p++)
            if (*p == '_')
                *p = '-';
        if (config_set(c, key, val, msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

static void config_defaults(config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 8000;
    snprintf(c->data_dir, sizeof c->data_dir, "./var");
    c->workers = 4;
    c->db_pool = 8;
    c->max_connections = 1024;
    c->body_limit = 1 << 20;
    c->ansible_sandbox = 1;
    c->git_timeout = 20;
    c->git_max_transfer = 64u << 20;
    c->log_level = LOG_INFO;
    c->list_cache_ms = 1000;
}

int config_load(config *c, int argc, char **argv, char *err, size_t errlen)
{
    config_defaults(c);
    /* First pass: only --config, so flags can override the file. */
    for (int i = 1; i < argc && argv[i]; i++) {
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        if (file && util_strcpy(c->config_file, sizeof c->config_file, file) < 0) {
            snprintf(err, errlen, "--config: path too long");
            return -1;
        }
    }
    if (c->config_file[0] && config_read_file(c, c->config_file, err, errlen) < 0)
        return -1;
    for (int i = 1; i < argc && argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--version") == 0) {
            c->show_version = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            c->show_help = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument \"%s\" (see --help)", a);
            return -1;
        }
        char name[64];
        const char *val = strchr(a, '=');
        size_t nl = val ? (size_t)(val - a - 2) : strlen(a + 2);
        if (nl >= sizeof name) {
            snprintf(err, errlen, "unknown option \"%s\"", a);
            return -1;
        }
        memcpy(name, a + 2, nl);
        name[nl] = '\0';
        if (val) {
            val++;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "option --%s needs a value", name);
            return -1;
        }
        if (strcmp(name, "config") == 0)
            continue;
        if (config_set(c, name, val, err, errlen) < 0)
            return -1;
    }
    return 0;
}
