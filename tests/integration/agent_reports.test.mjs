// agent_reports.test.mjs -- the agent protocol of docs/AGENT.md spoken by
// hand against a real cairnd: enrollment and host tokens, reports crafted
// one field at a time, what a report may and may not change, malformed and
// hostile bodies, the RRD archives at each resolution read back through
// GET /api/v1/metrics, no sample lost when cairnd is killed, the online-dot
// data of the host list, and the installer and binary served under /agent/.
//
// A "machine" here is a machine id plus the host token it enrolled for; the
// real cairn-agent is exercised in agent_live.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, startServer } from '../lib/harness.mjs';
import { adminClient, rawRequest } from '../lib/client.mjs';
import { assertError, assertStatus, uniq } from './common.mjs';

const ENROLL = `site-enroll-${crypto.randomBytes(8).toString('hex')}`;
let server, admin;

before(async () => {
  server = await startServer({ env: { CAIRN_ENROLL_TOKEN: ENROLL } });
  admin = await adminClient(server);
});
after(async () => { await server?.stop(); });

const now = () => Math.floor(Date.now() / 1000);

async function enroll(body) {
  const r = await fetch(`${server.url}/api/v1/agent/enroll`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, body: json, text, headers: r.headers };
}

// The site enrollment token in force (the rotation test replaces it).
const site = { token: ENROLL };

// Enroll a new machine; returns { id, token, machineId, hostname }.
async function machineNow(hostname = uniq('mach')) {
  const machineId = crypto.randomBytes(16).toString('hex');
  const r = await enroll({ enroll_token: site.token, machine_id: machineId, hostname, agent_version: '0.1.0' });
  assertStatus(r, 201, 'enroll');
  assert.match(r.body.token, /^cairnh_[A-Za-z0-9_-]{16,200}$/);
  return { id: r.body.host_id, token: r.body.token, machineId, hostname };
}

// POST a report body (object, or raw string/Buffer) with a host token.
async function report(token, body, { gzip = true, raw = false, headers = {} } = {}) {
  let data = raw ? body : JSON.stringify(body);
  const h = { 'Content-Type': 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (gzip) {
    data = zlib.gzipSync(Buffer.isBuffer(data) ? data : Buffer.from(data));
    h['Content-Encoding'] = 'gzip';
  }
  const r = await fetch(`${server.url}/api/v1/agent/report`, { method: 'POST', headers: h, body: data });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, body: json, text, headers: r.headers };
}

function rep(seq, extra = {}) {
  return {
    v: 1, agent_version: '0.1.0', time: now(), seq, interval: 60, dropped: 0,
    metrics: {
      cpu: { user: 10, system: 5, iowait: 0, steal: 0, idle: 85 }, load: [0.5, 0.4, 0.3],
      memory: { total: 8e9, used: 2e9, available: 6e9, buffers: 1e8, cached: 1e9 },
      swap: { total: 0, used: 0 }, processes: 120, uptime: 1000,
      filesystems: [{ mount: '/', type: 'ext4', size: 1e10, used: 4e9, free: 5e9, inodes_used: 10, inodes_free: 90 }],
    },
    ...extra,
  };
}

async function host(id) {
  const r = await admin.get(`/api/v1/hosts/${id}`);
  assertStatus(r, 200, 'get host');
  return r.body;
}

// What a refused request must leave as it was: the host row, its facts and
// fact history, and its metric series.
async function hostState(id) {
  const facts = await admin.get(`/api/v1/hosts/${id}/facts`);
  const series = await admin.get(`/api/v1/metrics/${id}/series`);
  return { host: await host(id), facts: facts.body, series: series.body };
}

