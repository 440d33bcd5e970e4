/**
 * Kong's upstream health endpoints (kong/api/routes/upstreams.lua), the targets registration's
 * hook: each target's health as the proxy sees it, and the operator marking one by hand.
 */
import type { Target, Upstream } from '../../core/model.js';
import { noContent, ok } from '../kong.js';
import type { Mount } from './crud.js';

export function defineTargetHealth({
  router,
  env,
  def,
  parentPath,
  parent,
  child,
}: Mount<Target, Upstream>): void {
  router.on('GET', `${parentPath}/health`, ({ params }) => {
    const up = parent(params.parent);
    const entry = env.store.table.upstreams.find((x) => x.key === up.id);
    const data = up.targets.map((t) => {
      const h = entry?.targets.find((x) => x.address === t.target)?.health;
      return {
        ...(def.json(t, up) as Record<string, unknown>),
        health: h === undefined || h.healthy ? 'HEALTHY' : 'UNHEALTHY',
      };
    });
    return ok({ node_id: env.nodeId, data, next: null });
  });
  // Kong 3 marks with PUT, Kong 2 (and the seeds' curl commands) with POST: both are taken.
  for (const method of ['PUT', 'POST'] as const) {
    for (const verdict of ['healthy', 'unhealthy'] as const) {
      router.on(method, `${parentPath}/${def.collection}/:key/${verdict}`, ({ params }) => {
        const up = parent(params.parent);
        const t = child(up, params.key);
        // A change like any other: saved, undoable, applied to the data plane, seen by the UI.
        env.store.dispatch({ op: 'target.health', upstream: up.id, target: t.id, verdict }, 'admin');
        return noContent;
      });
    }
  }
}
