/**
 * The data plane: a weighted reverse proxy on http-proxy with a keep-alive agent. Per request it
 * reads the routing table once, matches, picks an upstream and a target (smooth weighted
 * round-robin at both levels) and bumps counters it already holds. No logging, no React, no
 * lookups by key: everything a request needs hangs off the compiled table.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import tls from 'node:tls';
import httpProxy from 'http-proxy';
import type { Service } from '../core/model.js';
import type { Store } from '../core/store.js';
import { normalizePath } from '../core/router.js';
import { overTls } from '../core/schema.js';
import { randomUUID } from 'node:crypto';
import { hashString } from '../core/balancer.js';
import { requestKey, type KeyPlan } from '../core/sticky.js';
import { attemptEnded, attemptStarted, matchHost, pickTarget, pickUpstream, upstreamUrl, type MatchOut, type RouteEntry, type RoutingTable, type ServiceEntry, type TargetEntry, type UpstreamEntry } from '../core/table.js';
import { ActiveChecker, passiveOn, passiveStatus, record } from './health.js';
import { probe } from './probe.js';
import { Counter, Group, Stats } from './stats.js';

export interface ProxyOptions {
  readonly store: Store;
  readonly stats: Stats;
  /** @default '0.0.0.0' */
  readonly host?: string;
  /** @default 8000 */
  readonly port?: number;
  /** Request bodies above this many bytes get 413 (0 = no limit). @default 32 MiB */
  readonly maxBodyBytes?: number;
  /** The proxy's own TLS listener: same table, counters and handlers as the plain one. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly port: number; readonly host?: string };
  /** PEM of CAs trusted for https upstreams with `tls_verify: true`, beside the system's. */
  readonly upstreamCa?: string;
}

export const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
const TOO_LARGE = Buffer.from('{"message":"Request size limit exceeded"}');

/**
 * What the proxy hangs on a target: its counter, and http-proxy options for each
 * (preserve_host, read timeout) it is used with, made once and then only looked up.
 *
 * The service decides the scheme (Kong: a target of an upstream used by an https service is
 * reached over TLS). The Host sent is Kong's `upstream_host`: the client's with preserve_host,
 * else the upstream's host_header, else the target's host (with the port when not the
 * scheme's default); Node takes the TLS SNI from that Host, as nginx's `proxy_ssl_name
 * $upstream_host` does, and sends none for an IP address.
 */
class TargetSlot {
  readonly counter: Counter;
  private made: { service: Service; options: [httpProxy.ServerOptions, httpProxy.ServerOptions] } | null = null;

  constructor(
    private readonly t: TargetEntry,
    private readonly hostHeader: string | null,
    private readonly agents: (service: Service) => http.Agent,
    counter: Counter,
  ) {
    this.counter = counter;
  }

  /** Options for a request of this service: its scheme, read timeout, and an agent with its connect timeout and TLS checks. */
  options(service: ServiceEntry, preserveHost: boolean): httpProxy.ServerOptions {
    const s = service.service;
    if (this.made === null || this.made.service !== s) {
      // X-Forwarded-* are set by `forwarded` as Kong sets them, not by http-proxy's xfwd.
      const secure = overTls(s.protocol);
      const target = { protocol: secure ? 'https:' : 'http:', host: this.t.host, port: this.t.port };
      const base = { target, agent: this.agents(s), toProxy: true, proxyTimeout: s.read_timeout, ...(secure ? { secure: s.tls_verify === true } : {}) };
      const ownHost =
        this.hostHeader === null
          ? { ...base, changeOrigin: true }
          : { ...base, changeOrigin: false, headers: { host: this.t.port === (secure ? 443 : 80) ? this.hostHeader : `${this.hostHeader}:${this.t.port}` } };
      this.made = { service: s, options: [ownHost, { ...base, changeOrigin: false }] };
    }
    return this.made.options[preserveHost ? 1 : 0];
  }
}

/**
 * OpenSSL's certificate verification errors, as Node reports them in `err.code`: what a failed
 * handshake with `tls_verify` on is answered with (Kong's "certificate verify failed").
 */
