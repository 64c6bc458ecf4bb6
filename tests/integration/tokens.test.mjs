// tokens.test.mjs -- API tokens: shown once, listed by prefix only, usable
// with "Authorization: Bearer" from a fresh client (no cookie, no CSRF),
// revocable, optionally expiring; writes made with a token are audited as
// such. Expiry is checked by restarting cairnd with its clock moved ahead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import {
  assertError, assertStatus, makeUser, loginAs, userWith, uniq, lastAudit, auditMark, serverNow,
} from './common.mjs';

let server, admin;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
});
after(async () => { await server?.stop(); });

function bearer(token) {
  const c = new Client(server.url);
  c.bearer = token;
  return c;
}

test('a token is shown once; lists give only its prefix', async () => {
  const r = await admin.post('/api/v1/tokens', { name: 'deploy script' });
  assertStatus(r, 201);
  assert.ok(Number.isInteger(r.body.id));
  assert.match(r.body.token, /^cairn_[0-9a-f]{64}$/);
  assert.ok(r.body.token.startsWith(r.body.prefix));
  assert.ok(r.body.prefix.length < 16);
  const list = await admin.get('/api/v1/tokens');
  assertStatus(list, 200);
  const item = list.body.items.find((t) => t.id === r.body.id);
  assert.ok(item);
  assert.equal(item.name, 'deploy script');
  assert.equal(item.prefix, r.body.prefix);
  assert.equal(item.revoked, false);
  assert.equal(item.expires_at, null);
  for (const k of ['id', 'name', 'prefix', 'created_at', 'expires_at', 'last_used_at', 'revoked']) assert.ok(k in item, k);
  assert.ok(!list.text.includes(r.body.token.slice(12)), 'the secret part is never listed');
  assert.ok(!/hash/.test(list.text));
  assert.ok(!server.logs().includes(r.body.token.slice(12)), 'nor logged');
  const audit = await admin.get('/api/v1/audit?per_page=200');
  assert.ok(!audit.text.includes(r.body.token.slice(12)), 'nor audited');
});

test('a fresh client uses the token with Bearer: no cookie, no CSRF; writes are audited as token writes', async () => {
  const u = await makeUser(admin, { superuser: true });
  const c = await loginAs(server, u);
  const t = (await c.post('/api/v1/tokens', { name: 'ci' })).body;
  const b = bearer(t.token);
  const me = await b.get('/api/v1/auth/me');
  assertStatus(me, 200);
  assert.equal(me.body.username, u.username);
  assert.equal(me.body.via, 'token');
  assert.equal(me.body.csrf_token, undefined, 'no CSRF token without a session');
  const mark = await auditMark(admin);
  const name = uniq('bygroup');
  assertStatus(await b.post('/api/v1/groups', { name }), 201);
  const row = await lastAudit(admin, 'group.create', mark);
  assert.equal(row.username, u.username);
  assert.equal(row.via, 'token');
  assert.equal(row.result, 'ok');
  const listed = (await c.get('/api/v1/tokens')).body.items.find((x) => x.id === t.id);
  assert.ok(listed.last_used_at > 0, 'last use is recorded');
});

test('wrong, malformed and foreign-scheme tokens are 401 on protected routes, ignored on public ones', async () => {
  for (const h of ['Bearer cairn_' + '0'.repeat(64), 'Bearer ', 'Bearer x', 'bearer cairn_abc', 'Basic YWRtaW46YWRtaW4=']) {
    const r = await new Client(server.url).get('/api/v1/auth/me', { headers: { Authorization: h } });
    assertError(r, 401, 'unauthorized');
  }
  const h = await new Client(server.url).get('/api/v1/health', { headers: { Authorization: 'Bearer nonsense' } });
  assertStatus(h, 200);
});

test('a token cannot mint more tokens (a leaked token must not outlive its expiry)', async () => {
  const t = (await admin.post('/api/v1/tokens', { name: 'limited' })).body;
  const r = await bearer(t.token).post('/api/v1/tokens', { name: 'child' });
  assertError(r, 403, 'forbidden');
  const names = (await admin.get('/api/v1/tokens?per_page=200')).body.items.map((x) => x.name);
  assert.ok(!names.includes('child'));
});

