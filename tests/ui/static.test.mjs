// static.test.mjs -- checks of the console's sources that need no browser:
// translations complete in both languages, every key the code uses exists,
// no inline script or handler (CSP script-src 'self'), no HTML built from
// strings, exact npm versions, and every file the pages load is in build/web.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './browser.mjs';

const WEB = path.join(ROOT, 'web');
const OUT = path.join(ROOT, 'build/web');

function walk(dir, ext) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, ext));
    else if (p.endsWith(ext)) out.push(p);
  }
  return out;
}

const en = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n/en.json'), 'utf8'));
const zh = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n/zh-CN.json'), 'utf8'));
const jsFiles = walk(path.join(WEB, 'js'), '.js');
const htmlFiles = ['index.html', 'login.html'].map((f) => path.join(WEB, f));

test('en.json and zh-CN.json have the same keys, none empty, placeholders kept', () => {
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  const ph = (s) => (s.match(/\{\w+\}|_[A-Z]+_/g) || []).sort();
  for (const k of Object.keys(en)) {
    assert.ok(en[k].trim() && zh[k].trim(), `empty translation for ${k}`);
    assert.deepEqual(ph(zh[k]), ph(en[k]), `placeholders of ${k}`);
  }
  // the Chinese file is really translated (CJK in nearly every string)
  const cjk = Object.values(zh).filter((s) => /[\u4e00-\u9fff]/.test(s)).length;
  assert.ok(cjk / Object.keys(zh).length > 0.9, `only ${cjk} Chinese strings`);
});

test('every translation key used by the pages exists', () => {
  const used = new Set();
  for (const f of jsFiles) {
    const src = fs.readFileSync(f, 'utf8');
    // every string literal that looks like a key of our namespaces
    for (const m of src.matchAll(/'((?:app|nav|menu|common|form|time|table|error|login|user|users|dashboard|roles|module|action|tokens|audit|settings)\.[a-z_]+(?:\.[a-z_]+)*)'/g)) used.add(m[1]);
  }
  for (const f of htmlFiles) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) used.add(m[1]);
  }
  assert.ok(used.size > 100, `found ${used.size} keys`);
  const missing = [...used].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
  // the permission matrix labels
  for (const m of ['assets', 'apps', 'tasks', 'delivery', 'monitor', 'users', 'settings', 'audit']) assert.ok(`module.${m}` in en);
  for (const a of ['view', 'edit', 'execute', 'admin']) assert.ok(`action.${a}` in en);
});

test('no inline scripts or inline event handlers (CSP script-src \'self\')', () => {
  for (const f of htmlFiles) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/<script\b([^>]*)>/g)) assert.match(m[1], /\bsrc="\/[^"]+"/, `${f}: inline <script>`);
    assert.doesNotMatch(src, /\son[a-z]+\s*=/i, `${f}: inline handler`);
    assert.doesNotMatch(src, /javascript:/i);
  }
});

test('pages never build HTML from strings', () => {
  for (const f of jsFiles) {
    const src = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, path.relative(ROOT, f));
  }
});

test('npm dependencies are pinned to exact versions', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(WEB, 'package.json'), 'utf8'));
  const all = { ...pkg.dependencies, ...pkg.devDependencies };
  assert.deepEqual(all, {
    'admin-lte': '4.10.0',
    bootstrap: '5.3.9',
    '@popperjs/core': '2.11.8',
    '@fortawesome/fontawesome-free': '7.3.1',
    'datatables.net': '3.1.5',
    'datatables.net-bs5': '3.1.5',
    echarts: '6.1.0',
    '@xterm/xterm': '6.0.0',
    '@xterm/addon-fit': '0.11.0',
    'playwright-core': '1.65.1',
  });
  const lock = JSON.parse(fs.readFileSync(path.join(WEB, 'package-lock.json'), 'utf8'));
  assert.equal(lock.packages['node_modules/admin-lte'].version, '4.10.0');
  assert.equal(lock.packages['node_modules/datatables.net-bs5'].version, '3.1.5');
});

test('build/web holds every file the pages load (scripts/build-web.sh ran)', () => {
  assert.ok(fs.existsSync(OUT), 'build/web missing: run make web');
  const refs = new Set();
  for (const f of htmlFiles) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/(?:src|href)="(\/[^"#?]*)"/g)) refs.add(m[1]);
  }
  for (const f of jsFiles) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/import\(['"](\.\/pages\/[\w-]+\.js)['"]\)|module: '(\.\/pages\/[\w-]+\.js)'/g)) refs.add(`/js/${(m[1] || m[2]).slice(2)}`);
  }
  refs.add('/i18n/en.json');
  refs.add('/i18n/zh-CN.json');
  refs.add('/vendor/echarts/echarts.min.js');
  refs.add('/vendor/xterm/xterm.js');
  refs.add('/vendor/xterm/addon-fit.js');
  refs.add('/vendor/xterm/xterm.css');
  for (const r of refs) {
    if (r === '/') continue;
    assert.ok(fs.existsSync(path.join(OUT, r)), `build/web${r} missing`);
  }
  // the Font Awesome stylesheet finds its webfonts
  const fa = fs.readFileSync(path.join(OUT, 'vendor/fontawesome/css/all.min.css'), 'utf8');
  for (const m of fa.matchAll(/url\(\.\.\/webfonts\/([\w.-]+)\)/g)) {
    assert.ok(fs.existsSync(path.join(OUT, 'vendor/fontawesome/webfonts', m[1])), `webfont ${m[1]}`);
  }
  // no vendor file outside the chosen list, no node_modules copy
  assert.ok(!fs.existsSync(path.join(OUT, 'node_modules')));
});
