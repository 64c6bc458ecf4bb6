// users_roles.test.mjs -- users and roles: create, read, list and search,
// update (PUT replaces, PATCH changes what is given), delete; conflicts;
// the last active superuser; and the rules that keep users:edit from
// becoming more than it is (no superuser accounts, no rights one lacks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/harness.mjs';
import { Client, adminClient } from '../lib/client.mjs';
import {
  assertError, assertStatus, makeRole, makeUser, loginAs, userWith, uniq, snapshot, USER_PASSWORD,
} from './common.mjs';

let server, admin;

before(async () => {
  server = await startServer();
  admin = await adminClient(server);
});
after(async () => { await server?.stop(); });

test('roles: create, read with sets and user count, list and search, patch, put, delete', async () => {
  const g1 = (await admin.post('/api/v1/groups', { name: uniq('web') })).body.id;
  const g2 = (await admin.post('/api/v1/groups', { name: uniq('db') })).body.id;
  const name = uniq('ops');
  const r = await admin.post('/api/v1/roles', {
    name, description: 'Operators', permissions: ['assets:edit', 'tasks:execute', 'assets:edit'], group_ids: [g1, g2],
  });
  assertStatus(r, 201);
  const id = r.body.id;
  let role = (await admin.get(`/api/v1/roles/${id}`)).body;
  assert.equal(role.name, name);
  assert.equal(role.description, 'Operators');
  assert.deepEqual(role.permissions, ['assets:edit', 'tasks:execute']);
  assert.deepEqual(role.group_ids, [g1, g2].sort((a, b) => a - b));
  assert.equal(role.user_count, 0);

  const u = await makeUser(admin, { role_id: id });
  role = (await admin.get(`/api/v1/roles/${id}`)).body;
  assert.equal(role.user_count, 1);

  const list = (await admin.get(`/api/v1/roles?q=${name.toUpperCase()}`)).body;
  assert.equal(list.total, 1, 'search is case-insensitive');
  assert.equal(list.items[0].id, id);
  assert.deepEqual(list.items[0].permissions, ['assets:edit', 'tasks:execute']);

  // PATCH changes only what is given
  assertStatus(await admin.patch(`/api/v1/roles/${id}`, { description: 'Night shift' }), 200);
  role = (await admin.get(`/api/v1/roles/${id}`)).body;
  assert.equal(role.description, 'Night shift');
  assert.deepEqual(role.permissions, ['assets:edit', 'tasks:execute']);
  // PUT replaces: absent sets become empty
  const put = await admin.put(`/api/v1/roles/${id}`, { name, permissions: ['monitor:view'] });
  assertStatus(put, 200);
  assert.deepEqual(put.body.permissions, ['monitor:view']);
  assert.deepEqual(put.body.group_ids, []);
  assert.equal(put.body.description, '');
  assertError(await admin.put(`/api/v1/roles/${id}`, { permissions: [] }), 400, 'bad_request', 'name');

  // the user's rights follow the role
  const c = await loginAs(server, u);
  assert.deepEqual((await c.get('/api/v1/auth/me')).body.permissions, ['monitor:view']);

  // conflicts and refusals
  assertError(await admin.post('/api/v1/roles', { name }), 409, 'conflict', 'name');
  const other = await makeRole(admin, []);
  assertError(await admin.patch(`/api/v1/roles/${other}`, { name }), 409, 'conflict', 'name');
  assertError(await admin.post('/api/v1/roles', { name: uniq('r'), permissions: ['users:fly'] }), 400, 'bad_request', 'permissions');
  assertError(await admin.post('/api/v1/roles', { name: uniq('r'), permissions: ['everything'] }), 400, 'bad_request', 'permissions');
  assertError(await admin.post('/api/v1/roles', { name: uniq('r'), group_ids: [999999] }), 400, 'bad_request', 'group_ids');
  assertError(await admin.del(`/api/v1/roles/${id}`), 409, 'conflict');
  assertError(await admin.get('/api/v1/roles/999999'), 404, 'not_found');
  assertError(await admin.patch('/api/v1/roles/999999', { description: 'x' }), 404, 'not_found');

  // once nobody holds it, it can go
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { role_id: null }), 200);
  assertStatus(await admin.del(`/api/v1/roles/${id}`), 200);
  assertError(await admin.get(`/api/v1/roles/${id}`), 404, 'not_found');
  assertError(await admin.del(`/api/v1/roles/${id}`), 404, 'not_found');
});

