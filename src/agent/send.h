/* send.h -- HTTP(S) to cairnd with libcurl, gzip bodies, retry backoff.
 *
 * One curl easy handle is kept for the life of the agent so the TLS
 * connection is reused between reports. TLS peer and host verification are
 * always on (a private CA is given with ca_file); only http and https are
 * allowed, redirects are not followed (a redirect would carry the host
 * token elsewhere), and every transfer has connect and total timeouts.
 *
 * The agent links its own libcurl with mbed TLS 2.28 (see
 * scripts/build-curl.sh), whose host check knows only DNS names and the CN:
 * for a server given by IP address, send.c also accepts a certificate whose
 * subjectAltName lists that address (iPAddress), as OpenSSL would.
 */
#ifndef CAIRN_AGENT_SEND_H
#define CAIRN_AGENT_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    void *curl;     /* CURL *, owned */
    char base[512]; /* server URL without a trailing '/' */
    char ca_file[512];
    long timeout_s;
    unsigned char ip[16]; /* the server's address when the URL names one */
    size_t ip_len;        /* 4 or 16, or 0 for a host name */
} ag_http;

typedef struct {
    long status;      /* HTTP status, or 0 when the transfer failed */
    char body[4096];  /* the answer, cut to fit, NUL-terminated */
    size_t len;
    long retry_after; /* seconds from Retry-After, or 0 */
    char error[256];  /* curl's message when status is 0 */
} ag_http_resp;

/* Call once at start (curl_global_init). 0 or -1. */
int ag_http_global_init(void);

/* Undo ag_http_global_init (no-op when it was not called). */
void ag_http_global_cleanup(void);

/* Prepare a client for server ("https://cairn.example.com[:port][/prefix]").
 * ca_file (copied) is the PEM bundle to trust, or NULL for the system's
 * (Debian's path, else the first of the usual places that exists).
 * Returns 0, or -1 with a reason in err (bad URL scheme, no memory). */
int ag_http_init(ag_http *h, const char *server, const char *ca_file, char *err, size_t errcap);

/* POST body (len bytes of JSON) to base + path, gzip-compressed when gzip is
 * true, with "Authorization: Bearer <bearer>" when bearer is not NULL.
 * Fills *resp. Returns the HTTP status, or 0 on a transport error (DNS,
 * connect, TLS, timeout). Blocks for at most the timeouts. */
long ag_http_post(ag_http *h, const char *path, const char *bearer, const char *body, size_t len,
                  bool gzip, ag_http_resp *resp);

/* Release the handle. Safe on a zeroed struct. */
void ag_http_free(ag_http *h);

/* gzip (RFC 1952) n bytes of in into a new malloc'd *out of *outlen bytes
 * (the caller frees it). 0, or -1 (nothing to free) when memory ran out. */
int ag_gzip(const void *in, size_t n, unsigned char **out, size_t *outlen);

/* Host and port of a server URL (for the management IP). 0, or -1. */
int ag_url_host_port(const char *url, char *host, size_t hcap, char *port, size_t pcap);

/* Parse cairnd's answer to a report, {"accepted": N, "skipped": N,
 * "interval": S}: fields that are missing come back as -1 (counts) and 0
 * (interval, also 0 when outside 1..86400). 0, or -1 when body is not a
 * JSON object. */
int ag_report_answer(const char *body, long *accepted, long *skipped, int *interval);

/* Retry delay in seconds after `failures` consecutive failures (>= 1):
 * 1, 2, 4 … capped at 300, each times a uniform factor in [0.8, 1.2].
 * rng is the caller's generator state (any non-zero seed). */
double ag_backoff(int failures, uint64_t *rng);

/* A seed for ag_backoff from getrandom(2), falling back to time and pid. */
uint64_t ag_rng_seed(void);

#endif
