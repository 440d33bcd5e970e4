/**
 * The real App over a real engine (store, proxy, stats, admin API) and the demo's real backends
 * on 127.0.0.1, driven through ink-testing-library: keys change the split and the proxy's very
 * next requests follow it.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Engine } from '../../src/engine.js';
import { startDemo, type Demo } from '../../src/demo/index.js';
import { App } from '../../src/ui/App.js';
import { KEYMAP } from '../../src/ui/keymap.js';
import { NO_TTY_MESSAGE, runTui } from '../../src/ui/run.js';
import { StatsSampler } from '../../src/ui/hooks/use-stats.js';
import {
  absent,
  closeAgent,
  countColours,
  KEYS,
  press,
  stripAnsi,
  tick,
  waitFor,
  waitForFrame,
  type FrameCheck,
} from './helpers.js';

let engine: Engine;
let demo: Demo;

beforeEach(async () => {
  engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
  // No generated traffic: the tests count every request themselves.
  demo = await startDemo(engine, { rate: 0, latencyMs: [0, 0] });
});

afterEach(async () => {
  cleanup();
  await demo.stop();
  await engine.stop(200);
});

afterAll(() => closeAgent());

function show(size = { columns: 100, rows: 40 }) {
  const r = render(<App engine={engine} demo={demo} size={size} colour={false} sampleMs={50} />);
  return { ...r, frame: () => stripAnsi(r.lastFrame() ?? '') };
}

function split() {
  const s = engine.store.state.services.find((x) => x.name === 'demo');
  return Object.fromEntries((s?.upstreams ?? []).map((e) => [e.name, e.weight]));
}

/** Renders, waits for the demo service's row (and `also`) and a tick, so the first key is not lost. */
async function ready(size?: { columns: number; rows: number }, also: readonly FrameCheck[] = []) {
  const r = show(size);
  await waitForFrame(r.lastFrame, [/demo\.localhost → demo +blue 100%/, ...also]);
  await tick();
  return r;
}

