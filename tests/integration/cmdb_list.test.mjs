// cmdb_list.test.mjs -- lists of CMDB resources: search (Chinese substrings
// of any length, IP addresses, SQL and HTML metacharacters, % and _ taken
// literally, on both the trigram path and the short-query path), filters by
// reference, set and enum fields (and "none"), sort in both directions,
// pages and page sizes, ?ids= selections; duplicate hostnames and shared
// IP addresses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, uniq } from './common.mjs';
import { API, mk, list, listAll, importCsv } from './cmdb_lib.mjs';

let server, admin, idcA, idcB, grpA, grpB, hosts;
const P = `L${process.pid % 1000}`; // prefix of this file's hostnames

const q = (s) => encodeURIComponent(s);
async function hostnames(path) {
  return (await listAll(admin, path)).map((h) => h.hostname).filter((h) => h.startsWith(`${P}-`)).sort();
}

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  idcA = await mk(admin, 'idcs', { code: 'bj', name: '北京一号机房', address: '北京市朝阳区' });
  idcB = await mk(admin, 'idcs', { code: 'sh', name: '上海二号机房', address: '上海市浦东新区' });
  grpA = await mk(admin, 'groups', { name: 'web' });
  grpB = await mk(admin, 'groups', { name: 'db' });
  const rows = [
    { hostname: `${P}-web1`, ip: '10.0.0.1', position: '北京 亦庄 3楼', group_ids: [grpA.id], idc_id: idcA.id, cpu_count: 8, memory_mb: 16384, asset_status: 'in_use', asset_type: 'vm', memo: '订单系统 前端' },
    { hostname: `${P}-web2`, ip: '10.0.0.10', other_ips: '172.16.0.10', group_ids: [grpA.id], idc_id: idcA.id, cpu_count: 4, memory_mb: 8192, asset_status: 'unused', asset_type: 'vm', vendor: '浪潮' },
    { hostname: `${P}-db1`, ip: '10.0.0.100', group_ids: [grpB.id], idc_id: idcB.id, cpu_count: 32, memory_mb: 262144, asset_status: 'faulty', asset_type: 'physical', memo: '100% full; disk_1 "raid" it\'s <script>alert(1)</script>' },
    { hostname: `${P}-db2`, ip: '10.0.0.1', group_ids: [grpA.id, grpB.id], cpu_count: 16, asset_type: 'physical', memo: 'shares 10.0.0.1 with web1; 100X full; disk-1' },
    { hostname: `${P}-lone`, ip: 'fe80::1', tags: ['测试', 'canary'], os: 'Ubuntu 22.04', sn: 'ABC_123' },
  ];
  hosts = {};
  for (const r of rows) hosts[r.hostname.slice(P.length + 1)] = await mk(admin, 'hosts', r);
});
after(async () => { await server?.stop(); });

