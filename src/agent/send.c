/* send.c -- see send.h. libcurl easy interface, zlib deflate with a gzip
 * header, xorshift64* for the jitter, and an mbed TLS verify callback for
 * servers given by IP address. */
#include "agent/send.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "agent/procfile.h"

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif

static bool global_done;

int ag_http_global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    global_done = true;
    return 0;
}

void ag_http_global_cleanup(void)
{
    if (global_done)
        curl_global_cleanup();
    global_done = false;
}

int ag_url_host_port(const char *url, char *host, size_t hcap, char *port, size_t pcap)
{
    CURLU *u = curl_url();
    char *h = NULL, *p = NULL;
    int rc = -1;
    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    /* IPv6 literals come back bracketed; getaddrinfo wants them bare. */
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        pf_copy(host, hcap, h + 1);
    } else {
        pf_copy(host, hcap, h);
    }
    pf_copy(port, pcap, p);
    rc = 0;
out:
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

/* The system's CA bundle. libcurl is built with Debian's path; on hosts of
 * other families (RHEL, SUSE, Alpine…) the first bundle that exists of the
 * usual places is used instead, so a copied binary still verifies. Returns
 * "" (libcurl's built-in default) when none exists. */
static const char *default_ca_file(void)
{
    static const char *const bundles[] = {
        "/etc/ssl/certs/ca-certificates.crt", /* Debian, Ubuntu, Alpine, Arch */
        "/etc/pki/tls/certs/ca-bundle.crt",   /* RHEL, Fedora, CentOS */
        "/etc/ssl/ca-bundle.pem",             /* SUSE */
        "/etc/ssl/cert.pem",                  /* others */
    };
    for (size_t i = 0; i < sizeof bundles / sizeof bundles[0]; i++)
        if (access(bundles[i], R_OK) == 0)
            return i == 0 ? "" : bundles[i];
    return "";
}

int ag_http_init(ag_http *h, const char *server, const char *ca_file, char *err, size_t errcap)
{
    memset(h, 0, sizeof *h);
    h->timeout_s = 30;
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) {
        snprintf(err, errcap, "server must be an http:// or https:// URL");
        return -1;
    }
    size_t n = strlen(server);
    while (n && server[n - 1] == '/')
        n--;
    if (n >= sizeof h->base) {
        snprintf(err, errcap, "server URL too long");
        return -1;
    }
    memcpy(h->base, server, n);
    h->base[n] = '\0';
    if (ca_file)
        pf_copy(h->ca_file, sizeof h->ca_file, ca_file);
    else
        pf_copy(h->ca_file, sizeof h->ca_file, default_ca_file());
    char host[256], port[16];
    if (ag_url_host_port(h->base, host, sizeof host, port, sizeof port) == 0) {
        if (inet_pton(AF_INET, host, h->ip) == 1)
            h->ip_len = 4;
        else if (inet_pton(AF_INET6, host, h->ip) == 1)
            h->ip_len = 16;
    }
    h->curl = curl_easy_init();
    if (!h->curl) {
        snprintf(err, errcap, "curl_easy_init failed");
        return -1;
    }
    return 0;
}

void ag_http_free(ag_http *h)
{
    if (h->curl)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    ag_http_resp *r = arg;
    size_t n = size * nmemb, room = sizeof r->body - 1 - r->len;
    size_t take = n < room ? n : room;
    memcpy(r->body + r->len, data, take);
    r->len += take;
    r->body[r->len] = '\0';
    return n; /* the rest is dropped, not an error */
}

/* mbed TLS 2.28 checks the peer's name against dNSName entries and the CN
 * only, so a server reached by IP address fails with CN_MISMATCH even when
 * its certificate names that address. Called for each certificate of the
 * verified chain: on the server's own (depth 0), clear CN_MISMATCH when an
 * iPAddress entry of its subjectAltName equals the address of the URL
 * (RFC 6125: an IP is matched against iPAddress entries only). Every other
 * flag (untrusted, expired…) is left alone, so the handshake still fails on
 * them. Always returns 0 (flags carry the verdict). */
