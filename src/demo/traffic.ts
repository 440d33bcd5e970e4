/**
 * The demo's traffic generator: a steady stream of requests to the proxy with the demo's Host
 * header, so the counters move as soon as the UI opens. It is bounded: a cap on requests in
 * flight (excess is skipped, never queued) and it stops with the demo.
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
}

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
        headers: { host: this.options.host, 'user-agent': 'switchyard-demo' },
        timeout: 5000,
      },
      (res) => {
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
