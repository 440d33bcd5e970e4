/**
 * The data-plane boundary. The compiled routing table (core/table.ts) is what every data plane
 * is fed; a data plane applies it and reports per-target counts and health back. The in-process
 * proxy is one implementation, a fleet of HAProxy instances driven through their runtime API is
 * another. Core, UI and admin API see only this interface; nothing here knows HAProxy.
 */
import type { RoutingTable } from '../core/table.js';

export type DataPlaneKind = 'in-process' | 'haproxy';

/** One target of one upstream, summed over every instance of the data plane. */
export interface TargetReport {
  /** The table's stable key of the target (`upstreamId/host:port`), the same key the in-process stats use. */
  readonly key: string;
  /** Upstream name (for a service's literal host:port, that address). */
  readonly upstream: string;
  /** `host:port` */
  readonly target: string;
  readonly requests: number;
  /** Requests per second (HAProxy: sessions per second over the last second, summed over the fleet). */
  readonly rate?: number;
  readonly status?: { readonly '1xx': number; readonly '2xx': number; readonly '3xx': number; readonly '4xx': number; readonly '5xx': number };
  /** Requests the data plane could not complete (connection and response errors). */
  readonly errors: number;
  /** False when any reachable instance considers the target down. */
  readonly healthy: boolean;
}

/** One instance of the data plane (an HAProxy process; the in-process proxy is one instance). */
export interface InstanceReport {
  /** Socket path or host:port, as given. */
  readonly id: string;
  readonly reachable: boolean;
  /** Where the instance differs from the desired state, one human line each: `web: blue/127.0.0.1:3001 weight 12, expected 256`. */
  readonly drift: readonly string[];
  readonly lastError: string | null;
  /** The table version this instance last took completely, or null if it never did since it (re)started. */
  readonly appliedVersion: number | null;
  /** Set when the instance can only follow the table after its configuration is re-exported and reloaded. */
  readonly reloadNeeded: string | null;
}

export interface DataPlaneReport {
  readonly targets: readonly TargetReport[];
  readonly instances: readonly InstanceReport[];
}

export interface InstanceResult {
  readonly id: string;
  readonly ok: boolean;
  /** What went wrong: unreachable, or the commands the instance rejected and its answers. */
  readonly error?: string;
  /** What the runtime API cannot express and a reload would (new service, changed timeouts, …). */
  readonly reloadNeeded?: string;
}

/** `ok` only when every instance took the whole table; otherwise each instance says what it did not. */
export interface ApplyResult {
  readonly ok: boolean;
  readonly version: number | null;
  readonly perInstance: readonly InstanceResult[];
}

export interface DataPlane {
  readonly kind: DataPlaneKind;
  /**
   * True when the traffic is carried outside this process (HAProxy): the UI then shows the
   * plane's instances and takes its numbers from `report()`. The in-process proxy's own stats
   * are richer (latency, in flight), so the UI reads them directly.
   */
  readonly external: boolean;
  /** Makes the data plane follow a new table (every instance, in parallel). Never rejects. */
  apply(table: RoutingTable): Promise<ApplyResult>;
  /** Live counts and health per target, and the state of each instance. Never rejects. */
  report(): Promise<DataPlaneReport>;
  /** Pushes the whole desired state again, whatever each instance is believed to have (drift). */
  reapply(): Promise<ApplyResult>;
  /**
   * The outcome of applying the newest table given to `apply` (null before the first). The admin
   * API waits for it before it answers a change, so that "acknowledged" means "in effect" on
   * every instance that took it. Never rejects.
   */
  settled(): Promise<ApplyResult | null>;
  /** Requests in flight to a target address (`host:port`), over every reachable instance. Never rejects. */
  inFlight(address: string): Promise<number>;
  /**
   * Why this data plane cannot carry `table` as switchyard would route it (null: it can). The
   * store refuses such a change, so a fleet never balances otherwise in silence.
   */
  refusal(table: RoutingTable): string | null;
  close(): Promise<void>;
}

export function summarize(result: ApplyResult): string {
  if (result.ok && !result.perInstance.some((i) => i.reloadNeeded)) return `applied to ${result.perInstance.length} instance(s)`;
  return result.perInstance
    .filter((i) => !i.ok || i.reloadNeeded)
    .map((i) => `${i.id}: ${[i.error, i.reloadNeeded && `reload needed: ${i.reloadNeeded}`].filter(Boolean).join('; ')}`)
    .join('\n');
}

/**
 * `plane.settled()`, or `'late'` once `ms` have passed: how long a caller is willing to wait for
 * the newest table to be in effect (the admin API before it answers, the supervisor before it
 * stops an instance).
 */
export async function settledWithin(plane: DataPlane, ms: number): Promise<ApplyResult | null | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), Math.max(0, ms))));
  try {
    return await Promise.race([plane.settled(), late]);
  } finally {
    clearTimeout(timer);
  }
}
