/** A small client of the Kong-dialect admin API, for the CLI verbs. */
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
