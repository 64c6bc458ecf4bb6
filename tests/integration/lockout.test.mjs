// lockout.test.mjs -- failed logins are limited per user name and per source
// address: past the limit the key is locked (423 with Retry-After, even for
// the right password) for login_lockout_seconds; every attempt is audited.
//
// The limits are lowered through PUT /api/v1/settings to keep this fast;
// the end of a lockout is checked by restarting cairnd with its clock moved
// past it (CAIRN_TEST_CLOCK_OFFSET), not by waiting.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, makeUser, userWith, setSettings, auditRows, auditMark, uniq } from './common.mjs';

let server, admin, adminToken;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  // A token keeps the admin's access while this address is locked out.
  const t = await admin.post('/api/v1/tokens', { name: 'lockout-test' });
  assertStatus(t, 201);
  adminToken = new Client(server.url);
  adminToken.bearer = t.body.token;
  await setSettings(admin, { login_max_failures: 3, login_ip_max_failures: 1000, login_lockout_seconds: 600 });
});
after(async () => { await server?.stop(); });

async function login(name, pw) {
  return new Client(server.url).login(name, pw);
}

test('after login_max_failures wrong passwords the user is locked, even with the right one', async () => {
  const u = await makeUser(admin);
  const mark = await auditMark(adminToken);
  for (let i = 0; i < 3; i++) assertError(await login(u.username, `wrong-${i}-password`), 401, 'unauthorized');
  const locked = await login(u.username, u.password);
  assertError(locked, 423, 'locked');
  const retry = Number(locked.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry > 0 && retry <= 600, `Retry-After ${locked.headers.get('retry-after')}`);
  assert.equal(locked.headers.get('set-cookie'), null);
  assertError(await login(u.username, 'wrong-again'), 423, 'locked');

  // the lock is per user: others from the same address still sign in
  const other = await makeUser(admin);
  assertStatus(await login(other.username, other.password), 200);

  // every attempt is in the audit log, with the name tried, the address and no password
  const rows = (await auditRows(adminToken, { action: 'auth.login', user: u.username })).filter((r) => r.id > mark);
  assert.deepEqual(rows.map((r) => r.status), [423, 423, 401, 401, 401]);
  for (const r of rows) {
    assert.equal(r.result, 'denied');
    assert.equal(r.ip, '127.0.0.1');
    assert.equal(r.username, u.username);
    assert.equal(r.object_type, 'user');
    assert.ok(!JSON.stringify(r).includes('wrong-'), 'no password in the audit row');
  }
  assert.ok(!server.logs().includes('wrong-0-password'), 'no password in the server log');
});

test('a successful login clears the user\'s failure count', async () => {
  const u = await makeUser(admin);
  for (let i = 0; i < 2; i++) assertError(await login(u.username, 'wrong-password'), 401);
  assertStatus(await login(u.username, u.password), 200);
  for (let i = 0; i < 2; i++) assertError(await login(u.username, 'wrong-password'), 401);
  assertStatus(await login(u.username, u.password), 200, 'two failures after a success do not lock');
});

test('an admin sees the lock and lifts it (unlock, or a password reset); others cannot', async () => {
  const u = await makeUser(admin);
  const lock = async () => {
    for (let i = 0; i < 3; i++) assertError(await login(u.username, 'wrong-password'), 401);
    assertError(await login(u.username, u.password), 423, 'locked');
  };
  await lock();
  const now = Math.floor(Date.now() / 1000);
  const listed = (await adminToken.get(`/api/v1/users?q=${u.username}`)).body.items.find((x) => x.id === u.id);
  assert.ok(listed.locked_until > now && listed.locked_until <= now + 601, `locked_until ${listed.locked_until}`);
  assert.equal((await adminToken.get(`/api/v1/users/${u.id}`)).body.locked_until, listed.locked_until);

  // users:edit is not enough, and a plain admin cannot unlock a superuser
  const ed = await userWith(server, admin, ['users:view', 'users:edit']);
  assertError(await ed.post(`/api/v1/users/${u.id}/unlock`, {}), 403, 'forbidden');
  assertError(await login(u.username, u.password), 423, 'locked');
  const pa = await userWith(server, admin, ['users:view', 'users:admin']);
  const root = (await adminToken.get('/api/v1/users?q=admin')).body.items.find((x) => x.username === 'admin');
  assertError(await pa.post(`/api/v1/users/${root.id}/unlock`, {}), 403, 'forbidden');
  assertError(await pa.post('/api/v1/users/999999/unlock', {}), 404, 'not_found');

  const mark = await auditMark(adminToken);
  const r = await pa.post(`/api/v1/users/${u.id}/unlock`, {});
  assertStatus(r, 200);
  assert.equal(r.body.was_locked, true);
  assert.equal((await adminToken.get(`/api/v1/users/${u.id}`)).body.locked_until, null);
  assertStatus(await login(u.username, u.password), 200, 'unlocked at once');
  assert.equal((await pa.post(`/api/v1/users/${u.id}/unlock`)).body.was_locked, false, 'no body is fine too');
  const rows = (await auditRows(adminToken, { action: 'user.unlock' })).filter((x) => x.id > mark);
  assert.equal(rows.length, 2);
  assert.equal(rows[0].username, pa.user.username);
  assert.equal(String(rows[0].object_id), String(u.id));

  // a password reset lifts the lock too: the user signs in with the new one
  await lock();
  const reset = await pa.post(`/api/v1/users/${u.id}/password`, {});
  assertStatus(reset, 200);
  assertStatus(await login(u.username, reset.body.password), 200, 'the reset unlocked the account');
});

