/**
 * The Kong Admin API dialect's replies: the reply a handler returns, and how core errors become
 * Kong's status codes and error bodies (kong/api/endpoints.lua handle_error, kong/db/errors.lua).
 */
import { SwitchyardError } from '../core/errors.js';
import type { Handler, Reply } from './router.js';

/** Kong's numeric error codes (kong/db/errors.lua). */
export const KONG_CODES = {
  'schema violation': 2,
  'foreign key violation': 4,
  'unique constraint violation': 5,
  'not found': 6,
  'invalid offset': 7,
  'invalid size': 9,
  'invalid options': 11,
  'foreign keys unresolved': 13,
} as const;

export type { Reply } from './router.js';

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const created = (body: unknown): Reply => ({ status: 201, body });
export const noContent: Reply = { status: 204 };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(
      typeof body === 'object' && body !== null && 'message' in body
        ? String(body.message)
        : `HTTP ${status}`,
    );
  }
}

export const notFound = (): HttpError => new HttpError(404, { message: 'Not found' });
export const methodNotAllowed = (): HttpError => new HttpError(405, { message: 'Method not allowed' });

/** For switchyard's own endpoints (not Kong's): what is missing is named in the 404. */
export function namingMissing<P extends string>(handler: Handler<P>): Handler<P> {
  return async (ctx) => {
    try {
      return await handler(ctx);
    } catch (e) {
      if (e instanceof SwitchyardError && e.code === 'not found')
        throw new HttpError(404, { message: e.message });
      throw e;
    }
  };
}

/**
 * Core's flat field errors in Kong's shape: `@entity` is a list, an element of a list of values
 * (`protocols[0]`) an entry of that list, and a record's field (`service.name`) nests
 * (`{service: {name}}`). Deeper paths through lists (`upstreams[0].name`) stay as they are.
 */
export function kongFields(fields: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === '@entity') {
      out[key] = [value];
      continue;
    }
    const element = /^([^.[\]]+)\[(\d+)\]$/.exec(key);
    if (element) {
      // An element of a list of values: Kong's `{protocols: ["expected one of: …"]}`.
      const list = Array.isArray(out[element[1] as string]) ? (out[element[1] as string] as unknown[]) : [];
      list[Number(element[2])] = value;
      out[element[1] as string] = Array.from(list, (v) => v ?? null);
      continue;
    }
    if (key.includes('[') || !key.includes('.')) {
      out[key] = value;
      continue;
    }
    const path = key.split('.');
    let node = out;
    for (const seg of path.slice(0, -1)) {
      const child = node[seg];
      if (typeof child === 'object' && child !== null && !Array.isArray(child))
        node = child as Record<string, unknown>;
      else node = node[seg] = {};
    }
    node[path[path.length - 1] as string] = value;
  }
  return out;
}

/** A core error (or anything thrown) → Kong's status and body. */
export function errorReply(e: unknown): Reply {
  if (e instanceof HttpError) return { status: e.status, body: e.body };
  if (!(e instanceof SwitchyardError))
    return { status: 500, body: { message: 'An unexpected error occurred' } };
  const kong = (status: number, code: keyof typeof KONG_CODES): Reply => ({
    status,
    // A file's errors are paths into the file, one level each (`consumers[0]`, `services[0].routes[1].paths[0]`).
    body: {
      code: KONG_CODES[code],
      name: code,
      message: e.message,
      fields: e.document ? e.fields : kongFields(e.fields),
    },
  });
  switch (e.code) {
    case 'schema violation':
    case 'foreign key violation':
    case 'foreign keys unresolved':
      return kong(400, e.code);
    case 'unique constraint violation':
      return kong(409, e.code);
    case 'not found':
      return { status: 404, body: { message: 'Not found' } };
    case 'invalid':
      return { status: 400, body: { message: e.message } };
    case 'confirmation required':
      // Not Kong's: a switchyard verb that would stop a service; sent again with `force` it applies.
      return { status: 409, body: { name: e.code, message: e.message } };
  }
}
