// ops_monitor.test.mjs -- Monitoring and Settings → Agents in headless
// Chromium against a real cairnd with a real cairn-agent reporting to it
// every second (the server's RRD step is 60 s, so the first real point
// appears one to two minutes after the agent starts; this file does the
// other checks meanwhile).
//
// Checked: the host tree lists every host under "All hosts" (also hosts in
// no IDC and no group), IDC → cabinet → hosts, IDC → hosts without a
// cabinet, group → hosts; search; a host without an agent shows the empty
// state linking to Settings → Agents; the Agents page reveals the
// enrollment token and the install command, copies it, rotates the token
// after a confirmation and revokes a host's agent token; the charts of the
// agent's host: CPU has real points read from the ECharts instance, unknown
// values are gaps, units are formatted, the range buttons, MAX and a custom
// range refetch, and the page refreshes by itself with only the new points
// (from = the last point) so the CPU chart gains points.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, ROOT } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { adminBrowser, screenshot, toastMatching } from './browser.mjs';
import { mk, stepper, go, confirm } from './ops_helpers.mjs';

const TOKEN = `ui-enroll-${process.pid}-0123456789abcdef`;
let server;
let admin;
let browser;
let page;
let agent;
let agentDir;
let agentLog = '';
const ids = {};
const step = stepper(() => page, 'ops-monitor');

function startAgent(url) {
  agentDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-agent-'));
  agent = spawn(path.join(ROOT, 'build/cairn-agent'),
    ['--server', url, '--enroll-token', TOKEN, '--state-dir', agentDir, '--interval', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout.on('data', (d) => { agentLog += d; });
  agent.stderr.on('data', (d) => { agentLog += d; });
}

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${agentLog.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

before(async () => {
  server = await startServer({ env: { CAIRN_ENROLL_TOKEN: TOKEN } });
  admin = await adminClient(server);
  startAgent(server.url);
  // hosts placed every way the tree shows them
  const idc = await mk(admin, 'idcs', { code: 'east', name: 'DC-East' });
  const cab = await mk(admin, 'cabinets', { idc_id: idc, name: 'R01' });
  ids.rack = await mk(admin, 'hosts', { hostname: 'mon-rack', ip: '10.9.0.1', cabinet_id: cab });
  ids.floor = await mk(admin, 'hosts', { hostname: 'mon-floor', ip: '10.9.0.2', idc_id: idc });
  ids.grouped = await mk(admin, 'hosts', { hostname: 'mon-grouped', ip: '10.9.0.3' });
  ids.loose = await mk(admin, 'hosts', { hostname: 'mon-loose', ip: '10.9.0.4' });
  await mk(admin, 'groups', { name: 'mon-grp', host_ids: [ids.grouped] });
  const h = await until('the agent to enroll', async () => {
    const r = await admin.get('/api/v1/hosts?source=agent');
    return r.body.items.find((x) => x.last_seen_at);
  }, 30000);
  ids.agent = h.id;
  ids.agentName = h.hostname;
  browser = await adminBrowser(server);
  page = browser.page;
});

after(async () => {
  try {
    if (browser) await browser.close();
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent.once('exit', r));
      agent.kill('SIGTERM');
      await gone;
    }
    if (server) await server.stop();
  } finally {
    if (agentDir) fs.rmSync(agentDir, { recursive: true, force: true });
  }
});

const leafNames = (sel) => page.$$eval(`${sel} li.mon-leaf:not(.d-none) .mon-host-name`, (xs) => xs.map((x) => x.textContent));

step('the tree shows every host: all hosts, IDC → cabinet → hosts, IDC → hosts, group → hosts; search', async () => {
  await go(page, server.url, 'monitor');
  const all = await leafNames('details[data-branch="all"]');
  assert.deepEqual(all.sort(), ['mon-floor', 'mon-grouped', 'mon-loose', 'mon-rack', ids.agentName].sort());
  const idc = page.locator('details[data-branch="idc"]');
  await idc.locator(':scope > summary').click();
  const east = idc.locator('details', { has: page.locator('summary', { hasText: 'DC-East' }) }).first();
  await east.locator(':scope > summary').click();
  const r01 = east.locator('details', { has: page.locator('summary', { hasText: 'R01' }) });
  await r01.locator(':scope > summary').click();
  assert.deepEqual(await r01.locator('.mon-host-name').allTextContents(), ['mon-rack']);
  // the IDC's hosts without a cabinet sit directly under it
  assert.deepEqual(await east.locator(':scope > ul > li.mon-leaf .mon-host-name').allTextContents(), ['mon-floor']);
  const grp = page.locator('details[data-branch="group"]');
  await grp.locator(':scope > summary').click();
  const g = grp.locator('details', { has: page.locator('summary', { hasText: 'mon-grp' }) });
  await g.locator(':scope > summary').click();
  assert.deepEqual(await g.locator('.mon-host-name').allTextContents(), ['mon-grouped']);
  await screenshot(page, 'ops-monitor-tree');
  // search: only matching hosts stay, their branches open
  await page.fill('#mon-search', 'rack');
  assert.deepEqual([...new Set(await leafNames('#mon-tree'))], ['mon-rack']);
  assert.equal(await page.locator('details[data-branch="idc"]').evaluate((d) => d.open), true);
  // under "By group", mon-grp has no match (hidden); "No group" holds mon-rack
  assert.equal(await g.isHidden(), true);
  assert.match(await page.locator('details[data-branch="group"]').textContent(), /No group\s*1/);
  await page.fill('#mon-search', '');
  assert.equal((await leafNames('details[data-branch="all"]')).length, 5);
});

step('a host without an agent: an empty state that links to Settings → Agents', async () => {
  await page.locator('details[data-branch="all"] button.mon-host', { hasText: 'mon-loose' }).click();
  await page.waitForSelector('#mon-empty');
  assert.match(await page.textContent('#mon-empty'), /no agent yet/);
  assert.equal(await page.getAttribute('#mon-empty-agents', 'href'), '#/agents');
  assert.match(page.url(), new RegExp(`#/monitor/${ids.loose}$`));
  await screenshot(page, 'ops-monitor-empty');
  await Promise.all([page.waitForURL(/#\/agents$/), page.click('#mon-empty-agents')]);
  await page.waitForSelector('#page[data-page="agents"][data-ready="1"]');
});

step('Agents: the token and install command are revealed on request, copied, rotated', async () => {
  await go(page, server.url, 'agents');
  assert.notEqual(await page.inputValue('#agent-token'), TOKEN);
  assert.ok(await page.locator('#agent-copy-command').isDisabled());
  await page.click('#agent-reveal');
  await page.waitForSelector('#agent-token[data-revealed="1"]');
  assert.equal(await page.inputValue('#agent-token'), TOKEN);
  const cmd = await page.inputValue('#agent-command');
  assert.ok(cmd.includes(TOKEN) && cmd.includes(server.url), cmd);
  await page.click('#agent-copy-command');
  await toastMatching(page, 'success', /Copied/);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), cmd);
  // the agent's host is listed with its version and state
  const row = page.locator(`#agent-hosts tr[data-host-id="${ids.agent}"]`);
  assert.match(await row.textContent(), /Reporting/);
  await screenshot(page, 'ops-agents');
  await page.click('#agent-rotate');
  await confirm(page);
  await toastMatching(page, 'success', /New enrollment token/);
  await page.waitForFunction((old) => document.querySelector('#agent-token').value !== old, TOKEN);
  const fresh = await page.inputValue('#agent-token');
  assert.equal((await admin.get('/api/v1/agent/enroll-token')).body.token, fresh);
  assert.ok((await page.inputValue('#agent-command')).includes(fresh));
  // the old token enrolls nothing any more
  const r = await fetch(`${server.url}/api/v1/agent/enroll`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ enroll_token: TOKEN, machine_id: 'ffff0000ffff0000', hostname: 'late' }),
  });
  assert.equal(r.status, 401);
  ids.token = fresh;
});

