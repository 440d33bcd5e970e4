/**
 * The data plane: a weighted reverse proxy on http-proxy with keep-alive agents. Per request it
 * reads the routing table once, matches, picks an upstream and a target (at both levels) and
 * bumps counters it already holds. No logging, no React, no lookups by key: everything a request
 * needs hangs off the compiled table, down to the http-proxy instance it is sent through.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import httpProxy from 'http-proxy';
import type { Store } from '../core/store.js';
import { normalizePath } from '../core/router.js';
import { overTls } from '../core/schema.js';
import { requestKey } from '../core/sticky.js';
import {
  attemptEnded,
  attemptStarted,
  matchHost,
  pickTarget,
  pickUpstream,
  upstreamUrl,
  type MatchOut,
  type RouteEntry,
  type RoutingTable,
  type ServiceEntry,
  type TargetEntry,
  type UpstreamEntry,
} from '../core/table.js';
import { Agents } from './agents.js';
import {
  FLIGHT,
  counterOf,
  keyOf,
  onProxyReq,
  onProxyRes,
  onResponseClose,
  startAttempts,
  watchesResponses,
  type Req,
} from './flight.js';
import { forwarded, hostParts, stripHopByHop } from './headers.js';
import { ActiveChecker, passiveOn, record } from './health.js';
import { probe } from './probe.js';
import { Counter, Group, Stats } from './stats.js';
import { tlsFailure } from './tls-failure.js';

export { tlsFailure } from './tls-failure.js';

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
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly port: number;
    readonly host?: string;
  };
  /** PEM of CAs trusted for https upstreams with `tls_verify: true`, beside the system's. */
  readonly upstreamCa?: string;
}

export const DEFAULT_MAX_BODY = 32 * 1024 * 1024;
const TOO_LARGE = Buffer.from('{"message":"Request size limit exceeded"}');
const NO_ROUTE = Buffer.from('{"message":"no Route matched with those values"}');
const USE_HTTPS = Buffer.from('{"message":"Please use HTTPS protocol"}');
const BAD_GATEWAY = Buffer.from('{"message":"An invalid response was received from the upstream server"}');
const SHUTTING_DOWN = Buffer.from('{"message":"switchyard is shutting down"}');
const TIMEOUT = Buffer.from('{"message":"The upstream server is timing out"}');
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
]);

type OnError = (err: Error, req: http.IncomingMessage, res: http.ServerResponse | Socket) => void;

/**
 * What the proxy hangs on a target: its counter, and one http-proxy instance per (service,
 * preserve_host) it is used with, made on first use with exactly the listeners that service
 * needs. A request is then sent with `proxy.web(req, res)`: no options object, so http-proxy
 * copies nothing, and no listener that would return at once.
 *
 * The service decides the scheme (Kong: a target of an upstream used by an https service is
 * reached over TLS). The Host sent is Kong's `upstream_host`: the client's with preserve_host,
 * else the upstream's host_header, else the target's host (with the port when not the
 * scheme's default); Node takes the TLS SNI from that Host, as nginx's `proxy_ssl_name
 * $upstream_host` does, and sends none for an IP address.
 */
class TargetSlot {
  private made: { service: ServiceEntry; proxies: [httpProxy | null, httpProxy | null] } | null = null;

  constructor(
    private readonly t: TargetEntry,
    private readonly upstream: UpstreamEntry,
    private readonly agents: Agents,
    private readonly onError: OnError,
    readonly counter: Counter,
  ) {}

  proxy(service: ServiceEntry, preserveHost: boolean): httpProxy {
    if (this.made === null || this.made.service !== service) this.made = { service, proxies: [null, null] };
    const i = preserveHost ? 1 : 0;
    return (this.made.proxies[i] ??= this.create(service, preserveHost));
  }

