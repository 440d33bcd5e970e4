/**
 * Kong's hashing fields (hash_on, hash_fallback and their parameters): the schema an upstream and
 * a service both take, their defaults, and Kong's entity checks on how they combine.
 */
import type { FieldErrors } from '../errors.js';
import { type Schema } from './field.js';
import { checkPath } from './checks.js';

/** An HTTP token (RFC 9110): a header or cookie name a hash key is read from. */
function checkToken(v: string): string | undefined {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v)
    ? undefined
    : `invalid name '${v}': use letters, digits and !#$%&'*+-.^_\`|~`;
}

/** Kong's `hash_on` values; `consumer` is refused by its check (named, not a bare "expected one of"). */
export const HASH_ON = [
  'none',
  'consumer',
  'ip',
  'header',
  'cookie',
  'path',
  'query_arg',
  'uri_capture',
] as const;
export type HashOn = (typeof HASH_ON)[number];

function checkHashOn(v: string): string | undefined {
  if (v === 'consumer')
    return "'consumer' is not supported: switchyard has no consumers (no authentication plugins); hash on 'header', 'cookie' or 'ip' instead";
  return undefined;
}

const hashOn = { type: 'string', oneOf: HASH_ON, default: 'none', check: checkHashOn } as const;
const simpleParam = {
  type: 'string',
  nullable: true,
  default: null,
  check: (v: string) => (v.length ? undefined : 'length must be at least 1'),
} as const;

/**
 * Kong's hashing fields of an upstream (kong/db/schema/entities/upstreams.lua), with Kong's
 * defaults. A service takes them too (switchyard's extension): they make its split over
 * upstreams sticky. Which combinations make sense is `checkHashing`.
 */
export const hashingSchema = {
  hash_on: hashOn,
  hash_fallback: hashOn,
  hash_on_header: { type: 'string', nullable: true, default: null, check: checkToken },
  hash_fallback_header: { type: 'string', nullable: true, default: null, check: checkToken },
  hash_on_cookie: { type: 'string', nullable: true, default: null, check: checkToken },
  hash_on_cookie_path: { type: 'string', default: '/', check: checkPath },
  hash_on_query_arg: simpleParam,
  hash_fallback_query_arg: simpleParam,
  hash_on_uri_capture: simpleParam,
  hash_fallback_uri_capture: simpleParam,
} as const satisfies Schema;

export const HASHING_FIELDS = Object.keys(hashingSchema) as readonly (keyof typeof hashingSchema)[];

export interface Hashing {
  readonly hash_on: HashOn;
  readonly hash_fallback: HashOn;
  readonly hash_on_header: string | null;
  readonly hash_fallback_header: string | null;
  readonly hash_on_cookie: string | null;
  readonly hash_on_cookie_path: string;
  readonly hash_on_query_arg: string | null;
  readonly hash_fallback_query_arg: string | null;
  readonly hash_on_uri_capture: string | null;
  readonly hash_fallback_uri_capture: string | null;
}

export const ALGORITHMS = ['round-robin', 'consistent-hashing', 'least-connections', 'latency'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Kong's defaults for every hashing field: hashing off. */
export const NO_HASHING: Hashing = Object.freeze({
  hash_on: 'none',
  hash_fallback: 'none',
  hash_on_header: null,
  hash_fallback_header: null,
  hash_on_cookie: null,
  hash_on_cookie_path: '/',
  hash_on_query_arg: null,
  hash_fallback_query_arg: null,
  hash_on_uri_capture: null,
  hash_fallback_uri_capture: null,
});

/** The hashing fields of an entity (an upstream's or a service's), defaults filled. */
export function hashingOf(e: Partial<Hashing>): Hashing {
  const out: Record<string, unknown> = {};
  for (const k of HASHING_FIELDS) out[k] = e[k] ?? NO_HASHING[k];
  return out as unknown as Hashing;
}

/**
 * Kong's entity checks on the hashing fields (upstreams.lua `entity_checks`), each refusal naming
 * the field. `algorithm` is given for an upstream: there hashing means `consistent-hashing`
 * (Kong's shorthand sets it; a hash_on beside another algorithm would do nothing, so it is refused).
 */
export function checkHashing(h: Hashing, algorithm?: Algorithm): FieldErrors {
  const errors: FieldErrors = {};
  const need = (cond: boolean, field: keyof Hashing, what: string) => {
    if (cond && (h[field] === null || h[field] === '')) errors[field] = `required when ${what}`;
  };
  need(h.hash_on === 'header', 'hash_on_header', "hash_on is 'header'");
  need(h.hash_fallback === 'header', 'hash_fallback_header', "hash_fallback is 'header'");
  need(h.hash_on === 'cookie', 'hash_on_cookie', "hash_on is 'cookie'");
  need(h.hash_fallback === 'cookie', 'hash_on_cookie', "hash_fallback is 'cookie'");
  need(h.hash_on === 'query_arg', 'hash_on_query_arg', "hash_on is 'query_arg'");
  need(h.hash_fallback === 'query_arg', 'hash_fallback_query_arg', "hash_fallback is 'query_arg'");
  need(h.hash_on === 'uri_capture', 'hash_on_uri_capture', "hash_on is 'uri_capture'");
  need(h.hash_fallback === 'uri_capture', 'hash_fallback_uri_capture', "hash_fallback is 'uri_capture'");
  if (h.hash_fallback !== 'none') {
    if (h.hash_on === 'none') errors.hash_fallback = "must be 'none' when hash_on is 'none'";
    else if (h.hash_on === 'cookie')
      errors.hash_fallback =
        "must be 'none' when hash_on is 'cookie' (a request without the cookie is given one)";
    else if (h.hash_fallback === h.hash_on && (h.hash_on === 'ip' || h.hash_on === 'path'))
      errors.hash_fallback = `must differ from hash_on ('${h.hash_on}')`;
  }
  const distinct = (a: keyof Hashing, b: keyof Hashing) => {
    if (h[a] !== null && h[a] === h[b] && errors[b] === undefined)
      errors[b] = `must differ from ${a} ('${String(h[a])}')`;
  };
  distinct('hash_on_header', 'hash_fallback_header');
  distinct('hash_on_query_arg', 'hash_fallback_query_arg');
  distinct('hash_on_uri_capture', 'hash_fallback_uri_capture');
  if (
    algorithm !== undefined &&
    algorithm !== 'consistent-hashing' &&
    h.hash_on !== 'none' &&
    errors.hash_on === undefined
  ) {
    errors.hash_on = `must be 'none' unless algorithm is 'consistent-hashing' (algorithm is '${algorithm}')`;
  }
  return errors;
}
