/* library_gitrun.c -- lgit_fetch(): run one git fetch on a thread of its own
 * and wait for it, at most the deadline plus GRACE_MS.
 *
 * libgit2 1.5 has no socket timeouts: its progress callbacks enforce the
 * deadline only while data flows, and a server that accepts a connection
 * and then says nothing would hold the thread in recv() for ever. So the
 * fetch runs on its own thread (fetch_job, holding copies of everything it
 * reads), and once the deadline has passed the waiting caller sends that
 * thread WAKE_SIGNAL every second. Its handler does nothing and is
 * installed without SA_RESTART, so the blocked system call fails with EINTR
 * and libgit2 returns an error. A thread that still has not ended when the
 * grace period is over is left behind: the caller answers LGIT_TIMEOUT and
 * the last of the two to let go of the job frees it (refs). Each running or
 * abandoned thread holds one of max_parallel slots.
 */
#include "jobs/library_git_int.h"

#include "common/util.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define GRACE_MS 10000.0
#define WAKE_SIGNAL (SIGRTMIN + 7)

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_rc = -1;
static pthread_mutex_t slots_mu = PTHREAD_MUTEX_INITIALIZER;
static int slots_used;

static void on_wake(int sig)
{
    (void)sig;
}

/* Once per process: libgit2, with the server's own git configuration out of
 * the way (url.insteadOf rules or credential helpers there must not change
 * what a user's URL reaches), the CA bundle, the checked socket stream
 * (library_gitnet.c), and the wake-up signal. */
static void init_once_fn(void)
{
    static const git_config_level_t levels[] = {GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
                                                GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake;
    sigemptyset(&sa.sa_mask);
    if (sigaction(WAKE_SIGNAL, &sa, NULL) != 0 || git_libgit2_init() < 0 || lgit_net_register() != 0)
        return;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, levels[i], "");
    if (access(CA_BUNDLE, R_OK) == 0)
        git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, CA_BUNDLE, NULL);
    init_rc = 0;
}

enum { S_URL, S_REF, S_PATH, S_USER, S_PASSWORD, S_KEY, S_PASSPHRASE, S_HOST_KEY, S_TMP, S_COUNT };

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;            /* 2 while both the fetch thread and the caller hold it */
    bool done;
    lgit_source s;       /* its strings point into str[], its hosts to hosts */
    char *str[S_COUNT];
    hostallow_list hosts;
    double deadline;     /* util_mono_ms() */
    lgit_result res;
    lgit_status st;
} fetch_job;

static void job_free(fetch_job *j)
{
    for (int i = 0; i < S_COUNT; i++)
        if (j->str[i]) {
            memset(j->str[i], 0, strlen(j->str[i])); /* secrets among them */
            free(j->str[i]);
        }
    lgit_result_free(&j->res);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

/* A job holding copies of s's strings (NULL strings stay NULL). */
static fetch_job *job_new(const lgit_source *s)
{
    const char *from[S_COUNT] = {s->url,         s->ref,        s->path,     s->username, s->password,
                                 s->private_key, s->passphrase, s->host_key, s->tmp_parent};
    fetch_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    pthread_mutex_init(&j->mu, NULL);
    pthread_cond_init(&j->cv, NULL);
    j->refs = 2;
    j->s = *s;
    for (int i = 0; i < S_COUNT; i++)
        if (from[i] && !(j->str[i] = strdup(from[i]))) {
            job_free(j);
            return NULL;
        }
    j->s.url = j->str[S_URL];
    j->s.ref = j->str[S_REF];
    j->s.path = j->str[S_PATH];
    j->s.username = j->str[S_USER];
    j->s.password = j->str[S_PASSWORD];
    j->s.private_key = j->str[S_KEY];
    j->s.passphrase = j->str[S_PASSPHRASE];
    j->s.host_key = j->str[S_HOST_KEY];
    j->s.tmp_parent = j->str[S_TMP];
    if (s->hosts) {
        j->hosts = *s->hosts;
        j->s.hosts = &j->hosts;
    }
    return j;
}

static void release(fetch_job *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (last)
        job_free(j);
}

static void *run_job(void *p)
{
    fetch_job *j = p;
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, WAKE_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL); /* the creating thread may block signals */
    lgit_status st = lgit_fetch_now(&j->s, j->deadline, &j->res);
    pthread_mutex_lock(&j->mu);
    j->st = st;
    j->done = true;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    release(j);
    pthread_mutex_lock(&slots_mu);
    slots_used--;
    pthread_mutex_unlock(&slots_mu);
    return NULL;
}

