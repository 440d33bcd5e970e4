/**
 * The real App steering two real HAProxy instances (through their runtime API sockets) in front
 * of real blue and green backends: keys move the traffic through both at once, the targets pane
 * shows HAProxy's own counts summed over the fleet, a weight changed behind switchyard's back
 * shows as drift until `A` applies the state again, and a dead instance shows as unreachable
 * while the other is still steered. Skipped (with a message) when haproxy is not installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Store } from '../../src/core/store.js';
import { writeHaproxy } from '../../src/dataplane/haproxy/config.js';
import { Engine } from '../../src/engine.js';
import { App } from '../../src/ui/App.js';
import { agent, request, startBackend, type Backend } from '../helpers/net.js';
import {
  findHaproxy,
  freePort,
  startHaproxy,
  waitFor as waitUntil,
  type RunningHaproxy,
} from '../dataplane/haproxy-helpers.js';
import { absent, stripAnsi, tick, waitForFrame, type FrameCheck } from './helpers.js';

const HAPROXY = findHaproxy();
if (!HAPROXY)
  console.warn(
    '[fleet.test] haproxy is not installed (not on PATH nor in /usr/sbin): skipping the UI-over-HAProxy suite. Install it with `apt-get install haproxy`.',
  );

const HOST = 'web.localhost';
/** Bound for anything the fleet reader (once a second) has to notice, generous for a loaded machine. */
const NOTICE_MS = 15_000;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe.skipIf(!HAPROXY)('the UI steering two HAProxy instances', () => {
  const bin = HAPROXY as string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-ui-fleet-'));
  let blue: Backend;
  let green: Backend;
  const hx: RunningHaproxy[] = [];
  let engine: Engine | undefined;
  /** Every response the tests got through HAProxy, by body (the colour) or status. */
  const seen: Record<string, number> = {};

  async function hit(port: number): Promise<string> {
    const r = await request(port, { host: HOST });
    const k = r.status === 200 ? r.body : `status ${r.status}`;
    seen[k] = (seen[k] ?? 0) + 1;
    return k;
  }

  /** `n` requests one after another through one instance, counted by colour. */
  async function count(port: number, n: number): Promise<Record<string, number>> {
    const c: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const k = await hit(port);
      c[k] = (c[k] ?? 0) + 1;
    }
    return c;
  }

  /** Requests through `ports` (two at a time each) until stopped; what did not come back 200. */
  function load(ports: readonly number[]): { stop: () => Promise<string[]> } {
    let stopped = false;
    const failures: string[] = [];
    const worker = async (port: number) => {
      while (!stopped) {
        try {
          const k = await hit(port);
          if (k.startsWith('status')) failures.push(`:${port} ${k}`);
        } catch (e) {
          failures.push(`:${port} ${String(e)}`);
        }
      }
    };
    const running = ports.flatMap((p) => [worker(p), worker(p)]);
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(running);
        return failures;
      },
    };
  }

  /** Polls until `n` requests in a row through each port all reach `colour` (bounded). */
  async function allTo(ports: readonly number[], colour: string, n = 10): Promise<void> {
    await waitUntil(
      `every request through :${ports.join(', :')} to reach ${colour}`,
      async () => {
        for (const p of ports) if ((await count(p, n))[colour] !== n) return false;
        return true;
      },
      NOTICE_MS,
      50,
    );
  }

  function show(size = { columns: 100, rows: 30 }) {
    if (!engine) throw new Error('no engine');
    const r = render(<App engine={engine} size={size} colour={false} />);
    return { ...r, frame: () => stripAnsi(r.lastFrame() ?? '') };
  }

  /** The UI with both instances read and in sync (and `also`), ready for keys. */
  async function ready(size?: { columns: number; rows: number }, also: readonly FrameCheck[] = []) {
    const r = show(size);
    await waitForFrame(
      r.lastFrame,
      [
        'data plane: haproxy (2 instances, 2 reachable)',
        /● hx0\/admin\.sock +in sync[^\n]*\n ● hx1\/admin\.sock +in sync/,
        ...also,
      ],
      NOTICE_MS,
    );
    await tick();
    return r;
  }

  /** Load through `ports`, returned once it has carried `n` more requests (rather than after a sleep). */
  async function loadUnderway(ports: readonly number[], n = 10) {
    const total = () => Object.values(seen).reduce((a, b) => a + b, 0);
    const from = total();
    const traffic = load(ports);
    await waitUntil(`${n} requests of the load`, async () => total() >= from + n, NOTICE_MS, 10);
    return traffic;
  }

  const serverOf = (colour: string, b: Backend) => `${colour}_127.0.0.1_${b.port}`;

  beforeAll(async () => {
    [blue, green] = await Promise.all([startBackend('blue'), startBackend('green')]);
    // The scene, compiled once here to export each instance's configuration, then handed to the engine.
    const scene = new Store();
    scene.dispatch({
      op: 'upstream.create',
      fields: { name: 'blue', targets: [{ target: blue.address, weight: 100 }] },
    });
    scene.dispatch({
      op: 'upstream.create',
      fields: { name: 'green', targets: [{ target: green.address, weight: 100 }] },
    });
    scene.dispatch({
      op: 'service.create',
      fields: {
        name: 'web',
        host: 'blue',
        upstreams: [
          { name: 'blue', weight: 100 },
          { name: 'green', weight: 0 },
        ],
      },
    });
    scene.dispatch({ op: 'route.create', service: 'web', fields: { name: 'web', hosts: [HOST] } });
    const sockets: string[] = [];
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const socket = path.join(dir, `hx${i}`, 'admin.sock');
      const cfg = writeHaproxy(path.join(dir, `hx${i}`), scene.table, { bind: `127.0.0.1:${port}`, socket });
      hx[i] = await startHaproxy(bin, cfg, socket, port);
      sockets.push(socket);
    }
    engine = await Engine.start({
      dataPlane: 'haproxy',
      haproxy: sockets,
      persist: false,
      proxyPort: 0,
      adminPort: 0,
      initialState: scene.state,
    });
    await allTo(
      hx.map((h) => h.port),
      'blue',
    );
  });

  afterEach(() => {
    cleanup();
  });

  afterAll(async () => {
    cleanup();
    await engine?.stop(200);
    await Promise.all(hx.map((h) => h.kill()));
    await Promise.all([blue, green].map((b) => b?.close()));
    agent.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('shows each instance in sync and HAProxy’s counts; G moves both instances to green, no failed request, no reload', async () => {
    const r = await ready(undefined, ['web.localhost → web', /REQ\/S +REQS +2XX +5XX +ERRS/, 'A apply again']);
    const before = await Promise.all(hx.map((h) => h.client.showInfo()));

    const traffic = await loadUnderway(hx.map((h) => h.port));
    r.stdin.write('G');
    await waitForFrame(r.lastFrame, '100% green');
    await allTo(
      hx.map((h) => h.port),
      'green',
    );
    expect(await traffic.stop()).toEqual([]);
    expect(seen['blue']).toBeGreaterThan(0);

    // No reload: the same processes, started at the same time.
    const after = await Promise.all(hx.map((h) => h.client.showInfo()));
    after.forEach((info, i) => {
      expect(info.Pid).toBe(String(hx[i]!.pid));
      expect(info.Start_time_sec).toBe(before[i]!.Start_time_sec);
    });

    // The targets pane shows what HAProxy counted, summed over both instances: every request sent.
    const row = (b: Backend, n: number) =>
      new RegExp(`${escape(b.address)} +100 +100% +\\S+ +● up +[\\d.k]+ +${n} +${n} +0 +0`);
    await waitForFrame(
      r.lastFrame,
      [row(green, seen['green']!), row(blue, seen['blue']!), absent(/unreachable|drift/)],
      NOTICE_MS,
    );
  });

  it('fits 80x24 with the fleet section, and the help lists A', async () => {
    const check = (frame: string) => {
      const lines = frame.split('\n');
      expect(lines.length).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    };
    const r = await ready({ columns: 80, rows: 24 }, ['── HAProxy instances']);
    check(r.frame());
    r.stdin.write('?');
    check(await waitForFrame(r.lastFrame, 'HAProxy: apply all again'));
  });

  it('flags the instance whose weight was changed behind switchyard’s back, and A applies the state again', async () => {
    const r = await ready();
    const server = serverOf('green', green);
    await hx[1]!.client.setWeight('be_web', server, 12);
    await waitForFrame(
      r.lastFrame,
      [
        new RegExp(`◐ hx1/admin\\.sock +drift +web: green/${escape(green.address)} weight 12, expected 256`),
        /● hx0\/admin\.sock +in sync/,
        'A applies again',
      ],
      NOTICE_MS,
    );

    r.stdin.write('A');
    await waitForFrame(
      r.lastFrame,
      ['✓ applied to 2 instance(s)', /● hx1\/admin\.sock +in sync/, absent('drift')],
      NOTICE_MS,
    );
    const weights = await hx[1]!.client.showServersState('be_web');
    expect(weights.find((s) => s.server === server)?.weight).toBe(256);
    await allTo(
      hx.map((h) => h.port),
      'green',
    );
  });

  it('shows a dead instance as unreachable, says a change did not reach it, and still steers the other', async () => {
    const r = await ready();
    await hx[1]!.kill();
    await waitForFrame(
      r.lastFrame,
      [
        'data plane: haproxy (2 instances, 1 reachable)',
        /✗ hx1\/admin\.sock +unreachable/,
        /● hx0\/admin\.sock +in sync/,
      ],
      NOTICE_MS,
    );

    const traffic = await loadUnderway([hx[0]!.port]);
    r.stdin.write('B');
    await waitForFrame(r.lastFrame, 'blue 100%');
    await allTo([hx[0]!.port], 'blue');
    expect(await traffic.stop()).toEqual([]);
    // Never silently half-applied: the flash names the instance that did not take the change, and why.
    await waitForFrame(
      r.lastFrame,
      [/✗ service web[^\n]*: not applied to hx1\/admin\.sock \(unreachable/, /● hx0\/admin\.sock +in sync/],
      NOTICE_MS,
    );
    expect(engine!.store.state.services.find((s) => s.name === 'web')?.upstreams).toEqual([
      { name: 'blue', weight: 100 },
      { name: 'green', weight: 0 },
    ]);
  });
});
