/* ansible_keys.c -- host keys for Ansible runs: Cairn's pinned keys, enforced
 * by OpenSSH.
 *
 * Cairn keeps one SHA-256 fingerprint per host (host_keys, trust on first
 * use, as the SSH runner does). A fingerprint alone cannot be written into a
 * known_hosts file, and switching host key checking off would hand every
 * password to whoever answers on the host's address. So before Ansible
 * starts, each host gets an SSH handshake (libssh, no credential sent) with
 * the same key-type order as src/exec/sshx.c: its public key is hashed and
 * compared with the pinned fingerprint. A host whose key matches (or that has
 * none pinned yet) gets a known_hosts line with its full public key under the
 * alias cairn-host-<id>, and its ssh command line binds it to that alias and
 * key type (HostKeyAlias, HostKeyAlgorithms) with StrictHostKeyChecking=yes:
 * if the host shows another key to ssh a moment later, ssh refuses it. A
 * host whose key changed is left out of the run (unreachable, the new key
 * waits for an admin's approval, as for SSH jobs).
 *
 * Handshakes run on up to SCAN_THREADS short-lived threads; each uses its own
 * libssh session (libssh is initialised once by cairnd).
 */
#include "jobs/ansible_int.h"

#include <libssh/libssh.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_THREADS 8
#define SCAN_TIMEOUT_S 10L

/* The orders of src/exec/sshx.c, so the fingerprint of a host is the same
 * whichever part of Cairn met it first. */
static const char KEX_ORDER[] =
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,"
    "diffie-hellman-group14-sha256";
static const char HOSTKEY_ORDER[] =
    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,rsa-sha2-512,"
    "rsa-sha2-256";

typedef struct {
    ans_run *run;
    atomic_size_t next;
} scan_ctx;

/* Same digest, ignoring trailing base64 padding. */
static bool fp_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    while (la > 0 && a[la - 1] == '=')
        la--;
    while (lb > 0 && b[lb - 1] == '=')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

/* Handshake with h and fill its key fields. */
static void scan_one(ans_host *h)
{
    ssh_session s = ssh_new();
    ssh_key key = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *fp = NULL, *b64 = NULL;
    bool no = false;
    long timeout = SCAN_TIMEOUT_S;
    unsigned int port = (unsigned int)h->port;
    h->scan_rc = SSHX_CONNECT;
    if (!s) {
        snprintf(h->last_error, sizeof h->last_error, "out of memory");
        return;
    }
    if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 || ssh_options_set(s, SSH_OPTIONS_HOST, h->ip) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_PORT, &port) < 0 || ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") < 0 ||
        ssh_options_set(s, SSH_OPTIONS_KEY_EXCHANGE, KEX_ORDER) < 0 ||
        ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, HOSTKEY_ORDER) < 0) {
        snprintf(h->last_error, sizeof h->last_error, "%s:%d: bad SSH option: %s", h->ip, h->port, ssh_get_error(s));
        goto out;
    }
    if (ssh_connect(s) != SSH_OK) {
        snprintf(h->last_error, sizeof h->last_error, "%s:%d: cannot connect: %s", h->ip, h->port, ssh_get_error(s));
        goto out;
    }
    if (ssh_get_server_publickey(s, &key) != SSH_OK ||
        ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != 0 ||
        !(fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen)) ||
        ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK || strlen(fp) >= sizeof h->fp) {
        snprintf(h->last_error, sizeof h->last_error, "%s:%d: cannot read the host key", h->ip, h->port);
        goto out;
    }
    snprintf(h->fp, sizeof h->fp, "%s", fp);
    snprintf(h->key_type, sizeof h->key_type, "%s", ssh_key_type_to_char(ssh_key_type(key)));
    h->key_b64 = strdup(b64);
    if (!h->key_b64) {
        snprintf(h->last_error, sizeof h->last_error, "out of memory");
        goto out;
    }
    if (h->known_fp[0] && !fp_equal(h->known_fp, h->fp)) {
        snprintf(h->last_error, sizeof h->last_error,
                 "%s:%d: HOST KEY CHANGED: the key on record is %s but the server presented %s (%s); not "
                 "running Ansible on it (if the host was reinstalled, accept its new key in Assets)",
                 h->ip, h->port, h->known_fp, h->fp, h->key_type);
        h->scan_rc = SSHX_HOSTKEY_CHANGED;
        goto out;
    }
    h->scan_rc = SSHX_OK;
out:
    if (b64)
        ssh_string_free_char(b64);
    if (fp)
        ssh_string_free_char(fp);
    if (hash)
        ssh_clean_pubkey_hash(&hash);
    ssh_key_free(key);
    if (s) {
        if (ssh_is_connected(s))
            ssh_disconnect(s);
        ssh_free(s);
    }
}

static void *scan_worker(void *p)
{
    scan_ctx *sc = p;
    for (;;) {
        size_t i = atomic_fetch_add(&sc->next, 1);
        if (i >= sc->run->nhosts)
            break;
        ans_host *h = &sc->run->hosts[i];
        if (h->excluded)
            continue;
        if (sc->run->job->cancel) {
            h->scan_rc = SSHX_CANCELLED;
            continue;
        }
        scan_one(h);
    }
    return NULL;
}

void ans_keys_scan(ans_run *run)
{
    scan_ctx sc = {.run = run};
    pthread_t tid[SCAN_THREADS];
    int started = 0;
    atomic_init(&sc.next, 0);
    for (int i = 0; i < SCAN_THREADS && (size_t)i < run->nhosts; i++)
        if (pthread_create(&tid[i], NULL, scan_worker, &sc) == 0)
            started++;
    if (started == 0)
        scan_worker(&sc); /* no thread could start: scan here, one by one */
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

char *ans_keys_known_hosts(const ans_run *run)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "");
    for (size_t i = 0; i < run->nhosts; i++) {
        const ans_host *h = &run->hosts[i];
        if (!h->excluded && h->scan_rc == SSHX_OK && h->key_b64)
            sbuf_printf(&b, "cairn-host-%lld %s %s\n", (long long)h->id, h->key_type, h->key_b64);
    }
    if (sbuf_failed(&b)) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_steal(&b);
}

void ans_keys_ssh_args(const ans_host *h, char *out, size_t cap)
{
    /* An RSA key is named ssh-rsa in known_hosts but signs with SHA-2 only. */
    const char *algs = strcmp(h->key_type, "ssh-rsa") == 0 ? "rsa-sha2-512,rsa-sha2-256" : h->key_type;
    snprintf(out, cap, "-o HostKeyAlias=cairn-host-%lld -o HostKeyAlgorithms=%s", (long long)h->id, algs);
}
