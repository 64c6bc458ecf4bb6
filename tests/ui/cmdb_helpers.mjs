// cmdb_helpers.mjs -- shared by the CMDB console tests (tests/ui/cmdb*.test.mjs):
// one server and one browser per file, test steps that keep a screenshot of
// a failure, page navigation, waiting for a DataTables redraw, and a fake
// agent that enrolls and reports facts and metrics through the agent API.
import { test, before, after } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { ARTIFACTS, launch, screenshot, pageReady } from './browser.mjs';

export const ENROLL_TOKEN = 'ui-test-enroll-token-0123456789';

/**
 * Start cairnd and Chromium for this file. Returns a live object whose
 * fields (server, browser, page, api) are filled in before the first test.
 */
export function setup({ locale = 'en-US', prefix }) {
  const s = { server: null, browser: null, page: null, api: null, prefix };
  before(async () => {
    if (fs.existsSync(ARTIFACTS)) {
      for (const f of fs.readdirSync(ARTIFACTS)) if (f.startsWith(`FAILED-${prefix}`)) fs.rmSync(path.join(ARTIFACTS, f));
    }
    s.server = await startServer({ env: { CAIRN_ENROLL_TOKEN: ENROLL_TOKEN } });
    s.api = await adminClient(s.server);
    s.browser = await launch({ locale });
    s.page = s.browser.page;
  });
  after(async () => {
    if (s.browser) await s.browser.close();
    if (s.server) await s.server.stop();
  });
  return s;
}

/** A test step: on failure, a screenshot of what the user saw. */
export function stepper(s) {
  return (name, fn) => test(name, async () => {
    try {
      await fn();
    } catch (e) {
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60);
      await screenshot(s.page, `FAILED-${s.prefix}-${slug}`).catch(() => {});
      throw e;
    }
  });
}

/** Open a console page afresh, as a click on its menu entry would. */
export async function go(s, route) {
  const target = `${s.server.url}/#/${route}`;
  if (s.page.url() === target) await s.page.reload();
  else await s.page.goto(target);
  await pageReady(s.page, route.split(/[/?]/)[0]);
  // toasts of earlier steps would cover the screenshots
  await s.page.evaluate(() => document.querySelectorAll('#toasts .toast').forEach((t) => t.remove()));
}

/** Number of draws of a CMDB table so far (reslist.js counts them). */
export async function drawCount(page, table) {
  return page.$eval(table, (t) => Number(t.dataset.drawn || 0)).catch(() => 0);
}

/** Run `action`, then wait until `table` has drawn again (server answered). */
export async function redraw(page, table, action) {
  const before = await drawCount(page, table);
  await action();
  await page.waitForFunction(([sel, n]) => {
    const t = document.querySelector(sel);
    return t && Number(t.dataset.drawn || 0) > n;
  }, [table, before]);
}

/** Wait for a table's first draw. */
export async function drawn(page, table) {
  await page.waitForFunction((sel) => {
    const t = document.querySelector(sel);
    return t && Number(t.dataset.drawn || 0) > 0;
  }, table);
}

/** Texts of a column (0-based, counting the checkbox column) of a table. */
export async function columnTexts(page, table, col) {
  return page.$$eval(`${table} tbody tr`, (trs, c) => trs.map((tr) => (tr.children[c] ? tr.children[c].textContent.trim() : '')), col);
}

/** Create rows through the API; returns the created rows. */
export async function create(api, res, ...bodies) {
  const out = [];
  for (const b of bodies) {
    const r = await api.post(`/api/v1/${res}`, b);
    if (r.status !== 201) throw new Error(`create ${res}: ${r.status} ${r.text}`);
    out.push(r.body);
  }
  return out;
}

/** A fake agent: enroll a machine, then post reports (facts and metrics). */
export async function agent(server, { machineId, hostname }) {
  const post = async (p, body, token) => {
    const r = await fetch(server.url + p, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status !== 200 && r.status !== 201) throw new Error(`${p}: ${r.status} ${text}`);
    return JSON.parse(text);
  };
  const e = await post('/api/v1/agent/enroll', { enroll_token: ENROLL_TOKEN, machine_id: machineId, hostname, agent_version: '0.1.0' });
  let seq = 0;
  return {
    hostId: e.host_id,
    report({ facts, cpu = 10, mem = 40, disk = 50 }) {
      seq += 1;
      const total = 16 * 2 ** 30;
      return post('/api/v1/agent/report', {
        v: 1, agent_version: '0.1.0', time: Math.floor(Date.now() / 1000), seq, interval: 60, dropped: 0,
        ...(facts ? { facts } : {}),
        metrics: {
          cpu: { user: cpu * 0.8, system: cpu * 0.2, iowait: 0, steal: 0, idle: 100 - cpu },
          load: [0.1, 0.1, 0.1],
          memory: { total, used: Math.round(total * mem / 100), available: Math.round(total * (100 - mem) / 100) },
          filesystems: [{ mount: '/', type: 'ext4', size: 1000, used: disk * 10, free: 1000 - disk * 10 }],
        },
      }, e.token);
    },
  };
}

/** Facts as an agent sends them. */
export function facts({ hostname, ip, memoryGiB = 8, kernel = '6.1.0-18-amd64' }) {
  return {
    hostname,
    management_ip: ip,
    os: { id: 'debian', name: 'Debian GNU/Linux', version: '12', pretty: 'Debian GNU/Linux 12 (bookworm)' },
    kernel,
    arch: 'x86_64',
    vendor: 'QEMU',
    model: 'Standard PC (Q35 + ICH9, 2009)',
    cpu: { model: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz', sockets: 1, cores: 4, threads: 8 },
    memory_bytes: memoryGiB * 2 ** 30,
    swap_bytes: 0,
    disks: [{ name: 'vda', size_bytes: 107374182400, model: 'QEMU HARDDISK', rotational: false }],
    nics: [{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: [`${ip}/24`, 'fe80::5054:ff:fe12:3456/64'], speed_mbps: 1000 }],
    filesystems: [{ mount: '/', type: 'ext4', device: '/dev/vda1', size_bytes: 105000000000 }],
    virtualization: 'kvm',
    boot_time: Math.floor(Date.now() / 1000) - 86400,
  };
}