test('unknown user names are locked the same way (no way to tell who exists)', async () => {
  const ghost = uniq('ghost');
  for (let i = 0; i < 3; i++) assertError(await login(ghost, 'whatever-pw'), 401);
  assertError(await login(ghost, 'whatever-pw'), 423, 'locked');
});

test('bad login bodies are 400 and do not count as failures', async () => {
  const u = await makeUser(admin);
  for (let i = 0; i < 5; i++) {
    assertError(await new Client(server.url).post('/api/v1/auth/login', { username: u.username }), 400, 'bad_request', 'password');
    assertError(await new Client(server.url).post('/api/v1/auth/login', { username: u.username, password: 5 }), 400, 'bad_request', 'password');
  }
  assertStatus(await login(u.username, u.password), 200);
});

test('the lockout ends after login_lockout_seconds; then the address limit applies', async () => {
  const u = await makeUser(admin);
  for (let i = 0; i < 3; i++) assertError(await login(u.username, 'wrong-password'), 401);
  assertError(await login(u.username, u.password), 423);

  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '700' } }); // past the 600 s lockout
  assertStatus(await login(u.username, u.password), 200, 'unlocked after the lockout time');

  // Per source address: 4 failures with 4 different names lock 127.0.0.1.
  await adminToken.patch('/api/v1/settings', { login_ip_max_failures: 4 });
  for (let i = 0; i < 4; i++) assertError(await login(uniq('spray'), 'wrong-password'), 401);
  const locked = await login(u.username, u.password);
  assertError(locked, 423, 'locked');
  assert.ok(Number(locked.headers.get('retry-after')) > 0);
  assertError(await login('admin', server.adminPassword), 423, 'locked');
  // API tokens are not logins: they keep working
  assertStatus(await adminToken.get('/api/v1/auth/me'), 200);
  const rows = await auditRows(adminToken, { action: 'auth.login', result: 'denied', user: 'admin' });
  assert.equal(rows[0].status, 423);

  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '1400' } });
  assertStatus(await login(u.username, u.password), 200, 'the address lock ends too');
});

test('behind a trusted proxy the lock is per client address from X-Forwarded-For, which nobody else can forge', async () => {
  const proxied = await startServer({ args: ['--trusted-proxies', '127.0.0.1, 10.0.0.0/8'] });
  try {
    const root = await adminClient(proxied);
    await setSettings(root, { login_max_failures: 1000, login_ip_max_failures: 3, login_lockout_seconds: 600 });
    const u = await makeUser(root);
    const via = (ip) => ({ headers: { 'X-Forwarded-For': ip } });
    const loginFrom = (ip, name, pw) => new Client(proxied.url).post('/api/v1/auth/login', { username: name, password: pw }, via(ip));
    for (let i = 0; i < 3; i++) assertError(await loginFrom('203.0.113.7', uniq('spray'), 'wrong-password'), 401);
    assertError(await loginFrom('203.0.113.7', u.username, u.password), 423, 'locked');
    // the spoofed hop a client puts in front is ignored; the proxy's own entry counts
    assertError(await loginFrom('198.51.100.1, 203.0.113.7', u.username, u.password), 423, 'locked');
    assertError(await loginFrom('203.0.113.7, 10.1.1.1', u.username, u.password), 423, 'locked'); // trusted hops are skipped
    // other clients behind the same proxy still sign in
    assertStatus(await loginFrom('203.0.113.8', u.username, u.password), 200, 'another client address');
    assertStatus(await new Client(proxied.url).login(u.username, u.password), 200, 'the proxy itself (no header)');
    const rows = await auditRows(root, { action: 'auth.login', user: u.username });
    assert.equal(rows.find((r) => r.status === 423).ip, '203.0.113.7', 'the audit names the client, not the proxy');
    assert.ok(rows.some((r) => r.status === 200 && r.ip === '203.0.113.8'));
  } finally {
    await proxied.stop();
  }
  // without trusted-proxies the header is ignored: all of this came from 127.0.0.1
  const u2 = await makeUser(admin);
  assertStatus(await new Client(server.url).post('/api/v1/auth/login', { username: u2.username, password: u2.password },
    { headers: { 'X-Forwarded-For': '203.0.113.7' } }), 200);
  const rows = await auditRows(adminToken, { action: 'auth.login', user: u2.username });
  assert.equal(rows[0].ip, '127.0.0.1', 'a client cannot choose its address');
});

test('a bad trusted-proxies value stops cairnd at start with the reason', async () => {
  await assert.rejects(startServer({ args: ['--trusted-proxies', '10.0.0.0/40'] }), /trusted-proxies: "10.0.0.0\/40" is not an IP address/);
});
