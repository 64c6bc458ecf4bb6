/* config.h -- cairnd's start-up configuration: flags and a config file.
 *
 * Every setting has a flag and a config-file key of the same name
 * (`--listen 127.0.0.1:8000` ⇔ `listen = 127.0.0.1:8000`); flags win over
 * the file, the file over defaults. Settings that an admin changes at run time
 * (session lifetime, login lockout…) live in the database instead (settings.c).
 */
#ifndef CAIRN_CONFIG_H
#define CAIRN_CONFIG_H

#include "common/cidr.h"
#include "common/hostallow.h"

#include <stddef.h>

#define CONFIG_PATH_MAX 1024

typedef struct {
    char listen_host[64];
    int listen_port;
    char data_dir[CONFIG_PATH_MAX];
    char db_url[CONFIG_PATH_MAX];     /* "" → sqlite:<data_dir>/cairn.db */
    char web_dir[CONFIG_PATH_MAX];    /* static console files */
    char config_file[CONFIG_PATH_MAX];
    int threads;                      /* HTTP polling threads (0 = number of CPUs) */
    int workers;                      /* threads for slow handlers (password hashing…) */
    int db_pool;                      /* database connections */
    int max_connections;
    size_t body_limit;                /* bytes, default 1 MiB */
    int git_allow_local;              /* library git sources may be file:// or local paths */
    int ansible_sandbox;              /* 1: Ansible runs in a mount namespace without cairnd's files */
    hostallow_list git_hosts;         /* hosts library git sources may name (empty: all but loopback…) */
    int git_timeout;                  /* seconds for one git fetch */
    size_t git_max_transfer;          /* bytes one git fetch may receive */
    int log_level;
    int list_cache_ms;                /* age limit of cached list answers, 0 = no cache */
    cidr_list trusted_proxies;        /* peers whose X-Forwarded-For is believed */
    int rrd_flush;                    /* seconds (0 = tsdb's default, 300) */
    char rrdcached[CONFIG_PATH_MAX];  /* "" = no rrdcached */
    int show_version;
    int show_help;
} config;

/* Fill c with defaults, then the config file named by --config (if any),
 * then the flags. Returns 0, or -1 with a message in err (NUL-terminated). */
int config_load(config *c, int argc, char **argv, char *err, size_t errlen);

/* The --help text. */
const char *config_usage(void);

#endif
