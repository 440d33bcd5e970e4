/** Proxy hygiene: body limits, and a slow client cannot make the proxy buffer a large response. */
import http from 'node:http';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/wait.js';
import { Store } from '../../src/core/store.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { Stats } from '../../src/proxy/stats.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function server(handler: http.RequestListener): Promise<number> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  open.push({ close: () => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r()))) });
  return (s.address() as AddressInfo).port;
}

async function proxyTo(backendPort: number, maxBodyBytes?: number): Promise<number> {
  const store = new Store();
  store.dispatch({ op: 'service.create', fields: { name: 's', url: `http://127.0.0.1:${backendPort}` } });
  store.dispatch({ op: 'route.create', service: 's', fields: { hosts: ['h.localhost'] } });
  const proxy = new ProxyServer({ store, stats: new Stats(), host: '127.0.0.1', port: 0, maxBodyBytes });
  const { port } = await proxy.listen();
  open.push({ close: () => proxy.close(100) });
  return port;
}

function send(port: number, body: Buffer, chunked: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { host: 'h.localhost', ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': body.length }) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(e)));
    req.end(body);
  });
}

describe('proxy hygiene', () => {
  it('answers 413 to a body over the limit, by content-length or as it streams, without passing it on', async () => {
    let received = 0;
    const backend = await server((req, res) => {
      req.on('data', (c: Buffer) => (received += c.length));
      req.on('end', () => res.end('ok'));
    });
    const port = await proxyTo(backend, 1024);
    expect(await send(port, Buffer.alloc(100), false)).toBe(200);
    expect(await send(port, Buffer.alloc(100), true)).toBe(200);
    received = 0;
    expect(await send(port, Buffer.alloc(5000), false)).toBe(413);
    expect(received).toBe(0);
    expect(await send(port, Buffer.alloc(50_000), true)).toBe(413);
  });

  it('a slow client holds back the backend (backpressure), not the proxy memory', async () => {
    let produced = 0;
    const total = 256 * 1024 * 1024;
    let sending: http.ServerResponse | undefined;
    const backend = await server((_req, res) => {
      sending = res;
      const chunk = Buffer.alloc(64 * 1024);
      const source = new Readable({
        read() {
          if (produced >= total) return this.push(null);
          produced += chunk.length;
          this.push(chunk);
        },
      });
      source.pipe(res);
      res.on('close', () => source.destroy());
    });
    const port = await proxyTo(backend);
    const client = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host: 'h.localhost' } }, (res) => {
        res.pause(); // a client that does not read
        resolve(res);
      });
      req.on('error', reject);
    });
    try {
      // Not a fixed time, which a slow machine could spend before the proxy has read much: wait
      // until the backend has sent everything, or is held back (its writes wait for a drain that
      // does not come: 10 looks in a row with nothing more produced).
      let still = 0;
      let last = -1;
      await waitUntil(
        'the backend to be held back, or to have sent everything',
        () => {
          still = sending?.writableNeedDrain && produced === last ? still + 1 : 0;
          last = produced;
          return produced >= total || still >= 10;
        },
        { everyMs: 100, seen: () => `${produced} bytes produced` },
      );
    } finally {
      client.destroy();
    }
    // Socket buffers on both legs hold a few MiB; without backpressure it would be the whole 256 MiB.
    expect(produced).toBeLessThan(32 * 1024 * 1024);
  });
});
