// agent_tls.test.mjs -- the release cairn-agent (build/cairn-agent, the
// binary users get: its own static libcurl with mbed TLS, see
// scripts/build-curl.sh) reporting to a real cairnd over HTTPS.
//
// A node https server on loopback terminates TLS with a certificate from a
// CA made for this test (openssl) and passes every request on to cairnd
// unchanged, noting what came through. Checked: given the CA (--ca-file, or
// ca_file in the config file) the agent enrolls and its gzip reports are
// accepted by cairnd, with the server named by IP address, v4 or v6 (the
// certificate's iPAddress entry) and by name (its dNSName entry); the
// server is refused, and nothing reaches cairnd, with no CA given (the
// system store does not know the test CA), with another CA, and with a
// certificate for another address or name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer } from '../lib/harness.mjs';
import { recordingHandler } from '../lib/agentproxy.mjs';
import { adminClient } from '../lib/client.mjs';
import { assertStatus, sleep } from './common.mjs';

const AGENT = process.env.CAIRN_AGENT_RELEASE || path.join(ROOT, 'build/cairn-agent');
const ENROLL = `tls-enroll-${crypto.randomBytes(8).toString('hex')}`;
let server, admin, dir;
const fronts = [];

// ---- a test PKI ------------------------------------------------------------------