test('permissions lists the modules and actions', async () => {
  const r = await admin.get('/api/v1/permissions');
  assertStatus(r, 200);
  assert.deepEqual(r.body.modules, ['assets', 'apps', 'tasks', 'delivery', 'monitor', 'users', 'settings', 'audit']);
  assert.deepEqual(r.body.actions, ['view', 'edit', 'execute', 'admin']);
});

test('users: create, read (never the hash), list with booleans, search, patch, put, delete', async () => {
  const role = await makeRole(admin, ['assets:view']);
  const username = uniq('alice');
  const r = await admin.post('/api/v1/users', {
    username, password: USER_PASSWORD, display_name: 'Alice Liddell', email: 'alice@example.com', phone: '+86 10 1234', role_id: role,
  });
  assertStatus(r, 201);
  const id = r.body.id;
  const got = await admin.get(`/api/v1/users/${id}`);
  assertStatus(got, 200);
  assert.equal(got.body.username, username);
  assert.equal(got.body.display_name, 'Alice Liddell');
  assert.equal(got.body.email, 'alice@example.com');
  assert.equal(got.body.phone, '+86 10 1234');
  assert.equal(got.body.active, true);
  assert.equal(got.body.superuser, false);
  assert.equal(got.body.source, 'local');
  assert.equal(got.body.last_login_at, null);
  assert.deepEqual(got.body.role, { id: role, name: got.body.role.name });
  assert.deepEqual(got.body.permissions, ['assets:view']);
  assert.ok(!/hash|argon/i.test(got.text), 'no password hash');

  await loginAs(server, { username, password: USER_PASSWORD });
  assert.ok((await admin.get(`/api/v1/users/${id}`)).body.last_login_at > 0, 'last login is recorded');

  const list = await admin.get('/api/v1/users?q=LIDDELL');
  assertStatus(list, 200);
  assert.equal(list.body.total, 1);
  const item = list.body.items[0];
  assert.equal(item.id, id);
  assert.equal(item.active, true, 'active is a boolean in lists too');
  assert.equal(item.superuser, false);
  assert.ok(!/hash|argon/i.test(list.text));
  assert.equal((await admin.get('/api/v1/users?q=example.com&per_page=200')).body.items.some((x) => x.id === id), true, 'email is searched');
  assert.equal((await admin.get(`/api/v1/users?role_id=${role}`)).body.total, 1);
  // non-ASCII text is found as it was written, on either database
  const ecole = await makeUser(admin, { display_name: `ÉCOLE Ürümqi ${username}` });
  for (const q of ['ÉCOLE', 'Ürümqi', 'ÉCOLE Ü'])
    assert.ok((await admin.get(`/api/v1/users?q=${encodeURIComponent(q)}`)).body.items.some((x) => x.id === ecole.id), `q=${q}`);

  // PATCH changes only what is given
  assertStatus(await admin.patch(`/api/v1/users/${id}`, { email: 'a@example.org' }), 200);
  let u = (await admin.get(`/api/v1/users/${id}`)).body;
  assert.equal(u.email, 'a@example.org');
  assert.equal(u.display_name, 'Alice Liddell');
  assert.equal(u.role.id, role);
  // PUT replaces the editable fields (username, active, superuser are kept when absent)
  const put = await admin.put(`/api/v1/users/${id}`, { display_name: 'A. L.' });
  assertStatus(put, 200);
  u = put.body;
  assert.equal(u.display_name, 'A. L.');
  assert.equal(u.email, '');
  assert.equal(u.role, null);
  assert.equal(u.username, username);
  assert.equal(u.active, true);
  // rename
  const renamed = uniq('alice2');
  assertStatus(await admin.patch(`/api/v1/users/${id}`, { username: renamed }), 200);
  assertStatus(await new Client(server.url).login(renamed, USER_PASSWORD), 200);
  // password is not changed through PUT/PATCH
  assertError(await admin.patch(`/api/v1/users/${id}`, { password: 'new-Pa55word' }), 400, 'bad_request', 'password');

  assertStatus(await admin.del(`/api/v1/users/${id}`), 200);
  assertError(await admin.get(`/api/v1/users/${id}`), 404, 'not_found');
  assertError(await admin.del(`/api/v1/users/${id}`), 404, 'not_found');
  assertError(await admin.patch(`/api/v1/users/${id}`, { email: 'x@y.z' }), 404, 'not_found');
  assertError(await new Client(server.url).login(renamed, USER_PASSWORD), 401);
});

