/* cli_http.c -- one GET to cairnd with the API token (libcurl easy API).
 *
 * How: http and https only, no redirects followed (a token is never sent to
 * another place), TLS verified by libcurl's defaults, 10 s to connect and
 * 120 s in all, the body collected into an sbuf with a size cap.
 */
#include "cli/cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#define BODY_MAX (256u << 20)

#ifndef CAIRN_VERSION
#define CAIRN_VERSION "0.0.0"
#endif

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
    sbuf *b = p;
    size_t len = size * n;
    if (b->len + len > BODY_MAX || sbuf_append(b, data, len) != 0)
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    return len;
}

long cli_get(const cli_conf *c, const char *path, sbuf *body, char *err, size_t cap)
{
    char url[CLI_URL_MAX + 2048], auth[CLI_TOKEN_MAX + 32];
    struct curl_slist *hdr = NULL;
    long status = -1;
    CURL *h = NULL;
    sbuf_init(body);
    if (snprintf(url, sizeof url, "%s%s", c->url, path) >= (int)sizeof url) {
        snprintf(err, cap, "URL too long");
        return -1;
    }
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->token);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = curl_easy_init())) {
        snprintf(err, cap, "cannot start libcurl");
        goto done;
    }
    struct curl_slist *t = curl_slist_append(hdr, auth);
    if (t)
        hdr = t;
    t = t ? curl_slist_append(hdr, "Accept: application/json") : NULL;
    if (!t) {
        snprintf(err, cap, "out of memory");
        goto done;
    }
    hdr = t;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "cairn/" CAIRN_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        snprintf(err, cap, "%s: %s", c->url,
                 rc == CURLE_WRITE_ERROR ? "the answer is too large or memory ran out" : curl_easy_strerror(rc));
        goto done;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
done:
    memset(auth, 0, sizeof auth);
    curl_slist_free_all(hdr);
    if (h)
        curl_easy_cleanup(h);
    curl_global_cleanup();
    if (status < 0)
        sbuf_free(body);
    return status;
}
