/**
 * The data plane as the admin API sees it: `/dataplane` (what carries the traffic, its
 * instances, their drift; re-applying), and a change answered only once the data plane has it.
 */
import { settledWithin, summarize } from '../dataplane/index.js';
import type { AdminContext } from './context.js';
import { HttpError, namingMissing, ok, type Reply } from './kong.js';
import type { Router } from './router.js';

/** How long a change waits for the data plane (HAProxy instances) before it is answered anyway. */
const APPLY_WAIT_MS = 3000;

export function defineDataPlane(router: Router, ctx: AdminContext): void {
  const plane = () => {
    const p = ctx.dataPlane?.();
    if (!p) throw new HttpError(404, { message: 'no data plane' });
    return p;
  };
  router.on(
    'GET',
    '/dataplane',
    namingMissing(async () => ok({ kind: plane().kind, ...(await plane().report()) })),
  );
  router.on(
    'POST',
    '/dataplane/reapply',
    namingMissing(async () => {
      const r = await plane().reapply();
      return { status: r.ok ? 200 : 502, body: { ...r, summary: summarize(r) } };
    }),
  );
}

/**
 * A change is answered once the data plane has it: at once in-process (the proxy swaps tables
 * inside the dispatch), after every reachable HAProxy instance took it otherwise, so that a
 * script's next request after `switchyard weight …` meets the new weights. Bounded; what an
 * instance did not take is said in a header, the Kong-shaped body is left as it is.
 */
export async function afterDataPlane(ctx: AdminContext, reply: Reply): Promise<Reply> {
  const plane = ctx.dataPlane?.();
  if (!plane) return reply;
  const result = await settledWithin(plane, APPLY_WAIT_MS);
  if (result === null) return reply;
  const said =
    result === 'late'
      ? `still applying after ${APPLY_WAIT_MS} ms`
      : summarize(result)
          .replace(/\n/g, '; ')
          .replace(/[^\x20-\x7e]/g, '?');
  return { ...reply, headers: { ...reply.headers, 'x-switchyard-data-plane': said } };
}
