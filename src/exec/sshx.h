/* sshx.h -- running work on one host over SSH (libssh).
 *
 * One sshx_session is one authenticated SSH connection to one host, used by
 * one thread at a time (a thread may own several sessions; a session must
 * never be used by two threads at once). It can run commands (stdout and
 * stderr captured separately, each up to a limit, streamed to a callback as
 * they arrive), upload a file over SFTP, check a remote file's SHA-256, and
 * run an uploaded script with arguments. Nothing here builds a shell command
 * line from user text: commands are passed to the remote shell as given by
 * the caller (the user's own command), while script arguments are quoted one
 * by one with sshx_quote() so they reach the script as separate arguments.
 *
 * Host keys: the caller passes the SHA-256 fingerprint it has on record for
 * the host (NULL when none yet). On first use the session accepts the key and
 * reports its fingerprint (trust on first use; the caller records it);
 * afterwards any other key is refused with SSHX_HOSTKEY_CHANGED before any
 * credential is sent. The host key type is negotiated in a fixed order
 * (ssh-ed25519 first, then ECDSA, then RSA), so a host with several keys
 * always shows the same one: the fingerprint equals
 * `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on such a host.
 *
 * Key exchange prefers curve25519-sha256 (about 8x cheaper on the client than
 * OpenSSH's sntrup761 default); ~/.ssh/config and known_hosts files are
 * never read, nor is an SSH agent used.
 *
 * Secrets (password, private key text, passphrase) are borrowed from the
 * caller for the duration of sshx_connect only; nothing here copies them
 * into memory of its own (libssh's copies of the decoded key are freed with
 * the key). The caller wipes its own buffers.
 *
 * Errors are returned as SSHX_* codes with a message in the session's error
 * buffer (sshx_error); nothing is printed. Thread safety: call
 * sshx_global_init() once before any thread uses this module.
 */
#ifndef CAIRN_SSHX_H
#define CAIRN_SSHX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sshx_session sshx_session;

enum {
    SSHX_OK = 0,
    SSHX_CONNECT = -1,         /* TCP connect or SSH handshake failed, refused or timed out */
    SSHX_AUTH = -2,            /* authentication refused, or the key/passphrase unusable */
    SSHX_HOSTKEY_CHANGED = -3, /* the host key differs from the one on record */
    SSHX_TIMEOUT = -4,         /* the command ran past its time limit (it was ended) */
    SSHX_PROTOCOL = -5,        /* channel/SFTP failure, connection lost, checksum mismatch */
    SSHX_CANCELLED = -6,       /* the cancel flag was raised (or the callback said stop) */
    SSHX_LOCAL = -7,           /* local failure (memory, bad argument) */
};

#define SSHX_DEFAULT_PORT 22
#define SSHX_DEFAULT_CONNECT_TIMEOUT 10      /* seconds */
#define SSHX_DEFAULT_MAX_OUTPUT (1u << 20)   /* bytes per stream */
#define SSHX_FP_MAX 64                       /* "SHA256:" + 43 base64 + NUL fits */

typedef struct {
    const char *host;          /* address or name (required) */
    int port;                  /* 22 when 0 */
    const char *user;          /* required */
    const char *password;      /* may be NULL; also answers keyboard-interactive */
    const char *private_key;   /* PEM/OpenSSH text, may be NULL; tried before the password */
    const char *passphrase;    /* for the key, may be NULL */
    const char *known_fingerprint; /* "SHA256:…" on record, or NULL/"" (first use) */
    int connect_timeout_s;     /* 10 when 0: TCP connect + handshake + auth, and any
                                  single wait inside SFTP calls */
} sshx_target;

/* Output callback: stream 1 = stdout, 2 = stderr. Called from the thread that
 * runs the command, only with bytes that are also captured in the result (so
 * it too stops at max_output per stream). Return false to stop reading
 * (treated as cancel). */
typedef bool (*sshx_output_fn)(void *ctx, int stream, const char *data, size_t len);

typedef struct {
    int exit_code;             /* -1 when the command did not exit normally */
    char exit_signal[16];      /* e.g. "KILL" when the command died of a signal, else "" */
    char *out;                 /* captured stdout (NUL-terminated, malloc'd, may be truncated) */
    size_t out_len;
    char *err;                 /* captured stderr (same rules) */
    size_t err_len;
    bool truncated;            /* a stream passed max_output and was cut (the rest was read
                                  and discarded, so the command was not blocked) */
    double seconds;            /* wall time of the command */
} sshx_result;

/* Connect and authenticate. *out receives the session (caller frees with
 * sshx_close) even on failure, so sshx_error() can be read; it is NULL only
 * when out of memory (SSHX_LOCAL). The return value says whether the session
 * is usable. The server's key fingerprint is available from
 * sshx_fingerprint() once the handshake has completed: after SSHX_OK, and
 * after SSHX_HOSTKEY_CHANGED or SSHX_AUTH (so the caller can show it). */
int sshx_connect(const sshx_target *t, sshx_session **out);

/* "SHA256:…" of the server key (unpadded base64, as OpenSSH prints it); ""
 * before a handshake. Owned by the session. */
const char *sshx_fingerprint(const sshx_session *s);

/* The message of the last error ("" when none). Owned by the session. NULL
 * s gives a fixed out-of-memory message. */
const char *sshx_error(const sshx_session *s);

