/* library_gitread.c -- read a file or a directory out of a fetched commit.
 *
 * A file (a script, a playbook) is one blob; a directory (a role) is every
 * blob under it, walked in pre-order, as a JSON object keyed by the path
 * relative to the directory. Entries whose name starts with '.' (.git*,
 * .github/, editor files) are left out of a role.
 *
 * Symbolic links are resolved by hand, never through the file system: the
 * link's text is joined to the link's directory and normalised, and it must
 * stay inside the tree being read (the role's directory, or the repository
 * for a single file); at most LINK_HOPS links in a row. Submodules are
 * refused. Every file must be at most LGIT_MAX_FILE bytes of UTF-8 text, and
 * a role at most LGIT_MAX_FILES files whose paths the library accepts
 * (letters, digits, _ . / -).
 */
#include "jobs/library_git_int.h"

#include "common/util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_HOPS 8
#define ROLE_PATH_MAX 200

/* dir (may be "") joined with a relative target, "." and ".." resolved.
 * False when the target is absolute, climbs above the top, or is too long. */
static bool join_norm(const char *dir, const char *target, char *out, size_t cap)
{
    char tmp[2 * LGIT_MAX_PATH + 2];
    size_t o = 0;
    if (target[0] == '/' ||
        snprintf(tmp, sizeof tmp, "%s%s%s", dir, *dir ? "/" : "", target) >= (int)sizeof tmp)
        return false;
    out[0] = '\0';
    for (char *save = NULL, *seg = strtok_r(tmp, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0) {
            if (o == 0)
                return false;
            char *slash = strrchr(out, '/');
            o = slash ? (size_t)(slash - out) : 0;
            out[o] = '\0';
            continue;
        }
        int n = snprintf(out + o, cap - o, "%s%s", o ? "/" : "", seg);
        if (n < 0 || (size_t)n >= cap - o)
            return false;
        o += (size_t)n;
    }
    return o > 0;
}

/* The blob's text as a new string; refused when too large or not text. */
static lgit_status blob_text(const git_blob *b, const char *name, char **text, lgit_result *out)
{
    git_object_size_t n = git_blob_rawsize(b);
    const char *raw = n ? git_blob_rawcontent(b) : "";
    if (n > LGIT_MAX_FILE)
        return lgit_fail(out, LGIT_BAD_CONTENT, "path", "%s is larger than 1 MiB", name);
    if (!util_utf8_valid(raw, (size_t)n))
        return lgit_fail(out, LGIT_BAD_CONTENT, "path", "%s is not UTF-8 text; binary files cannot be stored", name);
    if (!(*text = malloc((size_t)n + 1)))
        return lgit_fail(out, LGIT_INTERNAL, NULL, "out of memory");
    memcpy(*text, raw, (size_t)n);
    (*text)[n] = '\0';
    return LGIT_OK;
}

/* Refuse a blob larger than max from its header alone: a few MiB of
 * compressed pack can hold a blob of gigabytes, which git_blob_lookup()
 * would inflate into memory whole. */
static lgit_status blob_size_ok(git_repository *repo, const git_oid *id, size_t max, const char *shown,
                                lgit_result *out)
{
    git_odb *odb = NULL;
    size_t len = 0;
    git_object_t type;
    int rc = git_repository_odb(&odb, repo);
    if (rc == 0)
        rc = git_odb_read_header(&len, &type, odb, id);
    git_odb_free(odb);
    if (rc < 0)
        return lgit_fail(out, LGIT_REMOTE, NULL, "%s is missing from the fetched objects", shown);
    if (len > max)
        return lgit_fail(out, LGIT_BAD_CONTENT, "path", "%s is larger than %s", shown,
                         max == LGIT_MAX_FILE ? "1 MiB" : "a link may be");
    return LGIT_OK;
}

/* The text of the file at `path` of `tree`, following links that stay in
 * the tree. `shown` names the file in messages. */
static lgit_status file_text(git_repository *repo, git_tree *tree, const char *path, const char *shown, char **text,
                             lgit_result *out)
{
    char cur[LGIT_MAX_PATH + 1], next[LGIT_MAX_PATH + 1];
    git_tree_entry *e = NULL;
    git_blob *b = NULL;
    lgit_status st = LGIT_OK;
    snprintf(cur, sizeof cur, "%s", path);
    for (int hop = 0;; hop++) {
        if (hop > LINK_HOPS) {
            st = lgit_fail(out, LGIT_BAD_CONTENT, "path", "%s: too many symbolic links in a row", shown);
            goto done;
        }
        if (git_tree_entry_bypath(&e, tree, cur) < 0) {
            st = hop ? lgit_fail(out, LGIT_BAD_CONTENT, "path", "%s is a link to %s, which is missing", shown, cur)
                     : lgit_fail(out, LGIT_BAD_PATH, "path", "no file %s in commit %.7s", shown, out->commit);
            goto done;
        }
        git_filemode_t mode = git_tree_entry_filemode(e);
        if (mode == GIT_FILEMODE_TREE || mode == GIT_FILEMODE_COMMIT) {
            st = lgit_fail(out, hop ? LGIT_BAD_CONTENT : LGIT_BAD_PATH, "path",
                           mode == GIT_FILEMODE_COMMIT ? "%s is a submodule, which cannot be read"
                                                       : "%s is a directory, not a file (a role is read from a directory)",
                           hop ? cur : shown);
            goto done;
        }
        if ((st = blob_size_ok(repo, git_tree_entry_id(e), mode == GIT_FILEMODE_LINK ? LGIT_MAX_PATH : LGIT_MAX_FILE,
                               shown, out)) != LGIT_OK)
            goto done;
        if (git_blob_lookup(&b, repo, git_tree_entry_id(e)) < 0) {
            st = lgit_fail(out, LGIT_REMOTE, NULL, "%s is missing from the fetched objects", shown);
            goto done;
        }
        if (mode != GIT_FILEMODE_LINK) {
            st = blob_text(b, shown, text, out);
            goto done;
        }
        /* A link: its blob is the target path. */
        size_t tn = (size_t)git_blob_rawsize(b);
        const char *raw = git_blob_rawcontent(b);
        char target[LGIT_MAX_PATH + 1], *slash = strrchr(cur, '/');
        bool inside = tn > 0 && tn <= LGIT_MAX_PATH && !memchr(raw, '\0', tn);
        if (inside) {
            memcpy(target, raw, tn);
            target[tn] = '\0';
            if (slash)
                *slash = '\0';
            inside = join_norm(slash ? cur : "", target, next, sizeof next);
        }
        if (!inside) {
            st = lgit_fail(out, LGIT_BAD_CONTENT, "path",
                           "%s is a symbolic link that leaves the tree read; links are followed only inside it", shown);
            goto done;
        }
        memcpy(cur, next, sizeof cur);
        git_tree_entry_free(e);
        git_blob_free(b);
        e = NULL;
        b = NULL;
    }
done:
    git_tree_entry_free(e);
    git_blob_free(b);
    return st;
}

