// tasks_sched.test.mjs -- scheduled tasks and the scheduler of a real
// cairnd, running their jobs on a loopback sshd.
//
// Checked: interval and crontab tasks are created with their next run;
// schedules that cannot be parsed are refused with the field and the
// reason; the scheduler runs a 2-second task and its run count and last
// status follow; expiry stops a task; run-now; delete (the jobs stay);
// permissions; and runs missed while cairnd was down: "once" runs exactly
// one catch-up, "skip" none, an expired task none. Missed runs are made
// without waiting: cairnd is restarted with its clock 4.5 hours ahead
// (CAIRN_TEST_CLOCK_OFFSET), so that test comes last.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { startSshd } from '../lib/sshd.mjs';
import { assertError, assertStatus, auditRows, loginAs, makeRole, makeUser, serverNow, uniq, sleep, waitFor } from './common.mjs';

let server, admin, sshd, work, host;
let offset = 0; // the server's clock offset, seconds

async function task(id) {
  const r = await admin.get(`/api/v1/tasks/${id}`);
  assertStatus(r, 200, 'get task');
  return r.body;
}

async function create(body, client = admin) {
  const r = await client.post('/api/v1/tasks', { name: uniq('task'), job: { hosts: [host], command: 'true' }, ...body });
  assertStatus(r, 201, `create task ${JSON.stringify(body.schedule)}`);
  return r.body;
}

async function jobsOf(id) {
  const r = await admin.get(`/api/v1/jobs?task_id=${id}&per_page=200&sort=id`);
  assertStatus(r, 200, 'jobs of task');
  return r.body.items;
}

before(async () => {
  sshd = startSshd('cairn-tasks-sshd-');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-tasks-work-'));
  server = await startServer();
  admin = await adminClient(server);
  const cred = await admin.post('/api/v1/credentials', { name: uniq('key'), username: 'root', private_key: sshd.keyText });
  const h = await admin.post('/api/v1/hosts', { hostname: 'task-host', ip: '127.0.0.1', ssh_port: sshd.port, credential_id: cred.body.id });
  assertStatus(h, 201, 'host');
  host = h.body.id;
});

