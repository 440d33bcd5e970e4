/**
 * The Kong Admin API dialect: how bodies are read (JSON, form-encoded with Kong's nested keys,
 * multipart), how entities are written back, and how core errors become Kong's status codes and
 * error bodies (kong/api/api_helpers.lua, kong/api/endpoints.lua, kong/db/errors.lua).
 */
import type http from 'node:http';
import { SwitchyardError } from '../core/errors.js';
import type { Route, Service, Target, Upstream } from '../core/model.js';
import { serviceSchema, type Schema } from '../core/schema.js';

/** Kong's request bodies are small; anything bigger is a mistake or an attack. */
export const MAX_BODY = 1024 * 1024;

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

/** A response the admin server writes: `body` as JSON, or `text` as is; 204 has neither. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One request as a handler sees it: the path's `:params` decoded. */
export interface Ctx {
  readonly req: http.IncomingMessage;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
}

export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

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

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** PUT's key: a UUID is the id, anything else the name (Kong's endpoint_key). */
export function keyFields(key: string, field: 'name' | 'target'): Record<string, string> {
  return UUID_RE.test(key) ? { id: key } : { [field]: key };
}

// ---------------------------------------------------------------------------------------------
// Paging

/**
 * Kong's paging: `size` (1..1000, default 100), an opaque `offset`, and `tags=a,b` (all of) or
 * `tags=a/b` (any of). `next` is built as kong/api/endpoints.lua builds it: a top-level
 * collection carries offset, tags and size; a nested one (`/services/{s}/routes`,
 * `/upstreams/{u}/targets`) only the offset, under the parent as the URL named it.
 */
export function page(items: readonly unknown[], url: URL, nested = false): Reply {
  const q = url.searchParams;
  let list = items;
  const tags = q.get('tags');
  if (tags !== null) {
    if (tags === '') {
      throw new HttpError(400, {
        code: KONG_CODES['invalid options'],
        name: 'invalid options',
        message: 'invalid option (tags: cannot be null)',
        options: { tags: 'cannot be null' },
      });
    }
    const any = tags.includes('/');
    const wanted = tags.split(any ? '/' : ',');
    list = list.filter((e) => {
      const have = (e as { tags?: readonly string[] | null }).tags ?? [];
      return any ? wanted.some((t) => have.includes(t)) : wanted.every((t) => have.includes(t));
    });
  }
  let size = 100;
  const rawSize = q.get('size');
  if (rawSize !== null) {
    size = Number(rawSize);
    if (!Number.isInteger(size) || size < 1 || size > 1000) {
      const message = Number.isNaN(size) ? 'size must be a number' : 'size must be an integer between 1 and 1000';
      throw new HttpError(400, { code: KONG_CODES['invalid size'], name: 'invalid size', message });
    }
  }
  let start = 0;
  const rawOffset = q.get('offset');
  if (rawOffset !== null && rawOffset !== '') {
    const bad = (why: string) =>
      new HttpError(400, {
        code: KONG_CODES['invalid offset'],
        name: 'invalid offset',
        message: `'${rawOffset}' is not a valid offset: ${why}`,
      });
    // Node decodes any string as base64; Kong's decoder refuses what is not base64.
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(rawOffset) || rawOffset.replace(/=+$/, '').length % 4 === 1) throw bad('bad base64 encoding');
    const decoded = Buffer.from(rawOffset, 'base64url').toString('utf8');
    start = /^\d+$/.test(decoded) ? Number(decoded) : NaN;
    if (!Number.isInteger(start) || start > list.length) throw bad('bad offset string');
  }
  const data = list.slice(start, start + size);
  if (start + size >= list.length) return { status: 200, body: { data, next: null } };
  const offset = Buffer.from(String(start + size)).toString('base64url');
  const path = url.pathname.replace(/(.)\/+$/, '$1');
  let next = `${path}?offset=${encodeURIComponent(offset)}`;
  if (!nested) {
    if (tags !== null) next += `&tags=${encodeURIComponent(tags)}`;
    if (rawSize !== null) next += `&size=${rawSize}`;
  }
  return { status: 200, body: { data, offset, next } };
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/** Reads the whole body, refusing more than `limit` bytes without buffering them. */
export function readBody(req: http.IncomingMessage, limit = MAX_BODY): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, { message: 'request body too large' });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that hangs up mid-body must not leave the handler waiting forever.
    req.on('close', () => {
      if (!req.complete) reject(new HttpError(400, { message: 'request body incomplete' }));
    });
  });
}

type Segment = string | number | null;

/**
 * `upstreams[1].name` → ['upstreams', 1, 'name'], `hosts[]` → ['hosts', null] (append), as
 * Kong's `key_to_path`. A key outside that grammar is one plain field name.
 */
function keyPath(key: string): Segment[] {
  if (!/^[^.[\]]+(\.[^.[\]]+|\[\d*\])*$/.test(key)) return [key];
  const out: Segment[] = [];
  for (const m of key.matchAll(/\[(\d*)\]|([^.[\]]+)/g)) {
    if (m[2] !== undefined) out.push(m[2]);
    else out.push(m[1] === '' ? null : Number(m[1]));
  }
  return out;
}

const ARRAY = Symbol('array');
type Node = { [k: string]: unknown; [ARRAY]?: true };

function container(array: boolean): Node {
  // Null prototype: form keys such as `__proto__[x]` must stay plain data.
  const n = Object.create(null) as Node;
  if (array) n[ARRAY] = true;
  return n;
}

function nextIndex(n: Node): number {
  let max = 0;
  for (const k of Object.keys(n)) max = Math.max(max, Number(k) || 0);
  return max + 1;
}

