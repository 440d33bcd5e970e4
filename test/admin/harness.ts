/** Real servers on 127.0.0.1 for the admin API tests: engine pieces, backends, a proxy client. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminServer } from '../../src/admin/server.js';
import { Store, type StoreOptions } from '../../src/core/store.js';
import { ProxyServer } from '../../src/proxy/server.js';
import { Stats } from '../../src/proxy/stats.js';

export interface Harness {
  readonly store: Store;
  readonly stats: Stats;
  readonly proxy: ProxyServer;
  readonly admin: AdminServer;
  readonly adminUrl: string;
  readonly proxyPort: number;
  close(): Promise<void>;
}

export async function start(opts: { token?: string; store?: StoreOptions } = {}): Promise<Harness> {
  const store = new Store(opts.store);
  const stats = new Stats();
  const proxy = new ProxyServer({ store, stats, host: '127.0.0.1', port: 0 });
  const pa = await proxy.listen();
  const admin = new AdminServer({
    store,
    stats,
    proxy,
    host: '127.0.0.1',
    port: 0,
    token: opts.token,
    info: () => undefined,
  });
  const aa = await admin.listen();
  return {
    store,
    stats,
    proxy,
    admin,
    adminUrl: `http://127.0.0.1:${aa.port}`,
    proxyPort: pa.port,
    async close() {
      await admin.close();
      await proxy.close(0);
      stats.stop();
    },
  };
}

export interface Backend {
  readonly name: string;
  readonly address: string;
  /** Paths this backend received, in order. */
  readonly paths: string[];
  close(): Promise<void>;
}

/** A backend that answers its own name and the path it received. */
export async function backend(name: string): Promise<Backend> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    res.setHeader('content-type', 'text/plain');
    res.end(`${name} ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    address: `127.0.0.1:${port}`,
    paths,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One request through the proxy with a given Host header (fetch cannot set Host). */
export function viaProxy(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('proxy request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** `n` sequential requests; how many each backend answered (by the first word of the body). */
export async function spread(port: number, host: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await viaProxy(port, host);
    const who = r.status === 200 ? (r.body.split(' ')[0] as string) : `status ${r.status}`;
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

/** What `curl --data a=b --data c=d` sends. */
export function form(pairs: Record<string, string> | [string, string][], method = 'POST'): RequestInit {
  return {
    method,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(pairs).toString(),
  };
}

export function json(body: unknown, method = 'POST'): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type Json = any;

export async function call(
  base: string,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json; text: string }> {
  const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}
