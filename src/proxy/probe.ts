/**
 * One look at a target: a TCP connect, or an HTTP GET of a path. Used by the active health
 * checks, by the passive re-probe of a target that refused a connection, and by the supervisor
 * to admit app instances.
 */
import http from 'node:http';
import net from 'node:net';

export type ProbeResult = { readonly kind: 'connected' } | { readonly kind: 'status'; readonly status: number } | { readonly kind: 'refused' } | { readonly kind: 'timeout' };

export function probe(host: string, port: number, opts: { readonly path?: string | null; readonly timeoutMs?: number } = {}): Promise<ProbeResult> {
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
    const req = http.get({ host, port, path: opts.path, agent: false, timeout: timeoutMs, headers: { 'user-agent': 'switchyard-healthcheck' } }, (res) => {
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