static int verify_ip_san(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const ag_http *h = arg;
    if (depth != 0 || !h->ip_len || !(*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH))
        return 0;
    for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
            s->buf.len == h->ip_len && memcmp(s->buf.p, h->ip, h->ip_len) == 0) {
            *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            break;
        }
    }
    return 0;
}

/* CURLOPT_SSL_CTX_FUNCTION: curl hands over its mbedtls_ssl_config before
 * the handshake; install verify_ip_san on it. */
static CURLcode on_ssl_ctx(CURL *c, void *ssl_ctx, void *arg)
{
    (void)c;
    mbedtls_ssl_conf_verify(ssl_ctx, verify_ip_san, arg);
    return CURLE_OK;
}

int ag_gzip(const void *in, size_t n, unsigned char **out, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    *out = NULL;
    *outlen = 0;
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    int rc = -1;
    size_t bound = deflateBound(&zs, (uLong)n) + 32;
    unsigned char *buf = malloc(bound);
    if (!buf)
        goto done;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        free(buf);
        goto done;
    }
    *out = buf;
    *outlen = zs.total_out;
    rc = 0;
done:
    deflateEnd(&zs);
    return rc;
}

long ag_http_post(ag_http *h, const char *path, const char *bearer, const char *body, size_t len,
                  bool gzip, ag_http_resp *resp)
{
    CURL *c = h->curl;
    struct curl_slist *hdrs = NULL, *t;
    unsigned char *z = NULL;
    size_t zlen = 0;
    char url[1024], auth[320];
    memset(resp, 0, sizeof *resp);
    if (snprintf(url, sizeof url, "%s%s", h->base, path) >= (int)sizeof url) {
        snprintf(resp->error, sizeof resp->error, "URL too long");
        return 0;
    }
    if (gzip) {
        if (ag_gzip(body, len, &z, &zlen) != 0) {
            snprintf(resp->error, sizeof resp->error, "gzip failed");
            goto done;
        }
        body = (const char *)z;
        len = zlen;
    }
    const char *lines[4] = {"Content-Type: application/json", "Expect:",
                            gzip ? "Content-Encoding: gzip" : NULL, NULL};
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        lines[3] = auth;
    }
    for (size_t i = 0; i < 4; i++) {
        if (!lines[i])
            continue;
        if (!(t = curl_slist_append(hdrs, lines[i]))) {
            snprintf(resp->error, sizeof resp->error, "out of memory");
            goto done;
        }
        hdrs = t;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
    if (h->ip_len) {
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h);
    }
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cairn-agent/" CAIRN_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        snprintf(resp->error, sizeof resp->error, "%s", curl_easy_strerror(rc));
        goto done;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
#if LIBCURL_VERSION_NUM >= 0x074200
    curl_off_t ra = 0;
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
        resp->retry_after = ra > 3600 ? 3600 : (long)ra;
#endif
done:
    curl_slist_free_all(hdrs);
    free(z);
    return resp->status;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

double ag_backoff(int failures, uint64_t *rng)
{
    if (failures < 1)
        failures = 1;
    double d = failures > 20 ? 300.0 : (double)(1UL << (failures - 1));
    if (d > 300.0)
        d = 300.0;
    double u = (double)(xorshift(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    return d * (0.8 + 0.4 * u);
}

uint64_t ag_rng_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s || s == 0)
        s = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ 0x5deece66dULL;
    return s;
}

int ag_report_answer(const char *body, long *accepted, long *skipped, int *interval)
{
    json_error_t err;
    json_t *j = json_loads(body, 0, &err);
    *accepted = *skipped = -1;
    *interval = 0;
    if (!json_is_object(j)) {
        json_decref(j);
        return -1;
    }
    json_t *v;
    if (json_is_integer(v = json_object_get(j, "accepted")))
        *accepted = (long)json_integer_value(v);
    if (json_is_integer(v = json_object_get(j, "skipped")))
        *skipped = (long)json_integer_value(v);
    if (json_is_integer(v = json_object_get(j, "interval")) && json_integer_value(v) > 0 &&
        json_integer_value(v) <= 86400)
        *interval = (int)json_integer_value(v);
    json_decref(j);
    return 0;
}
