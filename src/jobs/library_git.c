/* library_git.c -- fetch a script, playbook or role out of a git repository
 * (see library_git.h for the contract).
 *
 * How a fetch goes:
 *   1. the URL, ref and path are checked as text (no network yet);
 *   2. a bare repository is made in a fresh mkdtemp() directory (mode 0700)
 *      under the caller's temporary directory;
 *   3. an anonymous remote connects and lists the remote's refs: only to
 *      addresses the git-hosts setting allows (library_gitnet.c checks
 *      every connection), and following no off-site redirect; the ref
 *      asked for is looked up as refs/heads/<ref>, then refs/tags/<ref> (or
 *      the remote's HEAD when none was given); a hex ref that names neither
 *      is taken as a commit id, and then every branch and tag is fetched;
 *   4. only those refs are downloaded (no tags followed), with the deadline
 *      and the transfer limit checked in every progress callback: a callback
 *      returning non-zero makes libgit2 abort the transfer;
 *   5. the path is read from the commit's tree (library_gitread.c);
 *   6. the temporary directory is removed, whatever happened.
 *
 * This runs on a thread of its own (library_gitrun.c), which is interrupted
 * by a signal when the deadline passes so that blocking reads give up too.
 *
 * The server's own git configuration (~/.gitconfig, /etc/gitconfig) is not
 * read: url.insteadOf rules or credential helpers there must not change what
 * a user's URL reaches.
 */
#include "jobs/library_git.h"
#include "jobs/library_git_int.h"

#include "common/util.h"

#include <ftw.h>
#include <git2.h>
#include <sodium.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Replace bytes that do not belong in an API message (controls, non-ASCII
 * from a remote's error text) with '?'. */
void lgit_clean(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

lgit_status lgit_fail(lgit_result *out, lgit_status st, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->error, sizeof out->error, fmt, ap);
    va_end(ap);
    lgit_clean(out->error);
    out->field = field;
    return st;
}

/* --- checks on text ----------------------------------------------------- */

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool say(char *why, size_t cap, const char *msg)
{
    snprintf(why, cap, "%s", msg);
    return false;
}

/* "host" or "user@host" up to the next '/' or ':' is not empty and holds no
 * password; `rest` points after the scheme's "://". */
static bool authority_ok(const char *rest, char *why, size_t cap)
{
    size_t n = strcspn(rest, "/");
    const char *at = memchr(rest, '@', n);
    if (at && memchr(rest, ':', (size_t)(at - rest)))
        return say(why, cap, "put the password in a credential, not in the URL");
    const char *host = at ? at + 1 : rest;
    if (host >= rest + n || *host == ':' || rest[n] != '/' || !rest[n + 1])
        return say(why, cap, "the URL needs a host and a repository path");
    return true;
}

bool lgit_url_ok(const char *url, bool allow_local, char *why, size_t cap)
{
    if (!url || !*url)
        return say(why, cap, "url is required");
    if (strlen(url) > LGIT_MAX_URL)
        return say(why, cap, "url is longer than 1024 characters");
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
            return say(why, cap, "url holds spaces or control characters");
    if (url[0] == '-')
        return say(why, cap, "url cannot start with '-'");
    if (starts(url, "https://"))
        return authority_ok(url + 8, why, cap);
    if (starts(url, "ssh://"))
        return authority_ok(url + 6, why, cap);
    if (starts(url, "git://"))
        return authority_ok(url + 6, why, cap);
    if (starts(url, "file://") || url[0] == '/') {
        if (!allow_local)
            return say(why, cap, "file:// URLs and local paths are turned off on this server "
                                 "(the git-allow-local setting)");
        return (url[0] == '/' || url[7] == '/') ||
               say(why, cap, "a file:// URL needs an absolute path (file:///srv/repo.git)");
    }
    if (starts(url, "http://"))
        return say(why, cap, "plain http is not allowed; use https://");
    /* scp-like ssh: [user@]host:path, with no "://" and no '/' before ':' */
    size_t colon = strcspn(url, ":/");
    if (colon > 0 && url[colon] == ':' && url[colon + 1] && !strstr(url, "://")) {
        const char *at = memchr(url, '@', colon);
        if (!at || at + 1 < url + colon)
            return true;
    }
    return say(why, cap, "url must start with https://, ssh://, git:// or be user@host:path");
}

