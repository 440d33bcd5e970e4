/**
 * The MTA's placeholders as the deploy service resolves them: `${name}` from the module's
 * parameters, its defaults, the descriptor's parameters and the deploy service's globals (lazily,
 * a cycle named), and `~{group/prop}` references to what required modules and resources provide.
 */
import { randomBytes } from 'node:crypto';
import type { FieldErrors } from '../core/errors.js';
import { isObj, type Obj } from './descriptor.js';

/** Thrown inside resolution with the reason; caught and filed under the field's path. */
export class Bad extends Error {}

export const PLACEHOLDER = /\$\{([^}]+)\}/g;
export const REFERENCE = /~\{([^}]+)\}/g;

/**
 * `${name}` in strings (deep), by `lookup`. A value that is one whole placeholder takes the
 * looked-up value as it is (a number stays a number), as the deploy service does.
 */
export function substitute(v: unknown, pattern: RegExp, lookup: (name: string) => unknown): unknown {
  if (typeof v === 'string') {
    const whole = new RegExp(`^${pattern.source}$`).exec(v);
    if (whole) return lookup(whole[1]!.trim());
    return v.replace(pattern, (_, name: string) => text(lookup(name.trim())));
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, pattern, lookup));
  if (isObj(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, pattern, lookup)]));
  return v;
}

/** An environment variable's text: strings as they are, other values as JSON (as the deploy service sets them). */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : JSON.stringify(v);
}

export type Lookup = (name: string) => unknown;
export type Defaults = Record<string, () => unknown>;

/** The deploy service's global placeholders, as far as they mean something locally. */
export function globalDefaults(id: unknown, version: unknown, defaultDomain: string): Defaults {
  const generated = new Map<string, string>();
  const gen = (key: string, bytes: number) => {
    if (!generated.has(key)) generated.set(key, randomBytes(bytes).toString('hex'));
    return generated.get(key)!;
  };
  return {
    'default-domain': () => defaultDomain,
    domain: () => defaultDomain,
    protocol: () => 'http',
    org: () => 'local',
    space: () => 'local',
    user: () => process.env.USER ?? 'local',
    'mta-id': () => id,
    'mta-version': () => version ?? null,
    'generated-password': () => gen('password', 12),
    'generated-user': () => gen('user', 6),
  };
}

/**
 * Scopes over the descriptor's parameters (`global`) and the globals: `scopeOf(params, defaults)`
 * resolves `${…}` in a module's (or resource's) parameters, lazily and with cycles named.
 */
export function scopes(global: Obj, globals: Defaults): (params: Obj, defaults: Defaults) => Lookup {
  return (params, defaults) => {
    const done = new Map<string, unknown>();
    const busy = new Set<string>();
    const lookup = (name: string): unknown => {
      if (done.has(name)) return done.get(name);
      if (busy.has(name)) throw new Bad(`placeholder \${${name}} refers to itself`);
      busy.add(name);
      let v: unknown;
      try {
        if (name in params) v = substitute(params[name], PLACEHOLDER, lookup);
        else if (name in defaults) v = defaults[name]!();
        else if (name in global) v = substitute(global[name], PLACEHOLDER, lookup);
        else if (name in globals) v = globals[name]!();
        else throw new Bad(`unknown placeholder \${${name}}`);
      } finally {
        busy.delete(name);
      }
      done.set(name, v);
      return v;
    };
    return lookup;
  };
}

/** `${…}` in `v` resolved by `lookup`; a placeholder that cannot resolve is filed in `problems` under `at`. */
export function resolveAt(problems: FieldErrors, at: string, v: unknown, lookup: Lookup): unknown {
  try {
    return substitute(v, PLACEHOLDER, lookup);
  } catch (e) {
    if (!(e instanceof Bad)) throw e;
    problems[at] = e.message;
    return undefined;
  }
}