test('enrollment: a wrong site token is 401, a bad body 400; one machine enrolled twice stays one host and only the newest token works', async () => {
  const mid = crypto.randomBytes(16).toString('hex');
  let r = await enroll({ enroll_token: 'wrong-token', machine_id: mid, hostname: 'enr-a' });
  assertError(r, 401, 'unauthorized');
  r = await enroll({ enroll_token: ENROLL, hostname: 'enr-a' });
  assertError(r, 400, 'bad_request', 'machine_id');
  r = await enroll({ enroll_token: ENROLL, machine_id: mid, hostname: 'bad name; rm -rf /' });
  assertError(r, 400, 'bad_request', 'hostname');
  const hostsBefore = (await admin.get('/api/v1/hosts?per_page=200')).body.total;

  const first = await enroll({ enroll_token: ENROLL, machine_id: mid, hostname: 'enr-a', agent_version: '0.1.0' });
  assertStatus(first, 201, 'first enrollment');
  assert.equal(first.body.created, true);
  assert.equal(typeof first.body.interval, 'number');
  let h = await host(first.body.host_id);
  assert.equal(h.hostname, 'enr-a');
  assert.equal(h.source, 'agent');
  assert.equal(h.last_seen_at, null, 'never reported yet');

  const second = await enroll({ enroll_token: ENROLL, machine_id: mid, hostname: 'enr-a' });
  assertStatus(second, 201, 'second enrollment');
  assert.equal(second.body.host_id, first.body.host_id, 'the same machine is the same host');
  assert.equal(second.body.created, false);
  assert.notEqual(second.body.token, first.body.token);
  assert.equal((await admin.get('/api/v1/hosts?per_page=200')).body.total, hostsBefore + 1, 'one host, not two');

  r = await report(first.body.token, rep(1));
  assertError(r, 401, 'unauthorized');
  r = await report(second.body.token, rep(1));
  assertStatus(r, 200, 'report with the new token');
  h = await host(first.body.host_id);
  assert.ok(h.last_seen_at > 0);

  // A hand-made host of the same name without an agent is adopted, not duplicated.
  const made = await admin.post('/api/v1/hosts', { hostname: 'enr-handmade', ip: '10.9.8.7', memo: 'racked by hand' });
  assertStatus(made, 201, 'hand-made host');
  r = await enroll({ enroll_token: ENROLL, machine_id: crypto.randomBytes(16).toString('hex'), hostname: 'enr-handmade' });
  assertStatus(r, 201, 'enroll onto a hand-made host');
  assert.equal(r.body.host_id, made.body.id);
  assert.equal((await host(made.body.id)).memo, 'racked by hand');
});

test('the enrollment token: readable by settings:admin with an install command, audited; rotation retires the old one', async () => {
  const r = await admin.get('/api/v1/agent/enroll-token');
  assertStatus(r, 200, 'enroll token');
  assert.equal(r.body.token, ENROLL);
  assert.match(r.body.install_command, new RegExp(`/agent/install\\.sh .*--enroll-token ${ENROLL}`));
  const audit = await admin.get('/api/v1/audit?action=agent.enroll_token_read');
  assert.ok(audit.body.items.length >= 1, 'reading the token is audited');

  const anon = await fetch(`${server.url}/api/v1/agent/enroll-token`);
  assert.equal(anon.status, 401);

  const rot = await admin.post('/api/v1/agent/enroll-token/rotate');
  assertStatus(rot, 200, 'rotate');
  assert.notEqual(rot.body.token, ENROLL);
  let e = await enroll({ enroll_token: ENROLL, machine_id: crypto.randomBytes(16).toString('hex'), hostname: 'rot-a' });
  assertError(e, 401, 'unauthorized');
  e = await enroll({ enroll_token: rot.body.token, machine_id: crypto.randomBytes(16).toString('hex'), hostname: 'rot-b' });
  assertStatus(e, 201, 'enroll with the rotated token');
  site.token = rot.body.token; // what the following tests enroll with
});

test('reports: accepted, duplicates (same seq) skipped, batches oldest first; the answer carries the interval', async () => {
  const m = await machineNow();
  let r = await report(m.token, rep(1, { interval: 30 }));
  assertStatus(r, 200, 'report');
  assert.deepEqual(r.body, { accepted: 1, skipped: 0, interval: 30 });
  r = await report(m.token, rep(1, { interval: 30 }));
  assert.deepEqual(r.body, { accepted: 0, skipped: 1, interval: 30 }, 'a replayed seq is skipped');
  r = await report(m.token, { reports: [rep(1), rep(2), rep(3)] });
  assert.deepEqual(r.body, { accepted: 2, skipped: 1, interval: 60 });
  // Without gzip (identity) too.
  r = await report(m.token, rep(4), { gzip: false });
  assert.equal(r.body.accepted, 1);
  const h = await host(m.id);
  assert.equal(h.agent_interval, 60);
  assert.ok(h.last_seen_at >= now() - 60);
});

