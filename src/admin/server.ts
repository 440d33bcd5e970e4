/**
 * The admin API: Kong's Admin API for upstreams, targets, services and routes (the curl commands
 * of seeds/002 work unchanged), plus /status, /stats and /metrics. Plain node:http and a small
 * router; every change goes through `store.dispatch(…, 'admin')`, so it is validated exactly
 * like a key press and reaches the proxy before the next request.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { Registry } from 'prom-client';
import { exportYaml, readDeclarative, toDeclarative } from '../config/yaml.js';
import { normalizeTarget, type Command } from '../core/commands.js';
import { byNameOrId, type State, type Upstream } from '../core/model.js';
import { targetSchema, upstreamSchema } from '../core/schema.js';
import type { Store } from '../core/store.js';
import { tableHealth } from '../core/table.js';
import { leftovers } from '../core/deployments.js';
import type { HealthOf } from '../core/traffic.js';
import { listen, type ProxyServer } from '../proxy/server.js';
import { findApp, routesWithApps } from '../core/apps.js';
import { SwitchyardError } from '../core/errors.js';
import type { Supervisor } from '../apps/supervisor.js';
import type { DeployEngine } from '../deploy/bg-deploy.js';
import { settledWithin, summarize, type DataPlane } from '../dataplane/index.js';
import { parseManifest } from '../deploy/manifest.js';
import { appJson } from './apps.js';
import { runCommand } from './commands.js';
import type { CounterSnapshot, Stats } from '../proxy/stats.js';
import { defineMetrics } from './metrics.js';
import {
  created,
  errorReply,
  HttpError,
  keyFields,
  noContent,
  notFound,
  ok,
  page,
  parseBody,
  parseBodyOf,
  readBody,
  replaceFields,
  routeJson,
  serviceJson,
  serviceReplacement,
  targetJson,
  upstreamJson,
  type Ctx,
  type Handler,
  type Reply,
} from './kong.js';
import { defineServiceRoutes, upsertRoute, type EntityApi } from './service-routes.js';

export interface AdminOptions {
  store: Store;
  stats: Stats;
  proxy: ProxyServer;
  /** Runs app processes; its status and logs are served under /apps. */
  supervisor?: Supervisor;
  /** Blue-green deployments, served under /deployments. */
  deployer?: DeployEngine;
  /** The data plane in use, for /dataplane (its instances, drift, re-apply). */
  dataPlane?: () => DataPlane | undefined;
  host: string;
  port: number;
  /** When set, every request must carry it (`Authorization: Bearer …` or `Kong-Admin-Token`). */
  token?: string;
  /** The engine's own description for `GET /` (proxy/admin URLs, state file, readonly). */
  info: () => unknown;
}

