/**
 * What the admin API tells about the node: `GET /` (Kong's node information), `/status`
 * (connections and requests), `/stats` (the proxy's counters by name) and `/metrics` (Prometheus).
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { Registry } from 'prom-client';
import type { CounterSnapshot } from '../proxy/stats.js';
import { VERSION, type AdminContext } from './context.js';
import { ok, type Reply } from './kong.js';
import { defineMetrics } from './metrics.js';
import type { Router } from './router.js';

/** The admin server as these endpoints read it. */
export interface AdminSelf {
  readonly server: http.Server;
  address(): AddressInfo | null;
  /** Whether requests must carry a token (said in `GET /`, never the token). */
  readonly hasToken: boolean;
}

/** Stats keys (ids, `upstreamId/host:port`) → names, read from the state and table in force. */
interface Names {
  readonly route: Map<string, string>;
  readonly service: Map<string, string>;
  readonly upstream: Map<string, string>;
  /** target key → [upstream name, host:port] */
  readonly target: Map<string, readonly [string, string]>;
}

export class Observability {
  private accepted = 0;
  private adminRequests = 0;
  private readonly registry = new Registry();
  private readonly metricsText: () => Promise<string>;
  /** Counts a connection accepted by the admin API or the proxy (Kong's connections_accepted). */
  readonly countConnection = (): void => {
    this.accepted++;
  };

  constructor(
    private readonly ctx: AdminContext,
    private readonly self: AdminSelf,
  ) {
    this.metricsText = defineMetrics(this.registry, {
      stats: ctx.stats,
      state: () => ctx.store.state,
      table: () => ctx.store.table,
      nodeId: ctx.nodeId,
      version: VERSION,
    }).scrape;
  }

  countRequest(): void {
    this.adminRequests++;
  }

  define(router: Router): void {
    router.on('GET', '/', () => ok(this.rootInfo()));
    router.on('GET', '/status', () => this.status());
    router.on('GET', '/stats', () => ok(this.namedStats()));
    router.on('GET', '/metrics', () => this.metrics());
  }

  private rootInfo(): unknown {
    const listen = (a: AddressInfo | null) =>
      a ? [a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`] : [];
    return {
      tagline: 'Welcome to switchyard',
      version: VERSION,
      hostname: os.hostname(),
      node_id: this.ctx.nodeId,
      plugins: { available_on_server: {}, enabled_in_cluster: [] },
      configuration: {
        database: 'off',
        proxy_listen: listen(this.ctx.proxy.address),
        admin_listen: listen(this.self.address()),
        readonly: this.ctx.store.readonly,
        admin_token: this.self.hasToken,
      },
      switchyard: this.ctx.info() ?? null,
    };
  }

  private async status(): Promise<Reply> {
    const count = (s: http.Server) =>
      new Promise<number>((resolve) => s.getConnections((err, n) => resolve(err ? 0 : n)));
    const [admin, proxy] = await Promise.all([count(this.self.server), count(this.ctx.proxy.server)]);
    const stats = this.ctx.stats;
    const t = stats.snapshotOf(stats.total);
    return ok({
      database: { reachable: true },
      server: {
        connections_accepted: this.accepted,
        connections_active: admin + proxy,
        total_requests: t.requests + this.adminRequests,
      },
      proxy: {
        requests: t.requests,
        rate: t.rate,
        in_flight: t.inFlight,
        errors: t.errors,
        status: t.status,
        latency_ms: { p50: t.p50, p99: t.p99 },
      },
    });
  }

  private names(): Names {
    const names: Names = { route: new Map(), service: new Map(), upstream: new Map(), target: new Map() };
    const { state, table } = this.ctx.store;
    for (const r of state.routes) names.route.set(r.id, r.name ?? r.id);
    for (const s of state.services) names.service.set(s.id, s.name ?? s.id);
    // Literal `host:port` services have an anonymous upstream that only the table knows.
    for (const u of [...table.upstreams, ...table.services.flatMap((s) => s.upstreams)]) {
      names.upstream.set(u.key, u.name);
      for (const t of u.targets) names.target.set(t.key, [u.name, t.address]);
    }
    return names;
  }

  private namedStats(): unknown {
    const snap = this.ctx.stats.snapshot();
    const names = this.names();
    const named = (
      m: Readonly<Record<string, CounterSnapshot>>,
      name: (k: string) => Record<string, string>,
    ) => Object.fromEntries(Object.entries(m).map(([k, c]) => [k, { ...name(k), ...c }]));
    return {
      at: snap.at,
      total: snap.total,
      routes: named(snap.routes, (k) => ({ name: names.route.get(k) ?? k })),
      services: named(snap.services, (k) => ({ name: names.service.get(k) ?? k })),
      upstreams: named(snap.upstreams, (k) => ({ name: names.upstream.get(k) ?? k })),
      targets: named(snap.targets, (k) => {
        const [upstream, target] = names.target.get(k) ?? ['', k];
        return { name: target, upstream };
      }),
    };
  }

  private async metrics(): Promise<Reply> {
    const text = await this.metricsText();
    return { status: 200, text, headers: { 'content-type': this.registry.contentType } };
  }
}
