/**
 * A fleet of HAProxy instances as the UI shows it: the data plane's report (per-target counts
 * summed over the fleet, and each instance's state) turned into the same stats snapshot the
 * panels read in in-process mode, and into one row per instance. Plain functions, no React.
 */
import { effectiveSplit, type State } from '../core/model.js';
import type { DataPlaneReport, InstanceReport, TargetReport } from '../dataplane/types.js';
import type { CounterSnapshot, StatsSnapshot } from '../proxy/stats.js';
import type { Tone } from './theme.js';

/** What the UI holds of the fleet between two reads (frozen; read with useSyncExternalStore). */
export interface FleetSnapshot {
  /** When the latest report was read (ms); 0 before the first. */
  readonly at: number;
  /** The latest report, or null before the first one arrives. */
  readonly report: DataPlaneReport | null;
  /** A report from about two seconds earlier (what happened lately: errors per attempt). */
  readonly before: DataPlaneReport | null;
  /** Requests per second of each target key, one value per read, oldest first. */
  readonly series: ReadonlyMap<string, readonly number[]>;
}

export const EMPTY_FLEET: FleetSnapshot = Object.freeze({
  at: 0,
  report: null,
  before: null,
  series: new Map<string, readonly number[]>(),
});

type Status = CounterSnapshot['status'];

const NO_STATUS: Status = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
const ZERO: CounterSnapshot = {
  requests: 0,
  inFlight: 0,
  status: NO_STATUS,
  errors: 0,
  rate: 0,
  p50: null,
  p99: null,
  series: [],
};

/** Adds series aligned on their newest value (a target that appeared later has a shorter one). */
function addSeries(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push((a[a.length - n + i] ?? 0) + (b[b.length - n + i] ?? 0));
  }
  return out;
}

function sum(list: readonly CounterSnapshot[]): CounterSnapshot {
  let acc = ZERO;
  for (const c of list) {
    const status = { ...acc.status };
    for (const k of ['1xx', '2xx', '3xx', '4xx', '5xx'] as const) status[k] += c.status[k];
    acc = {
      ...acc,
      requests: acc.requests + c.requests,
      status,
      errors: acc.errors + c.errors,
      rate: acc.rate + c.rate,
      series: addSeries(acc.series, c.series),
    };
  }
  return acc;
}

function counterOf(t: TargetReport, series: readonly number[]): CounterSnapshot {
  return {
    ...ZERO,
    requests: t.requests,
    status: t.status ?? NO_STATUS,
    errors: t.errors,
    rate: t.rate ?? 0,
    series,
  };
}

/**
 * The report as the panels' stats snapshot: targets by their table key; upstreams, services and
 * the total summed from them. HAProxy reports no latency or requests in flight per target (null
 * and 0). A service's numbers are those of the upstreams of its split, so two services sharing
 * an upstream both count its traffic.
 */
export function fleetStats(
  state: State,
  report: DataPlaneReport | null,
  series: ReadonlyMap<string, readonly number[]>,
  at: number,
): StatsSnapshot {
  const targets: Record<string, CounterSnapshot> = {};
  for (const t of report?.targets ?? []) targets[t.key] = counterOf(t, series.get(t.key) ?? []);
  const all = Object.entries(targets);
  const under = (prefix: string) => all.filter(([k]) => k.startsWith(`${prefix}/`)).map(([, c]) => c);
  const upstreams: Record<string, CounterSnapshot> = {};
  for (const u of state.upstreams) upstreams[u.id] = sum(under(u.id));
  const services: Record<string, CounterSnapshot> = {};
  for (const s of state.services) {
    const split = effectiveSplit(state, s);
    const ids = split
      ? split.flatMap((e) => state.upstreams.filter((u) => u.name === e.name).map((u) => u.id))
      : [];
    services[s.id] = split
      ? sum(ids.map((id) => upstreams[id] ?? ZERO))
      : // a service on a literal host:port: its one target is keyed under the service
        sum(under(s.id));
  }
  return { at, total: sum(all.map(([, c]) => c)), routes: {}, services, upstreams, targets };
}

/** Health of each target key as the fleet sees it (down on any reachable instance: down). */
export function fleetHealth(report: DataPlaneReport | null): ReadonlyMap<string, boolean> {
  return new Map((report?.targets ?? []).map((t) => [t.key, t.healthy]));
}

/**
 * Short names for instance ids: a socket path loses as many leading directories as it can while
 * every name stays distinct (`/run/a/admin.sock`, `/run/b/admin.sock` → `a/admin.sock`,
 * `b/admin.sock`); `host:port` stays as it is.
 */
