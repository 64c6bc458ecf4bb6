// library_git.test.mjs -- the library page's git sources in headless
// Chromium: "Import from git" (URL, ref, path, kind, credential picker),
// a server error shown beside its field with the dialog left open, a git
// item's source and read-only content in the editor, Sync after a new
// commit (version 2 with the commit in the history), and Detach, after
// which the content is editable. The repository is made with the `git` CLI
// and read through file:// (cairnd runs with --git-allow-local 1).
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { adminBrowser, modalGone, modalShown, screenshot, tableDrawn, toastMatching } from './browser.mjs';
import { stepper, go, confirm, mk } from './ops_helpers.mjs';

let server, admin, browser, page, work, repo;
const step = stepper(() => page, 'library-git');
const GIT_ENV = {
  ...process.env, GIT_AUTHOR_NAME: 'UI', GIT_AUTHOR_EMAIL: 'ui@example.com', GIT_COMMITTER_NAME: 'UI',
  GIT_COMMITTER_EMAIL: 'ui@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: os.tmpdir(),
};
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { env: GIT_ENV, encoding: 'utf8' }).trim();

function commitFile(rel, content, msg) {
  fs.mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
  fs.writeFileSync(path.join(repo, rel), content);
  git('add', '-A');
  git('commit', '-q', '-m', msg);
  return git('rev-parse', 'HEAD');
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-git-'));
  repo = path.join(work, 'ops');
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env: GIT_ENV });
  commitFile('scripts/deploy.sh', '#!/bin/sh\necho deploy v1\n', 'first');
  server = await startServer({ args: ['--git-allow-local', '1'] });
  admin = await adminClient(server);
  await mk(admin, 'credentials', { name: 'ui-git-token', username: 'deploy', password: 'not-used-here' });
  browser = await adminBrowser(server);
  page = browser.page;
});

after(async () => {
  try {
    if (browser) await browser.close();
    if (server) await server.stop();
  } finally {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

step('import dialog: a bad path is shown beside its field; a good import lands in the list with a git badge', async () => {
  await go(page, server.url, 'library');
  await page.click('#lib-import');
  const m = await modalShown(page, 'lib-import-dialog');
  // the credential picker offers the auth centre's credentials (admin holds apps:admin)
  await m.locator('#lib-git-credential option', { hasText: 'ui-git-token (deploy)' }).waitFor({ state: 'attached' });
  assert.equal(await m.locator('#lib-git-interpreter').isVisible(), true);
  await m.locator('#lib-git-kind').selectOption('role');
  assert.equal(await m.locator('#lib-git-interpreter').isVisible(), false, 'no interpreter for a role');
  await m.locator('#lib-git-kind').selectOption('script');
  await m.locator('#lib-git-url').fill(`file://${repo}`);
  await m.locator('#lib-git-ref').fill('main');
  await m.locator('#lib-git-path').fill('scripts/missing.sh');
  await m.locator('button[type="submit"]').click();
  const fb = m.locator('[data-field="path"] .invalid-feedback');
  await fb.filter({ hasText: /no file scripts\/missing\.sh/ }).waitFor();
  await m.locator('#lib-git-path').fill('scripts/deploy.sh');
  await m.locator('#lib-git-name').fill('deploy');
  await screenshot(page, 'library-git-import');
  await m.locator('button[type="submit"]').click();
  await toastMatching(page, 'success', /Imported from main at commit [0-9a-f]{7}/);
  await modalGone(page, 'lib-import-dialog');
  await tableDrawn(page, '#lib-table');
  const row = page.locator('#lib-table tr', { hasText: 'deploy' });
  await row.locator('.lib-git-badge').waitFor();
  assert.equal((await admin.get('/api/v1/library?kind=script')).body.items.find((x) => x.name === 'deploy').source, 'git');
});

step('a git item: the editor shows its source, its content is read-only; Sync after a commit makes version 2', async () => {
  const sha = commitFile('scripts/deploy.sh', '#!/bin/sh\necho deploy v2\n', 'second');
  await go(page, server.url, 'library');
  await tableDrawn(page, '#lib-table');
  await page.locator('#lib-table a.lib-open', { hasText: 'deploy' }).click();
  let m = await modalShown(page, 'lib-editor');
  const src = m.locator('#lib-git-source');
  assert.equal(await src.locator('[data-key="url"]').textContent(), `file://${repo}`);
  assert.equal(await src.locator('[data-key="ref"]').textContent(), 'main');
  assert.equal(await m.locator('#lib-content').getAttribute('readonly'), '');
  await screenshot(page, 'library-git-editor');
  await m.locator('#lib-git-sync').click();
  await toastMatching(page, 'success', new RegExp(`Version 2 from commit ${sha.slice(0, 7)}`));
  // the editor comes back with the new content
  await page.waitForFunction(() => document.querySelector('#lib-editor[data-shown="1"] #lib-content')?.value.includes('deploy v2'));
  m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-git-sync').click();
  await toastMatching(page, 'info', new RegExp(`Unchanged \\(commit ${sha.slice(0, 7)}\\)`));
  await m.locator('button[data-bs-dismiss="modal"]').first().click();
  await modalGone(page, 'lib-editor');
  // the history shows each version's commit
  await page.locator('#lib-table tr', { hasText: 'deploy' }).locator('[data-action="history"]').click();
  const h = await modalShown(page, 'lib-history');
  assert.equal(await h.locator('#lib-versions tbody tr[data-version="2"] .lib-commit').textContent(), sha.slice(0, 7));
  assert.match(await h.locator('#lib-versions tbody tr[data-version="2"]').textContent(), new RegExp(`git ${sha.slice(0, 7)} from main`));
  await h.locator('button.lib-version-view[data-version="1"]').click();
  await h.locator('#lib-version-view[data-version="1"]').waitFor();
  assert.equal(await h.locator('#lib-restore').count(), 0, 'no restore on a git item');
  await h.locator('button[data-bs-dismiss="modal"]').first().click();
  await modalGone(page, 'lib-history');
});

step('detach from git: confirmed, the item becomes an ordinary one and its content is editable', async () => {
  await go(page, server.url, 'library');
  await tableDrawn(page, '#lib-table');
  await page.locator('#lib-table a.lib-open', { hasText: 'deploy' }).click();
  let m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-git-detach').click();
  await confirm(page);
  await toastMatching(page, 'success', /deploy no longer follows git/);
  await page.waitForFunction(() => {
    const ed = document.querySelector('#lib-editor[data-shown="1"]');
    return ed && !ed.querySelector('#lib-git-source') && !ed.querySelector('#lib-content').readOnly;
  });
  m = await modalShown(page, 'lib-editor');
  await m.locator('#lib-content').fill('#!/bin/sh\necho edited here\n');
  await m.locator('button[type="submit"]').click();
  await toastMatching(page, 'success', /Saved as version 3/);
  await modalGone(page, 'lib-editor');
  const item = (await admin.get('/api/v1/library?kind=script')).body.items.find((x) => x.name === 'deploy');
  assert.equal(item.source, '');
  assert.equal(item.version, 3);
});
