// auth.test.mjs -- health, signing in and out, /auth/me, CSRF, changing and
// resetting passwords, and session expiry.
//
// Expiry is tested without waiting: the server is restarted on the same
// data with CAIRN_TEST_CLOCK_OFFSET, which runs its clock minutes ahead, and
// the test asserts what a user would see at that later time. The margins are
// hundreds of seconds, so the real seconds a restart takes never matter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import {
  VERSION, assertError, assertStatus, makeUser, loginAs, setSettings, snapshot, uniq, lastAudit, auditMark,
} from './common.mjs';

let server, admin;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
});
after(async () => { await server?.stop(); });

function cookieAttrs(setCookie) {
  const parts = setCookie.split(';').map((s) => s.trim());
  const [name, value] = parts[0].split('=');
  const attrs = {};
  for (const p of parts.slice(1)) {
    const [k, v] = p.split('=');
    attrs[k.toLowerCase()] = v === undefined ? true : v;
  }
  return { name, value, attrs };
}

test('health answers without credentials: status, version, backend, uptime', async () => {
  const r = await new Client(server.url).get('/api/v1/health');
  assertStatus(r, 200);
  assert.equal(r.body.status, 'ok');
  assert.equal(r.body.version, VERSION);
  assert.equal(r.body.db, server.backend === 'pg' ? 'postgresql' : 'sqlite');
  assert.ok(Number.isInteger(r.body.uptime) && r.body.uptime >= 0);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
});

test('login sets a hardened session cookie and returns the CSRF token and the user', async () => {
  const c = new Client(server.url);
  const r = await c.login('admin', server.adminPassword);
  assertStatus(r, 200);
  assert.match(r.body.csrf_token, /^[0-9a-f]{64}$/);
  assert.equal(r.body.user.username, 'admin');
  assert.equal(r.body.user.superuser, true);
  assert.ok(!/password|hash/i.test(JSON.stringify(r.body)), 'no password material in the answer');
  const ck = cookieAttrs(r.headers.get('set-cookie'));
  assert.equal(ck.name, 'cairn_sid');
  assert.match(ck.value, /^[0-9a-f]{64}$/);
  assert.equal(ck.attrs.httponly, true);
  assert.equal(ck.attrs.samesite, 'Lax');
  assert.equal(ck.attrs.path, '/');
  const settings = (await admin.get('/api/v1/settings')).body;
  assert.equal(Number(ck.attrs['max-age']), settings.session_ttl);
  assert.equal(ck.attrs.secure, undefined, 'no Secure flag on plain http');
  // behind a TLS proxy the cookie is Secure
  const r2 = await new Client(server.url).post('/api/v1/auth/login', { username: 'admin', password: server.adminPassword },
    { headers: { 'X-Forwarded-Proto': 'https' } });
  assertStatus(r2, 200);
  assert.equal(cookieAttrs(r2.headers.get('set-cookie')).attrs.secure, true);
});

test('/auth/me describes the signed-in user; without a session it is 401', async () => {
  const c = new Client(server.url);
  const anon = await c.get('/api/v1/auth/me');
  assertError(anon, 401, 'unauthorized');
  const login = await c.login('admin', server.adminPassword);
  const me = await c.get('/api/v1/auth/me');
  assertStatus(me, 200);
  for (const k of ['id', 'username', 'display_name', 'email', 'phone', 'superuser', 'role', 'permissions', 'group_ids', 'csrf_token'])
    assert.ok(k in me.body, `me has ${k}`);
  assert.equal(me.body.csrf_token, login.body.csrf_token);
  assert.equal(me.body.username, 'admin');
  assert.ok(me.body.last_login_at > 0);
  assert.ok(!('password_hash' in me.body));
  // a made-up cookie is no session
  const fake = new Client(server.url);
  fake.cookie = `cairn_sid=${'0'.repeat(64)}`;
  assertError(await fake.get('/api/v1/auth/me'), 401, 'unauthorized');
});

test('wrong password, unknown user and inactive user all get the same 401', async () => {
  const u = await makeUser(admin);
  const inactive = await makeUser(admin, { active: false });
  const answers = [];
  for (const [name, pw] of [['admin', 'wrong-password'], [uniq('nobody'), 'whatever1'], [inactive.username, inactive.password], [u.username, u.password.toUpperCase()]]) {
    const c = new Client(server.url);
    const r = await c.login(name, pw);
    assertError(r, 401, 'unauthorized');
    assert.equal(r.headers.get('set-cookie'), null, 'no cookie on failure');
    answers.push(r.body.error.message);
    assertError(await c.get('/api/v1/auth/me'), 401);
  }
  assert.equal(new Set(answers).size, 1, `one message for every failure: ${answers}`);
  // the right password still works afterwards
  await loginAs(server, u);
});

