import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { start, type Harness } from '../admin/harness.js';
import { request, startBackend, type Backend } from '../helpers/net.js';
import { waitUntil } from '../helpers/wait.js';

let h: Harness | undefined;
const backends: Backend[] = [];
const servers: http.Server[] = [];
afterEach(async () => {
  await h?.close();
  h = undefined;
  await Promise.all(backends.splice(0).map((b) => b.close()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A backend whose /health answers `status.code`, and whose other paths answer its name. */
async function flaky(name: string) {
  const status = { code: 200, hits: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(status.code).end();
      return;
    }
    status.hits++;
    res.writeHead(status.code === 200 ? 200 : status.code).end(name);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  servers.push(server);
  return { status, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${h!.adminUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: res.status === 204 ? null : ((await res.json()) as Record<string, unknown>) };
}

async function health(): Promise<string[]> {
  const r = await api('GET', '/upstreams/pool/health');
  return (r.json!.data as { health: string }[]).map((t) => t.health);
}

/** Waits until target `i` of the pool has the given health. */
async function healthOf(i: number, want: 'HEALTHY' | 'UNHEALTHY'): Promise<void> {
  let last: string[] = [];
  await waitUntil(`target ${i} of the pool to be ${want}`, async () => (last = await health())[i] === want, { everyMs: 25, seen: () => JSON.stringify(last) });
}

describe("Kong's health checks", () => {
  it('active: an unhealthy target is taken out, and comes back when it answers 200 again', async () => {
    h = await start();
    const a = await flaky('a');
    const b = await flaky('b');
    const hc = {
      active: { http_path: '/health', timeout: 1, healthy: { interval: 0.1, successes: 2 }, unhealthy: { interval: 0.1, http_failures: 2, tcp_failures: 1, timeouts: 1 } },
    };
    expect((await api('POST', '/upstreams', { name: 'pool', healthchecks: hc })).status).toBe(201);
    await api('POST', '/upstreams/pool/targets', { target: a.address });
    await api('POST', '/upstreams/pool/targets', { target: b.address });
    await api('POST', '/services', { name: 's', host: 'pool' });
    await api('POST', '/services/s/routes', { hosts: ['pool.localhost'] });
    expect(await health()).toEqual(['HEALTHY', 'HEALTHY']);

    a.status.code = 500;
    await healthOf(0, 'UNHEALTHY');
    const before = a.status.hits;
    for (let i = 0; i < 10; i++) expect((await request(h.proxyPort, { host: 'pool.localhost' })).body).toBe('b');
    expect(a.status.hits).toBe(before);

    a.status.code = 200;
    await healthOf(0, 'HEALTHY');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await request(h.proxyPort, { host: 'pool.localhost' })).body);
    expect(seen).toEqual(new Set(['a', 'b']));
  });

  it('passive: chosen 5xx statuses mark a target unhealthy; an operator can mark it back', async () => {
    h = await start();
    const a = await flaky('a');
    const b = await flaky('b');
    await api('POST', '/upstreams', { name: 'pool', healthchecks: { passive: { unhealthy: { http_statuses: [500], http_failures: 2 } } } });
    await api('POST', '/upstreams/pool/targets', { target: a.address });
    await api('POST', '/upstreams/pool/targets', { target: b.address });
    await api('POST', '/services', { name: 's', host: 'pool' });
    await api('POST', '/services/s/routes', { hosts: ['pool.localhost'] });
    a.status.code = 500;
    const bodies: string[] = [];
    for (let i = 0; i < 10; i++) bodies.push((await request(h.proxyPort, { host: 'pool.localhost' })).body);
    // Two 500s from a, then only b.
    expect(bodies.filter((x) => x === 'a')).toHaveLength(2);
    expect(await health()).toEqual(['UNHEALTHY', 'HEALTHY']);
    a.status.code = 200;
    expect((await api('POST', `/upstreams/pool/targets/${a.address}/healthy`)).status).toBe(204);
    expect(await health()).toEqual(['HEALTHY', 'HEALTHY']);
  });

  it('answers 503 at once when every target is down, and names the service', async () => {
    h = await start();
    const a = await flaky('a');
    await api('POST', '/upstreams', { name: 'pool', healthchecks: { active: { http_path: '/health', healthy: { interval: 0.1, successes: 1 }, unhealthy: { interval: 0.1, http_failures: 1 } } } });
    await api('POST', '/upstreams/pool/targets', { target: a.address });
    await api('POST', '/services', { name: 'shop', host: 'pool' });
    await api('POST', '/services/shop/routes', { hosts: ['pool.localhost'] });
    a.status.code = 503;
    await healthOf(0, 'UNHEALTHY');
    const r = await request(h.proxyPort, { host: 'pool.localhost' });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).service).toBe('shop');
  });

  it("answers 504 past the service's read_timeout, without retrying", async () => {
    h = await start();
    const slow = await startBackend('slow', { delayMs: 1000 });
    backends.push(slow);
    await api('POST', '/services', { name: 'slow', url: `http://${slow.address}`, read_timeout: 200 });
    await api('POST', '/services/slow/routes', { hosts: ['slow.localhost'] });
    const r = await request(h.proxyPort, { host: 'slow.localhost' });
    expect(r.status).toBe(504);
    // The target reads the request on its own connection: wait for it, then check it came once.
    await waitUntil('the target to receive the request', () => slow.hits >= 1);
    expect(slow.hits).toBe(1);
  });

  it('gives a request with a body read_timeout once it is sent, with write_timeout set apart', async () => {
    h = await start();
    // The body comes with the headers and goes out as the connection opens: the switch to
    // write_timeout, and back to read_timeout on 'finish', must land in that order (a body-less
    // request, sent the same way, is the test above).
    const slow = await startBackend('slow', { delayMs: 1000 });
    backends.push(slow);
    await api('POST', '/services', { name: 'slow', url: `http://${slow.address}`, read_timeout: 200, write_timeout: 60_000 });
    await api('POST', '/services/slow/routes', { hosts: ['slow.localhost'] });
    const r = await request(h.proxyPort, { host: 'slow.localhost', method: 'POST', body: 'hello' });
    expect(r.status).toBe(504);
  });

  it('keeps read_timeout on a pooled connection the target asked to keep for less (Keep-Alive: timeout=3)', async () => {
    h = await start();
    // Node's agent shortens a free socket's idle limit to the target's hint; a reused one must get read_timeout back.
    const server = http.createServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 2500);
      else res.end('fast');
    });
    server.keepAliveTimeout = 3000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    servers.push(server);
    let connections = 0;
    server.on('connection', () => connections++);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await api('POST', '/services', { name: 'hint', url, read_timeout: 10_000, write_timeout: 10_000 });
    await api('POST', '/services/hint/routes', { hosts: ['hint.localhost'] });
    const fast = await request(h.proxyPort, { host: 'hint.localhost', path: '/fast' });
    expect(fast.body).toBe('fast');
    const slow = await request(h.proxyPort, { host: 'hint.localhost', path: '/slow' });
    expect({ status: slow.status, body: slow.body, connections }).toEqual({ status: 200, body: 'slow', connections: 1 });
  });

  it("answers 504 when the request stalls on its way to the target past the service's write_timeout", async () => {
    h = await start();
    let received = 0;
    const port = await new Promise<number>((resolve) => {
      const srv = http.createServer((req, res) => {
        req.on('data', (c: Buffer) => (received += c.length));
        req.on('end', () => res.end('got it'));
      });
      servers.push(srv);
      srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port));
    });
    await api('POST', '/services', { name: 'up', url: `http://127.0.0.1:${port}`, write_timeout: 300, read_timeout: 10_000 });
    await api('POST', '/services/up/routes', { hosts: ['up.localhost'] });
    // A client that sends half its body, then stalls: the proxy's writes to the target stop.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: h!.proxyPort, method: 'POST', path: '/', headers: { host: 'up.localhost', 'content-length': 10 } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('12345');
      setTimeout(() => req.destroy(new Error('no answer within 15 s')), 15_000).unref();
    });
    expect(status).toBe(504);
    // The target reads what was forwarded on its own connection: wait for it, then check it is all.
    await waitUntil('the target to receive the 5 bytes sent', () => received >= 5, { seen: () => `${received} bytes` });
    expect(received).toBe(5);
  });

  it("gives up connecting past the service's connect_timeout, and tries another target", async () => {
    const { spawn } = await import('node:child_process');
    // A listener whose backlog is full: connections to it hang, as to a host that drops packets.
    const hole = spawn('python3', ['-c', [
      'import socket, time',
      "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
      'print(s.getsockname()[1], flush=True)',
      'fill = []',
      'for i in range(3):',
      '    c = socket.socket(); c.setblocking(False)',
      '    try: c.connect(s.getsockname())',
      '    except BlockingIOError: pass',
      '    fill.append(c)',
      'time.sleep(20)',
    ].join('\n')]);
    try {
      const holePort = await new Promise<number>((resolve, reject) => {
        hole.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
        hole.once('error', reject);
      });
      h = await start();
      const good = await startBackend('good');
      backends.push(good);
      await api('POST', '/upstreams', { name: 'pool' });
      await api('POST', '/upstreams/pool/targets', { target: `127.0.0.1:${holePort}` });
      await api('POST', '/upstreams/pool/targets', { target: good.address });
      await api('POST', '/services', { name: 's', host: 'pool', connect_timeout: 300 });
      await api('POST', '/services/s/routes', { hosts: ['pool.localhost'] });
      // The first request tries the silent target first (equal weights, first in line), gives up
      // on the connect, and is answered by the good one.
      const r = await request(h.proxyPort, { host: 'pool.localhost' });
      expect(r.body).toBe('good');
      const snap = h.stats.snapshot();
      const holeKey = Object.keys(snap.targets).find((k) => k.endsWith(`:${holePort}`))!;
      expect(snap.targets[holeKey]!.errors).toBe(1);
      // Marked down: the next requests go straight to the good target.
      expect(await health()).toEqual(['UNHEALTHY', 'HEALTHY']);
      expect((await request(h.proxyPort, { host: 'pool.localhost' })).body).toBe('good');
      expect(h.stats.snapshot().targets[holeKey]!.errors).toBe(1);
      await api('DELETE', `/upstreams/pool/targets/${good.address}`);
      await api('POST', `/upstreams/pool/targets/127.0.0.1:${holePort}/healthy`);
      // With nothing else left the client gets an error, not a hang: 504 when the connect times out
      // again, or 502 if the kernel starts refusing the silent port (its backlog drains meanwhile).
      const only = await request(h.proxyPort, { host: 'pool.localhost' });
      expect([502, 504]).toContain(only.status);
    } finally {
      hole.kill();
    }
  });

  it('a target killed under load: no failed request, and it is marked down', async () => {
    h = await start();
    const pool = await Promise.all(['t1', 't2', 't3'].map((n) => startBackend(n)));
    backends.push(...pool);
    await api('POST', '/upstreams', { name: 'pool' });
    for (const b of pool) await api('POST', '/upstreams/pool/targets', { target: b.address });
    await api('POST', '/services', { name: 's', host: 'pool' });
    await api('POST', '/services/s/routes', { hosts: ['pool.localhost'] });
    let failed = 0;
    let ok = 0;
    let stop = false;
    // About 200 requests a second from 4 clients.
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const r = await request(h!.proxyPort, { host: 'pool.localhost' }).catch(() => ({ status: 0 }));
          if (r.status === 200) ok++;
          else failed++;
          await new Promise((res) => setTimeout(res, 20));
        }
      }),
    );
    const answered = (n: number, what: string) => waitUntil(`${n} answers under load ${what}`, () => ok >= n, { seen: () => JSON.stringify({ ok, failed }) });
    // Under load, every target answering (the victim too, so it has connections to lose).
    await waitUntil('every target to take part in the load', () => pool.every((b) => b.hits > 0), { seen: () => JSON.stringify(pool.map((b) => b.hits)) });
    await answered(20, 'before the kill');
    const victim = pool[1]!;
    await victim.close();
    // Marked down by the requests that meet it closed (the time this takes is the bench's to measure).
    await healthOf(1, 'UNHEALTHY');
    // …and the load goes on, on the others.
    await answered(ok + 20, 'after the target was marked down');
    stop = true;
    await load;
    expect(failed).toBe(0);
    expect(ok).toBeGreaterThan(20);
  });
});
