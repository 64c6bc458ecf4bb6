// jobs_ssh.test.mjs -- jobs over SSH end to end: a real cairnd runs commands,
// scripts and file copies on a throwaway root sshd on loopback
// (scripts/sshd-test.sh through tests/lib/sshd.mjs), with hosts and
// credentials registered through the API (a key credential for root, a
// password credential for the sshd's password user, whose password has a
// space and quotes).
//
// Checked: one command on 50 hosts (50 host records on the same sshd);
// per-host failures each reported clearly (wrong password, closed port, no
// credential, non-zero exit, timeout that ends the remote command, host
// key changed → accepted by an admin → works again); cancelling a running
// job; script arguments with spaces, quotes and $(…) arriving literally;
// file distribution verified by checksum; rerunning the failed hosts only;
// live output over the WebSocket (tests/lib/ws.mjs) in order and complete,
// for a fast and for a slow reader, including multi-byte text; the audit
// log; permissions (tasks:execute, host-group scope).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { startSshd } from '../lib/sshd.mjs';
import { wsConnect } from '../lib/ws.mjs';
import { assertError, assertStatus, auditRows, loginAs, makeRole, makeUser, uniq, sleep } from './common.mjs';

let server, admin, sshd, work;
const H = {};      // host name -> id
const C = {};      // credential name -> id
const fleet = [];  // the 50 host ids


async function mk(res, body) {
  const r = await admin.post(`/api/v1/${res}`, body);
  assertStatus(r, 201, `create ${res} ${JSON.stringify(body).slice(0, 80)}`);
  return r.body.id;
}

