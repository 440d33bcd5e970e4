/** HTTPS backends for tests, with a self-signed certificate made at test time. */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type http from 'node:http';
import { makeSelfSigned } from '../../src/proxy/certs.js';

export interface TlsBackend {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  /** What each request arrived with: the SNI it was reached by (false: none), its path and headers. */
  readonly seen: { servername: string | false; path: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

let shared: Promise<{ cert: string; key: string }> | undefined;

/** One certificate for `localhost` and 127.0.0.1 per test file (made once: EC keys are quick, but once is enough). */
export function testCert(): Promise<{ cert: string; key: string }> {
  shared ??= makeSelfSigned({ dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  return shared;
}

/** An HTTPS server on 127.0.0.1:0 that answers its name (and `status`, 200 by default). */
export async function startTlsBackend(
  name: string,
  opts: { status?: number; cert?: { cert: string; key: string } } = {},
): Promise<TlsBackend> {
  const pair = opts.cert ?? (await testCert());
  const seen: TlsBackend['seen'] = [];
  const server = https.createServer({ cert: pair.cert, key: pair.key, keepAlive: true }, (req, res) => {
    seen.push({
      servername: (req.socket as TLSSocket).servername ?? false,
      path: req.url ?? '',
      headers: req.headers,
    });
    req.resume();
    req.on('end', () => {
      res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain' });
      res.end(name);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    address: `127.0.0.1:${port}`,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
