/* metrics_api.h -- reading host metrics and the dashboard's figures.
 *
 *   GET /api/v1/metrics/{host_id}?series=host,fs:/,net:eth0&from=&to=&cf=AVERAGE|MAX
 *   GET /api/v1/metrics?hosts=1,2,3&series=host&from=&to=&cf=
 *   GET /api/v1/metrics/{host_id}/series      the series a host has
 *   GET /api/v1/dashboard                     hosts up/down, counts, top hosts
 *
 * from/to are Unix seconds (default: the last hour); the resolution follows
 * the range (1 min up to 2 days, 5 min up to 14 days, then 1 h), so a chart
 * never fetches more than ~3,000 points per series. A chart that refreshes
 * asks only for what is new (from = its last point). Hosts outside the
 * caller's host groups are not found.
 */
#ifndef CAIRN_METRICS_API_H
#define CAIRN_METRICS_API_H

#include "http/http.h"

void metrics_host(http_req *r, http_resp *w);
void metrics_hosts(http_req *r, http_resp *w);
void metrics_series(http_req *r, http_resp *w);
void dashboard_get(http_req *r, http_resp *w);

#endif
