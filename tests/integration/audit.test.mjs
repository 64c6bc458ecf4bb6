// audit.test.mjs -- every write leaves an audit row saying who (user id and
// name, via session or token), from where (ip), what (action, object type
// and id), with what outcome (HTTP status, ok/denied/failed) and what
// changed (old → new, secrets as ***). The log is append-only, searchable
// (q, user, action, result, from, to) and paged newest first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import {
  assertError, assertStatus, makeRole, makeUser, loginAs, userWith, uniq, auditRows, auditMark, setSettings, USER_PASSWORD,
} from './common.mjs';

let server, admin, adminId;
const secrets = []; // every password and token used here: none may appear in the audit log or server log

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  adminId = (await admin.get('/api/v1/auth/me')).body.id;
  secrets.push(server.adminPassword);
});
after(async () => { await server?.stop(); });

// Do `fn`, then return the audit rows it added (oldest first).
async function audited(fn) {
  const mark = await auditMark(admin);
  const out = await fn();
  const rows = (await auditRows(admin)).filter((r) => r.id > mark).reverse();
  return { out, rows };
}

function check(row, want) {
  for (const [k, v] of Object.entries(want)) assert.deepEqual(row[k], v, `audit ${row.action}.${k}: ${JSON.stringify(row)}`);
  assert.ok(Number.isInteger(row.ts) && row.ts > 1.6e9, 'ts is Unix seconds');
}

test('user writes: create, update (old → new), reset, delete; passwords masked', async () => {
  const username = uniq('aud');
  const pw = 'very-secret-Pa55';
  secrets.push(pw);
  let { out, rows } = await audited(() => admin.post('/api/v1/users', { username, password: pw, email: 'a@example.com' }));
  const id = out.body.id;
  assert.equal(rows.length, 1);
  check(rows[0], {
    action: 'user.create', user_id: adminId, username: 'admin', ip: '127.0.0.1', via: 'session',
    object_type: 'user', object_id: String(id), status: 201, result: 'ok',
  });
  assert.deepEqual(rows[0].detail.username, { old: null, new: username });
  assert.deepEqual(rows[0].detail.email, { old: null, new: 'a@example.com' });
  assert.deepEqual(rows[0].detail.password, { old: '***', new: '***' });

  ({ rows } = await audited(() => admin.patch(`/api/v1/users/${id}`, { email: 'b@example.com', display_name: 'Bee' })));
  check(rows[0], { action: 'user.update', object_id: String(id), status: 200, result: 'ok' });
  assert.deepEqual(rows[0].detail.email, { old: 'a@example.com', new: 'b@example.com' });
  assert.deepEqual(rows[0].detail.display_name, { old: '', new: 'Bee' });

  ({ out, rows } = await audited(() => admin.post(`/api/v1/users/${id}/password`, {})));
  secrets.push(out.body.password);
  check(rows[0], { action: 'user.password_reset', object_type: 'user', object_id: String(id), status: 200, result: 'ok' });
  assert.deepEqual(rows[0].detail, { password: '***' });

  ({ rows } = await audited(() => admin.del(`/api/v1/users/${id}`)));
  check(rows[0], { action: 'user.delete', object_id: String(id), status: 200, result: 'ok' });
  assert.deepEqual(rows[0].detail, { username });
});

test('sign-in, sign-out and own password change are audited', async () => {
  const u = await makeUser(admin);
  let { out: c, rows } = await audited(() => loginAs(server, u));
  check(rows[0], { action: 'auth.login', user_id: u.id, username: u.username, object_type: 'user', status: 200, result: 'ok' });
  ({ rows } = await audited(() => new Client(server.url).login(u.username, 'not-the-password')));
  check(rows[0], { action: 'auth.login', user_id: null, username: u.username, status: 401, result: 'denied' });
  ({ rows } = await audited(() => c.post('/api/v1/auth/password', { old_password: u.password, new_password: 'changed-Pa55word' })));
  secrets.push('changed-Pa55word');
  check(rows[0], { action: 'auth.password', user_id: u.id, username: u.username, object_id: String(u.id), status: 200, result: 'ok' });
  assert.deepEqual(rows[0].detail, { password: '***' });
  ({ rows } = await audited(() => c.post('/api/v1/auth/logout')));
  check(rows[0], { action: 'auth.logout', user_id: u.id, username: u.username, status: 200, result: 'ok' });
});