bool lgit_ref_ok(const char *ref, char *why, size_t cap)
{
    size_t n = ref ? strlen(ref) : 0;
    if (n == 0)
        return true;
    if (n > LGIT_MAX_REF)
        return say(why, cap, "ref is longer than 200 characters");
    if (strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+") != n || ref[0] == '-' ||
        ref[0] == '/' || ref[n - 1] == '/' || ref[n - 1] == '.' || strstr(ref, "..") || strstr(ref, "//") ||
        strstr(ref, "/."))
        return say(why, cap, "ref must be a branch, tag or commit id (letters, digits, _ . / - +)");
    return true;
}

bool lgit_path_ok(const char *path, char *why, size_t cap)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0)
        return true;
    if (n > LGIT_MAX_PATH)
        return say(why, cap, "path is longer than 400 characters");
    if (path[0] == '/')
        return say(why, cap, "path is relative to the repository's top directory (no leading /)");
    if (strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+@") != n)
        return say(why, cap, "path may hold letters, digits and _ . / - + @ only");
    for (const char *seg = path; seg; ) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return say(why, cap, "path cannot hold empty, \".\" or \"..\" parts");
        seg = end ? end + 1 : NULL;
    }
    return true;
}

/* --- the transfer -------------------------------------------------------- */

typedef struct {
    const lgit_source *s;
    lgit_result *out;
    lgit_guard guard;
    double deadline;
    bool timed_out, too_big, auth_failed, host_key_changed;
    bool tried_key, tried_pass, tried_user;
} fetch_ctx;

static int past_deadline(fetch_ctx *x)
{
    if (util_mono_ms() <= x->deadline)
        return 0;
    x->timed_out = true;
    return -1;
}

static int on_transfer(const git_indexer_progress *st, void *p)
{
    fetch_ctx *x = p;
    if (st->received_bytes > x->s->max_transfer) {
        x->too_big = true;
        return -1;
    }
    return past_deadline(x);
}

static int on_sideband(const char *str, int len, void *p)
{
    (void)str;
    (void)len;
    return past_deadline(p);
}

/* TLS: libgit2's own verdict (the system's CAs). ssh: the key's SHA-256
 * fingerprint, written as ssh-keygen does, must be s->host_key when set. */
static int on_certificate(git_cert *cert, int valid, const char *host, void *p)
{
    fetch_ctx *x = p;
    (void)valid;
    (void)host;
    if (past_deadline(x))
        return -1;
    if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
        return GIT_PASSTHROUGH;
    const git_cert_hostkey *hk = (const git_cert_hostkey *)cert;
    if (!(hk->type & GIT_CERT_SSH_SHA256))
        return -1;
    char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, hk->hash_sha256, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    snprintf(x->out->host_key, sizeof x->out->host_key, "SHA256:%s", b64);
    if (x->s->host_key && *x->s->host_key && strcmp(x->s->host_key, x->out->host_key) != 0) {
        x->host_key_changed = true;
        return -1;
    }
    return 0;
}

/* Offer each kind of secret once; a second request means it was refused. */
static int on_credentials(git_credential **out, const char *url, const char *user_from_url, unsigned int allowed,
                          void *p)
{
    fetch_ctx *x = p;
    const lgit_source *s = x->s;
    (void)url;
    if (past_deadline(x))
        return -1;
    const char *user = user_from_url && *user_from_url ? user_from_url : s->username;
    if ((allowed & GIT_CREDENTIAL_SSH_KEY) && s->private_key && *s->private_key && !x->tried_key) {
        x->tried_key = true;
        return git_credential_ssh_key_memory_new(out, user ? user : "", NULL, s->private_key, s->passphrase);
    }
    if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && s->password && *s->password && !x->tried_pass) {
        x->tried_pass = true;
        return git_credential_userpass_plaintext_new(out, s->username ? s->username : "", s->password);
    }
    if ((allowed & GIT_CREDENTIAL_USERNAME) && user && *user && !x->tried_user) {
        x->tried_user = true;
        return git_credential_username_new(out, user);
    }
    x->auth_failed = true;
    return GIT_EAUTH;
}

static void set_callbacks(git_remote_callbacks *cb, fetch_ctx *x)
{
    git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
    cb->transfer_progress = on_transfer;
    cb->sideband_progress = on_sideband;
    cb->certificate_check = on_certificate;
    cb->credentials = on_credentials;
    cb->payload = x;
}

