// cmdb_secrets.test.mjs -- the credential store ("auth centre"): passwords,
// private keys and passphrases are write-only. They never come back in any
// answer (create, read, list, search, export, schema, errors, import), are
// kept by writes that do not mention them, never reach the server log or the
// audit log (shown as ***), and are stored only sealed (secretbox, "v1:"
// + base64) under a 0600 key file: the SQLite file and a dump of the
// PostgreSQL database hold no secret in clear.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, uniq } from './common.mjs';
import { API, mk, list, importCsv, toCsv, auditOf } from './cmdb_lib.mjs';

let server, admin;
const seen = []; // every answer body of this file, to search for secrets
const SECRETS = [];
function secret(kind) {
  const s = `${kind}-${Math.random().toString(36).slice(2)}-Zq81X${SECRETS.length}`;
  SECRETS.push(s);
  return s;
}
async function call(method, p, body, opts) {
  const r = await admin.req(method, p, body, opts);
  seen.push(r.text);
  return r;
}

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
});
after(async () => { await server?.stop(); });

test('secrets are write-only: answers carry <name>_set only', async () => {
  const pw = secret('pw'), key = `-----BEGIN OPENSSH PRIVATE KEY-----\n${secret('key')}\n-----END OPENSSH PRIVATE KEY-----`;
  const pp = secret('pp');
  let r = await call('POST', `${API}/credentials`, { name: '生产 root', username: 'root', port: 22, password: pw, private_key: key, passphrase: pp, memo: '备注' });
  assertStatus(r, 201);
  const id = r.body.id;
  assert.deepEqual([r.body.password_set, r.body.private_key_set, r.body.passphrase_set], [true, true, true]);
  for (const k of ['password', 'private_key', 'passphrase']) assert.ok(!(k in r.body), k);
  r = await call('GET', `${API}/credentials/${id}`);
  assert.equal(r.body.password_set, true);
  await call('GET', `${API}/credentials`);
  await call('GET', `${API}/credentials?format=csv`);
  await call('GET', `${API}/credentials?format=csv&lang=zh`);
  await call('GET', `${API}/schema`);
  // A secret is not searchable.
  r = await call('GET', `${API}/credentials?q=${encodeURIComponent(pw)}`);
  assert.equal(r.body.total, 0);
  r = await call('GET', `${API}/credentials?q=Zq81X`);
  assert.equal(r.body.total, 0);
  // Nor a sort key or a filter.
  assertError(await call('GET', `${API}/credentials?sort=password`), 400, 'bad_request', 'sort');

  // A host using the credential shows its name, not its secrets.
  const h = await call('POST', `${API}/hosts`, { hostname: uniq('sec'), ip: '10.0.0.1', credential_id: id });
  assertStatus(h, 201);
  assert.equal(h.body._display.credential_id, '生产 root');
  await call('GET', `${API}/hosts?format=csv`);

  // Writes that do not mention a secret keep it.
  r = await call('PATCH', `${API}/credentials/${id}`, { memo: '改了' });
  assert.deepEqual([r.body.password_set, r.body.private_key_set, r.body.passphrase_set], [true, true, true]);
  r = await call('PUT', `${API}/credentials/${id}`, { name: '生产 root', username: 'admin' });
  assertStatus(r, 200);
  assert.deepEqual([r.body.password_set, r.body.private_key_set, r.body.passphrase_set], [true, true, true]);
  // An empty string (a form's untouched password box) keeps it too; null clears.
  r = await call('PATCH', `${API}/credentials/${id}`, { password: '' });
  assert.equal(r.body.password_set, true);
  r = await call('PATCH', `${API}/credentials/${id}`, { passphrase: null });
  assert.equal(r.body.passphrase_set, false);
  assert.equal(r.body.private_key_set, true);
  r = await call('PATCH', `${API}/credentials/${id}`, { password: secret('pw2') });
  assert.equal(r.body.password_set, true);

  // Refused writes do not echo the secret either.
  r = await call('PATCH', `${API}/credentials/${id}`, { password: `${secret('long')}${'x'.repeat(1100)}` });
  assertError(r, 400, 'bad_request', 'password');
  r = await call('PATCH', `${API}/credentials/${id}`, { password: `${secret('ctl')}\u0001` });
  assertError(r, 400, 'bad_request', 'password');
  r = await call('PATCH', `${API}/credentials/${id}`, { password: 12345 });
  assertError(r, 400, 'bad_request', 'password');
  r = await call('POST', `${API}/credentials`, { name: '生产 root', username: 'x', password: secret('dup') });
  assertError(r, 409, 'conflict', 'name');
  r = await call('POST', `${API}/credentials`, { username: 'x', password: secret('noname') });
  assertError(r, 400, 'bad_request', 'name');
  r = await call('POST', `${API}/credentials`, { name: uniq('c'), username: 'x', port: 0, password: secret('badport') });
  assertError(r, 400, 'bad_request', 'port');

  // Import may set secrets; they are sealed the same way.
  r = await call('POST', `${API}/credentials/import`, toCsv([['name', 'username', 'password'], ['导入账号', 'ops', secret('csv')]]),
    { headers: { 'Content-Type': 'text/csv' }, raw: true });
  assertStatus(r, 200);
  const [imp] = (await list(admin, `${API}/credentials?q=${encodeURIComponent('导入账号')}`)).items;
  assert.equal(imp.password_set, true);
  r = await call('POST', `${API}/credentials/import`, toCsv([['name', 'username', 'password'], ['坏行', 'ops', `${secret('csvbad')}\u0001`]]),
    { headers: { 'Content-Type': 'text/csv' }, raw: true });
  assertError(r, 400, 'bad_request');

  for (const body of seen) for (const s of SECRETS) assert.ok(!body.includes(s), `answer leaks a secret: ${body.slice(0, 300)}`);
});

