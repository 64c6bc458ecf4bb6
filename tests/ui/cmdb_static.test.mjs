// cmdb_static.test.mjs -- checks of the CMDB console sources that need no
// browser: every key of the asset./res./dash./nav. namespaces that the code
// uses is in both dictionaries (static.test.mjs covers the shell's
// namespaces), every resource of the schema has its singular name, and each
// CMDB route names a page module and a resource that exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './browser.mjs';

const WEB = path.join(ROOT, 'web');
const en = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n/en.json'), 'utf8'));
const zh = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n/zh-CN.json'), 'utf8'));
const FILES = ['js/cmdb.js', 'js/forms.js', 'js/reslist.js', 'js/charts.js', 'js/app.js',
  'js/pages/assets.js', 'js/pages/host.js', 'js/pages/resource.js', 'js/pages/home.js', 'js/pages/dashboard.js'];
// The resources of GET /api/v1/schema (docs/API.md "CMDB and applications").
const RESOURCES = ['hosts', 'groups', 'idcs', 'cabinets', 'asset-types', 'asset-statuses', 'credentials',
  'owners', 'products', 'projects', 'regions', 'branches', 'resources', 'nav-links'];

test('every CMDB translation key used by the code is in both dictionaries', () => {
  const used = new Set();
  for (const f of FILES) {
    const src = fs.readFileSync(path.join(WEB, f), 'utf8');
    for (const m of src.matchAll(/'((?:asset|res|dash|nav)\.[a-z_]+(?:\.[a-z_-]+)*)'/g)) used.add(m[1]);
  }
  assert.ok(used.size > 100, `found ${used.size} keys`);
  assert.deepEqual([...used].filter((k) => !(k in en)), [], 'missing in en.json');
  assert.deepEqual([...used].filter((k) => !(k in zh)), [], 'missing in zh-CN.json');
  for (const r of RESOURCES) {
    assert.ok(`res.one.${r}` in en && `res.one.${r}` in zh, `res.one.${r}`);
  }
});

test('each CMDB route loads a page module that exists, generic ones name their resource', () => {
  const app = fs.readFileSync(path.join(WEB, 'js/app.js'), 'utf8');
  const routes = [...app.matchAll(/^\s*'?([\w-]+)'?: \{ module: '\.\/pages\/([\w-]+)\.js'(?:, resource: '([\w-]+)')?/gm)];
  const byName = Object.fromEntries(routes.map((m) => [m[1], { page: m[2], resource: m[3] }]));
  for (const r of RESOURCES.filter((x) => x !== 'hosts')) {
    assert.deepEqual(byName[r], { page: 'resource', resource: r }, `route ${r}`);
  }
  assert.equal(byName.hosts.page, 'assets');
  assert.equal(byName.home.page, 'home');
  for (const r of ['home', 'hosts', ...RESOURCES]) assert.ok(fs.existsSync(path.join(WEB, 'js/pages', `${byName[r].page}.js`)), r);
  assert.match(app, /const DEFAULT_ROUTE = 'home';/, 'the navigation page is the home page');
});

test('the CMDB pages keep the console\'s rules: no HTML from strings, links to other sites open safely', () => {
  for (const f of FILES) {
    const src = fs.readFileSync(path.join(WEB, f), 'utf8');
    assert.doesNotMatch(src, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/, f);
    for (const m of src.matchAll(/target: '_blank'[^}]*/g)) assert.match(m[0], /rel: 'noopener noreferrer'/, `${f}: ${m[0]}`);
  }
});
