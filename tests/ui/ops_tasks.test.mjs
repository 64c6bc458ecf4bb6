// ops_tasks.test.mjs -- the task centre (#/tasks) in headless Chromium
// against a real cairnd (and a loopback sshd, so that "run now" really
// runs): a crontab task with a bad expression shows the server's error
// beside the field (and marks the part of the crontab it names), fixing it
// shows the next five run times in the chosen time zone, saving lists the
// task as AdminSet did; an interval task; the Interval / Crontab tabs; run
// now opens the job; the results page is the job history of the task;
// editing only the name leaves the schedule's timing alone; delete.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { adminBrowser, modalGone, modalShown, screenshot, tableDrawn, toastMatching } from './browser.mjs';
import { sshdStart, sshdStop, mk, stepper, go, confirm, jobDone } from './ops_helpers.mjs';

let server;
let admin;
let browser;
let page;
let sshdDir;
const ids = {};
const step = stepper(() => page, 'ops-tasks');

before(async () => {
  sshdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-sshd-'));
  const ssh = sshdStart(sshdDir);
  server = await startServer();
  admin = await adminClient(server);
  const cred = await mk(admin, 'credentials', { name: 'task-key', username: 'root', private_key: fs.readFileSync(ssh.key, 'utf8') });
  ids.host = await mk(admin, 'hosts', { hostname: 'task-host', ip: '127.0.0.1', ssh_port: Number(ssh.port), credential_id: cred });
  ids.group = await mk(admin, 'groups', { name: 'task-group', host_ids: [ids.host] });
  browser = await adminBrowser(server);
  page = browser.page;
});

after(async () => {
  try {
    if (browser) await browser.close();
    if (server) await server.stop();
  } finally {
    sshdStop(sshdDir);
  }
});

async function rowOf(name) {
  const r = page.locator('#task-table tbody tr', { has: page.locator('.task-name', { hasText: name }) });
  await r.waitFor();
  return r;
}

step('a crontab task: a bad expression shows the server\'s error beside the field; fixed, the preview lists five runs; saved', async () => {
  await go(page, server.url, 'tasks');
  await page.waitForSelector('#task-table[data-loaded="1"]');
  await page.click('#task-new');
  const m = await modalShown(page, 'task-modal');
  await m.locator('#task-name').fill('nightly report');
  await m.locator('#task-description').fill('disk usage of the web hosts');
  await page.waitForSelector('#task-host-list[data-loaded]');
  await m.locator('#task-group-list label[data-kind="group"]', { hasText: 'task-group' }).locator('input').check();
  await m.locator('#task-command').fill('df -h /');
  // crontab is the default type
  await m.locator('#task-cron-minute').fill('30');
  await m.locator('#task-cron-hour').fill('24');
  await m.locator('#task-cron-dom').fill('*');
  await m.locator('#task-cron-month').fill('*');
  await m.locator('#task-cron-dow').fill('1-5');
  await m.locator('#task-timezone').selectOption('Asia/Shanghai');
  const fb = m.locator('[data-field="cron"] .invalid-feedback');
  await fb.filter({ hasText: 'hour: 24 is out of range 0-23' }).waitFor();
  assert.ok(await m.locator('#task-cron-hour').evaluate((e) => e.classList.contains('is-invalid')), 'the hour box is marked');
  assert.ok(!(await m.locator('#task-cron-minute').evaluate((e) => e.classList.contains('is-invalid'))), 'the minute box is not');
  assert.match(await m.locator('#task-preview-error').textContent(), /hour: 24 is out of range 0-23/);
  await fb.scrollIntoViewIfNeeded();
  await screenshot(page, 'ops-task-cron-error');
  // saving anyway: refused, the error stays beside the field, nothing stored
  await m.locator('button[type="submit"]').click();
  await fb.filter({ hasText: 'hour: 24 is out of range 0-23' }).waitFor();
  assert.equal((await admin.get('/api/v1/tasks')).body.total, 0);
  // fix it: the preview shows the next five times, at 03:30 Shanghai time, on weekdays
  await m.locator('#task-cron-hour').fill('3');
  await m.locator('#task-preview-list li:nth-child(5)').waitFor();
  assert.equal(await fb.textContent(), '');
  const times = await m.locator('#task-preview-list li .font-monospace').allTextContents();
  assert.equal(times.length, 5);
  for (const x of times) {
    assert.match(x, /03:30/, x);
    assert.doesNotMatch(x, /Sat|Sun/, x);
  }
  // the same times as the server computes
  const pv = await admin.post('/api/v1/schedules/preview', { schedule: { type: 'cron', cron: '30 3 * * 1-5', timezone: 'Asia/Shanghai' } });
  assert.equal(pv.status, 200);
  const days = pv.body.next.map((s) => new Date(s * 1000).toLocaleString('en', { timeZone: 'Asia/Shanghai', day: '2-digit' }));
  assert.equal(days.length, 5);
  times.forEach((x, i) => assert.match(x, new RegExp(`/${days[i]}/`), `${x} is on day ${days[i]}`));
  await m.locator('#task-preview-list').scrollIntoViewIfNeeded();
  await screenshot(page, 'ops-task-preview');
  await m.locator('button[type="submit"]').click();
  await modalGone(page, 'task-modal');
  await toastMatching(page, 'success', /Task nightly report created/);
  const row = await rowOf('nightly report');
  assert.match(await row.textContent(), /30 3 \* \* 1-5 \(Asia\/Shanghai\)/);
  assert.match(await row.textContent(), /df -h \//);
  assert.match(await row.textContent(), /0 hosts, 1 groups/);
  const list = (await admin.get('/api/v1/tasks')).body.items;
  assert.equal(list.length, 1);
  assert.deepEqual(list[0].schedule.cron, '30 3 * * 1-5');
  assert.deepEqual(list[0].job, { command: 'df -h /', groups: [ids.group], timeout: 300 });
  assert.equal(await row.locator('.task-next span').getAttribute('title'), new Date(list[0].next_run_at * 1000).toLocaleString('en', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
  }));
  ids.cronTask = list[0].id;
  await screenshot(page, 'ops-task-list');
});