/** Sparse `{1: a, 3: b}` → `[a, b]`, objects → plain objects, recursively. */
function finish(v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const n = v as Node;
  if (n[ARRAY]) {
    return Object.keys(n)
      .map(Number)
      .sort((a, b) => a - b)
      .map((k) => finish(n[k]));
  }
  return Object.fromEntries(Object.keys(n).map((k) => [k, finish(n[k])]));
}

/**
 * Form fields → an object as Kong builds it: `hosts=a&hosts=b` and `hosts[]=a&hosts[]=b` are
 * arrays, `service.id=x` is `{service: {id: x}}`, `upstreams[1].weight=80` is an array of
 * records, and an empty value is null (how a form clears a field).
 */
export function formToObject(entries: Iterable<readonly [string, string]>): Record<string, unknown> {
  const root = container(false);
  for (const [key, raw] of entries) {
    const value = raw === '' ? null : raw;
    const path = keyPath(key);
    let node = root;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i] as Segment;
      const k = String(seg === null ? nextIndex(node) : seg);
      const last = i === path.length - 1;
      if (last) {
        const prev = node[k];
        if (prev === undefined) node[k] = value;
        else if (Array.isArray(prev)) prev.push(value);
        else if (typeof prev !== 'object' || prev === null) node[k] = [prev, value];
        break;
      }
      const wantArray = typeof path[i + 1] !== 'string';
      const child = node[k];
      if (typeof child === 'object' && child !== null && !Array.isArray(child)) node = child as Node;
      else {
        const made = container(wantArray);
        node[k] = made;
        node = made;
      }
    }
  }
  return finish(root) as Record<string, unknown>;
}

/**
 * The body of a POST/PUT/PATCH as an object. Kong accepts JSON, form-encoded and multipart;
 * anything else with a body is 415, and a JSON body that does not parse is 400.
 */
export async function parseBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return parseBodyOf(await readBody(req), req.headers['content-type']);
}

/** parseBody for a body already read. */
export async function parseBodyOf(buf: Buffer, contentType: string | undefined): Promise<Record<string, unknown>> {
  const type = (contentType ?? '').toLowerCase();
  if (type === '') {
    if (buf.length === 0) return {};
    throw new HttpError(415, { message: 'Unsupported Media Type' });
  }
  if (type.startsWith('application/json')) {
    let v: unknown;
    try {
      v = JSON.parse(buf.toString('utf8'));
    } catch {
      throw new HttpError(400, { message: 'Cannot parse JSON body' });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw SwitchyardError.schema({ '@entity': 'expected a record' });
    return v as Record<string, unknown>;
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return formToObject(new URLSearchParams(buf.toString('utf8')));
  }
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      // The boundary is case-sensitive: the header as sent, not lower-cased.
      form = await new Response(new Uint8Array(buf), { headers: { 'content-type': contentType as string } }).formData();
    } catch {
      throw new HttpError(400, { message: 'Cannot parse multipart body' });
    }
    const entries: [string, string][] = [];
    for (const [k, v] of form.entries()) entries.push([k, typeof v === 'string' ? v : await v.text()]);
    return formToObject(entries);
  }
  throw new HttpError(415, { message: 'Unsupported Media Type' });
}

/**
 * What PUT (Kong's upsert) resets: every field the body leaves out goes back to its default, or
 * null where it may be null, so the entity ends up exactly as the body describes it.
 */
export function replaceFields(
  schema: Schema,
  body: Record<string, unknown>,
  keep: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [key, field] of Object.entries(schema)) {
    if (keep.includes(key) || key in out) continue;
    if ('default' in field && field.default !== undefined)
      out[key] = Array.isArray(field.default) ? [...(field.default as unknown[])] : field.default;
    else if ('nullable' in field && field.nullable) out[key] = null;
  }
  return out;
}

/**
 * A service's fields for PUT (an upsert that replaces): what the body leaves out is reset, except
 * that with `url`, host/port/path/protocol come from it. Without host, url or a split there is no
 * host: Kong counts that as `host: required field missing`, beside the body's own errors.
 */
export function serviceReplacement(body: Record<string, unknown>): Record<string, unknown> {
  const hasUrl = body.url !== undefined;
  const keep = ['id', 'created_at', 'updated_at', 'name', 'url', 'upstreams', ...(hasUrl ? ['host', 'port', 'path', 'protocol'] : [])];
  const fields = replaceFields(serviceSchema, body, keep);
  delete fields.id;
  const split = Array.isArray(body.upstreams) && body.upstreams.length > 0;
  if (body.host === undefined && !hasUrl && !split) fields.host = null;
  fields.upstreams ??= [];
  return fields;
}

// ---------------------------------------------------------------------------------------------
// Entities as Kong returns them

export function upstreamJson(u: Upstream): Omit<Upstream, 'targets'> {
  // Kong's upstream has no targets field: they live under /upstreams/{u}/targets.
  const { targets: _targets, ...rest } = u;
  return rest;
}

export function targetJson(t: Target, u: Upstream): Record<string, unknown> {
  return {
    id: t.id,
    target: t.target,
    weight: t.weight,
    upstream: { id: u.id },
    created_at: t.created_at,
    tags: t.tags,
  };
}

export function serviceJson(s: Service): Service {
  return s;
}

export function routeJson(r: Route): Route {
  return r;
}

// ---------------------------------------------------------------------------------------------
// Errors

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
      if (typeof child === 'object' && child !== null && !Array.isArray(child)) node = child as Record<string, unknown>;
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
    body: { code: KONG_CODES[code], name: code, message: e.message, fields: e.document ? e.fields : kongFields(e.fields) },
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
