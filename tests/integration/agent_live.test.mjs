// agent_live.test.mjs -- the real cairn-agent (build/asan/cairn-agent, so
// the agent is checked by ASan too) against a real cairnd, reporting this
// machine every second.
//
// The agent talks to cairnd through a small recording proxy in this file:
// every request passes through unchanged, and the proxy notes which report
// sequence numbers each request carried and what cairnd answered (or 502
// when cairnd is down). That is how "no report lost" is checked without
// timing: every seq the agent produced must end up in a 200 answer, and
// cairnd's own `accepted` counts must add up to exactly those reports.
//
// Checked: enrollment with the site token and the true facts of this
// machine (/proc, /etc/os-release, /etc/machine-id); reports arriving and
// the online-dot data; a hand-edited field surviving while the hostname
// (changed in a UTS namespace) updates, with fact history; cairnd stopped
// and restarted under a running agent (spool replayed, nothing lost); a
// revoked token (401, nothing stored; re-enrolling by deleting STATE/token
// keeps the host and replays the spool); metrics read back at 1 min, 5 min
// and 1 h resolution; the dashboard's up/down counts; a second enrollment
// of the same machine from a fresh state directory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer } from '../lib/harness.mjs';
import { recordingHandler } from '../lib/agentproxy.mjs';
import { adminClient } from '../lib/client.mjs';
import { VERSION, assertStatus, sleep, waitFor } from './common.mjs';

const AGENT = process.env.CAIRN_AGENT || path.join(ROOT, 'build/asan/cairn-agent');
const ENROLL = `live-enroll-${crypto.randomBytes(8).toString('hex')}`;
const SANITIZER = /(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:)/;
let server, admin, proxy, stateDir, agent, hostId;
const agents = [];            // every agent process started, for the final checks
let hostname = os.hostname(); // what the agent currently reports
const extraDirs = [];         // state directories to remove at the end
// A hostname of the agent's own (a UTS namespace) needs CAP_SYS_ADMIN.
const canRename = spawnSync('unshare', ['--uts', 'true']).status === 0;


// ---- the recording proxy ------------------------------------------------------

