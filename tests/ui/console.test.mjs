// console.test.mjs -- the web console in headless Chromium against a real
// cairnd (tests/lib/harness.mjs). The tests run in order and share one
// server and one browser profile, as one ops person's session would:
// a failed login, the admin creates a role and a user, tokens and settings,
// then the restricted user signs in, switches language, reads the audit log
// and changes the password. Screenshots: build/test-artifacts/ui/*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient, Client } from '../lib/client.mjs';
import {
  ARTIFACTS, launch, login, screenshot, pageReady, tableDrawn, menuTexts, modalShown, modalGone, toastMatching,
} from './browser.mjs';

let server;
let browser;
let page;
const ROLE = 'auditors';
const USER = 'alice';
const XSS_NAME = 'Alice <img src=x id=xss-probe> & co';
let alicePassword = null;

before(async () => {
  // screenshots of an earlier failed run would mislead
  if (fs.existsSync(ARTIFACTS)) {
    for (const f of fs.readdirSync(ARTIFACTS)) if (f.startsWith('FAILED-')) fs.rmSync(path.join(ARTIFACTS, f));
  }
  server = await startServer();
  browser = await launch({ locale: 'en-US' });
  page = browser.page;
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// A test step: on failure, a screenshot of what the user saw at that moment.
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60);
      await screenshot(page, `FAILED-${slug}`).catch(() => {});
      throw e;
    }
  });
}

// Open a console page afresh (as a user clicking its menu entry would).
async function go(route) {
  const target = `${server.url}/#/${route}`;
  if (page.url() === target) await page.reload();
  else await page.goto(target);
  await pageReady(page, route);
}

function row(tableSel, text) {
  return page.locator(`${tableSel} tbody tr`, { hasText: text });
}

async function logout() {
  await page.click('#user-menu-toggle');
  await page.locator('#btn-logout').waitFor({ state: 'visible' });
  await Promise.all([page.waitForURL(/\/login\.html$/), page.click('#btn-logout')]);
  await page.waitForSelector('body[data-ready="1"]');
}

step('login page refuses a wrong password and says so', async () => {
  await page.goto(`${server.url}/login.html`);
  await page.waitForSelector('body[data-ready="1"]');
  assert.equal((await page.textContent('#login-submit')).trim(), 'Sign in');
  await page.fill('#login-username', 'admin');
  await page.fill('#login-password', 'not-the-password');
  await page.click('#login-submit');
  const err = page.locator('#login-error');
  await err.waitFor({ state: 'visible' });
  assert.match(await err.textContent(), /Wrong username or password/);
  assert.match(page.url(), /\/login\.html$/);
  await screenshot(page, '01-login-failed');
});

step('an anonymous visit to the console goes to the login page', async () => {
  await page.goto(`${server.url}/#/users`);
  await page.waitForURL(/\/login\.html$/);
});

step('admin signs in and sees the dashboard and the whole menu', async () => {
  await login(page, server.url, 'admin', server.adminPassword);
  // back on the page asked for before the login (#/users), then the dashboard
  await pageReady(page, 'users');
  await go('dashboard');
  await page.waitForSelector('#welcome-text');
  assert.equal(await page.textContent('#welcome-username'), 'admin');
  const health = await (await fetch(`${server.url}/api/v1/health`)).json();
  await page.waitForFunction(() => document.querySelector('#health-status .info-box-number').textContent === 'Healthy');
  assert.equal(await page.textContent('#health-version .info-box-number'), health.version);
  assert.deepEqual(await menuTexts(page), ['Navigation', 'Dashboard', 'Assets', 'Hosts', 'Host groups', 'IDCs', 'Cabinets', 'Asset types', 'Asset statuses', 'Applications', 'Product lines', 'Projects', 'Owners', 'Credentials', 'Regions', 'Branches', 'Resources', 'Tasks', 'Run', 'Jobs', 'Library', 'Scheduled tasks', 'Monitoring', 'Users', 'Users', 'Roles', 'API tokens', 'Audit log', 'Settings', 'Agents']);
  assert.ok((await page.textContent('#user-name')).trim().length > 0, 'user menu names the user');
  // Font Awesome's webfont really loaded (no empty squares for icons).
  const faLoaded = await page.evaluate(async () => {
    await document.fonts.ready;
    return [...document.fonts].some((f) => /Font Awesome/.test(f.family) && f.status === 'loaded');
  });
  assert.ok(faLoaded, 'Font Awesome webfont loaded');
  // AdminLTE layout: a dark sidebar beside the content.
  const layout = await page.evaluate(() => {
    const side = document.querySelector('.app-sidebar').getBoundingClientRect();
    const main = document.querySelector('.app-main').getBoundingClientRect();
    return { sideW: side.width, mainX: main.x };
  });
  assert.ok(layout.sideW > 200 && layout.mainX >= layout.sideW - 1, `sidebar beside content: ${JSON.stringify(layout)}`);
  await screenshot(page, '02-dashboard-admin');
});

