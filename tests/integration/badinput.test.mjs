// badinput.test.mjs -- every write endpoint of the foundation against bad
// input: malformed JSON, JSON that is not an object, a body over the limit,
// unknown fields, wrong types, overlong strings, control characters,
// invalid UTF-8, NUL, duplicate keys, deep nesting, huge numbers, the wrong
// Content-Type. Each is answered 4xx with a clear message and changes
// nothing (a snapshot of everything the API exposes is compared before and
// after), and the server stays healthy (and, under ASan, clean).
// Text with SQL and shell metacharacters and HTML is stored verbatim and
// comes back as JSON with < > & escaped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import {
  assertError, assertStatus, assertHealthy, makeRole, makeUser, loginAs, snapshot, uniq, USER_PASSWORD,
} from './common.mjs';

let server, admin, victim, victimClient, role;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  victim = await makeUser(admin);
  victimClient = await loginAs(server, victim);
  role = await makeRole(admin, ['assets:view']);
});
after(async () => { await server?.stop(); });

const MiB = 1024 * 1024;

// The write endpoints: path, who calls, a valid body, and the fields with
// their type and longest length. `limit` is the route's body limit.
function endpoints() {
  const user = {
    username: ['ident', 64], password: ['string', 1024], display_name: ['line', 128], email: ['line', 254],
    phone: ['line', 32], role_id: ['int'], active: ['bool'], superuser: ['bool'],
  };
  const { password, ...userUpdate } = user;
  const roleF = { name: ['line', 64], description: ['line', 255], permissions: ['strarray', 64], group_ids: ['idarray', 1000] };
  const settingsF = {
    site_name: ['line', 64], session_ttl: ['int'], login_max_failures: ['int'], login_ip_max_failures: ['int'],
    login_lockout_seconds: ['int'], password_min_length: ['int'],
  };
  return [
    { m: 'POST', p: '/api/v1/auth/login', who: () => new Client(server.url), valid: () => ({ username: victim.username, password: 'wrong-but-valid' }),
      fields: { username: ['string', 128], password: ['string', 1024] }, limit: 4096 },
    { m: 'POST', p: '/api/v1/auth/password', who: () => victimClient, valid: () => ({ old_password: 'not-the-password', new_password: 'new-Pa55word' }),
      fields: { old_password: ['string', 1024], new_password: ['string', 1024] }, limit: 4096 },
    { m: 'POST', p: '/api/v1/users', who: () => admin, valid: () => ({ username: uniq('bad'), password: 'short' }), fields: user },
    { m: 'PUT', p: '/api/v1/users/{victim}', who: () => admin, valid: () => ({ role_id: 999999 }), fields: userUpdate },
    { m: 'PATCH', p: '/api/v1/users/{victim}', who: () => admin, valid: () => ({ role_id: 999999 }), fields: userUpdate },
    { m: 'POST', p: '/api/v1/users/{victim}/password', who: () => admin, valid: () => ({ password: 'short' }), fields: { password: ['string', 1024], revoke_tokens: ['bool'] }, emptyOk: true },
    { m: 'POST', p: '/api/v1/users/{victim}/unlock', who: () => admin, valid: () => ({}), fields: {}, emptyOk: true },
    { m: 'POST', p: '/api/v1/roles', who: () => admin, valid: () => ({ name: uniq('bad'), group_ids: [999999] }), fields: roleF },
    { m: 'PUT', p: '/api/v1/roles/{role}', who: () => admin, valid: () => ({ name: uniq('bad'), group_ids: [999999] }), fields: roleF },
    { m: 'PATCH', p: '/api/v1/roles/{role}', who: () => admin, valid: () => ({ group_ids: [999999] }), fields: roleF },
    { m: 'POST', p: '/api/v1/tokens', who: () => admin, valid: () => ({ name: 'bad', expires_at: 1 }), fields: { name: ['line', 64], expires_at: ['int'] } },
    { m: 'PUT', p: '/api/v1/settings', who: () => admin, valid: () => ({}), fields: settingsF },
    { m: 'PATCH', p: '/api/v1/settings', who: () => admin, valid: () => ({}), fields: settingsF },
    { m: 'POST', p: '/api/v1/groups', who: () => admin, valid: () => ({}), fields: {} },
  ];
}
// The carrier bodies (`valid`) pass the field checks but are refused on
// their own where the endpoint allows it (a wrong password, a missing role
// or group, a past expiry), so each case tests exactly one fault; a case
// wrongly accepted still shows in the snapshot comparison.