export function instanceLabels(ids: readonly string[]): Map<string, string> {
  const parts = ids.map((id) => (id.includes('/') ? id.split('/').filter(Boolean) : [id]));
  const longest = Math.max(1, ...parts.map((p) => p.length));
  for (let keep = 1; keep <= longest; keep++) {
    const labels = parts.map((p) => p.slice(-keep).join('/'));
    if (new Set(labels).size === labels.length || keep === longest)
      return new Map(ids.map((id, i) => [id, labels[i] as string]));
  }
  return new Map(ids.map((id) => [id, id]));
}

export type FleetState = 'in sync' | 'syncing' | 'unreachable' | 'refused' | 'drift' | 'reload needed';

export interface FleetRow {
  readonly id: string;
  readonly label: string;
  readonly state: FleetState;
  readonly tone: Tone;
  readonly symbol: 'live' | 'pending' | 'failing';
  /** Why: the instance's error, its first drift line, what needs a reload; for one in sync, the table version. */
  readonly detail: string;
}

function more(lines: readonly string[]): string {
  return lines.length > 1 ? ` (+${lines.length - 1} more)` : '';
}

/** HAProxy's answers may span lines; a row has one. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** An instance's error as a row or a flash says it: one line, its address by its short name, no `unreachable:` twice. */
function errorOf(i: InstanceReport, label: string): string {
  const text = oneLine(i.lastError ?? '')
    .split(i.id)
    .join(label);
  return i.reachable ? text : text.replace(/^unreachable: /, '').replace(`${label}: `, '');
}

function rowOf(i: InstanceReport, label: string): FleetRow {
  const row = rowState({ ...i, lastError: i.lastError === null ? null : errorOf(i, label) }, label);
  return { ...row, detail: oneLine(row.detail) };
}

function rowState(i: InstanceReport, label: string): FleetRow {
  const base = { id: i.id, label };
  if (!i.reachable)
    return { ...base, state: 'unreachable', tone: 'failing', symbol: 'failing', detail: i.lastError ?? '' };
  if (i.lastError)
    return { ...base, state: 'refused', tone: 'failing', symbol: 'failing', detail: i.lastError };
  if (i.drift.length > 0)
    return {
      ...base,
      state: 'drift',
      tone: 'pending',
      symbol: 'pending',
      detail: `${i.drift[0] ?? ''}${more(i.drift)}`,
    };
  if (i.reloadNeeded)
    return { ...base, state: 'reload needed', tone: 'pending', symbol: 'pending', detail: i.reloadNeeded };
  if (i.appliedVersion === null)
    return { ...base, state: 'syncing', tone: 'pending', symbol: 'pending', detail: '' };
  return { ...base, state: 'in sync', tone: 'live', symbol: 'live', detail: `table v${i.appliedVersion}` };
}

/** One row per instance, worst news first within each instance: unreachable, refused, drift, reload needed. */
export function fleetRows(report: DataPlaneReport | null): FleetRow[] {
  const instances = report?.instances ?? [];
  const labels = instanceLabels(instances.map((i) => i.id));
  return instances.map((i) => rowOf(i, labels.get(i.id) ?? i.id));
}

/** `N instances, M reachable`, or null before the first report. */
export function fleetCounts(
  report: DataPlaneReport | null,
): { readonly instances: number; readonly reachable: number } | null {
  if (!report) return null;
  return {
    instances: report.instances.length,
    reachable: report.instances.filter((i) => i.reachable).length,
  };
}

/**
 * Which instances have not taken table `version` (or a later one): `failed` have said why
 * (unreachable, refused commands, a reload needed), `pending` have not finished yet.
 */
export function notApplied(
  report: DataPlaneReport,
  version: number,
): { readonly failed: readonly InstanceReport[]; readonly pending: readonly InstanceReport[] } {
  const behind = report.instances.filter(
    (i) => !i.reachable || i.reloadNeeded !== null || i.appliedVersion === null || i.appliedVersion < version,
  );
  const failed = behind.filter((i) => !i.reachable || i.lastError !== null || i.reloadNeeded !== null);
  return { failed, pending: behind.filter((i) => !failed.includes(i)) };
}

/** `not applied to b/admin.sock (unreachable: …)`: one sentence naming every instance that missed a change. */
export function notAppliedText(
  report: DataPlaneReport,
  missed: { readonly failed: readonly InstanceReport[]; readonly pending: readonly InstanceReport[] },
): string {
  const labels = instanceLabels(report.instances.map((i) => i.id));
  const name = (i: InstanceReport) => labels.get(i.id) ?? i.id;
  const why = (i: InstanceReport) =>
    !i.reachable
      ? ['unreachable', i.lastError && errorOf(i, name(i))].filter(Boolean).join(': ')
      : [i.lastError && errorOf(i, name(i)), i.reloadNeeded && `reload needed: ${i.reloadNeeded}`]
          .filter(Boolean)
          .join('; ');
  const parts = [
    ...missed.failed.map((i) => `${name(i)} (${why(i)})`),
    ...missed.pending.map((i) => `${name(i)} (not done yet)`),
  ];
  return oneLine(`not applied to ${parts.join(', ')}`);
}
