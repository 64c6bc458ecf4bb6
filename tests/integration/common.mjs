// common.mjs -- helpers shared by the integration tests (tests/integration/*.test.mjs):
// creating users and roles through the API, reading the audit log, taking a
// snapshot of everything the API exposes (to prove a refused request changed
// nothing), and checking the error shape of docs/API.md.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '../lib/client.mjs';
import { ROOT } from '../lib/harness.mjs';

export const VERSION = fs.readFileSync(path.join(ROOT, 'VERSION'), 'utf8').trim();
export const MODULES = ['assets', 'apps', 'tasks', 'delivery', 'monitor', 'users', 'settings', 'audit'];
export const ACTIONS = ['view', 'edit', 'execute', 'admin'];
export const ALL_PERMS = MODULES.flatMap((m) => ACTIONS.map((a) => `${m}:${a}`));
export const USER_PASSWORD = 'user-Pa55word';

let seq = 0;
// A name unique within this test process: prefix + counter.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll fn until it returns a truthy value (which is returned); throws with
// `what` after timeoutMs.
export async function waitFor(what, fn, timeoutMs = 60000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

export function uniq(prefix = 'x') {
  seq += 1;
  return `${prefix}${process.pid % 1000}${seq}`;
}

// Assert r is an error answer of docs/API.md: status, {"error":{code,message,field?}}.
export function assertError(r, status, code, field) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status}: ${r.text}`);
  assert.ok(r.body && r.body.error, `error body expected: ${r.text}`);
  if (code) assert.equal(r.body.error.code, code, r.text);
  assert.equal(typeof r.body.error.message, 'string');
  assert.ok(r.body.error.message.length > 5, `a clear message expected: ${r.text}`);
  if (field !== undefined) assert.equal(r.body.error.field, field, r.text);
  assert.match(r.headers.get('content-type') || '', /^application\/json/);
}

export function assertStatus(r, status, what = '') {
  assert.equal(r.status, status, `${what} expected ${status}, got ${r.status}: ${r.text}`);
}

// Create a role with these permissions; returns its id.
export async function makeRole(admin, perms, extra = {}) {
  const r = await admin.post('/api/v1/roles', { name: uniq('role'), permissions: perms, ...extra });
  assertStatus(r, 201, 'create role');
  return r.body.id;
}

// Create a user (optionally with a role); returns { id, username, password }.
export async function makeUser(admin, { role_id = null, superuser = false, password = USER_PASSWORD, ...rest } = {}) {
  const username = rest.username || uniq('user');
  const body = { username, password, display_name: `User ${username}`, ...rest, username };
  if (role_id !== null) body.role_id = role_id;
  if (superuser) body.superuser = true;
  const r = await admin.post('/api/v1/users', body);
  assertStatus(r, 201, `create user ${username}`);
  return { id: r.body.id, username, password };
}

// A signed-in client for user u ({username, password}).
export async function loginAs(server, u) {
  const c = new Client(server.url);
  const r = await c.login(u.username, u.password);
  assertStatus(r, 200, `login ${u.username}`);
  return c;
}

// A user holding exactly `perms` (through a new role), signed in.
export async function userWith(server, admin, perms) {
  const role_id = await makeRole(admin, perms);
  const u = await makeUser(admin, { role_id });
  const c = await loginAs(server, u);
  return Object.assign(c, { user: u, role_id });
}

// Change settings (PATCH), asserting success.
export async function setSettings(admin, values) {
  const r = await admin.patch('/api/v1/settings', values);
  assertStatus(r, 200, 'settings');
  return r.body;
}

// Audit rows matching params (object of query parameters), newest first.
export async function auditRows(admin, params = {}) {
  const q = new URLSearchParams({ per_page: '200', ...params });
  const r = await admin.get(`/api/v1/audit?${q}`);
  assertStatus(r, 200, 'audit list');
  return r.body.items;
}

// The newest audit row for `action` (optionally only ids above `after`).
export async function lastAudit(admin, action, after = 0) {
  const rows = (await auditRows(admin, { action })).filter((x) => x.id > after);
  assert.ok(rows.length > 0, `no audit row for ${action} after id ${after}`);
  return rows[0];
}

// Highest audit id so far (0 when empty).
export async function auditMark(admin) {
  const rows = await auditRows(admin, { per_page: '10' });
  return rows.length ? rows[0].id : 0;
}

async function allPages(c, p) {
  const out = [];
  for (let page = 1; ; page++) {
    const sep = p.includes('?') ? '&' : '?';
    const r = await c.get(`${p}${sep}per_page=200&page=${page}`);
    assertStatus(r, 200, p);
    out.push(...r.body.items);
    if (out.length >= r.body.total || r.body.items.length === 0) return out;
  }
}

// Everything the foundation API exposes, for before/after comparisons.
// Volatile fields (last_login_at, last_seen, last_used_at) are dropped so
// that signing in does not count as a change; the audit log is left out
// (refused writes add audit rows on purpose).
export async function snapshot(admin) {
  const strip = (rows, keys) => rows.map((x) => {
    const y = { ...x };
    for (const k of keys) delete y[k];
    return y;
  });
  const users = strip(await allPages(admin, '/api/v1/users?sort=id'), ['last_login_at']);
  const details = [];
  for (const u of users) {
    const r = await admin.get(`/api/v1/users/${u.id}`);
    details.push(strip([r.body], ['last_login_at'])[0]);
  }
  return {
    users, details,
    roles: await allPages(admin, '/api/v1/roles?sort=id'),
    groups: await allPages(admin, '/api/v1/groups?sort=id'),
    tokens: strip(await allPages(admin, '/api/v1/tokens?all=1&sort=id'), ['last_used_at']),
    settings: (await admin.get('/api/v1/settings')).body,
  };
}

// Assert the server answers health checks.
export async function assertHealthy(server) {
  const r = await fetch(`${server.url}/api/v1/health`);
  assert.equal(r.status, 200);
  assert.equal((await r.json()).status, 'ok');
}

// The server's idea of "now" in Unix seconds (from the Date header, plus a
// clock offset the test gave it).
export async function serverNow(server, offset = 0) {
  const r = await fetch(`${server.url}/api/v1/health`);
  return Math.floor(Date.parse(r.headers.get('date')) / 1000) + offset;
}
