/* secret.c -- see secret.h. */
#include "common/secret.h"

#include <sodium.h>
#include <string.h>

int secret_init(void) { return sodium_init() < 0 ? -1 : 0; }

int secret_password_hash(const char *password, char out[SECRET_HASH_MAX])
{
    _Static_assert(crypto_pwhash_STRBYTES <= SECRET_HASH_MAX, "hash buffer too small");
    return crypto_pwhash_str_alg(out, password, strlen(password),
                                 crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE,
                                 crypto_pwhash_ALG_ARGON2ID13) == 0 ? 0 : -1;
}

bool secret_password_verify(const char *hash, const char *password)
{
    if (!hash || !password || strncmp(hash, "$argon2id$", 10) != 0)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void secret_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof buf)
        nbytes = sizeof buf;
    randombytes_buf(buf, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, buf, nbytes);
    sodium_memzero(buf, sizeof buf);
}

void secret_random_password(char *out, size_t len)
{
    static const char alphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i < len; i++)
        out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    out[len] = '\0';
}

void secret_sha256_hex(const char *s, char out[SECRET_HEX_MAX])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
    sodium_bin2hex(out, SECRET_HEX_MAX, h, sizeof h);
}

bool secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