async function waitJob(id, client = admin, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await client.get(`/api/v1/jobs/${id}`);
    assertStatus(g, 200, 'get job');
    if (!['queued', 'running'].includes(g.body.status)) {
      g.body.by = Object.fromEntries(g.body.results.map((x) => [x.hostname, x]));
      return g.body;
    }
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(g.body).slice(0, 2000)}`);
    await sleep(150);
  }
}

async function runJob(body, client = admin) {
  const r = await client.post('/api/v1/jobs', body);
  assertStatus(r, 201, `create job ${JSON.stringify(body).slice(0, 100)}`);
  return waitJob(r.body.id, client);
}

// Processes on this machine whose command line contains `needle`.
function procs(needle) {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo'));
}

// Every process below pid (children, grandchildren …), from /proc.
function descendants(pid) {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  const out = [];
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of parent) if ((pp === pid || out.includes(pp)) && !out.includes(p)) { out.push(p); grew = true; }
  }
  return out;
}

async function waitNoProcs(needle) {
  const deadline = Date.now() + 20000;
  while (procs(needle).length) {
    if (Date.now() > deadline) throw new Error(`still running:\n${procs(needle).join('\n')}`);
    await sleep(100);
  }
}

before(async () => {
  sshd = startSshd('cairn-jobs-sshd-');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-jobs-work-'));
  fs.chmodSync(work, 0o755);
  server = await startServer();
  admin = await adminClient(server);
  C.key = await mk('credentials', { name: uniq('root-key'), username: 'root', private_key: sshd.keyText });
  C.pw = await mk('credentials', { name: uniq('pw'), username: sshd.passwordUser, password: sshd.password });
  C.badpw = await mk('credentials', { name: uniq('badpw'), username: sshd.passwordUser, password: `${sshd.password}-wrong` });
  const base = { ip: '127.0.0.1', ssh_port: sshd.port };
  for (let i = 1; i <= 50; i++) fleet.push(await mk('hosts', { hostname: `fleet-${String(i).padStart(2, '0')}`, ...base, credential_id: C.key }));
  H.pw = await mk('hosts', { hostname: 'pw-host', ...base, credential_id: C.pw });
  H.badpw = await mk('hosts', { hostname: 'badpw-host', ...base, credential_id: C.badpw });
  H.closed = await mk('hosts', { hostname: 'closed-host', ip: '127.0.0.1', ssh_port: await freePort(), credential_id: C.key });
  H.nocred = await mk('hosts', { hostname: 'nocred-host', ...base });
  H.root = fleet[0];
});

after(async () => {
  try {
    await server?.stop();
  } finally {
    sshd?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

test('one command on 50 hosts: 50 ok results, each with its output', async () => {
  const job = await runJob({ hosts: fleet, command: 'echo "hello $((6*7))"; id -un' });
  assert.equal(job.kind, 'command');
  assert.equal(job.status, 'succeeded');
  assert.equal(job.host_count, 50);
  assert.equal(job.ok_count, 50);
  assert.equal(job.results.length, 50);
  for (const r of job.results) {
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.equal(r.exit_code, 0);
    assert.equal(r.stdout, 'hello 42\nroot\n');
    assert.equal(r.error, '');
    assert.ok(r.started_at && r.finished_at >= r.started_at);
  }
  assert.deepEqual(job.results.map((r) => r.hostname), [...job.results.map((r) => r.hostname)].sort());
});

test('per-host failures are reported clearly: wrong password, closed port, no credential, a failing command', async () => {
  const job = await runJob({ hosts: [H.pw, H.badpw, H.closed, H.nocred], command: 'id -un; echo oops >&2; exit 3' });
  assert.equal(job.status, 'failed');
  const pw = job.by['pw-host'];
  assert.equal(pw.status, 'failed', 'the command ran and failed');
  assert.equal(pw.exit_code, 3);
  assert.equal(pw.stdout, `${sshd.passwordUser}\n`, 'password login works (password with space and quotes)');
  assert.equal(pw.stderr, 'oops\n');
  const bad = job.by['badpw-host'];
  assert.equal(bad.status, 'unreachable');
  assert.match(bad.error, /authentication/i);
  assert.doesNotMatch(bad.error, new RegExp(sshd.password.replace(/[^A-Za-z0-9]/g, '.')), 'no password in the error');
  const closed = job.by['closed-host'];
  assert.equal(closed.status, 'unreachable');
  assert.match(closed.error, /connect|refused/i);
  const none = job.by['nocred-host'];
  assert.equal(none.status, 'unreachable');
  assert.match(none.error, /credential/i);
  assert.equal(job.ok_count, 0);
  assert.equal(job.unreachable_count, 3);
  assert.equal(job.failed_count, 1);
});

test('a command past its time limit is ended on the host and reported as timeout', async () => {
  const marker = `sleep 30.${process.pid % 1000}1`;
  const job = await runJob({ hosts: [H.root], command: `echo started; ${marker}; echo never`, timeout: 2 });
  const r = job.results[0];
  assert.equal(r.status, 'timeout', JSON.stringify(r));
  assert.equal(job.status, 'failed');
  assert.match(r.stdout, /started/);
  assert.doesNotMatch(r.stdout, /never/);
  await waitNoProcs(marker); // the remote command does not linger
});

test('cancel: a running job stops on every host, its results say cancelled; a finished job cannot be cancelled', async () => {
  const marker = `sleep 29.${process.pid % 1000}7`;
  const r = await admin.post('/api/v1/jobs', { hosts: fleet.slice(0, 3), command: `echo begun; ${marker}; echo finished` });
  assertStatus(r, 201, 'job');
  const id = r.body.id;
  for (let deadline = Date.now() + 30000; ;) {
    const g = await admin.get(`/api/v1/jobs/${id}`);
    if (g.body.results.every((x) => x.status === 'running') && procs(marker).length >= 3) break;
    if (Date.now() > deadline) throw new Error(`job did not start: ${g.text}`);
    await sleep(100);
  }
  const c = await admin.post(`/api/v1/jobs/${id}/cancel`);
  assertStatus(c, 202, 'cancel');
  const job = await waitJob(id);
  assert.equal(job.status, 'cancelled');
  assert.equal(job.cancel_requested, 1);
  for (const x of job.results) {
    assert.equal(x.status, 'cancelled', JSON.stringify(x));
    assert.doesNotMatch(x.stdout, /finished/);
  }
  await waitNoProcs(marker);
  assertError(await admin.post(`/api/v1/jobs/${id}/cancel`), 409, 'conflict');
  assertError(await admin.post('/api/v1/jobs/999999/cancel'), 404, 'not_found');
});

test('a library script gets its arguments literally: spaces, quotes, $(…), backticks, globs, semicolons', async () => {
  const canary = path.join(work, 'pwned');
  const lib = await admin.post('/api/v1/library', {
    kind: 'script', name: uniq('args'), interpreter: 'sh', message: 'first',
    content: '#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\necho "count=$#"\n',
  });
  assertStatus(lib, 201, 'library script');
  const args = ['a b', `it's "quoted"`, `$(touch ${canary})`, `\`touch ${canary}\``, '; touch ' + canary, '*', '', 'tab\there', '中文 参数'];
  const job = await runJob({ hosts: [H.root, H.pw], script_id: lib.body.id, args });
  assert.equal(job.kind, 'script');
  assert.equal(job.status, 'succeeded', JSON.stringify(job.results));
  const want = args.map((a) => `[${a}]\n`).join('') + `count=${args.length}\n`;
  for (const r of job.results) assert.equal(r.stdout, want, r.hostname);
  assert.ok(!fs.existsSync(canary), 'nothing in the arguments was run');
  assert.equal(job.spec.version, 1, 'the job pins the script version');

  // A python3 script, and a new version of the script is what new jobs run.
  const up = await admin.put(`/api/v1/library/${lib.body.id}`, { content: 'echo "v2 $1"\n', message: 'second' });
  assertStatus(up, 200, 'new version');
  const v2 = await runJob({ hosts: [H.root], script_id: lib.body.id, args: ['x y'] });
  assert.equal(v2.results[0].stdout, 'v2 x y\n');
  assert.equal(v2.spec.version, 2);
  const py = await admin.post('/api/v1/library', { kind: 'script', name: uniq('py'), interpreter: 'python3', content: 'import sys\nprint(sys.argv[1:])\n' });
  const pj = await runJob({ hosts: [H.root], script_id: py.body.id, args: ['$HOME', "'"] });
  assert.equal(pj.results[0].stdout, "['$HOME', \"'\"]\n");
  assertError(await admin.post('/api/v1/jobs', { hosts: [H.root], script_id: 999999 }), 404, 'not_found', 'script_id');
  assertError(await admin.post('/api/v1/jobs', { hosts: [H.root], script_id: lib.body.id, args: [1] }), 400, 'bad_request', 'args');
});