test('a duplicate hostname is refused with a clear message; hosts may share an IP', async () => {
  const r = await admin.post(`${API}/hosts`, { hostname: `${P}-web1`, ip: '10.0.0.9' });
  assertError(r, 409, 'conflict', 'hostname');
  assert.match(r.body.error.message, /hostname/);
  assert.match(r.body.error.message, new RegExp(`${P}-web1`));
  assertError(await admin.patch(`${API}/hosts/${hosts.web2.id}`, { hostname: `${P}-web1` }), 409, 'conflict', 'hostname');
  assert.equal(hosts.db2.ip, hosts.web1.ip);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${P}-`), [`${P}-db1`, `${P}-db2`, `${P}-lone`, `${P}-web1`, `${P}-web2`]);
});

test('search: Chinese substrings of any length, on hosts and on other resources', async () => {
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('北京')}`), [`${P}-web1`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('亦')}`), [`${P}-web1`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('订单系统')}`), [`${P}-web1`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('浪潮')}`), [`${P}-web2`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('测试')}`), [`${P}-lone`], 'tags are searched');
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('南京')}`), []);
  for (const s of ['北', '北京', '北京一', '一号机房', '朝阳区']) {
    const r = await list(admin, `${API}/idcs?q=${q(s)}`);
    assert.deepEqual(r.items.map((x) => x.code), ['bj'], s);
  }
  assert.deepEqual((await list(admin, `${API}/idcs?q=${q('机房')}`)).total, 2);
  // The seeded code lists are searchable in both languages too.
  assert.deepEqual((await list(admin, `${API}/asset-types?q=${q('虚拟')}`)).items.map((x) => x.code), ['vm']);
  assert.deepEqual((await list(admin, `${API}/asset-types?q=VIRTUAL`)).items.map((x) => x.code), ['vm']);
  assert.deepEqual((await list(admin, `${API}/asset-statuses?q=${q('使用中')}`)).items.map((x) => x.code), ['in_use']);
  // Case does not matter for Latin letters.
  assert.deepEqual(await hostnames(`${API}/hosts?q=UBUNTU`), [`${P}-lone`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q(`${P}-WEB`)}`), [`${P}-web1`, `${P}-web2`]);
});

test('search: IP addresses as substrings, management and other IPs', async () => {
  assert.deepEqual(await hostnames(`${API}/hosts?q=10.0.0.1`), [`${P}-db1`, `${P}-db2`, `${P}-web1`, `${P}-web2`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=10.0.0.100`), [`${P}-db1`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=172.16`), [`${P}-web2`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('fe80::')}`), [`${P}-lone`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=.1`), [`${P}-db1`, `${P}-db2`, `${P}-web1`, `${P}-web2`]);
});

test('search: metacharacters are plain text; % and _ match literally', async () => {
  const cases = [
    ['%', [`${P}-db1`]], ['100%', [`${P}-db1`]], ['0% f', [`${P}-db1`]],
    ['_', [`${P}-db1`, `${P}-lone`]], ['k_1', [`${P}-db1`]], ['C_1', [`${P}-lone`]], ['_12', [`${P}-lone`]],
    ["'", [`${P}-db1`]], ["it's", [`${P}-db1`]], ['"', [`${P}-db1`]], ['"raid"', [`${P}-db1`]],
    [';', [`${P}-db1`, `${P}-db2`]], ['; disk', [`${P}-db1`, `${P}-db2`]],
    ['<script>', [`${P}-db1`]], ['<', [`${P}-db1`]], ['\\', []], ['%%', []], ['__', []],
    ["'; DROP TABLE hosts; --", []], ['" OR 1=1 --', []], ['*', []], ['NEAR(', []], ['a AND b', []],
  ];
  for (const [s, want] of cases) {
    const r = await admin.get(`${API}/hosts?q=${q(s)}&per_page=200`);
    assertStatus(r, 200, `q=${s}`);
    assert.deepEqual(r.body.items.map((h) => h.hostname).filter((h) => h.startsWith(P)).sort(), want, `q=${s}`);
  }
  assert.equal((await list(admin, `${API}/hosts?per_page=200`)).total >= 5, true, 'the table is still there');
  // Metacharacters in other resources' search too.
  await mk(admin, 'owners', { name: `王_五${P}`, phone: '50%' });
  await mk(admin, 'owners', { name: `王X五${P}` });
  assert.equal((await list(admin, `${API}/owners?q=${q('王_五')}`)).total, 1);
  assert.equal((await list(admin, `${API}/owners?q=${q('_')}`)).total, 1);
  assert.equal((await list(admin, `${API}/owners?q=${q('50%')}`)).total, 1);
  // Too long or not text.
  assertError(await admin.get(`${API}/hosts?q=${'x'.repeat(201)}`), 400, 'bad_request', 'q');
  assertError(await admin.get(`${API}/hosts?q=%FF%FE`), 400, 'bad_request', 'q');
});

