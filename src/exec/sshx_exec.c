/* sshx_exec.c -- run one command on an open sshx session.
 *
 * How: an exec channel with libssh channel callbacks. Data, EOF, close and
 * the exit status are delivered to the callbacks below while an ssh_event
 * polls the session in slices of at most 100 ms, so the deadline and the
 * cancel flag are checked between slices and no read ever blocks. Every byte
 * received is consumed at once (captured up to the limit, then counted and
 * dropped), so the channel window keeps opening and a chatty command never
 * stalls on a full pipe. Standard input is written only as far as the
 * peer's window allows, so writing never blocks either. Ending a command
 * (timeout, cancel) sends a SIGTERM "signal" request, then ends the
 * command's process group from a second channel (see KILL_HELPER: OpenSSH
 * ignores signal requests for root logins), waits up to 500 ms for the exit
 * report and closes the channel; the session itself stays usable.
 *
 * Reuse: a session runs any number of commands one after another at the
 * same cost each. Every channel opened here is owned until libssh has
 * freed it: closed by the server before the call returns (the usual case:
 * exit status, EOF and CLOSE come together) it is freed at once; otherwise
 * it is closed on our side and kept in the session's retired list with
 * callbacks of the session's own (late data is consumed and dropped) until
 * the server's CLOSE arrives during a later wait, then freed. Nothing is
 * registered per call that outlives it: the ssh_event of a call is freed
 * on return, its callbacks live on its stack and are detached first.
 * sshx_ping checks a pooled session with a channel open/close round trip,
 * which starts no process on the host (a probe command would cost as much
 * as the job itself: a login shell reads its rc files on every exec).
 */
#include "exec/sshx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_MS 100           /* longest wait between deadline/cancel checks */
#define TERM_GRACE_MS 500      /* wait for the exit report after ending a command */
#define STDIN_CHUNK 32768u
#define MAX_CLOSING 4          /* retired channels the server never closed: from this
                                  many on, sshx_ping says the session is not to be reused */

typedef struct {
    sshx_output_fn cb;
    void *ctx;
    size_t max;             /* per stream */
    char *buf[2];           /* stdout, stderr; grown up to max + 1 */
    size_t len[2], cap[2];
    bool truncated;
    bool cb_stop;           /* the callback asked to stop */
    bool oom;
    bool eof, closed, exited;
    int exit_code;
    char signal[16];
} exec_state;

/* Make room for `more` bytes (plus a NUL) in stream k; false when out of
 * memory. Grows geometrically, never past max + 1. */
static bool reserve(exec_state *st, int k, size_t more)
{
    size_t need = st->len[k] + more + 1;
    if (need <= st->cap[k])
        return true;
    size_t cap = st->cap[k] ? st->cap[k] : 4096;
    while (cap < need)
        cap *= 2;
    if (cap > st->max + 1)
        cap = st->max + 1;
    char *p = realloc(st->buf[k], cap);
    if (p == NULL)
        return false;
    st->buf[k] = p;
    st->cap[k] = cap;
    return true;
}

static int on_data(ssh_session ssh, ssh_channel ch, void *data, uint32_t len, int is_stderr,
                   void *userdata)
{
    (void)ssh;
    (void)ch;
    exec_state *st = userdata;
    int k = is_stderr ? 1 : 0;
    size_t room = st->max - st->len[k];
    size_t take = len < room ? len : room;

    if (take < len)
        st->truncated = true;
    if (take > 0 && !st->oom) {
        if (!reserve(st, k, take)) {
            st->oom = true;
        } else {
            memcpy(st->buf[k] + st->len[k], data, take);
            st->len[k] += take;
            st->buf[k][st->len[k]] = '\0';
            if (st->cb != NULL && !st->cb_stop && !st->cb(st->ctx, k + 1, data, take))
                st->cb_stop = true;
        }
    }
    return (int)len; /* all consumed: the window is reopened */
}

static void on_eof(ssh_session ssh, ssh_channel ch, void *userdata)
{
    (void)ssh;
    (void)ch;
    ((exec_state *)userdata)->eof = true;
}

static void on_close(ssh_session ssh, ssh_channel ch, void *userdata)
{
    (void)ssh;
    (void)ch;
    ((exec_state *)userdata)->closed = true;
}

