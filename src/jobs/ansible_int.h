/* ansible_int.h -- what the files of the Ansible runner share.
 *
 *   ansible.c       ansible_run(): targets and secrets, the run directory,
 *                   the command line and environment, results per host
 *   ansible_ws.c    the run directory: mkdtemp, private files, roles, removal;
 *                   finding share/ansible
 *   ansible_keys.c  host keys: a handshake with each host (libssh) checks
 *                   the key Cairn pinned and writes known_hosts for ssh
 *   ansible_proc.c  the child process: fork/execve, live output by lines,
 *                   timeout and cancellation of its process group
 *   ansible_sandbox.c  the child's isolation: a user and mount namespace
 *                   without cairnd's files, no capabilities
 *   ansible_out.c   reading the callback plugin's JSON lines into per-host
 *                   output and results
 *
 * Everything here runs on the job's own thread (the key scan adds a few
 * short-lived threads of its own); nothing is shared with other jobs.
 */
#ifndef CAIRN_ANSIBLE_INT_H
#define CAIRN_ANSIBLE_INT_H

#include "common/config.h"
#include "common/sbuf.h"
#include "exec/sshx.h"
#include "jobs/inventory.h"
#include "jobs/runner.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANS_MAX_OUTPUT (1u << 20) /* bytes per host per stream kept in the result */

/* One target host of the run. */
typedef struct {
    int64_t id;
    char name[INV_NAME_MAX];       /* its name in the inventory */
    char ip[64];
    int port;
    /* host key (ansible_keys.c) */
    char known_fp[SSHX_FP_MAX];    /* pinned fingerprint, "" on first use */
    char fp[SSHX_FP_MAX];          /* fingerprint the host showed */
    char key_type[40];             /* "ssh-ed25519"… */
    char *key_b64;                 /* its public key (malloc'd), NULL until scanned */
    int scan_rc;                   /* SSHX_OK, SSHX_CONNECT, SSHX_HOSTKEY_CHANGED… */
    const json_t *cred;            /* its row of sealed credentials (borrowed from ansible_run) */
    /* results (ansible_out.c) */
    bool excluded;                 /* reported before the run (no credential, key changed…) */
    bool seen_stats;
    int ok, changed, failures, unreachable, skipped;
    int last_rc;                   /* rc of the last module result that had one, else -1 */
    char last_error[512];          /* msg of the last failed/unreachable result */
    sbuf out, err;
    bool truncated;
} ans_host;

/* The whole run. */
typedef struct {
    job_run *job;
    char dir[PATH_MAX];            /* private run directory ("" when not made) */
    ans_host *hosts;
    size_t nhosts;
    json_t *by_name;               /* inventory name → index into hosts */
    char task[256];                /* the task being run */
    sbuf err_tail;                 /* last lines of ansible's own stderr */
} ans_run;

/* ---- ansible_ws.c ---- */

/* Make the private run directory (mode 0700) under $TMPDIR (or /tmp when
 * $TMPDIR is unset or has characters unsafe in ssh options) into run->dir.
 * Returns 0, or -1 with a message in err. */
int ans_ws_create(ans_run *run, char *err, size_t cap);

/* Remove the run directories that a cairnd which no longer runs left
 * behind (it crashed mid-run: its keys would stay on disk otherwise): those
 * named cairn-ansible-<pid>-… in the same base directory, owned by this
 * user, whose pid is gone. Returns how many were removed. */
int ans_ws_sweep_stale(void);

/* Write len bytes to dir/rel (rel may contain '/', parents are made 0700)
 * as a new file of mode 0600; the file must not exist. Returns 0 or -1
 * (errno set). */
int ans_ws_write(const char *dir, const char *rel, const char *data, size_t len);

/* Write every library role (current version) under dir/roles/<name>/.
 * Returns 0, or -1 with a message in err (a damaged or unsafe role). */
int ans_ws_write_roles(job_run *j, const char *dir, char *err, size_t cap);

/* Remove dir and everything in it (keys included), without following
 * symbolic links. Returns 0 or -1. NULL or "" does nothing. */
int ans_ws_remove(const char *dir);

/* Find share/ansible/callback_plugins (the directory holding cairn_jsonl.py):
 * $CAIRN_SHARE_DIR/ansible/…, else beside the cairnd binary (share when
 * installed by scripts/install.sh, ../share for build/, ../../share for
 * build/asan, ../share/cairn), else /usr/share/cairn. Returns 0 with the
 * directory in out, or -1. */
int ans_ws_plugin_dir(char *out, size_t cap);

/* Copy cairn_jsonl.py (found by ans_ws_plugin_dir) into run directory dir
 * as callback_plugins/cairn_jsonl.py and put that directory in out: the
 * program reads its callback from its own run directory, the one place the
 * sandbox leaves (ansible_sandbox.c), wherever Cairn is installed. Returns
 * 0, or -1 (not found, unreadable, or too large to be the plugin). */
int ans_ws_copy_plugin(const char *dir, char *out, size_t cap);

/* Find an executable `name` on the server's PATH (then /usr/bin); 0 with the
 * absolute path in out, or -1. */
int ans_ws_find_program(const char *name, char *out, size_t cap);

