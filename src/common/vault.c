/* vault.c -- see vault.h. */
#include "common/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned char vault_key[crypto_secretbox_KEYBYTES];
static bool vault_ready;

static int read_key(int fd, char *err, size_t errlen)
{
    ssize_t n = read(fd, vault_key, sizeof vault_key);
    if (n != (ssize_t)sizeof vault_key) {
        snprintf(err, errlen, "the secret key file is damaged (expected %zu bytes)", sizeof vault_key);
        return -1;
    }
    return 0;
}

int vault_init(const char *path, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat st;
        int rc = fstat(fd, &st) == 0 && (st.st_mode & 077) == 0 ? read_key(fd, err, errlen) : -1;
        if (rc < 0 && !err[0])
            snprintf(err, errlen, "%s must be readable by its owner only (chmod 600)", path);
        close(fd);
        vault_ready = rc == 0;
        return rc;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    crypto_secretbox_keygen(vault_key);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, vault_key, sizeof vault_key) != (ssize_t)sizeof vault_key ||
        fsync(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    vault_ready = true;
    return 0;
}

char *vault_seal(const char *plain, size_t len)
{
    if (!vault_ready || len > (1u << 24))
        return NULL;
    size_t blen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *box = malloc(blen);
    size_t outlen = 3 + sodium_base64_encoded_len(blen, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(outlen);
    if (!box || !out) {
        free(box);
        free(out);
        return NULL;
    }
    randombytes_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, len, box,
                          vault_key);
    memcpy(out, "v1:", 3);
    sodium_bin2base64(out + 3, outlen - 3, box, blen, sodium_base64_VARIANT_ORIGINAL);
    free(box);
    return out;
}

char *vault_open(const char *sealed, size_t *len)
{
    if (!vault_ready || !sealed || strncmp(sealed, "v1:", 3) != 0)
        return NULL;
    size_t slen = strlen(sealed + 3), blen = 0;
    unsigned char *box = malloc(slen);
    char *plain = NULL;
    if (!box || sodium_base642bin(box, slen, sealed + 3, slen, NULL, &blen, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
        blen < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        goto done;
    size_t plen = blen - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    plain = malloc(plen + 1);
    if (!plain)
        goto done;
    if (crypto_secretbox_open_easy((unsigned char *)plain, box + crypto_secretbox_NONCEBYTES,
                                   blen - crypto_secretbox_NONCEBYTES, box, vault_key) != 0) {
        free(plain);
        plain = NULL;
        goto done;
    }
    plain[plen] = '\0';
    if (len)
        *len = plen;
done:
    free(box);
    return plain;
}

void vault_free_plain(char *plain, size_t len)
{
    if (!plain)
        return;
    sodium_memzero(plain, len);
    free(plain);
}
