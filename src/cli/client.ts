/** A small client of the Kong-dialect admin API, for the CLI verbs. */

interface AppReply {
  state: string;
  addresses: string[];
  status: {
    healthy: number;
    desired: number;
    rolling: boolean;
    crashed: { reason: string; lines: string[] } | null;
  } | null;
}
import type { SkippedEntity, SkippedOnRoute } from '../config/yaml.js';
import type { AdminRequest } from './verbs.js';

export class AdminClient {
  constructor(
    readonly base: string,
    private readonly token?: string,
  ) {}

  private fetch(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 10_000,
  ): Promise<Response> {
    const url = new URL(path, this.base.endsWith('/') ? this.base : this.base + '/');
    return fetch(url, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': contentType } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs?: number,
  ): Promise<{ status: number; json: unknown; text: string }> {
    let res: Response;
    try {
      res = await this.fetch(method, path, body, contentType, timeoutMs);
    } catch (e) {
      // A request that took too long reached an API: say so, not that none is there.
      if ((e as Error).name === 'TimeoutError') {
        throw new Error(
          `the switchyard admin API at ${this.base} did not answer ${method} ${path} within ${(timeoutMs ?? 10_000) / 1000}s; it may still be doing it`,
        );
      }
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new Error(
        `no switchyard admin API answering at ${this.base} (${cause}); start one with "switchyard serve", or pass --admin URL`,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status >= 400) {
      const j = json as { name?: string; message?: string; fields?: Record<string, unknown> } | undefined;
      let message = j?.message ?? text;
      if (j?.name === 'confirmation required') message += '; add --force to do it anyway';
      // Kong's 404 names nothing: name what the path asked for.
      if (res.status === 404 && message === 'Not found') message = (await this.missing(path)) ?? message;
      if (res.status === 401) {
        message += this.token
          ? ': the admin token given was refused; pass the right one with --admin-token TOKEN or set SWITCHYARD_ADMIN_TOKEN'
          : ': pass --admin-token TOKEN or set SWITCHYARD_ADMIN_TOKEN';
      }
      const entries = Object.entries(j?.fields ?? {}).flatMap(([k, v]) => fieldLines(k, v));
      // Kong's message often lists the fields already ("schema violation (weight: …)"): say them once.
      const said = entries.every(([k, v]) => message.includes(k === '@entity' ? v : `${k}: ${v}`));
      const fields = entries.length && !said ? `\n${entries.map(([k, v]) => `  ${k}: ${v}`).join('\n')}` : '';
      // One style for a refused change: what was wrong, then that nothing changed and what to do.
      const refused = method !== 'GET' && res.status !== 401 && !/nothing changed/i.test(message);
      const hint = res.status === 404 ? LISTS[missingKind(path, message) ?? ''] : undefined;
      const tail = refused ? `\n  nothing changed${hint ? `; ${hint}` : ''}` : '';
      throw new Error(`${res.status} ${message}${fields}${tail}`);
    }
    // Steering HAProxy, a change is answered once the instances took it; say so when one did not.
    const plane = res.headers.get('x-switchyard-data-plane');
    if (plane && !plane.startsWith('applied to'))
      process.stderr.write(`note: not applied everywhere: ${plane}\n`);
    return { status: res.status, json, text };
  }

  /** Sends a verb's request; returns a one-line description of what changed. */
  async send(req: AdminRequest): Promise<string> {
    const r = await this.call(req.method, req.path, req.body);
    const j = r.json as
      | {
          summary?: string;
          name?: string;
          target?: string;
          weight?: number;
          host?: string;
          upstreams?: { name: string; weight: number }[];
        }
      | undefined;
    if (j?.summary) return j.summary;
    if (j?.upstreams?.length) {
      const total = j.upstreams.reduce((a, e) => a + e.weight, 0);
      return `service ${j.name}: ${j.upstreams.map((e) => `${e.name} ${total ? Math.round((e.weight * 100) / total) : 0}%`).join(' / ')}`;
    }
    if (j?.target !== undefined) return `target ${j.target}: weight ${j.weight}`;
    if (j?.host !== undefined) return `service ${j.name}: host ${j.host}`;
    return done(req.method, req.path) ?? `${req.method} ${req.path}: ${r.status}`;
  }

  /** What a bare 404 of Kong's was about, from the path (asking whether an upstream exists when a target's path failed). */
  private async missing(path: string): Promise<string | undefined> {
    const e = entityOf(path);
    if (!e) return undefined;
    if (e.target === undefined) return `${e.kind} '${e.key}' not found`;
    let upstreamThere = true;
    try {
      upstreamThere = (await this.fetch('GET', `/upstreams/${encodeURIComponent(e.key)}`)).status !== 404;
    } catch {
      // The question is only to word the error better: without an answer, name the target.
    }
    return upstreamThere
      ? `target '${e.target}' of upstream '${e.key}' not found`
      : `upstream '${e.key}' not found`;
  }

  async get(path: string): Promise<unknown> {
    return (await this.call('GET', path)).json;
  }

  /** `timeoutMs` for a request that does a long step before answering (a resume retiring old apps). */
  async post(path: string, body?: unknown, timeoutMs?: number): Promise<unknown> {
    return (await this.call('POST', path, body ?? {}, 'application/json', timeoutMs)).json;
  }

  async text(path: string): Promise<string> {
    return (await this.call('GET', path)).text;
  }

  /**
   * Waits until every instance of the app's newest generation answers (or it crashed), as
   * `kf push` waits for the app to start. Returns the line to print; throws when it crashed.
   */
  async waitForApp(name: string, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const app = (await this.get(`/apps/${encodeURIComponent(name)}`)) as AppReply;
      const st = app.status;
      if (app.state === 'stopped') return `app ${name} is stopped`;
      if (!st)
        return `app ${name}: ${app.addresses.length} instance${app.addresses.length === 1 ? '' : 's'} at ${app.addresses.join(', ')}`;
      if (st.crashed)
        throw new Error(
          `app ${name} crashed: ${st.crashed.reason}\nlast log lines:\n${st.crashed.lines.map((l) => `  ${l}`).join('\n')}`,
        );
      if (st.healthy >= st.desired && !st.rolling)
        return `app ${name} running: ${st.healthy}/${st.desired} instances answering`;
      if (Date.now() > deadline)
        throw new Error(
          `app ${name} is not up after ${timeoutMs / 1000}s (${st.healthy}/${st.desired} answering); see "switchyard logs ${name}"`,
        );
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async exportConfig(): Promise<string> {
    const r = await this.call('GET', '/config?format=yaml');
    return (r.json as { config: string }).config;
  }

  /** `POST /config`: the summary, and what was left out (with `skipUnsupported`). */
  async applyConfig(
    yaml: string,
    opts: { source?: string; skipUnsupported?: boolean } = {},
  ): Promise<{ summary: string; skipped: SkippedEntity[]; routes: SkippedOnRoute[] }> {
    const q = new URLSearchParams();
    if (opts.skipUnsupported) q.set('skip_unsupported', 'true');
    if (opts.source) q.set('source', opts.source);
    const r = await this.call('POST', `/config${q.size ? `?${q}` : ''}`, yaml, 'application/yaml');
    const j = r.json as
      { summary?: string; skipped?: SkippedEntity[]; skipped_on_routes?: SkippedOnRoute[] } | undefined;
    return {
      summary: j?.summary ?? 'applied',
      skipped: j?.skipped ?? [],
      routes: j?.skipped_on_routes ?? [],
    };
  }
}

/** What a 404 was about: the entity the path names (a target when the message says so), else the message's first word. */
function missingKind(path: string, message: string): string | undefined {
  const e = entityOf(path);
  if (e) return e.target !== undefined && message.startsWith('target ') ? 'target' : e.kind;
  return /^(\w+) '/.exec(message)?.[1];
}

/** Where to see what there is, by what a 404 was about. */
const LISTS: Record<string, string> = {
  target: '"switchyard config export" shows the targets there are',
  service: '"switchyard config export" shows the services there are',
  route: '"switchyard config export" shows the routes there are',
  upstream: '"switchyard config export" shows the upstreams there are',
  app: '"switchyard apps" lists the apps',
  deployment: '"switchyard deployments" lists the deployments',
};

const KINDS: Record<string, string> = { services: 'service', routes: 'route', upstreams: 'upstream', apps: 'app', deployments: 'deployment' };

/**
 * `/upstreams/u/targets/127.0.0.1%3A3005` → the entity it names, its key decoded; `whole` when the
 * path is the entity itself (not something under it).
 */
function entityOf(path: string): { kind: string; key: string; target?: string; whole: boolean } | undefined {
  let segs: string[];
  try {
    segs = new URL(path, 'http://admin.invalid').pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [collection, key, sub, target] = segs;
  const kind = collection === undefined ? undefined : KINDS[collection];
  if (!kind || key === undefined) return undefined;
  if (kind === 'upstream' && sub === 'targets' && target !== undefined)
    return { kind, key, target, whole: segs.length === 4 };
  return { kind, key, whole: segs.length === 2 };
}

/** A sentence for a change the admin API answered without a body (204): a DELETE. */
function done(method: string, path: string): string | undefined {
  const e = entityOf(path);
  if (method !== 'DELETE' || !e?.whole) return undefined;
  return e.target === undefined
    ? `deleted ${e.kind} ${e.key}`
    : `removed target ${e.target} from upstream ${e.key}`;
}

/** Kong's nested field errors (`{service: {name}}`, `{protocols: [...]}`) as `path: reason` lines. */
function fieldLines(key: string, v: unknown): (readonly [string, string])[] {
  if (typeof v === 'string') return [[key, v]];
  if (Array.isArray(v))
    return v.flatMap((x, i) => (x === null ? [] : fieldLines(key === '@entity' ? key : `${key}[${i}]`, x)));
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => fieldLines(`${key}.${k}`, x));
  return [[key, JSON.stringify(v)]];
}
