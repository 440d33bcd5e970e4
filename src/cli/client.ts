/** A small client of the Kong-dialect admin API, for the CLI verbs. */

interface AppReply {
  state: string;
  addresses: string[];
  status: { healthy: number; desired: number; rolling: boolean; crashed: { reason: string; lines: string[] } | null } | null;
}
import type { AdminRequest } from './verbs.js';

export class AdminClient {
  constructor(
    readonly base: string,
    private readonly token?: string,
  ) {}

  private async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: unknown; text: string }> {
    const url = new URL(path, this.base.endsWith('/') ? this.base : this.base + '/');
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': contentType } : {}), ...(this.token ? { authorization: `Bearer ${this.token}` } : {}) },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new Error(`no switchyard admin API answering at ${this.base} (${cause}); start one with "switchyard serve", or pass --admin URL`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.status >= 400) {
      const j = json as { message?: string; fields?: Record<string, unknown> } | undefined;
      const fields = j?.fields && Object.keys(j.fields).length ? `\n${Object.entries(j.fields).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n')}` : '';
      throw new Error(`${res.status} ${j?.message ?? text}${fields}`);
    }
    // Steering HAProxy, a change is answered once the instances took it; say so when one did not.
    const plane = res.headers.get('x-switchyard-data-plane');
    if (plane && !plane.startsWith('applied to')) process.stderr.write(`note: not applied everywhere: ${plane}\n`);
    return { status: res.status, json, text };
  }

  /** Sends a verb's request; returns a one-line description of what changed. */
  async send(req: AdminRequest): Promise<string> {
    const r = await this.call(req.method, req.path, req.body);
    const j = r.json as { summary?: string; name?: string; target?: string; weight?: number; host?: string; upstreams?: { name: string; weight: number }[] } | undefined;
    if (j?.summary) return j.summary;
    if (j?.upstreams?.length) {
      const total = j.upstreams.reduce((a, e) => a + e.weight, 0);
      return `service ${j.name}: ${j.upstreams.map((e) => `${e.name} ${total ? Math.round((e.weight * 100) / total) : 0}%`).join(' / ')}`;
    }
    if (j?.target !== undefined) return `target ${j.target}: weight ${j.weight}`;
    if (j?.host !== undefined) return `service ${j.name}: host ${j.host}`;
    return `${req.method} ${req.path}: ${r.status}`;
  }

  async get(path: string): Promise<unknown> {
    return (await this.call('GET', path)).json;
  }

  async post(path: string, body?: unknown): Promise<unknown> {
    return (await this.call('POST', path, body ?? {})).json;
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
      if (!st) return `app ${name}: ${app.addresses.length} instance(s) at ${app.addresses.join(', ')}`;
      if (st.crashed) throw new Error(`app ${name} crashed: ${st.crashed.reason}\nlast log lines:\n${st.crashed.lines.map((l) => `  ${l}`).join('\n')}`);
      if (st.healthy >= st.desired && !st.rolling) return `app ${name} running: ${st.healthy}/${st.desired} instances answering`;
      if (Date.now() > deadline) throw new Error(`app ${name} is not up after ${timeoutMs / 1000}s (${st.healthy}/${st.desired} answering); see "switchyard logs ${name}"`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async exportConfig(): Promise<string> {
    const r = await this.call('GET', '/config?format=yaml');
    return (r.json as { config: string }).config;
  }

  async applyConfig(yaml: string): Promise<string> {
    const r = await this.call('POST', '/config', yaml, 'application/yaml');
    const j = r.json as { summary?: string } | undefined;
    return j?.summary ?? 'applied';
  }
}
