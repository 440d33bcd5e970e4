/**
 * Kong's paging of a collection (kong/api/endpoints.lua: page_collection, get_page_size, the
 * `next` link): `size`, the opaque `offset`, `tags` filters, and their error bodies.
 */
import { HttpError, KONG_CODES, type Reply } from './kong.js';

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
      const message = Number.isNaN(size)
        ? 'size must be a number'
        : 'size must be an integer between 1 and 1000';
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
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(rawOffset) || rawOffset.replace(/=+$/, '').length % 4 === 1)
      throw bad('bad base64 encoding');
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
