// cmdb_cache.test.mjs -- the list answer cache and the token cache never
// show what a write has changed: every kind of write (rows, memberships,
// referenced names, imports, deletes, an agent's enrollment and facts) is in
// the very next list, on the cairnd that wrote and on another one sharing
// the database; callers limited to different host groups never get each
// other's answers; a revoked token, a removed permission or a deactivated
// user count from the next request; only an agent's last_seen_at may lag,
// by at most the cache age; `now` is always current; --list-cache 0 gives
// the same answers without a cache.
//
// Each list is asked twice before a write, so the answer the write must
// replace is in the cache (the second ask is a hit).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, makeRole, makeUser, loginAs, uniq } from './common.mjs';
import { API, mk, importCsv } from './cmdb_lib.mjs';

const ENROLL = `site-enroll-${crypto.randomBytes(8).toString('hex')}`;
let server, admin, tokenClient;

function bearer(srv, token) {
  const c = new Client(srv.url);
  c.bearer = token;
  return c;
}

async function newToken(c, name = uniq('tok')) {
  const r = await c.post('/api/v1/tokens', { name });
  assertStatus(r, 201, 'create token');
  return r.body;
}

before(async () => {
  server = await startServer({ env: { CAIRN_ENROLL_TOKEN: ENROLL } });
  admin = await adminClient(server);
  tokenClient = bearer(server, (await newToken(admin)).token);
});
after(async () => { await server?.stop(); });

// The list at path, asked twice (the second answer comes from the cache),
// both answers checked equal but for `now`.
async function listed(c, path) {
  const a = await c.get(path);
  assertStatus(a, 200, path);
  const b = await c.get(path);
  assertStatus(b, 200, path);
  assert.deepEqual({ ...b.body, now: 0 }, { ...a.body, now: 0 }, 'the same answer twice');
  return b.body;
}

const byName = (body) => Object.fromEntries(body.items.map((h) => [h.hostname, h]));

test('every kind of write is in the very next list (session and token callers)', async () => {
  const tag = uniq('cw');
  const path = `${API}/hosts?q=${tag}&per_page=200&sort=hostname`;
  const idc = await mk(admin, 'idcs', { code: uniq('c'), name: `${tag}-idc` });
  const owner = await mk(admin, 'owners', { name: `${tag}-owner` });
  const g = await mk(admin, 'groups', { name: `${tag}-g` });
  for (const c of [admin, tokenClient]) await listed(c, path);

  // create
  const h = await mk(admin, 'hosts', { hostname: `${tag}-a`, ip: '10.40.0.1', idc_id: idc.id, owner_id: owner.id });
  for (const c of [admin, tokenClient]) assert.deepEqual(Object.keys(byName(await listed(c, path))), [`${tag}-a`]);
  // update a column
  assertStatus(await admin.patch(`${API}/hosts/${h.id}`, { memo: 'changed', cpu_count: 12 }), 200);
  for (const c of [admin, tokenClient]) {
    const row = byName(await listed(c, path))[`${tag}-a`];
    assert.equal(row.memo, 'changed');
    assert.equal(row.cpu_count, 12);
  }
  // a referenced name (IDC, owner)
  assertStatus(await admin.patch(`${API}/idcs/${idc.id}`, { name: `${tag}-idc2` }), 200);
  assertStatus(await admin.patch(`${API}/owners/${owner.id}`, { name: `${tag}-owner2` }), 200);
  for (const c of [admin, tokenClient]) {
    const row = byName(await listed(c, path))[`${tag}-a`];
    assert.equal(row._display.idc_id, `${tag}-idc2`);
    assert.equal(row._display.owner_id, `${tag}-owner2`);
  }
  // membership, from the group's side, then the group's name
  assertStatus(await admin.patch(`${API}/groups/${g.id}`, { host_ids: [h.id] }), 200);
  for (const c of [admin, tokenClient]) assert.deepEqual(byName(await listed(c, path))[`${tag}-a`].group_ids, [g.id]);
  assertStatus(await admin.patch(`${API}/groups/${g.id}`, { name: `${tag}-g2` }), 200);
  for (const c of [admin, tokenClient]) assert.deepEqual(byName(await listed(c, path))[`${tag}-a`]._display.group_ids, [`${tag}-g2`]);
  // the group's own list sees its new member count at once
  const groups = await listed(admin, `${API}/groups?q=${tag}`);
  assert.deepEqual(groups.items[0].host_ids, [h.id]);
  assertStatus(await admin.patch(`${API}/hosts/${h.id}`, { group_ids: [] }), 200);
  assert.deepEqual((await listed(admin, `${API}/groups?q=${tag}`)).items[0].host_ids, []);
  // a CSV import
  const imp = await importCsv(admin, 'hosts', `hostname,ip\r\n${tag}-b,10.40.0.2\r\n${tag}-c,10.40.0.3\r\n`);
  assertStatus(imp, 200, 'import');
  for (const c of [admin, tokenClient]) assert.deepEqual(Object.keys(byName(await listed(c, path))), [`${tag}-a`, `${tag}-b`, `${tag}-c`]);
  // delete, bulk delete
  assertStatus(await admin.del(`${API}/hosts/${h.id}`), 200);
  for (const c of [admin, tokenClient]) assert.deepEqual(Object.keys(byName(await listed(c, path))), [`${tag}-b`, `${tag}-c`]);
  const rest = (await listed(admin, path)).items.map((x) => x.id);
  assertStatus(await admin.post(`${API}/hosts/bulk-delete`, { ids: rest }), 200);
  for (const c of [admin, tokenClient]) {
    const body = await listed(c, path);
    assert.deepEqual(body.items, []);
    assert.equal(body.total, 0);
  }
});

