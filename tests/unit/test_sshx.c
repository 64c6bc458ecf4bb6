/* test_sshx.c -- cmocka tests of the SSH client (src/exec/sshx.h) against a
 * real OpenSSH server on loopback.
 *
 * The server comes from scripts/sshd-test.sh: when SSHD_TEST_DIR names a
 * directory where it already runs, that one is used (and left running);
 * otherwise the group setup starts one in a fresh /tmp directory and the
 * teardown stops it. It needs root (the script says why); as another user
 * every test is reported skipped. The script is found through
 * SSHD_TEST_SCRIPT, else scripts/sshd-test.sh from the working directory,
 * else relative to this binary (build/asan/tests/ -> ../../../scripts/).
 *
 * No assertion depends on elapsed time: a timeout test checks the status
 * only. The host-key test restarts the server with a new host key
 * (sshd-test.sh rekey), so it runs last among the single-session tests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "exec/sshx.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    char dir[PATH_MAX];
    char script[PATH_MAX + 64];
    bool own;          /* started here: stop it in teardown */
    bool skip;         /* not root and no server given */
    int port;
    char *key;         /* private key text (no passphrase) */
    char *key_pass;    /* private key text (passphrase) */
    char *passphrase;
    char *password;    /* of user cairntest */
} sshd_env;

static sshd_env env;

/* ASan option for this binary: libssh calls channel callbacks whose struct
 * lives on sshx_exec's stack, so a callback left attached after return
 * would write into a dead frame; this makes such a write an error instead
 * of a silent corruption of the next command's state. */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
    return "detect_stack_use_after_return=1";
}

/* ---- helpers ---------------------------------------------------------------- */

/* Whole file into a malloc'd NUL-terminated string (NULL when unreadable). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(buf, cap);
            if (p == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static char *dir_file(const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", env.dir, name);
    return slurp(path);
}

/* The server's current host key fingerprint (changes with rekey). */
static void current_fingerprint(char out[SSHX_FP_MAX])
{
    char *fp = dir_file("fingerprint");
    assert_non_null(fp);
    fp[strcspn(fp, "\r\n")] = '\0';
    snprintf(out, SSHX_FP_MAX, "%s", fp);
    free(fp);
}

static int run_script(const char *cmd)
{
    char line[3 * PATH_MAX + 128];
    snprintf(line, sizeof line, "'%s' %s '%s' >/dev/null", env.script, cmd, env.dir);
    return system(line);
}

static void find_script(void)
{
    const char *e = getenv("SSHD_TEST_SCRIPT");
    if (e != NULL && *e) {
        snprintf(env.script, sizeof env.script, "%s", e);
        return;
    }
    char exe[PATH_MAX];
    if (access("scripts/sshd-test.sh", X_OK) == 0) {
        snprintf(env.script, sizeof env.script, "%s/scripts/sshd-test.sh",
                 getcwd(exe, sizeof exe) ? exe : ".");
        return;
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
        *slash = '\0';
    snprintf(env.script, sizeof env.script, "%s/../../../scripts/sshd-test.sh", exe);
}

static sshx_target target_key(void)
{
    sshx_target t = {.host = "127.0.0.1", .port = env.port, .user = "root",
                     .private_key = env.key, .connect_timeout_s = 10};
    return t;
}

static sshx_session *connect_key(void)
{
    sshx_target t = target_key();
    sshx_session *s = NULL;
    int rc = sshx_connect(&t, &s);
    if (rc != SSHX_OK)
        print_error("connect: %s\n", sshx_error(s));
    assert_int_equal(rc, SSHX_OK);
    return s;
}

/* True once process pid is gone or a zombie (the server is local). Polls
 * for up to 20 s: a bound, not a timing assertion. */
static bool process_gone(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    for (int i = 0; i < 400; i++) {
        char *st = slurp(path);
        if (st == NULL)
            return true;
        char *rp = strrchr(st, ')');
        bool zombie = rp != NULL && rp[1] == ' ' && rp[2] == 'Z';
        free(st);
        if (zombie)
            return true;
        usleep(50000);
    }
    return false;
}

/* The remote command printed "<word> PID [PID…]": all those are ended. */
static void assert_pids_gone(const char *out)
{
    const char *p = strchr(out, ' ');
    assert_non_null(p);
    int n = 0;
    while (p != NULL && *p) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        assert_true(pid > 1);
        if (!process_gone(pid))
            fail_msg("remote process %ld still runs after the command was ended", pid);
        n++;
        p = end;
    }
    assert_true(n > 0);
}