static void on_exit_status(ssh_session ssh, ssh_channel ch, int status, void *userdata)
{
    (void)ssh;
    (void)ch;
    exec_state *st = userdata;
    st->exit_code = status;
    st->exited = true;
}

static void on_exit_signal(ssh_session ssh, ssh_channel ch, const char *sig, int core,
                           const char *errmsg, const char *lang, void *userdata)
{
    (void)ssh;
    (void)ch;
    (void)core;
    (void)errmsg;
    (void)lang;
    exec_state *st = userdata;
    snprintf(st->signal, sizeof st->signal, "%s", sig ? sig : "?");
    st->exited = true;
}

/* ---- retired channels ------------------------------------------------------ */

static int on_late_data(ssh_session ssh, ssh_channel ch, void *data, uint32_t len, int is_stderr,
                        void *userdata)
{
    (void)ssh;
    (void)ch;
    (void)data;
    (void)is_stderr;
    (void)userdata;
    return (int)len; /* dropped: the call that wanted it has returned */
}

static void on_late_close(ssh_session ssh, ssh_channel ch, void *userdata)
{
    (void)ssh;
    (void)ch;
    ((sshx_closing *)userdata)->closed = true;
}

void sshx_retire_channel(sshx_session *s, ssh_channel ch, struct ssh_channel_callbacks_struct *cbs,
                         bool server_closed)
{
    if (ch == NULL)
        return;
    /* libssh would call these callbacks for packets that arrive later;
     * their struct and userdata live in the caller's stack frame. */
    if (cbs != NULL)
        ssh_remove_channel_callbacks(ch, cbs);
    /* Closed by the server, never opened (open refused or timed out) or
     * the connection is gone: nothing more can arrive for it. */
    if (server_closed || !ssh_channel_is_open(ch)) {
        ssh_channel_free(ch); /* sends our CLOSE if due; freed at once */
        return;
    }
    sshx_closing *c = calloc(1, sizeof *c);
    ssh_channel_close(ch);
    if (c == NULL) {
        ssh_channel_free(ch); /* libssh frees it when the CLOSE arrives */
        return;
    }
    c->ch = ch;
    ssh_callbacks_init(&c->cbs);
    c->cbs.userdata = c;
    c->cbs.channel_data_function = on_late_data;
    c->cbs.channel_close_function = on_late_close;
    if (ssh_add_channel_callbacks(ch, &c->cbs) != SSH_OK) {
        free(c);
        ssh_channel_free(ch);
        return;
    }
    c->next = s->closing;
    s->closing = c;
    s->nclosing++;
}

void sshx_reap_channels(sshx_session *s)
{
    bool alive = s->ssh != NULL && ssh_is_connected(s->ssh);
    for (sshx_closing **pp = &s->closing; *pp != NULL;) {
        sshx_closing *c = *pp;
        if (!c->closed && alive) {
            pp = &c->next;
            continue;
        }
        ssh_remove_channel_callbacks(c->ch, &c->cbs);
        ssh_channel_free(c->ch);
        *pp = c->next;
        free(c);
        s->nclosing--;
    }
}

void sshx_drop_channels(sshx_session *s)
{
    while (s->closing != NULL) {
        sshx_closing *c = s->closing;
        s->closing = c->next;
        ssh_remove_channel_callbacks(c->ch, &c->cbs);
        ssh_channel_free(c->ch);
        free(c);
    }
    s->nclosing = 0;
}

size_t sshx_channels_held(const sshx_session *s)
{
    return s != NULL ? s->nclosing + s->nrunning : 0;
}

/* ---- ending a command --------------------------------------------------------- */

/* Run on the host, in a second channel of the same connection, to end the
 * command of the first one. OpenSSH (9.2 here) ignores "signal" requests for
 * root logins (its log says "session signalling requires privilege
 * separation"), so the request alone is not enough.
 * Every channel's process is a child of the one sshd process serving this
 * connection ($PPID here) and leads its own process group (sshd calls
 * setsid), and this connection runs one command at a time: so the children
 * of $PPID other than this shell are exactly the command being ended (the
 * SFTP channel is closed first). Their whole groups get SIGTERM now and
 * SIGKILL 2 s later, from a detached subshell. Bourne-family login shells
 * only; elsewhere it fails harmlessly. No caller text is involved. */