step('Agents: revoking a host\'s agent token makes the server refuse its reports', async () => {
  // a second agent, by hand: enroll, report once
  const e = await fetch(`${server.url}/api/v1/agent/enroll`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ enroll_token: ids.token, machine_id: 'abcdef0123456789abcdef', hostname: 'mon-hand', agent_version: '0.1.0' }),
  });
  assert.equal(e.status, 201);
  const { host_id: hostId, token } = await e.json();
  const report = (seq) => fetch(`${server.url}/api/v1/agent/report`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ v: 1, agent_version: '0.1.0', time: Math.floor(Date.now() / 1000), seq, interval: 60, metrics: { load: [0.1, 0.2, 0.3] } }),
  });
  assert.equal((await report(1)).status, 200);
  await go(page, server.url, 'agents');
  const row = page.locator(`#agent-hosts tr[data-host-id="${hostId}"]`);
  await row.locator('.agent-revoke').click();
  await confirm(page);
  await toastMatching(page, 'success', /Agent token of mon-hand revoked/);
  assert.equal((await report(2)).status, 401);
});

async function cpuPoints() {
  return page.evaluate(() => {
    const node = document.querySelector('#mon-chart-cpu');
    const c = node && window.echarts.getInstanceByDom(node);
    if (!c) return { known: -1, unknown: -1 };
    const data = c.getOption().series[0].data;
    return { known: data.filter((p) => p[1] !== null).length, unknown: data.filter((p) => p[1] === null).length };
  });
}

const refreshes = () => page.evaluate(() => Number(document.querySelector('#mon-charts').dataset.refreshes));

