/** The demo: sample backends that name themselves, the scene, the traffic generator. */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine.js';
import { demoState, startDemo, type Demo } from '../../src/demo/index.js';
import { closeAgent, countColours, get, waitFor } from './helpers.js';

let engine: Engine | undefined;
const demos: Demo[] = [];

afterEach(async () => {
  await Promise.all(demos.splice(0).map((d) => d.stop()));
  await engine?.stop(200);
  engine = undefined;
  closeAgent();
});

describe('demo', () => {
  it('builds the scene: blue 100/100/50, green 100/100, demo split blue 100 / green 0 on demo.localhost', () => {
    const s = demoState(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], ['127.0.0.1:4', '127.0.0.1:5']);
    expect(s.upstreams.map((u) => [u.name, u.targets.map((t) => t.weight)])).toEqual([
      ['blue', [100, 100, 50]],
      ['green', [100, 100]],
    ]);
    expect(s.services[0]).toMatchObject({
      name: 'demo',
      host: 'blue',
      upstreams: [
        { name: 'blue', weight: 100 },
        { name: 'green', weight: 0 },
      ],
    });
    expect(s.routes[0]).toMatchObject({ hosts: ['demo.localhost'], service: { id: s.services[0]!.id } });
  });

  it('starts backends on free ports whose bodies name colour, target and version; applies the scene once', async () => {
    engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    const demo = await startDemo(engine, { rate: 0 });
    demos.push(demo);
    expect(demo.backends.map((b) => `${b.colour} ${b.index} ${b.version}`)).toEqual([
      'blue 1 v1.0.0',
      'blue 2 v1.0.0',
      'blue 3 v1.0.0',
      'green 1 v2.0.0',
      'green 2 v2.0.0',
    ]);
    for (const b of demo.backends)
      expect((await get(`http://${b.address}`, 'x')).body).toBe(`${b.colour} ${b.index} ${b.version}\n`);
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 25)).toEqual({ blue: 25 });
    // blue's targets 100:100:50 over whole cycles of 250 → 10:10:5 of 25.
    expect(demo.backends.map((b) => b.served - 1)).toEqual([10, 10, 5, 0, 0]);
    expect(engine.store.state.services.filter((s) => s.name === 'demo')).toHaveLength(1);
  });

  it('a second demo on a saved scene moves the sample targets to its own backends', async () => {
    engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    const first = await startDemo(engine, { rate: 0 });
    engine.store.dispatch(
      {
        op: 'service.split',
        service: 'demo',
        split: [
          { name: 'blue', weight: 50 },
          { name: 'green', weight: 50 },
        ],
      },
      'test',
    );
    await first.stop();
    const second = await startDemo(engine, { rate: 0 });
    demos.push(second);
    const targets = engine.store.state.upstreams.flatMap((u) => u.targets.map((t) => t.target));
    expect(targets.sort()).toEqual(second.backends.map((b) => b.address).sort());
    // The user's split stays.
    expect(engine.store.state.services.find((s) => s.name === 'demo')?.upstreams).toEqual([
      { name: 'blue', weight: 50 },
      { name: 'green', weight: 50 },
    ]);
    expect(await countColours(engine.proxyUrl, 'demo.localhost', 10)).toEqual({ blue: 5, green: 5 });
  });

  it('generates traffic at about its rate, follows rate changes and stops with the demo', async () => {
    engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    const demo = await startDemo(engine);
    expect(demo.rate).toBe(50);
    await waitFor(() => demo.traffic.ok >= 40, 'the generator to get 40 answers', 20_000);
    demo.rate = 0;
    const sent = demo.traffic.sent;
    // 30 ticks of its 10 ms timer: at 50 req/s those would have sent about 15 requests.
    const ticks = demo.traffic.ticks;
    await waitFor(() => demo.traffic.ticks >= ticks + 30, '30 more ticks of the generator', 10_000);
    expect(demo.traffic.sent).toBe(sent);
    expect(demo.setRate(1e9)).toBe(20_000);
    demo.rate = 100;
    await waitFor(() => demo.traffic.sent > sent + 20, 'more traffic at 100 req/s', 20_000);
    await demo.stop();
    // Stopped means no timer left to send anything, and nothing in flight.
    expect(demo.traffic.running).toBe(false);
    expect(demo.traffic.inFlight).toBe(0);
    expect(demo.traffic.failed).toBe(0);
  });
});

describe('the demo users', () => {
  it('come from a pool; with the split sticky on X-Demo-User no user moves, and the users per upstream follow the shares', async () => {
    engine = await Engine.start({ persist: false, proxyPort: 0, adminPort: 0 });
    const demo = await startDemo(engine, { rate: 0, latencyMs: [0, 0], users: 40 });
    demos.push(demo);
    const traffic = demo.traffic;
    const split = [
      { name: 'blue', weight: 50 },
      { name: 'green', weight: 50 },
    ];
    // Without stickiness a user lands on either upstream: some move.
    engine.store.dispatch({ op: 'service.split', service: 'demo', split }, 'test');
    traffic.rate = 400;
    await waitFor(() => traffic.ok >= 300 && traffic.moves > 0, 'moves without stickiness', 20_000);
    traffic.rate = 0;
    await waitFor(() => traffic.inFlight === 0, 'the generator idle');
    // Sticky on the user's header: from now on each user keeps its upstream.
    engine.store.dispatch({ op: 'service.split', service: 'demo', split, hashing: { hash_on: 'header', hash_on_header: 'x-demo-user' } }, 'test');
    // The first answer of each user under the new rule may move it once; count from after 600
    // answers, by when every one of the 40 users has had one (all but certainly: 40 × (39/40)^600 < 1e-5).
    const okBefore = traffic.ok;
    traffic.rate = 400;
    await waitFor(() => traffic.ok >= okBefore + 600, 'a first answer for every user', 20_000);
    const movesAfterSettling = traffic.moves;
    const okSettled = traffic.ok;
    await waitFor(() => traffic.ok >= okSettled + 400, '400 more answers', 20_000);
    traffic.rate = 0;
    expect(traffic.moves).toBe(movesAfterSettling);
    const users = demo.users();
    expect((users.blue ?? 0) + (users.green ?? 0)).toBeGreaterThanOrEqual(30);
  }, 60_000);
});
