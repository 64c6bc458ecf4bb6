// ops_helpers.mjs -- shared by the UI tests of the task and monitoring pages
// (ops_*.test.mjs): a loopback sshd with hosts and a credential registered
// through the API, a step() wrapper that screenshots failures, page
// navigation that always starts a page afresh.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/harness.mjs';
import { screenshot, pageReady, modalShown } from './browser.mjs';

export const SSHD = path.join(ROOT, 'scripts/sshd-test.sh');

/** Start a throwaway sshd in dir; returns its facts (port, key, …). */
export function sshdStart(dir) {
  const out = execFileSync(SSHD, ['start', dir], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export function sshdStop(dir) {
  if (dir && fs.existsSync(dir)) execFileSync(SSHD, ['stop', dir]);
}

/** POST a resource through the API; returns the new id (throws otherwise). */
export async function mk(client, res, body) {
  const r = await client.post(`/api/v1/${res}`, body);
  if (r.status !== 201) throw new Error(`create ${res}: ${r.status} ${r.text}`);
  return r.body.id;
}

/** A test step that leaves a FAILED-*.png of what the page showed. */
export function stepper(getPage, prefix) {
  return (name, fn, opts = {}) => test(name, opts, async () => {
    try {
      await fn();
    } catch (e) {
      const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 50);
      await screenshot(getPage(), `FAILED-${prefix}-${slug}`).catch(() => {});
      throw e;
    }
  });
}

/**
 * Open #/route afresh: through about:blank, so no page of the previous
 * route can still be drawing into the new one.
 */
export async function go(page, url, route) {
  await page.goto('about:blank');
  await page.goto(`${url}/#/${route}`);
  await pageReady(page, route.split('/')[0]);
}

/** Confirm the confirmation dialog (ui.js confirmDialog). */
export async function confirm(page) {
  const m = await modalShown(page, 'confirm-modal');
  await m.locator('button[type="submit"]').click();
  await page.locator('#confirm-modal').waitFor({ state: 'detached' });
}

/** Wait until the job page says the job ended; returns its status. */
export async function jobDone(page, timeout = 60000) {
  await page.waitForSelector('#page[data-done="1"]', { timeout });
  return page.getAttribute('#page', 'data-job-status');
}

/** The number shown in one of the job page's count boxes. */
export async function count(page, which) {
  return Number((await page.textContent(`#job-count-${which} .info-box-number`)).trim());
}

/** The job page's pane of a host (by host name). */
export function pane(page, hostname) {
  return page.locator(`.job-host[data-hostname="${hostname}"]`);
}
