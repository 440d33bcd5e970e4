/**
 * The supervisor's hand on the store: it makes an app's upstream targets equal to the addresses
 * that should take traffic, as system changes (not the operator's: no undo entry). A change the
 * store refuses is logged, never thrown: the next reconcile tries again.
 */
import type { State } from '../core/model.js';
import type { Store } from '../core/store.js';

export class TargetSync {
  constructor(
    private readonly store: Store,
    private readonly log: (line: string) => void,
  ) {}

  private dispatch(cmd: Parameters<Store['dispatch']>[0]): void {
    try {
      this.store.dispatch(cmd, 'supervisor', { system: true });
    } catch (e) {
      this.log(`[supervisor] ${(e as Error).message}`);
    }
  }

  /**
   * Upstream `name`'s targets become exactly `want` (addresses), read against `state`: the
   * others are deleted, the missing ones created at weight 100. False when there is no such upstream.
   */
  sync(state: State, name: string, want: ReadonlySet<string>): boolean {
    const up = state.upstreams.find((u) => u.name === name);
    if (!up) return false;
    for (const t of up.targets)
      if (!want.has(t.target)) this.dispatch({ op: 'target.delete', upstream: up.name, target: t.id });
    const have = new Set(up.targets.map((t) => t.target));
    for (const addr of want)
      if (!have.has(addr))
        this.dispatch({ op: 'target.create', upstream: up.name, fields: { target: addr, weight: 100 } });
    return true;
  }

  /** Clears addresses of process apps left in the state by a previous run: those processes are gone. */
  clearStale(): void {
    for (const app of this.store.state.apps) {
      if (app.command === null) continue;
      const up = this.store.state.upstreams.find((u) => u.name === app.name);
      for (const t of up?.targets ?? [])
        this.dispatch({ op: 'target.delete', upstream: app.name, target: t.id });
    }
  }
}
