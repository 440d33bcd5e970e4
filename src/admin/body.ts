/**
 * Request bodies as Kong reads them (kong/api/arguments.lua): JSON, form-encoded with Kong's
 * nested keys (`service.id`, `hosts[]`, `upstreams[1].weight`), multipart; size-limited.
 */
import type http from 'node:http';
import { SwitchyardError } from '../core/errors.js';
import { HttpError } from './kong.js';

/** Kong's request bodies are small; anything bigger is a mistake or an attack. */
export const MAX_BODY = 1024 * 1024;

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
export async function parseBodyOf(
  buf: Buffer,
  contentType: string | undefined,
): Promise<Record<string, unknown>> {
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
      form = await new Response(new Uint8Array(buf), {
        headers: { 'content-type': contentType as string },
      }).formData();
    } catch {
      throw new HttpError(400, { message: 'Cannot parse multipart body' });
    }
    const entries: [string, string][] = [];
    for (const [k, v] of form.entries()) entries.push([k, typeof v === 'string' ? v : await v.text()]);
    return formToObject(entries);
  }
  throw new HttpError(415, { message: 'Unsupported Media Type' });
}
