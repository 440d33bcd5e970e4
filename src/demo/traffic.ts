/**
 * The demo's traffic generator: a steady stream of requests to the proxy with the demo's Host
 * header, so the counters move as soon as the UI opens. It is bounded: a cap on requests in
 * flight (excess is skipped, never queued) and it stops with the demo.
 *
 * Each request comes from one of a pool of simulated users: it carries `X-Demo-User: uN` and,
 * like a browser, the cookies that user was given. The generator notes which upstream answered
 * each user (the demo backends say it in `X-Demo-Backend`), so the UI can show how many distinct
 * users each upstream served lately, and how often a user was moved to another upstream: what
 * turning stickiness on (`:split demo blue=90 green=10 --sticky header:x-demo-user`) changes.
 */
import http from 'node:http';

export interface TrafficOptions {
  /** The proxy, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** The Host header to send. */
  readonly host: string;
  /** Requests per second. @default 50 */
  readonly rate?: number;
  /** Requests in flight at most; ticks that would exceed it skip requests. @default 256 */
  readonly maxInFlight?: number;
  /** Paths to cycle through. @default ['/'] */
  readonly paths?: readonly string[];
  /** Simulated users the requests come from (0: none). @default 200 */
  readonly users?: number;
}

/** How far back "lately" looks for the users each upstream served. */
export const USERS_WINDOW_MS = 10_000;

/** The generator never goes faster than this. */
export const MAX_RATE = 20_000;
const TICK_MS = 10;

export class TrafficGenerator {
  private readonly agent: http.Agent;
  private readonly target: URL;
  private readonly maxInFlight: number;
  private readonly paths: readonly string[];
  private timer: NodeJS.Timeout | undefined;
  private credit = 0;
  private last = 0;
  private pathIndex = 0;
  private currentRate: number;
  private readonly users: number;
  /** Per user: the cookies it was given (`name=value; …`), and the upstream that answered it last. */
  private readonly jar = new Map<number, string>();
  private readonly lastUpstream = new Map<number, string>();
  /** Per upstream: user → when it last answered that user. */
  private readonly seen = new Map<string, Map<number, number>>();
  /** Responses that came from another upstream than the same user's previous one. */
  moves = 0;
  sent = 0;
  ok = 0;
  failed = 0;
  skipped = 0;
  inFlight = 0;
  /** Timer ticks so far: each one sends what the rate has earned since the last (none at rate 0). */
  ticks = 0;

  constructor(private readonly options: TrafficOptions) {
    this.target = new URL(options.url);
    this.currentRate = clampRate(options.rate ?? 50);
    this.maxInFlight = options.maxInFlight ?? 256;
    this.paths = options.paths?.length ? options.paths : ['/'];
    this.users = Math.max(0, Math.floor(options.users ?? 200));
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo' });
  }

  /** Requests per second (0 pauses the stream). */
  get rate(): number {
    return this.currentRate;
  }

  set rate(value: number) {
    this.currentRate = clampRate(value);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** How many distinct users each upstream answered in the last `windowMs`. */
  recentUsers(windowMs = USERS_WINDOW_MS): Record<string, number> {
    const since = performance.now() - windowMs;
    const out: Record<string, number> = {};
    for (const [upstream, users] of this.seen) {
      let n = 0;
      for (const [user, at] of users) {
        if (at >= since) n++;
        else users.delete(user);
      }
      if (n > 0) out[upstream] = n;
    }
    return out;
  }

  /** Notes who answered `user`; a cookie set is kept for its next requests. */
  private answered(user: number, res: http.IncomingMessage): void {
    const set = res.headers['set-cookie'];
    if (set?.length) {
      const given = new Map((this.jar.get(user) ?? '').split('; ').filter(Boolean).map((c) => [c.split('=')[0] as string, c] as const));
      for (const c of set) {
        const pair = c.split(';')[0] as string;
        given.set(pair.split('=')[0] as string, pair);
      }
      this.jar.set(user, [...given.values()].join('; '));
    }
    const backend = res.headers['x-demo-backend'];
    if (typeof backend !== 'string') return;
    const upstream = backend.slice(0, backend.lastIndexOf('-'));
    const before = this.lastUpstream.get(user);
    if (before !== undefined && before !== upstream) this.moves++;
    this.lastUpstream.set(user, upstream);
    let users = this.seen.get(upstream);
    if (!users) this.seen.set(upstream, (users = new Map()));
    users.set(user, performance.now());
  }

  start(): void {
    if (this.timer) return;
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Stops sending and waits (at most `graceMs`) for the requests in flight. */
  async stop(graceMs = 2000): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    this.agent.destroy();
  }

  private tick(): void {
    this.ticks++;
    const now = performance.now();
    this.credit += (this.currentRate * (now - this.last)) / 1000;
    this.last = now;
    let n = Math.floor(this.credit);
    this.credit -= n;
    const room = this.maxInFlight - this.inFlight;
    if (n > room) {
      this.skipped += n - room;
      n = Math.max(0, room);
    }
    for (let i = 0; i < n; i++) this.send();
  }

  private send(): void {
    const path = this.paths[this.pathIndex++ % this.paths.length] as string;
    const user = this.users > 0 ? Math.floor(Math.random() * this.users) : -1;
    const headers: http.OutgoingHttpHeaders = { host: this.options.host, 'user-agent': 'switchyard-demo' };
    if (user >= 0) {
      headers['x-demo-user'] = `u${user}`;
      const cookie = this.jar.get(user);
      if (cookie) headers.cookie = cookie;
    }
    this.sent++;
    this.inFlight++;
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      this.inFlight--;
      if (ok) this.ok++;
      else this.failed++;
    };
    const req = http.request(
      {
        host: this.target.hostname.replace(/^\[|\]$/g, ''),
        port: this.target.port || 80,
        path,
        agent: this.agent,
        headers,
        timeout: 5000,
      },
      (res) => {
        if (user >= 0) this.answered(user, res);
        res.resume();
        res.on('end', () => settle(res.statusCode !== undefined && res.statusCode < 500));
        res.on('error', () => settle(false));
        res.on('close', () => settle(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => settle(false));
    req.end();
  }
}

function clampRate(v: number): number {
  if (!Number.isFinite(v) || v < 0) return 0;
  return Math.min(MAX_RATE, Math.round(v));
}