test('file distribution: written with its mode, verified by SHA-256 on each host; bad requests refused', async () => {
  const content = Buffer.concat([crypto.randomBytes(100000), Buffer.from('\n中文 end\n')]);
  const sha = crypto.createHash('sha256').update(content).digest('hex');
  const dest = path.join(work, 'dist', 'payload.bin');
  fs.mkdirSync(path.dirname(dest), { mode: 0o755 });
  const job = await runJob({ hosts: [H.root, H.pw], file: { content_base64: content.toString('base64'), path: dest, mode: '0640' } });
  assert.equal(job.kind, 'file');
  assert.equal(job.spec.file.sha256, sha);
  assert.equal(job.spec.file.size, content.length);
  assert.equal(job.spec.file.content_base64, undefined, 'the content is not served back');
  const root = job.by[fleet.length ? 'fleet-01' : ''];
  assert.equal(root.status, 'ok', JSON.stringify(root));
  assert.match(root.stdout, new RegExp(`sha256 ${sha} verified`));
  assert.ok(fs.readFileSync(dest).equals(content), 'the bytes arrived');
  assert.equal(fs.statSync(dest).mode & 0o777, 0o640);
  // The password user may not write into root's directory: a clear failure, not a partial file.
  const pw = job.by['pw-host'];
  assert.notEqual(pw.status, 'ok');
  assert.ok(pw.error.length > 5, JSON.stringify(pw));
  assert.equal(job.status, 'failed');

  for (const [file, field] of [
    [{ content_base64: 'not base64!!', path: dest }, 'file'],
    [{ content_base64: 'aGk=', path: 'relative/path' }, 'file'],
    [{ content_base64: 'aGk=', path: '/tmp/../etc/passwd' }, 'file'],
    [{ content_base64: 'aGk=', path: dest, mode: '999' }, 'file'],
    [{ path: dest }, 'file'],
  ]) assertError(await admin.post('/api/v1/jobs', { hosts: [H.root], file }), 400, 'bad_request', field);
});