static bool take_slot(int max)
{
    pthread_mutex_lock(&slots_mu);
    bool ok = slots_used < (max > 0 ? max : 1);
    if (ok)
        slots_used++;
    pthread_mutex_unlock(&slots_mu);
    return ok;
}

/* Wait for j, waking its thread past the deadline; true when it finished.
 * Called and returns with j->mu held. */
static bool wait_job(fetch_job *j, pthread_t t, double deadline)
{
    double hard = deadline + GRACE_MS;
    while (!j->done) {
        double now = util_mono_ms();
        if (now >= hard)
            return false;
        if (now >= deadline)
            pthread_kill(t, WAKE_SIGNAL); /* alive: it sets done before it ends */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&j->cv, &j->mu, &ts);
    }
    return true;
}

static lgit_status check(const lgit_source *s, lgit_result *out)
{
    char why[256];
    if (!lgit_url_ok(s->url, s->allow_local, why, sizeof why))
        return lgit_fail(out, LGIT_BAD_URL, "url", "%s", why);
    if (!lgit_ref_ok(s->ref, why, sizeof why))
        return lgit_fail(out, LGIT_BAD_REF, "ref", "%s", why);
    if (!lgit_path_ok(s->path, why, sizeof why))
        return lgit_fail(out, LGIT_BAD_PATH, "path", "%s", why);
    if (!s->directory && !*s->path)
        return lgit_fail(out, LGIT_BAD_PATH, "path", "path to the file is required");
    return LGIT_OK;
}

lgit_status lgit_fetch(const lgit_source *s, lgit_result *out)
{
    fetch_job *j = NULL;
    pthread_t t;
    pthread_attr_t attr;
    memset(out, 0, sizeof *out);
    lgit_status st = check(s, out);
    if (st != LGIT_OK)
        return st;
    if (pthread_once(&init_once, init_once_fn) != 0 || init_rc != 0)
        return lgit_fail(out, LGIT_INTERNAL, NULL, "libgit2 cannot start");
    if (!take_slot(s->max_parallel))
        return lgit_fail(out, LGIT_BUSY, NULL, "%d git fetches are running already; try again shortly",
                         s->max_parallel);
    double deadline = util_mono_ms() + 1000.0 * s->timeout_s;
    if (!(j = job_new(s)) || pthread_attr_init(&attr) != 0)
        goto fail;
    j->deadline = deadline;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&t, &attr, run_job, j);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        goto fail;
    pthread_mutex_lock(&j->mu);
    if (wait_job(j, t, deadline)) {
        st = j->st;
        *out = j->res;
        memset(&j->res, 0, sizeof j->res); /* the content is the caller's now */
    } else {
        st = lgit_fail(out, LGIT_TIMEOUT, NULL, "the repository did not answer within %d s", s->timeout_s);
    }
    pthread_mutex_unlock(&j->mu);
    release(j);
    return st;
fail:
    if (j)
        job_free(j);
    pthread_mutex_lock(&slots_mu);
    slots_used--;
    pthread_mutex_unlock(&slots_mu);
    return lgit_fail(out, LGIT_INTERNAL, NULL, "cannot start a git fetch (out of memory or threads)");
}

void lgit_result_free(lgit_result *out)
{
    if (out) {
        free(out->content);
        out->content = NULL;
    }
}
