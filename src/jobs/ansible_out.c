/* ansible_out.c -- from Ansible's output to per-host output and results.
 *
 * How: standard output carries one JSON event per line from
 * share/ansible/callback_plugins/cairn_jsonl.py. A result event names its
 * host by inventory name, so its text goes to that host alone, formatted
 * like Ansible's own screen output ("[task] changed rc=0", then msg, stdout,
 * stderr, or the rest of the result as JSON). Lines that belong to no host
 * (play banners, any non-JSON line, and everything Ansible writes to
 * standard error: its warnings and errors) go to every host of the run, so
 * each host's view is complete on its own. The final stats event gives each
 * host its status and changed count; hosts without stats are settled from
 * how the process ended (time limit, cancel, exit status).
 *
 * Each host keeps at most ANS_MAX_OUTPUT bytes per stream; what is kept is
 * also what watchers were sent.
 */
#include "jobs/ansible_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_TAIL_MAX 4096

void ans_out_host(ans_run *run, ans_host *h, int which, const char *text, size_t len)
{
    sbuf *b = which == 2 ? &h->err : &h->out;
    if (b->len + len > ANS_MAX_OUTPUT) {
        len = b->len < ANS_MAX_OUTPUT ? ANS_MAX_OUTPUT - b->len : 0;
        h->truncated = true;
    }
    if (len == 0)
        return;
    sbuf_append(b, text, len);
    runner_output(run->job, h->id, which, text, len);
}

/* A line for every host of the run (not those reported before it). */
static void to_all(ans_run *run, int which, const char *text, size_t len)
{
    if (!run->hosts)
        return;
    for (size_t i = 0; i < run->nhosts; i++)
        if (!run->hosts[i].excluded)
            ans_out_host(run, &run->hosts[i], which, text, len);
}

/* Keep the last ERR_TAIL_MAX bytes of ansible's stderr, for error messages. */
static void keep_tail(ans_run *run, const char *line, size_t len)
{
    if (len == 0)
        return;
    sbuf_append(&run->err_tail, line, len);
    sbuf_putc(&run->err_tail, '\n');
    if (run->err_tail.len > ERR_TAIL_MAX && !sbuf_failed(&run->err_tail)) {
        size_t drop = run->err_tail.len - ERR_TAIL_MAX;
        memmove(run->err_tail.data, run->err_tail.data + drop, run->err_tail.len - drop + 1);
        run->err_tail.len -= drop;
    }
}

/* The string value of v, or "" for anything else. */
static const char *str_or(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

static ans_host *host_named(ans_run *run, const char *name)
{
    json_t *idx = name ? json_object_get(run->by_name, name) : NULL;
    return idx ? &run->hosts[json_integer_value(idx)] : NULL;
}

/* The text of a JSON value: strings as they are, anything else compact. */
static char *text_of(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
}

/* Append text + '\n' (when it has none) to host h's stream. */
static void host_block(ans_run *run, ans_host *h, int which, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0)
        return;
    ans_out_host(run, h, which, text, n);
    if (text[n - 1] != '\n')
        ans_out_host(run, h, which, "\n", 1);
}

static void on_result(ans_run *run, const json_t *ev)
{
    const char *hname = json_string_value(json_object_get(ev, "host"));
    const char *status = json_string_value(json_object_get(ev, "status"));
    const char *task = json_string_value(json_object_get(ev, "task"));
    json_t *rc = json_object_get(ev, "rc"), *item = json_object_get(ev, "item");
    bool ignored = json_is_true(json_object_get(ev, "ignored"));
    char head[768], rcs[32] = "";
    char *item_text = text_of(item);
    if (json_is_integer(rc))
        snprintf(rcs, sizeof rcs, " rc=%lld", (long long)json_integer_value(rc));
    snprintf(head, sizeof head, "[%.300s] %s%s%.200s%s%s%s\n", task ? task : run->task, status ? status : "?",
             item_text ? " (item=" : "", item_text ? item_text : "", item_text ? ")" : "", rcs,
             ignored ? " ...ignoring" : "");
    free(item_text);
    ans_host *h = host_named(run, hname);
    if (!h) {
        /* A host outside the inventory (a play on localhost): job-wide. */
        char line[1024];
        snprintf(line, sizeof line, "%.200s: %s", hname ? hname : "?", head);
        to_all(run, 1, line, strlen(line));
        return;
    }
    ans_out_host(run, h, 1, head, strlen(head));
    char *msg = text_of(json_object_get(ev, "msg"));
    json_t *out = json_object_get(ev, "stdout"), *err = json_object_get(ev, "stderr"),
           *rest = json_object_get(ev, "result");
    host_block(run, h, 1, msg);
    host_block(run, h, 1, json_string_value(out));
    host_block(run, h, 2, json_string_value(err));
    if (!msg && !out && !err && rest && (!json_is_object(rest) || json_object_size(rest) > 0)) {
        json_t *shown = json_is_object(rest) ? json_deep_copy(rest) : json_incref(rest);
        if (json_is_object(shown))
            json_object_del(shown, "ansible_facts"); /* facts are for plays, not for reading */
        char *t = json_is_object(shown) && json_object_size(shown) == 0 ? NULL : text_of(shown);
        host_block(run, h, 1, t);
        free(t);
        json_decref(shown);
    }
    size_t i;
    json_t *wv;
    json_array_foreach(json_object_get(ev, "warnings"), i, wv) {
        char line[4200];
        snprintf(line, sizeof line, "[WARNING]: %.4096s\n", json_string_value(wv) ? json_string_value(wv) : "");
        ans_out_host(run, h, 2, line, strlen(line));
    }
    if (json_is_integer(rc))
        h->last_rc = (int)json_integer_value(rc);
    if (status && !ignored && (strcmp(status, "failed") == 0 || strcmp(status, "unreachable") == 0)) {
        const char *first = msg ? msg : json_string_value(err) ? json_string_value(err) : status;
        snprintf(h->last_error, sizeof h->last_error, "[%.200s] %s", task ? task : run->task, first);
    }
    free(msg);
}