  private create(service: ServiceEntry, preserveHost: boolean): httpProxy {
    const s = service.service;
    const secure = overTls(s.protocol);
    const hostHeader = this.upstream.hostHeader;
    // X-Forwarded-* are set by `forwarded` as Kong sets them, not by http-proxy's xfwd; the
    // agent's sockets carry connect_timeout and read_timeout (no proxyTimeout timer per request).
    const target = { protocol: secure ? 'https:' : 'http:', host: this.t.host, port: this.t.port };
    const options: httpProxy.ServerOptions = {
      target,
      agent: this.agents.for(s),
      toProxy: true,
      ...(secure ? { secure: s.tls_verify === true } : {}),
    };
    if (preserveHost || hostHeader === null) options.changeOrigin = !preserveHost;
    else
      options.headers = {
        host: this.t.port === (secure ? 443 : 80) ? hostHeader : `${hostHeader}:${this.t.port}`,
      };
    const p = httpProxy.createProxyServer(options);
    p.on('error', this.onError);
    if (watchesResponses(service, this.upstream)) p.on('proxyRes', onProxyRes);
    if (s.write_timeout !== s.read_timeout) p.on('proxyReq', onProxyReq);
    return p;
  }
}

function proxyOf(t: TargetEntry, service: ServiceEntry, route: RouteEntry): httpProxy {
  return (t.slot as TargetSlot).proxy(service, route.route.preserve_host);
}

function sendJson(res: http.ServerResponse, status: number, body: Buffer): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** What routing read off the request: filled by `match`, valid until the next request (never across an await). */
interface Asked {
  url: string;
  rawPath: string;
  path: string;
  host: string;
  matched: number;
  encrypted: boolean;
}

export class ProxyServer {
  readonly server: http.Server;
  /** The TLS listener, when asked for: the same handlers, so `req.socket.encrypted` is all that differs. */
  readonly tlsServer: https.Server | null;
  private readonly store: Store;
  private readonly stats: Stats;
  private readonly detach: () => void;
  private closing = false;
  /** Request bodies above this many bytes get 413 (0 = no limit). */
  private readonly maxBody: number;
  private readonly checker: ActiveChecker;
  private readonly out: MatchOut = { matched: 0 };
  private readonly asked: Asked = {
    url: '/',
    rawPath: '/',
    path: '/',
    host: '',
    matched: 0,
    encrypted: false,
  };
  private readonly agents: Agents;
  private readonly onError: OnError = (err, req, res) =>
    this.onProxyError(err as NodeJS.ErrnoException, req as Req, res);

