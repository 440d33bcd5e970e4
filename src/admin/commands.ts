/**
 * `POST /commands`: a core command as JSON, run as it is. This is how the CLI's traffic verbs
 * reach a running instance, so the verb, its checks and its summary are core's, with no
 * translation into Kong's REST calls on the way (those stay for Kong's own clients). Only the
 * operator's verbs are taken; everything in them is validated by the command itself.
 */
import type { Command } from '../core/commands.js';
import { SwitchyardError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import { HttpError, type Reply } from './kong.js';

/** The commands a client may send: the operator's traffic verbs. */
const REMOTE_OPS: ReadonlySet<string> = new Set(['service.split', 'service.switch']);

function commandOf(body: Record<string, unknown>): Command {
  const c = body.command;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new HttpError(400, { message: 'expected {"command": {"op": …}}' });
  const op = (c as { op?: unknown }).op;
  if (typeof op !== 'string' || !REMOTE_OPS.has(op)) {
    throw new HttpError(400, { message: `unknown command op ${JSON.stringify(op)}; one of: ${[...REMOTE_OPS].join(', ')}` });
  }
  const { service, upstream, split, force, hashing } = c as Record<string, unknown>;
  if (typeof service !== 'string') throw new HttpError(400, { message: `${op}: "service" must be a string` });
  if (force !== undefined && typeof force !== 'boolean') throw new HttpError(400, { message: `${op}: "force" must be true or false` });
  if (op === 'service.switch') {
    if (typeof upstream !== 'string') throw new HttpError(400, { message: `${op}: "upstream" must be a string` });
    return { op, service, upstream, force };
  }
  if (!Array.isArray(split)) throw new HttpError(400, { message: `${op}: "split" must be a list of {name, weight}` });
  // Each entry is checked against the split's schema by the command itself.
  if (hashing !== undefined && (typeof hashing !== 'object' || hashing === null || Array.isArray(hashing))) {
    throw new HttpError(400, { message: `${op}: "hashing" must be an object of Kong's hashing fields` });
  }
  // The hashing fields (`--sticky`) are checked by the command too, as a PATCH of them would be.
  return { op: 'service.split', service, split, force, ...(hashing !== undefined ? { hashing: hashing as Record<string, unknown> } : {}) };
}

/** Runs the command; a missing service is named (this is switchyard's endpoint, not Kong's bare 404). */
export function runCommand(store: Store, body: Record<string, unknown>): Reply {
  try {
    const outcome = store.dispatch(commandOf(body), 'admin');
    return { status: 200, body: { summary: outcome.summary } };
  } catch (e) {
    if (e instanceof SwitchyardError && e.code === 'not found') throw new HttpError(404, { message: e.message });
    throw e;
  }
}
