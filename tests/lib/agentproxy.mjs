// agentproxy.mjs -- a recording pass-through for agent traffic, used by the
// agent tests to see what the real agent sent and what cairnd answered.
//
//   const log = [];
//   http.createServer(recordingHandler(log, () => cairndPort))    // or https.createServer(opts, …)
//
// Every request is forwarded unchanged to 127.0.0.1:<port> and answered with
// cairnd's answer. log gets one entry per request:
//   { path, gzip, seqs (the report sequence numbers it carried), status, answer }
// An unreachable cairnd is answered 502 with the error shape of docs/API.md.
import http from 'node:http';
import zlib from 'node:zlib';

export function recordingHandler(log, upstreamPort) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { path: req.url, gzip: req.headers['content-encoding'] === 'gzip', seqs: [], status: 0, answer: null };
      if (req.url === '/api/v1/agent/report') {
        const json = JSON.parse((entry.gzip ? zlib.gunzipSync(body) : body).toString());
        entry.seqs = (json.reports || [json]).map((r) => r.seq);
      }
      log.push(entry);
      const up = http.request({ host: '127.0.0.1', port: upstreamPort(), method: req.method, path: req.url,
        headers: { ...req.headers, connection: 'close' } }, (ur) => {
        const back = [];
        ur.on('data', (c) => back.push(c));
        ur.on('end', () => {
          const text = Buffer.concat(back);
          entry.status = ur.statusCode;
          try { entry.answer = JSON.parse(text.toString()); } catch { /* not JSON */ }
          const h = { ...ur.headers };
          delete h.connection;
          delete h['transfer-encoding'];
          h['content-length'] = text.length;
          res.writeHead(ur.statusCode, h);
          res.end(text);
        });
      });
      up.on('error', () => {
        entry.status = 502;
        res.writeHead(502, { 'Content-Type': 'application/json' });
        res.end('{"error":{"code":"bad_gateway","message":"cairnd is not answering"}}');
      });
      up.end(body);
    });
  };
}
