// jobs_queue.test.mjs -- the durable job queue: jobs are rows in the
// database claimed under a lease, so a cairnd killed mid-run loses nothing
// that was queued, and several cairnd on one PostgreSQL database share the
// work without running anything twice.
//
// "Ran once" is checked by side effect: each job appends a line to its own
// file on this machine (through the loopback sshd), so a job that ran twice
// would leave two lines. The lease (30 s) is not waited for: cairnd is
// restarted with CAIRN_TEST_CLOCK_OFFSET, which moves its clock past the
// lease.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { startSshd } from '../lib/sshd.mjs';
import { wsConnect } from '../lib/ws.mjs';
import { assertStatus, uniq, sleep, waitFor } from './common.mjs';

let server, admin, sshd, work;
const hosts = [];

async function job(client, body) {
  const r = await client.post('/api/v1/jobs', body);
  assertStatus(r, 201, 'create job');
  return r.body.id;
}

async function get(client, id) {
  const r = await client.get(`/api/v1/jobs/${id}`);
  assertStatus(r, 200, 'get job');
  return r.body;
}

const finished = (j) => !['queued', 'running'].includes(j.status);
const lines = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

before(async () => {
  sshd = startSshd('cairn-queue-sshd-');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-queue-work-'));
  server = await startServer();
  admin = await adminClient(server);
  const cred = await admin.post('/api/v1/credentials', { name: uniq('key'), username: 'root', private_key: sshd.keyText });
  assertStatus(cred, 201, 'credential');
  for (let i = 1; i <= 6; i++) {
    const h = await admin.post('/api/v1/hosts', { hostname: `q-${i}`, ip: '127.0.0.1', ssh_port: sshd.port, credential_id: cred.body.id });
    assertStatus(h, 201, 'host');
    hosts.push(h.body.id);
  }
});

after(async () => {
  try {
    await server?.stop();
  } finally {
    sshd?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

test('cairnd killed while jobs run: queued jobs run once after the restart; the running ones become interrupted once their lease has passed', async () => {
  // Fill the four job slots with long jobs, then queue quick ones behind them.
  const marker = `sleep 26.${process.pid % 1000}9`;
  const long = [];
  for (let i = 0; i < 4; i++) long.push(await job(admin, { hosts: [hosts[i]], command: marker }));
  await waitFor('the long jobs running', async () => (await Promise.all(long.map((id) => get(admin, id)))).every((j) => j.status === 'running'));
  const quick = [];
  for (let i = 0; i < 3; i++) {
    const f = path.join(work, `kill-${i}`);
    quick.push({ f, id: await job(admin, { hosts: [hosts[4]], command: `echo ran >> ${f}` }) });
  }
  const cancelled = path.join(work, 'kill-cancelled');
  const cid = await job(admin, { hosts: [hosts[5]], command: `echo ran >> ${cancelled}` });
  assertStatus(await admin.post(`/api/v1/jobs/${cid}/cancel`), 202, 'cancel a queued job');
  for (const q of quick) assert.equal((await get(admin, q.id)).status, 'queued');
  assert.equal((await get(admin, cid)).status, 'cancelled');

  server.signal('SIGKILL');
  await server.stop();
  await server.restart();
  admin = await adminClient(server);

  // The queued jobs run, once each.
  for (const q of quick) {
    const j = await waitFor(`job ${q.id}`, async () => { const x = await get(admin, q.id); return finished(x) && x; });
    assert.equal(j.status, 'succeeded', JSON.stringify(j));
    assert.equal(j.results.length, 1);
  }
  for (const q of quick) assert.deepEqual(lines(q.f), ['ran'], `${q.f} written once`);
  assert.equal((await get(admin, cid)).status, 'cancelled');
  assert.deepEqual(lines(cancelled), [], 'a cancelled job never runs');
  // Within their lease the killed jobs are left alone (another cairnd could be running them) ...
  for (const id of long) assert.equal((await get(admin, id)).status, 'running');

  // ... and once the lease has passed they are interrupted, not run again.
  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '120' } });
  admin = await adminClient(server);
  for (const id of long) {
    const j = await waitFor(`job ${id} interrupted`, async () => { const x = await get(admin, id); return finished(x) && x; });
    assert.equal(j.status, 'interrupted', JSON.stringify(j));
    assert.ok(j.finished_at);
    for (const r of j.results) assert.equal(r.status, 'interrupted');
  }
  assert.match(server.logs(), /jobs_interrupted/);
  // An interrupted job can be run again (and this long one is cancelled at once).
  const rr = await admin.post(`/api/v1/jobs/${long[0]}/rerun`, { only_failed: true });
  assertStatus(rr, 201, 'rerun interrupted');
  assert.deepEqual(rr.body.hosts, [hosts[0]]);
  assertStatus(await admin.post(`/api/v1/jobs/${rr.body.id}/cancel`), 202, 'cancel the rerun');
  await waitFor('the rerun', async () => finished(await get(admin, rr.body.id)));
});

