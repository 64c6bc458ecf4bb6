// matrix.test.mjs -- the role × endpoint matrix.
//
// 1. Deny by default, for every endpoint documented in docs/API.md (parsed
//    from its tables, so a new route is covered as soon as it is
//    documented): no credentials → 401; a signed-in user whose role lacks the
//    route's permission → 403 (both a user with no permission at all and one
//    holding every permission of every other module); a refused request
//    changes nothing.
// 2. For each foundation route, holders of the permission (and of what
//    implies it: edit and execute imply view, admin implies every action of
//    its module) get 2xx, and holders of weaker actions get 403.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ROOT } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import {
  ALL_PERMS, ACTIONS, MODULES, assertError, assertStatus, makeRole, makeUser, loginAs, snapshot, uniq, USER_PASSWORD,
} from './common.mjs';

let server, admin;
const holders = {}; // "module:action" → signed-in client holding only that permission
const allBut = {};  // module → client holding every permission of every other module
let nobody;         // signed-in, no permission

// ---- the documented endpoints -------------------------------------------

// Rows of docs/API.md: [method, path, permission] with {id} kept.
function documentedRoutes() {
  const text = fs.readFileSync(path.join(ROOT, 'docs/API.md'), 'utf8');
  const out = [];
  const permRe = /^(public|login|[a-z]+:[a-z]+)$/;
  for (const line of text.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length < 3) continue;
    // foundation table: | METHOD[/METHOD…] | /api/v1/… | perm [/ perm] | notes |
    const methods = cells[0].split('/').map((m) => m.trim());
    const p = cells[1].split(/\s/)[0];
    if (methods.every((m) => /^(GET|POST|PUT|PATCH|DELETE)$/.test(m)) && p.startsWith('/api/v1/') && !p.includes('/R')) {
      const perms = cells[2].split(' / ').map((x) => x.trim());
      if (!perms.every((x) => permRe.test(x))) continue;
      for (const m of methods) out.push([m, p, m === 'GET' ? perms[0] : perms[perms.length - 1]]);
      continue;
    }
    // resource table: | name | /api/v1/a, /api/v1/b | module (…) |
    const mod = /^([a-z]+)\b/.exec(cells[2]);
    const paths = cells[1].split(',').map((x) => x.trim());
    if (mod && MODULES.includes(mod[1]) && paths.every((x) => /^\/api\/v1\/[a-z-]+$/.test(x))) {
      for (const base of paths) {
        out.push(['GET', base, `${mod[1]}:view`], ['POST', base, `${mod[1]}:edit`],
          ['GET', `${base}/{id}`, `${mod[1]}:view`], ['PUT', `${base}/{id}`, `${mod[1]}:edit`],
          ['PATCH', `${base}/{id}`, `${mod[1]}:edit`], ['DELETE', `${base}/{id}`, `${mod[1]}:edit`],
          ['POST', `${base}/bulk-delete`, `${mod[1]}:edit`], ['POST', `${base}/import`, `${mod[1]}:edit`]);
      }
    }
  }
  return out;
}

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
  // one user per permission, one per "all but this module", one with nothing
  const specs = [
    ...ALL_PERMS.map((p) => ['holder', p, [p]]),
    ...MODULES.map((m) => ['allBut', m, ALL_PERMS.filter((p) => !p.startsWith(`${m}:`))]),
    ['nobody', null, []],
  ];
  const roles = [];
  for (const s of specs) roles.push(await makeRole(admin, s[2]));
  // users and logins in parallel: argon2id runs on the worker pool
  for (let i = 0; i < specs.length; i += 8) {
    await Promise.all(specs.slice(i, i + 8).map(async ([kind, key], j) => {
      const u = await makeUser(admin, { role_id: roles[i + j] });
      const c = await loginAs(server, u);
      c.user = u;
      if (kind === 'holder') holders[key] = c;
      else if (kind === 'allBut') allBut[key] = c;
      else nobody = c;
    }));
  }
});
after(async () => { await server?.stop(); });

test('docs/API.md documents the foundation routes (the parser below sees them)', () => {
  const routes = documentedRoutes().map(([m, p, perm]) => `${m} ${p} ${perm}`);
  for (const r of ['GET /api/v1/users users:view', 'POST /api/v1/users/{id}/password users:admin',
    'DELETE /api/v1/roles/{id} users:edit', 'GET /api/v1/audit audit:view', 'PATCH /api/v1/settings settings:edit',
    'GET /api/v1/auth/me login', 'GET /api/v1/health public'])
    assert.ok(routes.includes(r), `${r} is documented`);
});

test('deny by default: every documented endpoint refuses the anonymous (401) and those without the right (403); nothing changes', async () => {
  const routes = documentedRoutes();
  const before = await snapshot(admin);
  const anon = new Client(server.url);
  let checked = 0;
  for (const [m, p0, perm] of routes) {
    const p = p0.replace('{id}', '1');
    const body = m === 'GET' || m === 'DELETE' ? undefined : {};
    const label = `${m} ${p0} (${perm})`;
    if (perm === 'public') {
      if (m !== 'POST') assert.notEqual((await anon.req(m, p, body)).status, 401, label);
      continue;
    }
    if (p0 === '/api/v1/auth/logout') continue; // would end the session; covered in auth.test.mjs
    assertError(await anon.req(m, p, body), 401, 'unauthorized');
    const bogus = new Client(server.url);
    bogus.bearer = `cairn_${'f'.repeat(64)}`;
    assertError(await bogus.req(m, p, body), 401, 'unauthorized');
    if (perm === 'login') {
      const r = await nobody.req(m, p, body);
      assert.ok(r.status !== 401 && r.status !== 403, `${label}: any signed-in user may call it, got ${r.status}`);
      continue;
    }
    const [mod] = perm.split(':');
    for (const c of [nobody, allBut[mod]]) {
      const r = await c.req(m, p, body);
      assert.equal(r.status, 403, `${label} as ${c.user.username}: ${r.text}`);
      assert.equal(r.body.error.code, 'forbidden');
      assert.ok(r.body.error.message.includes(perm), `the message names ${perm}: ${r.text}`);
    }
    checked++;
  }
  assert.ok(checked >= 20, `only ${checked} permission routes found in docs/API.md`);
  assert.deepEqual(await snapshot(admin), before, 'refused requests changed nothing');
});

