/**
 * The in-process proxy as a DataPlane. The proxy already follows the store by itself (it is
 * attached to it and reads the table once per request), so `apply` has nothing to send; it only
 * reports what the proxy's own counters and passive/active health say, in the boundary's shape.
 */
import type { RoutingTable, TargetEntry, UpstreamEntry } from '../core/table.js';
import type { Stats } from '../proxy/stats.js';
import type { ApplyResult, DataPlane, DataPlaneReport, TargetReport } from './types.js';

export interface InProcessSource {
  /** The table in force (`store.table`). */
  readonly table: () => RoutingTable;
  readonly stats: Stats;
  /** Stops the proxy (the engine may keep doing this itself). */
  readonly close?: () => Promise<void>;
}

export const IN_PROCESS_ID = 'in-process';

export class InProcessDataPlane implements DataPlane {
  readonly kind = 'in-process' as const;
  readonly external = false;

  constructor(private readonly source: InProcessSource) {}

  apply(table: RoutingTable): Promise<ApplyResult> {
    return Promise.resolve({ ok: true, version: table.version, perInstance: [{ id: IN_PROCESS_ID, ok: true }] });
  }

  reapply(): Promise<ApplyResult> {
    return this.apply(this.source.table());
  }

  /** Counts requests to `address` also after its target left the table: the drain's question. */
  /** The in-process proxy carries every table. */
  refusal(): string | null {
    return null;
  }

  inFlight(address: string): Promise<number> {
    return Promise.resolve(this.source.stats.inFlightTo(address));
  }

  /** The proxy swaps tables inside the store's dispatch: a change is in effect when it returns. */
  settled(): Promise<ApplyResult> {
    return this.apply(this.source.table());
  }

  report(): Promise<DataPlaneReport> {
    const table = this.source.table();
    const snap = this.source.stats.snapshot();
    const seen = new Set<string>();
    const targets: TargetReport[] = [];
    const add = (u: UpstreamEntry, t: TargetEntry) => {
      if (seen.has(t.key)) return;
      seen.add(t.key);
      const c = snap.targets[t.key];
      targets.push({
        key: t.key,
        upstream: u.name,
        target: t.address,
        requests: c?.requests ?? 0,
        rate: c?.rate ?? 0,
        status: c ? { '1xx': c.status['1xx'], '2xx': c.status['2xx'], '3xx': c.status['3xx'], '4xx': c.status['4xx'], '5xx': c.status['5xx'] } : undefined,
        errors: c?.errors ?? 0,
        healthy: t.health.healthy,
      });
    };
    for (const u of table.upstreams) for (const t of u.targets) add(u, t);
    for (const s of table.services) for (const u of s.upstreams) for (const t of u.targets) add(u, t);
    return Promise.resolve({
      targets,
      instances: [{ id: IN_PROCESS_ID, reachable: true, drift: [], lastError: null, appliedVersion: table.version, reloadNeeded: null }],
    });
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}
