/* secret.h -- passwords, random tokens and hashing (libsodium).
 *
 * Passwords are hashed with argon2id at libsodium's INTERACTIVE limits
 * (about 90 ms and 64 MiB on the reference machine): call these from worker
 * threads, never from the HTTP polling threads. Session cookies and API
 * tokens are 256-bit random values; only their SHA-256 is stored, since a
 * high-entropy token needs no slow hash.
 */
#ifndef CAIRN_SECRET_H
#define CAIRN_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define SECRET_HASH_MAX 128   /* room for an argon2id encoded string */
#define SECRET_HEX_MAX 65     /* 32 bytes as hex + NUL */

/* Initialise libsodium. Returns 0, or -1 when it cannot start. */
int secret_init(void);

/* Hash a password into out (SECRET_HASH_MAX bytes). Returns 0 or -1 (out of
 * memory). */
int secret_password_hash(const char *password, char out[SECRET_HASH_MAX]);

/* True when password matches the stored argon2id hash. */
bool secret_password_verify(const char *hash, const char *password);

/* Fill out with 2*nbytes hex digits of fresh randomness and a NUL; out must
 * hold 2*nbytes+1 bytes. */
void secret_random_hex(char *out, size_t nbytes);

/* A readable random password of `len` characters (no look-alike letters);
 * out holds len+1 bytes. */
void secret_random_password(char *out, size_t len);

/* SHA-256 of s as 64 hex digits + NUL. */
void secret_sha256_hex(const char *s, char out[SECRET_HEX_MAX]);

/* Constant-time comparison of two NUL-terminated strings. */
bool secret_equal(const char *a, const char *b);

#endif
