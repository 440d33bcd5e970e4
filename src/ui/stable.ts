/**
 * Keeping a value's identity while its content stays the same. Every stats sample is a new
 * object, and so is every row and segment made from it; without this each pane, each line and
 * then Ink (layout, output, GC) would do the whole frame again four times a second even when no
 * number on screen moved. With it, memoised panes and lines are skipped when what they show is
 * unchanged, and a frame in which nothing changed commits nothing, so Ink does not draw it.
 */
import { useState } from 'react';

/**
 * Structural equality over plain data: primitives, arrays and plain objects, key by key; anything
 * else (functions, class instances, typed arrays) by identity.
 */
export function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(a) as unknown;
  if (proto !== Object.getPrototypeOf(b) || (proto !== Object.prototype && proto !== null)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka)
    if (!Object.hasOwn(b, k) || !same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  return true;
}

/** The last value a useStable() returned, kept across renders. */
class Kept<T> {
  private value: T;
  constructor(first: T) {
    this.value = first;
  }
  /** `v`, or the value kept when it is the same() as `v`. */
  keep(v: T): T {
    if (!same(this.value, v)) this.value = v;
    return this.value;
  }
}

/**
 * `value`, or the one this hook returned last time when that is the same() as `value`: what it
 * returns is always equal to `value`, so a render that React throws away cannot make it wrong.
 */
export function useStable<T>(value: T): T {
  const [kept] = useState(() => new Kept(value));
  return kept.keep(value);
}