after(async () => {
  try {
    await server?.stop();
  } finally {
    sshd?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

test('interval and crontab tasks are created with their normalised schedule and next run; preview lists the next five', async () => {
  const t0 = await serverNow(server);
  const iv = await create({ description: 'every ten minutes', schedule: { type: 'interval', every: 10, unit: 'minutes' } });
  assert.equal(iv.kind, 'command');
  assert.equal(iv.enabled, true);
  assert.equal(iv.run_count, 0);
  assert.equal(iv.schedule.type, 'interval');
  assert.equal(iv.schedule.every, 10);
  assert.equal(iv.schedule.catchup, 'once', 'catch-up once is the default');
  assert.equal(iv.next_run_at - iv.created_at, 600, 'the first run one period after saving');
  assert.ok(iv.created_at >= t0 - 5);

  const cr = await create({ schedule: { type: 'cron', cron: '*/5 * * * *', timezone: 'Asia/Shanghai' } });
  assert.equal(cr.schedule.cron, '*/5 * * * *');
  assert.equal(cr.schedule.timezone, 'Asia/Shanghai');
  assert.equal(cr.next_run_at % 300, 0);
  assert.ok(cr.next_run_at > t0 && cr.next_run_at <= t0 + 300 + 5);

  const daily = await create({ schedule: { type: 'cron', cron: '30 2 * * *', timezone: 'Asia/Shanghai' } });
  assert.equal((daily.next_run_at + 8 * 3600) % 86400, 2 * 3600 + 1800, '02:30 in Shanghai is 18:30 UTC');

  const p = await admin.post('/api/v1/schedules/preview', { schedule: { type: 'cron', cron: '0 9 * * 1-5', timezone: 'UTC' } });
  assertStatus(p, 200, 'preview');
  assert.equal(p.body.next.length, 5);
  for (const t of p.body.next) {
    const d = new Date(t * 1000);
    assert.equal(d.getUTCHours(), 9);
    assert.ok(d.getUTCDay() >= 1 && d.getUTCDay() <= 5, 'weekdays only');
  }
  const list = await admin.get('/api/v1/tasks?per_page=100');
  assert.ok(list.body.items.some((x) => x.id === iv.id && x.next_run_at === iv.next_run_at));
  assert.ok((await auditRows(admin, { action: 'task.create' })).some((x) => String(x.object_id) === String(cr.id)));
});

test('a schedule that cannot run is refused with 400, the field at fault and the reason', async () => {
  const before = (await admin.get('/api/v1/tasks')).body.total;
  const cases = [
    [{ type: 'cron', cron: '61 * * * *' }, 'cron', /minute.*61.*out of range/],
    [{ type: 'cron', cron: '* * *' }, 'cron', /5 fields/],
    [{ type: 'cron', cron: '0 0 30 2 *' }, 'cron', /never occurs in February/],
    [{ type: 'cron', cron: '*/0 * * * *' }, 'cron', /step/],
    [{ type: 'cron', cron: '5-1 * * * *' }, 'cron', /backwards/],
    [{ type: 'cron', cron: '* * * * *', timezone: 'Mars/Olympus' }, 'timezone', /./],
    [{ type: 'interval', every: 0, unit: 'minutes' }, 'every', /at least 1/],
    [{ type: 'interval', every: 5, unit: 'weeks' }, 'unit', /seconds, minutes/],
    [{ type: 'weekly' }, 'type', /interval.*cron/],
    [{ type: 'cron', cron: '* * * * *', catchup: 'twice' }, 'catchup', /once.*skip/],
    [{ type: 'cron', cron: '* * * * *', every: 5 }, 'every', /interval/],
    [{ type: 'cron', cron: '* * * * *', colour: 'red' }, 'colour', /unknown/],
  ];
  for (const [schedule, field, reason] of cases) {
    const r = await admin.post('/api/v1/tasks', { name: uniq('bad'), job: { hosts: [host], command: 'true' }, schedule });
    assertError(r, 400, 'bad_request', field);
    assert.match(r.body.error.message, reason, JSON.stringify(schedule));
    const pv = await admin.post('/api/v1/schedules/preview', { schedule });
    assertError(pv, 400, 'bad_request', field);
  }
  // The job is checked as POST /jobs would, with the field named inside job.
  let r = await admin.post('/api/v1/tasks', { name: uniq('bad'), job: { hosts: [host], command: '' }, schedule: { type: 'cron', cron: '* * * * *' } });
  assertError(r, 400, 'bad_request', 'job.command');
  r = await admin.post('/api/v1/tasks', { name: uniq('bad'), job: { hosts: [999999], command: 'true' }, schedule: { type: 'cron', cron: '* * * * *' } });
  assertError(r, 404, 'not_found', 'job.hosts');
  r = await admin.post('/api/v1/tasks', { name: uniq('bad'), schedule: { type: 'cron', cron: '* * * * *' } });
  assertError(r, 400, 'bad_request', 'job');
  const name = uniq('dup');
  await create({ name, schedule: { type: 'cron', cron: '0 0 * * *' } });
  r = await admin.post('/api/v1/tasks', { name, job: { hosts: [host], command: 'true' }, schedule: { type: 'cron', cron: '0 0 * * *' } });
  assertError(r, 409, 'conflict', 'name');
  assert.equal((await admin.get('/api/v1/tasks')).body.total, before + 1, 'only the good task was stored');
});

test('the scheduler runs a 2-second interval task: run count, last run and last status follow its jobs', async () => {
  const f = path.join(work, 'ticks');
  const t = await create({ job: { hosts: [host], command: `echo tick >> ${f}` }, schedule: { type: 'interval', every: 2, unit: 'seconds' } });
  const done = await waitFor('two finished runs', async () => {
    const x = await task(t.id);
    const jobs = await jobsOf(t.id);
    return x.run_count >= 2 && jobs.length >= 2 && jobs.slice(0, 2).every((j) => j.status === 'succeeded') && x.last_status === 'succeeded' && x;
  });
  const jobs = await jobsOf(t.id);
  assert.ok(jobs.every((j) => j.task_id === t.id && j.created_by_name === 'admin'));
  assert.ok(done.last_run_at >= t.created_at);
  assert.ok(jobs.some((j) => j.id === done.last_job_id));
  assert.ok(fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length >= 2, 'the command ran on the host');

  // Disabled: no next run.
  const p = await admin.patch(`/api/v1/tasks/${t.id}`, { schedule: { type: 'interval', every: 2, unit: 'seconds', enabled: false } });
  assertStatus(p, 200, 'disable');
  assert.equal(p.body.enabled, false);
  assert.equal(p.body.next_run_at, null);
  assert.ok(p.body.run_count >= 2, 'the run count is kept');
  const count = (await jobsOf(t.id)).length;
  await waitFor('no job in flight', async () => (await jobsOf(t.id)).every((j) => !['queued', 'running'].includes(j.status)));
  assert.ok((await jobsOf(t.id)).length <= count + 1, 'at most the run already due when it was disabled');
});

test('expiry stops a task: no run at or after expires_at, no next run afterwards', async () => {
  const now = await serverNow(server, offset);
  const t = await create({ schedule: { type: 'interval', every: 1, unit: 'seconds', expires_at: now + 3 } });
  assert.equal(t.expires_at, now + 3);
  const x = await waitFor('the task expired', async () => {
    const y = await task(t.id);
    return (await serverNow(server, offset)) > now + 4 && y.next_run_at === null && y;
  }, 30000);
  const jobs = await jobsOf(t.id);
  assert.ok(jobs.length >= 1 && jobs.length <= 3, `${jobs.length} runs in 3 seconds`);
  assert.ok(jobs.every((j) => j.created_at < now + 3), 'nothing after expiry');
  assert.equal(x.run_count, jobs.length);
});

test('run now queues a job at once with the caller\'s rights; permissions are checked', async () => {
  const t = await create({ job: { hosts: [host], command: 'echo now' }, schedule: { type: 'cron', cron: '0 0 1 1 *' } });
  const r = await admin.post(`/api/v1/tasks/${t.id}/run`);
  assertStatus(r, 201, 'run now');
  const job = await waitFor('the job', async () => {
    const j = await admin.get(`/api/v1/jobs/${r.body.job_id}`);
    return !['queued', 'running'].includes(j.body.status) && j.body;
  });
  assert.equal(job.status, 'succeeded');
  assert.equal(job.task_id, t.id);
  assert.equal(job.results[0].stdout, 'now\n');
  const after = await task(t.id);
  assert.equal(after.run_count, 1);
  assert.equal(after.last_job_id, r.body.job_id);
  assert.equal(after.next_run_at, t.next_run_at, 'the schedule is not moved');
  assert.ok((await auditRows(admin, { action: 'task.run' })).some((x) => String(x.object_id) === String(t.id)));

  const viewer = await loginAs(server, await makeUser(admin, { role_id: await makeRole(admin, ['tasks:view', 'assets:view']) }));
  assertStatus(await viewer.get(`/api/v1/tasks/${t.id}`), 200, 'view');
  assertError(await viewer.post(`/api/v1/tasks/${t.id}/run`), 403, 'forbidden');
  assertError(await viewer.post('/api/v1/tasks', { name: uniq('v'), job: { hosts: [host], command: 'true' }, schedule: { type: 'cron', cron: '* * * * *' } }), 403, 'forbidden');
  assertError(await viewer.del(`/api/v1/tasks/${t.id}`), 403, 'forbidden');
  const editor = await loginAs(server, await makeUser(admin, { role_id: await makeRole(admin, ['tasks:edit', 'assets:view']) }));
  assertError(await editor.post(`/api/v1/tasks/${t.id}/run`), 403, 'forbidden');
  assertError(await admin.post('/api/v1/tasks/999999/run'), 404, 'not_found');
});

test('a library script used by a task cannot be deleted until the task is; its versions are kept', async () => {
  const lib = await admin.post('/api/v1/library', { kind: 'script', name: uniq('lib'), content: 'echo v1\n', message: 'first' });
  assertStatus(lib, 201, 'script');
  assertStatus(await admin.put(`/api/v1/library/${lib.body.id}`, { content: 'echo v2\n', message: 'second' }), 200, 'v2');
  const item = await admin.get(`/api/v1/library/${lib.body.id}`);
  assert.equal(item.body.version, 2);
  const v1 = await admin.get(`/api/v1/library/${lib.body.id}/versions/1`);
  assertStatus(v1, 200, 'version 1');
  assert.equal(v1.body.content, 'echo v1\n');
  assert.equal(v1.body.message, 'first');
  const t = await create({ job: { hosts: [host], script_id: lib.body.id }, schedule: { type: 'cron', cron: '0 0 1 1 *' } });
  assert.equal(t.kind, 'script');
  assertError(await admin.del(`/api/v1/library/${lib.body.id}`), 409, 'conflict');
  const r = await admin.post(`/api/v1/tasks/${t.id}/run`);
  const job = await waitFor('the script job', async () => {
    const g = await admin.get(`/api/v1/jobs/${r.body.job_id}`);
    return !['queued', 'running'].includes(g.body.status) && g.body;
  });
  assert.equal(job.results[0].stdout, 'v2\n', 'a task runs the current version');
  assertStatus(await admin.del(`/api/v1/tasks/${t.id}`), 200, 'delete task');
  assertStatus(await admin.del(`/api/v1/library/${lib.body.id}`), 200, 'delete script');
});

test('delete: the task is gone, its past jobs stay', async () => {
  const t = await create({ schedule: { type: 'cron', cron: '0 0 1 1 *' } });
  const r = await admin.post(`/api/v1/tasks/${t.id}/run`);
  assertStatus(r, 201, 'run');
  assertStatus(await admin.del(`/api/v1/tasks/${t.id}`), 200, 'delete');
  assertError(await admin.get(`/api/v1/tasks/${t.id}`), 404, 'not_found');
  assertError(await admin.del(`/api/v1/tasks/${t.id}`), 404, 'not_found');
  assertStatus(await admin.get(`/api/v1/jobs/${r.body.job_id}`), 200, 'the job stays');
  assert.ok((await auditRows(admin, { action: 'task.delete' })).some((x) => String(x.object_id) === String(t.id)));
});

test('a role limited to one host group: its own tasks only; other tasks are not found to read, change, run or delete', async () => {
  const h2 = await admin.post('/api/v1/hosts', { hostname: uniq('task-other'), ip: '127.0.0.1', ssh_port: sshd.port });
  assertStatus(h2, 201, 'second host');
  const group = await admin.post('/api/v1/groups', { name: uniq('tg'), host_ids: [host] });
  assertStatus(group, 201, 'group');
  const scoped = await loginAs(server, await makeUser(admin, {
    role_id: await makeRole(admin, ['tasks:edit', 'tasks:execute', 'assets:view'], { group_ids: [group.body.id] }),
  }));
  const other = await create({ job: { hosts: [h2.body.id], command: 'echo secret' }, schedule: { type: 'cron', cron: '0 0 1 1 *' } });
  const mine = await create({ job: { hosts: [host], command: 'echo mine' }, schedule: { type: 'cron', cron: '0 0 1 1 *' } }, scoped);
  assertStatus(await scoped.get(`/api/v1/tasks/${mine.id}`), 200, 'own task');
  assertError(await scoped.get(`/api/v1/tasks/${other.id}`), 404, 'not_found');
  const mine2 = await create({ job: { groups: [group.body.id], command: 'echo mine too' }, schedule: { type: 'cron', cron: '0 0 1 1 *' } }, scoped);
  const listed = await scoped.get('/api/v1/tasks?per_page=200');
  assertStatus(listed, 200, 'scoped list');
  const ids = listed.body.items.map((x) => x.id);
  assert.ok(ids.includes(mine.id) && ids.includes(mine2.id), 'the scoped list holds its own tasks');
  assert.ok(!ids.includes(other.id), 'the scoped list leaves out a task on a host outside its group');
  for (const x of listed.body.items)
    assert.ok((x.job.hosts || []).every((h) => h === host) && (x.job.groups || []).every((g) => g === group.body.id), `only tasks within the group: ${JSON.stringify(x.job)}`);
  assert.equal(listed.body.total, ids.length, 'the total counts visible tasks only');
  const searched = await scoped.get('/api/v1/tasks?q=secret');
  assert.equal(searched.body.total, 0, 'a search cannot find a hidden task');
  assert.equal((await admin.get('/api/v1/tasks?q=secret')).body.total, 1, 'the admin finds it');
  const page = await scoped.get(`/api/v1/tasks?per_page=10&page=1&sort=-id&q=mine`);
  assert.deepEqual(page.body.items.map((x) => x.id), [mine2.id, mine.id], 'sorted and paged among visible tasks');
  assert.equal(page.body.total, 2);
  const page2 = await scoped.get(`/api/v1/tasks?per_page=10&page=2&sort=-id&q=mine`);
  assert.deepEqual(page2.body.items, [], 'past the last page: empty');
  assert.equal(page2.body.total, 2);
  assert.ok((await admin.get('/api/v1/tasks?per_page=200')).body.items.some((x) => x.id === other.id), 'the admin lists every task');
  assertStatus(await scoped.del(`/api/v1/tasks/${mine2.id}`), 200, 'delete own second task');
  assertError(await scoped.patch(`/api/v1/tasks/${other.id}`, { schedule: { type: 'interval', every: 1, unit: 'seconds' } }), 404, 'not_found');
  assertError(await scoped.post(`/api/v1/tasks/${other.id}/run`), 404, 'not_found');
  assertError(await scoped.del(`/api/v1/tasks/${other.id}`), 404, 'not_found');
  assertError(await scoped.post('/api/v1/tasks', { name: uniq('x'), job: { hosts: [h2.body.id], command: 'true' }, schedule: { type: 'cron', cron: '0 0 1 1 *' } }), 404, 'not_found', 'job.hosts');
  const t = await task(other.id);
  assert.equal(t.schedule.type, 'cron', 'the other task is unchanged');
  assert.equal(t.run_count, 0);
  assertStatus(await scoped.del(`/api/v1/tasks/${mine.id}`), 200, 'delete own task');
  assertStatus(await admin.del(`/api/v1/tasks/${other.id}`), 200, 'admin deletes the other');
});

test('runs missed while cairnd was down: "once" runs exactly one catch-up, "skip" none, an expired task none', async () => {
  const now = await serverNow(server);
  const hourly = { type: 'interval', every: 1, unit: 'hours' };
  const once = await create({ job: { hosts: [host], command: 'echo caught-up' }, schedule: hourly });
  const skip = await create({ schedule: { ...hourly, catchup: 'skip' } });
  const expired = await create({ schedule: { ...hourly, expires_at: now + 2 * 3600 + 600 } });
  const cron = await create({ schedule: { type: 'cron', cron: '0 * * * *' } });
  for (const t of [once, skip, expired]) assert.equal(t.run_count, 0);

  // cairnd is down for four and a half hours.
  offset = 4 * 3600 + 1800;
  const mark = () => server.logs().length;
  await server.stop();
  const since = mark();
  await server.restart({ env: { CAIRN_TEST_CLOCK_OFFSET: String(offset) } });
  admin = await adminClient(server);

  const x = await waitFor('the catch-up run and the rescheduling', async () => {
    const [a, b, c, d] = await Promise.all([task(once.id), task(skip.id), task(expired.id), task(cron.id)]);
    return a.run_count === 1 && b.next_run_at !== skip.next_run_at && c.next_run_at === null && d.run_count === 1 && { a, b, c, d };
  });
  assert.equal(x.a.next_run_at, once.created_at + 5 * 3600, 'back on its grid: the next run is the next hour mark');
  assert.ok(x.a.next_run_at > (await serverNow(server, offset)));
  assert.equal(x.b.run_count, 0, 'skip: missed runs are dropped');
  assert.equal(x.b.next_run_at, skip.created_at + 5 * 3600);
  assert.equal(x.c.run_count, 0, 'an expired task does not catch up');
  const jobs = await jobsOf(once.id);
  assert.equal(jobs.length, 1, 'exactly one catch-up job for four missed runs');
  const j = await waitFor('the catch-up job', async () => {
    const g = await admin.get(`/api/v1/jobs/${jobs[0].id}`);
    return !['queued', 'running'].includes(g.body.status) && g.body;
  });
  assert.equal(j.results[0].stdout, 'caught-up\n');
  const lines = server.logs().slice(since).split('\n').filter((l) => l.includes(`msg=task_run task=${once.id} `));
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /catchup=1/);
  assert.equal((await jobsOf(cron.id)).length, 1, 'a crontab task catches up once too');
});