test('an agent: enrollment and facts are in the next list; last_seen_at within the cache age', async () => {
  const hostname = uniq('agent');
  const path = `${API}/hosts?q=${hostname}`;
  await listed(admin, path);
  const machineId = crypto.randomBytes(16).toString('hex');
  const e = await fetch(`${server.url}/api/v1/agent/enroll`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ enroll_token: ENROLL, machine_id: machineId, hostname, agent_version: '0.1.0' }),
  });
  assert.equal(e.status, 201);
  const { token, host_id: id } = await e.json();
  let body = await listed(admin, path);
  assert.deepEqual(body.items.map((x) => x.id), [id], 'the enrolled host');
  assert.equal(body.items[0].last_seen_at, null);

  const now = Math.floor(Date.now() / 1000);
  const rep = {
    v: 1, agent_version: '0.1.0', time: now, seq: 1, interval: 60, dropped: 0,
    metrics: {
      cpu: { user: 10, system: 5, iowait: 0, steal: 0, idle: 85 }, load: [0.5, 0.4, 0.3],
      memory: { total: 8e9, used: 2e9, available: 6e9, buffers: 1e8, cached: 1e9 },
      swap: { total: 0, used: 0 }, processes: 120, uptime: 1000,
    },
    facts: { hostname, kernel: `${hostname}-kernel`, os: { id: 'debian', name: 'Debian', version: '12', pretty: 'Debian 12' } },
  };
  const r = await fetch(`${server.url}/api/v1/agent/report`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify(rep),
  });
  assert.equal(r.status, 200, await r.text());
  body = (await admin.get(path)).body;
  assert.equal(body.items[0].os, 'Debian 12', 'a fact merge is a CMDB write');
  assert.ok(body.items[0].last_seen_at > 0, 'the facts moved the generation: the answer is fresh');

  // A report without facts moves only last_seen_at: seen within the cache
  // age (1 s by default), however often the list is asked meanwhile.
  await listed(admin, path);
  const before = (await admin.get(path)).body.items[0].last_seen_at;
  await new Promise((res) => setTimeout(res, 1100)); // a new second for last_seen_at
  const r2 = await fetch(`${server.url}/api/v1/agent/report`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...rep, seq: 2, time: now + 1, facts: undefined }),
  });
  assert.equal(r2.status, 200);
  const t0 = Date.now();
  let seen = before;
  while (seen === before && Date.now() - t0 < 3000) {
    seen = (await admin.get(path)).body.items[0].last_seen_at;
    if (seen === before) await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(seen > before, 'last_seen_at moved');
  // 1 s of cache age, plus slack for a busy machine
  assert.ok(Date.now() - t0 < 2000, `seen after ${Date.now() - t0} ms, within the 1 s cache age`);
});