const CERT_ERRORS = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CRL_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What went wrong in a TLS handshake with a target, in a sentence; null when the error is not one. */
export function tlsFailure(err: NodeJS.ErrnoException & { reason?: string }): string | null {
  const code = err.code ?? '';
  if (CERT_ERRORS.has(code)) return `certificate verify failed: ${err.message} (${code})`;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return `TLS handshake failed: ${err.reason ?? err.message.split('\n')[0]} (${code})`;
  }
  return null;
}

/**
 * Kong's tls_verify_depth (nginx's proxy_ssl_verify_depth, OpenSSL's verify depth): levels 0 (the
 * target's certificate) to depth + 1 (the trust anchor) are accepted, a longer chain is not.
 */
function depthCheck(depth: number): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const bad = tls.checkServerIdentity(host, cert);
    if (bad) return bad;
    let levels = 0;
    for (let c: tls.DetailedPeerCertificate = cert as tls.DetailedPeerCertificate; c.issuerCertificate && c.issuerCertificate !== c && levels < 100; c = c.issuerCertificate) levels++;
    if (levels <= depth + 1) return undefined;
    return Object.assign(new Error(`certificate chain too long: ${levels + 1} certificates, tls_verify_depth ${depth} allows ${depth + 2}`), { code: 'CERT_CHAIN_TOO_LONG' });
  };
}

/** What a request in flight carries, on the request object itself. */
interface Flight {
  route: RouteEntry;
  service: ServiceEntry;
  upstream: UpstreamEntry;
  target: TargetEntry;
  start: number;
  attempts: number;
  tried: TargetEntry[] | null;
  /** The proxy answered itself (no target could): Kong's `source="kong"`. */
  own: boolean;
  /** When the current attempt started (retries start new ones). */
  attemptAt: number;
  /** Still sending the request to the target, under the service's write_timeout. */
  writing: boolean;
}

const FLIGHT = Symbol('switchyard.flight');
type Req = http.IncomingMessage & { [FLIGHT]?: Flight };

const NO_ROUTE = Buffer.from('{"message":"no Route matched with those values"}');
const USE_HTTPS = Buffer.from('{"message":"Please use HTTPS protocol"}');
const BAD_GATEWAY = Buffer.from('{"message":"An invalid response was received from the upstream server"}');
const SHUTTING_DOWN = Buffer.from('{"message":"switchyard is shutting down"}');
const TIMEOUT = Buffer.from('{"message":"The upstream server is timing out"}');

function sendJson(res: http.ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);

export class ProxyServer {
  readonly server: http.Server;
  /** The TLS listener, when asked for: the same handlers, so `req.socket.encrypted` is all that differs. */
  readonly tlsServer: https.Server | null;
  private readonly proxy: httpProxy;
  private readonly store: Store;
  private readonly stats: Stats;
  private readonly detach: () => void;
  private closing = false;
  /** Request bodies above this many bytes get 413 (0 = no limit). */
  private readonly maxBody: number;
  private readonly checker: ActiveChecker;
  /** How much of the path the last match took: read right after `matchHost`, never across an await. */
  private readonly matched: MatchOut = { matched: 0 };
  private readonly agents = new Map<string, http.Agent>();
  /**
   * One keep-alive agent per (scheme, connect timeout, TLS checks) in use (most services share
   * Kong's defaults): the agent's socket timeout bounds the connect; http-proxy's proxyTimeout
   * takes over once connected. An https agent's options override the request's, so its
   * verification is the service's whatever http-proxy asks. Its pools are keyed by SNI too.
   */
  private readonly agentFor = (s: Service): http.Agent => {
    const secure = overTls(s.protocol);
    const verify = s.tls_verify === true;
    const key = secure ? `https|${s.connect_timeout}|${verify ? `verify|${s.tls_verify_depth ?? ''}` : 'none'}` : `http|${s.connect_timeout}`;
    let a = this.agents.get(key);
    if (!a) {
      const common = { keepAlive: true, maxSockets: 1024, maxFreeSockets: 256, scheduling: 'lifo', timeout: s.connect_timeout } as const;
      a = secure
        ? new https.Agent({
            ...common,
            rejectUnauthorized: verify,
            ...(verify && this.options.upstreamCa ? { ca: [...tls.rootCertificates, this.options.upstreamCa] } : {}),
            ...(verify && s.tls_verify_depth !== null ? { checkServerIdentity: depthCheck(s.tls_verify_depth) } : {}),
          })
        : new http.Agent(common);
      this.agents.set(key, a);
    }
    return a;
  };