static void on_stats(ans_run *run, const json_t *ev)
{
    const char *name;
    json_t *s;
    json_object_foreach(json_object_get(ev, "hosts"), name, s) {
        ans_host *h = host_named(run, name);
        if (!h)
            continue;
        h->seen_stats = true;
        h->ok = (int)json_integer_value(json_object_get(s, "ok"));
        h->changed = (int)json_integer_value(json_object_get(s, "changed"));
        h->failures = (int)json_integer_value(json_object_get(s, "failures"));
        h->unreachable = (int)json_integer_value(json_object_get(s, "unreachable"));
        h->skipped = (int)json_integer_value(json_object_get(s, "skipped"));
        char line[200];
        snprintf(line, sizeof line, "RECAP ok=%d changed=%d unreachable=%d failed=%d skipped=%d\n", h->ok, h->changed,
                 h->unreachable, h->failures, h->skipped);
        ans_out_host(run, h, 1, line, strlen(line));
    }
}

void ans_out_line(void *ctx, int which, const char *line, size_t len)
{
    ans_run *run = ctx;
    json_t *ev = NULL;
    if (which == 2) {
        keep_tail(run, line, len);
    } else if (len > 0 && line[0] == '{') {
        ev = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    }
    const char *type = json_string_value(json_object_get(ev, "event"));
    if (!type) {
        char *copy = malloc(len + 1);
        if (copy) {
            memcpy(copy, line, len);
            copy[len] = '\n';
            to_all(run, which, copy, len + 1);
            free(copy);
        }
    } else if (strcmp(type, "task") == 0) {
        snprintf(run->task, sizeof run->task, "%s", str_or(json_object_get(ev, "name")));
    } else if (strcmp(type, "play") == 0) {
        char head[400];
        snprintf(head, sizeof head, "PLAY [%.300s]\n", str_or(json_object_get(ev, "name")));
        to_all(run, 1, head, strlen(head));
    } else if (strcmp(type, "result") == 0) {
        on_result(run, ev);
    } else if (strcmp(type, "stats") == 0) {
        on_stats(run, ev);
    } else if (strcmp(type, "no_hosts") == 0 || strcmp(type, "error") == 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%.500s\n",
                 str_or(json_object_get(ev, strcmp(type, "error") == 0 ? "msg" : "name")));
        to_all(run, strcmp(type, "error") == 0 ? 2 : 1, msg, strlen(msg));
    }
    json_decref(ev);
}

/* The last non-empty line of ansible's stderr, into out. */
static void last_err_line(const ans_run *run, char *out, size_t cap)
{
    const char *s = sbuf_str(&run->err_tail);
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        n--;
    size_t start = n;
    while (start > 0 && s[start - 1] != '\n')
        start--;
    /* Ansible's "ERROR! …" is more telling than its last detail line. */
    const char *err = strstr(s, "ERROR!");
    if (err && (size_t)(err - s) < n) {
        const char *end = strchr(err, '\n');
        snprintf(out, cap, "%.*s", (int)(end ? (size_t)(end - err) : strlen(err)), err);
        return;
    }
    snprintf(out, cap, "%.*s", (int)(n - start), s + start);
}

void ans_out_finish(ans_run *run, const ans_proc_result *pr, const char *program)
{
    char why[600] = "", last[400];
    last_err_line(run, last, sizeof last);
    if (pr->term_signal)
        snprintf(why, sizeof why, "%s was killed by signal %d%s%s", program, pr->term_signal, last[0] ? ": " : "",
                 last);
    else
        snprintf(why, sizeof why, "%s exited with status %d%s%s", program, pr->exit_code, last[0] ? ": " : "", last);
    for (size_t i = 0; i < run->nhosts; i++) {
        ans_host *h = &run->hosts[i];
        const char *status;
        const char *error = "";
        int changed = -1;
        if (h->excluded)
            continue;
        if (h->seen_stats) {
            changed = h->changed;
            status = h->failures > 0 ? "failed" : h->unreachable > 0 ? "unreachable" : "ok";
            if (strcmp(status, "ok") != 0)
                error = h->last_error[0] ? h->last_error : why;
        } else if (pr->timed_out) {
            status = "timeout";
            error = "the Ansible run passed its time limit and was stopped";
        } else if (pr->cancelled) {
            status = "cancelled";
            error = "cancelled";
        } else if (pr->exit_code == 0) {
            static const char note[] = "no play of this run targets this host: nothing was run on it\n";
            status = "ok";
            changed = 0;
            ans_out_host(run, h, 1, note, strlen(note));
        } else {
            status = "failed";
            error = why;
        }
        runner_host_done(run->job, h->id, status, h->last_rc, h->out.data, h->out.len, h->err.data, h->err.len, error,
                         changed, h->truncated);
    }
}
