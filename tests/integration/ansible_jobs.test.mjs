// ansible_jobs.test.mjs -- Ansible jobs end to end: a real cairnd runs the
// Debian ansible / ansible-playbook against a throwaway root sshd on
// loopback (scripts/sshd-test.sh), with hosts and credentials registered
// through the API.
//
// Checked: ad-hoc modules (ping, command with arguments) give per-host
// results (ok / changed / failed / unreachable: a host on a closed port, a
// host without a credential), module output and exit codes; key, key with
// passphrase and password credentials (sshpass; the password has spaces and
// quotes); a playbook with a library role and extra vars changes a file and
// is idempotent; check mode changes nothing; CMDB text is never templated;
// the time limit and cancellation stop ansible and its whole process group;
// every run's private directory (keys included) is gone afterwards. The
// sandbox: a playbook's code on the Cairn server (lookups, delegate_to:
// localhost, connection: local, hosts: localhost) sees an empty data
// directory, no other run directory, no PostgreSQL socket, holds no
// capability and cannot unmount any of it, as root and as an unprivileged
// cairnd (run under setpriv as nobody); with --ansible-sandbox 0 the same
// playbook does read the key (so the probes are real); where user
// namespaces are refused the job fails with the reason and runs nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CAIRND, ROOT, freePort, startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertStatus, sleep, uniq } from './common.mjs';

const SSHD = path.join(ROOT, 'scripts/sshd-test.sh');
let server, admin, sshdDir, ssh, tmpRoot, work;
const hosts = {}; // name -> id

function sshdStart(dir) {
  const out = execFileSync(SSHD, ['start', dir], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function mk(res, body) {
  const r = await admin.post(`/api/v1/${res}`, body);
  assertStatus(r, 201, `create ${res}`);
  return r.body.id;
}

// Queue a job (as client cl, default the admin of the shared server), wait
// for it to finish, return it with its results by host name.
async function runJob(body, { timeoutMs = 120000, cl = admin } = {}) {
  const r = await cl.post('/api/v1/jobs', body);
  assertStatus(r, 201, `create job ${JSON.stringify(body)}`);
  return waitJob(r.body.id, timeoutMs, cl);
}

async function waitJob(id, timeoutMs = 120000, cl = admin) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const g = await cl.get(`/api/v1/jobs/${id}`);
    assertStatus(g, 200, 'get job');
    if (!['queued', 'running'].includes(g.body.status)) {
      g.body.by = Object.fromEntries(g.body.results.map((x) => [x.hostname, x]));
      return g.body;
    }
    if (Date.now() > deadline) throw new Error(`job ${id} did not finish: ${JSON.stringify(g.body)}`);
    await sleep(200);
  }
}

// Nothing of any run is left: the server's TMPDIR is empty, and no process
// runs from a run directory.
function assertNoLeftovers() {
  assert.deepEqual(fs.readdirSync(tmpRoot), [], 'the run directories are removed');
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  assert.ok(!ps.includes(tmpRoot), `no process left from a run:\n${ps.split('\n').filter((l) => l.includes(tmpRoot)).join('\n')}`);
}

before(async () => {
  sshdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-sshd-'));
  ssh = sshdStart(sshdDir);
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-tmp-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-work-'));
  server = await startServer({ env: { TMPDIR: tmpRoot } });
  admin = await adminClient(server);
  const port = Number(ssh.port);
  const keyCred = await mk('credentials', { name: uniq('key'), username: 'root', private_key: fs.readFileSync(ssh.key, 'utf8') });
  const passCred = await mk('credentials', {
    name: uniq('keypass'), username: 'root', private_key: fs.readFileSync(ssh.key_pass, 'utf8'), passphrase: ssh.passphrase,
  });
  const pwCred = await mk('credentials', { name: uniq('pw'), username: ssh.password_user, password: ssh.password });
  const group = await mk('groups', { name: 'Web Servers' });
  for (const [name, extra] of [
    ['ans-a', { credential_id: keyCred, group_ids: [group] }],
    ['ans-b', { credential_id: keyCred, group_ids: [group], os: "{{ lookup('pipe', 'touch " + work + "/pwned') }}" }],
    ['ans-pass', { credential_id: passCred }],
    ['ans-pw', { credential_id: pwCred }],
    ['ans-nocred', {}],
  ]) hosts[name] = await mk('hosts', { hostname: name, ip: '127.0.0.1', ssh_port: port, ...extra });
  hosts['ans-closed'] = await mk('hosts', { hostname: 'ans-closed', ip: '127.0.0.1', ssh_port: await freePort(), credential_id: keyCred });
  hosts.group = group;
});

