/**
 * The baseline: a bare http-proxy server with a keep-alive agent and one fixed target, nothing
 * else. What the library itself costs. `node bare-proxy.js TARGET_PORT` prints {"port":N}.
 */
import http from 'node:http';
import httpProxy from 'http-proxy';

const target = `http://127.0.0.1:${process.argv[2]}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo' });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_err, _req, res) => {
  if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`),
);
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
