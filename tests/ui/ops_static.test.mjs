// ops_static.test.mjs -- source checks of the task and monitoring pages
// (no browser): every dictionary key they use (mon. job. task. lib. agent.,
// also the keys built from a prefix and a value) is in both languages, the
// Chinese strings are really Chinese, and the pages put no HTML together
// from strings. static.test.mjs does the same for the console's other
// namespaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './browser.mjs';

const WEB = path.join(ROOT, 'web');
const FILES = ['js/pages/monitor.js', 'js/pages/run.js', 'js/pages/jobs.js', 'js/pages/job.js', 'js/pages/library.js',
  'js/pages/tasks.js', 'js/pages/agents.js', 'js/ws.js', 'js/charts.js', 'js/app.js'].map((f) => path.join(WEB, f));
const en = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n/en.json'), 'utf8'));
const zh = JSON.parse(fs.readFileSync(path.join(WEB, 'i18n/zh-CN.json'), 'utf8'));
const OURS = /^(mon|job|task|lib|agent)\./;

// keys made from a prefix and a value: `job.status_${s}` …
const DYNAMIC = {
  'job.status_': ['queued', 'running', 'succeeded', 'failed', 'cancelled'],
  'job.host_': ['pending', 'running', 'ok', 'failed', 'unreachable', 'timeout', 'cancelled'],
  'job.kind_': ['command', 'script', 'file', 'ansible_module', 'playbook'],
  'lib.new_': ['script', 'playbook', 'role'],
  'mon.state_': ['up', 'down', 'none'],
  'task.catchup_': ['once', 'skip'],
  'task.every_': ['seconds', 'minutes', 'hours', 'days'],
  'task.unit_': ['seconds', 'minutes', 'hours', 'days'],
  'task.tab_': ['all', 'interval', 'cron'],
  'task.type_': ['interval', 'cron'],
};

test('every key the task and monitoring pages use is in both dictionaries', () => {
  const used = new Set();
  for (const f of FILES) {
    const src = fs.readFileSync(f, 'utf8');
    for (const m of src.matchAll(/'((?:mon|job|task|lib|agent|common|form|table|menu)\.[a-z0-9_]+)'/g)) used.add(m[1]);
    for (const m of src.matchAll(/`((?:mon|job|task|lib|agent)\.[a-z_]+_)\$\{/g)) {
      assert.ok(DYNAMIC[m[1]], `${path.basename(f)}: list the values of ${m[1]}\${…} in DYNAMIC`);
    }
  }
  for (const [prefix, values] of Object.entries(DYNAMIC)) for (const v of values) used.add(prefix + v);
  assert.ok(used.size > 300, `found ${used.size}`);
  const missing = [...used].filter((k) => !(k in en) || !(k in zh));
  assert.deepEqual(missing, []);
});

test('the ops keys are translated (same placeholders, Chinese text) and none is unused', () => {
  const src = FILES.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const ph = (s) => (s.match(/\{\w+\}/g) || []).sort();
  const ours = Object.keys(en).filter((k) => OURS.test(k));
  assert.ok(ours.length > 300);
  for (const k of ours) {
    assert.ok(k in zh, `zh-CN lacks ${k}`);
    assert.deepEqual(ph(zh[k]), ph(en[k]), `placeholders of ${k}`);
    const dyn = Object.keys(DYNAMIC).some((p) => k.startsWith(p) && DYNAMIC[p].includes(k.slice(p.length)));
    assert.ok(dyn || src.includes(`'${k}'`), `${k} is not used`);
  }
  const latinOnly = ours.filter((k) => !/[\u4e00-\u9fff]/.test(zh[k]));
  // names that stay as they are (CPU, IP, Crontab, Playbook …)
  assert.ok(latinOnly.length <= 12, `untranslated: ${latinOnly.join(', ')}`);
});

test('the pages build no HTML from strings and run no inline code', () => {
  for (const f of FILES) {
    const src = fs.readFileSync(f, 'utf8');
    assert.doesNotMatch(src, /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/, path.basename(f));
    assert.doesNotMatch(src, /setAttribute\(\s*['"]on/i, path.basename(f));
  }
});

test('monitoring: new per-minute points are consolidated onto a coarser chart\'s grid', async () => {
  const { consolidate } = await import('../../web/js/pages/monitor.js');
  const rows = [];
  for (let t = 1060; t <= 1600; t += 60) rows.push([t, t === 1120 ? null : t / 60]);
  // buckets (1000,1300] and (1300,1600] of a 300 s chart whose last point is at 1000
  const avg = consolidate(rows, 60, 300, 'AVERAGE', 1000);
  assert.deepEqual(avg.map((r) => r[0]), [1300, 1600]);
  assert.ok(Math.abs(avg[0][1] - (1060 + 1180 + 1240 + 1300) / 4 / 60) < 1e-9, 'unknown minutes left out');
  assert.deepEqual(consolidate(rows, 60, 300, 'MAX', 1000).map((r) => r[1]), [1300 / 60, 1600 / 60]);
  // an unfinished bucket waits; mostly unknown buckets are unknown
  assert.deepEqual(consolidate(rows.slice(0, 7), 60, 300, 'AVERAGE', 1000).map((r) => r[0]), [1300]);
  assert.deepEqual(consolidate([[1060, 1], [1120, null], [1180, null], [1240, null], [1300, 2]], 60, 300, 'AVERAGE', 1000), [[1300, null]]);
});