step('admin creates a role with only users:view and audit:view', async () => {
  await go('roles');
  await page.click('#btn-add-role');
  const m = await modalShown(page, 'role-modal');
  await m.locator('input[name="name"]').fill(ROLE);
  await m.locator('textarea[name="description"]').fill('read users and the audit log');
  // the matrix: 8 modules x 4 actions
  assert.equal(await m.locator('#perm-matrix tbody tr').count(), 8);
  assert.equal(await m.locator('#perm-matrix input[type=checkbox]').count(), 32);
  await m.locator('#perm-users-view').check();
  await m.locator('#perm-audit-view').check();
  // admin implies the other actions; unticking it again leaves them as chosen
  await m.locator('#perm-tasks-admin').check();
  assert.ok(await m.locator('#perm-tasks-execute').isChecked());
  await m.locator('#perm-tasks-admin').uncheck();
  for (const a of ['view', 'edit', 'execute']) await m.locator(`#perm-tasks-${a}`).uncheck();
  await screenshot(page, '03-role-modal');
  await m.locator('button[type=submit]').click();
  await modalGone(page, 'role-modal');
  await toastMatching(page, 'success', /auditors/);
  await tableDrawn(page, '#roles-table');
  const r = row('#roles-table', ROLE);
  await r.waitFor();
  const text = await r.textContent();
  assert.match(text, /Users: View/);
  assert.match(text, /Audit log: View/);
  assert.doesNotMatch(text, /Tasks/);
  assert.match(text, /All groups/);
});

step('admin creates a user with that role; errors appear beside the field', async () => {
  await go('users');
  await tableDrawn(page, '#users-table');
  await page.click('#btn-add-user');
  const m = await modalShown(page, 'user-modal');
  await m.locator('input[name="username"]').fill(USER);
  await m.locator('input[name="password"]').fill('short');
  await m.locator('input[name="display_name"]').fill(XSS_NAME);
  await m.locator('input[name="email"]').fill('alice@example.com');
  await m.locator('select[name="role_id"]').selectOption({ label: ROLE });
  await m.locator('button[type=submit]').click();
  // too short a password: said beside the password field, the dialog stays
  const pwField = m.locator('[data-field="password"]');
  await pwField.locator('.invalid-feedback.d-block').waitFor({ state: 'visible' });
  assert.match(await pwField.locator('.invalid-feedback').textContent(), /at least/);
  assert.ok(await pwField.locator('input.is-invalid').count() === 1);
  // a taken user name: said beside the username field
  await m.locator('input[name="username"]').fill('admin');
  await m.locator('input[name="password"]').fill('alice-Start-123');
  await m.locator('button[type=submit]').click();
  const unField = m.locator('[data-field="username"]');
  await unField.locator('.invalid-feedback.d-block').waitFor({ state: 'visible' });
  assert.match(await unField.locator('.invalid-feedback').textContent(), /taken/);
  assert.equal(await pwField.locator('input.is-invalid').count(), 0, 'the old error is cleared');
  await screenshot(page, '04-user-modal-field-error');
  await m.locator('input[name="username"]').fill(USER);
  await m.locator('button[type=submit]').click();
  await modalGone(page, 'user-modal');
  await toastMatching(page, 'success', /alice/);
  await tableDrawn(page, '#users-table');
  const r = row('#users-table', USER);
  await r.waitFor();
  // user text is shown as text, never as markup
  assert.equal(await r.locator('td').nth(1).textContent(), XSS_NAME);
  assert.equal(await r.locator('td').nth(4).textContent(), ROLE);
  assert.equal(await page.locator('#xss-probe').count(), 0);
  // server-side search
  await page.fill('.dt-search input', 'alice@');
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('#users-table tbody tr');
    return rows.length === 1 && rows[0].textContent.includes('alice@example.com');
  });
  await screenshot(page, '05-users');
});

