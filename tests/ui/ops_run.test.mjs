// ops_run.test.mjs -- Tasks → Run, the job page, the job history and the
// library in headless Chromium, against a real cairnd whose jobs reach a
// real sshd on loopback (scripts/sshd-test.sh; a credential with its key and
// hosts on its port, registered through the API).
//
// Checked: hosts picked by search and a group expanded by the server; each
// host's output arrives live in its own pane (while the job still runs),
// as text (markup stays text, ANSI colours become classes, stderr marked);
// summary counts; a failing command and an unreachable host show status,
// exit code and error, and "Rerun failed hosts" makes a new job; a
// `sleep 30` job is cancelled from the page; a library script is created,
// changed, an old version viewed and restored, then run with arguments
// that keep their spaces and quotes; the history filters by status and
// kind; without a WebSocket the job page falls back to polling.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, freePort } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { adminBrowser, modalGone, modalShown, screenshot, tableDrawn, toastMatching } from './browser.mjs';
import { sshdStart, sshdStop, mk, stepper, go, confirm, jobDone, count, pane } from './ops_helpers.mjs';

let server;
let admin;
let browser;
let page;
let sshdDir;
const ids = {};
const step = stepper(() => page, 'ops-run');

before(async () => {
  sshdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-sshd-'));
  const ssh = sshdStart(sshdDir);
  server = await startServer();
  admin = await adminClient(server);
  const cred = await mk(admin, 'credentials', { name: 'ui-root-key', username: 'root', private_key: fs.readFileSync(ssh.key, 'utf8') });
  const port = Number(ssh.port);
  ids.a = await mk(admin, 'hosts', { hostname: 'run-a', ip: '127.0.0.1', ssh_port: port, credential_id: cred });
  ids.b = await mk(admin, 'hosts', { hostname: 'run-b', ip: '127.0.0.1', ssh_port: port, credential_id: cred });
  ids.closed = await mk(admin, 'hosts', { hostname: 'run-closed', ip: '127.0.0.1', ssh_port: await freePort(), credential_id: cred });
  ids.other = await mk(admin, 'hosts', { hostname: 'zz-other', ip: '127.0.0.2', ssh_port: port, credential_id: cred });
  ids.group = await mk(admin, 'groups', { name: 'ui-web', host_ids: [ids.b] });
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

/* Pick a host in the Run page's list by searching its name. */
async function pickHost(prefix, name) {
  await page.fill(`#${prefix}-host-search`, name);
  const row = page.locator(`#${prefix}-host-list label[data-kind="host"]`, { hasText: name });
  await row.first().waitFor();
  await row.first().locator('input').check();
  await page.locator(`#${prefix}-selected [data-host]`, { hasText: name }).waitFor();
}

step('the menu has Tasks (Run, Jobs, Library, Scheduled tasks) and Monitoring', async () => {
  await go(page, server.url, 'run');
  const texts = await page.$$eval('#sidebar-menu .nav-link', (as) => as.map((a) => a.textContent.trim()));
  for (const x of ['Tasks', 'Run', 'Jobs', 'Library', 'Scheduled tasks', 'Monitoring']) assert.ok(texts.includes(x), `${x} in ${texts}`);
  assert.ok(texts.indexOf('Tasks') < texts.indexOf('Monitoring'));
  assert.ok(texts.indexOf('Monitoring') < texts.indexOf('Users'));
});

step('run a command on a host and a group: each host\'s output arrives live in its pane', async () => {
  await go(page, server.url, 'run');
  await page.waitForSelector('#run-host-list[data-loaded]');
  await pickHost('run', 'run-a');
  await page.fill('#run-group-search', 'ui-w');
  await page.locator('#run-group-list label[data-kind="group"]', { hasText: 'ui-web' }).locator('input').check();
  assert.match(await page.textContent('#run-selected-count'), /1 hosts, 1 groups/);
  await page.fill('#run-command', [
    'echo "start <img src=x id=xss-run> & done"',
    "printf '\\033[1;32mgreen\\033[0m plain\\n'",
    'echo oops >&2',
    'for i in 1 2 3 4; do echo tick $i; sleep 1; done',
    'echo finished',
  ].join('\n'));
  await screenshot(page, 'ops-run-form');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.click('#run-submit')]);
  const jobId = Number(/#\/jobs\/(\d+)$/.exec(page.url())[1]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  // live: a tick is on screen in both panes while the job is still running
  try {
    await page.waitForFunction(() => {
      const panes = [...document.querySelectorAll('.job-host .job-output')];
      return document.querySelector('#page').dataset.jobStatus === 'running'
        && panes.length === 2 && panes.every((p) => p.textContent.includes('tick 1'));
    }, null, { timeout: 60000 });
  } catch (e) {
    const j = await admin.get(`/api/v1/jobs/${jobId}`);
    throw new Error(`${e.message}\njob as stored: ${j.text}\nserver log: ${server.logs().slice(-3000)}`);
  }
  assert.equal(await page.getAttribute('#job-live', 'data-mode'), 'live');
  await screenshot(page, 'ops-job-live');
  assert.equal(await jobDone(page), 'succeeded');
  for (const h of ['run-a', 'run-b']) {
    const p = pane(page, h);
    const text = await p.locator('.job-output').textContent();
    assert.match(text, /start <img src=x id=xss-run> & done/);
    assert.match(text, /tick 4\nfinished/);
    assert.ok(!text.includes('\u001b'), 'no escape character left');
    assert.equal((await p.locator('.job-output .ansi-fg-green.ansi-bold').textContent()), 'green');
    const stderr = (await p.locator('.job-output .job-stderr').allTextContents()).join('');
    assert.match(stderr, /oops/);
    if (stderr.trim() !== 'oops') console.log(`# ${h}: unexpected stderr ${JSON.stringify(stderr)}`);
    assert.equal(await p.evaluate((e) => e.dataset.status), 'ok');
    assert.match(await p.locator('.job-host-exit').textContent(), /exit 0/);
  }
  assert.equal(await page.locator('#xss-run').count(), 0, 'output stays text');
  assert.equal(await count(page, 'ok'), 2);
  assert.equal(await count(page, 'failed'), 0);
  assert.equal(await count(page, 'running'), 0);
  assert.ok(await page.locator('#job-cancel').isHidden());
  assert.ok(await page.locator('#job-rerun-all').isVisible());
  // the server kept the same output
  const j = (await admin.get(`/api/v1/jobs/${jobId}`)).body;
  assert.deepEqual(j.results.map((r) => r.hostname).sort(), ['run-a', 'run-b']);
  await screenshot(page, 'ops-job-done');
});

step('a failing command and an unreachable host: status, exit code, error; rerun failed hosts', async () => {
  const r = await admin.post('/api/v1/jobs', { hosts: [ids.a, ids.closed], command: 'echo bad; exit 3' });
  assert.equal(r.status, 201, r.text);
  await go(page, server.url, `jobs/${r.body.id}`);
  assert.equal(await jobDone(page), 'failed');
  const a = pane(page, 'run-a');
  assert.equal(await a.evaluate((e) => e.dataset.status), 'failed');
  assert.match(await a.locator('.job-host-exit').textContent(), /exit 3/);
  const c = pane(page, 'run-closed');
  assert.equal(await c.evaluate((e) => e.dataset.status), 'unreachable');
  assert.match(await c.locator('.job-host-error').textContent(), /connect|refused/i);
  assert.equal(await count(page, 'failed'), 1);
  assert.equal(await count(page, 'unreachable'), 1);
  await screenshot(page, 'ops-job-failed');
  await Promise.all([page.waitForURL((u) => !u.href.endsWith(`/jobs/${r.body.id}`)), page.click('#job-rerun-failed')]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  const newId = Number(/#\/jobs\/(\d+)$/.exec(page.url())[1]);
  assert.ok(newId > r.body.id);
  await jobDone(page);
  const j = (await admin.get(`/api/v1/jobs/${newId}`)).body;
  assert.equal(j.rerun_of, r.body.id);
  assert.equal(j.results.length, 2);
  assert.match(await page.textContent('#job-info'), new RegExp(`Rerun of\\s*#${r.body.id}`));
});

step('a sleep 30 job is cancelled from its page', async () => {
  await go(page, server.url, 'run');
  await page.waitForSelector('#run-host-list[data-loaded]');
  await pickHost('run', 'run-a');
  await page.fill('#run-command', 'sleep 30');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.click('#run-submit')]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  await page.waitForSelector('.job-host[data-status="running"]');
  const t0 = Date.now();
  await page.click('#job-cancel');
  await confirm(page);
  await toastMatching(page, 'info', /Cancellation requested/);
  assert.equal(await jobDone(page, 25000), 'cancelled');
  assert.ok(Date.now() - t0 < 20000, 'stopped well before the 30 s');
  assert.equal(await pane(page, 'run-a').evaluate((e) => e.dataset.status), 'cancelled');
  assert.ok(await page.locator('#job-cancel').isHidden());
  await screenshot(page, 'ops-job-cancelled');
});

step('library: create a script, change it, view and restore an old version', async () => {
  await go(page, server.url, 'library');
  await page.click('#lib-new');
  let m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-name').fill('greet');
  await m.locator('#lib-description').fill('prints its arguments');
  await m.locator('#lib-interpreter').selectOption('bash');
  await m.locator('#lib-content').fill('#!/bin/bash\necho "1=[$1]"\necho "2=[$2]"\necho "n=$#"\n');
  await m.locator('button[type="submit"]').click();
  await modalGone(page, 'lib-editor');
  await tableDrawn(page, '#lib-table');
  await page.locator('#lib-table a.lib-open', { hasText: 'greet' }).click();
  m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-content').fill('#!/bin/bash\necho broken\n');
  await m.locator('#lib-message').fill('oops, a mistake');
  await m.locator('button[type="submit"]').click();
  await toastMatching(page, 'success', /Saved as version 2/);
  await modalGone(page, 'lib-editor');
  // history: two versions, the first one read-only, restore it as version 3
  await page.locator('#lib-table tr', { hasText: 'greet' }).locator('[data-action="history"]').click();
  m = await modalShown(page, 'lib-history');
  assert.equal(await m.locator('#lib-versions tbody tr').count(), 2);
  assert.match(await m.locator('#lib-versions tbody tr[data-version="2"]').textContent(), /oops, a mistake/);
  await m.locator('button.lib-version-view[data-version="1"]').click();
  await m.locator('#lib-version-view[data-version="1"]').waitFor();
  assert.match(await m.locator('#lib-version-content').textContent(), /echo "n=\$#"/);
  await screenshot(page, 'ops-library-history');
  await m.locator('#lib-restore').click();
  await toastMatching(page, 'success', /Version 1 restored as version 3/);
  await modalGone(page, 'lib-history');
  const list = (await admin.get('/api/v1/library?kind=script')).body.items;
  const greet = list.find((x) => x.name === 'greet');
  assert.equal(greet.version, 3);
  const item = (await admin.get(`/api/v1/library/${greet.id}`)).body;
  assert.match(item.content, /echo "n=\$#"/);
  assert.deepEqual(item.versions.map((v) => v.message), ['restored version 1', 'oops, a mistake', 'created']);
  ids.script = greet.id;
});

step('run a library script with arguments that keep their spaces and quotes', async () => {
  await go(page, server.url, 'run');
  await page.waitForSelector('#run-host-list[data-loaded]');
  await pickHost('run', 'run-a');
  await page.click('#run-tab-script');
  await page.selectOption('#run-script', String(ids.script));
  await page.click('#run-add-arg');
  await page.locator('#run-args input.run-arg').nth(0).fill('a b');
  await page.click('#run-add-arg');
  await page.locator('#run-args input.run-arg').nth(1).fill("it's \"$HOME\"");
  await screenshot(page, 'ops-run-script');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.click('#run-submit')]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  assert.equal(await jobDone(page), 'succeeded');
  const out = await pane(page, 'run-a').locator('.job-output').textContent();
  assert.match(out, /1=\[a b\]/);
  assert.ok(out.includes('2=[it\'s "$HOME"]'), out);
  assert.match(out, /n=2/);
  assert.match(await page.textContent('#job-info'), /greet\s*v3/);
});

step('library: a role is edited as files; a playbook using it runs with key=value extra vars', async () => {
  await go(page, server.url, 'library');
  await page.click('#lib-tab-role');
  await page.click('#lib-new');
  let m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-name').fill('ui_motd');
  const files = m.locator('#lib-files .lib-file');
  assert.equal(await files.count(), 1);
  await files.nth(0).locator('.lib-file-content').fill('- name: say\n  ansible.builtin.include_tasks: say.yml\n');
  await m.locator('#lib-add-file').click();
  await files.nth(1).locator('.lib-file-path').fill('tasks/say.yml');
  await files.nth(1).locator('.lib-file-content').fill('- ansible.builtin.debug:\n    msg: "role says {{ greeting }} to {{ who }}"\n');
  await screenshot(page, 'ops-library-role');
  await m.locator('button[type="submit"]').click();
  await modalGone(page, 'lib-editor');
  const role = (await admin.get('/api/v1/library?kind=role')).body.items.find((x) => x.name === 'ui_motd');
  const content = JSON.parse((await admin.get(`/api/v1/library/${role.id}`)).body.content);
  assert.deepEqual(Object.keys(content), ['tasks/main.yml', 'tasks/say.yml']);
  // the playbook, then a run from the Run page
  await page.click('#lib-tab-playbook');
  await page.click('#lib-new');
  m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-name').fill('greet.yml');
  await m.locator('#lib-content').fill('- hosts: all\n  gather_facts: false\n  roles:\n    - ui_motd\n');
  await m.locator('button[type="submit"]').click();
  await modalGone(page, 'lib-editor');
  const book = (await admin.get('/api/v1/library?kind=playbook')).body.items.find((x) => x.name === 'greet.yml');
  await go(page, server.url, 'run');
  await page.waitForSelector('#run-host-list[data-loaded]');
  await pickHost('run', 'run-a');
  await page.click('#run-tab-playbook');
  await page.selectOption('#run-playbook', String(book.id));
  await page.fill('#run-extra-vars', 'greeting=hello world\n# a comment\nwho = ops team');
  assert.equal(await page.textContent('#run-extra-vars-json'), '→ {"greeting":"hello world","who":"ops team"}');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.click('#run-submit')]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  assert.equal(await jobDone(page, 90000), 'succeeded');
  assert.match(await pane(page, 'run-a').locator('.job-output').textContent(), /role says hello world to ops team/);
  const jobId = Number(/#\/jobs\/(\d+)$/.exec(page.url())[1]);
  assert.deepEqual((await admin.get(`/api/v1/jobs/${jobId}`)).body.spec.extra_vars, { greeting: 'hello world', who: 'ops team' });
  await screenshot(page, 'ops-job-playbook');
});

step('an Ansible module in check mode', async () => {
  await go(page, server.url, 'run');
  await page.waitForSelector('#run-host-list[data-loaded]');
  await pickHost('run', 'run-a');
  await page.click('#run-tab-ansible_module');
  await page.fill('#run-module', 'ansible.builtin.file');
  await page.fill('#run-module-args', `path=${sshdDir}/never-made state=directory`);
  await page.check('#run-module-check');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.click('#run-submit')]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  assert.equal(await jobDone(page, 90000), 'succeeded');
  assert.match(await page.textContent('#job-info'), /Check mode\s*yes/);
  assert.ok(!fs.existsSync(`${sshdDir}/never-made`), 'check mode changed nothing');
});