test('revoked tokens are 401 at once; revoking is audited and idempotent', async () => {
  const t = (await admin.post('/api/v1/tokens', { name: 'to-revoke' })).body;
  const b = bearer(t.token);
  assertStatus(await b.get('/api/v1/auth/me'), 200);
  const mark = await auditMark(admin);
  assertStatus(await admin.del(`/api/v1/tokens/${t.id}`), 200);
  assertError(await b.get('/api/v1/auth/me'), 401, 'unauthorized');
  assertError(await b.post('/api/v1/groups', { name: uniq('g') }), 401, 'unauthorized');
  const item = (await admin.get('/api/v1/tokens?per_page=200')).body.items.find((x) => x.id === t.id);
  assert.equal(item.revoked, true);
  assert.ok(item.revoked_at > 0);
  const row = await lastAudit(admin, 'token.revoke', mark);
  assert.equal(row.object_type, 'api_token');
  assert.equal(row.object_id, String(t.id));
  assertStatus(await admin.del(`/api/v1/tokens/${t.id}`), 200);
  assertError(await admin.del('/api/v1/tokens/999999'), 404, 'not_found');
});

test('tokens are private: others see and revoke only their own, users:admin sees all', async () => {
  const alice = await userWith(server, admin, ['assets:view']);
  const bob = await userWith(server, admin, ['assets:view']);
  const ta = (await alice.post('/api/v1/tokens', { name: 'alice-token' })).body;
  const bobList = (await bob.get('/api/v1/tokens?all=1')).body;
  assert.ok(!bobList.items.some((x) => x.id === ta.id), 'all=1 without users:admin lists only your own');
  assertError(await bob.del(`/api/v1/tokens/${ta.id}`), 404, 'not_found');
  assertStatus(await bearer(ta.token).get('/api/v1/auth/me'), 200, 'still valid');
  const all = (await admin.get('/api/v1/tokens?all=1&per_page=200')).body;
  const seen = all.items.find((x) => x.id === ta.id);
  assert.equal(seen.username, alice.user.username);
  assertStatus(await admin.del(`/api/v1/tokens/${ta.id}`), 200, 'users:admin revokes anyone\'s');
  assertError(await bearer(ta.token).get('/api/v1/auth/me'), 401);
});

test('a token dies with its user: deactivated or deleted', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  const t = (await c.post('/api/v1/tokens', { name: 'mine' })).body;
  assertStatus(await bearer(t.token).get('/api/v1/auth/me'), 200);
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { active: false }), 200);
  assertError(await bearer(t.token).get('/api/v1/auth/me'), 401);
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { active: true }), 200);
  assertStatus(await bearer(t.token).get('/api/v1/auth/me'), 200);
  assertStatus(await admin.del(`/api/v1/users/${u.id}`), 200);
  assertError(await bearer(t.token).get('/api/v1/auth/me'), 401);
});

test('token bodies are validated', async () => {
  const now = await serverNow(server);
  assertError(await admin.post('/api/v1/tokens', {}), 400, 'bad_request', 'name');
  assertError(await admin.post('/api/v1/tokens', { name: '' }), 400, 'bad_request', 'name');
  assertError(await admin.post('/api/v1/tokens', { name: 'x'.repeat(65) }), 400, 'bad_request', 'name');
  assertError(await admin.post('/api/v1/tokens', { name: 'a\nb' }), 400, 'bad_request', 'name');
  assertError(await admin.post('/api/v1/tokens', { name: 'x', expires_at: now - 10 }), 400, 'bad_request', 'expires_at');
  assertError(await admin.post('/api/v1/tokens', { name: 'x', expires_at: 'tomorrow' }), 400, 'bad_request', 'expires_at');
  assertError(await admin.post('/api/v1/tokens', { name: 'x', expires_at: now + 0.5 }), 400, 'bad_request', 'expires_at');
  assertError(await admin.post('/api/v1/tokens', { name: 'x', scope: 'all' }), 400, 'bad_request', 'scope');
});

// Runs last: restarts the server with its clock moved forward.
test('an expired token is 401; one without expiry keeps working', async () => {
  const now = await serverNow(server);
  const short = (await admin.post('/api/v1/tokens', { name: 'short', expires_at: now + 600 })).body;
  const forever = (await admin.post('/api/v1/tokens', { name: 'forever' })).body;
  const listed = (await admin.get('/api/v1/tokens?per_page=200')).body.items.find((x) => x.id === short.id);
  assert.equal(listed.expires_at, now + 600);
  assertStatus(await bearer(short.token).get('/api/v1/auth/me'), 200);
  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '300' } });
  assertStatus(await bearer(short.token).get('/api/v1/auth/me'), 200, 'valid before expires_at');
  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '1200' } });
  assertError(await bearer(short.token).get('/api/v1/auth/me'), 401, 'unauthorized');
  assertStatus(await bearer(forever.token).get('/api/v1/auth/me'), 200);
});