#define SKIP_IF_NO_SSHD()                                                                    \
    do {                                                                                     \
        if (env.skip)                                                                        \
            skip();                                                                          \
    } while (0)

/* ---- fixture ----------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    if (sshx_global_init() != 0)
        return -1;
    find_script();
    const char *given = getenv("SSHD_TEST_DIR");
    if (given != NULL && *given) {
        snprintf(env.dir, sizeof env.dir, "%s", given);
    } else if (geteuid() != 0) {
        fprintf(stderr, "test_sshx: not root and SSHD_TEST_DIR unset: skipping (the test "
                        "sshd must run as root)\n");
        env.skip = true;
        return 0;
    } else {
        snprintf(env.dir, sizeof env.dir, "/tmp/cairn-sshx.XXXXXX");
        if (mkdtemp(env.dir) == NULL)
            return -1;
        env.own = true;
        if (run_script("start") != 0) {
            fprintf(stderr, "test_sshx: %s start %s failed\n", env.script, env.dir);
            return -1;
        }
    }
    char *port = dir_file("port");
    env.key = dir_file("id_ed25519");
    env.key_pass = dir_file("id_ed25519_pass");
    env.passphrase = dir_file("passphrase");
    env.password = dir_file("password");
    if (port == NULL || env.key == NULL || env.key_pass == NULL || env.passphrase == NULL ||
        env.password == NULL) {
        fprintf(stderr, "test_sshx: %s is missing files of sshd-test.sh\n", env.dir);
        free(port);
        return -1;
    }
    env.port = atoi(port);
    free(port);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (env.own)
        run_script("stop");
    free(env.key);
    free(env.key_pass);
    free(env.passphrase);
    free(env.password);
    sshx_global_cleanup();
    return 0;
}

/* ---- commands ---------------------------------------------------------------- */

typedef struct {
    size_t bytes[3];
    bool bad_stream;   /* no cmocka asserts here: this may run on a worker thread */
    atomic_bool started;
    bool stop_at_once;
} cb_ctx;

static bool count_cb(void *ctx, int stream, const char *data, size_t len)
{
    cb_ctx *c = ctx;
    (void)data;
    if (stream != 1 && stream != 2) {
        c->bad_stream = true;
        return false;
    }
    c->bytes[stream] += len;
    atomic_store(&c->started, true);
    return !c->stop_at_once;
}

static void test_exec_exit_code(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_session *s = connect_key();
    char fp[SSHX_FP_MAX];
    current_fingerprint(fp);
    assert_string_equal(sshx_fingerprint(s), fp); /* same text as ssh-keygen -l */

    sshx_result r;
    cb_ctx c = {0};
    int rc = sshx_exec(s, "echo out; echo err >&2; printf 'two\\n'; exit 3", NULL, 0, 30, 0,
                       NULL, count_cb, &c, &r);
    assert_int_equal(rc, SSHX_OK);
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.out, "out\ntwo\n");
    assert_string_equal(r.err, "err\n");
    assert_int_equal(r.out_len, 8);
    assert_int_equal(r.err_len, 4);
    assert_false(r.truncated);
    assert_int_equal(c.bytes[1], 8);
    assert_int_equal(c.bytes[2], 4);
    sshx_result_free(&r);

    /* Many commands on one session; an empty output; a signal death. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sshx_exec(s, "true", NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
        assert_int_equal(r.exit_code, 0);
        assert_string_equal(r.out, "");
        sshx_result_free(&r);
    }
    assert_int_equal(sshx_exec(s, "kill -9 $$", NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    assert_int_equal(r.exit_code, -1);
    assert_string_equal(r.exit_signal, "KILL");
    sshx_result_free(&r);
    sshx_close(s);
}

static void test_exec_stdin(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_session *s = connect_key();
    size_t n = 3u << 20; /* larger than any channel window */
    char *in = malloc(n);
    assert_non_null(in);
    for (size_t i = 0; i < n; i++)
        in[i] = (char)('a' + i % 26);
    sshx_result r;
    assert_int_equal(sshx_exec(s, "cat", in, n, 60, n, NULL, NULL, NULL, &r), SSHX_OK);
    assert_int_equal(r.exit_code, 0);
    assert_int_equal(r.out_len, n);
    assert_memory_equal(r.out, in, n);
    assert_false(r.truncated);
    sshx_result_free(&r);
    free(in);
    sshx_close(s);
}