/* ---- ansible_keys.c ---- */

/* Handshake with every host not excluded (a few at a time, no credential is
 * sent) and fill fp, key_type, key_b64 and scan_rc: SSHX_OK when the key
 * matches the pinned one or there is none yet, SSHX_HOSTKEY_CHANGED,
 * SSHX_CONNECT (error in last_error) or SSHX_CANCELLED. */
void ans_keys_scan(ans_run *run);

/* The known_hosts text for the hosts whose scan succeeded, each under the
 * alias cairn-host-<id> (malloc'd, caller frees; NULL when out of memory). */
char *ans_keys_known_hosts(const ans_run *run);

/* The ssh options that bind host h to its scanned key
 * ("-o HostKeyAlias=cairn-host-7 -o HostKeyAlgorithms=ssh-ed25519") into out. */
void ans_keys_ssh_args(const ans_host *h, char *out, size_t cap);

/* ---- ansible_sandbox.c ---- */

#define ANS_SB_MAX_HIDE 12

/* One path the program must not see. */
typedef struct {
    char path[PATH_MAX];           /* canonical */
    char what[32];                 /* "the data directory"…, for messages */
    bool dir;                      /* covered by an empty tmpfs; else /dev/null is bound over it */
    bool writable;                 /* the tmpfs stays writable (over the run directories: a private /tmp) */
} ans_sb_path;

/* Everything the child needs to isolate itself, made before fork. */
typedef struct {
    char uid_map[32], gid_map[32]; /* "<euid> <euid> 1\n" */
    char run_dir[PATH_MAX];        /* canonical; bound back at the same path */
    ans_sb_path hide[ANS_SB_MAX_HIDE];
    size_t nhide;
} ans_sandbox;

/* The step at which the child failed, sent to the parent through the report pipe. */
enum { ANS_SB_EXEC, ANS_SB_UNSHARE, ANS_SB_IDMAP, ANS_SB_PRIVATE, ANS_SB_OPEN_RUN, ANS_SB_HIDE, ANS_SB_MKDIR,
       ANS_SB_BIND, ANS_SB_READONLY, ANS_SB_CAPS, ANS_SB_FORK };

typedef struct {
    int step;                      /* ANS_SB_EXEC: setting up descriptors or execve failed */
    int index;                     /* into hide[] for HIDE, MKDIR, READONLY; else -1 */
    int err;                       /* errno */
} ans_sb_fail;

/* Fill sb for a run in run_dir: cfg's data directory, config file and
 * database files, and run_dir's parent (every run directory) are hidden;
 * run_dir stays. Returns 0, or -1 with a message in err (a required path
 * cannot be resolved). Nothing is allocated. */
int ans_sandbox_prepare(const config *cfg, const char *run_dir, ans_sandbox *sb, char *err, size_t cap);

/* In the forked child, before execve: enter a new user and mount namespace
 * in which sb's paths are hidden, and give up every capability (the file
 * comment of ansible_sandbox.c has the steps). Only async-signal-safe
 * calls. Returns 0, or -1 with the failed step in f; the child must then
 * not execve. */
int ans_sandbox_enter(const ans_sandbox *sb, ans_sb_fail *f);

/* The message for the job's hosts when the child reported f. */
void ans_sandbox_error(const ans_sandbox *sb, const ans_sb_fail *f, char *out, size_t cap);

/* ---- ansible_proc.c ---- */

typedef void (*ans_line_fn)(void *ctx, int which, const char *line, size_t len);

typedef struct {
    const char *path;              /* absolute path of the program */
    char *const *argv;             /* NULL-terminated */
    char *const *envp;             /* NULL-terminated, the child's whole environment */
    const char *cwd;
    const ans_sandbox *sandbox;    /* isolation entered before execve; NULL: none */
    int timeout_s;                 /* whole run; <= 0 none */
    job_run *job;                  /* j->cancel is watched, and the database every second */
    ans_line_fn on_line;           /* each line of stdout (1) and stderr (2), without '\n' */
    void *ctx;
} ans_proc;

typedef struct {
    int exit_code;                 /* -1 when it did not exit normally */
    int term_signal;               /* signal that ended it, else 0 */
    bool timed_out;
    bool cancelled;
    char error[512];               /* why it could not be started, else "" */
} ans_proc_result;

/* Run the program in its own process group, stdin from /dev/null, feeding
 * output lines to on_line as they come (lines longer than 4 MiB are cut).
 * On timeout or cancel the group gets SIGTERM, then SIGKILL 5 s later; when
 * the program exits, whatever is left of its group is killed too. Returns 0
 * when it ran (see res), -1 when it could not be started (res->error). */
int ans_proc_run(const ans_proc *p, ans_proc_result *res);

/* ---- ansible_out.c ---- */

/* Feed one output line of the child (the on_line callback; ctx is the run). */
void ans_out_line(void *ctx, int which, const char *line, size_t len);

/* Append text to host h's captured stream (1 or 2) and push it to watchers. */
void ans_out_host(ans_run *run, ans_host *h, int which, const char *text, size_t len);

/* Write every host's result after the child ended. */
void ans_out_finish(ans_run *run, const ans_proc_result *pr, const char *program);

#endif
