/**
 * The keep-alive agents the proxy reaches targets with, and Kong's connect and read timeouts
 * kept on their sockets: a socket gets `connect_timeout` while it connects and `read_timeout`
 * once connected (Node refreshes a socket's idle timer on every read and write, which is
 * nginx's "between two successive reads"), so a request arms no timer and makes no closure of
 * its own. A socket that times out while a request is on it is destroyed; the request then
 * fails with a reset the proxy tells apart by its clock (504, or a retried connect).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { Service } from '../core/model.js';
import { overTls } from '../core/schema.js';
import { HINT, type Answer } from './respond.js';

/** Kong's tls_verify_depth (nginx's proxy_ssl_verify_depth, OpenSSL's verify depth). */
function depthCheck(depth: number): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const bad = tls.checkServerIdentity(host, cert);
    if (bad) return bad;
    // Levels 0 (the target's certificate) to depth + 1 (the trust anchor) are accepted.
    let levels = 0;
    for (
      let c: tls.DetailedPeerCertificate = cert as tls.DetailedPeerCertificate;
      c.issuerCertificate && c.issuerCertificate !== c && levels < 100;
      c = c.issuerCertificate
    )
      levels++;
    if (levels <= depth + 1) return undefined;
    return Object.assign(
      new Error(
        `certificate chain too long: ${levels + 1} certificates, tls_verify_depth ${depth} allows ${depth + 2}`,
      ),
      { code: 'CERT_CHAIN_TOO_LONG' },
    );
  };
}

/** A socket that went quiet past its limit with a request on it: end that request (a free socket is the agent's to close). */
function onSocketTimeout(this: Socket): void {
  if ((this as Socket & { _httpMessage?: unknown })._httpMessage) this.destroy();
}

interface Timeouts {
  readonly connect: number;
  readonly read: number;
}

/** The idle limit a target's `Keep-Alive: timeout=N` asks for, less a second (Node's margin), by header text. */
const HINTS = new Map<string, number>();

function hintMs(header: string): number {
  let ms = HINTS.get(header);
  if (ms === undefined) {
    const m = /^timeout=(\d+)/.exec(header);
    ms = m ? Number(m[1]) * 1000 - 1000 : Infinity;
    if (HINTS.size < 64) HINTS.set(header, ms);
  }
  return ms;
}

/** How often free sockets are checked against the idle limit their target's Keep-Alive hint set. */
const SWEEP_MS = 500;
/** When a free socket must be closed (performance.now() ms; Infinity: it keeps read_timeout). */
const FREE_UNTIL = Symbol('switchyard.freeUntil');
type Pooled = Socket & { [FREE_UNTIL]?: number };

/** Closes the free sockets whose target's Keep-Alive hint has run out (the agent drops them on close). */
function sweep(agent: http.Agent): void {
  const now = performance.now();
  for (const list of Object.values(agent.freeSockets))
    if (list !== undefined)
      for (const s of list as Pooled[]) if ((s[FREE_UNTIL] ?? Infinity) <= now) s.destroy();
}

/**
 * Sockets are made with the connect timeout and switch to the read timeout once connected, which
 * they keep: the agent itself has no `timeout`, so Node adds no listener and arms no timer per
 * request. A free socket whose target asked to be left sooner (`Keep-Alive: timeout=N`, read by
 * respond.ts as the headers went by) is closed by a sweep every half second, before the target
 * would close it (Node's one-second margin, less the sweep's period): no timer is re-armed as a
 * socket goes free and back to work.
 */
function timed<A extends http.Agent>(agent: A, t: Timeouts): A {
  const a = agent as A & {
    createConnection(options: object, cb: unknown): Socket;
    keepSocketAlive(socket: Socket): boolean;
    keepAliveMsecs: number;
  };
  let sweeper: NodeJS.Timeout | null = null;
  const create = a.createConnection.bind(a);
  a.createConnection = (options: object, cb: unknown) => {
    const socket = create({ ...options, timeout: t.connect }, cb);
    socket.once('connect', () => socket.setTimeout(t.read));
    socket.on('timeout', onSocketTimeout);
    return socket;
  };
  a.keepSocketAlive = (socket: Pooled) => {
    socket.setKeepAlive(true, a.keepAliveMsecs);
    socket.unref();
    const res = (socket as Socket & { _httpMessage?: { res?: Answer } })._httpMessage?.res;
    // respond.ts read the hint (null: none) as the headers went by; a response it did not write
    // (none should reach here) is read the slow way, which parses every header.
    const seen = res?.[HINT];
    const hint =
      res === undefined
        ? null
        : seen !== undefined
          ? seen
          : (res.headers['keep-alive'] as string | undefined);
    let until = Infinity;
    if (hint !== null && hint !== undefined) {
      const ms = hintMs(hint) - SWEEP_MS;
      // Too short to reuse safely: the target may close it as the next request goes out.
      if (ms <= 0) return false;
      if (ms < t.read) {
        until = performance.now() + ms;
        sweeper ??= setInterval(() => sweep(agent), SWEEP_MS).unref();
      }
    }
    socket[FREE_UNTIL] = until;
    return true;
  };
  const destroy = a.destroy.bind(a);
  a.destroy = () => {
    if (sweeper !== null) clearInterval(sweeper);
    sweeper = null;
    destroy();
  };
  return agent;
}

/**
 * One agent per (scheme, timeouts, TLS checks) in use: most services share Kong's defaults, so
 * most share one pool. An https agent's options override the request's, so its verification is
 * the service's whatever http-proxy asks; its pools are keyed by SNI too.
 */
export class Agents {
  private readonly agents = new Map<string, http.Agent>();

  /** `ca`: PEM of CAs trusted for https upstreams with `tls_verify: true`, beside the system's. */
  constructor(private readonly ca?: string) {}

  for(s: Service): http.Agent {
    const secure = overTls(s.protocol);
    const verify = s.tls_verify === true;
    const timing = `${s.connect_timeout}|${s.read_timeout}`;
    const key = secure
      ? `https|${timing}|${verify ? `verify|${s.tls_verify_depth ?? ''}` : 'none'}`
      : `http|${timing}`;
    let a = this.agents.get(key);
    if (!a) {
      // No `timeout` here: `timed` keeps the sockets' limits.
      const common = { keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo' } as const;
      const t = { connect: s.connect_timeout, read: s.read_timeout };
      a = secure
        ? timed(
            new https.Agent({
              ...common,
              rejectUnauthorized: verify,
              ...(verify && this.ca ? { ca: [...tls.rootCertificates, this.ca] } : {}),
              ...(verify && s.tls_verify_depth !== null
                ? { checkServerIdentity: depthCheck(s.tls_verify_depth) }
                : {}),
            }),
            t,
          )
        : // No TLS, so no SNI: an empty servername spares Node working one out from the Host
          // header for every request (agents' options are merged into each request's).
          timed(new http.Agent({ ...common, servername: '' } as http.AgentOptions), t);
      this.agents.set(key, a);
    }
    return a;
  }

  destroy(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}
