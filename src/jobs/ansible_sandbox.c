/* ansible_sandbox.c -- run Ansible where it cannot read cairnd's files.
 *
 * Why: a playbook runs code on the Cairn server too (lookups, local_action,
 * delegate_to: localhost, connection: local, hosts: localhost), as cairnd's
 * user. Without this, whoever may run playbooks could read the database, the
 * vault key that opens every stored credential, the config file and the run
 * directories of other jobs (decrypted keys, inventories with passwords).
 *
 * How: ans_sandbox_prepare() (in the parent, before fork) makes the list of
 * paths to hide, canonical: the data directory, the config file, the
 * database's own files (SQLite file, PostgreSQL socket directory) and the
 * directory that holds every run directory. ans_sandbox_enter() (in the
 * child, between fork and execve: system calls only) then:
 *   1. unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID): a user
 *      namespace that maps only cairnd's own uid and gid (setgroups denied;
 *      the maps are written while the child is briefly dumpable, as the
 *      kernel requires for a non-root owner), a mount namespace and a
 *      process namespace owned by it;
 *   2. mount propagation of / made private, recursively: nothing done below
 *      reaches the host;
 *   3. the run directory opened (a bind source must be in this namespace);
 *   4. each hidden directory covered by an empty tmpfs, each hidden file by
 *      /dev/null; a path already covered by an earlier one (ENOENT) is
 *      skipped; inside a tmpfs over an ancestor of the run directory, that
 *      directory's path is made again; each tmpfs is then made read-only,
 *      except the one over the runs' directory, which stays writable as a
 *      private /tmp for the playbook;
 *   5. the run directory bound back at its own path;
 *   6. a fork: the new process is process 1 of the new process namespace
 *      (it cannot see or signal cairnd or other jobs, and its leftovers die
 *      with it) and mounts that namespace's /proc; the process left
 *      outside closes every descriptor, waits for it and exits as it did;
 *   7. every capability given up for good: securebits NOROOT and
 *      NO_SETUID_FIXUP (locked), the whole bounding set dropped, ambient set
 *      cleared, an empty capset, and no_new_privs.
 * After execve the program holds no capability (uid 0 gains none under
 * NOROOT, setuid binaries gain nothing under no_new_privs and an empty
 * bounding set), so it cannot unmount or remount. A user namespace it makes
 * itself copies these mounts locked: they cannot be unmounted or moved there
 * either. Being in its own user namespace also keeps it out of
 * /proc/<pid>/root and /mem of every process outside (cairnd, other jobs):
 * ptrace access across user namespaces needs CAP_SYS_PTRACE in the
 * target's, and cairnd is not dumpable (cairnd.c).
 *
 * Any step that fails stops the child before execve (fail closed); the step,
 * the path and errno go to the parent through the report pipe, and
 * ans_sandbox_error() makes the message for the job's hosts.
 */
#include "jobs/ansible_int.h"

#include "store/db.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RO_TMPFS "mode=0755,size=1m,nr_inodes=64"
#define RW_TMPFS "mode=1777,size=256m"
#define MS_SAFE (MS_NOSUID | MS_NODEV)

/* ---- in the parent ------------------------------------------------------------------ */

typedef struct {
    ans_sandbox *sb;
    const char *what;
    bool writable, required;
    int failed; /* errno of a required path that could not be resolved */
} add_ctx;

/* Add path (resolved) to the hidden list unless it is there already. A path
 * that does not exist is nothing to hide, unless it is required. */
static void add_path(add_ctx *a, const char *path)
{
    ans_sandbox *sb = a->sb;
    char real[PATH_MAX];
    struct stat st;
    if (!path || !*path)
        return;
    if (!realpath(path, real) || stat(real, &st) != 0) {
        if (a->required || errno != ENOENT)
            a->failed = errno ? errno : EINVAL;
        return;
    }
    for (size_t i = 0; i < sb->nhide; i++)
        if (strcmp(sb->hide[i].path, real) == 0)
            return;
    if (sb->nhide >= ANS_SB_MAX_HIDE || strcmp(real, "/") == 0) {
        a->failed = strcmp(real, "/") == 0 ? EBUSY : ENOSPC;
        return;
    }
    ans_sb_path *h = &sb->hide[sb->nhide++];
    snprintf(h->path, sizeof h->path, "%s", real);
    snprintf(h->what, sizeof h->what, "%s", a->what);
    h->dir = S_ISDIR(st.st_mode);
    h->writable = a->writable && h->dir;
}