describe('the ratio slider', () => {
  it('starts on the first service; → moves 5 points and the proxy follows exactly 19:1', async () => {
    const r = await ready();
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 20)).toEqual({ blue: 20 });

    await press(r, KEYS.right, ['blue 95%', '5% green', 'service demo → blue 95% / green 5%']);
    expect(split()).toEqual({ blue: 95, green: 5 });
    // Smooth weighted round-robin: 95:5 is 19:1 over every whole cycle of 20.
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 20)).toEqual({ blue: 19, green: 1 });
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 40)).toEqual({ blue: 38, green: 2 });

    await press(r, '+', 'blue 90%');
    expect(split()).toEqual({ blue: 90, green: 10 });
    await press(r, KEYS.shiftRight, 'blue 89%');
    expect(split()).toEqual({ blue: 89, green: 11 });
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 100)).toEqual({ blue: 89, green: 11 });
    await press(r, KEYS.left, 'blue 94%');
    await press(r, '-', 'blue 99%');
    await press(r, KEYS.shiftLeft, 'blue 100%');
    expect(split()).toEqual({ blue: 100, green: 0 });
    // Already all on blue: nothing changes, and it says so.
    await press(r, KEYS.left, 'already has 0%');
    expect(split()).toEqual({ blue: 100, green: 0 });
  });

  it('0..9 set the second share, G and B put 100% on one side', async () => {
    const r = await ready();
    await press(r, '3', 'blue 70%');
    expect(split()).toEqual({ blue: 70, green: 30 });
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 10)).toEqual({ blue: 7, green: 3 });
    await press(r, 'G', '100% green');
    expect(split()).toEqual({ blue: 0, green: 100 });
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 10)).toEqual({ green: 10 });
    await press(r, 'B', 'blue 100%');
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 10)).toEqual({ blue: 10 });
    await press(r, '0', 'already has 0%');
  });

  it('s switches the whole service at once and z undoes it', async () => {
    const r = await ready();
    await press(r, 's', '100% green');
    const s = engine.store.state.services.find((x) => x.name === 'demo');
    expect(s?.host).toBe('green');
    expect(split()).toEqual({ blue: 0, green: 100 });
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 10)).toEqual({ green: 10 });

    await press(r, 'z', ['undid "', /demo\.localhost → demo +blue 100%/]);
    expect(engine.store.state.services.find((x) => x.name === 'demo')?.host).toBe('blue');
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 10)).toEqual({ blue: 10 });
    // Back where it started: the demo's scene is its set-up, not an operator's change to take back.
    await press(r, 'z', 'nothing to undo');
  });

  it('brings a second upstream in through a picker when a service has one upstream', async () => {
    engine.store.dispatch({ op: 'service.create', fields: { name: 'solo', host: 'blue' } }, 'test');
    engine.store.dispatch(
      { op: 'route.create', service: 'solo', fields: { hosts: ['solo.localhost'] } },
      'test',
    );
    const r = await ready();
    await press(r, 'j', 'upstream shares of solo');
    await press(r, KEYS.right, 'bring in which upstream?');
    await press(r, KEYS.enter, /solo\.localhost → solo +blue 95%/);
    const solo = engine.store.state.services.find((x) => x.name === 'solo');
    expect(solo?.upstreams).toEqual([
      { name: 'blue', weight: 95 },
      { name: 'green', weight: 5 },
    ]);
    expect(await countColours(engine.proxyUrl, 'solo.localhost', 20)).toEqual({ blue: 19, green: 1 });
    // The second time there is no question: the split keeps green at weight 0.
    r.stdin.write('B');
    await waitFor(
      () => engine.store.state.services.find((x) => x.name === 'solo')?.upstreams[1]?.weight === 0,
      'green at 0',
    );
    await press(r, 's', /→ solo .*100% green/);
  });

  it('moves the selected upstream of a split over three', async () => {
    engine.store.dispatch(
      { op: 'upstream.create', fields: { name: 'canary', targets: [{ target: demo.backends[0]!.address }] } },
      'test',
    );
    engine.store.dispatch(
      {
        op: 'service.split',
        service: 'demo',
        split: [
          { name: 'blue', weight: 50 },
          { name: 'green', weight: 30 },
          { name: 'canary', weight: 20 },
        ],
      },
      'test',
    );
    const r = show();
    // The second upstream is the one the arrows move at first (marked ›).
    await waitForFrame(r.lastFrame, 'blue 50% · ›green 30% · canary 20%');
    await tick();
    // The others give up 5 points in proportion to their weights: 65 × 50:20 → 46 and 19.
    await press(r, KEYS.right, '›green 35%');
    expect(split()).toEqual({ blue: 46, green: 35, canary: 19 });
    await press(r, KEYS.enter, "canary's share");
    await press(r, KEYS.right, '›canary 24%');
    expect(split()).toEqual({ blue: 43, green: 33, canary: 24 });
    await press(r, '0', '›canary 0%');
    expect(split()).toEqual({ blue: 57, green: 43, canary: 0 });
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 100)).toEqual({ blue: 57, green: 43 });
  });
});

describe('target weights', () => {
  /** Tabs to the targets, moves to blue's first target and types a weight for it (keys are taken in order). */
  async function editFirstTarget(r: ReturnType<typeof show>, typed: string) {
    const first = engine.store.state.upstreams.find((u) => u.name === 'blue')!.targets[0]!;
    await press(r, KEYS.tab, '━━ Upstreams');
    r.stdin.write('j');
    await press(r, 'w', `weight of ${first.target} in blue (now 100; 0..65535):`);
    await tick();
    await press(r, typed, `weight of ${first.target} in blue (now 100; 0..65535): ${typed}`);
    r.stdin.write(KEYS.enter);
  }

  it.each([
    ['abc', 'whole number'],
    ['-1', 'whole number'],
    ['70000', 'between 0 and 65535'],
  ])('rejects %s with a message and changes nothing', async (typed, message) => {
    const r = await ready();
    const before = JSON.stringify(engine.store.state);
    await editFirstTarget(r, typed);
    await waitForFrame(r.lastFrame, new RegExp(`✗ .*${message}`));
    expect(JSON.stringify(engine.store.state)).toBe(before);
  });

  it('sets a weight: the target takes no traffic at 0', async () => {
    const r = await ready();
    const first = engine.store.state.upstreams.find((u) => u.name === 'blue')!.targets[0]!;
    await editFirstTarget(r, '0');
    await waitForFrame(r.lastFrame, `target ${first.target} in blue: weight 100 → 0`);
    expect(engine.store.state.upstreams.find((u) => u.name === 'blue')!.targets[0]!.weight).toBe(0);
    const before = demo.backends.map((b) => b.served);
    await countColours(engine.proxyUrl, 'demo.localhost', 15);
    const after = demo.backends.map((b, i) => b.served - (before[i] ?? 0));
    // blue 1 has weight 0 now; blue 2 and 3 (100, 50) share 15 requests 10:5.
    expect(after).toEqual([0, 10, 5, 0, 0]);
    await press(r, 'z', 'undid "');
    expect(engine.store.state.upstreams.find((u) => u.name === 'blue')!.targets[0]!.weight).toBe(100);
  });
});