step('admin resets the user\'s password and sees the new one once', async () => {
  await go('users');
  await tableDrawn(page, '#users-table');
  await row('#users-table', USER).locator('[data-action="reset-password"]').click();
  const c = await modalShown(page, 'confirm-modal');
  assert.match(await c.textContent(), /alice/);
  await c.locator('button[type=submit]').click();
  const m = await modalShown(page, 'password-result-modal');
  alicePassword = await m.locator('#password-result-modal-value').inputValue();
  assert.ok(alicePassword.length >= 8, 'a generated password is shown');
  assert.match(await m.textContent(), /only once/);
  await screenshot(page, '06-password-reset');
  await m.locator('.modal-footer button[data-bs-dismiss]').click();
  await modalGone(page, 'password-result-modal');
});

step('admin edits a user, and deletes another after confirming', async () => {
  await go('users');
  await tableDrawn(page, '#users-table');
  await row('#users-table', USER).locator('[data-action="edit"]').click();
  let m = await modalShown(page, 'user-modal');
  assert.equal(await m.locator('input[name="username"]').inputValue(), USER);
  assert.equal(await m.locator('input[name="display_name"]').inputValue(), XSS_NAME);
  assert.equal(await m.locator('select[name="role_id"] option:checked').textContent(), ROLE);
  assert.equal(await m.locator('input[name="password"]').count(), 0, 'no password field when editing');
  await m.locator('input[name="phone"]').fill('+86 10 5555 0100');
  await m.locator('button[type=submit]').click();
  await modalGone(page, 'user-modal');
  await page.waitForFunction(() => /\+86 10 5555 0100/.test(document.querySelector('#users-table tbody').textContent));

  await page.click('#btn-add-user');
  m = await modalShown(page, 'user-modal');
  await m.locator('input[name="username"]').fill('bob');
  await m.locator('input[name="password"]').fill('bob-Start-1234');
  await m.locator('button[type=submit]').click();
  await modalGone(page, 'user-modal');
  const bob = row('#users-table', 'bob');
  await bob.waitFor();
  await bob.locator('[data-action="delete"]').click();
  const c = await modalShown(page, 'confirm-modal');
  assert.match(await c.textContent(), /Delete user bob\?/);
  await c.locator('button[type=submit]').click();
  await toastMatching(page, 'success', /User bob deleted/);
  await bob.waitFor({ state: 'detached' });
  // no delete button for oneself
  assert.equal(await row('#users-table', 'Administrator').locator('[data-action="delete"]').count(), 0);
});

step('admin reopens the role: the matrix shows what it holds, the scope takes a host group; a role in use cannot be deleted', async () => {
  // a host group to choose (the CMDB pages come later: made through the API)
  const api = await adminClient(server);
  const g = await api.post('/api/v1/groups', { name: 'web-servers', description: 'front ends' });
  assert.equal(g.status, 201, g.text);
  await go('roles');
  await tableDrawn(page, '#roles-table');
  const r = row('#roles-table', ROLE);
  assert.equal((await r.locator('td').nth(4).textContent()).trim(), '1', 'one user holds it');
  await r.locator('[data-action="edit"]').click();
  const m = await modalShown(page, 'role-modal');
  const checked = await m.locator('#perm-matrix input:checked').evaluateAll((bs) => bs.map((b) => b.value));
  assert.deepEqual(checked.sort(), ['audit:view', 'users:view']);
  assert.match(await m.locator('[data-field="group_ids"] .form-text').textContent(), /Leave empty for all host groups/);
  await m.locator('select[name="group_ids"]').selectOption({ label: 'web-servers' });
  await m.locator('button[type=submit]').click();
  await modalGone(page, 'role-modal');
  await page.waitForFunction(() => /web-servers/.test(document.querySelector('#roles-table tbody').textContent));
  await r.locator('[data-action="delete"]').click();
  const c = await modalShown(page, 'confirm-modal');
  await c.locator('button[type=submit]').click();
  await toastMatching(page, 'danger', /.+/);
  await r.waitFor(); // still listed
});