step('an interval task; the Interval and Crontab tabs filter by schedule type', async () => {
  await page.click('#task-new');
  const m = await modalShown(page, 'task-modal');
  await m.locator('#task-name').fill('every ten minutes');
  await page.waitForSelector('#task-host-list[data-loaded]');
  await m.locator('#task-host-list label[data-kind="host"]', { hasText: 'task-host' }).locator('input').check();
  await m.locator('#task-tab-ansible_module').click();
  await m.locator('#task-module').fill('ping');
  await m.locator('label[for="task-type-interval"]').click();
  await m.locator('#task-every').fill('0');
  await m.locator('[data-field="every"] .invalid-feedback', { hasText: /at least 1/ }).waitFor();
  await m.locator('#task-every').fill('10');
  await m.locator('#task-unit').selectOption('minutes');
  await m.locator('#task-preview-list li:nth-child(5)').waitFor();
  await m.locator('button[type="submit"]').click();
  await modalGone(page, 'task-modal');
  await rowOf('every ten minutes');
  await page.click('#task-tab-interval');
  assert.deepEqual(await page.locator('#task-table .task-name').allTextContents(), ['every ten minutes']);
  assert.match(await page.textContent('#task-table tbody'), /every 10 min/);
  await page.click('#task-tab-cron');
  assert.deepEqual(await page.locator('#task-table .task-name').allTextContents(), ['nightly report']);
  await page.click('#task-tab-all');
  assert.equal(await page.locator('#task-table .task-name').count(), 2);
  assert.match(await page.textContent('#task-tab-interval'), /1/);
});

step('run now opens the job; the results page lists the task\'s runs', async () => {
  const row = await rowOf('nightly report');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), row.locator('[data-action="run"]').click()]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  assert.equal(await jobDone(page), 'succeeded');
  assert.match(await page.locator('.job-host[data-hostname="task-host"] .job-output').textContent(), /Filesystem/);
  const jobId = Number(/#\/jobs\/(\d+)$/.exec(page.url())[1]);
  await go(page, server.url, 'tasks');
  const r = await rowOf('nightly report');
  assert.equal((await r.locator('.task-runs').textContent()).trim(), '1');
  assert.match(await r.textContent(), /Succeeded/);
  await Promise.all([page.waitForURL(new RegExp(`#/jobs/task/${ids.cronTask}$`)), r.locator('[data-action="results"]').click()]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  await tableDrawn(page, '#jobs-table');
  assert.match(await page.textContent('.card-title'), /Runs of task nightly report/);
  const links = await page.locator('#jobs-table a.job-link').allTextContents();
  assert.deepEqual(links, [`#${jobId}`]);
  await screenshot(page, 'ops-task-results');
});

step('editing only the name keeps the schedule and its timing; delete', async () => {
  const before1 = (await admin.get(`/api/v1/tasks/${ids.cronTask}`)).body;
  await go(page, server.url, 'tasks');
  const r = await rowOf('nightly report');
  await r.locator('[data-action="edit"]').click();
  const m = await modalShown(page, 'task-modal');
  // the dialog shows what is stored
  assert.equal(await m.locator('#task-cron-hour').inputValue(), '3');
  assert.equal(await m.locator('#task-timezone').inputValue(), 'Asia/Shanghai');
  assert.equal(await m.locator('#task-command').inputValue(), 'df -h /');
  await m.locator('#task-selected [data-group]', { hasText: 'task-group' }).waitFor();
  await m.locator('#task-preview-list li:nth-child(5)').waitFor();
  await m.locator('#task-name').fill('nightly disk report');
  await m.locator('button[type="submit"]').click();
  await modalGone(page, 'task-modal');
  await rowOf('nightly disk report');
  const after1 = (await admin.get(`/api/v1/tasks/${ids.cronTask}`)).body;
  assert.deepEqual(after1.schedule, before1.schedule);
  assert.deepEqual(after1.job, before1.job);
  assert.equal(after1.next_run_at, before1.next_run_at);
  // delete the interval task
  const iv = await rowOf('every ten minutes');
  await iv.locator('[data-action="delete"]').click();
  await confirm(page);
  await toastMatching(page, 'success', /Task every ten minutes deleted/);
  await page.waitForFunction(() => document.querySelectorAll('#task-table .task-name').length === 1);
  assert.deepEqual(browser.problems, []);
});