  constructor(private readonly options: ProxyOptions) {
    this.store = options.store;
    this.stats = options.stats;
    this.maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.checker = new ActiveChecker(undefined, options.upstreamCa);
    this.agents = new Agents(options.upstreamCa);
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) =>
      this.onRequest(req as Req, res);
    this.server = http.createServer({ keepAlive: true }, onRequest);
    this.tlsServer = options.tls
      ? https.createServer({ keepAlive: true, cert: options.tls.cert, key: options.tls.key }, onRequest)
      : null;
    for (const server of this.tlsServer ? [this.server, this.tlsServer] : [this.server]) {
      server.on('upgrade', (req: Req, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
        if (!socket.writable) return socket.destroy();
        const status =
          err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
        socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      });
    }
    this.detach = this.store.attach((table) => this.attachTable(table));
  }

  /** Hangs counters and target slots on a new table before it goes live. */
  private attachTable(table: RoutingTable): void {
    const seen: Record<'route' | 'service' | 'upstream' | 'target', Set<string>> = {
      route: new Set(),
      service: new Set(),
      upstream: new Set(),
      target: new Set(),
    };
    const upstreamSlot = (u: UpstreamEntry): void => {
      seen.upstream.add(u.key);
      const group = this.stats.group('upstream', u.key);
      u.slot = group;
      for (const t of u.targets) {
        seen.target.add(t.key);
        const leaf = this.stats.leaf('target', t.key);
        this.stats.link(leaf, group);
        t.slot = new TargetSlot(t, u, this.agents, this.onError, leaf);
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
    for (const kind of ['route', 'service', 'upstream', 'target'] as const)
      this.stats.retain(kind, seen[kind]);
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

  /** The route a request (or a WebSocket upgrade) takes, with what was read on the way in `this.asked`. */
  private match(req: Req): RouteEntry | undefined {
    const a = this.asked;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    a.url = url;
    a.rawPath = q === -1 ? url : url.slice(0, q);
    a.path = normalizePath(a.rawPath);
    const h = hostParts(req.headers.host);
    a.host = h.host;
    a.encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
    const route = matchHost(
      this.store.table,
      h.host,
      h.port === -1 ? (req.socket.localPort ?? 0) : h.port,
      a.path,
      req.method ?? 'GET',
      req,
      this.out,
    );
    a.matched = this.out.matched;
    return route;
  }

  /** X-Forwarded-* and the upstream path, as Kong sends them, from what `match` read. */
  private forward(req: Req, route: RouteEntry): void {
    const a = this.asked;
    const m = a.matched;
    const prefix =
      route.route.strip_path && m > 0 && !(m === 1 && a.path.charCodeAt(0) === 47)
        ? a.path.slice(0, m)
        : null;
    forwarded(req, a.encrypted, a.host, a.rawPath, prefix);
    req.url = upstreamUrl(route, a.path, m, a.url);
  }

  private onRequest(req: Req, res: http.ServerResponse): void {
    const start = performance.now();
    const route = this.match(req);
    const a = this.asked;
    const length = req.headers['content-length'];
    if (this.closing) return this.refuse(res, 503, SHUTTING_DOWN, start);
    if (route === undefined) return this.refuse(res, 404, NO_ROUTE, start);
    if (!route.httpAllowed && !a.encrypted) return this.toHttps(res, route, a.host, a.url, start);
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
    else if (pin === undefined)
      upstream = pickUpstream(
        service,
        null,
        service.hash === null ? -1 : keyOf(service.hash, req, a.path, a.url, route),
      );
    else {
      upstream = service.upstreams.find((u) => u.name === pin);
      if (upstream === undefined) return this.unavailable(res, route, service, start, pin as string);
    }
    const target =
      upstream === undefined
        ? undefined
        : pickTarget(
            upstream,
            null,
            upstream.hash === null ? -1 : keyOf(upstream.hash, req, a.path, a.url, route),
            start,
          );
    if (service === null || upstream === undefined || target === undefined)
      return this.unavailable(res, route, service, start);
    req[FLIGHT] = {
      route,
      service,
      upstream,
      target,
      start,
      attempts: 0,
      tried: null,
      own: false,
      attemptAt: start,
      writing: false,
    };
    if (service.tracksLoad) startAttempts(res, upstream, target);
    const tc = counterOf(target);
    tc.requests++;
    tc.entered++;
    tc.inFlight++;
    res.on('close', onResponseClose);
    if (this.maxBody > 0 && length === undefined && req.headers['transfer-encoding'] !== undefined)
      this.limitChunked(req, res);
    stripHopByHop(req.headers);
    this.forward(req, route);
    proxyOf(target, service, route).web(req, res);
  }

  private onUpgrade(req: Req, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const route = this.match(req);
    const a = this.asked;
    if (route !== undefined && !route.httpAllowed && !a.encrypted) {
      this.stats.unrouted.requests++;
      socket.end(
        'HTTP/1.1 426 Upgrade Required\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
          `content-length: ${USE_HTTPS.length}\r\n\r\n${USE_HTTPS.toString()}`,
      );
      return;
    }
    const service = route?.service ?? null;
    // A WebSocket sticks by what the request carries (it cannot be given a cookie).
    const upstream =
      service === null
        ? undefined
        : pickUpstream(
            service,
            null,
            service.hash === null || route === undefined
              ? -1
              : requestKey(service.hash, req, a.path, a.url, route.regexes),
          );
    const now = performance.now();
    const target =
      upstream === undefined
        ? undefined
        : pickTarget(
            upstream,
            null,
            upstream.hash === null || route === undefined
              ? -1
              : requestKey(upstream.hash, req, a.path, a.url, route.regexes),
            now,
          );
    if (
      route === undefined ||
      service === null ||
      upstream === undefined ||
      target === undefined ||
      this.closing
    ) {
      this.stats.unrouted.requests++;
      socket.end(
        route === undefined
          ? 'HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'
          : 'HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
      );
      return;
    }
    (route.slot as Counter).switched();
    counterOf(target).switched();
    req[FLIGHT] = {
      route,
      service,
      upstream,
      target,
      start: now,
      attempts: 0,
      tried: null,
      own: false,
      attemptAt: now,
      writing: false,
    };
    this.forward(req, route);
    proxyOf(target, service, route).ws(req, socket, head);
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

  private unavailable(
    res: http.ServerResponse,
    route: RouteEntry,
    service: ServiceEntry | null,
    start: number,
    pin?: string,
  ): void {
    const rc = route.slot as Counter;
    res.on('close', () => {
      rc.errors++;
      rc.doneOwn(res.statusCode, (performance.now() - start) * 1000);
    });
    const where = route.route.hosts?.[0]
      ? `${route.route.hosts[0]}${route.route.paths?.[0] ?? ''}`
      : route.name;
    if (pin !== undefined) {
      sendJson(
        res,
        404,
        Buffer.from(
          JSON.stringify({ message: `no app or upstream '${pin}' on route ${where}`, route: where }),
        ),
      );
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
      if (f) counterOf(f.target).errors++;
      res.destroy();
      return;
    }
    if (!f) {
      if (!res.headersSent) sendJson(res, 502, BAD_GATEWAY);
      return;
    }
    const tc = counterOf(f.target);
    tc.errors++;
    const code = err.code ?? '';
    // A failed handshake is a failed connection (Kong reports it to passive health as a TCP
    // failure, and retries it like one), answered with the certificate problem named.
    const tlsProblem = overTls(f.service.service.protocol) ? tlsFailure(err) : null;
    // A timeout ends the request with a reset: tell them apart by the clock. A read timeout is
    // final (the target may have acted on the request); a connect timeout is retried.
    const elapsed = performance.now() - f.attemptAt;
    const s = f.service.service;
    const readTimeout =
      code === 'ETIMEDOUT' ||
      code === 'ESOCKETTIMEDOUT' ||
      elapsed >= s.read_timeout ||
      (f.writing && code === 'ECONNRESET' && elapsed >= s.write_timeout);
    const connectTimeout = !readTimeout && code === 'ECONNRESET' && elapsed >= s.connect_timeout;
    const timedOut = readTimeout || connectTimeout;
    const refused = CONNECT_ERRORS.has(code) && code !== 'ECONNRESET';
    const hc = f.upstream.healthchecks;
    if (hc !== null && passiveOn(hc)) {
      if (timedOut || refused || tlsProblem !== null)
        record(f.target.health, timedOut ? 'timeout' : 'tcp', hc.passive);
    } else if (refused || connectTimeout) markDown(f.target, () => this.inTable(f.target.key));
    if (
      !readTimeout &&
      !res.headersSent &&
      !this.closing &&
      (CONNECT_ERRORS.has(code) || tlsProblem !== null) &&
      f.attempts < f.service.retries &&
      !hasBody(req) &&
      !req.socket.destroyed
    ) {
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
        const next = counterOf(target);
        next.requests++;
        next.inFlight++;
        if (upstream !== f.upstream) next.entered++;
        f.attempts++;
        f.attemptAt = performance.now();
        f.upstream = upstream;
        f.target = target;
        proxyOf(target, f.service, f.route).web(req, res);
        return;
      }
    }
    (f.route.slot as Counter).errors++;
    tc.failed++;
    f.own = !res.headersSent;
    if (res.headersSent) res.destroy();
    else if (tlsProblem !== null && !timedOut)
      sendJson(
        res,
        502,
        Buffer.from(JSON.stringify({ message: `${tlsProblem} for upstream target ${f.target.address}` })),
      );
    else sendJson(res, timedOut ? 504 : 502, timedOut ? TIMEOUT : BAD_GATEWAY);
  }

  /** A chunked body has no length up front: count it as it streams, and stop it at the limit. */
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
    return (
      t.upstreams.some((u) => u.targets.some((x) => x.key === key)) ||
      t.services.some((s) => s.upstreams.some((u) => u.targets.some((x) => x.key === key)))
    );
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
    const closed = Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
    for (const server of servers) server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (this.stats.total.inFlight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      for (const server of servers) server.closeIdleConnections();
    }
    for (const server of servers) server.closeAllConnections();
    await closed;
    this.agents.destroy();
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

/** Binds a server, turning EADDRINUSE and friends into one clear sentence (`flag`: the --FLAG-port to name). */
export function listen(
  server: Server,
  port: number,
  host: string,
  flag: string,
  what = flag,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const where = `${host}:${port}`;
      if (err.code === 'EADDRINUSE')
        reject(new Error(`${flag} port ${where} is already in use; choose another with --${flag}-port`));
      else if (err.code === 'EACCES')
        reject(
          new Error(`${flag} port ${where} needs privileges; choose a port above 1023 with --${flag}-port`),
        );
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new Error(`cannot bind the ${what} to ${host}: no such local address`));
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
