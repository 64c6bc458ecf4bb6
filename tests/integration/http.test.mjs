// http.test.mjs -- the HTTP layer: static files with their security
// headers, path traversal refused (sent raw, since fetch() normalises
// paths), HEAD, ETag, JSON 404 for unknown API paths, 405 with Allow for
// wrong methods, log lines that user text cannot forge, keep-alive, and a
// graceful shutdown that lets an in-flight request finish.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, ROOT } from '../lib/harness.mjs';
import { Client, adminClient, rawRequest } from '../lib/client.mjs';
import { assertError, assertStatus, assertHealthy } from './common.mjs';

let server;

before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

function assertSecurityHeaders(h, html) {
  assert.equal(h.get ? h.get('x-content-type-options') : h['x-content-type-options'], 'nosniff');
  assert.equal(h.get ? h.get('x-frame-options') : h['x-frame-options'], 'DENY');
  assert.equal(h.get ? h.get('referrer-policy') : h['referrer-policy'], 'same-origin');
  const csp = h.get ? h.get('content-security-policy') : h['content-security-policy'];
  if (html) {
    assert.ok(csp, 'HTML pages carry a Content-Security-Policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-eval/);
  }
}

test('/ and /login.html are served as HTML with CSP, nosniff and frame protection', async () => {
  for (const p of ['/', '/index.html', '/login.html']) {
    const r = await fetch(server.url + p);
    assert.equal(r.status, 200, p);
    assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
    assertSecurityHeaders(r.headers, true);
    const body = await r.text();
    const file = p === '/' ? 'index.html' : p.slice(1);
    assert.equal(body, fs.readFileSync(path.join(ROOT, 'build/web', file), 'utf8'));
  }
});

test('scripts and styles get their types; JSON API answers carry nosniff and no-store', async () => {
  const js = fs.readdirSync(path.join(ROOT, 'build/web/js')).find((f) => f.endsWith('.js'));
  const r = await fetch(`${server.url}/js/${js}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  assertSecurityHeaders(r.headers, false);
  const api = await fetch(`${server.url}/api/v1/health`);
  assertSecurityHeaders(api.headers, false);
  assert.equal(api.headers.get('cache-control'), 'no-store');
});

test('ETag and If-None-Match give 304 without a body', async () => {
  const r = await fetch(`${server.url}/login.html`);
  const etag = r.headers.get('etag');
  assert.ok(etag);
  const again = await fetch(`${server.url}/login.html`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
});

test('path traversal and hidden files are refused', async () => {
  const attempts = [
    '/../etc/passwd', '/../../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/%2E%2E%2Fetc%2Fpasswd',
    '/vendor/../../x', '/vendor/%2e%2e/%2e%2e/etc/passwd', '/js/..%2f..%2f..%2fetc/passwd', '/..%5c..%5cetc/passwd',
    '/.%2e/etc/passwd', '//etc/passwd', '/index.html/../../etc/passwd', '/%00/etc/passwd', '/login.html%00.png',
    '/.git/config', '/./index.html', '/js/.hidden', '/%2e/index.html',
  ];
  for (const p of attempts) {
    const r = await rawRequest(server, `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.ok(r.status === 400 || r.status === 404, `${p} → ${r.status}`);
    assert.doesNotMatch(r.body, /root:/, p);
    assert.doesNotMatch(r.body, /<html/i, `${p} served a page`);
    assert.match(r.headers['content-type'], /^application\/json/, p);
  }
  await assertHealthy(server);
});

test('HEAD answers like GET without a body', async () => {
  for (const p of ['/', '/login.html', '/api/v1/health']) {
    const g = await fetch(server.url + p);
    const h = await fetch(server.url + p, { method: 'HEAD' });
    assert.equal(h.status, 200, p);
    assert.equal(h.headers.get('content-type'), g.headers.get('content-type'));
    assert.equal(await h.text(), '');
    if (p !== '/api/v1/health') assert.equal(h.headers.get('content-length'), String((await g.arrayBuffer()).byteLength));
  }
  const raw = await rawRequest(server, 'HEAD /api/v1/auth/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.equal(raw.status, 401, 'HEAD needs the same rights as GET');
});

test('unknown API paths are JSON 404, unknown pages 404', async () => {
  const c = new Client(server.url);
  for (const p of ['/api/v1/nope', '/api/v2/health', '/api', '/api/', '/api/v1', '/api/v1/users/1/nope', '/api/v1/health/x']) {
    assertError(await c.get(p), 404, 'not_found');
    assertError(await c.post(p, {}), 404, 'not_found');
  }
  const page = await c.get('/no-such-page.html');
  assertError(page, 404, 'not_found');
});

test('wrong methods are 405 with an Allow header', async () => {
  const c = new Client(server.url);
  const cases = [
    ['POST', '/api/v1/health', 'GET, HEAD'],
    ['DELETE', '/api/v1/health', 'GET, HEAD'],
    ['GET', '/api/v1/auth/login', 'POST'],
    ['PUT', '/api/v1/auth/logout', 'POST'],
    ['DELETE', '/api/v1/users', 'GET, HEAD, POST'],
    ['POST', '/api/v1/users/1', 'GET, HEAD, PUT, PATCH, DELETE'],
    ['POST', '/api/v1/settings', 'GET, HEAD, PUT, PATCH'],
    ['OPTIONS', '/api/v1/users', 'GET, HEAD, POST'],
  ];
  for (const [m, p, allow] of cases) {
    const r = await c.req(m, p, m === 'GET' || m === 'DELETE' || m === 'OPTIONS' ? undefined : {});
    assertError(r, 405, 'method_not_allowed');
    assert.equal(r.headers.get('allow'), allow, `${m} ${p}`);
  }
  // static pages are read-only
  const r = await rawRequest(server, 'DELETE /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.ok(r.status === 404 || r.status === 405, `DELETE /index.html → ${r.status}`);
  assert.ok(fs.existsSync(path.join(ROOT, 'build/web/index.html')));
});

test('user text cannot forge log lines', async () => {
  const mark = server.logs().length;
  await rawRequest(server, 'GET /api/v1/x%0a%0dts=1%20level=error%20msg=forged%22 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await new Client(server.url).login('evil\nts=1 level=error msg=forged', 'x');
  await assertHealthy(server);
  const lines = server.logs().slice(mark).split('\n');
  assert.ok(lines.some((l) => l.includes('forged')), 'the request was logged');
  for (const l of lines) if (l) assert.match(l, /^ts=\d{4}-\d\d-\d\dT[\d:.]+Z level=\w+ msg=/, `every line is one real log line: ${l}`);
});

test('keep-alive: several requests on one connection, each answered', async () => {
  const one = 'GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n';
  const r = await rawRequest(server, `${one}${one}GET /login.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, { untilClose: true });
  assert.equal((r.raw.match(/HTTP\/1\.1 200 OK/g) || []).length, 3, r.raw.slice(0, 500));
});

test('concurrent logins and reads are all answered', async () => {
  const admin = await adminClient(server);
  const work = [];
  for (let i = 0; i < 12; i++) work.push(new Client(server.url).login('admin', server.adminPassword));
  for (let i = 0; i < 40; i++) work.push(admin.get('/api/v1/users'));
  for (const r of await Promise.all(work)) assert.equal(r.status, 200);
});

// Its own server with one HTTP thread and one worker.
test('password hashing runs off the HTTP threads: other requests are answered meanwhile', async () => {
  const s = await startServer({ args: ['--threads', '1', '--workers', '1'] });
  try {
    const order = [];
    const logins = [];
    for (let i = 0; i < 6; i++)
      logins.push(new Client(s.url).login('admin', s.adminPassword).then((r) => { order.push(`login${r.status}`); }));
    await new Promise((r) => setTimeout(r, 20)); // let the logins reach the server first
    const health = fetch(`${s.url}/api/v1/health`).then((r) => { order.push(`health${r.status}`); });
    await Promise.all([...logins, health]);
    assert.equal(order.filter((x) => x === 'login200').length, 6);
    // argon2id takes tens of milliseconds per login at the least; health takes
    // a query. Hashed on the single HTTP thread, health would wait for the
    // first login at least.
    assert.equal(order[0], 'health200', `health waited for a login: ${order}`);
  } finally {
    await s.stop();
  }
});

// Its own server: it is stopped on purpose.
test('SIGTERM lets an in-flight request finish, then cairnd exits cleanly', async () => {
  const s = await startServer({ args: ['--log-level', 'debug'] });
  let code;
  try {
    const body = JSON.stringify({ username: 'admin', password: s.adminPassword });
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
    const mark = s.logs().length;
    let sock;
    // Send the headers and half the body: the request is now in flight.
    const answer = rawRequest(s, head + body.slice(0, 10), { onConnect: (k) => { sock = k; } });
    await s.waitForLog(/msg=request_begin method=POST path=\/api\/v1\/auth\/login/, { since: mark });
    s.signal('SIGTERM');
    await s.waitForLog(/msg=stopping signal=15/, { since: mark });
    // cairnd is shutting down; finish the request.
    sock.write(body.slice(10));
    const r = await answer;
    assert.equal(r.status, 200, `the in-flight login completed: ${r.raw.slice(0, 300)}`);
    assert.match(JSON.parse(r.body).csrf_token, /^[0-9a-f]{64}$/);
    code = await s.stop();
  } finally {
    if (code === undefined) await s.stop({ signal: 'SIGKILL' }).catch(() => {});
  }
  assert.equal(code, 0);
  assert.match(s.logs(), /msg=stopped/);
  // new connections are refused once it is gone
  await assert.rejects(fetch(`${s.url}/api/v1/health`));
});
