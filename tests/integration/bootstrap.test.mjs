// bootstrap.test.mjs -- the first start and every later one: the first
// administrator (password from CAIRN_ADMIN_PASSWORD, or a random one
// printed once and written to DATA/initial-admin-password with mode 0600),
// migrations on an empty database and on an existing one (a restart on the
// same data directory or PostgreSQL database keeps everything and applies
// nothing twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, freshDbUrl } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, makeRole, makeUser, loginAs, setSettings, snapshot, uniq } from './common.mjs';

function count(haystack, needle) {
  return haystack.split(needle).length - 1;
}

test('without CAIRN_ADMIN_PASSWORD a random password is printed once and kept in a 0600 file', async () => {
  const s = await startServer({ env: { CAIRN_ADMIN_PASSWORD: '' } });
  try {
    const m = /password: (\S+)/.exec(s.logs());
    assert.ok(m, `the password is printed:\n${s.logs()}`);
    const pw = m[1];
    assert.ok(pw.length >= 12, 'a long password');
    const file = path.join(s.dataDir, 'initial-admin-password');
    assert.equal(fs.readFileSync(file, 'utf8').trim(), pw);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(s.dataDir).mode & 0o077, 0, 'the data directory is private');
    assert.match(s.logs(), new RegExp(`initial-admin-password`));
    const c = new Client(s.url);
    assertStatus(await c.login('admin', pw), 200);
    assert.equal(count(s.logs(), pw), 1, 'printed once, never logged');

    await s.restart();
    assertStatus(await new Client(s.url).login('admin', pw), 200, 'the same password after a restart');
    assert.equal(count(s.logs(), pw), 1, 'not printed again on restart');
    assert.equal(count(s.logs(), 'created the first administrator'), 1);

    // changing the password voids the file
    assertStatus(await c.post('/api/v1/auth/password', { old_password: pw, new_password: 'my-own-Pa55word' }), 200);
    assert.equal(fs.existsSync(file), false, 'initial-admin-password is removed once changed');
    assertError(await new Client(s.url).login('admin', pw), 401);
  } finally {
    await s.stop();
  }
});

test('with CAIRN_ADMIN_PASSWORD nothing is printed or written; a later value changes nothing', async () => {
  const s = await startServer();
  try {
    assert.doesNotMatch(s.logs(), /password:/);
    assert.equal(fs.existsSync(path.join(s.dataDir, 'initial-admin-password')), false);
    const admin = await adminClient(s);
    const me = (await admin.get('/api/v1/auth/me')).body;
    assert.equal(me.superuser, true);
    assert.equal(me.display_name, 'Administrator');
    const boot = (await admin.get('/api/v1/audit?action=user.bootstrap')).body.items;
    assert.equal(boot.length, 1, 'the first admin is in the audit log');
    assert.equal(boot[0].username, 'cairnd');
    assertStatus(await admin.post('/api/v1/auth/password', { old_password: s.adminPassword, new_password: 'changed-Pa55word' }), 200);
    await s.restart({ env: { CAIRN_ADMIN_PASSWORD: 'another-Pa55word' } });
    assertError(await new Client(s.url).login('admin', 'another-Pa55word'), 401, 'unauthorized');
    assertError(await new Client(s.url).login('admin', s.adminPassword), 401, 'unauthorized');
    assertStatus(await new Client(s.url).login('admin', 'changed-Pa55word'), 200);
    assert.equal((await (await adminClientWith(s, 'changed-Pa55word')).get('/api/v1/audit?action=user.bootstrap')).body.total, 1);
  } finally {
    await s.stop();
  }
});

async function adminClientWith(s, pw) {
  const c = new Client(s.url);
  assertStatus(await c.login('admin', pw), 200);
  return c;
}

test('an existing database: a restart keeps every row, session and token and migrates nothing twice', async () => {
  const s = await startServer();
  try {
    const admin = await adminClient(s);
    const role = await makeRole(admin, ['assets:view', 'users:view']);
    const u = await makeUser(admin, { role_id: role, email: 'kept@example.com' });
    const c = await loginAs(s, u);
    await setSettings(admin, { site_name: 'Kept', login_max_failures: 7 });
    assertStatus(await admin.post('/api/v1/groups', { name: uniq('kept') }), 201);
    const t = (await admin.post('/api/v1/tokens', { name: 'kept' })).body;
    const before = await snapshot(admin);
    const auditBefore = (await admin.get('/api/v1/audit')).body.total;

    for (let i = 0; i < 2; i++) {
      const mark = s.logs().length;
      await s.restart();
      const log = s.logs().slice(mark);
      assert.doesNotMatch(log, /level=error|migration failed|already exists/i, log);
      assert.deepEqual(await snapshot(admin), before, 'everything is kept');
      assertStatus(await c.get('/api/v1/auth/me'), 200, 'sessions survive a restart (they are in the database)');
      const b = new Client(s.url);
      b.bearer = t.token;
      assertStatus(await b.get('/api/v1/auth/me'), 200, 'tokens too');
      assert.ok((await admin.get('/api/v1/audit')).body.total >= auditBefore, 'the audit log is kept');
    }
    assert.equal((await admin.get('/api/v1/settings')).body.site_name, 'Kept');
  } finally {
    await s.stop();
  }
});

test('two servers starting at once on one empty database migrate it once and make one admin', async () => {
  const backend = process.env.CAIRN_TEST_DB || 'sqlite';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-test-'));
  const dbUrl = freshDbUrl(backend, dataDir);
  const [ra, rb] = await Promise.allSettled([startServer({ dataDir, dbUrl }), startServer({ dataDir, dbUrl })]);
  const a = ra.value, b = rb.value;
  try {
    assert.equal(ra.status, 'fulfilled', String(ra.reason));
    assert.equal(rb.status, 'fulfilled', String(rb.reason));
    {
      const ca = await adminClient(a);
      const cb = await adminClient(b);
      const name = uniq('shared');
      assertStatus(await ca.post('/api/v1/roles', { name }), 201);
      assert.equal((await cb.get(`/api/v1/roles?q=${name}`)).body.total, 1);
      const admins = (await cb.get('/api/v1/users?q=admin')).body.items.filter((x) => x.username === 'admin');
      assert.equal(admins.length, 1, 'one first admin');
    }
  } finally {
    await b?.stop();
    await a?.stop();
  }
});
