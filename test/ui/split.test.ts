import { describe, expect, it } from 'vitest';
import { execute } from '../../src/core/commands.js';
import { emptyState, type State } from '../../src/core/model.js';
import { demoState } from '../../src/demo/index.js';
import { exactShares, planSplit, withShare } from '../../src/ui/split.js';

const ctx = {
  now: 1,
  newId: (() => {
    let n = 0;
    return () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  })(),
};
const scene = (): State =>
  demoState(['127.0.0.1:1001', '127.0.0.1:1002', '127.0.0.1:1003'], ['127.0.0.1:2001', '127.0.0.1:2002']);
const demo = (s: State) => s.services.find((x) => x.name === 'demo')!;
const apply = (s: State, plan: ReturnType<typeof planSplit>): State => {
  if (plan.kind !== 'command') throw new Error(`expected a command, got ${plan.kind}`);
  return execute(s, plan.command, ctx).state;
};

describe('withShare', () => {
  it('sets two upstreams to exact percentages (weights = percentages)', () => {
    const split = [
      { name: 'blue', weight: 100 },
      { name: 'green', weight: 0 },
    ];
    expect(withShare(split, 1, 5)).toEqual([
      { name: 'blue', weight: 95 },
      { name: 'green', weight: 5 },
    ]);
    expect(withShare(split, 0, 30)).toEqual([
      { name: 'blue', weight: 30 },
      { name: 'green', weight: 70 },
    ]);
    expect(withShare(split, 1, 130)).toEqual([
      { name: 'blue', weight: 0 },
      { name: 'green', weight: 100 },
    ]);
  });

  it('with three, the others share the rest in proportion, summing to 100', () => {
    const out = withShare(
      [
        { name: 'a', weight: 1 },
        { name: 'b', weight: 1 },
        { name: 'c', weight: 2 },
      ],
      2,
      40,
    );
    expect(out).toEqual([
      { name: 'a', weight: 30 },
      { name: 'b', weight: 30 },
      { name: 'c', weight: 40 },
    ]);
    expect(exactShares(out)).toEqual([30, 30, 40]);
    // All others at 0: they share equally.
    expect(
      withShare(
        [
          { name: 'a', weight: 0 },
          { name: 'b', weight: 0 },
          { name: 'c', weight: 9 },
        ],
        2,
        50,
      ).map((e) => e.weight),
    ).toEqual([25, 25, 50]);
  });
});

describe('planSplit', () => {
  it('nudges from the rounded share; noop at the end of the slider', () => {
    let s = scene();
    s = apply(s, planSplit(s, demo(s), { kind: 'nudge', delta: 5 }));
    expect(demo(s).upstreams).toEqual([
      { name: 'blue', weight: 95 },
      { name: 'green', weight: 5 },
    ]);
    expect(planSplit(s, demo(s), { kind: 'all', side: 'second' })).toMatchObject({ kind: 'command' });
    s = apply(s, planSplit(s, demo(s), { kind: 'all', side: 'second' }));
    expect(planSplit(s, demo(s), { kind: 'nudge', delta: 1 })).toMatchObject({ kind: 'noop' });
  });

  it('switch points host at the other upstream and keeps both entries', () => {
    let s = scene();
    s = apply(s, planSplit(s, demo(s), { kind: 'switch' }));
    expect(demo(s).host).toBe('green');
    expect(demo(s).upstreams).toEqual([
      { name: 'blue', weight: 0 },
      { name: 'green', weight: 100 },
    ]);
    s = apply(s, planSplit(s, demo(s), { kind: 'switch' }));
    expect(demo(s).host).toBe('blue');
  });

  it('asks which upstream to bring in for a service on one, then splits', () => {
    let s = execute(scene(), { op: 'service.create', fields: { name: 'solo', host: 'blue' } }, ctx).state;
    const solo = () => s.services.find((x) => x.name === 'solo')!;
    expect(planSplit(s, solo(), { kind: 'nudge', delta: 5 })).toEqual({ kind: 'pick', options: ['green'] });
    expect(planSplit(s, solo(), { kind: 'all', side: 'first' })).toMatchObject({ kind: 'noop' });
    s = apply(s, planSplit(s, solo(), { kind: 'set', pct: 20 }, undefined, 'green'));
    expect(solo().upstreams).toEqual([
      { name: 'blue', weight: 80 },
      { name: 'green', weight: 20 },
    ]);
  });

  it('explains what cannot be split', () => {
    const lonely = execute(emptyState, { op: 'upstream.create', fields: { name: 'only' } }, ctx).state;
    const withService = execute(
      lonely,
      { op: 'service.create', fields: { name: 'x', host: 'only' } },
      ctx,
    ).state;
    expect(planSplit(withService, withService.services[0]!, { kind: 'nudge', delta: 5 })).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('only upstream'),
    });
    const literal = execute(
      emptyState,
      { op: 'service.create', fields: { name: 'y', url: 'http://10.0.0.1:8080' } },
      ctx,
    ).state;
    expect(planSplit(literal, literal.services[0]!, { kind: 'switch' })).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('10.0.0.1:8080'),
    });
  });
});