static void add_db_path(void *ctx, const char *path)
{
    add_path(ctx, path);
}

int ans_sandbox_prepare(const config *cfg, const char *run_dir, ans_sandbox *sb, char *err, size_t cap)
{
    add_ctx a = {.sb = sb};
    char base[PATH_MAX];
    memset(sb, 0, sizeof *sb);
    if (snprintf(sb->uid_map, sizeof sb->uid_map, "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid()) >=
            (int)sizeof sb->uid_map ||
        snprintf(sb->gid_map, sizeof sb->gid_map, "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid()) >=
            (int)sizeof sb->gid_map) {
        snprintf(err, cap, "user id too long");
        return -1;
    }
    if (!realpath(run_dir, sb->run_dir)) {
        snprintf(err, cap, "%s: %s", run_dir, strerror(errno));
        return -1;
    }
    snprintf(base, sizeof base, "%s", sb->run_dir);
    char *slash = strrchr(base, '/');
    if (!slash || slash == base) {
        snprintf(err, cap, "the run directory %s has no parent to hide", sb->run_dir);
        return -1;
    }
    *slash = '\0';
    struct {
        const char *what, *path;
        bool writable, required;
    } fixed[] = {
        {"the data directory", cfg->data_dir, false, true},
        {"the config file", cfg->config_file, false, false},
        {"the run directories", base, true, true},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && !a.failed; i++) {
        a.what = fixed[i].what;
        a.writable = fixed[i].writable;
        a.required = fixed[i].required;
        add_path(&a, fixed[i].path);
        if (i == 1 && !a.failed) { /* the database, wherever its URL puts it */
            a.what = "the database";
            a.writable = a.required = false;
            if (db_local_paths(cfg->db_url, add_db_path, &a) != 0)
                a.failed = EINVAL;
            a.what = fixed[i].what;
        }
        if (a.failed) {
            snprintf(err, cap, "cannot hide %s: %s", a.what, strerror(a.failed));
            return -1;
        }
    }
    return 0;
}

void ans_sandbox_error(const ans_sandbox *sb, const ans_sb_fail *f, char *out, size_t cap)
{
    static const char *const steps[] = {
        [ANS_SB_UNSHARE] = "unshare",
        [ANS_SB_IDMAP] = "cannot map cairnd's user into the user namespace",
        [ANS_SB_PRIVATE] = "cannot make the mounts private",
        [ANS_SB_OPEN_RUN] = "cannot open the run directory",
        [ANS_SB_HIDE] = "cannot hide",
        [ANS_SB_MKDIR] = "cannot make the run directory's path in",
        [ANS_SB_BIND] = "cannot bind the run directory",
        [ANS_SB_READONLY] = "cannot make read-only",
        [ANS_SB_CAPS] = "cannot drop capabilities",
        [ANS_SB_FORK] = "cannot start the first process of the process namespace",
    };
    const char *step = f->step > ANS_SB_EXEC && f->step <= ANS_SB_FORK ? steps[f->step] : "setup";
    char where[PATH_MAX + 64] = "";
    if ((f->step == ANS_SB_HIDE || f->step == ANS_SB_MKDIR || f->step == ANS_SB_READONLY) && f->index >= 0 &&
        (size_t)f->index < sb->nhide)
        snprintf(where, sizeof where, " %s (%s)", sb->hide[f->index].what, sb->hide[f->index].path);
    if (snprintf(out, cap,
                 "cannot isolate ansible from the Cairn server: %s%s: %s; allow user namespaces, or start "
                 "cairnd with --ansible-sandbox 0 to run playbooks with cairnd's own rights",
                 step, where, strerror(f->err)) >= (int)cap &&
        cap > 4)
        memcpy(out + cap - 4, "...", 4);
}

/* ---- in the child: system calls only ------------------------------------------------ */

/* Write text to an existing file (a /proc/self file). 0 or -1 (errno). */
static int put_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int e = errno;
    close(fd);
    errno = w < 0 ? e : w == (ssize_t)n ? 0 : EIO;
    return w == (ssize_t)n ? 0 : -1;
}

/* True when path lies strictly below dir. */
static bool below(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Make the directories of path below dir (dir itself exists). 0 or -1. */
static int make_path(const char *dir, const char *path)
{
    char p[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(p, path, n + 1);
    for (size_t i = strlen(dir) + 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
        p[i] = c;
    }
    return 0;
}

/* "/proc/self/fd/<fd>" into out (at least 32 bytes). */
static void fd_path(int fd, char *out)
{
    static const char pre[] = "/proc/self/fd/";
    char digits[12];
    int n = 0;
    do
        digits[n++] = (char)('0' + fd % 10);
    while ((fd /= 10) > 0 && n < (int)sizeof digits);
    memcpy(out, pre, sizeof pre - 1);
    for (int i = 0; i < n; i++)
        out[sizeof pre - 1 + (size_t)i] = digits[n - 1 - i];
    out[sizeof pre - 1 + (size_t)n] = '\0';
}

/* Give up every capability, now and across execve, for good. 0 or -1. */
static int drop_caps(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
    memset(data, 0, sizeof data);
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
                                     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
              0, 0, 0) != 0)
        return -1;
    for (unsigned long c = 0; c < 64; c++)
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
            if (errno == EINVAL && c > CAP_SETFCAP) /* past the kernel's last capability */
                break;
            return -1;
        }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 || syscall(SYS_capset, &hdr, data) != 0)
        return -1;
    return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

