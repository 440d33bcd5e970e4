/**
 * The demo's sample backends: tiny HTTP servers on free loopback ports whose every response
 * names its colour, its target number and its version (`blue 1 v1.0.0`), so anyone can see
 * where a request went with a plain `curl`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BackendOptions {
  readonly colour: string;
  /** 1-based number of the target within its colour. */
  readonly index: number;
  readonly version: string;
  /** Simulated work per request, in milliseconds (uniform in [min, max]). @default [0, 0] */
  readonly latencyMs?: readonly [number, number];
}

export interface DemoBackend {
  readonly colour: string;
  readonly index: number;
  readonly version: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, as a target. */
  readonly address: string;
  /** Requests answered so far. */
  readonly served: number;
  close(): Promise<void>;
}

export async function startBackend(o: BackendOptions): Promise<DemoBackend> {
  const body = Buffer.from(`${o.colour} ${o.index} ${o.version}\n`);
  const headers = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-demo-backend': `${o.colour}-${o.index}`,
    'x-demo-version': o.version,
  };
  const [lo, hi] = o.latencyMs ?? [0, 0];
  let served = 0;
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const reply = () => {
      served++;
      res.writeHead(200, headers);
      res.end(body);
    };
    req.resume();
    const delay = lo + Math.random() * (hi - lo);
    if (delay >= 1) setTimeout(reply, delay);
    else reply();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    colour: o.colour,
    index: o.index,
    version: o.version,
    port,
    address: `127.0.0.1:${port}`,
    get served() {
      return served;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Let requests in flight finish, but never wait on an idle keep-alive socket.
        setTimeout(() => server.closeAllConnections(), 500).unref();
      });
      return closing;
    },
  };
}