function openssl(...args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

// A self-signed CA: NAME.key, NAME.pem.
function makeCa(name) {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=cairn test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

// A server certificate signed by CA with the subjectAltName san: NAME.key, NAME.pem.
function makeCert(name, ca, san) {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  fs.writeFileSync(path.join(dir, `${name}.ext`),
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
}

// ---- the TLS front: https on loopback, passing requests on to cairnd -----------------

function startFront(cert, host = '127.0.0.1') {
  const log = [];
  const srv = https.createServer({
    key: fs.readFileSync(path.join(dir, `${cert}.key`)), cert: fs.readFileSync(path.join(dir, `${cert}.pem`)),
  }, recordingHandler(log, () => server.port));
  const handshakes = { tcp: 0 };
  srv.on('connection', () => { handshakes.tcp++; });
  return new Promise((resolve) => {
    srv.once('error', () => resolve(null)); // no such address here (IPv6 off)
    srv.listen(0, host, () => {
      const f = { port: srv.address().port, log, handshakes, close: () => new Promise((r) => srv.close(r)) };
      fronts.push({ srv, f });
      resolve(f);
    });
  });
}

// ---- the agent ---------------------------------------------------------------------

// Run the release agent with args until until(out) holds (or 30 s pass),
// then stop it; returns its output. It must exit 0 on SIGTERM.
async function runAgent(args, until) {
  const state = fs.mkdtempSync(path.join(dir, 'state-'));
  const child = spawn(AGENT, ['--state-dir', state, '--interval', '1', '--log-level', 'debug', ...args],
    { env: { ...process.env, CAIRN_ENROLL_TOKEN: ENROLL }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => child.once('exit', (code, sig) => r(code ?? sig)));
  const deadline = Date.now() + 30000;
  while (!until(out) && Date.now() < deadline && child.exitCode === null) await sleep(100);
  if (child.exitCode === null) child.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 0, `cairn-agent exited with ${code}:\n${out.slice(-3000)}`);
  return out;
}

const reportsOk = (f) => f.log.filter((e) => e.path === '/api/v1/agent/report' && e.status === 200);

// Started against front f at url: enrolls, and two reports, gzip'd, are
// accepted by cairnd and land on the host.
async function assertReports(f, url, args) {
  const before = reportsOk(f).length, log0 = f.log.length;
  const out = await runAgent(['--server', url, ...args],
    () => reportsOk(f).length >= before + 2);
  const ok = reportsOk(f).slice(before);
  assert.ok(ok.length >= 2, `two reports accepted over TLS:\n${out.slice(-3000)}`);
  assert.ok(ok.every((e) => e.gzip), 'reports are sent with Content-Encoding: gzip');
  assert.doesNotMatch(out, /level=error/);
  const enroll = f.log.slice(log0).find((e) => e.path === '/api/v1/agent/enroll' && e.status === 201);
  assert.ok(enroll, 'enrolled through the TLS front');
  for (const e of ok) assert.equal(e.answer.accepted + e.answer.skipped, e.seqs.length, JSON.stringify(e));
  const h = await admin.get(`/api/v1/hosts/${enroll.answer.host_id}`);
  assertStatus(h, 200, 'the enrolled host');
  assert.ok(h.body.last_seen_at, 'cairnd stored the reports');
}

// Started against front f at url: the agent connects, refuses the server's
// certificate (curl checks mbed TLS's verdict at the end of the handshake,
// before any request is sent), nothing reaches cairnd, and the agent says
// why.
async function assertRefused(f, url, args, reason = /SSL peer certificate/) {
  const tcp0 = f.handshakes.tcp, log0 = f.log.length;
  const refusals = (o) => (o.match(/enrollment failed/g) || []).length;
  const out = await runAgent(['--server', url, ...args], (o) => refusals(o) >= 2);
  assert.ok(refusals(out) >= 2, `the agent retried and logged the refusal:\n${out.slice(-3000)}`);
  assert.match(out, reason);
  assert.equal(f.log.length, log0, 'no request reached cairnd');
  assert.ok(f.handshakes.tcp > tcp0, 'the agent connected');
}

let good, wrongIp, otherCaFront, good6, wrongIp6;

before(async () => {
  assert.ok(fs.existsSync(AGENT), `${AGENT} missing: run make`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cairn-agent-tls-'));
  makeCa('ca');
  makeCa('other');
  makeCert('good', 'ca', 'DNS:localhost,IP:127.0.0.1,IP:::1');
  makeCert('wrongip', 'ca', 'DNS:cairn.invalid,IP:127.0.0.2');
  makeCert('byother', 'other', 'DNS:localhost,IP:127.0.0.1');
  server = await startServer({ env: { CAIRN_ENROLL_TOKEN: ENROLL } });
  admin = await adminClient(server);
  good = await startFront('good');
  wrongIp = await startFront('wrongip');
  otherCaFront = await startFront('byother');
  good6 = await startFront('good', '::1');
  wrongIp6 = good6 && await startFront('wrongip', '::1');
});

after(async () => {
  for (const { f } of fronts) await f.close();
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the release agent links no system libcurl or TLS library', () => {
  const ldd = execFileSync('ldd', [AGENT]).toString();
  assert.doesNotMatch(ldd, /libcurl|libssl|libcrypto|libgnutls|libmbed/, ldd);
});

test('HTTPS by IP address with --ca-file: enrolls, gzip reports accepted by cairnd', async () => {
  await assertReports(good, `https://127.0.0.1:${good.port}`, ['--ca-file', path.join(dir, 'ca.pem')]);
});

test('HTTPS by name with ca_file in the config file: reports accepted', async () => {
  const conf = path.join(dir, 'agent.conf');
  fs.writeFileSync(conf, `# test\nca_file = ${path.join(dir, 'ca.pem')}\n`);
  await assertReports(good, `https://localhost:${good.port}`, ['--config', conf]);
});

test('no CA given: the system store does not know the test CA, the server is refused', async () => {
  await assertRefused(good, `https://127.0.0.1:${good.port}`, []);
});

test('a certificate from another CA is refused', async () => {
  await assertRefused(otherCaFront, `https://127.0.0.1:${otherCaFront.port}`, ['--ca-file', path.join(dir, 'ca.pem')]);
});

test('a trusted certificate for another address or another name is refused', async () => {
  await assertRefused(wrongIp, `https://127.0.0.1:${wrongIp.port}`, ['--ca-file', path.join(dir, 'ca.pem')]);
  await assertRefused(wrongIp, `https://localhost:${wrongIp.port}`, ['--ca-file', path.join(dir, 'ca.pem')]);
});

test('HTTPS by IPv6 address: the certificate\'s ::1 entry is accepted, a certificate without it refused', async (t) => {
  if (!good6 || !wrongIp6) return t.skip('no IPv6 loopback here');
  await assertReports(good6, `https://[::1]:${good6.port}`, ['--ca-file', path.join(dir, 'ca.pem')]);
  await assertRefused(wrongIp6, `https://[::1]:${wrongIp6.port}`, ['--ca-file', path.join(dir, 'ca.pem')]);
});