const VERSION = readVersion();
/** How long a change waits for the data plane (HAProxy instances) before it is answered anyway. */
const APPLY_WAIT_MS = 3000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function readVersion(): string {
  try {
    // src/admin/ and dist/admin/ both sit two levels below package.json.
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

interface RouteDef {
  readonly method: string;
  readonly parts: readonly string[];
  readonly handler: Handler;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Hosts a loopback-only admin API answers to; anything else is a DNS-rebinding attempt. */
function isLocalHost(hostHeader: string | undefined, bound: string): boolean {
  if (hostHeader === undefined) return true;
  const host = hostHeader
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === bound
  );
}

function findTarget(u: Upstream, key: string) {
  return (
    u.targets.find((t) => t.id === key) ??
    u.targets.find((t) => t.target === key) ??
    u.targets.find((t) => t.target === normalizeTarget(key))
  );
}

/** Stats keys (ids, `upstreamId/host:port`) → names, read from the state and table in force. */
interface Names {
  readonly route: Map<string, string>;
  readonly service: Map<string, string>;
  readonly upstream: Map<string, string>;
  /** target key → [upstream name, host:port] */
  readonly target: Map<string, readonly [string, string]>;
}

export class AdminServer {
  readonly server: http.Server;
  private readonly store: Store;
  private readonly stats: Stats;
  private readonly proxy: ProxyServer;
  private readonly tokenHash: Buffer | undefined;
  private readonly routes: RouteDef[] = [];
  private readonly registry = new Registry();
  private readonly nodeId = randomUUID();
  private accepted = 0;
  private adminRequests = 0;
  private readonly countConnection = () => this.accepted++;
  private readonly metricsText: () => Promise<string>;

  constructor(private readonly options: AdminOptions) {
    this.store = options.store;
    this.stats = options.stats;
    this.proxy = options.proxy;
    this.tokenHash = options.token ? sha256(options.token) : undefined;
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', this.countConnection);
    this.proxy.server.on('connection', this.countConnection);
    this.defineRoutes();
    this.metricsText = defineMetrics(this.registry, {
      stats: this.stats,
      state: () => this.state,
      table: () => this.store.table,
      nodeId: this.nodeId,
      version: VERSION,
    }).scrape;
  }

  listen(): Promise<AddressInfo> {
    return listen(this.server, this.options.port, this.options.host, 'admin');
  }

  get address(): AddressInfo | null {
    return this.server.address() as AddressInfo | null;
  }

  async close(): Promise<void> {
    this.proxy.server.off('connection', this.countConnection);
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Admin requests are short; idle keep-alive sockets would hold close() open.
    this.server.closeAllConnections();
    await closed;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP plumbing

  private on(method: string, path: string, handler: Handler): void {
    this.routes.push({ method, parts: path.split('/').filter(Boolean), handler });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.adminRequests++;
    let reply: Reply;
    try {
      reply = await this.route(req);
    } catch (e) {
      reply = errorReply(e);
    }
    if (MUTATING.has(req.method ?? '') && reply.status < 400) reply = await this.afterDataPlane(reply);
    this.send(res, reply);
  }

  /**
   * A change is answered once the data plane has it: at once in-process (the proxy swaps tables
   * inside the dispatch), after every reachable HAProxy instance took it otherwise, so that a
   * script's next request after `switchyard weight …` meets the new weights. Bounded; what an
   * instance did not take is said in a header, the Kong-shaped body is left as it is.
   */
  private async afterDataPlane(reply: Reply): Promise<Reply> {
    const plane = this.options.dataPlane?.();
    if (!plane) return reply;
    const result = await settledWithin(plane, APPLY_WAIT_MS);
    if (result === null) return reply;
    const said = result === 'late' ? `still applying after ${APPLY_WAIT_MS} ms` : summarize(result).replace(/\n/g, '; ').replace(/[^\x20-\x7e]/g, '?');
    return { ...reply, headers: { ...reply.headers, 'x-switchyard-data-plane': said } };
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    if (res.headersSent) return;
    res.statusCode = reply.status;
    res.setHeader('server', `switchyard/${VERSION}`);
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (reply.status === 413) res.setHeader('connection', 'close');
    if (reply.status === 204) {
      res.end();
      return;
    }
    const text = reply.text ?? JSON.stringify(reply.body ?? {});
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  }

  private authorized(req: http.IncomingMessage): boolean {
    if (this.tokenHash === undefined) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const kong = req.headers['kong-admin-token'];
    const given = bearer ?? (typeof kong === 'string' ? kong : undefined);
    // Hashing first gives equal lengths, so the comparison leaks neither content nor length.
    return given !== undefined && timingSafeEqual(sha256(given.trim()), this.tokenHash);
  }

  private async route(req: http.IncomingMessage): Promise<Reply> {
    if (!this.authorized(req)) return { status: 401, body: { message: 'Unauthorized' } };
    // A web page the operator visits could otherwise drive a token-less loopback API: through
    // DNS rebinding (foreign Host) or a cross-site form POST (foreign Origin).
    if (this.tokenHash === undefined && !isLocalHost(req.headers.host, this.options.host)) {
      return { status: 403, body: { message: 'Forbidden: unexpected Host header' } };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== 'null' && safeHost(origin) !== req.headers.host?.toLowerCase()) {
      return { status: 403, body: { message: 'Forbidden: cross-origin request' } };
    }
    const url = new URL(req.url ?? '/', 'http://admin.invalid');
    let segs: string[];
    try {
      segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return { status: 404, body: { message: 'Not found' } };
    }
    const method = req.method ?? 'GET';
    // Kong's attach_routes: HEAD is GET without the body (node leaves it out), OPTIONS says
    // what the path allows.
    const wanted = method === 'HEAD' ? 'GET' : method;
    const allowed = new Set<string>();
    for (const r of this.routes) {
      const params = matchParts(r.parts, segs);
      if (params === undefined) continue;
      allowed.add(r.method);
      if (r.method !== wanted) continue;
      if (MUTATING.has(method) && this.store.readonly)
        return { status: 403, body: { message: 'switchyard is read-only' } };
      return r.handler({ req, url, params });
    }
    if (allowed.size === 0) return { status: 404, body: { message: 'Not found' } };
    if (method !== 'OPTIONS') return { status: 405, body: { message: 'Method not allowed' } };
    if (allowed.has('GET')) allowed.add('HEAD');
    allowed.add('OPTIONS');
    const allow = [...allowed].sort().join(', ');
    const requested = req.headers['access-control-request-headers'];
    return {
      status: 204,
      headers: {
        allow,
        'access-control-allow-methods': allow,
        'access-control-allow-headers': typeof requested === 'string' ? requested : 'Content-Type',
        // Only same-origin requests get this far (a foreign Origin is refused above).
        'access-control-allow-origin': req.headers.origin ?? '*',
      },
    };
  }

  private run(command: Command): unknown {
    return this.store.dispatch(command, 'admin').entity;
  }

  private get state(): State {
    return this.store.state;
  }

  private upstream(key: string): Upstream {
    const u = byNameOrId(this.state.upstreams, key);
    if (!u) throw notFound();
    return u;
  }

  // -------------------------------------------------------------------------------------------
  // Kong entities

  private appReply(name: string): Record<string, unknown> {
    const app = findApp(this.state, name);
    return appJson(app, this.state, this.options.supervisor?.status(app.name), this.stats.snapshot(), this.health);
  }

  /** Targets' health as the proxy sees it: the shares the app endpoints give are the ones it routes by. */
  private get health(): HealthOf {
    return tableHealth(this.store.table);
  }

  /** Kf's verbs over HTTP: push, map-route, unmap-route, start, stop, restart, delete; apps and routes. */
  private defineAppRoutes(): void {
    // Not Kong's endpoints: a missing app is worth its name in the 404.
    const on = (method: string, path: string, handler: Handler): void =>
      this.on(method, path, async (ctx) => {
        try {
          return await handler(ctx);
        } catch (e) {
          if (e instanceof SwitchyardError && e.code === 'not found') throw new HttpError(404, { message: e.message });
          throw e;
        }
      });
    on('GET', '/apps', () => {
      const snap = this.stats.snapshot();
      const health = this.health;
      return ok({ data: this.state.apps.map((a) => appJson(a, this.state, this.options.supervisor?.status(a.name), snap, health)), next: null });
    });
    on('POST', '/apps', async ({ req }) => {
      const fields = await parseBody(req);
      const existed = this.state.apps.some((a) => a.name === fields.name);
      const outcome = this.store.dispatch({ op: 'app.push', fields }, 'admin');
      const name = (outcome.entity as { name: string }).name;
      return { status: existed ? 200 : 201, body: { ...this.appReply(name), summary: outcome.summary } };
    });
    on('GET', '/apps/:a', ({ params }) => ok(this.appReply(params.a as string)));
    on('DELETE', '/apps/:a', ({ params }) => {
      this.store.dispatch({ op: 'app.delete', app: params.a as string }, 'admin');
      return noContent;
    });
    for (const verb of ['start', 'stop', 'restart'] as const) {
      on('POST', `/apps/:a/${verb}`, ({ params }) => {
        const outcome = this.store.dispatch({ op: `app.${verb}`, app: params.a as string }, 'admin');
        return ok({ ...this.appReply(params.a as string), summary: outcome.summary });
      });
    }
    on('POST', '/apps/:a/routes', async ({ req, params }) => {
      const body = await parseBody(req);
      const outcome = this.store.dispatch({ op: 'app.map-route', app: params.a as string, route: routeSpec(body), weight: body.weight }, 'admin');
      return ok({ summary: outcome.summary, routes: routesWithApps(outcome.state, this.health) });
    });
    on('DELETE', '/apps/:a/routes', ({ url, params }) => {
      const q = Object.fromEntries(url.searchParams);
      const outcome = this.store.dispatch({ op: 'app.unmap-route', app: params.a as string, route: routeSpec(q) }, 'admin');
      return ok({ summary: outcome.summary, routes: routesWithApps(outcome.state, this.health) });
    });
    on('GET', '/apps/:a/logs', ({ url, params }) => {
      const app = findApp(this.state, params.a as string);
      const n = Math.min(10_000, Math.max(1, Number(url.searchParams.get('lines') ?? 100) || 100));
      const lines = this.options.supervisor?.logs(app.name, n) ?? [];
      return { status: 200, text: lines.map((l) => `${l}\n`).join(''), headers: { 'content-type': 'text/plain; charset=utf-8' } };
    });
    on('GET', '/app-routes', () => ok({ data: routesWithApps(this.state, this.health), next: null }));

    // SAP's bg-deploy: POST a manifest, then resume, abort (or clean up) by id.
    const deployer = () => {
      if (!this.options.deployer) throw new HttpError(404, { message: 'deployments are not available here' });
      return this.options.deployer;
    };
    const deploymentJson = (id: string) => {
      const d = deployer().get(id);
      // What cleanup would delete (nothing unless aborted or failed, and not taken over by a later deployment).
      return { ...d, figures: d.state === 'resuming' ? deployer().figures(d) : null, progress: deployer().progress(d), leftovers: leftovers(this.state, d) };
    };
    const gradual = (body: Record<string, unknown>) => {
      const num = (k: string) => (body[k] === undefined || body[k] === null ? undefined : Number(body[k]));
      const steps = Array.isArray(body.steps) ? body.steps.map(Number) : typeof body.steps === 'string' ? body.steps.split(',').map(Number) : undefined;
      const sticky = typeof body.sticky === 'string' ? body.sticky : undefined;
      return { steps, intervalMs: num('interval_ms'), maxErrorRate: num('max_error_rate'), maxP99Ms: num('max_p99_ms'), sticky };
    };
    // The data plane: what carries the traffic, its instances, their drift; and re-applying.
    const plane = () => {
      const p = this.options.dataPlane?.();
      if (!p) throw new HttpError(404, { message: 'no data plane' });
      return p;
    };
    on('GET', '/dataplane', async () => ok({ kind: plane().kind, ...(await plane().report()) }));
    on('POST', '/dataplane/reapply', async () => {
      const r = await plane().reapply();
      return { status: r.ok ? 200 : 502, body: { ...r, summary: summarize(r) } };
    });
    on('GET', '/deployments', () => ok({ data: this.state.deployments.map((d) => deploymentJson(d.id)), next: null }));
    on('POST', '/deployments', async ({ req }) => {
      const body = await parseBody(req);
      if (typeof body.manifest !== 'string') throw new HttpError(400, { message: 'give the manifest (YAML text) as "manifest"' });
      const cwd = typeof body.cwd === 'string' ? body.cwd : undefined;
      const defaultDomain = typeof body.default_domain === 'string' ? body.default_domain : undefined;
      const manifest = parseManifest(body.manifest, typeof body.source === 'string' ? body.source : 'manifest', { dir: cwd, defaultDomain });
      // Answered as soon as the deployment exists (state deploying): its apps start in the background,
      // and GET /deployments/:id follows it (with `progress`), so no client waits on a long request.
      const { deployment, done } = deployer().begin(manifest, { ...gradual(body), noConfirm: body.no_confirm === true || body.no_confirm === 'true', cwd });
      done.catch(() => {});
      return created({ ...deploymentJson(deployment.id), notes: manifest.notes });
    });
    on('GET', '/deployments/:id', ({ params }) => ok(deploymentJson(params.id as string)));
    on('POST', '/deployments/:id/resume', async ({ req, params }) => {
      const d = await deployer().resume(params.id as string, gradual(await parseBody(req)));
      return ok(deploymentJson(d.id));
    });
    on('POST', '/deployments/:id/abort', ({ params }) => ok(deploymentJson(deployer().abort(params.id as string).id)));
    on('POST', '/deployments/:id/cleanup', ({ params }) => ok(deploymentJson(deployer().cleanup(params.id as string).id)));
  }

  private defineRoutes(): void {
    this.on('GET', '/', () => ok(this.rootInfo()));
    this.on('GET', '/status', () => this.status());
    this.on('GET', '/stats', () => ok(this.namedStats()));
    this.on('GET', '/metrics', () => this.metrics());

    // The whole state as Kong declarative config, as Kong's DB-less /config does it.
    this.on('GET', '/config', ({ url }) =>
      url.searchParams.get('format') === 'json'
        ? ok({ config: toDeclarative(this.state) })
        : ok({ config: exportYaml(this.state) }),
    );
    this.on('POST', '/config', async ({ req, url }) => {
      const buf = await readBody(req);
      const type = (req.headers['content-type'] ?? '').toLowerCase();
      // Kong's DB-less /config takes the document in a `config` field (JSON, form or multipart:
      // `curl -F config=@kong.yaml`); switchyard also takes the document itself as the body.
      let text = buf.toString('utf8');
      if (/^(application\/json|application\/x-www-form-urlencoded|multipart\/form-data)/.test(type)) {
        const fields = await parseBodyOf(buf, req.headers['content-type']);
        if (typeof fields.config === 'string') text = fields.config;
        else if (!type.startsWith('application/json')) throw new HttpError(400, { message: 'give the declarative configuration as the field "config" (curl -F config=@kong.yaml)' });
      }
      // The CLI's loader, with its flag as a query parameter (Kong's /config has none): what
      // switchyard does not have is refused by name, or with ?skip_unsupported=true left out and listed.
      const skip = ['true', '1'].includes(url.searchParams.get('skip_unsupported') ?? '');
      const source = url.searchParams.get('source') ?? 'config';
      const loaded = readDeclarative(text, { now: Math.floor(Date.now() / 1000), newId: randomUUID }, { source, skipUnsupported: skip });
      const outcome = this.store.dispatch({ op: 'state.replace', state: loaded.state }, 'admin');
      return created({ summary: outcome.summary, config: toDeclarative(outcome.state), skipped: loaded.skipped, skipped_on_routes: loaded.routes });
    });
    this.on('POST', '/undo', () => ok({ summary: this.store.undo('admin').summary }));
    this.on('POST', '/commands', async ({ req }) => runCommand(this.store, await parseBody(req)));
    this.defineAppRoutes();

    // Upstreams
    this.on('GET', '/upstreams', ({ url }) => page(this.state.upstreams.map(upstreamJson), url));
    this.on('POST', '/upstreams', async ({ req }) =>
      created(upstreamJson(this.run({ op: 'upstream.create', fields: await parseBody(req) }) as Upstream)),
    );
    this.on('GET', '/upstreams/:u', ({ params }) => ok(upstreamJson(this.upstream(params.u as string))));
    this.on('PATCH', '/upstreams/:u', async ({ req, params }) => {
      const fields = await parseBody(req);
      return ok(
        upstreamJson(
          this.run({
            op: 'upstream.update',
            upstream: this.upstream(params.u as string).id,
            fields,
          }) as Upstream,
        ),
      );
    });
    this.on('PUT', '/upstreams/:u', async ({ req, params }) => {
      const key = params.u as string;
      const body = { ...(await parseBody(req)), ...keyFields(key, 'name') };
      const u = byNameOrId(this.state.upstreams, key);
      if (!u) return ok(upstreamJson(this.run({ op: 'upstream.create', fields: body }) as Upstream));
      const fields = replaceFields(upstreamSchema, body, [
        'id',
        'created_at',
        'updated_at',
        'name',
        'targets',
      ]);
      delete fields.id;
      return ok(upstreamJson(this.run({ op: 'upstream.update', upstream: u.id, fields }) as Upstream));
    });
    this.on('DELETE', '/upstreams/:u', ({ params }) => {
      const u = byNameOrId(this.state.upstreams, params.u as string);
      if (u) this.run({ op: 'upstream.delete', upstream: u.id });
      return noContent;
    });

    // Targets
    const listTargets = ({ url, params }: Ctx) => {
      const u = this.upstream(params.u as string);
      return page(
        u.targets.map((t) => targetJson(t, u)),
        url,
        true,
      );
    };
    this.on('GET', '/upstreams/:u/targets', listTargets);
    this.on('GET', '/upstreams/:u/targets/all', listTargets);
    // Kong's health endpoints: each target's health, and marking one by hand.
    this.on('GET', '/upstreams/:u/health', ({ params }) => {
      const u = this.upstream(params.u as string);
      const entry = this.store.table.upstreams.find((x) => x.key === u.id);
      const data = u.targets.map((t) => {
        const h = entry?.targets.find((x) => x.address === t.target)?.health;
        return { ...targetJson(t, u), health: h === undefined || h.healthy ? 'HEALTHY' : 'UNHEALTHY' };
      });
      return ok({ node_id: this.nodeId, data, next: null });
    });
    // Kong 3 marks with PUT, Kong 2 (and the seeds' curl commands) with POST: both are taken.
    for (const [method, verdict] of [
      ['PUT', 'healthy'],
      ['PUT', 'unhealthy'],
      ['POST', 'healthy'],
      ['POST', 'unhealthy'],
    ] as const) {
      this.on(method, `/upstreams/:u/targets/:t/${verdict}`, ({ params }) => {
        const u = this.upstream(params.u as string);
        const t = findTarget(u, params.t as string);
        if (!t) throw notFound();
        // A change like any other: saved, undoable, applied to the data plane, seen by the UI.
        this.store.dispatch({ op: 'target.health', upstream: u.id, target: t.id, verdict }, 'admin');
        return noContent;
      });
    }
    this.on('POST', '/upstreams/:u/targets', async ({ req, params }) => {
      const u = this.upstream(params.u as string);
      const t = this.run({ op: 'target.create', upstream: u.id, fields: await parseBody(req) }) as {
        id: string;
      };
      return created(this.targetReply(u.id, t.id));
    });
    this.on('GET', '/upstreams/:u/targets/:t', ({ params }) => {
      const u = this.upstream(params.u as string);
      const t = findTarget(u, params.t as string);
      if (!t) throw notFound();
      return ok(targetJson(t, u));
    });
    // Kong's target_endpoint: PATCH and PUT change a target that is there, else 404 (a PUT
    // creates nothing; POST …/targets does).
    const updateTarget =
      (replace: boolean) =>
      async ({ req, params }: Ctx) => {
        const u = this.upstream(params.u as string);
        const body = await parseBody(req);
        const t = findTarget(u, params.t as string);
        if (!t) throw notFound();
        const fields = replace
          ? replaceFields(targetSchema, body, ['id', 'created_at', 'upstream', 'target'])
          : body;
        this.run({ op: 'target.update', upstream: u.id, target: t.id, fields });
        return ok(this.targetReply(u.id, t.id));
      };
    this.on('PATCH', '/upstreams/:u/targets/:t', updateTarget(false));
    this.on('PUT', '/upstreams/:u/targets/:t', updateTarget(true));
    this.on('DELETE', '/upstreams/:u/targets/:t', ({ params }) => {
      // Unlike the top-level entities, Kong answers 404 for a missing target.
      const u = this.upstream(params.u as string);
      const t = findTarget(u, params.t as string);
      if (!t) throw notFound();
      this.run({ op: 'target.delete', upstream: u.id, target: t.id });
      return noContent;
    });

    // Services
    this.on('GET', '/services', ({ url }) => page(this.state.services.map(serviceJson), url));
    this.on('POST', '/services', async ({ req }) =>
      created(this.run({ op: 'service.create', fields: await parseBody(req) })),
    );
    this.on('GET', '/services/:s', ({ params }) => ok(serviceJson(this.service(params.s as string))));
    this.on('PATCH', '/services/:s', async ({ req, params }) => {
      const fields = await parseBody(req);
      return ok(this.run({ op: 'service.update', service: this.service(params.s as string).id, fields }));
    });
    this.on('PUT', '/services/:s', async ({ req, params }) => {
      const key = params.s as string;
      const body = { ...(await parseBody(req)), ...keyFields(key, 'name') };
      const s = byNameOrId(this.state.services, key);
      if (!s) return ok(this.run({ op: 'service.create', fields: body }));
      return ok(this.run({ op: 'service.update', service: s.id, fields: serviceReplacement(body) }));
    });
    this.on('DELETE', '/services/:s', ({ params }) => {
      const s = byNameOrId(this.state.services, params.s as string);
      if (s) this.run({ op: 'service.delete', service: s.id });
      return noContent;
    });

    // Routes
    this.on('GET', '/routes', ({ url }) => page(this.state.routes.map(routeJson), url));
    this.on('POST', '/routes', async ({ req }) =>
      created(this.run({ op: 'route.create', fields: await parseBody(req) })),
    );
    this.on('GET', '/routes/:r', ({ params }) => ok(routeJson(this.routeOf(params.r as string))));
    this.on('PATCH', '/routes/:r', async ({ req, params }) => {
      const fields = await parseBody(req);
      return ok(this.run({ op: 'route.update', route: this.routeOf(params.r as string).id, fields }));
    });
    this.on('PUT', '/routes/:r', async ({ req, params }) => upsertRoute(this.entityApi, params.r as string, await parseBody(req)));
    this.on('DELETE', '/routes/:r', ({ params }) => {
      const r = byNameOrId(this.state.routes, params.r as string);
      if (r) this.run({ op: 'route.delete', route: r.id });
      return noContent;
    });
    defineServiceRoutes(this.entityApi);
  }

  /** The admin server as the entity endpoints in other modules see it. */
  private readonly entityApi: EntityApi = {
    on: (method, path, handler) => this.on(method, path, handler),
    state: () => this.state,
    run: (command) => this.run(command),
  };

  private service(key: string) {
    const s = byNameOrId(this.state.services, key);
    if (!s) throw notFound();
    return s;
  }

  private routeOf(key: string) {
    const r = byNameOrId(this.state.routes, key);
    if (!r) throw notFound();
    return r;
  }

  private targetReply(upstreamId: string, targetId: string): unknown {
    const u = this.state.upstreams.find((x) => x.id === upstreamId) as Upstream;
    return targetJson(u.targets.find((t) => t.id === targetId) as Upstream['targets'][number], u);
  }

  // -------------------------------------------------------------------------------------------
  // Info, status, stats, metrics

  private rootInfo(): unknown {
    const listen = (a: AddressInfo | null) =>
      a ? [a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`] : [];
    return {
      tagline: 'Welcome to switchyard',
      version: VERSION,
      hostname: os.hostname(),
      node_id: this.nodeId,
      plugins: { available_on_server: {}, enabled_in_cluster: [] },
      configuration: {
        database: 'off',
        proxy_listen: listen(this.proxy.address),
        admin_listen: listen(this.address),
        readonly: this.store.readonly,
        admin_token: this.tokenHash !== undefined,
      },
      switchyard: this.options.info() ?? null,
    };
  }

  private async status(): Promise<Reply> {
    const count = (s: http.Server) =>
      new Promise<number>((resolve) => s.getConnections((err, n) => resolve(err ? 0 : n)));
    const [admin, proxy] = await Promise.all([count(this.server), count(this.proxy.server)]);
    const t = this.stats.snapshotOf(this.stats.total);
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
    for (const r of this.state.routes) names.route.set(r.id, r.name ?? r.id);
    for (const s of this.state.services) names.service.set(s.id, s.name ?? s.id);
    const table = this.store.table;
    // Literal `host:port` services have an anonymous upstream that only the table knows.
    for (const u of [...table.upstreams, ...table.services.flatMap((s) => s.upstreams)]) {
      names.upstream.set(u.key, u.name);
      for (const t of u.targets) names.target.set(t.key, [u.name, t.address]);
    }
    return names;
  }

  private namedStats(): unknown {
    const snap = this.stats.snapshot();
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

/** `route=HOST.DOMAIN/PATH`, or Kf's `domain` + `hostname` (+ `path`). */
function routeSpec(body: Record<string, unknown>): string {
  if (typeof body.route === 'string') return body.route;
  if (typeof body.domain !== 'string') throw new HttpError(400, { message: 'give route=HOST.DOMAIN[/PATH], or domain (with hostname and path)' });
  const host = typeof body.hostname === 'string' && body.hostname ? `${body.hostname}.${body.domain}` : body.domain;
  const path = typeof body.path === 'string' && body.path ? (body.path.startsWith('/') ? body.path : `/${body.path}`) : '';
  return `${host}${path}`;
}

function matchParts(parts: readonly string[], segs: readonly string[]): Record<string, string> | undefined {
  if (parts.length !== segs.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    const s = segs[i] as string;
    if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p !== s) return undefined;
  }
  return params;
}

function safeHost(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