test('user conflicts and rules: taken names, unknown roles, short passwords', async () => {
  const a = await makeUser(admin);
  const b = await makeUser(admin);
  assertError(await admin.post('/api/v1/users', { username: a.username, password: USER_PASSWORD }), 409, 'conflict', 'username');
  assertError(await admin.patch(`/api/v1/users/${b.id}`, { username: a.username }), 409, 'conflict', 'username');
  assertError(await admin.post('/api/v1/users', { username: uniq('u'), password: USER_PASSWORD, role_id: 999999 }), 400, 'bad_request', 'role_id');
  assertError(await admin.post('/api/v1/users', { username: uniq('u'), password: 'short' }), 400, 'bad_request', 'password');
  assertError(await admin.post('/api/v1/users', { username: 'has space', password: USER_PASSWORD }), 400, 'bad_request', 'username');
  assertError(await admin.post('/api/v1/users', { password: USER_PASSWORD }), 400, 'bad_request', 'username');
  assertError(await admin.post('/api/v1/users', { username: uniq('u') }), 400, 'bad_request', 'password');
  // the minimum length follows the setting
  assertStatus(await admin.patch('/api/v1/settings', { password_min_length: 20 }), 200);
  assertError(await admin.post('/api/v1/users', { username: uniq('u'), password: USER_PASSWORD }), 400, 'bad_request', 'password');
  assertStatus(await admin.patch('/api/v1/settings', { password_min_length: 8 }), 200);
});

test('deactivating a user ends their sessions and refuses their logins', async () => {
  const u = await makeUser(admin);
  const c = await loginAs(server, u);
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { active: false }), 200);
  assertError(await c.get('/api/v1/auth/me'), 401);
  assertError(await new Client(server.url).login(u.username, u.password), 401);
  assertStatus(await admin.patch(`/api/v1/users/${u.id}`, { active: true }), 200);
  await loginAs(server, u);
});

test('the last active superuser cannot be demoted, deactivated or delete itself', async () => {
  const me = (await admin.get('/api/v1/auth/me')).body;
  const supers = (await admin.get('/api/v1/users?per_page=200')).body.items.filter((x) => x.superuser && x.active);
  for (const s of supers) if (s.id !== me.id) assertStatus(await admin.patch(`/api/v1/users/${s.id}`, { superuser: false }), 200);
  assertError(await admin.patch(`/api/v1/users/${me.id}`, { superuser: false }), 409, 'conflict', 'superuser');
  assertError(await admin.patch(`/api/v1/users/${me.id}`, { active: false }), 409, 'conflict', 'active');
  assertError(await admin.put(`/api/v1/users/${me.id}`, { superuser: false }), 409, 'conflict');
  assertError(await admin.del(`/api/v1/users/${me.id}`), 409, 'conflict');
  assert.equal((await admin.get(`/api/v1/users/${me.id}`)).body.superuser, true);
  // with a second superuser, the first may step down
  const su2 = await makeUser(admin, { superuser: true });
  const c2 = await loginAs(server, su2);
  assertStatus(await admin.patch(`/api/v1/users/${me.id}`, { superuser: false }), 200);
  assertError(await c2.patch(`/api/v1/users/${su2.id}`, { superuser: false }), 409, 'conflict', 'superuser');
  assertStatus(await c2.patch(`/api/v1/users/${me.id}`, { superuser: true }), 200);
  admin = await adminClient(server);
  assertStatus(await admin.del(`/api/v1/users/${su2.id}`), 200);
});