step('errors of the form appear beside their field', async () => {
  await go(page, server.url, 'run');
  await page.waitForSelector('#run-host-list[data-loaded]');
  await page.click('#run-submit');
  await page.locator('[data-field="hosts"] .invalid-feedback', { hasText: /at least one host/ }).waitFor();
  await pickHost('run', 'run-a');
  await page.click('#run-tab-playbook');
  await page.fill('#run-extra-vars', 'version=1.2\nnot a pair');
  assert.match(await page.textContent('#run-extra-vars-json'), /Line 2/);
  await page.click('#run-tab-file');
  await page.setInputFiles('#run-file', { name: 'motd.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the console\n') });
  await page.fill('#run-file-path', 'relative/path');
  await page.click('#run-submit');
  await page.locator('[data-field="file_path"] .invalid-feedback', { hasText: /absolute path/ }).waitFor();
  const target = path.join(sshdDir, `ui-file-${process.pid}.txt`);
  await page.fill('#run-file-path', target);
  await page.fill('#run-file-mode', '0600');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.click('#run-submit')]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"]');
  assert.equal(await jobDone(page), 'succeeded');
  assert.equal(fs.readFileSync(target, 'utf8'), 'hello from the console\n');
  assert.equal(fs.statSync(target).mode & 0o777, 0o600);
  assert.ok(await page.locator('#job-rerun-all').isHidden(), 'a file job cannot be rerun from history');
});

