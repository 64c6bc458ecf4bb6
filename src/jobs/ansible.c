/* ansible.c -- Ansible ad-hoc modules and playbooks against the CMDB.
 *
 * One job is one ansible (kind "ansible_module": spec {module, module_args,
 * check, timeout}) or ansible-playbook (kind "playbook": the YAML in
 * j->payload, spec {extra_vars, check, timeout}) process for all its hosts.
 *
 * How, in order (ansible_run):
 *   1. The job's pending hosts are loaded with the inventory of inventory.h
 *      and their credentials; a host without a credential is reported
 *      unreachable at once, as for SSH jobs.
 *   2. A private directory (mkdtemp, 0700) holds everything of this run and
 *      nothing else: HOME, Ansible's local temp, inventory.json (0600, with
 *      connection secrets: ansible_password never appears on a command
 *      line), keys/<id> (0600 private keys, decrypted when they have a
 *      passphrase), known_hosts, playbook.yml, roles/<name>/… (every role of
 *      the library at the version pinned when the job was created),
 *      extra_vars.json (passed as
 *      -e @file) and an empty ansible.cfg (so /etc/ansible is not read).
 *   3. Host keys (ansible_keys.c): each host's key is checked against the
 *      one Cairn pinned and written to known_hosts; ssh runs with
 *      StrictHostKeyChecking=yes against that file only. Unreachable hosts
 *      and hosts whose key changed are reported and left out.
 *   4. The program runs (ansible_proc.c) with an explicit argv and a clean
 *      environment (below); output is read live (ansible_out.c) through the
 *      cairn_jsonl callback plugin, and the recap gives each host its result.
 *   5. The directory is removed on every path, keys included.
 *
 * Time limit: spec.timeout is per host, as for SSH jobs; Ansible works on
 * `forks` hosts at a time, so the run may take timeout × ceil(hosts/forks).
 *
 * Controller safety: a playbook runs code on the Cairn server as well (local
 * actions, lookups, delegate_to: localhost, hosts: localhost) with cairnd's
 * user. By default (--ansible-sandbox 1) the program runs in its own user,
 * mount and process namespaces (ansible_sandbox.c), as process 1 of the
 * last (it can neither see nor signal cairnd or other jobs), where cairnd's
 * data directory (database, secret.key, initial-admin-password, RRD
 * files), the config file, the SQLite files or PostgreSQL socket
 * directory, and the directory of every run directory are covered by
 * empty mounts, with only this run's directory bound back; it holds no
 * capability, so it cannot unmount them, and cannot reach cairnd's or
 * other jobs' /proc/<pid>/root or memory.
 * Where the kernel refuses a step (no user namespaces in some containers)
 * the job fails with that reason and nothing runs; --ansible-sandbox 0 runs
 * playbooks with cairnd's own rights instead (whoever may run them can then
 * read what cairnd can read). Network access stays: a database reachable
 * over TCP is protected by its password only. Inventory values from the
 * CMDB are never templated (inventory.h), so editing a host cannot run code
 * here.
 */
#include "jobs/ansible_int.h"

#include "common/log.h"
#include "common/util.h"
#include "common/vault.h"
#include "cmdb/res_internal.h"
#include "store/db.h"

#include <errno.h>
#include <stdarg.h>
#include <libssh/libssh.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ENV 48
#define MAX_ARGV 16
#define CONNECT_TIMEOUT "10"

/* A NULL-terminated array of malloc'd strings (argv or environment), at
 * most MAX_ENV; an entry that cannot be added marks it failed. */
typedef struct {
    char *v[MAX_ENV + 1];
    int n;
    bool failed;
} strv;

/* Append a formatted string to s (failed stays set on any error). */
static void strv_add(strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void strv_add(strv *s, const char *fmt, ...)
{
    va_list ap;
    char *p = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0 || s->n >= MAX_ENV) {
        if (n >= 0)
            free(p);
        s->failed = true;
        return;
    }
    s->v[s->n++] = p;
    s->v[s->n] = NULL;
}

