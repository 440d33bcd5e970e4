/**
 * A service as one HAProxy backend. Its servers are the (upstream, target) pairs, each weighted
 * by both levels of the split at once: p = upstreamShare × targetShare, scaled so that the
 * largest p of the backend is 256 (HAProxy's maximum), rounded, and never 0 when p > 0. With its
 * checks, TLS, balance, and the signature of what only a reload can change.
 */
import { isIP } from 'node:net';
import type { Healthchecks } from '../../core/model.js';
import { overTls } from '../../core/schema.js';
import type { ServiceEntry, UpstreamEntry } from '../../core/table.js';
import { splitShares } from '../../core/traffic.js';
import { balanceOf, ROUND_ROBIN } from './balance.js';
import {
  HAPROXY_MAX_WEIGHT,
  SPARE_DEFAULTS,
  hash,
  type CheckSpec,
  type DesiredBackend,
  type DesiredServer,
} from './shape.js';

/** Characters HAProxy accepts in proxy and server names. */
export function sanitize(s: string): string {
  const out = s.replace(/[^A-Za-z0-9._-]/g, '-');
  return out === '' ? '-' : out;
}

/**
 * Relative shares → HAProxy weights: the largest becomes 256, the others in proportion, rounded;
 * a share above 0 never becomes 0 (it becomes 1), a share of 0 stays 0. This is how Kong's
 * 0..65535 (at both levels) lands on HAProxy's 0..256: 65535 against 1 is 256 against 1.
 */
export function toHaproxyWeights(shares: readonly number[]): number[] {
  const max = shares.reduce((a, b) => Math.max(a, b), 0);
  if (max <= 0) return shares.map(() => 0);
  return shares.map((p) =>
    p > 0 ? Math.min(HAPROXY_MAX_WEIGHT, Math.max(1, Math.round((HAPROXY_MAX_WEIGHT * p) / max))) : 0,
  );
}

function activeCheck(hc: Healthchecks | null): CheckSpec | null {
  if (!hc) return null;
  const a = hc.active;
  const interval = a.healthy.interval > 0 ? a.healthy.interval : a.unhealthy.interval;
  if (interval <= 0) return null;
  const fall = Math.max(
    1,
    a.unhealthy.tcp_failures,
    a.type !== 'tcp' ? a.unhealthy.http_failures : 0,
    a.unhealthy.timeouts,
  );
  return {
    type: a.type,
    path: a.http_path || '/',
    tls: a.type === 'https' ? { sni: a.https_sni, verify: a.https_verify_certificate } : null,
    interMs: Math.max(100, Math.round(interval * 1000)),
    fall,
    rise: Math.max(1, a.healthy.successes),
  };
}

/** The SNI the in-process proxy sends a target (Kong's upstream_host): host_header, else a hostname target's host. */
function sniOf(u: UpstreamEntry, host: string): string | null {
  if (u.hostHeader !== null) return u.hostHeader;
  return isIP(bareHost(host)) ? null : host;
}

