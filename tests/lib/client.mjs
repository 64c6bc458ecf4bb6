// client.mjs -- a small HTTP client for tests that behaves like the console:
// keeps the session cookie, sends the CSRF token on writes.
import net from 'node:net';

export class Client {
  constructor(base) {
    this.base = base;
    this.cookie = null;
    this.csrf = null;
    this.bearer = null;
  }

  async req(method, path, body, { headers = {}, raw = false } = {}) {
    const h = { ...headers };
    if (this.cookie) h.Cookie = this.cookie;
    if (this.bearer) h.Authorization = `Bearer ${this.bearer}`;
    if (this.csrf && method !== 'GET' && !('X-CSRF-Token' in h)) h['X-CSRF-Token'] = this.csrf;
    let payload;
    if (body !== undefined) {
      payload = raw ? body : JSON.stringify(body);
      if (!('Content-Type' in h)) h['Content-Type'] = 'application/json';
    }
    const r = await fetch(this.base + path, { method, headers: h, body: payload, redirect: 'manual' });
    const set = r.headers.get('set-cookie');
    if (set) {
      const m = /cairn_sid=([^;]*)/.exec(set);
      if (m) this.cookie = m[1] ? `cairn_sid=${m[1]}` : null;
    }
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, body: json, text, headers: r.headers };
  }

  get(p, o) { return this.req('GET', p, undefined, o); }
  post(p, b, o) { return this.req('POST', p, b, o); }
  put(p, b, o) { return this.req('PUT', p, b, o); }
  patch(p, b, o) { return this.req('PATCH', p, b, o); }
  del(p, o) { return this.req('DELETE', p, undefined, o); }

  async login(username, password) {
    const r = await this.post('/api/v1/auth/login', { username, password });
    if (r.status === 200) this.csrf = r.body.csrf_token;
    return r;
  }
}

// Sign in as admin and return the client (throws on failure).
export async function adminClient(server) {
  const c = new Client(server.url);
  const r = await c.login('admin', server.adminPassword);
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`);
  return c;
}

// Send `text` as-is over a new TCP connection to server (an object with
// `port`, or a port number) and read the answer until the server closes the
// connection or a complete response has arrived. Use it for what fetch()
// will not send: unnormalised paths (/../x), bad headers, partial bodies.
// Returns { status, headers (lower-case names), body (string), raw }.
// opts.onConnect(socket) may write more itself; opts.send=false skips
// writing `text`; opts.untilClose waits for the server to close the
// connection (raw then holds every response, e.g. of pipelined requests).
export function rawRequest(server, text, opts = {}) {
  const port = typeof server === 'number' ? server : server.port;
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks = [];
    let settled = false;
    const finish = (closed = false) => {
      if (settled || (opts.untilClose && !closed)) return;
      const raw = Buffer.concat(chunks).toString('latin1');
      const parsed = parseResponse(raw, /^HEAD /.test(text));
      if (!parsed) return;
      settled = true;
      sock.destroy();
      resolve(parsed);
    };
    sock.on('connect', () => {
      if (opts.send !== false) sock.write(text);
      if (opts.onConnect) opts.onConnect(sock);
    });
    sock.on('data', (d) => { chunks.push(d); finish(); });
    sock.on('end', () => {
      finish(true);
      if (!settled) { settled = true; reject(new Error(`connection closed without a complete response: ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`)); }
    });
    sock.on('error', (e) => { if (!settled) { settled = true; reject(e); } });
  });
}

// Parse one HTTP/1.1 response from raw (Content-Length bodies, or bodyless
// statuses and HEAD answers); null when incomplete.
function parseResponse(raw, head = false) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = raw.slice(0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return null;
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = Number(m[1]);
  let body = raw.slice(end + 4);
  if (head) {
    body = '';
  } else if ('content-length' in headers) {
    const n = Number(headers['content-length']);
    if (Buffer.byteLength(body, 'latin1') < n) return null;
    body = body.slice(0, n);
  } else if (headers['transfer-encoding'] !== 'chunked' && status !== 204 && status !== 304) {
    return null; // until the connection closes
  }
  return { status, headers, body: Buffer.from(body, 'latin1').toString('utf8'), raw };
}
