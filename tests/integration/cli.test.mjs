// cli.test.mjs -- cairnd's command line: --version, --help, bad flags and
// bad configuration files are answered with a message and a non-zero exit
// before anything starts; a configuration file is read; a port already in
// use is refused instead of shared.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CAIRND, startServer, waitForBinary } from '../lib/harness.mjs';
import { VERSION } from './common.mjs';

before(() => waitForBinary());

const ENV = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', CAIRN_ADMIN_PASSWORD: 'admin-Pa55word' };

// Run cairnd to completion. A cairnd that starts serving instead of exiting
// is killed after 10 s and fails the test.
function run(args, opts = {}) {
  const r = spawnSync(CAIRND, args, { env: ENV, encoding: 'utf8', timeout: 10000, killSignal: 'SIGKILL', ...opts });
  assert.equal(r.error, undefined, `cairnd ${args.join(' ')} did not exit: ${r.error}\n${r.stdout}${r.stderr}`);
  return r;
}

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-cli-'));
}

test('--version prints the version and exits 0', () => {
  const r = run(['--version']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `cairnd ${VERSION}`);
});

test('--help and -h print the usage with every option and exit 0', () => {
  for (const flag of ['--help', '-h']) {
    const r = run([flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: cairnd/);
    for (const opt of ['--listen', '--data', '--db', '--web', '--config', '--body-limit', '--log-level', '--version'])
      assert.ok(r.stdout.includes(opt), `${opt} missing from --help`);
    assert.match(r.stdout, /CAIRN_ADMIN_PASSWORD/);
  }
});

test('bad flags exit non-zero with a message naming the problem', () => {
  const data = tmpdir();
  const cases = [
    [['--bogus', 'x'], /unknown setting "bogus"/],
    [['--listen'], /--listen needs a value/],
    [['--listen', 'nowhere'], /listen: expected ADDR:PORT/],
    [['--listen', '127.0.0.1:70000'], /listen: expected ADDR:PORT/],
    [['--listen', '127.0.0.1:0x50'], /listen: expected ADDR:PORT/],
    [['--threads', 'many'], /threads: expected a number/],
    [['--workers', '0'], /workers/],
    [['--db-pool', '0'], /db-pool/],
    [['--max-connections', '-1'], /max-connections/],
    [['--body-limit', '10'], /body-limit: expected bytes/],
    [['--log-level', 'loud'], /log-level: expected debug, info, warn or error/],
    [['stray'], /unexpected argument "stray"/],
    [['--config', path.join(data, 'missing.conf')], /missing\.conf: No such file/],
    [['--db', 'mysql://x'], /database URL must be sqlite:PATH or postgresql/],
  ];
  for (const [args, re] of cases) {
    // --listen on a free-by-construction port and --data in a temp dir, so a
    // flag wrongly accepted cannot touch ./var or a running server.
    const r = run(['--data', data, '--listen', '127.0.0.1:1', ...args]);
    assert.notEqual(r.status, 0, `cairnd ${args.join(' ')} should fail`);
    assert.match(r.stderr, re, `cairnd ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^cairnd: /);
    assert.equal(r.stdout, '', `nothing on stdout for ${args.join(' ')}`);
  }
  // no database was created by the refused starts
  assert.deepEqual(fs.readdirSync(data).filter((f) => /cairn\.db|admin/.test(f)), []);
});

test('a bad configuration file is refused with file and line', () => {
  const dir = tmpdir();
  const cases = [
    ['listen = 127.0.0.1:8000\nnonsense line\n', /:2: expected key = value/],
    ['# comment\n\nthreads = lots\n', /:3: threads: expected a number/],
    ['colour = blue\n', /:1: unknown setting "colour"/],
  ];
  for (const [text, re] of cases) {
    const f = path.join(dir, 'bad.conf');
    fs.writeFileSync(f, text);
    const r = run(['--config', f]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, re);
    assert.ok(r.stderr.includes(f), r.stderr);
  }
});

test('the configuration file is read (keys with _ or -), flags win over it', async () => {
  const dir = tmpdir();
  const f = path.join(dir, 'cairn.conf');
  // log_level=warn silences the info line "started"; body_limit is checked below.
  fs.writeFileSync(f, '# test\nlog_level = warn\nbody-limit = 2048\n');
  const s = await startServer({ args: ['--config', f] });
  try {
    const big = await fetch(`${s.url}/api/v1/groups`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(3000) }),
    });
    assert.equal(big.status, 413, 'body-limit from the file');
    assert.doesNotMatch(s.logs(), /msg=started/, 'log_level from the file');
  } finally {
    await s.stop();
  }
  const s2 = await startServer({ args: ['--config', f, '--log-level', 'info', '--body-limit=1048576'] });
  try {
    const r = await fetch(`${s2.url}/api/v1/groups`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(3000) }),
    });
    assert.equal(r.status, 401, 'the flag raised the body limit: auth comes next');
    assert.match(s2.logs(), /msg=started/, 'the flag overrode log_level');
  } finally {
    await s2.stop();
  }
});

test('a port in use is refused, not shared', async () => {
  const s = await startServer();
  try {
    const data = tmpdir();
    const r = spawnSync(CAIRND, ['--listen', `127.0.0.1:${s.port}`, '--data', data],
      { env: ENV, encoding: 'utf8', timeout: 10000, killSignal: 'SIGKILL' });
    assert.equal(r.error, undefined, `a second cairnd started on the same port:\n${r.stdout}${r.stderr}`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:\d+/);
    const h = await fetch(`${s.url}/api/v1/health`);
    assert.equal(h.status, 200);
  } finally {
    await s.stop();
  }
});

test('a database that cannot be opened stops the start with a message', () => {
  const data = tmpdir();
  const r = run(['--data', data, '--db', `sqlite:${data}/no/such/dir/x.db`]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot open the database/);
});
