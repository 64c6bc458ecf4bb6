/* sshx.c -- SSH sessions to managed hosts: connect, check the host key,
 * authenticate, close (libssh).
 *
 * How: one libssh session per sshx_session, in blocking mode with
 * SSH_OPTIONS_TIMEOUT bounding every wait of the handshake and
 * authentication. No OpenSSH configuration, known_hosts file or agent is
 * consulted; algorithms are fixed here (curve25519 key exchange first,
 * ed25519 host keys first) so the cost per host is low and the host key shown
 * for a host is always of the same type. The host key is checked against the
 * caller's recorded fingerprint before any credential is sent. Credentials:
 * the private key (text, decoded in memory) first, then the password, then
 * keyboard-interactive answered with the password when the server offers only
 * that. Commands live in sshx_exec.c, SFTP and scripts in sshx_sftp.c.
 */
#include "exec/sshx_int.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Key exchange: curve25519 first (DESIGN.md §7: sntrup761 costs ~8x the
 * client CPU), then the NIST curves and large DH groups for older servers. */
static const char KEX_ORDER[] =
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
    "diffie-hellman-group14-sha256";
/* Host key types in a fixed order: the recorded fingerprint stays the same
 * for a host that has several keys. */
static const char HOSTKEY_ORDER[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,"
    "rsa-sha2-256";

void sshx_set_error(sshx_session *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

int64_t sshx_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sshx_global_init(void)
{
    if (sodium_init() < 0)
        return -1;
    return ssh_init() == SSH_OK ? 0 : -1;
}

void sshx_global_cleanup(void)
{
    ssh_finalize();
}

const char *sshx_fingerprint(const sshx_session *s)
{
    return s ? s->fp : "";
}

const char *sshx_error(const sshx_session *s)
{
    return s ? s->err : "out of memory";
}

/* True when two "SHA256:…" strings name the same digest; trailing base64
 * padding ('=') on either side is ignored. */
static bool fingerprint_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 0 && a[la - 1] == '=')
        la--;
    while (lb > 0 && b[lb - 1] == '=')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

/* Read the server key's fingerprint into s->fp and compare it with the one on
 * record. Returns SSHX_OK, SSHX_HOSTKEY_CHANGED or SSHX_PROTOCOL. */
static int check_host_key(sshx_session *s, const char *known)
{
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *fp = NULL;
    int rc = SSHX_PROTOCOL;

    if (ssh_get_server_publickey(s->ssh, &key) != SSH_OK) {
        sshx_set_error(s, "%s:%d: no host key from the server: %s", s->host, s->port,
                       ssh_get_error(s->ssh));
        goto out;
    }
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0) {
        sshx_set_error(s, "%s:%d: cannot hash the host key", s->host, s->port);
        goto out;
    }
    fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    if (fp == NULL || strlen(fp) >= sizeof s->fp) {
        sshx_set_error(s, "%s:%d: cannot format the host key fingerprint", s->host, s->port);
        goto out;
    }
    snprintf(s->fp, sizeof s->fp, "%s", fp);
    if (known != NULL && known[0] != '\0' && !fingerprint_equal(known, s->fp)) {
        sshx_set_error(s,
                       "%s:%d: HOST KEY CHANGED: the key on record is %s but the server "
                       "presented %s (%s); refusing to connect (if the host was reinstalled, "
                       "clear its recorded key)",
                       s->host, s->port, known, s->fp, ssh_key_type_to_char(ssh_key_type(key)));
        rc = SSHX_HOSTKEY_CHANGED;
        goto out;
    }
    rc = SSHX_OK;
out:
    if (fp != NULL)
        ssh_string_free_char(fp);
    if (hash != NULL)
        ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    return rc;
}

/* Keyboard-interactive, answering every hidden prompt with the password and
 * visible ones with "". Returns a SSH_AUTH_* code. */
static int auth_kbdint(sshx_session *s, const char *password)
{
    int rc = ssh_userauth_kbdint(s->ssh, NULL, NULL);
    for (int round = 0; rc == SSH_AUTH_INFO && round < 8; round++) {
        int n = ssh_userauth_kbdint_getnprompts(s->ssh);
        for (int i = 0; i < n; i++) {
            char echo = 0;
            if (ssh_userauth_kbdint_getprompt(s->ssh, (unsigned)i, &echo) == NULL)
                return SSH_AUTH_ERROR;
            if (ssh_userauth_kbdint_setanswer(s->ssh, (unsigned)i, echo ? "" : password) < 0)
                return SSH_AUTH_ERROR;
        }
        rc = ssh_userauth_kbdint(s->ssh, NULL, NULL);
    }
    return rc == SSH_AUTH_INFO ? SSH_AUTH_DENIED : rc;
}

/* Authenticate with what the target holds. Returns SSHX_OK, SSHX_AUTH or
 * SSHX_PROTOCOL (connection failure during authentication). */
