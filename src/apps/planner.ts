/**
 * The supervisor's rollout policy, pure: given what an app should be (started or stopped, how many
 * instances, which generation) and the instances it has, which to start and which to stop, and
 * which take traffic. No processes, no timers, no store: the supervisor carries the plan out.
 *
 * Rolling replace (a push or restart bumps the generation): one new instance at a time; for each
 * new one that answers, one old one (oldest first) is retired. Scaling down stops the highest
 * indexes. Every stop drains first when the instance takes traffic: it leaves the upstream, its
 * requests finish, then it is stopped (the supervisor does this; a draining instance is no longer
 * counted, so it is never stopped twice).
 */
import type { App } from '../core/model.js';

export type InstanceState = 'starting' | 'healthy' | 'draining' | 'stopping' | 'exited';

/** What the planner reads of an instance. */
export interface PlanInstance {
  readonly index: number;
  readonly generation: number;
  readonly state: InstanceState;
  /** Exited, with a restart scheduled (after a backoff): it still holds its index and counts as wanted. */
  readonly restartPending: boolean;
}

export type PlanApp = Pick<App, 'state' | 'generation' | 'instances'>;

export interface Plan<I extends PlanInstance> {
  /** Indexes of the instances to start (of the app's generation), in order. */
  readonly start: readonly number[];
  /** Instances to stop, in order; each drains first if it takes traffic. */
  readonly stop: readonly I[];
}

/** An app whose instances die this many times in a row without ever answering is crashed. */
export const CRASH_LIMIT = 3;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 16000, 30000];

/** How long to wait before restarting an instance that has been restarted `restarts` times. */
export function backoffMs(restarts: number): number {
  return BACKOFF_MS[Math.min(restarts, BACKOFF_MS.length - 1)] as number;
}

/** Exited with no restart pending: forgotten (its index is free again). */
export function gone(i: PlanInstance): boolean {
  return i.state === 'exited' && !i.restartPending;
}

/** Whether an instance belongs in its app's upstream: it answers, is not being retired, and the app is started. */
export function takesTraffic(app: Pick<App, 'state'>, i: PlanInstance): boolean {
  return i.state === 'healthy' && app.state === 'started';
}

/**
 * The next step towards `app`: what to start and what to stop now. `crashed`: the app's instances
 * kept dying before answering; nothing is started until it is pushed (or started) again.
 */
export function plan<I extends PlanInstance>(
  app: PlanApp,
  instances: readonly I[],
  crashed: boolean,
): Plan<I> {
  const present = instances.filter((i) => !gone(i));
  const active = present.filter(
    (i) => i.state !== 'stopping' && i.state !== 'exited' && i.state !== 'draining',
  );
  if (app.state === 'stopped') return { start: [], stop: active };
  if (crashed) return { start: [], stop: [] };
  const current = active.filter((i) => i.generation === app.generation);
  const old = active.filter((i) => i.generation !== app.generation);
  const starting = current.filter((i) => i.state === 'starting').length;
  const waiting = present.filter(
    (i) => i.generation === app.generation && i.state === 'exited' && i.restartPending,
  ).length;
  const missing = app.instances - current.length - waiting;
  const used = new Set(present.map((i) => i.index));
  const nextIndex = () => {
    let n = 0;
    while (used.has(n)) n++;
    used.add(n);
    return n;
  };
  if (old.length > 0) {
    // Rolling: one new instance at a time; retire one old one for each new one that answers.
    const start = missing > 0 && starting === 0 ? [nextIndex()] : [];
    const healthyNew = current.filter((i) => i.state === 'healthy').length;
    const retire = old.length - Math.max(0, app.instances - healthyNew);
    const oldestFirst = [...old].sort((a, b) => a.generation - b.generation || a.index - b.index);
    return { start, stop: oldestFirst.slice(0, Math.max(0, retire)) };
  }
  const start: number[] = [];
  for (let k = 0; k < missing; k++) start.push(nextIndex());
  const extra = current.length - app.instances;
  return { start, stop: extra > 0 ? [...current].sort((a, b) => b.index - a.index).slice(0, extra) : [] };
}
