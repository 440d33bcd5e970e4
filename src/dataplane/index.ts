/**
 * The data planes behind one boundary (types.ts), and the one line that connects a data plane
 * to the store: every new table is applied as it is compiled, and what an instance did not take
 * is logged, never dropped.
 */
import type { Store } from '../core/store.js';
import { summarize, type ApplyResult, type DataPlane } from './types.js';

export type { ApplyResult, DataPlane, DataPlaneKind, DataPlaneReport, InstanceReport, InstanceResult, TargetReport } from './types.js';
export { settledWithin, summarize } from './types.js';
export { InProcessDataPlane } from './in-process.js';
export { HaproxyFleet, type HaproxyFleetOptions } from './haproxy/driver.js';
export { exportHaproxy, haproxyConfig, TLS_PEM, writeHaproxy, type HaproxyConfigOptions, type HaproxyExport } from './haproxy/config.js';
export { DEFAULT_SPARES } from './haproxy/desired.js';

/**
 * Applies the store's table now and after every change. `onResult` sees each outcome (the
 * engine logs failures; the UI may flash them). Returns the detach function.
 */
export function attachDataPlane(store: Store, plane: DataPlane, onResult: (r: ApplyResult, summary: string) => void = () => {}): () => void {
  return store.attach((table) => {
    void plane.apply(table).then((r) => onResult(r, summarize(r)));
  });
}
