/* library_git.h -- read one library item's content out of a git repository.
 *
 * lgit_fetch() is the whole of it: it makes a private temporary bare
 * repository, fetches only the one branch or tag asked for (every branch and
 * tag when a commit id is asked for), reads the file (a script or a playbook)
 * or the directory (a role) at the given path in that commit, and removes the
 * temporary repository again. It runs libgit2 in-process (no shell, no `git`
 * child) and is slow: call it from a worker thread, never from an HTTP
 * polling thread.
 *
 * Limits: a deadline and a maximum transfer size (both enforced from
 * libgit2's progress callbacks, which abort the transfer), files of at most
 * LGIT_MAX_FILE bytes, at most LGIT_MAX_FILES files in a role, safe relative
 * paths only, symbolic links followed only when they stay inside the tree
 * read, UTF-8 text only. URL schemes https, ssh (also user@host:path) and git;
 * file:// and local paths only when the caller allows them. https servers
 * must have a certificate the system trusts; an ssh server's key is pinned
 * by the caller (host_key), or accepted and reported (out->host_key) so
 * that the caller can pin it for the next time.
 *
 * Hosts: every connection (git://, ssh, https, and any server an https
 * redirect would name) goes only to addresses that the caller's host list
 * allows (common/hostallow.h): the host is resolved once, all its
 * addresses are checked, and only those are connected to
 * (library_gitnet.c). A refused host is LGIT_BAD_URL naming the host and
 * why. Off-site https redirects are not followed at all.
 *
 * Each fetch runs on a thread of its own while the caller waits, at most
 * the deadline plus a grace period: past the deadline the fetch thread is
 * sent a signal (a no-op handler installed without SA_RESTART) once a
 * second, so that a read or connect blocked on a silent server fails with
 * EINTR; if it still has not finished at the end of the grace period, the
 * caller answers LGIT_TIMEOUT and the thread cleans up alone whenever it
 * ends. Such threads keep their slot among max_parallel until then, so a
 * server that hangs forever costs one slot, never an HTTP worker.
 *
 * Thread safety: lgit_fetch() may be called on several threads at once;
 * libgit2 is initialised once on first use.
 */
#ifndef CAIRN_LIBRARY_GIT_H
#define CAIRN_LIBRARY_GIT_H

#include "common/hostallow.h"

#include <stdbool.h>
#include <stddef.h>

#define LGIT_MAX_FILE (1u << 20)
#define LGIT_MAX_FILES 64
#define LGIT_MAX_URL 1024
#define LGIT_MAX_REF 200
#define LGIT_MAX_PATH 400

/* What to fetch. Strings are borrowed for the call. */
typedef struct {
    const char *url;
    const char *ref;          /* branch, tag or commit id; "" = the remote's HEAD */
    const char *path;         /* file (script, playbook) or directory (role); "" = the root (roles only) */
    bool directory;           /* true for a role */
    const char *username;     /* credential, all NULL when none */
    const char *password;     /* https basic auth */
    const char *private_key;  /* ssh, PEM or OpenSSH text */
    const char *passphrase;
    const char *host_key;     /* ssh: the server key's "SHA256:…" fingerprint to insist on; NULL or "" = any */
    const char *tmp_parent;   /* existing directory for the private temporary repository */
    int timeout_s;            /* whole operation */
    size_t max_transfer;      /* bytes received */
    bool allow_local;         /* accept file:// and plain paths */
    const hostallow_list *hosts; /* hosts that may be connected to; NULL = the default (hostallow.h) */
    int max_parallel;         /* fetches at once in this process (others: LGIT_BUSY) */
} lgit_source;

typedef enum {
    LGIT_OK = 0,
    LGIT_BAD_URL,     /* 400: scheme or host not allowed, malformed */
    LGIT_BAD_REF,     /* 400: no such branch, tag or commit */
    LGIT_BAD_PATH,    /* 400: missing, unsafe, wrong type */
    LGIT_BAD_CONTENT, /* 400: binary, too big, too many files, link outside */
    LGIT_AUTH,        /* 502: the remote refused the credential (or wanted one) */
    LGIT_HOST_KEY,    /* 502: the ssh server's key is not host_key */
    LGIT_TIMEOUT,     /* 502: the deadline passed */
    LGIT_TOO_BIG,     /* 502: the transfer passed max_transfer */
    LGIT_REMOTE,      /* 502: unreachable, not a repository, protocol error */
    LGIT_BUSY,        /* 503: max_parallel fetches are running */
    LGIT_INTERNAL,    /* 500: memory, temporary directory, threads */
} lgit_status;

typedef struct {
    char commit[41];     /* the commit read, hex */
    char ref[LGIT_MAX_REF + 1]; /* the ref read: the one asked for, or the remote HEAD's branch name */
    char host_key[64];   /* ssh: the fingerprint the server showed ("SHA256:…"), else "" */
    char *content;       /* malloc'd: the file's text, or a role's JSON {"rel/path": "text"} */
    const char *field;   /* request field an error is about ("url", "ref", "path"), or NULL */
    char error[640];     /* what went wrong, for the API client (a guard's why fits) */
} lgit_result;

/* Check url's form and scheme without touching the network. Returns true,
 * or false with the reason in why (capacity cap). */
bool lgit_url_ok(const char *url, bool allow_local, char *why, size_t cap);

/* Check a ref name (branch, tag, refs/…, or a hex commit id) and a path
 * inside the repository (relative, no "." or ".." segments, no empty
 * segments). "" is valid for both. Same contract as lgit_url_ok(). */
bool lgit_ref_ok(const char *ref, char *why, size_t cap);
bool lgit_path_ok(const char *path, char *why, size_t cap);

/* Fetch s->ref of s->url and read s->path. On LGIT_OK, out->content,
 * out->commit and out->ref are set and the caller frees out with
 * lgit_result_free(); on any other status out->error says why (and
 * out->content is NULL). Nothing is left on disk either way. */
lgit_status lgit_fetch(const lgit_source *s, lgit_result *out);

/* Free what out holds (out itself is the caller's). */
void lgit_result_free(lgit_result *out);

#endif
