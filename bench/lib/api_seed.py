#!/usr/bin/python3
"""api_seed.py -- load a benchmark inventory into a running cairnd through its
own API, and mint the API token the benchmark sends.

    api_seed.py BASE_URL ADMIN_PASSWORD N_HOSTS OUT_TOKEN_FILE

As the first admin: creates 4 IDCs, 24 cabinets, 8 host groups, 6 owners and
3 credentials (POST /api/v1/<res>), a role "bench-viewer" holding only
assets:view (no group limit) and a user "bench" with that role; then imports
N_HOSTS hosts in one POST /api/v1/hosts/import (a generated UTF-8 CSV, names
of references resolved by cairnd, Chinese memos included). Then signs in as
"bench" and creates an API token, so the benchmark exercises a real
non-superuser token lookup + permission check on every request.

Deterministic (fixed seed): two runs load identical rows. Standard library only.
"""
import csv
import http.cookiejar
import io
import json
import random
import sys
import time
import urllib.error
import urllib.request


class Client:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None

    def call(self, method, path, body=None, ctype="application/json", headers=None, timeout=300):
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", ctype)
        if self.csrf:
            req.add_header("X-CSRF-Token", self.csrf)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with self.op.open(req, timeout=timeout) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            sys.exit(f"seed: {method} {path} -> {e.code}: {raw[:600].decode(errors='replace')}")

    def login(self, user, password):
        _, out = self.call("POST", "/api/v1/auth/login", {"username": user, "password": password})
        self.csrf = out["csrf_token"]

    def create(self, path, body):
        status, out = self.call("POST", path, body)
        assert status == 201, (path, status, out)
        return out


IDCS = [  # code, name, address, bandwidth
    ("BJ1", "北京一号机房", "北京市朝阳区酒仙桥路 14 号", "10G"),
    ("SH2", "上海二号机房", "上海市浦东新区张江路 88 号", "20G"),
    ("GZ1", "广州一号机房", "广州市天河区科韵路 16 号", "10G"),
    ("HK1", "Hong Kong Equinix HK1", "17 Dai Fu Street, Tai Po", "5G"),
]
GROUPS = [  # name, description -- roles in hostnames below ("web" only here and in memos)
    ("web", "前端 Web 服务器"), ("app", "应用服务器"), ("db", "数据库"), ("cache", "Redis 缓存"),
    ("mq", "消息队列"), ("k8s", "Kubernetes 节点"), ("lb", "负载均衡"), ("prod", "生产环境"),
]
ROLES = ["web", "app", "db", "cache", "mq", "k8s", "lb", "es"]
OWNERS = [("张伟", "13800138001"), ("王芳", "13800138002"), ("李娜", "13800138003"),
          ("刘洋", "13800138004"), ("Chen Jie", "13800138005"), ("Ops Team", "400-800-1234")]
CREDS = [("root-key", "root", 22), ("deploy", "deploy", 22), ("jump-2222", "ops", 2222)]
OS = [("CentOS 7.9", "3.10.0-1160.el7.x86_64"), ("Rocky Linux 8.8", "4.18.0-477.el8.x86_64"),
      ("Ubuntu 22.04", "5.15.0-91-generic"), ("Debian 12", "6.1.0-17-amd64"),
      ("Kylin V10", "4.19.90-24.4.v2101.ky10.x86_64")]
HW = [("Dell", "PowerEdge R740", "Intel Xeon Gold 6230"), ("HPE", "ProLiant DL380 Gen10", "Intel Xeon Silver 4214"),
      ("Inspur", "NF5280M5", "Intel Xeon Gold 5218"), ("Huawei", "FusionServer 2288H V5", "Kunpeng 920"),
      ("Lenovo", "ThinkSystem SR650", "AMD EPYC 7402")]
MEMOS = ["", "", "", "核心业务，变更需走审批流程", "测试环境，可随时重启", "双十一扩容机器",
         "数据库主库，勿动！", "2023 年迁移自老机房", "web 前端，挂在 LB 后面", "待下线", "备件机",
         "监控告警已接入", "Needs a BIOS update", "租用机器，合同见资源管理"]
TYPES = ["physical"] * 5 + ["vm"] * 4 + ["container"]
STATUSES = ["in_use"] * 8 + ["unused", "faulty"]
TAGS = ["prod", "staging", "core", "nginx", "java", "python", "ssd", "gpu"]