/* Run `command` with the remote user's shell. Output goes to cb (may be
 * NULL) as it arrives and into res (each stream capped at max_output bytes;
 * 0 means SSHX_DEFAULT_MAX_OUTPUT). The command is ended after timeout_s
 * seconds (SSHX_TIMEOUT; <= 0 means no limit) or when *cancel becomes true
 * (SSHX_CANCELLED; cancel may be NULL), checked at least every 100 ms.
 * Ending a command: a SIGTERM "signal" request (OpenSSH ignores it for root
 * logins), then, over a second channel, SIGTERM to the command's whole
 * process group and SIGKILL 2 s later (needs a Bourne-family login shell
 * and pgrep or procps ps on the host; processes that left the group, e.g.
 * daemons, survive), then the channel is closed; this takes at most about
 * 1 s on a live connection, a few seconds on a dead one. The session stays
 * usable after a timeout or cancel. stdin_data (may be NULL) is written to
 * the command's standard input, then closed. res is always reset and must
 * be freed with sshx_result_free; once the command was started, out and err
 * are NUL-terminated strings (whatever came before a timeout, cancel or
 * error), otherwise they are NULL. */
int sshx_exec(sshx_session *s, const char *command, const char *stdin_data, size_t stdin_len,
              int timeout_s, size_t max_output, const atomic_bool *cancel, sshx_output_fn cb,
              void *ctx, sshx_result *res);

/* Check that an idle session (e.g. one kept in a pool) still works before
 * giving it new work: whatever arrived while it was idle is processed (a
 * server that hung up is noticed at once), then a session channel is opened
 * and closed again, a round trip that starts no process on the host (unlike
 * a probe command, which costs a login shell and its rc files, as much as a
 * small job). Waits at most timeout_s seconds (5 when <= 0). Returns SSHX_OK,
 * or SSHX_PROTOCOL / SSHX_TIMEOUT with a message, after which the session
 * is marked unusable and should be closed (and a new one connected). Also
 * fails when several channels that the session closed earlier were never
 * closed by the server in return (a server in trouble; OpenSSH answers a
 * close at once): such a session would carry them along for good. */
int sshx_ping(sshx_session *s, int timeout_s);

/* Channels the session holds between calls: closed on our side, the
 * server's CLOSE still due (0 after a command that the server closed
 * before it returned, the usual case; a channel stays counted until its
 * CLOSE arrives, which a later call on the session takes in). It does not
 * grow with the number of commands run; for tests and diagnostics. */
size_t sshx_channels_held(const sshx_session *s);

/* Upload data to remote_path over SFTP, creating or truncating it, then set
 * its permission bits to mode (e.g. 0644; not subject to the remote umask). */
int sshx_upload(sshx_session *s, const char *remote_path, const void *data, size_t len, int mode);

/* File distribution: upload data to a fresh temporary name beside
 * remote_path, check its SHA-256 on the host (sha256sum) against the local
 * one, then rename it over remote_path (atomic on the host). On a mismatch
 * the temporary file is removed and SSHX_PROTOCOL is returned with both
 * digests in the message. sha256_hex (may be NULL; 65 bytes) receives the
 * verified digest. */
int sshx_upload_verified(sshx_session *s, const char *remote_path, const void *data, size_t len,
                         int mode, char *sha256_hex);

/* Remove a remote file over SFTP (not a directory). A missing file is not an
 * error. */
int sshx_remove(sshx_session *s, const char *remote_path);

/* SHA-256 (hex) of a remote file, computed by running sha256sum on the host;
 * out holds 65 bytes. */
int sshx_remote_sha256(sshx_session *s, const char *remote_path, char out[65]);

/* SHA-256 (hex) of local bytes; out holds 65 bytes. */
void sshx_sha256_hex(const void *data, size_t len, char out[65]);

/* Run a script: upload it over SFTP to a new file with an unguessable name
 * in the remote /tmp (created exclusively, mode 0700), run
 * `'sh' '/tmp/cairn-XXXX.sh' 'arg 1' 'it'\''s' ...` (the interpreter, the
 * path and every argument quoted with sshx_quote, so each arrives as one
 * literal word), then remove the file whatever the outcome. interpreter is
 * a program name looked up in the remote PATH ("sh" when NULL); take it from
 * an allow-list. Arguments and result as for sshx_exec; args may be NULL
 * when nargs is 0. When the script ran but its file could not be removed,
 * res holds the script's result and SSHX_PROTOCOL is returned. */
int sshx_run_script(sshx_session *s, const char *interpreter, const char *script, size_t script_len,
                    const char *const *args, size_t nargs, int timeout_s, size_t max_output,
                    const atomic_bool *cancel, sshx_output_fn cb, void *ctx, sshx_result *res);

/* Quote one argument for a POSIX shell ('…' with embedded ' as '\''), into a
 * malloc'd string the caller frees. NULL when arg is NULL or out of memory. */
char *sshx_quote(const char *arg);

/* Free what a result holds and zero it. NULL is allowed. */
void sshx_result_free(sshx_result *r);

/* Disconnect and free. NULL is allowed. */
void sshx_close(sshx_session *s);

/* Initialise libssh (and libsodium, for hashing and random names) once per
 * process, before threads. Returns 0 or -1. */
int sshx_global_init(void);

/* Release libssh's global state (at exit, after every session is closed). */
void sshx_global_cleanup(void);

#endif