/* Free the strings of s. */
static void strv_free(strv *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

/* Wipe and free a plain secret (vault_open or our own copy); NULL is fine. */
static void wipe(char *s)
{
    if (s)
        vault_free_plain(s, strlen(s));
}

/* Report host h before the run (no credential, unreachable, key changed). */
static void exclude(ans_run *run, ans_host *h, const char *status, const char *error)
{
    h->excluded = true;
    runner_host_done(run->job, h->id, status, -1, NULL, 0, NULL, 0, error, -1, false);
}

/* ---- targets ------------------------------------------------------------------ */

/* The job's pending host ids, oldest order of the results (NULL on error). */
static json_t *pending_ids(job_run *j)
{
    json_t *rows = NULL, *ids = json_array();
    db_conn *c = db_acquire(j->app->db);
    int rc = db_query(c, "SELECT host_id FROM job_results WHERE job_id = $1 AND status = 'pending' "
                         "AND host_id IS NOT NULL ORDER BY hostname",
                      DB_ARGS(DB_INT(j->id)), &rows);
    db_release(c);
    size_t i;
    json_t *r;
    if (rc == DB_OK)
        json_array_foreach(rows, i, r)
            json_array_append(ids, json_object_get(r, "host_id"));
    json_decref(rows);
    if (rc != DB_OK) {
        json_decref(ids);
        return NULL;
    }
    return ids;
}

/* Fill run->hosts from the job's ids, the inventory and the credential
 * rows; hosts that cannot be run are reported here. Returns 0 or -1. */
static int load_hosts(ans_run *run, const json_t *ids, const json_t *inv, const json_t *creds)
{
    json_t *names = json_object(), *rows = json_object(); /* id → inventory name, id → credential row */
    const char *name;
    json_t *vars, *row;
    size_t i;
    char key[32];
    int rc = -1;
    run->hosts = calloc(json_array_size(ids) ? json_array_size(ids) : 1, sizeof *run->hosts);
    run->by_name = json_object();
    if (!run->hosts || !run->by_name || !names || !rows)
        goto done;
    json_object_foreach(json_object_get(json_object_get(inv, "_meta"), "hostvars"), name, vars) {
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(vars, "cairn_id")));
        json_object_set_new(names, key, json_string(name));
    }
    json_array_foreach(creds, i, row) {
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(row, "id")));
        json_object_set(rows, key, row);
    }
    json_array_foreach(ids, i, row) {
        ans_host *h = &run->hosts[run->nhosts++];
        h->id = json_integer_value(row);
        h->last_rc = -1;
        snprintf(key, sizeof key, "%lld", (long long)h->id);
        json_t *cr = json_object_get(rows, key);
        const char *hn = json_string_value(json_object_get(names, key));
        runner_host_start(run->job, h->id);
        if (!cr || !hn) {
            exclude(run, h, "unreachable", "the host no longer exists");
            continue;
        }
        h->cred = cr;
        snprintf(h->name, sizeof h->name, "%s", hn);
        snprintf(h->ip, sizeof h->ip, "%s", json_string_value(json_object_get(cr, "ip")));
        json_t *port = json_object_get(cr, "ssh_port");
        h->port = (int)(json_is_integer(port) ? json_integer_value(port) : json_integer_value(json_object_get(cr, "port")));
        if (h->port <= 0 || h->port > 65535)
            h->port = 22;
        const char *known = json_string_value(json_object_get(cr, "fingerprint"));
        snprintf(h->known_fp, sizeof h->known_fp, "%s", known ? known : "");
        json_object_set_new(run->by_name, h->name, json_integer((json_int_t)(run->nhosts - 1)));
        if (!json_is_integer(json_object_get(cr, "credential_id")))
            exclude(run, h, "unreachable", "the host has no credential; choose one in Assets");
    }
    rc = 0;
done:
    json_decref(names);
    json_decref(rows);
    return rc;
}

/* Record what the key scan learnt: a first key is pinned; a changed one
 * waits for approval (as runner.c does for SSH jobs). */
static void record_keys(ans_run *run)
{
    db_conn *c = db_acquire(run->job->app->db);
    for (size_t i = 0; i < run->nhosts; i++) {
        ans_host *h = &run->hosts[i];
        if (h->excluded)
            continue;
        if (h->scan_rc == SSHX_HOSTKEY_CHANGED)
            db_exec(c, "UPDATE host_keys SET pending_fingerprint = $1 WHERE host_id = $2",
                    DB_ARGS(DB_TEXT(h->fp), DB_INT(h->id)), NULL);
        else if (h->scan_rc == SSHX_OK && !h->known_fp[0])
            db_exec(c, "INSERT INTO host_keys (host_id, fingerprint, first_seen_at) VALUES ($1, $2, $3) "
                       "ON CONFLICT (host_id) DO NOTHING",
                    DB_ARGS(DB_INT(h->id), DB_TEXT(h->fp), DB_INT(util_now())), NULL);
    }
    db_release(c);
    for (size_t i = 0; i < run->nhosts; i++) {
        ans_host *h = &run->hosts[i];
        if (h->excluded || h->scan_rc == SSHX_OK)
            continue;
        exclude(run, h, h->scan_rc == SSHX_CANCELLED ? "cancelled" : "unreachable",
                h->scan_rc == SSHX_CANCELLED ? "cancelled" : h->last_error);
    }
}

