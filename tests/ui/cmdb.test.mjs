// cmdb.test.mjs -- Assets -> Hosts in headless Chromium against a real cairnd:
// add a host through the schema-built dialog (a bad IP said beside its
// field first), find it by a Chinese word of its memo, filter, edit it (only
// the changed fields are sent), export CSV (a real download with a BOM and
// the Chinese text), import a CSV with a bad row (errors with line numbers,
// nothing stored) and then a good one, bulk delete, and the host's own page
// with the agent's facts and the history of its changes.
// One server and one browser for the file; screenshots build/test-artifacts/ui/cmdb-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { login, screenshot, modalShown, modalGone, toastMatching, menuTexts, pageReady } from './browser.mjs';
import { setup, stepper, go, redraw, drawn, columnTexts, create, agent, facts } from './cmdb_helpers.mjs';

const s = setup({ prefix: 'cmdb-hosts' });
const step = stepper(s);
const T = '#hosts-table';
const XSS = '<img src=x id=xss-probe>';
let ids = {};

const rowOf = (text) => s.page.locator(`${T} tbody tr`, { hasText: text });
async function hostByName(name) {
  const r = await s.api.get(`/api/v1/hosts?q=${encodeURIComponent(name)}&per_page=200`);
  return (r.body.items || []).find((h) => h.hostname === name) || null;
}
async function download(action) {
  const [dl] = await Promise.all([s.page.waitForEvent('download'), action()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(file) };
}

step('fixtures: IDCs, groups, a cabinet, a credential and a dozen hosts', async () => {
  const [bj, sh] = await create(s.api, 'idcs', { code: 'bj1', name: '北京一号' }, { code: 'sh1', name: '上海二号' });
  const [web, db] = await create(s.api, 'groups', { name: 'web' }, { name: 'db' });
  const [cab] = await create(s.api, 'cabinets', { idc_id: bj.id, name: 'A01' });
  const [cred] = await create(s.api, 'credentials', { name: 'root-ssh', username: 'root', password: 'S3cret-pw-never-shown' });
  ids = { bj: bj.id, sh: sh.id, web: web.id, db: db.id, cab: cab.id, cred: cred.id };
  const statuses = ['in_use', 'in_use', 'unused', 'faulty', 'in_use', 'other'];
  const bodies = [];
  for (let i = 1; i <= 12; i++) {
    bodies.push({
      hostname: `app-${String(i).padStart(2, '0')}.sh.example`, ip: `10.2.0.${i}`, idc_id: i % 3 ? sh.id : bj.id,
      group_ids: i % 2 ? [web.id] : [db.id], asset_type: i % 4 ? 'vm' : 'physical', asset_status: statuses[i % 6],
      cpu_count: 2 ** (i % 4 + 1), memory_mb: 2048 * (i % 5 + 1), memo: '上海 机房',
    });
  }
  await create(s.api, 'hosts', ...bodies);
  // two hosts that an agent reports for (green dots)
  for (const n of [1, 2]) {
    const a = await agent(s.server, { machineId: `machine-live-${n}`, hostname: `live-0${n}.example` });
    await a.report({ facts: facts({ hostname: `live-0${n}.example`, ip: `10.3.0.${n}` }), cpu: 20 * n, mem: 30 * n, disk: 35 * n });
  }
});

step('admin sees the Assets and Applications menus; the host list shows its toolbar', async () => {
  await login(s.page, s.server.url, 'admin', s.server.adminPassword);
  await pageReady(s.page, 'home');
  const menu = await menuTexts(s.page);
  for (const m of ['Navigation', 'Dashboard', 'Assets', 'Hosts', 'Host groups', 'IDCs', 'Cabinets', 'Asset types',
    'Asset statuses', 'Applications', 'Product lines', 'Projects', 'Owners', 'Credentials', 'Regions', 'Branches', 'Resources']) {
    assert.ok(menu.includes(m), `menu has ${m}: ${menu.join(', ')}`);
  }
  await go(s, 'hosts');
  await drawn(s.page, T);
  assert.equal((await s.page.textContent('#hosts-total')).trim(), '14');
  const heads = await s.page.$$eval(`${T} thead th`, (ths) => ths.map((th) => th.textContent.trim()));
  assert.deepEqual(heads.slice(2), ['Hostname', 'Management IP', 'Groups', 'CPUs', 'Memory (GB)', 'IDC', 'Status', 'Actions']);
  // page sizes 10 … 200
  const sizes = await s.page.$$eval('#hosts-card .dt-length select option', (os) => os.map((o) => o.value));
  assert.deepEqual(sizes, ['10', '20', '50', '100', '200']);
  // filters fed by the IDC, group, type and status lists
  assert.match(await s.page.textContent('#hosts-filter-idc_id'), /北京一号/);
  assert.match(await s.page.textContent('#hosts-filter-group_id'), /web/);
  assert.match(await s.page.textContent('#hosts-filter-asset_type'), /Virtual machine/);
  assert.match(await s.page.textContent('#hosts-filter-asset_status'), /Faulty/);
  // online dots: reported just now = green, never = grey
  assert.equal(await rowOf('live-01.example').locator('[data-state="up"]').count(), 1);
  assert.equal(await rowOf('app-01.sh.example').locator('[data-state="unknown"]').count(), 1);
  // status as a coloured badge in the console's language, memory in GB
  const r = rowOf('app-03.sh.example');
  assert.equal((await r.locator('[data-status]').textContent()).trim(), 'Faulty');
  assert.equal((await r.locator('td').nth(6).textContent()).trim(), '8');
  assert.equal(await r.locator('[data-action="terminal"][disabled]').count(), 1, 'a terminal slot, disabled for now');
  // the columns line up: every body cell starts where its header starts
  const aligned = await s.page.$eval(T, (t) => {
    const hx = [...t.querySelectorAll('thead th')].map((th) => Math.round(th.getBoundingClientRect().x));
    return [...t.querySelectorAll('tbody tr')].every((tr) => [...tr.children].every((td, i) => Math.abs(td.getBoundingClientRect().x - hx[i]) <= 1));
  });
  assert.ok(aligned, 'columns aligned');
  await screenshot(s.page, 'cmdb-01-hosts-list');
});

step('add a host in the dialog: a bad IP is said beside its field, then the host is created', async () => {
  await go(s, 'hosts');
  await drawn(s.page, T);
  await s.page.click('#hosts-add');
  const m = await modalShown(s.page, 'host-modal');
  assert.match(await m.locator('.modal-title').textContent(), /Add host/);
  assert.equal(await m.locator('[data-field="hostname"] .form-label.required').count(), 1, 'required mark');
  await m.locator('input[name="hostname"]').fill('web-beijing-01');
  await m.locator('input[name="ip"]').fill('10.0.0.300');
  await m.locator('select[name="idc_id"]').selectOption({ label: '北京一号' });
  await m.locator('select[name="cabinet_id"]').selectOption({ label: 'A01 · 北京一号' });
  await m.locator('select[name="asset_type"]').selectOption('vm');
  await m.locator('select[name="asset_status"]').selectOption('in_use');
  await m.locator('select[name="credential_id"]').selectOption({ label: 'root-ssh' });
  await m.locator('input[name="cpu_count"]').fill('4');
  await m.locator('input[name="memory_mb"]').fill('8192');
  await m.locator('textarea[name="memo"]').fill(`北京 机房 3 楼 ${XSS}`);
  const tags = m.locator('[data-field="tags"] input');
  await tags.fill('prod');
  await tags.press('Enter');
  await tags.fill('nginx');
  await tags.press('Enter');
  // groups: the two-list picker (double-click moves)
  const groups = m.locator('[data-field="group_ids"]');
  await groups.locator('[data-role="available"] option', { hasText: 'web' }).dblclick();
  assert.equal((await groups.locator('[data-role="chosen-count"]').textContent()).trim(), '1');
  await m.locator('button[type=submit]').click();
  const ipField = m.locator('[data-field="ip"]');
  await ipField.locator('.invalid-feedback.d-block').waitFor({ state: 'visible' });
  assert.match(await ipField.locator('.invalid-feedback').textContent(), /IPv4 or IPv6/);
  assert.equal(await ipField.locator('input.is-invalid').count(), 1);
  await screenshot(s.page, 'cmdb-02-host-dialog-error');
  await ipField.locator('input').fill('10.0.0.30');
  await redraw(s.page, T, () => m.locator('button[type=submit]').click());
  await modalGone(s.page, 'host-modal');
  await toastMatching(s.page, 'success', /web-beijing-01/);
  const h = await hostByName('web-beijing-01');
  assert.ok(h, 'stored');
  assert.equal(h.ip, '10.0.0.30');
  assert.equal(h.idc_id, ids.bj);
  assert.equal(h.cabinet_id, ids.cab);
  assert.equal(h.credential_id, ids.cred);
  assert.deepEqual(h.group_ids, [ids.web]);
  assert.deepEqual(h.tags, ['prod', 'nginx']);
  assert.equal(h.memory_mb, 8192);
  assert.equal(h.memo, `北京 机房 3 楼 ${XSS}`);
  ids.host = h.id;
});

step('search by a Chinese word of the memo finds it; filters narrow the list', async () => {
  await go(s, 'hosts');
  await drawn(s.page, T);
  await redraw(s.page, T, () => s.page.fill('#hosts-search', '北京'));
  assert.deepEqual(await columnTexts(s.page, T, 2), ['web-beijing-01Virtual machine']);
  assert.equal(await s.page.locator('#xss-probe').count(), 0, 'a memo is text, never markup');
  assert.equal((await s.page.textContent('#hosts-total')).trim(), '1');
  await redraw(s.page, T, () => s.page.fill('#hosts-search', ''));
  await redraw(s.page, T, () => s.page.selectOption('#hosts-filter-idc_id', { label: '北京一号' }));
  await redraw(s.page, T, () => s.page.selectOption('#hosts-filter-asset_status', 'faulty'));
  const names = await s.page.$$eval(`${T} tbody .cmdb-host-link`, (as) => as.map((a) => a.textContent));
  assert.deepEqual(names, ['app-03.sh.example', 'app-09.sh.example'], 'faulty hosts of 北京一号');
  await redraw(s.page, T, () => s.page.click('#hosts-reset'));
  await redraw(s.page, T, () => s.page.selectOption('#hosts-filter-group_id', 'none'));
  assert.deepEqual(await s.page.$$eval(`${T} tbody .cmdb-host-link`, (as) => as.map((a) => a.textContent)),
    ['live-01.example', 'live-02.example'], 'hosts in no group');
  await redraw(s.page, T, () => s.page.click('#hosts-reset'));
  // sort by memory, largest first
  await redraw(s.page, T, () => s.page.click(`${T} thead th:nth-child(7)`));
  await redraw(s.page, T, () => s.page.click(`${T} thead th:nth-child(7)`));
  const mem = (await columnTexts(s.page, T, 6)).map(Number);
  assert.deepEqual(mem, [...mem].sort((a, b) => b - a));
  // 10 per page: two pages
  await redraw(s.page, T, () => s.page.selectOption('#hosts-card .dt-length select', '10'));
  assert.equal(await s.page.locator(`${T} tbody tr`).count(), 10);
  assert.match(await s.page.textContent('#hosts-card .dt-info'), /of 15/);
});

step('edit the host: the dialog shows its values, only the changed fields are sent', async () => {
  await go(s, 'hosts');
  await redraw(s.page, T, () => s.page.fill('#hosts-search', 'web-beijing'));
  await rowOf('web-beijing-01').locator('[data-action="edit"]').click();
  const m = await modalShown(s.page, 'host-modal');
  assert.match(await m.locator('.modal-title').textContent(), /Edit host web-beijing-01/);
  assert.equal(await m.locator('input[name="hostname"]').inputValue(), 'web-beijing-01');
  assert.equal(await m.locator('select[name="idc_id"] option:checked').textContent(), '北京一号');
  assert.equal(await m.locator('[data-field="group_ids"] [data-role="chosen"] option').textContent(), 'web');
  assert.deepEqual(await m.locator('[data-field="tags"] [data-tag]').evaluateAll((ts) => ts.map((x) => x.dataset.tag)), ['prod', 'nginx']);
  await m.locator('input[name="memory_mb"]').fill('16384');
  await m.locator('select[name="asset_status"]').selectOption('unused');
  const [req] = await Promise.all([
    s.page.waitForRequest((r) => r.method() === 'PATCH' && r.url().endsWith(`/api/v1/hosts/${ids.host}`)),
    redraw(s.page, T, () => m.locator('button[type=submit]').click()),
  ]);
  assert.deepEqual(req.postDataJSON(), { asset_status: 'unused', memory_mb: 16384 });
  await modalGone(s.page, 'host-modal');
  const r = rowOf('web-beijing-01');
  assert.equal((await r.locator('td').nth(6).textContent()).trim(), '16');
  assert.equal((await r.locator('[data-status]').textContent()).trim(), 'Unused');
});

step('export: the filtered list and the checked rows download as CSV with a BOM and the Chinese text', async () => {
  await go(s, 'hosts');
  await redraw(s.page, T, () => s.page.fill('#hosts-search', '上海'));
  await s.page.click('#hosts-export');
  const all = await download(() => s.page.click('#hosts-card [data-role="export-all"]'));
  assert.equal(all.name, 'hosts.csv');
  assert.deepEqual([...all.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  const text = all.bytes.toString('utf8');
  assert.match(text, /上海 机房/);
  assert.match(text, /上海二号/);
  assert.equal(text.trim().split(/\r?\n/).length, 13, 'header + the 12 hosts found');
  assert.doesNotMatch(text, /web-beijing-01/);
  // check two rows, export only them
  await rowOf('app-01.sh.example').locator('input[data-role="row-check"]').check();
  await rowOf('app-02.sh.example').locator('input[data-role="row-check"]').check();
  assert.match(await s.page.textContent('#hosts-selection'), /2 selected/);
  await s.page.click('#hosts-export');
  const some = await download(() => s.page.click('#hosts-card [data-role="export-selected"]'));
  const lines = some.bytes.toString('utf8').trim().split(/\r?\n/);
  assert.equal(lines.length, 3);
  assert.match(lines[1] + lines[2], /app-01\.sh\.example/);
  assert.match(lines[1] + lines[2], /app-02\.sh\.example/);
});

step('import: a file with a bad row shows each error with its line and stores nothing; a good file is imported', async () => {
  await go(s, 'hosts');
  await drawn(s.page, T);
  const bad = 'hostname,ip,idc_id,memo\r\nimp-01,10.9.0.1,北京一号,导入 一\r\nimp-02,10.9.0.999,北京一号,导入 二\r\nimp-03,10.9.0.3,没有这个机房,导入 三\r\n';
  await s.page.setInputFiles('#hosts-import-file', { name: 'hosts-bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  const m = await modalShown(s.page, 'import-result-modal');
  await m.locator('[data-result="error"]').waitFor();
  assert.match(await m.textContent(), /nothing was stored/);
  const lines = await m.locator('#import-errors tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(lines.map((l) => l[0]), ['3', '4']);
  assert.equal(lines[0][1], 'Management IP');
  assert.match(lines[0][2], /IPv4/);
  assert.equal(lines[1][1], 'IDC');
  await screenshot(s.page, 'cmdb-03-import-errors');
  await m.locator('.modal-footer button[data-bs-dismiss]').click();
  await modalGone(s.page, 'import-result-modal');
  assert.equal(await hostByName('imp-01'), null, 'nothing stored');

  const good = '\uFEFF主机名,管理IP,机房,主机组,备注\r\nimp-01,10.9.0.1,北京一号,web,导入 一\r\nimp-02,10.9.0.2,上海二号,web; db,导入 二\r\nweb-beijing-01,10.0.0.31,,,\r\n';
  await redraw(s.page, T, () => s.page.setInputFiles('#hosts-import-file', { name: 'hosts.csv', mimeType: 'text/csv', buffer: Buffer.from(good) }));
  const ok = await modalShown(s.page, 'import-result-modal');
  assert.equal(await ok.locator('[data-count="created"]').textContent(), '2');
  assert.equal(await ok.locator('[data-count="updated"]').textContent(), '1');
  await ok.locator('.modal-footer button[data-bs-dismiss]').click();
  await modalGone(s.page, 'import-result-modal');
  await rowOf('imp-02').waitFor();
  const h = await hostByName('web-beijing-01');
  assert.equal(h.ip, '10.0.0.31', 'an existing host is updated');
  assert.equal(h.memo, `北京 机房 3 楼 ${XSS}`, 'empty cells keep the value');
});

step('bulk delete of the checked rows after a confirmation', async () => {
  await go(s, 'hosts');
  await redraw(s.page, T, () => s.page.fill('#hosts-search', 'imp-'));
  assert.equal(await s.page.locator(`${T} tbody tr`).count(), 2);
  assert.ok(await s.page.locator('#hosts-bulk-delete').isDisabled(), 'nothing checked yet');
  await s.page.locator('#hosts-select-all').check();
  assert.equal((await s.page.textContent('#hosts-bulk-delete [data-role="count"]')).trim(), '2');
  await s.page.click('#hosts-bulk-delete');
  const c = await modalShown(s.page, 'confirm-modal');
  const msg = await c.textContent();
  assert.match(msg, /Delete these 2 rows\?/);
  assert.match(msg, /imp-01/);
  await screenshot(s.page, 'cmdb-04-bulk-delete-confirm');
  await redraw(s.page, T, () => c.locator('button[type=submit]').click());
  await toastMatching(s.page, 'success', /2 rows deleted/);
  assert.equal(await hostByName('imp-01'), null);
  assert.equal(await hostByName('imp-02'), null);
  assert.match(await s.page.textContent(`${T} tbody`), /No matching entries|No entries/);
});

step('the host page: every field, the credential by name only, the agent facts and their history', async () => {
  // an agent reports the same machine twice: 8 GiB, then 16 GiB
  const a = await agent(s.server, { machineId: 'machine-db-01', hostname: 'db-agent-01' });
  await a.report({ facts: facts({ hostname: 'db-agent-01', ip: '10.4.0.1', memoryGiB: 8 }), cpu: 91 });
  await a.report({ facts: facts({ hostname: 'db-agent-01', ip: '10.4.0.1', memoryGiB: 16, kernel: '6.1.0-20-amd64' }), cpu: 93 });
  await go(s, `hosts/${a.hostId}`);
  assert.equal(await s.page.textContent('#page-title'), 'db-agent-01');
  assert.match(await s.page.textContent('#host-head'), /Online/);
  assert.equal((await s.page.textContent('#host-details [data-field="memory_mb"]')).trim(), '16384');
  assert.match(await s.page.textContent('#host-facts [data-field="os"]'), /Debian GNU\/Linux 12 \(bookworm\)/);
  assert.match(await s.page.textContent('#host-facts [data-field="cpu"]'), /Xeon.*1 sockets, 4 cores, 8 threads/);
  assert.match(await s.page.textContent('#host-disks'), /vda.*107 GB/);
  assert.match(await s.page.textContent('#host-nics'), /52:54:00:12:34:56/);
  const mem = s.page.locator('#host-history tr[data-field="memory_mb"]').first();
  assert.match(await mem.textContent(), /Memory \(MB\).*8192.*→.*16384/);
  assert.match(await s.page.textContent('#host-history tr[data-field="kernel"]'), /6\.1\.0-18-amd64.*→.*6\.1\.0-20-amd64/);
  await screenshot(s.page, 'cmdb-05-host-page');

  await go(s, `hosts/${ids.host}`);
  const details = await s.page.textContent('#host-details');
  assert.match(details, /root-ssh/, 'the credential by its name');
  assert.doesNotMatch(await s.page.textContent('#page'), /S3cret-pw/, 'never its secret');
  assert.match(await s.page.textContent('#host-details [data-field="group_ids"]'), /web/);
  assert.match(await s.page.textContent('#host-details [data-field="cabinet_id"]'), /A01/);
  assert.match(await s.page.textContent('#host-details [data-field="tags"]'), /prod.*nginx/);
  assert.equal(await s.page.textContent('#host-details [data-field="memo"]'), `北京 机房 3 楼 ${XSS}`);
  assert.equal(await s.page.locator('#xss-probe').count(), 0);
  assert.match(await s.page.textContent('#host-facts-none'), /No agent has reported/);
});

step('edit and delete from the host page', async () => {
  await go(s, `hosts/${ids.host}`);
  await s.page.click('#host-edit');
  const m = await modalShown(s.page, 'host-modal');
  await m.locator('input[name="position"]').fill('3F-A-07');
  await m.locator('button[type=submit]').click();
  await modalGone(s.page, 'host-modal');
  await s.page.waitForFunction(() => document.querySelector('#host-details [data-field="position"]').textContent === '3F-A-07');
  await s.page.click('#host-delete');
  const c = await modalShown(s.page, 'confirm-modal');
  assert.match(await c.textContent(), /Delete web-beijing-01\?/);
  await Promise.all([s.page.waitForURL(/#\/hosts$/), c.locator('button[type=submit]').click()]);
  await toastMatching(s.page, 'success', /web-beijing-01 deleted/);
  assert.equal(await hostByName('web-beijing-01'), null);
});

step('in Chinese: labels from the schema, status names, and a CSV with Chinese headers', async () => {
  await s.page.evaluate(() => localStorage.setItem('cairn.lang', 'zh-CN'));
  await go(s, 'hosts');
  await s.page.reload();
  await pageReady(s.page, 'hosts');
  await drawn(s.page, T);
  const heads = await s.page.$$eval(`${T} thead th`, (ths) => ths.map((th) => th.textContent.trim()));
  assert.deepEqual(heads.slice(2), ['主机名', '管理IP', '主机组', 'CPU核数', '内存(GB)', '机房', '设备状态', '操作']);
  assert.match(await rowOf('app-03.sh.example').locator('[data-status]').textContent(), /故障/);
  await screenshot(s.page, 'cmdb-06-hosts-zh');
  await s.page.click('#hosts-export');
  const f = await download(() => s.page.click('#hosts-card [data-role="export-all"]'));
  const text = f.bytes.toString('utf8');
  assert.ok(text.startsWith('\uFEFFid,主机名,管理IP'), text.slice(0, 40));
  await s.page.evaluate(() => localStorage.setItem('cairn.lang', 'en'));
});

step('no page error, CSP violation or console error on the way', async () => {
  assert.deepEqual(s.browser.problems, []);
});
