/**
 * The commands over Kong's entities (upstreams, targets, services, routes), the bottom layer of
 * commands.ts. Every change to the state is a command: a pure function from a State to a new State, or a
 * SwitchyardError. Nothing here does I/O; ids and time come in through the Context. A command
 * that fails throws before anything is built, and the caller keeps the old State untouched.
 *
 * This module is the layer's door: the command type and its dispatch. The commands themselves
 * are in `entities/` (`upstreams.ts` with their targets, `services.ts`, `routes.ts`, and
 * `common.ts`: what they share).
 */
import type { Hashing } from './schema.js';
import type { Context, SplitEntry, State } from './model.js';
import type { Fields, Outcome } from './entities/common.js';
import { createRoute, deleteRoute, updateRoute } from './entities/routes.js';
import { createService, deleteService, updateService } from './entities/services.js';
import {
  createTarget,
  createUpstream,
  deleteTarget,
  deleteUpstream,
  markTarget,
  updateTarget,
  updateUpstream,
} from './entities/upstreams.js';

export { normalizeTarget, prefixed, type Fields, type Outcome } from './entities/common.js';
export { createUpstream } from './entities/upstreams.js';
export { createService, describeTarget } from './entities/services.js';
export { createRoute, describeRoute } from './entities/routes.js';

export type EntityCommand =
  | { readonly op: 'upstream.create'; readonly fields: Fields }
  | { readonly op: 'upstream.update'; readonly upstream: string; readonly fields: Fields }
  | { readonly op: 'upstream.delete'; readonly upstream: string }
  | { readonly op: 'target.create'; readonly upstream: string; readonly fields: Fields }
  | {
      readonly op: 'target.update';
      readonly upstream: string;
      readonly target: string;
      readonly fields: Fields;
    }
  /** Kong's manual health: the operator's verdict on a target, kept in the state. */
  | {
      readonly op: 'target.health';
      readonly upstream: string;
      readonly target: string;
      readonly verdict: 'healthy' | 'unhealthy';
    }
  | { readonly op: 'target.delete'; readonly upstream: string; readonly target: string }
  | { readonly op: 'service.create'; readonly fields: Fields }
  | { readonly op: 'service.update'; readonly service: string; readonly fields: Fields }
  | { readonly op: 'service.delete'; readonly service: string }
  | { readonly op: 'route.create'; readonly service?: string; readonly fields: Fields }
  | { readonly op: 'route.update'; readonly route: string; readonly fields: Fields }
  | { readonly op: 'route.delete'; readonly route: string }
  /** The split of a service over upstreams, by name: what the ratio slider and `map-route` edit. */
  /** `hashing`: Kong's hashing fields for the split (`--sticky`), checked as a PATCH of them would be. */
  | {
      readonly op: 'service.split';
      readonly service: string;
      readonly split: readonly SplitEntry[];
      readonly hashing?: Readonly<Fields> | Hashing;
      readonly force?: boolean;
    };

export function executeEntity(state: State, cmd: EntityCommand, ctx: Context): Outcome {
  switch (cmd.op) {
    case 'upstream.create':
      return createUpstream(state, cmd.fields, ctx);
    case 'upstream.update':
      return updateUpstream(state, cmd.upstream, cmd.fields, ctx);
    case 'upstream.delete':
      return deleteUpstream(state, cmd.upstream);
    case 'target.create':
      return createTarget(state, cmd.upstream, cmd.fields, ctx);
    case 'target.update':
      return updateTarget(state, cmd.upstream, cmd.target, cmd.fields, ctx);
    case 'target.delete':
      return deleteTarget(state, cmd.upstream, cmd.target, ctx);
    case 'target.health':
      return markTarget(state, cmd.upstream, cmd.target, cmd.verdict);
    case 'service.create':
      return createService(state, cmd.fields, ctx);
    case 'service.update':
      return updateService(state, cmd.service, cmd.fields, ctx);
    case 'service.delete':
      return deleteService(state, cmd.service);
    case 'service.split':
      return updateService(
        state,
        cmd.service,
        { ...((cmd.hashing ?? {}) as Fields), upstreams: cmd.split },
        ctx,
      );
    case 'route.create':
      return createRoute(state, cmd.service, cmd.fields, ctx);
    case 'route.update':
      return updateRoute(state, cmd.route, cmd.fields, ctx);
    case 'route.delete':
      return deleteRoute(state, cmd.route);
  }
}