after(async () => {
  try {
    await server?.stop(); // throws on a sanitizer report: clean up anyway
  } finally {
    if (sshdDir) execFileSync(SSHD, ['stop', sshdDir]);
    for (const d of [tmpRoot, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('ping: ok per reachable host, unreachable for a closed port and for a host without credential', async () => {
  const job = await runJob({ hosts: [hosts['ans-a'], hosts['ans-b'], hosts['ans-closed'], hosts['ans-nocred']], module: 'ping' });
  assert.equal(job.kind, 'ansible_module');
  assert.equal(job.status, 'failed', 'not every host was ok');
  for (const h of ['ans-a', 'ans-b']) {
    assert.equal(job.by[h].status, 'ok', JSON.stringify(job.by[h]));
    assert.match(job.by[h].stdout, /pong/);
    assert.equal(job.by[h].changed, 0);
  }
  assert.equal(job.by['ans-closed'].status, 'unreachable');
  assert.match(job.by['ans-closed'].error, /connect|refused/i);
  assert.equal(job.by['ans-nocred'].status, 'unreachable');
  assert.match(job.by['ans-nocred'].error, /no credential/);
  assert.equal(job.ok_count, 2);
  assert.equal(job.unreachable_count, 2);
  assertNoLeftovers();
});

test('command with arguments: output, exit code, changed; a failing command is failed with its rc and stderr', async () => {
  let job = await runJob({ hosts: [hosts['ans-a']], module: 'command', module_args: 'echo "hello from cairn"' });
  const a = job.by['ans-a'];
  assert.equal(job.status, 'succeeded');
  assert.equal(a.status, 'ok', JSON.stringify(a));
  assert.match(a.stdout, /hello from cairn/);
  assert.equal(a.exit_code, 0);
  assert.equal(a.changed, 1);

  job = await runJob({ hosts: [hosts['ans-a']], module: 'shell', module_args: 'echo to-out; echo to-err >&2; exit 3' });
  const f = job.by['ans-a'];
  assert.equal(f.status, 'failed');
  assert.equal(f.exit_code, 3);
  assert.match(f.stdout, /to-out/);
  assert.match(f.stderr, /to-err/);
  assert.match(f.error, /non-zero return code/);
  assertNoLeftovers();
});

test('a key with a passphrase and a password (sshpass) both work; the password never reaches a command line', async () => {
  const job = await runJob({ hosts: [hosts['ans-pass'], hosts['ans-pw']], module: 'command', module_args: 'id -un' });
  assert.equal(job.by['ans-pass'].status, 'ok', JSON.stringify(job.by['ans-pass']));
  assert.match(job.by['ans-pass'].stdout, /^root$/m);
  assert.equal(job.by['ans-pw'].status, 'ok', JSON.stringify(job.by['ans-pw']));
  assert.match(job.by['ans-pw'].stdout, new RegExp(`^${ssh.password_user}$`, 'm'));
  const all = JSON.stringify(job) + server.logs();
  assert.ok(!all.includes(ssh.password), 'the password appears nowhere');
  assertNoLeftovers();
});

test('playbook with a library role and extra vars; idempotent; check mode changes nothing', async () => {
  const target = path.join(work, 'greeting.txt');
  const role = uniq('greeter');
  let r = await admin.post('/api/v1/library', {
    kind: 'role', name: role, content: JSON.stringify({
      'tasks/main.yml': '- name: write the greeting\n  copy:\n    content: "{{ greeting }} from {{ cairn_hostname }}\\n"\n    dest: "{{ target }}"\n',
      'defaults/main.yml': 'greeting: default\n',
    }),
  });
  assertStatus(r, 201, 'role');
  r = await admin.post('/api/v1/library', {
    kind: 'playbook', name: uniq('site'),
    content: `- hosts: group_web_servers\n  gather_facts: false\n  roles:\n    - ${role}\n`,
  });
  assertStatus(r, 201, 'playbook');
  const pb = r.body.id;

  let job = await runJob({ hosts: [hosts['ans-a']], playbook_id: pb, extra_vars: { greeting: 'hello "world"', target } });
  assert.equal(job.kind, 'playbook');
  assert.equal(job.by['ans-a'].status, 'ok', JSON.stringify(job.by['ans-a']));
  assert.equal(job.by['ans-a'].changed, 1);
  assert.match(job.by['ans-a'].stdout, /write the greeting\] changed/);
  assert.match(job.by['ans-a'].stdout, /RECAP ok=1 changed=1/);
  assert.equal(fs.readFileSync(target, 'utf8'), 'hello "world" from ans-a\n');

  job = await runJob({ hosts: [hosts['ans-a']], playbook_id: pb, extra_vars: { greeting: 'hello "world"', target } });
  assert.equal(job.by['ans-a'].status, 'ok');
  assert.equal(job.by['ans-a'].changed, 0, 'the second run changes nothing');

  job = await runJob({ hosts: [hosts['ans-a']], playbook_id: pb, extra_vars: { greeting: 'other', target }, check: true });
  assert.equal(job.by['ans-a'].status, 'ok');
  assert.equal(job.by['ans-a'].changed, 1, 'check mode reports the change');
  assert.equal(fs.readFileSync(target, 'utf8'), 'hello "world" from ans-a\n', 'check mode does not make it');
  assertNoLeftovers();
});

test('a playbook job runs its roles at the versions of its creation; a rerun keeps them, a new job takes the edit', async () => {
  const target = path.join(work, 'pinned.txt');
  const role = uniq('pinned');
  const roleFiles = (text) => JSON.stringify({
    'tasks/main.yml': `- name: write the version\n  copy:\n    content: "${text}\\n"\n    dest: "{{ target }}"\n`,
  });
  let r = await admin.post('/api/v1/library', { kind: 'role', name: role, content: roleFiles('role v1') });
  assertStatus(r, 201, 'role');
  const roleId = r.body.id;
  r = await admin.post('/api/v1/library', {
    kind: 'playbook', name: uniq('pinsite'), content: `- hosts: all\n  gather_facts: false\n  roles:\n    - ${role}\n`,
  });
  assertStatus(r, 201, 'playbook');
  const body = { hosts: [hosts['ans-a']], playbook_id: r.body.id, extra_vars: { target } };
  const first = await runJob(body);
  assert.equal(first.by['ans-a'].status, 'ok', JSON.stringify(first.by['ans-a']));
  assert.equal(fs.readFileSync(target, 'utf8'), 'role v1\n');
  assert.deepEqual(first.spec.roles.filter((x) => x.name === role), [{ id: roleId, name: role, version: 1 }], 'the job shows the role version it ran');

  assertStatus(await admin.put(`/api/v1/library/${roleId}`, { content: roleFiles('role v2'), message: 'v2' }), 200, 'edit the role');
  fs.rmSync(target);
  const rr = await admin.post(`/api/v1/jobs/${first.id}/rerun`, { only_failed: false });
  assertStatus(rr, 201, 'rerun');
  const again = await waitJob(rr.body.id);
  assert.equal(again.by['ans-a'].status, 'ok', JSON.stringify(again.by['ans-a']));
  assert.equal(fs.readFileSync(target, 'utf8'), 'role v1\n', 'the rerun runs the role as the first run did');

  const fresh = await runJob(body);
  assert.equal(fresh.by['ans-a'].status, 'ok', JSON.stringify(fresh.by['ans-a']));
  assert.equal(fs.readFileSync(target, 'utf8'), 'role v2\n', 'a new job runs the edited role');
  assertNoLeftovers();
});

test('a playbook error fails every host with Ansible\'s message', async () => {
  const r = await admin.post('/api/v1/library', { kind: 'playbook', name: uniq('broken'), content: '- hosts: all\n  tasks:\n    - no_such_module_here: {}\n' });
  assertStatus(r, 201);
  const job = await runJob({ hosts: [hosts['ans-a']], playbook_id: r.body.id });
  assert.equal(job.by['ans-a'].status, 'failed');
  assert.match(job.by['ans-a'].error, /ansible-playbook exited with status \d+: ERROR!/);
  assertNoLeftovers();
});

test('CMDB text is never templated: a Jinja lookup in a host field stays text', async () => {
  const r = await admin.post('/api/v1/library', {
    kind: 'playbook', name: uniq('show'),
    content: '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: var=cairn_os\n    - debug: msg="os is {{ cairn_os }}"\n',
  });
  assertStatus(r, 201);
  const job = await runJob({ hosts: [hosts['ans-b']], playbook_id: r.body.id });
  assert.equal(job.by['ans-b'].status, 'ok', JSON.stringify(job.by['ans-b']));
  assert.ok(job.by['ans-b'].stdout.includes("lookup('pipe'"), job.by['ans-b'].stdout);
  assert.ok(!fs.existsSync(path.join(work, 'pwned')), 'the lookup did not run');
  const adhoc = await runJob({ hosts: [hosts['ans-b']], module: 'debug', module_args: 'var=cairn_os' });
  assert.ok(adhoc.by['ans-b'].stdout.includes("lookup('pipe'"));
  assert.ok(!fs.existsSync(path.join(work, 'pwned')));
});

test('the time limit stops ansible and its whole process group', async () => {
  const t0 = Date.now();
  const job = await runJob({ hosts: [hosts['ans-a']], module: 'command', module_args: 'sleep 60', timeout: 3 });
  assert.equal(job.by['ans-a'].status, 'timeout', JSON.stringify(job.by['ans-a']));
  assert.ok(Date.now() - t0 < 30000, 'stopped near its limit');
  assertNoLeftovers();
});

test('cancel stops a running Ansible job', async () => {
  const r = await admin.post('/api/v1/jobs', { hosts: [hosts['ans-a']], module: 'command', module_args: 'sleep 60' });
  assertStatus(r, 201);
  const id = r.body.id;
  // Wait until ansible has the host running, then cancel.
  for (let i = 0; i < 100; i++) {
    const g = await admin.get(`/api/v1/jobs/${id}`);
    if (g.body.status === 'running' && g.body.results[0].status === 'running') break;
    await new Promise((res) => setTimeout(res, 100));
  }
  await new Promise((res) => setTimeout(res, 1500));
  assertStatus(await admin.post(`/api/v1/jobs/${id}/cancel`), 202, 'cancel');
  const job = await waitJob(id, 30000);
  assert.equal(job.status, 'cancelled');
  assert.equal(job.by['ans-a'].status, 'cancelled');
  assertNoLeftovers();
});

test('a host whose key changed is left out; the new key waits for approval', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-sshd2-'));
  try {
    const s2 = sshdStart(dir);
    const cred = await mk('credentials', { name: uniq('k2'), username: 'root', private_key: fs.readFileSync(s2.key, 'utf8') });
    const id = await mk('hosts', { hostname: uniq('ans-rekey'), ip: '127.0.0.1', ssh_port: Number(s2.port), credential_id: cred });
    let job = await runJob({ hosts: [id, hosts['ans-a']], module: 'ping' });
    assert.deepEqual(job.results.map((x) => x.status), ['ok', 'ok']);
    execFileSync(SSHD, ['rekey', dir]);
    job = await runJob({ hosts: [id, hosts['ans-a']], module: 'ping' });
    const rekeyed = job.results.find((x) => x.host_id === id);
    assert.equal(rekeyed.status, 'unreachable');
    assert.match(rekeyed.error, /HOST KEY CHANGED/);
    assert.equal(job.by['ans-a'].status, 'ok', 'the other host still runs');
    assertStatus(await admin.post(`/api/v1/hosts/${id}/host-key/accept`), 200, 'accept the new key');
    job = await runJob({ hosts: [id], module: 'ping' });
    assert.equal(job.results[0].status, 'ok', JSON.stringify(job.results[0]));
  } finally {
    execFileSync(SSHD, ['stop', dir]);
  }
  assertNoLeftovers();
});

// The playbook of the sandbox tests: a task on the sshd host, then probes
// on the Cairn server itself (delegate_to, hosts: localhost with facts,
// lookups, connection: local) that print what they could see.
const PROBE_PLAYBOOK = `- hosts: all
  gather_facts: false
  tasks:
    - name: remote work
      command: echo remote-ok
    - name: probe the controller
      delegate_to: localhost
      ignore_errors: true
      shell: |
        runs=$(dirname "{{ playbook_dir }}")
        echo "DATADIR=[$(ls -A '{{ datadir }}' 2>&1 | tr '\\n' ' ')]"
        echo "RUNS=[$(ls -A "$runs" 2>&1 | tr '\\n' ' ')]"
        echo "KEY=[$(base64 -w0 '{{ datadir }}/secret.key' 2>&1)]"
        echo "DB=[$(head -c 15 '{{ datadir }}/cairn.db' 2>&1)]"
        echo "PGDIR=[$(ls -A '{{ pgdir }}' 2>&1 | tr '\\n' ' ')]"
        # only where isolated: without the sandbox these would change the host
        if [ "{{ try_mounts }}" = yes ]; then
          umount '{{ datadir }}' 2>&1; echo "UMOUNT_DATA_RC=$?"
          umount -l "$runs" 2>&1; echo "UMOUNT_RUNS_RC=$?"
          mount -o remount,rw '{{ datadir }}' 2>&1; echo "REMOUNT_RC=$?"
          mount -t tmpfs none "$runs" 2>&1; echo "MOUNT_RC=$?"
          unshare -Urm sh -c "umount -l '{{ datadir }}' && ls -A '{{ datadir }}'" 2>&1; echo "NESTED_RC=$?"
        fi
        kill -0 {{ cairnd_pid }} 2>&1; echo "KILL_RC=$?"
        echo "PROCS=[$(ls -d /proc/[0-9]* | wc -l)] PID1=[$(tr '\\0' ' ' < /proc/1/cmdline | cut -c1-60)]"
        ls /proc/{{ cairnd_pid }}/root/ 2>&1 >/dev/null; echo "PROCROOT_RC=$?"
        tr '\\0' '\\n' < /proc/{{ cairnd_pid }}/environ 2>&1; echo "ENVIRON_RC=$?"
        grep -E '^Cap(Prm|Eff|Bnd|Amb)' /proc/self/status
        echo "AFTER=[$(ls -A '{{ datadir }}' 2>&1 | tr '\\n' ' ')]"
- hosts: localhost
  gather_facts: true
  tasks:
    - name: lookup the key
      ignore_errors: true
      debug:
        msg: "LOOKUP_KEY={{ lookup('pipe', 'base64 -w0 ' + datadir + '/secret.key') }}"
    - name: lookup the database
      ignore_errors: true
      debug:
        msg: "LOOKUP_DB={{ lookup('file', datadir + '/cairn.db') }}"
    - name: a local command
      connection: local
      ignore_errors: true
      command: base64 -w0 {{ datadir }}/secret.key
`;

// Run the probe playbook on host `host` of server `srv` (client `cl`); returns
// the job, its text (results and server logs) and the key forms to look for.
async function probe(srv, cl, host, pb, { tryMounts = true } = {}) {
  const pgHost = /[?&]host=([^&]+)/.exec(srv.dbUrl);
  const extra = { datadir: srv.dataDir, cairnd_pid: srv.pid(), pgdir: pgHost ? decodeURIComponent(pgHost[1]) : '/nonexistent',
    try_mounts: tryMounts ? 'yes' : 'no' };
  const job = await runJob({ hosts: [host], playbook_id: pb, extra_vars: extra }, { cl });
  const key = fs.readFileSync(path.join(srv.dataDir, 'secret.key'));
  const forms = [key.toString('hex'), key.toString('base64'), key.toString('base64').replace(/=+$/, '')];
  return { job, res: job.results[0], text: JSON.stringify(job) + srv.logs(), forms };
}

// What every sandboxed probe must show.
function assertIsolated({ res, text, forms }, { pg = false } = {}) {
  const out = res.stdout;
  assert.equal(res.status, 'ok', JSON.stringify(res));
  assert.match(out, /remote-ok/, 'the task on the sshd host ran');
  for (const f of forms) assert.ok(!text.includes(f), 'the vault key never appears');
  assert.ok(!text.includes('SQLite format 3') && !text.includes('U1FMaXRlIGZvcm1hdCAz'), 'nor the database');
  assert.match(out, /DATADIR=\[\]/, 'the data directory is empty');
  assert.match(out, /RUNS=\[cairn-ansible-\S+ \]/, 'only its own run directory is there');
  assert.ok(!out.includes('other-run'), 'another run directory is not seen');
  assert.match(out, /KEY=\[base64: .*No such file/);
  assert.match(out, /DB=\[head: .*No such file/);
  if (pg) assert.match(out, /PGDIR=\[\]/, 'the PostgreSQL socket directory is empty');
  // its own process namespace: cairnd is not there to signal, and /proc shows only the job's processes
  const procs = /PROCS=\[(\d+)\] PID1=\[([^\]]*)\]/.exec(out);
  assert.ok(procs, out);
  assert.ok(Number(procs[1]) < 40, `only the job's own processes are seen: ${procs[1]}`);
  assert.match(procs[2], /ansible/, 'process 1 is the job\'s ansible');
  for (const rc of ['KILL_RC', 'UMOUNT_DATA_RC', 'UMOUNT_RUNS_RC', 'REMOUNT_RC', 'MOUNT_RC', 'NESTED_RC', 'PROCROOT_RC', 'ENVIRON_RC'])
    assert.match(out, new RegExp(`${rc}=[1-9]`), `${rc}: the try failed\n${out}`);
  for (const c of ['CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.match(out, new RegExp(`${c}:\\s+0+\\n`), `${c} is empty`);
  assert.match(out, /AFTER=\[\]/, 'still hidden after the tries');
  assert.ok(!text.includes('CAIRN_ADMIN_PASSWORD='), 'cairnd\'s environment is not read');
  assert.match(out, /LOOKUP_KEY|lookup the key\] failed/, 'the localhost play ran');
  assert.match(out, /a local command\] failed/);
}

test('sandbox: a playbook cannot read the data directory or other runs, nor unmount (root); --ansible-sandbox 0 can', async () => {
  const decoy = path.join(tmpRoot, 'other-run');
  fs.mkdirSync(decoy);
  fs.writeFileSync(path.join(decoy, 'inventory.json'), '{"ansible_password": "decoy"}');
  try {
    const r = await admin.post('/api/v1/library', { kind: 'playbook', name: uniq('probe'), content: PROBE_PLAYBOOK });
    assertStatus(r, 201, 'playbook');
    const p = await probe(server, admin, hosts['ans-a'], r.body.id);
    assertIsolated(p, { pg: server.backend === 'pg' });

    // The same playbook without the sandbox reads what it could not before.
    await server.restart({ args: ['--ansible-sandbox', '0'] });
    const open = await probe(server, admin, hosts['ans-a'], r.body.id, { tryMounts: false });
    assert.ok(open.forms.some((f) => open.res.stdout.includes(`KEY=[${f}]`)), `without the sandbox the key is read:\n${open.res.stdout}`);
    assert.match(open.res.stdout, /other-run/);
  } finally {
    fs.rmSync(decoy, { recursive: true, force: true });
    await server.restart({ args: ['--ansible-sandbox', '1'] });
  }
  assertNoLeftovers();
});

test('sandbox: an unprivileged cairnd (nobody) isolates ansible through a user namespace', async () => {
  const NOBODY = 65534;
  const own = (d) => { fs.chownSync(d, NOBODY, NOBODY); return d; };
  const dataDir = own(fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-nobody-')));
  const runs = own(fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-nobody-tmp-')));
  let srv;
  try {
    srv = await startServer({
      dataDir, backend: 'sqlite', env: { TMPDIR: runs },
      wrap: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'],
    });
    const status = fs.readFileSync(`/proc/${srv.pid()}/status`, 'utf8');
    assert.match(status, /^Uid:\s+65534\s/m, 'cairnd runs as nobody');
    const cl = await adminClient(srv);
    const cred = await cl.post('/api/v1/credentials', { name: uniq('nbk'), username: 'root', private_key: fs.readFileSync(ssh.key, 'utf8') });
    assertStatus(cred, 201);
    const h = await cl.post('/api/v1/hosts', { hostname: 'nb-a', ip: '127.0.0.1', ssh_port: Number(ssh.port), credential_id: cred.body.id });
    assertStatus(h, 201);
    const r = await cl.post('/api/v1/library', { kind: 'playbook', name: uniq('probe'), content: PROBE_PLAYBOOK });
    assertStatus(r, 201);
    const p = await probe(srv, cl, h.body.id, r.body.id);
    assertIsolated(p);
    assert.deepEqual(fs.readdirSync(runs), [], 'the run directory is removed');
  } finally {
    await srv?.stop();
    for (const d of [dataDir, runs]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('sandbox: a cairnd installed under the directory that holds the run directories (a checkout in /tmp) still runs Ansible', async () => {
  // The sandbox hides that directory; the callback plugin is copied into the run itself.
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-under-'));
  const bin = path.join(runs, 'app/build/asan/cairnd');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.copyFileSync(CAIRND, bin);
  fs.chmodSync(bin, 0o755);
  fs.cpSync(path.join(ROOT, 'share'), path.join(runs, 'app/share'), { recursive: true });
  let srv;
  try {
    // the harness execs [...wrap, CAIRND, args]: run the copy instead
    srv = await startServer({ backend: 'sqlite', env: { TMPDIR: runs }, wrap: ['sh', '-c', 'shift; exec "$0" "$@"', bin] });
    assert.equal(fs.realpathSync(`/proc/${srv.pid()}/exe`), fs.realpathSync(bin), 'the copy runs');
    const cl = await adminClient(srv);
    const cred = await cl.post('/api/v1/credentials', { name: uniq('under'), username: 'root', private_key: fs.readFileSync(ssh.key, 'utf8') });
    assertStatus(cred, 201);
    const h = await cl.post('/api/v1/hosts', { hostname: 'under-a', ip: '127.0.0.1', ssh_port: Number(ssh.port), credential_id: cred.body.id });
    assertStatus(h, 201);
    const job = await runJob({ hosts: [h.body.id], module: 'ping' }, { cl });
    assert.equal(job.status, 'succeeded', JSON.stringify(job.results));
    assert.match(job.results[0].stdout, /pong/);
  } finally {
    await srv?.stop();
    fs.rmSync(runs, { recursive: true, force: true });
  }
});

test('sandbox: where the kernel refuses a user namespace, the job fails with why and nothing runs', async () => {
  // cairnd in a user namespace of its own whose limit of nested user
  // namespaces is 0: unshare(CLONE_NEWUSER) fails there as in a locked-down container.
  const runs = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-ans-nouserns-'));
  const marker = path.join(work, 'ran-without-sandbox');
  let srv;
  try {
    srv = await startServer({
      env: { TMPDIR: runs },
      wrap: ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" "$@"'],
    });
    const cl = await adminClient(srv);
    const cred = await cl.post('/api/v1/credentials', { name: uniq('nuk'), username: 'root', private_key: fs.readFileSync(ssh.key, 'utf8') });
    assertStatus(cred, 201);
    const h = await cl.post('/api/v1/hosts', { hostname: 'nu-a', ip: '127.0.0.1', ssh_port: Number(ssh.port), credential_id: cred.body.id });
    assertStatus(h, 201);
    const r = await cl.post('/api/v1/library', {
      kind: 'playbook', name: uniq('touch'), content: `- hosts: all\n  gather_facts: false\n  tasks:\n    - file: path=${marker} state=touch\n`,
    });
    assertStatus(r, 201);
    const job = await runJob({ hosts: [h.body.id], playbook_id: r.body.id }, { timeoutMs: 60000, cl });
    assert.equal(job.results[0].status, 'failed', JSON.stringify(job.results[0]));
    assert.match(job.results[0].error, /^cannot isolate ansible from the Cairn server: unshare: No space left on device; allow user namespaces, or start cairnd with --ansible-sandbox 0/);
    assert.ok(!fs.existsSync(marker), 'nothing ran');
    assert.deepEqual(fs.readdirSync(runs), [], 'the run directory is removed');
  } finally {
    await srv?.stop();
    fs.rmSync(runs, { recursive: true, force: true });
  }
});

test('no private key of any run is left in /tmp', () => {
  const key = fs.readFileSync(ssh.key, 'utf8').trim().split('\n')[1];
  const mine = fs.readdirSync('/tmp').filter((n) => n.startsWith(`cairn-ansible-${server.pid()}-`));
  assert.deepEqual(mine, []);
  assert.deepEqual(fs.readdirSync(tmpRoot), []);
  // No plain file directly in /tmp holds the key either.
  for (const n of fs.readdirSync('/tmp')) {
    const p = path.join('/tmp', n);
    let st;
    try { st = fs.lstatSync(p); } catch { continue; }
    if (!st.isFile() || st.size > (1 << 20)) continue;
    let text = '';
    try { text = fs.readFileSync(p, 'latin1'); } catch { continue; }
    assert.ok(!text.includes(key), `${p} holds the private key`);
  }
});