test('rerun: only the failed hosts by default, every host on request; nothing to rerun is a conflict', async () => {
  const job = await runJob({ hosts: [fleet[1], fleet[2], H.badpw], command: 'echo rerun-me' });
  assert.equal(job.status, 'failed');
  let r = await admin.post(`/api/v1/jobs/${job.id}/rerun`, { only_failed: true });
  assertStatus(r, 201, 'rerun failed');
  assert.deepEqual(r.body.hosts, [H.badpw]);
  const again = await waitJob(r.body.id);
  assert.equal(again.rerun_of, job.id);
  assert.equal(again.spec.command, 'echo rerun-me');
  assert.deepEqual(again.results.map((x) => x.hostname), ['badpw-host']);
  r = await admin.post(`/api/v1/jobs/${job.id}/rerun`, { only_failed: false });
  assertStatus(r, 201, 'rerun all');
  assert.deepEqual([...r.body.hosts].sort((a, b) => a - b), [fleet[1], fleet[2], H.badpw].sort((a, b) => a - b));
  await waitJob(r.body.id);
  const ok = await runJob({ hosts: [fleet[3]], command: 'true' });
  assertError(await admin.post(`/api/v1/jobs/${ok.id}/rerun`), 409, 'conflict');
  assertError(await admin.post(`/api/v1/jobs/${job.id}/rerun`, { only_failed: 'yes' }), 400, 'bad_request', 'only_failed');
  const list = await admin.get(`/api/v1/jobs?per_page=50`);
  assert.ok(list.body.items.some((x) => x.rerun_of === job.id));
});

// Collect a job's stream: every message, parsed, until the server closes.
async function collect(ws, { slow = false } = {}) {
  const msgs = [];
  for (let m; (m = await ws.next(120000)) !== null;) {
    msgs.push(JSON.parse(m));
    if (slow && msgs.length % 50 === 0) { ws.pause(); await sleep(20); ws.resume(); }
  }
  return msgs;
}

function checkStream(msgs, job) {
  assert.equal(msgs[0].type, 'snapshot');
  assert.equal(msgs[0].job.id, job.id);
  const last = msgs[msgs.length - 1];
  assert.equal(last.type, 'job', 'the final job event ends the stream');
  assert.equal(last.status, job.status);
  const byHost = {};
  for (const m of msgs.slice(1)) {
    if (m.type === 'output') byHost[m.host_id] = (byHost[m.host_id] || '') + m.data;
  }
  for (const r of job.results) {
    const done = msgs.findIndex((m) => m.type === 'host' && m.host_id === r.host_id && m.status === r.status);
    assert.ok(done > 0, `a final host event for ${r.hostname}`);
    assert.ok(msgs.slice(done + 1).every((m) => !(m.type === 'output' && m.host_id === r.host_id)), 'no output after the host ended');
  }
  return byHost;
}

test('live output over the WebSocket arrives complete and in order, with the final job event, for a fast reader', async () => {
  const r = await admin.post('/api/v1/jobs', { hosts: [fleet[4], fleet[5]], command: 'i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done; echo "err line" >&2' });
  assertStatus(r, 201, 'job');
  const ws = await wsConnect(`${server.url}/api/v1/jobs/${r.body.id}/stream`, { headers: { Cookie: admin.cookie } });
  const msgs = await collect(ws);
  assert.equal(ws.closeCode, 1000);
  const job = await waitJob(r.body.id);
  const byHost = checkStream(msgs, job);
  const want = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');
  for (const h of [fleet[4], fleet[5]]) {
    // Output that arrived before the watcher did is in the snapshot's results, the rest in events.
    const snap = msgs[0].job.results.find((x) => x.host_id === h).stdout;
    assert.equal(snap + (byHost[h] || '').replace('err line\n', ''), want);
  }
  assert.ok(msgs.some((m) => m.type === 'output' && m.stream === 'stderr' && m.data === 'err line\n'));
  // A finished job: the snapshot, then the server closes.
  const ws2 = await wsConnect(`${server.url}/api/v1/jobs/${r.body.id}/stream`, { headers: { Cookie: admin.cookie } });
  const again = await ws2.drain();
  assert.equal(again.length, 1);
  assert.equal(JSON.parse(again[0]).job.status, 'succeeded');
});

