/**
 * Every change as a command, in three layers with no cycle: the entities of Kong's model
 * (entities.ts) ← Kf's and SAP's verbs over them (apps.ts) ← this module, which composes them
 * with a batch and the replacement of the whole state (reconciled by name).
 */
import { executeApp, putDeployment, restoreApp, type AppCommand } from './apps.js';
import { createRoute, createService, createUpstream, executeEntity, prefixed, type EntityCommand, type Fields, type Outcome } from './entities.js';
import { SwitchyardError } from './errors.js';
import { byNameOrId, emptyState, serviceLabel, type Context, type Service, type State } from './model.js';
import { reconcileByName } from './reconcile.js';
import { serviceServes, whyIdle } from './traffic.js';

export { describeRoute, describeTarget, normalizeTarget, prefixed, type EntityCommand, type Fields, type Outcome } from './entities.js';

export type Command =
  | EntityCommand
  /**
   * Replaces everything (declarative config, restore); validated like the rest, and reconciled
   * by name: what is already there keeps its id, and an identical state is no change at all.
   */
  | { readonly op: 'state.replace'; readonly state: unknown }
  /** Several commands as one change: all apply or none. */
  | { readonly op: 'batch'; readonly commands: readonly Command[]; readonly summary?: string }
  /**
   * The operator's switch (the CLI's `switch`, the UI's `s`): all of a service's traffic to one
   * existing upstream, the others kept in its split at weight 0. Unlike Kong's `PATCH host`, which
   * may name any DNS name, it must name an upstream.
   */
  | { readonly op: 'service.switch'; readonly service: string; readonly upstream: string; readonly force?: boolean }
  /** Kf's verbs over apps: push, map-route, unmap-route, start, stop, restart, delete. */
  | AppCommand;

/**
 * Rebuilds a whole State from untrusted data (a state file, a declarative config, an undo
 * snapshot) through the same commands, so it is validated exactly like single changes.
 * Errors carry the path of the bad field: `upstreams[1].targets[0].weight`.
 */
export function replaceState(raw: unknown, ctx: Context): State {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw SwitchyardError.schema({ '@entity': 'expected a record with upstreams, services and routes' });
  const doc = raw as Record<string, unknown>;
  const unknown = Object.keys(doc).filter((k) => !['upstreams', 'services', 'routes', 'apps', 'deployments'].includes(k));
  if (unknown.length) throw SwitchyardError.schema(Object.fromEntries(unknown.map((k) => [k, 'unknown field'])));
  let state: State = emptyState;
  const list = (key: string): unknown[] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw SwitchyardError.schema({ [key]: 'expected an array' });
    return v;
  };
  const at = (path: string, fn: () => Outcome) => {
    try {
      state = fn().state;
    } catch (e) {
      throw prefixed(e, path);
    }
  };
  list('upstreams').forEach((u, i) => at(`upstreams[${i}]`, () => createUpstream(state, u as Fields, ctx)));
  list('services').forEach((s, i) => at(`services[${i}]`, () => createService(state, s as Fields, ctx)));
  list('routes').forEach((r, i) => at(`routes[${i}]`, () => createRoute(state, undefined, r as Fields, ctx)));
  list('apps').forEach((a, i) => at(`apps[${i}]`, () => restoreApp(state, a as Fields, ctx)));
  list('deployments').forEach((d, i) => at(`deployments[${i}]`, () => putDeployment(state, d as Fields, { ...ctx, now: (d as { updated_at?: number }).updated_at ?? ctx.now })));
  return state;
}

function findService(state: State, key: string): Service {
  const s = byNameOrId(state.services, key);
  if (!s) throw SwitchyardError.notFound('service', key);
  return s;
}

function switchService(state: State, key: string, upstream: string, ctx: Context): Outcome {
  const s = findService(state, key);
  const u = byNameOrId(state.upstreams, upstream);
  if (!u) {
    const names = state.upstreams.map((x) => x.name);
    const choice = names.length ? `it can switch to ${names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0]}` : 'there are no upstreams yet';
    throw new SwitchyardError('invalid', `no upstream '${upstream}' to switch service ${serviceLabel(s)} to: ${choice}; nothing changed`, { upstream: `no upstream named '${upstream}'` });
  }
  return executeEntity(state, { op: 'service.update', service: s.id, fields: { host: u.name } }, ctx);
}

/**
 * The operator's traffic verbs may not stop a service that serves unless they say so (`force`):
 * a split of all zeros or a switch to an upstream with nothing to send to turns every request
 * into a 503, so the UI asks first and the CLI wants --force.
 */
function guarded(state: State, key: string, force: boolean | undefined, change: () => Outcome): Outcome {
  const outcome = change();
  if (force) return outcome;
  const before = findService(state, key);
  const after = outcome.state.services.find((s) => s.id === before.id);
  if (after === undefined || !serviceServes(state, before) || serviceServes(outcome.state, after)) return outcome;
  const why = whyIdle(outcome.state, after);
  throw new SwitchyardError(
    'confirmation required',
    `${outcome.summary} would leave service ${serviceLabel(after)} nothing to send to (${why}): every request would get 503. Nothing changed`,
    { service: serviceLabel(after), why },
  );
}

export function execute(state: State, cmd: Command, ctx: Context): Outcome {
  switch (cmd.op) {
    case 'service.switch':
      return guarded(state, cmd.service, cmd.force, () => switchService(state, cmd.service, cmd.upstream, ctx));
    case 'service.split':
      return guarded(state, cmd.service, cmd.force, () => executeEntity(state, cmd, ctx));
    case 'state.replace': {
      const next = reconcileByName(state, replaceState(cmd.state, ctx));
      const counts = `(${next.services.length} services, ${next.routes.length} routes, ${next.upstreams.length} upstreams)`;
      return { state: next, summary: next === state ? `state unchanged ${counts}` : `state replaced ${counts}` };
    }
    case 'app.push':
    case 'app.map-route':
    case 'app.unmap-route':
    case 'app.start':
    case 'app.stop':
    case 'app.restart':
    case 'app.delete':
    case 'app.rename':
    case 'kf-route.delete':
    case 'deployment.put':
      return executeApp(state, cmd, ctx);
    case 'batch': {
      let s = state;
      const lines: string[] = [];
      let entity: unknown;
      for (const c of cmd.commands) {
        const o = execute(s, c, ctx);
        s = o.state;
        entity = o.entity;
        lines.push(o.summary);
      }
      return { state: s, entity, summary: cmd.summary ?? lines.join('; ') };
    }
    default:
      return executeEntity(state, cmd, ctx);
  }
}
