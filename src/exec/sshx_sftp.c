/* sshx_sftp.c -- files and scripts on an open sshx session.
 *
 * How: one SFTP subsystem channel per session (libssh sftp), opened on first
 * use and kept until sshx_close. Uploads write in 32 KiB requests and set the
 * mode explicitly afterwards (the remote umask does not apply). Checksums
 * run `sha256sum < FILE` on the host (through sshx_exec, the path quoted)
 * and are compared with libsodium's SHA-256 of the local bytes. Verified
 * uploads go to a temporary name beside the target and are renamed into
 * place only when the digests match. Scripts go to an unguessable /tmp name
 * created exclusively (O_EXCL: no symlink or race with another user), are
 * run by `sh` with each argument quoted, and are removed afterwards.
 */
#include "exec/sshx_int.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITE_CHUNK 32768u
#define PATH_MAX_LEN 4096
#define SHA_TIMEOUT_S 600      /* sha256sum of a large file on a slow disk */

static const char *sftp_code_name(int code)
{
    switch (code) {
    case SSH_FX_OK: return "ok";
    case SSH_FX_EOF: return "end of file";
    case SSH_FX_NO_SUCH_FILE: return "no such file";
    case SSH_FX_PERMISSION_DENIED: return "permission denied";
    case SSH_FX_FAILURE: return "failure";
    case SSH_FX_BAD_MESSAGE: return "bad message";
    case SSH_FX_NO_CONNECTION: return "no connection";
    case SSH_FX_CONNECTION_LOST: return "connection lost";
    case SSH_FX_OP_UNSUPPORTED: return "operation unsupported";
    case SSH_FX_FILE_ALREADY_EXISTS: return "file already exists";
    default: return "error";
    }
}

/* Record an SFTP failure on `path`; drops the SFTP channel (and marks the
 * session unusable) when the connection is gone. Returns SSHX_PROTOCOL. */
static int sftp_fail(sshx_session *s, const char *what, const char *path)
{
    int code = s->sftp != NULL ? sftp_get_error(s->sftp) : -1;
    sshx_set_error(s, "%s:%d: SFTP %s %s: %s (%s)", s->host, s->port, what, path,
                   sftp_code_name(code), ssh_get_error(s->ssh));
    if (!ssh_is_connected(s->ssh)) {
        if (s->sftp != NULL)
            sftp_free(s->sftp);
        s->sftp = NULL;
        s->ready = false;
    }
    return SSHX_PROTOCOL;
}

/* Open the SFTP channel if it is not open yet. */
static int sftp_ready(sshx_session *s)
{
    if (!s->ready) {
        sshx_set_error(s, "session not connected");
        return SSHX_LOCAL;
    }
    if (s->sftp != NULL)
        return SSHX_OK;
    s->sftp = sftp_new(s->ssh);
    if (s->sftp == NULL) {
        sshx_set_error(s, "%s:%d: cannot open the SFTP subsystem: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        return SSHX_PROTOCOL;
    }
    if (sftp_init(s->sftp) != SSH_OK) {
        sshx_set_error(s, "%s:%d: SFTP start failed: %s (%s)", s->host, s->port,
                       sftp_code_name(sftp_get_error(s->sftp)), ssh_get_error(s->ssh));
        sftp_free(s->sftp);
        s->sftp = NULL;
        return SSHX_PROTOCOL;
    }
    return SSHX_OK;
}

static bool path_ok(sshx_session *s, const char *path)
{
    if (path == NULL || path[0] == '\0' || strlen(path) > PATH_MAX_LEN) {
        sshx_set_error(s, "bad remote path");
        return false;
    }
    return true;
}

/* Write data to path (O_EXCL when excl), then chmod it to mode. */
static int put_file(sshx_session *s, const char *path, const void *data, size_t len, int mode,
                    bool excl)
{
    sftp_file f = NULL;
    int rc = SSHX_PROTOCOL;
    const char *p = data;
    size_t done = 0;

    if (!path_ok(s, path))
        return SSHX_LOCAL;
    if ((data == NULL && len > 0) || mode < 0 || mode > 07777) {
        sshx_set_error(s, "bad arguments (data or mode)");
        return SSHX_LOCAL;
    }
    rc = sftp_ready(s);
    if (rc != SSHX_OK)
        return rc;
    f = sftp_open(s->sftp, path, O_WRONLY | O_CREAT | O_TRUNC | (excl ? O_EXCL : 0),
                  (mode_t)mode);
    if (f == NULL)
        return sftp_fail(s, "cannot create", path);
    while (done < len) {
        size_t n = len - done < WRITE_CHUNK ? len - done : WRITE_CHUNK;
        ssize_t w = sftp_write(f, p + done, n);
        if (w <= 0) {
            rc = sftp_fail(s, "write failed on", path);
            goto out;
        }
        done += (size_t)w;
    }
    int crc = sftp_close(f);
    f = NULL;
    if (crc != SSH_NO_ERROR) {
        rc = sftp_fail(s, "close failed on", path);
        goto out;
    }
    if (sftp_chmod(s->sftp, path, (mode_t)mode) != 0) {
        rc = sftp_fail(s, "chmod failed on", path);
        goto out;
    }
    rc = SSHX_OK;
out:
    if (f != NULL)
        sftp_close(f);
    return rc;
}

int sshx_upload(sshx_session *s, const char *remote_path, const void *data, size_t len, int mode)
{
    if (s == NULL)
        return SSHX_LOCAL;
    s->err[0] = '\0';
    return put_file(s, remote_path, data, len, mode, false);
}

int sshx_remove(sshx_session *s, const char *remote_path)
{
    if (s == NULL)
        return SSHX_LOCAL;
    if (!path_ok(s, remote_path))
        return SSHX_LOCAL;
    int rc = sftp_ready(s);
    if (rc != SSHX_OK)
        return rc;
    if (sftp_unlink(s->sftp, remote_path) != 0 && sftp_get_error(s->sftp) != SSH_FX_NO_SUCH_FILE)
        return sftp_fail(s, "cannot remove", remote_path);
    return SSHX_OK;
}

void sshx_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(out, 65, d, sizeof d);
}

