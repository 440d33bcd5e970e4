/**
 * What the proxy hangs on a routing table before it goes live: the stats leaves and groups each
 * entry counts into, and on each target a slot holding its counter and the http-proxy instances
 * requests to it are sent through.
 */
import type http from 'node:http';
import type { Socket } from 'node:net';
import type { Stream } from 'node:stream';
import httpProxy from 'http-proxy';
import { overTls } from '../core/schema.js';
import type { RouteEntry, RoutingTable, ServiceEntry, TargetEntry, UpstreamEntry } from '../core/table.js';
import type { Agents } from './agents.js';
import { onProxyReq, onProxyRes, watchesResponses } from './flight.js';
import { respond } from './respond.js';
import type { Counter, Group, Stats } from './stats.js';

export type OnError = (err: Error, req: http.IncomingMessage, res: http.ServerResponse | Socket) => void;

/**
 * A target's counter, and one http-proxy instance per (service, preserve_host, has a body) it is
 * used with, made on first use with exactly the listeners that service needs. A request is then sent with
 * `proxy.web(req, res)`: no options object, so http-proxy copies nothing, and no listener that
 * would return at once.
 *
 * The service decides the scheme (Kong: a target of an upstream used by an https service is
 * reached over TLS). The Host sent is Kong's `upstream_host`: the client's with preserve_host,
 * else the upstream's host_header, else the target's host (with the port when not the
 * scheme's default); Node takes the TLS SNI from that Host, as nginx's `proxy_ssl_name
 * $upstream_host` does, and sends none for an IP address.
 */
export class TargetSlot {
  private made: { service: ServiceEntry; proxies: (httpProxy | null)[] } | null = null;

  constructor(
    private readonly t: TargetEntry,
    private readonly upstream: UpstreamEntry,
    private readonly agents: Agents,
    private readonly onError: OnError,
    readonly counter: Counter,
  ) {}

  proxy(service: ServiceEntry, preserveHost: boolean, bodyless: boolean): httpProxy {
    if (this.made === null || this.made.service !== service)
      this.made = { service, proxies: [null, null, null, null] };
    const i = (preserveHost ? 1 : 0) + (bodyless ? 2 : 0);
    return (this.made.proxies[i] ??= this.create(service, preserveHost, bodyless));
  }

  private create(service: ServiceEntry, preserveHost: boolean, bodyless: boolean): httpProxy {
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
      // respond.ts writes the answer: one writeHead of the raw headers, less the hop-by-hop ones.
      selfHandleResponse: true,
      ...(secure ? { secure: s.tls_verify === true } : {}),
      // A request without a body is ended at once instead of piped (seven listeners made and
      // removed, and a stream resumed, to learn it is empty); http-proxy's `buffer` is the body.
      ...(bodyless ? { buffer: NO_BODY } : {}),
    };
    // Made once here, not per request as http-proxy's changeOrigin does (with its own rules:
    // no port when it is the scheme's, nor when the host already ends in one).
    const host = hostHeader ?? this.t.host;
    const noPort = this.t.port === (secure ? 443 : 80) || (hostHeader === null && /:\d+$/.test(host));
    if (!preserveHost) options.headers = { host: noPort ? host : `${host}:${this.t.port}` };
    const p = httpProxy.createProxyServer(options);
    p.on('error', this.onError);
    if (watchesResponses(this.upstream)) p.on('proxyRes', onProxyRes);
    p.on('proxyRes', respond);
    if (s.write_timeout !== s.read_timeout) p.on('proxyReq', onProxyReq);
    return p;
  }
}

/** The http-proxy instance a request of this route goes to this target through. */
export function proxyOf(
  t: TargetEntry,
  service: ServiceEntry,
  route: RouteEntry,
  bodyless: boolean,
): httpProxy {
  return (t.slot as TargetSlot).proxy(service, route.route.preserve_host, bodyless);
}

/**
 * Whether a request carries a body, from its Content-Length and whether it has a
 * Transfer-Encoding (RFC 9112 6.3): a non-zero length, or any transfer coding.
 */
export function hasBody(length: string | undefined, chunked: boolean): boolean {
  return (length !== undefined && length !== '0') || chunked;
}

/** The body of a request that has none, as http-proxy's `buffer` option takes it: piping it ends the request to the target. */
const NO_BODY = {
  pipe<T extends NodeJS.WritableStream>(dest: T): T {
    dest.end();
    return dest;
  },
} as unknown as Stream;

/** Hangs leaves, groups and target slots on a new table; what left the configuration leaves the stats' live sets. */
export function attachSlots(table: RoutingTable, stats: Stats, agents: Agents, onError: OnError): void {
  const seen: Record<'route' | 'service' | 'upstream' | 'target', Set<string>> = {
    route: new Set(),
    service: new Set(),
    upstream: new Set(),
    target: new Set(),
  };
  const upstreamSlot = (u: UpstreamEntry): void => {
    seen.upstream.add(u.key);
    const group = stats.group('upstream', u.key);
    u.slot = group;
    for (const t of u.targets) {
      seen.target.add(t.key);
      const leaf = stats.leaf('target', t.key);
      stats.link(leaf, group);
      t.slot = new TargetSlot(t, u, agents, onError, leaf);
    }
  };
  table.upstreams.forEach(upstreamSlot);
  for (const s of table.services) {
    seen.service.add(s.key);
    s.slot = stats.group('service', s.key);
    // A service's literal host:port is an upstream of its own, not in table.upstreams.
    for (const u of s.upstreams) if (u.slot === undefined) upstreamSlot(u);
  }
  for (const r of table.routes) {
    seen.route.add(r.key);
    const leaf = stats.leaf('route', r.key);
    stats.link(leaf, r.service === null ? null : (r.service.slot as Group));
    r.slot = leaf;
  }
  for (const kind of ['route', 'service', 'upstream', 'target'] as const) stats.retain(kind, seen[kind]);
}
