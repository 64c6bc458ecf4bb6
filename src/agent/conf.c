/* conf.c -- see conf.h. One setter shared by the file and the flags; the
 * file is read line by line through the fixed-buffer line reader. */
#include "agent/conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/procfile.h"
#include "common/log.h"

void ag_conf_defaults(ag_conf *c)
{
    memset(c, 0, sizeof *c);
    c->interval = 60;
    c->spool_max = 10080;
    const char *sd = getenv("STATE_DIRECTORY"); /* may list several, ':'-separated */
    if (sd && *sd) {
        pf_copy(c->state_dir, sizeof c->state_dir, sd);
        char *colon = strchr(c->state_dir, ':');
        if (colon)
            *colon = '\0';
    } else {
        pf_copy(c->state_dir, sizeof c->state_dir, "/var/lib/cairn-agent");
    }
    pf_copy(c->log_level, sizeof c->log_level, "info");
}

static bool key_is(const char *key, const char *want)
{
    for (; *key && *want; key++, want++)
        if (*key != *want && !(*key == '-' && *want == '_'))
            return false;
    return *key == *want;
}

static int set_text(char *dst, size_t cap, const char *v, const char *key, char *err, size_t errcap)
{
    if (strlen(v) >= cap) {
        snprintf(err, errcap, "%s: value too long (at most %zu bytes)", key, cap - 1);
        return -1;
    }
    pf_copy(dst, cap, v);
    return 0;
}

static int set_long(long *dst, const char *v, long lo, long hi, const char *key, char *err, size_t errcap)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        snprintf(err, errcap, "%s: expected a whole number from %ld to %ld", key, lo, hi);
        return -1;
    }
    *dst = n;
    return 0;
}

int ag_conf_set(ag_conf *c, const char *key, const char *v, char *err, size_t errcap)
{
    if (key_is(key, "server")) {
        if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
            snprintf(err, errcap, "server: expected an http:// or https:// URL");
            return -1;
        }
        return set_text(c->server, sizeof c->server, v, key, err, errcap);
    }
    if (key_is(key, "enroll_token"))
        return set_text(c->enroll_token, sizeof c->enroll_token, v, key, err, errcap);
    if (key_is(key, "enroll_token_file")) {
        char b[256];
        if (pf_read_str("/", v, b, sizeof b) < 0) {
            snprintf(err, errcap, "enroll_token_file: cannot read %s", v);
            return -1;
        }
        return set_text(c->enroll_token, sizeof c->enroll_token, b, key, err, errcap);
    }
    if (key_is(key, "state_dir")) {
        if (!*v) {
            snprintf(err, errcap, "state_dir: empty");
            return -1;
        }
        return set_text(c->state_dir, sizeof c->state_dir, v, key, err, errcap);
    }
    if (key_is(key, "interval")) {
        long n;
        if (set_long(&n, v, 1, 86400, key, err, errcap) != 0)
            return -1;
        c->interval = (int)n;
        c->interval_set = true;
        return 0;
    }
    if (key_is(key, "spool_max"))
        return set_long(&c->spool_max, v, 1, 10000000, key, err, errcap);
    if (key_is(key, "prometheus")) {
        if (*v && !strrchr(v, ':')) {
            snprintf(err, errcap, "prometheus: expected ADDR:PORT");
            return -1;
        }
        return set_text(c->prometheus, sizeof c->prometheus, v, key, err, errcap);
    }
    if (key_is(key, "ca_file"))
        return set_text(c->ca_file, sizeof c->ca_file, v, key, err, errcap);
    if (key_is(key, "log_level")) {
        if (log_level_parse(v) < 0) {
            snprintf(err, errcap, "log_level: expected debug, info, warn or error");
            return -1;
        }
        return set_text(c->log_level, sizeof c->log_level, v, key, err, errcap);
    }
    if (key_is(key, "tcp_states")) {
        if (strcmp(v, "summary") != 0 && strcmp(v, "full") != 0) {
            snprintf(err, errcap, "tcp_states: expected summary or full");
            return -1;
        }
        c->tcp_full = strcmp(v, "full") == 0;
        return 0;
    }
    snprintf(err, errcap, "unknown setting \"%.60s\"", key);
    return -1;
}

int ag_conf_file(ag_conf *c, const char *path, char *err, size_t errcap)
{
    char buf[4096];
    pf_lines r;
    if (pf_lines_open(&r, "/", path, buf, sizeof buf) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    int rc = 0, lineno = 0;
    char *line;
    while ((line = pf_lines_next(&r))) {
        lineno++;
        char *p = (char *)pf_ws(line);
        pf_rtrim(p);
        if (!*p || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            snprintf(err, errcap, "%s:%d: expected key = value", path, lineno);
            rc = -1;
            break;
        }
        char *k_end = eq;
        while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t'))
            k_end--;
        *k_end = '\0';
        char *v = (char *)pf_ws(eq + 1);
        size_t vl = strlen(v);
        if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') || (v[0] == '\'' && v[vl - 1] == '\''))) {
            v[vl - 1] = '\0';
            v++;
        }
        char why[256];
        if (ag_conf_set(c, p, v, why, sizeof why) != 0) {
            snprintf(err, errcap, "%s:%d: %s", path, lineno, why);
            rc = -1;
            break;
        }
    }
    pf_lines_close(&r);
    return rc;
}

void ag_conf_env(ag_conf *c)
{
    if (c->enroll_token[0])
        return;
    const char *e = getenv("CAIRN_ENROLL_TOKEN");
    if (e && *e && strlen(e) < sizeof c->enroll_token) {
        pf_copy(c->enroll_token, sizeof c->enroll_token, e);
        return;
    }
    const char *cd = getenv("CREDENTIALS_DIRECTORY");
    if (cd && *cd) {
        char path[1024];
        snprintf(path, sizeof path, "%s/enroll-token", cd);
        pf_read_str("/", path, c->enroll_token, sizeof c->enroll_token);
    }
}