const WRONG = {
  string: [5, true, null, [], {}, 1.5],
  ident: [5, true, null, ['x'], {}],
  line: [5, false, [], { a: 1 }],
  int: ['5', true, 1.5, [], {}, '1e3'],
  bool: ['true', 'yes', 2, -1, [], {}],
  strarray: ['users:view', 5, [5], [null], [['x']], { a: 1 }],
  idarray: ['1', 1, ['1'], [0], [-3], [1.5], [null], { a: 1 }],
};

function raw(c, e, body, headers = {}) {
  const path = e.p.replace('{victim}', victim.id).replace('{role}', role);
  return c.req(e.m, path, body, { raw: true, headers });
}

for (const e of endpoints()) {
  test(`${e.m} ${e.p}: bad input is 4xx with a clear message and changes nothing`, async () => {
    const before = await snapshot(admin);
    const c = e.who();
    const json = (o) => JSON.stringify(o);
    const valid = e.valid();
    const cases = [];
    // Over the route's body limit any case is 413 instead (login and password change take 4 KiB).
    const add = (what, body, status, code, field, headers) => {
      if (e.limit && Buffer.byteLength(body) > e.limit) { status = 413; code = 'too_large'; field = undefined; }
      cases.push({ what, body, status, code, field, headers });
    };

    add('malformed JSON', '{"username": ', 400, 'bad_request');
    add('trailing garbage', `${json(valid)} x`, 400, 'bad_request');
    add('two objects', `${json(valid)}${json(valid)}`, 400, 'bad_request');
    add('single quotes', "{'a': 1}", 400, 'bad_request');
    add('comment', `/* */${json(valid)}`, 400, 'bad_request');
    for (const nonObj of ['[]', '[{}]', '"text"', '42', 'null', 'true'])
      add(`non-object ${nonObj}`, nonObj, 400, 'bad_request');
    if (!e.emptyOk) add('empty body', '', 400, 'bad_request');
    add('text/plain', json(valid), 415, 'unsupported_media_type', undefined, { 'Content-Type': 'text/plain' });
    add('form encoded', 'a=1', 415, 'unsupported_media_type', undefined, { 'Content-Type': 'application/x-www-form-urlencoded' });
    add('application/jsonx', json(valid), 415, 'unsupported_media_type', undefined, { 'Content-Type': 'application/jsonx' });
    add('invalid UTF-8', Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]), 400, 'bad_request');
    add('overlong UTF-8', Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 400, 'bad_request');
    add('lone surrogate', '{"x":"\\ud800"}', 400, 'bad_request');
    add('NUL in a string', '{"x":"a\\u0000b"}', 400, 'bad_request');
    add('duplicate keys', '{"x":1,"x":2}', 400, 'bad_request');
    add('deep nesting', `{"x":${'['.repeat(5000)}${']'.repeat(5000)}}`, 400, 'bad_request');
    add('huge number', '{"x":123456789012345678901234567890}', 400, 'bad_request');
    add('1e400', '{"x":1e400}', 400, 'bad_request');
    add('over the body limit', json({ ...valid, pad: 'x'.repeat(e.limit || MiB) }), 413, 'too_large');
    add('far over the limit', `{"pad":"${'y'.repeat(3 * MiB)}"}`, 413, 'too_large');
    add('unknown field', json({ ...valid, is_admin: true }), 400, 'bad_request', 'is_admin');
    add('unknown field, odd name', json({ ...valid, "'; DROP TABLE users; --": 1 }), 400, 'bad_request', "'; DROP TABLE users; --");
    for (const [f, [type, max]] of Object.entries(e.fields)) {
      for (const w of WRONG[type === 'ident' ? 'ident' : type]) add(`${f} = ${json(w)}`, json({ ...valid, [f]: w }), 400, 'bad_request', f);
      if (max && (type === 'string' || type === 'line' || type === 'ident')) {
        add(`${f} over ${max} chars`, json({ ...valid, [f]: 'a'.repeat(max + 1) }), 400, 'bad_request', f);
        add(`${f} over ${max} chars (multi-byte)`, json({ ...valid, [f]: '界'.repeat(max + 1) }), 400, 'bad_request', f);
        if (type !== 'ident') add(`${f} at ${max} multi-byte chars is not "over"`, json({ ...valid, [f]: '界'.repeat(max), zz_unknown: 1 }), 400, 'bad_request', 'zz_unknown');
      }
      if (type === 'line' || type === 'ident') {
        add(`${f} with a newline`, json({ ...valid, [f]: 'a\nb' }), 400, 'bad_request', f);
        add(`${f} with ESC`, json({ ...valid, [f]: 'a\u001b[31mb' }), 400, 'bad_request', f);
      }
      if (type === 'ident') add(`${f} with SQL`, json({ ...valid, [f]: "x' OR '1'='1" }), 400, 'bad_request', f);
      if (type === 'strarray' && max) add(`${f} too long`, json({ ...valid, [f]: Array(max + 1).fill('users:view') }), 400, 'bad_request', f);
      if (type === 'idarray' && max) add(`${f} too long`, json({ ...valid, [f]: Array.from({ length: max + 1 }, (_, i) => i + 1) }), 400, 'bad_request', f);
      if (type === 'int') add(`${f} out of range`, json({ ...valid, [f]: -1 }), 400, 'bad_request', f);
    }

    for (const k of cases) {
      const r = await raw(c, e, k.body, k.headers);
      assert.equal(r.status, k.status, `${k.what}: expected ${k.status}, got ${r.status} ${r.text.slice(0, 300)}`);
      assert.ok(r.body?.error, `${k.what}: an error object: ${r.text.slice(0, 200)}`);
      if (k.code) assert.equal(r.body.error.code, k.code, `${k.what}: ${r.text.slice(0, 200)}`);
      assert.ok(r.body.error.message.length > 10, `${k.what}: a clear message: ${r.text}`);
      if (k.field) assert.equal(r.body.error.field, k.field, `${k.what}: ${r.text.slice(0, 300)}`);
      assert.match(r.headers.get('content-type'), /^application\/json/);
    }
    assert.deepEqual(await snapshot(admin), before, 'nothing changed');
    await assertHealthy(server);
    assertStatus(await victimClient.get('/api/v1/auth/me'), 200, 'the victim\'s session is intact');
    assertStatus(await new Client(server.url).login(victim.username, victim.password), 200, 'the victim\'s password is intact');
  });
}

