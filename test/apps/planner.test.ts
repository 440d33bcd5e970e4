// The supervisor's rollout policy without processes: every lifecycle case as plans over instance records.
import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  gone,
  plan,
  takesTraffic,
  type InstanceState,
  type PlanApp,
  type PlanInstance,
} from '../../src/apps/planner.js';

interface Inst extends PlanInstance {
  readonly name: string;
}
const inst = (index: number, generation: number, state: InstanceState, restartPending = false): Inst => ({
  name: `g${generation}/${index}`,
  index,
  generation,
  state,
  restartPending,
});
const app = (instances: number, generation = 1, state: PlanApp['state'] = 'started'): PlanApp => ({
  state,
  generation,
  instances,
});
const names = (list: readonly Inst[]) => list.map((i) => i.name);

describe('start and scale', () => {
  it('starts every instance of a new app, at indexes 0..n-1', () => {
    expect(plan(app(3), [], false)).toEqual({ start: [0, 1, 2], stop: [] });
  });

  it('does nothing once the app runs as wanted (starting or healthy)', () => {
    const running = [inst(0, 1, 'healthy'), inst(1, 1, 'starting')];
    expect(plan(app(2), running, false)).toEqual({ start: [], stop: [] });
  });

  it('scales up into the lowest free indexes, holes first', () => {
    const running = [inst(0, 1, 'healthy'), inst(2, 1, 'healthy')];
    expect(plan(app(4), running, false).start).toEqual([1, 3]);
  });

  it('scales down by stopping the highest indexes first', () => {
    const running = [
      inst(0, 1, 'healthy'),
      inst(2, 1, 'healthy'),
      inst(1, 1, 'starting'),
      inst(3, 1, 'healthy'),
    ];
    const p = plan(app(2), running, false);
    expect(p.start).toEqual([]);
    expect(names(p.stop)).toEqual(['g1/3', 'g1/2']);
  });

  it('an instance being stopped or drained is not counted: it is replaced, and its index stays taken until it exits', () => {
    const running = [inst(0, 1, 'healthy'), inst(1, 1, 'draining'), inst(2, 1, 'stopping')];
    expect(plan(app(3), running, false)).toEqual({ start: [3, 4], stop: [] });
  });
});

describe('crashes and restarts', () => {
  it('an exited instance waiting for its restart counts as wanted and keeps its index', () => {
    const running = [inst(0, 1, 'healthy'), inst(1, 1, 'exited', true)];
    expect(plan(app(3), running, false)).toEqual({ start: [2], stop: [] });
  });

  it('an exited instance with no restart pending is gone: its index is free again', () => {
    const dead = inst(0, 1, 'exited');
    expect(gone(dead)).toBe(true);
    expect(gone(inst(0, 1, 'exited', true))).toBe(false);
    expect(plan(app(1), [dead], false)).toEqual({ start: [0], stop: [] });
  });

  it('a crashed app starts nothing and keeps what still runs', () => {
    expect(plan(app(2), [inst(0, 1, 'healthy')], true)).toEqual({ start: [], stop: [] });
  });

  it('restarts back off: 0.5 s doubling up to 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map(backoffMs)).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
});

describe('stop', () => {
  it('stops every running instance, in order, and not those already stopping or draining', () => {
    const running = [
      inst(0, 1, 'healthy'),
      inst(1, 1, 'starting'),
      inst(2, 1, 'draining'),
      inst(3, 1, 'stopping'),
      inst(4, 1, 'exited', true),
    ];
    const p = plan(app(2, 1, 'stopped'), running, false);
    expect(p.start).toEqual([]);
    expect(names(p.stop)).toEqual(['g1/0', 'g1/1']);
  });

  it('a crashed app that is stopped still has its instances stopped', () => {
    expect(names(plan(app(1, 1, 'stopped'), [inst(0, 1, 'starting')], true).stop)).toEqual(['g1/0']);
  });

  it('a stopped app takes no traffic, and neither does an instance that is not healthy', () => {
    expect(takesTraffic({ state: 'started' }, inst(0, 1, 'healthy'))).toBe(true);
    expect(takesTraffic({ state: 'stopped' }, inst(0, 1, 'healthy'))).toBe(false);
    for (const s of ['starting', 'draining', 'stopping', 'exited'] as const)
      expect(takesTraffic({ state: 'started' }, inst(0, 1, s))).toBe(false);
  });
});

describe('rolling restart (a push or restart bumps the generation)', () => {
  it('starts one new instance at a time, beside the old ones', () => {
    const old = [inst(0, 1, 'healthy'), inst(1, 1, 'healthy')];
    expect(plan(app(2, 2), old, false)).toEqual({ start: [2], stop: [] });
    // The new one is still starting: nothing more, nothing retired.
    expect(plan(app(2, 2), [...old, inst(2, 2, 'starting')], false)).toEqual({ start: [], stop: [] });
  });

  it('retires one old instance (oldest generation, then lowest index) for each new one that answers', () => {
    const running = [inst(1, 1, 'healthy'), inst(0, 1, 'healthy'), inst(2, 2, 'healthy')];
    const p = plan(app(2, 2), running, false);
    expect(p.start).toEqual([3]);
    expect(names(p.stop)).toEqual(['g1/0']);
  });

  it('an old instance draining is not retired again, and does not count against the new ones', () => {
    const running = [
      inst(0, 1, 'draining'),
      inst(1, 1, 'healthy'),
      inst(2, 2, 'healthy'),
      inst(3, 2, 'starting'),
    ];
    expect(plan(app(2, 2), running, false)).toEqual({ start: [], stop: [] });
    const answered = [
      inst(0, 1, 'draining'),
      inst(1, 1, 'healthy'),
      inst(2, 2, 'healthy'),
      inst(3, 2, 'healthy'),
    ];
    expect(names(plan(app(2, 2), answered, false).stop)).toEqual(['g1/1']);
  });

  it('a second push during a roll retires the oldest generation first', () => {
    const running = [inst(0, 1, 'healthy'), inst(1, 2, 'healthy'), inst(2, 3, 'healthy')];
    expect(names(plan(app(2, 3), running, false).stop)).toEqual(['g1/0']);
  });

  it('end to end, the app never has fewer instances taking traffic than it wants, and ends all new', () => {
    // A small world the plans act on: a started instance answers on the next round, a stopped one
    // drains (if it took traffic) and then exits, as the supervisor carries plans out.
    const a = app(3, 2);
    let world: Inst[] = [inst(0, 1, 'healthy'), inst(1, 1, 'healthy'), inst(2, 1, 'healthy')];
    const serving = () => world.filter((i) => takesTraffic(a, i)).length;
    const drained: string[] = [];
    for (let round = 0; round < 20; round++) {
      world = world
        .filter((i) => !(i.state === 'draining' || i.state === 'stopping'))
        .map((i) => (i.state === 'starting' ? { ...i, state: 'healthy' } : i));
      const p = plan(a, world, false);
      if (!p.start.length && !p.stop.length) break;
      for (const index of p.start) world.push(inst(index, a.generation, 'starting'));
      for (const s of p.stop) {
        if (takesTraffic(a, s)) drained.push(s.name);
        world = world.map((i) =>
          i === s ? { ...i, state: takesTraffic(a, i) ? 'draining' : 'stopping' } : i,
        );
      }
      expect(serving()).toBeGreaterThanOrEqual(3);
    }
    expect(world.map((i) => [i.generation, i.state])).toEqual([
      [2, 'healthy'],
      [2, 'healthy'],
      [2, 'healthy'],
    ]);
    expect(drained).toEqual(['g1/0', 'g1/1', 'g1/2']);
  });
});
