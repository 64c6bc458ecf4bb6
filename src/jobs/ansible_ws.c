/* ansible_ws.c -- the private run directory of one Ansible job, and where
 * Cairn's Ansible files and programs are.
 *
 * How: mkdtemp() makes a directory of mode 0700 that only this job uses;
 * every file in it is created with O_EXCL | O_NOFOLLOW and mode 0600, so a
 * file is never shared with another run and never written through a link.
 * Role files come from the library; their names and paths are checked again
 * here (the library checks them when they are saved) so nothing is written
 * outside roles/<name>/. Removal walks the tree depth-first without
 * following links (nftw FTW_PHYS).
 */
#include "jobs/ansible_int.h"

#include "store/db.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-"

/* True when s (an environment path) is absolute, short and made of
 * characters that need no quoting inside ssh options. */
static bool plain_path(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n > 1 && n < 200 && s[0] == '/' && strspn(s, NAME_CHARS "/") == n && !strstr(s, "..");
}

/* The directory run directories are made in: $TMPDIR when plain, else /tmp. */
static const char *tmp_base(void)
{
    const char *base = getenv("TMPDIR");
    return plain_path(base) ? base : "/tmp";
}

int ans_ws_sweep_stale(void)
{
    const char *base = tmp_base();
    static const char prefix[] = "cairn-ansible-";
    int removed = 0;
    DIR *d = opendir(base);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end = NULL, path[PATH_MAX];
        struct stat st;
        if (strncmp(e->d_name, prefix, sizeof prefix - 1) != 0)
            continue;
        long pid = strtol(e->d_name + sizeof prefix - 1, &end, 10);
        if (pid <= 0 || !end || *end != '-' || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* its cairnd still runs (or the pid is someone else's now) */
        if (snprintf(path, sizeof path, "%s/%s", base, e->d_name) >= (int)sizeof path || lstat(path, &st) != 0 ||
            !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
            continue;
        if (ans_ws_remove(path) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int ans_ws_create(ans_run *run, char *err, size_t cap)
{
    const char *base = tmp_base();
    int n = snprintf(run->dir, sizeof run->dir, "%s/cairn-ansible-%d-%lld-XXXXXX", base, (int)getpid(),
                     (long long)run->job->id);
    if (n < 0 || (size_t)n >= sizeof run->dir || !mkdtemp(run->dir)) {
        snprintf(err, cap, "cannot create a private directory under %s: %s", base, strerror(errno));
        run->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* True when every '/'-separated segment of rel is a plain name (not empty,
 * not "." or "..", characters of NAME_CHARS). */
static bool safe_rel(const char *rel)
{
    size_t n = strlen(rel);
    if (n == 0 || n > 200 || strspn(rel, NAME_CHARS "/") != n)
        return false;
    for (const char *seg = rel; *seg;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return false;
        seg += len + (end ? 1 : 0);
        if (end && !*seg)
            return false; /* trailing '/' */
    }
    return true;
}

int ans_ws_write(const char *dir, const char *rel, const char *data, size_t len)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Parents, made one by one below dir. */
    for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        int rc = mkdir(path, 0700);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

/* The roles a playbook job runs with, as rows {name, content}: the versions
 * pinned in its spec ("roles", see jobs_api.c pin_roles), or, for a job
 * queued before roles were pinned, the current ones. 0, or -1 with err. */
static int load_roles(job_run *j, json_t **rows, char *err, size_t cap)
{
    json_t *pinned = json_object_get(j->spec, "roles");
    db_conn *c = db_acquire(j->app->db);
    int rc = 0;
    if (!json_is_array(pinned)) {
        if (db_query(c, "SELECT i.name, v.content FROM library_items i JOIN library_versions v "
                        "ON v.item_id = i.id AND v.version = i.version WHERE i.kind = 'role' ORDER BY i.name",
                     DB_NOARGS, rows) != DB_OK) {
            snprintf(err, cap, "cannot read the roles of the library");
            rc = -1;
        }
        goto done;
    }
    *rows = json_array();
    size_t i;
    json_t *pin, *row = NULL;
    json_array_foreach(pinned, i, pin) {
        const char *name = json_string_value(json_object_get(pin, "name"));
        json_int_t version = json_integer_value(json_object_get(pin, "version"));
        if (!*rows || db_query_one(c, "SELECT $3 AS name, content FROM library_versions WHERE item_id = $1 AND version = $2",
                                   DB_ARGS(DB_INT(json_integer_value(json_object_get(pin, "id"))), DB_INT(version),
                                           DB_TEXT(name ? name : "")),
                                   &row) != DB_OK) {
            snprintf(err, cap, "the library role \"%.100s\" (version %lld) this job was created with no longer exists",
                     name ? name : "", (long long)version);
            rc = -1;
            goto done;
        }
        json_array_append_new(*rows, row);
    }
done:
    db_release(c);
    return rc;
}

int ans_ws_write_roles(job_run *j, const char *dir, char *err, size_t cap)
{
    json_t *rows = NULL;
    int rc = -1;
    if (load_roles(j, &rows, err, cap) != 0)
        goto done;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        const char *name = json_string_value(json_object_get(row, "name"));
        json_t *files = json_loads(json_string_value(json_object_get(row, "content")), 0, NULL);
        const char *path;
        json_t *text;
        if (!name || !*name || name[0] == '.' || strlen(name) > 100 || strspn(name, NAME_CHARS) != strlen(name) ||
            !json_is_object(files)) {
            snprintf(err, cap, "the library role \"%.100s\" is damaged (its content must be a JSON object of files)",
                     name ? name : "");
            json_decref(files);
            goto done;
        }
        json_object_foreach(files, path, text) {
            char rel[PATH_MAX];
            if (!json_is_string(text) || !safe_rel(path) ||
                snprintf(rel, sizeof rel, "roles/%s/%s", name, path) >= (int)sizeof rel) {
                snprintf(err, cap, "the library role \"%s\" has an unsafe file path \"%.200s\"", name, path);
                json_decref(files);
                goto done;
            }
            if (ans_ws_write(dir, rel, json_string_value(text), json_string_length(text)) != 0) {
                snprintf(err, cap, "cannot write %s of role \"%s\": %s", path, name, strerror(errno));
                json_decref(files);
                goto done;
            }
        }
        json_decref(files);
    }
    rc = 0;
done:
    json_decref(rows);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int ans_ws_remove(const char *dir)
{
    if (!dir || !*dir)
        return 0;
    return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* dir + "/" + sub holds cairn_jsonl.py: copy it to out. */
static bool try_plugin_dir(const char *dir, const char *sub, char *out, size_t cap)
{
    char file[PATH_MAX];
    if (snprintf(out, cap, "%s/%s", dir, sub) >= (int)cap ||
        snprintf(file, sizeof file, "%s/cairn_jsonl.py", out) >= (int)sizeof file)
        return false;
    return access(file, R_OK) == 0;
}

int ans_ws_plugin_dir(char *out, size_t cap)
{
    static const char sub[] = "ansible/callback_plugins";
    const char *env = getenv("CAIRN_SHARE_DIR");
    char exe[PATH_MAX], dir[PATH_MAX];
    if (env && *env)
        return try_plugin_dir(env, sub, out, cap) ? 0 : -1;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {"share", "../share", "../../share", "../share/cairn", NULL};
            for (const char *const *r = rel; *r; r++)
                if (snprintf(dir, sizeof dir, "%s/%s", exe, *r) < (int)sizeof dir &&
                    try_plugin_dir(dir, sub, out, cap))
                    return 0;
        }
    }
    return try_plugin_dir("/usr/share/cairn", sub, out, cap) ? 0 : -1;
}

int ans_ws_copy_plugin(const char *dir, char *out, size_t cap)
{
    enum { PLUGIN_MAX = 1 << 16 };
    char src[PATH_MAX], file[PATH_MAX + 32];
    char *text = NULL;
    int fd = -1, rc = -1;
    ssize_t len = 0;
    if (ans_ws_plugin_dir(src, sizeof src) != 0 ||
        snprintf(file, sizeof file, "%s/cairn_jsonl.py", src) >= (int)sizeof file ||
        snprintf(out, cap, "%s/callback_plugins", dir) >= (int)cap || !(text = malloc(PLUGIN_MAX)))
        goto done;
    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
        goto done;
    for (;;) {
        ssize_t r = read(fd, text + len, (size_t)(PLUGIN_MAX - len));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto done;
        if (r == 0)
            break;
        len += r;
        if (len >= PLUGIN_MAX) /* not the small plugin */
            goto done;
    }
    rc = ans_ws_write(dir, "callback_plugins/cairn_jsonl.py", text, (size_t)len);
done:
    if (fd >= 0)
        close(fd);
    free(text);
    return rc;
}

int ans_ws_find_program(const char *name, char *out, size_t cap)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/bin", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (d[0] != '/')
            continue; /* never a relative PATH entry */
        if (snprintf(out, cap, "%s/%s", d, name) < (int)cap && access(out, X_OK) == 0)
            return 0;
    }
    out[0] = '\0';
    return -1;
}
