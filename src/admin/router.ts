/**
 * The admin API's router: a path pattern's `:params` become the handler's typed `ctx.params`
 * (`'/upstreams/:u/targets/:t'` gives `{ u: string; t: string }`), and a request that matches no
 * method of a path is answered as Kong's attach_routes answers it (HEAD as GET, OPTIONS with the
 * methods allowed, 405, 404).
 */
import type http from 'node:http';

/** A response the admin server writes: `body` as JSON, or `text` as is; 204 has neither. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The names of a pattern's `:params`. */
export type ParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<Rest>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

export type Params<P extends string> = { readonly [K in ParamNames<P>]: string };

/** One request as a handler sees it: the path's `:params` decoded. */
export interface Ctx<P extends string = string> {
  readonly req: http.IncomingMessage;
  readonly url: URL;
  readonly params: Params<P>;
}

export type Handler<P extends string = string> = (ctx: Ctx<P>) => Reply | Promise<Reply>;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A handler as stored: its params are those its own pattern named, matched before it runs. */
type AnyHandler = (ctx: {
  req: http.IncomingMessage;
  url: URL;
  params: Readonly<Record<string, string>>;
}) => Reply | Promise<Reply>;

interface RouteDef {
  readonly method: Method;
  readonly parts: readonly string[];
  /** Static segments win over `:params` (`/targets/all` before `/targets/:t`). */
  readonly statics: number;
  readonly handler: AnyHandler;
}

export class Router {
  private readonly routes: RouteDef[] = [];

  on<P extends string>(method: Method, path: P, handler: Handler<P>): void {
    const parts = path.split('/').filter(Boolean);
    const statics = parts.filter((p) => !p.startsWith(':')).length;
    // The one place the pattern's types meet the matched strings: match() fills every name.
    this.routes.push({ method, parts, statics, handler: handler as unknown as AnyHandler });
  }

  /**
   * Runs the handler of `req`'s method and path. `admit` may refuse a request that has a
   * handler (switchyard read-only) before it runs.
   */
  async dispatch(req: http.IncomingMessage, admit: (method: string) => Reply | undefined): Promise<Reply> {
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
    let best: { route: RouteDef; params: Record<string, string> } | undefined;
    for (const r of this.routes) {
      const params = match(r.parts, segs);
      if (params === undefined) continue;
      allowed.add(r.method);
      if (r.method === wanted && (best === undefined || r.statics > best.route.statics))
        best = { route: r, params };
    }
    if (best) return admit(method) ?? best.route.handler({ req, url, params: best.params });
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
        // Only same-origin requests get this far (the guard refuses a foreign Origin).
        'access-control-allow-origin': req.headers.origin ?? '*',
      },
    };
  }
}

function match(parts: readonly string[], segs: readonly string[]): Record<string, string> | undefined {
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
