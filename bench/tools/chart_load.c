/* chart_load.c -- timed GETs for bench/chart.sh.
 *
 *   chart_load URL TOKEN PATHS_FILE REQUESTS CONNS
 *
 * Sends REQUESTS GETs with "Authorization: Bearer TOKEN", taking the paths
 * of PATHS_FILE (one per line) in turn, over CONNS keep-alive connections
 * (1 = one request at a time: latency = server time + loopback). Every
 * answer must be 200. Prints
 *   RESULT n=… non200=… errors=… p50_ms p90_ms p99_ms max_ms mean_ms bytes=… (mean body) rps=…
 */
#include "httpc.h"

static char host_hdr[96];

typedef struct {
    const char *token;
    char **paths;
    long npaths, total, next, non200;
    double bytes;
    hc_lat lat;
} ctx;

static int make(void *u, hc_conn *c)
{
    ctx *x = u;
    if (x->next >= x->total)
        return 1;
    const char *path = x->paths[x->next % x->npaths];
    x->next++;
    int n = snprintf(c->reqbuf, c->reqcap, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", path,
                     host_hdr, x->token);
    if (n >= (int)c->reqcap)
        hc_die("request too long");
    c->req = c->reqbuf;
    c->req_len = (size_t)n;
    return 0;
}

static void done(void *u, hc_conn *c, int status, const char *body, size_t len, double lat)
{
    (void)c;
    ctx *x = u;
    if (status != 200) {
        if (x->non200++ < 3)
            fprintf(stderr, "chart_load: %d %.300s\n", status, body);
        return;
    }
    x->bytes += (double)len;
    hc_lat_add(&x->lat, lat);
}

int main(int argc, char **argv)
{
    if (argc != 6)
        hc_die("usage: chart_load URL TOKEN PATHS_FILE REQUESTS CONNS");
    struct sockaddr_in sa;
    if (hc_parse_url(argv[1], &sa, host_hdr, sizeof host_hdr) < 0)
        hc_die("bad URL %s", argv[1]);
    static ctx x;
    x.token = argv[2];
    x.total = atol(argv[4]);
    FILE *f = fopen(argv[3], "r");
    if (!f)
        hc_die("cannot read %s", argv[3]);
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        x.paths = realloc(x.paths, (size_t)(x.npaths + 1) * sizeof *x.paths);
        x.paths[x.npaths++] = strdup(line);
    }
    fclose(f);
    if (!x.npaths)
        hc_die("%s: no paths", argv[3]);
    hc_pool p;
    hc_init(&p, &sa, atoi(argv[5]), 4096);
    double t0 = hc_now();
    hc_run(&p, make, done, &x, 0);
    double secs = hc_now() - t0, sum = 0;
    for (size_t i = 0; i < x.lat.n; i++)
        sum += x.lat.v[i];
    size_t n = x.lat.n;
    printf("RESULT n=%zu non200=%ld errors=%ld p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f "
           "bytes=%.0f rps=%.1f\n",
           n, x.non200, p.errors + p.timeouts, hc_pct(&x.lat, 50) * 1e3, hc_pct(&x.lat, 90) * 1e3,
           hc_pct(&x.lat, 99) * 1e3, hc_pct(&x.lat, 100) * 1e3, n ? sum / (double)n * 1e3 : 0,
           n ? x.bytes / (double)n : 0, (double)n / secs);
    return x.non200 || p.errors ? 1 : 0;
}