static const char KILL_HELPER[] =
    "l=$( { pgrep -P \"$PPID\" || ps -o pid= --ppid \"$PPID\"; } 2>/dev/null | tr -d ' ' | "
    "grep -vx \"$$\" ); for c in $l; do kill -TERM -- \"-$c\" 2>/dev/null || "
    "kill -TERM \"$c\" 2>/dev/null; done; ( sleep 2; for c in $l; do kill -KILL -- \"-$c\" "
    "2>/dev/null || kill -KILL \"$c\" 2>/dev/null; done ) </dev/null >/dev/null 2>&1 &";

static int exec_run(sshx_session *s, const char *command, const char *stdin_data,
                    size_t stdin_len, int timeout_s, size_t max_output, const atomic_bool *cancel,
                    sshx_output_fn cb, void *ctx, sshx_result *res, bool may_kill);

/* End a running command: a SIGTERM "signal" request (honoured for non-root
 * logins), then KILL_HELPER in a second channel, then up to TERM_GRACE_MS
 * for the exit to be reported. The caller closes the channel afterwards.
 * ev has the session added on entry and on return. Does nothing when
 * !may_kill (ending the helper itself). */
static void end_remote(sshx_session *s, ssh_event ev, ssh_channel ch, exec_state *st,
                       bool may_kill)
{
    if (st->closed || st->exited || !may_kill)
        return;
    ssh_channel_request_send_signal(ch, "TERM");
    if (s->sftp != NULL) {
        sftp_free(s->sftp); /* reopened on next use; not a child to spare */
        s->sftp = NULL;
    }
    /* The helper polls the session itself: lend it the session. A dead
     * connection must not hold the caller long: 3 s per blocking wait. */
    long short_wait = 3, normal = s->timeout_s;
    ssh_event_remove_session(ev, s->ssh);
    ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &short_wait);
    sshx_result r;
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    exec_run(s, KILL_HELPER, NULL, 0, 5, 1024, NULL, NULL, NULL, &r, false);
    sshx_result_free(&r);
    memcpy(s->err, keep, sizeof keep);
    ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &normal);
    ssh_event_add_session(ev, s->ssh);

    int64_t until = sshx_mono_ms() + TERM_GRACE_MS;
    while (!st->closed && !st->exited && sshx_mono_ms() < until) {
        if (ssh_event_dopoll(ev, 50) == SSH_ERROR)
            return;
    }
}

/* Move the captured streams into res (an empty string when nothing came).
 * Returns false when out of memory. */
static bool fill_result(exec_state *st, sshx_result *res)
{
    for (int k = 0; k < 2; k++) {
        if (st->buf[k] == NULL) {
            st->buf[k] = calloc(1, 1);
            if (st->buf[k] == NULL)
                return false;
        }
    }
    res->out = st->buf[0];
    res->out_len = st->len[0];
    res->err = st->buf[1];
    res->err_len = st->len[1];
    st->buf[0] = st->buf[1] = NULL;
    res->truncated = st->truncated;
    res->exit_code = st->exited && st->signal[0] == '\0' ? st->exit_code : -1;
    snprintf(res->exit_signal, sizeof res->exit_signal, "%s", st->signal);
    return true;
}

int sshx_exec(sshx_session *s, const char *command, const char *stdin_data, size_t stdin_len,
              int timeout_s, size_t max_output, const atomic_bool *cancel, sshx_output_fn cb,
              void *ctx, sshx_result *res)
{
    return exec_run(s, command, stdin_data, stdin_len, timeout_s, max_output, cancel, cb, ctx, res,
                    true);
}

/* sshx_exec; may_kill says whether ending the command may run KILL_HELPER
 * (not from within the helper itself). */
