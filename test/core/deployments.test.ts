import { describe, expect, it } from 'vitest';
import { canDo, deployRefusal, deploymentRefusal, leftovers, openDeployments } from '../../src/core/deployments.js';
import type { Deployment, DeploymentState } from '../../src/core/model.js';
import { Store } from '../../src/core/store.js';

/** shop-web-blue live on shop.example.com; shop-web-green beside it on shop-idle.example.com. */
function store(): Store {
  const s = new Store();
  s.dispatch({ op: 'app.push', fields: { name: 'shop-web-blue', targets: ['127.0.0.1:3001'], route: 'shop.example.com' } });
  s.dispatch({ op: 'app.push', fields: { name: 'shop-web-green', targets: ['127.0.0.1:3002'], route: 'shop-idle.example.com' } });
  return s;
}

function put(s: Store, id: string, state: DeploymentState): Deployment {
  s.dispatch({
    op: 'deployment.put',
    deployment: {
      id,
      mta: 'shop',
      version: '2.0.0',
      state,
      modules: [{ name: 'shop-web', old_app: 'shop-web-blue', new_app: 'shop-web-green', routes: ['shop.example.com'], temp_routes: ['shop-idle.example.com'] }],
    },
  });
  return s.state.deployments.find((d) => d.id === id)!;
}

const can = (s: Store, d: Deployment) => ({ resume: canDo(s.state, d, 'resume'), abort: canDo(s.state, d, 'abort'), cleanup: canDo(s.state, d, 'cleanup') });

describe('deployment rules', () => {
  it('pending resumes or aborts; deploying and resuming only abort; ended ones neither', () => {
    const s = store();
    expect(can(s, put(s, '1', 'pending'))).toEqual({ resume: true, abort: true, cleanup: false });
    expect(can(s, put(s, '1', 'resuming'))).toEqual({ resume: false, abort: true, cleanup: false });
    // Deploying: its apps are still starting; aborting stops them.
    expect(can(s, put(s, '1', 'deploying'))).toEqual({ resume: false, abort: true, cleanup: false });
    expect(can(s, put(s, '1', 'resumed'))).toEqual({ resume: false, abort: false, cleanup: false });
    const d = put(s, '1', 'resumed');
    expect(deploymentRefusal(s.state, d, 'resume')).toBe('deployment 1 is resumed, not pending: only a pending deployment can be resumed');
    expect(deploymentRefusal(s.state, d, 'abort')).toBe('deployment 1 is resumed: only a deploying, pending or gradually resuming deployment can be aborted');
    expect(deploymentRefusal(s.state, d, 'cleanup')).toBe('deployment 1 is resumed: only an aborted or failed deployment can be cleaned up');
  });

  it('an aborted one leaves its new app and temporary route, until they are gone', () => {
    const s = store();
    const d = put(s, '1', 'aborted');
    expect(leftovers(s.state, d)).toEqual({ apps: ['shop-web-green'], routes: ['shop-idle.example.com'] });
    expect(can(s, d)).toEqual({ resume: false, abort: false, cleanup: true });
    expect(openDeployments(s.state).map((x) => x.id)).toEqual(['1']);
    s.dispatch({ op: 'kf-route.delete', route: 'shop-idle.example.com' });
    expect(leftovers(s.state, d)).toEqual({ apps: ['shop-web-green'], routes: [] });
    s.dispatch({ op: 'app.delete', app: 'shop-web-green' });
    expect(leftovers(s.state, d)).toEqual({ apps: [], routes: [] });
    expect(openDeployments(s.state)).toEqual([]);
    expect(deploymentRefusal(s.state, d, 'cleanup')).toBe('deployment 1 is aborted and cleaned up: nothing of it is left');
  });

  it('a later deployment of the same MTA takes the names over: nothing is left of the earlier one, and another waits', () => {
    const s = store();
    const first = put(s, '1', 'failed');
    expect(canDo(s.state, first, 'cleanup')).toBe(true);
    expect(deployRefusal(s.state, 'shop')).toBeNull();
    put(s, '2', 'pending');
    expect(leftovers(s.state, first)).toEqual({ apps: [], routes: [] });
    expect(deploymentRefusal(s.state, first, 'cleanup')).toBe(
      'deployment 1 of shop was followed by 2, which reuses its apps and routes: nothing of 1 is left to clean up',
    );
    expect(openDeployments(s.state).map((x) => x.id)).toEqual(['2']);
    expect(deployRefusal(s.state, 'shop')).toBe('deployment 2 of shop is still pending: resume or abort it first');
    expect(deployRefusal(s.state, 'cart')).toBeNull();
  });
});