test('the audit log shows *** for secrets and never the values', async () => {
  const rows = await auditOf(admin, 'credential.update');
  assert.ok(rows.length >= 5);
  const pwChange = rows.find((x) => x.result === 'ok' && x.detail && x.detail.password);
  assert.deepEqual(pwChange.detail.password, { old: '***', new: '***' });
  const cr = (await auditOf(admin, 'credential.create')).find((x) => x.result === 'ok');
  assert.deepEqual(cr.detail.password, { old: '***', new: '***' });
  assert.deepEqual(cr.detail.private_key, { old: '***', new: '***' });
  assert.deepEqual(cr.detail.name, { old: null, new: '生产 root' });
  // The untouched-box PATCH ({password: ""}) changed nothing, so shows nothing.
  const blank = rows.filter((x) => x.result === 'ok' && x.detail && Object.keys(x.detail).length === 0);
  assert.ok(blank.length >= 1, JSON.stringify(rows.map((x) => x.detail)));
  const all = JSON.stringify((await admin.get(`${API}/audit?per_page=200`)).body);
  for (const s of SECRETS) assert.ok(!all.includes(s), 'audit leaks a secret');
  // The audit search cannot find them either.
  assert.equal((await admin.get(`${API}/audit?q=Zq81X`)).body.total, 0);
});

test('the key file is private and the database holds secrets only sealed', async () => {
  const keyFile = path.join(server.dataDir, 'secret.key');
  const st = fs.statSync(keyFile);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.size, 32);
  const key = fs.readFileSync(keyFile);
  let stored;
  if (server.backend === 'pg') {
    const url = server.dbUrl.replace(/^postgresql:/, 'postgresql:');
    const dump = execFileSync('pg_dump', ['--data-only', '-d', url], { maxBuffer: 64 << 20 }).toString('utf8');
    for (const s of SECRETS) assert.ok(!dump.includes(s), `pg_dump shows ${s}`);
    const table = execFileSync('psql', ['-d', url, '-qAt', '-F', '|', '-c',
      'SELECT password, private_key, passphrase FROM credentials ORDER BY id']).toString('utf8');
    stored = table.split('\n').flatMap((l) => l.split('|')).filter(Boolean);
  } else {
    for (const f of fs.readdirSync(server.dataDir)) {
      const p = path.join(server.dataDir, f);
      if (f === 'secret.key' || !fs.statSync(p).isFile()) continue;
      const bytes = fs.readFileSync(p);
      for (const s of SECRETS) assert.ok(!bytes.includes(Buffer.from(s)), `${f} holds ${s} in clear`);
      assert.ok(!bytes.includes(key), `${f} holds the key`);
    }
    const db = fs.readFileSync(path.join(server.dataDir, 'cairn.db')).toString('latin1') +
      (fs.existsSync(path.join(server.dataDir, 'cairn.db-wal')) ? fs.readFileSync(path.join(server.dataDir, 'cairn.db-wal')).toString('latin1') : '');
    // The WAL may hold several copies of a page: count each value once.
    stored = [...new Set(db.match(/v1:[A-Za-z0-9+/]{40,}={0,2}/g) || [])];
  }
  assert.ok(stored.length >= 3, `sealed values stored: ${stored.length}`);
  for (const v of stored) {
    assert.match(v, /^v1:[A-Za-z0-9+/]+={0,2}$/);
    // nonce (24) + MAC (16) + at least one byte of text.
    assert.ok(Buffer.from(v.slice(3), 'base64').length > 40);
  }
  if (server.backend === 'pg') assert.equal(new Set(stored).size, stored.length, 'a fresh nonce per value');
});

test('the server log never shows a secret', async () => {
  const log = server.logs();
  assert.ok(log.includes('/api/v1/credentials'), 'requests are logged');
  for (const s of SECRETS) assert.ok(!log.includes(s), `log shows ${s}`);
});
