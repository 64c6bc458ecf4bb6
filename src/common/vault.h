/* vault.h -- secrets at rest: libsodium secretbox with a key file.
 *
 * The key is 32 random bytes in <data>/secret.key (mode 0600), created at
 * first start. A sealed value is text: "v1:" + base64(nonce || ciphertext),
 * so it fits a TEXT column on both databases. Losing the key file loses the
 * secrets (credentials must then be entered again); back it up with the
 * database. Plain values never leave this module except to the code that
 * uses them (SSH), never to the API, logs or audit log.
 */
#ifndef CAIRN_VAULT_H
#define CAIRN_VAULT_H

#include <stddef.h>

/* Load the key from path, creating it (0600) when missing. Returns 0, or -1
 * with a message in err. Call once at start-up, before any thread uses the
 * vault. */
int vault_init(const char *path, char *err, size_t errlen);

/* Seal plain (len bytes). Returns a malloc'd NUL-terminated string, or NULL
 * when out of memory or the vault is not initialised. */
char *vault_seal(const char *plain, size_t len);

/* Open a sealed string. Returns malloc'd plain text (NUL-terminated, *len
 * set when len is not NULL), or NULL when the value is corrupt, sealed with
 * another key, or memory ran out. The caller should sodium_memzero it. */
char *vault_open(const char *sealed, size_t *len);

/* Wipe and free a plain value from vault_open(). NULL is allowed. */
void vault_free_plain(char *plain, size_t len);

#endif