test('facts: mapped onto the host; a hand-edited field survives the next report while others keep updating; history shows each change', async () => {
  const m = await machineNow('facts-a');
  const facts = {
    hostname: 'facts-a', fqdn: 'facts-a.example.com', machine_id: m.machineId, management_ip: '10.1.2.3',
    nics: [{ name: 'eth0', mac: '52:54:00:12:34:56', addresses: ['10.1.2.3/24', '10.1.9.9/24', 'fe80::1/64'] }],
    os: { id: 'debian', name: 'Debian GNU/Linux', version: '12', pretty: 'Debian GNU/Linux 12 (bookworm)' },
    kernel: '6.1.0-18-amd64', arch: 'x86_64', vendor: 'QEMU', model: 'Standard PC', serial: 'SN-1',
    cpu: { model: 'Xeon', sockets: 1, cores: 2, threads: 4 }, memory_bytes: 8 * 1024 ** 3,
    disks: [{ name: 'vda', size_bytes: 250e9 }],
  };
  let r = await report(m.token, rep(1, { facts }));
  assertStatus(r, 200, 'facts report');
  let h = await host(m.id);
  assert.equal(h.ip, '10.1.2.3');
  assert.equal(h.other_ips, '10.1.9.9');
  assert.equal(h.os, 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(h.kernel, '6.1.0-18-amd64');
  assert.equal(h.vendor, 'QEMU');
  assert.equal(h.sn, 'SN-1');
  assert.equal(h.cpu_model, 'Xeon');
  assert.equal(h.cpu_count, 4);
  assert.equal(h.memory_mb, 8192);
  assert.equal(h.disks, 'vda 250 GB');

  const p = await admin.patch(`/api/v1/hosts/${m.id}`, { os: 'Golden image 7' });
  assertStatus(p, 200, 'hand edit');
  r = await report(m.token, rep(2, { facts: { ...facts, kernel: '6.1.0-20-amd64', memory_bytes: 16 * 1024 ** 3,
    os: { ...facts.os, pretty: 'Debian GNU/Linux 12.5 (bookworm)' } } }));
  assertStatus(r, 200, 'second facts report');
  h = await host(m.id);
  assert.equal(h.os, 'Golden image 7', 'the hand-edited field keeps the user value');
  assert.equal(h.kernel, '6.1.0-20-amd64', 'other facts keep updating');
  assert.equal(h.memory_mb, 16384);

  const f = await admin.get(`/api/v1/hosts/${m.id}/facts`);
  assertStatus(f, 200, 'facts');
  assert.equal(f.body.facts.kernel, '6.1.0-20-amd64', 'the full fact document is the latest');
  const hist = f.body.history;
  assert.ok(hist.some((x) => x.field === 'kernel' && x.old_value === '6.1.0-18-amd64' && x.new_value === '6.1.0-20-amd64'), JSON.stringify(hist));
  assert.ok(hist.some((x) => x.field === 'memory_mb' && x.old_value === '8192' && x.new_value === '16384'));
  assert.ok(!hist.some((x) => x.field === 'os' && x.new_value.includes('12.5')), 'no history for a change not applied');
});

test('a report cannot change another host: not through its hostname, machine id or a blank name', async () => {
  const a = await machineNow('spoof-a');
  const b = await machineNow('spoof-b');
  let r = await report(b.token, rep(1, { facts: { hostname: 'spoof-b', kernel: 'b-kernel', management_ip: '10.0.0.2' } }));
  assertStatus(r, 200, 'b reports');
  const bBefore = await hostState(b.id);

  // A claims B's hostname and machine id.
  r = await report(a.token, rep(1, { facts: { hostname: 'spoof-b', machine_id: b.machineId, kernel: 'evil-kernel', management_ip: '10.0.0.66' } }));
  assert.ok([200, 400].includes(r.status), `a spoofed report is stored for its own host or refused: ${r.status} ${r.text}`);
  assert.deepEqual(await hostState(b.id), bBefore, 'host B is untouched');
  const ha = await host(a.id);
  assert.equal(ha.hostname, 'spoof-a', 'A does not take B\'s name');
  if (r.status === 200) assert.equal(ha.kernel, 'evil-kernel', 'the report went to its own host');
  const list = await admin.get('/api/v1/hosts?q=spoof-');
  assert.deepEqual(list.body.items.map((x) => x.hostname).sort(), ['spoof-a', 'spoof-b']);

  // Reports with the host id of B in unknown fields do nothing either.
  r = await report(a.token, rep(2, { host_id: b.id, hostname: 'spoof-b' }));
  assertStatus(r, 200, 'unknown fields are ignored');
  assert.deepEqual(await hostState(b.id), bBefore);

  // The next enrollment of A still finds A (machine id), not B.
  const again = await enroll({ enroll_token: site.token, machine_id: a.machineId, hostname: 'spoof-a' });
  assert.equal(again.body.host_id, a.id);

  // An empty hostname never blanks a host.
  r = await report(again.body.token, rep(3, { facts: { hostname: '' } }));
  assert.ok([200, 400].includes(r.status), r.text);
  assert.equal((await host(a.id)).hostname, 'spoof-a');
});

test('two machines with one hostname (a cloned VM): both enroll, the second name is told apart, and both keep reporting', async () => {
  const a = await machineNow('clone-web');
  const b = await machineNow('clone-web');
  assert.notEqual(a.id, b.id);
  const hb = await host(b.id);
  assert.equal(hb.hostname, `clone-web-${b.machineId.slice(0, 8)}`);
  for (let seq = 1; seq <= 2; seq++) {
    for (const m of [a, b]) {
      const r = await report(m.token, rep(seq, { facts: { hostname: 'clone-web', kernel: `k${seq}` } }));
      assertStatus(r, 200, `report ${seq} of ${m.hostname}`);
      assert.equal(r.body.accepted, 1);
    }
  }
  assert.equal((await host(a.id)).hostname, 'clone-web');
  assert.equal((await host(b.id)).hostname, hb.hostname, 'not renamed onto the other host');
  assert.equal((await host(b.id)).kernel, 'k2', 'its other facts are applied');
});

test('malformed reports are refused with 400 and a reason, and nothing of them is stored', async () => {
  const m = await machineNow('bad-a');
  let r = await report(m.token, rep(1, { facts: { hostname: 'bad-a', kernel: 'k1' } }));
  assertStatus(r, 200, 'baseline');
  const before = await hostState(m.id);
  const t = now();
  const bad = [
    ['not JSON', '{"v": 1, "time": ', /malformed JSON/],
    ['NaN', `{"v":1,"time":${t},"seq":2,"metrics":{"cpu":{"user":NaN}}}`, /malformed JSON/],
    ['Infinity', `{"v":1,"time":${t},"seq":2,"metrics":{"load":[Infinity,1,1]}}`, /malformed JSON/],
    ['number overflow', `{"v":1,"time":${t},"seq":2,"metrics":{"cpu":{"user":1e999}}}`, /malformed JSON|overflow/],
    ['duplicate keys', `{"v":1,"time":${t},"seq":2,"seq":3}`, /malformed JSON|duplicate/],
    ['not an object', '[1,2,3]', /JSON object/],
    ['no version', JSON.stringify({ time: t, seq: 2 }), /version/],
    ['version 2', JSON.stringify({ v: 2, time: t, seq: 2 }), /version/],
    ['time as text', JSON.stringify({ v: 1, time: 'now', seq: 2 }), /time/],
    ['time far in the future', JSON.stringify({ v: 1, time: t + 86400, seq: 2 }), /time/],
    ['time 500 days ago', JSON.stringify({ v: 1, time: t - 500 * 86400, seq: 2 }), /time/],
    ['negative seq', JSON.stringify({ v: 1, time: t, seq: -1 }), /seq/],
    ['interval 0', JSON.stringify({ v: 1, time: t, seq: 2, interval: 0 }), /interval/],
    ['cpu as text', JSON.stringify(rep(2, { metrics: { cpu: { user: 'high' } } })), /metrics\.cpu\.user/],
    ['load of two', JSON.stringify(rep(2, { metrics: { load: [1, 2] } })), /metrics\.load/],
    ['memory not an object', JSON.stringify(rep(2, { metrics: { memory: 5 } })), /metrics\.memory/],
    ['filesystem without mount', JSON.stringify(rep(2, { metrics: { filesystems: [{ used: 1 }] } })), /filesystems/],
    ['65 filesystems', JSON.stringify(rep(2, { metrics: { filesystems: Array.from({ length: 65 }, (_, i) => ({ mount: `/m${i}`, used: 1 })) } })), /at most 64/],
    ['facts as a list', JSON.stringify(rep(2, { facts: [] })), /facts/],
    ['negative memory', JSON.stringify(rep(2, { facts: { memory_bytes: -1 } })), /memory_bytes/],
    ['management_ip not an IP', JSON.stringify(rep(2, { facts: { management_ip: 'localhost' } })), /management_ip/],
    ['hostname with a newline', JSON.stringify(rep(2, { facts: { hostname: 'a\nb' } })), /hostname/],
    ['threads as text', JSON.stringify(rep(2, { facts: { cpu: { threads: 'four' } } })), /threads/],
    ['reports not a list', JSON.stringify({ reports: { a: 1 } }), /reports/],
    ['empty batch', JSON.stringify({ reports: [] }), /reports/],
    ['501 reports', JSON.stringify({ reports: Array.from({ length: 501 }, (_, i) => rep(2 + i)) }), /500/],
    ['one bad report in a batch', JSON.stringify({ reports: [rep(2, { facts: { kernel: 'k2' } }), rep(3, { time: 'x' }), rep(4)] }), /report 1/],
  ];
  for (const [what, body, reason] of bad) {
    r = await report(m.token, body, { raw: true });
    assertError(r, 400, 'bad_request');
    assert.match(r.body.error.message, reason, `${what}: ${r.body.error.message}`);
  }
  // Bodies that are not reports at all.
  r = await report(m.token, Buffer.from('this is not gzip at all'), { raw: true, gzip: false, headers: { 'Content-Encoding': 'gzip' } });
  assertError(r, 400, 'bad_request');
  assert.match(r.body.error.message, /gzip/);
  const zipped = zlib.gzipSync(Buffer.from(JSON.stringify(rep(2))));
  r = await report(m.token, zipped.subarray(0, zipped.length - 8), { raw: true, gzip: false, headers: { 'Content-Encoding': 'gzip' } });
  assertError(r, 400, 'bad_request');
  // A gzip bomb: 64 MiB of spaces is 64 KiB compressed.
  const bomb = zlib.gzipSync(Buffer.concat([Buffer.from(`{"v":1,"time":${t},"seq":2,"x":"`), Buffer.alloc(64 << 20, 0x20), Buffer.from('"}')]), { level: 9 });
  assert.ok(bomb.length < 1 << 20);
  r = await report(m.token, bomb, { raw: true, gzip: false, headers: { 'Content-Encoding': 'gzip' } });
  assertError(r, 400, 'bad_request');
  assert.match(r.body.error.message, /inflate|large|MiB/);
  r = await report(m.token, JSON.stringify(rep(2)), { raw: true, gzip: false, headers: { 'Content-Type': 'text/plain' } });
  assertError(r, 415, 'unsupported_media_type');
  r = await report(m.token, JSON.stringify(rep(2)), { raw: true, gzip: false, headers: { 'Content-Encoding': 'br' } });
  assertError(r, 415, 'unsupported_media_type');
  // Huge: a body over the route's limit is refused before it is read.
  const huge = JSON.stringify(rep(2, { junk: 'x'.repeat(5 << 20) }));
  r = await report(m.token, huge, { raw: true, gzip: false });
  assertError(r, 413, 'too_large');
  // Huge after inflating: unknown fields inside facts are not kept by the megabyte.
  r = await report(m.token, rep(2, { facts: { kernel: 'k-huge', junk: 'y'.repeat(3 << 20) } }));
  assertError(r, 400, 'bad_request');
  assert.match(r.body.error.message, /facts/);

  assert.deepEqual(await hostState(m.id), before, 'nothing of a refused report was stored');
  // Not even the sequence number moved: the good reports of the refused batch are still new.
  r = await report(m.token, { reports: [rep(2), rep(3)] });
  assert.deepEqual(r.body, { accepted: 2, skipped: 0, interval: 60 });
});

test('host tokens: none, a user API token, an unknown or a revoked one → 401 and nothing stored; the revoke is audited', async () => {
  const m = await machineNow('tok-a');
  let r = await report(m.token, rep(1));
  assertStatus(r, 200, 'baseline');
  const before = await hostState(m.id);
  r = await report(null, rep(2));
  assertError(r, 401, 'unauthorized');
  const tok = await admin.post('/api/v1/tokens', { name: uniq('tok') });
  assertStatus(tok, 201, 'user token');
  r = await report(tok.body.token, rep(2));
  assert.ok([401, 403].includes(r.status), `a user token is no host token: ${r.status}`);
  r = await report(`cairnh_${'0'.repeat(64)}`, rep(2));
  assertError(r, 401, 'unauthorized');

  const rv = await admin.post(`/api/v1/hosts/${m.id}/agent/revoke`);
  assertStatus(rv, 200, 'revoke');
  assert.equal(rv.body.revoked, 1);
  r = await report(m.token, rep(2, { facts: { kernel: 'after-revoke' } }));
  assertError(r, 401, 'unauthorized');
  assert.deepEqual(await hostState(m.id), before, 'nothing stored with a revoked token');
  const audit = await admin.get(`/api/v1/audit?action=agent.revoke`);
  assert.ok(audit.body.items.some((x) => String(x.object_id) === String(m.id)));
});

test('the online dot: GET /api/v1/hosts carries last_seen_at, agent_interval and the server\'s now', async () => {
  const m = await machineNow('dot-a');
  const made = await admin.post('/api/v1/hosts', { hostname: uniq('dot-none'), ip: '10.0.0.9' });
  let r = await report(m.token, rep(1, { interval: 15 }));
  assertStatus(r, 200, 'report');
  const list = await admin.get('/api/v1/hosts?q=dot-&per_page=50');
  assertStatus(list, 200, 'list');
  assert.equal(typeof list.body.now, 'number');
  assert.ok(Math.abs(list.body.now - now()) < 120, 'now is the server clock');
  const a = list.body.items.find((x) => x.id === m.id);
  const none = list.body.items.find((x) => x.id === made.body.id);
  assert.equal(a.agent_interval, 15);
  assert.ok(a.last_seen_at <= list.body.now && a.last_seen_at >= list.body.now - 60, JSON.stringify(a));
  assert.ok(list.body.now - a.last_seen_at < 3 * a.agent_interval, 'online: seen within three intervals');
  assert.equal(none.last_seen_at, null, 'a host without an agent has no last report');
  // The dashboard counts it.
  const d = await admin.get('/api/v1/dashboard');
  assertStatus(d, 200, 'dashboard');
  assert.ok(d.body.hosts.up >= 1);
  assert.ok(d.body.hosts.unknown >= 1, 'never-seen hosts are unknown');
});

test('RRD archives: reports of the last 15 days read back at 1 min, 5 min and 1 h resolution, AVERAGE and MAX', async () => {
  const m = await machineNow('rrd-a');
  const t0 = now();
  const start = t0 - 15 * 86400;
  const all = [];
  // Every 170 s (inside the 180 s heartbeat), CPU user alternating 10 and 40.
  for (let t = start, seq = 1; t <= t0; t += 170, seq++) {
    all.push({ v: 1, time: t, seq, interval: 170,
      metrics: { cpu: { user: seq % 2 ? 10 : 40, idle: 50 }, filesystems: [{ mount: '/data', used: 100, free: 300 }] } });
  }
  for (let i = 0; i < all.length; i += 500) {
    const r = await report(m.token, { reports: all.slice(i, i + 500) });
    assertStatus(r, 200, 'batch');
    assert.equal(r.body.accepted, Math.min(500, all.length - i));
  }
  const series = await admin.get(`/api/v1/metrics/${m.id}/series`);
  assert.deepEqual(series.body.series.map((s) => s.key).sort(), ['fs:/data', 'host']);

  const read = async (from, to, cf = 'AVERAGE', seriesKeys = 'host') => {
    const r = await admin.get(`/api/v1/metrics?hosts=${m.id}&from=${from}&to=${to}&cf=${cf}&series=${encodeURIComponent(seriesKeys)}`);
    assertStatus(r, 200, 'metrics');
    const s = r.body.hosts[String(m.id)][0];
    const col = s.ds.indexOf('cpu_user');
    return { ...s, values: s.rows.map((row) => row[col === -1 ? 1 : col + 1]) };
  };
  // 1 hour → the 1-minute archive.
  let s = await read(t0 - 3600, t0);
  assert.equal(s.step, 60);
  assert.ok(s.rows.length >= 59 && s.rows.length <= 61, `${s.rows.length} rows`);
  assert.ok(s.rows.every((row, i) => i === 0 || row[0] - s.rows[i - 1][0] === 60), 'rows 60 s apart');
  let known = s.values.filter((v) => v !== null);
  assert.ok(known.length >= 55, `a value for nearly every minute: ${known.length}`);
  // A minute inside one 170 s sample is that sample; one across two is their time-weighted mean.
  assert.ok(known.every((v) => v >= 10 && v <= 40), `1-minute points: ${known}`);
  assert.ok(known.filter((v) => v === 10).length >= 15 && known.filter((v) => v === 40).length >= 15, `${known}`);
  // 60 hours → the 5-minute archive (720 points).
  s = await read(t0 - 60 * 3600, t0);
  assert.equal(s.step, 300);
  known = s.values.filter((v) => v !== null);
  assert.ok(known.length >= 715, `${known.length} 5-minute points`);
  assert.ok(known.every((v) => v >= 10 && v <= 40));
  assert.ok(known.some((v) => v > 10 && v < 40), '5-minute points are averages');
  let mx = await read(t0 - 60 * 3600, t0, 'MAX');
  assert.equal(mx.step, 300);
  assert.ok(mx.values.filter((v) => v !== null).every((v) => v === 40), 'every 5 minutes hold a peak of 40');
  // 7 days: the 5-minute archive, consolidated to at most 800 points for a chart.
  s = await read(t0 - 7 * 86400, t0);
  assert.ok(s.rows.length <= 800, `${s.rows.length} points`);
  assert.equal(s.step % 300, 0);
  assert.ok(s.step < 3600, 'not the hourly archive');
  known = s.values.filter((v) => v !== null);
  assert.ok(known.length >= s.rows.length - 5 && known.every((v) => v > 10 && v < 40), `${known.slice(0, 5)}`);
  mx = await read(t0 - 7 * 86400, t0, 'MAX');
  assert.ok(mx.values.filter((v) => v !== null).every((v) => v === 40), 'the peak survives consolidation');
  // 30 days → the 1-hour archive: nothing before the first report, about 25 % on average after.
  s = await read(t0 - 30 * 86400, t0);
  assert.equal(s.step, 3600);
  assert.ok(s.rows.length >= 719 && s.rows.length <= 721, `${s.rows.length} hourly rows`);
  const older = s.values.filter((v, i) => s.rows[i][0] < start - 3600);
  assert.ok(older.every((v) => v === null), 'no data before the first report');
  known = s.values.filter((v) => v !== null);
  assert.ok(known.length >= 14 * 24, `${known.length} hourly points`);
  assert.ok(known.every((v) => v > 20 && v < 30), `hourly averages near 25: ${known.slice(0, 5)}`);
  const hmax = await read(t0 - 30 * 86400, t0, 'MAX');
  assert.ok(hmax.values.filter((v) => v !== null).every((v) => v === 40), 'hourly MAX is the peak');
  // A filesystem series by its mount point.
  const fs1 = await read(t0 - 3600, t0, 'AVERAGE', 'fs:/data');
  assert.equal(fs1.key, 'fs:/data');
  assert.deepEqual(fs1.ds, ['used', 'free', 'inodes_used', 'inodes_free']);
  assert.ok(fs1.rows.some((row) => row[1] === 100 && row[2] === 300));
  // Bad questions.
  let r = await admin.get(`/api/v1/metrics?hosts=${m.id}&from=${t0}&to=${t0 - 10}`);
  assertError(r, 400, 'bad_request', 'from');
  r = await admin.get(`/api/v1/metrics?hosts=${m.id}&cf=MIN`);
  assertError(r, 400, 'bad_request', 'cf');
  r = await admin.get(`/api/v1/metrics?hosts=${m.id}&series=bogus:`);
  assertError(r, 400, 'bad_request', 'series');
  r = await admin.get('/api/v1/metrics?hosts=1;DROP');
  assertError(r, 400, 'bad_request', 'hosts');
  r = await admin.get('/api/v1/metrics/999999');
  assertError(r, 404, 'not_found');
});

test('a crash of cairnd loses no accepted sample: what was answered 200 but not yet in the RRD file is replayed from the journal', async () => {
  const m = await machineNow('crash-a');
  const t0 = Math.floor(now() / 60) * 60 - 30 * 60;
  const batch = (from, to) => ({ reports: Array.from({ length: to - from }, (_, k) => ({
    v: 1, time: t0 + 60 * (from + k), seq: from + k + 1, interval: 60,
    metrics: { cpu: { user: from + k + 1, idle: 50 }, filesystems: [{ mount: '/', used: 1, free: 3 }] },
  })) });
  const known = async () => {
    const r = await admin.get(`/api/v1/metrics?hosts=${m.id}&from=${t0 - 60}&to=${t0 + 60 * 20}&series=host`);
    assertStatus(r, 200, 'metrics');
    const s = r.body.hosts[String(m.id)][0];
    const col = s.ds.indexOf('cpu_user') + 1;
    return s.rows.map((row) => row[col]).filter((v) => v !== null);
  };
  let r = await report(m.token, batch(0, 10));
  assert.equal(r.body.accepted, 10);
  assert.equal((await known()).length, 10); // the read wrote them to the file
  // These ten are only queued (in memory and the journal): a file gets its
  // samples 32 at a time, before a read, or every --rrd-flush seconds.
  r = await report(m.token, batch(10, 20));
  assert.equal(r.body.accepted, 10);
  server.signal('SIGKILL');
  await server.restart();
  await server.waitForLog(/msg=tsdb_journal_replayed/);
  assert.deepEqual(await known(), Array.from({ length: 20 }, (_, k) => k + 1));
  // The agent goes on where it was.
  r = await report(m.token, batch(19, 20));
  assert.equal(r.body.skipped, 1, 'seq 20 was stored before the crash');
});

test('GET /agent/install.sh is a valid shell script for this server; GET /agent/cairn-agent is the agent binary', async () => {
  let r = await fetch(`${server.url}/agent/install.sh`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  const script = await r.text();
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.ok(script.includes(`server=${server.url};`), 'defaults to the server it came from');
  assert.match(script, /\/agent\/cairn-agent/);
  assert.match(script, /systemctl enable --now cairn-agent/);
  execFileSync('sh', ['-n'], { input: script }); // syntax check
  // A hostile Host header does not end up in the script.
  const raw = await rawRequest(server, 'GET /agent/install.sh HTTP/1.1\r\nHost: x;touch${IFS}/tmp/pwn`id`\r\nConnection: close\r\n\r\n');
  assert.equal(raw.status, 200);
  assert.ok(!raw.body.includes('touch'), 'the Host header is not copied into the script');

  r = await fetch(`${server.url}/agent/cairn-agent`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'application/octet-stream');
  const bin = Buffer.from(await r.arrayBuffer());
  const want = fs.readFileSync(path.join(ROOT, 'build/cairn-agent'));
  assert.equal(bin.length, want.length);
  assert.ok(bin.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), 'an ELF binary');
  assert.equal(crypto.createHash('sha256').update(bin).digest('hex'), crypto.createHash('sha256').update(want).digest('hex'));
  const head = await fetch(`${server.url}/agent/cairn-agent`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});
