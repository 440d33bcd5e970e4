/**
 * A rolling restart drains: the old instance leaves the upstream, its requests in flight finish,
 * and only then is it stopped, even when the app itself does not wait for them on SIGTERM (it
 * dies at once, as Node does by default). Through the public interface: `switchyard serve`, the
 * CLI's push and restart, real HTTP through the proxy.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { run, serve, type Running } from '../helpers/cli.js';
import { request } from '../helpers/net.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
const HOST = 'slow.example.com';
let sy: Running;
let dir: string;

function sw(...args: string[]) {
  return run([...args, '--admin', sy.adminUrl], { timeoutMs: 60_000 });
}

async function inFlight(): Promise<number> {
  const res = await fetch(`${sy.adminUrl}/stats`);
  const body = (await res.json()) as { total: { inFlight: number } };
  return body.total.inFlight;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-drain-'));
  sy = await serve(['--state-dir', path.join(dir, 'state')]);
}, 30_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

it('restart lets a request in flight finish on the old instance, though the app dies at once on SIGTERM', async () => {
  const push = await sw('push', 'slow', '--route', HOST, '--command', `HANDLE_SIGTERM=no DELAY_MS=1500 node ${HELLO}`);
  expect(push.code, push.stderr).toBe(0);

  const pending = request(sy.proxyPort, { host: HOST, timeoutMs: 30_000 });
  // The request has reached the old instance when the proxy counts it in flight.
  const deadline = Date.now() + 20_000;
  while ((await inFlight()) < 1) {
    if (Date.now() > deadline) throw new Error('the request never showed as in flight');
    await new Promise((r) => setTimeout(r, 10));
  }
  const restart = await sw('restart', 'slow');
  expect(restart.code, restart.stderr).toBe(0);
  const reply = await pending;
  expect(reply.status, reply.body).toBe(200);
  expect(reply.body).toBe('slow v1 0\n');
  // And the new instance serves.
  const next = await request(sy.proxyPort, { host: HOST, timeoutMs: 30_000 });
  expect(next.status).toBe(200);
}, 90_000);