/* Turn a libgit2 failure into a status and message. */
static lgit_status git_failed(const fetch_ctx *x, int rc, lgit_result *out, const char *doing)
{
    const git_error *e = git_error_last();
    const char *msg = e && e->message ? e->message : "unknown error";
    if (x->guard.refused)
        return lgit_fail(out, LGIT_BAD_URL, "url", "%s", x->guard.why);
    if (x->host_key_changed)
        return lgit_fail(out, LGIT_HOST_KEY, "host_key", "the server's ssh host key is %s, not the %s recorded for "
                         "this source; if the change is expected, send {\"host_key\": \"%s\"}",
                         out->host_key, x->s->host_key, out->host_key);
    if (x->timed_out || util_mono_ms() > x->deadline) /* a callback's abort, or a read woken by the signal */
        return lgit_fail(out, LGIT_TIMEOUT, NULL, "the repository did not answer within %d s", x->s->timeout_s);
    if (x->too_big)
        return lgit_fail(out, LGIT_TOO_BIG, NULL, "the repository sent more than %zu bytes; fetch a smaller repository",
                         x->s->max_transfer);
    if (x->auth_failed || rc == GIT_EAUTH || strstr(msg, "authentication") || strstr(msg, "401") ||
        strstr(msg, "Permission denied"))
        return lgit_fail(out, LGIT_AUTH, "credential_id", "the repository refused the credentials (or needs some): %s",
                         msg);
    return lgit_fail(out, LGIT_REMOTE, "url", "%s: %s", doing, msg);
}

/* Find what to fetch for s->ref among the advertised refs: one refspec and
 * the oid (a ref), or two refspecs and a hex prefix (a commit id). */
static lgit_status resolve_ref(git_remote *remote, const lgit_source *s, lgit_result *out, char specs[2][512],
                               int *nspecs, git_oid *oid, size_t *hexlen)
{
    const git_remote_head **heads;
    size_t n;
    char want[2][LGIT_MAX_REF + 16] = {"", ""};
    if (git_remote_ls(&heads, &n, remote) < 0)
        return lgit_fail(out, LGIT_REMOTE, "url", "cannot list the repository's refs");
    if (!*s->ref) {
        git_buf b = {0};
        if (git_remote_default_branch(&b, remote) < 0)
            return lgit_fail(out, LGIT_BAD_REF, "ref", "the repository has no default branch; give a ref");
        snprintf(want[0], sizeof want[0], "%s", b.ptr);
        git_buf_dispose(&b);
    } else if (starts(s->ref, "refs/")) {
        snprintf(want[0], sizeof want[0], "%s", s->ref);
    } else {
        snprintf(want[0], sizeof want[0], "refs/heads/%s", s->ref);
        snprintf(want[1], sizeof want[1], "refs/tags/%s", s->ref);
    }
    snprintf(out->ref, sizeof out->ref, "%.200s", *s->ref ? s->ref : starts(want[0], "refs/heads/") ? want[0] + 11 : want[0]);
    for (int w = 0; w < 2; w++)
        for (size_t i = 0; want[w][0] && i < n; i++)
            if (strcmp(heads[i]->name, want[w]) == 0) {
                git_oid_cpy(oid, &heads[i]->oid);
                *hexlen = GIT_OID_HEXSZ;
                snprintf(specs[0], sizeof specs[0], "+%s:refs/cairn/fetched", want[w]);
                *nspecs = 1;
                return LGIT_OK;
            }
    size_t len = strlen(s->ref);
    if (len >= 7 && len <= GIT_OID_HEXSZ && strspn(s->ref, "0123456789abcdefABCDEF") == len &&
        git_oid_fromstrn(oid, s->ref, len) == 0) {
        snprintf(specs[0], sizeof specs[0], "+refs/heads/*:refs/cairn/heads/*");
        snprintf(specs[1], sizeof specs[1], "+refs/tags/*:refs/cairn/tags/*");
        *nspecs = 2;
        *hexlen = len;
        return LGIT_OK;
    }
    return lgit_fail(out, LGIT_BAD_REF, "ref", "the repository has no branch or tag named \"%s\"", s->ref);
}