test('a slow reader loses nothing: megabytes of output (multi-byte text included) while the reader is paused, then read slowly', async () => {
  // Four hosts, each about 0.9 MB on stdout and on stderr (under the 1 MiB
  // kept per stream); queued behind a short sleep so both watchers are
  // connected before any output.
  const hosts = fleet.slice(12, 16);
  const r = await admin.post('/api/v1/jobs', { hosts,
    command: 'sleep 1; seq 1 150000; yes "中文输出 αβγ" | head -n 45000 >&2' });
  assertStatus(r, 201, 'job');
  const ws = await wsConnect(`${server.url}/api/v1/jobs/${r.body.id}/stream`, { headers: { Cookie: admin.cookie } });
  const fast = await wsConnect(`${server.url}/api/v1/jobs/${r.body.id}/stream`, { headers: { Cookie: admin.cookie } });
  const fastMsgs = collect(fast);
  ws.pause();
  const job = await waitJob(r.body.id); // the job does not wait for its slowest watcher
  assert.equal(job.status, 'succeeded');
  ws.resume();
  const msgs = await collect(ws, { slow: true });
  const out = Array.from({ length: 150000 }, (_, i) => `${i + 1}\n`).join('');
  const err = '中文输出 αβγ\n'.repeat(45000);
  for (const m of [msgs, await fastMsgs]) {
    checkStream(m, job);
    for (const h of hosts) {
      const snap = m[0].job.results.find((x) => x.host_id === h);
      const text = (stream) => snap[stream] + m.filter((e) => e.type === 'output' && e.host_id === h && e.stream === stream).map((e) => e.data).join('');
      const got = text('stdout');
      assert.equal(got.length, out.length, 'every character arrived');
      assert.ok(got === out, 'in order');
      assert.ok(text('stderr') === err, 'multi-byte characters split across SSH packets arrive intact');
      const done = m.find((e) => e.type === 'host' && e.host_id === h && e.status === 'ok');
      assert.equal(done.truncated, undefined, 'nothing was cut');
    }
  }
  for (const x of job.results) {
    assert.equal(x.stdout, out);
    assert.equal(x.stderr, err);
  }
});

test('output past the 1 MiB kept per stream: the results and the live host event say it was truncated', async () => {
  const r = await admin.post('/api/v1/jobs', { hosts: [fleet[16]], command: 'sleep 1; seq 1 400000' });
  assertStatus(r, 201, 'job');
  const ws = await wsConnect(`${server.url}/api/v1/jobs/${r.body.id}/stream`, { headers: { Cookie: admin.cookie } });
  const msgs = await collect(ws);
  const job = await waitJob(r.body.id);
  const x = job.results[0];
  assert.equal(x.status, 'ok');
  assert.equal(x.truncated, 1);
  assert.equal(Buffer.byteLength(x.stdout), 1 << 20);
  assert.ok(Array.from({ length: 400000 }, (_, i) => `${i + 1}\n`).join('').startsWith(x.stdout));
  const done = msgs.find((m) => m.type === 'host' && m.status === 'ok');
  assert.equal(done.truncated, true, 'the watcher is told the output was cut');
  const streamed = msgs[0].job.results[0].stdout + msgs.filter((m) => m.type === 'output').map((m) => m.data).join('');
  assert.equal(streamed, x.stdout, 'the stream carried what was kept');
});

test('the stream endpoint: login and tasks:view needed, unknown job 404, cross-origin refused, plain HTTP refused', async () => {
  const job = await runJob({ hosts: [fleet[7]], command: 'true' });
  const url = `${server.url}/api/v1/jobs/${job.id}/stream`;
  await assert.rejects(wsConnect(url), (e) => e.status === 401);
  await assert.rejects(wsConnect(`${server.url}/api/v1/jobs/999999/stream`, { headers: { Cookie: admin.cookie } }), (e) => e.status === 404);
  await assert.rejects(wsConnect(url, { headers: { Cookie: admin.cookie, Origin: 'http://evil.example' } }), (e) => e.status === 403);
  const viewer = await loginAs(server, await makeUser(admin, { role_id: await makeRole(admin, ['assets:view']) }));
  await assert.rejects(wsConnect(url, { headers: { Cookie: viewer.cookie } }), (e) => e.status === 403);
  const plain = await admin.get(`/api/v1/jobs/${job.id}/stream`);
  assertError(plain, 400, 'bad_request');
  // Messages from the watcher are ignored, and one too large ends the session.
  const slow = await admin.post('/api/v1/jobs', { hosts: [fleet[7]], command: 'sleep 2' });
  const big = await wsConnect(`${server.url}/api/v1/jobs/${slow.body.id}/stream`, { headers: { Cookie: admin.cookie } });
  big.send('hello');
  big.send('x'.repeat(4 << 20));
  const seen = await big.drain(30000);
  assert.equal(JSON.parse(seen[0]).type, 'snapshot');
  assert.equal(big.closeCode, 1009, 'message too big');
  await waitJob(slow.body.id);
  const ok = await wsConnect(url, { headers: { Cookie: admin.cookie, Origin: server.url } });
  assert.match(ok.headers.connection || '', /upgrade/i, 'browsers need Connection: Upgrade on the 101');
  assert.equal((await ok.drain()).length, 1);
});

