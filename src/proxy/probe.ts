/**
 * One look at a target: a TCP connect, or an HTTP GET of a path. Used by the active health
 * checks, by the passive re-probe of a target that refused a connection, and by the supervisor
 * to admit app instances.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

export type ProbeResult =
  | { readonly kind: 'connected' }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'timeout' };

export interface ProbeOptions {
  /** An HTTP GET of this path; null or absent: a TCP connect. */
  readonly path?: string | null;
  readonly timeoutMs?: number;
  /** The GET over TLS (Kong's active `type: https`); a failed handshake counts as refused, a TCP failure. */
  readonly tls?: {
    readonly servername: string | null;
    readonly verify: boolean;
    readonly ca?: readonly string[];
  };
  /** Headers sent with the GET (Kong's active `headers`), and its Host. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export function probe(host: string, port: number, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 1000;
  return new Promise((resolve) => {
    if (opts.path === undefined || opts.path === null) {
      const sock = net.connect({ host, port });
      sock.setTimeout(timeoutMs);
      sock.once('connect', () => (sock.destroy(), resolve({ kind: 'connected' })));
      sock.once('error', () => resolve({ kind: 'refused' }));
      sock.once('timeout', () => (sock.destroy(), resolve({ kind: 'timeout' })));
      return;
    }
    let timedOut = false;
    const headers = { 'user-agent': 'switchyard-healthcheck', ...opts.headers } as http.OutgoingHttpHeaders;
    const base = { host, port, path: opts.path, agent: false as const, timeout: timeoutMs, headers };
    const t = opts.tls;
    // An empty servername sends no SNI (an IP address); without one, Node would take it from the Host.
    const get = t
      ? (cb: (res: http.IncomingMessage) => void) =>
          https.get(
            {
              ...base,
              servername: t.servername ?? '',
              rejectUnauthorized: t.verify,
              ...(t.ca ? { ca: [...t.ca] } : {}),
            },
            cb,
          )
      : (cb: (res: http.IncomingMessage) => void) => http.get(base, cb);
    const req = get((res) => {
      res.resume();
      resolve({ kind: 'status', status: res.statusCode ?? 0 });
    });
    req.once('timeout', () => {
      timedOut = true;
      req.destroy();
    });
    req.once('error', () => resolve(timedOut ? { kind: 'timeout' } : { kind: 'refused' }));
  });
}

/** Answering: connected, or (with a path) a 2xx. */
export function answers(r: ProbeResult): boolean {
  return r.kind === 'connected' || (r.kind === 'status' && r.status >= 200 && r.status < 300);
}