test('filters: references, "none", sets, enums and codes, combined with search', async () => {
  const base = `${API}/hosts?q=${P}-`;
  assert.deepEqual(await hostnames(`${base}&idc_id=${idcA.id}`), [`${P}-web1`, `${P}-web2`]);
  assert.deepEqual(await hostnames(`${base}&idc_id=none`), [`${P}-db2`, `${P}-lone`]);
  assert.deepEqual(await hostnames(`${base}&group_id=${grpB.id}`), [`${P}-db1`, `${P}-db2`]);
  assert.deepEqual(await hostnames(`${base}&group_id=${grpA.id}&group_id=${grpA.id}`), [`${P}-db2`, `${P}-web1`, `${P}-web2`]);
  assert.deepEqual(await hostnames(`${base}&group_id=none`), [`${P}-lone`]);
  assert.deepEqual(await hostnames(`${base}&asset_status=unused`), [`${P}-web2`]);
  assert.deepEqual(await hostnames(`${base}&asset_type=physical`), [`${P}-db1`, `${P}-db2`]);
  assert.deepEqual(await hostnames(`${base}&asset_type=physical&group_id=${grpA.id}`), [`${P}-db2`]);
  assert.deepEqual(await hostnames(`${base}&source=manual`), [`${P}-db1`, `${P}-db2`, `${P}-lone`, `${P}-web1`, `${P}-web2`]);
  assert.deepEqual(await hostnames(`${base}&source=agent`), []);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('北京')}&idc_id=${idcB.id}`), []);
  assert.deepEqual(await hostnames(`${base}&idc_id=999999`), []);
  assertError(await admin.get(`${API}/hosts?idc_id=abc`), 400, 'bad_request', 'idc_id');
  assertError(await admin.get(`${API}/hosts?group_id=abc`), 400, 'bad_request', 'group_id');
  assertError(await admin.get(`${API}/hosts?idc_id=1%20OR%201=1`), 400, 'bad_request', 'idc_id');
  // A filter on a field that is not filterable is refused rather than ignored.
  assertError(await admin.get(`${API}/hosts?memo=x`), 400, 'bad_request', 'memo');
  // Cabinets by IDC, branches by region.
  const cab = await mk(admin, 'cabinets', { idc_id: idcB.id, name: 'Z9' });
  const cabs = await list(admin, `${API}/cabinets?idc_id=${idcB.id}`);
  assert.deepEqual(cabs.items.map((c) => c.id), [cab.id]);
});

test('sort by any sortable field, both directions; unknown sort refused', async () => {
  const base = `${API}/hosts?q=${P}-&per_page=200`;
  const names = async (s) => (await list(admin, `${base}&sort=${s}`)).items.map((h) => h.hostname);
  assert.deepEqual(await names('hostname'), [`${P}-db1`, `${P}-db2`, `${P}-lone`, `${P}-web1`, `${P}-web2`]);
  assert.deepEqual(await names('-hostname'), [`${P}-web2`, `${P}-web1`, `${P}-lone`, `${P}-db2`, `${P}-db1`]);
  const byCpu = (await list(admin, `${base}&sort=-cpu_count`)).items.filter((h) => h.cpu_count !== null).map((h) => h.cpu_count);
  assert.deepEqual(byCpu, [32, 16, 8, 4]);
  const byMem = (await list(admin, `${base}&sort=memory_mb`)).items.filter((h) => h.memory_mb !== null).map((h) => h.memory_mb);
  assert.deepEqual(byMem, [8192, 16384, 262144]);
  const schema = (await admin.get(`${API}/schema`)).body.hosts.fields;
  for (const f of schema.filter((x) => x.sort)) {
    for (const s of [f.name, `-${f.name}`]) assertStatus(await admin.get(`${base}&sort=${s}`), 200, `sort=${s}`);
  }
  assertError(await admin.get(`${base}&sort=memo`), 400, 'bad_request', 'sort');
  assertError(await admin.get(`${base}&sort=hostname;drop`), 400, 'bad_request', 'sort');
  assertError(await admin.get(`${base}&sort=search_text`), 400, 'bad_request', 'sort');
});

test('sort by a reference field orders by the referenced name, not its id; none last either way', async () => {
  const tag = uniq('rs');
  const zz = await mk(admin, 'idcs', { code: uniq('zz'), name: `${tag}-zz` }); // created first: the smaller id
  const aa = await mk(admin, 'idcs', { code: uniq('aa'), name: `${tag}-aa` });
  const ozz = await mk(admin, 'owners', { name: `${tag}-zz` });
  const oaa = await mk(admin, 'owners', { name: `${tag}-aa` });
  const inZz = await mk(admin, 'hosts', { hostname: `${tag}-1`, ip: '10.2.0.1', idc_id: zz.id, owner_id: ozz.id });
  const inAa = await mk(admin, 'hosts', { hostname: `${tag}-2`, ip: '10.2.0.2', idc_id: aa.id, owner_id: oaa.id });
  const none = await mk(admin, 'hosts', { hostname: `${tag}-3`, ip: '10.2.0.3' });
  const order = async (s) => (await list(admin, `${API}/hosts?q=${tag}&per_page=200&sort=${s}`)).items.map((h) => h.id);
  assert.deepEqual(await order('idc_id'), [inAa.id, inZz.id, none.id]);
  assert.deepEqual(await order('-idc_id'), [inZz.id, inAa.id, none.id]);
  assert.deepEqual(await order('owner_id'), [inAa.id, inZz.id, none.id]);
  assert.deepEqual(await order('-owner_id'), [inZz.id, inAa.id, none.id]);
  // Renaming the IDC reorders at once.
  assertStatus(await admin.patch(`${API}/idcs/${zz.id}`, { name: `${tag}-a0` }), 200);
  assert.deepEqual(await order('idc_id'), [inZz.id, inAa.id, none.id]);
  // Cabinets sort by their IDC's name too.
  const c1 = await mk(admin, 'cabinets', { idc_id: aa.id, name: `${tag}-c1` });
  const c2 = await mk(admin, 'cabinets', { idc_id: zz.id, name: `${tag}-c2` });
  const cab = (await list(admin, `${API}/cabinets?q=${tag}&sort=idc_id`)).items.map((c) => c.id);
  assert.deepEqual(cab, [c2.id, c1.id]);
});

test('pages: sizes 10/20/50/100/200, totals, stable order, beyond the end', async () => {
  const g = await mk(admin, 'groups', { name: uniq('pages') });
  for (let i = 0; i < 23; i++) {
    await mk(admin, 'hosts', { hostname: `pg-${String(i).padStart(2, '0')}`, ip: '10.1.1.1', group_ids: [g.id], cpu_count: 2 });
  }
  const path = `${API}/hosts?group_id=${g.id}`;
  const p1 = await list(admin, `${path}&per_page=10&page=1&sort=hostname`);
  const p3 = await list(admin, `${path}&per_page=10&page=3&sort=hostname`);
  assert.equal(p1.total, 23);
  assert.equal(p1.items.length, 10);
  assert.equal(p3.items.length, 3);
  assert.equal(p3.items[2].hostname, 'pg-22');
  assert.deepEqual((await list(admin, `${path}&per_page=10&page=4`)).items, []);
  assert.equal((await list(admin, `${path}&per_page=10&page=4`)).total, 23);
  assert.equal((await list(admin, path)).items.length, 20, 'default 20');
  for (const n of [10, 20, 50, 100, 200]) assertStatus(await admin.get(`${path}&per_page=${n}`), 200);
  for (const n of [0, 5, 15, 201, 1000, -1, 'x']) assertError(await admin.get(`${path}&per_page=${n}`), 400, 'bad_request', 'per_page');
  for (const n of [0, -1, 'x', '1.5']) assertError(await admin.get(`${path}&page=${n}`), 400, 'bad_request', 'page');
  // Equal sort keys still page without repeats or gaps.
  const seen = [];
  for (let page = 1; page <= 3; page++) seen.push(...(await list(admin, `${path}&per_page=10&page=${page}&sort=cpu_count`)).items.map((h) => h.id));
  assert.equal(new Set(seen).size, 23);
});

test('?ids= picks rows; malformed ids refused', async () => {
  const r = await list(admin, `${API}/hosts?ids=${hosts.web1.id},${hosts.db1.id}&sort=id`);
  assert.deepEqual(r.items.map((h) => h.id), [hosts.web1.id, hosts.db1.id].sort((a, b) => a - b));
  assert.equal(r.total, 2);
  for (const bad of ['a', '1,,2', '-1', '1;2', '0']) assertError(await admin.get(`${API}/hosts?ids=${q(bad)}`), 400, 'bad_request', 'ids');
  // Up to 200 ids (docs/API.md); 201 are refused.
  const many = Array.from({ length: 200 }, (_, i) => i + 1).join(',');
  assertStatus(await admin.get(`${API}/hosts?ids=${many}`), 200, '200 ids');
  assertError(await admin.get(`${API}/hosts?ids=${many},201`), 400, 'bad_request', 'ids');
});

test('a list that scans the trigram index and one that cannot give the same answers', async () => {
  // Three or more characters use the trigram index; shorter ones cannot.
  const long = await hostnames(`${API}/hosts?q=web`);
  const short = await hostnames(`${API}/hosts?q=we`);
  assert.deepEqual(long, [`${P}-db2`, `${P}-web1`, `${P}-web2`], 'db2 mentions web1 in its memo');
  assert.deepEqual(short, long);
  // An update is seen by the index at once.
  assertStatus(await admin.patch(`${API}/hosts/${hosts.lone.id}`, { memo: '新的备注 xyzzy' }), 200);
  assert.deepEqual(await hostnames(`${API}/hosts?q=xyzzy`), [`${P}-lone`]);
  assert.deepEqual(await hostnames(`${API}/hosts?q=${q('新的')}`), [`${P}-lone`]);
  assertStatus(await admin.patch(`${API}/hosts/${hosts.lone.id}`, { memo: '' }), 200);
  assert.deepEqual(await hostnames(`${API}/hosts?q=xyzzy`), []);
});

test('a search with many hits (read in the sort index\'s order on SQLite) pages exactly like the same search with a filter', async () => {
  const tag = uniq('wk');
  const lines = ['hostname,ip,cpu_count'];
  for (let i = 0; i < 260; i++) {
    const n = (i * 7919) % 1000; // hostnames not in creation order
    lines.push(`${tag}-${String(n).padStart(3, '0')}-${i},10.9.${i % 5}.${(i * 37) % 250},${1 + (i % 3)}`);
  }
  assertStatus(await importCsv(admin, 'hosts', lines.join('\r\n') + '\r\n'), 200, 'import');
  for (const sort of ['hostname', '-hostname', 'ip', '-ip', 'id', '-id', 'cpu_count', 'idc_id']) {
    for (const [page, per] of [[1, 50], [2, 100], [3, 100], [6, 50], [2, 200]]) {
      const plain = await list(admin, `${API}/hosts?q=${tag}&sort=${sort}&page=${page}&per_page=${per}`);
      // any other condition turns the walk off: every host here has some cpu_count
      const ref = await list(admin, `${API}/hosts?q=${tag}&sort=${sort}&page=${page}&per_page=${per}&source=${plain.items[0]?.source ?? 'manual'}`);
      assert.equal(plain.total, 260);
      assert.equal(ref.total, 260);
      assert.deepEqual(plain.items.map((h) => h.id), ref.items.map((h) => h.id), `sort=${sort} page=${page}/${per}`);
      assert.deepEqual(plain.items, ref.items);
    }
  }
});