test('the audit log records every job with its command, file checksum (not content), cancel and rerun', async () => {
  const rows = await auditRows(admin, { action: 'job.create' });
  const cmd = rows.find((x) => JSON.stringify(x.detail).includes('echo \\"hello $((6*7))\\"') || JSON.stringify(x.detail).includes('hello $((6*7))'));
  assert.ok(cmd, 'the 50-host job is audited with its command');
  assert.equal(cmd.username, 'admin');
  assert.equal(cmd.object_type, 'job');
  const detail = typeof cmd.detail === 'string' ? JSON.parse(cmd.detail) : cmd.detail;
  assert.equal(detail.hosts.length, 50);
  const file = rows.find((x) => JSON.stringify(x.detail).includes('sha256'));
  assert.ok(file, 'the file job is audited');
  assert.ok(!JSON.stringify(file.detail).includes('content_base64'), 'without the file itself');
  const jobs = await admin.get('/api/v1/jobs?per_page=200');
  const created = jobs.body.items.filter((j) => j.rerun_of === null).length;
  assert.ok(rows.length >= created, `${rows.length} audit rows for ${created} jobs`);
  assert.ok((await auditRows(admin, { action: 'job.cancel' })).length >= 1);
  assert.ok((await auditRows(admin, { action: 'job.rerun' })).length >= 1);
});

test('permissions: tasks:execute to run; a role scoped to one host group cannot target, see or cancel other hosts', async () => {
  const group = await mk('groups', { name: uniq('scope'), host_ids: [fleet[10]] });
  const viewer = await loginAs(server, await makeUser(admin, { role_id: await makeRole(admin, ['tasks:view', 'assets:view']) }));
  assertError(await viewer.post('/api/v1/jobs', { hosts: [fleet[10]], command: 'true' }), 403, 'forbidden');
  const nobody = await loginAs(server, await makeUser(admin, { role_id: await makeRole(admin, ['assets:view']) }));
  assertError(await nobody.get('/api/v1/jobs'), 403, 'forbidden');

  const scoped = await loginAs(server, await makeUser(admin, {
    role_id: await makeRole(admin, ['tasks:execute', 'assets:view'], { group_ids: [group] }),
  }));
  assertError(await scoped.post('/api/v1/jobs', { hosts: [fleet[11]], command: 'true' }), 404, 'not_found', 'hosts');
  assertError(await scoped.post('/api/v1/jobs', { hosts: [fleet[10], fleet[11]], command: 'true' }), 404, 'not_found', 'hosts');
  const own = await runJob({ hosts: [fleet[10]], command: 'echo mine' }, scoped);
  assert.equal(own.results[0].stdout, 'mine\n');
  const viaGroup = await runJob({ groups: [group], command: 'echo group' }, scoped);
  assert.deepEqual(viaGroup.results.map((x) => x.host_id), [fleet[10]]);

  // A job of the admin on an in-scope and an out-of-scope host: the scoped
  // user sees only its host's result, and cannot cancel the whole job.
  const marker = `sleep 28.${process.pid % 1000}3`;
  const mixed = await admin.post('/api/v1/jobs', { hosts: [fleet[10], fleet[11]], command: marker });
  assertStatus(mixed, 201, 'mixed job');
  const seen = await scoped.get(`/api/v1/jobs/${mixed.body.id}`);
  assertStatus(seen, 200, 'scoped view');
  assert.deepEqual(seen.body.results.map((x) => x.host_id), [fleet[10]]);
  assertError(await scoped.post(`/api/v1/jobs/${mixed.body.id}/cancel`), 404, 'not_found');
  // An admin job only on hosts outside the scope is not there for the scoped user.
  const other = await runJob({ hosts: [fleet[11]], command: 'echo secret-command' });
  assertError(await scoped.get(`/api/v1/jobs/${other.id}`), 404, 'not_found');
  assertError(await scoped.post(`/api/v1/jobs/${other.id}/rerun`, { only_failed: false }), 404, 'not_found');
  const list = await scoped.get('/api/v1/jobs?per_page=200');
  assert.ok(!list.body.items.some((x) => x.id === other.id), 'not in the scoped list');
  assert.ok(list.body.items.some((x) => x.id === own.id));
  assertStatus(await admin.post(`/api/v1/jobs/${mixed.body.id}/cancel`), 202, 'admin cancels');
  await waitJob(mixed.body.id);
  await waitNoProcs(marker);
});