function startProxy(upstreamPort) {
  const log = [];
  const srv = http.createServer(recordingHandler(log, () => upstreamPort));
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${srv.address().port}`, log, close: () => new Promise((r) => srv.close(r)),
  })));
}

// Report requests in the proxy log from index `from`, with status `status`.
const reports = (from = 0, status) => proxy.log.slice(from).filter((e) => e.path === '/api/v1/agent/report' &&
  e.status !== 0 && (status === undefined || e.status === status));

// ---- the agent -------------------------------------------------------------------

// Start cairn-agent on stateDir; with `name`, in a UTS namespace of its own
// with that hostname (the machine's hostname is left alone).
function startAgent(dir = stateDir, name = null) {
  const args = ['--server', proxy.url, '--state-dir', dir, '--interval', '1', '--log-level', 'debug'];
  const env = { ...process.env, CAIRN_ENROLL_TOKEN: ENROLL, ASAN_OPTIONS: 'detect_leaks=1' };
  const child = name && canRename && name !== os.hostname()
    ? spawn('unshare', ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', name, AGENT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(AGENT, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const a = { child, out: '', exited: null };
  child.stdout.on('data', (d) => { a.out += d; });
  child.stderr.on('data', (d) => { a.out += d; });
  a.exited = new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig)));
  agents.push(a);
  return a;
}

async function stopAgent(a) {
  if (!a) return;
  if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
  const code = await a.exited;
  assert.equal(code, 0, `cairn-agent exited with ${code}:\n${a.out.slice(-3000)}`);
  assert.doesNotMatch(a.out, SANITIZER, a.out.slice(-3000));
}

async function getHost(id = hostId) {
  const r = await admin.get(`/api/v1/hosts/${id}`);
  assertStatus(r, 200, 'get host');
  return r.body;
}

async function hostCount() {
  return (await admin.get('/api/v1/hosts?per_page=10')).body.total;
}

before(async () => {
  server = await startServer({ env: { CAIRN_ENROLL_TOKEN: ENROLL } });
  admin = await adminClient(server);
  proxy = await startProxy(server.port);
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-agent-state-'));
  agent = startAgent();
});

after(async () => {
  for (const a of agents) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGTERM');
  await Promise.all(agents.map((a) => a.exited));
  await proxy?.close();
  await server?.stop();
  for (const d of [stateDir, ...extraDirs]) if (d) fs.rmSync(d, { recursive: true, force: true });
  for (const a of agents) assert.doesNotMatch(a.out, SANITIZER, a.out.slice(-3000));
});

test('the agent enrolls with the site token and the host appears with the true facts of this machine', async () => {
  const h = await waitFor('the enrolled host', async () => {
    const r = await admin.get(`/api/v1/hosts?q=${encodeURIComponent(hostname)}`);
    return r.body.items.find((x) => x.hostname === hostname && x.kernel);
  });
  hostId = h.id;
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  const memKb = Number(/^MemTotal:\s+(\d+) kB/m.exec(meminfo)[1]);
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))[1];
  const threads = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^processor\s*:/gm) || []).length;
  assert.equal(h.source, 'agent');
  assert.equal(h.kernel, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
  assert.equal(h.memory_mb, Math.floor(memKb / 1024));
  assert.equal(h.os, pretty);
  assert.equal(h.cpu_count, threads);
  assert.equal(h.ip, '127.0.0.1', 'the address the agent reaches cairnd from');
  assert.equal(h.agent_version, VERSION);
  const f = await admin.get(`/api/v1/hosts/${hostId}/facts`);
  assertStatus(f, 200, 'facts');
  assert.equal(f.body.facts.machine_id, fs.readFileSync('/etc/machine-id', 'utf8').trim());
  assert.equal(f.body.facts.hostname, hostname);
  assert.equal(f.body.facts.memory_bytes, memKb * 1024);
  const enroll = proxy.log.find((e) => e.path === '/api/v1/agent/enroll');
  assert.equal(enroll.status, 201);
  assert.equal(enroll.answer.host_id, hostId);
  const audit = await admin.get('/api/v1/audit?action=agent.enroll');
  assert.ok(audit.body.items.some((x) => String(x.object_id) === String(hostId)), 'enrollment is audited');
  assert.ok(!fs.readdirSync(stateDir).includes('token') || (fs.statSync(path.join(stateDir, 'token')).mode & 0o077) === 0,
    'the host token file is private');
});

test('reports arrive every interval: last_seen_at moves, the online-dot data is served, the dashboard counts the host up', async () => {
  const first = (await getHost()).last_seen_at;
  await waitFor('a newer report', async () => (await getHost()).last_seen_at > first);
  const list = await admin.get(`/api/v1/hosts?q=${encodeURIComponent(hostname)}`);
  const h = list.body.items.find((x) => x.id === hostId);
  assert.equal(h.agent_interval, 1);
  assert.equal(typeof list.body.now, 'number');
  assert.ok(list.body.now - h.last_seen_at <= 3 * h.agent_interval + 5, 'seen recently');
  const ok = reports(0, 200);
  assert.ok(ok.length >= 2);
  for (const e of ok) assert.equal(e.answer.accepted + e.answer.skipped, e.seqs.length, JSON.stringify(e));
  const d = await admin.get('/api/v1/dashboard');
  assertStatus(d, 200, 'dashboard');
  assert.equal(d.body.hosts.up, 1);
  assert.equal(d.body.hosts.down, 0);
  assert.ok(d.body.top.memory.some((x) => x.id === hostId && x.value > 0 && x.value < 100));
});

test('a hand-edited field survives the next facts while other facts keep updating, and the history shows the change', async (t) => {
  if (!canRename) {
    t.skip('unshare --uts is not allowed here (the changing fact is the hostname)');
    return;
  }
  const p = await admin.patch(`/api/v1/hosts/${hostId}`, { os: 'Hand-built OS 1.0' });
  assertStatus(p, 200, 'edit os');
  const old = hostname;
  await stopAgent(agent);
  hostname = `cairn-uts-${process.pid}`;
  agent = startAgent(stateDir, hostname); // a restarted agent sends its facts at once
  const h = await waitFor('the new hostname', async () => {
    const x = await getHost();
    return x.hostname === hostname && x;
  });
  assert.equal(h.os, 'Hand-built OS 1.0', 'the user value is kept');
  const f = await admin.get(`/api/v1/hosts/${hostId}/facts`);
  assert.equal(f.body.facts.hostname, hostname);
  assert.ok(f.body.facts.os.pretty !== 'Hand-built OS 1.0', 'the agent still reports the real OS');
  assert.ok(f.body.history.some((x) => x.field === 'hostname' && x.old_value === old && x.new_value === hostname),
    JSON.stringify(f.body.history));
  assert.ok(!f.body.history.some((x) => x.field === 'os' && x.new_value !== 'Hand-built OS 1.0' && x.ts > h.updated_at));
  assert.equal(await hostCount(), 1);
});

test('cairnd stopped and restarted while the agent runs: the gap is filled from the spool, no report is lost', async () => {
  const mark = proxy.log.length;
  await waitFor('a report after the mark', () => reports(mark, 200).length >= 1);
  const seenBefore = (await getHost()).last_seen_at;
  await server.stop();
  await waitFor('reports refused while cairnd is down', () => reports(mark, 502).length >= 2, 30000);
  const down = proxy.log.length;
  await server.restart();
  admin = await adminClient(server);
  // The spool goes first, in a batch, then new reports follow.
  await waitFor('a replayed batch', () => reports(down, 200).some((e) => e.seqs.length > 1), 90000);
  const batch = reports(down, 200).find((e) => e.seqs.length > 1);
  await waitFor('reports after the replay', () => reports(proxy.log.indexOf(batch) + 1, 200).length >= 2, 30000);

  const delivered = reports(mark, 200);
  const seqs = delivered.flatMap((e) => e.seqs);
  const unique = [...new Set(seqs)].sort((x, y) => x - y);
  for (let i = 1; i < unique.length; i++) assert.equal(unique[i], unique[i - 1] + 1, `seq ${unique[i - 1] + 1} never delivered`);
  for (const e of reports(mark, 502)) for (const s of e.seqs) assert.ok(unique.includes(s), `refused seq ${s} was replayed`);
  const accepted = delivered.reduce((n, e) => n + e.answer.accepted, 0);
  assert.equal(accepted, unique.length, 'cairnd stored each report exactly once');
  const ordered = delivered.flatMap((e) => e.seqs).filter((s, i, a) => a.indexOf(s) === i);
  assert.deepEqual(ordered, unique, 'delivered oldest first');
  assert.ok((await getHost()).last_seen_at > seenBefore);
});

test('a revoked host token: reports get 401 and nothing is stored; deleting STATE/token re-enrolls the same host and replays the spool', async () => {
  const hostsBefore = await hostCount();
  const mark = proxy.log.length;
  const rv = await admin.post(`/api/v1/hosts/${hostId}/agent/revoke`);
  assertStatus(rv, 200, 'revoke');
  await waitFor('a refused report', () => reports(mark, 401).length >= 1, 30000);
  const frozen = await getHost();
  const factsBefore = (await admin.get(`/api/v1/hosts/${hostId}/facts`)).body;
  await waitFor('another refused report', () => reports(mark, 401).length >= 2, 30000);
  assert.equal((await getHost()).last_seen_at, frozen.last_seen_at, 'nothing stored after the revoke');
  assert.deepEqual((await admin.get(`/api/v1/hosts/${hostId}/facts`)).body, factsBefore);
  const refused = reports(mark, 401).flatMap((e) => e.seqs);

  // The admin re-enrolls the agent by deleting its token (and restarting it).
  await stopAgent(agent);
  fs.rmSync(path.join(stateDir, 'token'));
  const again = proxy.log.length;
  agent = startAgent(stateDir, hostname);
  await waitFor('a new enrollment', () => proxy.log.slice(again).some((e) => e.path === '/api/v1/agent/enroll' && e.status === 201));
  const enr = proxy.log.slice(again).find((e) => e.path === '/api/v1/agent/enroll' && e.status === 201);
  assert.equal(enr.answer.host_id, hostId, 'the same machine is the same host');
  await waitFor('the spool replayed', () => {
    const got = new Set(reports(again, 200).flatMap((e) => e.seqs));
    return refused.every((s) => got.has(s));
  }, 60000);
  assert.equal(await hostCount(), hostsBefore);
  assert.ok((await getHost()).last_seen_at >= frozen.last_seen_at);
});

test('the dashboard counts a host whose agent stopped as down', async () => {
  await stopAgent(agent);
  const d = await waitFor('the host counted down', async () => {
    const r = await admin.get('/api/v1/dashboard');
    return r.body.hosts.down === 1 && r.body;
  }, 30000);
  assert.equal(d.hosts.up, 0);
  const list = await admin.get(`/api/v1/hosts?q=${encodeURIComponent(hostname)}`);
  const h = list.body.items.find((x) => x.id === hostId);
  assert.ok(list.body.now - h.last_seen_at > 3 * h.agent_interval, 'offline: not seen for three intervals');
  assert.ok(!d.top.cpu.some((x) => x.id === hostId), 'a down host is not in the top lists');
});

test('a second enrollment of the same machine from a fresh state directory does not duplicate the host', async () => {
  const hostsBefore = await hostCount();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-agent-state2-'));
  try {
    const mark = proxy.log.length;
    const second = startAgent(dir, hostname);
    await waitFor('the second agent reporting', () => reports(mark, 200).length >= 1);
    const enr = proxy.log.slice(mark).find((e) => e.path === '/api/v1/agent/enroll');
    assert.equal(enr.status, 201);
    assert.equal(enr.answer.host_id, hostId);
    assert.equal(enr.answer.created, false);
    assert.equal(await hostCount(), hostsBefore);
    // A fresh state directory counts from 1 again, and cairnd takes it (the
    // new token reset the host's sequence).
    assert.ok(reports(mark, 200)[0].seqs[0] <= 2, JSON.stringify(reports(mark, 200)[0]));
    assert.equal(reports(mark, 200)[0].answer.accepted, reports(mark, 200)[0].seqs.length);
    agent = second; // it keeps reporting for the metrics test, into the same host's series
  } finally {
    extraDirs.push(dir);
  }
});

// Last: the first complete minute of the 1-minute archive may be a minute
// or two after the first report; the tests above run in the meantime.
test('metrics read back through GET /api/v1/metrics at 1 min, 5 min and 1 h resolution', async () => {
  const series = await admin.get(`/api/v1/metrics/${hostId}/series`);
  assertStatus(series, 200, 'series');
  const keys = series.body.series.map((s) => s.key);
  assert.ok(keys.includes('host') && keys.includes('fs:/'), keys.join(' '));
  const f = (await admin.get(`/api/v1/hosts/${hostId}/facts`)).body.facts;
  for (const n of f.nics || []) assert.ok(keys.includes(`net:${n.name}`), `net:${n.name} in ${keys}`);
  const memTotal = f.memory_bytes;
  const read = async (range, cf = 'AVERAGE') => {
    const to = Math.floor(Date.now() / 1000);
    const r = await admin.get(`/api/v1/metrics?hosts=${hostId}&series=host,fs:/&from=${to - range}&to=${to}&cf=${cf}`);
    assertStatus(r, 200, 'metrics');
    return r.body.hosts[String(hostId)];
  };
  // The 1-minute archive: the first full minute after the agent started has
  // values. That can take up to a minute of wall time; the RRD files do not
  // depend on the database, so the PostgreSQL run does not wait for it again.
  const complete = (h) => h.rows.some((row) => row[h.ds.indexOf('mem_used') + 1] !== null);
  const host1 = server.backend === 'pg'
    ? (await read(3600))[0]
    : await waitFor('a complete minute in the 1-minute archive', async () => {
      const [h] = await read(3600);
      return complete(h) && h;
    }, 130000);
  assert.equal(host1.step, 60);
  assert.ok(host1.rows.length >= 59 && host1.rows.length <= 61);
  const mem = host1.ds.indexOf('mem_used') + 1, idle = host1.ds.indexOf('cpu_idle') + 1;
  for (const row of host1.rows.filter((x) => x[mem] !== null)) {
    assert.ok(row[mem] > 0 && row[mem] < memTotal, `memory used ${row[mem]} of ${memTotal}`);
    if (row[idle] !== null) assert.ok(row[idle] >= 0 && row[idle] <= 100);
  }
  const [, fs1] = await read(3600, 'MAX');
  assert.equal(fs1.key, 'fs:/');
  if (complete(host1)) assert.ok(fs1.rows.some((row) => row[1] !== null && row[1] > 0), 'the root filesystem has used bytes');
  // The 5-minute and 1-hour archives answer wider ranges.
  const [w60] = await read(60 * 3600);
  assert.equal(w60.step, 300);
  assert.ok(w60.rows.length >= 719 && w60.rows.length <= 721, `${w60.rows.length}`);
  const [w30] = await read(30 * 86400);
  assert.equal(w30.step, 3600);
  assert.ok(w30.rows.length >= 719 && w30.rows.length <= 721, `${w30.rows.length}`);
});
