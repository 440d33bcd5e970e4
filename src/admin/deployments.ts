/**
 * SAP's bg-deploy over HTTP (`/deployments`): POST a manifest, then follow, resume, abort or
 * clean up a deployment by id.
 */
import { leftovers } from '../core/deployments.js';
import { parseManifest } from '../deploy/manifest.js';
import { parseBody } from './body.js';
import type { AdminContext } from './context.js';
import { created, HttpError, namingMissing, ok } from './kong.js';
import type { Handler, Method, Router } from './router.js';

/** A gradual resume's options, from a body or form. */
function gradual(body: Record<string, unknown>) {
  const num = (k: string) => (body[k] === undefined || body[k] === null ? undefined : Number(body[k]));
  const steps = Array.isArray(body.steps)
    ? body.steps.map(Number)
    : typeof body.steps === 'string'
      ? body.steps.split(',').map(Number)
      : undefined;
  const sticky = typeof body.sticky === 'string' ? body.sticky : undefined;
  return {
    steps,
    intervalMs: num('interval_ms'),
    maxErrorRate: num('max_error_rate'),
    maxP99Ms: num('max_p99_ms'),
    sticky,
  };
}

export function defineDeployments(router: Router, ctx: AdminContext): void {
  // Not Kong's endpoints: a missing deployment is named in the 404.
  const on = <P extends string>(method: Method, path: P, handler: Handler<P>): void =>
    router.on(method, path, namingMissing(handler));
  const deployer = () => {
    if (!ctx.deployer) throw new HttpError(404, { message: 'deployments are not available here' });
    return ctx.deployer;
  };
  const deploymentJson = (id: string) => {
    const d = deployer().get(id);
    // What cleanup would delete (nothing unless aborted or failed, and not taken over by a later deployment).
    return {
      ...d,
      figures: d.state === 'resuming' ? deployer().figures(d) : null,
      progress: deployer().progress(d),
      leftovers: leftovers(ctx.store.state, d),
    };
  };

  on('GET', '/deployments', () =>
    ok({ data: ctx.store.state.deployments.map((d) => deploymentJson(d.id)), next: null }),
  );
  on('POST', '/deployments', async ({ req }) => {
    const body = await parseBody(req);
    if (typeof body.manifest !== 'string')
      throw new HttpError(400, { message: 'give the manifest (YAML text) as "manifest"' });
    const cwd = typeof body.cwd === 'string' ? body.cwd : undefined;
    const defaultDomain = typeof body.default_domain === 'string' ? body.default_domain : undefined;
    const manifest = parseManifest(
      body.manifest,
      typeof body.source === 'string' ? body.source : 'manifest',
      { dir: cwd, defaultDomain },
    );
    // Answered as soon as the deployment exists (state deploying): its apps start in the background,
    // and GET /deployments/:id follows it (with `progress`), so no client waits on a long request.
    const { deployment, done } = deployer().begin(manifest, {
      ...gradual(body),
      noConfirm: body.no_confirm === true || body.no_confirm === 'true',
      cwd,
    });
    done.catch(() => {});
    return created({ ...deploymentJson(deployment.id), notes: manifest.notes });
  });
  on('GET', '/deployments/:id', ({ params }) => ok(deploymentJson(params.id)));
  on('POST', '/deployments/:id/resume', async ({ req, params }) => {
    const d = await deployer().resume(params.id, gradual(await parseBody(req)));
    return ok(deploymentJson(d.id));
  });
  on('POST', '/deployments/:id/abort', ({ params }) => ok(deploymentJson(deployer().abort(params.id).id)));
  on('POST', '/deployments/:id/cleanup', ({ params }) =>
    ok(deploymentJson(deployer().cleanup(params.id).id)),
  );
}