test('logout ends the session on the server, clears the cookie and is audited', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  const cookie = c.cookie;
  const mark = await auditMark(admin);
  // without the CSRF header logout is refused and the session lives on
  const noCsrf = await c.post('/api/v1/auth/logout', undefined, { headers: { 'X-CSRF-Token': '' } });
  assertError(noCsrf, 403, 'csrf');
  assertStatus(await c.get('/api/v1/auth/me'), 200);
  const r = await c.post('/api/v1/auth/logout');
  assertStatus(r, 200);
  const ck = cookieAttrs(r.headers.get('set-cookie'));
  assert.equal(ck.value, '');
  assert.equal(ck.attrs['max-age'], '0');
  // replaying the old cookie does not work: the session is gone server-side
  const replay = new Client(server.url);
  replay.cookie = cookie;
  assertError(await replay.get('/api/v1/auth/me'), 401, 'unauthorized');
  const row = await lastAudit(admin, 'auth.logout', mark);
  assert.equal(row.username, u.username);
  assert.equal(row.user_id, u.id);
  assert.equal(row.result, 'ok');
  assert.equal(row.via, 'session');
});

test('CSRF: a session write without or with a wrong X-CSRF-Token is 403 and changes nothing', async () => {
  const u = await makeUser(admin, { superuser: true });
  const c = await loginAs(server, u);
  const other = await adminClient(server); // another session's token is wrong too
  const before = await snapshot(admin);
  const mark = await auditMark(admin);
  const writes = [
    ['POST', '/api/v1/roles', { name: uniq('csrf') }],
    ['POST', '/api/v1/groups', { name: uniq('csrf') }],
    ['PATCH', '/api/v1/settings', { site_name: 'hijacked' }],
    ['PUT', '/api/v1/settings', { site_name: 'hijacked' }],
    ['PATCH', `/api/v1/users/${u.id}`, { email: 'evil@example.com' }],
    ['DELETE', `/api/v1/users/${u.id}`],
    ['POST', '/api/v1/tokens', { name: 'stolen' }],
    ['POST', '/api/v1/auth/password', { old_password: u.password, new_password: 'hijacked-password' }],
    ['POST', `/api/v1/users/${u.id}/password`, {}],
  ];
  for (const bad of [undefined, '', 'nonsense', '0'.repeat(64), other.csrf, c.csrf.toUpperCase(), c.csrf.slice(0, 63)]) {
    for (const [m, p, body] of writes) {
      const headers = bad === undefined ? {} : { 'X-CSRF-Token': bad };
      const saved = c.csrf;
      c.csrf = null; // send exactly `headers`
      const r = await c.req(m, p, body, { headers });
      c.csrf = saved;
      assertError(r, 403, 'csrf');
    }
  }
  assert.deepEqual(await snapshot(admin), before, 'nothing changed');
  const denied = (await admin.get(`/api/v1/audit?result=denied&user=${u.username}&per_page=200`)).body.items.filter((x) => x.id > mark);
  assert.ok(denied.length >= writes.length, 'refused writes are audited as denied');
  // with the right token the same session may write
  assertStatus(await c.post('/api/v1/groups', { name: uniq('csrf-ok') }), 201);
  // reads need no token
  c.csrf = null;
  assertStatus(await c.get('/api/v1/users'), 200);
});

test('change own password: checks the old one, ends other sessions, keeps this one', async () => {
  const u = await makeUser(admin);
  const c1 = await loginAs(server, u);
  const c2 = await loginAs(server, u);
  const mark = await auditMark(admin);
  assertError(await c1.post('/api/v1/auth/password', { old_password: 'not-it-at-all', new_password: 'new-Pa55word' }), 400, 'bad_request', 'old_password');
  assertError(await c1.post('/api/v1/auth/password', { old_password: u.password, new_password: 'short' }), 400, 'bad_request', 'new_password');
  assertStatus(await loginAs(server, u).then((c) => c.get('/api/v1/auth/me')), 200); // unchanged so far
  const r = await c1.post('/api/v1/auth/password', { old_password: u.password, new_password: 'new-Pa55word' });
  assertStatus(r, 200);
  assertStatus(await c1.get('/api/v1/auth/me'), 200, 'this session continues');
  assertError(await c2.get('/api/v1/auth/me'), 401, 'unauthorized');
  assertError(await new Client(server.url).login(u.username, u.password), 401);
  assertStatus(await new Client(server.url).login(u.username, 'new-Pa55word'), 200);
  const row = await lastAudit(admin, 'auth.password', mark);
  assert.equal(row.username, u.username);
  assert.equal(row.result, 'ok');
  const text = JSON.stringify(await admin.get('/api/v1/audit?per_page=200').then((x) => x.body));
  assert.ok(!text.includes('new-Pa55word') && !text.includes(u.password), 'passwords never reach the audit log');
});