char *sshx_quote(const char *arg)
{
    if (arg == NULL)
        return NULL;
    size_t n = 3; /* two quotes and the NUL */
    for (const char *p = arg; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *q = malloc(n);
    if (q == NULL)
        return NULL;
    char *o = q;
    *o++ = '\'';
    for (const char *p = arg; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

/* "<prefix>'<quoted path>'<suffix>" into a malloc'd string, or NULL. */
static char *command_with_path(const char *prefix, const char *path, const char *suffix)
{
    char *q = sshx_quote(path);
    char *cmd = NULL;
    if (q != NULL && asprintf(&cmd, "%s%s%s", prefix, q, suffix) < 0)
        cmd = NULL;
    free(q);
    return cmd;
}

int sshx_remote_sha256(sshx_session *s, const char *remote_path, char out[65])
{
    sshx_result r = {0};
    char *cmd = NULL;
    int rc;

    out[0] = '\0';
    if (s == NULL)
        return SSHX_LOCAL;
    if (!path_ok(s, remote_path))
        return SSHX_LOCAL;
    cmd = command_with_path("LC_ALL=C sha256sum < ", remote_path, "");
    if (cmd == NULL) {
        sshx_set_error(s, "out of memory");
        return SSHX_LOCAL;
    }
    rc = sshx_exec(s, cmd, NULL, 0, SHA_TIMEOUT_S, 4096, NULL, NULL, NULL, &r);
    if (rc != SSHX_OK)
        goto out;
    bool hex = r.out_len >= 64;
    for (size_t i = 0; hex && i < 64; i++)
        hex = (r.out[i] >= '0' && r.out[i] <= '9') || (r.out[i] >= 'a' && r.out[i] <= 'f');
    if (r.exit_code != 0 || !hex) {
        sshx_set_error(s, "%s:%d: sha256sum of %s failed (exit %d): %.200s", s->host, s->port,
                       remote_path, r.exit_code, r.err_len ? r.err : r.out);
        rc = SSHX_PROTOCOL;
        goto out;
    }
    memcpy(out, r.out, 64);
    out[64] = '\0';
out:
    sshx_result_free(&r);
    free(cmd);
    return rc;
}

/* 2*n random hex digits into out (2n+1 bytes). */
static void random_hex(char *out, size_t n)
{
    unsigned char b[32];
    if (n > sizeof b)
        n = sizeof b;
    randombytes_buf(b, n);
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

/* Rename tmp over path: SFTP rename, or `mv -f` when the server's SFTP
 * rename refuses to replace an existing file (plain SFTPv3 semantics). */
static int replace_file(sshx_session *s, const char *tmp, const char *path)
{
    if (sftp_rename(s->sftp, tmp, path) == 0)
        return SSHX_OK;
    if (!ssh_is_connected(s->ssh))
        return sftp_fail(s, "cannot rename", tmp);
    char *qt = sshx_quote(tmp), *qp = sshx_quote(path), *cmd = NULL;
    int rc = SSHX_LOCAL;
    sshx_result r = {0};
    if (qt == NULL || qp == NULL || asprintf(&cmd, "mv -f -- %s %s", qt, qp) < 0) {
        cmd = NULL;
        sshx_set_error(s, "out of memory");
        goto out;
    }
    rc = sshx_exec(s, cmd, NULL, 0, 60, 4096, NULL, NULL, NULL, &r);
    if (rc == SSHX_OK && r.exit_code != 0) {
        sshx_set_error(s, "%s:%d: cannot move %s to %s: %.200s", s->host, s->port, tmp, path,
                       r.err);
        rc = SSHX_PROTOCOL;
    }
out:
    sshx_result_free(&r);
    free(cmd);
    free(qt);
    free(qp);
    return rc;
}

int sshx_upload_verified(sshx_session *s, const char *remote_path, const void *data, size_t len,
                         int mode, char *sha256_hex)
{
    char tmp[PATH_MAX_LEN + 64];
    char rnd[33], local[65], remote[65];
    int rc;

    if (sha256_hex != NULL)
        sha256_hex[0] = '\0';
    if (s == NULL)
        return SSHX_LOCAL;
    s->err[0] = '\0';
    if (!path_ok(s, remote_path))
        return SSHX_LOCAL;
    random_hex(rnd, 8);
    snprintf(tmp, sizeof tmp, "%s.cairn-tmp-%s", remote_path, rnd);
    sshx_sha256_hex(data, len, local);

    rc = put_file(s, tmp, data, len, mode, true);
    if (rc != SSHX_OK)
        goto fail;
    rc = sshx_remote_sha256(s, tmp, remote);
    if (rc != SSHX_OK)
        goto fail;
    if (strcmp(local, remote) != 0) {
        sshx_set_error(s, "%s:%d: checksum mismatch for %s: sent sha256 %s, the host has %s",
                       s->host, s->port, remote_path, local, remote);
        rc = SSHX_PROTOCOL;
        goto fail;
    }
    rc = replace_file(s, tmp, remote_path);
    if (rc != SSHX_OK)
        goto fail;
    if (sha256_hex != NULL)
        memcpy(sha256_hex, local, 65);
    return SSHX_OK;
fail:
    if (s->ready && s->sftp != NULL) {
        char keep[sizeof s->err];
        memcpy(keep, s->err, sizeof keep); /* the first error is the one to report */
        sshx_remove(s, tmp);
        memcpy(s->err, keep, sizeof keep);
    }
    return rc;
}

int sshx_run_script(sshx_session *s, const char *interpreter, const char *script, size_t script_len,
                    const char *const *args, size_t nargs, int timeout_s, size_t max_output,
                    const atomic_bool *cancel, sshx_output_fn cb, void *ctx, sshx_result *res)
{
    char path[64], rnd[33];
    char *cmd = NULL;
    int rc;

    if (res == NULL)
        return SSHX_LOCAL;
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (s == NULL)
        return SSHX_LOCAL;
    s->err[0] = '\0';
    if (interpreter == NULL)
        interpreter = "sh";
    if (script == NULL || (args == NULL && nargs > 0) || interpreter[0] == '\0') {
        sshx_set_error(s, "bad arguments");
        return SSHX_LOCAL;
    }
    random_hex(rnd, 16);
    snprintf(path, sizeof path, "/tmp/cairn-%s.sh", rnd);

    /* The command line: 'sh' '/tmp/cairn-….sh' 'arg' … */
    char *qi = sshx_quote(interpreter);
    if (qi == NULL) {
        sshx_set_error(s, "out of memory");
        return SSHX_LOCAL;
    }
    size_t cap = strlen(qi) + sizeof path + 8, used;
    for (size_t i = 0; i < nargs; i++) {
        if (args[i] == NULL) {
            sshx_set_error(s, "script argument %zu is NULL", i + 1);
            rc = SSHX_LOCAL;
            goto out;
        }
        cap += 4 * strlen(args[i]) + 3;
    }
    cmd = malloc(cap);
    if (cmd == NULL) {
        sshx_set_error(s, "out of memory");
        rc = SSHX_LOCAL;
        goto out;
    }
    used = (size_t)snprintf(cmd, cap, "%s '%s'", qi, path);
    for (size_t i = 0; i < nargs; i++) {
        char *q = sshx_quote(args[i]);
        if (q == NULL) {
            sshx_set_error(s, "out of memory");
            rc = SSHX_LOCAL;
            goto out;
        }
        used += (size_t)snprintf(cmd + used, cap - used, " %s", q);
        free(q);
    }

    rc = put_file(s, path, script, script_len, 0700, true);
    if (rc != SSHX_OK) {
        if (rc == SSHX_PROTOCOL && s->ready && s->sftp != NULL) {
            char keep[sizeof s->err];
            memcpy(keep, s->err, sizeof keep); /* a partial file may exist */
            sshx_remove(s, path);
            memcpy(s->err, keep, sizeof keep);
        }
        goto out;
    }
    rc = sshx_exec(s, cmd, NULL, 0, timeout_s, max_output, cancel, cb, ctx, res);
    if (s->ready) {
        char keep[sizeof s->err];
        memcpy(keep, s->err, sizeof keep);
        int rm = sshx_remove(s, path);
        if (rc == SSHX_OK && rm != SSHX_OK)
            rc = rm; /* the script ran, but a file was left behind: say so */
        else
            memcpy(s->err, keep, sizeof keep);
    }
out:
    free(cmd);
    free(qi);
    return rc;
}