test('users:edit is not a way to more rights', async () => {
  const boss = await makeUser(admin, { superuser: true });
  const g = (await admin.post('/api/v1/groups', { name: uniq('scope') })).body.id;
  const mgr = await userWith(server, admin, ['users:admin', 'assets:view']);
  const before = await snapshot(admin);
  // no superuser accounts: create, grant, change, reset, delete
  assertError(await mgr.post('/api/v1/users', { username: uniq('su'), password: USER_PASSWORD, superuser: true }), 403, 'forbidden', 'superuser');
  assertError(await mgr.patch(`/api/v1/users/${mgr.user.id}`, { superuser: true }), 403, 'forbidden', 'superuser');
  assertError(await mgr.patch(`/api/v1/users/${boss.id}`, { email: 'mine@example.com' }), 403, 'forbidden');
  assertError(await mgr.patch(`/api/v1/users/${boss.id}`, { active: false }), 403, 'forbidden');
  assertError(await mgr.put(`/api/v1/users/${boss.id}`, { display_name: 'x' }), 403, 'forbidden');
  assertError(await mgr.post(`/api/v1/users/${boss.id}/password`, {}), 403, 'forbidden');
  assertError(await mgr.del(`/api/v1/users/${boss.id}`), 403, 'forbidden');
  // no roles with rights the manager lacks, for others or for itself
  assertError(await mgr.post('/api/v1/roles', { name: uniq('r'), permissions: ['settings:edit'] }), 403, 'forbidden', 'permissions');
  assertError(await mgr.patch(`/api/v1/roles/${mgr.role_id}`, { permissions: ['users:admin', 'assets:admin'] }), 403, 'forbidden', 'permissions');
  const strong = await makeRole(admin, ['settings:admin']);
  assertError(await mgr.patch(`/api/v1/users/${mgr.user.id}`, { role_id: strong }), 403, 'forbidden', 'role_id');
  assertError(await mgr.post('/api/v1/users', { username: uniq('u'), password: USER_PASSWORD, role_id: strong }), 403, 'forbidden', 'role_id');
  const afterStrong = await snapshot(admin);
  assert.deepEqual(afterStrong.users, before.users, 'no user changed');
  assert.deepEqual(afterStrong.details, before.details);
  assert.equal(afterStrong.roles.length, before.roles.length + 1); // only the admin's `strong` role
  assert.equal((await admin.get(`/api/v1/users/${boss.id}`)).body.superuser, true);

  // what it holds it may give
  const ok = await mgr.post('/api/v1/roles', { name: uniq('r'), permissions: ['assets:view', 'users:edit'] });
  assertStatus(ok, 201);
  const u = await mgr.post('/api/v1/users', { username: uniq('u'), password: USER_PASSWORD, role_id: ok.body.id });
  assertStatus(u, 201);
  assertStatus(await mgr.post(`/api/v1/users/${u.body.id}/password`, {}), 200);

  // a manager scoped to one host group gives no wider scope
  const scoped = await userWith(server, admin, ['users:edit']);
  assertStatus(await admin.patch(`/api/v1/roles/${scoped.role_id}`, { group_ids: [g] }), 200);
  const c = await loginAs(server, scoped.user);
  assertError(await c.post('/api/v1/roles', { name: uniq('r'), permissions: ['users:view'] }), 403, 'forbidden', 'group_ids');
  assertStatus(await c.post('/api/v1/roles', { name: uniq('r'), permissions: ['users:view'], group_ids: [g] }), 201);
});

test('nobody deletes their own account', async () => {
  const su = await makeUser(admin, { superuser: true });
  const c = await loginAs(server, su);
  assertError(await c.del(`/api/v1/users/${su.id}`), 409, 'conflict');
  assertStatus(await c.get('/api/v1/auth/me'), 200);
});
