/**
 * Undo is the operator's: it takes back the last change made from the UI, the CLI or the admin
 * API, and only that change. The deployer's and the supervisor's own steps are not in the history,
 * so they are never undone, and a change is reverted entity by entity (what it added goes, what
 * it removed comes back, what it modified gets its earlier version), so whatever else happened
 * since (instances the supervisor added to other apps, say) stays.
 *
 * It refuses, with the reason, when a deployment changed since: the deployer acted on the state
 * the operator's change left, and taking that change back underneath it would leave the
 * deployment describing a state that no longer exists. Resume, abort or clean up instead.
 */
import { SwitchyardError } from './errors.js';
import type { Deployment, State } from './model.js';
import { same } from './same.js';

type Collection = 'upstreams' | 'services' | 'routes' | 'apps' | 'deployments';
const COLLECTIONS: readonly Collection[] = ['upstreams', 'services', 'routes', 'apps', 'deployments'];

interface Entity {
  readonly id: string;
}

function deploymentText(d: Deployment): string {
  return `${d.mta}${d.version ? ` ${d.version}` : ''} (${d.id})`;
}

/** Why the change that turned `before` into `after` cannot be taken back from `current`, or null. */
export function undoConflict(current: State, after: State): string | null {
  const was = new Map(after.deployments.map((d) => [d.id, d]));
  for (const d of current.deployments) {
    const then = was.get(d.id);
    if (!then) return `deployment ${deploymentText(d)} started since; abort it, or resume it, instead`;
    if (!same(then, d))
      return then.state === d.state
        ? `deployment ${deploymentText(d)} moved on since (${d.state})`
        : `deployment ${deploymentText(d)} went from ${then.state} to ${d.state} since`;
  }
  for (const d of after.deployments)
    if (!current.deployments.some((c) => c.id === d.id))
      return `deployment ${deploymentText(d)} was removed since`;
  return null;
}

function revertList<T extends Entity>(
  current: readonly T[],
  before: readonly T[],
  after: readonly T[],
): readonly T[] {
  const beforeById = new Map(before.map((e, i) => [e.id, { e, i }]));
  const afterById = new Map(after.map((e) => [e.id, e]));
  const touched = new Set<string>();
  for (const e of after) if (!same(beforeById.get(e.id)?.e, e)) touched.add(e.id);
  for (const e of before) if (!afterById.has(e.id)) touched.add(e.id);
  if (touched.size === 0) return current;
  const out: T[] = [];
  for (const e of current) {
    if (!touched.has(e.id)) out.push(e);
    else {
      const was = beforeById.get(e.id);
      if (was) out.push(was.e);
    }
  }
  // What the change removed comes back where it was.
  for (const e of before) {
    if (!touched.has(e.id) || out.some((x) => x.id === e.id)) continue;
    const i = beforeById.get(e.id)!.i;
    out.splice(Math.min(i, out.length), 0, e);
  }
  return out;
}

/**
 * The state `current` with the change `before → after` taken back, entity by entity; throws a
 * SwitchyardError naming the reason when a deployment changed since.
 */
export function revert(current: State, before: State, after: State, summary: string): State {
  const conflict = undoConflict(current, after);
  if (conflict) throw new SwitchyardError('invalid', `cannot undo "${summary}": ${conflict}`);
  // Nothing happened since: the state from before, as it was.
  if (current === after) return before;
  let next = current;
  for (const c of COLLECTIONS) {
    const list = revertList<Entity>(current[c], before[c], after[c]);
    if (list !== current[c]) next = { ...next, [c]: list };
  }
  return next;
}