step('job history: server-side pages, filters by status and kind, link to the job', async () => {
  await go(page, server.url, 'jobs');
  await tableDrawn(page, '#jobs-table');
  const rows = page.locator('#jobs-table tbody tr');
  assert.ok(await rows.count() >= 5);
  await page.selectOption('#jobs-status', 'cancelled');
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('#jobs-table tbody tr')];
    return trs.length === 1 && trs[0].textContent.includes('sleep 30');
  });
  await page.selectOption('#jobs-status', '');
  await page.selectOption('#jobs-kind', 'script');
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('#jobs-table tbody tr')];
    return trs.length === 1 && trs[0].textContent.includes('greet v3');
  });
  assert.match(await page.textContent('#jobs-table tbody tr'), /'it'\\''s "\$HOME"'/);
  await screenshot(page, 'ops-jobs-history');
  await Promise.all([page.waitForURL(/#\/jobs\/\d+$/), page.locator('#jobs-table a.job-link').first().click()]);
  await page.waitForSelector('#page[data-page="jobs"][data-ready="1"] #job-title');
});

step('without a WebSocket the job page polls until the job ends', async () => {
  await page.routeWebSocket(/\/api\/v1\/jobs\/\d+\/stream$/, (ws) => ws.close());
  const r = await admin.post('/api/v1/jobs', { hosts: [ids.a], command: 'sleep 5; echo late' });
  assert.equal(r.status, 201, r.text);
  await go(page, server.url, `jobs/${r.body.id}`);
  await page.waitForSelector('#job-live[data-mode="polling"]', { timeout: 20000 });
  try {
    assert.equal(await jobDone(page, 60000), 'succeeded');
  } catch (e) {
    const j = await admin.get(`/api/v1/jobs/${r.body.id}`);
    throw new Error(`${e.message}\njob as stored: ${j.text}\nserver log: ${server.logs().slice(-3000)}`);
  }
  assert.match(await pane(page, 'run-a').locator('.job-output').textContent(), /late/);
  assert.deepEqual(browser.problems.filter((p) => !/WebSocket/.test(p)), []);
});
