/**
 * The loopback backends, in a process of their own: `node backends.js blue green red` starts one
 * HTTP server per name on 127.0.0.1 (any free port), each answering every request with ~100 bytes
 * that name it, and counting what it served. Forked with IPC: it sends `{ ports }` when ready and
 * answers `counts` / `reset`; `{ watch: name }` is answered `{ armed: name }`, then `{ seen: name,
 * at }` when that backend next serves a request (`at`: ms on the shared monotonic clock); it exits
 * when the parent goes away.
 */
import http from 'node:http';
import { Buffer } from 'node:buffer';

const names = process.argv.slice(2);
const counts = Object.fromEntries(names.map((n) => [n, 0]));
const watching = new Set();

function body(name, port) {
  const head = `{"backend":"${name}","port":${port},"pad":"`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, 96 - head.length)) + '"}\n');
}

const servers = await Promise.all(
  names.map(
    (name) =>
      new Promise((resolve) => {
        let payload;
        const server = http.createServer((req, res) => {
          counts[name]++;
          if (watching.size > 0 && watching.delete(name))
            process.send({ seen: name, at: Number(process.hrtime.bigint()) / 1e6 });
          // Drain any request body, then answer.
          req.resume();
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': payload.length,
            'x-backend': name,
          });
          res.end(payload);
        });
        // Longer than any idle gap of the harness, so the proxies' keep-alive pools are not
        // raced by a backend closing an idle connection (not what is measured here).
        server.keepAliveTimeout = 60_000;
        server.headersTimeout = 65_000;
        server.listen(0, '127.0.0.1', () => {
          payload = body(name, server.address().port);
          resolve([name, server]);
        });
      }),
  ),
);

const ports = Object.fromEntries(servers.map(([name, s]) => [name, s.address().port]));
process.on('message', (m) => {
  if (m === 'counts') process.send({ counts: { ...counts } });
  else if (m === 'reset') {
    for (const n of names) counts[n] = 0;
    process.send({ counts: { ...counts } });
  } else if (m && typeof m.watch === 'string') {
    watching.add(m.watch);
    process.send({ armed: m.watch });
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send({ ports });