static int authenticate(sshx_session *s, const sshx_target *t)
{
    int rc = SSH_AUTH_DENIED;
    char keynote[160] = "";
    bool have_key = t->private_key != NULL && t->private_key[0] != '\0';
    bool have_pw = t->password != NULL;

    if (!have_key && !have_pw) {
        sshx_set_error(s, "%s@%s:%d: no credential (neither a private key nor a password)",
                       t->user, s->host, s->port);
        return SSHX_AUTH;
    }
    if (have_key) {
        ssh_key pk = NULL;
        if (ssh_pki_import_privkey_base64(t->private_key, t->passphrase, NULL, NULL, &pk) !=
            SSH_OK) {
            snprintf(keynote, sizeof keynote, "%s",
                     t->passphrase != NULL && t->passphrase[0] != '\0'
                         ? "the private key could not be decrypted (wrong passphrase?) or read"
                         : "the private key could not be read (not a PEM/OpenSSH private key, "
                           "or it needs a passphrase)");
        } else {
            rc = ssh_userauth_publickey(s->ssh, NULL, pk);
            ssh_key_free(pk);
            if (rc == SSH_AUTH_DENIED)
                snprintf(keynote, sizeof keynote, "the server refused the key");
            else if (rc == SSH_AUTH_PARTIAL)
                snprintf(keynote, sizeof keynote, "the key was accepted, more is required");
        }
    }
    if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && have_pw) {
        rc = ssh_userauth_password(s->ssh, NULL, t->password);
        if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
            int methods = ssh_userauth_list(s->ssh, NULL);
            if ((methods & SSH_AUTH_METHOD_INTERACTIVE) && !(methods & SSH_AUTH_METHOD_PASSWORD))
                rc = auth_kbdint(s, t->password);
        }
    }
    switch (rc) {
    case SSH_AUTH_SUCCESS:
        return SSHX_OK;
    case SSH_AUTH_ERROR:
        sshx_set_error(s, "%s@%s:%d: authentication failed: %s", t->user, s->host, s->port,
                       ssh_get_error(s->ssh));
        return ssh_is_connected(s->ssh) ? SSHX_AUTH : SSHX_PROTOCOL;
    case SSH_AUTH_PARTIAL:
        sshx_set_error(s, "%s@%s:%d: the server wants a further authentication method",
                       t->user, s->host, s->port);
        return SSHX_AUTH;
    default:
        sshx_set_error(s, "%s@%s:%d: authentication refused (%s%s%s)", t->user, s->host, s->port,
                       keynote[0] ? keynote : "", keynote[0] && have_pw ? "; " : "",
                       have_pw ? "the password was refused" : "");
        return SSHX_AUTH;
    }
}

/* Apply the fixed options. Returns 0 or -1 (message set). */
static int set_options(sshx_session *s, const sshx_target *t, long timeout_s)
{
    bool no = false;
    int one = 1;
    unsigned int port = (unsigned int)s->port;

    if (ssh_options_set(s->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_HOST, t->host) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_PORT, &port) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_USER, t->user) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_TIMEOUT, &timeout_s) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_KEY_EXCHANGE, KEX_ORDER) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_HOSTKEYS, HOSTKEY_ORDER) < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_COMPRESSION, "no") < 0 ||
        ssh_options_set(s->ssh, SSH_OPTIONS_NODELAY, &one) < 0) {
        sshx_set_error(s, "%s:%d: bad SSH option: %s", s->host, s->port, ssh_get_error(s->ssh));
        return -1;
    }
    return 0;
}

int sshx_connect(const sshx_target *t, sshx_session **out)
{
    sshx_session *s;
    int rc = SSHX_LOCAL;

    if (out == NULL)
        return SSHX_LOCAL;
    s = calloc(1, sizeof *s);
    *out = s;
    if (s == NULL)
        return SSHX_LOCAL;
    if (t == NULL || t->host == NULL || t->host[0] == '\0' || t->user == NULL ||
        t->user[0] == '\0') {
        sshx_set_error(s, "no host or user given");
        goto out;
    }
    s->port = t->port != 0 ? t->port : SSHX_DEFAULT_PORT;
    snprintf(s->host, sizeof s->host, "%s", t->host);
    if (s->port < 1 || s->port > 65535 || strlen(t->host) >= sizeof s->host) {
        sshx_set_error(s, "%s:%d: bad host or port", s->host, s->port);
        goto out;
    }
    long timeout = t->connect_timeout_s > 0 ? t->connect_timeout_s : SSHX_DEFAULT_CONNECT_TIMEOUT;
    s->timeout_s = timeout;

    s->ssh = ssh_new();
    if (s->ssh == NULL) {
        sshx_set_error(s, "out of memory");
        goto out;
    }
    if (set_options(s, t, timeout) < 0)
        goto out;
    if (ssh_connect(s->ssh) != SSH_OK) {
        sshx_set_error(s, "%s:%d: cannot connect: %s", s->host, s->port, ssh_get_error(s->ssh));
        rc = SSHX_CONNECT;
        goto out;
    }
    rc = check_host_key(s, t->known_fingerprint);
    if (rc != SSHX_OK)
        goto out;
    rc = authenticate(s, t);
    if (rc != SSHX_OK)
        goto out;
    s->ready = true;
    s->err[0] = '\0';
out:
    if (rc != SSHX_OK && s->ssh != NULL) {
        /* Nothing more goes to this server (nor any credential after a key
         * mismatch): hang up now, keep the struct for the message. */
        if (ssh_is_connected(s->ssh))
            ssh_disconnect(s->ssh);
        ssh_free(s->ssh);
        s->ssh = NULL;
    }
    return rc;
}

void sshx_close(sshx_session *s)
{
    if (s == NULL)
        return;
    if (s->sftp != NULL)
        sftp_free(s->sftp);
    sshx_drop_channels(s);
    if (s->ssh != NULL) {
        if (ssh_is_connected(s->ssh))
            ssh_disconnect(s->ssh);
        ssh_free(s->ssh);
    }
    free(s);
}
