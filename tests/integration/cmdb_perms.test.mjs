// cmdb_perms.test.mjs -- who may do what with the CMDB: assets:* and apps:*
// rights (a viewer lists but cannot write), the navigation links (read by
// anyone signed in, written with settings:edit), and host-group scoping: a
// role limited to some host groups sees only their hosts, everywhere hosts
// show up (lists, search, filters, exports, a group's or a cabinet's or a
// project's members), cannot read, change or delete other hosts by id,
// cannot create a host outside its groups, and keeps other people's
// memberships intact when it edits its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { adminClient, Client } from '../lib/client.mjs';
import { assertError, assertStatus, userWith, makeRole, makeUser, loginAs, uniq } from './common.mjs';
import { API, RESOURCES, mk, list, listAll, sample, makeDeps, importCsv, parseCsv, auditOf } from './cmdb_lib.mjs';

let server, admin, deps;
let gA, gB, hA1, hA2, hAB, hB, hNone, cab, proj;
let scoped; // client of a user whose role is limited to group A

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  deps = await makeDeps(admin);
  gA = await mk(admin, 'groups', { name: 'scope-A' });
  gB = await mk(admin, 'groups', { name: 'scope-B' });
  hA1 = await mk(admin, 'hosts', { hostname: 'sc-a1', ip: '10.7.0.1', group_ids: [gA.id], memo: '可见' });
  hA2 = await mk(admin, 'hosts', { hostname: 'sc-a2', ip: '10.7.0.2', group_ids: [gA.id] });
  hAB = await mk(admin, 'hosts', { hostname: 'sc-ab', ip: '10.7.0.3', group_ids: [gA.id, gB.id] });
  hB = await mk(admin, 'hosts', { hostname: 'sc-b', ip: '10.7.0.4', group_ids: [gB.id], memo: '可见' });
  hNone = await mk(admin, 'hosts', { hostname: 'sc-none', ip: '10.7.0.5' });
  cab = await mk(admin, 'cabinets', { idc_id: deps.idc, name: 'sc-cab', host_ids: [hA1.id, hB.id] });
  proj = await mk(admin, 'projects', { name: 'sc-proj', host_ids: [hA2.id, hB.id, hNone.id] });
  const role_id = await makeRole(admin, ['assets:edit', 'apps:view'], { group_ids: [gA.id] });
  const u = await makeUser(admin, { role_id });
  scoped = await loginAs(server, u);
});
after(async () => { await server?.stop(); });

test('without signing in: 401 everywhere', async () => {
  const anon = new Client(server.url);
  for (const res of RESOURCES) {
    assertError(await anon.get(`${API}/${res}`), 401, 'unauthorized');
    assertError(await anon.post(`${API}/${res}`, {}), 401, 'unauthorized');
  }
  assertError(await anon.get(`${API}/schema`), 401, 'unauthorized');
});

test('a viewer lists, reads and exports but cannot write anything', async () => {
  const viewer = await userWith(server, admin, ['assets:view', 'apps:view']);
  for (const res of RESOURCES) {
    assertStatus(await viewer.get(`${API}/${res}`), 200, `list ${res}`);
    assertStatus(await viewer.get(`${API}/${res}?format=csv`), 200, `export ${res}`);
  }
  const items = (await list(viewer, `${API}/hosts?per_page=200`)).items;
  assert.ok(items.some((h) => h.id === hB.id) && items.some((h) => h.id === hNone.id), 'no group scope: every host');
  assertStatus(await viewer.get(`${API}/hosts/${hA1.id}`), 200);
  for (const res of RESOURCES.filter((x) => x !== 'nav-links')) {
    const body = sample(res, deps);
    assertError(await viewer.post(`${API}/${res}`, body), 403, 'forbidden');
    assertError(await viewer.post(`${API}/${res}/bulk-delete`, { ids: [1] }), 403, 'forbidden');
    assertError(await importCsv(viewer, res, 'name\r\nx\r\n'), 403, 'forbidden');
    assertError(await viewer.put(`${API}/${res}/1`, body), 403, 'forbidden');
    assertError(await viewer.patch(`${API}/${res}/1`, {}), 403, 'forbidden');
    assertError(await viewer.del(`${API}/${res}/1`), 403, 'forbidden');
  }
  assertStatus(await admin.get(`${API}/hosts/${hA1.id}`), 200, 'still there');
  const denied = (await auditOf(admin, 'host.create')).filter((x) => x.result === 'denied');
  assert.ok(denied.some((x) => x.username === viewer.user.username), 'refusals are audited');
});