static void test_output_limit(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_session *s = connect_key();
    sshx_result r;
    cb_ctx c = {0};
    /* 5 MB on stdout against a 1000-byte limit: cut, flagged, drained (the
     * command finishes and its stderr and exit code still arrive). */
    int rc = sshx_exec(s, "head -c 5000000 /dev/zero | tr '\\0' a; echo done >&2; exit 4", NULL,
                       0, 120, 1000, NULL, count_cb, &c, &r);
    assert_int_equal(rc, SSHX_OK);
    assert_int_equal(r.exit_code, 4);
    assert_true(r.truncated);
    assert_int_equal(r.out_len, 1000);
    assert_int_equal(strlen(r.out), 1000);
    assert_string_equal(r.err, "done\n");
    assert_int_equal(c.bytes[1], 1000); /* the callback sees what is kept */
    sshx_result_free(&r);
    sshx_close(s);
}

static void test_timeout(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_session *s = connect_key();
    sshx_result r;
    /* A shell with a background child: both are ended (the whole group). */
    int rc = sshx_exec(s, "sleep 30 & echo begun $$ $!; wait", NULL, 0, 2, 0, NULL, NULL, NULL,
                       &r);
    assert_int_equal(rc, SSHX_TIMEOUT);
    assert_int_equal(strncmp(r.out, "begun ", 6), 0); /* what came before the limit is kept */
    assert_int_equal(r.exit_code, -1);
    assert_non_null(strstr(sshx_error(s), "timed out"));
    assert_pids_gone(r.out);
    sshx_result_free(&r);
    /* The session is still usable, and nothing of the ended command (its
     * late CLOSE, its output) leaks into the next ones. */
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sshx_exec(s, "echo again", NULL, 0, 30, 0, NULL, NULL, NULL, &r),
                         SSHX_OK);
        assert_string_equal(r.out, "again\n");
        assert_int_equal(r.exit_code, 0);
        sshx_result_free(&r);
    }
    sshx_close(s);
}

typedef struct {
    sshx_session *s;
    atomic_bool cancel;
    cb_ctx c;
    int rc;
    sshx_result r;
} cancel_job;

static void *cancel_worker(void *arg)
{
    cancel_job *j = arg;
    j->rc = sshx_exec(j->s, "echo started $$; sleep 30; echo never", NULL, 0, 120, 0, &j->cancel,
                      count_cb, &j->c, &j->r);
    return NULL;
}

static void test_cancel(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    cancel_job j = {.s = connect_key()};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, cancel_worker, &j), 0);
    /* Wait until the command is running (bounded: 60 s), then cancel. */
    for (int i = 0; i < 6000 && !atomic_load(&j.c.started); i++)
        usleep(10000);
    assert_true(atomic_load(&j.c.started));
    atomic_store(&j.cancel, true);
    pthread_join(th, NULL);
    assert_int_equal(j.rc, SSHX_CANCELLED);
    assert_int_equal(strncmp(j.r.out, "started ", 8), 0);
    assert_null(strstr(j.r.out, "never"));
    assert_pids_gone(j.r.out);
    sshx_result_free(&j.r);

    /* A callback that returns false stops the command too. */
    cb_ctx c = {.stop_at_once = true};
    int rc = sshx_exec(j.s, "echo x; sleep 30", NULL, 0, 120, 0, NULL, count_cb, &c, &j.r);
    assert_int_equal(rc, SSHX_CANCELLED);
    sshx_result_free(&j.r);
    sshx_close(j.s);
}

