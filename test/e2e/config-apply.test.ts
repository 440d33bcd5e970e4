/**
 * `switchyard config apply` of the running state's own export, through the real CLI against a
 * real `serve`: the app's process keeps running (same instance, same PID, one "starting" line),
 * and traffic through the proxy never fails meanwhile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { run, serve, type Running } from '../helpers/cli.js';
import { request } from '../helpers/net.js';

const HELLO = path.resolve(__dirname, '../../examples/hello-app.js');
const HOST = 'hello.example.com';
let sy: Running;
let dir: string;

function sw(args: string[]) {
  return run([...args, '--admin', sy.adminUrl], { cwd: dir, timeoutMs: 60_000 });
}

interface Instance {
  index: number;
  pid: number | null;
  state: string;
  restarts: number;
}
interface AppReply {
  id: string;
  created_at: number;
  generation: number;
  status: { healthy: number; instances: Instance[] };
}

async function app(): Promise<AppReply> {
  const res = await fetch(`${sy.adminUrl}/apps/hello`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as AppReply;
}

/** Polls the app until `ok` holds of it; bounded, and says what it saw last when it gives up. */
async function appWhen(ok: (a: AppReply) => boolean, what: string): Promise<AppReply> {
  const deadline = Date.now() + 60_000;
  let last = await app();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`the app never got to ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await app();
  }
  return last;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-apply-'));
  sy = await serve(['--state-dir', path.join(dir, 'state')]);
}, 20_000);

afterAll(async () => {
  await sy?.stop('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('config apply of the running state', () => {
  it("keeps the app's process running: same instance, same PID, no second start", async () => {
    const pushed = await sw(['push', 'hello', '--route', HOST, '--command', `node ${HELLO}`]);
    expect(pushed.stderr).toBe('');
    expect(pushed.stdout).toMatch(/app hello running: 1\/1 instances answering/);
    expect((await request(sy.proxyPort, { host: HOST })).body).toBe('hello v1 0\n');
    const first = await app();
    const pid = first.status.instances[0]!.pid;
    expect(pid).toEqual(expect.any(Number));

    // Traffic runs through the proxy the whole time; every answer must be the app's.
    let stop = false;
    const answers: string[] = [];
    const traffic = (async () => {
      while (!stop) {
        const r = await request(sy.proxyPort, { host: HOST }).catch((e: Error) => ({ status: e.message, body: '' }));
        answers.push(r.status === 200 ? 'ok' : String(r.status));
      }
    })();

    const exported = await sw(['config', 'export']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toMatch(/name: hello/);
    const file = path.join(dir, 'state.yaml');
    fs.writeFileSync(file, exported.stdout);
    const applied = await sw(['config', 'apply', file]);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/^state unchanged/);

    // Then a second instance, by the same route: the supervisor follows changes in order, so once
    // instance 1 answers, it has acted on the first apply too.
    const doc = YAML.parse(exported.stdout) as { apps: { name: string; instances?: number }[] };
    doc.apps.find((a) => a.name === 'hello')!.instances = 2;
    const scaled = path.join(dir, 'scaled.yaml');
    fs.writeFileSync(scaled, YAML.stringify(doc));
    expect((await sw(['config', 'apply', scaled])).stdout).toMatch(/^state replaced/);
    const after = await appWhen((a) => a.status.healthy === 2, 'two healthy instances');
    stop = true;
    await traffic;

    const logs = (await sw(['logs', 'hello', '--lines', '1000'])).stdout;
    const zero = after.status.instances.find((i) => i.index === 0);
    // One look at everything that would show a restart: the app's identity, its first process,
    // the supervisor's log of starts and exits, and the answers the traffic got.
    expect({
      app: { id: after.id, created_at: after.created_at, generation: after.generation },
      instance0: zero && { pid: zero.pid, state: zero.state, restarts: zero.restarts },
      starts: { 0: logs.match(/\[hello\/0\] starting:/g)?.length, 1: logs.match(/\[hello\/1\] starting:/g)?.length },
      exits: logs.split('\n').filter((l) => /exited/.test(l)),
      failed: answers.filter((a) => a !== 'ok').reduce<Record<string, number>>((n, a) => ({ ...n, [a]: (n[a] ?? 0) + 1 }), {}),
    }).toEqual({
      app: { id: first.id, created_at: first.created_at, generation: first.generation },
      instance0: { pid, state: 'healthy', restarts: 0 },
      starts: { 0: 1, 1: 1 },
      exits: [],
      failed: {},
    });
    expect(answers.length).toBeGreaterThan(0);
  }, 120_000);
});
