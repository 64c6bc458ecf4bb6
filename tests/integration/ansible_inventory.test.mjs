// ansible_inventory.test.mjs -- the CMDB as an Ansible dynamic inventory:
// GET /api/v1/ansible/inventory and `build/cairn inventory`, used by the real
// ansible-inventory and ansible commands through a two-line wrapper script.
//
// Checked: groups from host groups, IDCs, asset types and statuses with safe
// names (and no two groups merged when their names sanitise alike); host
// vars from the CMDB; connection user and port but no secret anywhere;
// unsafe host names replaced; CMDB text marked unsafe so Ansible never
// templates it; ?host=; permissions (tasks:view) and host-group scope; the
// CLI's configuration (environment, config file and its mode, bad token).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer } from '../lib/harness.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertError, assertStatus, uniq, userWith } from './common.mjs';

// The ASan build when there is one (a leak then fails the test), else the release build.
const CLI = process.env.CAIRN_CLI
  || [path.join(ROOT, 'build/asan/cairn'), path.join(ROOT, 'build/cairn')].find((p) => fs.existsSync(p))
  || path.join(ROOT, 'build/cairn');
const SSHD = path.join(ROOT, 'scripts/sshd-test.sh');
const PASSWORD = 'inv-Secret pass "quoted" {{ x }}';
let server, admin, work, sshdDir, ssh, token;
const ids = {};

async function mk(res, body) {
  const r = await admin.post(`/api/v1/${res}`, body);
  assertStatus(r, 201, `create ${res}`);
  return r.body.id;
}

function cli(args, env = {}) {
  return spawnSync(CLI, args, { encoding: 'utf8', timeout: 30000, env: { PATH: process.env.PATH, HOME: work, ...env } });
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-inv-'));
  sshdDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-inv-sshd-'));
  const out = execFileSync(SSHD, ['start', sshdDir], { encoding: 'utf8' });
  ssh = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  server = await startServer();
  admin = await adminClient(server);
  ids.idc = await mk('idcs', { code: 'BJ-1', name: 'Beijing One' });
  ids.web = await mk('groups', { name: 'Web Servers' });
  ids.web2 = await mk('groups', { name: 'web--servers' });
  ids.db = await mk('groups', { name: '数据库' });
  ids.live = await mk('groups', { name: 'live' });
  ids.cred = await mk('credentials', {
    name: uniq('inv'), username: 'deploy', port: 2200, password: PASSWORD, private_key: fs.readFileSync(ssh.key, 'utf8'),
  });
  ids.root = await mk('credentials', { name: uniq('root'), username: 'root' });
  ids.web1 = await mk('hosts', {
    hostname: 'web-1', ip: '10.0.0.1', other_ips: '10.0.1.1, 10.0.2.1', idc_id: ids.idc, group_ids: [ids.web, ids.web2],
    asset_type: 'vm', asset_status: 'in_use', os: 'Debian 12', kernel: '6.1.0', cpu_count: 4, memory_mb: 8192,
    tags: ['edge', '{{ x }}'], credential_id: ids.cred,
  });
  ids.db1 = await mk('hosts', {
    hostname: 'db 1', ip: '10.0.0.2', group_ids: [ids.db], asset_type: 'physical', asset_status: 'unused',
    os: "{{ lookup('pipe', 'id') }}", credential_id: ids.cred, ssh_port: 2222,
  });
  ids.bare = await mk('hosts', { hostname: 'bare', ip: '10.0.0.3' });
  ids.liveHost = await mk('hosts', {
    hostname: 'inv-live', ip: '127.0.0.1', ssh_port: Number(ssh.port), group_ids: [ids.live], credential_id: ids.root,
  });
  const r = await admin.post('/api/v1/tokens', { name: 'inventory' });
  assertStatus(r, 201, 'token');
  token = r.body.token;
});

