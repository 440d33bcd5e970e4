/**
 * Keeping a value's identity while its content stays the same. Every stats sample is a new
 * object, and so is every row and segment made from it; without this each pane, each line and
 * then Ink (layout, output, GC) would do the whole frame again four times a second even when no
 * number on screen moved. With it, memoised panes and lines are skipped when what they show is
 * unchanged, and a frame in which nothing changed commits nothing, so Ink does not draw it.
 */
import { useState } from 'react';
import { same } from '../core/same.js';

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
