// ws.mjs -- a minimal WebSocket client (RFC 6455) over node:net, for tests.
// Node 20 has no WebSocket client and the tests use no npm packages.
//
//   const ws = await wsConnect(server.url + '/api/v1/jobs/7/stream', { headers: { Cookie: c.cookie } });
//   const msg = await ws.next();        // next text message (string), or null once the server closed
//   const all = await ws.drain();       // every message until the server closes
//   ws.pause(); ws.resume();            // stop / restart reading the socket (a slow reader: TCP
//                                       // back-pressure reaches the server while paused)
//   ws.close();                         // send a close frame and end
//   ws.closeCode                        // the code of the server's close frame (after it came)
//   ws.headers                          // the 101 answer's headers (lower-case names)
//
// wsConnect rejects with err.status / err.headers / err.body when the server
// answers the handshake with anything but 101, and checks
// Sec-WebSocket-Accept against the key it sent. Frames from the client are
// masked (as the RFC requires); the server's must not be. Pings are answered
// with pongs; fragmented messages are reassembled; a protocol error destroys
// the socket and makes next() reject.
import crypto from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// The Sec-WebSocket-Accept value for a key (RFC 6455, section 4.2.2).
export function acceptKey(key) {
  return crypto.createHash('sha1').update(key + GUID).digest('base64');
}

// One frame from client to server (masked).
function frame(opcode, payload = Buffer.alloc(0)) {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = 0x80 | len;
  else if (len < 65536) { head[1] = 0x80 | 126; head.writeUInt16BE(len, 2); }
  else { head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(len), 2); }
  const mask = crypto.randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

class WsClient {
  constructor(sock, rest) {
    this.sock = sock;
    this.buf = rest;
    this.queue = [];          // complete messages not yet taken
    this.waiters = [];        // pending next() calls
    this.frag = null;         // parts of a fragmented message
    this.ended = false;
    this.error = null;
    this.closeCode = null;
    sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    sock.on('close', () => this.finish());
    // A reset after the close handshake (the server closed first) is no error.
    sock.on('error', (e) => { if (this.closeCode === null) this.error = this.error || e; this.finish(); });
    if (this.buf.length) setImmediate(() => this.parse());
  }

  parse() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = (b[0] & 0x80) !== 0, op = b[0] & 0x0f;
      if (b[0] & 0x70) return this.fail('reserved bits set by the server');
      if (b[1] & 0x80) return this.fail('the server masked a frame');
      let len = b[1] & 0x7f, off = 2;
      if (len === 126) { if (b.length < 4) return; len = b.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (b.length < 10) return; len = Number(b.readBigUInt64BE(2)); off = 10; }
      if (b.length < off + len) return;
      const payload = b.subarray(off, off + len);
      this.buf = b.subarray(off + len);
      if (op === 0x9) { this.sock.write(frame(0xA, payload)); continue; }   // ping → pong
      if (op === 0xA) continue;                                              // pong
      if (op === 0x8) {                                                      // close
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (!this.sock.destroyed) this.sock.end(frame(0x8, payload.subarray(0, 2)));
        this.finish();
        return;
      }
      if (op === 0x1 || op === 0x2) {
        if (this.frag) return this.fail('a new message inside a fragmented one');
        if (fin) this.push(op, [payload]);
        else this.frag = { op, parts: [Buffer.from(payload)] };
      } else if (op === 0x0) {
        if (!this.frag) return this.fail('a continuation frame without a message');
        this.frag.parts.push(Buffer.from(payload));
        if (fin) { const f = this.frag; this.frag = null; this.push(f.op, f.parts); }
      } else {
        return this.fail(`unknown opcode ${op}`);
      }
    }
  }

  push(op, parts) {
    const data = Buffer.concat(parts);
    const msg = op === 0x1 ? data.toString('utf8') : data;
    const w = this.waiters.shift();
    if (w) w.resolve(msg);
    else this.queue.push(msg);
  }

  fail(why) {
    this.error = new Error(`WebSocket protocol error: ${why}`);
    this.sock.destroy();
    this.finish();
  }

  finish() {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) {
      if (this.error) w.reject(this.error);
      else w.resolve(null);
    }
  }

  // The next message (string for text, Buffer for binary), or null when the
  // connection has ended. Rejects after timeoutMs (default 60 s) of silence.
  next(timeoutMs = 60000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.ended) return this.error ? Promise.reject(this.error) : Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (m) => { clearTimeout(t); resolve(m); },
        reject: (e) => { clearTimeout(t); reject(e); },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no WebSocket message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  // Every message until the server closes the connection.
  async drain(timeoutMs = 60000) {
    const out = [];
    for (let m; (m = await this.next(timeoutMs)) !== null;) out.push(m);
    return out;
  }

  pause() { this.sock.pause(); }
  resume() { this.sock.resume(); }

  send(text) { this.sock.write(frame(0x1, Buffer.from(text, 'utf8'))); }

  close(code = 1000) {
    if (this.sock.destroyed) return;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code, 0);
    this.sock.end(frame(0x8, p));
    this.sock.resume();
  }

  destroy() { this.sock.destroy(); }
}

// Open a WebSocket to url (http:// or ws://, loopback tests only: no TLS).
// opts.headers are added to the handshake (Cookie, Authorization, Origin).
export function wsConnect(url, { headers = {}, timeoutMs = 20000 } = {}) {
  const u = new URL(url.replace(/^ws/, 'http'));
  const key = crypto.randomBytes(16).toString('base64');
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port || 80), u.hostname);
    let head = Buffer.alloc(0), done = false;
    const timer = setTimeout(() => fail(new Error(`no handshake answer from ${url}`)), timeoutMs);
    function fail(e) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    }
    sock.on('error', fail);
    sock.on('connect', () => {
      const lines = [`GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'Upgrade: websocket',
        'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13'];
      for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) lines.push(`${k}: ${v}`);
      sock.write(lines.join('\r\n') + '\r\n\r\n');
    });
    function onData(d) {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = head.subarray(0, end).toString('latin1');
      const rest = head.subarray(end + 4);
      const status = Number((/^HTTP\/1\.1 (\d{3})/.exec(text) || [])[1]);
      const hdrs = {};
      for (const l of text.split('\r\n').slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) hdrs[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      if (status !== 101) {
        // Read the (small) error body until it is complete or the server closes.
        const need = Number(hdrs['content-length'] || 0);
        if (rest.length < need) return;
        sock.off('data', onData);
        const e = new Error(`WebSocket handshake answered ${status}`);
        Object.assign(e, { status, headers: hdrs, body: rest.subarray(0, need).toString('utf8') });
        try { e.json = JSON.parse(e.body); } catch { /* not JSON */ }
        return fail(e);
      }
      sock.off('data', onData);
      if (hdrs['sec-websocket-accept'] !== acceptKey(key)) return fail(new Error(`bad Sec-WebSocket-Accept ${hdrs['sec-websocket-accept']}`));
      if ((hdrs.upgrade || '').toLowerCase() !== 'websocket') return fail(new Error(`bad Upgrade header ${hdrs.upgrade}`));
      done = true;
      clearTimeout(timer);
      sock.off('error', fail);
      const client = new WsClient(sock, rest);
      client.headers = hdrs;
      resolve(client);
    }
    sock.on('data', onData);
  });
}
