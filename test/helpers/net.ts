/** Real servers and real HTTP on 127.0.0.1 for tests: backends that name themselves, a client. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Backend {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  /** Paths received, in order. */
  readonly paths: string[];
  readonly headers: http.IncomingHttpHeaders[];
  hits: number;
  close(): Promise<void>;
}

/**
 * A backend that answers its own name. `gate`: answer only once it resolves, to hold a request
 * in flight for exactly as long as a test needs (`hits` says when it has arrived).
 */
export async function startBackend(name: string, opts: { delayMs?: number; status?: number; gate?: Promise<unknown> } = {}): Promise<Backend> {
  const b: Backend = {
    name,
    port: 0,
    address: '',
    paths: [],
    headers: [],
    hits: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = http.createServer((req, res) => {
    b.hits++;
    b.paths.push(req.url ?? '');
    b.headers.push(req.headers);
    const reply = () => {
      res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain' });
      res.end(name);
    };
    req.resume();
    req.on('end', () => {
      if (opts.gate) void opts.gate.then(reply);
      else if (opts.delayMs) setTimeout(reply, opts.delayMs);
      else reply();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  Object.assign(b, { port, address: `127.0.0.1:${port}` });
  return b;
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function request(port: number, opts: { host?: string; path?: string; method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: opts.path ?? '/',
        method: opts.method ?? 'GET',
        agent,
        headers: { ...(opts.host ? { host: opts.host } : {}), ...(opts.headers ?? {}) },
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Sends `n` requests one after another and counts the bodies. */
export async function tally(port: number, host: string, n: number, path = '/'): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await request(port, { host, path });
    const key = r.status === 200 ? r.body : `${r.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** A port that was free a moment ago and is closed now: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