def host_rows(n, cabinets_by_idc):
    rnd = random.Random(20240601)
    idc_names = [i[1] for i in IDCS]
    for i in range(n):
        idc_i = rnd.randrange(len(IDCS))
        code = IDCS[idc_i][0].lower()
        role = ROLES[i % len(ROLES)]
        vendor, model, cpu = rnd.choice(HW)
        os_name, kernel = rnd.choice(OS)
        groups = [role if role != "es" else "db"] + (["prod"] if rnd.random() < 0.6 else [])
        ip = f"10.{idc_i + 1}.{(i >> 8) & 255}.{i & 255}"
        yield {
            "hostname": f"{code}-{role}-{i:05d}",
            "ip": ip,
            "other_ips": f"172.16.{(i >> 8) & 255}.{i & 255}, 192.168.{idc_i}.{i % 250 + 1}" if rnd.random() < 0.3 else "",
            "group_ids": "; ".join(groups),
            "idc_id": idc_names[idc_i],
            "cabinet_id": rnd.choice(cabinets_by_idc[idc_i]),
            "asset_no": f"ZC-{2019 + i % 5}-{i:06d}",
            "asset_type": rnd.choice(TYPES),
            "asset_status": rnd.choice(STATUSES),
            "os": os_name,
            "kernel": kernel,
            "vendor": vendor,
            "model": model,
            "sn": f"SN{rnd.getrandbits(40):010X}",
            "cpu_model": cpu,
            "cpu_count": str(rnd.choice([4, 8, 16, 32, 48, 64])),
            "memory_mb": str(rnd.choice([8, 16, 32, 64, 128, 256]) * 1024),
            "disks": rnd.choice(["2x 480GB SSD", "2x 960GB SSD; 4x 4TB HDD", "1x 1.92TB NVMe", "8x 8TB HDD"]),
            "position": f"U{rnd.randrange(1, 42)}",
            "racked_at": f"20{rnd.randrange(18, 24)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}",
            "purchased_at": f"20{rnd.randrange(17, 23)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}",
            "warranty_end": f"20{rnd.randrange(24, 29)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}",
            "owner_id": rnd.choice(OWNERS)[0],
            "credential_id": rnd.choice(CREDS)[0],
            "ssh_port": "22" if rnd.random() < 0.9 else "2222",
            "tags": "; ".join(rnd.sample(TAGS, rnd.randrange(0, 3))),
            "memo": rnd.choice(MEMOS),
        }


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    base, admin_pw, n, token_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    admin = Client(base)
    admin.login("admin", admin_pw)

    idc_ids, cabinets_by_idc = [], []
    for code, name, addr, bw in IDCS:
        idc_ids.append(admin.create("/api/v1/idcs", {"code": code, "name": name, "address": addr,
                                                     "bandwidth": bw, "memo": "电信 + 联通双线"})["id"])
    for k, idc in enumerate(idc_ids):
        names = [f"{IDCS[k][0]}-{row}{col:02d}" for row in "AB" for col in range(1, 4)]
        for nm in names:
            admin.create("/api/v1/cabinets", {"idc_id": idc, "name": nm, "description": f"{IDCS[k][1]} {nm}"})
        cabinets_by_idc.append(names)
    for name, desc in GROUPS:
        admin.create("/api/v1/groups", {"name": name, "description": desc})
    for name, phone in OWNERS:
        admin.create("/api/v1/owners", {"name": name, "phone": phone})
    for name, user, port in CREDS:
        admin.create("/api/v1/credentials", {"name": name, "username": user, "port": port,
                                             "password": "bench-not-a-secret"})

    rows = list(host_rows(n, cabinets_by_idc))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    t0 = time.monotonic()
    _, out = admin.call("POST", "/api/v1/hosts/import", buf.getvalue().encode(), ctype="text/csv; charset=utf-8",
                        timeout=600)
    took = time.monotonic() - t0
    if out.get("created") != n:
        sys.exit(f"seed: import created {out.get('created')} hosts, expected {n}: {out}")
    print(f"seed: imported {n} hosts ({len(buf.getvalue()) >> 10} KiB CSV) in {took:.1f} s", file=sys.stderr)

    role = admin.create("/api/v1/roles", {"name": "bench-viewer", "description": "benchmark: read the inventory",
                                          "permissions": ["assets:view"], "group_ids": []})
    bench_pw = "bench-" + admin_pw
    admin.create("/api/v1/users", {"username": "bench", "password": bench_pw, "display_name": "Benchmark",
                                   "role_id": role["id"], "active": True, "superuser": False})
    user = Client(base)
    user.login("bench", bench_pw)
    token = user.create("/api/v1/tokens", {"name": "bench-api"})["token"]
    with open(token_file, "w") as f:
        f.write(token)


if __name__ == "__main__":
    main()
