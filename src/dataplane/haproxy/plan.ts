/**
 * The difference between what one HAProxy instance has and what the table wants, as runtime API
 * steps in a safe order, plus the same difference in words (drift) and what only a reload can
 * fix. Pure: the driver reads the instance, calls `plan`, runs the steps.
 *
 * Order: servers gaining traffic first (new servers, weights going up, back to ready), then the
 * route maps, then servers losing traffic (weights going down, drain), then removed servers
 * (maint, then `del server`). A blue/green switch thus never passes through a moment where the
 * backend has no server with a weight: no request fails for want of a server.
 */
import { addServerArgs } from './backend-blocks.js';
import {
  HOSTS_MAP,
  HOST_METHODS_MAP,
  PATHS_MAP,
  PATH_METHODS_MAP,
  PINS_MAP,
  PIN_COUNTS_MAP,
  SPARES_MAP,
  WILDCARDS_MAP,
  WILDCARD_METHODS_MAP,
  parseStaticSignature,
  pinsOf,
  type Desired,
  type DesiredServer,
} from './desired.js';
import { adminStateOf, type InstanceMap, type ServerStateRow } from './runtime.js';
import { placeOnSpares } from './spares.js';

/** What an instance has, read through the runtime API. */
export interface Actual {
  readonly backends: ReadonlySet<string>;
  readonly servers: readonly ServerStateRow[];
  readonly staticSignature: string | null;
  /**
   * The switchyard map files the instance has loaded, by name (HOSTS_MAP, …, SPARES_MAP). One
   * that is missing was not in the configuration it runs: not written by switchyard, or by an
   * older switchyard.
   */
  readonly maps: Readonly<Partial<Record<string, InstanceMap>>>;
}

export type Step =
  | { readonly kind: 'cmd'; readonly command: string; /** A refusal is not an error (a server still holding connections cannot be deleted yet). */ readonly soft?: boolean }
  | { readonly kind: 'map'; readonly map: string; readonly entries: ReadonlyMap<string, string> };

export interface Plan {
  readonly steps: readonly Step[];
  readonly drift: readonly string[];
  readonly reloadNeeded: readonly string[];
  /** Servers taken out of the table that are still there (waiting to be deleted). */
  readonly pendingRemovals: number;
  /** The desired state as placed on this instance (new services on spare backends). */
  readonly desired: Desired;
}