static int exec_run(sshx_session *s, const char *command, const char *stdin_data,
                    size_t stdin_len, int timeout_s, size_t max_output, const atomic_bool *cancel,
                    sshx_output_fn cb, void *ctx, sshx_result *res, bool may_kill)
{
    exec_state st = {.cb = cb, .ctx = ctx, .exit_code = -1};
    struct ssh_channel_callbacks_struct cbs = {0};
    ssh_channel ch = NULL;
    ssh_event ev = NULL;
    bool ev_added = false;
    size_t sent = 0;
    int rc = SSHX_PROTOCOL;
    int64_t start = sshx_mono_ms();
    int64_t deadline = timeout_s > 0 ? start + (int64_t)timeout_s * 1000 : INT64_MAX;

    if (res == NULL)
        return SSHX_LOCAL;
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (s == NULL)
        return SSHX_LOCAL;
    s->err[0] = '\0';
    if (!s->ready || command == NULL || (stdin_data == NULL && stdin_len > 0)) {
        sshx_set_error(s, "%s", !s->ready ? "session not connected" : "bad arguments");
        rc = SSHX_LOCAL;
        goto out;
    }
    st.max = max_output > 0 ? max_output : SSHX_DEFAULT_MAX_OUTPUT;
    if (stdin_data == NULL)
        stdin_len = 0;
    sshx_reap_channels(s); /* closes that arrived since the last call */

    ch = ssh_channel_new(s->ssh);
    if (ch == NULL) {
        sshx_set_error(s, "%s:%d: cannot create a channel: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    s->nrunning++;
    ssh_callbacks_init(&cbs);
    cbs.userdata = &st;
    cbs.channel_data_function = on_data;
    cbs.channel_eof_function = on_eof;
    cbs.channel_close_function = on_close;
    cbs.channel_exit_status_function = on_exit_status;
    cbs.channel_exit_signal_function = on_exit_signal;
    if (ssh_set_channel_callbacks(ch, &cbs) != SSH_OK) {
        sshx_set_error(s, "cannot set channel callbacks");
        goto out;
    }
    if (ssh_channel_open_session(ch) != SSH_OK) {
        sshx_set_error(s, "%s:%d: cannot open a session channel: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    if (ssh_channel_request_exec(ch, command) != SSH_OK) {
        sshx_set_error(s, "%s:%d: exec request refused: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    if (stdin_len == 0 && ssh_channel_send_eof(ch) != SSH_OK) {
        sshx_set_error(s, "%s:%d: cannot close stdin: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    ev = ssh_event_new();
    if (ev == NULL || ssh_event_add_session(ev, s->ssh) != SSH_OK) {
        sshx_set_error(s, "out of memory (ssh event)");
        rc = SSHX_LOCAL;
        goto out;
    }
    ev_added = true;

    for (;;) {
        if (st.oom) {
            sshx_set_error(s, "out of memory capturing output");
            rc = SSHX_LOCAL;
            end_remote(s, ev, ch, &st, may_kill);
            break;
        }
        if (st.cb_stop || (cancel != NULL && atomic_load(cancel))) {
            sshx_set_error(s, "%s:%d: cancelled", s->host, s->port);
            rc = SSHX_CANCELLED;
            end_remote(s, ev, ch, &st, may_kill);
            break;
        }
        if (st.closed || (st.eof && st.exited)) {
            rc = SSHX_OK;
            break;
        }
        int64_t now = sshx_mono_ms();
        if (now >= deadline) {
            sshx_set_error(s, "%s:%d: command timed out after %d s", s->host, s->port, timeout_s);
            rc = SSHX_TIMEOUT;
            end_remote(s, ev, ch, &st, may_kill);
            break;
        }
        if (sent < stdin_len && !st.closed) {
            uint32_t win = ssh_channel_window_size(ch);
            size_t n = stdin_len - sent;
            if (n > win)
                n = win;
            if (n > STDIN_CHUNK)
                n = STDIN_CHUNK;
            if (n > 0) {
                int w = ssh_channel_write(ch, stdin_data + sent, (uint32_t)n);
                if (w < 0)
                    sent = stdin_len; /* the command stopped reading: drop the rest */
                else
                    sent += (size_t)w;
                if (sent == stdin_len)
                    ssh_channel_send_eof(ch);
                if (w > 0)
                    continue; /* check the flags again before waiting */
            }
        }
        int64_t wait = deadline - now;
        if (wait > SLICE_MS)
            wait = SLICE_MS;
        if (ssh_event_dopoll(ev, (int)wait) == SSH_ERROR && !st.closed) {
            sshx_set_error(s, "%s:%d: connection lost: %s", s->host, s->port,
                           ssh_get_error(s->ssh));
            rc = SSHX_PROTOCOL;
            break;
        }
    }
out:
    if (rc == SSHX_PROTOCOL && s->ssh != NULL && !ssh_is_connected(s->ssh))
        s->ready = false; /* later calls fail at once */
    if (ev_added)
        ssh_event_remove_session(ev, s->ssh);
    if (ev != NULL)
        ssh_event_free(ev);
    if (ch != NULL) {
        /* Our callbacks (on this stack) are detached; a channel the server
         * has not closed yet stays with the session until it does. */
        s->nrunning--;
        sshx_retire_channel(s, ch, &cbs, st.closed);
        sshx_reap_channels(s);
    }
    if (!fill_result(&st, res)) {
        sshx_set_error(s, "out of memory");
        rc = SSHX_LOCAL;
    }
    free(st.buf[0]);
    free(st.buf[1]);
    res->seconds = (double)(sshx_mono_ms() - start) / 1000.0;
    return rc;
}

int sshx_ping(sshx_session *s, int timeout_s)
{
    ssh_event ev = NULL;
    ssh_channel ch = NULL;
    int rc = SSHX_PROTOCOL;
    int64_t deadline = sshx_mono_ms() + (int64_t)(timeout_s > 0 ? timeout_s : 5) * 1000;

    if (s == NULL)
        return SSHX_LOCAL;
    s->err[0] = '\0';
    if (!s->ready || s->ssh == NULL || !ssh_is_connected(s->ssh)) {
        sshx_set_error(s, "%s:%d: session not connected", s->host, s->port);
        goto out;
    }
    ev = ssh_event_new();
    if (ev == NULL || ssh_event_add_session(ev, s->ssh) != SSH_OK) {
        ssh_event_free(ev);
        sshx_set_error(s, "out of memory (ssh event)");
        return SSHX_LOCAL;
    }
    /* Whatever arrived while the session was idle first: a DISCONNECT or
     * EOF from the server, late CLOSEs of retired channels. */
    ssh_event_dopoll(ev, 0);
    if (!ssh_is_connected(s->ssh)) {
        sshx_set_error(s, "%s:%d: connection lost while idle: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    sshx_reap_channels(s);
    if (s->nclosing >= MAX_CLOSING) {
        sshx_set_error(s,
                       "%s:%d: the server has not closed %zu channels closed on this side; "
                       "not reusing the session",
                       s->host, s->port, s->nclosing);
        goto out;
    }
    /* The round trip: open a session channel (the server starts no
     * process until a command is requested) and close it again. */
    ch = ssh_channel_new(s->ssh);
    if (ch == NULL) {
        sshx_set_error(s, "%s:%d: cannot create a channel: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    s->nrunning++;
    ssh_set_blocking(s->ssh, 0);
    for (;;) {
        int r = ssh_channel_open_session(ch);
        if (r == SSH_OK) {
            rc = SSHX_OK;
            break;
        }
        if (r != SSH_AGAIN) {
            sshx_set_error(s, "%s:%d: cannot open a session channel: %s", s->host, s->port,
                           ssh_get_error(s->ssh));
            break;
        }
        int64_t left = deadline - sshx_mono_ms();
        if (left <= 0) {
            sshx_set_error(s, "%s:%d: no answer from the server within %d s", s->host, s->port,
                           timeout_s > 0 ? timeout_s : 5);
            rc = SSHX_TIMEOUT;
            break;
        }
        if (ssh_event_dopoll(ev, (int)(left < SLICE_MS ? left : SLICE_MS)) == SSH_ERROR &&
            !ssh_is_connected(s->ssh)) {
            sshx_set_error(s, "%s:%d: connection lost: %s", s->host, s->port,
                           ssh_get_error(s->ssh));
            break;
        }
    }
    ssh_set_blocking(s->ssh, 1);
    /* The server answers in order: the CLOSE of an earlier channel came
     * before this confirmation. Ours goes out now; the server's comes in
     * with the next call. */
    sshx_reap_channels(s);
    s->nrunning--;
    sshx_retire_channel(s, ch, NULL, false);
out:
    if (ev != NULL) {
        ssh_event_remove_session(ev, s->ssh);
        ssh_event_free(ev);
    }
    if (rc != SSHX_OK)
        s->ready = false; /* not to be reused: the caller closes it */
    return rc;
}

void sshx_result_free(sshx_result *r)
{
    if (r == NULL)
        return;
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
    r->exit_code = -1;
}