  constructor(private readonly options: ProxyOptions) {
    this.store = options.store;
    this.stats = options.stats;
    this.maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.checker = new ActiveChecker(undefined, options.upstreamCa);
    this.proxy = httpProxy.createProxyServer({});
    this.proxy.on('error', (err, req, res) => this.onProxyError(err as NodeJS.ErrnoException, req as Req, res as http.ServerResponse | Socket));
    this.proxy.on('proxyRes', onProxyRes);
    this.proxy.on('proxyReq', onProxyReq);
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req as Req, res);
    this.server = http.createServer({ keepAlive: true }, onRequest);
    this.tlsServer = options.tls ? https.createServer({ keepAlive: true, cert: options.tls.cert, key: options.tls.key }, onRequest) : null;
    for (const server of this.tlsServer ? [this.server, this.tlsServer] : [this.server]) {
      server.on('upgrade', (req: Req, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        if (!socket.writable) return socket.destroy();
        const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      });
    }
    this.detach = this.store.attach((table) => this.attachTable(table));
  }

  /** Hangs counters and http-proxy options on a new table before it goes live. */
  private attachTable(table: RoutingTable): void {
    const seen: Record<'route' | 'service' | 'upstream' | 'target', Set<string>> = { route: new Set(), service: new Set(), upstream: new Set(), target: new Set() };
    const upstreamSlot = (u: UpstreamEntry): void => {
      seen.upstream.add(u.key);
      const group = this.stats.group('upstream', u.key);
      u.slot = group;
      for (const t of u.targets) {
        seen.target.add(t.key);
        const leaf = this.stats.leaf('target', t.key);
        this.stats.link(leaf, group);
        t.slot = new TargetSlot(t, u.hostHeader, this.agentFor, leaf);
      }
    };
    table.upstreams.forEach(upstreamSlot);
    for (const s of table.services) {
      seen.service.add(s.key);
      s.slot = this.stats.group('service', s.key);
      // A service's literal host:port is an upstream of its own, not in table.upstreams.
      for (const u of s.upstreams) if (u.slot === undefined) upstreamSlot(u);
    }
    for (const r of table.routes) {
      seen.route.add(r.key);
      const leaf = this.stats.leaf('route', r.key);
      this.stats.link(leaf, r.service === null ? null : (r.service.slot as Group));
      r.slot = leaf;
    }
    for (const kind of ['route', 'service', 'upstream', 'target'] as const) this.stats.retain(kind, seen[kind]);
    this.checker.apply(table);
  }

  listen(): Promise<AddressInfo> {
    return listen(this.server, this.options.port ?? 8000, this.options.host ?? '0.0.0.0', 'proxy');
  }

  /** Binds the TLS listener (when there is one); its errors name `--proxy-tls-port`. */
  listenTls(): Promise<AddressInfo | null> {
    const t = this.options.tls;
    if (!this.tlsServer || !t) return Promise.resolve(null);
    return listen(this.tlsServer, t.port, t.host ?? this.options.host ?? '0.0.0.0', 'proxy-tls', 'proxy');
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  get tlsAddress(): AddressInfo | null {
    return (this.tlsServer?.address() as AddressInfo | null | undefined) ?? null;
  }

  private onRequest(req: Req, res: http.ServerResponse): void {
    const start = performance.now();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const path = normalizePath(rawPath);
    const out = this.matched;
    const host = hostOf(req.headers.host);
    const route = matchHost(this.store.table, host, portOf(req.headers.host, req.socket.localPort ?? 0), path, req.method ?? 'GET', req, out);
    const length = req.headers['content-length'];
    if (this.closing) return this.refuse(res, 503, SHUTTING_DOWN, start);
    if (route === undefined) return this.refuse(res, 404, NO_ROUTE, start);
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    if (!route.httpAllowed && !encrypted) return this.toHttps(res, route, host, url, start);
    if (length !== undefined && this.maxBody > 0 && Number(length) > this.maxBody)
      return this.refuse(res, 413, TOO_LARGE, start);
    const rc = route.slot as Counter;
    rc.requests++;
    rc.inFlight++;
    const service = route.service;
    // `X-Switchyard-Upstream: APP-green` (as Kf's X-Kf-App) pins a request to one app of the
    // route, whatever its weight: how a new version is tried before any traffic moves.
    const pin = req.headers['x-switchyard-upstream'];
    let upstream: UpstreamEntry | undefined;
    if (service === null) upstream = undefined;
    else if (pin === undefined) upstream = pickUpstream(service, null, service.hash === null ? -1 : keyOf(service.hash, req, path, url, route));
    else {
      upstream = service.upstreams.find((u) => u.name === pin);
      if (upstream === undefined) return this.unavailable(res, route, service, start, pin as string);
    }
    const target = upstream === undefined ? undefined : pickTarget(upstream, null, upstream.hash === null ? -1 : keyOf(upstream.hash, req, path, url, route), start);
    if (service === null || upstream === undefined || target === undefined) {
      return this.unavailable(res, route, service, start);
    }
    req[FLIGHT] = { route, service, upstream, target, start, attempts: 0, tried: null, own: false, attemptAt: start, writing: false };
    if (service.tracksLoad) startAttempts(req, res, upstream, target);
    const tc = (target.slot as TargetSlot).counter;
    tc.requests++;
    tc.entered++;
    tc.inFlight++;
    res.on('close', onResponseClose);
    if (this.maxBody > 0 && length === undefined && req.headers['transfer-encoding'] !== undefined) this.limitChunked(req, res);
    stripHopByHop(req.headers);
    forwarded(req, encrypted, host, rawPath, route, path, out.matched);
    req.url = upstreamUrl(route, path, out.matched, url);
    this.proxy.web(req, res, (target.slot as TargetSlot).options(service, route.route.preserve_host));
  }

  /**
   * A route without `http` in its protocols, asked over plain HTTP: Kong's 426, or a redirect to
   * the same host (without its port) and the URI as received.
   */
  private toHttps(
    res: http.ServerResponse,
    route: RouteEntry,
    host: string,
    url: string,
    start: number,
  ): void {
    const code = route.httpsRedirect;
    if (code === 426) {
      res.setHeader('upgrade', 'TLS/1.2, HTTP/1.1');
      return this.refuse(res, 426, USE_HTTPS, start);
    }
    const own = this.stats.unrouted;
    own.requests++;
    own.inFlight++;
    res.on('close', () => own.done(res.statusCode, (performance.now() - start) * 1000));
    res.writeHead(code, { location: `https://${host}${url}`, 'content-length': 0 });
    res.end();
  }

  /** A request the proxy answers itself, before any route's accounting: counted in the totals only. */
  private refuse(res: http.ServerResponse, status: number, body: Buffer, start: number): void {
    const own = this.stats.unrouted;
    own.requests++;
    own.inFlight++;
    res.on('close', () => own.done(res.statusCode, (performance.now() - start) * 1000));
    // What is refused for its size or for shutting down may still be sending: do not keep the connection.
    if (status !== 404) res.setHeader('connection', 'close');
    sendJson(res, status, body);
  }

  private unavailable(res: http.ServerResponse, route: RouteEntry, service: ServiceEntry | null, start: number, pin?: string): void {
    const rc = route.slot as Counter;
    res.on('close', () => {
      rc.errors++;
      rc.doneOwn(res.statusCode, (performance.now() - start) * 1000);
    });
    const where = route.route.hosts?.[0]
      ? `${route.route.hosts[0]}${route.route.paths?.[0] ?? ''}`
      : route.name;
    if (pin !== undefined) {
      sendJson(res, 404, Buffer.from(JSON.stringify({ message: `no app or upstream '${pin}' on route ${where}`, route: where })));
      return;
    }
    const body = service
      ? JSON.stringify({
          message: `no available target for route ${where} (service '${service.name}'): every target has weight 0, is stopped or unhealthy, or there are none`,
          service: service.name,
          route: where,
        })
      : JSON.stringify({ message: `no app or service can take traffic for route ${where}`, route: where });
    sendJson(res, 503, Buffer.from(body));
  }

  private onProxyError(err: NodeJS.ErrnoException, req: Req, res: http.ServerResponse | Socket): void {
    const f = req[FLIGHT];
    if (!(res instanceof http.ServerResponse)) {
      // A WebSocket: nothing to answer with but closing the socket.
      if (f) (f.target.slot as TargetSlot).counter.errors++;
      res.destroy();
      return;
    }
    if (!f) {
      if (!res.headersSent) sendJson(res, 502, BAD_GATEWAY);
      return;
    }
    const tc = (f.target.slot as TargetSlot).counter;
    tc.errors++;
    const code = err.code ?? '';
    // A failed handshake is a failed connection (Kong reports it to passive health as a TCP
    // failure, and retries it like one), answered with the certificate problem named.
    const tlsProblem = overTls(f.service.service.protocol) ? tlsFailure(err) : null;
    // A timeout aborts the request, which surfaces as a reset: tell them apart by the clock. A read
    // timeout is final (the target may have acted on the request); a connect timeout is retried.
    const elapsed = performance.now() - f.attemptAt;
    const s = f.service.service;
    const readTimeout = code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || elapsed >= s.read_timeout || (f.writing && code === 'ECONNRESET' && elapsed >= s.write_timeout);
    const connectTimeout = !readTimeout && code === 'ECONNRESET' && elapsed >= s.connect_timeout;
    const timedOut = readTimeout || connectTimeout;
    const refused = CONNECT_ERRORS.has(code) && code !== 'ECONNRESET';
    const hc = f.upstream.healthchecks;
    if (hc !== null && passiveOn(hc)) {
      if (timedOut || refused || tlsProblem !== null) record(f.target.health, timedOut ? 'timeout' : 'tcp', hc.passive);
    } else if (refused || connectTimeout) markDown(f.target, () => this.inTable(f.target.key));
    if (!readTimeout && !res.headersSent && !this.closing && (CONNECT_ERRORS.has(code) || tlsProblem !== null) && f.attempts < f.service.retries && !hasBody(req) && !req.socket.destroyed) {
      // Retry on another target (Kong's `retries`): move the request's accounting over.
      const tried = (f.tried ??= []);
      tried.push(f.target);
      let upstream: UpstreamEntry | undefined = f.upstream;
      const now = performance.now();
      attemptEnded(f.upstream, f.target, elapsed, now);
      // A retry goes by weight (and load): the sticky pick's target is the one that failed.
      let target = pickTarget(upstream, tried, -1, now);
      if (target === undefined) {
        upstream = pickUpstream(f.service, tried);
        target = upstream === undefined ? undefined : pickTarget(upstream, tried, -1, now);
      }
      if (upstream !== undefined && target !== undefined) {
        attemptStarted(upstream, target);
        tc.inFlight--;
        const next = (target.slot as TargetSlot).counter;
        next.requests++;
        next.inFlight++;
        if (upstream !== f.upstream) next.entered++;
        f.attempts++;
        f.attemptAt = performance.now();
        f.upstream = upstream;
        f.target = target;
        this.proxy.web(req, res, (target.slot as TargetSlot).options(f.service, f.route.route.preserve_host));
        return;
      }
    }
    (f.route.slot as Counter).errors++;
    tc.failed++;
    f.own = !res.headersSent;
    if (res.headersSent) res.destroy();
    else if (tlsProblem !== null && !timedOut) sendJson(res, 502, Buffer.from(JSON.stringify({ message: `${tlsProblem} for upstream target ${f.target.address}` })));
    else sendJson(res, timedOut ? 504 : 502, timedOut ? TIMEOUT : BAD_GATEWAY);
  }

  /**
   * A chunked body has no length up front: count it as it streams, and stop it at the limit.
   */
  private limitChunked(req: Req, res: http.ServerResponse): void {
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= this.maxBody) return;
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendJson(res, 413, TOO_LARGE);
      }
      req.destroy();
    });
  }


  private inTable(key: string): boolean {
    if (this.closing) return false;
    const t = this.store.table;
    return t.upstreams.some((u) => u.targets.some((x) => x.key === key)) || t.services.some((s) => s.upstreams.some((u) => u.targets.some((x) => x.key === key)));
  }

  private onUpgrade(req: Req, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const path = normalizePath(rawPath);
    const out = this.matched;
    const host = hostOf(req.headers.host);
    const route = matchHost(this.store.table, host, portOf(req.headers.host, req.socket.localPort ?? 0), path, req.method ?? 'GET', req, out);
    const matched = out.matched;
    const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    if (route !== undefined && !route.httpAllowed && !encrypted) {
      this.stats.unrouted.requests++;
      socket.end(
        'HTTP/1.1 426 Upgrade Required\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
          `content-length: ${USE_HTTPS.length}\r\n\r\n${USE_HTTPS.toString()}`,
      );
      return;
    }
    const service = route?.service ?? null;
    // A WebSocket sticks by what the request carries (it cannot be given a cookie).
    const upstream = service === null ? undefined : pickUpstream(service, null, service.hash === null || route === undefined ? -1 : requestKey(service.hash, req, path, url, route.regexes));
    const target = upstream === undefined ? undefined : pickTarget(upstream, null, upstream.hash === null || route === undefined ? -1 : requestKey(upstream.hash, req, path, url, route.regexes), performance.now());
    if (route === undefined || service === null || upstream === undefined || target === undefined || this.closing) {
      this.stats.unrouted.requests++;
      socket.end(route === undefined ? 'HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n' : 'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    (route.slot as Counter).switched();
    (target.slot as TargetSlot).counter.switched();
    req[FLIGHT] = {
      route,
      service,
      upstream,
      target,
      start: performance.now(),
      attempts: 0,
      tried: null,
      own: false,
      attemptAt: performance.now(),
      writing: false,
    };
    forwarded(req, encrypted, host, rawPath, route, path, matched);
    req.url = upstreamUrl(route, path, matched, url);
    this.proxy.ws(req, socket, head, (target.slot as TargetSlot).options(service, route.route.preserve_host));
  }

  /**
   * Stops accepting, lets requests in flight finish for up to `graceMs`, then closes what is
   * left. Idle keep-alive connections are closed at once.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closing = true;
    this.detach();
    this.checker.stop();
    const servers = this.tlsServer ? [this.server, this.tlsServer] : [this.server];
    const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
    for (const server of servers) server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.stats.total.inFlight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      for (const server of servers) server.closeIdleConnections();
    }
    for (const server of servers) server.closeAllConnections();
    await closed;
    for (const a of this.agents.values()) a.destroy();
    this.proxy.close();
  }
}

/**
 * Passive health: a target that refused a connection takes no traffic until a TCP probe (every
 * 500 ms) finds it answering again, so requests stop paying for a failed connect and a retry.
 */
function markDown(t: TargetEntry, stillRouted: () => boolean): void {
  const h = t.health;
  if (!h.healthy) return;
  h.healthy = false;
  const look = () => {
    // A target taken out of the configuration meanwhile needs no more probing.
    if (!stillRouted()) return;
    void probe(t.host, t.port).then((r) => {
      if (r.kind === 'connected') h.healthy = true;
      else setTimeout(look, 500).unref();
    });
  };
  setTimeout(look, 500).unref();
}

/** The Host header as Kong's router and `$host` read it: lower-case, without its port. */
function hostOf(header: string | undefined): string {
  if (header === undefined) return '';
  const colon = header.lastIndexOf(':');
  const host = colon !== -1 && header.indexOf(']') < colon ? header.slice(0, colon) : header;
  return host.toLowerCase();
}

/** The Host header's port, or (without one) the port the request arrived on: Kong's net.dst.port. */
function portOf(header: string | undefined, localPort: number): number {
  if (header === undefined) return localPort;
  const colon = header.lastIndexOf(':');
  if (colon === -1 || header.indexOf(']') > colon) return localPort;
  const p = Number(header.slice(colon + 1));
  return p > 0 ? p : localPort;
}

const PORTS = new Map<number, string>();

function portText(n: number): string {
  let t = PORTS.get(n);
  if (t === undefined) {
    t = String(n);
    if (PORTS.size < 64) PORTS.set(n, t);
  }
  return t;
}

/**
 * X-Forwarded-* and X-Real-IP as Kong's handler sets them with its default `trusted_ips` (none):
 * the client's own X-Forwarded-Proto/Host/Port/Path/Prefix are replaced, never passed on, while
 * X-Forwarded-For is kept and the client's address appended. Host is `$host` (lower-case, no
 * port), Port the port the request arrived on, Path the path as received (no query), Prefix what
 * strip_path matched (absent when nothing was stripped, or only `/`).
 */
function forwarded(
  req: http.IncomingMessage,
  encrypted: boolean,
  host: string,
  rawPath: string,
  route: RouteEntry,
  path: string,
  matched: number,
): void {
  const h = req.headers;
  const remote = req.socket.remoteAddress ?? '';
  const xff = h['x-forwarded-for'];
  h['x-forwarded-for'] = xff === undefined || xff === '' ? remote : `${xff}, ${remote}`;
  h['x-forwarded-proto'] = encrypted ? 'https' : 'http';
  if (host !== '') h['x-forwarded-host'] = host;
  else delete h['x-forwarded-host'];
  h['x-forwarded-port'] = portText(req.socket.localPort ?? 0);
  h['x-forwarded-path'] = rawPath;
  if (route.route.strip_path && matched > 0 && !(matched === 1 && path.charCodeAt(0) === 47))
    h['x-forwarded-prefix'] = path.slice(0, matched);
  else if (h['x-forwarded-prefix'] !== undefined) delete h['x-forwarded-prefix'];
  h['x-real-ip'] = remote;
}

/**
 * Headers that describe one connection, not the request (RFC 9110 7.6.1), stay with the client's
 * connection; the pooled connection to the target has its own. `transfer-encoding` and `upgrade`
 * are left to Node and http-proxy, which frame bodies and WebSockets with them.
 */
function stripHopByHop(h: http.IncomingHttpHeaders): void {
  const connection = h.connection;
  if (connection !== undefined) {
    if (connection !== 'keep-alive' && connection !== 'close') {
      for (const token of connection.split(',')) {
        const name = token.trim().toLowerCase();
        if (name !== 'upgrade' && name !== 'transfer-encoding') delete h[name];
      }
    }
    delete h.connection;
  }
  if (h['keep-alive'] !== undefined) delete h['keep-alive'];
  if (h['proxy-connection'] !== undefined) delete h['proxy-connection'];
  if (h['proxy-authorization'] !== undefined) delete h['proxy-authorization'];
  if (h.te !== undefined) delete h.te;
  if (h.trailer !== undefined) delete h.trailer;
}

/**
 * Kong's write_timeout: while the request is being sent to the target (its body streaming from the
 * client), the idle limit is write_timeout; once sent, read_timeout. Only services that set them
 * apart pay for it; with equal values http-proxy's one timeout covers both.
 */
function onProxyReq(proxyReq: http.ClientRequest, req: http.IncomingMessage): void {
  const f = (req as Req)[FLIGHT];
  if (f === undefined) return;
  const s = f.service.service;
  if (s.write_timeout === s.read_timeout) return;
  f.writing = true;
  proxyReq.once('finish', () => {
    f.writing = false;
    proxyReq.setTimeout(s.read_timeout);
  });
  // After http-proxy's own setTimeout(read_timeout), which it queues on this same event.
  process.nextTick(() => {
    if (f.writing) proxyReq.setTimeout(s.write_timeout);
  });
}

/** What a sticky pick gave a request without its cookie: set on the response, as Kong does. */
interface GivenCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

const COOKIES = Symbol('switchyard.cookies');
type StickyReq = Req & { [COOKIES]?: GivenCookie[] };

/**
 * The request's hash key for a sticky pick. With hash_on cookie and no cookie, Kong's answer:
 * a new id, hashed on now and set on the response (`onProxyRes`), so the client keeps it.
 */
function keyOf(plan: KeyPlan, req: StickyReq, path: string, url: string, route: RouteEntry): number {
  const k = requestKey(plan, req, path, url, route.regexes);
  const c = plan.cookie;
  if (k !== -1 || c === null) return k;
  const given = (req[COOKIES] ??= []);
  let cookie = given.find((g) => g.name === c.name);
  if (cookie === undefined) {
    cookie = { name: c.name, value: randomUUID(), path: c.path };
    given.push(cookie);
  }
  return hashString(cookie.value);
}

/** Shared by every attempt of a least-connections or latency upstream (no closure per request). */
function onAttemptClose(this: http.ServerResponse): void {
  const f = (this.req as Req)[FLIGHT];
  if (f === undefined) return;
  const now = performance.now();
  attemptEnded(f.upstream, f.target, now - f.attemptAt, now);
}

/** Counts the attempt for the balancer; registered before the stats' close handler, which clears the flight. */
function startAttempts(req: Req, res: http.ServerResponse, upstream: UpstreamEntry, target: TargetEntry): void {
  attemptStarted(upstream, target);
  res.on('close', onAttemptClose);
}

/** Passive health checks count the statuses the targets answer with, when configured. */
function onProxyRes(proxyRes: http.IncomingMessage, req: http.IncomingMessage): void {
  const cookies = (req as StickyReq)[COOKIES];
  if (cookies !== undefined) {
    const set = proxyRes.headers['set-cookie'] ?? [];
    for (const c of cookies) set.push(`${c.name}=${c.value}; Path=${c.path}; SameSite=Lax; HttpOnly`);
    proxyRes.headers['set-cookie'] = set;
  }
  const f = (req as Req)[FLIGHT];
  if (f === undefined) return;
  const hc = f.upstream.healthchecks;
  if (hc === null || !passiveOn(hc)) return;
  const outcome = passiveStatus(hc, proxyRes.statusCode ?? 0);
  if (outcome !== null) record(f.target.health, outcome, hc.passive);
}

/** Shared by every response (no closure per request): settles the counters of its flight. */
function onResponseClose(this: http.ServerResponse): void {
  const req = this.req as Req;
  const f = req[FLIGHT];
  if (f === undefined) return;
  req[FLIGHT] = undefined;
  const us = (performance.now() - f.start) * 1000;
  const status = this.statusCode;
  const rc = f.route.slot as Counter;
  if (f.own) rc.doneOwn(status, us);
  else rc.done(status, us);
  (f.target.slot as TargetSlot).counter.done(status, us);
}

/** Binds a server, turning EADDRINUSE and friends into one clear sentence (`flag`: the --FLAG-port to name). */
export function listen(server: Server, port: number, host: string, flag: string, what = flag): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE') reject(new Error(`${flag} port ${where} is already in use; choose another with --${flag}-port`));
      else if (err.code === 'EACCES') reject(new Error(`${flag} port ${where} needs privileges; choose a port above 1023 with --${flag}-port`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new Error(`cannot bind the ${what} to ${host}: no such local address`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