/* ---- secrets into the run directory --------------------------------------------- */

/* The private key as OpenSSH reads it from a file: decrypted when it has a
 * passphrase, LF line ends, a final newline. malloc'd (wipe it), or NULL
 * with err set. */
static char *key_file_text(const char *key, const char *passphrase, char *err, size_t cap)
{
    char *text = NULL;
    if (passphrase && *passphrase) {
        ssh_key pk = NULL;
        char *b64 = NULL;
        if (ssh_pki_import_privkey_base64(key, passphrase, NULL, NULL, &pk) != SSH_OK ||
            ssh_pki_export_privkey_base64(pk, NULL, NULL, NULL, &b64) != SSH_OK) {
            snprintf(err, cap, "the private key could not be decrypted with its passphrase");
            ssh_key_free(pk);
            return NULL;
        }
        ssh_key_free(pk);
        text = strdup(b64);
        sodium_memzero(b64, strlen(b64));
        ssh_string_free_char(b64);
        key = text;
        if (!text) {
            snprintf(err, cap, "out of memory");
            return NULL;
        }
    }
    size_t n = strlen(key), o = 0;
    char *out = malloc(n + 2);
    if (out) {
        for (size_t i = 0; i < n; i++)
            if (key[i] != '\r')
                out[o++] = key[i];
        if (o == 0 || out[o - 1] != '\n')
            out[o++] = '\n';
        out[o] = '\0';
    } else {
        snprintf(err, cap, "out of memory");
    }
    wipe(text);
    return out;
}

/* Remove host `name` from the static inventory (all.hosts and every group). */
static void drop_host(json_t *stat, const char *name)
{
    json_t *all = json_object_get(stat, "all");
    const char *g;
    json_t *grp;
    json_object_del(json_object_get(all, "hosts"), name);
    json_object_foreach(json_object_get(all, "children"), g, grp)
        json_object_del(json_object_get(grp, "hosts"), name);
}

/* Add the connection settings and secrets of the hosts still in the run to
 * the static inventory (all.hosts) and write their key files; drop the
 * others from it. A host whose secrets cannot be prepared is reported
 * unreachable and dropped too. Secrets opened here are wiped before return
 * (the password stays in stat until wipe_inventory). */
static void add_secrets(ans_run *run, json_t *stat)
{
    json_t *hosts = json_object_get(json_object_get(stat, "all"), "hosts");
    for (size_t i = 0; i < run->nhosts; i++) {
        ans_host *h = &run->hosts[i];
        if (h->excluded) {
            if (h->name[0])
                drop_host(stat, h->name);
            continue;
        }
        json_t *vars = json_object_get(hosts, h->name);
        const json_t *cr = h->cred;
        const char *sk = json_string_value(json_object_get(cr, "private_key"));
        const char *sp = json_string_value(json_object_get(cr, "password"));
        const char *ss = json_string_value(json_object_get(cr, "passphrase"));
        char *key = sk ? vault_open(sk, NULL) : NULL, *pw = sp ? vault_open(sp, NULL) : NULL;
        char *pass = ss ? vault_open(ss, NULL) : NULL, err[256] = "", args[256];
        if ((sk && !key) || (sp && !pw) || (ss && !pass))
            snprintf(err, sizeof err, "the credential's secrets cannot be opened (was the vault key replaced?)");
        if (!err[0] && key && *key) {
            char *text = key_file_text(key, pass, err, sizeof err), rel[64];
            snprintf(rel, sizeof rel, "keys/%lld", (long long)h->id);
            if (text && ans_ws_write(run->dir, rel, text, strlen(text)) != 0)
                snprintf(err, sizeof err, "cannot write the private key: %s", strerror(errno));
            if (text && !err[0])
                json_object_set_new(vars, "ansible_ssh_private_key_file",
                                    json_sprintf("%s/%s", run->dir, rel));
            wipe(text);
        }
        if (!err[0] && pw)
            json_object_set_new(vars, "ansible_password", inv_str(pw));
        ans_keys_ssh_args(h, args, sizeof args);
        json_object_set_new(vars, "ansible_ssh_extra_args", json_string(args));
        wipe(key);
        wipe(pw);
        wipe(pass);
        if (err[0]) {
            exclude(run, h, "unreachable", err);
            drop_host(stat, h->name);
        }
    }
}

