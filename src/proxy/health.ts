/**
 * Kong's health checks. Active: probe each target of an upstream every `interval` seconds (HTTP
 * GET `http_path`, or a TCP connect) and count successes and failures against the thresholds.
 * Passive: count the proxy's own outcomes (statuses, refused connections, timeouts). A target
 * past a failure threshold is skipped by the balancers; past the success threshold it is back.
 */
import type { Healthchecks } from '../core/model.js';
import type { RoutingTable, TargetEntry, TargetHealth, UpstreamEntry } from '../core/table.js';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { probe, type ProbeOptions } from './probe.js';

export type Outcome = 'success' | 'http' | 'tcp' | 'timeout';

interface Thresholds {
  readonly healthy: { readonly successes: number };
  readonly unhealthy: {
    readonly tcp_failures: number;
    readonly timeouts: number;
    readonly http_failures: number;
  };
}

/** Counts one outcome; returns true when it changed the target's health. */
export function record(h: TargetHealth, outcome: Outcome, t: Thresholds): boolean {
  if (outcome === 'success') {
    h.tcpFailures = 0;
    h.httpFailures = 0;
    h.timeouts = 0;
    if (h.healthy || t.healthy.successes === 0) return false;
    if (++h.successes < t.healthy.successes) return false;
    h.healthy = true;
    h.successes = 0;
    return true;
  }
  h.successes = 0;
  const limit =
    outcome === 'tcp'
      ? t.unhealthy.tcp_failures
      : outcome === 'timeout'
        ? t.unhealthy.timeouts
        : t.unhealthy.http_failures;
  if (limit === 0) return false;
  const n = outcome === 'tcp' ? ++h.tcpFailures : outcome === 'timeout' ? ++h.timeouts : ++h.httpFailures;
  if (!h.healthy || n < limit) return false;
  h.healthy = false;
  h.tcpFailures = 0;
  h.httpFailures = 0;
  h.timeouts = 0;
  return true;
}

/** Whether passive checks count anything for this upstream (all counters 0 = off, Kong's default). */
export function passiveOn(hc: Healthchecks | null): boolean {
  if (!hc) return false;
  const u = hc.passive.unhealthy;
  return u.tcp_failures > 0 || u.timeouts > 0 || u.http_failures > 0 || hc.passive.healthy.successes > 0;
}

export function activeOn(hc: Healthchecks | null): boolean {
  return hc !== null && (hc.active.healthy.interval > 0 || hc.active.unhealthy.interval > 0);
}

/** The passive verdict on a proxied response's status. */
export function passiveStatus(hc: Healthchecks, status: number): Outcome | null {
  if (hc.passive.unhealthy.http_statuses.includes(status)) return 'http';
  if (hc.passive.healthy.http_statuses.includes(status)) return 'success';
  return null;
}

/**
 * What one upstream's active probes send, made once per routing table: the path over http or
 * https, Kong's `headers`, the Host (host_header, else the target's host, as the proxy sends it)
 * and, over https, the SNI (`https_sni`, else that host; none for an IP address, as in Kong).
 */
export function probeOptions(
  t: TargetEntry,
  hc: Healthchecks,
  hostHeader: string | null,
  upstreamCa?: string,
): ProbeOptions {
  const a = hc.active;
  const timeoutMs = Math.max(1, a.timeout * 1000);
  if (a.type === 'tcp') return { path: null, timeoutMs };
  const secure = a.type === 'https';
  const name = hostHeader ?? t.host;
  const host = t.port === (secure ? 443 : 80) ? name : `${name}:${t.port}`;
  const headers: Record<string, string | readonly string[]> = { host };
  for (const [k, v] of Object.entries(a.headers ?? {})) headers[k.toLowerCase()] = v;
  const sni = a.https_sni ?? (isIP(name.replace(/^\[|\]$/g, '')) ? null : name);
  const ca =
    secure && a.https_verify_certificate && upstreamCa ? [...rootCertificates, upstreamCa] : undefined;
  return {
    path: a.http_path,
    timeoutMs,
    headers,
    ...(secure
      ? { tls: { servername: sni, verify: a.https_verify_certificate, ...(ca ? { ca } : {}) } }
      : {}),
  };
}

