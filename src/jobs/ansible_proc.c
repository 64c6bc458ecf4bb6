/* ansible_proc.c -- run ansible / ansible-playbook as a child process.
 *
 * How: fork() then execve() of an absolute path with an explicit argv and a
 * complete environment made by the caller: no shell and no command string
 * anywhere, so no user text is ever parsed as a command line. Between fork
 * and execve the child only makes system calls (the parent is threaded):
 * its own process group, default signal mask and SIGPIPE, stdin from
 * /dev/null, stdout and stderr to pipes, the sandbox of ansible_sandbox.c
 * when the caller gives one, every other descriptor closed on exec, and the
 * run directory as working directory. A failed sandbox step or execve is
 * reported through a close-on-exec pipe (an ans_sb_fail: which step, errno),
 * so "could not be isolated", "not started" and "exited 127" are told apart.
 *
 * The parent polls both pipes (200 ms ticks), cuts the bytes into lines for
 * the caller, and enforces the time limit and cancellation: SIGTERM to the
 * whole process group (ansible, its forks, their ssh processes), SIGKILL 5 s
 * later. Cancellation is j->cancel (cairnd stopping) or the job's
 * cancel_requested column, read once a second. When the program has exited,
 * whatever it left behind in its group is killed.
 */
#include "jobs/ansible_int.h"

#include "common/util.h"
#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINE_MAX_BYTES (4u << 20) /* a longer line is cut here, the rest dropped */
#define CHUNK 65536
#define KILL_GRACE_MS 5000
#define DRAIN_AFTER_EXIT_MS 2000

typedef struct {
    char *buf;
    size_t len, cap;
    bool skipping; /* inside an over-long line: drop bytes up to the newline */
} line_buf;

/* In the child: set up descriptors, enter the sandbox when there is one,
 * and exec. Never returns; a failure is written to `report` as an
 * ans_sb_fail. Only async-signal-safe calls. */
static void child_exec(const ans_proc *p, int in, int out, int err, int report)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    ans_sb_fail f = {.step = ANS_SB_EXEC, .index = -1};
    setpgid(0, 0);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
        goto fail;
    if (p->sandbox && ans_sandbox_enter(p->sandbox, &f) != 0)
        goto report;
    if (chdir(p->cwd) != 0)
        goto fail;
    /* Everything from 3 up is closed by execve (the report pipe included, which
     * is how the parent learns that execve worked). */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        struct rlimit rl;
        long max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? (long)rl.rlim_cur : 65536;
        for (long fd = 3; fd < max && fd < 65536; fd++)
            fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    }
    execve(p->path, p->argv, p->envp);
fail:
    f.step = ANS_SB_EXEC;
    f.err = errno;
report:;
    ssize_t w = write(report, &f, sizeof f);
    (void)w;
    _exit(127);
}

/* Hand every complete line of lb to the caller; at eof also the rest. */
static void emit_lines(const ans_proc *p, int which, line_buf *lb, bool eof)
{
    size_t start = 0;
    for (;;) {
        char *nl = lb->len > start ? memchr(lb->buf + start, '\n', lb->len - start) : NULL;
        if (!nl)
            break;
        size_t n = (size_t)(nl - (lb->buf + start));
        if (!lb->skipping)
            p->on_line(p->ctx, which, lb->buf + start, n && lb->buf[start + n - 1] == '\r' ? n - 1 : n);
        lb->skipping = false;
        start += n + 1;
    }
    if (start > 0) {
        memmove(lb->buf, lb->buf + start, lb->len - start);
        lb->len -= start;
    }
    if (lb->len >= LINE_MAX_BYTES || (eof && lb->len > 0)) {
        if (!lb->skipping)
            p->on_line(p->ctx, which, lb->buf, lb->len);
        lb->skipping = !eof;
        lb->len = 0;
    }
}

/* Read what fd has; false at end of file or error. */
static bool read_some(const ans_proc *p, int fd, int which, line_buf *lb)
{
    if (lb->cap - lb->len < CHUNK) {
        size_t cap = lb->cap ? lb->cap * 2 : 2 * CHUNK;
        while (cap - lb->len < CHUNK)
            cap *= 2;
        char *nb = realloc(lb->buf, cap);
        if (!nb) {
            lb->len = 0; /* out of memory: drop what is buffered, keep reading */
            lb->skipping = true;
            if (!lb->buf)
                return false;
        } else {
            lb->buf = nb;
            lb->cap = cap;
        }
    }
    ssize_t n = read(fd, lb->buf + lb->len, lb->cap - lb->len < CHUNK ? lb->cap - lb->len : CHUNK);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        emit_lines(p, which, lb, true);
        return false;
    }
    lb->len += (size_t)n;
    emit_lines(p, which, lb, false);
    return true;
}