/* Overwrite the secret strings held in the static inventory before it is freed. */
static void wipe_inventory(json_t *stat)
{
    const char *name;
    json_t *vars;
    json_object_foreach(json_object_get(json_object_get(stat, "all"), "hosts"), name, vars) {
        json_t *pw = json_object_get(vars, "ansible_password");
        if (json_is_object(pw))
            pw = json_object_get(pw, "__ansible_unsafe");
        if (json_is_string(pw))
            sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
    }
}

/* Write the inventory file; the serialised text is wiped after. */
static int write_inventory(ans_run *run, const json_t *stat)
{
    char *text = json_dumps(stat, JSON_COMPACT);
    int rc = text ? ans_ws_write(run->dir, "inventory.json", text, strlen(text)) : -1;
    wipe(text);
    return rc;
}

/* ---- the command ------------------------------------------------------------------ */

/* Forks: spec.forks when given (1..100), else 4 per CPU within 5..20; never
 * more than the hosts. */
static int forks_for(const json_t *spec, size_t hosts)
{
    json_t *f = json_object_get(spec, "forks");
    long n;
    if (json_is_integer(f) && json_integer_value(f) >= 1 && json_integer_value(f) <= 100) {
        n = (long)json_integer_value(f);
    } else {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = 4 * (cpus > 0 ? cpus : 1);
        n = n < 5 ? 5 : n > 20 ? 20 : n;
    }
    return (int)((size_t)n > hosts ? (long)(hosts ? hosts : 1) : n);
}

/* The child's whole environment: nothing is inherited from cairnd. Settings
 * are explained in the file comment and ansible_keys.c (host keys). */