test('a graceful stop ends running jobs as interrupted and keeps queued ones for the next start', async () => {
  const marker = `sleep 25.${process.pid % 1000}3`;
  const long = [];
  for (let i = 0; i < 4; i++) long.push(await job(admin, { hosts: [hosts[i]], command: marker }));
  await waitFor('the long jobs running', async () => (await Promise.all(long.map((id) => get(admin, id)))).every((j) => j.status === 'running'));
  const f = path.join(work, 'graceful');
  const q = await job(admin, { hosts: [hosts[4]], command: `echo ran >> ${f}` });
  await server.stop(); // SIGTERM: clean exit, sanitizers checked
  await server.restart();
  admin = await adminClient(server);
  for (const id of long) {
    const j = await get(admin, id);
    assert.equal(j.status, 'interrupted', `stopped job ${id}: nobody cancelled it`);
    assert.equal(j.cancel_requested, 0);
    assert.ok(j.finished_at);
    for (const r of j.results) {
      assert.equal(r.status, 'interrupted');
      assert.match(r.error, /stopped/);
    }
  }
  const j = await waitFor('the queued job', async () => { const x = await get(admin, q); return finished(x) && x; });
  assert.equal(j.status, 'succeeded');
  assert.deepEqual(lines(f), ['ran']);
});

test('PostgreSQL: two cairnd on one database share the queue, never run a job twice, cancel and watch each other\'s jobs', async (t) => {
  if (server.backend !== 'pg') {
    t.skip('needs PostgreSQL (CAIRN_TEST_DB=pg)');
    return;
  }
  // The second instance shares the database and the secrets key (credentials
  // are sealed with it), not the data directory.
  const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-queue-b-'));
  fs.copyFileSync(path.join(server.dataDir, 'secret.key'), path.join(dir2, 'secret.key'));
  const server2 = await startServer({ dbUrl: server.dbUrl, dataDir: dir2 });
  try {
    const admin2 = await adminClient(server2);
    const mark1 = server.logs().length, mark2 = server2.logs().length;
    const jobs = [];
    for (let i = 0; i < 16; i++) {
      const f = path.join(work, `pg-${i}`);
      jobs.push({ f, id: await job(i % 2 ? admin2 : admin, { hosts: [hosts[i % hosts.length]], command: `echo ran >> ${f}` }) });
    }
    for (const q of jobs) {
      const j = await waitFor(`job ${q.id}`, async () => { const x = await get(admin, q.id); return finished(x) && x; });
      assert.equal(j.status, 'succeeded', JSON.stringify(j));
    }
    for (const q of jobs) assert.deepEqual(lines(q.f), ['ran'], `${path.basename(q.f)} ran exactly once`);
    const started = (logs) => [...logs.matchAll(/job_started job=(\d+)/g)].map((m) => Number(m[1]));
    const on1 = started(server.logs().slice(mark1)), on2 = started(server2.logs().slice(mark2));
    assert.deepEqual([...on1, ...on2].sort((a, b) => a - b), jobs.map((q) => q.id).sort((a, b) => a - b),
      'every job started on exactly one instance');
    assert.ok(on1.length > 0 && on2.length > 0, `both instances took work (${on1.length} / ${on2.length})`);

    // Cancel through the instance that is not running the job.
    const marker = `sleep 24.${process.pid % 1000}1`;
    const lid = await job(admin, { hosts: [hosts[0]], command: marker });
    await waitFor('the long job running', async () => (await get(admin, lid)).status === 'running');
    const runner1 = started(server.logs().slice(mark1)).includes(lid);
    // Watch it from both instances: each watcher ends with the final event.
    const w1 = await wsConnect(`${server.url}/api/v1/jobs/${lid}/stream`, { headers: { Cookie: admin.cookie } });
    const w2 = await wsConnect(`${server2.url}/api/v1/jobs/${lid}/stream`, { headers: { Cookie: admin2.cookie } });
    assertStatus(await (runner1 ? admin2 : admin).post(`/api/v1/jobs/${lid}/cancel`), 202, 'cancel from the other instance');
    const j = await waitFor('the cancelled job', async () => { const x = await get(admin, lid); return finished(x) && x; }, 30000);
    assert.equal(j.status, 'cancelled');
    for (const w of [w1, w2]) {
      const msgs = (await w.drain(30000)).map((m) => JSON.parse(m));
      assert.equal(msgs[0].type, 'snapshot');
      const last = msgs[msgs.length - 1];
      assert.equal(last.type, 'job', JSON.stringify(msgs.slice(-3)));
      assert.equal(last.status, 'cancelled');
    }
  } finally {
    await server2.stop();
    fs.rmSync(dir2, { recursive: true, force: true });
  }
});