function bareHost(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function serverName(u: UpstreamEntry, literal: boolean, host: string, port: number): string {
  return `${literal ? 'literal' : sanitize(u.name)}_${sanitize(bareHost(host))}_${port}`;
}

export function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}-${i}`;
  taken.add(n);
  return n;
}

export function backendFor(
  s: ServiceEntry,
  name: string,
  warnings: string[],
  balancing: string[],
): DesiredBackend {
  const servers: DesiredServer[] = [];
  const taken = new Set<string>();
  const shares: number[] = [];
  const pairs: { u: UpstreamEntry; literal: boolean; t: UpstreamEntry['targets'][number] }[] = [];
  // What each (upstream, target) pair gets, by core's rules over the weights in force. HAProxy
  // checks health itself, so every target counts as healthy here (one marked down by hand goes
  // to maint below).
  const split = splitShares(
    s.upstreams.map((u, i) => ({
      weight: s.balancer.weights[i] ?? 0,
      targets: u.targets.map((t) => ({ weight: t.weight, healthy: true })),
    })),
  );
  s.upstreams.forEach((u, i) => {
    const literal = u.key.endsWith('/literal');
    u.targets.forEach((t, j) => {
      pairs.push({ u, literal, t });
      shares.push((split[i]?.share ?? 0) * (split[i]?.targets[j] ?? 0));
    });
  });
  const weights = toHaproxyWeights(shares);
  let httpchk: string | null = null;
  let checkHeaders: [string, string][] | null = null;
  const checks = new Map<string, CheckSpec | null>();
  const svc = s.service;
  const secure = overTls(svc.protocol);
  if (secure && svc.tls_verify === true && svc.tls_verify_depth !== null) {
    warnings.push(
      `service ${s.name}: tls_verify_depth ${svc.tls_verify_depth} is not expressed in HAProxy (it verifies chains of any length)`,
    );
  }
  pairs.forEach(({ u, literal, t }, i) => {
    const check = activeCheck(u.healthchecks);
    checks.set(u.name, check);
    if (check !== null && check.type !== 'tcp') {
      const want = `GET ${check.path}`;
      if (httpchk === null) httpchk = want;
      else if (httpchk !== want)
        warnings.push(
          `service ${s.name}: upstreams check different paths; HAProxy checks every server of backend ${name} with ${httpchk}`,
        );
      const headers = Object.entries(u.healthchecks?.active.headers ?? {}).flatMap(([k, vs]) =>
        vs.map((v) => [k, v] as [string, string]),
      );
      const bad = headers.find(([, v]) => /["\\]/.test(v));
      if (bad)
        warnings.push(
          `upstream ${u.name}: check header ${bad[0]} has a quote or backslash and is not sent by HAProxy`,
        );
      const usable = headers.filter(([, v]) => !/["\\]/.test(v));
      if (checkHeaders === null) checkHeaders = usable;
      else if (JSON.stringify(checkHeaders) !== JSON.stringify(usable))
        warnings.push(
          `service ${s.name}: upstreams send different check headers; HAProxy sends one set for backend ${name}`,
        );
    }
    const weight = weights[i] ?? 0;
    servers.push({
      backend: name,
      name: unique(serverName(u, literal, t.host, t.port), taken),
      key: t.key,
      upstream: u.name,
      target: t.address,
      host: bareHost(t.host),
      port: t.port,
      weight,
      // Marked unhealthy by hand (Kong's POST …/unhealthy): no traffic at all until marked healthy.
      state: t.health.markSeq > 0 && !t.health.healthy ? 'maint' : weight > 0 ? 'ready' : 'drain',
      targetWeight: t.weight,
      check,
      tls: secure ? { verify: svc.tls_verify === true, sni: sniOf(u, t.host) } : null,
    });
  });
  // Only upstreams with active checks count: bringing an unchecked upstream into the split (a
  // blue → green switch) is new servers, which the runtime API adds without a reload.
  const checkSig = [...checks]
    .filter(([, c]) => c !== null)
    .map(
      ([u, c]) =>
        `${u}:${c!.type}:${c!.path}:${c!.interMs}:${c!.fall}:${c!.rise}${c!.tls ? `:${c!.tls.sni ?? ''}:${c!.tls.verify}` : ''}`,
    )
    .join(',');
  const headers: readonly (readonly [string, string])[] = checkHeaders ?? [];
  // A server's TLS is set when it is added: a service turning https (or its verification) needs
  // its servers made again, which a reload does. Plain http services keep the signature they had.
  const tlsSig = secure ? `t${svc.tls_verify === true ? 'v' : 'n'}` : '';
  const headerSig = headers.length ? `H${JSON.stringify(headers)}` : '';
  const balance = balanceOf(s, balancing);
  // Round-robin backends keep the signature they had before balancing had a say.
  const balanceSig = balance === ROUND_ROBIN ? '' : `B${JSON.stringify(balance)}`;
  const signature =
    signatureOf(svc.connect_timeout, svc.read_timeout, s.retries, httpchk, checkSig) +
    tlsSig +
    headerSig +
    balanceSig;
  return {
    name,
    service: s.name,
    serviceKey: s.key,
    servers,
    connectMs: svc.connect_timeout,
    serverMs: svc.read_timeout,
    retries: s.retries,
    httpchk,
    checkHeaders: headers,
    balance,
    signature,
  };
}

function signatureOf(
  connectMs: number,
  serverMs: number,
  retries: number,
  httpchk: string | null,
  checks: string,
): string {
  return `c${connectMs}s${serverMs}r${retries}h${httpchk ?? '-'}k${checks}`;
}

/** The signature every spare backend is written with (see STATIC_VAR). */
export const SPARE_SIGNATURE = hash(
  signatureOf(SPARE_DEFAULTS.connectMs, SPARE_DEFAULTS.serverMs, SPARE_DEFAULTS.retries, null, ''),
);
