/* conf.h -- cairn-agent settings: defaults, config file, command line.
 *
 * The file holds `key = value` lines (# comments, blank lines, optional
 * quotes around the value) with the same keys as the long flags, written
 * with '_' or '-': server, enroll_token, enroll_token_file, state_dir,
 * interval, spool_max, prometheus, ca_file, log_level, tcp_states
 * (summary | full). Precedence, lowest
 * first: built-in defaults, the config file, the command line. SIGHUP
 * re-reads the file and applies the command line again on top.
 */
#ifndef CAIRN_AGENT_CONF_H
#define CAIRN_AGENT_CONF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char server[512];
    char enroll_token[256];
    char state_dir[512];
    int interval;
    bool interval_set; /* set by the user: cairnd's suggestion is then ignored */
    long spool_max;
    char prometheus[128]; /* "127.0.0.1:9101", "" = off */
    char ca_file[512];
    char log_level[16];
    bool tcp_full; /* tcp_states = full: per-state counts from every socket */
} ag_conf;

/* Defaults: interval 60, spool_max 10080, state_dir $STATE_DIRECTORY (set
 * by systemd's StateDirectory=) or /var/lib/cairn-agent, log level info. */
void ag_conf_defaults(ag_conf *c);

/* Set one key ("server", "enroll-token" …). Returns 0, or -1 with the reason
 * in err for an unknown key or a bad value (c is then unchanged for it). */
int ag_conf_set(ag_conf *c, const char *key, const char *value, char *err, size_t errcap);

/* Apply a config file. Returns 0, or -1 with "FILE:LINE: reason" in err. */
int ag_conf_file(ag_conf *c, const char *path, char *err, size_t errcap);

/* When no enrollment token was given, take it from $CAIRN_ENROLL_TOKEN or
 * from the systemd credential $CREDENTIALS_DIRECTORY/enroll-token. */
void ag_conf_env(ag_conf *c);

#endif
