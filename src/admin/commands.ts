/**
 * `POST /commands`: one of the operator's core commands as JSON, run as it is. This is how every
 * CLI verb reaches a running instance (split, switch, weight, add-target, remove-target, undo and
 * Kf's push, map-route, unmap-route, start, stop, restart, delete), so the verb, its checks, its
 * summary and its errors are core's, with no translation into Kong's REST calls on the way (those
 * stay for Kong's own clients). Here only the command's shape is checked (which op, which keys,
 * of which JSON type); what the values mean is checked by the command itself.
 *
 * Answer: `{ summary, entity }`, core's outcome without the state. Refusal: core's error with
 * the admin API's status codes (400, 409, 404), a 404 naming what is missing (this is
 * switchyard's endpoint, not Kong's bare `Not found`).
 */
import type { Command } from '../core/commands.js';
import { SwitchyardError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { HttpError, type Reply } from './kong.js';

/** What a key of a command holds; `?` marks one that may be left out. */
type Kind = 'string' | 'object' | 'list' | 'boolean' | 'any';
type Shape = Readonly<Record<string, Kind | `${Kind}?`>>;

const APP: Shape = { app: 'string' };

/** The operator's commands a client may send, each with its keys. */
const SHAPES: Readonly<Record<string, Shape>> = {
  'service.split': { service: 'string', split: 'list', hashing: 'object?', force: 'boolean?' },
  'service.switch': { service: 'string', upstream: 'string', force: 'boolean?' },
  'target.create': { upstream: 'string', fields: 'object' },
  'target.update': { upstream: 'string', target: 'string', fields: 'object' },
  'target.delete': { upstream: 'string', target: 'string' },
  'app.push': { fields: 'object' },
  // The weight is checked (and its text read) by the command, as the form field would be.
  'app.map-route': { app: 'string', route: 'string', weight: 'any?' },
  'app.unmap-route': { app: 'string', route: 'string' },
  'app.start': APP,
  'app.stop': APP,
  'app.restart': APP,
  'app.delete': APP,
  undo: {},
};

const SAY: Readonly<Record<Kind, string>> = {
  string: 'a string',
  object: 'an object',
  list: 'a list',
  boolean: 'true or false',
  any: 'a value',
};

function kindOf(v: unknown): Kind {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object' && v !== null) return 'object';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  return 'any';
}

/** The command in the body, its shape checked: a 400 naming the op or key that is wrong. */
export function commandOf(body: Record<string, unknown>): Command | { readonly op: 'undo' } {
  const c = body.command;
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new HttpError(400, { message: 'expected {"command": {"op": …}}' });
  const { op, ...rest } = c as Record<string, unknown>;
  const shape = typeof op === 'string' && Object.hasOwn(SHAPES, op) ? SHAPES[op] : undefined;
  if (!shape)
    throw new HttpError(400, {
      message: `unknown command op ${JSON.stringify(op)}; one of: ${Object.keys(SHAPES).join(', ')}`,
    });
  const unknown = Object.keys(rest).filter((k) => !Object.hasOwn(shape, k));
  if (unknown.length)
    throw new HttpError(400, {
      message: `${op}: unknown ${unknown.map((k) => `"${k}"`).join(', ')}; it takes ${
        Object.keys(shape)
          .map((k) => `"${k}"`)
          .join(', ') || 'nothing else'
      }`,
    });
  for (const [key, spec] of Object.entries(shape)) {
    const optional = spec.endsWith('?');
    const kind = spec.replace('?', '') as Kind;
    const v = rest[key];
    if (v === undefined && optional) continue;
    if (v === undefined || (kind !== 'any' && kindOf(v) !== kind))
      throw new HttpError(400, { message: `${op}: "${key}" must be ${SAY[kind]}` });
  }
  return c as Command;
}

/** Runs the command as the admin API's change: saved, undoable, applied, seen by the UI. */
export function runCommand(store: Store, body: Record<string, unknown>): Reply {
  const command = commandOf(body);
  try {
    const outcome = command.op === 'undo' ? store.undo('admin') : store.dispatch(command, 'admin');
    return { status: 200, body: { summary: outcome.summary, entity: outcome.entity ?? null } };
  } catch (e) {
    if (e instanceof SwitchyardError && e.code === 'not found')
      throw new HttpError(404, { message: e.message });
    throw e;
  }
}
