// cmdb_pages.test.mjs -- the schema-driven pages of the CMDB and the
// applications in headless Chromium against a real cairnd: host groups and
// cabinets get their hosts with the two-list picker, a refused delete shows
// the server's message, credentials never show a secret, the navigation home
// page, the dashboard's counts, and what a user with only assets:view sees.
// One server and one browser for the file; screenshots build/test-artifacts/ui/cmdb-*.png.
import assert from 'node:assert/strict';
import { login, screenshot, modalShown, modalGone, toastMatching, menuTexts, pageReady } from './browser.mjs';
import { setup, stepper, go, redraw, drawn, create, agent, facts } from './cmdb_helpers.mjs';

const s = setup({ prefix: 'cmdb-pages' });
const step = stepper(s);
const ids = {};

const rowOf = (table, text) => s.page.locator(`${table} tbody tr`, { hasText: text });
async function one(res, id) {
  const r = await s.api.get(`/api/v1/${res}/${id}`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}
async function find(res, q, key = 'name') {
  const r = await s.api.get(`/api/v1/${res}?q=${encodeURIComponent(q)}&per_page=200`);
  return (r.body.items || []).find((x) => x[key] === q) || null;
}

step('fixtures: an IDC, hosts, and agents that report', async () => {
  const [bj, sh] = await create(s.api, 'idcs', { code: 'bj1', name: '北京一号' }, { code: 'sh1', name: '上海二号' });
  ids.bj = bj.id;
  ids.sh = sh.id;
  const hosts = await create(s.api, 'hosts',
    ...[1, 2, 3, 4, 5].map((i) => ({ hostname: `web-0${i}`, ip: `10.1.0.${i}`, idc_id: sh.id, asset_type: 'vm' })),
    { hostname: 'db-01', ip: '10.1.1.1', asset_type: 'physical', asset_status: 'faulty' });
  ids.hosts = Object.fromEntries(hosts.map((h) => [h.hostname, h.id]));
  const a = await agent(s.server, { machineId: 'machine-busy', hostname: 'busy-01' });
  await a.report({ facts: facts({ hostname: 'busy-01', ip: '10.1.2.1' }), cpu: 87, mem: 64, disk: 93 });
  ids.busy = a.hostId;
  await login(s.page, s.server.url, 'admin', s.server.adminPassword);
  await pageReady(s.page, 'home');
});

step('host groups: a new group gets its hosts with the two-list picker', async () => {
  await go(s, 'groups');
  await drawn(s.page, '#groups-table');
  await s.page.click('#groups-add');
  const m = await modalShown(s.page, 'group-modal');
  await m.locator('input[name="name"]').fill('web-servers');
  await m.locator('input[name="description"]').fill('前端 <b id="xss-probe">x</b>');
  const p = m.locator('[data-field="host_ids"]');
  await p.locator('[data-role="search"]').fill('web');
  await s.page.waitForFunction(() => {
    const o = [...document.querySelectorAll('#group-modal [data-field="host_ids"] [data-role="available"] option')];
    return o.length === 5 && o.every((x) => x.textContent.startsWith('web-'));
  });
  assert.equal(await p.locator('[data-role="available"] option').first().textContent(), 'web-01 (10.1.0.1)');
  await p.locator('[data-role="available"]').selectOption(['web-01 (10.1.0.1)', 'web-02 (10.1.0.2)'].map((label) => ({ label })));
  await p.locator('[data-role="add"]').click();
  await p.locator('[data-role="available"] option', { hasText: 'web-03' }).dblclick();
  assert.equal((await p.locator('[data-role="chosen-count"]').textContent()).trim(), '3');
  assert.equal(await p.locator('[data-role="available"] option').count(), 2, 'chosen hosts leave the left list');
  await screenshot(s.page, 'cmdb-07-group-picker');
  await redraw(s.page, '#groups-table', () => m.locator('button[type=submit]').click());
  await modalGone(s.page, 'group-modal');
  await toastMatching(s.page, 'success', /web-servers/);
  const r = rowOf('#groups-table', 'web-servers');
  assert.match(await r.textContent(), /web-01.*web-02.*web-03/);
  assert.equal(await s.page.locator('#xss-probe').count(), 0);
  const g = await find('groups', 'web-servers');
  assert.deepEqual([...g.host_ids].sort(), [ids.hosts['web-01'], ids.hosts['web-02'], ids.hosts['web-03']].sort());
  ids.group = g.id;
});

step('host groups: the hosts button edits the members alone; a double-click removes one', async () => {
  await go(s, 'groups');
  await drawn(s.page, '#groups-table');
  await rowOf('#groups-table', 'web-servers').locator('[data-action="members"]').click();
  const m = await modalShown(s.page, 'group-modal');
  assert.equal(await m.locator('input[name="name"]').count(), 0, 'only the picker');
  const p = m.locator('[data-field="host_ids"]');
  await p.locator('[data-role="chosen"] option', { hasText: 'web-02' }).dblclick();
  const [req] = await Promise.all([
    s.page.waitForRequest((q) => q.method() === 'PATCH' && q.url().endsWith(`/api/v1/groups/${ids.group}`)),
    redraw(s.page, '#groups-table', () => m.locator('button[type=submit]').click()),
  ]);
  assert.deepEqual(Object.keys(req.postDataJSON()), ['host_ids']);
  await modalGone(s.page, 'group-modal');
  const g = await one('groups', ids.group);
  assert.deepEqual([...g.host_ids].sort(), [ids.hosts['web-01'], ids.hosts['web-03']].sort());
  // the host list filters by the group
  await go(s, 'hosts');
  await drawn(s.page, '#hosts-table');
  await redraw(s.page, '#hosts-table', () => s.page.selectOption('#hosts-filter-group_id', { label: 'web-servers' }));
  assert.deepEqual(await s.page.$$eval('#hosts-table .cmdb-host-link', (as) => as.map((a) => a.textContent)), ['web-01', 'web-03']);
});

step('cabinets: the IDC is required (said beside the field); hosts put in move to its IDC', async () => {
  await go(s, 'cabinets');
  await drawn(s.page, '#cabinets-table');
  assert.ok(await s.page.locator('#cabinets-filter-idc_id').count(), 'filter by IDC');
  await s.page.click('#cabinets-add');
  const m = await modalShown(s.page, 'cabinet-modal');
  await m.locator('input[name="name"]').fill('B02');
  await m.locator('button[type=submit]').click();
  const f = m.locator('[data-field="idc_id"] .invalid-feedback.d-block');
  await f.waitFor({ state: 'visible' });
  assert.match(await f.textContent(), /required/);
  await m.locator('select[name="idc_id"]').selectOption({ label: '北京一号' });
  const p = m.locator('[data-field="host_ids"]');
  await p.locator('[data-role="search"]').fill('db-01');
  await p.locator('[data-role="available"] option', { hasText: 'db-01' }).dblclick();
  await redraw(s.page, '#cabinets-table', () => m.locator('button[type=submit]').click());
  await modalGone(s.page, 'cabinet-modal');
  const r = rowOf('#cabinets-table', 'B02');
  assert.match(await r.textContent(), /北京一号.*db-01/);
  const h = await one('hosts', ids.hosts['db-01']);
  assert.equal(h.idc_id, ids.bj, 'the host moved to the cabinet\'s IDC');
});

step('IDCs: a delete the server refuses (hosts still there) shows its message and keeps the row', async () => {
  await go(s, 'idcs');
  await drawn(s.page, '#idcs-table');
  const heads = await s.page.$$eval('#idcs-table thead th', (ths) => ths.map((th) => th.textContent.trim()));
  assert.deepEqual(heads.slice(1, 4), ['Code', 'Name', 'Address']);
  await rowOf('#idcs-table', '北京一号').locator('input[data-role="row-check"]').check();
  await s.page.click('#idcs-bulk-delete');
  const c = await modalShown(s.page, 'confirm-modal');
  await c.locator('button[type=submit]').click();
  const msg = await toastMatching(s.page, 'danger', /still refer/);
  assert.match(msg, /北京一号/);
  await rowOf('#idcs-table', '北京一号').waitFor();
  assert.ok(await find('idcs', '北京一号'), 'still stored');
});

step('credentials: secrets are never shown, an empty password box keeps the stored one', async () => {
  await go(s, 'credentials');
  await drawn(s.page, '#credentials-table');
  await s.page.click('#credentials-add');
  let m = await modalShown(s.page, 'credential-modal');
  assert.equal(await m.locator('input[name="password"]').getAttribute('type'), 'password');
  await m.locator('input[name="name"]').fill('deploy');
  await m.locator('input[name="username"]').fill('deploy');
  await m.locator('input[name="password"]').fill('Pw-never-shown-123');
  await redraw(s.page, '#credentials-table', () => m.locator('button[type=submit]').click());
  await modalGone(s.page, 'credential-modal');
  const r = rowOf('#credentials-table', 'deploy');
  const text = await r.textContent();
  assert.match(text, /\bset\b/);
  assert.match(text, /not set/, 'no private key');
  assert.doesNotMatch(await s.page.textContent('#page'), /Pw-never-shown/);
  await r.locator('[data-action="edit"]').click();
  m = await modalShown(s.page, 'credential-modal');
  assert.equal(await m.locator('input[name="password"]').inputValue(), '');
  assert.match(await m.locator('[data-field="password"]').textContent(), /leave empty to keep/);
  await m.locator('textarea[name="memo"]').fill('部署账号');
  const [req] = await Promise.all([
    s.page.waitForRequest((q) => q.method() === 'PATCH'),
    m.locator('button[type=submit]').click(),
  ]);
  assert.deepEqual(req.postDataJSON(), { memo: '部署账号' });
  await modalGone(s.page, 'credential-modal');
  const cred = await find('credentials', 'deploy');
  assert.equal(cred.password_set, true, 'the password is kept');
});

step('projects: enum selects, references by name, filters', async () => {
  const [owner] = await create(s.api, 'owners', { name: '张三', phone: '13800138000' });
  await create(s.api, 'products', { name: '商城', owner_id: owner.id });
  await go(s, 'projects');
  await drawn(s.page, '#projects-table');
  await s.page.click('#projects-add');
  const m = await modalShown(s.page, 'project-modal');
  await m.locator('input[name="name"]').fill('shop-api');
  await m.locator('select[name="language"]').selectOption({ label: 'Java' });
  await m.locator('select[name="framework"]').selectOption({ label: 'Spring Boot' });
  await m.locator('select[name="product_id"]').selectOption({ label: '商城' });
  await m.locator('select[name="owner_id"]').selectOption({ label: '张三' });
  await m.locator('input[name="source_url"]').fill('https://git.example.com/shop/api.git');
  await redraw(s.page, '#projects-table', () => m.locator('button[type=submit]').click());
  await modalGone(s.page, 'project-modal');
  assert.match(await rowOf('#projects-table', 'shop-api').textContent(), /Java.*商城.*张三/);
  await redraw(s.page, '#projects-table', () => s.page.selectOption('#projects-filter-language', 'php'));
  assert.equal(await rowOf('#projects-table', 'shop-api').count(), 0);
});

step('navigation home: an admin adds links (a bad icon is refused beside its field); cards open in a new tab', async () => {
  await go(s, 'home');
  await s.page.locator('#nav-empty').waitFor();
  await s.page.click('#nav-add');
  const m = await modalShown(s.page, 'nav-link-modal');
  await m.locator('input[name="name"]').fill('Grafana <script>');
  await m.locator('input[name="description"]').fill('监控大盘');
  await m.locator('input[name="url"]').fill('https://grafana.example.com/d/1');
  await m.locator('input[name="icon"]').fill('fa-solid fa-<x>');
  await m.locator('button[type=submit]').click();
  const f = m.locator('[data-field="icon"] .invalid-feedback.d-block');
  await f.waitFor({ state: 'visible' });
  assert.match(await f.textContent(), /icon/);
  await m.locator('input[name="icon"]').fill('fa-solid fa-chart-line');
  await m.locator('button[type=submit]').click();
  await modalGone(s.page, 'nav-link-modal');
  await create(s.api, 'nav-links', { name: 'Wiki', description: '运维文档', url: 'https://wiki.example.com/', icon: 'fa-brands fa-wikipedia-w', sort_order: 5 },
    { name: 'Old tool', url: 'http://old.example.com/', sort_order: 9 });
  await go(s, 'home');
  const card = s.page.locator('#nav-cards [data-name="Grafana <script>"]');
  await card.waitFor();
  assert.equal(await card.locator('.cmdb-nav-name').textContent(), 'Grafana <script>');
  const a = card.locator('a.cmdb-nav-link');
  assert.equal(await a.getAttribute('href'), 'https://grafana.example.com/d/1');
  assert.equal(await a.getAttribute('target'), '_blank');
  assert.match(await a.getAttribute('rel'), /\bnoopener\b/);
  assert.equal(await card.locator('i.fa-chart-line').count(), 1);
  assert.equal(await s.page.locator('#nav-cards .cmdb-nav-card').count(), 3);
  await screenshot(s.page, 'cmdb-08-home');
  // edit one, delete another, right on the cards
  const wiki = s.page.locator('#nav-cards [data-name="Wiki"]');
  await wiki.hover();
  await wiki.locator('[data-action="edit"]').click();
  const e = await modalShown(s.page, 'nav-link-modal');
  assert.equal(await e.locator('input[name="url"]').inputValue(), 'https://wiki.example.com/');
  await e.locator('input[name="description"]').fill('运维知识库');
  await e.locator('button[type=submit]').click();
  await modalGone(s.page, 'nav-link-modal');
  await s.page.waitForFunction(() => /运维知识库/.test(document.querySelector('#nav-cards [data-name="Wiki"]').textContent));
  const old = s.page.locator('#nav-cards [data-name="Old tool"]');
  await old.hover();
  await old.locator('[data-action="delete"]').click();
  const c = await modalShown(s.page, 'confirm-modal');
  await c.locator('button[type=submit]').click();
  await old.waitFor({ state: 'detached' });
  assert.equal(await s.page.locator('#nav-cards .cmdb-nav-card').count(), 2);
});

step('dashboard: hosts up / down / never reported, by IDC, type and status, the busiest hosts', async () => {
  const d = (await s.api.get('/api/v1/dashboard')).body;
  await go(s, 'dashboard');
  await s.page.locator('#dash-cmdb').waitFor();
  const num = async (id) => Number((await s.page.textContent(`#${id} .info-box-number`)).trim());
  assert.equal(await num('dash-hosts-total'), 7);
  assert.equal(await num('dash-hosts-up'), 1);
  assert.equal(await num('dash-hosts-down'), d.hosts.down);
  assert.equal(await num('dash-hosts-unknown'), 6);
  const counts = (id) => s.page.$$eval(`#${id} tr`, (trs) => Object.fromEntries(trs.map((tr) => [tr.dataset.key, Number(tr.children[1].textContent)])));
  assert.deepEqual(await counts('dash-by-idc'), { 上海二号: 5, 北京一号: 1, '': 1 });
  const types = await counts('dash-by-type');
  assert.equal(types.vm, 5);
  assert.equal(types.physical, 1);
  assert.match(await s.page.textContent('#dash-by-type'), /Virtual machine/);
  assert.match(await s.page.textContent('#dash-by-status'), /Faulty/);
  const top = s.page.locator(`#dash-top-cpu li[data-host="${ids.busy}"]`);
  assert.equal(await top.locator('a').getAttribute('href'), `#/hosts/${ids.busy}`);
  assert.match(await top.textContent(), /busy-01.*87\.0%/);
  assert.match(await s.page.textContent('#dash-top-disk'), /93\.0%/);
  await s.page.waitForSelector('#dash-cmdb[data-charts="3"]');
  await s.page.waitForFunction(() => [...document.querySelectorAll('#dash-cmdb .cmdb-chart canvas')].length === 3);
  await screenshot(s.page, 'cmdb-09-dashboard');
});

step('Chinese: a generic page takes its column names from the schema\'s label_zh', async () => {
  await s.page.evaluate(() => localStorage.setItem('cairn.lang', 'zh-CN'));
  await go(s, 'idcs');
  await s.page.reload();
  await pageReady(s.page, 'idcs');
  await drawn(s.page, '#idcs-table');
  const heads = await s.page.$$eval('#idcs-table thead th', (ths) => ths.map((th) => th.textContent.trim()));
  assert.deepEqual(heads.slice(1, 4), ['机房编码', '机房名称', '地址']);
  assert.equal(await s.page.textContent('#page-title'), '机房');
  await s.page.evaluate(() => localStorage.setItem('cairn.lang', 'en'));
});

step('a user with only assets:view: the Assets menu, no Applications, no write buttons', async () => {
  const role = await s.api.post('/api/v1/roles', { name: 'asset-readers', permissions: ['assets:view'] });
  assert.equal(role.status, 201, role.text);
  const u = await s.api.post('/api/v1/users', { username: 'viewer', password: 'viewer-Pa55word', role_id: role.body.id });
  assert.equal(u.status, 201, u.text);
  await s.browser.ctx.clearCookies();
  await login(s.page, s.server.url, 'viewer', 'viewer-Pa55word');
  await pageReady(s.page, 'home');
  const menu = await menuTexts(s.page);
  assert.ok(menu.includes('Hosts') && menu.includes('Cabinets'), menu.join(', '));
  assert.ok(!menu.includes('Applications') && !menu.includes('Projects'), menu.join(', '));
  assert.equal(await s.page.locator('#nav-add').count(), 0, 'no link editing');
  assert.equal(await s.page.locator('#nav-cards .cmdb-nav-card').count(), 2, 'but the cards');
  await go(s, 'hosts');
  await drawn(s.page, '#hosts-table');
  for (const sel of ['#hosts-add', '#hosts-import', '#hosts-bulk-delete', '#hosts-table [data-action="edit"]', '#hosts-table [data-action="delete"]']) {
    assert.equal(await s.page.locator(sel).count(), 0, `no ${sel}`);
  }
  assert.equal(await s.page.locator('#hosts-export').count(), 1, 'export stays');
  await screenshot(s.page, 'cmdb-10-viewer-hosts');
  await go(s, `hosts/${ids.busy}`);
  assert.equal(await s.page.locator('#host-edit').count(), 0);
  await go(s, 'projects');
  assert.match(await s.page.textContent('#page'), /Permission denied/);
});

step('no page error, CSP violation or console error on the way', async () => {
  assert.deepEqual(s.browser.problems, []);
});