test('roles, settings, tokens and groups are audited with what changed', async () => {
  const name = uniq('role');
  let { out, rows } = await audited(() => admin.post('/api/v1/roles', { name, permissions: ['assets:view'] }));
  const rid = out.body.id;
  check(rows[0], { action: 'role.create', object_type: 'role', object_id: String(rid), status: 201, result: 'ok' });
  assert.deepEqual(rows[0].detail.permissions, { old: null, new: ['assets:view'] });
  ({ rows } = await audited(() => admin.patch(`/api/v1/roles/${rid}`, { permissions: ['assets:edit'] })));
  check(rows[0], { action: 'role.update', object_id: String(rid), result: 'ok' });
  assert.deepEqual(rows[0].detail.permissions, { old: ['assets:view'], new: ['assets:edit'] });
  ({ rows } = await audited(() => admin.del(`/api/v1/roles/${rid}`)));
  check(rows[0], { action: 'role.delete', object_id: String(rid), result: 'ok' });
  assert.deepEqual(rows[0].detail, { name });

  const old = (await admin.get('/api/v1/settings')).body.site_name;
  ({ rows } = await audited(() => admin.patch('/api/v1/settings', { site_name: 'Audit Site', session_ttl: 7200 })));
  check(rows[0], { action: 'settings.update', object_type: 'settings', status: 200, result: 'ok' });
  assert.deepEqual(rows[0].detail.site_name, { old, new: 'Audit Site' });
  assert.equal(rows[0].detail.session_ttl.new, 7200);

  ({ out, rows } = await audited(() => admin.post('/api/v1/tokens', { name: 'audited' })));
  secrets.push(out.body.token);
  check(rows[0], { action: 'token.create', object_type: 'api_token', object_id: String(out.body.id), status: 201, result: 'ok' });
  assert.deepEqual(rows[0].detail, { name: 'audited', prefix: out.body.prefix });
  ({ rows } = await audited(() => admin.del(`/api/v1/tokens/${out.body.id}`)));
  check(rows[0], { action: 'token.revoke', object_id: String(out.body.id), result: 'ok' });

  ({ out, rows } = await audited(() => admin.post('/api/v1/groups', { name: uniq('grp') })));
  check(rows[0], { action: 'group.create', object_type: 'group', object_id: String(out.body.id), status: 201, result: 'ok' });
  ({ rows } = await audited(() => admin.del(`/api/v1/groups/${out.body.id}`)));
  check(rows[0], { action: 'group.delete', object_id: String(out.body.id), result: 'ok' });
});

test('refused and failed writes are audited too: denied (401/403/423) and failed (4xx)', async () => {
  const weak = await userWith(server, admin, ['users:view']);
  let { rows } = await audited(() => weak.post('/api/v1/roles', { name: uniq('nope') }));
  check(rows[0], { action: 'role.create', username: weak.user.username, user_id: weak.user.id, status: 403, result: 'denied' });
  ({ rows } = await audited(() => admin.post('/api/v1/roles', { name: '' })));
  check(rows[0], { action: 'role.create', username: 'admin', status: 400, result: 'failed' });
  ({ rows } = await audited(() => admin.post('/api/v1/users', { username: 'admin', password: USER_PASSWORD })));
  check(rows[0], { action: 'user.create', status: 409, result: 'failed' });
  ({ rows } = await audited(() => admin.del('/api/v1/roles/999999')));
  check(rows[0], { action: 'role.delete', status: 404, result: 'failed' });
});

test('writes made with a token say so', async () => {
  const t = (await admin.post('/api/v1/tokens', { name: 'via' })).body;
  secrets.push(t.token);
  const b = new Client(server.url);
  b.bearer = t.token;
  const { rows } = await audited(() => b.post('/api/v1/groups', { name: uniq('tok') }));
  check(rows[0], { action: 'group.create', username: 'admin', user_id: adminId, via: 'token', result: 'ok' });
});

