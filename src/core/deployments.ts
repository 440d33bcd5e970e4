/**
 * The rules of a blue-green deployment's life, in one place: which deployments are open, what
 * may be done to one (start, resume, abort, clean up) and what an aborted or failed one left
 * behind. The deployer enforces them, the UI shows only the keys they allow and refuses with
 * their words, and the admin API and the CLI report what they say.
 */
import { findKfRoute, parseRoute } from './apps.js';
import type { Deployment, State } from './model.js';

export type DeploymentAction = 'resume' | 'abort' | 'cleanup';

/** Deployments still under way or waiting for a decision: another of the same MTA waits until they end. */
export function inProgress(d: Deployment): boolean {
  return d.state === 'deploying' || d.state === 'pending' || d.state === 'resuming';
}

/** A later deployment of the same MTA, which reuses this one's colour and temporary routes. */
export function supersededBy(state: State, d: Deployment): Deployment | undefined {
  const i = state.deployments.findIndex((x) => x.id === d.id);
  return i === -1 ? undefined : state.deployments.slice(i + 1).find((x) => x.mta === d.mta);
}

function routeExists(state: State, route: string): boolean {
  try {
    return findKfRoute(state, parseRoute(route)) !== undefined;
  } catch {
    return false;
  }
}

/** The deployment's temporary routes that still exist. */
export function tempRoutesLeft(state: State, d: Deployment): string[] {
  return d.modules.flatMap((m) => m.temp_routes.filter((r) => routeExists(state, r)));
}

/** What an aborted or failed deployment left: its new apps and temporary routes that still exist. */
export interface Leftovers {
  readonly apps: readonly string[];
  readonly routes: readonly string[];
}

const NOTHING: Leftovers = { apps: [], routes: [] };

/**
 * The new apps and temporary routes an aborted or failed deployment left behind, which cleaning
 * up deletes. Nothing once a later deployment of the same MTA exists: the names are its own then.
 */
export function leftovers(state: State, d: Deployment): Leftovers {
  if (d.state !== 'aborted' && d.state !== 'failed') return NOTHING;
  if (supersededBy(state, d)) return NOTHING;
  return {
    apps: d.modules.map((m) => m.new_app).filter((a) => state.apps.some((x) => x.name === a)),
    routes: tempRoutesLeft(state, d),
  };
}

export function hasLeftovers(state: State, d: Deployment): boolean {
  const l = leftovers(state, d);
  return l.apps.length > 0 || l.routes.length > 0;
}

/** The deployments that need a decision or a cleanup: under way, or aborted/failed with leftovers. */
export function openDeployments(state: State): Deployment[] {
  return state.deployments.filter((d) => inProgress(d) || hasLeftovers(state, d));
}

/** Why a new deployment of `mta` cannot start now, or null when it can. */
export function deployRefusal(state: State, mta: string): string | null {
  const busy = state.deployments.find((d) => d.mta === mta && inProgress(d));
  return busy ? `deployment ${busy.id} of ${mta} is still ${busy.state}: resume or abort it first` : null;
}

/** Why `action` cannot be done to the deployment now, or null when it can. */
export function deploymentRefusal(state: State, d: Deployment, action: DeploymentAction): string | null {
  switch (action) {
    case 'resume':
      return d.state === 'pending' ? null : `deployment ${d.id} is ${d.state}, not pending: only a pending deployment can be resumed`;
    case 'abort':
      // A deployment still starting its apps can be aborted too: nothing is stuck waiting for it.
      return d.state === 'pending' || d.state === 'resuming' || d.state === 'deploying'
        ? null
        : `deployment ${d.id} is ${d.state}: only a deploying, pending or gradually resuming deployment can be aborted`;
    case 'cleanup': {
      if (d.state !== 'aborted' && d.state !== 'failed') return `deployment ${d.id} is ${d.state}: only an aborted or failed deployment can be cleaned up`;
      const later = supersededBy(state, d);
      if (later) return `deployment ${d.id} of ${d.mta} was followed by ${later.id}, which reuses its apps and routes: nothing of ${d.id} is left to clean up`;
      return hasLeftovers(state, d) ? null : `deployment ${d.id} is ${d.state} and cleaned up: nothing of it is left`;
    }
  }
}

/** Whether `action` can be done to the deployment now. */
export function canDo(state: State, d: Deployment, action: DeploymentAction): boolean {
  return deploymentRefusal(state, d, action) === null;
}
