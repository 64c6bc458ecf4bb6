#!/usr/bin/python3
"""cairn_setup.py -- set up a running cairnd for the exec/ingest/chart benchmarks
through its own API (standard library only).

    cairn_setup.py token BASE ADMIN_PASSWORD OUT_FILE
        sign in as admin, create an API token ("Authorization: Bearer ..."),
        write it to OUT_FILE.
    cairn_setup.py exec-hosts BASE TOKEN_FILE N IP PORT KEY_FILE OUT_FILE
        create credential "bench-USER" (user $BENCH_USER, default root, the private key of
        KEY_FILE) and N hosts bench-exec-NNN at IP:PORT using it (one CSV
        import); write their ids, one per line, to OUT_FILE.
    cairn_setup.py job BASE TOKEN_FILE IDS_FILE COMMAND
        POST /api/v1/jobs {"hosts": ids, "command": COMMAND}; print the job id.
    cairn_setup.py check-job BASE TOKEN_FILE JOB_ID N PREFIX
        GET the job: exit 1 unless it succeeded on N hosts and every stdout
        starts with PREFIX; print created_at/started_at/finished_at.
    cairn_setup.py enroll-token BASE TOKEN_FILE
        print the site enrollment token.
"""
import json
import os
import sys
import urllib.error
import urllib.request
import http.cookiejar


def call(base, method, path, body=None, token=None, csrf=None, opener=None, ctype="application/json"):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if csrf:
        req.add_header("X-CSRF-Token", csrf)
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=300) as r:
            raw = r.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        sys.exit(f"cairn_setup: {method} {path} -> {e.code}: {e.read()[:500].decode(errors='replace')}")


def main():
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    cmd = a[0]
    if cmd == "token":
        base, pw, out = a[1:4]
        op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        me = call(base, "POST", "/api/v1/auth/login", {"username": "admin", "password": pw}, opener=op)
        tok = call(base, "POST", "/api/v1/tokens", {"name": "bench"}, csrf=me["csrf_token"], opener=op)["token"]
        with open(out, "w") as f:
            f.write(tok)
        return
    tok = open(a[2]).read().strip() if len(a) > 2 else None
    base = a[1]
    if cmd == "exec-hosts":
        n, ip, port, keyfile, out = int(a[3]), a[4], a[5], a[6], a[7]
        user = os.environ.get("BENCH_USER", "root")
        call(base, "POST", "/api/v1/credentials",
             {"name": f"bench-{user}", "username": user, "port": int(port), "private_key": open(keyfile).read()},
             token=tok)
        lines = ["hostname,ip,ssh_port,credential_id"] + [f"bench-exec-{i:03d},{ip},{port},bench-{user}"
                                                           for i in range(1, n + 1)]
        r = call(base, "POST", "/api/v1/hosts/import", ("\r\n".join(lines) + "\r\n").encode(), token=tok,
                 ctype="text/csv; charset=utf-8")
        if r.get("created") != n:
            sys.exit(f"cairn_setup: import created {r.get('created')} of {n}: {r}")
        ids = []
        page = 1
        while True:
            lst = call(base, "GET", f"/api/v1/hosts?q=bench-exec-&per_page=200&page={page}&sort=hostname", token=tok)
            ids += [h["id"] for h in lst["items"]]
            if len(ids) >= lst["total"] or not lst["items"]:
                break
            page += 1
        if len(ids) != n:
            sys.exit(f"cairn_setup: found {len(ids)} bench hosts, expected {n}")
        with open(out, "w") as f:
            f.write("\n".join(str(i) for i in ids) + "\n")
    elif cmd == "job":
        ids = [int(x) for x in open(a[3]).read().split()]
        print(call(base, "POST", "/api/v1/jobs", {"hosts": ids, "command": a[4]}, token=tok)["id"])
    elif cmd == "check-job":
        job_id, n, prefix = a[3], int(a[4]), a[5]
        j = call(base, "GET", f"/api/v1/jobs/{job_id}", token=tok)
        bad = [r for r in j["results"] if r["status"] != "ok" or not (r.get("stdout") or "").startswith(prefix)]
        per = sorted((r["finished_at"] or 0) - (r["started_at"] or 0) for r in j["results"])
        print(f"created_at={j['created_at']} started_at={j['started_at']} finished_at={j['finished_at']} "
              f"status={j['status']} ok={j['ok_count']} failed={j['failed_count']} "
              f"unreachable={j['unreachable_count']} host_s_p50={per[len(per) // 2] if per else 0} "
              f"host_s_max={per[-1] if per else 0}")
        if j["status"] != "succeeded" or j["ok_count"] != n or bad or len(j["results"]) != n:
            first = bad[0] if bad else {}
            sys.exit(f"cairn_setup: job {job_id}: {j['status']}, ok {j['ok_count']} of {n}; first bad result: "
                     f"{json.dumps(first)[:400]}")
    elif cmd == "enroll-token":
        print(call(base, "GET", "/api/v1/agent/enroll-token", token=tok)["token"])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