test('an admin resets a password: generated once or given; the user\'s sessions end', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  const r = await admin.post(`/api/v1/users/${u.id}/password`, {});
  assertStatus(r, 200);
  assert.equal(typeof r.body.password, 'string');
  assert.ok(r.body.password.length >= 12);
  assertError(await c.get('/api/v1/auth/me'), 401);
  assertStatus(await new Client(server.url).login(u.username, r.body.password), 200);
  const r2 = await admin.post(`/api/v1/users/${u.id}/password`, { password: 'chosen-Pa55word' });
  assertStatus(r2, 200);
  assert.equal(r2.body.password, undefined, 'a given password is not echoed');
  assertStatus(await new Client(server.url).login(u.username, 'chosen-Pa55word'), 200);
  // also without any body at all
  const r3 = await admin.req('POST', `/api/v1/users/${u.id}/password`);
  assertStatus(r3, 200);
  assert.equal(typeof r3.body.password, 'string');
  assertError(await admin.post('/api/v1/users/999999/password', {}), 404, 'not_found');
  assertError(await admin.post(`/api/v1/users/${u.id}/password`, { password: 'short' }), 400, 'bad_request', 'password');
  assert.ok(!server.logs().includes(r.body.password), 'the generated password is not logged');
});

test('a password reset can revoke the user\'s API tokens too (a leaked password may have leaked them)', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  const made = [];
  for (const name of ['ci', 'backup']) {
    const t = await c.post('/api/v1/tokens', { name });
    assertStatus(t, 201);
    made.push(t.body.token);
  }
  const bearer = (tok) => Object.assign(new Client(server.url), { bearer: tok });
  // a plain reset keeps them (automation goes on)
  assertStatus(await admin.post(`/api/v1/users/${u.id}/password`, {}), 200);
  for (const tok of made) assertStatus(await bearer(tok).get('/api/v1/auth/me'), 200);
  const r = await admin.post(`/api/v1/users/${u.id}/password`, { revoke_tokens: true });
  assertStatus(r, 200);
  assert.equal(r.body.tokens_revoked, 2);
  for (const tok of made) assertError(await bearer(tok).get('/api/v1/auth/me'), 401, 'unauthorized');
  assert.equal((await admin.post(`/api/v1/users/${u.id}/password`, { revoke_tokens: true })).body.tokens_revoked, 0);
});

test('sessions live in the database: a second cairnd on the same database accepts the cookie', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  const second = await startServer({ backend: server.backend, dataDir: server.dataDir, dbUrl: server.dbUrl });
  try {
    const c2 = new Client(second.url);
    c2.cookie = c.cookie;
    c2.csrf = c.csrf;
    const me = await c2.get('/api/v1/auth/me');
    assertStatus(me, 200);
    assert.equal(me.body.username, u.username);
    assertStatus(await c2.post('/api/v1/auth/logout'), 200);
    assertError(await c.get('/api/v1/auth/me'), 401, 'unauthorized', undefined);
  } finally {
    await second.stop();
  }
});

// Runs last: it restarts the server with its clock moved forward.
test('sessions expire after session_ttl of inactivity; activity extends them', async () => {
  await setSettings(admin, { session_ttl: 600 });
  const u = await makeUser(admin);
  const active = await loginAs(server, u);
  const idle = await loginAs(server, u);
  assert.match(active.cookie, /^cairn_sid=/);

  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '300' } }); // 5 min later
  assert.match(server.logs(), /msg=clock_offset seconds=300/);
  const r1 = await active.get('/api/v1/auth/me');
  assertStatus(r1, 200, 'still valid after 5 minutes');
  const renewed = r1.headers.get('set-cookie');
  assert.ok(renewed, 'the extended session renews its cookie');
  assert.equal(cookieAttrs(renewed).attrs['max-age'], '600');

  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '800' } }); // 13 min after login
  assertStatus(await active.get('/api/v1/auth/me'), 200, 'used at 5 min, so valid until 15 min');
  assertError(await idle.get('/api/v1/auth/me'), 401, 'unauthorized');
  assertError(await idle.post('/api/v1/auth/logout'), 401, 'unauthorized');

  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '2000' } }); // long after
  assertError(await active.get('/api/v1/auth/me'), 401, 'unauthorized');
  // signing in again works
  const again = await loginAs(server, u);
  assertStatus(await again.get('/api/v1/auth/me'), 200);
  admin = await adminClient(server);

  // the shortest lifetime, 60 s, is honoured too (and nothing shorter is accepted)
  assertError(await admin.patch('/api/v1/settings', { session_ttl: 59 }), 400, 'bad_request', 'session_ttl');
  await setSettings(admin, { session_ttl: 60 });
  const quick = new Client(server.url);
  const r = await quick.login(u.username, u.password);
  assert.equal(cookieAttrs(r.headers.get('set-cookie')).attrs['max-age'], '60');
  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '2200' } }); // 200 s later
  assertError(await quick.get('/api/v1/auth/me'), 401, 'unauthorized');
  admin = await adminClient(server);
});
