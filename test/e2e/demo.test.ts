/**
 * `switchyard demo` as a person runs it: the real binary in a real terminal (tmux), keys sent to
 * it, the screen read back, and the traffic that reaches the sample backends checked both on
 * screen and with requests of our own through its proxy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HELLO = path.join(ROOT, 'examples/hello-app.js');
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `switchyard-e2e-${process.pid}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-e2e-'));

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 5000 });
}

/**
 * Starts the demo (or `switchyard` itself, with `args`) in a fresh tmux session of the given
 * size; its exit status lands in a file.
 */
function start(name: string, columns: number, rows: number, args = 'demo'): { status: string } {
  const status = path.join(tmp, `${name}.status`);
  // Ink renders only the last frame when it thinks it runs in CI.
  // The demo's TLS listener on a free port, its self-signed certificate in this test's directory.
  const tls = args === 'demo' ? ` --proxy-tls-port 0` : '';
  const cmd = `cd '${ROOT}' && env -u CI -u CONTINUOUS_INTEGRATION NO_COLOR= XDG_CONFIG_HOME='${tmp}' node bin/switchyard.js ${args} --proxy-port 0 --admin-port 0${tls} 2>'${path.join(tmp, `${name}.stderr`)}'; echo "exit $?" > '${status}'`;
  tmux('new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), cmd);
  return { status };
}

function screen(name: string): string {
  return tmux('capture-pane', '-p', '-t', name);
}

function keys(name: string, ...k: string[]): void {
  tmux('send-keys', '-t', name, ...k);
}

async function waitFor<T>(
  check: () => T | undefined | false,
  what: () => string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

type ScreenCheck = string | RegExp | ((text: string) => boolean);

function holds(check: ScreenCheck, text: string): boolean {
  return typeof check === 'string'
    ? text.includes(check)
    : check instanceof RegExp
      ? check.test(text)
      : check(text);
}

/**
 * Waits until one capture of the pane shows everything in `checks` at once, and returns that
 * capture: a frame can reach the terminal in pieces, so text B is not on screen just because
 * text A of the same frame is.
 */
async function waitForScreen(
  name: string,
  checks: ScreenCheck | ScreenCheck[],
  timeoutMs = 20_000,
  what?: string,
): Promise<string> {
  const all = Array.isArray(checks) ? checks : [checks];
  let last = '';
  return waitFor(
    () => {
      last = screen(name);
      return all.every((c) => holds(c, last)) ? last : undefined;
    },
    () =>
      `${what ?? all.map((c) => (typeof c === 'function' ? 'a condition' : String(c))).join(' and ')} on screen; missing: ${all
        .filter((c) => !holds(c, last))
        .map((c) => (typeof c === 'function' ? 'a condition' : String(c)))
        .join(', ')}\n${last}\nstderr: ${readStderr(name)}`,
    timeoutMs,
  );
}

function readStderr(name: string): string {
  try {
    return fs.readFileSync(path.join(tmp, `${name}.stderr`), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/** The 2XX count and the requests in flight of each target row, by upstream, as the screen shows them. */
function targetRows(text: string): Record<string, { ok: number; inFlight: number }[]> {
  const out: Record<string, { ok: number; inFlight: number }[]> = {};
  let upstream = '';
  for (const line of text.split('\n')) {
    const head = /^▾ (\S+)/.exec(line);
    if (head) {
      upstream = head[1] as string;
      out[upstream] = [];
      continue;
    }
    const row = /^ {2}127\.0\.0\.1:\d+\s+(.*)$/.exec(line);
    if (row && upstream) {
      // WEIGHT CONF OBS HEALTH(symbol word) REQ/S 2XX 5XX P50 P99 INF …
      const cells = (row[1] as string).trim().split(/\s+/);
      out[upstream]?.push({ ok: Number(cells[6]), inFlight: Number(cells[10]) });
    }
  }
  return out;
}

/** The 2XX count of each target row, by upstream, as the screen shows them. */
function targetCounts(text: string): Record<string, number[]> {
  return Object.fromEntries(Object.entries(targetRows(text)).map(([u, rows]) => [u, rows.map((r) => r.ok)]));
}

/** One request through the demo's proxy (fetch cannot set Host). */
function get(url: string, host = 'demo.localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.get(
      { host: u.hostname, port: u.port, path: '/', headers: { host }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The binary runs the compiled dist/. `npm test` builds it first; run alone, this test builds it
 * when the sources are newer (never otherwise, so other e2e tests never see dist/ half-written).
 */
async function built(): Promise<void> {
  const main = path.join(ROOT, 'dist/cli/main.js');
  const stale = !fs.existsSync(main) || newest(path.join(ROOT, 'src')) > fs.statSync(main).mtimeMs;
  if (stale)
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore', timeout: 120_000 });
  for (const f of ['dist/cli/main.js', 'dist/ui/run.js', 'dist/demo/index.js']) {
    if (!fs.existsSync(path.join(ROOT, f)))
      throw new Error(`${f} is missing after "tsc -p tsconfig.build.json"`);
  }
}

describe.skipIf(!hasTmux)('switchyard demo in a terminal (tmux)', () => {
  beforeAll(built, 150_000);

  afterAll(() => {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('G sends all traffic to green: on screen, at the backends, and q exits cleanly', async () => {
    const name = 'wide';
    const { status } = start(name, 120, 40);
    // 'q quit' closes the frame: with it on screen, the header above it is drawn whole.
    let text = await waitForScreen(
      name,
      [
        'blue 100%',
        'demo.localhost → demo',
        /generator 50 req\/s/,
        /proxy http:\/\/127\.0\.0\.1:\d+ /,
        /https:\/\/127\.0\.0\.1:\d+/,
        /admin http:\/\/127\.0\.0\.1:\d+/,
        'q quit',
      ],
      30_000,
    );
    const proxy = /proxy (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    expect(proxy).toBeDefined();

    // The generator's traffic reaches the blue targets only.
    text = await waitForScreen(name, [
      /^ {2}127\.0\.0\.1:\d+ +100 +40% +\S+ +● up +\S+ +[1-9]/m,
      (t) => targetRows(t).blue?.length === 3 && targetRows(t).green?.length === 2,
    ]);
    const before = targetCounts(text);
    expect(before.blue).toHaveLength(3);
    expect(before.green).toEqual([0, 0]);
    for (let i = 0; i < 10; i++) expect(await get(proxy as string)).toMatch(/^blue [123] v1\.0\.0/);

    keys(name, 'G');
    await waitForScreen(name, ['100% green', 'blue 0%', 'service demo → blue 0% / green 100%']);
    for (let i = 0; i < 10; i++) expect(await get(proxy as string)).toMatch(/^green [12] v2\.0\.0/);

    // Counts on screen: green's rise, blue's stay. Blue's are final on the first sample taken after
    // the switch (green has counts) that shows no request in flight on blue: none starts there now.
    const settled = (t: string) => {
      const rows = targetRows(t);
      return (
        rows.blue?.length === 3 &&
        rows.green?.length === 2 &&
        rows.green.every((r) => r.ok > 0) &&
        rows.blue.every((r) => r.inFlight === 0)
      );
    };
    const atSwitch = targetCounts(
      await waitForScreen(name, settled, 20_000, 'counts after the switch with nothing in flight on blue'),
    );
    // Then per request, not per second: each green target takes 25 more while blue takes none.
    const risen = (t: string) =>
      targetCounts(t).green?.every((n, i) => n >= (atSwitch.green?.[i] ?? 0) + 25) ?? false;
    const later = targetCounts(
      await waitForScreen(name, risen, 30_000, 'each green target to count 25 more'),
    );
    expect(later.blue).toEqual(atSwitch.blue);
    for (const [i, n] of (later.green ?? []).entries()) expect(n).toBeGreaterThan(atSwitch.green?.[i] ?? 0);

    // z undoes; s switches; the help lists the keys; esc closes it.
    keys(name, 'z');
    await waitForScreen(name, 'undid "service demo');
    await waitForScreen(name, 'blue 100%');
    keys(name, 's');
    await waitForScreen(name, '100% green');
    keys(name, 'Left');
    await waitForScreen(name, 'blue 5%');
    keys(name, '?');
    await waitForScreen(name, ['Routes → services (slider)', 'q ctrl-c']);
    keys(name, 'Escape');
    await waitForScreen(name, 'UPSTREAM/TARGET');

    // A bad weight is refused and changes nothing.
    keys(name, 'Tab', 'j', 'w');
    await waitForScreen(name, 'weight of 127.0.0.1:');
    keys(name, '-', '1', 'Enter');
    await waitForScreen(name, "weight must be a whole number 0..65535, got '-1'");

    keys(name, 'q');
    await waitFor(
      () => fs.existsSync(status) && fs.readFileSync(status, 'utf8').trim(),
      () => `the demo to exit; screen:\n${screen(name)}`,
      15_000,
    );
    expect(fs.readFileSync(status, 'utf8').trim()).toBe('exit 0');
    expect(readStderr(name)).not.toMatch(/Error|warning/i);
  }, 90_000);

  it('apps and a pending deploy at 80x24: a asks first, esc cancels, r sends the next request to green', async () => {
    const name = 'deploy';
    const stateDir = path.join(tmp, 'deploy-state');
    const { status } = start(name, 80, 24, `--state-dir '${stateDir}'`);
    // 'q quit' closes the frame: with it on screen, the header above it is drawn whole.
    let text = await waitForScreen(
      name,
      [/proxy http:\/\/127\.0\.0\.1:\d+ /, /admin http:\/\/127\.0\.0\.1:\d+/, 'q quit'],
      30_000,
    );
    const proxy = /proxy (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1] as string;
    const admin = /admin (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1] as string;
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${admin}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status, `POST ${p}: ${await res.clone().text()}`).toBeLessThan(300);
      return (await res.json()) as { id?: string; state?: string };
    };
    for (const app of ['app-v1', 'app-v2'])
      await post('/apps', { name: app, command: `node ${HELLO}`, route: 'my-app.example.com' });
    const manifest = (v: number) =>
      `ID: shop\nversion: ${v}.0.0\nmodules:\n  - name: shop-web\n    command: VERSION=v${v} node ${HELLO}\n    routes: [shop.example.com]\n`;
    // POST /deployments answers once the deployment exists (deploying): follow it until it settles.
    const deploy = async (v: number) => {
      const { id } = await post('/deployments', { manifest: manifest(v) });
      let d: { id?: string; state?: string } = {};
      await waitUntil(
        `deployment ${id} to settle`,
        async () =>
          (d = (await (await fetch(`${admin}/deployments/${id}`)).json()) as typeof d).state !== 'deploying',
        {
          timeoutMs: 30_000,
          seen: () => JSON.stringify(d),
        },
      );
      return d;
    };
    expect((await deploy(1)).state).toBe('resumed');
    const d = await deploy(2);
    expect(d.state).toBe('pending');

    text = await waitForScreen(name, [`${d.id}  shop 1.0.0 → 2.0.0  ◐ pending`, '── Apps']);
    const fits = (t: string) => {
      const lines = t.replace(/\n+$/, '').split('\n');
      expect(lines.length, t).toBeLessThanOrEqual(23);
      for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80);
    };
    fits(text);
    keys(name, 'BTab');
    text = await waitForScreen(name, [
      '━━ Deployments',
      'old shop-web-blue',
      'new shop-web-green',
      'r resume',
      'a abort',
      'shop-idle.example.com',
    ]);
    fits(text);
    keys(name, 'a');
    await waitForScreen(name, '▸ Cancel');
    keys(name, 'Escape');
    await waitForScreen(name, 'cancelled: nothing changed');
    expect(await get(proxy, 'shop.example.com')).toBe('shop-web-blue v1 0\n');

    keys(name, 'r');
    // Live once the screen says so (not at "resuming…"): then the next request goes to green.
    text = await waitForScreen(
      name,
      ['shop 2.0.0 live: shop.example.com → shop-web-green', (t) => !t.includes('Deployments')],
      30_000,
    );
    expect(await get(proxy, 'shop.example.com')).toBe('shop-web-green v2 0\n');
    fits(text);

    keys(name, 'Tab');
    await waitForScreen(name, '━━ Routes → services');
    keys(name, 'Tab', 'Tab');
    await waitForScreen(name, '━━ Apps');
    keys(name, 'l');
    await waitForScreen(name, /Log of app-v1[\s\S]*app-v1 v1 listening on 127\.0\.0\.1:\d+/);
    keys(name, 'Escape');
    await waitForScreen(name, '━━ Apps');

    keys(name, 'q');
    await waitFor(
      () => fs.existsSync(status) && fs.readFileSync(status, 'utf8').trim(),
      () => `switchyard to exit; screen:\n${screen(name)}`,
      15_000,
    );
    expect(fs.readFileSync(status, 'utf8').trim()).toBe('exit 0');
    expect(readStderr(name)).not.toMatch(/Error|warning/i);
  }, 90_000);

  it('fits 80x24 with every part on screen; ctrl-c exits cleanly', async () => {
    const name = 'small';
    const { status } = start(name, 80, 24);
    const parts = [
      'proxy http://127.0.0.1:',
      'admin http://127.0.0.1:',
      'total',
      'errors',
      'generator 50 req/s',
      'demo.localhost → demo',
      'blue 100%',
      '0% green',
      'UPSTREAM/TARGET',
      'WEIGHT',
      'CONF',
      'OBS',
      'HEALTH',
      'REQ/S',
      '2XX',
      '5XX',
      'P50',
      'P99',
      'INF',
      '? help',
      'q quit',
    ];
    // Every part in one capture, with counts moving.
    const text = await waitForScreen(
      name,
      [/^ {2}127\.0\.0\.1:\d+ +100 +40% +\S+ +● up +\S+ +[1-9]/m, ...parts],
      30_000,
    );
    const lines = text.replace(/\n+$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    // Full target addresses and, once a second has passed, a sparkline.
    await waitForScreen(name, /^ {2}127\.0\.0\.1:\d{4,5} .*[▁▂▃▄▅▆▇█]/m);
    keys(name, 'C-c');
    await waitFor(
      () => fs.existsSync(status) && fs.readFileSync(status, 'utf8').trim(),
      () => `the demo to exit; screen:\n${screen(name)}`,
      15_000,
    );
    expect(fs.readFileSync(status, 'utf8').trim()).toBe('exit 0');
  }, 60_000);
});