step('the agent\'s host: charts with real points, units, ranges, MAX; refreshing itself with the new points only', async () => {
  // wait (through the API) until the server holds a real CPU point
  await until('a first CPU point', async () => {
    const r = await admin.get(`/api/v1/metrics/${ids.agent}?series=host`);
    return r.body.series[0] && r.body.series[0].rows.some((row) => row[1] !== null);
  }, 200000);
  const urls = [];
  page.on('request', (rq) => { if (/\/api\/v1\/metrics\/\d+\?/.test(rq.url())) urls.push(rq.url()); });
  await go(page, server.url, 'monitor');
  await page.locator('details[data-branch="all"] button.mon-host', { hasText: ids.agentName }).click();
  await page.waitForSelector(`#mon-charts[data-host="${ids.agent}"] #mon-chart-cpu`);
  await page.waitForFunction(() => Number(document.querySelector('#mon-charts').dataset.points) > 0);
  const p0 = await cpuPoints();
  assert.ok(p0.known >= 1, `CPU has real points: ${JSON.stringify(p0)}`);
  assert.ok(p0.unknown >= 1, 'the time before the agent started is a gap (null), not zero');
  // one chart per series kind the agent reports
  for (const id of ['load', 'mem', 'swap', 'fs-0', 'net-0']) assert.equal(await page.locator(`#mon-chart-${id}`).count(), 1, id);
  assert.match(await page.textContent('#mon-chart-fs-0-sub'), /B of .*B \(\d/);
  const fmt = await page.evaluate(() => {
    const opt = (id) => window.echarts.getInstanceByDom(document.querySelector(`#mon-chart-${id}`)).getOption();
    return {
      mem: opt('mem').yAxis[0].axisLabel.formatter(3 * 1024 ** 3),
      net: opt('net-0').yAxis[0].axisLabel.formatter(1536),
      cpu: opt('cpu').yAxis[0].axisLabel.formatter(50),
      cpuMax: opt('cpu').yAxis[0].max,
      stacked: opt('cpu').series.map((s) => s.stack),
    };
  });
  assert.deepEqual(fmt, { mem: '3.0 GB', net: '1.5 KB/s', cpu: '50 %', cpuMax: 100, stacked: ['cpu', 'cpu', 'cpu', 'cpu'] });
  await screenshot(page, 'ops-monitor-charts');

  // ranges and consolidation refetch
  const xMin = () => page.evaluate(() => window.echarts.getInstanceByDom(document.querySelector('#mon-chart-cpu')).getOption().xAxis[0].min);
  let n = await refreshes();
  await page.click('[data-range="7d"]');
  await page.waitForFunction((k) => Number(document.querySelector('#mon-charts').dataset.refreshes) > k, n);
  assert.ok(Math.abs((await xMin()) / 1000 - (Date.now() / 1000 - 7 * 86400)) < 300);
  n = await refreshes();
  await page.click('[data-cf="MAX"]');
  await page.waitForFunction((k) => Number(document.querySelector('#mon-charts').dataset.refreshes) > k, n);
  assert.match(urls[urls.length - 1], /cf=MAX/);
  n = await refreshes();
  await page.click('[data-range="custom"]');
  const pad = (x) => String(x).padStart(2, '0');
  const local = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const to = new Date(Math.floor(Date.now() / 60000) * 60000);
  const from = new Date(to.getTime() - 2 * 3600 * 1000);
  await page.fill('#mon-from', local(from));
  await page.fill('#mon-to', local(to));
  await page.click('#mon-apply');
  await page.waitForFunction((k) => Number(document.querySelector('#mon-charts').dataset.refreshes) > k, n);
  assert.equal(await xMin(), from.getTime());
  const q = new URL(urls[urls.length - 1]).searchParams;
  assert.deepEqual([q.get('from'), q.get('to')], [String(from.getTime() / 1000), String(to.getTime() / 1000)]);

  // back to the last hour, average: the page refreshes by itself with new points only
  n = await refreshes();
  await page.click('[data-cf="AVERAGE"]');
  await page.waitForFunction((k) => Number(document.querySelector('#mon-charts').dataset.refreshes) > k, n);
  n = await refreshes();
  await page.click('[data-range="1h"]');
  await page.waitForFunction((k) => Number(document.querySelector('#mon-charts').dataset.refreshes) > k, n);
  const before1 = await cpuPoints();
  const r0 = await refreshes();
  const u0 = urls.length;
  await page.waitForFunction((k) => {
    const node = document.querySelector('#mon-chart-cpu');
    const data = window.echarts.getInstanceByDom(node).getOption().series[0].data;
    return data.filter((p) => p[1] !== null).length > k;
  }, before1.known, { timeout: 200000, polling: 1000 });
  assert.ok(await refreshes() > r0, 'it was the page\'s own refresh');
  const later = urls.slice(u0);
  assert.ok(later.length >= 1);
  for (const u of later) {
    const q = new URL(u).searchParams;
    assert.ok(Number(q.get('to')) - Number(q.get('from')) <= 600, `an incremental fetch asks only for what is new: ${u}`);
  }
  await screenshot(page, 'ops-monitor-refreshed');
  assert.deepEqual(browser.problems, []);
});