test('search: q, user, action, result, from/to; paging newest first', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  const suffix = uniq('');
  const marker = `needle_50%${suffix}`;
  await c.post('/api/v1/auth/logout');
  assertStatus(await admin.post('/api/v1/roles', { name: marker, description: 'find me' }), 201);
  // matched by the marker if its _ and % were LIKE wildcards
  assertStatus(await admin.post('/api/v1/roles', { name: `needleX50Y${suffix}` }), 201);

  const byQ = await auditRows(admin, { q: marker });
  assert.equal(byQ.length, 1, `q finds the row by its detail: ${JSON.stringify(byQ)}`);
  assert.equal(byQ[0].action, 'role.create');
  assert.equal((await auditRows(admin, { q: marker.toUpperCase() })).length, 1, 'q is case-insensitive');
  assert.equal((await auditRows(admin, { q: '%' })).every((r) => JSON.stringify(r).includes('%')), true, '% is literal');
  assert.equal((await auditRows(admin, { q: '_' })).every((r) => JSON.stringify(r).includes('_')), true, '_ is literal');

  const byUser = await auditRows(admin, { user: u.username });
  assert.deepEqual(byUser.map((r) => r.action), ['auth.logout', 'auth.login']);
  const byAction = await auditRows(admin, { action: 'auth.logout', user: u.username });
  assert.equal(byAction.length, 1);
  const denied = await auditRows(admin, { result: 'denied' });
  assert.ok(denied.every((r) => r.result === 'denied'));

  const ts = byAction[0].ts;
  assert.equal((await auditRows(admin, { user: u.username, from: ts, to: ts })).length >= 1, true);
  assert.equal((await auditRows(admin, { user: u.username, to: ts - 1000 })).length, 0);
  assert.equal((await auditRows(admin, { user: u.username, from: ts + 1000 })).length, 0);

  // newest first, pages consistent with total
  const all = await admin.get('/api/v1/audit?per_page=10');
  assertStatus(all, 200);
  const ids = all.body.items.map((r) => r.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
  const p2 = (await admin.get('/api/v1/audit?per_page=10&page=2')).body;
  assert.equal(p2.total, all.body.total);
  assert.ok(p2.items.every((r) => r.id < ids[ids.length - 1]));
  const sorted = (await admin.get('/api/v1/audit?sort=action&per_page=50')).body.items.map((r) => r.action);
  assert.deepEqual(sorted, [...sorted].sort());

  for (const [q, field] of [['from=yesterday', 'from'], ['to=12abc', 'to'], ['from=1&to=x', 'to'], ['from=&to=x', 'to'], ['per_page=7', 'per_page'],
    ['page=0', 'page'], ['sort=detail', 'sort'], ['sort=password_hash', 'sort'], [`q=${'x'.repeat(201)}`, 'q']])
    assertError(await admin.get(`/api/v1/audit?${q}`), 400, 'bad_request', field);
});

test('the audit log is append-only: no route writes or deletes it', async () => {
  const before = (await admin.get('/api/v1/audit')).body.total;
  for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const r = await admin.req(m, '/api/v1/audit', m === 'DELETE' ? undefined : {});
    assertError(r, 405, 'method_not_allowed');
  }
  for (const m of ['PUT', 'PATCH', 'DELETE']) assertError(await admin.req(m, '/api/v1/audit/1', m === 'DELETE' ? undefined : {}), 404, 'not_found');
  assert.ok((await admin.get('/api/v1/audit')).body.total >= before);
  assert.ok((await auditRows(admin, { per_page: '200' })).length > 0);
});

test('no password or token ever reaches the audit log or the server log', async () => {
  await setSettings(admin, { site_name: 'Cairn' });
  const text = JSON.stringify(await auditRows(admin, { per_page: '200' })) +
    JSON.stringify((await admin.get('/api/v1/audit?per_page=200&page=2')).body);
  const logs = server.logs();
  for (const s of secrets.filter(Boolean)) {
    assert.ok(!text.includes(s), `a secret is in the audit log: ${s.slice(0, 4)}…`);
    assert.ok(!logs.includes(s), `a secret is in the server log: ${s.slice(0, 4)}…`);
  }
  assert.ok(!/argon2id/.test(text) && !/argon2id/.test(logs), 'no password hashes either');
});
