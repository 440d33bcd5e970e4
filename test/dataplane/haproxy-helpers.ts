/** Real HAProxy processes on loopback for tests: find the binary, start one from a config, kill it. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { RuntimeClient } from '../../src/dataplane/haproxy/runtime.js';

/** The haproxy binary on PATH (or in the sbin directories PATH often lacks), or null. */
export function findHaproxy(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = path.join(d, 'haproxy');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (spawnSync(p, ['-v'], { timeout: 5000 }).status === 0) return p;
    } catch {
      // not here
    }
  }
  return null;
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RunningHaproxy {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly socket: string;
  readonly port: number;
  readonly client: RuntimeClient;
  output(): string;
  kill(): Promise<void>;
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Starts `haproxy -db -f CFG` in the foreground and waits until its runtime API answers. */
export async function startHaproxy(bin: string, cfg: string, socket: string, port: number): Promise<RunningHaproxy> {
  const child = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const client = new RuntimeClient(socket, { timeoutMs: 1000 });
  try {
    await waitFor('haproxy to answer on its socket', async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}:\n${out}`);
      const info = await client.showInfo();
      return Number(info.Pid) === child.pid;
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${out}`);
  }
  return {
    child,
    pid: child.pid as number,
    socket,
    port,
    client,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      // Gone for sure when this returns: tests go on to assert that the instance is unreachable.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`haproxy (pid ${child.pid}) did not exit within 10 s of SIGKILL`)), 10_000);
      });
      try {
        await Promise.race([exited, late]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