step('API tokens: a new token is shown once, works, and can be revoked', async () => {
  await go('tokens');
  await page.click('#btn-add-token');
  const m = await modalShown(page, 'token-modal');
  await m.locator('input[name="name"]').fill('ci-script');
  const future = new Date(Date.now() + 30 * 86400 * 1000);
  const p = (n) => String(n).padStart(2, '0');
  await m.locator('input[name="expires_at"]').fill(`${future.getFullYear()}-${p(future.getMonth() + 1)}-${p(future.getDate())}`);
  await m.locator('button[type=submit]').click();
  const shown = await modalShown(page, 'token-result-modal');
  const token = await shown.locator('#token-result-modal-value').inputValue();
  assert.match(token, /^cairn_/);
  await screenshot(page, '07-token-created');
  await shown.locator('[data-role="copy"]').click();
  await toastMatching(page, 'success', /Copied/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token, 'the clipboard holds the token');
  await shown.locator('.modal-footer button[data-bs-dismiss]').click();
  await modalGone(page, 'token-result-modal');

  const r = row('#tokens-table', 'ci-script');
  await r.waitFor();
  assert.match(await r.textContent(), /Active/);
  assert.doesNotMatch(await page.locator('#tokens-table').textContent(), new RegExp(token.slice(-12)), 'the full token is not listed');
  const me = await fetch(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).username, 'admin');

  await r.locator('[data-action="revoke"]').click();
  const c = await modalShown(page, 'confirm-modal');
  await c.locator('button[type=submit]').click();
  await modalGone(page, 'confirm-modal');
  await page.waitForFunction(() => /Revoked/.test(document.querySelector('#tokens-table tbody').textContent));
  const after = await fetch(`${server.url}/api/v1/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(after.status, 401);
});

step('settings: a bad value is refused beside its field, a good one is saved', async () => {
  await go('settings');
  const ttl = page.locator('#settings-form input[name="session_ttl"]');
  await ttl.waitFor();
  assert.ok(await page.locator('#settings-form input[name="site_name"]').count() === 1);
  await ttl.fill('10');
  await page.click('#btn-save-settings');
  const fb = page.locator('[data-field="session_ttl"] .invalid-feedback.d-block');
  await fb.waitFor({ state: 'visible' });
  assert.ok((await fb.textContent()).length > 0);
  await screenshot(page, '08-settings-error');
  await ttl.fill('7200');
  await page.click('#btn-save-settings');
  await toastMatching(page, 'success', /Settings saved/);
  await page.reload();
  await pageReady(page, 'settings');
  assert.equal(await page.locator('#settings-form input[name="session_ttl"]').inputValue(), '7200');
});

step('the restricted user sees only the menus and buttons the role allows', async () => {
  assert.ok(alicePassword, 'password from the reset test');
  await logout();
  await login(page, server.url, USER, alicePassword);
  await pageReady(page, 'home');
  assert.equal(await page.textContent('#user-name'), XSS_NAME);
  assert.equal(await page.locator('#xss-probe').count(), 0);
  assert.deepEqual(await menuTexts(page), ['Navigation', 'Dashboard', 'Users', 'Users', 'Roles', 'API tokens', 'Audit log']);
  assert.equal(await page.locator('#sidebar-menu a[href="#/settings"]').count(), 0);

  await go('users');
  await tableDrawn(page, '#users-table');
  await row('#users-table', 'admin').waitFor();
  assert.equal(await page.locator('#btn-add-user').count(), 0, 'no add button');
  for (const a of ['edit', 'delete', 'reset-password']) {
    assert.equal(await page.locator(`#users-table [data-action="${a}"]`).count(), 0, `no ${a} button`);
  }
  await screenshot(page, '09-users-restricted');

  await go('roles');
  await tableDrawn(page, '#roles-table');
  await row('#roles-table', ROLE).waitFor();
  assert.equal(await page.locator('#btn-add-role').count(), 0);
  assert.equal(await page.locator('#roles-table [data-action]').count(), 0);

  // typing the address of a page the role does not allow
  await go('settings');
  assert.match(await page.textContent('#page'), /Permission denied/);
  const api = await page.evaluate(async () => (await fetch('/api/v1/settings')).status);
  assert.equal(api, 403, 'and the server refuses too');
});