/* ---- reuse --------------------------------------------------------------------- */

/* How many times sshd has started a command (its log says "Starting
 * session: command" for each exec request; LogLevel VERBOSE). */
static int commands_started(void)
{
    char *log = dir_file("sshd.log");
    assert_non_null(log);
    int n = 0;
    for (const char *p = log; (p = strstr(p, "Starting session: command")) != NULL; p++)
        n++;
    free(log);
    return n;
}

/* Open descriptors of a local process, -1 when they cannot be read. */
static int fd_count(long pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* The sshd process serving s (the parent of the remote shell). */
static long server_pid(sshx_session *s)
{
    sshx_result r;
    assert_int_equal(sshx_exec(s, "echo $PPID", NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    long pid = strtol(r.out, NULL, 10);
    sshx_result_free(&r);
    assert_true(pid > 1);
    return pid;
}

/* A session kept for reuse (as the job runner's pool does) runs any number
 * of commands at the same cost: nothing accumulates per command, neither in
 * the session (channels held) nor on the server (its descriptors). Counts
 * only, no timing. The user's shell is /bin/sh here so that 200 commands
 * stay quick (root's rc files may be heavy on a developer machine). */
static void test_reuse_many(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_target t = {.host = "127.0.0.1", .port = env.port, .user = "cairntest",
                     .password = env.password};
    sshx_session *s = NULL;
    int rc = sshx_connect(&t, &s);
    if (rc != SSHX_OK)
        print_error("connect: %s\n", sshx_error(s));
    assert_int_equal(rc, SSHX_OK);
    assert_int_equal(sshx_channels_held(s), 0);
    long sshd = server_pid(s);
    int fds0 = fd_count(sshd);

    size_t most = 0;
    for (int i = 0; i < 200; i++) {
        sshx_result r;
        rc = sshx_exec(s, "true", NULL, 0, 30, 0, NULL, NULL, NULL, &r);
        if (rc != SSHX_OK)
            fail_msg("command %d: %d %s", i, rc, sshx_error(s));
        assert_int_equal(r.exit_code, 0);
        sshx_result_free(&r);
        /* At most the last channel, its CLOSE still due (taken in by the
         * next call); never one per command run. */
        size_t held = sshx_channels_held(s);
        if (held > most)
            most = held;
        assert_true(held <= 1);
        if (i % 20 == 19) /* pings interleaved: the same rule */
            assert_int_equal(sshx_ping(s, 10), SSHX_OK);
    }
    assert_true(most <= 1);

    /* The server holds no more than after the first command (its channel
     * descriptors are released as each command ends; bounded wait). */
    if (fds0 > 0) {
        int fds = fd_count(sshd);
        for (int i = 0; i < 200 && fds > fds0; i++) {
            usleep(50000);
            fds = fd_count(sshd);
        }
        assert_int_equal(fds, fds0);
    }
    sshx_close(s);
}

/* sshx_ping: a round trip that starts no command on the host; a session
 * whose server went away fails it (and is then refused locally). */
static void test_ping(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_session *s = connect_key();
    long sshd = server_pid(s);
    int before = commands_started();
    for (int i = 0; i < 20; i++)
        assert_int_equal(sshx_ping(s, 10), SSHX_OK);
    assert_int_equal(commands_started(), before);
    assert_true(sshx_channels_held(s) <= 1);
    sshx_result r;
    assert_int_equal(sshx_exec(s, "echo still", NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    assert_string_equal(r.out, "still\n");
    sshx_result_free(&r);

    /* The connection's server process ends (as on a server restart). */
    assert_int_equal(kill((pid_t)sshd, SIGKILL), 0);
    assert_true(process_gone(sshd));
    assert_int_not_equal(sshx_ping(s, 10), SSHX_OK);
    assert_int_equal(sshx_exec(s, "true", NULL, 0, 5, 0, NULL, NULL, NULL, &r), SSHX_LOCAL);
    sshx_result_free(&r);
    sshx_close(s);
    assert_int_equal(sshx_ping(NULL, 1), SSHX_LOCAL);
    assert_int_equal(sshx_channels_held(NULL), 0);
}

/* Commands ended on a timeout, one of whose processes escaped the end
 * (own session, SIGTERM ignored) and keeps writing: the session stays fit
 * for reuse, holds no more than one channel at a time, and nothing of the
 * ended commands reaches later ones. Then a server that stops answering
 * (its process frozen) fails sshx_ping within the given time. */
static void test_reuse_after_timeouts(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_session *s = connect_key();
    long stuck[3] = {0};
    sshx_result r;
    for (int i = 0; i < 3; i++) {
        int rc = sshx_exec(s,
                           "setsid sh -c 'trap \"\" TERM; i=0; while [ $i -lt 300 ]; do echo "
                           "tick; sleep 0.1; i=$((i+1)); done' & echo stuck $!; wait",
                           NULL, 0, 4, 0, NULL, NULL, NULL, &r); /* 4 s: the echo must come first, even on a busy machine */
        assert_int_equal(rc, SSHX_TIMEOUT);
        const char *p = strstr(r.out, "stuck ");
        assert_non_null(p);
        stuck[i] = strtol(p + 6, NULL, 10);
        assert_true(stuck[i] > 1);
        sshx_result_free(&r);
        assert_true(sshx_channels_held(s) <= 1);
        assert_int_equal(sshx_ping(s, 10), SSHX_OK);
        assert_true(sshx_channels_held(s) <= 1);
        for (int k = 0; k < 3; k++) {
            assert_int_equal(sshx_exec(s, "echo ok", NULL, 0, 30, 0, NULL, NULL, NULL, &r),
                             SSHX_OK);
            assert_string_equal(r.out, "ok\n");
            sshx_result_free(&r);
            assert_true(sshx_channels_held(s) <= 1);
        }
    }
    for (int i = 0; i < 3; i++)
        kill((pid_t)stuck[i], SIGKILL); /* may be gone already (SIGPIPE) */

    long sshd = server_pid(s);
    assert_int_equal(kill((pid_t)sshd, SIGSTOP), 0);
    assert_int_equal(sshx_ping(s, 1), SSHX_TIMEOUT);
    assert_non_null(strstr(sshx_error(s), "no answer"));
    kill((pid_t)sshd, SIGCONT);
    assert_int_equal(sshx_exec(s, "true", NULL, 0, 5, 0, NULL, NULL, NULL, &r), SSHX_LOCAL);
    sshx_result_free(&r);
    sshx_close(s);
}

/* ---- authentication ------------------------------------------------------------ */

static void test_password_auth(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_target t = {.host = "127.0.0.1", .port = env.port, .user = "cairntest",
                     .password = env.password};
    sshx_session *s = NULL;
    int rc = sshx_connect(&t, &s);
    if (rc != SSHX_OK)
        print_error("connect: %s\n", sshx_error(s));
    assert_int_equal(rc, SSHX_OK);
    sshx_result r;
    assert_int_equal(sshx_exec(s, "id -un", NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    assert_string_equal(r.out, "cairntest\n");
    sshx_result_free(&r);
    /* A non-root command is ended on timeout as well. */
    assert_int_equal(sshx_exec(s, "sleep 30 & echo begun $$ $!; wait", NULL, 0, 1, 0, NULL, NULL,
                               NULL, &r),
                     SSHX_TIMEOUT);
    assert_pids_gone(r.out);
    sshx_result_free(&r);
    sshx_close(s);

    t.password = "not the password";
    rc = sshx_connect(&t, &s);
    assert_int_equal(rc, SSHX_AUTH);
    assert_non_null(strstr(sshx_error(s), "refused"));
    assert_true(sshx_fingerprint(s)[0] != '\0'); /* the handshake did complete */
    /* A failed session cannot run anything. */
    sshx_result r2;
    assert_int_equal(sshx_exec(s, "true", NULL, 0, 5, 0, NULL, NULL, NULL, &r2), SSHX_LOCAL);
    sshx_result_free(&r2);
    sshx_close(s);

    /* No credential at all. */
    t.password = NULL;
    assert_int_equal(sshx_connect(&t, &s), SSHX_AUTH);
    sshx_close(s);
}

static void test_key_passphrase(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    sshx_target t = target_key();
    sshx_session *s = NULL;
    t.private_key = env.key_pass;
    t.passphrase = env.passphrase;
    assert_int_equal(sshx_connect(&t, &s), SSHX_OK);
    sshx_close(s);

    t.passphrase = "wrong passphrase";
    assert_int_equal(sshx_connect(&t, &s), SSHX_AUTH);
    assert_non_null(strstr(sshx_error(s), "passphrase"));
    sshx_close(s);

    t.passphrase = NULL;
    assert_int_equal(sshx_connect(&t, &s), SSHX_AUTH);
    sshx_close(s);

    t.private_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n"
                    "-----END OPENSSH PRIVATE KEY-----\n";
    assert_int_equal(sshx_connect(&t, &s), SSHX_AUTH);
    sshx_close(s);
}

static void test_closed_port(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    /* A port that was just free: bound, never listened on, closed. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    int port = ntohs(a.sin_port);
    close(fd);

    sshx_target t = target_key();
    t.port = port;
    t.connect_timeout_s = 5;
    sshx_session *s = NULL;
    assert_int_equal(sshx_connect(&t, &s), SSHX_CONNECT);
    assert_non_null(strstr(sshx_error(s), "cannot connect"));
    assert_string_equal(sshx_fingerprint(s), "");
    sshx_close(s);

    /* A server that accepts TCP but never speaks: the connect timeout ends
     * the handshake. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    a.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    al = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    t.port = ntohs(a.sin_port);
    t.connect_timeout_s = 1;
    assert_int_equal(sshx_connect(&t, &s), SSHX_CONNECT);
    sshx_close(s);
    close(fd);

    /* Bad arguments are local errors. */
    t.host = NULL;
    assert_int_equal(sshx_connect(&t, &s), SSHX_LOCAL);
    sshx_close(s);
}

static void test_hostkey_changed(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    char old_fp[SSHX_FP_MAX], new_fp[SSHX_FP_MAX];
    sshx_session *s = NULL;

    /* First use: accepted, fingerprint reported for the caller to record. */
    sshx_target t = target_key();
    assert_int_equal(sshx_connect(&t, &s), SSHX_OK);
    snprintf(old_fp, sizeof old_fp, "%s", sshx_fingerprint(s));
    assert_int_equal(strncmp(old_fp, "SHA256:", 7), 0);
    sshx_close(s);

    /* With the record: accepted (padding on the record is tolerated). */
    char padded[SSHX_FP_MAX + 2];
    snprintf(padded, sizeof padded, "%s=", old_fp);
    t.known_fingerprint = padded;
    assert_int_equal(sshx_connect(&t, &s), SSHX_OK);
    sshx_close(s);

    /* The server gets a new host key: refused, both fingerprints named. */
    assert_int_equal(run_script("rekey"), 0);
    current_fingerprint(new_fp);
    assert_string_not_equal(old_fp, new_fp);
    t.known_fingerprint = old_fp;
    assert_int_equal(sshx_connect(&t, &s), SSHX_HOSTKEY_CHANGED);
    assert_non_null(strstr(sshx_error(s), old_fp));
    assert_non_null(strstr(sshx_error(s), new_fp));
    assert_string_equal(sshx_fingerprint(s), new_fp);
    sshx_result r;
    assert_int_equal(sshx_exec(s, "true", NULL, 0, 5, 0, NULL, NULL, NULL, &r), SSHX_LOCAL);
    sshx_result_free(&r);
    sshx_close(s);

    /* The same with a password credential: refused before it is sent. */
    sshx_target tp = {.host = "127.0.0.1", .port = env.port, .user = "cairntest",
                      .password = env.password, .known_fingerprint = old_fp};
    assert_int_equal(sshx_connect(&tp, &s), SSHX_HOSTKEY_CHANGED);
    sshx_close(s);

    /* Once the new key is recorded, it works again. */
    t.known_fingerprint = new_fp;
    assert_int_equal(sshx_connect(&t, &s), SSHX_OK);
    sshx_close(s);
}

/* ---- files and scripts ----------------------------------------------------------- */

static void test_quote(void **state)
{
    (void)state;
    char *q = sshx_quote("it's");
    assert_string_equal(q, "'it'\\''s'");
    free(q);
    q = sshx_quote("");
    assert_string_equal(q, "''");
    free(q);
    q = sshx_quote("a b");
    assert_string_equal(q, "'a b'");
    free(q);
    assert_null(sshx_quote(NULL));
}

static void test_script_args(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    char pwned[64], trap[96];
    snprintf(pwned, sizeof pwned, "/tmp/cairn-pwned-%d", (int)getpid());
    unlink(pwned);
    snprintf(trap, sizeof trap, "$(touch %s)", pwned);
    const char *args[] = {"arg 1", "it's", trap, "", "a\"b\\c`id`;|&*?~ $HOME\nline2", "--"};
    const char script[] = "#!/bin/sh\n"
                          "echo \"$0\" >&2\n"
                          "echo \"n=$#\"\n"
                          "for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done\n"
                          "exit 7\n";
    sshx_session *s = connect_key();
    sshx_result r;
    int rc = sshx_run_script(s, NULL, script, sizeof script - 1, args, 6, 30, 0, NULL, NULL, NULL,
                             &r);
    if (rc != SSHX_OK)
        print_error("run_script: %s\n", sshx_error(s));
    assert_int_equal(rc, SSHX_OK);
    assert_int_equal(r.exit_code, 7);
    char want[512];
    snprintf(want, sizeof want, "n=6\n[arg 1]\n[it's]\n[%s]\n[]\n[%s]\n[--]\n", trap, args[4]);
    assert_string_equal(r.out, want);
    assert_int_not_equal(access(pwned, F_OK), 0); /* never executed */
    /* The script file was removed (the server is local: same /tmp). */
    char path[128];
    snprintf(path, sizeof path, "%s", r.err);
    path[strcspn(path, "\n")] = '\0';
    assert_int_equal(strncmp(path, "/tmp/cairn-", 11), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    sshx_result_free(&r);

    /* No arguments; a timed-out script is removed as well. */
    const char *sleeper = "echo \"$0\" >&2; sleep 30";
    rc = sshx_run_script(s, "bash", sleeper, strlen(sleeper), NULL, 0, 1, 0, NULL, NULL, NULL, &r);
    assert_int_equal(rc, SSHX_TIMEOUT);
    snprintf(path, sizeof path, "%s", r.err);
    path[strcspn(path, "\n")] = '\0';
    assert_int_equal(strncmp(path, "/tmp/cairn-", 11), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    sshx_result_free(&r);
    sshx_close(s);
}

static void test_upload_checksum(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    char path[64], local[65], remote[65], verified[65];
    snprintf(path, sizeof path, "/tmp/cairn-sshx-test-%d.bin", (int)getpid());
    size_t n = 300000;
    unsigned char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7919u >> 3);
    sshx_sha256_hex(data, n, local);

    sshx_session *s = connect_key();
    int rc = sshx_upload(s, path, data, n, 0640);
    if (rc != SSHX_OK)
        print_error("upload: %s\n", sshx_error(s));
    assert_int_equal(rc, SSHX_OK);
    assert_int_equal(sshx_remote_sha256(s, path, remote), SSHX_OK);
    assert_string_equal(remote, local);
    sshx_result r;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "stat -c %%a %s", path);
    assert_int_equal(sshx_exec(s, cmd, NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    assert_string_equal(r.out, "640\n");
    sshx_result_free(&r);

    /* Distribution over an existing file: verified, renamed into place. */
    data[0] ^= 0xff;
    sshx_sha256_hex(data, n, local);
    rc = sshx_upload_verified(s, path, data, n, 0600, verified);
    if (rc != SSHX_OK)
        print_error("upload_verified: %s\n", sshx_error(s));
    assert_int_equal(rc, SSHX_OK);
    assert_string_equal(verified, local);
    assert_int_equal(sshx_remote_sha256(s, path, remote), SSHX_OK);
    assert_string_equal(remote, local);
    assert_int_equal(sshx_exec(s, cmd, NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    assert_string_equal(r.out, "600\n");
    sshx_result_free(&r);
    /* No temporary file left beside it. */
    snprintf(cmd, sizeof cmd, "ls %s.cairn-tmp-* 2>/dev/null | wc -l", path);
    assert_int_equal(sshx_exec(s, cmd, NULL, 0, 30, 0, NULL, NULL, NULL, &r), SSHX_OK);
    assert_string_equal(r.out, "0\n");
    sshx_result_free(&r);

    /* Empty file; missing file; removal (twice: a missing file is fine). */
    assert_int_equal(sshx_upload(s, path, NULL, 0, 0644), SSHX_OK);
    assert_int_equal(sshx_remote_sha256(s, path, remote), SSHX_OK);
    assert_string_equal(remote, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(sshx_remove(s, path), SSHX_OK);
    assert_int_equal(sshx_remove(s, path), SSHX_OK);
    assert_int_equal(sshx_remote_sha256(s, path, remote), SSHX_PROTOCOL);
    assert_int_equal(sshx_upload(s, "/nonexistent-dir/x", data, 10, 0644), SSHX_PROTOCOL);
    assert_non_null(strstr(sshx_error(s), "no such file"));
    free(data);
    sshx_close(s);
}

/* ---- concurrency ------------------------------------------------------------------- */

#define THREADS 10
#define PER_THREAD 5

typedef struct {
    int id;
    int ok;
    pthread_barrier_t *barrier;
} conc_job;

static void *conc_worker(void *arg)
{
    conc_job *j = arg;
    sshx_session *s[PER_THREAD] = {0};
    bool up[PER_THREAD] = {0};
    for (int i = 0; i < PER_THREAD; i++) {
        sshx_target t = target_key();
        up[i] = sshx_connect(&t, &s[i]) == SSHX_OK;
        if (!up[i])
            fprintf(stderr, "conc %d/%d: %s\n", j->id, i, sshx_error(s[i]));
    }
    /* All 50 sessions are open at this point. */
    pthread_barrier_wait(j->barrier);
    for (int i = 0; i < PER_THREAD; i++) {
        if (!up[i])
            continue;
        char cmd[64], want[64];
        snprintf(cmd, sizeof cmd, "echo %d-%d", j->id, i);
        snprintf(want, sizeof want, "%d-%d\n", j->id, i);
        sshx_result r;
        if (sshx_exec(s[i], cmd, NULL, 0, 60, 0, NULL, NULL, NULL, &r) == SSHX_OK &&
            r.exit_code == 0 && strcmp(r.out, want) == 0)
            j->ok++;
        else
            fprintf(stderr, "conc %d/%d: exec: %s\n", j->id, i, sshx_error(s[i]));
        sshx_result_free(&r);
    }
    for (int i = 0; i < PER_THREAD; i++)
        sshx_close(s[i]);
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    SKIP_IF_NO_SSHD();
    pthread_t th[THREADS];
    conc_job jobs[THREADS];
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (conc_job){.id = i, .barrier = &barrier};
        assert_int_equal(pthread_create(&th[i], NULL, conc_worker, &jobs[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        ok += jobs[i].ok;
    }
    pthread_barrier_destroy(&barrier);
    assert_int_equal(ok, THREADS * PER_THREAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_exec_exit_code),
        cmocka_unit_test(test_exec_stdin),
        cmocka_unit_test(test_output_limit),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_reuse_many),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_reuse_after_timeouts),
        cmocka_unit_test(test_password_auth),
        cmocka_unit_test(test_key_passphrase),
        cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_script_args),
        cmocka_unit_test(test_upload_checksum),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_hostkey_changed),
    };
    return cmocka_run_group_tests_name("sshx", tests, group_setup, group_teardown);
}