test('assets and apps rights are separate', async () => {
  const assets = await userWith(server, admin, ['assets:edit']);
  const apps = await userWith(server, admin, ['apps:edit']);
  for (const res of ['hosts', 'groups', 'idcs', 'cabinets', 'asset-types', 'asset-statuses']) {
    assertStatus(await assets.get(`${API}/${res}`), 200);
    assertError(await apps.get(`${API}/${res}`), 403, 'forbidden');
  }
  for (const res of ['credentials', 'owners', 'products', 'projects', 'regions', 'branches', 'resources']) {
    assertStatus(await apps.get(`${API}/${res}`), 200);
    assertError(await assets.get(`${API}/${res}`), 403, 'forbidden');
  }
  assertStatus(await apps.post(`${API}/owners`, { name: uniq('o') }), 201);
  assertError(await apps.post(`${API}/idcs`, { code: uniq('i'), name: uniq('i') }), 403, 'forbidden');
  assertStatus(await assets.post(`${API}/idcs`, { code: uniq('i'), name: uniq('i') }), 201);
});

test('navigation links: anyone signed in reads them, settings:edit writes them', async () => {
  const nobody = await userWith(server, admin, []);
  const settings = await userWith(server, admin, ['settings:edit']);
  const link = await mk(admin, 'nav-links', { name: uniq('nav'), url: 'https://wiki.example.com/' });
  assertStatus(await nobody.get(`${API}/nav-links`), 200);
  assertStatus(await nobody.get(`${API}/nav-links/${link.id}`), 200);
  assertError(await nobody.post(`${API}/nav-links`, { name: 'x', url: 'https://x.example/' }), 403, 'forbidden');
  assertError(await nobody.patch(`${API}/nav-links/${link.id}`, { name: 'y' }), 403, 'forbidden');
  assertError(await nobody.del(`${API}/nav-links/${link.id}`), 403, 'forbidden');
  assertStatus(await settings.patch(`${API}/nav-links/${link.id}`, { description: '维基' }), 200);
  assertStatus(await settings.post(`${API}/nav-links`, { name: uniq('nav'), url: 'http://x.example/' }), 201);
  assertError(await settings.post(`${API}/nav-links`, { name: uniq('nav'), url: 'javascript:alert(1)' }), 400, 'bad_request', 'url');
  assertStatus(await settings.del(`${API}/nav-links/${link.id}`), 200);
});

test('scoped to one group: lists, search, filters and exports show only its hosts', async () => {
  const names = async (p) => (await listAll(scoped, p)).map((h) => h.hostname).sort();
  assert.deepEqual(await names(`${API}/hosts`), ['sc-a1', 'sc-a2', 'sc-ab']);
  assert.equal((await list(scoped, `${API}/hosts`)).total, 3);
  assert.deepEqual(await names(`${API}/hosts?q=${encodeURIComponent('可见')}`), ['sc-a1']);
  assert.deepEqual(await names(`${API}/hosts?q=sc-`), ['sc-a1', 'sc-a2', 'sc-ab']);
  assert.deepEqual(await names(`${API}/hosts?group_id=${gB.id}`), ['sc-ab']);
  assert.deepEqual(await names(`${API}/hosts?group_id=none`), []);
  assert.deepEqual(await names(`${API}/hosts?ids=${hB.id},${hNone.id}`), []);
  const csv = parseCsv((await scoped.get(`${API}/hosts?format=csv`)).text.replace(/^\uFEFF/, ''));
  assert.deepEqual(csv.slice(1).map((r) => r[1]).sort(), ['sc-a1', 'sc-a2', 'sc-ab']);
  // The admin still sees everything.
  assert.ok((await list(admin, `${API}/hosts`)).total >= 5);
});

test('scoped: other hosts cannot be read, changed or deleted by id', async () => {
  for (const h of [hB, hNone]) {
    assertError(await scoped.get(`${API}/hosts/${h.id}`), 404, 'not_found');
    assertError(await scoped.patch(`${API}/hosts/${h.id}`, { memo: 'x' }), 404, 'not_found');
    assertError(await scoped.put(`${API}/hosts/${h.id}`, { hostname: h.hostname, ip: h.ip, group_ids: [gA.id] }), 404, 'not_found');
    assertError(await scoped.del(`${API}/hosts/${h.id}`), 404, 'not_found');
  }
  assertError(await scoped.post(`${API}/hosts/bulk-delete`, { ids: [hA2.id, hB.id] }), 404, 'not_found');
  assertStatus(await admin.get(`${API}/hosts/${hA2.id}`), 200, 'nothing deleted');
  assertStatus(await admin.get(`${API}/hosts/${hB.id}`), 200);
  assert.equal((await admin.get(`${API}/hosts/${hB.id}`)).body.memo, '可见');
  assertError(await importCsv(scoped, 'hosts', `hostname,ip\r\nsc-b,10.7.0.99\r\n`), 403, 'forbidden');
  assert.equal((await admin.get(`${API}/hosts/${hB.id}`)).body.ip, '10.7.0.4');
  // Its own hosts it may change.
  assertStatus(await scoped.patch(`${API}/hosts/${hA1.id}`, { os: 'Debian' }), 200);
});