#define FAIL(s, i)                                                                                                     \
    do {                                                                                                               \
        f->step = (s);                                                                                                 \
        f->index = (i);                                                                                                \
        f->err = errno ? errno : EPERM;                                                                                \
        goto fail;                                                                                                     \
    } while (0)

/* In the process left outside the new process namespace: hold no
 * descriptor (so the pipes end when the program's do), wait for the
 * program, and exit as it did. A signal that kills this process (cancel,
 * time limit) makes the parent kill the whole process group, the program
 * included. */
static void relay_exit(pid_t program) __attribute__((noreturn));
static void relay_exit(pid_t program)
{
    int st = 0;
    if (close_range(0, ~0U, 0) != 0)
        for (int fd = 0; fd < 1024; fd++)
            close(fd);
    while (waitpid(program, &st, 0) < 0 && errno == EINTR)
        ;
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 127);
}

int ans_sandbox_enter(const ans_sandbox *sb, ans_sb_fail *f)
{
    char src[32];
    int run = -1;
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) != 0)
        FAIL(ANS_SB_UNSHARE, -1);
    /* /proc/self/{setgroups,uid_map,gid_map} of a non-dumpable process
     * belong to root: only while dumpable can a non-root owner write them. */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    if (put_file("/proc/self/setgroups", "deny") != 0 || put_file("/proc/self/uid_map", sb->uid_map) != 0 ||
        put_file("/proc/self/gid_map", sb->gid_map) != 0) {
        int e = errno;
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        errno = e;
        FAIL(ANS_SB_IDMAP, -1);
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        FAIL(ANS_SB_PRIVATE, -1);
    if ((run = open(sb->run_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        FAIL(ANS_SB_OPEN_RUN, -1);
    fd_path(run, src);
    for (size_t i = 0; i < sb->nhide; i++) {
        const ans_sb_path *h = &sb->hide[i];
        int rc = h->dir ? mount("tmpfs", h->path, "tmpfs", MS_SAFE | (h->writable ? 0 : MS_NOEXEC),
                                h->writable ? RW_TMPFS : RO_TMPFS)
                        : mount("/dev/null", h->path, NULL, MS_BIND, NULL);
        if (rc != 0 && errno == ENOENT)
            continue; /* below a path hidden already */
        if (rc != 0)
            FAIL(ANS_SB_HIDE, (int)i);
        if (h->dir && below(sb->run_dir, h->path) && make_path(h->path, sb->run_dir) != 0)
            FAIL(ANS_SB_MKDIR, (int)i);
        if (h->dir && !h->writable &&
            mount(NULL, h->path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_SAFE | MS_NOEXEC, NULL) != 0)
            FAIL(ANS_SB_READONLY, (int)i);
    }
    if (mount(src, sb->run_dir, NULL, MS_BIND, NULL) != 0)
        FAIL(ANS_SB_BIND, -1);
    close(run);
    run = -1;
    /* The program becomes process 1 of the new process namespace: it sees
     * and can signal only its own descendants, never cairnd or another job,
     * and when it ends the kernel ends everything it left behind. */
    pid_t program = fork();
    if (program < 0)
        FAIL(ANS_SB_FORK, -1);
    if (program > 0)
        relay_exit(program);
    /* a /proc of this namespace: no other process, nor its command line,
     * shows there (a kernel that refuses it, e.g. under a masked /proc in
     * a container, still keeps the signals apart) */
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    if (drop_caps() != 0)
        FAIL(ANS_SB_CAPS, -1);
    return 0;
fail:
    if (run >= 0)
        close(run);
    return -1;
}
