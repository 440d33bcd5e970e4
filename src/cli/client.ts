/**
 * A small client of switchyard's admin API, for the CLI: a verb's core command posted to
 * `POST /commands`, the reads the CLI prints, and a refusal said as one error in the CLI's style.
 */
import type { SkippedEntity, SkippedOnRoute } from '../config/yaml.js';
import type { Verb } from '../verbs/language.js';

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

/** What `POST /commands` answers: core's outcome (its summary and the entity it made or changed). */
export interface CommandReply {
  readonly summary: string;
  readonly entity: unknown;
}

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
      // Core's 404 names what is missing (`upstream 'x' not found`): say where to see what there is.
      const hint = res.status === 404 ? LISTS[/^(\w+) '/.exec(message)?.[1] ?? ''] : undefined;
      const tail = refused ? `\n  nothing changed${hint ? `; ${hint}` : ''}` : '';
      throw new Error(`${res.status} ${message}${fields}${tail}`);
    }
    // Steering HAProxy, a change is answered once the instances took it; say so when one did not.
    const plane = res.headers.get('x-switchyard-data-plane');
    if (plane && !plane.startsWith('applied to'))
      process.stderr.write(`note: not applied everywhere: ${plane}\n`);
    return { status: res.status, json, text };
  }

  /** Runs a verb's core command on the running instance (`POST /commands`): core's outcome, or its refusal thrown. */
  async command(verb: Verb): Promise<CommandReply> {
    return (await this.call('POST', '/commands', { command: verb })).json as CommandReply;
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

/** Where to see what there is, by what a 404 was about (the first word of its message). */
const LISTS: Record<string, string> = {
  target: '"switchyard config export" shows the targets there are',
  service: '"switchyard config export" shows the services there are',
  route: '"switchyard config export" shows the routes there are',
  upstream: '"switchyard config export" shows the upstreams there are',
  app: '"switchyard apps" lists the apps',
  deployment: '"switchyard deployments" lists the deployments',
};

/** Kong's nested field errors (`{service: {name}}`, `{protocols: [...]}`) as `path: reason` lines. */
function fieldLines(key: string, v: unknown): (readonly [string, string])[] {
  if (typeof v === 'string') return [[key, v]];
  if (Array.isArray(v))
    return v.flatMap((x, i) => (x === null ? [] : fieldLines(key === '@entity' ? key : `${key}[${i}]`, x)));
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).flatMap(([k, x]) => fieldLines(`${key}.${k}`, x));
  return [[key, JSON.stringify(v)]];
}