function label(s: DesiredServer, service: string): string {
  return `${service}: ${s.upstream}/${s.target}`;
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

function sameOrder(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  const bs = [...b];
  return [...a].every(([k, v], i) => bs[i]![0] === k && bs[i]![1] === v);
}

function mapDrift(name: string, want: ReadonlyMap<string, string>, have: ReadonlyMap<string, string>, out: string[]): void {
  for (const [k, v] of want) {
    const got = have.get(k);
    if (got === undefined) out.push(`route ${k} missing from ${name}`);
    else if (got !== v) out.push(`route ${k} → ${got}, expected ${v}`);
  }
  for (const [k, v] of have) if (!want.has(k)) out.push(`route ${k} → ${v} is not in switchyard's table`);
}

export function plan(intended: Desired, a: Actual, force = false): Plan {
  const placement = placeOnSpares(intended, a);
  const d = placement.desired;
  const ups: Step[] = [];
  const downs: Step[] = [];
  const removals: Step[] = [];
  const drift: string[] = [];
  const reloadNeeded: string[] = [...placement.reloadNeeded];
  let pendingRemovals = 0;
  const have = new Map<string, ServerStateRow>();
  for (const r of a.servers) have.set(`${r.backend}/${r.server}`, r);
  const running = a.staticSignature === null ? null : parseStaticSignature(a.staticSignature);
  const want = parseStaticSignature(d.staticSignature);

  for (const b of d.backends) {
    if (!a.backends.has(b.name)) continue; // said by the placement: reload needed
    const was = running?.get(b.name);
    if (was !== undefined && was !== want.get(b.name)) {
      reloadNeeded.push(`service ${b.service}: timeouts, retries or health checks changed since the configuration was written`);
    }
    const wanted = new Set<string>();
    for (const s of b.servers) {
      wanted.add(s.name);
      const at = `${b.name}/${s.name}`;
      const row = have.get(at);
      const what = label(s, b.service);
      if (row === undefined) {
        drift.push(`${what} missing`);
        ups.push({ kind: 'cmd', command: `add server ${at} ${addServerArgs(s)}` });
        if (s.check) ups.push({ kind: 'cmd', command: `enable health ${at}` });
        ups.push({ kind: 'cmd', command: `set server ${at} state ${s.state === 'maint' ? 'maint' : s.weight > 0 ? 'ready' : 'drain'}` });
        continue;
      }
      const state = adminStateOf(row.adminState);
      if (row.addr !== s.host || row.port !== s.port) {
        drift.push(`${what} address ${row.addr}:${row.port}, expected ${s.host}:${s.port}`);
        ups.push({ kind: 'cmd', command: `set server ${at} addr ${s.host} port ${s.port}` });
      }
      if (row.weight !== s.weight) drift.push(`${what} weight ${row.weight}, expected ${s.weight}`);
      if (s.state === 'maint') {
        // Marked unhealthy by hand: out first, and its weight kept in step for when it comes back.
        if (state !== 'maint') drift.push(`${what} ${state}, expected maint (marked unhealthy)`);
        if (force || state !== 'maint') downs.unshift({ kind: 'cmd', command: `set server ${at} state maint` });
        if (force || row.weight !== s.weight) downs.push({ kind: 'cmd', command: `set server ${at} weight ${s.weight}` });
      } else if (s.weight > 0) {
        if (state !== 'ready') drift.push(`${what} ${state}, expected ready`);
        const steps = s.weight < row.weight ? downs : ups;
        if (force || row.weight !== s.weight) steps.push({ kind: 'cmd', command: `set server ${at} weight ${s.weight}` });
        if (force || state !== 'ready') steps.push({ kind: 'cmd', command: `set server ${at} state ready` });
      } else {
        // Weight 0 takes no traffic whether drained or not (a fresh config has it ready at weight 0).
        if (state === 'maint') drift.push(`${what} maint, expected drain`);
        if (force || state === 'maint' || (row.weight !== 0 && state !== 'drain')) downs.push({ kind: 'cmd', command: `set server ${at} state drain` });
        if (force || row.weight !== 0) downs.push({ kind: 'cmd', command: `set server ${at} weight 0` });
      }
    }
    pendingRemovals += removeOthers(b.name, b.service, wanted);
  }
  // A spare no service needs any more: its servers go, and it is free for the next new service.
  for (const spare of placement.free) pendingRemovals += removeOthers(spare, `spare backend ${spare}`, new Set());

  function removeOthers(backend: string, what: string, keep: ReadonlySet<string>): number {
    let n = 0;
    for (const row of a.servers) {
      if (row.backend !== backend || keep.has(row.server)) continue;
      const state = adminStateOf(row.adminState);
      n++;
      if (state !== 'maint') {
        drift.push(`${what}: server ${row.server} (${row.addr}:${row.port}, weight ${row.weight}, ${state}) is not in switchyard's table`);
        removals.push({ kind: 'cmd', command: `set server ${backend}/${row.server} state maint` });
      }
      removals.push({ kind: 'cmd', command: `del server ${backend}/${row.server}`, soft: true });
    }
    return n;
  }

  const maps: Step[] = [];
  const replace = (m: InstanceMap, want: ReadonlyMap<string, string>, ordered = false) => {
    if (force || !(ordered ? sameOrder(want, m.entries) : sameMap(want, m.entries))) maps.push({ kind: 'map', map: m.file, entries: want });
  };
  for (const [name, want] of [
    [HOSTS_MAP, d.hosts],
    [PATHS_MAP, d.paths],
  ] as const) {
    const m = a.maps[name];
    if (!m) {
      reloadNeeded.push(`no ${name}: the running configuration was not written by switchyard (config export --format haproxy); routes are not steered`);
      continue;
    }
    mapDrift(name, want, m.entries, drift);
    replace(m, want);
  }
  // Maps a configuration may predate (wildcards, methods): said when they are needed. Regular
  // expression maps are tried in order (map_reg: the first match wins), so order is compared too.
  for (const [name, want, ordered, what] of [
    [WILDCARDS_MAP, d.wildcards, true, 'wildcard hosts'],
    [HOST_METHODS_MAP, d.hostMethods, false, 'route methods'],
    [WILDCARD_METHODS_MAP, d.wildcardMethods, true, 'route methods'],
    [PATH_METHODS_MAP, d.pathMethods, false, 'route methods'],
  ] as const) {
    const m = a.maps[name];
    if (m) {
      mapDrift(name, want, m.entries, drift);
      replace(m, want, ordered);
    } else if (want.size > 0) {
      reloadNeeded.push(`${what} need ${name}, which the running configuration predates; re-export and reload`);
    }
  }
  // The pin maps follow the servers (a configuration written before them simply has no pins).
  const pins = pinsOf(d, a.backends);
  for (const [name, want] of [
    [PINS_MAP, pins.servers],
    [PIN_COUNTS_MAP, pins.counts],
  ] as const) {
    const m = a.maps[name];
    if (m) replace(m, want);
  }
  // The placement first, so that a switchyard reading the instance back sees where services are.
  const spares = a.maps[SPARES_MAP];
  if (spares && placement.spares && (force || !sameMap(placement.spares, spares.entries))) {
    maps.unshift({ kind: 'map', map: spares.file, entries: placement.spares });
  }
  return { steps: [...ups, ...maps, ...downs, ...removals], drift, reloadNeeded, pendingRemovals, desired: d };
}