after(async () => {
  try {
    await server?.stop(); // throws on a sanitizer report: clean up anyway
  } finally {
    if (sshdDir) execFileSync(SSHD, ['stop', sshdDir]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
});

test('groups from host groups, IDCs, asset types and statuses, with safe and distinct names', async () => {
  const r = await admin.get('/api/v1/ansible/inventory');
  assertStatus(r, 200);
  const inv = r.body;
  for (const g of Object.keys(inv).filter((k) => k !== '_meta')) assert.match(g, /^[a-z_][a-z0-9_]*$/, g);
  assert.deepEqual(inv.group_web_servers.hosts, ['web-1']);
  assert.deepEqual(inv[`group_web_servers_${ids.web2}`].hosts, ['web-1'], 'a second group that sanitises alike keeps its own name');
  assert.deepEqual(inv[`group_${ids.db}`].hosts, [`cairn-host-${ids.db1}`], 'a name with nothing ASCII falls back to the id');
  assert.deepEqual(inv.idc_bj_1.hosts, ['web-1']);
  assert.deepEqual(inv.type_vm.hosts, ['web-1']);
  assert.deepEqual(inv.type_physical.hosts, [`cairn-host-${ids.db1}`]);
  assert.deepEqual(inv.status_in_use.hosts, ['bare', 'inv-live', 'web-1']);
  assert.deepEqual(inv.status_unused.hosts, [`cairn-host-${ids.db1}`]);
  assert.deepEqual(inv.all.hosts, ['bare', `cairn-host-${ids.db1}`, 'inv-live', 'web-1']);
  assert.ok(inv.all.children.includes('group_live'));
});

test('host vars from the CMDB with connection user and port; unsafe text is marked; no secret anywhere', async () => {
  const r = await admin.get('/api/v1/ansible/inventory');
  const hv = r.body._meta.hostvars;
  assert.deepEqual(hv['web-1'], {
    ansible_host: '10.0.0.1', ansible_port: 2200, ansible_user: 'deploy',
    cairn_id: ids.web1, cairn_hostname: 'web-1', cairn_ip: '10.0.0.1', cairn_other_ips: ['10.0.1.1', '10.0.2.1'],
    cairn_os: 'Debian 12', cairn_kernel: '6.1.0', cairn_cpu_count: 4, cairn_memory_mb: 8192,
    cairn_asset_type: 'vm', cairn_asset_status: 'in_use', cairn_idc: 'BJ-1', cairn_idc_name: 'Beijing One',
    cairn_tags: ['edge', { __ansible_unsafe: '{{ x }}' }], cairn_groups: ['Web Servers', 'web--servers'],
  });
  const db = hv[`cairn-host-${ids.db1}`];
  assert.equal(db.cairn_hostname, 'db 1');
  assert.equal(db.ansible_port, 2222, 'the host\'s own SSH port wins over the credential\'s');
  assert.deepEqual(db.cairn_os, { __ansible_unsafe: "{{ lookup('pipe', 'id') }}" });
  assert.deepEqual(db.cairn_groups, ['数据库']);
  assert.equal(hv.bare.ansible_user, undefined, 'no credential, no user');
  const text = r.text;
  for (const bad of [PASSWORD, 'OPENSSH PRIVATE KEY', 'ansible_password', 'private_key', 'passphrase', 'ansible_ssh_pass'])
    assert.ok(!text.includes(bad), `the inventory holds ${bad}`);
});

test('?host= gives one host\'s vars, {} for an unknown host', async () => {
  let r = await admin.get('/api/v1/ansible/inventory?host=web-1');
  assertStatus(r, 200);
  assert.equal(r.body.cairn_id, ids.web1);
  r = await admin.get('/api/v1/ansible/inventory?host=nope');
  assert.deepEqual(r.body, {});
});

test('tasks:view is needed; a user limited to host groups sees only their hosts and groups', async () => {
  const noPerm = await userWith(server, admin, ['assets:view']);
  assertError(await noPerm.get('/api/v1/ansible/inventory'), 403, 'forbidden');
  const scoped = await userWith(server, admin, ['tasks:view']);
  const role = await admin.patch(`/api/v1/roles/${scoped.role_id}`, { group_ids: [ids.live] });
  assertStatus(role, 200, 'scope role');
  const r = await scoped.get('/api/v1/ansible/inventory');
  assertStatus(r, 200);
  assert.deepEqual(r.body.all.hosts, ['inv-live']);
  assert.deepEqual(Object.keys(r.body._meta.hostvars), ['inv-live']);
  assert.ok(r.body.group_live);
  assert.equal(r.body.group_web_servers, undefined, 'another group is not shown');
  assert.deepEqual(r.body.status_in_use.hosts, ['inv-live']);
});

test('cairn inventory --list / --host print what the endpoint serves (environment)', async () => {
  const env = { CAIRN_URL: server.url + '/', CAIRN_TOKEN: token };
  const want = (await admin.get('/api/v1/ansible/inventory')).body;
  let r = cli(['inventory', '--list'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), want);
  r = cli(['--list'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), want);
  r = cli(['inventory', '--host', 'db 1'], env);
  assert.deepEqual(JSON.parse(r.stdout), {}, 'host names are inventory names');
  r = cli(['inventory', '--host', `cairn-host-${ids.db1}`], env);
  assert.equal(JSON.parse(r.stdout).cairn_hostname, 'db 1');
  assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
});

test('cairn reads ~/.config/cairn/cli.conf, refuses one others can read, and reports server errors', () => {
  const dir = path.join(work, '.config/cairn');
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, 'cli.conf');
  fs.writeFileSync(conf, `# Cairn\nurl = ${server.url}\ntoken = ${token}\n`, { mode: 0o600 });
  let r = cli(['inventory', '--list']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout)._meta.hostvars['web-1']);
  fs.chmodSync(conf, 0o644);
  r = cli(['inventory', '--list']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /chmod 600/);
  fs.chmodSync(conf, 0o600);
  r = cli(['inventory', '--list'], { CAIRN_TOKEN: 'cairn_0000' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /answered 401/);
  r = cli(['inventory', '--list'], { HOME: '/nonexistent' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /CAIRN_URL/);
  r = cli(['bogus']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: cairn/);
  fs.rmSync(conf);
});

test('ansible-inventory and ansible use `cairn` as a dynamic inventory script', () => {
  const script = path.join(work, 'cairn-inventory.sh');
  fs.writeFileSync(script, `#!/bin/sh\nexec ${CLI} inventory "$@"\n`, { mode: 0o755 });
  const env = {
    ...process.env, HOME: work, CAIRN_URL: server.url, CAIRN_TOKEN: token, ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_SSH_ARGS: '-o UserKnownHostsFile=/dev/null -o ControlMaster=no',
    ANSIBLE_LOCAL_TEMP: path.join(work, 'ansible-tmp'), ANSIBLE_NOCOLOR: '1', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
  };
  let r = spawnSync('ansible-inventory', ['-i', script, '--list'], { encoding: 'utf8', env, timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const inv = JSON.parse(r.stdout);
  assert.deepEqual(inv.group_web_servers.hosts, ['web-1']);
  assert.deepEqual(inv.group_live.hosts, ['inv-live']);
  // ansible-inventory shows a value Ansible holds as unsafe with the same marker.
  assert.deepEqual(inv._meta.hostvars[`cairn-host-${ids.db1}`].cairn_os, { __ansible_unsafe: "{{ lookup('pipe', 'id') }}" });
  r = spawnSync('ansible', ['-i', script, 'group_live', '-m', 'ping', '--private-key', ssh.key], { encoding: 'utf8', env, timeout: 60000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /inv-live \| SUCCESS/);
  assert.match(r.stdout, /"ping": "pong"/);
  r = spawnSync('ansible', ['-i', script, 'type_physical', '-m', 'debug', '-a', 'var=cairn_os'], { encoding: 'utf8', env, timeout: 60000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(r.stdout.includes("lookup('pipe', 'id')"), 'the lookup is shown, not run');
});