test('a token carries its user\'s rights, no more', async () => {
  const t = await holders['users:view'].post('/api/v1/tokens', { name: 'matrix' });
  assertStatus(t, 201);
  const b = new Client(server.url);
  b.bearer = t.body.token;
  assertStatus(await b.get('/api/v1/users'), 200);
  assertError(await b.post('/api/v1/roles', { name: uniq('r') }), 403, 'forbidden');
  assertError(await b.get('/api/v1/settings'), 403, 'forbidden');
});

// ---- who may do what, route by route -------------------------------------

// Each case: method, path (with {x} filled by setup()), required permission,
// body (a function, so each call gets fresh names), and setup() run by the
// admin before each call (fresh objects to delete, etc.).
async function victimUser() { return (await makeUser(admin)).id; }
async function victimRole() { return makeRole(admin, []); }
async function victimGroup() { return (await admin.post('/api/v1/groups', { name: uniq('g') })).body.id; }

const cases = [
  ['GET', '/api/v1/users', 'users:view'],
  ['GET', '/api/v1/users/{x}', 'users:view', null, victimUser],
  ['POST', '/api/v1/users', 'users:edit', () => ({ username: uniq('m'), password: USER_PASSWORD })],
  ['PUT', '/api/v1/users/{x}', 'users:edit', () => ({ display_name: 'Put' }), victimUser],
  ['PATCH', '/api/v1/users/{x}', 'users:edit', () => ({ email: 'p@example.com' }), victimUser],
  ['DELETE', '/api/v1/users/{x}', 'users:edit', null, victimUser],
  ['POST', '/api/v1/users/{x}/password', 'users:admin', () => ({}), victimUser],
  ['GET', '/api/v1/roles', 'users:view'],
  ['GET', '/api/v1/roles/{x}', 'users:view', null, victimRole],
  ['POST', '/api/v1/roles', 'users:edit', () => ({ name: uniq('r') })],
  ['PUT', '/api/v1/roles/{x}', 'users:edit', () => ({ name: uniq('r'), permissions: [] }), victimRole],
  ['PATCH', '/api/v1/roles/{x}', 'users:edit', () => ({ description: 'patched' }), victimRole],
  ['DELETE', '/api/v1/roles/{x}', 'users:edit', null, victimRole],
  ['GET', '/api/v1/audit', 'audit:view'],
  ['GET', '/api/v1/settings', 'settings:view'],
  ['PUT', '/api/v1/settings', 'settings:edit', () => ({ site_name: 'Cairn' })],
  ['PATCH', '/api/v1/settings', 'settings:edit', () => ({ site_name: 'Cairn' })],
  ['GET', '/api/v1/groups', 'assets:view'],
  ['POST', '/api/v1/groups', 'assets:edit', () => ({ name: uniq('g') })],
  ['DELETE', '/api/v1/groups/{x}', 'assets:edit', null, victimGroup],
];

// Which actions of a module grant `action` (docs/API.md: admin implies all,
// edit and execute imply view).
function grants(holderAction, action) {
  return holderAction === action || holderAction === 'admin' || (action === 'view' && (holderAction === 'edit' || holderAction === 'execute'));
}

for (const [m, p, perm, body, setup] of cases) {
  test(`${m} ${p} needs ${perm}`, async () => {
    const [mod, action] = perm.split(':');
    for (const a of ACTIONS) {
      const c = holders[`${mod}:${a}`];
      const x = setup ? await setup() : null;
      const r = await c.req(m, p.replace('{x}', x), body ? body() : undefined);
      if (grants(a, action)) {
        assert.ok(r.status >= 200 && r.status < 300, `${m} ${p} with ${mod}:${a} → ${r.status} ${r.text}`);
      } else {
        assert.equal(r.status, 403, `${m} ${p} with ${mod}:${a} → ${r.status} ${r.text}`);
        assert.equal(r.body.error.code, 'forbidden');
      }
    }
  });
}

test('superusers hold everything; /auth/me lists the effective permissions', async () => {
  const me = (await admin.get('/api/v1/auth/me')).body;
  assert.deepEqual([...me.permissions].sort(), [...ALL_PERMS].sort());
  const edit = (await holders['assets:edit'].get('/api/v1/auth/me')).body;
  assert.deepEqual(edit.permissions, ['assets:view', 'assets:edit']);
  const adm = (await holders['users:admin'].get('/api/v1/auth/me')).body;
  assert.deepEqual(adm.permissions, ['users:view', 'users:edit', 'users:execute', 'users:admin']);
  const exe = (await holders['tasks:execute'].get('/api/v1/auth/me')).body;
  assert.deepEqual(exe.permissions, ['tasks:view', 'tasks:execute']);
  assert.deepEqual((await nobody.get('/api/v1/auth/me')).body.permissions, []);
});
