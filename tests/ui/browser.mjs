// browser.mjs -- Debian's Chromium driven by playwright-core (from
// web/node_modules; never a downloaded browser), plus small helpers for the
// console's UI tests. Not a test file itself (no .test. in the name).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'build/test-artifacts/ui');
export const CHROMIUM = process.env.CAIRN_CHROMIUM || '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * A fresh browser profile. Returns { ctx, page, problems, close() }:
 * `problems` collects page errors, CSP violations and console errors other
 * than the HTTP statuses the console produces on purpose (401 before login,
 * a failed login, 4xx answers shown as form errors).
 */
export async function launch({ locale = 'en-US' } = {}) {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install chromium`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    locale,
    viewport: { width: 1366, height: 860 },
    timeout: 60000,
  });
  ctx.setDefaultTimeout(15000);
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write']);
  const problems = [];
  const watch = (page) => {
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      problems.push(`console: ${text}`);
    });
  };
  ctx.on('page', watch);
  const page = ctx.pages()[0] || await ctx.newPage();
  watch(page);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return {
    ctx,
    page,
    problems,
    async close() {
      await ctx.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Wait until the current console page has rendered (router sets data-ready). */
export async function pageReady(page, name) {
  await page.waitForSelector(`#page[data-page="${name}"][data-ready="1"]`);
}

/** Wait until a DataTables table has drawn its rows (no "processing" shown). */
export async function tableDrawn(page, tableSel) {
  await page.waitForFunction((sel) => {
    const t = document.querySelector(sel);
    if (!t) return false;
    const wrap = t.closest('.dt-container');
    const proc = wrap && wrap.querySelector('.dt-processing');
    const busy = proc && getComputedStyle(proc).display !== 'none';
    return !busy && t.querySelector('tbody tr') !== null;
  }, tableSel);
}

/** Texts of the visible sidebar links. */
export async function menuTexts(page) {
  return page.$$eval('#sidebar-menu .nav-link', (as) => as.map((a) => a.textContent.trim()));
}

export async function login(page, url, username, password) {
  await page.goto(`${url}/login.html`);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await Promise.all([
    page.waitForURL(/\/(#.*)?$/),
    page.click('#login-submit'),
  ]);
  await page.waitForSelector('body[data-ready="1"]');
}

// A browser (en-US) signed in as the server's admin, with a 30 s default
// timeout (jobs over SSH and chart refreshes are slow on a loaded 2-core
// machine). Returns the launch() object; its .page is ready on the home page.
export async function adminBrowser(server) {
  const browser = await launch({ locale: 'en-US' });
  browser.ctx.setDefaultTimeout(30000);
  await login(browser.page, server.url, 'admin', server.adminPassword);
  return browser;
}

/** Open a modal's form, returns its locator. */
export async function modalShown(page, id) {
  const m = page.locator(`#${id}[data-shown="1"]`);
  await m.waitFor({ state: 'visible' });
  return m;
}

export async function modalGone(page, id) {
  await page.locator(`#${id}`).waitFor({ state: 'detached' });
}

/** Wait for a toast of `type` (success, danger, …) whose text matches `re`. */
export async function toastMatching(page, type, re) {
  const t = page.locator(`#toasts .toast[data-toast-type="${type}"]`).filter({ hasText: re }).last();
  await t.waitFor({ state: 'visible' });
  return (await t.textContent()).trim();
}