step('language switch: Chinese labels, remembered after reload, and back', async () => {
  await go('users');
  await page.click('#lang-toggle');
  await page.locator('#lang-menu [data-lang="zh-CN"]').click();
  await page.waitForFunction(() => document.documentElement.lang === 'zh-CN' && document.querySelector('#page[data-ready="1"]'));
  assert.deepEqual(await menuTexts(page), ['站点导航', '仪表盘', '用户管理', '用户', '角色', 'API 令牌', '审计日志']);
  assert.equal(await page.textContent('#page-title'), '用户');
  await tableDrawn(page, '#users-table');
  assert.match(await page.textContent('#users-table thead'), /用户名/);
  assert.match(await page.textContent('#page .dt-info'), /共 \d+ 项/);
  await page.reload();
  await pageReady(page, 'users');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  assert.equal((await page.textContent('#btn-logout')).trim(), '退出登录');
  await tableDrawn(page, '#users-table');
  await screenshot(page, '10-users-zh-CN');
  await page.click('#lang-toggle');
  await page.locator('#lang-menu [data-lang="en"]').click();
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  assert.deepEqual(await menuTexts(page), ['Navigation', 'Dashboard', 'Users', 'Users', 'Roles', 'API tokens', 'Audit log']);
});

step('audit log lists the earlier actions, filters and expands', async () => {
  await go('audit');
  await tableDrawn(page, '#audit-table');
  const body = await page.textContent('#audit-table tbody');
  for (const a of ['role.create', 'user.create', 'user.password_reset', 'token.create', 'settings.update', 'auth.login']) {
    assert.ok(body.includes(a), `audit shows ${a}`);
  }
  // newest first
  const times = await page.$$eval('#audit-table tbody tr', (trs) => trs.map((tr) => tr.children[1]?.textContent));
  assert.ok(times.length > 5);
  // the failed login tried on purpose
  await page.fill('#audit-action', 'auth.login');
  await page.selectOption('#audit-result', 'denied');
  await page.click('#audit-search');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-table tbody tr')];
    return rows.length >= 1 && rows.every((r) => r.textContent.includes('auth.login') && r.textContent.includes('Denied'));
  });
  const first = page.locator('#audit-table tbody tr').first();
  assert.match(await first.textContent(), /admin/);
  await first.click();
  const detail = page.locator('#audit-table .audit-detail');
  await detail.waitFor({ state: 'visible' });
  assert.match(await detail.textContent(), /401/);
  await screenshot(page, '11-audit-failed-login');
  // role creation is there with its detail
  await page.fill('#audit-action', 'role.create');
  await page.selectOption('#audit-result', '');
  await page.click('#audit-search');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#audit-table tbody tr')];
    return rows.length === 1 && rows[0].textContent.includes('role.create');
  });
  await page.locator('#audit-table tbody tr').first().click();
  await page.locator('#audit-table .audit-detail').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#audit-table .audit-detail'), /auditors/);
  // dates: a range in the past finds nothing
  await page.click('#audit-reset');
  await page.fill('#audit-from', '2001-01-01');
  await page.fill('#audit-to', '2001-01-02');
  await page.click('#audit-search');
  await page.waitForFunction(() => document.querySelector('#audit-table tbody td.dt-empty') !== null);
});