/* True when someone asked to cancel the job (read from the database). */
static bool cancel_requested(job_run *j)
{
    int64_t want = 0;
    db_conn *c = db_acquire(j->app->db);
    int rc = db_query_int(c, "SELECT cancel_requested FROM jobs WHERE id = $1", DB_ARGS(DB_INT(j->id)), &want);
    db_release(c);
    return rc == DB_OK && want != 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int ans_proc_run(const ans_proc *p, ans_proc_result *res)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1}, devnull = -1, rc = -1;
    line_buf lb[2] = {{0}};
    pid_t pid = -1;
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(rep, O_CLOEXEC) != 0 ||
        (devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(res->error, sizeof res->error, "cannot make pipes: %s", strerror(errno));
        goto done;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(res->error, sizeof res->error, "cannot start %s: %s", p->path, strerror(errno));
        goto done;
    }
    if (pid == 0)
        child_exec(p, devnull, out[1], err[1], rep[1]);
    setpgid(pid, pid); /* also done by the child: whichever runs first */
    close_fd(&out[1]);
    close_fd(&err[1]);
    close_fd(&rep[1]);
    close_fd(&devnull);
    ans_sb_fail failed = {0};
    ssize_t got;
    do
        got = read(rep[0], &failed, sizeof failed);
    while (got < 0 && errno == EINTR);
    if (got == (ssize_t)sizeof failed) {
        waitpid(pid, NULL, 0);
        pid = -1;
        if (failed.step != ANS_SB_EXEC && p->sandbox)
            ans_sandbox_error(p->sandbox, &failed, res->error, sizeof res->error);
        else
            snprintf(res->error, sizeof res->error, "cannot run %s: %s", p->path, strerror(failed.err));
        goto done;
    }
    rc = 0;
    double start = util_mono_ms(), term_at = 0, reaped_at = 0, last_poll = start;
    bool reaped = false, killed = false;
    int fds[2] = {out[0], err[0]};
    while (fds[0] >= 0 || fds[1] >= 0 || !reaped) {
        struct pollfd pf[2];
        int n = 0, map[2];
        for (int s = 0; s < 2; s++)
            if (fds[s] >= 0) {
                pf[n] = (struct pollfd){.fd = fds[s], .events = POLLIN};
                map[n++] = s;
            }
        if (poll(pf, (nfds_t)n, 200) > 0)
            for (int k = 0; k < n; k++)
                if (pf[k].revents && !read_some(p, pf[k].fd, map[k] + 1, &lb[map[k]]))
                    close_fd(&fds[map[k]]);
        double now = util_mono_ms();
        int status = 0;
        if (!reaped) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno == ECHILD)) {
                reaped = true;
                reaped_at = now;
                if (w == pid && WIFEXITED(status))
                    res->exit_code = WEXITSTATUS(status);
                else if (w == pid && WIFSIGNALED(status))
                    res->term_signal = WTERMSIG(status);
                kill(-pid, SIGKILL); /* anything it left behind in its group */
            }
        }
        if (reaped) {
            if (now - reaped_at > DRAIN_AFTER_EXIT_MS)
                break; /* something outside the group still holds a pipe */
            continue;
        }
        if (!term_at) {
            if (p->timeout_s > 0 && now - start >= p->timeout_s * 1000.0)
                res->timed_out = true;
            else if (p->job->cancel)
                res->cancelled = true;
            else if (now - last_poll >= 1000) {
                last_poll = now;
                if (cancel_requested(p->job)) {
                    p->job->cancel = true;
                    res->cancelled = true;
                }
            }
            if (res->timed_out || res->cancelled) {
                kill(-pid, SIGTERM);
                term_at = now;
            }
        } else if (!killed && now - term_at >= KILL_GRACE_MS) {
            kill(-pid, SIGKILL);
            killed = true;
        }
    }
    pid = -1;
done:
    if (pid > 0) { /* started but not watched to the end: never leave it running */
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    for (int s = 0; s < 2; s++)
        free(lb[s].buf);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&err[0]);
    close_fd(&err[1]);
    close_fd(&rep[0]);
    close_fd(&rep[1]);
    close_fd(&devnull);
    return rc;
}