describe('the command line, filter, pause, help and quit', () => {
  it(': runs the CLI verbs; bad input flashes the usage and changes nothing', async () => {
    const r = await ready();
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'split demo blue=60 green=40', ':split demo blue=60 green=40');
    await press(r, KEYS.enter, 'blue 60%');
    expect(split()).toEqual({ blue: 60, green: 40 });

    const before = JSON.stringify(engine.store.state);
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'split demo blue=x', ':split demo blue=x');
    await press(r, KEYS.enter, 'expected a whole number');
    expect(JSON.stringify(engine.store.state)).toBe(before);
  });

  it(': split --sticky makes the split sticky and the service line says how; --sticky none turns it off', async () => {
    const r = await ready();
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'split demo blue=70 green=30 --sticky cookie:sy_user', ':split demo blue=70 green=30 --sticky cookie:sy_user');
    await press(r, KEYS.enter, ['sticky: cookie sy_user', 'blue 70%']);
    expect(engine.store.state.services.find((x) => x.name === 'demo')).toMatchObject({ hash_on: 'cookie', hash_on_cookie: 'sy_user' });
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'split demo blue=70 green=30 --sticky none', ':split demo blue=70 green=30 --sticky none');
    await press(r, KEYS.enter, [absent('sticky:'), 'service demo']);
    expect(engine.store.state.services.find((x) => x.name === 'demo')).toMatchObject({ hash_on: 'none', hash_on_cookie: null });
  });

  it('asks before a destructive verb, with Cancel the default', async () => {
    const r = await ready();
    const target = engine.store.state.upstreams.find((u) => u.name === 'green')!.targets[0]!.target;
    const before = JSON.stringify(engine.store.state);
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, `remove-target green ${target}`, `:remove-target green ${target}`);
    await press(r, KEYS.enter, '▸ Cancel');
    await press(r, KEYS.enter, 'nothing changed');
    expect(JSON.stringify(engine.store.state)).toBe(before);

    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, `remove-target green ${target}`, `:remove-target green ${target}`);
    await press(r, KEYS.enter, '▸ Cancel');
    await press(r, KEYS.right, '▸ Remove');
    await press(r, KEYS.enter, `target ${target} removed from green`);
    expect(engine.store.state.upstreams.find((u) => u.name === 'green')!.targets).toHaveLength(1);
  });

  it('asks before a split that would leave the service nothing to send to, and refuses a switch to no upstream', async () => {
    const r = await ready();
    const before = JSON.stringify(engine.store.state);
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'split demo blue=0 green=0', ':split demo blue=0 green=0');
    await press(r, KEYS.enter, ['Send demo nowhere (all its weights are 0)? Every request would get 503', '▸ Cancel']);
    await press(r, KEYS.enter, ['cancelled: nothing changed', absent('Send demo nowhere')]);
    expect(JSON.stringify(engine.store.state)).toBe(before);

    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'switch demo purple', ':switch demo purple');
    await press(r, KEYS.enter, "no upstream 'purple' to switch service demo to: it can switch to blue or green; nothing changed");
    expect(JSON.stringify(engine.store.state)).toBe(before);

    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'split demo blue=0 green=0', ':split demo blue=0 green=0');
    await press(r, KEYS.enter, '▸ Cancel');
    await press(r, KEYS.right, '▸ Do it');
    await press(r, KEYS.enter, ['service demo → blue 0% / green 0%', absent('Send demo nowhere')]);
    expect(split()).toEqual({ blue: 0, green: 0 });
  });

  it('/ filters the list as it is typed; esc clears it', async () => {
    engine.store.dispatch({ op: 'service.create', fields: { name: 'other', host: 'green' } }, 'test');
    const r = await ready(undefined, ['(no route) → other']);
    await press(r, '/', 'filter routes');
    await tick();
    await press(r, 'oth', ['/oth', absent('demo.localhost → demo'), '→ other']);
    await press(r, KEYS.escape, 'demo.localhost → demo');
  });

  it('esc clears a filter that was applied with enter, then the message', async () => {
    engine.store.dispatch({ op: 'service.create', fields: { name: 'other', host: 'green' } }, 'test');
    const r = await ready(undefined, ['(no route) → other']);
    await press(r, '/', 'filter routes');
    await tick();
    await press(r, 'oth', ['/oth', absent('demo.localhost → demo')]);
    await press(r, KEYS.enter, ['/oth', absent('filter routes:'), absent('demo.localhost → demo')]);
    await press(r, KEYS.escape, ['demo.localhost → demo', '(no route) → other', 'filter cleared: all routes', absent('/oth')]);
    await press(r, KEYS.escape, [absent('filter cleared'), 'demo.localhost → demo']);
  });

  it('a key that works in another pane says where, instead of nothing', async () => {
    const r = await ready();
    await press(r, KEYS.tab, /UPSTREAM\/TARGET/);
    await press(r, 'G', ['G (100% on 2nd (green)) works in the routes pane: tab there']);
    expect(split()).toEqual({ blue: 100, green: 0 });
  });

  it('esc on a prompt takes away the refusal shown before it', async () => {
    const r = await ready();
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'switch demo purple', ':switch demo purple');
    await press(r, KEYS.enter, "no upstream 'purple'");
    await press(r, ':', [':', absent("no upstream 'purple'")]);
    await press(r, KEYS.escape, [absent("no upstream 'purple'"), absent('esc cancel')]);
  });

  it('the : line recalls with ↑, completes with tab, and hints the usage', async () => {
    const r = await ready();
    await press(r, ':', ['esc cancel', 'split switch weight']);
    await tick();
    await press(r, 'spl', [':spl', 'split  ·  tab completes']);
    await press(r, KEYS.tab, [':split', 'split SERVICE UPSTREAM=WEIGHT']);
    await press(r, 'demo blue=50 green=50', ':split demo blue=50 green=50');
    await press(r, KEYS.enter, 'service demo → blue 50% / green 50%');
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, 'undo', ':undo');
    await press(r, KEYS.enter, 'undid "service demo → blue 50% / green 50%"');
    await press(r, ':', 'esc cancel');
    await tick();
    await press(r, KEYS.up, ':undo');
    await press(r, KEYS.up, ':split demo blue=50 green=50');
    await press(r, KEYS.down, ':undo');
    await press(r, KEYS.up, ':split demo blue=50 green=50');
    await press(r, KEYS.enter, 'service demo → blue 50% / green 50%');
    expect(split()).toEqual({ blue: 50, green: 50 });
  });

  it('the : line writes the state to a file and loads it back, and shows a pane by its verb', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-line-'));
    const file = path.join(dir, 'state.yaml');
    try {
      const r = await ready();
      await press(r, ':', 'esc cancel');
      await tick();
      await press(r, `config export ${file}`, `:config export ${file}`);
      await press(r, KEYS.enter, `wrote the state to ${file}`);
      await press(r, KEYS.right, 'blue 95%');
      await press(r, ':', 'esc cancel');
      await tick();
      await press(r, `config apply ${file}`, `:config apply ${file}`);
      await press(r, KEYS.enter, ['state replaced', /demo\.localhost → demo +blue 100%/]);
      expect(split()).toEqual({ blue: 100, green: 0 });
      await press(r, ':', 'esc cancel');
      await tick();
      await press(r, 'routes', ':routes');
      await press(r, KEYS.enter, absent(':routes'));
      await press(r, ':', 'esc cancel');
      await tick();
      await press(r, 'apps', ':apps');
      await press(r, KEYS.enter, 'no apps yet');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('p pauses the numbers; changes still apply and show', async () => {
    const r = await ready();
    await press(r, 'p', ['⏸ paused', /requests 0\b/]);
    await countColours(engine.proxyUrl, 'demo.localhost', 5);
    expect(engine.stats.snapshot().total.requests).toBe(5);
    // A twin sampler on the App's clock: once it has sampled twice since the requests, a live
    // screen would have shown them. The paused one still says 0.
    const twin = new StatsSampler(engine.stats, 50);
    let samples = 0;
    const unsubscribe = twin.subscribe(() => samples++);
    try {
      await waitFor(() => samples >= 2, 'two samples of the twin sampler');
    } finally {
      unsubscribe();
    }
    const held = r.frame();
    expect(held).toContain('⏸ paused');
    expect(held).toMatch(/requests 0\b/);
    // A change is still drawn at once, with the numbers held.
    await press(r, '5', ['blue 50%', /requests 0\b/]);
    await press(r, 'p', ['● live', /requests 5\b/]);
  });

  it('shows a change made elsewhere (admin API) at once, from the store, not the sampler', async () => {
    const r = await ready();
    // Paused: no sample will repaint the screen, so only the store's change event can.
    await press(r, 'p', '⏸ paused');
    const res = await fetch(`${engine.adminUrl}/services/demo`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        upstreams: [
          { name: 'blue', weight: 25 },
          { name: 'green', weight: 75 },
        ],
      }),
    });
    expect(res.status).toBe(200);
    await waitForFrame(r.lastFrame, ['blue 25%', '75% green']);
  });

  it('? lists every key the keymap defines', async () => {
    const r = await ready({ columns: 100, rows: 40 });
    await press(r, '?', ['Everywhere', ...KEYMAP.flatMap((b) => [...b.keys, b.help])]);
    await press(r, KEYS.escape, 'Routes → services');
  });

  it('[ and ] change the traffic generator rate', async () => {
    const r = await ready();
    await press(r, ']', 'generator 10 req/s');
    await press(r, ']', 'generator 20 req/s');
    await press(r, '}', 'generator 30 req/s');
    expect(demo.rate).toBe(30);
    await press(r, '[', 'generator 15 req/s');
    await press(r, '{', 'generator 5 req/s');
    expect(demo.traffic.rate).toBe(5);
  });

  it('takes keys that arrive together (a paste) one at a time', async () => {
    const r = await ready();
    await press(r, ':split demo blue=50 green=50\r', 'service demo → blue 50% / green 50%');
    expect(split()).toEqual({ blue: 50, green: 50 });
    await press(r, '\tjw7\r', 'weight 100 → 7');
    expect(engine.store.state.upstreams.find((u) => u.name === 'blue')!.targets[0]!.weight).toBe(7);
  });

  it('keeps the frame within 80x24 with many services and targets', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      op: 'service.create' as const,
      fields: { name: `svc-${i}`, host: 'green' },
    }));
    const targets = Array.from({ length: 30 }, (_, i) => ({ target: `10.0.${i}.1:8080`, weight: i }));
    engine.store.dispatch(
      { op: 'batch', commands: [...many, { op: 'upstream.create', fields: { name: 'big', targets } }] },
      'test',
    );
    const check = (frame: string) => {
      const lines = frame.split('\n');
      expect(lines.length).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    };
    const r = await ready({ columns: 80, rows: 24 }, [/1–\d+ of 13/]);
    check(r.frame());
    check(await press(r, KEYS.tab, '━━ Upstreams'));
    for (let i = 0; i < 25; i++) r.stdin.write('j');
    check(await waitForFrame(r.lastFrame, '10.0.17.1:8080'));
    check(await press(r, '?', 'Everywhere'));
  });

  it('q quits: the app unmounts and keys no longer reach the store', async () => {
    const r = await ready();
    expect(r.stdin.listenerCount('readable')).toBeGreaterThan(0);
    r.stdin.write('q');
    // The evidence of the exit: Ink let go of the keyboard (its stdin listener is gone).
    await waitFor(() => r.stdin.listenerCount('readable') === 0, 'the app to let go of stdin');
    r.stdin.write('5');
    expect(split()).toEqual({ blue: 100, green: 0 });
  });

  it.skipIf(process.stdin.isTTY)('runTui refuses to start without a terminal, in one line', async () => {
    await expect(runTui(engine, { demo })).rejects.toThrow(NO_TTY_MESSAGE);
    expect(NO_TTY_MESSAGE).toBe(
      'switchyard needs an interactive terminal for its UI; run "switchyard serve" for the headless engine',
    );
  });
});