test('a refused settings change is all or nothing', async () => {
  const before = (await admin.get('/api/v1/settings')).body;
  assertError(await admin.patch('/api/v1/settings', { site_name: 'Half', session_ttl: 5 }), 400, 'bad_request', 'session_ttl');
  assertError(await admin.patch('/api/v1/settings', { site_name: 'Half', bogus: 1 }), 400, 'bad_request', 'bogus');
  assertError(await admin.patch('/api/v1/settings', { site_name: '' }), 400, 'bad_request', 'site_name');
  assert.deepEqual((await admin.get('/api/v1/settings')).body, before);
});

test('bad ids in paths are 404, not errors', async () => {
  for (const id of ['0', '-1', 'abc', '1.5', '99999999999999999999', '%20', '1%00', '0x10', '+1']) {
    for (const [m, p] of [['GET', '/api/v1/users/'], ['PATCH', '/api/v1/users/'], ['DELETE', '/api/v1/roles/'], ['DELETE', '/api/v1/tokens/'], ['POST', '/api/v1/users/']]) {
      const path = m === 'POST' ? `${p}${id}/password` : `${p}${id}`;
      const r = await admin.req(m, path, m === 'GET' || m === 'DELETE' ? undefined : {});
      assertError(r, 404, 'not_found');
    }
  }
  await assertHealthy(server);
});

