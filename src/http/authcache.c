/* authcache.c -- API tokens remembered with their user's rights (see
 * authcache.h). Slot = the first 8 hex digits of the token hash (a SHA-256:
 * uniformly spread) modulo AUTHCACHE_SLOTS. */
#include "http/authcache.h"

#include "common/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t gen;
    authcache_token t;
    int64_t user_id;
    json_t *permissions; /* owned by the cache */
    json_t *group_ids;
    char hash[65];
    char username[128];
    bool superuser;
} slot;

static slot slots[AUTHCACHE_SLOTS]; /* by token hash */
static slot users[AUTHCACHE_SLOTS]; /* by user id (sessions); hash unused */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static slot *slot_of(const char *hash)
{
    unsigned long v = strtoul((char[9]){hash[0], hash[1], hash[2], hash[3], hash[4], hash[5], hash[6], hash[7], 0},
                              NULL, 16);
    return &slots[v % AUTHCACHE_SLOTS];
}

/* The slot holding hash, or NULL. Call with the lock held. */
static slot *find(const char *hash)
{
    slot *s;

    if (strlen(hash) != 64)
        return NULL;
    s = slot_of(hash);
    return strcmp(s->hash, hash) == 0 ? s : NULL;
}

/* Copy the user's rights of s into a; false when out of memory (a
 * untouched). Call with the lock held. */
static bool copy_out(const slot *s, auth_ctx *a)
{
    json_t *perms = json_deep_copy(s->permissions), *groups = json_deep_copy(s->group_ids);

    if (!perms || !groups) {
        json_decref(perms);
        json_decref(groups);
        return false;
    }
    a->user_id = s->user_id;
    memcpy(a->username, s->username, sizeof a->username);
    a->superuser = s->superuser;
    a->permissions = perms;
    a->group_ids = groups;
    a->authenticated = true;
    return true;
}

/* Fill s with a's rights (perms and groups: copies of a's, taken) under gen;
 * the arrays s held before are put in *old_p, *old_g for the caller to free
 * after unlocking. Call with the lock held. */
static void copy_in(slot *s, int64_t gen, const auth_ctx *a, json_t *perms, json_t *groups, json_t **old_p,
                    json_t **old_g)
{
    *old_p = s->permissions;
    *old_g = s->group_ids;
    s->gen = gen;
    s->user_id = a->user_id;
    memcpy(s->username, a->username, sizeof s->username);
    s->superuser = a->superuser;
    s->permissions = perms;
    s->group_ids = groups;
}

bool authcache_get(const char *hash, int64_t gen, int64_t now, authcache_token *t, auth_ctx *a)
{
    bool ok = false;
    slot *s;

    pthread_mutex_lock(&lock);
    s = find(hash);
    if (s && s->gen == gen && (!s->t.expires_at || s->t.expires_at > now) && copy_out(s, a)) {
        *t = s->t;
        ok = true;
    }
    pthread_mutex_unlock(&lock);
    return ok;
}

void authcache_put(const char *hash, int64_t gen, const authcache_token *t, const auth_ctx *a)
{
    json_t *perms = json_deep_copy(a->permissions), *groups = json_deep_copy(a->group_ids), *old_p, *old_g;
    slot *s;

    if (strlen(hash) != 64 || !perms || !groups) {
        json_decref(perms);
        json_decref(groups);
        return;
    }
    pthread_mutex_lock(&lock);
    s = slot_of(hash);
    copy_in(s, gen, a, perms, groups, &old_p, &old_g);
    memcpy(s->hash, hash, sizeof s->hash);
    s->t = *t;
    pthread_mutex_unlock(&lock);
    json_decref(old_p);
    json_decref(old_g);
}

void authcache_touch(const char *hash, int64_t when)
{
    slot *s;

    pthread_mutex_lock(&lock);
    s = find(hash);
    if (s)
        s->t.last_used_at = when;
    pthread_mutex_unlock(&lock);
}

bool authcache_user_get(int64_t user_id, int64_t gen, auth_ctx *a)
{
    const slot *s = &users[(uint64_t)user_id % AUTHCACHE_SLOTS];
    bool ok;

    pthread_mutex_lock(&lock);
    ok = user_id > 0 && s->user_id == user_id && s->gen == gen && copy_out(s, a);
    pthread_mutex_unlock(&lock);
    return ok;
}

void authcache_user_put(int64_t gen, const auth_ctx *a)
{
    json_t *perms = json_deep_copy(a->permissions), *groups = json_deep_copy(a->group_ids), *old_p, *old_g;

    if (a->user_id <= 0 || !perms || !groups) {
        json_decref(perms);
        json_decref(groups);
        return;
    }
    pthread_mutex_lock(&lock);
    copy_in(&users[(uint64_t)a->user_id % AUTHCACHE_SLOTS], gen, a, perms, groups, &old_p, &old_g);
    pthread_mutex_unlock(&lock);
    json_decref(old_p);
    json_decref(old_g);
}