test('callers limited to different host groups never get each other\'s cached answers', async () => {
  const tag = uniq('sc');
  const gA = await mk(admin, 'groups', { name: `${tag}-ga` });
  const gB = await mk(admin, 'groups', { name: `${tag}-gb` });
  const hA = await mk(admin, 'hosts', { hostname: `${tag}-a`, ip: '10.41.0.1', group_ids: [gA.id] });
  const hB = await mk(admin, 'hosts', { hostname: `${tag}-b`, ip: '10.41.0.2', group_ids: [gB.id] });
  const hAB = await mk(admin, 'hosts', { hostname: `${tag}-ab`, ip: '10.41.0.3', group_ids: [gA.id, gB.id] });
  const roleA = await makeRole(admin, ['assets:view'], { group_ids: [gA.id] });
  const roleB = await makeRole(admin, ['assets:view'], { group_ids: [gB.id] });
  const uA = await loginAs(server, await makeUser(admin, { role_id: roleA }));
  const uB = await loginAs(server, await makeUser(admin, { role_id: roleB }));
  const tA = bearer(server, (await newToken(uA)).token);
  const tB = bearer(server, (await newToken(uB)).token);
  const path = `${API}/hosts?q=${tag}&sort=hostname`;
  const view = (body) => body.items.map((h) => [h.hostname, h.group_ids]);
  const wantA = [[`${tag}-a`, [gA.id]], [`${tag}-ab`, [gA.id]]];
  const wantB = [[`${tag}-ab`, [gB.id]], [`${tag}-b`, [gB.id]]];
  const wantAll = [[`${tag}-a`, [gA.id]], [`${tag}-ab`, [gA.id, gB.id]], [`${tag}-b`, [gB.id]]];
  // Interleaved, each several times: every answer is the caller's own.
  for (let i = 0; i < 3; i++) {
    for (const [c, want] of [[uA, wantA], [tB, wantB], [admin, wantAll], [tA, wantA], [uB, wantB]]) {
      assert.deepEqual(view((await c.get(path)).body), want);
    }
  }
  // The same for a list whose rows are not scoped but whose sets are.
  const gpath = `${API}/groups?q=${tag}&sort=name`;
  const members = (body) => body.items.map((g) => g.host_ids.slice().sort((x, y) => x - y));
  assert.deepEqual(members(await listed(uA, gpath)), [[hA.id, hAB.id]]);
  assert.deepEqual(members(await listed(uB, gpath)), [[hB.id, hAB.id].sort((x, y) => x - y)]);
  // A role's groups change: its users' next list follows, token and session.
  assertStatus(await admin.patch(`/api/v1/roles/${roleA}`, { group_ids: [gB.id] }), 200);
  assert.deepEqual(view((await tA.get(path)).body), wantB);
  assert.deepEqual(view((await uA.get(path)).body), wantB);
  assert.deepEqual(view((await uB.get(path)).body), wantB);
});

test('a revoked token, a removed permission, a deactivated user: refused at the next request (tokens and sessions)', async () => {
  const role = await makeRole(admin, ['assets:view']);
  const u = await makeUser(admin, { role_id: role });
  const s = await loginAs(server, u);
  const path = `${API}/hosts?per_page=10`;
  // revoke
  const t1 = await newToken(s);
  const b1 = bearer(server, t1.token);
  await listed(b1, path);
  assertStatus(await s.del(`/api/v1/tokens/${t1.id}`), 200);
  assertError(await b1.get(path), 401, 'unauthorized');
  // permission removed from the role
  const b2 = bearer(server, (await newToken(s)).token);
  await listed(b2, path);
  await listed(s, path);
  assertStatus(await admin.patch(`/api/v1/roles/${role}`, { permissions: ['apps:view'] }), 200);
  assertError(await b2.get(path), 403, 'forbidden');
  assertError(await s.get(path), 403, 'forbidden');
  assertStatus(await admin.patch(`/api/v1/roles/${role}`, { permissions: ['assets:view'] }), 200);
  await listed(b2, path);
  await listed(s, path);
  // user deactivated
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { active: false }), 200);
  assertError(await b2.get(path), 401, 'unauthorized');
  assertError(await s.get(path), 401, 'unauthorized');
});

test('a second cairnd on the same database: writes on either are in the next list on the other; now is current', async () => {
  const second = await startServer({ backend: server.backend, dataDir: server.dataDir, dbUrl: server.dbUrl,
    args: ['--list-cache', '60000'] });
  const off = await startServer({ backend: server.backend, dataDir: server.dataDir, dbUrl: server.dbUrl,
    args: ['--list-cache', '0'] });
  try {
    const admin2 = await adminClient(second);
    const adminOff = await adminClient(off);
    const tag = uniq('two');
    const path = `${API}/hosts?q=${tag}&sort=hostname`;
    const names = (body) => body.items.map((h) => h.hostname);
    await listed(admin2, path);
    await mk(admin, 'hosts', { hostname: `${tag}-1`, ip: '10.42.0.1' });
    assert.deepEqual(names(await listed(admin2, path)), [`${tag}-1`], 'written on the first, listed on the second');
    await mk(admin2, 'hosts', { hostname: `${tag}-2`, ip: '10.42.0.2' });
    assert.deepEqual(names(await listed(admin, path)), [`${tag}-1`, `${tag}-2`], 'written on the second, listed on the first');
    assert.deepEqual(names(await listed(admin2, path)), [`${tag}-1`, `${tag}-2`]);
    // With the cache off, the same answers.
    for (const p of [path, `${API}/hosts?per_page=50`, `${API}/groups`, `${API}/idcs?sort=-name`]) {
      const a = (await admin2.get(p)).body, b = (await adminOff.get(p)).body;
      assert.deepEqual({ ...a, now: 0 }, { ...b, now: 0 }, p);
    }
    // A cached answer (60 s here) carries the current time.
    const first = (await admin2.get(path)).body;
    await new Promise((res) => setTimeout(res, 1100));
    const later = (await admin2.get(path)).body;
    assert.deepEqual(later.items, first.items);
    assert.ok(later.now > first.now, `now moves on a cached answer (${first.now} -> ${later.now})`);
  } finally {
    await second.stop();
    await off.stop();
  }
});