/* Download what resolve_ref() chose and find the commit. */
static lgit_status download(git_repository *repo, git_remote *remote, fetch_ctx *x, lgit_result *out,
                            git_commit **commit)
{
    char specs[2][512];
    char *spec_ptrs[2] = {specs[0], specs[1]};
    int nspecs = 0;
    size_t hexlen = 0;
    git_oid oid;
    git_object *obj = NULL, *peeled = NULL;
    lgit_status st = resolve_ref(remote, x->s, out, specs, &nspecs, &oid, &hexlen);
    if (st != LGIT_OK)
        return st;
    git_strarray refspecs = {spec_ptrs, (size_t)nspecs};
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    set_callbacks(&fo.callbacks, x);
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
    fo.update_fetchhead = 0;
    int rc = git_remote_download(remote, &refspecs, &fo);
    if (rc < 0 || past_deadline(x))
        return git_failed(x, rc, out, "cannot fetch from the repository");
    rc = hexlen == GIT_OID_HEXSZ ? git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY)
                                 : git_object_lookup_prefix(&obj, repo, &oid, hexlen, GIT_OBJECT_COMMIT);
    if (rc < 0) {
        st = lgit_fail(out, LGIT_BAD_REF, "ref", "no commit \"%s\" on any branch or tag of the repository", x->s->ref);
        goto done;
    }
    if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
        st = lgit_fail(out, LGIT_BAD_REF, "ref", "\"%s\" does not name a commit", out->ref);
        goto done;
    }
    *commit = (git_commit *)peeled;
    peeled = NULL;
    git_oid_tostr(out->commit, sizeof out->commit, git_commit_id(*commit));
done:
    git_object_free(obj);
    git_object_free(peeled);
    return st;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

lgit_status lgit_fetch_now(const lgit_source *s, double deadline, lgit_result *out)
{
    char dir[PATH_MAX] = "";
    git_repository *repo = NULL;
    git_remote *remote = NULL;
    git_commit *commit = NULL;
    git_tree *tree = NULL;
    fetch_ctx x = {.s = s, .out = out, .guard = {.hosts = s->hosts}, .deadline = deadline};
    lgit_status st;
    if (snprintf(dir, sizeof dir, "%s/git-XXXXXX", s->tmp_parent) >= (int)sizeof dir || !mkdtemp(dir)) {
        dir[0] = '\0';
        return lgit_fail(out, LGIT_INTERNAL, NULL, "cannot make a temporary directory");
    }
    lgit_net_guard(&x.guard);
    if (git_repository_init(&repo, dir, 1) < 0) {
        st = lgit_fail(out, LGIT_INTERNAL, NULL, "cannot make a temporary repository");
        goto done;
    }
    /* No url.insteadOf: the URL checked is the URL used (this also keeps
     * libgit2 1.5 from matching config entries with a regex, which leaks a
     * pcre2 match block per entry that does not match). */
    git_remote_create_options ro;
    git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
    ro.repository = repo;
    ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
    if (git_remote_create_with_opts(&remote, s->url, &ro) < 0) {
        st = lgit_fail(out, LGIT_BAD_URL, "url", "not a git URL: %s", s->url);
        goto done;
    }
    /* Redirects: GIT_REMOTE_REDIRECT_NONE, not libgit2's default INITIAL.
     * Every connection is checked anyway (library_gitnet.c), but a server
     * elsewhere would get the credential meant for this URL's server, and
     * the item would record a URL it was not read from. */
    git_remote_connect_options co;
    git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
    set_callbacks(&co.callbacks, &x);
    co.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
    int rc = git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co);
    if (rc < 0) {
        st = git_failed(&x, rc, out, "cannot reach the repository");
        goto done;
    }
    if ((st = download(repo, remote, &x, out, &commit)) != LGIT_OK)
        goto done;
    if (git_commit_tree(&tree, commit) < 0) {
        st = lgit_fail(out, LGIT_REMOTE, NULL, "the commit's tree is missing");
        goto done;
    }
    st = lgit_read(repo, tree, s->path, s->directory, out);
done:
    if (st != LGIT_OK) {
        free(out->content);
        out->content = NULL;
    }
    git_tree_free(tree);
    git_commit_free(commit);
    git_remote_free(remote);
    git_repository_free(repo);
    lgit_net_guard(NULL);
    if (dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return st;
}

