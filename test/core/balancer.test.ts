import { describe, expect, it } from 'vitest';
import { Balancer } from '../../src/core/balancer.js';

function picks(b: Balancer<string>, n: number): string[] {
  return Array.from({ length: n }, () => b.pick() as string);
}

function count(list: string[]): Record<string, number> {
  return list.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {});
}

describe('smooth weighted round-robin', () => {
  it('splits 100/50 exactly 2:1 in every window of 3', () => {
    const b = new Balancer(['a', 'b'], [100, 50]);
    const seq = picks(b, 300);
    for (let i = 0; i < seq.length; i += 3) expect(count(seq.slice(i, i + 3))).toEqual({ a: 2, b: 1 });
  });

  it('splits 80/20 exactly 4:1 in every window of 5, interleaved', () => {
    const b = new Balancer(['a', 'b'], [80, 20]);
    const seq = picks(b, 500);
    for (let i = 0; i < seq.length; i += 5) expect(count(seq.slice(i, i + 5))).toEqual({ a: 4, b: 1 });
    // Smooth: b never comes twice in a row.
    expect(seq.join('')).not.toContain('bb');
  });

  it('never picks a peer of weight 0', () => {
    const b = new Balancer(['a', 'b', 'c'], [0, 3, 0]);
    expect(new Set(picks(b, 100))).toEqual(new Set(['b']));
  });

  it('returns undefined when every weight is 0 or nothing is available', () => {
    expect(new Balancer(['a'], [0]).pick()).toBeUndefined();
    expect(new Balancer(['a', 'b'], [1, 1]).pick(() => false)).toBeUndefined();
    expect(new Balancer<string>([], []).pick()).toBeUndefined();
  });

  it('skips unavailable peers and keeps the others in proportion', () => {
    const b = new Balancer(['a', 'b', 'c'], [1, 1, 2]);
    const seq = Array.from({ length: 300 }, () => b.pick((p) => p !== 'a') as string);
    expect(count(seq)).toEqual({ b: 100, c: 200 });
  });

  it('1/1/1 over 3 peers is exact per window of 3', () => {
    const b = new Balancer(['a', 'b', 'c'], [1, 1, 1]);
    const seq = picks(b, 30);
    for (let i = 0; i < 30; i += 3) expect(new Set(seq.slice(i, i + 3)).size).toBe(3);
  });

  it('5/3/2 with the 3 unavailable: exactly 500/200 per 700, and every window of 7 exact', () => {
    const b = new Balancer(['a', 'b', 'c'], [5, 3, 2]);
    const up = (p: string) => p !== 'b';
    const seq = Array.from({ length: 700 }, () => b.pick(up) as string);
    expect(count(seq)).toEqual({ a: 500, c: 200 });
    for (let i = 0; i + 7 <= seq.length; i++) expect(count(seq.slice(i, i + 7)), `window at ${i}`).toEqual({ a: 5, c: 2 });
  });

  it('a peer going unavailable mid-rotation: from the next pick on, every window of 7 is exact', () => {
    // The skipped peer keeps its current weight (nginx does the same), so the one pick where it
    // drops out may round either way; after it, the peers left rotate exactly by their weights.
    for (let before = 0; before < 10; before++) {
      const b = new Balancer(['a', 'b', 'c'], [5, 3, 2]);
      for (let i = 0; i < before; i++) b.pick();
      const seq = Array.from({ length: 701 }, () => b.pick((p) => p !== 'b') as string);
      for (let i = 1; i + 7 <= seq.length; i++) expect(count(seq.slice(i, i + 7)), `after ${before}, window at ${i}`).toEqual({ a: 5, c: 2 });
    }
  });

  it('hands the context to the predicate, so a predicate made once can skip what a request tried', () => {
    const b = new Balancer(['a', 'b', 'c'], [1, 1, 1]);
    const untried = (p: string, tried: readonly string[]) => !tried.includes(p);
    expect(b.pick(untried, ['a', 'b'])).toBe('c');
    expect(b.pick(untried, ['a', 'b', 'c'])).toBeUndefined();
  });
});
