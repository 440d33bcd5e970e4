#!/usr/bin/env node
// A tiny sample app for `switchyard push`: answers "<app> <version> <instance>" on $PORT.
import http from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const name = process.env.APP_NAME ?? 'hello';
const version = process.env.VERSION ?? 'v1';
const instance = process.env.INSTANCE_INDEX ?? '0';
const delay = Number(process.env.DELAY_MS ?? 0);
// A broken build to try a deploy's automatic abort with: every answer is this status.
const status = Number(process.env.STATUS ?? 200);

const server = http.createServer((req, res) => {
  const reply = () => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`${name} ${version} ${instance}\n`);
  };
  if (delay) setTimeout(reply, delay);
  else reply();
});
server.listen(port, '127.0.0.1', () => console.log(`${name} ${version} listening on 127.0.0.1:${port}`));
// Finish the requests in flight, then go. With HANDLE_SIGTERM=no, Node's default: die at once,
// in-flight requests and all (an app that leaves draining to the platform).
if (process.env.HANDLE_SIGTERM !== 'no') process.on('SIGTERM', () => server.close(() => process.exit(0)));