test('host key changed: refused with a clear error; after an admin accepts the new key the host works again', async () => {
  const s2 = startSshd('cairn-jobs-rekey-');
  try {
    const h = await mk('hosts', { hostname: uniq('rekey'), ip: '127.0.0.1', ssh_port: s2.port, credential_id: C.key });
    // The same client key is authorised on the second server too.
    fs.copyFileSync(sshd.key + '.pub', path.join(s2.dir, 'authorized_keys'));
    let job = await runJob({ hosts: [h], command: 'echo first' });
    assert.equal(job.results[0].status, 'ok', JSON.stringify(job.results[0]));
    const oldFp = s2.fingerprint;
    // A reinstalled host: the old server and every session it served are
    // gone (cairnd keeps idle sessions for reuse), then a new key answers.
    const sessions = descendants(Number(fs.readFileSync(path.join(s2.dir, 'sshd.pid'), 'utf8')));
    s2.rekey();
    for (const pid of sessions) { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }
    assert.notEqual(s2.fingerprint, oldFp);
    job = await runJob({ hosts: [h], command: 'echo second' });
    const r = job.results[0];
    assert.equal(r.status, 'unreachable');
    assert.match(r.error, /host key changed/i);
    assert.ok(r.error.includes(s2.fingerprint), 'the error shows the new fingerprint');
    assert.equal(r.stdout, '', 'nothing ran');
    // Only an assets:admin may accept; nothing waiting → 409.
    const editor = await loginAs(server, await makeUser(admin, { role_id: await makeRole(admin, ['assets:edit']) }));
    assertError(await editor.post(`/api/v1/hosts/${h}/host-key/accept`), 403, 'forbidden');
    assertStatus(await admin.post(`/api/v1/hosts/${h}/host-key/accept`), 200, 'accept');
    assertError(await admin.post(`/api/v1/hosts/${h}/host-key/accept`), 409, 'conflict');
    job = await runJob({ hosts: [h], command: 'echo third' });
    assert.equal(job.results[0].status, 'ok', JSON.stringify(job.results[0]));
    assert.equal(job.results[0].stdout, 'third\n');
    assert.ok((await auditRows(admin, { action: 'host.host_key_accept' })).length >= 1);
  } finally {
    s2.stop();
  }
});

test('bad job bodies are refused and queue nothing', async () => {
  const before = (await admin.get('/api/v1/jobs')).body.total;
  for (const [body, field] of [
    [{ hosts: [H.root] }, 'command'],
    [{ hosts: [H.root], command: 'a', module: 'ping' }, 'module'],
    [{ hosts: [], command: 'true' }, 'hosts'],
    [{ command: 'true' }, 'hosts'],
    [{ hosts: ['1'], command: 'true' }, 'hosts'],
    [{ hosts: [H.root], command: '' }, 'command'],
    [{ hosts: [H.root], command: 'true', timeout: 0 }, 'timeout'],
    [{ hosts: [H.root], command: 'true', bogus: 1 }, 'bogus'],
  ]) assertError(await admin.post('/api/v1/jobs', body), 400, 'bad_request', field);
  assertError(await admin.post('/api/v1/jobs', { hosts: [999999], command: 'true' }), 404, 'not_found', 'hosts');
  assert.equal((await admin.get('/api/v1/jobs')).body.total, before);
});
