/* sshpool.c -- see sshpool.h. A small array under a mutex: the pool holds
 * at most a few hundred sessions and is searched once per host per job. */
#include "jobs/sshpool.h"

#include "common/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    sshx_session *s;
    int64_t since;
} idle_session;

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static idle_session pool[SSHPOOL_MAX];
static int npool;

sshx_session *sshpool_get(const char *key)
{
    sshx_session *s = NULL;
    pthread_mutex_lock(&pool_mu);
    for (int i = npool - 1; i >= 0; i--) {
        if (strcmp(pool[i].key, key) != 0)
            continue;
        s = pool[i].s;
        free(pool[i].key);
        pool[i] = pool[--npool];
        break;
    }
    pthread_mutex_unlock(&pool_mu);
    return s;
}

void sshpool_put(const char *key, sshx_session *s)
{
    char *k = strdup(key);
    pthread_mutex_lock(&pool_mu);
    if (k && npool < SSHPOOL_MAX) {
        idle_session *e = &pool[npool++];
        e->key = k; /* field by field: cppcheck loses k in a compound literal */
        e->s = s;
        e->since = util_now();
        s = NULL;
        k = NULL;
    }
    pthread_mutex_unlock(&pool_mu);
    free(k);
    sshx_close(s); /* pool full or out of memory */
}

void sshpool_sweep(bool everything)
{
    sshx_session *gone[SSHPOOL_MAX];
    int n = 0;
    int64_t now = util_now();
    pthread_mutex_lock(&pool_mu);
    for (int i = npool - 1; i >= 0; i--) {
        if (!everything && now - pool[i].since < SSHPOOL_IDLE_SECONDS)
            continue;
        gone[n++] = pool[i].s;
        free(pool[i].key);
        pool[i] = pool[--npool];
    }
    pthread_mutex_unlock(&pool_mu);
    for (int i = 0; i < n; i++) /* disconnect outside the lock */
        sshx_close(gone[i]);
}