step('the user changes the password; the old one stops working', async () => {
  await go('dashboard');
  await page.click('#user-menu-toggle');
  await page.locator('#btn-change-password').click();
  const m = await modalShown(page, 'password-modal');
  await m.locator('input[name="old_password"]').fill('wrong-old-password');
  await m.locator('input[name="new_password"]').fill('alice-New-Pa55');
  await m.locator('input[name="confirm_password"]').fill('alice-New-Pa55x');
  await m.locator('button[type=submit]').click();
  await m.locator('[data-field="confirm_password"] .invalid-feedback.d-block').waitFor({ state: 'visible' });
  await m.locator('input[name="confirm_password"]').fill('alice-New-Pa55');
  await m.locator('button[type=submit]').click();
  await m.locator('[data-field="old_password"] .invalid-feedback.d-block').waitFor({ state: 'visible' });
  assert.match(await m.locator('[data-field="old_password"] .invalid-feedback').textContent(), /wrong/);
  await screenshot(page, '12-change-password-error');
  await m.locator('input[name="old_password"]').fill(alicePassword);
  await m.locator('button[type=submit]').click();
  await modalGone(page, 'password-modal');
  await toastMatching(page, 'success', /Password changed/);
  // the session goes on: a write still passes the CSRF check
  await go('tokens');
  await page.click('#btn-add-token');
  const tm = await modalShown(page, 'token-modal');
  await tm.locator('input[name="name"]').fill('after-password-change');
  await tm.locator('button[type=submit]').click();
  const shown = await modalShown(page, 'token-result-modal');
  await shown.locator('.modal-footer button[data-bs-dismiss]').click();
  await modalGone(page, 'token-result-modal');

  await logout();
  await page.fill('#login-username', USER);
  await page.fill('#login-password', alicePassword);
  await page.click('#login-submit');
  await page.locator('#login-error').waitFor({ state: 'visible' });
  await login(page, server.url, USER, 'alice-New-Pa55');
  await pageReady(page, 'home');
});

step('a user locked out by failed logins shows as locked; the admin unlocks them', async () => {
  const apiLogin = (pw) => new Client(server.url).login(USER, pw);
  for (let i = 0; i < 5; i++) assert.equal((await apiLogin('not-the-password')).status, 401);
  assert.equal((await apiLogin('alice-New-Pa55')).status, 423, 'locked even with the right password');
  await logout();
  await login(page, server.url, 'admin', server.adminPassword);
  await pageReady(page, 'home');
  await go('users');
  await tableDrawn(page, '#users-table');
  const r = row('#users-table', USER);
  await r.locator('.user-locked').waitFor();
  assert.match(await r.locator('.user-locked').textContent(), /Locked until/);
  await r.locator('[data-action="unlock"]').click();
  await toastMatching(page, 'success', /alice can sign in again/);
  await tableDrawn(page, '#users-table');
  await page.waitForFunction(() => ![...document.querySelectorAll('#users-table tbody tr')]
    .some((tr) => tr.textContent.includes('alice') && tr.querySelector('.user-locked')));
  assert.equal(await row('#users-table', USER).locator('[data-action="unlock"]').count(), 0);
  assert.equal((await apiLogin('alice-New-Pa55')).status, 200, 'signs in at once');
});

test('a Chinese browser gets the Chinese console by default', async () => {
  const zh = await launch({ locale: 'zh-CN' });
  try {
    await zh.page.goto(`${server.url}/login.html`);
    await zh.page.waitForSelector('body[data-ready="1"]');
    assert.equal((await zh.page.textContent('#login-submit')).trim(), '登录');
    assert.equal(await zh.page.getAttribute('#login-username', 'placeholder'), '用户名');
    await login(zh.page, server.url, 'admin', server.adminPassword);
    await pageReady(zh.page, 'home');
    assert.deepEqual((await menuTexts(zh.page)).slice(0, 3), ['站点导航', '仪表盘', '资产管理']);
    await zh.page.goto(`${server.url}/#/dashboard`);
    await pageReady(zh.page, 'dashboard');
    await zh.page.waitForFunction(() => document.querySelector('#health-status .info-box-number').textContent === '正常');
    await screenshot(zh.page, '13-dashboard-zh-CN');
    assert.deepEqual(zh.problems, []);
  } finally {
    await zh.close();
  }
});

test('no script errors and no CSP violations in the whole session', () => {
  assert.deepEqual(browser.problems, []);
});
