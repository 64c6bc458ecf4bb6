// harness.mjs -- start a real cairnd for a test, on a free loopback port.
//
// startServer(opts) → { url, port, adminPassword, dataDir, dbUrl, backend, logs(), stop(),
//                        restart(), waitForLog(), signal(), pid() }
//   opts.backend   'sqlite' | 'pg' (default: env CAIRN_TEST_DB or 'sqlite')
//   opts.args      extra cairnd flags
//   opts.env       extra environment
//   opts.dataDir   reuse a data directory (to restart on existing data)
//   opts.dbUrl     reuse a database URL (PostgreSQL: keep the same database)
//   opts.wrap      a command that execs cairnd, e.g. ['setpriv', '--reuid=65534', …]
//                  (it must exec, so pid() and signals reach cairnd itself)
//
// restart(more) stops and starts the server on the same data; more.env and
// more.args (optional) are added to the environment and flags of this and
// every later start (e.g. restart({ env: { CAIRN_TEST_CLOCK_OFFSET: '3600' } })
// runs cairnd one hour in the future, to test expiry without waiting).
// waitForLog(re, { since, timeoutMs }) resolves with the first log line
// matching re in the logs after character offset `since` (default 0; take
// logs().length as a mark), or rejects if cairnd exits first. signal(sig)
// only sends the signal; stop() afterwards waits for the exit and checks it.
//
// The binary is build/asan/cairnd (ASan + UBSan). stop() sends SIGTERM, waits
// for a clean exit, and throws if the sanitizers reported anything, so every
// test also checks that the server neither leaked nor misbehaved.
// With backend 'pg', each server gets a fresh database in the throwaway
// cluster started by scripts/test.sh (env CAIRN_TEST_PG_DIR, CAIRN_TEST_PG_PORT).
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CAIRND = process.env.CAIRND || path.join(ROOT, 'build/asan/cairnd');
export const ADMIN_PASSWORD = 'admin-Pa55word';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let dbCounter = 0;
// A database URL for a new, empty database: a file in dataDir (sqlite) or a
// new database in the test cluster (pg). For starting several servers on
// one database at once.
export function freshDbUrl(backend, dataDir) {
  return backend === 'pg' ? freshPgDatabase() : `sqlite:${dataDir}/cairn.db`;
}

function freshPgDatabase() {
  const dir = process.env.CAIRN_TEST_PG_DIR, port = process.env.CAIRN_TEST_PG_PORT;
  if (!dir || !port) throw new Error('backend pg needs CAIRN_TEST_PG_DIR and CAIRN_TEST_PG_PORT (run through scripts/test.sh)');
  const name = `cairn_t${process.pid}_${++dbCounter}_${Date.now() % 100000}`;
  // Unicode character classes (lower(), upper()) as on a production server,
  // whose databases are normally created in a UTF-8 locale; code-point
  // ordering as in C. The test cluster itself is initialised with locale C.
  execFileSync('psql', ['-h', dir, '-p', port, '-U', 'postgres', '-d', 'postgres', '-qAtc',
    `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'`]);
  return `postgresql:///${name}?host=${dir}&port=${port}&user=postgres`;
}

async function waitHealthy(url, child, logs) {
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.spawnError) throw new Error(`cairnd exited with ${child.exitCode ?? child.spawnError.code}:\n${logs.join('')}`);
    try {
      const r = await fetch(url + '/api/v1/health');
      if (r.status === 200) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`cairnd did not become healthy:\n${logs.join('')}`);
}

// Wait (up to 30 s) until the cairnd binary is there and executable: a
// `make` running beside the tests relinks it, and the linker leaves it
// without the x bit for a moment. Throws when it never becomes runnable.
export async function waitForBinary(bin = CAIRND) {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      fs.accessSync(bin, fs.constants.X_OK);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${bin} is not executable: ${e.message} (run make asan)`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

const SANITIZER = /(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:)/;

export async function startServer(opts = {}) {
  const backend = opts.backend || process.env.CAIRN_TEST_DB || 'sqlite';
  const dataDir = opts.dataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-test-'));
  const dbUrl = opts.dbUrl || (backend === 'pg' ? freshPgDatabase() : `sqlite:${dataDir}/cairn.db`);
  const port = opts.port || await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs = [];
  const extraEnv = { ...(opts.env || {}) };
  const extraArgs = [...(opts.args || [])];
  const waiters = new Set();
  let child, exited, sent = null;

  function onOutput(d) {
    logs.push(d.toString());
    for (const w of waiters) w.check();
  }

  async function launch() {
    sent = null;
    await waitForBinary();
    const cmd = [...(opts.wrap || []), CAIRND];
    child = spawn(cmd[0], [...cmd.slice(1), '--listen', `127.0.0.1:${port}`, '--data', dataDir, '--db', dbUrl,
      '--web', path.join(ROOT, 'build/web'), ...extraArgs], {
      env: { ...process.env, CAIRN_ADMIN_PASSWORD: ADMIN_PASSWORD,
        ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const c = child;
    exited = new Promise((resolve) => {
      const done = (code) => {
        for (const w of waiters) w.exit(code);
        resolve(code);
      };
      c.once('exit', (code, sig) => done(code ?? sig));
      c.once('error', (e) => { c.spawnError = e; logs.push(`spawn ${CAIRND}: ${e.message}\n`); done(e.code); });
    });
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    await waitHealthy(url, child, logs);
  }

  async function stop({ signal = 'SIGTERM' } = {}) {
    if (!child) return undefined;
    if (child.exitCode === null && child.signalCode === null && !sent) {
      child.kill(signal);
      sent = signal;
    }
    const code = await exited;
    await new Promise((r) => setImmediate(r)); // let the last output arrive
    const text = logs.join('');
    if (SANITIZER.test(text)) throw new Error(`sanitizer report from cairnd:\n${text.slice(-8000)}`);
    if ((sent || signal) === 'SIGTERM' && code !== 0) throw new Error(`cairnd exited with ${code}:\n${text.slice(-4000)}`);
    return code;
  }

  function waitForLog(re, { since = 0, timeoutMs = 20000 } = {}) {
    return new Promise((resolve, reject) => {
      const w = {
        check() {
          const line = logs.join('').slice(since).split('\n').find((l) => re.test(l));
          if (line !== undefined) { done(); resolve(line); }
        },
        exit(code) { done(); reject(new Error(`cairnd exited (${code}) before logging ${re}`)); },
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no log line matching ${re}:\n${logs.join('').slice(-4000)}`)); }, timeoutMs);
      function done() { clearTimeout(timer); waiters.delete(w); }
      waiters.add(w);
      w.check();
    });
  }

  await launch();
  return {
    url, port, dataDir, dbUrl, backend, adminPassword: ADMIN_PASSWORD,
    logs: () => logs.join(''),
    stop,
    async restart(more = {}) {
      await stop();
      Object.assign(extraEnv, more.env || {});
      extraArgs.push(...(more.args || []));
      await launch();
    },
    waitForLog,
    signal(sig) { if (child.exitCode === null && child.signalCode === null) { child.kill(sig); sent = sig; } },
    pid: () => child.pid,
  };
}