test('scoped: a new host must be in its groups, and a host cannot be moved out of them', async () => {
  assertError(await scoped.post(`${API}/hosts`, { hostname: 'sc-new1', ip: '10.7.1.1', group_ids: [gB.id] }), 403, 'forbidden', 'group_ids');
  assertError(await scoped.post(`${API}/hosts`, { hostname: 'sc-new2', ip: '10.7.1.2' }), 403, 'forbidden', 'group_ids');
  assertError(await scoped.post(`${API}/hosts`, { hostname: 'sc-new3', ip: '10.7.1.3', group_ids: [gA.id, gB.id] }), 403, 'forbidden', 'group_ids');
  const ok = await scoped.post(`${API}/hosts`, { hostname: 'sc-new4', ip: '10.7.1.4', group_ids: [gA.id] });
  assertStatus(ok, 201);
  for (const n of ['sc-new1', 'sc-new2', 'sc-new3']) assert.equal((await list(admin, `${API}/hosts?q=${n}`)).total, 0);
  assertError(await scoped.patch(`${API}/hosts/${ok.body.id}`, { group_ids: [gB.id] }), 403, 'forbidden', 'group_ids');
  assertError(await scoped.patch(`${API}/hosts/${ok.body.id}`, { group_ids: [] }), 403, 'forbidden', 'group_ids');
  // Memberships in groups outside the scope are kept when it edits a host.
  const r = await scoped.patch(`${API}/hosts/${hAB.id}`, { group_ids: [gA.id] });
  assertStatus(r, 200);
  assert.deepEqual([...(await admin.get(`${API}/hosts/${hAB.id}`)).body.group_ids].sort(), [gA.id, gB.id].sort());
  assertStatus(await scoped.del(`${API}/hosts/${ok.body.id}`), 200);
});

test('scoped: groups, cabinets and projects show and change only its hosts', async () => {
  // Groups: only its own; others are not found.
  assert.deepEqual((await listAll(scoped, `${API}/groups`)).map((g) => g.name), ['scope-A']);
  assertError(await scoped.get(`${API}/groups/${gB.id}`), 404, 'not_found');
  assertError(await scoped.patch(`${API}/groups/${gB.id}`, { name: 'stolen' }), 404, 'not_found');
  assertError(await scoped.del(`${API}/groups/${gB.id}`), 404, 'not_found');
  assertError(await scoped.post(`${API}/groups`, { name: uniq('g') }), 403, 'forbidden');
  // A cabinet lists only the hosts in scope...
  let c = (await scoped.get(`${API}/cabinets/${cab.id}`)).body;
  assert.deepEqual(c.host_ids, [hA1.id]);
  assert.deepEqual(c._display.host_ids, ['sc-a1']);
  assert.ok(!JSON.stringify(await list(scoped, `${API}/cabinets`)).includes('sc-b'));
  // ...refuses hosts out of scope, and keeps them when the set is replaced.
  assertError(await scoped.patch(`${API}/cabinets/${cab.id}`, { host_ids: [hA1.id, hB.id] }), 400, 'bad_request', 'host_ids');
  assertStatus(await scoped.patch(`${API}/cabinets/${cab.id}`, { host_ids: [hA2.id] }), 200);
  c = (await admin.get(`${API}/cabinets/${cab.id}`)).body;
  assert.deepEqual([...c.host_ids].sort(), [hA2.id, hB.id].sort());
  // Projects (apps:view) too.
  const p = (await scoped.get(`${API}/projects/${proj.id}`)).body;
  assert.deepEqual(p.host_ids, [hA2.id]);
  const csv = (await scoped.get(`${API}/projects?format=csv`)).text;
  assert.ok(!csv.includes('sc-b') && !csv.includes('sc-none'), csv);
  // Its group's own membership list.
  const g = (await scoped.get(`${API}/groups/${gA.id}`)).body;
  assert.deepEqual([...g._display.host_ids].sort(), ['sc-a1', 'sc-a2', 'sc-ab']);
});

test('a group that roles are limited to cannot be deleted (the role would see every host)', async () => {
  const g = await mk(admin, 'groups', { name: uniq('limit') });
  const role_id = await makeRole(admin, ['assets:view'], { group_ids: [g.id] });
  const del = await admin.del(`${API}/groups/${g.id}`);
  assertError(del, 409, 'conflict');
  assert.match(del.body.error.message, /roles/);
  assertError(await admin.post(`${API}/groups/bulk-delete`, { ids: [g.id] }), 409, 'conflict');
  assertStatus(await admin.get(`${API}/groups/${g.id}`), 200);
  assertStatus(await admin.patch(`/api/v1/roles/${role_id}`, { group_ids: [] }), 200);
  assertStatus(await admin.del(`${API}/groups/${g.id}`), 200);
});
