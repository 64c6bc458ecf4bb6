// install.test.mjs -- `make install` (scripts/install.sh) staged into a
// directory: the layout, the modes, a unit systemd accepts, and the
// installed cairnd run from there with the installed config, finding the
// console and the agent binary beside itself (no --web flag), as the
// systemd unit runs it.
//
// The programs staged are the release build, as `make install` installs
// them (make test builds it too).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, freePort } from '../lib/harness.mjs';

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-install-'));
const data = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-install-data-'));
const LIB = path.join(stage, 'usr/local/lib/cairn');
let child = null;

after(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(stage, { recursive: true, force: true });
  fs.rmSync(data, { recursive: true, force: true });
});

function install(env = {}) {
  const r = spawnSync(path.join(ROOT, 'scripts/install.sh'), [],
    { env: { ...process.env, DESTDIR: stage, BUILD: 'build', ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, `install.sh: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('the staged layout: programs side by side, links, a private config, a unit systemd accepts', () => {
  install();
  for (const f of ['cairnd', 'cairn', 'cairn-agent']) {
    const st = fs.statSync(path.join(LIB, f));
    assert.ok(st.mode & 0o111, `${f} is executable`);
  }
  assert.ok(fs.existsSync(path.join(LIB, 'web/index.html')));
  assert.ok(fs.existsSync(path.join(LIB, 'share/ansible/callback_plugins/cairn_jsonl.py')), 'Ansible jobs need the callback');
  assert.equal(fs.readlinkSync(path.join(stage, 'usr/local/bin/cairnd')), '../lib/cairn/cairnd');
  assert.ok(fs.existsSync(path.join(stage, 'usr/local/bin/cairn')), 'the CLI link resolves');
  const conf = path.join(stage, 'etc/cairn/cairnd.conf');
  assert.equal(fs.statSync(conf).mode & 0o777, 0o640, 'the config may hold a database password');
  const unit = fs.readFileSync(path.join(stage, 'etc/systemd/system/cairnd.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/local\/lib\/cairn\/cairnd --config \/etc\/cairn\/cairnd.conf$/m);
  assert.match(unit, /^User=cairn$/m);
  assert.doesNotMatch(unit, /@LIBDIR@/);

  // a second install keeps the administrator's config
  fs.appendFileSync(conf, 'log-level = debug\n');
  assert.match(install(), /kept .*cairnd.conf/);
  assert.match(fs.readFileSync(conf, 'utf8'), /log-level = debug/);

  const sa = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (sa.status === 0) {
    // verify a copy whose paths point into the stage (ExecStart must exist)
    const copy = path.join(stage, 'cairnd.service');
    fs.writeFileSync(copy, unit.replaceAll('/usr/local/lib/cairn', LIB));
    const v = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    assert.equal(v.status, 0, `systemd-analyze verify: ${v.stdout}${v.stderr}`);
  }
});

test('the installed cairnd runs with the installed config and serves the console and the agent from beside itself', async () => {
  const port = await freePort();
  const conf = path.join(stage, 'etc/cairn/cairnd.conf');
  // the port comes from the config file only: an answer there proves it was read
  fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/^listen = .*$/m, `listen = 127.0.0.1:${port}`));
  let out = '';
  child = spawn(path.join(stage, 'usr/local/bin/cairnd'), ['--config', conf, '--data', data],
    { env: { ...process.env, CAIRN_ADMIN_PASSWORD: 'install-Pa55word', }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch { /* not up yet */ }
    assert.ok(child.exitCode === null, `cairnd exited: ${out}`);
    assert.ok(Date.now() < deadline, `cairnd did not answer: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(out, new RegExp(`web=${LIB.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/web`), 'the console beside the binary');
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<html/i);
  const agent = await fetch(`${base}/agent/cairn-agent`);
  assert.equal(agent.status, 200);
  const body = Buffer.from(await agent.arrayBuffer());
  assert.ok(body.equals(fs.readFileSync(path.join(LIB, 'cairn-agent'))), 'serves the installed agent');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
});
