// diskfull.test.mjs -- the server's disk fills up: every write is refused
// with 507 "disk_full" and a message saying what to do, nothing is half
// stored, reads go on, the agent keeps its reports in its spool, and when
// space is freed everything resumes with nothing lost.
//
// cairnd's data directory is a small tmpfs mounted for this test (so it
// needs root, as CI runs; elsewhere it is skipped with the reason), filled
// with a file to the last byte. On SQLite the database is in that directory,
// so host writes are refused too; on PostgreSQL the database has room, and
// only the metric journal (<data>/rrd/journal) is out of space.
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
import { assertError, assertStatus, uniq, sleep, waitFor } from './common.mjs';

const AGENT = process.env.CAIRN_AGENT || path.join(ROOT, 'build/asan/cairn-agent');
const ENROLL = `full-enroll-${crypto.randomBytes(8).toString('hex')}`;
const isRoot = process.getuid && process.getuid() === 0;
const SKIP = isRoot ? false : 'mounting a small tmpfs for the data directory needs root';
let mnt, server, admin, proxy, agent, stateDir;
const filler = () => path.join(mnt, 'filler');

// Fill the file system to the last byte (big writes, then small ones).
function fillDisk() {
  const fd = fs.openSync(filler(), 'a');
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const buf = Buffer.alloc(size, 0x55);
      for (;;) {
        try { fs.writeSync(fd, buf); } catch (e) {
          if (e.code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

before(async () => {
  if (SKIP) return;
  mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-full-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=40m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
  assert.equal(m.status, 0, `mount tmpfs: ${m.stderr}`);
  fs.mkdirSync(path.join(mnt, 'data'), { mode: 0o700 });
  server = await startServer({ dataDir: path.join(mnt, 'data'), env: { CAIRN_ENROLL_TOKEN: ENROLL } });
  admin = await adminClient(server);
  const log = [];
  const srv = http.createServer(recordingHandler(log, () => server.port));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  proxy = { url: `http://127.0.0.1:${srv.address().port}`, log, close: () => new Promise((r) => srv.close(r)) };
  stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-full-agent-'));
});

after(async () => {
  if (SKIP) return;
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
  }
  await proxy?.close();
  await server?.stop();
  spawnSync('umount', [mnt]);
  fs.rmSync(mnt, { recursive: true, force: true });
  fs.rmSync(stateDir, { recursive: true, force: true });
});

const reports = (from, status) => proxy.log.slice(from).filter((e) => e.path === '/api/v1/agent/report' &&
  e.status !== 0 && (status === undefined || e.status === status));

test('a full disk: writes answer 507 disk_full and change nothing, reads go on, the agent spools; freed, all resumes and no report is lost', { skip: SKIP }, async () => {
  const sqlite = server.backend === 'sqlite';
  const h = await admin.post('/api/v1/hosts', { hostname: uniq('full-before'), ip: '10.9.0.1', memo: 'before' });
  assertStatus(h, 201, 'a host before the disk fills');
  agent = spawn(AGENT, ['--server', proxy.url, '--state-dir', stateDir, '--interval', '1'],
    { env: { ...process.env, CAIRN_ENROLL_TOKEN: ENROLL, ASAN_OPTIONS: 'detect_leaks=1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let agentLog = '';
  agent.stdout.on('data', (d) => { agentLog += d; });
  agent.stderr.on('data', (d) => { agentLog += d; });
  await waitFor('reports stored', () => reports(0, 200).length >= 2);

  fillDisk();
  const mark = proxy.log.length;
  await waitFor('reports refused for lack of space', () => reports(mark, 507).length >= 3, 30000);
  for (const e of reports(mark, 507)) {
    assert.equal(e.answer.error.code, 'disk_full');
    assert.match(e.answer.error.message, /disk is full.*nothing was stored/);
  }
  assert.ok(fs.readdirSync(path.join(stateDir, 'spool')).length >= 1, 'the agent keeps the refused reports');

  // the console's writes: refused with the reason on SQLite, whose database is on the full disk
  const before = (await admin.get(`/api/v1/hosts/${h.body.id}`)).body;
  const create = await admin.post('/api/v1/hosts', { hostname: uniq('full-during'), ip: '10.9.0.2' });
  const edit = await admin.patch(`/api/v1/hosts/${h.body.id}`, { memo: 'during' });
  if (sqlite) {
    assertError(create, 507, 'disk_full');
    assertError(edit, 507, 'disk_full');
    assert.deepEqual((await admin.get(`/api/v1/hosts/${h.body.id}`)).body, before, 'nothing half-stored');
  } else {
    assertStatus(create, 201, 'PostgreSQL has room');
    assertStatus(edit, 200);
  }
  const list = await admin.get('/api/v1/hosts?per_page=200');
  assertStatus(list, 200, 'reads go on');
  assert.ok(list.body.items.some((x) => x.id === h.body.id));
  assert.match(server.logs(), /msg=disk_full/);

  fs.rmSync(filler());
  const freed = proxy.log.length;
  await waitFor('the spool replayed', () => reports(freed, 200).some((e) => e.seqs.length > 1), 60000);
  await waitFor('new reports after the replay', () => reports(freed, 200).length >= 3, 30000);
  const delivered = reports(0, 200);
  const unique = [...new Set(delivered.flatMap((e) => e.seqs))].sort((x, y) => x - y);
  for (let i = 1; i < unique.length; i++) assert.equal(unique[i], unique[i - 1] + 1, `seq ${unique[i - 1] + 1} never delivered`);
  for (const e of reports(0, 507)) for (const s of e.seqs) assert.ok(unique.includes(s), `refused seq ${s} was replayed`);
  const accepted = delivered.reduce((n, e) => n + e.answer.accepted, 0);
  assert.equal(accepted, unique.length, 'each report stored exactly once');
  assert.equal(fs.readdirSync(path.join(stateDir, 'spool')).length, 0, 'the spool is empty again');

  assertStatus(await admin.patch(`/api/v1/hosts/${h.body.id}`, { memo: 'after' }), 200, 'writes work again');
  await server.restart();
  admin = await adminClient(server);
  assert.equal((await admin.get(`/api/v1/hosts/${h.body.id}`)).body.memo, 'after', 'and survive a restart');
  assert.doesNotMatch(agentLog, /ERROR: AddressSanitizer|runtime error:/);
});