static void build_env(const ans_run *run, const char *plugins, strv *env)
{
    const char *d = run->dir;
    strv_add(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    strv_add(env, "HOME=%s", d);
    strv_add(env, "TMPDIR=%s/.ansible/tmp", d);
    strv_add(env, "LANG=C.UTF-8");
    strv_add(env, "LC_ALL=C.UTF-8");
    strv_add(env, "PYTHONDONTWRITEBYTECODE=1");
    strv_add(env, "PYTHONUNBUFFERED=1");
    strv_add(env, "ANSIBLE_CONFIG=%s/ansible.cfg", d);
    strv_add(env, "ANSIBLE_INVENTORY_ENABLED=yaml");
    strv_add(env, "ANSIBLE_HOST_KEY_CHECKING=True");
    strv_add(env, "ANSIBLE_RETRY_FILES_ENABLED=False");
    /* No ControlMaster: a ControlPersist master leaves the process group
     * (setsid) and would outlive the run; pipelining keeps it to one ssh
     * connection per task instead. */
    strv_add(env,
             "ANSIBLE_SSH_ARGS=-F /dev/null -o ControlMaster=no -o ControlPath=none -o IdentitiesOnly=yes "
             "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s/known_hosts -o GlobalKnownHostsFile=/dev/null "
             "-o KexAlgorithms=^curve25519-sha256,curve25519-sha256@libssh.org -o ServerAliveInterval=15 "
             "-o ServerAliveCountMax=4",
             d);
    strv_add(env, "ANSIBLE_PIPELINING=True");
    strv_add(env, "ANSIBLE_TIMEOUT=" CONNECT_TIMEOUT);
    strv_add(env, "ANSIBLE_CALLBACK_PLUGINS=%s", plugins);
    strv_add(env, "ANSIBLE_STDOUT_CALLBACK=cairn_jsonl");
    strv_add(env, "ANSIBLE_LOAD_CALLBACK_PLUGINS=True");
    strv_add(env, "ANSIBLE_ROLES_PATH=%s/roles", d);
    strv_add(env, "ANSIBLE_LOCAL_TEMP=%s/.ansible/tmp", d);
    strv_add(env, "ANSIBLE_NOCOLOR=True");
    strv_add(env, "ANSIBLE_FORCE_COLOR=False");
    strv_add(env, "ANSIBLE_PYTHON_INTERPRETER=auto_silent");
    strv_add(env, "ANSIBLE_SSH_RETRIES=0");
}

/* Write the run's files and run the program. Returns 0 when it ran. */
static int run_program(ans_run *run, char *err, size_t cap)
{
    job_run *j = run->job;
    bool playbook = strcmp(j->kind, "playbook") == 0;
    const char *program = playbook ? "ansible-playbook" : "ansible";
    char exe[PATH_MAX], plugins[PATH_MAX], path[PATH_MAX + 64];
    strv env = {.n = 0}, argv = {.n = 0};
    ans_sandbox *sb = NULL;
    ans_proc_result pr;
    int rc = -1;
    size_t live = 0;
    for (size_t i = 0; i < run->nhosts; i++)
        live += !run->hosts[i].excluded;
    if (ans_ws_find_program(program, exe, sizeof exe) != 0) {
        snprintf(err, cap, "%s is not installed on the Cairn server (apt-get install ansible-core)", program);
        goto done;
    }
    if (ans_ws_copy_plugin(run->dir, plugins, sizeof plugins) != 0) {
        snprintf(err, cap, "share/ansible/callback_plugins/cairn_jsonl.py was not found or not readable "
                           "(set CAIRN_SHARE_DIR): %s", strerror(errno));
        goto done;
    }
    if (ans_ws_write(run->dir, "ansible.cfg", "[defaults]\n", 11) != 0 ||
        ans_ws_write(run->dir, ".ansible/tmp/.keep", "", 0) != 0) {
        snprintf(err, cap, "cannot write the run directory: %s", strerror(errno));
        goto done;
    }
    int forks = forks_for(j->spec, live);
    int timeout = (int)json_integer_value(json_object_get(j->spec, "timeout"));
    if (timeout > 0)
        timeout *= (int)((live + (size_t)forks - 1) / (size_t)forks);
    strv_add(&argv, "%s", program);
    if (!playbook)
        strv_add(&argv, "all");
    strv_add(&argv, "--inventory=%s/inventory.json", run->dir);
    strv_add(&argv, "--forks=%d", forks);
    strv_add(&argv, "--timeout=" CONNECT_TIMEOUT);
    if (json_is_true(json_object_get(j->spec, "check")))
        strv_add(&argv, "--check");
    if (!playbook) {
        const char *args = json_string_value(json_object_get(j->spec, "module_args"));
        strv_add(&argv, "--module-name=%s", json_string_value(json_object_get(j->spec, "module")));
        if (args && *args)
            strv_add(&argv, "--args=%s", args);
    } else {
        json_t *ev = json_object_get(j->spec, "extra_vars");
        if (ans_ws_write(run->dir, "playbook.yml", j->payload ? j->payload : "", j->payload_len) != 0 ||
            ans_ws_write_roles(j, run->dir, err, cap) != 0) {
            if (!err[0])
                snprintf(err, cap, "cannot write the playbook: %s", strerror(errno));
            goto done;
        }
        if (json_object_size(ev) > 0) {
            char *text = json_dumps(ev, JSON_COMPACT);
            if (!text || ans_ws_write(run->dir, "extra_vars.json", text, strlen(text)) != 0) {
                free(text);
                snprintf(err, cap, "cannot write the extra variables");
                goto done;
            }
            free(text);
            strv_add(&argv, "--extra-vars=@%s/extra_vars.json", run->dir);
        }
        strv_add(&argv, "%s/playbook.yml", run->dir);
    }
    build_env(run, plugins, &env);
    if (env.failed || argv.failed) {
        snprintf(err, cap, "out of memory");
        goto done;
    }
    snprintf(path, sizeof path, "%s", exe);
    if (j->app->cfg.ansible_sandbox) {
        char why[384];
        if (!(sb = malloc(sizeof *sb))) {
            snprintf(err, cap, "out of memory");
            goto done;
        }
        if (ans_sandbox_prepare(&j->app->cfg, run->dir, sb, why, sizeof why) != 0) {
            snprintf(err, cap, "cannot isolate ansible from the Cairn server: %s", why);
            goto done;
        }
    }
    ans_proc p = {.path = path, .argv = argv.v, .envp = env.v, .cwd = run->dir, .sandbox = sb, .timeout_s = timeout,
                  .job = j, .on_line = ans_out_line, .ctx = run};
    log_info("ansible_started", "job=%lld program=%s hosts=%zu forks=%d", (long long)j->id, program, live, forks);
    if (ans_proc_run(&p, &pr) != 0) {
        snprintf(err, cap, "%s", pr.error);
        goto done;
    }
    log_info("ansible_finished", "job=%lld exit=%d signal=%d timed_out=%d cancelled=%d", (long long)j->id,
             pr.exit_code, pr.term_signal, pr.timed_out, pr.cancelled);
    ans_out_finish(run, &pr, program);
    rc = 0;
done:
    free(sb);
    strv_free(&env);
    strv_free(&argv);
    return rc;
}

/* ---- the job ------------------------------------------------------------------------ */

/* Report every host still waiting with status/error. */
static void fail_rest(ans_run *run, const char *status, const char *error)
{
    for (size_t i = 0; i < run->nhosts; i++)
        if (!run->hosts[i].excluded)
            exclude(run, &run->hosts[i], status, error);
}

void ansible_run(job_run *j)
{
    ans_run run = {.job = j, .err_tail = SBUF_INIT};
    json_t *ids = NULL, *inv = NULL, *stat = NULL, *creds = NULL;
    inv_rows rows = {0};
    char err[512] = "";
    sbuf sql = SBUF_INIT;
    if (!(ids = pending_ids(j)) || json_array_size(ids) == 0)
        goto done;
    db_conn *c = db_acquire(j->app->db);
    sbuf_puts(&sql, "SELECT h.id, h.ip, h.ssh_port, h.credential_id, cr.port, cr.password, cr.private_key, "
                    "cr.passphrase, k.fingerprint FROM hosts h LEFT JOIN credentials cr ON cr.id = h.credential_id "
                    "LEFT JOIN host_keys k ON k.host_id = h.id WHERE h.id IN (");
    res_id_list(ids, &sql);
    sbuf_puts(&sql, ")");
    int qrc = sbuf_failed(&sql) ? DB_ERR : db_query(c, sbuf_str(&sql), DB_NOARGS, &creds);
    if (qrc == DB_OK)
        qrc = inv_load(c, NULL, ids, &rows);
    db_release(c);
    if (qrc != DB_OK || !(inv = inv_build(&rows)) || load_hosts(&run, ids, inv, creds) != 0) {
        snprintf(err, sizeof err, "the hosts of the job could not be loaded");
        goto fail;
    }
    int swept = ans_ws_sweep_stale();
    if (swept > 0)
        log_warn("ansible_stale_dirs_removed", "count=%d", swept);
    if (ans_ws_create(&run, err, sizeof err) != 0)
        goto fail;
    ans_keys_scan(&run);
    record_keys(&run);
    char *known = ans_keys_known_hosts(&run);
    int wrc = known ? ans_ws_write(run.dir, "known_hosts", known, strlen(known)) : -1;
    free(known);
    if (wrc == 0 && (stat = inv_to_static(inv)))
        add_secrets(&run, stat);
    if (wrc != 0 || !stat || write_inventory(&run, stat) != 0) {
        snprintf(err, sizeof err, "cannot prepare the Ansible run directory");
        goto fail;
    }
    size_t live = 0;
    for (size_t i = 0; i < run.nhosts; i++)
        live += !run.hosts[i].excluded;
    if (live == 0 || j->cancel)
        goto fail;
    if (run_program(&run, err, sizeof err) != 0)
        goto fail;
    goto done;
fail:
    fail_rest(&run, j->cancel ? "cancelled" : "failed", j->cancel ? "cancelled" : err[0] ? err : "failed");
done:
    if (run.dir[0] && ans_ws_remove(run.dir) != 0)
        log_error("ansible_cleanup_failed", "job=%lld dir=%s", (long long)j->id, run.dir);
    if (stat)
        wipe_inventory(stat);
    json_decref(stat);
    json_decref(inv);
    json_decref(ids);
    json_decref(creds);
    json_decref(run.by_name);
    inv_rows_free(&rows);
    sbuf_free(&sql);
    sbuf_free(&run.err_tail);
    for (size_t i = 0; i < run.nhosts; i++) {
        free(run.hosts[i].key_b64);
        sbuf_free(&run.hosts[i].out);
        sbuf_free(&run.hosts[i].err);
    }
    free(run.hosts);
}
