/**
 * The data plane: a weighted reverse proxy on http-proxy with keep-alive agents. Per request it
 * reads the routing table once, matches, picks an upstream and a target (at both levels) and
 * bumps counters it already holds. No logging, no React, no lookups by key: everything a request
 * needs hangs off the compiled table (slots.ts), down to the http-proxy instance it is sent
 * through. The proxy's own answers are in answers.ts, a failed attempt's fate in failures.ts.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Store } from '../core/store.js';
import { normalizePath } from '../core/router.js';
import { requestKey, type KeyPlan } from '../core/sticky.js';
import {
  matchHost,
  pickTarget,
  pickUpstream,
  upstreamUrl,
  type MatchOut,
  type RouteEntry,
  type UpstreamEntry,
} from '../core/table.js';
import { Agents } from './agents.js';
import {
  NO_ROUTE,
  SHUTTING_DOWN,
  TOO_LARGE,
  USE_HTTPS,
  refuse,
  sendJson,
  toHttps,
  unavailable,
} from './answers.js';
import { onProxyError } from './failures.js';
import { FLIGHT, counterOf, keyOf, onResponseClose, startAttempts, type Req } from './flight.js';
import { forwarded, hostParts, stripHopByHop } from './headers.js';
import { ActiveChecker } from './health.js';
import { attachSlots, hasBody, proxyOf, type OnError } from './slots.js';
import type { Counter, Stats } from './stats.js';

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

/** What routing read off the request: filled by `match`, valid until the next request (never across an await). */
interface Asked {
  url: string;
  rawPath: string;
  path: string;
  host: string;
  matched: number;
  encrypted: boolean;
  /** The port the request arrived on. */
  localPort: number;
}

export class ProxyServer {
  readonly server: http.Server;
  /** The TLS listener, when asked for: the same handlers, so `req.socket.encrypted` is all that differs. */
  readonly tlsServer: https.Server | null;
  private readonly store: Store;
  private readonly stats: Stats;
  private readonly detach: () => void;
  /** Read by failures.ts: no retries once closing. */
  closing = false;
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
    localPort: 0,
  };
  private readonly agents: Agents;
  private readonly onError: OnError = (err, req, res) =>
    onProxyError(this, err as NodeJS.ErrnoException, req as Req, res);

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
    this.detach = this.store.attach((table) => {
      attachSlots(table, this.stats, this.agents, this.onError);
      this.checker.apply(table);
    });
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
    a.localPort = req.socket.localPort ?? 0;
    const route = matchHost(
      this.store.table,
      h.host,
      h.port === -1 ? a.localPort : h.port,
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
    forwarded(req, a.encrypted, a.host, a.localPort, a.rawPath, prefix);
    req.url = upstreamUrl(route, a.path, m, a.url);
  }

  /**
   * A sticky pick's hash key (-1: the plan is none, pick by weight). An HTTP request without the
   * hash cookie is given one, as Kong does (`giveCookie`); a WebSocket cannot be.
   */
  private key(plan: KeyPlan | null, req: Req, route: RouteEntry, giveCookie: boolean): number {
    if (plan === null) return -1;
    const a = this.asked;
    return giveCookie
      ? keyOf(plan, req, a.path, a.url, route)
      : requestKey(plan, req, a.path, a.url, route.regexes);
  }

  private onRequest(req: Req, res: http.ServerResponse): void {
    const start = performance.now();
    const route = this.match(req);
    const a = this.asked;
    const length = req.headers['content-length'];
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if (this.closing) return refuse(this.stats.unrouted, res, 503, SHUTTING_DOWN, start);
    if (route === undefined) return refuse(this.stats.unrouted, res, 404, NO_ROUTE, start);
    if (!route.httpAllowed && !a.encrypted)
      return toHttps(this.stats.unrouted, res, route, a.host, a.url, start);
    if (length !== undefined && this.maxBody > 0 && Number(length) > this.maxBody)
      return refuse(this.stats.unrouted, res, 413, TOO_LARGE, start);
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
      upstream = pickUpstream(service, null, this.key(service.hash, req, route, true));
    else {
      upstream = service.upstreams.find((u) => u.name === pin);
      if (upstream === undefined) return unavailable(res, route, service, start, pin as string);
    }
    const target =
      upstream === undefined
        ? undefined
        : pickTarget(upstream, null, this.key(upstream.hash, req, route, true), start);
    if (service === null || upstream === undefined || target === undefined)
      return unavailable(res, route, service, start);
    const bodyless = !hasBody(length, chunked);
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
      answer: null,
      bodyless,
    };
    if (service.tracksLoad) startAttempts(res, upstream, target);
    const tc = counterOf(target);
    tc.requests++;
    tc.entered++;
    tc.inFlight++;
    res.on('close', onResponseClose);
    if (this.maxBody > 0 && length === undefined && chunked) this.limitChunked(req, res);
    stripHopByHop(req.headers);
    this.forward(req, route);
    proxyOf(target, service, route, bodyless).web(req, res);
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
      service === null || route === undefined
        ? undefined
        : pickUpstream(service, null, this.key(service.hash, req, route, false));
    const now = performance.now();
    const target =
      upstream === undefined || route === undefined
        ? undefined
        : pickTarget(upstream, null, this.key(upstream.hash, req, route, false), now);
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
      answer: null,
      // http-proxy's WebSocket passes send no body (and take no `buffer`).
      bodyless: true,
    };
    this.forward(req, route);
    proxyOf(target, service, route, true).ws(req, socket, head);
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

  inTable(key: string): boolean {
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