/** An active check of one target, judged by the upstream's `healthchecks.active`. */
async function check(t: TargetEntry, hc: Healthchecks, opts: ProbeOptions): Promise<Outcome | null> {
  const r = await probe(t.host, t.port, opts);
  if (r.kind === 'connected') return 'success';
  if (r.kind === 'refused') return 'tcp';
  if (r.kind === 'timeout') return 'timeout';
  return hc.active.healthy.http_statuses.includes(r.status)
    ? 'success'
    : hc.active.unhealthy.http_statuses.includes(r.status)
      ? 'http'
      : null;
}

/** Runs the active checks of every upstream that has them, following each new routing table. */
export class ActiveChecker {
  private readonly loops = new Map<
    string,
    {
      entry: UpstreamEntry;
      timer: NodeJS.Timeout;
      last: Map<string, number>;
      probes: WeakMap<TargetEntry, ProbeOptions>;
    }
  >();
  private stopped = false;

  constructor(
    private readonly onChange: (u: UpstreamEntry, t: TargetEntry) => void = () => {},
    /** PEM of CAs trusted beside the system's, for `https_verify_certificate` (switchyard's --upstream-ca). */
    private readonly upstreamCa?: string,
  ) {}

  apply(table: RoutingTable): void {
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const u of table.upstreams) {
      if (!activeOn(u.healthchecks)) continue;
      seen.add(u.key);
      const loop = this.loops.get(u.key);
      if (loop) {
        loop.entry = u;
        loop.probes = new WeakMap();
      } else {
        const timer = setInterval(() => void this.tick(u.key), 100);
        timer.unref();
        this.loops.set(u.key, { entry: u, timer, last: new Map(), probes: new WeakMap() });
      }
    }
    for (const [key, loop] of this.loops) {
      if (seen.has(key)) continue;
      clearInterval(loop.timer);
      this.loops.delete(key);
    }
  }

  private async tick(key: string): Promise<void> {
    const loop = this.loops.get(key);
    if (!loop) return;
    const u = loop.entry;
    const hc = u.healthchecks as Healthchecks;
    const now = Date.now();
    const due = u.targets.filter((t) => {
      const every = (t.health.healthy ? hc.active.healthy.interval : hc.active.unhealthy.interval) * 1000;
      if (every <= 0) return false;
      const last = loop.last.get(t.key) ?? 0;
      return now - last >= every;
    });
    for (const t of due.slice(0, hc.active.concurrency)) {
      loop.last.set(t.key, now + 1e9); // in progress: not due again until it answers
      let opts = loop.probes.get(t);
      if (opts === undefined) {
        opts = probeOptions(t, hc, u.hostHeader, this.upstreamCa);
        loop.probes.set(t, opts);
      }
      void check(t, hc, opts).then((outcome) => {
        loop.last.set(t.key, Date.now());
        if (outcome !== null && record(t.health, outcome, hc.active)) this.onChange(u, t);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    for (const loop of this.loops.values()) clearInterval(loop.timer);
    this.loops.clear();
  }
}

/**
 * Passive health: a target that refused a connection takes no traffic until a TCP probe (every
 * 500 ms) finds it answering again, so requests stop paying for a failed connect and a retry.
 */
export function markDown(t: TargetEntry, stillRouted: () => boolean): void {
  const h = t.health;
  if (!h.healthy) return;
  h.healthy = false;
  const look = () => {
    // A target taken out of the configuration meanwhile needs no more probing.
    if (!stillRouted()) return;
    void probe(t.host, t.port).then((r) => {
      if (r.kind === 'connected') h.healthy = true;
      else setTimeout(look, 500).unref();
    });
  };
  setTimeout(look, 500).unref();
}
