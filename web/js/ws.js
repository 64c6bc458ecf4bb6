// A WebSocket to the API that reconnects with backoff.
//
//   const s = socket('/api/v1/jobs/12/stream', {
//     onMessage(obj) {},          // each JSON message (text frames that are not JSON are ignored)
//     onOpen() {}, onClose(ev) {},
//     shouldReconnect() { return true },   // asked after every close
//     onGiveUp() {},              // maxFailures attempts in a row brought no message
//   });
//   s.close();
//
// The session cookie goes along with the upgrade (same origin), so no token
// is put in the URL. Backoff: 1 s, 2 s, 4 s … up to 15 s, ±20 % jitter; the
// count starts again after a connection that stayed up for 10 s.

const BASE = '/api/v1';

export function wsUrl(path) {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const p = path.startsWith('/api/') ? path : BASE + path;
  return `${proto}//${location.host}${p}`;
}

export function socket(path, {
  onMessage, onOpen, onClose, onGiveUp,
  shouldReconnect = () => true,
  maxFailures = 3, baseDelay = 1000, maxDelay = 15000,
} = {}) {
  let ws = null;
  let closed = false;
  let timer = null;
  let attempt = 0; // reconnects since the last long-lived connection
  let failures = 0; // attempts in a row that brought no message (refused, or closed at once)
  let openedAt = 0;

  function connect() {
    if (closed) return;
    let opened = false;
    let heard = false;
    try {
      ws = new WebSocket(wsUrl(path));
    } catch {
      ws = null;
      retry(false, false);
      return;
    }
    ws.addEventListener('open', () => {
      opened = true;
      openedAt = Date.now();
      if (onOpen) onOpen();
    });
    ws.addEventListener('message', (ev) => {
      if (typeof ev.data !== 'string') return;
      heard = true;
      failures = 0;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (onMessage) onMessage(msg);
    });
    ws.addEventListener('close', (ev) => {
      ws = null;
      if (closed) return;
      if (onClose) onClose(ev);
      retry(opened, heard);
    });
    // 'error' is always followed by 'close'
  }

  function retry(wasOpen, heard) {
    if (closed) return;
    if (!heard) failures += 1;
    if (wasOpen && Date.now() - openedAt > 10000) attempt = 0;
    if (failures >= maxFailures) {
      closed = true;
      if (onGiveUp) onGiveUp();
      return;
    }
    if (!shouldReconnect()) return;
    const delay = Math.min(maxDelay, baseDelay * 2 ** attempt);
    attempt += 1;
    const jitter = delay * 0.2 * (Math.random() * 2 - 1);
    timer = setTimeout(connect, Math.max(100, Math.round(delay + jitter)));
  }

  connect();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      if (ws) {
        try { ws.close(1000); } catch { /* already closing */ }
        ws = null;
      }
    },
    get connected() { return !!ws && ws.readyState === WebSocket.OPEN; },
  };
}