typedef struct {
    git_repository *repo;
    git_tree *dir;
    const char *top;      /* the directory's path in the repository, for messages */
    json_t *files;
    size_t count, bytes;
    lgit_status st;
    lgit_result *out;
} walk_ctx;

static bool role_path_ok(const char *p)
{
    size_t n = strlen(p);
    return n > 0 && n <= ROLE_PATH_MAX && !strstr(p, "..") &&
           strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-") == n;
}

static int walk_entry(const char *root, const git_tree_entry *e, void *p)
{
    walk_ctx *w = p;
    const char *name = git_tree_entry_name(e);
    char rel[LGIT_MAX_PATH + 1];
    char *text = NULL;
    if (name[0] == '.')
        return 1; /* hidden: skipped (a directory with everything under it) */
    if (snprintf(rel, sizeof rel, "%s%s", root, name) >= (int)sizeof rel || !role_path_ok(rel)) {
        w->st = lgit_fail(w->out, LGIT_BAD_CONTENT, "path",
                          "%s/%.200s: a role's file names may hold letters, digits and _ . - only", w->top, rel);
        return -1;
    }
    git_filemode_t mode = git_tree_entry_filemode(e);
    if (mode == GIT_FILEMODE_TREE)
        return 0;
    if (mode == GIT_FILEMODE_COMMIT) {
        w->st = lgit_fail(w->out, LGIT_BAD_CONTENT, "path", "%s/%s is a submodule, which cannot be read", w->top, rel);
        return -1;
    }
    if (++w->count > LGIT_MAX_FILES) {
        w->st = lgit_fail(w->out, LGIT_BAD_CONTENT, "path", "%s holds more than %d files; a role may have at most %d",
                          *w->top ? w->top : "the repository", LGIT_MAX_FILES, LGIT_MAX_FILES);
        return -1;
    }
    if ((w->st = file_text(w->repo, w->dir, rel, rel, &text, w->out)) != LGIT_OK)
        return -1;
    w->bytes += strlen(text) + strlen(rel);
    int rc = json_object_set_new(w->files, rel, json_string(text));
    free(text);
    if (rc != 0 || w->bytes > LGIT_MAX_FILE) {
        w->st = rc ? lgit_fail(w->out, LGIT_INTERNAL, NULL, "out of memory")
                   : lgit_fail(w->out, LGIT_BAD_CONTENT, "path", "the role's files add up to more than 1 MiB");
        return -1;
    }
    return 0;
}

/* Every file under `path` (the whole tree when "") as JSON text. */
static lgit_status dir_json(git_repository *repo, git_tree *tree, const char *path, lgit_result *out)
{
    git_tree_entry *e = NULL;
    git_tree *sub = NULL;
    walk_ctx w = {.repo = repo, .top = path, .files = json_object(), .out = out};
    lgit_status st = LGIT_OK;
    if (!w.files)
        return lgit_fail(out, LGIT_INTERNAL, NULL, "out of memory");
    if (*path) {
        if (git_tree_entry_bypath(&e, tree, path) < 0) {
            st = lgit_fail(out, LGIT_BAD_PATH, "path", "no directory %s in commit %.7s", path, out->commit);
            goto done;
        }
        if (git_tree_entry_filemode(e) != GIT_FILEMODE_TREE || git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0) {
            st = lgit_fail(out, LGIT_BAD_PATH, "path", "%s is not a directory (a role is read from a directory)", path);
            goto done;
        }
    }
    w.dir = sub ? sub : tree;
    if (git_tree_walk(w.dir, GIT_TREEWALK_PRE, walk_entry, &w) < 0) {
        st = w.st != LGIT_OK ? w.st : lgit_fail(out, LGIT_REMOTE, NULL, "cannot read %s", path);
        goto done;
    }
    if (json_object_size(w.files) == 0) {
        st = lgit_fail(out, LGIT_BAD_PATH, "path", "%s holds no files", *path ? path : "the repository");
        goto done;
    }
    if (!(out->content = json_dumps(w.files, JSON_COMPACT | JSON_SORT_KEYS)))
        st = lgit_fail(out, LGIT_INTERNAL, NULL, "out of memory");
done:
    json_decref(w.files);
    git_tree_free(sub);
    git_tree_entry_free(e);
    return st;
}

lgit_status lgit_read(git_repository *repo, git_tree *tree, const char *path, bool directory, lgit_result *out)
{
    if (directory)
        return dir_json(repo, tree, path, out);
    return file_text(repo, tree, path, path, &out->content, out);
}