test('bad list parameters are 400 with the parameter named', async () => {
  for (const base of ['/api/v1/users', '/api/v1/roles', '/api/v1/tokens', '/api/v1/audit']) {
    for (const [q, field] of [['page=0', 'page'], ['page=-1', 'page'], ['page=x', 'page'], ['page=%201', 'page'], ['per_page=15', 'per_page'],
      ['per_page=1000', 'per_page'], ['sort=nonsense', 'sort'], ['sort=-', 'sort'], ['sort=password_hash', 'sort'],
      ['sort=id;DROP TABLE users', 'sort'], [`q=${'q'.repeat(201)}`, 'q'], ['q=%ff%fe', 'q']])
      assertError(await admin.get(`${base}?${q}`), 400, 'bad_request', field);
  }
  assertError(await admin.get('/api/v1/users?role_id=abc'), 400, 'bad_request', 'role_id');
});

test('text with SQL, shell and HTML metacharacters is stored verbatim and returned escaped', async () => {
  const nasty = [
    "Robert'); DROP TABLE users;--",
    '$(rm -rf /) `id` | tee /etc/passwd; && || > /tmp/x',
    '<script>alert("x")</script>',
    '"quoted" \\back\\slash\\ & ampersand',
    '%_\\% LIKE wildcards',
    '汉字 🚀 \u2028 line sep',
    '\t tabbed',
  ];
  for (const s of nasty) {
    const display = s.replace('\t', ' '); // display_name is one line; a tab is a control character
    const r = await admin.post('/api/v1/users', { username: uniq('meta'), password: USER_PASSWORD, display_name: display, email: s.slice(0, 254).replace('\t', ' ') });
    assertStatus(r, 201, JSON.stringify(s));
    const got = await admin.get(`/api/v1/users/${r.body.id}`);
    assert.equal(got.body.display_name, display);
    assert.ok(!got.text.includes('<script'), 'no raw < in JSON');
    assert.ok(!got.text.includes('\u2028'), 'no raw U+2028 in JSON');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    const rr = await admin.post('/api/v1/roles', { name: uniq(s.slice(0, 40).replace('\t', ' ')), description: display });
    assertStatus(rr, 201);
    assert.equal((await admin.get(`/api/v1/roles/${rr.body.id}`)).body.description, display);
    const q = await admin.get(`/api/v1/users?q=${encodeURIComponent(display.slice(0, 20))}`);
    assertStatus(q, 200, `search for ${JSON.stringify(display)}`);
    assert.ok(q.body.items.some((u) => u.id === r.body.id), `search finds ${JSON.stringify(display)}`);
  }
  const t = await admin.post('/api/v1/tokens', { name: '<img src=x onerror=alert(1)>' });
  assertStatus(t, 201);
  const list = await admin.get('/api/v1/tokens');
  assert.ok(list.body.items.some((x) => x.name === '<img src=x onerror=alert(1)>'));
  assert.ok(!list.text.includes('<img'));
  const site = '<b>Ops</b> & "Co" 🚀'.padEnd(60, '界');
  assertStatus(await admin.patch('/api/v1/settings', { site_name: site }), 200);
  assert.equal((await admin.get('/api/v1/settings')).body.site_name, site, 'multi-byte site names are kept whole');
  assertStatus(await admin.patch('/api/v1/settings', { site_name: 'Cairn' }), 200);
  // SQL in a login is just a wrong name
  assertError(await new Client(server.url).login("admin' OR '1'='1", "x' OR '1'='1"), 401, 'unauthorized');
  assertError(await new Client(server.url).login('admin\'--', 'anything'), 401, 'unauthorized');
  await assertHealthy(server);
});

test('many bad requests at once leave the server healthy', async () => {
  const bodies = ['{', '[]', '{"x":1,"x":2}', 'null', `{"a":"${'z'.repeat(2 * MiB)}"}`];
  const reqs = [];
  for (let i = 0; i < 60; i++) reqs.push(admin.req('POST', '/api/v1/roles', bodies[i % bodies.length], { raw: true }));
  const answers = await Promise.all(reqs);
  for (const r of answers) assert.ok(r.status === 400 || r.status === 413, `${r.status} ${r.text.slice(0, 100)}`);
  await assertHealthy(server);
});
